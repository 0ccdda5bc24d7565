"""Tests of the batch predictors: batch norms folded, torch.compile, test-time augmentation."""

import shutil

import numpy as np
import pytest
import torch

from radio_unet.data import N_DIHEDRAL, dihedral
from radio_unet.errors import RadioUNetError
from radio_unet.models import build_model
from radio_unet.segment.backends import TorchPredictor, symmetrized


def tilted(batch: np.ndarray) -> np.ndarray:
    """A predictor that prefers one orientation: a sigmoid of the input plus a ramp along the last axis."""
    ramp = np.linspace(-2.0, 2.0, batch.shape[-1], dtype=np.float32)
    return (1.0 / (1.0 + np.exp(-(batch + ramp)))).astype(np.float32)


@pytest.mark.parametrize("shape", [(2, 16, 16), (1, 16, 32)])
def test_symmetrized_predictor_does_not_depend_on_orientation(shape):
    """Rotating or flipping the input rotates or flips the output the same way, also for rectangles."""
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    predict = symmetrized(tilted)
    base = predict(x)
    assert base.shape == x.shape and base.dtype == np.float32
    assert not np.allclose(tilted(x)[..., ::-1], tilted(x[..., ::-1]), atol=1e-3)  # the raw predictor is not
    for op in range(N_DIHEDRAL):
        np.testing.assert_allclose(predict(np.ascontiguousarray(dihedral(x, op))), dihedral(base, op), atol=1e-6)


def test_symmetrized_is_the_mean_over_orientations_and_keeps_symmetric_predictors():
    """One symmetry is the predictor itself; an orientation-free predictor is unchanged by all eight."""
    x = np.random.default_rng(1).normal(size=(1, 8, 8)).astype(np.float32)
    np.testing.assert_array_equal(symmetrized(tilted, ops=1)(x), tilted(x))
    sigmoid = lambda b: (1.0 / (1.0 + np.exp(-b))).astype(np.float32)  # noqa: E731
    np.testing.assert_allclose(symmetrized(sigmoid)(x), sigmoid(x), atol=1e-6)
    two = symmetrized(tilted, ops=2)(x)
    np.testing.assert_allclose(two, 0.5 * (tilted(x) + np.rot90(tilted(np.rot90(x, 1, (-2, -1)).copy()), -1, (-2, -1))),
                               atol=1e-6)


def test_symmetrized_network_is_orientation_free():
    """A U-Net with random weights, averaged over the eight symmetries, commutes with a quarter turn."""
    torch.manual_seed(0)
    predict = symmetrized(TorchPredictor(build_model({"base_filters": 4, "depth": 2, "dropout": 0.0}).eval()))
    x = np.random.default_rng(2).random((1, 16, 32)).astype(np.float32)
    np.testing.assert_allclose(predict(np.ascontiguousarray(np.rot90(x, 1, (-2, -1)))), np.rot90(predict(x), 1, (-2, -1)),
                               atol=1e-5)


@pytest.mark.parametrize("ops", [0, 9])
def test_symmetrized_rejects_impossible_counts(ops):
    with pytest.raises(RadioUNetError, match="1 to 8"):
        symmetrized(tilted, ops=ops)


def test_torch_predictor_runs_a_folded_copy_and_leaves_the_model_alone():
    """The predictor's network has no batch norms left, gives the model's probabilities, and the model is unchanged."""
    from torch import nn

    torch.manual_seed(0)
    model = build_model({"base_filters": 4, "depth": 2, "dropout": 0.0}).eval()
    predictor = TorchPredictor(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in predictor.model.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    x = np.random.default_rng(3).random((2, 16, 32)).astype(np.float32)
    with torch.no_grad():
        expected = torch.softmax(model(torch.from_numpy(x)[:, None]), 1)[:, 1].numpy()
    np.testing.assert_allclose(predictor(x), expected, atol=1e-5)


@pytest.mark.skipif(not (shutil.which("c++") or shutil.which("g++")), reason="torch.compile on a CPU needs a C++ compiler")
def test_compiled_predictor_gives_the_same_probabilities():
    """--compile (torch.compile) changes the speed, not the result."""
    torch.manual_seed(0)
    model = build_model({"base_filters": 4, "depth": 2, "dropout": 0.0}).eval()
    x = np.random.default_rng(4).random((1, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(TorchPredictor(model, compile=True)(x), TorchPredictor(model)(x), atol=1e-5)


def test_compile_picks_the_torch_backend_or_says_why_it_cannot(monkeypatch):
    """auto chooses PyTorch when compiling; ONNX Runtime, int8 and a CPU without a C++ compiler are clear errors."""
    from radio_unet.segment.load import choose_backend
    from radio_unet.segment.backends import make_predictor

    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    assert choose_backend("auto", compile=True) == "torch"
    with pytest.raises(RadioUNetError, match="--compile runs the PyTorch backend, not onnx"):
        choose_backend("onnx", compile=True)
    with pytest.raises(RadioUNetError, match="not onnx"):
        make_predictor(None, backend="onnx", compile=True)
    with pytest.raises(RadioUNetError, match="32 or bf16, not int8"):
        choose_backend("auto", precision="int8", compile=True)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CXX", raising=False)
    with pytest.raises(RadioUNetError, match=r"needs a C\+\+ compiler"):
        choose_backend("auto", compile=True)
    assert choose_backend("auto", device="cuda", compile=True) == "torch"


def test_a_failing_compiled_network_is_a_clear_error(monkeypatch):
    """An error inside the compiled network (e.g. the compiler breaking at the first batch) names --compile."""
    def broken_compile(model):
        def fail(x):
            raise RuntimeError("C++ compile error\nmore detail")
        return fail

    monkeypatch.setattr(torch, "compile", broken_compile)
    predictor = TorchPredictor(build_model({"base_filters": 4, "depth": 2, "dropout": 0.0}).eval(), compile=True)
    with pytest.raises(RadioUNetError, match=r"compiled with --compile failed \(RuntimeError: C\+\+ compile error\)"):
        predictor(np.zeros((1, 16, 16), np.float32))
