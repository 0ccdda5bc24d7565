"""Tests of the ``radio-unet`` command line: help, version, ``info`` and error handling."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from astropy.io import fits

from radio_unet import __version__
from radio_unet.cli import COMMANDS, main


def test_every_command_has_help(capsys):
    """``radio-unet COMMAND --help`` works for every registered subcommand and shows its one-line description."""
    for name, text in COMMANDS.items():
        with pytest.raises(SystemExit) as info:
            main([name, "--help"])
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert text.split(":")[0][:30] in " ".join(out.split())


def test_version(capsys):
    """``--version`` prints the package version."""
    with pytest.raises(SystemExit):
        main(["--version"])
    assert __version__ in capsys.readouterr().out


def test_info_text_and_json(image_2d, image_cd, capsys):
    """``info`` prints the pixel scale, beam and unit, and ``--json`` gives the same facts for machines."""
    assert main(["info", str(image_2d), str(image_cd)]) == 0
    out = capsys.readouterr().out
    assert '2"/px' in out and '11" x 7"' in out and "Jy/beam" in out and "144 MHz" in out
    assert main(["info", "--json", str(image_cd)]) == 0
    (d,) = json.loads(capsys.readouterr().out)
    assert d["pixel_scale_arcsec"] == pytest.approx([1.5, 1.5])
    assert d["beam_arcsec"][0] == pytest.approx(6.0, rel=1e-3)
    assert d["blank_fraction"] == pytest.approx((4 * 64 + 3 * 48 - 12) / (48 * 64))
    assert d["noise_rms"] == pytest.approx(1e-4, rel=0.15)  # the fixture's Gaussian noise


def test_info_bad_file_is_one_line_and_others_still_run(tmp_path, image_2d, capsys):
    """A bad file among good ones: one error line naming it, the others described, exit status 2."""
    bad = tmp_path / "bad.fits"
    bad.write_text("nope")
    assert main(["info", str(bad), str(image_2d)]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and str(bad) in captured.err and "Traceback" not in captured.err
    assert str(image_2d) in captured.out


def test_info_user_beam_and_unit(tmp_path, capsys):
    """--beam and --unit fill in what the header lacks."""
    from radio_unet.conftest import celestial_header, random_image, write_fits

    path = write_fits(tmp_path / "bare.fits", random_image(), celestial_header())
    assert main(["info", "--json", "--beam", "20,10,5", "--unit", "Jy/beam", str(path)]) == 0
    (d,) = json.loads(capsys.readouterr().out)
    assert d["beam_arcsec"] == [20.0, 10.0, 5.0] and d["unit"] == "Jy/beam"


def test_every_command_runs_its_own_module():
    """Every registered command is implemented in ``radio_unet.cli.<name>`` with add_arguments and run, and no placeholder is left."""
    import importlib
    import inspect

    import radio_unet.cli.common as common

    for name in COMMANDS:
        module = importlib.import_module(f"radio_unet.cli.{name}")
        assert callable(module.add_arguments) and callable(module.run), name
        assert "not_yet" not in inspect.getsource(module), name
    assert not hasattr(common, "not_yet")


def test_finetune_without_a_model_is_a_clear_error(tmp_path, capsys):
    """``finetune`` without --model exits 2 with a one-line message, not a traceback."""
    assert main(["finetune", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--model" in err and "Traceback" not in err


def _hand_sigma_clipped_std(values: np.ndarray, nsigma: float = 3.0) -> float:
    """Iterative 3-sigma clipping around the median, written independently of astropy."""
    v = values[np.isfinite(values)].astype(np.float64)
    while True:
        med, std = np.median(v), v.std()
        keep = np.abs(v - med) < nsigma * std
        if keep.all():
            return float(std)
        v = v[keep]


def test_info_on_real_lotss_cutout(lotss_cutout):
    """The real LoTSS-DR1 cut-out: 1.5"/px, a 6" beam, JY/BEAM and a noise within 30% of a hand estimate."""
    result = subprocess.run(
        [sys.executable, "-m", "radio_unet", "info", "--json", str(lotss_cutout)],
        capture_output=True, text=True, check=True,
    )
    (d,) = json.loads(result.stdout)
    assert d["pixel_scale_arcsec"] == pytest.approx([1.5, 1.5], rel=1e-4)
    assert d["beam_arcsec"][:2] == pytest.approx([6.0, 6.0])
    assert d["unit"] == "Jy/beam"
    hand = _hand_sigma_clipped_std(fits.getdata(lotss_cutout))
    assert abs(d["noise_rms"] / hand - 1) < 0.30


def test_a_command_imports_only_its_own_module():
    """`radio-unet info --help` does not import the training stack (Lightning); `train --help` does."""
    probe = ("import sys; from radio_unet.cli import main\n"
             "try:\n    main([{!r}, '--help'])\nexcept SystemExit:\n    pass\n"
             "print('lightning' in sys.modules, file=sys.stderr)")
    for command, expected in (("info", "False"), ("train", "True")):
        done = subprocess.run([sys.executable, "-c", probe.format(command)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0 and done.stderr.strip().splitlines()[-1] == expected, done.stderr[-500:]
