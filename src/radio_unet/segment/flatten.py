"""Noise that changes smoothly across an image: measured, fitted, divided out before the network sees the image.

Interferometric images are delivered corrected for the primary beam: their noise grows from the pointing centre
outwards (two to three times at the edge of a MeerKAT, LOFAR or VLA pointing), and mosaics and images with
direction-dependent artefacts vary in depth too. The network was trained on windows with one noise level each and
normalises each window by one rms (:mod:`radio_unet.segment.engine`), so a faint halo where the noise is low reads
as a third of its signal-to-noise ratio (``benchmarks/pb_corrected.py``). Here the image's noise is measured in boxes
(photutils ``Background2D``: 3-sigma clipped MAD standard deviation in boxes of :data:`BOX_BEAMS` beams on a
decimated copy from which the mean over :data:`SMOOTH_BEAMS` beams has been subtracted, so that smooth emission is not
taken for noise), a smooth surface (the exponential of a quadratic in x and y, boxes raised by emission clipped) is
fitted to it, and the image is multiplied by ``min(surface) / surface`` where the surface varies by at least
:data:`MIN_VARIATION` over the image: the image the network gets has the same noise everywhere, as the uncorrected
(apparent) image of a pointing has. A smooth surface, not a map of the boxes: a map follows the emission in each box
and cost the held-out simulated fields 0.01 of IoU (docs/model.md, "One rms per window").
"""

from __future__ import annotations

import math

import numpy as np

from ..stats import box_background

__all__ = ["BOX_BEAMS", "SMOOTH_BEAMS", "MIN_VARIATION", "box_mean", "MAX_DECIMATED_PIXELS", "FLATTEN_RULE", "box_rms", "fit_log_quadratic",
           "evaluate_surface", "noise_surface", "flatten"]

#: Box of the noise measurement, in beam FWHMs.
BOX_BEAMS = 16
#: Structure smoother than this many beams (the mean in a box this wide) is subtracted before the noise is measured:
#: a bright halo or Galactic emission would otherwise raise its boxes' rms and be taken for noise.
SMOOTH_BEAMS = 3
#: The fitted surface's max / min over the image below which the image is left as it is.
MIN_VARIATION = 1.1
#: The noise is measured on a copy decimated to at most this many pixels (every n-th pixel keeps the pixel rms).
MAX_DECIMATED_PIXELS = 4_000_000
#: Fewest boxes with a measurement for a fit (six coefficients).
MIN_BOXES = 12
#: Part of the outputs' signature (radio_unet.segment.run): changing the procedure redoes the outputs.
FLATTEN_RULE = (f"quadratic log-rms surface, boxes of {BOX_BEAMS} beams after subtracting {SMOOTH_BEAMS}-beam means, "
                f"applied above {MIN_VARIATION}")


def box_rms(data: np.ndarray, beam_pixels: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The noise of ``data`` in boxes of :data:`BOX_BEAMS` beams: box centres ``(y, x)`` in pixels of ``data`` and
    the rms of each box (boxes with too few valid pixels are left out).

    Parameters
    ----------
    data : numpy.ndarray
        The image, 2-D (a memory map is read only on the decimated grid; NaN where blank).
    beam_pixels : float
        Its beam's FWHM in pixels: sets the boxes and the decimation (every ``beam_pixels // 2``-th pixel or fewer).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Box centres along y and x and their rms (1-D, equal length; empty when the image holds fewer than two
        boxes per axis).
    """
    ny, nx = data.shape
    step = max(1, int(beam_pixels // 2), math.ceil(math.sqrt(ny * nx / MAX_DECIMATED_PIXELS)))
    small = np.asarray(data[::step, ::step], np.float32)
    box = max(8, int(round(BOX_BEAMS * beam_pixels / step)))
    empty = np.zeros(0)
    valid = np.isfinite(small)
    if min(small.shape) < 2 * box or not valid.any():
        return empty, empty, empty
    small = small - box_mean(small, max(3, int(round(SMOOTH_BEAMS * beam_pixels / step)) | 1))  # a new array: small may view data
    bkg = box_background(small, box, valid=valid)
    if bkg is None:  # every box masked
        return empty, empty, empty
    mesh = np.asarray(bkg.background_rms_mesh, np.float64)
    iy, ix = np.mgrid[: mesh.shape[0], : mesh.shape[1]]
    # boxes at least half full of valid pixels (photutils fills the others by interpolation; the edge boxes are padded)
    counts = bkg.n_pixels_mesh if hasattr(type(bkg), "n_pixels_mesh") else bkg.npixels_mesh  # photutils 3 / 2
    keep = (np.asarray(counts) >= 0.5 * box * box) & np.isfinite(mesh) & (mesh > 0)
    centre = lambda i: ((i + 0.5) * box - 0.5) * step + 0.5 * (step - 1)  # noqa: E731 - pixel of data
    return centre(iy[keep]), centre(ix[keep]), mesh[keep]


def box_mean(data: np.ndarray, size: int) -> np.ndarray:
    """Mean of the valid (finite) pixels in a ``size`` x ``size`` box around each pixel (NaN where there is none, or
    where ``data`` is blank): scipy's box filter of the zero-filled image over that of the valid-pixel mask.

    Examples
    --------
    >>> box_mean(np.array([[1.0, 2.0, 3.0], [4.0, np.nan, 6.0]]), 3).astype(float).round(2).tolist()
    [[2.33, 3.2, 3.67], [2.33, nan, 3.67]]
    """
    from scipy.ndimage import uniform_filter  # only for images of two noise boxes or more

    size = 2 * (int(size) // 2) + 1
    valid = np.isfinite(data)
    total, count = (uniform_filter(a, size, mode="constant", cval=0.0)
                    for a in (np.where(valid, data, 0.0).astype(np.float64), valid.astype(np.float64)))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    return np.where(valid, mean, np.nan).astype(np.float32)


def _design(y: np.ndarray, x: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Quadratic terms of positions scaled to [-1, 1] over an image of ``shape``."""
    ny, nx = shape
    v, u = np.broadcast_arrays((np.asarray(y, float) - (ny - 1) / 2) / max(ny / 2, 1),
                               (np.asarray(x, float) - (nx - 1) / 2) / max(nx / 2, 1))
    return np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=-1)


