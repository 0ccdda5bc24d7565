"""Label masks from images: k sigma above a local rms, a minimum island size, an optional region.

For fine-tuning on real images (``radio-unet finetune``) the labels are 0/1
masks of the diffuse emission. :func:`make_mask` makes them the way
breizorro (Ramaila et al.) does from a (compact-source-subtracted) image:
pixels brighter than ``nsigma`` times the local noise rms (:func:`local_rms`),
islands smaller than ``min_island_pixels`` removed
(:func:`radio_unet.islands.remove_small_islands`), optionally only inside a
region (a boolean map, or a DS9 ``circle``/``polygon`` region file read by
:func:`radio_unet.io.ds9.read_ds9_regions` and rasterised with the image's
WCS by :func:`radio_unet.io.ds9.region_mask`).

``radio-unet mask IMAGE... -o DIR`` writes ``<stem>.mask.fits`` (uint8, the
image's celestial WCS) for each image.
"""

from __future__ import annotations

import math
from os import PathLike

import numpy as np
from astropy.wcs import WCS

from ..errors import RadioUNetError
from ..io.ds9 import region_mask
from ..islands import remove_small_islands

__all__ = ["local_rms", "make_mask"]

_MAD_TO_SIGMA = 1.482602218505602


def _robust_sigma(values: np.ndarray, *, clip: float = 3.0, iterations: int = 5) -> float:
    """Median absolute deviation (scaled to a Gaussian sigma) after iterative clipping at ``clip`` sigma."""
    v = values[np.isfinite(values)]
    sigma = float("nan")
    for _ in range(iterations):
        if v.size == 0:
            break
        med = np.median(v)
        dev = np.abs(v - med)
        sigma = float(np.median(dev)) * _MAD_TO_SIGMA
        if sigma == 0.0:
            break
        keep = dev < clip * sigma
        if keep.all():
            break
        v = v[keep]
    return sigma


def _interp_matrix(n: int, centres: np.ndarray) -> np.ndarray:
    """``(n, m)`` linear interpolation weights from nodes at ``centres`` to pixels 0..n-1 (constant beyond the end nodes)."""
    m = centres.size
    if m == 1:
        return np.ones((n, 1))
    x = np.arange(n, dtype=np.float64)
    j = np.clip(np.searchsorted(centres, x) - 1, 0, m - 2)
    t = np.clip((x - centres[j]) / (centres[j + 1] - centres[j]), 0.0, 1.0)
    weights = np.zeros((n, m))
    rows = np.arange(n)
    weights[rows, j] = 1.0 - t
    weights[rows, j + 1] += t
    return weights


def _as_2d(image) -> tuple[np.ndarray, WCS | None]:
    data, wcs = (image.data, image.wcs) if hasattr(image, "data") and hasattr(image, "wcs") else (image, None)
    data = np.asarray(data)
    if data.ndim != 2:
        raise RadioUNetError(f"expected a 2-D image, got shape {data.shape}")
    if not np.issubdtype(data.dtype, np.number):
        raise RadioUNetError(f"expected a numeric image, got dtype {data.dtype}")
    return data, wcs


