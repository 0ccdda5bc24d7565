"""Tests of saving and loading models (safetensors + JSON card) and of the ONNX export."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch

from radio_unet.errors import RadioUNetError
from radio_unet.models import ModelCard, OnnxPredictor, UNetConfig, build_model, export_onnx, load_model, save_model


@pytest.fixture
def model():
    """A small model with non-trivial batch-norm statistics, in eval mode."""
    torch.manual_seed(3)
    m = build_model(UNetConfig(base_filters=4, depth=4, name="tiny"))
    m.train()
    with torch.no_grad():
        for _ in range(3):
            m(torch.rand(4, 1, 32, 32))  # updates running statistics
    return m.eval()


def test_safetensors_roundtrip_is_exact(tmp_path, model):
    """Every tensor of the state dict, buffers included, survives save/load bit for bit."""
    card = save_model(tmp_path / "model.safetensors", model, {"seed": 7, "normalization": {"vmin": 1e-10, "vmax": 1e-5, "unit": "Jy/pixel"}})
    loaded, card2 = load_model(tmp_path)
    a, b = model.state_dict(), loaded.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert not loaded.training
    assert card2.seed == 7 and card2.sha256 == card.sha256 and len(card.sha256) == 64
    assert card2.architecture == model.config
    assert card2.normalization["vmin"] == 1e-10
    assert card2.created and "torch" in card2.software
    x = torch.rand(2, 1, 48, 32)
    assert torch.equal(model.predict_proba(x), loaded.predict_proba(x))


def test_files_are_safetensors_and_json_not_pickle(tmp_path, model):
    """The weights file is a safetensors header + raw data; the card is plain JSON."""
    save_model(tmp_path / "m.safetensors", model)
    raw = (tmp_path / "m.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    assert header["__metadata__"]["format"] == "radio-unet"
    assert b"\x80\x04" not in raw[:2]  # no pickle protocol marker
    card = json.loads((tmp_path / "m.json").read_text())
    assert card["weights_file"] == "m.safetensors" and card["architecture"]["base_filters"] == 4


def test_sha_mismatch_missing_and_corrupt_files(tmp_path, model):
    """Changed, missing or corrupt files give clear RadioUNetErrors."""
    save_model(tmp_path, model)
    weights = tmp_path / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(RadioUNetError, match="sha256"):
        load_model(tmp_path)
    # a corrupt file whose card matches it: the safetensors reader fails
    weights.write_bytes(b"not a safetensors file at all")
    card = json.loads((tmp_path / "model.json").read_text())
    import hashlib

    card["sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    (tmp_path / "model.json").write_text(json.dumps(card))
    with pytest.raises(RadioUNetError, match="corrupt"):
        load_model(tmp_path)
    weights.unlink()
    with pytest.raises(RadioUNetError, match="missing"):
        load_model(tmp_path)
    (tmp_path / "model.json").unlink()
    with pytest.raises(RadioUNetError, match="no such model"):
        load_model(tmp_path)
    save_model(tmp_path / "x.safetensors", model)
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(RadioUNetError, match="JSON"):
        load_model(tmp_path / "x.safetensors")


def test_card_architecture_must_fit_weights(tmp_path, model):
    """A card that describes another architecture is refused."""
    save_model(tmp_path, model)
    card = json.loads((tmp_path / "model.json").read_text())
    card["architecture"]["base_filters"] = 8
    (tmp_path / "model.json").write_text(json.dumps(card))
    with pytest.raises(RadioUNetError, match="do not fit"):
        load_model(tmp_path)


def test_card_json_roundtrip_keeps_unknown_keys():
    """Unknown card entries are kept in ``extra``; NaN metrics become null."""
    card = ModelCard.from_dict({"architecture": {"preset": "lite"}, "future_key": 1, "metrics": {"a": float("nan")}})
    assert card.extra["future_key"] == 1 and card.architecture.base_filters == 16
    back = ModelCard.from_json(card.to_json())
    assert back.metrics["a"] is None and back.extra["future_key"] == 1


def test_onnx_matches_torch(tmp_path, model):
    """ONNX Runtime probabilities equal PyTorch's to < 1e-4, at the trace size and at other sizes."""
    card = ModelCard(architecture=model.config, normalization={"vmin": 1e-10, "vmax": 1e-5, "unit": "Jy/pixel"})
    path = export_onnx(model, tmp_path / "m.onnx", tile=32, card=card)
    pred = OnnxPredictor(path)
    assert pred.config == model.config and pred.card.normalization["vmax"] == 1e-5
    rng = np.random.default_rng(0)
    for shape in [(2, 1, 32, 32), (1, 1, 64, 48)]:
        x = rng.random(shape, dtype=np.float32)
        ref = model.predict_proba(torch.from_numpy(x)).numpy()
        got = pred.predict_proba(x, batch_size=1)
        assert got.shape == ref.shape
        assert np.abs(got - ref).max() < 1e-4
    assert pred.predict_proba(x[0, 0]).shape == (2, 64, 48)
    with pytest.raises(RadioUNetError, match="multiple of 16"):
        pred.predict_proba(np.zeros((1, 1, 40, 32), np.float32))
    assert model.training is False  # export did not change the model


def test_onnx_export_rejects_bad_tile(tmp_path, model):
    """The example tile must be a multiple of 2**depth."""
    with pytest.raises(RadioUNetError, match="multiple of 16"):
        export_onnx(model, tmp_path / "m.onnx", tile=40)
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.slow
def test_onnx_dynamo_exporter_matches_torch(tmp_path, model):
    """The torch.export-based exporter (onnxscript) gives the same probabilities (about 10 s)."""
    pytest.importorskip("onnxscript")
    path = export_onnx(model, tmp_path / "d.onnx", tile=32, exporter="dynamo")
    pred = OnnxPredictor(path)
    x = np.random.default_rng(1).random((1, 1, 48, 64), dtype=np.float32)
    assert np.abs(pred.predict_proba(x) - model.predict_proba(torch.from_numpy(x)).numpy()).max() < 1e-4


@pytest.mark.parametrize("n_classes", [2, 3])
def test_onnx_probabilities_sum_to_one_for_any_number_of_classes(tmp_path, n_classes):
    """Two classes export as sigmoid(l1 - l0), more as a softmax: both equal PyTorch's softmax and sum to 1."""
    torch.manual_seed(1)
    model = build_model(UNetConfig(base_filters=4, depth=2, n_classes=n_classes, name="tiny")).eval()
    pred = OnnxPredictor(export_onnx(model, tmp_path / "m.onnx", tile=32))
    x = np.random.default_rng(5).random((2, 1, 32, 48), dtype=np.float32)
    got = pred.predict_proba(x)
    assert got.shape == (2, n_classes, 32, 48)
    np.testing.assert_allclose(got, model.predict_proba(torch.from_numpy(x)).numpy(), atol=1e-5)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)
