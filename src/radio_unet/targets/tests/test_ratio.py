"""Tests of the detection ratio R: the circle, coverage at edges, blanks, radius and area through cosmology."""

from __future__ import annotations

import math

import numpy as np
import pytest

from radio_unet.io import make_celestial_wcs
from radio_unet.targets.ratio import (
    circle_mask,
    detection_ratio,
    measure_target,
    pixel_area_kpc2,
    radius_pixels,
)
from radio_unet.cosmology import kpc_per_arcsec


def _brute_circle(shape, x0, y0, r):
    y, x = np.mgrid[: shape[0], : shape[1]]
    return (x - x0) ** 2 + (y - y0) ** 2 <= r * r


def test_circle_mask_matches_brute_force():
    """The row-span circle equals the pixel-centre distance test, also when cut by the edges."""
    for x0, y0, r in [(20.3, 15.7, 6.4), (0.2, 1.1, 5.0), (39.5, 29.5, 12.0), (-3.0, 10.0, 4.5)]:
        np.testing.assert_array_equal(circle_mask((30, 40), (x0, y0), r), _brute_circle((30, 40), x0, y0, r))


def test_ratio_by_hand_on_a_small_map():
    """A 3x3 block of p=1 inside a radius-2 circle (13 pixels): R = 9/13, 9 above 0.5, max 1."""
    p = np.zeros((11, 11))
    p[4:7, 4:7] = 1.0
    out = detection_ratio(p, center_xy=(5, 5), radius_pix=2.0)
    assert out["npix_circle"] == 13 and out["npix"] == 13 and out["coverage"] == 1.0
    assert out["R"] == pytest.approx(9 / 13)
    assert out["npix_above"] == 9 and out["max_p"] == 1.0


def test_coverage_at_the_edge_and_blanks():
    """Pixels outside the map or NaN do not count: R is the mean over the valid ones, coverage their fraction."""
    p = np.full((40, 40), 0.2)
    full = detection_ratio(p, center_xy=(20.0, 20.0), radius_pix=8.0)
    assert full["coverage"] == 1.0 and full["R"] == pytest.approx(0.2)
    edge = detection_ratio(p, center_xy=(0.0, 20.0), radius_pix=8.0)  # centre on the first column: a bit over half
    expected = _brute_circle((40, 40), 0.0, 20.0, 8.0).sum() / full["npix_circle"]
    assert edge["coverage"] == pytest.approx(expected) and 0.5 < edge["coverage"] < 0.6
    assert edge["R"] == pytest.approx(0.2)
    blank = p.copy()
    blank[:20] = np.nan  # lower half blank: the centre row stays
    b = detection_ratio(blank, center_xy=(20.0, 20.0), radius_pix=8.0)
    assert b["R"] == pytest.approx(0.2)
    assert b["npix"] == _brute_circle((40, 40), 20, 20, 8)[20:].sum()
    valid = np.ones((40, 40), bool)
    valid[:, :20] = False  # an extra validity mask (e.g. image blanks) also removes pixels
    v = detection_ratio(p, center_xy=(20.0, 20.0), radius_pix=8.0, valid=valid)
    assert v["npix"] == _brute_circle((40, 40), 20, 20, 8)[:, 20:].sum()
    off = detection_ratio(p, center_xy=(100.0, 100.0), radius_pix=8.0)
    assert off["coverage"] == 0.0 and math.isnan(off["R"]) and math.isnan(off["max_p"]) and off["npix"] == 0


def test_threshold_is_strict():
    """npix_above counts p > threshold, not p == threshold."""
    p = np.full((9, 9), 0.5)
    p[4, 4] = 0.51
    assert detection_ratio(p, center_xy=(4, 4), radius_pix=3)["npix_above"] == 1


def test_radius_and_area_follow_the_cosmology():
    """2.2 R500 of 1 Mpc at z=0.1 in 1.5" pixels; pixel area = (scale * kpc/arcsec)^2."""
    scale = kpc_per_arcsec(0.1)
    assert radius_pixels(1.0, 0.1, pixel_scale_arcsec=1.5) == pytest.approx(2200 / scale / 1.5)
    assert pixel_area_kpc2(0.1, pixel_scales_arcsec=1.5) == pytest.approx((1.5 * scale) ** 2)


def test_measure_target_on_a_wcs():
    """measure_target finds the target's pixel through the WCS and reports area in kpc^2."""
    wcs = make_celestial_wcs((60, 80), pixel_scale_arcsec=6.0, ra_deg=150.0, dec_deg=50.0)
    p = np.zeros((60, 80), np.float32)
    p[25:35, 45:55] = 0.9
    ra, dec = wcs.pixel_to_world_values(49.6, 29.8)
    z = 0.2
    r500 = 10.0 * 6.0 / 2.2 * kpc_per_arcsec(z) / 1000  # 2.2 R500 = 10 px
    m = measure_target(p, wcs, ra=float(ra), dec=float(dec), z=z, r500_mpc=r500)
    assert m["x"] == pytest.approx(49.6) and m["y"] == pytest.approx(29.8)
    assert m["radius_pix"] == pytest.approx(10.0, rel=1e-6)
    circle = _brute_circle((60, 80), 49.6, 29.8, 10.0)
    assert m["R"] == pytest.approx(p[circle].sum() / circle.sum(), rel=1e-6)
    assert m["npix_above"] == 100
    assert m["area_kpc2"] == pytest.approx(100 * (6.0 * kpc_per_arcsec(z)) ** 2, rel=1e-6)
