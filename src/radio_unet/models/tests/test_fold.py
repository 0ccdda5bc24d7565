"""Tests of batch-norm folding for inference."""

import torch
from torch import nn

from radio_unet.models import build_model, fold_batch_norm


def test_folded_network_gives_the_same_outputs_without_batch_norms():
    """Trained-looking batch-norm statistics are absorbed; the original model keeps its batch norms."""
    torch.manual_seed(0)
    model = build_model({"base_filters": 4, "depth": 2, "dropout": 0.0})
    for norm in model.modules():
        if isinstance(norm, nn.BatchNorm2d):  # statistics and affine terms far from the defaults
            norm.running_mean.uniform_(-1, 1)
            norm.running_var.uniform_(0.2, 3)
            norm.weight.data.uniform_(0.5, 2)
            norm.bias.data.uniform_(-1, 1)
    model.eval()
    folded = fold_batch_norm(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 2 * (3 + 2)  # 3 encoder, 2 decoder blocks
    x = torch.rand(2, 1, 32, 48)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), model(x), atol=1e-5, rtol=1e-5)
    assert not folded.training
