"""Tests of the log normalisation and its unit handling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from radio_unet.data import Normalization, normalize, normalize_image
from radio_unet.errors import RadioUNetError


def test_limits_map_to_zero_and_one():
    """vmin -> 0, vmax -> 1, the log mid-point -> 0.5, values beyond the limits are clipped."""
    x = np.array([1e-10, 1e-5, math.sqrt(1e-10 * 1e-5), 1e-12, 0.0, -1.0, 1.0, 1e-3], np.float64)
    out = normalize(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0, 1, 0.5, 0, 0, 0, 1, 1], atol=1e-6)


def test_formula_inside_range():
    """Inside the limits the value is (log10 x - log10 vmin) / (log10 vmax - log10 vmin)."""
    rng = np.random.default_rng(0)
    x = 10 ** rng.uniform(-9, -4, 100)
    out = normalize(x, vmin=1e-9, vmax=1e-4)
    np.testing.assert_allclose(out, (np.log10(x) + 9) / 5, atol=1e-6)


def test_nan_becomes_zero_with_validity_mask():
    """NaN and inf pixels become 0 and are flagged invalid."""
    x = np.array([[np.nan, 1e-6], [np.inf, -np.inf]], np.float32)
    out, valid = normalize(x, return_valid=True)
    assert out[0, 0] == 0 and out[1, 0] == 0 and out[1, 1] == 0
    assert valid.tolist() == [[False, True], [False, False]]
    assert np.isfinite(out).all()


def test_jy_beam_is_divided_by_the_beam_area():
    """A Jy/beam image is normalised as image / beam_area in Jy/pixel."""
    beam_area = 28.3
    x = np.array([1e-4, 3e-5, 1e-7], np.float32)
    a = normalize_image(x, unit="Jy/beam", beam_area_pixels=beam_area)
    b = normalize(x / beam_area)
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(normalize_image(x, unit="Jy/pixel"), normalize(x), atol=0)
    # limits given in Jy/beam: a Jy/pixel image is multiplied by the beam area
    c = normalize_image(x, unit="Jy/pixel", beam_area_pixels=beam_area, vmin=1e-8, vmax=1e-3, limits_unit="Jy/beam")
    np.testing.assert_allclose(c, normalize(x * beam_area, vmin=1e-8, vmax=1e-3), atol=1e-6)


def test_unit_errors():
    """A Jy/beam image without a beam, an unknown unit or bad limits are user errors."""
    with pytest.raises(RadioUNetError, match="beam"):
        normalize_image(np.ones(3), unit="Jy/beam")
    with pytest.raises(RadioUNetError, match="unit"):
        normalize_image(np.ones(3), unit="mJy")
    with pytest.raises(RadioUNetError, match="vmin"):
        normalize(np.ones(3), vmin=1e-5, vmax=1e-10)
    with pytest.raises(RadioUNetError):
        Normalization(vmin=0.0)


def test_normalization_dataclass():
    """Normalization applies the same as the function and round-trips through a dict."""
    norm = Normalization(vmin=1e-9, vmax=1e-4)
    x = np.array([1e-6, 1e-3], np.float32)
    np.testing.assert_array_equal(norm.apply(x, unit="Jy/beam", beam_area_pixels=10.0), normalize(x / 10.0, vmin=1e-9, vmax=1e-4))
    assert Normalization.from_dict(norm.to_dict()) == norm
    assert Normalization.from_dict(None) == Normalization()
    assert norm.to_dict() == {"vmin": 1e-9, "vmax": 1e-4, "unit": "Jy/pixel", "kind": "log", "box_beams": 40.0,
                              "cap_sigma": 1000.0}
    # cards written before the noise-relative normalisation keep the paper's
    assert Normalization.from_dict({"vmin": 1e-9, "vmax": 1e-4, "unit": "Jy/pixel"}).kind == "log"


def test_snr_normalization_is_noise_relative():
    """The noise-relative normalisation gives the same input whatever the depth and unit of an image: noise of any
    level maps to the same spread around 0, a 5-sigma source to the same value, blanks to 0."""
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((256, 256))
    noise[128, 128] = 5.0
    norm = Normalization(kind="snr")
    a = norm.apply(noise * 50e-6, beam_area_pixels=10.0)
    b = norm.apply(noise * 3e-3, unit="Jy/beam", beam_area_pixels=10.0)  # 60 times deeper, other unit: same input
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert abs(float(np.std(a)) - np.arcsinh(1.0) / np.arcsinh(1000.0)) < 0.03
    assert a[128, 128] == pytest.approx(np.arcsinh(5.0) / np.arcsinh(1000.0), rel=0.05)
    blank = noise.copy()
    blank[:20] = np.nan
    out, valid = norm.apply(blank, return_valid=True)
    assert (out[:20] == 0).all() and not valid[:20].any() and valid[20:].all()


def test_rms_map_follows_the_local_noise():
    """rms_map (photutils Background2D) follows noise that changes across the image; small images get one value."""
    from radio_unet.data.normalize import rms_map

    rng = np.random.default_rng(2)
    x = rng.standard_normal((256, 256))
    x[:, 128:] *= 4.0
    rms = rms_map(x, box=32)
    assert rms[:, :96].mean() == pytest.approx(1.0, rel=0.1) and rms[:, 160:].mean() == pytest.approx(4.0, rel=0.1)
    small = rms_map(rng.standard_normal((40, 40)), box=32)
    assert np.ptp(small) == 0 and small[0, 0] == pytest.approx(1.0, rel=0.25)
    assert np.isnan(rms_map(np.full((16, 16), np.nan), box=8)).all()


def test_each_plane_of_a_batch_is_normalised_by_its_own_rms():
    """A window's or tile's input must not depend on the others in its batch (the paper tiling sends batches of
    tiles); with ``local=False`` (segment's choice, as training tiles) each plane gets one rms, otherwise its map."""
    from radio_unet.data.normalize import normalize_snr

    rng = np.random.default_rng(3)
    x = rng.standard_normal((256, 256))
    x[:, 128:] *= 4.0
    quiet = 0.01 * rng.standard_normal((256, 256))
    local = normalize_snr(np.stack([x, quiet]), box=32)
    assert np.allclose(local[0], normalize_snr(x, box=32))
    assert local[0][:, :96].std() == pytest.approx(local[0][:, 160:].std(), rel=0.15)  # follows the local noise
    one = normalize_snr(np.stack([x, quiet]), box=32, local=False)
    assert np.allclose(one[1], normalize_snr(quiet[None], box=32, local=False)[0])
    assert one[0][:, 160:].std() > 2.5 * one[0][:, :96].std()  # one rms for the whole plane
    assert one[1].std() == pytest.approx(normalize_snr(quiet, box=32).std(), rel=0.05)
    with pytest.raises(RadioUNetError, match="2-D"):
        normalize_snr(np.zeros(5))


def test_segment_divides_each_window_by_one_rms():
    """segment normalises each window with one rms, as training tiles are (docs/model.md, "One rms per window")."""
    from radio_unet.io import Beam, RadioImage
    from radio_unet.io.wcs import make_celestial_wcs
    from radio_unet.segment.engine import image_normalizer

    rng = np.random.default_rng(4)
    x = rng.standard_normal((512, 512)).astype(np.float32)
    x[:, 256:] *= 4.0
    wcs = make_celestial_wcs(x.shape, pixel_scale_arcsec=2.0, ra_deg=180.0, dec_deg=50.0)
    image = RadioImage(data=x, wcs=wcs, beam=Beam(6.0, 6.0, 0.0), unit="Jy/beam")
    out = image_normalizer(image, Normalization(kind="snr"))(x[None])[0]
    assert out[:, 300:].std() > 2.5 * out[:, :200].std()


@pytest.mark.parametrize("size, uses_photutils", [(100, False), (300, True)])
def test_photutils_is_imported_only_for_an_rms_map_of_boxes(size, uses_photutils):
    """An image smaller than two rms boxes gets one global rms without importing photutils (a third of a small
    image's segment run); a larger one gets photutils' Background2D map."""
    import subprocess
    import sys

    code = ("import sys, numpy as np; from radio_unet.data.normalize import rms_map; "
            f"m = rms_map(np.random.default_rng(0).normal(0, 1, ({size}, {size})), box=128); "
            "print('photutils' in sys.modules, float(m.std()) > 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [str(uses_photutils), str(uses_photutils)]
