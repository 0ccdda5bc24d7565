"""Count models of the source-counts estimator: the reference counts and the two families.

Every model here has the interface of :mod:`radio_unet.sky.compact`'s count
models (``dnds(s)``, ``freq_hz``, ``to_dict()``), so that
:func:`radio_unet.sky.compact.draw_fluxes` draws catalogues from them.

* :class:`ReferenceCounts`: ``n0(S)``, the Franzen et al. (2016) 154 MHz
  polynomial of :mod:`radio_unet.sky.compact` moved to the survey frequency,
  continued below ``s_join`` with a fixed Euclidean slope (the polynomial
  itself plunges below ~10 uJy, an artefact of the fit far outside its data).
* :class:`TalkCounts`: the family of Regis et al. (2023),
  ``n(S) = (1 + S0/S)**alpha n0(S)``.
* :class:`KnotCounts`: ``log10(S**2.5 dN/dS)`` piecewise linear in
  ``log10 S`` through knots, flat outside the outer knots.

The targets of the estimator are the bin averages of ``dN/dS``
(:func:`bin_dnds`) and their Euclidean-normalised form
``S_mid**2.5 <dN/dS>`` in ``log10`` (:func:`bin_targets`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import RadioUNetError
from ..sky.compact import DEFAULT_COUNTS

__all__ = [
    "FAMILIES",
    "ReferenceCounts",
    "TalkCounts",
    "KnotCounts",
    "cumulative_counts",
    "bin_dnds",
    "bin_targets",
    "targets_to_dnds",
    "euclidean",
    "counts_from_theta",
]

#: The two count families: the talk's and the flexible knots family.
FAMILIES = ("talk", "knots")


def _positive(s) -> np.ndarray:
    s = np.asarray(s, dtype=float)
    if np.any(~(s > 0)):
        raise RadioUNetError("source counts are defined for positive fluxes only")
    return s


@dataclass(frozen=True)
class ReferenceCounts:
    """The reference counts ``n0(S)`` at ``freq_hz``.

    Parameters
    ----------
    freq_hz : float
        Frequency of the counts; the 154 MHz polynomial is moved there with
        ``spectral_index`` (``S_nu = S_154 (nu / 154 MHz)**spectral_index``).
    s_join : float
        Below this flux (Jy, at ``freq_hz``) ``S**2.5 dN/dS`` continues as a
        power law of slope ``faint_slope`` from its value at ``s_join``.
    faint_slope : float
        Slope of ``log(S**2.5 dN/dS)`` against ``log S`` below ``s_join``.
    spectral_index : float
        Used for the frequency scaling.

    Examples
    --------
    >>> n0 = ReferenceCounts(144e6)
    >>> bool(n0.dnds(1e-3) > 0)
    True
    """

    freq_hz: float = 144e6
    s_join: float = 5e-5
    faint_slope: float = 0.5
    spectral_index: float = -0.7

    @property
    def ratio(self) -> float:
        """Flux ratio ``S(freq_hz) / S(154 MHz)`` of a source."""
        return (self.freq_hz / DEFAULT_COUNTS.freq_hz) ** self.spectral_index

    def _poly(self, s):
        r = self.ratio
        return DEFAULT_COUNTS.dnds(s / r) / r

    def dnds(self, s) -> np.ndarray:
        """Differential counts dN/dS (Jy^-1 sr^-1) at flux ``s`` (Jy)."""
        s = _positive(s)
        sj = self.s_join * 1.0
        e_join = float(self._poly(sj)) * sj**2.5
        faint = e_join * (s / sj) ** self.faint_slope * s**-2.5
        return np.where(s >= sj, self._poly(np.maximum(s, sj)), faint)

    def to_dict(self) -> dict:
        """JSON-ready description."""
        return {"model": "reference", "freq_hz": self.freq_hz, "s_join": self.s_join,
                "faint_slope": self.faint_slope, "spectral_index": self.spectral_index}


@dataclass(frozen=True)
class TalkCounts:
    """The family of Regis et al. (2023): ``n(S) = (1 + s0/S)**alpha n0(S)``.

    Parameters
    ----------
    s0 : float
        Flux (Jy) below which the counts depart from ``n0``.
    alpha : float
        Strength of the departure (positive: more faint sources).
    reference : ReferenceCounts
    """

    s0: float
    alpha: float
    reference: ReferenceCounts = ReferenceCounts()

    @property
    def freq_hz(self) -> float:
        """Frequency of the counts (Hz)."""
        return self.reference.freq_hz

    def dnds(self, s) -> np.ndarray:
        """Differential counts dN/dS (Jy^-1 sr^-1) at flux ``s`` (Jy)."""
        s = _positive(s)
        return (1.0 + self.s0 / s) ** self.alpha * self.reference.dnds(s)

    def to_dict(self) -> dict:
        """JSON-ready description."""
        return {"model": "talk", "s0": self.s0, "alpha": self.alpha, "reference": self.reference.to_dict()}


@dataclass(frozen=True)
class KnotCounts:
    """``log10(S**2.5 dN/dS)`` piecewise linear in ``log10 S`` through knots.

    Parameters
    ----------
    log_s : tuple of float
        ``log10`` of the knot fluxes (Jy), increasing.
    log_e : tuple of float
        ``log10(S**2.5 dN/dS / (Jy^1.5 sr^-1))`` at the knots. Outside the
        outer knots the Euclidean-normalised counts stay flat.
    freq_hz : float
    """

    log_s: tuple
    log_e: tuple
    freq_hz: float = 144e6

    def __post_init__(self):
        ls, le = np.asarray(self.log_s, float), np.asarray(self.log_e, float)
        if ls.ndim != 1 or ls.shape != le.shape or ls.size < 2 or np.any(np.diff(ls) <= 0):
            raise RadioUNetError("knot counts need >= 2 increasing knot fluxes and one value per knot")
        if not np.all(np.isfinite(le)):
            raise RadioUNetError("knot values must be finite")

    def dnds(self, s) -> np.ndarray:
        """Differential counts dN/dS (Jy^-1 sr^-1) at flux ``s`` (Jy)."""
        s = _positive(s)
        return 10.0 ** np.interp(np.log10(s), self.log_s, self.log_e) * s**-2.5

    def to_dict(self) -> dict:
        """JSON-ready description."""
        return {"model": "knots", "log_s": list(self.log_s), "log_e": list(self.log_e), "freq_hz": self.freq_hz}


def counts_from_theta(family: str, theta, *, freq_hz: float, knots_log_s=None):
    """The count model of one field from its parameter vector.

    Parameters
    ----------
    family : {"talk", "knots"}
    theta : array_like
        ``talk``: ``(log10 s0 / Jy, alpha)``; ``knots``: the ``log10`` of
        ``S**2.5 dN/dS`` at ``knots_log_s``.
    freq_hz : float
    knots_log_s : array_like, optional
        Knot positions (``log10`` Jy) of the knots family.

    Returns
    -------
    TalkCounts or KnotCounts
    """
    theta = np.asarray(theta, dtype=float)
    if family == "talk":
        return TalkCounts(s0=float(10.0 ** theta[0]), alpha=float(theta[1]), reference=ReferenceCounts(freq_hz))
    if family == "knots":
        if knots_log_s is None:
            raise RadioUNetError("the knots family needs knot positions")
        return KnotCounts(tuple(float(v) for v in knots_log_s), tuple(float(v) for v in theta), freq_hz=freq_hz)
    raise RadioUNetError(f"unknown count family {family!r}; use one of {', '.join(FAMILIES)}")


def cumulative_counts(model, s_min: float, s_max: float, n: int = 2049) -> tuple[np.ndarray, np.ndarray]:
    """``N(>S) - N(>s_max)`` per steradian on a logarithmic flux grid.

    Parameters
    ----------
    model : count model
    s_min, s_max : float
        Grid limits (Jy).
    n : int
        Grid points.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The flux grid (Jy) and the number of sources per sr brighter than
        each grid flux (and fainter than ``s_max``).
    """
    ln_s = np.linspace(np.log(s_min), np.log(s_max), n)
    s = np.exp(ln_s)
    f = model.dnds(s) * s
    seg = 0.5 * (f[1:] + f[:-1]) * np.diff(ln_s)
    above = np.concatenate([np.cumsum(seg[::-1])[::-1], [0.0]])
    return s, above


def bin_dnds(model, edges) -> np.ndarray:
    """Bin averages of dN/dS: ``N_bin / (s_hi - s_lo)`` (Jy^-1 sr^-1).

    Parameters
    ----------
    model : count model
    edges : array_like
        Bin edges (Jy), increasing.

    Returns
    -------
    numpy.ndarray
        One value per bin.
    """
    edges = np.asarray(edges, dtype=float)
    out = np.empty(edges.size - 1)
    for i in range(edges.size - 1):
        ln_s = np.linspace(np.log(edges[i]), np.log(edges[i + 1]), 129)
        s = np.exp(ln_s)
        f = model.dnds(s) * s
        out[i] = np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(ln_s)) / (edges[i + 1] - edges[i])
    return out


def euclidean(dnds, s_mid) -> np.ndarray:
    """Euclidean-normalised counts ``S**2.5 dN/dS`` (Jy^1.5 sr^-1)."""
    return np.asarray(dnds, dtype=float) * np.asarray(s_mid, dtype=float) ** 2.5


def bin_targets(model, edges) -> np.ndarray:
    """The estimator's targets: ``log10(S_mid**2.5 <dN/dS>)`` per bin (``S_mid`` the geometric bin centre)."""
    edges = np.asarray(edges, dtype=float)
    mid = np.sqrt(edges[1:] * edges[:-1])
    return np.log10(euclidean(bin_dnds(model, edges), mid))


def targets_to_dnds(y, edges) -> np.ndarray:
    """Inverse of :func:`bin_targets`: bin-averaged dN/dS (Jy^-1 sr^-1) from ``log10(S_mid**2.5 <dN/dS>)``."""
    edges = np.asarray(edges, dtype=float)
    mid = np.sqrt(edges[1:] * edges[:-1])
    return 10.0 ** np.asarray(y, dtype=float) * mid**-2.5
