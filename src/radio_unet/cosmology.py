"""Physical scales and fluxes through redshift.

All conversions go through an astropy :class:`~astropy.cosmology.FlatLambdaCDM`
cosmology (default H0 = 70 km/s/Mpc, Om0 = 0.3). Spectra follow the
convention :math:`S_\\nu \\propto \\nu^{\\alpha}` with ``alpha`` negative for
steep-spectrum sources (about -1.3 for radio halos, -0.7 for radio galaxies).

A source of monochromatic power :math:`P_{\\nu_r}` (W/Hz, rest frame, at the
reference frequency :math:`\\nu_r`) at redshift :math:`z` has the observed flux
density

.. math::

    S(\\nu_o) = \\frac{P_{\\nu_r}}{4\\pi D_L^2} (1+z)^{1+\\alpha}
               \\left(\\frac{\\nu_o}{\\nu_r}\\right)^{\\alpha},

i.e. the k-correction :math:`(1+z)^{1+\\alpha}` (equivalently
:math:`P = 4\\pi D_L^2 S (1+z)^{-(1+\\alpha)}`, the familiar
:math:`(1+z)^{\\alpha-1}` with the opposite sign convention for alpha).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .errors import RadioUNetError

__all__ = [
    "DEFAULT_H0",
    "DEFAULT_OM0",
    "get_cosmology",
    "kpc_per_arcsec",
    "kpc_to_pixels",
    "pixels_to_kpc",
    "luminosity_distance_m",
    "flux_from_power",
    "power_from_flux",
    "r500_kpc",
    "rayleigh_jeans_jy_per_arcsec2",
]

DEFAULT_H0 = 70.0
DEFAULT_OM0 = 0.3
_MPC_M = 3.0856775814913673e22
_ARCSEC_PER_RAD = 180.0 / np.pi * 3600.0


@lru_cache(maxsize=16)
def get_cosmology(h0: float = DEFAULT_H0, om0: float = DEFAULT_OM0):
    """The flat Lambda-CDM cosmology used for all conversions (cached).

    Parameters
    ----------
    h0 : float
        Hubble constant in km/s/Mpc.
    om0 : float
        Matter density parameter today.

    Returns
    -------
    astropy.cosmology.FlatLambdaCDM
    """
    from astropy.cosmology import FlatLambdaCDM

    if not (h0 > 0 and 0 < om0 <= 1):
        raise RadioUNetError(f"cosmology needs H0 > 0 and 0 < Om0 <= 1, got H0={h0}, Om0={om0}")
    return FlatLambdaCDM(H0=h0, Om0=om0)


def _cosmo(cosmology):
    return get_cosmology() if cosmology is None else cosmology


def _check_z(z) -> np.ndarray:
    za = np.asarray(z, dtype=float)
    if not np.all(np.isfinite(za)) or np.any(za <= 0):
        raise RadioUNetError(f"redshift must be positive and finite, got {z}")
    return za


@lru_cache(maxsize=4096)
def _kpc_per_arcsec_cached(z: float, h0: float, om0: float) -> float:
    cosmo = get_cosmology(h0, om0)
    return float(cosmo.angular_diameter_distance(z).to_value("kpc")) / _ARCSEC_PER_RAD


def kpc_per_arcsec(z, *, cosmology=None):
    """Proper transverse size (kpc) that one arcsecond spans at redshift ``z``.

    Parameters
    ----------
    z : float or array_like
        Redshift(s), positive.
    cosmology : astropy.cosmology.Cosmology, optional
        Defaults to :func:`get_cosmology` (H0=70, Om0=0.3).

    Returns
    -------
    float or numpy.ndarray
        kpc per arcsec (about 0.98 at z=0.05 and 6.1 at z=0.5).
    """
    za = _check_z(z)
    if cosmology is None and za.ndim == 0:
        return _kpc_per_arcsec_cached(float(za), DEFAULT_H0, DEFAULT_OM0)
    cosmo = _cosmo(cosmology)
    out = cosmo.angular_diameter_distance(za).to_value("kpc") / _ARCSEC_PER_RAD
    return float(out) if np.ndim(out) == 0 else out


def kpc_to_pixels(size_kpc, z, pixel_scale_arcsec: float, *, cosmology=None):
    """Convert a proper length in kpc at redshift ``z`` to image pixels.

    Parameters
    ----------
    size_kpc : float or array_like
        Proper (physical) length in kpc.
    z : float or array_like
        Redshift.
    pixel_scale_arcsec : float
        Pixel size in arcsec.
    cosmology : astropy.cosmology.Cosmology, optional

    Returns
    -------
    float or numpy.ndarray
        Length in pixels. 1 Mpc at z=0.05 spans about 510 pixels of 2", at
        z=0.5 about 82.
    """
    if not pixel_scale_arcsec > 0:
        raise RadioUNetError(f"pixel scale must be positive, got {pixel_scale_arcsec}")
    out = np.asarray(size_kpc, dtype=float) / (np.asarray(kpc_per_arcsec(z, cosmology=cosmology)) * pixel_scale_arcsec)
    return float(out) if np.ndim(out) == 0 else out


def pixels_to_kpc(size_pix, z, pixel_scale_arcsec: float, *, cosmology=None):
    """Inverse of :func:`kpc_to_pixels`: a length in pixels as proper kpc at ``z``.

    Parameters
    ----------
    size_pix : float or array_like
    z : float or array_like
    pixel_scale_arcsec : float
    cosmology : astropy.cosmology.Cosmology, optional

    Returns
    -------
    float or numpy.ndarray
    """
    if not pixel_scale_arcsec > 0:
        raise RadioUNetError(f"pixel scale must be positive, got {pixel_scale_arcsec}")
    out = np.asarray(size_pix, dtype=float) * pixel_scale_arcsec * np.asarray(kpc_per_arcsec(z, cosmology=cosmology))
    return float(out) if np.ndim(out) == 0 else out


@lru_cache(maxsize=4096)
def _dl_cached(z: float, h0: float, om0: float) -> float:
    return float(get_cosmology(h0, om0).luminosity_distance(z).to_value("Mpc")) * _MPC_M


def luminosity_distance_m(z, *, cosmology=None):
    """Luminosity distance in metres.

    Parameters
    ----------
    z : float or array_like
    cosmology : astropy.cosmology.Cosmology, optional

    Returns
    -------
    float or numpy.ndarray
    """
    za = _check_z(z)
    if cosmology is None and za.ndim == 0:
        return _dl_cached(float(za), DEFAULT_H0, DEFAULT_OM0)
    out = _cosmo(cosmology).luminosity_distance(za).to_value("Mpc") * _MPC_M
    return float(out) if np.ndim(out) == 0 else out


def flux_from_power(power_w_hz, z, *, alpha: float, freq_hz: float = 144e6, ref_freq_hz: float = 150e6, cosmology=None):
    """Observed flux density (Jy) of a source of given rest-frame power.

    Parameters
    ----------
    power_w_hz : float or array_like
        Monochromatic power at ``ref_freq_hz`` in the source rest frame (W/Hz).
    z : float or array_like
        Redshift.
    alpha : float
        Spectral index, :math:`S \\propto \\nu^{\\alpha}` (negative for
        steep spectra).
    freq_hz : float
        Observing frequency.
    ref_freq_hz : float
        Frequency at which ``power_w_hz`` is quoted.
    cosmology : astropy.cosmology.Cosmology, optional

    Returns
    -------
    float or numpy.ndarray
        Flux density in Jy at ``freq_hz``:
        ``P (1+z)^(1+alpha) (freq/ref)^alpha / (4 pi D_L^2)``.
    """
    if not (freq_hz > 0 and ref_freq_hz > 0):
        raise RadioUNetError("frequencies must be positive")
    za = _check_z(z)
    dl = luminosity_distance_m(z, cosmology=cosmology)
    s_si = np.asarray(power_w_hz, dtype=float) / (4.0 * np.pi * np.asarray(dl) ** 2)
    s = s_si * (1.0 + za) ** (1.0 + alpha) * (freq_hz / ref_freq_hz) ** alpha * 1e26
    return float(s) if np.ndim(s) == 0 else s


def power_from_flux(flux_jy, z, *, alpha: float, freq_hz: float = 144e6, ref_freq_hz: float = 150e6, cosmology=None):
    """Rest-frame power (W/Hz at ``ref_freq_hz``) of a source of observed flux ``flux_jy``.

    The exact inverse of :func:`flux_from_power`.

    Parameters
    ----------
    flux_jy : float or array_like
    z : float or array_like
    alpha : float
    freq_hz, ref_freq_hz : float
    cosmology : astropy.cosmology.Cosmology, optional

    Returns
    -------
    float or numpy.ndarray
    """
    unit = flux_from_power(1.0, z, alpha=alpha, freq_hz=freq_hz, ref_freq_hz=ref_freq_hz, cosmology=cosmology)
    p = np.asarray(flux_jy, dtype=float) / unit
    return float(p) if np.ndim(p) == 0 else p


def r500_kpc(m500_msun, z, *, cosmology=None):
    """Radius enclosing 500 times the critical density, from the mass inside it.

    Parameters
    ----------
    m500_msun : float or array_like
        :math:`M_{500}` in solar masses.
    z : float or array_like
    cosmology : astropy.cosmology.Cosmology, optional

    Returns
    -------
    float or numpy.ndarray
        :math:`R_{500} = (3 M_{500} / (4\\pi\\, 500\\, \\rho_c(z)))^{1/3}` in kpc
        (about 1.1 Mpc for 5e14 Msun at z=0.1).
    """
    m = np.asarray(m500_msun, dtype=float)
    if np.any(m <= 0):
        raise RadioUNetError(f"M500 must be positive, got {m500_msun}")
    za = _check_z(z)
    rho_c = _cosmo(cosmology).critical_density(za).to_value("Msun / kpc3")
    r = (3.0 * m / (4.0 * np.pi * 500.0 * rho_c)) ** (1.0 / 3.0)
    return float(r) if np.ndim(r) == 0 else r


def rayleigh_jeans_jy_per_arcsec2(temperature_k, freq_hz: float):
    """Surface brightness (Jy/arcsec^2) of a brightness temperature (Rayleigh-Jeans).

    Parameters
    ----------
    temperature_k : float or array_like
    freq_hz : float

    Returns
    -------
    float or numpy.ndarray
        :math:`2 k T \\nu^2 / c^2` per arcsec^2 in Jy (1 K at 144 MHz is
        about 1.5e-8 Jy/arcsec^2).
    """
    k_b, c = 1.380649e-23, 299792458.0
    per_sr = 2.0 * k_b * np.asarray(temperature_k, dtype=float) * freq_hz**2 / c**2 * 1e26
    out = per_sr / _ARCSEC_PER_RAD**2
    return float(out) if np.ndim(out) == 0 else out
