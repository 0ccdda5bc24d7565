"""Evaluation of probability maps: mean IoU (paper eq. 5), pixel and source scores, baselines."""

from ..islands import island_mask
from .external import available_external_baselines, breizorro_mask, pybdsf_mask
from .metrics import PEAK_THRESHOLD, mean_iou, pixel_scores, score_map, source_scores, threshold_baseline

__all__ = [
    "PEAK_THRESHOLD",
    "available_external_baselines",
    "breizorro_mask",
    "island_mask",
    "mean_iou",
    "pixel_scores",
    "pybdsf_mask",
    "score_map",
    "source_scores",
    "threshold_baseline",
]
