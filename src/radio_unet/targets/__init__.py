"""Per-target analysis: cut-outs around galaxy clusters, the detection ratio R within 2.2 R500, the threshold sweep.

The chain of the ``radio-unet targets`` command (Stuardi et al. 2024, section
on LoTSS clusters): read a target list (:mod:`radio_unet.targets.catalog`), cut
each cluster out of the best-covering image (:mod:`.cutouts`), segment it
(:func:`radio_unet.segment.run.segment_file`), measure

    R = sum(p) / N over the N valid pixels within 2.2 R500   (:mod:`.ratio`)

and classify: detected when R >= 0.015 (the paper's threshold), or, with
labels, sweep the threshold for accuracy, precision, recall and F1 and
compare the R distributions with a KS test (:mod:`.sweep`).

Examples
--------
>>> import numpy as np
>>> from radio_unet.targets import detection_ratio
>>> p = np.zeros((50, 50)); p[20:30, 20:30] = 1.0
>>> round(detection_ratio(p, center_xy=(24.5, 24.5), radius_pix=10)["R"], 3)
0.316
"""

from .catalog import read_catalog
from .cutouts import (
    CutoutJob,
    Footprint,
    cut_out,
    find_images,
    make_cutouts,
    match_targets,
    read_footprint,
    target_stems,
)
from .pipeline import TargetJob, run_targets
from .ratio import circle_mask, detection_ratio, measure_target, pixel_area_kpc2, radius_pixels
from .sweep import (
    PAPER_THRESHOLD,
    best_threshold,
    classification_metrics,
    detect,
    ks_test,
    summarize_detection,
    threshold_sweep,
)

__all__ = [
    "read_catalog",
    "Footprint",
    "find_images",
    "read_footprint",
    "match_targets",
    "target_stems",
    "cut_out",
    "CutoutJob",
    "make_cutouts",
    "circle_mask",
    "detection_ratio",
    "radius_pixels",
    "pixel_area_kpc2",
    "measure_target",
    "PAPER_THRESHOLD",
    "detect",
    "classification_metrics",
    "threshold_sweep",
    "best_threshold",
    "ks_test",
    "summarize_detection",
    "TargetJob",
    "run_targets",
]
