"""Robust statistics of radio images (noise estimates)."""

from __future__ import annotations

import numpy as np
from astropy.stats import mad_std, sigma_clipped_stats

__all__ = ["robust_rms"]


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
    values = np.asarray(data)
    if values.size > max_pixels:
        step = int(np.ceil(np.sqrt(values.size / max_pixels)))
        values = values[::step, ::step] if values.ndim == 2 else values.ravel()[::step * step]
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan")
    if method == "mad":
        return float(mad_std(values))
    if method == "sigma_clip":
        return float(sigma_clipped_stats(values, sigma=sigma, maxiters=20)[2])
    raise ValueError(f"unknown noise method {method!r}: use 'sigma_clip' or 'mad'")
