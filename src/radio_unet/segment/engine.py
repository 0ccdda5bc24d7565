"""Segment an image with a trained model: normalise, tile, predict, blank."""

from __future__ import annotations

import numpy as np

from ..data.normalize import Normalization
from ..errors import check_choice
from ..io import RadioImage
from .tiling import DEFAULT_EDGE, DEFAULT_MARGIN, DEFAULT_WINDOW_PIXELS, paper_inference, release_pages, window_inference

__all__ = ["WINDOW_MEMORY", "MAX_WINDOW_PIXELS", "window_pixels", "segment_array", "image_normalizer", "segment_image",
           "blank_like"]


#: Memory for one window (bytes) when the window size is automatic.
WINDOW_MEMORY = int(2.5 * 1024**3)
#: Largest automatic window (pixels): a whole 2000x2000 image with its margins.
MAX_WINDOW_PIXELS = 5_000_000


def window_pixels(base_filters: int, *, memory: int = WINDOW_MEMORY) -> int:
    """Largest window area (pixels) whose inference fits in ``memory`` bytes.

    A forward pass of the U-Net holds about ``25 * base_filters`` bytes per
    input pixel at its peak (measured: 390 B/px for ``lite``, base 16, in
    PyTorch float32; ONNX Runtime about two thirds of that), plus about
    160 B/px for the window's reading, normalisation, copies and
    probabilities. The default budget gives a whole 2000x2000 image to
    ``lite`` in one window. Windows never exceed :data:`MAX_WINDOW_PIXELS`:
    beyond that the margins cost under a quarter of the work anyway, while
    ONNX Runtime's memory arena (which only grows) would hold several
    windows' worth (a base-4 network on 13 Mpx windows of a 20000x20000
    mosaic peaked at 3.95 GB).
    """
    return max(min(int(memory // (25 * max(int(base_filters), 1) + 160)), MAX_WINDOW_PIXELS), 64 * 64)


def segment_array(
    normalized: np.ndarray,
    predict,
    *,
    tiling: str = "window",
    divisor: int = 16,
    window: int | None = None,
    margin: int = DEFAULT_MARGIN,
    edge: int = DEFAULT_EDGE,
    max_pixels: int = DEFAULT_WINDOW_PIXELS,
    tile: int = 192,
    stride: int = 96,
    out: np.ndarray | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Probability map of an image with ``tiling`` ``window`` or ``paper`` (see :mod:`.tiling`)."""
    if check_choice(tiling, ("window", "paper"), "tiling") == "window":
        return window_inference(normalized, predict, window=window, margin=margin, edge=edge, max_pixels=max_pixels,
                                divisor=divisor, out=out, progress=progress)
    return paper_inference(normalized, predict, tile=tile, stride=stride, out=out, progress=progress)


def blank_like(prob: np.ndarray, data: np.ndarray, *, rows: int = 1024) -> None:
    """Set ``prob`` (``(ny, nx)`` or ``(C, ny, nx)``) to NaN where ``data`` is blank, a block of rows at a time
    (memmap friendly)."""
    for y in range(0, data.shape[0], rows):
        block = np.asarray(data[y : y + rows])
        prob[..., y : y + rows, :][..., ~np.isfinite(block)] = np.nan
        release_pages(prob, data)


def image_normalizer(image: RadioImage, normalization: Normalization):
    """``f(pixels)``: normalise pixels of ``image`` (all of them or a window): log-normalised in the
    normalisation's unit (converted through the image's beam), or noise-relative (``snr``: the beam sets the box
    of the rms map; no unit is needed), with one rms for each window or tile of a batch."""
    if normalization.kind == "snr":
        area = image.beam_area_pixels if image.beam is not None else None
        # One rms per window (or tile), as the training tiles get: a local map costs held-out fields 0.01 of IoU
        # with today's network (docs/model.md, "One rms per window").
        return lambda data: normalization.apply(data, beam_area_pixels=area, local=False)
    area = image.beam_area_pixels if image.require_unit() != normalization.unit else None
    return lambda data: normalization.apply(data, unit=image.unit, beam_area_pixels=area)


def segment_image(
    image: RadioImage, predict, *, normalization: Normalization, divisor: int = 16, out: np.ndarray | None = None, **options
) -> np.ndarray:
    """Probability of diffuse emission for every pixel of ``image`` (NaN where the image is blank); of every class,
    ``(C, ny, nx)``, when ``predict`` returns all classes.

    Each window is converted to the normalisation's unit through the image's
    beam and log-normalised just before the network sees it, so the image is
    never copied whole: ``image.data`` and ``out`` may be memory maps of files
    larger than memory.
    """
    normalize = image_normalizer(image, normalization)

    def predict_raw(batch: np.ndarray) -> np.ndarray:
        return predict(normalize(batch))

    prob = segment_array(image.data, predict_raw, divisor=divisor, out=out, **options)
    blank_like(prob, image.data)
    return prob
