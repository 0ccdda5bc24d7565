"""Tests of the noise statistics (source mask, power spectrum, histogram) on synthetic noise."""

import numpy as np
import pytest
from scipy import ndimage

from radio_unet.evaluate.noise_stats import (
    GAUSS_TAIL_3,
    histogram_stats,
    masked_residual,
    radial_power_spectrum,
    source_mask,
    spectrum_ratio,
)

PIX, BEAM = 1.5, 6.0  # arcsec: 4 px per beam, like LoTSS-DR1 cut-outs
BEAM_PIX = BEAM / PIX


def _mean_spectrum(make, n=8, size=256, nbins=8, taper=0.2):
    """Spectrum averaged over ``n`` realisations of ``make(rng, size)``, through masked_residual."""
    rng = np.random.default_rng(42)
    spectra = []
    for _ in range(n):
        residual, kept = masked_residual(make(rng, size), None, taper=taper)
        spectra.append(radial_power_spectrum(residual, pixel_scale_arcsec=PIX, beam_fwhm_arcsec=BEAM, nbins=nbins,
                                             kept_fraction=kept))
    return spectra[0], np.mean([s.power for s in spectra], axis=0)


def test_white_noise_has_a_flat_spectrum():
    """Independent pixels: equal power on every scale from 1 beam to the image size (within 20%)."""
    spec, power = _mean_spectrum(lambda rng, n: rng.normal(size=(n, n)))
    assert spec.scale_beams[0] > 1 and spec.edges_beams[-1] == pytest.approx(256 / BEAM_PIX)
    assert np.all(spec.n_modes > 0)
    assert power.max() / power.min() < 1.2
    # normalised by the variance, white noise has the density 1 / (Fourier plane area) = 1 / beam_pix^2
    assert np.median(power) == pytest.approx(1 / BEAM_PIX**2, rel=0.1)


def test_smoothed_noise_has_a_falling_spectrum():
    """Noise convolved with the beam loses its power on the scale of the beam: the spectrum rises with scale."""
    sigma = BEAM_PIX / np.sqrt(8 * np.log(2))
    spec, power = _mean_spectrum(lambda rng, n: ndimage.gaussian_filter(rng.normal(size=(n, n)), sigma, mode="wrap"))
    assert power[0] < 0.05 * power[-1]  # at 1-1.6 beams, far down the Gaussian
    assert np.all(np.diff(power[:5]) > 0)  # falls towards small scales
    # expected: the Gaussian transfer function squared, exp(-4 (pi sigma k)^2), at the bin centres (k = 1/scale)
    k_pix = 1 / (spec.scale_beams * BEAM_PIX)
    expected = np.exp(-4 * (np.pi * sigma * k_pix) ** 2)
    np.testing.assert_allclose(power[2:] / power[-1], expected[2:] / expected[-1], rtol=0.2)


def test_normalisation_sums_to_the_variance():
    """Power density times mode count times mode area adds up to the variance (Parseval), whatever the grid."""
    rng = np.random.default_rng(3)
    image = ndimage.gaussian_filter(rng.normal(size=(96, 128)), 1.5) * 7.0
    image -= image.mean()
    everything = np.array([0.5, 1.0, 10.0, 1000.0])  # every scale: 1/|k| from 0.71 px (the corner) to 128 px
    spec = radial_power_spectrum(image, pixel_scale_arcsec=2.0, beam_fwhm_arcsec=2.0, edges_beams=everything, rms=1.0)
    assert spec.n_modes.sum() == image.size - 1  # every mode but the mean
    assert np.nansum(spec.power * spec.n_modes) * spec.mode_area == pytest.approx(image.var(), rel=1e-9)
    assert spec.variance == pytest.approx(1.0)
    shape = radial_power_spectrum(image, pixel_scale_arcsec=2.0, beam_fwhm_arcsec=2.0, edges_beams=everything)
    assert shape.variance == pytest.approx(image.var(), rel=1e-9)
    assert np.nansum(shape.power * shape.n_modes) * shape.mode_area == pytest.approx(1.0, rel=1e-9)


def test_kept_fraction_corrects_the_power_of_a_masked_field():
    """Masking a quarter of white noise and apodising it leaves the corrected power level unchanged."""
    rng = np.random.default_rng(5)
    image = rng.normal(0, 2.0, (256, 256))
    mask = np.zeros(image.shape, bool)
    mask[40:100, 40:100] = True
    mask[150:200, 10:250] = True
    full = radial_power_spectrum(image - image.mean(), pixel_scale_arcsec=PIX, beam_fwhm_arcsec=BEAM, nbins=6, rms=2.0)
    residual, kept = masked_residual(image, mask)
    assert 0.2 < kept < 0.8
    part = radial_power_spectrum(residual, pixel_scale_arcsec=PIX, beam_fwhm_arcsec=BEAM, nbins=6, kept_fraction=kept,
                                 rms=2.0)
    np.testing.assert_allclose(part.power[:4], full.power[:4], rtol=0.1)


