"""Tests of batch-norm recalibration (dropout/batch-norm variance shift)."""

import torch
from torch import nn

from radio_unet.models import build_model
from radio_unet.train.batchnorm import recalibrate_batchnorm


def test_recalibration_measures_statistics_without_dropout():
    """After recalibration the first batch norm holds the mean and unbiased variance of its (dropout-free) input."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.Dropout(0.5), nn.BatchNorm2d(3), nn.ReLU())
    x = torch.randn(8, 1, 16, 16)
    features = model[0](x).detach()
    model.eval()
    used = recalibrate_batchnorm(model, [x])
    assert used == 1
    bn = model[2]
    torch.testing.assert_close(bn.running_mean, features.mean(dim=(0, 2, 3)), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(bn.running_var, features.var(dim=(0, 2, 3), unbiased=True), rtol=1e-4, atol=1e-6)
    assert not model.training and bn.momentum == 0.1  # mode and momentum restored


def test_recalibration_removes_the_train_eval_gap_of_a_unet():
    """With dropout 0.5, evaluation mode after recalibration matches dropout-free batch statistics; weights are untouched."""
    torch.manual_seed(1)
    model = build_model({"base_filters": 4, "depth": 2, "dropout": 0.5})
    x = torch.rand(4, 1, 32, 32)
    model.train()
    for _ in range(5):  # running stats measured with dropout on, as in training
        model(x)
    weights = {k: v.clone() for k, v in model.state_dict().items() if "running" not in k and "num_batches" not in k}
    recalibrate_batchnorm(model, [x])
    model.eval()
    with torch.no_grad():
        after = model(x)
        model.train()
        for m in model.modules():
            if isinstance(m, nn.Dropout):
                m.eval()
        reference = model(x)  # batch statistics, no dropout
    model.eval()
    # eval uses unbiased running variances, batch statistics the biased ones: close, not identical
    assert (after - reference).abs().max() < 0.05 * reference.abs().max()
    for k, v in weights.items():
        torch.testing.assert_close(model.state_dict()[k], v)


def test_no_batches_leaves_model_unchanged():
    """An empty batch list changes nothing."""
    model = nn.Sequential(nn.BatchNorm2d(2))
    before = model[0].running_var.clone()
    assert recalibrate_batchnorm(model, []) == 0
    torch.testing.assert_close(model[0].running_var, before)
