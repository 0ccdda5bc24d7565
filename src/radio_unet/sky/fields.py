"""Random fields: Gaussian random fields with power-law spectra and log-normal fields.

These provide the turbulent substructure of halos, the filamentary texture of
relics, the cosmic-web network and the Galactic foreground. All fields are
built with real FFTs from white noise drawn from the passed
:class:`numpy.random.Generator`, so a seed fixes them exactly.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..errors import RadioUNetError
from ..interpolate import interp_separable

__all__ = ["gaussian_random_field", "lognormal_field", "upsample_field"]


def _shape2(shape) -> tuple[int, int]:
    try:
        ny, nx = (int(shape), int(shape)) if np.ndim(shape) == 0 else (int(shape[0]), int(shape[1]))
    except (TypeError, ValueError, IndexError):
        raise RadioUNetError(f"shape must be an int or a (ny, nx) pair, got {shape!r}") from None
    if ny < 1 or nx < 1:
        raise RadioUNetError(f"shape must be positive, got {shape!r}")
    return ny, nx


def gaussian_random_field(
    shape,
    *,
    slope: float,
    rng: np.random.Generator,
    outer_scale: float | None = None,
    inner_scale: float | None = None,
    aspect: float = 1.0,
    angle_deg: float = 0.0,
) -> np.ndarray:
    """Zero-mean, unit-variance Gaussian random field with a power-law spectrum.

    The 2-D power spectrum is :math:`P(k) \\propto (k^2 + k_0^2)^{\\mathrm{slope}/2}`
    with :math:`k_0 = 1/\\mathrm{outer\\_scale}`, optionally cut by a Gaussian
    at :math:`k \\sim 1/\\mathrm{inner\\_scale}`. Projected Kolmogorov
    turbulence has slope -11/3.

    Parameters
    ----------
    shape : int or (int, int)
        Output shape ``(ny, nx)``.
    slope : float
        Power-law index of the 2-D power spectrum (negative for fields that
        are smooth on small scales).
    rng : numpy.random.Generator
        Source of randomness.
    outer_scale : float, optional
        Largest correlated scale in pixels (flattens the spectrum below
        ``k = 1/outer_scale``). Default: the largest side of the field.
    inner_scale : float, optional
        Smallest scale in pixels: the field is smoothed as if by a Gaussian of
        this standard deviation.
    aspect : float
        Ratio of correlation lengths along the rotated x axis to the rotated y
        axis; values above 1 give structures elongated along x.
    angle_deg : float
        Rotation (counter-clockwise from +x) of the elongation axis.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(ny, nx)``, mean 0 and standard deviation 1
        (exactly, after normalisation), unless the field is constant.
    """
    ny, nx = _shape2(shape)
    if not np.isfinite(slope):
        raise RadioUNetError(f"slope must be finite, got {slope}")
    if not aspect > 0:
        raise RadioUNetError(f"aspect must be positive, got {aspect}")
    noise = rng.standard_normal((ny, nx))
    if ny * nx == 1:
        return np.zeros((ny, nx))
    ky = np.fft.fftfreq(ny)[:, None]
    kx = np.fft.rfftfreq(nx)[None, :]
    if aspect != 1.0 or angle_deg != 0.0:
        c, s = np.cos(np.deg2rad(angle_deg)), np.sin(np.deg2rad(angle_deg))
        ku = kx * c + ky * s
        kv = -kx * s + ky * c
        k2 = (ku * np.sqrt(aspect)) ** 2 + (kv / np.sqrt(aspect)) ** 2
    else:
        k2 = kx**2 + ky**2
    outer = float(max(ny, nx)) if outer_scale is None else float(outer_scale)
    if not outer > 0:
        raise RadioUNetError(f"outer_scale must be positive, got {outer_scale}")
    amp = (k2 + (1.0 / outer) ** 2) ** (slope / 4.0)
    if inner_scale is not None:
        if not inner_scale > 0:
            raise RadioUNetError(f"inner_scale must be positive, got {inner_scale}")
        # the transfer function of smoothing with a Gaussian of sigma = inner_scale pixels
        amp = amp * np.exp(-2.0 * np.pi**2 * inner_scale**2 * k2)
    amp[0, 0] = 0.0
    field = np.fft.irfft2(np.fft.rfft2(noise) * amp, s=(ny, nx))
    field -= field.mean()
    std = field.std()
    if std > 0:
        field /= std
    return field


def lognormal_field(
    shape,
    *,
    sigma: float,
    slope: float,
    rng: np.random.Generator,
    outer_scale: float | None = None,
    inner_scale: float | None = None,
    aspect: float = 1.0,
    angle_deg: float = 0.0,
) -> np.ndarray:
    """Log-normal field with unit mean: ``exp(sigma * g - sigma**2 / 2)``.

    Parameters
    ----------
    shape : int or (int, int)
    sigma : float
        Standard deviation of the logarithm (0 gives a field of ones).
    slope, rng, outer_scale, inner_scale, aspect, angle_deg
        As for :func:`gaussian_random_field`, which makes ``g``.

    Returns
    -------
    numpy.ndarray
        float64, positive, with expectation 1.
    """
    if not sigma >= 0:
        raise RadioUNetError(f"sigma must be non-negative, got {sigma}")
    g = gaussian_random_field(
        shape,
        slope=slope,
        rng=rng,
        outer_scale=outer_scale,
        inner_scale=inner_scale,
        aspect=aspect,
        angle_deg=angle_deg,
    )
    return np.exp(sigma * g - 0.5 * sigma**2)


def upsample_field(field: np.ndarray, shape, *, order: int = 1) -> np.ndarray:
    """Resample a coarse field onto a finer grid covering the same area.

    Pixel centres are aligned so that the coarse grid's cell ``i`` covers
    fine pixels ``[i*f, (i+1)*f)`` with ``f = shape / coarse shape``.

    Parameters
    ----------
    field : numpy.ndarray
        2-D coarse field.
    shape : (int, int)
        Output shape.
    order : int
        Spline order (1 = bilinear).

    Returns
    -------
    numpy.ndarray
        float64 array of ``shape``.
    """
    ny, nx = _shape2(shape)
    cy, cx = field.shape
    fy, fx = ny / cy, nx / cx
    y = (np.arange(ny) + 0.5) / fy - 0.5
    x = (np.arange(nx) + 0.5) / fx - 0.5
    # separable linear interpolation is much faster than map_coordinates on a full grid
    if order == 1:
        return interp_separable(field, y, x)
    yy, xx = np.meshgrid(y, x, indexing="ij")
    return ndimage.map_coordinates(field, [yy, xx], order=order, mode="nearest")