def local_rms(image, *, box_pixels: int = 100, clip: float = 3.0, min_valid_fraction: float = 0.2) -> np.ndarray:
    """Map of the local noise rms of an image.

    The image is cut into boxes of about ``box_pixels`` x ``box_pixels``; in
    each box the rms is the median absolute deviation scaled to a Gaussian
    sigma after iterative clipping at ``clip`` sigma (robust against the
    sources in the box). The grid of box values is median-filtered over 3 x 3
    boxes (as in SExtractor and photutils' ``Background2D``, so that a box
    dominated by a bright source does not stand out) and interpolated
    bilinearly between box centres to every pixel.

    Parameters
    ----------
    image : numpy.ndarray or RadioImage
        2-D image; NaN pixels are blank.
    box_pixels : int
        Box size in pixels: many beams wide (a source must not fill a box) and
        small enough to follow the changes of the noise (default 100).
    clip : float
        Clipping threshold in sigma.
    min_valid_fraction : float
        Boxes with fewer finite pixels take the value of the nearest valid box.

    Returns
    -------
    numpy.ndarray
        float32 rms map in the image's units, NaN where the image is blank.
    """
    data, _ = _as_2d(image)
    box = int(box_pixels)
    if box != box_pixels or box < 4:
        raise RadioUNetError(f"box_pixels must be an integer >= 4, got {box_pixels}")
    ny, nx = data.shape
    finite = np.isfinite(data)
    if not finite.any():
        raise RadioUNetError("the image has no finite pixel: cannot estimate its noise")
    ey = np.linspace(0, ny, max(1, round(ny / box)) + 1).round().astype(int)
    ex = np.linspace(0, nx, max(1, round(nx / box)) + 1).round().astype(int)
    grid = np.full((ey.size - 1, ex.size - 1), np.nan)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            block = data[ey[i] : ey[i + 1], ex[j] : ex[j + 1]]
            if np.count_nonzero(np.isfinite(block)) >= max(10, min_valid_fraction * block.size):
                grid[i, j] = _robust_sigma(block, clip=clip)
    bad = ~(np.isfinite(grid) & (grid > 0))
    if bad.all():
        raise RadioUNetError("no box holds enough finite, non-constant pixels to estimate the noise (try a larger box_pixels)")
    if bad.any():
        from scipy.ndimage import distance_transform_edt

        nearest = distance_transform_edt(bad, return_distances=False, return_indices=True)
        grid = grid[tuple(nearest)]
    from scipy.ndimage import median_filter

    grid = median_filter(grid, size=3, mode="nearest")
    cy, cx = 0.5 * (ey[:-1] + ey[1:]) - 0.5, 0.5 * (ex[:-1] + ex[1:]) - 0.5
    rms = (_interp_matrix(ny, cy) @ grid @ _interp_matrix(nx, cx).T).astype(np.float32)
    rms[~finite] = np.nan
    return rms


def make_mask(
    image,
    *,
    nsigma: float = 5.0,
    box_pixels: int = 100,
    min_island_pixels: int = 10,
    keep_region: np.ndarray | str | PathLike | None = None,
    wcs: WCS | None = None,
    rms: np.ndarray | None = None,
) -> np.ndarray:
    """A 0/1 label mask: pixels above ``nsigma`` times the local rms, small islands removed, inside a region.

    Parameters
    ----------
    image : numpy.ndarray or RadioImage
        2-D image, best with the compact sources subtracted; NaN is blank
        (never in the mask). A :class:`~radio_unet.io.RadioImage` brings its WCS.
    nsigma : float
        Threshold in units of the local rms (5, as breizorro's default).
    box_pixels : int
        Box size of :func:`local_rms`.
    min_island_pixels : int
        Islands (8-connected) with fewer pixels are dropped, after the region cut
        (:func:`radio_unet.islands.remove_small_islands`).
    keep_region : numpy.ndarray, str or path-like, optional
        Keep only pixels inside: a boolean map of the image's shape, or a DS9
        region file (``circle`` and ``polygon`` in ``icrs``/``fk5``/``galactic``
        or ``image`` coordinates, see :func:`radio_unet.io.ds9.read_ds9_regions`), rasterised with
        the image's WCS.
    wcs : astropy.wcs.WCS, optional
        Celestial WCS of a plain array (needed for a region file).
    rms : numpy.ndarray, optional
        A ready rms map (default :func:`local_rms` of the image).

    Returns
    -------
    numpy.ndarray
        Boolean mask of the image's shape.
    """
    data, image_wcs = _as_2d(image)
    wcs = wcs if wcs is not None else image_wcs
    try:
        ok = math.isfinite(float(nsigma)) and float(nsigma) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise RadioUNetError(f"nsigma must be a positive number, got {nsigma!r}")
    try:
        ok = int(min_island_pixels) == min_island_pixels and min_island_pixels >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise RadioUNetError(f"min_island_pixels must be a non-negative integer, got {min_island_pixels!r}")
    if rms is None:
        rms = local_rms(data, box_pixels=box_pixels)
    elif np.shape(rms) != data.shape:
        raise RadioUNetError(f"rms map shape {np.shape(rms)} differs from the image shape {data.shape}")
    with np.errstate(invalid="ignore"):
        mask = np.isfinite(data) & (data > float(nsigma) * np.asarray(rms))
    if keep_region is not None:
        if isinstance(keep_region, (str, PathLike)):
            if wcs is None:
                raise RadioUNetError("a region file needs the image's WCS: pass a RadioImage or wcs=")
            region = region_mask(keep_region, wcs, data.shape)
        else:
            region = np.asarray(keep_region)
            if region.shape != data.shape:
                raise RadioUNetError(f"keep_region shape {region.shape} differs from the image shape {data.shape}")
            region = region.astype(bool)
        mask &= region
    return remove_small_islands(mask, int(min_island_pixels))
