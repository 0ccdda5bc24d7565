"""Elliptical Gaussian beams on the pixel grid: fitting, kernels, restoring.

Pixel convention used throughout :mod:`radio_unet.observe`: images are
``(ny, nx)`` arrays, ``x`` (axis 1) increases towards the west (right ascension
decreases, as in a FITS image with negative ``CDELT1``) and ``y`` (axis 0)
towards the north. Position angles are east of north, in degrees, in
``[-90, 90)``.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from astropy.stats import gaussian_sigma_to_fwhm
from scipy import ndimage, optimize

from ..errors import RadioUNetError
from ..io.beam import Beam

__all__ = [
    "FOUR_LN2",
    "beam_quadratic",
    "beam_from_quadratic",
    "gaussian_image",
    "beam_kernel",
    "fit_beam",
    "fit_gaussian",
    "restore",
]

FOUR_LN2 = 4.0 * math.log(2.0)


def beam_quadratic(beam: Beam) -> tuple[float, float, float]:
    """Coefficients ``(A, B, C)`` of ``ln G = -(A e^2 + 2 B e n + C n^2)``.

    ``e`` and ``n`` are offsets towards east and north in arcsec.
    """
    pa = math.radians(beam.pa)
    s, c = math.sin(pa), math.cos(pa)
    qa, qb = FOUR_LN2 / beam.major**2, FOUR_LN2 / beam.minor**2
    # a = e s + n c (along the major axis), b = e c - n s (along the minor axis)
    A = qa * s * s + qb * c * c
    C = qa * c * c + qb * s * s
    B = (qa - qb) * s * c
    return A, B, C


def beam_from_quadratic(A: float, B: float, C: float) -> Beam:
    """Inverse of :func:`beam_quadratic`; raises if the form is not positive definite."""
    q = np.array([[A, B], [B, C]], dtype=np.float64)
    vals, vecs = np.linalg.eigh(q)
    if not np.all(np.isfinite(vals)) or vals[0] <= 0:
        raise RadioUNetError("Gaussian fit failed: the fitted shape is not a closed ellipse")
    major = math.sqrt(FOUR_LN2 / vals[0])
    minor = math.sqrt(FOUR_LN2 / vals[1])
    e, n = vecs[0, 0], vecs[1, 0]  # direction of the major axis (smallest curvature)
    pa = math.degrees(math.atan2(e, n))
    pa = (pa + 90.0) % 180.0 - 90.0
    return Beam(major=major, minor=minor, pa=pa)


def _offsets_arcsec(shape, center, pixel_scale_arcsec):
    ny, nx = shape
    y = (np.arange(ny) - center[0]) * pixel_scale_arcsec
    x = (np.arange(nx) - center[1]) * pixel_scale_arcsec
    north = y[:, None]
    east = -x[None, :]
    return east, north


def gaussian_image(
    shape: tuple[int, int],
    *,
    beam: Beam,
    pixel_scale_arcsec: float,
    center: tuple[float, float] | None = None,
    amplitude: float = 1.0,
) -> np.ndarray:
    """An elliptical Gaussian of peak ``amplitude`` sampled at pixel centres.

    Parameters
    ----------
    shape : (int, int)
        Image shape ``(ny, nx)``.
    beam : Beam
        FWHM axes (arcsec) and position angle (deg, east of north).
    pixel_scale_arcsec : float
        Pixel size.
    center : (float, float), optional
        ``(y, x)`` pixel position of the peak; default ``(ny // 2, nx // 2)``.
    amplitude : float
        Peak value.

    Returns
    -------
    numpy.ndarray
        float64 image.
    """
    if center is None:
        center = (shape[0] // 2, shape[1] // 2)
    east, north = _offsets_arcsec(shape, center, pixel_scale_arcsec)
    A, B, C = beam_quadratic(beam)
    return amplitude * np.exp(-(A * east**2 + 2 * B * east * north + C * north**2))


def beam_kernel(beam: Beam, *, pixel_scale_arcsec: float, truncate: float = 6.0) -> np.ndarray:
    """Peak-1 Gaussian kernel of odd size, truncated at ``truncate`` sigma of the major axis.

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``(2 r + 1, 2 r + 1)`` centred on ``(r, r)``.
    """
    sigma_px = beam.major / pixel_scale_arcsec / gaussian_sigma_to_fwhm
    r = max(2, int(math.ceil(truncate * sigma_px)))
    return gaussian_image((2 * r + 1, 2 * r + 1), beam=beam, pixel_scale_arcsec=pixel_scale_arcsec).astype(np.float32)


def _main_lobe(image: np.ndarray, center: tuple[int, int], threshold: float) -> np.ndarray:
    above = image > threshold
    labels, _ = ndimage.label(above)
    lab = labels[center]
    if lab == 0:
        raise RadioUNetError("Gaussian fit failed: the peak is below the main-lobe threshold")
    return labels == lab


def fit_beam(
    psf: np.ndarray,
    *,
    pixel_scale_arcsec: float,
    threshold: float = 0.35,
    center: tuple[int, int] | None = None,
    box: int | None = None,
) -> Beam:
    """Fit an elliptical Gaussian (peak fixed to the PSF peak) to the PSF main lobe.

    The main lobe is the connected region around the peak where the PSF
    exceeds ``threshold`` times its peak (as CASA and WSClean do, 35%).

    Parameters
    ----------
    psf : numpy.ndarray
        The point spread function, ``(ny, nx)``.
    pixel_scale_arcsec : float
        Pixel size in arcsec.
    threshold : float
        Main-lobe threshold relative to the peak.
    center : (int, int), optional
        Peak pixel; default: the position of the maximum.
    box : int, optional
        Half-size of the region searched around the centre (default 64 px).

    Returns
    -------
    Beam
        FWHM axes in arcsec and position angle in degrees.
    """
    psf = np.asarray(psf, dtype=np.float64)
    if center is None:
        center = tuple(int(i) for i in np.unravel_index(np.argmax(psf), psf.shape))
    box = 64 if box is None else int(box)
    y0, x0 = max(center[0] - box, 0), max(center[1] - box, 0)
    cut = psf[y0 : center[0] + box + 1, x0 : center[1] + box + 1]
    c = (center[0] - y0, center[1] - x0)
    peak = cut[c]
    if not np.isfinite(peak) or peak <= 0:
        raise RadioUNetError("beam fit failed: the PSF peak is not positive")
    cut = cut / peak
    lobe = _main_lobe(cut, c, threshold)
    if lobe.sum() < 4:
        raise RadioUNetError(
            "beam fit failed: the PSF main lobe covers fewer than 4 pixels; use smaller pixels (the beam should span >= 2 pixels)"
        )
    east, north = _offsets_arcsec(cut.shape, c, pixel_scale_arcsec)
    east = np.broadcast_to(east, cut.shape)[lobe]
    north = np.broadcast_to(north, cut.shape)[lobe]
    vals = cut[lobe]
    # linear start: -ln(psf) = A e^2 + 2 B e n + C n^2, weighted towards the peak
    design = np.stack([east**2, 2 * east * north, north**2], axis=1)
    wts = vals
    coef, *_ = np.linalg.lstsq(design * wts[:, None], -np.log(vals) * wts, rcond=None)

    def resid(p):
        A, B, C = p
        return np.exp(-(A * east**2 + 2 * B * east * north + C * north**2)) - vals

    sol = optimize.least_squares(resid, coef, method="lm")
    A, B, C = sol.x if sol.success else coef
    return beam_from_quadratic(A, B, C)


def fit_gaussian(
    image: np.ndarray,
    *,
    pixel_scale_arcsec: float,
    center: tuple[int, int] | None = None,
    box: int = 12,
) -> tuple[Beam, float, tuple[float, float]]:
    """Fit a free elliptical Gaussian (amplitude, centre, shape) around a peak.

    Parameters
    ----------
    image : numpy.ndarray
        Image ``(ny, nx)``.
    pixel_scale_arcsec : float
        Pixel size.
    center : (int, int), optional
        Starting pixel; default: the maximum of the image.
    box : int
        Half-size of the fitted square in pixels.

    Returns
    -------
    beam : Beam
        Fitted FWHM axes (arcsec) and position angle.
    amplitude : float
        Fitted peak value.
    position : (float, float)
        Fitted ``(y, x)`` pixel position of the peak.
    """
    image = np.asarray(image, dtype=np.float64)
    if center is None:
        center = tuple(int(i) for i in np.unravel_index(np.nanargmax(image), image.shape))
    y0, x0 = max(center[0] - box, 0), max(center[1] - box, 0)
    cut = image[y0 : center[0] + box + 1, x0 : center[1] + box + 1]
    yy, xx = np.mgrid[: cut.shape[0], : cut.shape[1]].astype(np.float64)
    amp0 = cut[center[0] - y0, center[1] - x0]
    start_beam = fit_beam(cut, pixel_scale_arcsec=pixel_scale_arcsec, center=(center[0] - y0, center[1] - x0), box=box)
    A0, B0, C0 = beam_quadratic(start_beam)
    ok = np.isfinite(cut)

    def resid(p):
        amp, cy, cx, A, B, C = p
        north = (yy - cy) * pixel_scale_arcsec
        east = -(xx - cx) * pixel_scale_arcsec
        return (amp * np.exp(-(A * east**2 + 2 * B * east * north + C * north**2)) - cut)[ok]

    p0 = [amp0, center[0] - y0, center[1] - x0, A0, B0, C0]
    sol = optimize.least_squares(resid, p0, method="lm")
    amp, cy, cx, A, B, C = sol.x
    return beam_from_quadratic(A, B, C), float(amp), (float(cy + y0), float(cx + x0))


@numba.njit(cache=True)
def _stamp(model, kernel, out):  # pragma: no cover - compiled
    ny, nx = model.shape
    r = kernel.shape[0] // 2
    for y in range(ny):
        for x in range(nx):
            f = model[y, x]
            if f == 0.0:
                continue
            for dy in range(-r, r + 1):
                yy = y + dy
                if yy < 0 or yy >= ny:
                    continue
                for dx in range(-r, r + 1):
                    xx = x + dx
                    if xx < 0 or xx >= nx:
                        continue
                    out[yy, xx] += f * kernel[dy + r, dx + r]
    return out


def restore(model: np.ndarray, beam: Beam, *, pixel_scale_arcsec: float) -> np.ndarray:
    """Convolve CLEAN components (Jy/pixel) with the restoring beam (Jy/beam).

    Each component is spread with a peak-1 Gaussian, so a component of
    ``S`` Jy becomes a Gaussian of peak ``S`` Jy/beam whose integral divided
    by the beam area in pixels is ``S``.

    Parameters
    ----------
    model : numpy.ndarray
        CLEAN component image, Jy/pixel.
    beam : Beam
        Restoring beam.
    pixel_scale_arcsec : float
        Pixel size.

    Returns
    -------
    numpy.ndarray
        float32 image in Jy/beam (without residual).
    """
    kernel = beam_kernel(beam, pixel_scale_arcsec=pixel_scale_arcsec)
    out = np.zeros(model.shape, dtype=np.float32)
    return _stamp(np.ascontiguousarray(model, dtype=np.float32), kernel, out)
