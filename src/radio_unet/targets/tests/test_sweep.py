"""Tests of the classification by R: metrics by hand, the sweep, the best threshold, the KS test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import ks_2samp

from radio_unet.targets.sweep import (
    best_threshold,
    classification_metrics,
    detect,
    ks_test,
    summarize_detection,
    threshold_sweep,
)

SCORES = np.array([0.001, 0.010, 0.020, 0.030, 0.012, 0.040, np.nan])
TRUTH = np.array([False, False, True, True, True, False, True])


def test_metrics_by_hand():
    """At 0.015: TP 2 (0.02, 0.03), FP 1 (0.04), TN 2, FN 1 (0.012); the NaN target is left out."""
    m = classification_metrics(SCORES, TRUTH, 0.015)
    assert (m["tp"], m["fp"], m["tn"], m["fn"], m["n"]) == (2, 1, 2, 1, 6)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))


def test_detection_is_at_or_above_threshold():
    """R equal to the threshold is a detection; NaN is not."""
    np.testing.assert_array_equal(detect([0.015, 0.0149, np.nan], 0.015), [True, False, False])


def test_undefined_ratios_are_nan():
    """Nothing detected: precision is NaN (0/0); no positives: recall is NaN."""
    m = classification_metrics([0.1, 0.2], [True, False], 1.0)
    assert math.isnan(m["precision"]) and m["recall"] == 0.0
    m = classification_metrics([0.1, 0.2], [False, False], 0.0)
    assert math.isnan(m["recall"])


def test_sweep_and_best_threshold():
    """The sweep holds every score as a threshold; the best accuracy is 5/6, between R 0.010 and 0.012."""
    sweep = threshold_sweep(SCORES, TRUTH)
    assert set(SCORES[np.isfinite(SCORES)]) <= set(sweep["threshold"])
    assert np.all(np.diff(sweep["threshold"]) > 0)
    # By hand: at R >= 0.012 the detections are 0.012, 0.02, 0.03, 0.04 -> TP 3, FP 1, TN 2, FN 0: accuracy 5/6,
    # and the same classification holds for any threshold in (0.010, 0.012]: the middle is 0.011.
    best = best_threshold(SCORES, TRUTH)
    assert best["threshold"] == pytest.approx(0.011)
    assert (best["threshold_low"], best["threshold_high"]) == (0.010, 0.012)
    assert best["accuracy"] == pytest.approx(5 / 6) and best["recall"] == 1.0
    assert max(sweep["accuracy"]) == pytest.approx(5 / 6)
    for row in sweep:  # every row agrees with the direct computation
        direct = classification_metrics(SCORES, TRUTH, row["threshold"])
        assert row["tp"] == direct["tp"] and row["fp"] == direct["fp"]


def test_ks_test_is_scipys():
    """The KS statistic and p-value are those of scipy's ks_2samp on the two classes."""
    stat, p = ks_test(SCORES, TRUTH)
    ref = ks_2samp([0.020, 0.030, 0.012], [0.001, 0.010, 0.040])
    assert stat == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    assert all(math.isnan(v) for v in ks_test([0.1, 0.2], [True, True]))


def test_summary_with_masked_labels():
    """Unlabelled (masked) targets count as measured but stay out of the labelled statistics."""
    truth = np.ma.MaskedArray(TRUTH, mask=[False] * 5 + [True, False])
    summary, sweep = summarize_detection(SCORES, truth, threshold=0.015)
    assert summary["n_measured"] == 6 and summary["n_detected"] == 3
    assert summary["n_labelled"] == 5 and summary["n_positive"] == 3 and summary["n_negative"] == 2
    assert summary["median_R_positive"] == pytest.approx(0.020)
    assert summary["median_R_negative"] == pytest.approx(0.0055)
    assert summary["best"]["accuracy"] == 1.0  # without the 0.04 negative, 0.012 separates perfectly
    assert sweep is not None
    unlabelled, none = summarize_detection(SCORES)
    assert none is None and "best" not in unlabelled and unlabelled["n_detected"] == 3
