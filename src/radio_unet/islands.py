"""Islands of a mask: 8-connected regions, their sizes and the filters that keep some of them.

The one home of the island rules that ``segment``, ``evaluate`` and
``targets`` share:

* an island is a set of 8-connected True pixels (:func:`label_islands`);
* a size filter keeps the islands of **at least** ``min_pixels`` pixels
  (:func:`large_islands`, :func:`remove_small_islands`); the paper's source
  counting, "regions over 10 pixels", is ``min_pixels=11``;
* a peak filter keeps the islands of a probability map whose highest value
  reaches ``peak_threshold`` (:func:`island_mask`, hysteresis thresholding).

Examples
--------
>>> import numpy as np
>>> mask = np.zeros((6, 6), bool); mask[0, :3] = True; mask[4:, 4:] = True
>>> label_islands(mask)[1]
2
>>> int(remove_small_islands(mask, 4).sum())
4
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["EIGHT_CONNECTED", "label_islands", "large_islands", "remove_small_islands", "active_peak", "island_mask"]

#: Structuring element of 8-connectivity (diagonal neighbours belong to the same island).
EIGHT_CONNECTED = np.ones((3, 3), bool)


def label_islands(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Label the 8-connected islands of a boolean mask.

    Parameters
    ----------
    mask : numpy.ndarray of bool
        2-D mask.

    Returns
    -------
    labels : numpy.ndarray of int
        0 outside the islands, ``1..n`` inside.
    n : int
        Number of islands.
    """
    return ndimage.label(mask, structure=EIGHT_CONNECTED)


def large_islands(mask: np.ndarray, min_pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """The islands of at least ``min_pixels`` pixels: their labels and ids.

    Parameters
    ----------
    mask : numpy.ndarray of bool
        2-D mask.
    min_pixels : int
        Smallest island size kept (islands of exactly ``min_pixels`` pixels
        are kept).

    Returns
    -------
    labels : numpy.ndarray of int
        The labels of :func:`label_islands` (all islands).
    ids : numpy.ndarray of int
        Labels of the islands of at least ``min_pixels`` pixels.
    """
    labels, n = label_islands(mask)
    if n == 0:
        return labels, np.array([], int)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    sizes[0] = 0  # the background is not an island
    return labels, np.flatnonzero(sizes >= max(int(min_pixels), 1))


def remove_small_islands(mask: np.ndarray, min_pixels: int) -> np.ndarray:
    """``mask`` without its islands of fewer than ``min_pixels`` pixels.

    Parameters
    ----------
    mask : numpy.ndarray of bool
        2-D mask.
    min_pixels : int
        Smallest island size kept; 0 or 1 keeps every island.

    Returns
    -------
    numpy.ndarray of bool
        A new mask.
    """
    mask = np.asarray(mask, bool)
    if min_pixels <= 1:
        return mask.copy()
    labels, ids = large_islands(mask, min_pixels)
    keep = np.zeros(int(labels.max()) + 1, bool)
    keep[ids] = True
    return keep[labels]


def active_peak(threshold: float, peak_threshold: float | None) -> float | None:
    """``peak_threshold`` when it drops anything (above ``threshold``), else None: the plain mask."""
    return peak_threshold if peak_threshold is not None and peak_threshold > threshold else None


def island_mask(prob: np.ndarray, *, threshold: float = 0.5, peak_threshold: float | None = None) -> np.ndarray:
    """The mask of a probability map: pixels >= ``threshold``, optionally only in islands that peak >= ``peak_threshold``.

    The two thresholds play the roles of PyBDSF's island and peak thresholds
    (``thresh_isl``, ``thresh_pix``): an island (8-connected pixels at or
    above ``threshold``) is kept whole when its highest probability reaches
    ``peak_threshold``, and dropped otherwise (hysteresis thresholding).

    Parameters
    ----------
    prob : numpy.ndarray
        Probability map; NaN counts as 0.
    threshold : float
        Island threshold (0.5: the paper's mask).
    peak_threshold : float, optional
        Peak threshold; None, or a value not above ``threshold``, keeps every
        island (the plain ``prob >= threshold`` mask).

    Returns
    -------
    numpy.ndarray of bool
    """
    prob = np.nan_to_num(np.asarray(prob, np.float32))
    mask = prob >= threshold
    peak_threshold = active_peak(threshold, peak_threshold)
    if peak_threshold is None:
        return mask
    labels, n = label_islands(mask)
    if n == 0:
        return mask
    peaks = np.asarray(ndimage.maximum(prob, labels, index=np.arange(n + 1)))
    keep = peaks >= peak_threshold
    keep[0] = False  # label 0 is the background
    return keep[labels]
