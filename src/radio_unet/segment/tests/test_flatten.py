"""Tests of the noise flattening before segmentation (``radio_unet.segment.flatten``, ``segment --no-flatten``)."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from radio_unet.cli import main
from radio_unet.conftest import celestial_header, write_fits
from radio_unet.evaluate.realsky import primary_beam
from radio_unet.segment.flatten import MIN_VARIATION, evaluate_surface, flatten, noise_surface

BEAM = 3.0  # pixels: 6" at 2"/px, the tiny models' card


def _noise(shape, seed=0):
    """White noise smoothed to about the beam (rms 1)."""
    from scipy.ndimage import gaussian_filter

    n = gaussian_filter(np.random.default_rng(seed).normal(size=shape), BEAM / 2.355)
    return (n / n.std()).astype(np.float32)


def test_a_primary_beam_correction_is_measured_and_divided_out_despite_emission():
    """Noise divided by a primary beam that falls to 1/3 at the corners: the fitted surface varies about 3x, follows
    1 / beam within 15%, and is not pulled up by a bright extended source in one corner; the flattened image has
    the same noise at the centre and in a corner."""
    shape = (480, 480)
    gain = primary_beam(shape, 3.0)
    data = _noise(shape) / gain
    y, x = np.mgrid[: shape[0], : shape[1]]
    data += 30.0 * np.exp(-((x - 400) ** 2 + (y - 90) ** 2) / (2 * 25.0**2))  # emission in one box or two
    coefficients, lowest, variation = noise_surface(data, BEAM)
    assert 2.5 < variation < 3.5
    ratio = evaluate_surface(coefficients, shape) * gain
    assert ratio.max() / ratio.min() < 1.15
    flat, v = flatten(data, BEAM)
    assert v == variation and flat is not data and flat.dtype == np.float32
    centre, edge = flat[180:300, 180:300], flat[10:90, 10:90]
    assert abs(centre.std() / edge.std() - 1) < 0.15
    assert data[10:90, 10:90].std() / data[180:300, 180:300].std() > 1.6  # as it was: twice the noise in a corner


def test_a_bright_extended_halo_is_not_taken_for_noise():
    """A halo of r_e 20 beams at 50 sigma filling the middle of uniform noise: smooth emission is subtracted before
    the noise is measured, so the fitted surface stays nearly flat (without that subtraction its boxes' rms rises
    several times towards the centre)."""
    shape = (480, 480)
    y, x = np.mgrid[: shape[0], : shape[1]]
    halo = 50.0 * np.exp(-np.hypot(x - 240, y - 240) / 60.0)
    _, _, variation = noise_surface(_noise(shape, seed=5) + halo, BEAM)
    assert variation < 1.3


def test_uniform_noise_and_small_images_are_left_as_they_are():
    """Uniform noise varies by less than MIN_VARIATION: the same array comes back (no copy); an image too small for
    enough boxes is not fitted; blank pixels stay blank in a flattened image."""
    data = _noise((480, 480), seed=1)
    before = data.copy()
    same, v = flatten(data, BEAM)
    assert same is data and 1.0 <= v < MIN_VARIATION
    np.testing.assert_array_equal(data, before)  # measured on a copy: the caller's image is never changed
    small, v = flatten(data[:60, :60], BEAM)
    assert small is not None and v == 1.0
    corrected = data / primary_beam(data.shape, 3.0)
    corrected[:20] = np.nan
    flat, v = flatten(corrected, BEAM)
    assert v > MIN_VARIATION and np.isnan(flat[:20]).all() and np.isfinite(flat[20:]).all()
    # too large to copy: measured, returned as it is
    assert flatten(corrected, BEAM, max_pixels=1000)[0] is corrected


def _fits(tmp_path, name, data):
    h = celestial_header(nx=data.shape[1], ny=data.shape[0], scale_arcsec=2.0)
    h["BMAJ"], h["BMIN"], h["BPA"], h["BUNIT"] = 6.0 / 3600, 6.0 / 3600, 0.0, "JY/BEAM"
    return write_fits(tmp_path / name, data * np.float32(1e-4), h)


def test_segment_flattens_a_corrected_pointing_as_its_apparent_image(tmp_path, tiny_classifier, capsys):
    """The classifier's maps of a primary-beam-corrected image come close to those of the uncorrected (apparent)
    image, much closer than with --no-flatten; the header and the output say what was done; an image of uniform
    noise is not flattened."""
    apparent = _noise((480, 480), seed=2)
    apparent[200:280, 200:280] += 2.0  # something for the network to see
    corrected = apparent / primary_beam(apparent.shape, 3.0)
    a, c = _fits(tmp_path, "apparent.fits", apparent), _fits(tmp_path, "corrected.fits", corrected)
    common = ["--model", str(tiny_classifier), "--no-png", "--no-artefact-check"]
    assert main(["segment", str(a), str(c), "-o", str(tmp_path / "flat"), *common]) == 0
    out = capsys.readouterr().out
    assert "noise varies" in out and out.count("noise varies") == 1  # the corrected image only
    assert main(["segment", str(c), "-o", str(tmp_path / "raw"), *common, "--no-flatten"]) == 0
    prob = {k: fits.getdata(tmp_path / d / f"{k}.prob.fits") for k, d in
            (("apparent", "flat"), ("corrected", "flat"))}
    raw = fits.getdata(tmp_path / "raw" / "corrected.prob.fits")
    flattened_gap = np.abs(prob["corrected"] - prob["apparent"]).mean()
    raw_gap = np.abs(raw - prob["apparent"]).mean()
    assert flattened_gap < 0.3 * raw_gap
    header = fits.getheader(tmp_path / "flat" / "corrected.prob.fits")
    assert header["HIERARCH RUNET NOISE_FLATTENING"] == "done" and header["HIERARCH RUNET NOISE_VARIATION"] > 2
    assert fits.getheader(tmp_path / "flat" / "apparent.prob.fits")["HIERARCH RUNET NOISE_FLATTENING"] == "not needed"
    assert fits.getheader(tmp_path / "raw" / "corrected.prob.fits")["HIERARCH RUNET NOISE_FLATTENING"] == "off"


def test_an_absolute_normalisation_is_never_flattened(tmp_path, tiny_model):
    """A model with the paper's absolute (log Jy) normalisation keeps the image's scale: no flattening, and none in
    the outputs' signature."""
    from radio_unet.segment.run import segment_file

    c = _fits(tmp_path, "corrected.fits", _noise((480, 480), seed=3) / primary_beam((480, 480), 3.0))
    result = segment_file(c, tmp_path / "out", model=str(tiny_model), png=False, artefact_check=False)
    assert result["noise_flattening"] == "off"
    assert "flatten" not in fits.getheader(result["prob"])["HIERARCH RUNET SIGNATURE"]


