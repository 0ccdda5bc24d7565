"""Train a halo classifier on the objects of one training fold; predict P(halo) for others.

Training draws class-balanced batches of augmented images for a fixed number of steps (no early stopping: with
46 objects there is nothing to spare for a validation set, and choosing a step on test objects would leak).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..config import ConfigBase
from ..errors import RadioUNetError
from .augment import SCALE_RANGE, augment_batch, augmentation_plan, geometric_variants
from .data import center_crop
from .models import build_classifier

__all__ = ["TrainConfig", "fit_classifier", "predict_proba", "dihedral_variants", "AUGMENTS"]

#: Augmentations of ``--augment``: none, two reduced forms of the talk's classical one (lossless quarter turns and
#: flips; every rotation and flip without pixel scaling), the classical one, and classical plus generated images.
AUGMENTS = ("none", "dihedral", "geometric", "classical", "cwgan", "diffusion")


@dataclass
class TrainConfig(ConfigBase):
    """Settings of one training run.

    Parameters
    ----------
    steps : int
        Optimiser steps.
    batch_size : int
    lr : float
        Peak learning rate (AdamW, cosine decay to 0).
    weight_decay : float
    width : int
        Base width of the convolutional classifiers.
    """

    steps: int = 300
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-3
    width: int = 16

    label = "halo classifier training"

    def __post_init__(self):
        for name in ("steps", "batch_size", "width"):
            self.check_number(name, integer=True, lo=1)
        self.check_number("lr", positive=True)
        self.check_number("weight_decay", lo=0.0)



def dihedral_variants(images: np.ndarray) -> np.ndarray:
    """The 8 rotations by multiples of 90 degrees and flips of ``(n, c, s, s)`` images: ``(n, 8, c, s, s)``.

    Used for generated images, which have no padding to rotate by 45 degrees without blank corners.
    """
    images = np.asarray(images, np.float32)
    out = [np.rot90(base, k, axes=(-2, -1)) for base in (images, np.flip(images, -1)) for k in range(4)]
    return np.ascontiguousarray(np.stack(out, axis=1))


def fit_classifier(model_name: str, padded: np.ndarray | None, labels: np.ndarray, *, size: int, augment: str = "classical",
                   config: TrainConfig | None = None, seed: int = 0, extra_images: np.ndarray | None = None,
                   extra_labels: np.ndarray | None = None, init_state: dict | None = None,
                   variants: np.ndarray | None = None) -> tuple[nn.Module, dict]:
    """Train one classifier.

    Parameters
    ----------
    model_name : str
        One of :data:`radio_unet.halos.models.MODELS`.
    padded : numpy.ndarray
        ``(n, c, P, P)`` padded grids of the training objects.
    labels : numpy.ndarray
        0/1 labels.
    size : int
        Network input side (the centre of the grids).
    augment : str
        ``"none"`` (the centres as they are), ``"dihedral"`` (rotations by multiples of 90 degrees and flips),
        ``"geometric"`` (rotations by multiples of 45 degrees and flips), or anything else: those and pixel scaling
        (``cwgan``/``diffusion`` add ``extra_images`` with 90-degree rotations, flips and scaling).
    config : TrainConfig, optional
    seed : int
        Seeds the weights and the batches.
    extra_images, extra_labels : numpy.ndarray, optional
        Generated ``(m, c, size, size)`` images and their labels, drawn like real ones.
    init_state : dict, optional
        A state dict to start from (pre-training); the head is re-initialised.
    variants : numpy.ndarray, optional
        Precomputed :func:`~radio_unet.halos.augment.geometric_variants` of the training objects (``padded`` is then
        not used): the cross-validation computes them once for all objects.

    Returns
    -------
    (torch.nn.Module, dict)
        The network in evaluation mode, its JSON-able architecture config, and
        ``{"train_seconds", "final_loss"}`` under ``"fit"`` in the config.
    """
    config = config or TrainConfig()
    labels = np.asarray(labels, int)
    if len(np.unique(labels)) < 2:
        raise RadioUNetError("a training fold needs objects of both classes")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    n_channels = int(variants.shape[2] if variants is not None else padded.shape[1])
    arch = {"name": model_name, "in_channels": n_channels, "size": int(size)}
    if model_name != "fc":
        arch["width"] = config.width
    model = build_classifier(arch)
    if init_state is not None:
        own = model.state_dict()
        model.load_state_dict({k: v for k, v in init_state.items() if k in own and not k.startswith("head.")
                               and own[k].shape == v.shape}, strict=False)
    if variants is None:
        variants = geometric_variants(padded, size) if augment != "none" else center_crop(np.asarray(padded, np.float32), size)[:, None]
    chosen, scale_range = augmentation_plan(augment)
    pools = [variants[:, :1] if augment == "none" else variants if chosen is None else variants[:, list(chosen)]]
    scales = [scale_range]
    pool_labels = [labels]
    if extra_images is not None and len(extra_images):
        pools.append(dihedral_variants(extra_images))
        scales.append(SCALE_RANGE)
        pool_labels.append(np.asarray(extra_labels, int))
    all_labels = np.concatenate(pool_labels)
    owner = np.concatenate([np.full(len(l), i) for i, l in enumerate(pool_labels)])
    local = np.concatenate([np.arange(len(l)) for l in pool_labels])
    weights = np.where(all_labels == 1, 0.5 / max(1, (all_labels == 1).sum()), 0.5 / max(1, (all_labels == 0).sum()))
    weights /= weights.sum()
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.steps, pct_start=0.15)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    t0 = time.perf_counter()
    losses = []
    for _ in range(config.steps):
        pick = rng.choice(len(all_labels), size=config.batch_size, p=weights)
        parts = []
        for i, pool in enumerate(pools):
            sel = pick[owner[pick] == i]
            if len(sel) == 0:
                continue
            if augment == "none":
                parts.append((sel, pool[local[sel], 0]))
            else:
                parts.append((sel, augment_batch(pool, local[sel], rng, scale_range=scales[i])))
        order = np.concatenate([p[0] for p in parts])
        x = torch.from_numpy(np.ascontiguousarray(np.concatenate([p[1] for p in parts]), dtype=np.float32))
        y = torch.from_numpy(all_labels[order].astype(np.float32))
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
    model.eval()
    arch["fit"] = {"train_seconds": round(time.perf_counter() - t0, 2), "final_loss": float(np.mean(losses[-20:]))}
    return model, arch


@torch.no_grad()
def predict_proba(model: nn.Module, images: np.ndarray, *, size: int | None = None, batch_size: int = 64) -> np.ndarray:
    """P(halo) of ``(n, c, s, s)`` images (or padded grids, cropped to ``size``)."""
    images = np.asarray(images, np.float32)
    if size is not None and images.shape[-1] != size:
        images = center_crop(images, size)
    model.eval()
    out = []
    for i in range(0, len(images), batch_size):
        out.append(torch.sigmoid(model(torch.from_numpy(np.ascontiguousarray(images[i:i + batch_size])))).numpy())
    return np.concatenate(out) if out else np.zeros(0, np.float32)
