"""Thermal noise with the spatial spectrum of the weighted uv-coverage.

A dirty image of noise visibilities (independent, equal variance) has the
power spectrum ``sum_i w_i^2 delta(k - k_i)`` (imaging weights squared,
gridded, Hermitian). Both routes produce exactly that:

* visibility route: complex Gaussian noise of standard deviation
  :func:`visibility_sigma` per visibility, imaged with the weights;
* image route: complex Gaussian noise in every uv cell multiplied by
  ``sqrt(sum of w^2 in the cell)`` (:func:`noise_shaping_kernel`), then an
  FFT (:func:`shaped_noise`).

White noise convolved with the PSF would instead have the spectrum
``(sum w)^2`` per cell, too much power on the densely sampled short
spacings.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

from ..errors import RadioUNetError
from .weighting import UVCells, grid_sum

__all__ = ["visibility_sigma", "noise_shaping_kernel", "shaped_noise", "visibility_noise"]


def visibility_sigma(weights: np.ndarray, *, image_rms: float = 1.0) -> float:
    """Per-visibility noise (``E|n|^2 = sigma^2``) giving ``image_rms`` in the image.

    The image is ``sum_i w_i Re(V_i e^{i phi_i}) / sum_i w_i``; its noise
    variance is ``sigma^2 sum w^2 / (2 (sum w)^2)``.

    Parameters
    ----------
    weights : numpy.ndarray
        Imaging weights (zero for flagged visibilities).
    image_rms : float
        Wanted image rms (Jy/beam).
    """
    w = np.asarray(weights, dtype=np.float64)
    s1, s2 = float(w.sum()), float(np.square(w).sum())
    if s1 <= 0:
        raise RadioUNetError("all imaging weights are zero")
    return image_rms * math.sqrt(2.0) * s1 / math.sqrt(s2)


def noise_shaping_kernel(cells: UVCells, weights: np.ndarray) -> np.ndarray:
    """Amplitude per uv cell that turns unit complex noise into unit-rms image noise.

    Parameters
    ----------
    cells : UVCells
        Cell of every visibility.
    weights : numpy.ndarray
        Imaging weights ``(nrow, nchan)``.

    Returns
    -------
    numpy.ndarray
        float32 ``(ny, nx)`` in numpy FFT order; see :func:`shaped_noise`.
    """
    power = grid_sum(cells, np.square(weights))
    ny, nx = cells.shape
    # Var[Re(ifft2(a z))] = sum(a^2) / (2 (ny nx)^2) for E|z|^2 = 1
    var = power.sum() / (2.0 * (ny * nx) ** 2)
    if var <= 0:
        raise RadioUNetError("all imaging weights are zero")
    return (np.sqrt(power) / math.sqrt(var)).astype(np.float32)


def shaped_noise(kernel: np.ndarray, *, rms: float, rng: np.random.Generator, workers: int = 1) -> np.ndarray:
    """Gaussian noise image with the spectrum of the weighted uv-coverage.

    Parameters
    ----------
    kernel : numpy.ndarray
        Output of :func:`noise_shaping_kernel`.
    rms : float
        Wanted rms (Jy/beam).
    rng : numpy.random.Generator
        Source of the random numbers.
    workers : int
        FFT threads.

    Returns
    -------
    numpy.ndarray
        float32 image of shape ``kernel.shape``.
    """
    z = rng.standard_normal((2,) + kernel.shape, dtype=np.float32)
    spec = np.empty(kernel.shape, dtype=np.complex64)
    spec.real = z[0]
    spec.imag = z[1]
    spec *= kernel * np.float32(rms / math.sqrt(2.0))
    return scipy.fft.ifft2(spec, workers=workers, overwrite_x=True).real.astype(np.float32)


def visibility_noise(shape: tuple[int, int], *, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Complex Gaussian noise with ``E|n|^2 = sigma^2`` (complex64)."""
    z = rng.standard_normal((2,) + tuple(shape), dtype=np.float32)
    out = np.empty(shape, dtype=np.complex64)
    out.real = z[0]
    out.imag = z[1]
    out *= np.float32(sigma / math.sqrt(2.0))
    return out