@pytest.mark.parametrize("corner_gain", [1.5, 3.0])
def test_flattening_divides_by_the_fitted_surface_exactly(corner_gain):
    """flatten multiplies by min(surface) / surface: the ratio of output to input is the fitted surface's inverse,
    scaled to 1 where the surface is lowest."""
    data = _noise((480, 480), seed=4) / primary_beam((480, 480), corner_gain)
    coefficients, lowest, _ = noise_surface(data, BEAM)
    flat, _ = flatten(data, BEAM)
    np.testing.assert_allclose(flat / data, lowest / evaluate_surface(coefficients, data.shape), rtol=1e-5)


def test_an_image_without_noise_is_segmented_with_its_unmeasurable_numbers_as_text(tmp_path, tiny_classifier):
    """An image of zeros has no rms: its background level and noise variation are NaN, which a FITS card cannot
    hold; they are written as text and the image is segmented (it was an error from astropy's header code)."""
    from radio_unet.segment.run import segment_file

    result = segment_file(_fits(tmp_path, "zeros.fits", np.zeros((480, 480), np.float32)), tmp_path / "out",
                          model=str(tiny_classifier), png=False)
    header = fits.getheader(result["prob"])
    assert header["HIERARCH RUNET BACKGROUND_SIGMA"] == "nan" and result["noise_flattening"] == "not needed"
    assert header["HIERARCH RUNET NOISE_VARIATION"] == 1.0
