"""Training configuration: a dataclass, YAML files and command-line flags.

A YAML file may be nested or flat::

    data:                     # or these keys at the top level
      root: data_sim
      tile: 192
      empty_ratio: 1.0
    model: paper              # or {preset: lite, base_filters: 8}
    epochs: 200
    batch_size: 50
    precision: bf16-mixed

Every field can be overridden by a command-line flag (``--batch-size 16``,
``--tile 128``, ``--no-augment``); :func:`add_train_arguments` registers them
and :func:`config_from_args` merges file and flags (flags win).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass, field, fields, replace
from os import PathLike
from pathlib import Path
from typing import Any, Mapping

from ..config import ConfigBase, add_flags
from ..data.dataset import DataConfig
from ..data.normalize import Normalization
from ..errors import InputError, RadioUNetError
from ..io.atomic import atomic_path
from ..models.unet import UNetConfig
from ..sky.components import Component
from .finetune import parent_card, weighted_layer_count

__all__ = ["TrainConfig", "add_train_arguments", "config_from_args", "PRECISIONS", "FINETUNE_DEFAULTS"]

#: Precision settings passed to ``lightning.Trainer``.
PRECISIONS = ("32", "bf16-mixed", "16-mixed", "bf16-true", "64")
#: Optimisers and losses of the training module (:mod:`radio_unet.train.module`).
OPTIMIZERS = ("rmsprop", "adam")
LOSSES = ("ce", "dice_ce")
_MODEL_KEYS = {f.name for f in fields(UNetConfig)} - {"name"}
_DATA_KEYS = {f.name for f in fields(DataConfig)}

#: Defaults of ``radio-unet finetune`` that differ from training from scratch: the
#: paper's fine-tuning (top 10 layers, 100 epochs, lr 1e-4), a validation split of
#: a few images and no test split (a handful of images is too few to spare one).
FINETUNE_DEFAULTS: dict[str, Any] = {
    "trainable_layers": 10, "epochs": 100, "lr": 1e-4, "val_fraction": 0.2, "test_fraction": 0.0, "out": "runs/finetune"
}


# -- command-line parsers of settings ----------------------------------------------------------------

def _bool(text: str) -> bool | str:
    value = str(text).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    if value == "warn":
        return "warn"
    raise argparse.ArgumentTypeError(f"expected true, false or warn, got {text!r}")


def _devices(text: str) -> int | str:
    text = str(text).strip()
    return int(text) if text.lstrip("-").isdigit() else text


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in str(text) else value



@dataclass
class TrainConfig(ConfigBase):
    """Everything a training run needs.

    Parameters
    ----------
    data : DataConfig
        Data set and tiling (``data.root`` is required).
    model : dict
        Architecture: ``{"preset": "paper"}`` plus any :class:`UNetConfig`
        field to change (``base_filters``, ``depth``, ``dropout``, ...).
    init_model : str, optional
        Fine-tuning: start from this saved model (shipped model name, model
        folder, ``.safetensors`` file or ``.json`` card) instead of random
        weights. Its architecture replaces ``model`` (except a larger
        ``base_filters`` with every layer trainable: the parent is then
        widened, see :func:`radio_unet.models.widen.widen`) and its
        normalisation is used unless ``data.vmin``/``data.vmax`` are given.
        The model card of the run records the parent's path and sha256.
    trainable_layers : int, optional
        With ``init_model``: train only the top N layers with weights (counted
        from the output, see :mod:`radio_unet.train.finetune`), the others are
        frozen; None trains all. The paper fine-tuned 10.
    out : str
        Output folder (checkpoints, ``model.safetensors``, ``model.json``,
        ``metrics.csv``, ``config.yaml``, logs).
    epochs : int
        Number of epochs (200 in the paper).
    batch_size : int
        Tiles per optimiser step and per process (50 in the paper).
    lr : float
        Learning rate (1e-4).
    optimizer : {"rmsprop", "adam"}
        RMSprop as in the paper (Keras defaults: rho 0.9, eps 1e-7), or Adam.
    loss : {"ce", "dice_ce"}
        Categorical cross entropy (paper), or cross entropy + soft Dice of the
        emission class.
    class_weights : None, "balanced" or list of float
        Weights of the classes in the cross entropy; ``balanced`` uses the
        inverse class frequencies of the training tiles.
    seed : int
        Seed of the initial weights, the split, the tile balance, the order,
        the augmentations and dropout.
    precision : str
        ``"32"``, ``"bf16-mixed"`` (about 2x faster on CPUs with AVX-512 BF16, and on
        GPUs), ``"16-mixed"`` (GPU), ``"bf16-true"``, ``"64"``.
    accelerator, devices, strategy, num_nodes
        Passed to ``lightning.Trainer`` (``"cpu"``/``"gpu"``/``"auto"``;
        ``devices=4``; ``strategy="ddp"``; ``num_nodes=2``).
    deterministic : bool or "warn"
        ``torch.use_deterministic_algorithms``: True raises on an operation
        without a deterministic implementation, ``"warn"`` only warns.
    channels_last : bool
        Channels-last memory layout (faster convolutions on CPUs and tensor cores).
    num_workers : int
        DataLoader worker processes per training process.
    threads : int, optional
        CPU threads of torch per process (``torch.set_num_threads``); default
        torch's choice (all cores). On a shared machine use the number of
        free cores: oversubscribed oneDNN threads slow training down several-fold.
    resume : str, optional
        Checkpoint to resume from; ``"last"`` for ``<out>/checkpoints/last.ckpt``;
        ``"auto"``: the newest of ``last.ckpt`` and Lightning's SLURM requeue
        checkpoints ``<out>/hpc_ckpt_*.ckpt`` if any, else a fresh start (for
        job chains that rerun one command).
    overwrite : bool
        Allow starting a new run in a folder that holds checkpoints.
    progress : bool
        Progress bar.
    log_every_n_steps : int
        Step logging interval.
    limit_train_batches, limit_val_batches : int or float, optional
        Use only part of the data per epoch (quick checks).
    check_val_every_n_epoch : int
        Validation interval.
    patience : int, optional
        Stop early after this many validations without a better validation IoU.
    max_time : str, optional
        Stop at the end of the first epoch that finishes after this wall time,
        ``"DD:HH:MM:SS"``; set it one epoch (plus margin) below a SLURM time
        limit, so that the job ends with a complete ``last.ckpt``, and resume
        later with ``resume: auto``.
    export : {"best", "last"}
        Which weights become ``model.safetensors``: best validation IoU or last epoch.
    test : bool
        Evaluate the exported weights on the test images at the end.
    command : str, optional
        The command that started the run (recorded in the model card; filled
        automatically from ``sys.argv`` by :func:`config_from_args`).
    """

    data: DataConfig = field(default_factory=DataConfig)
    model: dict = field(default_factory=lambda: {"preset": "paper"})
    init_model: str | None = None
    trainable_layers: int | None = None
    out: str = "runs/train"
    epochs: int = 200
    batch_size: int = 50
    lr: float = 1e-4
    optimizer: str = "rmsprop"
    loss: str = "ce"
    class_weights: Any = None
    seed: int = 0
    precision: str = "32"
    accelerator: str = "auto"
    devices: Any = "auto"
    strategy: str = "auto"
    num_nodes: int = 1
    deterministic: Any = "warn"
    channels_last: bool = True
    num_workers: int = 0
    threads: int | None = None
    resume: str | None = None
    overwrite: bool = False
    progress: bool = True
    log_every_n_steps: int = 10
    limit_train_batches: Any = None
    limit_val_batches: Any = None
    check_val_every_n_epoch: int = 1
    patience: int | None = None
    max_time: str | None = None
    export: str = "best"
    test: bool = True
    command: str | None = None

    label = "training"
    choices = {"precision": PRECISIONS, "optimizer": OPTIMIZERS, "loss": LOSSES, "export": ("best", "last")}
    parsers = {"devices": _devices, "deterministic": _bool, "limit_train_batches": _number, "limit_val_batches": _number}

    def __post_init__(self):
        if isinstance(self.data, Mapping):
            self.data = DataConfig.from_dict(self.data)
        self.model = _model_dict(self.model)
        self.precision = str(self.precision)
        self.check_choices()
        if self.deterministic not in (True, False, "warn"):
            raise RadioUNetError(f"deterministic must be true, false or 'warn', got {self.deterministic!r}")
        for key in ("epochs", "batch_size", "num_nodes", "log_every_n_steps", "check_val_every_n_epoch"):
            self.check_number(key, integer=True, lo=1)
        self.check_number("lr", positive=True)
        self.check_number("threads", integer=True, lo=1, optional=True)
        cw = self.class_weights
        if isinstance(cw, str) and cw.lower() in ("none", ""):
            self.class_weights = None
        elif isinstance(cw, str) and cw != "balanced":
            self.class_weights = _float_list(cw, "class_weights")
        elif isinstance(cw, (list, tuple)):
            self.class_weights = [float(w) for w in cw]
        if self.max_time is not None:
            self.max_time = _duration(self.max_time)
        if self.trainable_layers is not None and self.init_model is None:
            raise RadioUNetError(
                "trainable_layers needs init_model, the trained model to fine-tune (radio-unet finetune --model NAME|PATH)"
            )
        if self.init_model is not None:
            self._take_parent_settings()
        self.model_config()  # validates the architecture
        if int(self.data.tile) % self.model_config().divisor:
            raise RadioUNetError(
                f"tile {self.data.tile} must be a multiple of {self.model_config().divisor} (2**depth of the model)"
            )

    def check_classes(self) -> None:
        """The output classes must fit the target: 2 for masks, one per :class:`~radio_unet.sky.Component` for labels."""
        n, wanted = self.model_config().n_classes, (len(Component) if self.data.target == "labels" else 2)
        if n != wanted:
            raise RadioUNetError(f"target {self.data.target!r} needs n_classes {wanted} (model {n}); "
                                 + ("give --n-classes 8" if wanted > 2 else "use --target labels for more classes"))

    def model_config(self) -> UNetConfig:
        """The :class:`UNetConfig` of ``model``."""
        return UNetConfig.from_dict(self.model)

    def _take_parent_settings(self) -> None:
        """Fine-tuning: architecture and (unless given) normalisation of ``init_model``; check ``trainable_layers``."""
        self.init_model = str(self.init_model)
        _, card = parent_card(self.init_model)
        arch = card.architecture
        wanted, parent = replace(self.model_config(), name=""), replace(arch, name="")
        only_classes = {k: v for k, v in self.model.items() if k != "n_classes"} in ({"preset": "paper"}, {})
        if self.model == {"preset": "paper"} or wanted == parent:
            self.model = _model_dict(arch)
        elif (only_classes or replace(wanted, n_classes=parent.n_classes) == parent) and self.trainable_layers is None:
            # other output classes (e.g. the classification layer): a new 1x1 head, every layer trainable
            self.model = _model_dict(replace(arch, n_classes=wanted.n_classes, name="custom"))
        elif (replace(wanted, base_filters=parent.base_filters) == parent
              and wanted.base_filters > parent.base_filters and self.trainable_layers is None):
            # a wider network grown from the parent (models.widen), every layer trainable
            self.model = _model_dict(replace(arch, base_filters=wanted.base_filters, name="custom"))
        else:
            raise RadioUNetError(
                f"fine-tuning keeps the architecture of {self.init_model} ({arch.name}: base_filters {arch.base_filters}, "
                f"depth {arch.depth}, dropout {arch.dropout}, up_kernel {arch.up_kernel}); the changes allowed are a "
                "larger base_filters with every layer trainable (the parent is widened first) or other n_classes with "
                "every layer trainable (a new head)"
            )
        parent_norm = Normalization.from_dict(card.normalization)
        if self.data.norm is None:
            self.data = replace(self.data, norm=parent_norm.kind)
        if self.data.norm == "log" and parent_norm.kind == "log" and (self.data.vmin is None or self.data.vmax is None):
            norm = parent_norm
            if norm.unit != "Jy/pixel":
                raise RadioUNetError(
                    f"{self.init_model}: the model normalises with limits in {norm.unit}; give vmin and vmax in Jy/pixel"
                )
            self.data = replace(
                self.data,
                vmin=norm.vmin if self.data.vmin is None else self.data.vmin,
                vmax=norm.vmax if self.data.vmax is None else self.data.vmax,
            )
        if self.trainable_layers is not None:
            self.trainable_layers = int(self.trainable_layers)
            total = weighted_layer_count(arch)
            if not 1 <= self.trainable_layers <= total:
                raise RadioUNetError(
                    f"trainable_layers must be between 1 and {total} (the layers with weights of {self.init_model}), "
                    f"got {self.trainable_layers}"
                )

    # -- conversions -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "TrainConfig":
        """Build from a nested or flat dictionary (data keys may sit at the top level).

        Unknown keys are an error that lists the known ones.
        """
        values = dict(values or {})
        data = values.pop("data", None) or {}
        data = {"root": data} if isinstance(data, str) else dict(data)
        model = values.pop("model", None)
        model = _model_dict(model) if model is not None else {"preset": "paper"}
        top = set(cls.field_names())
        for key in list(values):
            if key in top:
                continue
            if key in _DATA_KEYS:
                data[key] = values.pop(key)
            elif key in _MODEL_KEYS:
                model[key] = values.pop(key)
        cls.check_keys(values, also=_DATA_KEYS | _MODEL_KEYS)
        return cls(data=DataConfig.from_dict(data), model=model, **values)

    @classmethod
    def from_yaml(
        cls, path: str | PathLike, overrides: Mapping[str, Any] | None = None, *, defaults: Mapping[str, Any] | None = None
    ) -> "TrainConfig":
        """Read a YAML file, then apply ``overrides`` (flat or nested keys; ``None`` values are ignored).

        ``defaults`` (flat keys) apply where the file does not set the key
        (``radio-unet finetune`` uses :data:`FINETUNE_DEFAULTS`). Relative
        paths in the file (``data.root``, ``out``, ...) are taken relative to
        the working directory, as on the command line.
        """
        import yaml

        path = Path(path)
        if not path.exists():
            raise InputError(path, "no such configuration file")
        try:
            values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise InputError(path, f"invalid YAML ({str(exc).splitlines()[0]})") from None
        if not isinstance(values, dict):
            raise InputError(path, "a training configuration must be a YAML mapping (key: value)")
        given = set(values) | (set(values["data"]) if isinstance(values.get("data"), Mapping) else set())
        unset = {k: v for k, v in (defaults or {}).items() if k not in given}
        try:
            config = cls.from_dict(values)
        except RadioUNetError as exc:
            raise InputError(path, str(exc)) from None
        return config.with_overrides({**unset, **{k: v for k, v in (overrides or {}).items() if v is not None}})

    def to_yaml(self, path: str | PathLike | None = None) -> str:
        """YAML text of :meth:`to_dict`; also written to ``path`` (atomically) if given."""
        import yaml

        text = yaml.safe_dump(self.to_dict(), sort_keys=False)
        if path is not None:
            with atomic_path(path) as tmp:
                Path(tmp).write_text(text, encoding="utf-8")
        return text

    def with_overrides(self, overrides: Mapping[str, Any] | None = None, /, **changes) -> "TrainConfig":
        """A copy with some settings changed (a mapping, keywords or both; flat or nested keys); ``None`` values mean
        "not given"."""
        given = {k: v for k, v in {**dict(overrides or {}), **changes}.items() if v is not None}
        if not given:
            return self
        base = self.to_dict()
        for key, value in given.items():
            if key == "data" and isinstance(value, Mapping):
                base["data"].update(value)
            elif key == "model":
                if isinstance(value, str):
                    base["model"] = {**{k: v for k, v in base["model"].items() if k != "preset"}, "preset": value}
                else:
                    base["model"].update(_model_dict(value))
            elif key in _DATA_KEYS and key not in base:
                base["data"][key] = value
            elif key in _MODEL_KEYS:
                base["model"][key] = value
            else:
                base[key] = value
        return TrainConfig.from_dict(base)


def _model_dict(model: Any) -> dict:
    if model is None:
        return {"preset": "paper"}
    if isinstance(model, str):
        return {"preset": model}
    if isinstance(model, UNetConfig):
        return {k: v for k, v in model.to_dict().items() if k != "name"} | {"name": model.name}
    if isinstance(model, Mapping):
        return dict(model)
    raise RadioUNetError(f"model must be a preset name or a mapping, got {type(model).__name__}")


def _duration(text: Any) -> str:
    """Normalise a ``DD:HH:MM:SS`` duration (``HH:MM:SS`` also accepted)."""
    parts = str(text).strip().split(":")
    if len(parts) == 3:
        parts = ["00", *parts]
    if len(parts) != 4 or not all(p.strip().isdigit() for p in parts):
        raise RadioUNetError(f"max_time must look like DD:HH:MM:SS (e.g. 00:23:30:00), got {text!r}")
    return ":".join(f"{int(p):02d}" for p in parts)


def _float_list(text: str, name: str) -> list[float]:
    try:
        return [float(v) for v in str(text).replace(" ", "").split(",") if v]
    except ValueError:
        raise RadioUNetError(f"{name} must be 'balanced', 'none' or numbers like '1,5', got {text!r}") from None


# -- command line --------------------------------------------------------------------------------

def add_train_arguments(parser: argparse.ArgumentParser, *, finetune: bool = False) -> None:
    """Register the options of ``radio-unet train`` (or, with ``finetune``, ``radio-unet finetune``) on ``parser``.

    Every option defaults to ``None`` ("not given"), so that
    :func:`config_from_args` can tell flags from YAML values; the types,
    choices and defaults come from :class:`TrainConfig`,
    :class:`~radio_unet.data.DataConfig` and
    :class:`~radio_unet.models.UNetConfig` (:func:`radio_unet.config.add_flags`). With
    ``finetune``, ``--model`` names the trained model to start from
    (``init_model``), the architecture options are left out (the model fixes
    them) and the help gives the defaults of :data:`FINETUNE_DEFAULTS`.
    """
    defaults = FINETUNE_DEFAULTS if finetune else {}
    parser.add_argument("--config", metavar="FILE.yaml", help="training configuration (YAML); flags override it")
    if finetune:
        parser.add_argument("--model", dest="init_model", metavar="NAME|PATH",
                            help="the trained model to fine-tune: a shipped model name (e.g. default), a model folder, .safetensors or .json card")
    parser.add_argument("--data", metavar="DIR", dest="root", nargs="+",
                        help="data set folder (manifest.csv of 'radio-unet simulate', or FITS files with --image-glob); "
                             "several folders (e.g. one per survey preset) are trained on together")
    parser.add_argument("--out", metavar="DIR", help=f"output folder (default {defaults.get('out', TrainConfig.out)})")

    g = parser.add_argument_group("data set")
    add_flags(DataConfig, g, {
        "image_glob": ("PATTERN", "observed images in a user folder, e.g. '*clean*.fits'"),
        "mask_glob": ("PATTERN", "ready 0/1 masks matching the images"),
        "sky_glob": ("PATTERN", "Jy/pixel sky models matching the images (thresholded into masks)"),
        "pairing": (None, "pair user files by wildcard parts of the name or by sorted order"),
        "target": (None, "manifest column to train on (sky: re-threshold the sky models; labels: the component "
                         "classes, for a classification network with --n-classes 8)"),
        "norm": (None, "input normalisation: snr (noise-relative, the default) or log (the paper's absolute limits; "
                       "the default when --vmin/--vmax are given; fine-tuning: the parent's)"),
        "sky_threshold": ("JY_PIX", "mask threshold on sky models"),
        "unit": (None, "brightness unit of images without BUNIT"),
        "beam": ("BMAJ[,BMIN,BPA]", "beam (arcsec, arcsec, deg) of images without one"),
        "tile": ("PX", "tile size (a multiple of 2**depth)"),
        "stride": ("PX", "step between training tiles (default: the tile size)"),
        "empty_ratio": ("R", "empty training tiles kept per non-empty tile ('all' keeps all)"),
        "min_valid_fraction": ("F", "drop tiles with fewer finite pixels"),
        "val_fraction": ("F", "fraction of images for validation"),
        "test_fraction": ("F", "fraction of images for the test"),
        "augment": (None, "random flips and 90-degree rotations"),
        "vmin": ("JY_PIX", "normalisation lower limit " + ("(default the model's)" if finetune else "(default 1e-10 Jy/pixel)")),
        "vmax": ("JY_PIX", "normalisation upper limit " + ("(default the model's)" if finetune else "(default 1e-5 Jy/pixel)")),
        "cache": (None, "pre-cut tiles into memory-mapped .npy files"),
        "cache_dir": ("DIR", "folder of the tile cache (default <data>/.tile_cache)"),
    }, defaults=defaults)

    g = parser.add_argument_group("model")
    if not finetune:
        g.add_argument("--model", metavar="PRESET", help="architecture preset: paper (base 32) or lite (base 16)")
        add_flags(UNetConfig, g, {
            "base_filters": ("N", "feature maps at full resolution (with --init-model, a larger value widens the "
                                  "parent; default: the preset's)"),
            "depth": ("N", "number of poolings (4 in the paper; default: the preset's)"),
            "dropout": ("P", "dropout after each pooling (0.5 in the paper; default: the preset's)"),
            "up_kernel": (None, "transposed-convolution kernel (2 in the paper; default: the preset's)"),
            "n_classes": ("N", "output classes: 2 (background, diffuse) or 8 with --target labels "
                               "(radio_unet.sky.Component; default: the preset's)"),
        })
        add_flags(TrainConfig, g, {"init_model": ("NAME|PATH", "fine-tune: start from this trained model (its "
                                                               "architecture and normalisation); see radio-unet finetune")})
    add_flags(TrainConfig, g, {"trainable_layers": (
        "N", "fine-tune: train only the top N layers with weights (conv, transposed conv, batch norm), counted from "
             "the output; the others keep the model's weights and batch-norm statistics "
             + (f"(default {defaults['trainable_layers']}, the paper's best)" if finetune
                else "(default: all; needs --init-model)"))})

    add_flags(TrainConfig, parser.add_argument_group("optimisation"), {
        "epochs": ("N", "epochs"),
        "batch_size": ("N", "tiles per step and process"),
        "lr": ("LR", "learning rate"),
        "optimizer": (None, "optimiser"),
        "loss": (None, "ce (paper) or dice_ce"),
        "class_weights": ("W0,W1|balanced|none", "cross-entropy class weights (default none)"),
        "seed": ("N", "random seed"),
        "patience": ("N", "early stopping after N validations without improvement"),
        "export": (None, "weights saved as model.safetensors"),
        "test": (None, "evaluate on the test images at the end"),
    }, defaults=defaults)

    add_flags(TrainConfig, parser.add_argument_group("hardware and run control"), {
        "precision": (None, "32 or bf16-mixed (about 2x faster on CPUs with bf16 support; use it on GPUs)"),
        "accelerator": ("NAME", "cpu, gpu or auto"),
        "devices": ("N|IDS|auto", "devices per node (e.g. 4, '0,1', auto)"),
        "strategy": ("NAME", "auto, ddp, ddp_find_unused_parameters_false, ..."),
        "num_nodes": ("N", "nodes (multi-node DDP, e.g. under SLURM)"),
        "deterministic": ("true|false|warn", "deterministic algorithms"),
        "channels_last": (None, "channels-last layout"),
        "num_workers": ("N", "DataLoader workers"),
        "threads": ("N", "CPU threads per process (default: all cores; use the free cores on a shared machine)"),
        "resume": ("CKPT|last|auto", "resume from a checkpoint; 'last': <out>/checkpoints/last.ckpt; 'auto': the "
                                     "newest checkpoint of --out if any (SLURM job chains)"),
        "overwrite": (None, "start afresh in an output folder that holds checkpoints"),
        "progress": (None, "progress bar"),
        "limit_train_batches": ("N|F", "batches (int) or fraction per epoch"),
        "limit_val_batches": ("N|F", "validation batches (int) or fraction"),
        "max_time": ("DD:HH:MM:SS", "stop at the first epoch end after this wall time (resume later with --resume auto)"),
    }, defaults=defaults)


def config_from_args(args: argparse.Namespace, *, defaults: Mapping[str, Any] | None = None) -> TrainConfig:
    """Merge ``--config FILE.yaml`` and the flags of :func:`add_train_arguments` into a :class:`TrainConfig`.

    Flags that were given override the file, which overrides ``defaults``
    (flat keys, e.g. :data:`FINETUNE_DEFAULTS`); the data folder must come
    from the file or the flags. The command line is recorded in
    ``TrainConfig.command``.
    """
    known = set(TrainConfig.field_names()) | _DATA_KEYS | _MODEL_KEYS
    flags = {k: v for k, v in vars(args).items() if k in known and k != "command" and v is not None}
    keep_all_empty = flags.get("empty_ratio") == "all"
    if keep_all_empty:
        del flags["empty_ratio"]
    config_path = getattr(args, "config", None)
    if config_path:
        config = TrainConfig.from_yaml(config_path, flags, defaults=defaults)
    else:
        config = TrainConfig.from_dict({"data": {"root": flags.get("root")}}).with_overrides({**(defaults or {}), **flags})
    if keep_all_empty:
        config = replace(config, data=replace(config.data, empty_ratio=None))
    if not config.data.root:
        raise RadioUNetError("no data set: give --data DIR or data.root in the --config file")
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv else []
    return replace(config, command=shlex.join(argv) if argv else None)
