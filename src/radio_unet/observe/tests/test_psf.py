"""Gaussian beams: fitting conventions, kernels, restoring flux."""

from __future__ import annotations

import numpy as np
import pytest

from radio_unet.io.beam import Beam
from radio_unet.observe import fit_beam, fit_gaussian, gaussian_image, restore


@pytest.mark.parametrize("pa", [-60.0, 0.0, 30.0, 89.0])
def test_fit_beam_recovers_gaussian(pa):
    """A sampled elliptical Gaussian is fitted back exactly (axes, PA)."""
    beam = Beam(9.0, 5.0, pa)
    img = gaussian_image((65, 65), beam=beam, pixel_scale_arcsec=1.5)
    fit = fit_beam(img, pixel_scale_arcsec=1.5)
    assert fit.major == pytest.approx(9.0, rel=1e-4)
    assert fit.minor == pytest.approx(5.0, rel=1e-4)
    assert (fit.pa - pa + 90) % 180 - 90 == pytest.approx(0.0, abs=0.05)


def test_position_angle_is_east_of_north():
    """PA 0 is elongated along +y (north); PA +45 points north-east (x decreasing)."""
    g0 = gaussian_image((41, 41), beam=Beam(8, 4, 0), pixel_scale_arcsec=1.0)
    assert g0[30, 20] > g0[20, 30]
    g45 = gaussian_image((41, 41), beam=Beam(8, 4, 45), pixel_scale_arcsec=1.0)
    assert g45[25, 15] > 100 * g45[25, 25]


def test_fit_gaussian_free_parameters():
    """Amplitude, sub-pixel centre and shape of an offset Gaussian."""
    beam = Beam(7.0, 4.5, 20.0)
    img = gaussian_image((60, 70), beam=beam, pixel_scale_arcsec=2.0, center=(31.3, 40.6), amplitude=0.37)
    fit, amp, (y, x) = fit_gaussian(img, pixel_scale_arcsec=2.0)
    assert amp == pytest.approx(0.37, rel=1e-4)
    assert (y, x) == pytest.approx((31.3, 40.6), abs=1e-3)
    assert fit.major == pytest.approx(7.0, rel=1e-3) and fit.minor == pytest.approx(4.5, rel=1e-3)


def test_restore_preserves_flux():
    """Restored components integrate to their flux (sum / beam area in pixels)."""
    model = np.zeros((64, 64), np.float32)
    model[30, 31] = 0.2
    model[10, 50] = -0.05
    beam = Beam(6.0, 4.0, 30.0)
    out = restore(model, beam, pixel_scale_arcsec=2.0)
    assert out.dtype == np.float32
    assert out[30, 31] == pytest.approx(0.2, rel=1e-5)
    assert out[:22, 40:].sum() / beam.area_pixels(2.0) == pytest.approx(-0.05, rel=1e-4)
    assert out[22:, :].sum() / beam.area_pixels(2.0) == pytest.approx(0.2, rel=1e-4)
