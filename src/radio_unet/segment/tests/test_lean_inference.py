"""The ONNX inference path stays lean and tidy: no PyTorch or Lightning imported, blank images refused, no
temporary file left behind by a killed run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from astropy.io import fits

from radio_unet.cli import main
from radio_unet.conftest import celestial_header, random_image, write_fits
from radio_unet.io.atomic import atomic_path, remove_stale_temporaries

#: Run the command line in a fresh interpreter and report what it imported.
_PROBE = """
import json, sys
from radio_unet.cli import main
status = main(sys.argv[1:])
heavy = ("torch", "lightning", "pytorch_lightning", "torchmetrics", "tensorboard")
print(json.dumps({"status": status, "modules": sorted(m for m in sys.modules if m.split(".")[0] in heavy),
                  "ndimage": "scipy.ndimage" in sys.modules}))
"""


def _image(path, shape=(64, 80), data=None, beam_arcsec=6.0):
    h = celestial_header(nx=shape[1], ny=shape[0], scale_arcsec=2.0)
    h["BMAJ"], h["BMIN"], h["BPA"], h["BUNIT"] = beam_arcsec / 3600, beam_arcsec / 3600, 0.0, "JY/BEAM"
    return write_fits(path, random_image(*shape) if data is None else data, h)


def _probe(*args) -> dict:
    """Run ``radio-unet ARGS`` in a fresh Python and return its exit status and heavy modules."""
    done = subprocess.run([sys.executable, "-c", _PROBE, *map(str, args)], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_onnx_path_of_segment_targets_and_cutout_imports_no_torch(tmp_path, tiny_model):
    """segment, targets and cutout with the ONNX backend (export cached) import neither PyTorch nor Lightning; segment
    (which resamples this image to the model's pixels per beam) not even scipy.ndimage."""
    from radio_unet.segment.load import load_segmenter

    load_segmenter(tiny_model, backend="onnx")  # the export, made here (it needs PyTorch) and cached
    image = _image(tmp_path / "field.fits")
    catalog = tmp_path / "clusters.csv"
    catalog.write_text("name,ra,dec,z,r500_arcmin\nC1,150.0,50.0,0.1,0.3\n")  # the image centre
    wide = _image(tmp_path / "wide.fits", shape=(96, 96), beam_arcsec=9.0)  # 4.5 px per beam: resampled to 3
    runs = {
        "segment": ["segment", image, wide, "-o", tmp_path / "seg", "--model", tiny_model, "--backend", "onnx"],
        "targets": ["targets", "--catalog", catalog, "--images", image, "-o", tmp_path / "targets", "--size", "32",
                    "--model", tiny_model, "--backend", "onnx"],
        "cutout": ["cutout", "--catalog", catalog, "--images", image, "-o", tmp_path / "cutouts", "--size", "32"],
    }
    for name, args in runs.items():
        report = _probe(*args)
        assert (report["status"], report["modules"]) == (0, []), name
        assert name != "segment" or not report["ndimage"]
    assert fits.getdata(tmp_path / "seg" / "wide.prob.fits").shape == (96, 96)
    assert (tmp_path / "seg" / "field.prob.fits").exists() and (tmp_path / "targets" / "targets.ecsv").exists()


def test_all_blank_image_is_one_clear_error_and_writes_nothing(tmp_path, tiny_model, capsys):
    """An all-NaN image: `segment` says what `info` says (every pixel is blank), exits 2 and writes nothing."""
    blank = _image(tmp_path / "blank.fits", data=np.full((64, 80), np.nan, np.float32))
    out = tmp_path / "out"
    assert main(["info", str(blank)]) == 2
    info_err = capsys.readouterr().err
    assert main(["segment", str(blank), "-o", str(out), "--model", str(tiny_model)]) == 2
    err = capsys.readouterr().err
    assert "every pixel is blank" in info_err
    lines = [line for line in err.splitlines() if "error" in line]
    assert lines == [f"radio-unet segment: error: {blank}: every pixel is blank (NaN)"] and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_stale_temporaries_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    """A temporary file of a dead process is stale; one of a live process (a concurrent writer) or of another
    output stays."""
    final = tmp_path / "field.prob.fits"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a process id that no longer exists
    with atomic_path(final) as live:
        live.write_bytes(b"being written")
        host = live.name.split(".")[4]
        dead = tmp_path / f".field.prob.fits.{host}.{child.pid}.abcd1234.prob.fits"
        other_host = tmp_path / f".field.prob.fits.elsewhere.{child.pid}.abcd1234.prob.fits"
        other_output = tmp_path / f".field.mask.fits.{host}.{child.pid}.abcd1234.mask.fits"
        for path in (dead, other_host, other_output):
            path.write_bytes(b"left by a killed run")
        assert remove_stale_temporaries([final]) == [dead]
        assert live.exists() and other_host.exists() and other_output.exists()
    assert final.read_bytes() == b"being written"


def test_any_atomic_writer_removes_the_stale_temporaries_of_its_file(tmp_path):
    """Every command that writes through atomic_path (targets, cutout, simulate, counts...) cleans up after a killed
    earlier writer of the same file; another file's temporary stays."""
    final = tmp_path / "targets.ecsv"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with atomic_path(tmp_path / "probe.txt") as probe:
        probe.write_text("x")
        host = probe.name.split(".")[3]
    dead = tmp_path / f".targets.ecsv.{host}.{child.pid}.abcd1234.ecsv"
    other = tmp_path / f".cutouts.ecsv.{host}.{child.pid}.abcd1234.ecsv"
    for path in (dead, other):
        path.write_text("left by a killed run")
    with atomic_path(final) as tmp:
        tmp.write_text("table")
    assert not dead.exists() and other.exists() and final.read_text() == "table"


@pytest.mark.parametrize("how, png", [("SIGTERM", False), ("SIGKILL", False), ("SIGTERM", True)])
def test_killed_segment_leaves_no_temporary_file_after_a_rerun(tmp_path, tiny_model, how, png):
    """SIGTERM: the run removes its temporary file on the way out (with the picture worker running too); SIGKILL:
    the next run removes it. Either way the rerun finishes and the folder holds only the outputs."""
    from radio_unet.segment.load import load_segmenter

    load_segmenter(tiny_model, backend="onnx")  # export cached: the killed run gets to writing quickly
    image = _image(tmp_path / "field.fits", shape=(128, 128))
    out = tmp_path / "out"
    # Slow the network down so the run is surely killed while the probability map's temporary file exists.
    slow = ("import time, sys; from radio_unet.models import runtime; run = runtime.OnnxPredictor._run; "
            "runtime.OnnxPredictor._run = lambda self, b: (time.sleep(60), run(self, b))[1]; "
            "from radio_unet.cli import main; sys.exit(main(sys.argv[1:]))")
    no_png = [] if png else ["--no-png"]
    proc = subprocess.Popen([sys.executable, "-c", slow, "segment", str(image), "-o", str(out), "--model",
                             str(tiny_model), "--backend", "onnx", *no_png], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600  # a shared machine can take minutes to start Python and its libraries
    while not any(p.name.startswith(".field.prob.fits.") for p in out.glob(".*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()[1][-2000:]
    assert any(p.name.startswith(".field.prob.fits.") for p in out.glob(".*")), "the run never started writing"
    proc.send_signal(getattr(signal, how))
    err = proc.communicate(timeout=300)[1]
    hidden = sorted(p.name for p in out.glob(".*"))
    if how == "SIGTERM":
        assert proc.returncode == 130 and "interrupted" in err
        assert hidden == []
    else:
        assert proc.returncode == -signal.SIGKILL and len(hidden) == 1
    assert main(["segment", str(image), "-o", str(out), "--model", str(tiny_model), "--backend", "onnx", *no_png]) == 0
    pictures = ["field.png"] if png else []
    assert sorted(p.name for p in out.iterdir()) == sorted(["field.mask.fits", "field.prob.fits", "field.reg", *pictures])
    assert fits.getdata(out / "field.prob.fits").shape == (128, 128)
