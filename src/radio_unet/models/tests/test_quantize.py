"""Tests of the int8 quantisation of an exported model."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch

from radio_unet.errors import RadioUNetError
from radio_unet.models import ModelCard, OnnxPredictor, UNetConfig, build_model, export_onnx, quantize_onnx


@pytest.fixture
def exported(tmp_path):
    """A small float32 ONNX model (batch-norm statistics from smooth images) and its card."""
    torch.manual_seed(5)
    model = build_model(UNetConfig(base_filters=8, depth=2, name="tiny"))
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(_images(4, seed=1)[:, None])
    card = ModelCard(architecture=model.config, normalization={"vmin": 1e-10, "vmax": 1e-5, "unit": "Jy/pixel"})
    return export_onnx(model.eval(), tmp_path / "fp32.onnx", tile=32, card=card)


def _images(n: int, *, seed: int, size: int = 64) -> torch.Tensor:
    """Smooth random images in [0, 1] (blobs on a floor), like normalised radio images."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:size, :size]
    out = np.zeros((n, size, size), np.float32)
    for k in range(n):
        for _ in range(4):
            cy, cx, r = rng.uniform(0, size, 2).tolist() + [rng.uniform(3, 12)]
            out[k] += rng.uniform(0.3, 1) * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * r**2))
    return torch.from_numpy(np.clip(out + 0.05 * rng.random(out.shape), 0, 1).astype(np.float32))


def test_int8_model_is_quantized_keeps_metadata_and_follows_float32(tmp_path, exported):
    """The int8 copy has quantised convolutions, the card and precision in its metadata, and probabilities near float32."""
    calibration = list(_images(6, seed=2).numpy())
    path = quantize_onnx(exported, tmp_path / "int8.onnx", calibration)
    proto = onnx.load(str(path))
    assert sum(n.op_type == "QuantizeLinear" for n in proto.graph.node) >= 5
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["radio_unet_precision"] == "int8"
    assert path.stat().st_size < 0.6 * exported.stat().st_size  # int8 weights
    fp32, int8 = OnnxPredictor(exported), OnnxPredictor(path)
    assert int8.card.normalization["vmax"] == 1e-5 and int8.config == fp32.config
    x = _images(3, seed=9).numpy()[:, None]  # not the calibration images
    ref, got = fp32.predict_proba(x)[:, 1], int8.predict_proba(x)[:, 1]
    assert got.shape == ref.shape
    diff = np.abs(got - ref)
    assert np.mean(diff < 0.02) > 0.95, np.mean(diff < 0.02)
    assert not list(tmp_path.glob("*.pre.onnx"))  # the pre-processed intermediate is removed


@pytest.mark.parametrize("calibration", [[], [np.zeros((1, 32, 32), np.float32)]])
def test_quantize_needs_2d_calibration_images_and_writes_nothing_otherwise(tmp_path, exported, calibration):
    """No calibration images, or images that are not 2-D, give a clear error and no output file."""
    with pytest.raises(RadioUNetError, match="calibration"):
        quantize_onnx(exported, tmp_path / "int8.onnx", calibration)
    assert not (tmp_path / "int8.onnx").exists()
