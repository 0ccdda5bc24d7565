"""Tests of the prior correction of a model trained with class weights (radio_unet.models.calibrate)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from radio_unet.cli import main
from radio_unet.errors import RadioUNetError
from radio_unet.models import UNetConfig, build_model, load_model, save_model
from radio_unet.models.calibrate import calibrate_model, prior_offsets

CLASSES = ["background", "radio halo", "relic", "radio galaxy"]
WEIGHTS = [0.6, 3.0, 12.0, 9.0]


@pytest.fixture
def weighted_model(tmp_path):
    """A tiny 4-class model whose card says it was trained with class weights."""
    torch.manual_seed(5)
    model = build_model(UNetConfig(base_filters=4, depth=2, n_classes=4, name="tiny")).eval()
    save_model(tmp_path / "src", model, {"classes": CLASSES, "training": {"class_weights": WEIGHTS},
                                          "metrics": {"test_iou": 0.7}, "notes": "source"})
    return tmp_path / "src"


def test_calibrated_probabilities_are_the_weighted_ones_divided_by_the_weights(tmp_path, weighted_model):
    """p_c of the copy = q_c / w_c (renormalised) for the corrected classes; the other classes keep their weight."""
    card = calibrate_model(weighted_model, tmp_path / "cal", calibrate=["radio halo", "relic"])
    source, _ = load_model(weighted_model)
    calibrated, card2 = load_model(tmp_path / "cal")
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        q = torch.softmax(source(x), 1).numpy()
        p = torch.softmax(calibrated(x), 1).numpy()
    divisor = np.array([1.0, 3.0 / 0.6, 12.0 / 0.6, 1.0])[None, :, None, None]
    expected = (q / divisor) / (q / divisor).sum(1, keepdims=True)
    np.testing.assert_allclose(p, expected, rtol=1e-4, atol=1e-6)
    assert (p[:, 1] < q[:, 1]).all() and (p[:, 3] > q[:, 3]).all()  # halo painted less, radio galaxy kept relatively
    record = card2.extra["calibration"]
    assert record["classes"] == ["radio halo", "relic"] and record["source_sha256"] != card2.sha256
    assert record["source_metrics"] == {"test_iou": 0.7} and card2.metrics == {}
    assert card.notes.startswith("Calibrated copy") and card.notes.endswith("source")


def test_a_model_is_calibrated_once_and_only_with_recorded_weights(tmp_path, weighted_model):
    """Calibrating twice, or a model whose card has no class weights, is refused with a clear message."""
    calibrate_model(weighted_model, tmp_path / "cal")
    with pytest.raises(RadioUNetError, match="calibrated already"):
        calibrate_model(tmp_path / "cal", tmp_path / "twice")
    model = build_model(UNetConfig(base_filters=4, depth=2, n_classes=4, name="tiny"))
    save_model(tmp_path / "plain", model, {"classes": CLASSES})
    with pytest.raises(RadioUNetError, match="no class weights"):
        calibrate_model(tmp_path / "plain", tmp_path / "out")
    with pytest.raises(RadioUNetError, match="no class 'halo'"):
        prior_offsets(WEIGHTS, CLASSES, calibrate=["halo"])


def test_calibrate_command_reports_offsets_and_fails_cleanly(tmp_path, weighted_model, capsys):
    """`radio-unet calibrate` prints the offsets; a model without weights is one line and exit status 2."""
    assert main(["calibrate", str(weighted_model), "--out", str(tmp_path / "cal"), "--classes", "relic"]) == 0
    out = capsys.readouterr().out
    assert "relic -2.996" in out and "radio halo +0.000" in out
    assert main(["calibrate", str(tmp_path / "cal"), "--out", str(tmp_path / "again")]) == 2
    assert "calibrated already" in capsys.readouterr().err
    assert not (tmp_path / "again").exists()
