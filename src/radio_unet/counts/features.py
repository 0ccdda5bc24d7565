"""What the estimator sees of an image: noise-scaled tiles, a pixel histogram and the context.

* :func:`scale_pixels`: the image in units of the stated noise, compressed
  above a few sigma (``4 asinh(x / 4)``): linear where the faint sources are,
  logarithmic for bright ones.
* :func:`image_tiles`: the non-overlapping ``tile``-pixel tiles of an image
  (the network embeds each and averages over them: the order of the tiles
  does not matter).
* :func:`histogram_features`: the one-point distribution of the pixels in
  noise units (the P(D) the classical method fits), as log fractions.
* :func:`context_vector`: the stated noise, beam and pixel size, which map
  noise units and pixels back to Jy and steradians.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import RadioUNetError

__all__ = ["HIST_EDGES", "scale_pixels", "image_tiles", "histogram_features", "context_vector", "CONTEXT_NAMES"]

#: Edges (noise units) of the pixel histogram; two overflow fractions above.
HIST_EDGES = np.concatenate([np.arange(-4.0, 6.01, 0.5), [7.0, 8.0, 10.0, 15.0, 25.0, 50.0]])
#: Names of the context entries.
CONTEXT_NAMES = ("log10_noise_ujy", "beam_major_px", "beam_minor_px", "pixel_scale_arcsec")


def scale_pixels(x_sigma: np.ndarray) -> np.ndarray:
    """``4 asinh(x / 4)`` of an image in noise units (float32)."""
    return (4.0 * np.arcsinh(np.asarray(x_sigma, dtype=np.float32) / 4.0)).astype(np.float32)


def image_tiles(image: np.ndarray, tile: int) -> np.ndarray:
    """The full non-overlapping ``tile x tile`` tiles of ``image`` without blank pixels.

    Parameters
    ----------
    image : numpy.ndarray
        2-D array; NaN marks blank pixels.
    tile : int

    Returns
    -------
    numpy.ndarray
        ``(n_tiles, tile, tile)``, row by row; a tile with any blank pixel is dropped.
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise RadioUNetError(f"need a 2-D image, got shape {image.shape}")
    ny, nx = image.shape[0] // tile, image.shape[1] // tile
    if ny == 0 or nx == 0:
        return np.zeros((0, tile, tile), image.dtype)
    t = image[: ny * tile, : nx * tile].reshape(ny, tile, nx, tile).swapaxes(1, 2).reshape(-1, tile, tile)
    good = np.isfinite(t).all(axis=(1, 2))
    return t[good]


def histogram_features(x_sigma: np.ndarray) -> np.ndarray:
    """The pixel histogram of an image in noise units as ``log10`` of the fraction per bin.

    Bins: :data:`HIST_EDGES` plus everything below the first and above the
    last edge; fractions are floored at 1e-6.
    """
    v = np.asarray(x_sigma, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise RadioUNetError("no finite pixel to histogram")
    edges = np.concatenate([[-np.inf], HIST_EDGES, [np.inf]])
    counts = np.histogram(v, bins=edges)[0]
    return np.log10(np.maximum(counts / v.size, 1e-6)).astype(np.float32)


def context_vector(noise_jy_beam: float, beam_major_arcsec: float, beam_minor_arcsec: float, pixel_scale_arcsec: float) -> np.ndarray:
    """The context of an image: ``log10`` noise (uJy/beam), beam axes in pixels, pixel size (arcsec)."""
    values = (noise_jy_beam, beam_major_arcsec, beam_minor_arcsec, pixel_scale_arcsec)
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise RadioUNetError(f"noise, beam and pixel size must be positive numbers, got {values}")
    return np.array([math.log10(noise_jy_beam * 1e6), beam_major_arcsec / pixel_scale_arcsec,
                     beam_minor_arcsec / pixel_scale_arcsec, pixel_scale_arcsec], dtype=np.float32)
