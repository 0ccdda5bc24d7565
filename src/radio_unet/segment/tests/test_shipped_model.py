"""Tests of the shipped default model: card, integrity, and window vs paper tiling on a 2000x2000 field."""

from __future__ import annotations

import json

import numpy as np
import pytest

from radio_unet.segment import load_segmenter, shipped_models
from radio_unet.segment.load import SHIPPED_DIR

pytestmark = pytest.mark.skipif("default" not in shipped_models(), reason="no shipped default model in this checkout")


def test_card_records_how_it_was_made():
    """The card names the training command, the data set and seed, the time and metrics; the file is small."""
    card = json.loads((SHIPPED_DIR / "default.json").read_text())
    assert "radio-unet train" in card["command"]
    assert card["dataset"]["splits"]["test"], "held-out test images are recorded"
    assert card["seed"] is not None and card["training"].get("wall_time_s", 0) > 0
    training_metrics = (card.get("extra", {}).get("calibration") or {}).get("source_metrics", card["metrics"])
    assert "val_iou" in json.dumps(training_metrics), "the training metrics (of the calibrated source, if calibrated)"
    assert card["metrics"], "measured metrics"
    assert (SHIPPED_DIR / "default.safetensors").stat().st_size < 20e6


@pytest.mark.xfail(
    strict=True,
    reason="known gap (issue 5): the probabilities depend on context beyond the 48 px that the paper's tiling keeps "
    "around each tile centre (and, for the noise-relative default, on the rms measured per 192-px tile instead of per "
    "window); on this field with emission (seed 1, 1.93% of the pixels called diffuse) 98.08% of the pixels agree "
    "within 0.02 with the multi-survey default, not 99.9% (lotss-real: 99.14%; paper-lite: 93.8% on the seed-5 field); "
    "on the seed-5 field, where lotss-real calls nothing, 99.96% agree (docs/model.md, benchmarks/results/tiling_consistency.md)",
)
def test_window_and_paper_tiling_agree_on_a_2000px_field(tmp_path):
    """window and paper tiling agree within 0.02 in probability on 99.9% of the valid pixels of a 2000x2000 field."""
    from radio_unet.io import read_image
    from radio_unet.simulate import get_preset, simulate_one

    record = simulate_one(get_preset("lotss-6as"), 0, seed=1, route="image", out_dir=tmp_path)  # 1.7% diffuse
    image = read_image(tmp_path / record["image"])
    segmenter = load_segmenter("default", tta=False)  # the tilings compared, one orientation
    window = segmenter.diffuse(segmenter(image, tiling="window"))
    paper = segmenter.diffuse(segmenter(image, tiling="paper"))
    valid = np.isfinite(image.data)
    close = np.abs(window - paper)[valid] <= 0.02
    print(f"{100 * close.mean():.3f}% of pixels agree within 0.02; {100 * (window[valid] >= 0.5).mean():.2f}% of "
          "them have a window probability >= 0.5")
    assert (window[valid] >= 0.5).mean() > 0.002, "the field must hold emission the network finds"
    assert close.mean() >= 0.999, f"only {100 * close.mean():.3f}% of pixels agree within 0.02"
