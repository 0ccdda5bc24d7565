"""Batch-norm statistics consistent with inference.

The Radio U-Net puts dropout (0.5 in the paper) after every pooling and batch
normalisation inside every block. During training the batch-norm running
variances are measured on dropped-out activations, whose variance is larger
than at inference, when dropout is off ("variance shift", Li et al. 2019,
CVPR). Stacked over the levels of a U-Net the shift is large: measured here,
a ``lite`` network after 4 epochs called 100% of the pixels of a training
field emission in evaluation mode, and 17% in training mode.

:func:`recalibrate_batchnorm` re-measures the running statistics with dropout
off, on training batches, as the network will run at inference (the same
idea as ``torch.optim.swa_utils.update_bn``). :class:`BatchNormRecalibration`
does it before every validation, so the validation metrics, the choice of the
best epoch and the exported weights all use consistent statistics.

Frozen batch-norm layers (fine-tuning, :mod:`radio_unet.train.finetune`: scale
and offset not trainable) keep the statistics of the model they came from:
recalibration leaves them alone and runs them in evaluation mode.
"""

from __future__ import annotations

from itertools import islice
from typing import Iterable

import torch
from lightning.pytorch.callbacks import Callback
from torch import nn

__all__ = ["recalibrate_batchnorm", "BatchNormRecalibration", "is_frozen_batchnorm"]

_DROPOUT = (nn.Dropout, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)


def is_frozen_batchnorm(module: nn.Module) -> bool:
    """True for a batch-norm layer whose scale and offset are not trainable (frozen for fine-tuning).

    Such a layer belongs in evaluation mode: it normalises with, and never
    updates, the running statistics of the model it was loaded from.
    """
    if not isinstance(module, nn.modules.batchnorm._BatchNorm):
        return False
    params = list(module.parameters(recurse=False))
    return bool(params) and not any(p.requires_grad for p in params)


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, batches: Iterable[torch.Tensor]) -> int:
    """Recompute the batch-norm running mean and variance of ``model`` with dropout off.

    Parameters
    ----------
    model : torch.nn.Module
        The network; its weights are not changed, only the batch-norm buffers.
    batches : iterable of torch.Tensor
        Input batches ``(N, C, H, W)`` on the model's device (e.g. training tiles).

    Returns
    -------
    int
        Number of batches used. With none, the model is left unchanged.

    Notes
    -----
    The statistics are cumulative averages over all batches (``momentum=None``);
    the train/eval mode of every submodule and the batch-norm momenta are
    restored. Frozen batch-norm layers (:func:`is_frozen_batchnorm`) are not
    recalibrated and run in evaluation mode meanwhile.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and not is_frozen_batchnorm(m)]
    batches = list(batches)
    if not norms or not batches:
        return 0
    modes = [(m, m.training) for m in model.modules()]
    momenta = [m.momentum for m in norms]
    saved = [(m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone()) for m in norms]
    try:
        model.train()
        for m in model.modules():
            if isinstance(m, _DROPOUT) or is_frozen_batchnorm(m):
                m.eval()
        for m in norms:
            m.reset_running_stats()
            m.momentum = None
        for x in batches:
            model(x)
    except BaseException:
        for m, (mean, var, count) in zip(norms, saved):
            m.running_mean.copy_(mean)
            m.running_var.copy_(var)
            m.num_batches_tracked.copy_(count)
        raise
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        for m, mode in modes:
            m.training = mode
    return len(batches)


class BatchNormRecalibration(Callback):
    """Lightning callback: recalibrate batch norm on ``n_batches`` training batches before each validation.

    Parameters
    ----------
    n_batches : int
        Training batches (augmented, in the loader's order) used per recalibration.
    """

    def __init__(self, n_batches: int = 16):
        self.n_batches = int(n_batches)

    def on_validation_start(self, trainer, pl_module) -> None:  # noqa: D102
        if trainer.sanity_checking or self.n_batches <= 0:
            return
        loader = trainer.train_dataloader
        if loader is None:
            return
        device = pl_module.device
        images = (batch[0].to(device) for batch in islice(iter(loader), self.n_batches))
        model = getattr(pl_module, "model", pl_module)
        if getattr(pl_module, "channels_last", False):
            images = (x.contiguous(memory_format=torch.channels_last) for x in images)
        recalibrate_batchnorm(model, images)
