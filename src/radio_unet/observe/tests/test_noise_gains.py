"""Noise shaping and gain-error statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.observe import GainErrors, draw_gains, image_visibilities, shaped_noise, visibility_sigma
from radio_unet.observe.noise import visibility_noise


def test_visibility_sigma_gives_requested_image_rms(small_instrument):
    """Visibility noise of visibility_sigma() images to the requested rms."""
    sigma = visibility_sigma(small_instrument.weights, image_rms=2e-4)
    vis = visibility_noise(small_instrument.weights.shape, sigma=sigma, rng=np.random.default_rng(0))
    img = image_visibilities(vis, small_instrument)
    assert img.std() == pytest.approx(2e-4, rel=0.05)


def test_shaped_noise_rms(small_instrument):
    """Image-plane shaped noise has the requested rms and zero mean."""
    img = shaped_noise(small_instrument.noise_kernel, rms=3e-4, rng=np.random.default_rng(1))
    assert img.dtype == np.float32 and img.shape == small_instrument.shape
    assert img.std() == pytest.approx(3e-4, rel=0.05)
    assert abs(img.mean()) < 3e-5


def test_gain_statistics():
    """Gains have the requested phase/amplitude rms, drift smoothly and scale as 1/nu."""
    errors = GainErrors(phase_rms_deg=5.0, amplitude_rms=0.03, timescale_s=600.0)
    freqs = np.array([120e6, 150e6, 180e6])
    g = draw_gains(errors, n_stations=400, n_times=300, time_step_s=60.0, freqs_hz=freqs, rng=np.random.default_rng(0))
    assert g.shape == (300, 400, 3) and g.dtype == np.complex64
    phase = np.angle(g[:, :, 1])
    assert np.degrees(phase.std()) == pytest.approx(5.0, rel=0.1)
    assert np.log(np.abs(g[:, :, 1])).std() == pytest.approx(0.03, rel=0.1)
    lag1 = np.corrcoef(phase[1:].ravel(), phase[:-1].ravel())[0, 1]
    assert lag1 > 0.9  # smooth on a 10-minute scale with 1-minute steps
    assert np.allclose(np.angle(g[:, :, 0]), phase * 150 / 120, atol=1e-5)
    flat = draw_gains(GainErrors(ionospheric=False), n_stations=3, n_times=5, time_step_s=60.0, freqs_hz=freqs,
                      rng=np.random.default_rng(0))
    assert np.allclose(flat[..., 0], flat[..., 2])


@pytest.mark.parametrize("kwargs", [{"phase_rms_deg": -1.0}, {"amplitude_rms": float("nan")}, {"n_realisations": 0},
                                    {"timescale_s": "long"}, {"bank_seed": 1.5}, {"ref_freq_hz": 0.0}])
def test_invalid_gain_errors(kwargs):
    """Invalid gain-error parameters raise RadioUNetError."""
    with pytest.raises(RadioUNetError):
        GainErrors(**kwargs)


def test_visibility_sigma_rejects_zero_weights():
    """All-zero weights cannot make an image."""
    with pytest.raises(RadioUNetError):
        visibility_sigma(np.zeros((3, 2)))
    assert math.isfinite(visibility_sigma(np.ones((3, 2))))
