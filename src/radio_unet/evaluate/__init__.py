"""Evaluation of probability maps: mean IoU (paper eq. 5), pixel and source scores, baselines."""

from .metrics import mean_iou, pixel_scores, score_map, source_scores, threshold_baseline

__all__ = ["mean_iou", "pixel_scores", "score_map", "source_scores", "threshold_baseline"]
