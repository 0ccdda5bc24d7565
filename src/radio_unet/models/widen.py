"""Grow a trained Radio U-Net into a wider one that computes the same function (Net2WiderNet).

Chen, Goodfellow & Shlens (2016, "Net2Net") widen a layer by copying some of
its units and dividing the outgoing weights of every copied unit by its
number of copies, so that the next layer sees the same sum. In the U-Net all
tensors of one resolution level have the same number of feature maps and are
summed across the skip connections, so one channel mapping per level keeps
the whole network's output unchanged: a wider network starts training where
the narrower one stopped (``radio-unet train --init-model default
--base-filters 24``), instead of from scratch.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from ..errors import RadioUNetError
from .unet import RadioUNet

__all__ = ["widen"]


def _mapping(old: int, new: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Channel ``j`` of the wide layer copies channel ``index[j]`` of the narrow one; ``copies[i]`` per old channel."""
    extra = torch.randint(old, (new - old,), generator=generator)
    index = torch.cat([torch.arange(old), extra])
    return index, torch.bincount(index, minlength=old).float()


def _copy_conv(dst: nn.Module, src: nn.Module, out_map, in_map, *, transposed: bool = False) -> None:
    """Copy a (transposed) convolution: rows follow ``out_map``, columns ``in_map`` divided by their copies."""
    weight = src.weight.detach()
    out_idx, _ = out_map
    in_idx, in_copies = in_map
    if transposed:  # ConvTranspose2d weights are (in, out, kh, kw)
        weight = weight[in_idx][:, out_idx] / in_copies[in_idx].view(-1, 1, 1, 1)
    else:
        weight = weight[out_idx][:, in_idx] / in_copies[in_idx].view(1, -1, 1, 1)
    dst.weight.data.copy_(weight)
    dst.bias.data.copy_(src.bias.detach()[out_idx])


def _copy_norm(dst: nn.BatchNorm2d, src: nn.BatchNorm2d, out_map) -> None:
    """Copy a batch normalisation (scale, offset and running statistics) along ``out_map``."""
    idx, _ = out_map
    for name in ("weight", "bias", "running_mean", "running_var"):
        getattr(dst, name).data.copy_(getattr(src, name).detach()[idx])
    dst.num_batches_tracked.data.copy_(src.num_batches_tracked)


def _copy_block(dst: nn.Sequential, src: nn.Sequential, out_map, in_map) -> None:
    """Copy a :class:`~radio_unet.models.unet.ConvBlock` (conv, norm, ReLU, conv, norm, ReLU)."""
    _copy_conv(dst[0], src[0], out_map, in_map)
    _copy_norm(dst[1], src[1], out_map)
    _copy_conv(dst[3], src[3], out_map, out_map)
    _copy_norm(dst[4], src[4], out_map)


@torch.no_grad()
def widen(model: RadioUNet, base_filters: int, *, seed: int = 0) -> RadioUNet:
    """A wider copy of ``model`` with the same outputs (function-preserving widening).

    Parameters
    ----------
    model : RadioUNet
        The trained network (unchanged).
    base_filters : int
        Feature maps at full resolution of the wide network; at least the
        model's own. Every level is widened in proportion (``base * 2**level``).
    seed : int
        Seed of the choice of the channels that are copied beyond the first
        ``old`` ones (when the new width is not a multiple of the old one).

    Returns
    -------
    RadioUNet
        A network with ``base_filters`` feature maps at full resolution, in
        the model's training/evaluation mode, whose logits equal the model's
        (to float rounding) for any input in evaluation mode.

    Raises
    ------
    RadioUNetError
        ``base_filters`` is smaller than the model's.
    """
    cfg = model.config
    if base_filters < cfg.base_filters:
        raise RadioUNetError(f"cannot widen a network of base_filters {cfg.base_filters} to {base_filters}: give at least as many")
    wide = RadioUNet(replace(cfg, base_filters=int(base_filters), name=cfg.name if base_filters == cfg.base_filters else "custom"))
    generator = torch.Generator().manual_seed(int(seed))
    maps = [_mapping(old, new, generator) for old, new in zip(cfg.channels, wide.config.channels)]
    identity = (torch.arange(cfg.in_channels), torch.ones(cfg.in_channels))
    for level, (dst, src) in enumerate(zip(wide.encoder, model.encoder)):
        _copy_block(dst, src, maps[level], maps[level - 1] if level else identity)
    for level, (dst, src) in enumerate(zip(wide.decoder, model.decoder)):
        _copy_conv(dst.up, src.up, maps[level], maps[level + 1], transposed=True)
        _copy_block(dst.conv, src.conv, maps[level], maps[level])
    classes = (torch.arange(cfg.n_classes), torch.ones(cfg.n_classes))
    _copy_conv(wide.head, model.head, classes, maps[0])
    return wide.train(model.training)
