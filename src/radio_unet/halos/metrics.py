"""Scores of a binary classifier, and their intervals by resampling sky groups.

Every score of the cross-validation is computed on out-of-fold predictions: per repeat, each test item (an object,
or an image of the leaky protocol) is predicted once by a model that never saw its group. The point estimate is
the mean over repeats of the per-repeat score; its 95% interval comes from a bootstrap over sky groups (the
objects are what is sampled from the sky, the repeats only average over training noise).
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["METRICS", "scores", "auroc", "bootstrap_scores", "paired_difference", "wilson_interval"]

#: The reported scores, in table order.
METRICS = ("balanced_accuracy", "precision", "recall", "specificity", "f1", "auroc", "accuracy")


def _div(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def _from_counts(tp, fp, tn, fn) -> dict[str, np.ndarray]:
    recall = _div(tp, tp + fn)
    spec = _div(tn, tn + fp)
    prec = _div(tp, tp + fp)
    return {
        "balanced_accuracy": (recall + spec) / 2,
        "precision": prec,
        "recall": recall,
        "specificity": spec,
        "f1": _div(2 * tp, 2 * tp + fp + fn),
        "accuracy": _div(tp + tn, tp + tn + fp + fn),
    }


def auroc(labels, prob, weights=None) -> np.ndarray:
    """Area under the ROC curve (ties count one half), optionally with item weights.

    Parameters
    ----------
    labels : array_like of 0/1, shape (n,)
    prob : array_like, shape (n,)
    weights : array_like, shape (n,) or (b, n), optional
        One weight vector or ``b`` of them (bootstrap counts).

    Returns
    -------
    float or numpy.ndarray
        NaN where a class has no weight.

    Examples
    --------
    >>> float(auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    labels = np.asarray(labels, bool)
    prob = np.asarray(prob, float)
    pos, neg = prob[labels], prob[~labels]
    cmp = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    if weights is None:
        return float(cmp.mean()) if cmp.size else float("nan")
    w = np.atleast_2d(np.asarray(weights, float))
    wp, wn = w[:, labels], w[:, ~labels]
    num = np.einsum("bi,ij,bj->b", wp, cmp, wn)
    out = _div(num, wp.sum(1) * wn.sum(1))
    return out if np.ndim(weights) == 2 else float(out[0])


def scores(labels, prob, threshold: float = 0.5) -> dict[str, float]:
    """All of :data:`METRICS` for one set of predictions (halo = class 1, called when ``prob >= threshold``).

    Examples
    --------
    >>> s = scores([1, 1, 0, 0], [0.9, 0.2, 0.1, 0.6])
    >>> s["balanced_accuracy"], s["precision"], s["auroc"]
    (0.5, 0.5, 0.75)
    """
    labels = np.asarray(labels, bool)
    pred = np.asarray(prob, float) >= threshold
    tp, fp = np.sum(pred & labels), np.sum(pred & ~labels)
    tn, fn = np.sum(~pred & ~labels), np.sum(~pred & labels)
    out = {k: float(v) for k, v in _from_counts(tp, fp, tn, fn).items()}
    out["auroc"] = float(auroc(labels, prob))
    out.update(tp=int(tp), fp=int(fp), tn=int(tn), fn=int(fn))
    return out


def _weighted(labels, prob, w, threshold):
    labels = np.asarray(labels, bool)
    pred = np.asarray(prob, float) >= threshold
    tp = w @ (pred & labels)
    fp = w @ (pred & ~labels)
    tn = w @ (~pred & ~labels)
    fn = w @ (~pred & labels)
    out = _from_counts(tp, fp, tn, fn)
    out["auroc"] = auroc(labels, prob, w)
    return out


def _nanmean0(values) -> np.ndarray:
    """Mean over axis 0 ignoring NaN (all-NaN columns give NaN without a warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.asarray(values, float), axis=0)


def _group_weights(groups_all, n_boot, rng):
    uniq = np.unique(groups_all)
    draws = rng.integers(0, len(uniq), (n_boot, len(uniq)))
    counts = np.zeros((n_boot, len(uniq)))
    np.add.at(counts, (np.arange(n_boot)[:, None], draws), 1.0)
    return uniq, counts


def bootstrap_scores(runs, *, n_boot: int = 2000, seed: int = 0, threshold: float = 0.5,
                     level: float = 0.95) -> dict[str, dict[str, float]]:
    """Point estimates and group-bootstrap intervals of every score, over repeats.

    Parameters
    ----------
    runs : list of (labels, prob, groups)
        One entry per repeat: the out-of-fold predictions of every test item, with the sky group of each.
    n_boot : int
        Bootstrap resamples of the sky groups (the same resamples for every repeat).
    seed : int
    threshold : float
    level : float
        Coverage of the interval.

    Returns
    -------
    dict
        metric -> ``{"value", "low", "high", "sd_repeats"}``: the mean over repeats, the interval, and the
        standard deviation of the per-repeat values (training noise only).
    """
    rng = np.random.default_rng(seed)
    uniq, counts = _group_weights(np.concatenate([np.asarray(g) for _, _, g in runs]), n_boot, rng)
    per_repeat = {m: [] for m in METRICS}
    boot = {m: [] for m in METRICS}
    for labels, prob, groups in runs:
        s = scores(labels, prob, threshold)
        for m in METRICS:
            per_repeat[m].append(s[m])
        w = counts[:, np.searchsorted(uniq, np.asarray(groups))]
        b = _weighted(labels, prob, w, threshold)
        for m in METRICS:
            boot[m].append(b[m])
    alpha = (1 - level) / 2
    out = {}
    for m in METRICS:
        vals = np.asarray(per_repeat[m], float)
        bm = _nanmean0(boot[m]) if len(boot[m]) else np.array([np.nan])
        finite = bm[np.isfinite(bm)]
        out[m] = {
            "value": float(_nanmean0(vals)),
            "low": float(np.quantile(finite, alpha)) if finite.size else float("nan"),
            "high": float(np.quantile(finite, 1 - alpha)) if finite.size else float("nan"),
            "sd_repeats": float(np.nanstd(vals)) if np.isfinite(vals).sum() > 1 else float("nan"),
        }
    return out


def paired_difference(runs_a, runs_b, *, n_boot: int = 2000, seed: int = 0, threshold: float = 0.5,
                      level: float = 0.95) -> dict[str, dict[str, float]]:
    """Score of B minus score of A over identical folds and seeds, with a group-bootstrap interval.

    Parameters
    ----------
    runs_a, runs_b : list of (labels, prob, groups)
        Per repeat, the predictions of the same items in the same order (see :func:`bootstrap_scores`).

    Returns
    -------
    dict
        metric -> ``{"value", "low", "high"}`` of ``B - A``.
    """
    if len(runs_a) != len(runs_b):
        raise ValueError("paired runs need the same repeats")
    rng = np.random.default_rng(seed)
    uniq, counts = _group_weights(np.concatenate([np.asarray(g) for _, _, g in runs_a]), n_boot, rng)
    diffs = {m: [] for m in METRICS}
    boots = {m: [] for m in METRICS}
    for (la, pa, ga), (lb, pb, gb) in zip(runs_a, runs_b):
        if not np.array_equal(np.asarray(la), np.asarray(lb)) or not np.array_equal(np.asarray(ga), np.asarray(gb)):
            raise ValueError("paired runs must predict the same items in the same order")
        sa, sb = scores(la, pa, threshold), scores(lb, pb, threshold)
        w = counts[:, np.searchsorted(uniq, np.asarray(ga))]
        ba, bb = _weighted(la, pa, w, threshold), _weighted(lb, pb, w, threshold)
        for m in METRICS:
            diffs[m].append(sb[m] - sa[m])
            boots[m].append(np.asarray(bb[m]) - np.asarray(ba[m]))
    alpha = (1 - level) / 2
    out = {}
    for m in METRICS:
        bm = _nanmean0(boots[m])
        finite = bm[np.isfinite(bm)]
        out[m] = {"value": float(_nanmean0(diffs[m])),
                  "low": float(np.quantile(finite, alpha)) if finite.size else float("nan"),
                  "high": float(np.quantile(finite, 1 - alpha)) if finite.size else float("nan")}
    return out


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n``.

    Examples
    --------
    >>> lo, hi = wilson_interval(44, 46)
    >>> round(lo, 2), round(hi, 2)
    (0.85, 0.99)
    """
    from scipy.stats import norm

    if n == 0:
        return float("nan"), float("nan")
    z = norm.ppf(1 - (1 - level) / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)
