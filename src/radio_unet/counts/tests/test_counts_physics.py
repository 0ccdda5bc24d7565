"""Tests of the count families, the fast-route simulation and the classical baselines (tiny inputs, < 5 s)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from astropy.stats import gaussian_fwhm_to_sigma
from scipy import ndimage

from radio_unet.counts.baselines import catalogue_counts, completeness, garwood, pd_pdf
from radio_unet.counts.families import (
    KnotCounts,
    ReferenceCounts,
    TalkCounts,
    bin_dnds,
    bin_targets,
    counts_from_theta,
    targets_to_dnds,
)
from radio_unet.counts.features import histogram_features, image_tiles
from radio_unet.counts.presets import get_counts_preset
from radio_unet.counts.simulate import (
    beam_power_kernel,
    convolve_gaussians,
    render_beam_image,
    simulate_field,
)
from radio_unet.errors import RadioUNetError
from radio_unet.sky.compact import CATALOGUE_DTYPE


def test_reference_is_continuous_and_talk_reduces_to_it():
    """n0 joins its faint power law without a jump, and alpha = 0 gives n0 back."""
    n0 = ReferenceCounts(144e6)
    s = n0.s_join
    assert n0.dnds(s * (1 - 1e-9)) == pytest.approx(n0.dnds(s * (1 + 1e-9)), rel=1e-6)
    grid = np.geomspace(1e-6, 1e-2, 7)
    np.testing.assert_allclose(TalkCounts(s0=3e-5, alpha=0.0, reference=n0).dnds(grid), n0.dnds(grid))
    assert np.all(TalkCounts(s0=3e-5, alpha=0.5, reference=n0).dnds(grid) > n0.dnds(grid))


def test_knots_are_piecewise_linear_and_flat_outside():
    """log S^2.5 dN/dS interpolates the knots linearly in log S and stays flat beyond them."""
    k = KnotCounts((-5.0, -4.0, -3.0), (1.0, 2.0, 1.5))
    e = lambda s: np.log10(k.dnds(s) * s**2.5)  # noqa: E731
    assert e(10**-4.5) == pytest.approx(1.5)
    assert e(1e-7) == pytest.approx(1.0) and e(1e-1) == pytest.approx(1.5)
    with pytest.raises(RadioUNetError):
        KnotCounts((-3.0, -4.0), (1.0, 1.0))


def test_bin_targets_match_a_power_law_and_invert():
    """Bin averages of dN/dS = A S^-2 are A (1/lo - 1/hi) / (hi - lo); targets_to_dnds inverts bin_targets."""
    a = 1e3
    model = type("PL", (), {"dnds": staticmethod(lambda s: a * np.asarray(s) ** -2.0), "freq_hz": 1.0})()
    edges = np.array([1e-5, 1e-4, 1e-3])
    expect = a * (1 / edges[:-1] - 1 / edges[1:]) / np.diff(edges)
    np.testing.assert_allclose(bin_dnds(model, edges), expect, rtol=1e-4)
    np.testing.assert_allclose(targets_to_dnds(bin_targets(model, edges), edges), expect, rtol=1e-4)


def test_convolved_sizes_add_in_quadrature():
    """A point source through a beam keeps the beam; circular Gaussians add in quadrature."""
    maj, mnr, _ = convolve_gaussians(0.0, 0.0, 0.0, 6.0, 5.0, 30.0)
    assert float(maj) == pytest.approx(6.0) and float(mnr) == pytest.approx(5.0)
    maj, mnr, _ = convolve_gaussians(3.0, 3.0, 0.0, 4.0, 4.0, 0.0)
    assert float(maj) == pytest.approx(5.0) and float(mnr) == pytest.approx(5.0)


def _catalogue(x, y, flux):
    cat = np.zeros(len(flux), dtype=CATALOGUE_DTYPE)
    cat["x"], cat["y"], cat["flux_jy"] = x, y, flux
    return cat


def test_point_source_peaks_at_its_flux_both_ways():
    """A point source of S Jy peaks at S Jy/beam whether stamped or added by the FFT route."""
    cat = _catalogue([20.0, 44.0], [20.0, 40.0], [1e-3, 2e-3])
    kw = dict(pixel_scale_arcsec=2.0, beam_major_arcsec=6.0, beam_minor_arcsec=6.0, beam_angle_deg=0.0)
    stamped = render_beam_image(cat, (64, 64), **kw)
    fft = render_beam_image(cat, (64, 64), faint_below=1.0, **kw)
    assert stamped[20, 20] == pytest.approx(1e-3, rel=0.02) and stamped[40, 44] == pytest.approx(2e-3, rel=0.02)
    assert fft.sum() == pytest.approx(stamped.sum(), rel=1e-3)
    # the FFT route (faint sources) is right on average over sub-pixel positions: its bilinear deposit is undone in
    # variance, not source by source
    rng = np.random.default_rng(0)
    peaks = []
    for _ in range(40):
        x, y = rng.uniform(20, 21), rng.uniform(20, 21)
        img = render_beam_image(_catalogue([x], [y], [1e-3]), (64, 64), faint_below=1.0, **kw)
        yy, xx = np.mgrid[:64, :64]
        g = np.exp(-0.5 * ((xx - x) ** 2 + (yy - y) ** 2) / (6.0 / 2.0 * gaussian_fwhm_to_sigma) ** 2)
        peaks.append(np.sum(img * g) / np.sum(g * g))
    assert np.mean(peaks) == pytest.approx(1e-3, rel=0.03)


def test_noise_kernel_gives_unit_rms():
    """beam_power_kernel through shaped_noise gives the requested rms."""
    from radio_unet.observe.noise import shaped_noise

    k = beam_power_kernel((128, 128), major_px=3.0, minor_px=2.5, angle_deg=20.0, power=1.5)
    n = shaped_noise(k, rms=2.0, rng=np.random.default_rng(1))
    assert n.std() == pytest.approx(2.0, rel=0.1)


def test_fast_field_is_reproducible_and_has_the_noise_asked():
    """The same seed and index give the same field; the measured noise is near the drawn one; theta per field."""
    p = get_counts_preset("lotss-6as-like")
    a = simulate_field(p, "knots", seed=3, index=1)
    b = simulate_field(p, "knots", seed=3, index=1)
    c = simulate_field(p, "knots", seed=3, index=2)
    np.testing.assert_array_equal(a["image"], b["image"])
    assert not np.allclose(a["theta"], c["theta"])
    assert a["image"].shape == (128, 128) and abs(float(a["image"].mean())) < 0.2 * a["noise_jy_beam"]
    assert a["noise_measured"] == pytest.approx(a["noise_jy_beam"], rel=0.35)
    assert a["n_sources"] > 1000  # down to 1/100 of the noise
    t = simulate_field(p, "talk", seed=3, index=1)
    np.testing.assert_allclose(t["y"], bin_targets(counts_from_theta("talk", t["theta"], freq_hz=p.freq_hz), p.edges))


def test_pd_without_sources_is_the_noise_and_matches_an_independent_sky():
    """P(D) of (almost) no sources is N(0, sigma); with sources it matches an independently simulated image."""
    sigma, dx = 1e-4, 1e-5
    empty = type("E", (), {"dnds": staticmethod(lambda s: 1e-30 * np.asarray(s) ** -2.0)})()
    x, p = pd_pdf(empty, beam_area_px=10.0, pixel_sr=1e-10, sigma=sigma, dx=dx, n=4096)
    assert np.sum(x * p) * dx == pytest.approx(0.0, abs=1e-7)
    assert math.sqrt(np.sum(x**2 * p) * dx) == pytest.approx(sigma, rel=1e-3)
    # independent sky: Euclidean point sources on a grid, Gaussian beam by scipy, white noise
    rng = np.random.default_rng(0)
    pix = 2.0
    pixel_sr = (pix * math.pi / 180 / 3600) ** 2
    norm = 1e9 * 1e-3**2.5  # dN/dS = norm S^-2.5, 1e9 Jy^1.5/sr at S^2.5 dN/dS
    model = type("M", (), {"dnds": staticmethod(lambda s: norm * np.asarray(s) ** -2.5)})()
    n = 512
    s_min = 1e-6
    n_src = rng.poisson(norm / 1.5 * s_min**-1.5 * n * n * pixel_sr)
    flux = s_min * rng.random(n_src) ** (-1 / 1.5)
    grid = np.zeros((n, n))
    np.add.at(grid, (rng.integers(0, n, n_src), rng.integers(0, n, n_src)), flux)
    sig_px = 6.0 / pix * gaussian_fwhm_to_sigma
    img = ndimage.gaussian_filter(grid, sig_px, mode="wrap") * 2 * math.pi * sig_px**2 + rng.normal(0, sigma, (n, n))
    img -= img.mean()
    x, p = pd_pdf(model, beam_area_px=2 * math.pi * sig_px**2, pixel_sr=pixel_sr, sigma=sigma, dx=dx, s_min=s_min)
    cdf = np.cumsum(p) * dx
    for q in (0.05, 0.5, 0.95):
        assert np.quantile(img, q) == pytest.approx(np.interp(q, cdf, x), abs=0.12 * sigma)


def test_completeness_and_catalogue_counts():
    """Bright bins are complete, bins far below 5 sigma empty; bright injected sources are all counted."""
    edges = np.array([1e-5, 1e-4, 5e-3, 5e-2])
    c = completeness(edges, noise=1e-4, reference=ReferenceCounts(144e6))
    assert c[0] < 0.01 and c[2] == pytest.approx(1.0, abs=0.05)
    rng = np.random.default_rng(2)
    cat = _catalogue(rng.uniform(8, 120, 6), rng.uniform(8, 120, 6), np.full(6, 1e-2))
    img = render_beam_image(cat, (128, 128), pixel_scale_arcsec=2.0, beam_major_arcsec=6.0, beam_minor_arcsec=6.0,
                            beam_angle_deg=0.0) + rng.normal(0, 1e-4, (128, 128))
    out = catalogue_counts(img, noise=1e-4, pixel_scale_arcsec=2.0, edges=edges, reference=ReferenceCounts(144e6))
    assert out["n_detected"][2] == 6 and np.isnan(out["y"]["med"][0])
    assert garwood(0, 0.16) == 0.0 and garwood(0, 0.84) == pytest.approx(-math.log(0.16), rel=1e-6)


def test_tiles_and_histogram():
    """Tiles with blank pixels are dropped; the histogram fractions sum to one."""
    img = np.random.default_rng(0).normal(size=(70, 64)).astype(np.float32)
    img[5, 5] = np.nan
    t = image_tiles(img, 32)
    assert t.shape == (3, 32, 32)
    assert np.sum(10 ** histogram_features(t)) == pytest.approx(1.0, abs=1e-3)
