"""A second, magnified look at an image: emission one or two beams across as the network sees larger emission.

The shipped networks learned the sizes of their training halos, which are several beams across: a halo of one or
two beams in e-folding radius (a distant or compact halo at 6", most halos at 60" or in GLEAM) goes to 'compact
source' or 'radio galaxy' (``benchmarks/real_sky.py``, section 6). Given the same pixels interpolated onto a grid
``factor`` times finer, the network sees every structure ``factor`` times more beams across. ``radio-unet segment
--zoom 2`` segments that magnified image too, once (one orientation), and takes its diffuse call only where the
ordinary pass sees nothing ('background'): the ordinary pass still names every source it recognises.

What it costs and gives, measured on the real images of ``benchmarks/real_sky.py`` (docs/model.md, "A magnified
second pass"): halos of 1.5-2 beams called diffuse over 30% of their truth instead of 8%, injected halos and relics
at 4 sigma IoU 0.62 instead of 0.57, but diffuse calls in the striped noise of some FIRST snapshots (up to 1.9% of
a MiraBest cut-out outside its galaxy, against the goal of 0.5%); about twice the time with test-time augmentation
on. Off by default.
"""

from __future__ import annotations

import numpy as np

from ..errors import RadioUNetError
from ..interpolate import interp_separable

__all__ = ["magnify", "block_mean", "zoomed", "merge_zoomed"]


def magnify(batch: np.ndarray, factor: int) -> np.ndarray:
    """Bilinear interpolation of a batch ``(N, H, W)`` onto a grid ``factor`` times finer, ``(N, factor H, factor W)``.

    Output pixel ``q`` samples input position ``(q + 0.5) / factor - 0.5`` along each axis, so that every block of
    ``factor`` x ``factor`` output pixels covers one input pixel (:func:`block_mean` is the way back); edge values
    continue outside.

    Examples
    --------
    >>> magnify(np.array([[[0.0, 1.0]]], np.float32), 2).round(2).tolist()
    [[[0.0, 0.25, 0.75, 1.0], [0.0, 0.25, 0.75, 1.0]]]
    """
    batch = np.asarray(batch, np.float32)
    n, h, w = batch.shape
    ys = (np.arange(factor * h) + 0.5) / factor - 0.5
    xs = (np.arange(factor * w) + 0.5) / factor - 0.5
    return np.stack([interp_separable(b, ys, xs) for b in batch]).astype(np.float32)


def block_mean(maps: np.ndarray, factor: int) -> np.ndarray:
    """Mean over blocks of ``factor`` x ``factor`` pixels of the last two axes (their lengths multiples of ``factor``).

    Examples
    --------
    >>> block_mean(np.arange(8, dtype=np.float32).reshape(1, 2, 4), 2).tolist()
    [[[2.5, 4.5]]]
    """
    *lead, h, w = maps.shape
    return maps.reshape(*lead, h // factor, factor, w // factor, factor).mean(axis=(-3, -1), dtype=np.float32)


def zoomed(predict, factor: int):
    """A predictor that gives ``predict`` each batch magnified ``factor`` times and averages the result back.

    Parameters
    ----------
    predict : callable
        ``predict(batch (N, H, W)) -> (N, H, W)`` or ``(N, C, H, W)`` probabilities, for a fully convolutional
        network (any input size that is a multiple of its divisor; a multiple stays one when magnified).
    factor : int
        The magnification, at least 2.

    Returns
    -------
    callable
        A predictor with the same signature whose outputs are on the input's grid. It holds ``factor**2`` times the
        input's pixels at once: give the tiling ``factor**2`` times fewer pixels per window.
    """
    factor = int(factor)
    if factor < 2:
        raise RadioUNetError(f"a zoom factor must be an integer of at least 2, got {factor}")

    def predict_zoomed(batch: np.ndarray) -> np.ndarray:
        return block_mean(np.asarray(predict(magnify(batch, factor)), np.float32), factor)

    return predict_zoomed


def merge_zoomed(native: np.ndarray, magnified: np.ndarray, *, diffuse: list[int], background: int) -> np.ndarray:
    """Take the magnified pass's class probabilities where the native pass's class is ``background`` and the
    magnified pass gives the diffuse classes more probability; the native ones elsewhere.

    Parameters
    ----------
    native, magnified : numpy.ndarray
        Class probabilities ``(C, ...)`` of the same pixels (NaN where blank).
    diffuse : list of int
        The diffuse classes' indices (their sum is the diffuse probability).
    background : int
        The index of the class 'background'.

    Returns
    -------
    numpy.ndarray
        ``native`` with those pixels replaced (in place; it is also returned).

    Examples
    --------
    >>> native = np.array([[0.9, 0.2], [0.1, 0.8]], np.float32)[:, :, None]  # background, halo; two pixels
    >>> magnified = np.array([[0.3, 0.1], [0.7, 0.9]], np.float32)[:, :, None]
    >>> merge_zoomed(native, magnified, diffuse=[1], background=0)[:, :, 0].tolist()
    [[0.30000001192092896, 0.20000000298023224], [0.699999988079071, 0.800000011920929]]
    """
    filled = np.nan_to_num(native, nan=-1.0)
    quiet = np.argmax(filled, axis=0) == background
    gain = np.nan_to_num(magnified[diffuse].sum(axis=0), nan=-1.0) > np.nan_to_num(native[diffuse].sum(axis=0), nan=0.0)
    take = quiet & gain & np.isfinite(native[0])
    native[:, take] = magnified[:, take]
    return native
