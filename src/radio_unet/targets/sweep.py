"""Classify targets by their detection ratio R: metrics at a threshold, a threshold sweep, the KS test.

A target is *detected* when ``R >= threshold``. With labelled targets
(positive = hosts diffuse emission) the sweep gives accuracy, precision,
recall and F1 against the threshold, the threshold of best accuracy, and the
two-sample Kolmogorov-Smirnov test between the R distributions of the two
classes, as in Stuardi et al. (2024), whose chosen threshold is
``R = 0.015``.

Targets whose R is NaN (no valid pixel) are left out of every metric;
functions say how many.
"""

from __future__ import annotations

import numpy as np
from astropy.table import Table

from ..errors import RadioUNetError

__all__ = [
    "PAPER_THRESHOLD",
    "detect",
    "classification_metrics",
    "default_thresholds",
    "threshold_sweep",
    "best_threshold",
    "ks_test",
    "summarize_detection",
]

#: The R threshold chosen by Stuardi et al. (2024).
PAPER_THRESHOLD = 0.015


def detect(scores, threshold: float = PAPER_THRESHOLD) -> np.ndarray:
    """``scores >= threshold`` (False where the score is NaN)."""
    s = np.asarray(scores, float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(s) & (s >= threshold)


def _clean(scores, truth) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, float).ravel()
    t = np.asarray(truth).ravel()
    if s.shape != t.shape:
        raise RadioUNetError(f"scores and labels differ in length ({s.size} vs {t.size})")
    keep = np.isfinite(s)
    return s[keep], t[keep].astype(bool)


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def classification_metrics(scores, truth, threshold: float) -> dict:
    """Confusion counts and scores of ``detect(scores, threshold)`` against ``truth``.

    Parameters
    ----------
    scores : array_like
        R of each target (NaN ones are left out).
    truth : array_like of bool
        True for targets with diffuse emission.
    threshold : float

    Returns
    -------
    dict
        ``threshold, n, tp, fp, tn, fn, accuracy, precision, recall, f1``;
        a ratio with a zero denominator (no detection, no positive) is NaN.
    """
    s, t = _clean(scores, truth)
    pred = s >= threshold
    tp = int(np.count_nonzero(pred & t))
    fp = int(np.count_nonzero(pred & ~t))
    tn = int(np.count_nonzero(~pred & ~t))
    fn = int(np.count_nonzero(~pred & t))
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {
        "threshold": float(threshold),
        "n": int(s.size),
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "accuracy": _ratio(tp + tn, s.size),
        "precision": precision,
        "recall": recall,
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
    }


