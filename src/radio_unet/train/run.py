"""``train(config)``: one complete training run, from a data set folder to a saved model.

The output folder receives::

    config.yaml                 the resolved configuration
    checkpoints/last.ckpt       Lightning checkpoint of the last epoch (resume from it)
    checkpoints/best-*.ckpt     the epoch with the best validation IoU
    metrics.csv                 one row per epoch (train/val loss, val IoU, time)
    logs/                       Lightning CSV (and TensorBoard, if installed) step logs
    model.safetensors           the exported weights (best or last)
    model.json                  the model card (sha256 of the weights, metrics, ...)

Reproducibility: initial weights, image split, tile balance, sample order,
augmentations and dropout all follow from ``config.seed``; with
``deterministic`` set, a run gives the same weights every time on the same
hardware and software, and a run interrupted and resumed from
``last.ckpt`` ends with exactly the weights of an uninterrupted one.

Lightning checkpoints are torch zip files; they are loaded with
``weights_only=True`` (torch's restricted unpickler), and the exported model
is safetensors + JSON, which holds no code at all.
"""

from __future__ import annotations

import importlib.util
import math
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ..data.dataset import RadioDataModule
from ..errors import InputError, RadioUNetError
from ..models.card import ModelCard, default_classes
from ..models.serialize import save_model
from .batchnorm import BatchNormRecalibration
from .callbacks import EpochMetricsCSV
from .config import TrainConfig
from .finetune import start_from_parent
from .module import RadioUNetModule

__all__ = ["train", "TrainResult", "balanced_class_weights", "multiclass_weights", "label_frequencies"]


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes
    ----------
    out : pathlib.Path
        Output folder.
    model_path, card_path : pathlib.Path or None
        ``model.safetensors`` and ``model.json`` (None on non-zero DDP ranks).
    metrics_path : pathlib.Path
        ``metrics.csv``.
    best_checkpoint, last_checkpoint : pathlib.Path or None
        Lightning checkpoints.
    metrics : dict
        Final metrics (as in the model card).
    epochs_completed : int
        Number of epochs trained in total (including those before a resume).
    wall_time_s : float
        Wall time of this call.
    card : ModelCard or None
        The saved model card.
    """

    out: Path
    model_path: Path | None
    card_path: Path | None
    metrics_path: Path
    best_checkpoint: Path | None
    last_checkpoint: Path | None
    metrics: dict = field(default_factory=dict)
    epochs_completed: int = 0
    wall_time_s: float = 0.0
    card: ModelCard | None = None


def balanced_class_weights(foreground_fraction: float, *, clip: float = 1e-4) -> list[float]:
    """Inverse-frequency weights ``1 / (2 f_c)`` of the two classes (mean weight over pixels is 1)."""
    if not math.isfinite(foreground_fraction):
        raise RadioUNetError("cannot compute balanced class weights: no training tiles")
    f = min(max(float(foreground_fraction), clip), 1.0 - clip)
    return [0.5 / (1.0 - f), 0.5 / f]


def label_frequencies(dataset, n_classes: int, *, max_tiles: int = 2000) -> list[float]:
    """Fraction of the pixels of each class over (up to ``max_tiles`` evenly spaced) training tiles."""
    counts = np.zeros(n_classes, np.float64)
    step = max(1, len(dataset) // max_tiles)
    for i in range(0, len(dataset), step):
        labels = np.asarray(dataset[i][1]).ravel()
        counts += np.bincount(np.clip(labels, 0, n_classes - 1), minlength=n_classes)
    total = counts.sum()
    if total <= 0:
        raise RadioUNetError("cannot compute balanced class weights: no training tiles")
    return [float(c / total) for c in counts]


def multiclass_weights(frequencies: Sequence[float], *, max_ratio: float = 50.0) -> list[float]:
    """Inverse-square-root-frequency weights of many classes, at most ``max_ratio`` apart, mean pixel weight 1.

    Classes absent from the training tiles get the largest weight of the others (they cost nothing).

    Examples
    --------
    >>> [round(w, 3) for w in multiclass_weights([0.81, 0.09, 0.09, 0.01])]
    [0.694, 2.083, 2.083, 6.25]
    """
    f = np.asarray(frequencies, np.float64)
    present = f > 0
    if not present.any():
        raise RadioUNetError("cannot compute class weights: no class occurs")
    w = np.zeros_like(f)
    w[present] = f[present] ** -0.5
    w = np.clip(w, None, w[present].min() * max_ratio)
    w[~present] = w[present].max()
    w /= float((w * f).sum())
    return [float(v) for v in w]


def _resolve_resume(config: TrainConfig, ckpt_dir: Path) -> str | None:
    if config.resume is None:
        return None
    if config.resume == "auto":
        # newest of the end-of-epoch checkpoint and the checkpoints Lightning's SLURM
        # auto-requeue writes on SIGUSR1 (hpc_ckpt_N.ckpt in the output folder)
        candidates = [p for p in [ckpt_dir / "last.ckpt", *ckpt_dir.parent.glob("hpc_ckpt_*.ckpt")] if p.exists()]
        return str(max(candidates, key=lambda p: p.stat().st_mtime)) if candidates else None
    path = ckpt_dir / "last.ckpt" if config.resume == "last" else Path(config.resume)
    if not path.exists():
        raise InputError(path, "no checkpoint to resume from" + (" (nothing trained in this --out folder yet)" if config.resume == "last" else ""))
    return str(path)


def _loggers(out: Path) -> list:
    from lightning.pytorch.loggers import CSVLogger

    # version=None: a new logs/version_N per session, so that resuming never deletes earlier step logs
    loggers = [CSVLogger(save_dir=str(out), name="logs", version=None)]
    if importlib.util.find_spec("tensorboard") or importlib.util.find_spec("tensorboardX"):
        from lightning.pytorch.loggers import TensorBoardLogger

        loggers.append(TensorBoardLogger(save_dir=str(out), name="tensorboard", version=None, default_hp_metric=False))
    return loggers


def _session_timer_class():
    from lightning.pytorch.callbacks import Timer

    class SessionTimer(Timer):
        """Lightning's Timer, but counting this session only (its state is not restored on resume)."""

        def load_state_dict(self, state_dict: dict) -> None:  # noqa: D102
            return None

    return SessionTimer


