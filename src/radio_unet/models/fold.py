"""Inference-time simplification: batch normalisation folded into the convolution before it."""

from __future__ import annotations

import copy

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

__all__ = ["fold_batch_norm"]


def fold_batch_norm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode with each (convolution, batch norm) pair made one convolution.

    In eval mode a batch normalisation is an affine map per channel, so it
    can be absorbed into the weights and bias of the convolution that feeds
    it (:func:`torch.nn.utils.fusion.fuse_conv_bn_eval`); the batch norm
    becomes an identity. The outputs are unchanged (to float rounding) and a
    forward pass skips one read and write of every feature map per block
    (a 2000x2000 image with the ``lite`` network on 2 CPU cores: 2.9 s
    instead of 3.3-3.7 s). ``model`` itself is left as it is.

    Parameters
    ----------
    model : torch.nn.Module
        A network whose convolutions and batch norms follow each other inside
        :class:`torch.nn.Sequential` containers (as in
        :class:`~radio_unet.models.RadioUNet`).

    Returns
    -------
    torch.nn.Module
        The folded copy, in eval mode; only for inference.
    """
    folded = copy.deepcopy(model).eval()
    for block in folded.modules():
        if not isinstance(block, nn.Sequential):
            continue
        for i in range(len(block) - 1):
            conv, norm = block[i], block[i + 1]
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d) and norm.track_running_stats:
                block[i], block[i + 1] = fuse_conv_bn_eval(conv, norm), nn.Identity()
    return folded
