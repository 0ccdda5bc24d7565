"""Tests of the optional external baselines (PyBDSF wavelet mode, breizorro) on a synthetic field.

The field is 128x128 pixels of 2 arcsec with a 6 arcsec beam: beam-correlated
Gaussian noise of rms 1e-4 Jy/beam, a compact source of 50 sigma and a broad
faint blob (Gaussian of 10 pixels, peak 2 sigma) that no pixel shows above
5 sigma. Tests of one tool skip when it is not installed.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from radio_unet.cli import main
from radio_unet.conftest import celestial_header, write_fits
from radio_unet.errors import RadioUNetError
from radio_unet.evaluate import external
from radio_unet.evaluate.dataset import baseline_maps, evaluate_image
from radio_unet.evaluate.external import (
    ExternalBaselineWarning,
    available_external_baselines,
    breizorro_mask,
    pybdsf_mask,
    resolve_external,
)
from radio_unet.evaluate.metrics import threshold_baseline
from radio_unet.io import read_image

N = 128
RMS = 1e-4
COMPACT = (64, 38)  # (y, x) of the compact source
DIFFUSE = (70, 83)  # (y, x) of the centre of the diffuse blob


def _field() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The image (float32), the compact source above 5 sigma and the blob above 0.5 sigma."""
    rng = np.random.default_rng(1)
    beam_sigma = 3.0 / 2.3548  # 6" FWHM on 2" pixels
    noise = ndimage.gaussian_filter(rng.normal(size=(N, N)), beam_sigma)
    noise *= RMS / noise.std()
    y, x = np.mgrid[:N, :N]
    compact = 50 * RMS * np.exp(-((x - COMPACT[1]) ** 2 + (y - COMPACT[0]) ** 2) / (2 * beam_sigma**2))
    diffuse = 2 * RMS * np.exp(-((x - DIFFUSE[1]) ** 2 + (y - DIFFUSE[0]) ** 2) / (2 * 10.0**2))
    return (noise + compact + diffuse).astype(np.float32), compact > 5 * RMS, diffuse > 0.5 * RMS


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    """(RadioImage, compact region, diffuse region) of the synthetic field, read from FITS."""
    data, compact, diffuse = _field()
    h = celestial_header(nx=N, ny=N, scale_arcsec=2.0)
    h["BMAJ"] = h["BMIN"] = 6 / 3600
    h["BPA"] = 0.0
    h["BUNIT"] = "JY/BEAM"
    h["RESTFRQ"] = 144e6
    path = write_fits(tmp_path_factory.mktemp("field") / "field.fits", data, h)
    return read_image(path), compact, diffuse


def _run_isolated(tmp_path: Path, func, *args, **kwargs):
    """Run ``func`` with an empty working directory and an empty temporary folder.

    Returns
    -------
    (result, files left in the working directory, files left in the temporary folder)
    """
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    old_cwd, old_tempdir = os.getcwd(), tempfile.tempdir
    os.chdir(cwd)
    tempfile.tempdir = str(tmp)
    try:
        result = func(*args, **kwargs)
    finally:
        os.chdir(old_cwd)
        tempfile.tempdir = old_tempdir
    return result, sorted(os.listdir(cwd)), sorted(os.listdir(tmp))


@pytest.fixture(scope="module")
def pybdsf_run(field, tmp_path_factory):
    """PyBDSF (wavelet mode, defaults) on the field, run once in an empty folder."""
    pytest.importorskip("bdsf")
    return _run_isolated(tmp_path_factory.mktemp("pybdsf"), pybdsf_mask, field[0], errors="raise")


def _fraction(mask: np.ndarray, region: np.ndarray) -> float:
    return np.count_nonzero(mask & region) / np.count_nonzero(region)


def test_pybdsf_mask_covers_the_compact_source(pybdsf_run, field):
    """The mask is on the image grid, covers the compact source and hardly any empty sky."""
    mask, _, _ = pybdsf_run
    image, compact, diffuse = field
    assert mask.shape == image.shape and mask.dtype == bool
    assert mask[COMPACT] and _fraction(mask, compact) > 0.9
    far = ~ndimage.binary_dilation(compact | diffuse, iterations=5)
    assert np.count_nonzero(mask & far) < 0.01 * np.count_nonzero(far)


def test_pybdsf_wavelets_find_diffuse_emission_below_5_sigma(pybdsf_run, field):
    """Wavelet islands cover much of the faint blob; a 5-sigma threshold and PyBDSF without wavelets miss it."""
    mask, _, _ = pybdsf_run
    image, _, diffuse = field
    assert mask[DIFFUSE]
    assert _fraction(mask, diffuse) > 0.3
    assert _fraction(threshold_baseline(image.data, nsigma=5.0), diffuse) < 0.05
    plain = pybdsf_mask(image, atrous=False, errors="raise")
    assert _fraction(plain, diffuse) < 0.05
    assert plain[COMPACT]


def test_pybdsf_writes_nothing_outside_its_temporary_folder(pybdsf_run):
    """No file in the working directory, the temporary folder removed, PyBDSF's log handlers closed."""
    _, in_cwd, in_tmp = pybdsf_run
    assert in_cwd == []
    assert in_tmp == []
    assert logging.getLogger("PyBDSF").handlers == []


