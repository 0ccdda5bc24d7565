"""Tests of the Radio U-Net architecture."""

from __future__ import annotations

import json

import pytest
import torch

from radio_unet.errors import RadioUNetError
from radio_unet.models import PRESETS, RadioUNet, UNetConfig, build_model, parameter_count


def _tiny(**kw) -> RadioUNet:
    return build_model(UNetConfig(base_filters=4, depth=kw.pop("depth", 4), **kw)).eval()


def test_output_shape_and_softmax_sums_to_one():
    """forward gives logits (N, 2, H, W); predict_proba sums to 1 over the classes."""
    torch.manual_seed(0)
    model = _tiny()
    x = torch.rand(3, 1, 32, 48)
    logits = model(x)
    assert logits.shape == (3, 2, 32, 48)
    prob = model.predict_proba(x)
    assert prob.shape == (3, 2, 32, 48)
    assert torch.all(prob >= 0) and torch.all(prob <= 1)
    torch.testing.assert_close(prob.sum(dim=1), torch.ones(3, 32, 48), atol=1e-6, rtol=0)
    torch.testing.assert_close(prob, torch.softmax(logits, 1))


def _expected_params(in_ch: int, base: int, depth: int, n_classes: int, up_kernel: int) -> int:
    """Count the parameters layer by layer from the paper's description (written independently of the module)."""
    conv3 = lambda cin, cout: cin * cout * 3 * 3 + cout  # noqa: E731 - weights + bias
    bn = lambda c: 2 * c  # noqa: E731 - gamma and beta
    total = 0
    widths = [base * 2**i for i in range(depth + 1)]
    prev = in_ch
    for w in widths:  # contracting path: two conv-BN-ReLU blocks per level
        total += conv3(prev, w) + bn(w) + conv3(w, w) + bn(w)
        prev = w
    for i in reversed(range(depth)):  # expansive path
        up = widths[i + 1] * widths[i] * up_kernel * up_kernel + widths[i]  # transposed conv
        total += up + 2 * (conv3(widths[i], widths[i]) + bn(widths[i]))  # summed skip keeps the width
    total += widths[0] * n_classes + n_classes  # 1x1 head
    return total


def test_paper_parameter_count_matches_formula():
    """The paper preset's sum(p.numel()) equals the count derived from the architecture."""
    model = build_model("paper")
    counted = sum(p.numel() for p in model.parameters())
    assert counted == _expected_params(1, 32, 4, 2, 2) == parameter_count("paper") == 6_982_082
    assert model.num_parameters() == counted


def test_up_kernel_3_gives_the_design_figure():
    """3x3 transposed convolutions reproduce the 7.85 M parameters measured in DESIGN.md."""
    cfg = UNetConfig(base_filters=32, depth=4, up_kernel=3)
    counted = sum(p.numel() for p in RadioUNet(cfg).parameters())
    assert counted == _expected_params(1, 32, 4, 2, 3) == parameter_count(cfg) == 7_852_482
    assert RadioUNet(cfg).eval()(torch.zeros(1, 1, 32, 32)).shape == (1, 2, 32, 32)


def test_lite_preset_and_other_configs_match_formula():
    """lite and a few odd configurations also match the formula."""
    for cfg in (PRESETS["lite"], UNetConfig(in_channels=2, n_classes=3, base_filters=6, depth=3)):
        counted = sum(p.numel() for p in RadioUNet(cfg).parameters())
        assert counted == _expected_params(cfg.in_channels, cfg.base_filters, cfg.depth, cfg.n_classes, cfg.up_kernel)


@pytest.mark.parametrize("shape", [(16, 16), (48, 32), (64, 80)])
def test_any_size_divisible_by_16_works(shape):
    """The network is fully convolutional: any multiple of 2**depth works."""
    model = _tiny()
    assert model(torch.zeros(1, 1, *shape)).shape == (1, 2, *shape)


@pytest.mark.parametrize("shape", [(40, 48), (32, 33), (8, 16)])
def test_other_sizes_raise(shape):
    """Sizes that are not multiples of 16 give a clear RadioUNetError."""
    with pytest.raises(RadioUNetError, match="multiple of 16"):
        _tiny()(torch.zeros(1, 1, *shape))


def test_bad_input_rank_and_channels():
    """A 3-D tensor or the wrong number of channels is refused clearly."""
    model = _tiny()
    with pytest.raises(RadioUNetError, match="4-D"):
        model(torch.zeros(1, 32, 32))
    with pytest.raises(RadioUNetError, match="channel"):
        model(torch.zeros(1, 2, 32, 32))


def test_config_json_roundtrip_and_presets():
    """UNetConfig round-trips through JSON; presets and overrides resolve; unknown names fail."""
    cfg = UNetConfig(base_filters=8, depth=3, dropout=0.2, name="x")
    assert UNetConfig.from_json(cfg.to_json()) == cfg
    assert json.loads(cfg.to_json())["base_filters"] == 8
    assert build_model("paper").config.base_filters == 32
    assert build_model("lite").config.base_filters == 16
    m = build_model({"preset": "lite", "depth": 3})
    assert (m.config.base_filters, m.config.depth, m.config.name) == (16, 3, "custom")
    assert build_model("lite", base_filters=16).config.name == "lite"
    with pytest.raises(RadioUNetError, match="preset"):
        build_model("huge")
    with pytest.raises(RadioUNetError, match="unknown model setting"):
        UNetConfig.from_dict({"base_filter": 3})
    with pytest.raises(RadioUNetError):
        UNetConfig(dropout=1.0)
    with pytest.raises(RadioUNetError):
        UNetConfig(depth=0)


def test_dropout_follows_pooling_and_eval_is_deterministic():
    """Dropout acts in training mode only; evaluation mode is deterministic."""
    torch.manual_seed(1)
    model = _tiny(dropout=0.5)
    x = torch.rand(2, 1, 32, 32)
    model.train()
    a, b = model(x), model(x)
    assert not torch.equal(a, b)
    model.eval()
    assert torch.equal(model(x), model(x))
    assert sum(isinstance(m, torch.nn.Dropout) for m in model.modules()) == 1  # one module, applied after each pooling