def default_thresholds(scores, *, n_grid: int = 101) -> np.ndarray:
    """Every distinct finite score (exact for the best threshold) plus a regular grid from 0 to 1.05 x max, sorted."""
    s = np.asarray(scores, float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return np.zeros(0)
    top = max(float(s.max()) * 1.05, 1e-6)
    return np.unique(np.concatenate([s, np.linspace(0.0, top, n_grid)]))


def threshold_sweep(scores, truth, thresholds=None) -> Table:
    """Metrics (see :func:`classification_metrics`) for each threshold.

    Parameters
    ----------
    scores, truth : array_like
    thresholds : array_like, optional
        Default: :func:`default_thresholds`.

    Returns
    -------
    astropy.table.Table
        One row per threshold, ascending.
    """
    th = default_thresholds(scores) if thresholds is None else np.unique(np.asarray(thresholds, float))
    rows = [classification_metrics(scores, truth, t) for t in th]
    names = ["threshold", "n", "tp", "fp", "tn", "fn", "accuracy", "precision", "recall", "f1"]
    table = Table(rows=[[r[k] for k in names] for r in rows], names=names) if rows else Table(names=names)
    return table


def best_threshold(scores, truth) -> dict:
    """The R threshold of best accuracy, placed midway between the two scores that bound it.

    Every distinct classification is tried (each distinct score as a
    threshold, and "nothing detected"); the highest accuracy wins, ties go
    to the higher F1, then to the lower threshold. The reported threshold is
    the middle of the interval of thresholds that give that classification:
    between the highest score left undetected (or 0) and the lowest
    detected one.

    Parameters
    ----------
    scores, truth : array_like
        R (NaN ones are left out) and classes.

    Returns
    -------
    dict
        The metrics of :func:`classification_metrics` at the chosen
        threshold, plus ``threshold_low`` (exclusive: the highest score not
        detected, or 0) and ``threshold_high`` (the lowest detected score, or
        inf when nothing is detected).
    """
    s, t = _clean(scores, truth)
    if s.size == 0:
        raise RadioUNetError("no target has a finite R: cannot choose a threshold")
    candidates = np.append(np.unique(s), np.inf)
    rows = [classification_metrics(s, t, c) for c in candidates]
    acc = np.array([r["accuracy"] for r in rows])
    f1 = np.nan_to_num(np.array([r["f1"] for r in rows], float), nan=-1.0)
    order = np.lexsort((candidates, -f1, -acc))  # last key is primary
    high = float(candidates[order[0]])
    below = s[s < high]
    low = float(below.max()) if below.size else 0.0
    if np.isfinite(high):
        middle = 0.5 * (low + high) if below.size else (high / 2 if high > 0 else 0.0)
    else:  # best to detect nothing: any threshold above the highest score
        middle = low + max(abs(low) * 1e-6, 1e-12)
    best = classification_metrics(s, t, middle)
    best.update(threshold_low=low, threshold_high=high)
    return best


def ks_test(scores, truth) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``) between the R of positives and negatives.

    Returns
    -------
    statistic, pvalue : float
        NaN when a class is empty.
    """
    from scipy.stats import ks_2samp

    s, t = _clean(scores, truth)
    if not t.any() or t.all():
        return float("nan"), float("nan")
    res = ks_2samp(s[t], s[~t])
    return float(res.statistic), float(res.pvalue)


def summarize_detection(scores, truth=None, *, threshold: float = PAPER_THRESHOLD, thresholds=None) -> tuple[dict, Table | None]:
    """Everything the ``targets`` command reports about R, with or without labels.

    Parameters
    ----------
    scores : array_like
        R of every target (NaN = not measured).
    truth : array_like of bool, optional
        Classes; entries may be masked (unlabelled targets are left out of the
        labelled statistics).
    threshold : float
        The chosen threshold for ``detected``.
    thresholds : array_like, optional
        Thresholds of the sweep (default :func:`default_thresholds`).

    Returns
    -------
    summary : dict
        ``n_targets``, ``n_measured``, ``threshold``, ``n_detected``; with
        labels also ``n_labelled``, ``n_positive``, ``n_negative``,
        ``median_R_positive``/``negative``, ``ks_statistic``, ``ks_pvalue``,
        ``at_threshold`` (metrics at ``threshold``) and ``best`` (the
        best-accuracy row of the sweep).
    sweep : astropy.table.Table or None
        The threshold sweep (None without labels or without a measured
        labelled target).
    """
    s = np.asarray(scores, float)
    summary: dict = {
        "n_targets": int(s.size),
        "n_measured": int(np.count_nonzero(np.isfinite(s))),
        "threshold": float(threshold),
        "n_detected": int(np.count_nonzero(detect(s, threshold))),
    }
    if truth is None:
        return summary, None
    known = ~np.ma.getmaskarray(truth)
    t = np.ma.getdata(truth).astype(bool)
    use = known & np.isfinite(s)
    s, t = s[use], t[use]
    summary.update(
        n_labelled=int(s.size),
        n_positive=int(t.sum()),
        n_negative=int((~t).sum()),
        median_R_positive=float(np.median(s[t])) if t.any() else float("nan"),
        median_R_negative=float(np.median(s[~t])) if (~t).any() else float("nan"),
    )
    if s.size == 0:
        return summary, None
    summary["ks_statistic"], summary["ks_pvalue"] = ks_test(s, t)
    summary["at_threshold"] = classification_metrics(s, t, threshold)
    sweep = threshold_sweep(s, t, thresholds)
    summary["best"] = best_threshold(s, t)
    return summary, sweep
