"""Tests of the weight-space interpolation of two fine-tunes (radio_unet.models.merge)."""

from __future__ import annotations

import pytest
import torch

from radio_unet.cli import main
from radio_unet.errors import RadioUNetError
from radio_unet.models import UNetConfig, build_model, load_model, save_model
from radio_unet.models.merge import merge_models

CLASSES = ["background", "radio halo", "radio galaxy"]


def _tiny(path, seed, **card):
    torch.manual_seed(seed)
    model = build_model(UNetConfig(base_filters=4, depth=2, n_classes=3, name="tiny")).eval()
    save_model(path, model, {"classes": CLASSES, "metrics": {"test_iou": 0.1 * seed}, "notes": f"seed {seed}", **card})
    return path


def test_merged_weights_lie_on_the_line_between_the_two_models(tmp_path):
    """Every floating-point tensor is (1 - w) a + w b; the card is the second's with the merge recorded."""
    a, b = _tiny(tmp_path / "a", 1), _tiny(tmp_path / "b", 2)
    card = merge_models(a, b, tmp_path / "m", weight=0.25, command="radio-unet merge a b --weight 0.25")
    (ma, ca), (mb, cb), (mm, cm) = load_model(a), load_model(b), load_model(tmp_path / "m")
    sa, sb, sm = ma.state_dict(), mb.state_dict(), mm.state_dict()
    floats = [k for k in sa if sa[k].is_floating_point()]
    assert floats and all(torch.allclose(sm[k], 0.75 * sa[k] + 0.25 * sb[k], atol=1e-6) for k in floats)
    assert not torch.allclose(sm[floats[0]], sb[floats[0]])
    record = cm.extra["merge"]
    assert record["weight"] == 0.25 and [s["sha256"] for s in record["sources"]] == [ca.sha256, cb.sha256]
    assert [s["weight"] for s in record["sources"]] == [0.75, 0.25]
    assert record["sources"][0]["metrics"] == {"test_iou": 0.1} and cm.metrics == {} and cm.notes.endswith("seed 2")
    assert card.sha256 == cm.sha256 != cb.sha256
    # the ends of the line are the models themselves
    merge_models(a, b, tmp_path / "end", weight=1.0)
    assert all(torch.equal(load_model(tmp_path / "end")[0].state_dict()[k], sb[k]) for k in floats)


def test_only_alike_models_merge_and_the_command_fails_cleanly(tmp_path, capsys):
    """Other classes, one calibrated and one not, or a weight outside [0, 1]: a one-line error, nothing written."""
    a = _tiny(tmp_path / "a", 1)
    torch.manual_seed(3)
    other = build_model(UNetConfig(base_filters=4, depth=2, n_classes=3, name="tiny")).eval()
    save_model(tmp_path / "other", other, {"classes": ["background", "relic", "radio galaxy"]})
    with pytest.raises(RadioUNetError, match="differ in their classes"):
        merge_models(a, tmp_path / "other", tmp_path / "m")
    _tiny(tmp_path / "cal", 4, extra={"calibration": {"method": "prior correction"}})
    with pytest.raises(RadioUNetError, match="calibrated alike|interpolate two calibrated"):
        merge_models(a, tmp_path / "cal", tmp_path / "m")
    assert main(["merge", str(a), str(tmp_path / "cal"), "--weight", "1.5", "--out", str(tmp_path / "m")]) == 2
    assert "[0, 1]" in capsys.readouterr().err and not (tmp_path / "m").exists()
    b = _tiny(tmp_path / "b", 2)
    assert main(["merge", str(a), str(b), "--out", str(tmp_path / "ok")]) == 0
    assert "model:" in capsys.readouterr().out and (tmp_path / "ok" / "model.safetensors").exists()