def _state_dict_from_checkpoint(path: str | Path) -> dict[str, torch.Tensor]:
    ckpt = torch.load(str(path), map_location="cpu", weights_only=True)
    return {k[len("model.") :]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}


def _prepare_out(config: TrainConfig, out: Path, ckpt_dir: Path) -> tuple[TrainConfig, str | None]:
    """Resolve the checkpoint to resume from, clear or refuse a previous run and create the output folder.

    Parameters
    ----------
    config : TrainConfig
        The run.
    out : Path
        Output folder.
    ckpt_dir : Path
        ``out / "checkpoints"``.

    Returns
    -------
    config : TrainConfig
        ``config``, with ``data.cache_dir`` in ``out`` for an ``npy`` cache without one.
    resume : str or None
        The checkpoint to resume from.

    Raises
    ------
    radio_unet.errors.RadioUNetError
        When ``out`` holds a previous run and neither resuming nor overwriting was asked for.
    """
    resume = _resolve_resume(config, ckpt_dir)
    if resume is None and config.resume != "auto" and (ckpt_dir / "last.ckpt").exists():
        if not config.overwrite:
            raise RadioUNetError(
                f"{out} holds a previous run: continue it with --resume last (or auto), or start afresh with --overwrite or another --out"
            )
        for old in ckpt_dir.glob("*.ckpt"):
            old.unlink(missing_ok=True)  # several DDP ranks may clean up at once
        (out / "metrics.csv").unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    if config.data.cache == "npy" and not config.data.cache_dir:
        config = replace(config, data=replace(config.data, cache_dir=str(out / "tile_cache")))
    return config, resume


def _class_weights(config: TrainConfig, n_classes: int, dm, summary: dict) -> Any:
    """The loss class weights: ``config.class_weights``, computed from the training tiles when ``"balanced"``.

    Parameters
    ----------
    config : TrainConfig
        The run.
    n_classes : int
        Number of output classes of the model.
    dm : RadioDataModule
        The set-up data module.
    summary : dict
        ``dm.summary()``.

    Returns
    -------
    Any
        The weights as :class:`RadioUNetModule` takes them.
    """
    weights: Any = config.class_weights
    if weights == "balanced":
        if n_classes == 2:
            weights = balanced_class_weights(summary["foreground_fraction"])
        else:
            weights = multiclass_weights(label_frequencies(dm.datasets["train"], n_classes))
    return weights


