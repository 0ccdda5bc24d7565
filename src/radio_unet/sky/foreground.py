"""Smooth Galactic synchrotron foreground on degree scales.

An interferometer sees only the fluctuations of the Galactic emission, not
its mean, so the foreground is a zero-mean Gaussian random field with a
steep angular power spectrum (:math:`C_\\ell \\propto \\ell^{-2.7}`, e.g.
Bernardi et al. 2009 at 150 MHz) and an rms given as a brightness
temperature, converted to Jy/pixel with the Rayleigh-Jeans law. It is built
on a coarse grid and interpolated (it has no small-scale structure).
"""

from __future__ import annotations

import numpy as np

from ..cosmology import rayleigh_jeans_jy_per_arcsec2
from ..errors import RadioUNetError
from .fields import gaussian_random_field, upsample_field

__all__ = ["galactic_foreground"]


def galactic_foreground(
    shape,
    pixel_scale_arcsec: float,
    *,
    rms_k: float,
    rng: np.random.Generator,
    freq_hz: float = 144e6,
    slope: float = -2.7,
    outer_scale_deg: float = 2.0,
    inner_scale_arcmin: float = 10.0,
) -> np.ndarray:
    """A zero-mean, large-scale Galactic foreground in Jy/pixel.

    Parameters
    ----------
    shape : (int, int)
    pixel_scale_arcsec : float
    rms_k : float
        rms brightness temperature of the fluctuations over the image (K).
        1 K at 144 MHz is about 1.5e-8 Jy/arcsec^2.
    rng : numpy.random.Generator
    freq_hz : float
    slope : float
        Slope of the 2-D power spectrum.
    outer_scale_deg : float
        Scale (deg) above which the spectrum flattens.
    inner_scale_arcmin : float
        Smoothing scale (arcmin); the field is built on a grid about a third
        of this.

    Returns
    -------
    numpy.ndarray
        float32 image of ``shape`` with standard deviation equal to ``rms_k``
        in Jy/pixel (exactly, before float32 rounding).
    """
    ny, nx = (int(shape), int(shape)) if np.ndim(shape) == 0 else (int(shape[0]), int(shape[1]))
    if not pixel_scale_arcsec > 0:
        raise RadioUNetError(f"pixel scale must be positive, got {pixel_scale_arcsec}")
    if not rms_k >= 0:
        raise RadioUNetError(f"foreground rms must be non-negative, got {rms_k}")
    if not (outer_scale_deg > 0 and inner_scale_arcmin > 0):
        raise RadioUNetError("foreground scales must be positive")
    step = max(1, int(inner_scale_arcmin * 60.0 / 3.0 / pixel_scale_arcsec))
    cny, cnx = max(4, int(np.ceil(ny / step))), max(4, int(np.ceil(nx / step)))
    cell_arcsec = pixel_scale_arcsec * ny / cny
    g = gaussian_random_field(
        (cny, cnx),
        slope=slope,
        rng=rng,
        outer_scale=outer_scale_deg * 3600.0 / cell_arcsec,
        inner_scale=inner_scale_arcmin * 60.0 / cell_arcsec / 2.3548,
    )
    full = upsample_field(g, (ny, nx), order=1)
    full -= full.mean()
    std = full.std()
    if std > 0:
        full /= std
    amp = rms_k * rayleigh_jeans_jy_per_arcsec2(1.0, freq_hz) * pixel_scale_arcsec**2
    return (full * amp).astype(np.float32)
