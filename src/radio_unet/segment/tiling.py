"""Tiled inference of a fully convolutional network over images of any size.

Two schemes:

``window`` (default)
    Large windows with a margin at least the network's receptive reach; the
    margins are cropped, so each pixel is computed about once and the result
    equals a whole-image pass.
``paper``
    The paper's scheme: 192x192 tiles at stride 96, keeping the central
    96x96 of each tile, so every pixel is computed about four times.

Both read windows with reflected indices, so they work on any image shape and
on memory-mapped arrays without padding the whole image in memory.
"""

from __future__ import annotations

import math
import mmap
from typing import Callable, Iterator

import numpy as np
from tqdm.auto import tqdm

from ..errors import RadioUNetError

__all__ = ["reflect_indices", "read_window", "window_inference", "paper_inference", "tile_origins", "release_pages"]

#: ``predict(batch)`` takes a float32 array (N, H, W) and returns class-1 probabilities (N, H, W).
Predictor = Callable[[np.ndarray], np.ndarray]


def reflect_indices(start: int, stop: int, n: int) -> np.ndarray:
    """Indices ``start..stop-1`` folded into ``0..n-1`` by mirror reflection (no edge repeat)."""
    idx = np.arange(start, stop)
    if n == 1:
        return np.zeros_like(idx)
    period = 2 * (n - 1)
    idx = np.abs(idx) % period
    return np.where(idx >= n, period - idx, idx)


def read_window(image: np.ndarray, y0: int, x0: int, height: int, width: int) -> np.ndarray:
    """Read ``image[y0:y0+height, x0:x0+width]`` as float32, reflecting outside the image."""
    ny, nx = image.shape
    if 0 <= y0 and y0 + height <= ny and 0 <= x0 and x0 + width <= nx:
        return np.asarray(image[y0 : y0 + height, x0 : x0 + width], dtype=np.float32)
    ys, xs = reflect_indices(y0, y0 + height, ny), reflect_indices(x0, x0 + width, nx)
    # Read the covering block once (cheap for memmaps), then gather.
    block = np.asarray(image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], dtype=np.float32)
    return block[np.ix_(ys - ys.min(), xs - xs.min())]


def release_pages(*arrays) -> None:
    """Flush memory-mapped arrays and drop their pages from this process's resident memory.

    Pages of a file mapping that were read or written count as resident memory
    until the kernel reclaims them; for mosaics larger than memory, release
    them after each window so that the peak stays near one window. Arrays that
    are not memory maps are left alone.
    """
    for array in arrays:
        mm, writable = _find_mmap(array)
        if mm is None or not hasattr(mm, "madvise"):
            continue
        if writable:
            mm.flush()
        mm.madvise(mmap.MADV_DONTNEED)


def _find_mmap(array) -> tuple[mmap.mmap | None, bool]:
    """The ``mmap`` object behind an array (numpy or astropy memory map), and whether it is writable."""
    base = array
    while base is not None:
        if isinstance(base, np.memmap) and getattr(base, "_mmap", None) is not None:
            return base._mmap, base.mode in ("r+", "w+")
        if isinstance(base, mmap.mmap):
            return base, False
        base = getattr(base, "base", None)
    return None, False


def _round_up(value: int, multiple: int) -> int:
    return int(math.ceil(value / multiple) * multiple)


def _windows(n: int, core: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, core):
        yield start, min(core, n - start)


def window_inference(
    image: np.ndarray,
    predict: Predictor,
    *,
    window: int = 1024,
    margin: int = 128,
    divisor: int = 16,
    out: np.ndarray | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Run ``predict`` on large windows with cropped margins.

    Parameters
    ----------
    image : numpy.ndarray
        2-D normalised input (any shape; may be a memmap).
    predict : callable
        Batch predictor, see :data:`Predictor`.
    window : int
        Core size of each window (rounded up to a multiple of ``divisor``).
    margin : int
        Context added on every side and cropped after prediction; at least the
        network's receptive reach for results equal to a whole-image pass.
    divisor : int
        Network input sizes must be multiples of this (``2**depth``).
    out : numpy.ndarray, optional
        Where to write (e.g. a memmap for images larger than memory).
    progress : bool
        Show a progress bar over windows.

    Returns
    -------
    numpy.ndarray
        float32 probabilities, the shape of ``image``.
    """
    if image.ndim != 2:
        raise RadioUNetError(f"window inference needs a 2-D image, got shape {image.shape}")
    ny, nx = image.shape
    window, margin = _round_up(max(window, divisor), divisor), _round_up(max(margin, 0), divisor)
    out = np.zeros((ny, nx), np.float32) if out is None else out
    jobs = [(y0, h, x0, w) for y0, h in _windows(ny, window) for x0, w in _windows(nx, window)]
    for y0, h, x0, w in tqdm(jobs, desc="windows", unit="window", disable=not progress):
        hp, wp = _round_up(h, divisor), _round_up(w, divisor)
        region = read_window(image, y0 - margin, x0 - margin, hp + 2 * margin, wp + 2 * margin)
        prob = predict(region[None])[0]
        out[y0 : y0 + h, x0 : x0 + w] = prob[margin : margin + h, margin : margin + w]
        release_pages(image, out)
    return out


def tile_origins(n: int, *, tile: int = 192, stride: int = 96) -> list[int]:
    """Tile origins (may be negative) so that the central ``stride`` of each tile covers ``0..n-1`` once."""
    offset = (tile - stride) // 2
    return [k * stride - offset for k in range(int(math.ceil(n / stride)))]


def paper_inference(
    image: np.ndarray,
    predict: Predictor,
    *,
    tile: int = 192,
    stride: int = 96,
    batch_size: int = 16,
    out: np.ndarray | None = None,
    progress: bool = False,
) -> np.ndarray:
    """The paper's tiling: ``tile`` tiles at ``stride``, keeping each tile's central ``stride`` x ``stride``.

    Parameters
    ----------
    image : numpy.ndarray
        2-D normalised input of any shape.
    predict : callable
        Batch predictor, see :data:`Predictor`.
    tile, stride : int
        Tile size and step (192 and 96 in the paper).
    batch_size : int
        Tiles per call of ``predict``.
    out : numpy.ndarray, optional
        Where to write (e.g. a memmap).
    progress : bool
        Show a progress bar over batches.
    """
    if image.ndim != 2:
        raise RadioUNetError(f"tiled inference needs a 2-D image, got shape {image.shape}")
    if stride > tile or (tile - stride) % 2:
        raise RadioUNetError(f"stride {stride} must be <= tile {tile} and differ from it by an even number")
    ny, nx = image.shape
    offset = (tile - stride) // 2
    out = np.zeros((ny, nx), np.float32) if out is None else out
    origins = [(y, x) for y in tile_origins(ny, tile=tile, stride=stride) for x in tile_origins(nx, tile=tile, stride=stride)]
    batches = [origins[i : i + batch_size] for i in range(0, len(origins), batch_size)]
    for batch in tqdm(batches, desc="tiles", unit="batch", disable=not progress):
        probs = predict(np.stack([read_window(image, y, x, tile, tile) for y, x in batch]))
        for (y, x), prob in zip(batch, probs):
            ys, xs = y + offset, x + offset
            h, w = min(stride, ny - ys), min(stride, nx - xs)
            out[ys : ys + h, xs : xs + w] = prob[offset : offset + h, offset : offset + w]
        release_pages(image, out)
    return out
