"""The LightningModule that trains a Radio U-Net, its losses and the paper's IoU metric."""

from __future__ import annotations

from typing import Any, Sequence

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F

from ..errors import RadioUNetError, check_choice
from ..models.unet import RadioUNet, UNetConfig, build_model
from .batchnorm import is_frozen_batchnorm
from .config import LOSSES, OPTIMIZERS

__all__ = ["RadioUNetModule", "cross_entropy", "soft_dice_loss", "diffuse_dice_loss", "diffuse_probability",
           "diffuse_target", "iou_counts", "mean_iou", "step_seed", "DIFFUSE_CHANNELS"]

#: Output channels of diffuse emission in a classification network (the values of
#: :data:`radio_unet.sky.DIFFUSE_CLASSES`: halo, relic, mini-halo, filament/bridge).
DIFFUSE_CHANNELS = (1, 2, 3, 4)


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, *, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Categorical cross entropy of logits ``(N, C, H, W)`` against labels ``(N, H, W)``.

    Same value as :func:`torch.nn.functional.cross_entropy` (weighted mean
    when ``weight`` is given), computed with a one-hot product instead of
    ``nll_loss``, whose CUDA kernels are not deterministic; this keeps
    ``deterministic=True`` usable on GPUs.
    """
    logp = F.log_softmax(logits.float(), dim=1)
    onehot = F.one_hot(target.long(), logits.shape[1]).permute(0, 3, 1, 2).to(logp.dtype)
    nll = -(onehot * logp).sum(dim=1)
    if weight is None:
        return nll.mean()
    w = (onehot * weight.to(logp.dtype).view(1, -1, 1, 1)).sum(dim=1)
    return (w * nll).sum() / w.sum().clamp_min(torch.finfo(logp.dtype).tiny)


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, *, eps: float = 1.0) -> torch.Tensor:
    """One minus the soft Dice coefficient of the non-background classes, over the whole batch."""
    prob = torch.softmax(logits.float(), dim=1)[:, 1:]
    onehot = F.one_hot(target.long(), logits.shape[1]).permute(0, 3, 1, 2).to(prob.dtype)[:, 1:]
    dims = (0, 2, 3)
    inter = (prob * onehot).sum(dims)
    denom = prob.sum(dims) + onehot.sum(dims)
    return 1.0 - ((2.0 * inter + eps) / (denom + eps)).mean()


def diffuse_probability(logits: torch.Tensor, diffuse: Sequence[int]) -> torch.Tensor:
    """Probability of diffuse emission ``(N, H, W)``: the softmax summed over the ``diffuse`` classes."""
    return torch.softmax(logits.float(), dim=1)[:, list(diffuse)].sum(dim=1)


def diffuse_dice_loss(logits: torch.Tensor, target: torch.Tensor, diffuse: Sequence[int], *, eps: float = 1.0) -> torch.Tensor:
    """One minus the soft Dice coefficient of diffuse emission as one class (the union of ``diffuse``)."""
    prob = diffuse_probability(logits, diffuse)
    truth = torch.isin(target.long(), torch.as_tensor(list(diffuse), device=target.device)).to(prob.dtype)
    inter = (prob * truth).sum()
    return 1.0 - (2.0 * inter + eps) / (prob.sum() + truth.sum() + eps)


def diffuse_target(target: torch.Tensor, diffuse: Sequence[int]) -> torch.Tensor:
    """0/1 labels of diffuse emission from class labels."""
    return torch.isin(target.long(), torch.as_tensor(list(diffuse), device=target.device)).long()


def iou_counts(logits_or_prob: torch.Tensor, target: torch.Tensor, *, threshold: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-class intersection and union pixel counts of a thresholded prediction.

    Parameters
    ----------
    logits_or_prob : torch.Tensor
        ``(N, C, H, W)`` logits or probabilities (only their order matters
        for more than two classes).
    target : torch.Tensor
        ``(N, H, W)`` labels.
    threshold : float
        With two classes, a pixel is class 1 where its class-1 probability
        exceeds ``threshold`` (0.5 in the paper); inputs are treated as logits
        and turned into probabilities first. More classes: arg-max.

    Returns
    -------
    (torch.Tensor, torch.Tensor)
        float64 intersections and unions, one per class.
    """
    n_classes = logits_or_prob.shape[1]
    if n_classes == 2:
        prob1 = torch.softmax(logits_or_prob.float(), dim=1)[:, 1]
        pred = (prob1 > threshold).long()
    else:
        pred = logits_or_prob.argmax(dim=1)
    target = target.long()
    inter = torch.zeros(n_classes, dtype=torch.float64, device=target.device)
    union = torch.zeros_like(inter)
    for c in range(n_classes):
        p, t = pred == c, target == c
        inter[c] = (p & t).sum()
        union[c] = (p | t).sum()
    return inter, union