def test_mask_finds_an_injected_source_and_little_in_noise():
    """A 10-sigma beam-sized source is masked with its wings; pure noise at 5 sigma is (almost) clean."""
    rng = np.random.default_rng(7)
    sigma = BEAM_PIX / np.sqrt(8 * np.log(2))
    noise = ndimage.gaussian_filter(rng.normal(size=(256, 256)), sigma)
    noise /= noise.std()
    y, x = np.mgrid[:256, :256]
    source = 10.0 * np.exp(-((x - 100) ** 2 + (y - 150) ** 2) / (2 * sigma**2))
    mask = source_mask(noise + source, 1.0, nsigma=5, grow_beams=1.5, beam_pix=BEAM_PIX)
    assert mask[150, 100]
    assert mask[150, 100 + int(1.5 * BEAM_PIX)]  # grown by 1.5 beams
    labels, n = ndimage.label(mask)
    assert n == 1
    assert mask.sum() < 400  # about pi * (0.7 + 1.5)^2 beams = 240 px, not the image

    false = []
    for _ in range(5):
        field = ndimage.gaussian_filter(rng.normal(size=(256, 256)), sigma)
        field /= field.std()
        false.append(source_mask(field, 1.0, nsigma=5, beam_pix=BEAM_PIX).mean())
    assert np.mean(false) < 1e-3  # a rare 5-sigma peak at most
    assert not source_mask(np.zeros((32, 32)), 1.0, beam_pix=BEAM_PIX).any()


def test_two_sided_mask_catches_negative_artefacts():
    """Negative islands are masked only when asked."""
    image = np.zeros((64, 64))
    image[30:33, 30:33] = -8.0
    assert not source_mask(image, 1.0, beam_pix=2.0).any()
    assert source_mask(image, 1.0, beam_pix=2.0, two_sided=True)[31, 31]


def test_histogram_tails_of_gaussian_noise():
    """Gaussian noise: 0.27% beyond 3 sigma, nothing beyond 5, no skewness, robust rms = rms."""
    rng = np.random.default_rng(11)
    values = rng.normal(0, 3e-4, 1_000_000)
    h = histogram_stats(values, 3e-4)
    assert h["frac_beyond_3"] == pytest.approx(GAUSS_TAIL_3, rel=0.1)
    assert h["frac_above_3"] == pytest.approx(GAUSS_TAIL_3 / 2, rel=0.15)
    assert h["frac_beyond_5"] < 1e-5
    assert abs(h["skewness"]) < 0.02 and abs(h["excess_kurtosis"]) < 0.05
    assert h["robust_rms"] == pytest.approx(3e-4, rel=0.01)
    assert h["clipped_rms"] == pytest.approx(3e-4, rel=0.02)
    assert np.sum(h["density"] * np.diff(h["edges"])) == pytest.approx(1.0, abs=1e-4)


def test_histogram_sees_a_positive_tail_and_honours_the_mask():
    """Added sources make a positive tail and skewness; masking them removes both."""
    rng = np.random.default_rng(12)
    image = rng.normal(size=(300, 300))
    image[:10, :] += 20.0
    h = histogram_stats(image, 1.0)
    assert h["frac_above_5"] > 0.03 and h["skewness"] > 1
    mask = np.zeros(image.shape, bool)
    mask[:10, :] = True
    clean = histogram_stats(image, 1.0, mask=mask)
    assert clean["n_pixels"] == 290 * 300
    assert clean["frac_above_5"] == 0 and abs(clean["skewness"]) < 0.05


def test_spectrum_ratio_factor_two():
    """Ratios within [1/2, 2] pass; missing bins fail."""
    ratio, ok = spectrum_ratio(np.array([1.0, 2.0, 4.0, 0.4, np.nan, 1.0]), np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.0]))
    np.testing.assert_allclose(ratio[:4], [1.0, 2.0, 4.0, 0.4])
    assert np.isnan(ratio[4]) and np.isnan(ratio[5])
    assert ok.tolist() == [True, True, False, False, False, False]
    with pytest.raises(ValueError):
        spectrum_ratio(np.ones(3), np.ones(4))
