"""uv-grid cells, Briggs (robust) weighting, Gaussian uv-taper and gridded PSFs.

The uv grid is the Fourier grid of the image: cell size ``1 / field of
view`` (the uniform-weighting cell of WSClean/CASA). An image ``(ny, nx)``
with pixel size ``d`` (radians) has the fringe of a visibility at ``(u, v)``
(wavelengths) at ``(fy, fx) = (v d, -u d)`` cycles per pixel, because ``x``
points west. Visibilities beyond the grid's Nyquist limit (``|u| d >= 1/2``
or ``|v| d >= 1/2``) are flagged, as an imager does.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
from astropy.stats import gaussian_sigma_to_fwhm

from ..errors import RadioUNetError

__all__ = [
    "SPEED_OF_LIGHT",
    "ARCSEC",
    "UVCells",
    "uv_cells",
    "grid_sum",
    "briggs_factor",
    "briggs_weights",
    "taper_factors",
    "gridded_psf",
]

SPEED_OF_LIGHT = 299_792_458.0
ARCSEC = math.pi / (180.0 * 3600.0)


class UVCells:
    """uv-grid cell of every visibility (row, channel) and its mirror cell.

    Parameters
    ----------
    cell : numpy.ndarray
        Flat cell index ``ky * nx + kx`` (int64, ``(nrow, nchan)``).
    mirror : numpy.ndarray
        Flat index of the cell of ``(-u, -v)``.
    valid : numpy.ndarray
        Boolean, False where the visibility lies beyond the grid.
    uv2 : numpy.ndarray
        ``u^2 + v^2`` in wavelengths squared (float64).
    shape : (int, int)
        Grid (= image) shape ``(ny, nx)``.
    """

    def __init__(self, cell, mirror, valid, uv2, shape):
        self.cell = cell
        self.mirror = mirror
        self.valid = valid
        self.uv2 = uv2
        self.shape = shape

    @property
    def size(self) -> int:
        """Number of grid cells."""
        return self.shape[0] * self.shape[1]


def uv_cells(uvw_m: np.ndarray, freqs_hz: np.ndarray, *, shape: tuple[int, int], pixel_rad: float) -> UVCells:
    """Assign every visibility to a cell of the image's Fourier grid.

    Parameters
    ----------
    uvw_m : numpy.ndarray
        ``(nrow, 3)`` uvw in metres.
    freqs_hz : numpy.ndarray
        Channel frequencies.
    shape : (int, int)
        Image shape ``(ny, nx)``.
    pixel_rad : float
        Pixel size in radians.

    Returns
    -------
    UVCells
    """
    ny, nx = shape
    scale = np.asarray(freqs_hz, dtype=np.float64)[None, :] / SPEED_OF_LIGHT
    u = uvw_m[:, 0:1] * scale
    v = uvw_m[:, 1:2] * scale
    fx = -u * pixel_rad
    fy = v * pixel_rad
    lim = 0.5 - 1.0 / max(nx, ny)
    valid = (np.abs(fx) < lim) & (np.abs(fy) < lim)
    kx = np.rint(fx * nx).astype(np.int64)
    ky = np.rint(fy * ny).astype(np.int64)
    cell = (ky % ny) * nx + (kx % nx)
    mirror = ((-ky) % ny) * nx + ((-kx) % nx)
    return UVCells(cell, mirror, valid, u * u + v * v, (ny, nx))


def grid_sum(cells: UVCells, values: np.ndarray | None = None) -> np.ndarray:
    """Sum ``values`` of valid visibilities into their cells and mirror cells.

    Parameters
    ----------
    cells : UVCells
        Cell assignment.
    values : numpy.ndarray, optional
        Per-visibility values ``(nrow, nchan)``; default 1 (counts).

    Returns
    -------
    numpy.ndarray
        ``(ny, nx)`` float64 grid, point-symmetric (Hermitian) by construction.
    """
    valid = cells.valid
    w = None if values is None else np.asarray(values, dtype=np.float64)[valid]
    grid = np.bincount(cells.cell[valid], weights=w, minlength=cells.size)
    grid = grid + np.bincount(cells.mirror[valid], weights=w, minlength=cells.size)
    return grid.reshape(cells.shape)


def briggs_factor(density: np.ndarray, robust: float) -> float:
    """Briggs' ``f^2 = (5 * 10^-R)^2 / (sum W^2 / sum W)`` for a gridded density ``W``."""
    s1 = float(density.sum())
    s2 = float(np.square(density).sum())
    if s1 <= 0:
        raise RadioUNetError("no visibility falls on the uv grid: the pixels are too large for the baselines")
    return (5.0 * 10.0 ** (-robust)) ** 2 / (s2 / s1)


def briggs_weights(cells: UVCells, density: np.ndarray, robust: float) -> np.ndarray:
    """Briggs (robust) imaging weights of unit-natural-weight visibilities.

    ``w = 1 / (1 + W_cell f^2)``; flagged visibilities get 0. ``robust = -2``
    is close to uniform, ``+2`` close to natural weighting.

    Returns
    -------
    numpy.ndarray
        ``(nrow, nchan)`` float64.
    """
    f2 = briggs_factor(density, robust)
    flat = density.ravel()
    w = 1.0 / (1.0 + flat[cells.cell] * f2)
    w[~cells.valid] = 0.0
    return w


def taper_factors(uv2: np.ndarray, taper_arcsec: float | None) -> np.ndarray | float:
    """Gaussian uv-taper equivalent to convolving the PSF with a Gaussian of FWHM ``taper_arcsec``.

    ``exp(-2 pi^2 sigma^2 (u^2 + v^2))`` with ``sigma = FWHM / sqrt(8 ln 2)``
    in radians (the WSClean ``-taper-gaussian`` convention).
    """
    if taper_arcsec is None:
        return 1.0
    sigma = taper_arcsec * ARCSEC / gaussian_sigma_to_fwhm
    return np.exp(-2.0 * math.pi**2 * sigma**2 * uv2)


def gridded_psf(weight_grid: np.ndarray, *, half: int, workers: int = 1) -> np.ndarray:
    """Central ``(2 half + 1)^2`` of the PSF of a gridded (Hermitian) weight grid, peak 1.

    Snapping visibilities to cell centres changes the PSF only far from its
    centre, so this is an accurate, fast stand-in for the main lobe.
    """
    ny, nx = weight_grid.shape
    psf = scipy.fft.fft2(weight_grid.astype(np.complex64), workers=workers).real
    psf = np.fft.fftshift(psf)
    cy, cx = ny // 2, nx // 2
    half = min(half, cy - 1, cx - 1)
    cut = psf[cy - half : cy + half + 1, cx - half : cx + half + 1]
    return cut / psf[cy, cx]
