"""Segment an image with a trained model: normalise, tile, predict, blank."""

from __future__ import annotations

import numpy as np

from ..data.normalize import Normalization
from ..errors import RadioUNetError
from ..io import RadioImage
from .tiling import paper_inference, window_inference

__all__ = ["segment_array", "segment_image"]


def segment_array(
    normalized: np.ndarray,
    predict,
    *,
    tiling: str = "window",
    divisor: int = 16,
    window: int = 1024,
    margin: int = 128,
    tile: int = 192,
    stride: int = 96,
    progress: bool = False,
) -> np.ndarray:
    """Probability map of a normalised image with ``tiling`` ``window`` or ``paper``."""
    if tiling == "window":
        return window_inference(normalized, predict, window=window, margin=margin, divisor=divisor, progress=progress)
    if tiling == "paper":
        return paper_inference(normalized, predict, tile=tile, stride=stride, progress=progress)
    raise RadioUNetError(f"unknown tiling {tiling!r}: use 'window' or 'paper'")


def segment_image(image: RadioImage, predict, *, normalization: Normalization, divisor: int = 16, **options) -> np.ndarray:
    """Probability of diffuse emission for every pixel of ``image`` (NaN where the image is blank).

    The image is converted to the normalisation's unit through its beam,
    log-normalised, segmented with :func:`segment_array` and blanked again.
    """
    needs_beam = image.require_unit() != normalization.unit
    normalized, valid = normalization.apply(
        image.data, unit=image.unit, beam_area_pixels=image.beam_area_pixels if needs_beam else None, return_valid=True
    )
    prob = segment_array(normalized, predict, divisor=divisor, **options)
    prob[~valid] = np.nan
    return prob
