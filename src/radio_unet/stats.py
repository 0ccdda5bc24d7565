"""Robust statistics of radio images (noise estimates)."""

from __future__ import annotations

import numpy as np
from astropy.stats import mad_std, sigma_clipped_stats

__all__ = ["robust_rms", "grid_sample", "background_level", "box_background"]


def grid_sample(data: np.ndarray, max_pixels: int, valid: np.ndarray | None = None) -> np.ndarray:
    """The finite (or ``valid``) pixels of ``data``, on a regular grid of at most about ``max_pixels`` points.

    Statistics of noise need no more than a million pixels; a 2-D image is
    thinned by the same step along both axes (so beam-correlated neighbours
    are skipped first), anything else is flattened and thinned.

    Parameters
    ----------
    data : numpy.ndarray
        Image (NaN pixels are left out unless ``valid`` says otherwise).
    max_pixels : int
        Most pixels looked at before the selection of valid ones.
    valid : numpy.ndarray, optional
        Boolean map of the pixels to keep (default: the finite ones).

    Returns
    -------
    numpy.ndarray
        1-D array of the kept pixel values.

    Examples
    --------
    >>> grid_sample(np.arange(16.0).reshape(4, 4), 4).tolist()
    [0.0, 2.0, 8.0, 10.0]
    """
    values = np.asarray(data)
    keep = np.isfinite(values) if valid is None else np.asarray(valid, bool)
    if values.size > max_pixels:
        step = int(np.ceil(np.sqrt(values.size / max_pixels)))
        if values.ndim == 2:
            values, keep = values[::step, ::step], keep[::step, ::step]
        else:
            values, keep = values.ravel()[::step * step], keep.ravel()[::step * step]
    return values[keep]


def robust_rms(data: np.ndarray, *, method: str = "sigma_clip", sigma: float = 3.0, max_pixels: int = 4_000_000) -> float:
    """Estimate the noise rms of an image, robust against sources.

    Parameters
    ----------
    data : numpy.ndarray
        Image; NaN pixels are ignored.
    method : {"sigma_clip", "mad"}
        ``sigma_clip``: standard deviation after iterative clipping at
        ``sigma`` (astropy ``sigma_clipped_stats``); ``mad``: the median
        absolute deviation scaled to a Gaussian sigma.
    sigma : float
        Clipping threshold for ``sigma_clip``.
    max_pixels : int
        Larger images are subsampled on a regular grid to this many pixels.

    Returns
    -------
    float
        The rms in the image's units (NaN if no pixel is finite).
    """
    values = grid_sample(data, max_pixels)
    if values.size == 0:
        return float("nan")
    if method == "mad":
        return float(mad_std(values))
    if method == "sigma_clip":
        return float(sigma_clipped_stats(values, sigma=sigma, maxiters=20)[2])
    raise ValueError(f"unknown noise method {method!r}: use 'sigma_clip' or 'mad'")


def background_level(data: np.ndarray, *, max_pixels: int = 250_000) -> tuple[float, float]:
    """The level an image's noise sits at and its rms: the 3-sigma clipped median and MAD standard deviation.

    Interferometric images have no zero spacing and their noise is centred on zero; a clearly non-zero level is an
    offset (a mosaic's, or Galactic emission on scales the array does not sample) that a noise-relative network
    reads as diffuse emission everywhere.

    Parameters
    ----------
    data : numpy.ndarray
        Image (NaN pixels ignored; thinned to about ``max_pixels`` on a regular grid).
    max_pixels : int
        Most pixels looked at (:func:`grid_sample`): a quarter of a million
        pins the level down to ~0.002 rms (it is reported to 0.001) at a
        quarter of the clipping time of a million (0.65 s of CPU for a
        2000x2000 image then).

    Returns
    -------
    (float, float)
        ``(level, rms)`` in the image's units (NaN, NaN when no pixel is finite).

    Examples
    --------
    >>> x = np.random.default_rng(1).normal(3.0, 2.0, (200, 200))
    >>> [round(v, 1) for v in background_level(x)]
    [3.0, 2.0]
    """
    values = grid_sample(data, max_pixels)
    if values.size == 0:
        return float("nan"), float("nan")
    _, median, std = sigma_clipped_stats(values, sigma=3.0, maxiters=10, stdfunc=mad_std)
    return float(median), float(std)


def box_background(data: np.ndarray, box: int, *, valid: np.ndarray, filter_size: int = 1):
    """The noise of an image measured in boxes: photutils ``Background2D`` with astropy's ``SigmaClip(3)`` (standard
    deviation, 5 iterations), the median as the level and the MAD standard deviation as the rms.

    Parameters
    ----------
    data : numpy.ndarray
        2-D image.
    box : int
        Box side in pixels.
    valid : numpy.ndarray
        Pixels to use (the others are masked).
    filter_size : int
        Median filter over the boxes (in boxes) before the maps are interpolated.

    Returns
    -------
    photutils.background.Background2D or None
        None where photutils cannot measure it (too many boxes masked).

    Examples
    --------
    >>> x = np.random.default_rng(2).normal(0.0, 2.0, (128, 128))
    >>> round(float(np.median(box_background(x, 32, valid=np.isfinite(x)).background_rms)), 0)
    2.0
    """
    # imported here: photutils costs about 0.3 s of a small image's segment run, which never measures boxes
    from astropy.stats import SigmaClip
    from photutils.background import Background2D, MADStdBackgroundRMS, MedianBackground

    try:
        return Background2D(data, box, mask=~valid, filter_size=filter_size, sigma_clip=SigmaClip(3.0),
                            bkg_estimator=MedianBackground(), bkg_rms_estimator=MADStdBackgroundRMS())
    except ValueError:  # too many boxes masked
        return None
