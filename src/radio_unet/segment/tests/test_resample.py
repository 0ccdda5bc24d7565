"""Tests of resolution matching: the exact affine fast path against reproject, and the fallback."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.wcs import WCS

from radio_unet.io import make_celestial_wcs
from radio_unet.segment.resample import axis_affine_map, regrid, scaled_wcs


def _offset_grid(shape=(150, 130)):
    """A cut-out-like grid whose reference point (a mosaic centre) lies far outside it."""
    wcs = make_celestial_wcs((4000, 4000), pixel_scale_arcsec=1.5, ra_deg=210.0, dec_deg=54.0)
    wcs.wcs.crpix = wcs.wcs.crpix - np.array([2500.0, -1800.0])
    return wcs, shape


def _smooth_image(shape, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: shape[0], : shape[1]]
    data = np.sin(x / 7.0) * np.cos(y / 11.0) + 0.1 * rng.normal(size=shape)
    data = data.astype(np.float32)
    data[10:14, 20:30] = np.nan
    return data


@pytest.mark.parametrize("factor", [1.333, 0.6])
def test_scaled_grid_is_an_exact_axis_affine_map_and_keeps_the_sky(factor):
    """The scaled WCS maps pixels affinely onto the input and keeps the centre's sky position."""
    wcs, shape = _offset_grid()
    new, new_shape = scaled_wcs(wcs, shape, factor)
    maps = axis_affine_map(wcs, shape, new, new_shape, tolerance=1e-6)
    assert maps is not None
    for (scale, offset), n, m in zip(maps, shape, new_shape):
        assert scale == pytest.approx(factor, rel=1e-9)
        assert offset == pytest.approx((n - 1) / 2 - factor * (m - 1) / 2, abs=1e-6)
    centre_old = wcs.pixel_to_world((shape[1] - 1) / 2, (shape[0] - 1) / 2)
    centre_new = new.pixel_to_world((new_shape[1] - 1) / 2, (new_shape[0] - 1) / 2)
    assert centre_old.separation(centre_new).arcsec < 1e-6
    assert np.sqrt(abs(np.linalg.det(new.pixel_scale_matrix))) * 3600 == pytest.approx(1.5 * factor, rel=1e-9)


@pytest.mark.parametrize("factor", [1.333, 0.6])
def test_fast_regrid_agrees_with_reproject(factor):
    """Both directions of the fast path equal reproject_interp (bilinear) to float32 rounding, blanks included."""
    from reproject import reproject_interp

    wcs, shape = _offset_grid()
    data = _smooth_image(shape)
    new, new_shape = scaled_wcs(wcs, shape, factor)
    for src, src_wcs, dst_wcs, dst_shape in ((data, wcs, new, new_shape), (None, new, wcs, shape)):
        if src is None:
            src = regrid(data, wcs, new, new_shape)
            src = np.nan_to_num(src)
        fast = regrid(src, src_wcs, dst_wcs, dst_shape)
        slow, _ = reproject_interp((src, src_wcs), dst_wcs, shape_out=dst_shape, order="bilinear")
        assert fast.shape == slow.shape == tuple(dst_shape)
        np.testing.assert_array_equal(np.isnan(fast), np.isnan(slow))
        ok = np.isfinite(fast)
        assert ok.mean() > 0.9
        assert np.max(np.abs(fast[ok] - slow[ok])) < 1e-4


def test_rotated_grid_falls_back_to_reproject():
    """A rotated target grid is not axis-affine: regrid reprojects (and still returns the right values)."""
    shape = (60, 60)
    wcs = make_celestial_wcs(shape, pixel_scale_arcsec=1.5, ra_deg=210.0, dec_deg=54.0)
    rotated = wcs.deepcopy()
    angle = np.deg2rad(30.0)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    rotated.wcs.pc = rot @ (wcs.wcs.get_pc())
    assert axis_affine_map(wcs, shape, rotated, shape) is None
    y, x = np.mgrid[:60, :60]
    data = (x + 2 * y).astype(np.float32)
    out = regrid(data, wcs, rotated, shape)
    # a linear function is reproduced exactly by bilinear interpolation where the output lands inside
    px, py = wcs.world_to_pixel(rotated.pixel_to_world(x, y))
    ok = np.isfinite(out) & (px >= 0) & (px <= 59) & (py >= 0) & (py <= 59)
    assert ok.sum() > 1000
    np.testing.assert_allclose(out[ok], (px + 2 * py)[ok], atol=1e-3)


def test_incompatible_frames_have_no_affine_map():
    """A galactic grid against an equatorial one is not treated as affine."""
    wcs, shape = _offset_grid((40, 40))
    gal = WCS(naxis=2)
    gal.wcs.ctype = ["GLON-TAN", "GLAT-TAN"]
    gal.wcs.crval = [100.0, 60.0]
    gal.wcs.cdelt = [-1.5 / 3600, 1.5 / 3600]
    gal.wcs.crpix = [20, 20]
    assert axis_affine_map(wcs, shape, gal, shape) is None


def test_a_beam_far_below_a_pixel_is_refused_with_the_header_named():
    """A BMAJ written in arcsec where FITS wants degrees would ask for a grid of 10^13 pixels: refuse it clearly."""
    from radio_unet.errors import RadioUNetError
    from radio_unet.io import Beam, RadioImage
    from radio_unet.segment.resample import match_resolution

    wcs = make_celestial_wcs((64, 64), pixel_scale_arcsec=2.0, ra_deg=150.0, dec_deg=50.0)
    image = RadioImage(np.zeros((64, 64), np.float32), wcs, beam=Beam(6.0 / 3600, 6.0 / 3600), unit="Jy/beam")
    with pytest.raises(RadioUNetError, match="BMAJ/BMIN"):
        match_resolution(image, model_pixel_scale=2.0, model_beam=6.0)
    ok = RadioImage(np.zeros((64, 64), np.float32), wcs, beam=Beam(6.0, 6.0), unit="Jy/beam")
    assert match_resolution(ok, model_pixel_scale=2.0, model_beam=6.0)[1] == 1.0
