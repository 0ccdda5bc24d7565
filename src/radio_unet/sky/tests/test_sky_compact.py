"""Tests of the source-count model, flux draws, catalogues and Gaussian splatting."""

import numpy as np
import pytest
from scipy.integrate import quad

from radio_unet.errors import RadioUNetError
from radio_unet.sky import (
    Blobs,
    BrokenPowerLawCounts,
    PolynomialCounts,
    catalogue_blobs,
    compact_catalogue,
    draw_fluxes,
    expected_number,
    render_blobs,
    source_counts_dnds,
)


def test_default_counts_match_franzen_polynomial():
    """At 1 Jy the Euclidean-normalised counts are 10**a0 = 10**3.52 Jy^1.5/sr; ~770 per deg^2 above 0.5 mJy."""
    assert source_counts_dnds(1.0) == pytest.approx(10**3.52, rel=1e-12)
    x = np.log10(2e-3)
    poly = 3.52 + 0.307 * x - 0.388 * x**2 - 0.0404 * x**3 + 0.0351 * x**4 + 0.006 * x**5
    assert source_counts_dnds(2e-3) * 2e-3**2.5 == pytest.approx(10**poly, rel=1e-12)
    per_deg2 = expected_number(5e-4, 100.0, area_sr=(np.pi / 180) ** 2)
    assert 600 < per_deg2 < 950


def test_expected_number_matches_quadrature():
    """The log-grid integral of dN/dS agrees with scipy quad to 1e-5."""
    model = PolynomialCounts()
    ref = quad(lambda lns: model.dnds(np.exp(lns)) * np.exp(lns), np.log(1e-4), np.log(1e-1), limit=200)[0]
    assert expected_number(1e-4, 1e-1) == pytest.approx(ref, rel=1e-5)


def test_drawn_counts_follow_the_model_in_flux_bins():
    """Histogram of drawn fluxes agrees with the model integral per bin within Poisson errors."""
    rng = np.random.default_rng(42)
    area = 1.2e-3  # sr: ~27,000 sources above 0.1 mJy
    s = draw_fluxes(rng, s_min=1e-4, s_max=10.0, area_sr=area)
    edges = np.logspace(-4, 1, 11)
    obs, _ = np.histogram(s, edges)
    exp = np.array([expected_number(a, b, area_sr=area) for a, b in zip(edges[:-1], edges[1:])])
    assert abs(obs.sum() - exp.sum()) < 4 * np.sqrt(exp.sum())
    ok = exp >= 5
    z = (obs[ok] - exp[ok]) / np.sqrt(exp[ok])
    assert np.all(np.abs(z) < 4)
    assert np.mean(z**2) < 2.5
    assert s.min() >= 1e-4 and s.max() <= 10.0


def test_broken_power_law_draws_recover_slope():
    """Fluxes drawn from a single power law dN/dS ~ S^-2 have the maximum-likelihood slope 2."""
    model = BrokenPowerLawCounts(norm=1.0, s_break=1.0, gamma_low=2.0, gamma_high=2.0)
    s = draw_fluxes(np.random.default_rng(0), s_min=1e-3, s_max=1e3, n=20000, model=model)
    # MLE of a truncated power law's index is close to the untruncated one over 6 decades
    gamma = 1 + s.size / np.sum(np.log(s / 1e-3))
    assert gamma == pytest.approx(2.0, abs=0.03)


def test_frequency_scaling_keeps_limits():
    """Fluxes asked at 120 MHz stay within the limits given at that frequency."""
    s = draw_fluxes(np.random.default_rng(1), s_min=2e-4, s_max=1.0, n=5000, freq_hz=120e6, spectral_index=-0.8)
    assert s.min() >= 2e-4 * (1 - 1e-9) and s.max() <= 1.0 * (1 + 1e-9)


def test_compact_catalogue_number_and_positions():
    """The catalogue is Poisson around the expected number over the image and uniform over its area."""
    shape, pix = (300, 200), 4.5
    area = shape[0] * shape[1] * (pix / 206264.806) ** 2
    cat = compact_catalogue(shape, pix, rng=np.random.default_rng(7), s_min=1e-4, s_max=5.0, freq_hz=154e6)
    n_exp = expected_number(1e-4, 5.0, area_sr=area)
    assert abs(cat.size - n_exp) < 4 * np.sqrt(n_exp)
    assert cat["x"].min() >= -0.5 and cat["x"].max() < 199.5
    assert cat["y"].min() >= -0.5 and cat["y"].max() < 299.5
    again = compact_catalogue(shape, pix, rng=np.random.default_rng(7), s_min=1e-4, s_max=5.0, freq_hz=154e6)
    assert np.array_equal(cat, again)


def test_splatting_conserves_flux_and_centroid():
    """Point sources and resolved Gaussians keep their flux; a point source keeps its sub-pixel centroid."""
    img = render_blobs((40, 40), Blobs(10.3, 20.7, 2.0, 0.0, 0.0, 0.0))
    yy, xx = np.mgrid[:40, :40]
    assert img.sum() == pytest.approx(2.0, rel=1e-6)
    assert (img * xx).sum() / img.sum() == pytest.approx(10.3, abs=1e-5)
    assert (img * yy).sum() / img.sum() == pytest.approx(20.7, abs=1e-5)
    g = render_blobs((80, 80), Blobs(40.2, 39.6, 1.0, 3.0, 3.0, 0.0), dtype=np.float64)
    assert g.sum() == pytest.approx(1.0, rel=1e-9)
    var_x = (g * (np.mgrid[:80, :80][1] - 40.2) ** 2).sum()
    assert var_x == pytest.approx(9.0 + 1 / 12, rel=0.02)


def test_catalogue_rendering_conserves_total_flux_inside():
    """A catalogue of sources well inside the image renders to the sum of their fluxes."""
    rng = np.random.default_rng(3)
    cat = compact_catalogue((128, 128), 2.0, rng=rng, s_min=1e-3, s_max=1.0)
    inner = cat[
        (cat["x"] > 20) & (cat["x"] < 107) & (cat["y"] > 20) & (cat["y"] < 107) & (cat["fwhm_major_arcsec"] < 8)
    ]
    img = render_blobs((128, 128), catalogue_blobs(inner, 2.0), dtype=np.float64)
    assert img.sum() == pytest.approx(inner["flux_jy"].sum(), rel=1e-9)


@pytest.mark.parametrize(
    "kwargs", [dict(s_min=0.0, s_max=1.0), dict(s_min=1.0, s_max=0.5), dict(s_min=1e-3, s_max=np.inf)]
)
def test_invalid_flux_limits_raise(kwargs):
    """Flux limits must satisfy 0 < s_min < s_max < inf."""
    with pytest.raises(RadioUNetError):
        draw_fluxes(np.random.default_rng(0), n=10, **kwargs)


def test_draw_fluxes_needs_area_or_n():
    """Exactly one of area_sr and n must be given."""
    with pytest.raises(RadioUNetError, match="exactly one"):
        draw_fluxes(np.random.default_rng(0), s_min=1e-3, s_max=1.0)
    with pytest.raises(RadioUNetError, match="exactly one"):
        draw_fluxes(np.random.default_rng(0), s_min=1e-3, s_max=1.0, n=3, area_sr=1.0)
