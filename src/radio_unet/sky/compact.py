"""Compact radio sources drawn from a 150 MHz differential source-count model.

The counts are a parametrised model of :math:`dN/dS` (sources per Jy per
steradian) at a reference frequency. The default is the fifth-order
polynomial fit to the Euclidean-normalised 154 MHz counts of Franzen et al.
(2016, MNRAS 459, 3314),

.. math::

    \\log_{10}\\left(\\frac{S^{5/2}\\, dN/dS}{\\mathrm{Jy^{3/2}\\,sr^{-1}}}\\right)
      = \\sum_{i=0}^{5} a_i \\left[\\log_{10}(S/\\mathrm{Jy})\\right]^i,

with (a0..a5) = (3.52, 0.307, -0.388, -0.0404, 0.0351, 0.00600). It gives
about 770 sources per deg^2 above 0.5 mJy and 7000 above 0.1 mJy, in line
with LoTSS; below ~1 mJy it is an extrapolation of the fit (the measured
LoTSS Deep counts of Mandal et al. 2021 have a sub-mJy bump it does not
reproduce). Any other polynomial or a broken power law can be passed
instead (:class:`PolynomialCounts`, :class:`BrokenPowerLawCounts`).

Source sizes follow the Windhorst et al. (1990) distribution: median size
:math:`\\theta_{med} = \\theta_1 (S / 1\\,\\mathrm{mJy})^{0.3}` and integral
distribution :math:`h(>\\theta) = \\exp[-\\ln 2\\,(\\theta/\\theta_{med})^{0.62}]`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from astropy.stats import gaussian_sigma_to_fwhm

from ..errors import RadioUNetError
from .render import Blobs

__all__ = [
    "FRANZEN2016_COEFFS",
    "PolynomialCounts",
    "BrokenPowerLawCounts",
    "DEFAULT_COUNTS",
    "source_counts_dnds",
    "expected_number",
    "draw_fluxes",
    "draw_sizes",
    "compact_catalogue",
    "catalogue_blobs",
    "CATALOGUE_DTYPE",
]

#: Coefficients a0..a5 of the Franzen et al. (2016) 154 MHz count polynomial.
FRANZEN2016_COEFFS: tuple[float, ...] = (3.52, 0.307, -0.388, -0.0404, 0.0351, 0.00600)

_SR_PER_ARCSEC2 = (np.pi / 180.0 / 3600.0) ** 2

#: dtype of compact-source catalogues (positions in pixels, flux in Jy at the observing frequency).
CATALOGUE_DTYPE = np.dtype(
    [
        ("x", "f8"),
        ("y", "f8"),
        ("flux_jy", "f8"),
        ("fwhm_major_arcsec", "f4"),
        ("fwhm_minor_arcsec", "f4"),
        ("angle_deg", "f4"),
    ]
)


@dataclass(frozen=True)
class PolynomialCounts:
    """Euclidean-normalised counts as a polynomial in log flux.

    ``log10(S**2.5 * dN/dS) = sum_i coeffs[i] * log10(S)**i`` with S in Jy and
    dN/dS in Jy^-1 sr^-1.

    Parameters
    ----------
    coeffs : tuple of float
        Polynomial coefficients, lowest order first.
    freq_hz : float
        Frequency at which the counts are defined.
    name : str
        Label written into manifests.
    """

    coeffs: tuple[float, ...] = FRANZEN2016_COEFFS
    freq_hz: float = 154e6
    name: str = "franzen2016"

    def __post_init__(self):
        if len(self.coeffs) == 0 or not all(np.isfinite(c) for c in self.coeffs):
            raise RadioUNetError(f"count polynomial needs at least one finite coefficient, got {self.coeffs}")
        if not self.freq_hz > 0:
            raise RadioUNetError(f"count model frequency must be positive, got {self.freq_hz}")

    def dnds(self, s) -> np.ndarray:
        """Differential counts dN/dS (Jy^-1 sr^-1) at flux ``s`` (Jy, at ``freq_hz``)."""
        s = np.asarray(s, dtype=float)
        if np.any(s <= 0):
            raise RadioUNetError("source counts are defined for positive fluxes only")
        x = np.log10(s)
        return 10.0 ** np.polynomial.polynomial.polyval(x, self.coeffs) * s**-2.5

    def to_dict(self) -> dict:
        """JSON-serialisable description."""
        return {"model": "polynomial", "name": self.name, "coeffs": list(self.coeffs), "freq_hz": self.freq_hz}


@dataclass(frozen=True)
class BrokenPowerLawCounts:
    """Counts as a broken power law: ``dN/dS = norm * (S / s_break)**-gamma``.

    ``gamma = gamma_low`` below ``s_break`` and ``gamma_high`` above.

    Parameters
    ----------
    norm : float
        dN/dS at ``s_break`` (Jy^-1 sr^-1).
    s_break : float
        Break flux (Jy).
    gamma_low, gamma_high : float
        Power-law slopes (positive numbers mean counts falling with flux).
    freq_hz : float
    name : str

    Notes
    -----
    The defaults roughly follow the default polynomial: S^2.5 dN/dS of about
    38 Jy^1.5 sr^-1 at 1 mJy, nearly Euclidean (slope 2.45) below and
    rising (slope 1.85) above.
    """

    norm: float = 1.2e9
    s_break: float = 1e-3
    gamma_low: float = 2.45
    gamma_high: float = 1.85
    freq_hz: float = 150e6
    name: str = "broken_power_law"

    def __post_init__(self):
        if not (self.norm > 0 and self.s_break > 0 and self.freq_hz > 0):
            raise RadioUNetError("broken power-law counts need positive norm, s_break and freq_hz")
        if not (np.isfinite(self.gamma_low) and np.isfinite(self.gamma_high)):
            raise RadioUNetError("broken power-law slopes must be finite")

    def dnds(self, s) -> np.ndarray:
        """Differential counts dN/dS (Jy^-1 sr^-1) at flux ``s`` (Jy)."""
        s = np.asarray(s, dtype=float)
        if np.any(s <= 0):
            raise RadioUNetError("source counts are defined for positive fluxes only")
        gamma = np.where(s < self.s_break, self.gamma_low, self.gamma_high)
        return self.norm * (s / self.s_break) ** (-gamma)

    def to_dict(self) -> dict:
        """JSON-serialisable description."""
        return {
            "model": "broken_power_law",
            "name": self.name,
            "norm": self.norm,
            "s_break": self.s_break,
            "gamma_low": self.gamma_low,
            "gamma_high": self.gamma_high,
            "freq_hz": self.freq_hz,
        }


DEFAULT_COUNTS = PolynomialCounts()


def source_counts_dnds(s, model=None) -> np.ndarray:
    """Differential source counts dN/dS (Jy^-1 sr^-1) of ``model`` at flux ``s`` (Jy).

    Parameters
    ----------
    s : array_like
        Flux densities at the model's frequency (Jy), positive.
    model : PolynomialCounts or BrokenPowerLawCounts, optional
        Default :data:`DEFAULT_COUNTS` (Franzen et al. 2016).

    Returns
    -------
    numpy.ndarray
    """
    return (DEFAULT_COUNTS if model is None else model).dnds(s)


def _check_limits(s_min: float, s_max: float):
    if not (np.isfinite(s_min) and np.isfinite(s_max) and 0 < s_min < s_max):
        raise RadioUNetError(f"flux limits must satisfy 0 < s_min < s_max, got s_min={s_min}, s_max={s_max}")


def _log_grid(s_min: float, s_max: float, model, n: int = 4097):
    ln_s = np.linspace(np.log(s_min), np.log(s_max), n)
    s = np.exp(ln_s)
    f = model.dnds(s) * s  # dN/dlnS
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(ln_s))])
    return ln_s, cum


def expected_number(s_min: float, s_max: float, *, area_sr: float = 1.0, model=None) -> float:
    """Expected number of sources with ``s_min <= S < s_max`` over ``area_sr`` steradians.

    Parameters
    ----------
    s_min, s_max : float
        Flux limits (Jy) at the model's frequency.
    area_sr : float
        Solid angle in steradians.
    model : count model, optional

    Returns
    -------
    float
        :math:`\\Omega \\int_{s_{min}}^{s_{max}} (dN/dS)\\, dS`.
    """
    _check_limits(s_min, s_max)
    if not area_sr >= 0:
        raise RadioUNetError(f"area must be non-negative, got {area_sr}")
    model = DEFAULT_COUNTS if model is None else model
    _, cum = _log_grid(s_min, s_max, model)
    return float(cum[-1] * area_sr)


def draw_fluxes(
    rng: np.random.Generator,
    *,
    s_min: float,
    s_max: float,
    area_sr: float | None = None,
    n: int | None = None,
    model=None,
    freq_hz: float | None = None,
    spectral_index: float = -0.7,
) -> np.ndarray:
    """Draw source fluxes from a count model.

    Exactly one of ``area_sr`` (the number is then Poisson-distributed with
    mean :func:`expected_number`) and ``n`` (a fixed number) must be given.
    Fluxes are drawn by inverting the cumulative counts on a fine
    logarithmic grid.

    Parameters
    ----------
    rng : numpy.random.Generator
    s_min, s_max : float
        Flux limits (Jy) at ``freq_hz``.
    area_sr : float, optional
        Solid angle of the field (sr).
    n : int, optional
        Number of sources to draw.
    model : count model, optional
        Default :data:`DEFAULT_COUNTS`.
    freq_hz : float, optional
        Frequency of the returned fluxes; they are scaled from the model's
        frequency with ``spectral_index`` (default: the model's frequency).
    spectral_index : float
        :math:`S \\propto \\nu^{\\alpha}` used for the frequency scaling.

    Returns
    -------
    numpy.ndarray
        float64 fluxes (Jy) at ``freq_hz``, in random order.
    """
    model = DEFAULT_COUNTS if model is None else model
    _check_limits(s_min, s_max)
    if (area_sr is None) == (n is None):
        raise RadioUNetError("give exactly one of area_sr and n")
    ratio = 1.0 if freq_hz is None else (float(freq_hz) / model.freq_hz) ** spectral_index
    lo, hi = s_min / ratio, s_max / ratio
    ln_s, cum = _log_grid(lo, hi, model)
    if n is None:
        if not area_sr >= 0:
            raise RadioUNetError(f"area must be non-negative, got {area_sr}")
        n = int(rng.poisson(cum[-1] * area_sr))
    elif n < 0:
        raise RadioUNetError(f"number of sources must be non-negative, got {n}")
    u = rng.random(int(n)) * cum[-1]
    return np.exp(np.interp(u, cum, ln_s)) * ratio


def draw_sizes(
    rng: np.random.Generator,
    flux_jy: np.ndarray,
    *,
    theta_1mjy_arcsec: float = 1.25,
    slope: float = 0.3,
    max_arcsec: float = 30.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw intrinsic angular sizes for compact sources (Windhorst et al. 1990).

    Parameters
    ----------
    rng : numpy.random.Generator
    flux_jy : numpy.ndarray
        Source fluxes (Jy).
    theta_1mjy_arcsec : float
        Median FWHM at 1 mJy (arcsec); 0 makes every source a point source.
        The default 1.25" is Windhorst's 2" at 1.4 GHz moved to 150 MHz
        with alpha = -0.7.
    slope : float
        Exponent of the median-size/flux relation.
    max_arcsec : float
        Sizes are capped here.

    Returns
    -------
    (fwhm_major, fwhm_minor, angle_deg) : tuple of numpy.ndarray
        Major and minor FWHM in arcsec (minor/major uniform in [0.3, 1]) and
        position angle in degrees (counter-clockwise from +x).
    """
    flux_jy = np.asarray(flux_jy, dtype=float)
    n = flux_jy.size
    u = rng.random(n)
    q = rng.uniform(0.3, 1.0, n)
    angle = rng.uniform(0.0, 180.0, n)
    if not theta_1mjy_arcsec >= 0:
        raise RadioUNetError(f"theta_1mjy_arcsec must be non-negative, got {theta_1mjy_arcsec}")
    med = theta_1mjy_arcsec * (np.maximum(flux_jy, 1e-12) / 1e-3) ** slope
    # inverse of h(>theta) = exp(-ln2 (theta/med)^0.62)
    theta = med * (np.log(1.0 / np.maximum(u, 1e-300)) / np.log(2.0)) ** (1.0 / 0.62)
    theta = np.minimum(theta, max_arcsec)
    return theta, theta * q, angle


def compact_catalogue(
    shape,
    pixel_scale_arcsec: float,
    *,
    rng: np.random.Generator,
    s_min: float = 1e-4,
    s_max: float = 5.0,
    model=None,
    freq_hz: float = 144e6,
    spectral_index: float = -0.7,
    theta_1mjy_arcsec: float = 1.25,
) -> np.ndarray:
    """A random catalogue of compact sources over an image.

    The number is Poisson with the mean expected from the counts over the
    image's solid angle; positions are uniform at sub-pixel precision over
    ``[-0.5, n - 0.5)`` in each axis (the image's area).

    Parameters
    ----------
    shape : (int, int)
    pixel_scale_arcsec : float
    rng : numpy.random.Generator
    s_min, s_max : float
        Flux limits (Jy) at ``freq_hz``.
    model : count model, optional
    freq_hz : float
    spectral_index : float
    theta_1mjy_arcsec : float
        Median size at 1 mJy (see :func:`draw_sizes`); 0 for point sources.

    Returns
    -------
    numpy.ndarray
        Structured array with dtype :data:`CATALOGUE_DTYPE`.
    """
    ny, nx = (int(shape), int(shape)) if np.ndim(shape) == 0 else (int(shape[0]), int(shape[1]))
    if not pixel_scale_arcsec > 0:
        raise RadioUNetError(f"pixel scale must be positive, got {pixel_scale_arcsec}")
    area = ny * nx * pixel_scale_arcsec**2 * _SR_PER_ARCSEC2
    flux = draw_fluxes(
        rng, s_min=s_min, s_max=s_max, area_sr=area, model=model, freq_hz=freq_hz, spectral_index=spectral_index
    )
    cat = np.zeros(flux.size, dtype=CATALOGUE_DTYPE)
    cat["x"] = rng.uniform(-0.5, nx - 0.5, flux.size)
    cat["y"] = rng.uniform(-0.5, ny - 0.5, flux.size)
    cat["flux_jy"] = flux
    maj, mnr, ang = draw_sizes(rng, flux, theta_1mjy_arcsec=theta_1mjy_arcsec)
    cat["fwhm_major_arcsec"], cat["fwhm_minor_arcsec"], cat["angle_deg"] = maj, mnr, ang
    return cat


def catalogue_blobs(catalogue: np.ndarray, pixel_scale_arcsec: float) -> Blobs:
    """Turn a compact-source catalogue into Gaussian :class:`Blobs` in pixel units.

    Parameters
    ----------
    catalogue : numpy.ndarray
        Structured array with :data:`CATALOGUE_DTYPE` fields.
    pixel_scale_arcsec : float

    Returns
    -------
    Blobs
    """
    k = 1.0 / (gaussian_sigma_to_fwhm * pixel_scale_arcsec)
    return Blobs(
        catalogue["x"],
        catalogue["y"],
        catalogue["flux_jy"],
        catalogue["fwhm_major_arcsec"] * k,
        catalogue["fwhm_minor_arcsec"] * k,
        np.deg2rad(catalogue["angle_deg"]),
    )