def test_breizorro_mask(field, tmp_path):
    """breizorro's local-noise threshold: the compact source, not the blob, nothing written around it."""
    pytest.importorskip("breizorro")
    image, compact, diffuse = field
    mask, in_cwd, in_tmp = _run_isolated(tmp_path, breizorro_mask, image, errors="raise")
    assert mask.shape == image.shape and mask.dtype == bool
    assert mask[COMPACT] and _fraction(mask, compact) > 0.9
    assert _fraction(mask, diffuse) < 0.05
    assert np.count_nonzero(mask & ~compact) < 0.01 * mask.size
    assert in_cwd == [] and in_tmp == []
    # A lower threshold grows the mask.
    assert np.count_nonzero(breizorro_mask(image, threshold=3.0, errors="raise")) > np.count_nonzero(mask)


def test_evaluate_image_gains_the_external_rows(field):
    """With both tools installed, evaluate_image scores them next to the 3-sigma baselines."""
    pytest.importorskip("bdsf")
    pytest.importorskip("breizorro")
    image, compact, diffuse = field
    truth = compact | diffuse
    rows = evaluate_image(None, image, truth)
    assert [r["method"] for r in rows] == ["3sigma", "3sigma_smoothed", "pybdsf", "breizorro"]
    scores = {r["method"]: r for r in rows}
    assert scores["pybdsf"]["pixel_recall"] > scores["breizorro"]["pixel_recall"]
    assert [r["method"] for r in evaluate_image(None, image, truth, external=False)] == ["3sigma", "3sigma_smoothed"]
    only = evaluate_image(None, image, truth, external=["breizorro"])
    assert [r["method"] for r in only] == ["3sigma", "3sigma_smoothed", "breizorro"]


def test_a_failing_tool_warns_once_and_skips_the_image(field, monkeypatch):
    """A tool that fails on an image gives one warning naming it and no row; errors="raise" re-raises."""
    pytest.importorskip("breizorro")
    image, compact, _ = field

    def broken(**kwargs):
        raise ValueError("synthetic failure\nsecond line")

    monkeypatch.setattr(external._import("breizorro.breizorro"), "main", broken)
    with pytest.warns(ExternalBaselineWarning, match=r"breizorro failed on field\.fits.*synthetic failure") as caught:
        assert breizorro_mask(image) is None
    assert len(caught) == 1 and "second line" not in str(caught[0].message)
    with pytest.raises(ValueError, match="synthetic failure"):
        breizorro_mask(image, errors="raise")
    with pytest.warns(ExternalBaselineWarning):
        rows = evaluate_image(None, image, compact, external=["breizorro"])
    assert [r["method"] for r in rows] == ["3sigma", "3sigma_smoothed"]


def test_pybdsf_without_a_beam_warns_and_returns_none(field):
    """PyBDSF needs a beam: an image without one is skipped with a warning, not an exception."""
    pytest.importorskip("bdsf")
    from dataclasses import replace

    image = replace(field[0], beam=None)
    with pytest.warns(ExternalBaselineWarning, match=r"pybdsf failed on field\.fits.*restoring beam"):
        assert pybdsf_mask(image) is None


def test_resolve_external():
    """True means the installed ones, False none; unknown or missing names are clear errors."""
    installed = available_external_baselines()
    assert set(installed) <= {"pybdsf", "breizorro"}
    assert resolve_external(True) == installed
    assert resolve_external(False) == resolve_external(None) == resolve_external([]) == []
    with pytest.raises(RadioUNetError, match="unknown external baseline"):
        resolve_external(["sextractor"])
    for name in {"pybdsf", "breizorro"} - set(installed):
        with pytest.raises(RadioUNetError, match="not installed"):
            resolve_external([name])


def test_baseline_maps_on_an_array_is_unchanged(field):
    """The old call with a bare array gives the two 3-sigma maps; naming external baselines then is an error."""
    data = field[0].data
    maps = baseline_maps(data, beam_sigma_pixels=1.27)
    assert list(maps) == ["3sigma", "3sigma_smoothed"]
    with pytest.raises(RadioUNetError, match="RadioImage"):
        baseline_maps(data, beam_sigma_pixels=1.27, external=["breizorro"])


def test_cli_no_external(field, tmp_path, capsys):
    """``radio-unet evaluate --image ... --no-external`` prints only the 3-sigma baselines."""
    image, compact, diffuse = field
    h = celestial_header(nx=N, ny=N, scale_arcsec=2.0)
    truth = write_fits(tmp_path / "truth.fits", (compact | diffuse).astype(np.uint8), h)
    pred = write_fits(tmp_path / "pred.fits", (compact | diffuse).astype(np.float32), h)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExternalBaselineWarning)
        assert main(["evaluate", "--truth", str(truth), "--pred", str(pred), "--image", image.path, "--no-external"]) == 0
    out = capsys.readouterr().out
    assert "3sigma_smoothed" in out
    assert "pybdsf" not in out and "breizorro" not in out
