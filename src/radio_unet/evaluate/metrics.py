"""Segmentation scores: mean IoU (paper eq. 5), pixel and source precision/recall, threshold baselines."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..stats import robust_rms

__all__ = ["mean_iou", "pixel_scores", "source_scores", "threshold_baseline", "score_map"]


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


def _regions(mask: np.ndarray, min_pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """Label 8-connected regions and return (labels, ids of regions with more than ``min_pixels``)."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if n == 0:
        return labels, np.array([], int)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    sizes[0] = 0  # the background is not a region
    return labels, np.flatnonzero(sizes > min_pixels)


def source_scores(pred: np.ndarray, truth: np.ndarray, *, min_pixels: int = 10) -> dict[str, float]:
    """Source-level precision and recall of connected regions larger than ``min_pixels``.

    A predicted source is correct when it overlaps a true source; a true
    source is found when a predicted source overlaps it (both over
    ``min_pixels`` pixels, 8-connected), as in the paper's source counting.

    Returns
    -------
    dict
        ``n_true, n_pred, n_found, n_correct, source_precision, source_recall``.
    """
    t_labels, t_ids = _regions(np.asarray(truth, bool), min_pixels)
    p_labels, p_ids = _regions(np.asarray(pred, bool), min_pixels)
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


def score_map(prob: np.ndarray, truth: np.ndarray, *, threshold: float = 0.5, valid=None, min_pixels: int = 10) -> dict:
    """All scores of a probability (or 0/1) map against a true mask at ``threshold``."""
    pred = np.asarray(prob) >= threshold
    scores = {"mean_iou": mean_iou(pred, truth, valid=valid)}
    scores.update(pixel_scores(pred, truth, valid=valid))
    scores.update(source_scores(pred & _valid(valid, pred.shape), truth, min_pixels=min_pixels))
    return scores
