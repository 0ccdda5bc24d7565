"""Tests of the losses and the IoU metric."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from radio_unet.errors import RadioUNetError
from radio_unet.train import RadioUNetModule, cross_entropy, iou_counts, mean_iou, soft_dice_loss


def test_cross_entropy_equals_torch():
    """The one-hot cross entropy equals torch's, with and without class weights."""
    torch.manual_seed(0)
    logits = torch.randn(2, 2, 8, 8)
    target = torch.randint(0, 2, (2, 8, 8))
    torch.testing.assert_close(cross_entropy(logits, target), F.cross_entropy(logits, target))
    w = torch.tensor([0.3, 2.0])
    torch.testing.assert_close(cross_entropy(logits, target, weight=w), F.cross_entropy(logits, target, weight=w))


def test_iou_as_in_the_paper():
    """Per-class IoU of the 0.5-thresholded probability, averaged over the two classes."""
    target = torch.tensor([[[0, 0, 1, 1]]])
    prob1 = torch.tensor([[[0.1, 0.6, 0.7, 0.4]]])  # predicted: 0 1 1 0
    logits = torch.log(torch.stack([1 - prob1, prob1], dim=1))
    inter, union = iou_counts(logits, target)
    assert inter.tolist() == [1, 1] and union.tolist() == [3, 3]
    miou, per = mean_iou(inter, union)
    assert miou == pytest.approx(1 / 3) and per == pytest.approx([1 / 3, 1 / 3])
    miou, per = mean_iou(np.array([4.0, 0.0]), np.array([4.0, 0.0]))  # no emission anywhere
    assert miou == 1.0 and math.isnan(per[1])


def test_soft_dice_bounds():
    """Soft Dice loss is ~0 for a perfect confident prediction and ~1 for the opposite one."""
    target = torch.zeros(1, 8, 8, dtype=torch.long)
    target[0, 2:6, 2:6] = 1
    good = torch.stack([(1 - target) * 20.0, target * 20.0], 1).float()
    assert float(soft_dice_loss(good, target)) < 1e-3
    assert float(soft_dice_loss(-good, target)) > 0.95


def test_module_options_are_checked():
    """Wrong optimiser, loss or class-weight length are user errors."""
    cfg = {"base_filters": 4, "depth": 2}
    with pytest.raises(RadioUNetError):
        RadioUNetModule(cfg, optimizer="sgd")
    with pytest.raises(RadioUNetError):
        RadioUNetModule(cfg, loss="focal")
    with pytest.raises(RadioUNetError):
        RadioUNetModule(cfg, class_weights=[1.0])
    m = RadioUNetModule(cfg, class_weights=[1.0, 3.0], channels_last=True)
    assert m(torch.zeros(2, 1, 32, 32)).shape == (2, 2, 32, 32)
    opt = m.configure_optimizers()
    assert isinstance(opt, torch.optim.RMSprop) and opt.defaults["alpha"] == 0.9 and opt.defaults["lr"] == 1e-4


def test_multiclass_losses_and_weights():
    """The diffuse Dice is 0 for a perfect prediction of the diffuse union whatever the diffuse class predicted;
    inverse-sqrt-frequency weights are bounded and average to 1 over the pixels."""
    import numpy as np

    from radio_unet.train.module import DIFFUSE_CHANNELS, diffuse_dice_loss, diffuse_probability
    from radio_unet.train.run import multiclass_weights

    target = torch.zeros(1, 8, 8, dtype=torch.long)
    target[0, :4] = 1  # halo
    logits = torch.full((1, 8, 8, 8), -20.0)
    logits[0, 0, 4:] = 20.0
    logits[0, 2, :4] = 20.0  # called relic: still diffuse
    assert float(diffuse_dice_loss(logits, target, DIFFUSE_CHANNELS)) < 0.05
    assert torch.allclose(diffuse_probability(logits, DIFFUSE_CHANNELS)[0, :4], torch.ones(4, 8))
    w = multiclass_weights([0.9, 0.09, 0.0, 0.01, 0, 0, 0, 0])
    f = np.array([0.9, 0.09, 0.0, 0.01, 0, 0, 0, 0])
    assert float((np.array(w) * f).sum()) == pytest.approx(1.0) and max(w) / min(w) <= 50.0 + 1e-9
    assert w[2] == max(w)  # absent classes get the largest weight