def _callbacks(config: TrainConfig, out: Path, ckpt_dir: Path, *, monitor: str, mode: str, has_val: bool) -> tuple:
    """The Lightning callbacks of a run.

    Parameters
    ----------
    config : TrainConfig
        The run (``max_time``, ``patience``).
    out : Path
        Output folder (``metrics.csv``).
    ckpt_dir : Path
        Checkpoint folder.
    monitor, mode : str
        Quantity and direction of the best checkpoint.
    has_val : bool
        Whether there are validation tiles (early stopping needs them).

    Returns
    -------
    callbacks : list
        Every callback, in order.
    checkpoint : ModelCheckpoint
        The best-epoch checkpoint.
    metrics_cb : EpochMetricsCSV
        The per-epoch metrics writer.
    """
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

    checkpoint = ModelCheckpoint(
        dirpath=str(ckpt_dir),
        filename="best-epoch{epoch:03d}",
        auto_insert_metric_name=False,
        monitor=monitor,
        mode=mode,
        save_top_k=1,
    )
    # Lightning 2.6 writes save_last=True checkpoints only at steps where a top-k checkpoint was
    # written; a second, unmonitored callback writes last.ckpt after every epoch, as resuming needs.
    last_checkpoint = ModelCheckpoint(
        dirpath=str(ckpt_dir), filename="last", monitor=None, save_top_k=1, every_n_epochs=1, enable_version_counter=False
    )
    metrics_cb = EpochMetricsCSV(out / "metrics.csv")
    # Recalibration first: validation, checkpoints and the exported weights then see inference-time statistics.
    callbacks: list = [BatchNormRecalibration(16), checkpoint, last_checkpoint, metrics_cb]
    if config.max_time:
        # checked at epoch ends only, so that the run stops with a complete last.ckpt
        callbacks.append(_session_timer_class()(duration=config.max_time, interval="epoch"))
    if config.patience is not None and has_val:
        callbacks.append(EarlyStopping(monitor="val_iou", mode="max", patience=int(config.patience)))
    return callbacks, checkpoint, metrics_cb


def _trainer_kwargs(config: TrainConfig, out: Path, callbacks: list, *, has_val: bool) -> dict[str, Any]:
    """The keyword arguments of ``lightning.pytorch.Trainer`` for a run.

    Parameters
    ----------
    config : TrainConfig
        The run.
    out : Path
        Output folder (logs).
    callbacks : list
        From :func:`_callbacks`.
    has_val : bool
        Whether there are validation tiles (validation is switched off without them).

    Returns
    -------
    dict
    """
    trainer_kwargs: dict[str, Any] = dict(
        max_epochs=int(config.epochs),
        accelerator=config.accelerator,
        devices=config.devices,
        strategy=config.strategy,
        num_nodes=int(config.num_nodes),
        precision=config.precision,
        deterministic=config.deterministic,
        benchmark=False,
        callbacks=callbacks,
        logger=_loggers(out),
        default_root_dir=str(out),
        enable_progress_bar=bool(config.progress),
        enable_model_summary=bool(config.progress),
        log_every_n_steps=int(config.log_every_n_steps),
        check_val_every_n_epoch=int(config.check_val_every_n_epoch),
        use_distributed_sampler=False,  # TileSampler shards per rank with fresh augmentations each epoch
    )
    if config.limit_train_batches is not None:
        trainer_kwargs["limit_train_batches"] = config.limit_train_batches
    if not has_val:
        trainer_kwargs["limit_val_batches"] = 0
        trainer_kwargs["num_sanity_val_steps"] = 0
    elif config.limit_val_batches is not None:
        trainer_kwargs["limit_val_batches"] = config.limit_val_batches
    return trainer_kwargs


