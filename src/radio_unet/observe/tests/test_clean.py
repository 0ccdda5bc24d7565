"""The Clark/Hogbom CLEAN with auto-mask and major cycles."""

from __future__ import annotations

import numpy as np
import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.observe import CleanConfig, clean, convolve_psf


def _case(small_instrument, fluxes, positions, noise=1e-4, seed=0):
    sky = np.zeros(small_instrument.shape, np.float32)
    for (y, x), f in zip(positions, fluxes):
        sky[y, x] = f
    tf = small_instrument.psf_fft()
    rng = np.random.default_rng(seed)
    from radio_unet.observe import shaped_noise

    dirty = convolve_psf(sky, tf) + shaped_noise(small_instrument.noise_kernel, rms=noise, rng=rng)
    return sky, dirty, (lambda model: dirty - convolve_psf(model, tf))


def test_clean_recovers_point_sources(small_instrument):
    """Components land on the sources with their fluxes; residual ends at the auto-threshold."""
    pos, flux = [(50, 60), (180, 200), (128, 30)], [0.1, 0.02, 0.005]
    sky, dirty, fn = _case(small_instrument, flux, pos)
    res = clean(dirty, small_instrument.psf, residual_fn=fn, config=CleanConfig())
    assert res.stop_reason == "threshold"
    for p, f in zip(pos, flux):
        y, x = p
        assert res.model[y - 2 : y + 3, x - 2 : x + 3].sum() == pytest.approx(f, abs=5e-4)  # noise + threshold
    sigma = res.sigma[-1]
    assert sigma == pytest.approx(1e-4, rel=0.1)
    mask = res.model != 0
    assert np.abs(res.residual[mask]).max() <= 2.0 * sigma * 1.05
    assert res.n_major >= 2 and res.n_iter > 0


def test_iteration_and_major_cycle_caps(small_instrument):
    """max_iter and max_major stop CLEAN early (deliberately imperfect)."""
    _, dirty, fn = _case(small_instrument, [0.5], [(128, 128)])
    res = clean(dirty, small_instrument.psf, residual_fn=fn, config=CleanConfig(max_iter=10))
    assert res.n_iter == 10 and res.stop_reason == "max_iter"
    res = clean(dirty, small_instrument.psf, residual_fn=fn, config=CleanConfig(max_major=1))
    assert res.n_major == 1 and res.stop_reason == "max_major"


def test_noise_only_cleans_nothing(small_instrument):
    """Pure noise rarely exceeds 5 sigma: (almost) nothing is cleaned."""
    _, dirty, fn = _case(small_instrument, [], [], seed=3)
    res = clean(dirty, small_instrument.psf, residual_fn=fn)
    assert np.count_nonzero(res.model) <= 3


@pytest.mark.parametrize(
    "kwargs",
    [{"gain": 0.0}, {"gain": 1.5}, {"mgain": 0.0}, {"auto_threshold": -1.0}, {"auto_mask": 1.0, "auto_threshold": 2.0},
     {"max_iter": -1}, {"max_major": 0}, {"psf_patch": 0}, {"max_major": 2.5}, {"auto_mask": "5"}, {"gain": float("nan")}, {"allow_negative": 1}],
)
def test_invalid_clean_config(kwargs):
    """Invalid CLEAN parameters raise RadioUNetError."""
    with pytest.raises(RadioUNetError):
        CleanConfig(**kwargs)


def test_fixed_sigma_sets_the_thresholds(small_instrument):
    """With ``sigma`` given, CLEAN's thresholds are that noise, not the residual's MAD: a noise-free source is
    cleaned down to auto_threshold * sigma and no further; a sigma above the source cleans nothing."""
    sky, dirty, fn = _case(small_instrument, [0.01], [(128, 128)], noise=0.0)
    res = clean(dirty, small_instrument.psf, residual_fn=fn, config=CleanConfig(sigma=1e-4))
    assert res.stop_reason == "threshold" and set(res.sigma) == {1e-4}
    assert 2e-4 * 0.5 < np.abs(res.residual[res.model != 0]).max() <= 2e-4 * 1.05
    assert res.model.sum() == pytest.approx(0.01, rel=0.05)
    res = clean(dirty, small_instrument.psf, residual_fn=fn, config=CleanConfig(sigma=0.01))
    assert res.stop_reason == "nothing to clean" and not res.model.any()
    with pytest.raises(RadioUNetError, match="sigma"):
        CleanConfig(sigma=0.0)
