"""Tests of Gaussian random fields and log-normal fields."""

import numpy as np
import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.sky.fields import gaussian_random_field, lognormal_field, upsample_field


def _radial_power(field):
    p = np.abs(np.fft.fft2(field)) ** 2
    ky = np.fft.fftfreq(field.shape[0])[:, None]
    kx = np.fft.fftfreq(field.shape[1])[None, :]
    k = np.hypot(kx, ky).ravel()
    bins = np.logspace(np.log10(0.02), np.log10(0.3), 12)
    idx = np.digitize(k, bins)
    kc, pc = [], []
    for i in range(1, len(bins)):
        sel = idx == i
        kc.append(k[sel].mean())
        pc.append(p.ravel()[sel].mean())
    return np.array(kc), np.array(pc)


def test_grf_is_normalised_and_reproducible():
    """Same seed -> identical field; zero mean, unit variance; other seeds differ."""
    a = gaussian_random_field((128, 96), slope=-3.0, rng=np.random.default_rng(3))
    b = gaussian_random_field((128, 96), slope=-3.0, rng=np.random.default_rng(3))
    c = gaussian_random_field((128, 96), slope=-3.0, rng=np.random.default_rng(4))
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    assert abs(a.mean()) < 1e-12 and a.std() == pytest.approx(1.0)


@pytest.mark.parametrize("slope", [-2.0, -11.0 / 3.0])
def test_grf_power_spectrum_slope(slope):
    """The radially averaged power spectrum falls as k^slope (fit within 0.25)."""
    f = gaussian_random_field((256, 256), slope=slope, rng=np.random.default_rng(0), outer_scale=1e6)
    k, p = _radial_power(f)
    fit = np.polyfit(np.log(k), np.log(p), 1)[0]
    assert fit == pytest.approx(slope, abs=0.25)


def test_lognormal_field_positive_with_unit_mean():
    """exp(sigma g - sigma^2/2) is positive with mean ~1 and log-std sigma."""
    f = lognormal_field((256, 256), sigma=0.5, slope=-2.0, rng=np.random.default_rng(1), outer_scale=8)
    assert f.min() > 0
    assert f.mean() == pytest.approx(1.0, abs=0.05)
    assert np.log(f).std() == pytest.approx(0.5, rel=1e-6)


def test_anisotropic_field_is_elongated_along_x():
    """aspect > 1 makes structures longer along x: neighbouring columns correlate more than rows."""
    f = gaussian_random_field((256, 256), slope=-3.0, rng=np.random.default_rng(2), outer_scale=20, aspect=8.0)
    corr_x = np.mean(f[:, 1:] * f[:, :-1])
    corr_y = np.mean(f[1:, :] * f[:-1, :])
    assert corr_x > corr_y + 0.05


def test_upsample_preserves_mean_and_range():
    """Bilinear upsampling keeps values within the coarse range and the mean close."""
    coarse = np.random.default_rng(0).random((16, 20))
    fine = upsample_field(coarse, (64, 80))
    assert fine.shape == (64, 80)
    assert coarse.min() - 1e-12 <= fine.min() and fine.max() <= coarse.max() + 1e-12
    assert fine.mean() == pytest.approx(coarse.mean(), abs=0.02)


def test_invalid_field_parameters_raise():
    """Bad shapes and scales raise RadioUNetError."""
    rng = np.random.default_rng(0)
    with pytest.raises(RadioUNetError):
        gaussian_random_field((0, 10), slope=-3, rng=rng)
    with pytest.raises(RadioUNetError):
        gaussian_random_field((10, 10), slope=-3, rng=rng, outer_scale=-1)
    with pytest.raises(RadioUNetError):
        lognormal_field((10, 10), sigma=-1, slope=-3, rng=rng)
