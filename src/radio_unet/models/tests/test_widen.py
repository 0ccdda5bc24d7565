"""Function-preserving widening of a trained U-Net (Net2WiderNet)."""

import pytest
import torch
from torch import nn

from radio_unet.errors import RadioUNetError
from radio_unet.models import UNetConfig, build_model, parameter_count
from radio_unet.models.widen import widen


def _trained_like(config: UNetConfig) -> nn.Module:
    """A network with random weights and non-trivial batch-norm statistics, in evaluation mode."""
    torch.manual_seed(0)
    model = build_model(config)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 2.0)
            m.bias.data.uniform_(-0.3, 0.3)
    return model.eval()


@pytest.mark.parametrize("base", [6, 8, 11])
def test_widened_network_computes_the_same_logits(base):
    """Widened by 1.5x, 2x or an odd factor, the network's logits are unchanged; only base_filters changes."""
    model = _trained_like(UNetConfig(base_filters=4, depth=2, name="lite"))
    x = torch.rand(3, 1, 32, 32)
    wide = widen(model, base)
    assert not wide.training
    assert wide.config.base_filters == base and wide.config.depth == 2 and wide.config.name == "custom"
    assert wide.num_parameters() == parameter_count(wide.config)
    with torch.no_grad():
        assert torch.allclose(wide(x), model(x), atol=1e-5)


def test_widening_keeps_the_mode_and_refuses_to_narrow():
    """Same width: an equal copy with the model's name; a narrower width is a clear error."""
    model = _trained_like(UNetConfig(base_filters=4, depth=2, name="lite"))
    same = widen(model.train(), 4)
    assert same.training and same.config == model.config
    assert all(torch.equal(a, b) for a, b in zip(same.state_dict().values(), model.state_dict().values()))
    with pytest.raises(RadioUNetError, match="at least"):
        widen(model, 2)
