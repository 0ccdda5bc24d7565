"""Classical baselines of the counts benchmark: a P(D) fit and catalogue counts above 5 sigma.

**P(D)** (:func:`pd_fit`): the one-point distribution of the pixel values of
an image of point sources seen through a Gaussian beam of solid angle
``Omega`` (peak 1) plus Gaussian noise ``sigma``. The sources make pixel
responses ``x`` at the rate ``R(x) = Omega N(>x) / x`` per pixel (for a
Gaussian beam the area where the beam exceeds ``b`` is ``Omega ln(1/b)``), and

``P(D) = F^-1[ exp( integral R(x) (e^{i w x} - 1) dx - sigma^2 w^2 / 2 - i w mu ) ]``

with ``mu`` the mean of the source part (the images have zero mean: an
interferometer has no zero spacing). :func:`pd_pdf` computes it with FFTs;
:func:`pd_fit` fits the knots family and the noise to the pixel histogram
(multinomial likelihood divided by the pixels per beam, the usual correction
for correlated pixels), and draws samples from the Laplace approximation at
the maximum to give intervals.

**Catalogue** (:func:`catalogue_counts`): local maxima above 5 sigma (their
peak in Jy/beam is the flux of a point source), counted per bin and divided
by the completeness of each bin, which includes the Eddington scattering of
fainter sources into it (:func:`completeness`: the expected detected over
the true number for the reference counts and Gaussian flux errors). Bins
with less than 30% completeness get no estimate: a catalogue does not reach
there. Intervals are Poisson (Garwood) intervals of the detected number.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage, optimize, special, stats

from .families import KnotCounts, bin_targets, cumulative_counts, euclidean

__all__ = ["pd_pdf", "pd_loglike", "pd_fit", "completeness", "catalogue_counts", "garwood"]

_Q = {"lo95": 0.025, "lo68": 0.16, "med": 0.5, "hi68": 0.84, "hi95": 0.975}


def pd_pdf(model, *, beam_area_px: float, pixel_sr: float, sigma: float, dx: float, n: int = 8192,
           s_min: float = 1e-7, s_max: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """P(D) of pixel values (Jy/beam) for a count model, Gaussian beam and Gaussian noise; zero mean.

    Parameters
    ----------
    model : count model
        With ``dnds``.
    beam_area_px : float
        Beam solid angle ``2 pi sigma_a sigma_b`` in pixels.
    pixel_sr : float
        Solid angle of a pixel (sr).
    sigma : float
        Noise rms (Jy/beam).
    dx : float
        Grid step (Jy/beam).
    n : int
        Grid length (power of 2); responses above ``n dx / 2`` are dropped.
    s_min, s_max : float
        Flux range of the sources (Jy).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Grid ``x`` (increasing, from ``-n dx / 2``) and the pdf on it (sums to 1 / dx).
    """
    s, above = cumulative_counts(model, s_min, s_max, n=1025)
    omega = beam_area_px * pixel_sr
    xk = np.arange(1, n // 2) * dx
    n_above = np.interp(np.log(xk), np.log(s), above, left=above[0], right=0.0)
    r = np.zeros(n)
    r[1:n // 2] = omega * n_above / xk * dx
    mu = float(np.sum(r[1:n // 2] * xk))
    psi = n * np.fft.ifft(r) - r.sum()
    w = 2.0 * np.pi * np.fft.fftfreq(n, dx)
    phi = np.exp(psi - 0.5 * (sigma * w) ** 2 - 1j * w * mu)
    p = np.fft.fft(phi).real / n
    p = np.fft.fftshift(np.maximum(p, 0.0))
    x = (np.arange(n) - n // 2) * dx
    return x, p / (p.sum() * dx)


def _bin_probabilities(x, p, dx, edges):
    cdf = np.concatenate([[0.0], np.cumsum(p) * dx])
    xe = np.concatenate([x - dx / 2, [x[-1] + dx / 2]])
    c = np.interp(edges, xe, cdf, left=0.0, right=1.0)
    c[0], c[-1] = 0.0, 1.0
    return np.maximum(np.diff(c), 1e-300)


def pd_loglike(counts_hist: np.ndarray, edges: np.ndarray, model, *, sigma: float, beam_area_px: float, pixel_sr: float,
               s_min: float, s_max: float) -> float:
    """Multinomial log-likelihood of a pixel histogram, divided by the pixels per beam."""
    dx = sigma / 8.0
    x, p = pd_pdf(model, beam_area_px=beam_area_px, pixel_sr=pixel_sr, sigma=sigma, dx=dx, s_min=s_min, s_max=s_max)
    probs = _bin_probabilities(x, p, dx, edges)
    return float(np.sum(counts_hist * np.log(probs)) / max(beam_area_px, 1.0))


def pd_fit(image: np.ndarray, *, noise: float, beam_area_px: float, pixel_scale_arcsec: float, knot_log_s, knot_low,
           knot_high, bin_edges, freq_hz: float, s_min: float, s_max: float = 1.0, n_samples: int = 400,
           rng: np.random.Generator | None = None) -> dict:
    """Fit the knots family and the noise to the pixel histogram of ``image`` (Jy/beam, zero mean).

    Parameters
    ----------
    image : numpy.ndarray
    noise : float
        Stated noise (Jy/beam): the histogram bins are in its units and the
        fitted noise is searched within 0.4-1.3 of it.
    beam_area_px : float
        Beam solid angle in pixels.
    pixel_scale_arcsec : float
    knot_log_s, knot_low, knot_high : array_like
        Knot positions (``log10`` Jy) and the box of their values.
    bin_edges : array_like
        Flux bins (Jy) of the output.
    freq_hz : float
    s_min, s_max : float
        Flux range of the model's sources (Jy).
    n_samples : int
        Laplace samples for the intervals.
    rng : numpy.random.Generator, optional

    Returns
    -------
    dict
        ``y`` quantiles per bin (``med``, ``lo68``, ``hi68``, ``lo95``,
        ``hi95`` of ``log10(S_mid**2.5 <dN/dS>)``), ``theta`` (best fit knots
        and ``log10`` noise), ``success``.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    v = np.asarray(image, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    v = v - v.mean()
    edges_sigma = np.concatenate([[-1e9], np.arange(-5.0, 10.0, 0.25), np.arange(10.0, 50.0, 2.0), [50.0, 1e9]])
    hist = np.histogram(v / noise, bins=edges_sigma)[0]
    edges = edges_sigma * noise
    pixel_sr = (pixel_scale_arcsec * math.pi / 180 / 3600) ** 2
    low = np.concatenate([np.asarray(knot_low, float), [math.log10(0.4 * noise)]])
    high = np.concatenate([np.asarray(knot_high, float), [math.log10(1.3 * noise)]])
    knot_log_s = tuple(float(s) for s in knot_log_s)

    def nll(p):
        p = np.clip(p, low, high)
        model = KnotCounts(knot_log_s, tuple(p[:-1]), freq_hz=freq_hz)
        return -pd_loglike(hist, edges, model, sigma=10.0 ** p[-1], beam_area_px=beam_area_px, pixel_sr=pixel_sr,
                           s_min=s_min, s_max=s_max)

    start = 0.5 * (low + high)
    start[-1] = math.log10(0.85 * noise)
    res = optimize.minimize(nll, start, method="L-BFGS-B", bounds=list(zip(low, high)),
                            options={"maxiter": 200, "eps": 1e-3})
    best = res.x
    h = _hessian(nll, best, step=np.full(best.size, 0.02), low=low, high=high)
    try:
        w, vec = np.linalg.eigh(0.5 * (h + h.T))
        w = np.maximum(w, 1.0 / (high - low).max() ** 2 * 12)  # no direction wider than the prior box
        cov = (vec / w) @ vec.T
        draws = rng.multivariate_normal(best, cov, size=n_samples)
    except np.linalg.LinAlgError:
        draws = rng.uniform(low, high, size=(n_samples, best.size))
    draws = np.clip(draws, low, high)
    ys = np.array([bin_targets(KnotCounts(knot_log_s, tuple(d[:-1]), freq_hz=freq_hz), bin_edges) for d in draws])
    out = {k: np.quantile(ys, q, axis=0) for k, q in _Q.items()}
    return {"y": out, "theta": best, "success": bool(res.success), "samples": ys}


def _hessian(f, x, *, step, low, high):
    n = x.size
    x = np.clip(x, low + step, high - step)
    f0 = f(x)
    h = np.zeros((n, n))
    for i in range(n):
        ei = np.zeros(n)
        ei[i] = step[i]
        fp, fm = f(x + ei), f(x - ei)
        h[i, i] = (fp - 2 * f0 + fm) / step[i] ** 2
        for j in range(i + 1, n):
            ej = np.zeros(n)
            ej[j] = step[j]
            h[i, j] = h[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * step[i] * step[j])
    return h


def completeness(edges, *, noise: float, reference, threshold: float = 5.0, s_max: float = 1.0) -> np.ndarray:
    """Expected detected / true sources per bin for point sources with Gaussian flux errors.

    A source of flux ``S`` is measured as ``S + e``, ``e ~ N(0, noise)``, and
    kept when that exceeds ``threshold * noise``; the detected number in a bin
    counts the measured fluxes in it (so Eddington scattering from fainter
    sources is included), the true number the fluxes. Both are integrated
    over the reference counts.
    """
    edges = np.asarray(edges, dtype=float)
    s = np.exp(np.linspace(np.log(max(edges[0] * 0.05, 1e-8)), np.log(s_max), 4000))
    dn = reference.dnds(s) * s * np.gradient(np.log(s))
    out = np.empty(edges.size - 1)
    for i in range(edges.size - 1):
        lo = max(edges[i], threshold * noise)
        hi = edges[i + 1]
        true = np.sum(dn[(s >= edges[i]) & (s < hi)])
        det = 0.0 if lo >= hi else np.sum(dn * (stats.norm.cdf((hi - s) / noise) - stats.norm.cdf((lo - s) / noise)))
        out[i] = det / true if true > 0 else 0.0
    return out


def garwood(n, q: float) -> np.ndarray:
    """The Garwood (exact Poisson) quantile ``q`` of the mean given ``n`` counts (0 below for ``n = 0``)."""
    n = np.asarray(n, dtype=float)
    if q < 0.5:
        return np.where(n > 0, special.gammaincinv(np.maximum(n, 1e-12), q), 0.0)
    return special.gammaincinv(n + 1.0, q)


def catalogue_counts(image: np.ndarray, *, noise: float, pixel_scale_arcsec: float, edges, reference,
                     threshold: float = 5.0, min_completeness: float = 0.3) -> dict:
    """Counts of the peaks above ``threshold`` sigma per bin, corrected for completeness.

    Parameters
    ----------
    image : numpy.ndarray
        Jy/beam.
    noise : float
        Stated noise (Jy/beam).
    pixel_scale_arcsec : float
    edges : array_like
        Bin edges (Jy).
    reference : count model
        Counts used for the completeness (:func:`completeness`).
    threshold : float
    min_completeness : float
        Bins below this get NaN.

    Returns
    -------
    dict
        ``y`` quantiles (as :func:`pd_fit`), ``n_detected`` per bin, ``completeness``.
    """
    img = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=-np.inf)
    peaks = (img == ndimage.maximum_filter(img, size=3)) & (img > threshold * noise)
    border = np.zeros_like(peaks)
    border[1:-1, 1:-1] = True
    flux = img[peaks & border]
    edges = np.asarray(edges, dtype=float)
    n_det = np.histogram(flux, bins=edges)[0]
    comp = completeness(edges, noise=noise, reference=reference, threshold=threshold)
    ny, nx = img.shape
    area = ny * nx * (pixel_scale_arcsec * math.pi / 180 / 3600) ** 2
    mid = np.sqrt(edges[1:] * edges[:-1])
    width = np.diff(edges)
    ok = comp >= min_completeness
    c = np.where(ok, comp, np.nan)

    def to_y(n):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(euclidean(n / (c * area * width), mid))

    y = {"med": to_y(np.maximum(n_det, 0.5)), "lo68": to_y(garwood(n_det, 0.16)), "hi68": to_y(garwood(n_det, 0.84)),
         "lo95": to_y(garwood(n_det, 0.025)), "hi95": to_y(garwood(n_det, 0.975))}
    return {"y": y, "n_detected": n_det, "completeness": comp}