def _fit(trainer, module: RadioUNetModule, dm, *, resume: str | None, finetuned: bool) -> None:
    """``trainer.fit`` with the known harmless warnings silenced.

    Parameters
    ----------
    trainer : lightning.pytorch.Trainer
        The trainer.
    module : RadioUNetModule
        The model to train.
    dm : RadioDataModule
        The data.
    resume : str or None
        Checkpoint to resume from.
    finetuned : bool
        Whether the model starts from a parent (its frozen batch norm stays in eval mode).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")  # lightning 2.6 + torch 2.13 internals
        warnings.filterwarnings("ignore", message=".*smaller than the logging interval.*")
        warnings.filterwarnings("ignore", message=".*Checkpoint directory .* exists and is not empty.*")
        if finetuned:  # frozen batch norm stays in eval mode on purpose
            warnings.filterwarnings("ignore", message=".*module\\(s\\) in eval mode.*")
        trainer.fit(module, datamodule=dm, ckpt_path=resume, weights_only=True)


def _final_metrics(rows: list[dict], checkpoint, monitor: str) -> dict[str, Any]:
    """The last epoch's losses and IoUs (``final_*``, NaN when missing) and the best monitored score.

    Parameters
    ----------
    rows : list of dict
        The rows of ``metrics.csv``.
    checkpoint : ModelCheckpoint
        The best-epoch checkpoint callback.
    monitor : str
        The quantity it monitors.

    Returns
    -------
    dict
    """
    metrics: dict[str, Any] = {}
    if rows:
        last = rows[-1]
        for key in ("train_loss", "val_loss", "val_iou", "val_iou_bg", "val_iou_fg"):
            raw = last.get(key)
            try:
                value = float(raw) if raw not in (None, "") else float("nan")
            except (TypeError, ValueError):
                value = float("nan")
            metrics[f"final_{key}"] = value
    if checkpoint.best_model_score is not None:
        metrics[f"best_{monitor}"] = float(checkpoint.best_model_score)
    return metrics


def _test_metrics(trainer, module: RadioUNetModule, dm) -> dict[str, Any]:
    """Run the test set and return its ``test_*`` metrics.

    Parameters
    ----------
    trainer : lightning.pytorch.Trainer
        The trainer.
    module : RadioUNetModule
        The trained model.
    dm : RadioDataModule
        The data.

    Returns
    -------
    dict
    """
    module.epoch_results = {}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")
        trainer.test(module, datamodule=dm, verbose=False)
    return {k: v for k, v in module.epoch_results.items() if k.startswith("test_") and k != "test_epoch"}


def _model_card(config: TrainConfig, model_cfg, summary: dict, metrics: dict, training: dict) -> ModelCard:
    """The model card of a trained model.

    Parameters
    ----------
    config : TrainConfig
        The run.
    model_cfg : model configuration
        From ``config.model_config()``.
    summary : dict
        The data set summary.
    metrics : dict
        The final metrics.
    training : dict
        How the model was trained (see :func:`train`).

    Returns
    -------
    ModelCard
    """
    norm = config.data.normalization()
    return ModelCard(
        architecture=model_cfg,
        normalization=norm.to_dict(),
        classes=default_classes(model_cfg.n_classes),
        pixel_scale_arcsec=summary["pixel_scale_arcsec"],
        beam_arcsec=summary["beam_arcsec"],
        tile=int(config.data.tile),
        dataset={
            **summary,
            "target": config.data.target,
            "sky_threshold": config.data.sky_threshold,
            "empty_ratio": config.data.empty_ratio,
            "augment": config.data.augment,
        },
        seed=int(config.seed),
        command=config.command or "radio_unet.train.train(TrainConfig(...)) (see config.yaml)",
        metrics=metrics,
        training=training,
    )


def _training_record(config: TrainConfig, trainer, rows: list[dict], **values: Any) -> dict[str, Any]:
    """The ``training`` section of the model card.

    Parameters
    ----------
    config : TrainConfig
        The run.
    trainer : lightning.pytorch.Trainer
        The trainer (accelerator, world size).
    rows : list of dict
        The rows of ``metrics.csv`` (the trained time of the last epoch).
    **values
        ``epochs_completed``, ``weights_from``, ``class_weights``, ``resumed_from``, ``finetuned_from``,
        ``fit_time_s`` and ``wall_time_s``.

    Returns
    -------
    dict
    """
    return {
        "epochs_requested": int(config.epochs),
        "epochs_completed": values["epochs_completed"],
        "weights_from": values["weights_from"],
        "batch_size": int(config.batch_size),
        "lr": float(config.lr),
        "optimizer": config.optimizer,
        "loss": config.loss,
        "class_weights": values["class_weights"],
        "precision": config.precision,
        "accelerator": type(trainer.accelerator).__name__,
        "world_size": int(trainer.world_size),
        "num_nodes": int(config.num_nodes),
        "deterministic": config.deterministic,
        "threads": torch.get_num_threads(),
        "resumed_from": values["resumed_from"],
        "finetuned_from": values["finetuned_from"],
        "fit_time_s": round(values["fit_time_s"], 3),
        "wall_time_s": round(values["wall_time_s"], 3),
        "trained_time_s": float(rows[-1]["elapsed_s"]) if rows and rows[-1].get("elapsed_s") not in (None, "") else None,
        "config": config.to_dict(),
    }


def train(config: TrainConfig) -> TrainResult:
    """Train a Radio U-Net as configured, save checkpoints, metrics and the model.

    Parameters
    ----------
    config : TrainConfig
        The run (see :class:`TrainConfig`; ``config.data.root`` is required).

    Returns
    -------
    TrainResult

    Raises
    ------
    radio_unet.errors.RadioUNetError
        For problems the user can fix (data, options, an occupied output folder).
    """
    import lightning.pytorch as pl

    t0 = time.perf_counter()
    if not config.data.root:
        raise RadioUNetError("no data set folder: set data.root (--data DIR)")
    out = Path(config.out)
    ckpt_dir = out / "checkpoints"
    config, resume = _prepare_out(config, out, ckpt_dir)

    if config.threads:
        torch.set_num_threads(int(config.threads))
    pl.seed_everything(config.seed, workers=True, verbose=False)
    config.check_classes()
    dm = RadioDataModule(config.data, batch_size=config.batch_size, num_workers=config.num_workers, seed=config.seed, progress=config.progress)
    dm.setup("fit")
    summary = dm.summary()
    model_cfg = config.model_config()
    weights = _class_weights(config, model_cfg.n_classes, dm, summary)
    module = RadioUNetModule(
        model_cfg.to_dict(),
        lr=config.lr,
        optimizer=config.optimizer,
        loss=config.loss,
        class_weights=weights,
        seed=config.seed,
        channels_last=config.channels_last,
    )
    finetuned_from = start_from_parent(module.model, config.init_model, config.trainable_layers) if config.init_model else None

    has_val = summary["val_tiles"] > 0
    monitor, mode = ("val_iou", "max") if has_val else ("train_loss_epoch", "min")
    callbacks, checkpoint, metrics_cb = _callbacks(config, out, ckpt_dir, monitor=monitor, mode=mode, has_val=has_val)
    trainer = pl.Trainer(**_trainer_kwargs(config, out, callbacks, has_val=has_val))
    if trainer.is_global_zero:
        config.to_yaml(out / "config.yaml")
    _fit(trainer, module, dm, resume=resume, finetuned=bool(finetuned_from))
    fit_time = time.perf_counter() - t0

    rows = metrics_cb.rows
    epochs_done = int(trainer.current_epoch)
    best_path = Path(checkpoint.best_model_path) if checkpoint.best_model_path else None
    last_path = ckpt_dir / "last.ckpt" if (ckpt_dir / "last.ckpt").exists() else None
    weights_from = f"last (epoch {epochs_done - 1})"
    if config.export == "best" and best_path is not None and best_path.exists():
        module.model.load_state_dict(_state_dict_from_checkpoint(best_path))
        weights_from = f"best {monitor} ({best_path.name})"

    metrics = _final_metrics(rows, checkpoint, monitor)
    if config.test and summary["test_tiles"] > 0:
        metrics.update(_test_metrics(trainer, module, dm))

    wall = time.perf_counter() - t0
    result = TrainResult(
        out=out,
        model_path=None,
        card_path=None,
        metrics_path=out / "metrics.csv",
        best_checkpoint=best_path,
        last_checkpoint=last_path,
        metrics=metrics,
        epochs_completed=epochs_done,
        wall_time_s=wall,
    )
    if not trainer.is_global_zero:
        return result

    training = _training_record(config, trainer, rows, epochs_completed=epochs_done, weights_from=weights_from,
                                class_weights=weights, resumed_from=resume, finetuned_from=finetuned_from,
                                fit_time_s=fit_time, wall_time_s=wall)
    card = _model_card(config, model_cfg, summary, metrics, training)
    model_path = out / "model.safetensors"
    card = save_model(model_path, module.model, card)
    result.model_path, result.card_path, result.card = model_path, out / "model.json", card
    return result
