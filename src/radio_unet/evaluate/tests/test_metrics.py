"""Tests of the segmentation scores on hand-made masks."""

import numpy as np
import pytest

from radio_unet.evaluate import island_mask, mean_iou, pixel_scores, score_map, source_scores, threshold_baseline
from radio_unet.evaluate.dataset import network_rows


def test_mean_iou_by_hand():
    """Mean IoU averages the emission and background IoUs (paper eq. 5)."""
    truth = np.zeros((10, 10), bool)
    truth[:, :5] = True  # 50 px
    pred = np.zeros((10, 10), bool)
    pred[:, :4] = True  # 40 px inside truth
    # emission: 40/50; background: 50/60
    assert mean_iou(pred, truth) == pytest.approx((40 / 50 + 50 / 60) / 2)
    assert mean_iou(truth, truth) == 1.0
    assert mean_iou(~truth, truth) == 0.0


def test_mean_iou_respects_valid_pixels():
    """Blank pixels do not count."""
    truth = np.zeros((4, 4), bool)
    pred = np.zeros((4, 4), bool)
    pred[0, 0] = True
    valid = np.ones((4, 4), bool)
    valid[0, 0] = False
    assert mean_iou(pred, truth, valid=valid) == 1.0
    assert mean_iou(pred, truth) < 1.0


def test_pixel_scores():
    """Pixel precision and recall from counts."""
    truth = np.array([1, 1, 1, 0, 0], bool)
    pred = np.array([1, 1, 0, 1, 0], bool)
    s = pixel_scores(pred, truth)
    assert s["pixel_precision"] == pytest.approx(2 / 3) and s["pixel_recall"] == pytest.approx(2 / 3)


def test_source_scores_count_regions_over_10_pixels():
    """Two true sources (one found), one false detection, and small regions ignored."""
    truth = np.zeros((40, 40), bool)
    truth[2:6, 2:6] = True  # 16 px, found
    truth[20:24, 20:24] = True  # 16 px, missed
    truth[35, 35] = True  # 1 px, too small to count
    pred = np.zeros((40, 40), bool)
    pred[3:7, 3:7] = True  # overlaps the first
    pred[30:34, 2:6] = True  # false positive
    pred[10:12, 10:12] = True  # 4 px, ignored
    s = source_scores(pred, truth, min_pixels=10)
    assert (s["n_true"], s["n_pred"], s["n_found"], s["n_correct"]) == (2, 2, 1, 1)
    assert s["source_precision"] == 0.5 and s["source_recall"] == 0.5


def test_source_scores_default_counts_regions_over_10_pixels_exactly():
    """The default (islands of at least 11 pixels, radio_unet.islands' rule) counts an 11-pixel region, not a 10-pixel one."""
    truth = np.zeros((10, 30), bool)
    truth[2, 1:11] = True  # 10 px: not a source
    truth[6, 1:12] = True  # 11 px: a source
    pred = truth.copy()
    s = source_scores(pred, truth)
    assert (s["n_true"], s["n_pred"], s["n_found"]) == (1, 1, 1)
    assert score_map(pred.astype(np.float32), truth)["n_true"] == 1


def test_threshold_baseline_finds_bright_blob_not_noise():
    """3-sigma thresholding recovers a bright blob and few noise pixels; NaN is never detected."""
    rng = np.random.default_rng(0)
    img = rng.normal(0, 1.0, (200, 200)).astype(np.float32)
    img[90:110, 90:110] += 10.0
    img[0, 0] = np.nan
    mask = threshold_baseline(img)
    assert mask[90:110, 90:110].all()
    assert mask.sum() - 400 < 0.004 * 200 * 200  # ~0.13% false positives for Gaussian noise
    assert not mask[0, 0]
    smooth = threshold_baseline(img, smooth_pixels=2.0)
    assert smooth[95:105, 95:105].all()


def test_score_map_threshold():
    """score_map thresholds probabilities at 0.5 by default."""
    truth = np.zeros((20, 20), bool)
    truth[5:15, 5:15] = True
    prob = truth * 0.9 + 0.05
    assert score_map(prob, truth)["mean_iou"] == 1.0
    assert score_map(prob, truth, threshold=0.99)["mean_iou"] < 0.5


def test_island_mask_keeps_whole_islands_that_reach_the_peak():
    """Islands above 0.5 are kept whole when they peak >= the peak threshold, dropped otherwise; NaN is 0."""
    prob = np.zeros((30, 30), np.float32)
    prob[2:8, 2:8] = 0.6
    prob[4, 4] = 0.95  # one bright pixel keeps the whole island
    prob[20:25, 20:25] = 0.7  # never reaches 0.8
    prob[0, 29] = np.nan
    plain = island_mask(prob)
    assert plain.sum() == 36 + 25
    peaked = island_mask(prob, peak_threshold=0.8)
    assert peaked[2:8, 2:8].all() and peaked.sum() == 36
    # a peak threshold not above the island threshold is the plain mask
    assert np.array_equal(island_mask(prob, peak_threshold=0.5), plain)
    assert not island_mask(np.zeros((5, 5)), peak_threshold=0.8).any()


def test_network_rows_adds_the_peak_row_only_when_asked():
    """network_rows: the paper's plain mask first, then the islands that peak >= P."""
    truth = np.zeros((20, 20), bool)
    truth[2:8, 2:8] = True
    prob = np.where(truth, 0.9, 0.0)
    prob[14:18, 14:18] = 0.6  # false positive without a bright peak
    rows = network_rows(prob, truth)
    assert [r["method"] for r in rows] == ["radio-unet"]
    rows = network_rows(prob, truth, peak_threshold=0.8)
    assert [r["method"] for r in rows] == ["radio-unet", "radio-unet, peak 0.8"]
    assert rows[0]["mean_iou"] < rows[1]["mean_iou"] == 1.0
    assert rows[1]["n_pred"] == 1