def mean_iou(intersection: torch.Tensor | np.ndarray, union: torch.Tensor | np.ndarray) -> tuple[float, list[float]]:
    """Mean over classes of the per-class IoU (classes absent from both prediction and truth are skipped).

    Returns
    -------
    (float, list of float)
        Mean IoU (NaN if no class occurs) and the per-class IoUs (NaN where undefined).
    """
    inter = np.asarray(torch.as_tensor(intersection).cpu(), dtype=np.float64)
    uni = np.asarray(torch.as_tensor(union).cpu(), dtype=np.float64)
    per = np.where(uni > 0, inter / np.where(uni > 0, uni, 1.0), np.nan)
    mean = float(np.nanmean(per)) if np.isfinite(per).any() else float("nan")
    return mean, [float(v) for v in per]


def step_seed(*values: int) -> int:
    """A 63-bit seed derived from integers (seed, epoch, batch, rank) with :class:`numpy.random.SeedSequence`."""
    state = np.random.SeedSequence([int(v) & 0xFFFFFFFF for v in values]).generate_state(2, dtype=np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])


class RadioUNetModule(pl.LightningModule):
    """Train a :class:`~radio_unet.models.RadioUNet` with Lightning.

    Parameters
    ----------
    model : dict
        :class:`~radio_unet.models.UNetConfig` fields (may include ``preset``).
    lr : float
        Learning rate.
    optimizer : {"rmsprop", "adam"}
        RMSprop with Keras's defaults (``alpha=0.9``, ``eps=1e-7``), as in
        the paper, or Adam.
    loss : {"ce", "dice_ce"}
        Cross entropy, or cross entropy plus soft Dice.
    class_weights : sequence of float, optional
        Per-class weights of the cross entropy.
    seed : int
        Dropout is reseeded from ``(seed, epoch, batch, rank)`` before every
        training step, so that a run resumed from any checkpoint continues
        exactly as the uninterrupted run would.
    channels_last : bool
        Use the channels-last memory layout.

    Notes
    -----
    Logged: ``train_loss`` (step and epoch), ``val_loss``, ``val_iou`` (the
    paper's metric: mean of the background and emission IoUs of the
    0.5-thresholded probability, accumulated over the whole validation set),
    ``val_iou_bg``, ``val_iou_fg``; the same with ``test_`` for testing.

    With more than two classes (the classification layer, trained on label
    maps) the loss adds to the (weighted) cross entropy the soft Dice of the
    non-background classes and the soft Dice of diffuse emission as one
    class (the sum of :data:`DIFFUSE_CHANNELS`); ``val_iou``, ``val_iou_bg``
    and ``val_iou_fg`` stay the paper's metric on that diffuse probability,
    and ``val_iou_class<n>`` are the arg-max IoUs of every class.
    :attr:`epoch_results` holds the last values for the metrics CSV.
    """

    def __init__(
        self,
        model: dict | None = None,
        *,
        lr: float = 1e-4,
        optimizer: str = "rmsprop",
        loss: str = "ce",
        class_weights: Sequence[float] | None = None,
        seed: int = 0,
        channels_last: bool = False,
    ):
        super().__init__()
        model = dict(model or {"preset": "paper"})
        self.save_hyperparameters()
        self.model: RadioUNet = build_model(UNetConfig.from_dict(model))
        check_choice(optimizer, OPTIMIZERS, "optimizer")
        check_choice(loss, LOSSES, "loss")
        n_classes = self.model.config.n_classes
        if class_weights is not None:
            if len(class_weights) != n_classes or any(not np.isfinite(w) or w < 0 for w in class_weights):
                raise RadioUNetError(f"class_weights needs {n_classes} non-negative numbers, got {list(class_weights)}")
            self.register_buffer("class_weight", torch.tensor([float(w) for w in class_weights]), persistent=False)
        else:
            self.class_weight = None
        self.channels_last = bool(channels_last)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self._acc: dict[str, dict[str, torch.Tensor]] = {}
        self.epoch_results: dict[str, float] = {}

    # -- forward and losses -----------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of the network."""
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.model(x)

    def criterion(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The training loss."""
        loss = cross_entropy(logits, target, weight=self.class_weight)
        if self.hparams.loss == "dice_ce":
            loss = loss + soft_dice_loss(logits, target)
            if logits.shape[1] > 2:
                loss = loss + diffuse_dice_loss(logits, target, DIFFUSE_CHANNELS)
        return loss

    # -- accumulators (reduced across processes once per epoch) -------------------------------
    def _reset(self, stage: str) -> None:
        n = self.model.config.n_classes
        dev = self.device
        self._acc[stage] = {
            "loss": torch.zeros((), dtype=torch.float64, device=dev),
            "count": torch.zeros((), dtype=torch.float64, device=dev),
            "inter": torch.zeros(n, dtype=torch.float64, device=dev),
            "union": torch.zeros(n, dtype=torch.float64, device=dev),
            "dinter": torch.zeros(2, dtype=torch.float64, device=dev),
            "dunion": torch.zeros(2, dtype=torch.float64, device=dev),
        }

    def _accumulate(self, stage: str, loss: torch.Tensor, n: int, logits: torch.Tensor | None = None, target: torch.Tensor | None = None) -> None:
        if stage not in self._acc:
            self._reset(stage)
        acc = self._acc[stage]
        acc["loss"] += loss.detach().double() * n
        acc["count"] += n
        if logits is not None:
            inter, union = iou_counts(logits.detach(), target)
            acc["inter"] += inter
            acc["union"] += union
            if logits.shape[1] > 2:
                prob = diffuse_probability(logits.detach(), DIFFUSE_CHANNELS)
                binary = torch.stack([1.0 - prob, prob], dim=1)
                inter, union = iou_counts(torch.log(binary.clamp_min(1e-12)), diffuse_target(target, DIFFUSE_CHANNELS))
                acc["dinter"] += inter
                acc["dunion"] += union

    def _reduced(self, stage: str) -> dict[str, float]:
        if stage not in self._acc:
            self._reset(stage)
        acc = self._acc[stage]
        packed = torch.cat([acc["loss"].view(1), acc["count"].view(1), acc["inter"], acc["union"], acc["dinter"],
                            acc["dunion"]])
        trainer = getattr(self, "_trainer", None)
        if trainer is not None and trainer.world_size > 1:
            packed = trainer.strategy.reduce(packed, reduce_op="sum")
        n = self.model.config.n_classes
        loss_sum, count = float(packed[0]), float(packed[1])
        out = {f"{stage}_loss": loss_sum / count if count else float("nan")}
        if stage != "train":
            miou, per = mean_iou(packed[2 : 2 + n], packed[2 + n : 2 + 2 * n])
            if n == 2:
                out[f"{stage}_iou"] = miou
                out[f"{stage}_iou_bg"], out[f"{stage}_iou_fg"] = per
            else:
                dmiou, dper = mean_iou(packed[2 + 2 * n : 4 + 2 * n], packed[4 + 2 * n : 6 + 2 * n])
                out[f"{stage}_iou"] = dmiou
                out[f"{stage}_iou_bg"], out[f"{stage}_iou_fg"] = dper
                out[f"{stage}_iou_classes"] = miou
                out.update({f"{stage}_iou_class{c}": v for c, v in enumerate(per)})
        return out

    # -- Lightning hooks ----------------------------------------------------------------------
    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:  # noqa: D102
        rank = self.trainer.global_rank if getattr(self, "_trainer", None) is not None else 0
        torch.manual_seed(step_seed(self.hparams.seed, self.current_epoch, batch_idx, rank))

    def on_train_epoch_start(self) -> None:  # noqa: D102
        self._reset("train")

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:  # noqa: D102
        x, y = batch
        loss = self.criterion(self(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=len(x), sync_dist=True)
        self._accumulate("train", loss, len(x))
        return loss

    def train_epoch_results(self) -> dict[str, float]:
        """Mean training loss of the current epoch over all processes (a collective call under DDP)."""
        return self._reduced("train")

    def _eval_step(self, stage: str, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
        x, y = batch
        logits = self(x)
        self._accumulate(stage, self.criterion(logits, y), len(x), logits, y)

    def _eval_epoch_end(self, stage: str) -> None:
        values = self._reduced(stage)
        if not self.trainer.sanity_checking:
            self.epoch_results.update(values)
            self.epoch_results[f"{stage}_epoch"] = self.current_epoch
            for key, value in values.items():
                # identical on all ranks already; sync_dist only keeps Lightning from warning
                self.log(key, value, prog_bar=key in (f"{stage}_loss", f"{stage}_iou"), sync_dist=True)

    def on_validation_epoch_start(self) -> None:  # noqa: D102
        self._reset("val")

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:  # noqa: D102
        self._eval_step("val", batch)

    def on_validation_epoch_end(self) -> None:  # noqa: D102
        self._eval_epoch_end("val")

    def on_test_epoch_start(self) -> None:  # noqa: D102
        self._reset("test")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:  # noqa: D102
        self._eval_step("test", batch)

    def on_test_epoch_end(self) -> None:  # noqa: D102
        self._eval_epoch_end("test")

    def train(self, mode: bool = True) -> "RadioUNetModule":
        """Set the training mode; frozen batch-norm layers (fine-tuning) always stay in evaluation mode."""
        super().train(mode)
        for m in self.model.modules():
            if is_frozen_batchnorm(m):
                m.eval()
        return self

    def configure_optimizers(self) -> torch.optim.Optimizer:  # noqa: D102
        params = [p for p in self.parameters() if p.requires_grad]  # frozen layers (fine-tuning) are left out
        if self.hparams.optimizer == "rmsprop":
            return torch.optim.RMSprop(params, lr=self.hparams.lr, alpha=0.9, eps=1e-7)
        return torch.optim.Adam(params, lr=self.hparams.lr)
