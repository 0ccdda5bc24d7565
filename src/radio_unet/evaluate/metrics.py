"""Segmentation scores: mean IoU (paper eq. 5), pixel and source precision/recall, threshold baselines."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..islands import active_peak, island_mask, large_islands
from ..stats import robust_rms

__all__ = ["PEAK_THRESHOLD", "SOURCE_MIN_PIXELS", "mean_iou", "pixel_scores", "source_scores", "threshold_baseline",
           "score_map", "confusion_matrix", "class_iou"]

#: Default peak threshold of ``radio-unet evaluate`` and ``demo`` (:func:`~radio_unet.islands.island_mask`):
#: islands of the 0.5 mask are kept when their highest probability reaches it. Chosen with the shipped model
#: on 400 simulated fields it never saw in training (data_sim/lotss512_c, seed 11), between 0.5 and 0.9;
#: docs/model.md.
PEAK_THRESHOLD = 0.8

#: Smallest island counted as a source by :func:`source_scores`: the paper's "regions over 10 pixels"
#: (islands of at least 11 pixels, the rule of :func:`radio_unet.islands.large_islands`).
SOURCE_MIN_PIXELS = 11


def _valid(valid: np.ndarray | None, shape) -> np.ndarray:
    return np.ones(shape, bool) if valid is None else np.asarray(valid, bool)


def mean_iou(pred: np.ndarray, truth: np.ndarray, *, valid: np.ndarray | None = None) -> float:
    """Mean over the two classes of the intersection over union (paper eq. 5).

    Parameters
    ----------
    pred, truth : numpy.ndarray of bool
        Predicted and true masks (diffuse emission = True).
    valid : numpy.ndarray of bool, optional
        Pixels that count (e.g. not blank).

    Returns
    -------
    float
        ``(IoU_emission + IoU_background) / 2``; a class absent from both maps
        counts as IoU 1.
    """
    pred, truth = np.asarray(pred, bool), np.asarray(truth, bool)
    v = _valid(valid, pred.shape)
    ious = []
    for p, t in ((pred, truth), (~pred, ~truth)):
        inter = np.count_nonzero(p & t & v)
        union = np.count_nonzero((p | t) & v)
        ious.append(1.0 if union == 0 else inter / union)
    return float(np.mean(ious))


def pixel_scores(pred: np.ndarray, truth: np.ndarray, *, valid: np.ndarray | None = None) -> dict[str, float]:
    """Pixel precision, recall and the IoU of the emission class."""
    pred, truth = np.asarray(pred, bool), np.asarray(truth, bool)
    v = _valid(valid, pred.shape)
    tp = np.count_nonzero(pred & truth & v)
    fp = np.count_nonzero(pred & ~truth & v)
    fn = np.count_nonzero(~pred & truth & v)
    return {
        "pixel_precision": tp / (tp + fp) if tp + fp else float("nan"),
        "pixel_recall": tp / (tp + fn) if tp + fn else float("nan"),
        "iou_emission": tp / (tp + fp + fn) if tp + fp + fn else 1.0,
    }


def source_scores(pred: np.ndarray, truth: np.ndarray, *, min_pixels: int = SOURCE_MIN_PIXELS) -> dict[str, float]:
    """Source-level precision and recall of the islands of at least ``min_pixels`` pixels.

    A predicted source is correct when it overlaps a true source; a true
    source is found when a predicted source overlaps it (both islands of at
    least ``min_pixels`` pixels, 8-connected, :func:`radio_unet.islands.large_islands`);
    the default counts the paper's regions over 10 pixels.

    Returns
    -------
    dict
        ``n_true, n_pred, n_found, n_correct, source_precision, source_recall``.
    """
    t_labels, t_ids = large_islands(np.asarray(truth, bool), min_pixels)
    p_labels, p_ids = large_islands(np.asarray(pred, bool), min_pixels)
    t_big = np.isin(t_labels, t_ids)
    p_big = np.isin(p_labels, p_ids)
    correct = np.unique(p_labels[p_big & t_big])
    found = np.unique(t_labels[p_big & t_big])
    n_pred, n_true = len(p_ids), len(t_ids)
    return {
        "n_true": n_true,
        "n_pred": n_pred,
        "n_found": len(found),
        "n_correct": len(correct),
        "source_precision": len(correct) / n_pred if n_pred else float("nan"),
        "source_recall": len(found) / n_true if n_true else float("nan"),
    }


def threshold_baseline(image: np.ndarray, *, nsigma: float = 3.0, smooth_pixels: float = 0.0) -> np.ndarray:
    """Classical baseline: pixels above ``nsigma`` times the robust rms.

    Parameters
    ----------
    image : numpy.ndarray
        Observed image (any brightness unit); NaN is never detected.
    nsigma : float
        Threshold in units of the robust rms (3 in the paper).
    smooth_pixels : float
        Gaussian sigma (pixels) to smooth with first (the rms is then measured
        on the smoothed image); 0 keeps native resolution (the paper's baseline).
    """
    data = np.nan_to_num(np.asarray(image, np.float32), nan=0.0)
    if smooth_pixels > 0:
        data = ndimage.gaussian_filter(data, smooth_pixels)
    rms = robust_rms(np.where(np.isfinite(image), data, np.nan))
    return (data > nsigma * rms) & np.isfinite(image)


def score_map(
    prob: np.ndarray,
    truth: np.ndarray,
    *,
    threshold: float = 0.5,
    peak_threshold: float | None = None,
    valid=None,
    min_pixels: int = SOURCE_MIN_PIXELS,
) -> dict:
    """All scores of a probability (or 0/1) map against a true mask.

    The mask is :func:`~radio_unet.islands.island_mask` of ``prob`` (``prob >=
    threshold``, and with ``peak_threshold`` only the islands that peak at or
    above it); the source scores count islands of at least ``min_pixels``
    pixels (:func:`source_scores`).
    """
    pred = island_mask(prob, threshold=threshold, peak_threshold=peak_threshold)
    scores = {"mean_iou": mean_iou(pred, truth, valid=valid)}
    scores.update(pixel_scores(pred, truth, valid=valid))
    scores.update(source_scores(pred & _valid(valid, pred.shape), truth, min_pixels=min_pixels))
    return scores


def confusion_matrix(pred: np.ndarray, truth: np.ndarray, n_classes: int, *, valid: np.ndarray | None = None) -> np.ndarray:
    """Pixel counts ``C[t, p]`` of true class ``t`` predicted as class ``p``.

    Parameters
    ----------
    pred, truth : numpy.ndarray of int
        Predicted and true class maps (values ``0..n_classes-1``; others are
        not counted).
    n_classes : int
    valid : numpy.ndarray of bool, optional
        Pixels that count.

    Returns
    -------
    numpy.ndarray
        int64 ``(n_classes, n_classes)``.

    Examples
    --------
    >>> confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3).tolist()
    [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    """
    p, t = np.asarray(pred).ravel().astype(np.int64), np.asarray(truth).ravel().astype(np.int64)
    keep = (p >= 0) & (p < n_classes) & (t >= 0) & (t < n_classes) & _valid(valid, np.shape(pred)).ravel()
    return np.bincount(t[keep] * n_classes + p[keep], minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def class_iou(confusion: np.ndarray) -> np.ndarray:
    """Per-class intersection over union from a confusion matrix (NaN for classes absent from both).

    Examples
    --------
    >>> class_iou(np.array([[1, 0, 0], [0, 1, 0], [0, 1, 1]])).round(2).tolist()
    [1.0, 0.5, 0.5]
    """
    c = np.asarray(confusion, np.float64)
    inter = np.diag(c)
    union = c.sum(axis=0) + c.sum(axis=1) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, np.nan)
