"""Separable linear interpolation on regular grids: numpy only.

Where the sample points of a 2-D grid form a grid themselves (a rescaled
image, a coarse random field read back on the pixel grid), bilinear
interpolation is two 1-D linear interpolations, one per axis. That is much
faster than :func:`scipy.ndimage.map_coordinates` on the full grid of
points, and it keeps ``scipy.ndimage`` (about a quarter of a second to
import) off the path of ``radio-unet segment``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["interp_axis", "interp_separable"]


def interp_axis(a: np.ndarray, coords: np.ndarray, axis: int) -> np.ndarray:
    """Linear interpolation of ``a`` along ``axis`` at the (fractional, 0-based) indices ``coords``.

    Indices outside ``[0, n - 1]`` take the edge value. The result has
    ``len(coords)`` entries along ``axis`` (float64 weights: float32 input
    gives float64 values).
    """
    a = np.asarray(a)
    n = a.shape[axis]
    c = np.clip(np.asarray(coords, np.float64), 0, n - 1)
    i0 = np.minimum(np.floor(c).astype(np.intp), max(n - 2, 0))
    i1 = np.minimum(i0 + 1, n - 1)
    shape = [1] * a.ndim
    shape[axis] = -1
    w = (c - i0).reshape(shape)
    return np.take(a, i0, axis=axis) * (1 - w) + np.take(a, i1, axis=axis) * w


def interp_separable(a: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Bilinear values of the 2-D array ``a`` at the grid of points ``ys`` x ``xs`` (fractional row and column
    indices; edge values outside), shape ``(len(ys), len(xs))``."""
    return interp_axis(interp_axis(a, ys, axis=0), xs, axis=1)