def fit_log_quadratic(y: np.ndarray, x: np.ndarray, rms: np.ndarray, shape: tuple[int, int], *, clip: float = 2.5,
                      iterations: int = 10) -> np.ndarray | None:
    """Fit ``log(rms) = quadratic(x, y)`` to box measurements, leaving out boxes raised by emission.

    Emission only raises a box's rms, so boxes more than ``clip`` times the residuals' MAD standard deviation above
    the fit are left out and the fit repeated, until no box changes side.

    Parameters
    ----------
    y, x : numpy.ndarray
        Box centres in pixels of an image of ``shape``.
    rms : numpy.ndarray
        Their noise (positive).
    shape : tuple of int
        The image's shape.

    Returns
    -------
    numpy.ndarray or None
        The six coefficients (for :func:`evaluate_surface`), or None with fewer than :data:`MIN_BOXES` boxes.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:100:10, 0:100:10].reshape(2, -1) + 5.0
    >>> rms = np.exp(0.5 * ((xx - 49.5) / 50) ** 2)
    >>> rms[3] *= 5  # a box with emission
    >>> (np.round(fit_log_quadratic(yy, xx, rms, (100, 100)), 3) + 0.0).tolist()
    [0.0, 0.0, 0.0, 0.5, 0.0, 0.0]
    """
    lv = np.log(np.asarray(rms, float))
    design = _design(y, x, shape)
    keep = np.isfinite(lv)
    if keep.sum() < MIN_BOXES:
        return None
    coefficients = None
    for _ in range(iterations):
        coefficients = np.linalg.lstsq(design[keep], lv[keep], rcond=None)[0]
        residual = lv - design @ coefficients
        spread = 1.4826 * np.median(np.abs(residual[keep] - np.median(residual[keep])))
        new = np.isfinite(lv) & (residual <= clip * max(spread, 1e-3))
        if new.sum() < MIN_BOXES or np.array_equal(new, keep):
            break
        keep = new
    return coefficients


def evaluate_surface(coefficients: np.ndarray, shape: tuple[int, int], rows: slice = slice(None)) -> np.ndarray:
    """The fitted noise surface ``exp(quadratic)`` on the pixels of ``shape`` (the rows ``rows`` of it), float32."""
    ny, nx = shape
    y = np.arange(ny)[rows]
    design = _design(y[:, None], np.arange(nx)[None, :], shape)
    return np.exp(design @ np.asarray(coefficients, float)).astype(np.float32)


def _extremes(coefficients: np.ndarray, data: np.ndarray) -> tuple[float, float] | None:
    """The surface's lowest and highest value over the valid pixels of ``data``, read on a grid of at most 512 x 512
    points (the extremes of a quadratic lie at the edges or its stationary point); None without a valid pixel."""
    ny, nx = data.shape
    step = max(1, math.ceil(max(ny, nx) / 512))
    valid = np.isfinite(np.asarray(data[::step, ::step]))
    if not valid.any():
        return None
    grid = np.exp(_design(*np.mgrid[0:ny:step, 0:nx:step], data.shape) @ coefficients)[valid]
    return float(grid.min()), float(grid.max())


def noise_surface(data: np.ndarray, beam_pixels: float) -> tuple[np.ndarray | None, float, float]:
    """The fitted noise surface of ``data``: its coefficients (:func:`evaluate_surface`), lowest value and max / min
    over the valid pixels; ``(None, nan, 1.0)`` where the image is too small for :data:`MIN_BOXES` boxes."""
    y, x, rms = box_rms(data, beam_pixels)
    coefficients = fit_log_quadratic(y, x, rms, data.shape) if rms.size else None
    extremes = None if coefficients is None else _extremes(coefficients, data)
    if extremes is None:
        return None, float("nan"), 1.0
    return coefficients, extremes[0], extremes[1] / extremes[0]


def flatten(data: np.ndarray, beam_pixels: float, *, max_pixels: int | None = None, rows: int = 1024
            ) -> tuple[np.ndarray, float]:
    """``data`` with its smoothly varying noise divided out, and how much the noise varied.

    Parameters
    ----------
    data : numpy.ndarray
        2-D image (may be a memory map; NaN where blank).
    beam_pixels : float
        The beam FWHM in pixels.
    max_pixels : int, optional
        Larger images are only measured, never copied: ``data`` itself is returned.

    Returns
    -------
    (numpy.ndarray, float)
        The image multiplied by ``min(surface) / surface`` (a float32 copy) where the fitted surface varies by at
        least :data:`MIN_VARIATION`, else ``data`` itself; and the surface's max / min (1.0 without a fit).
    """
    coefficients, lowest, variation = noise_surface(data, beam_pixels)
    if coefficients is None or variation < MIN_VARIATION or (max_pixels is not None and data.size > max_pixels):
        return data, variation
    out = np.empty(data.shape, np.float32)
    for y in range(0, data.shape[0], rows):
        block = slice(y, min(y + rows, data.shape[0]))
        out[block] = np.asarray(data[block], np.float32) * (np.float32(lowest) / evaluate_surface(coefficients, data.shape, block))
    return out, variation
