"""Train the Radio U-Net with Lightning: configuration, LightningModule, the ``train`` function.

Examples
--------
>>> from radio_unet.train import TrainConfig, train
>>> config = TrainConfig.from_yaml("train.yaml", {"epochs": 5})   # doctest: +SKIP
>>> result = train(config)                                        # doctest: +SKIP
>>> result.model_path                                             # doctest: +SKIP
PosixPath('runs/train/model.safetensors')

The command line (``radio-unet train --config FILE.yaml [--flags]``) is a
thin layer over :func:`add_train_arguments`, :func:`config_from_args` and
:func:`train`.
"""

from .callbacks import METRIC_COLUMNS, EpochMetricsCSV
from .config import PRECISIONS, TrainConfig, add_train_arguments, config_from_args
from .module import RadioUNetModule, cross_entropy, iou_counts, mean_iou, soft_dice_loss, step_seed
from .run import TrainResult, balanced_class_weights, train

__all__ = [
    "TrainConfig",
    "PRECISIONS",
    "add_train_arguments",
    "config_from_args",
    "train",
    "TrainResult",
    "balanced_class_weights",
    "RadioUNetModule",
    "cross_entropy",
    "soft_dice_loss",
    "iou_counts",
    "mean_iou",
    "step_seed",
    "EpochMetricsCSV",
    "METRIC_COLUMNS",
]
