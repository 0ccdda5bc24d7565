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
:func:`train`. Fine-tuning (``radio-unet finetune``) is training that starts
from a saved model with all but the top layers frozen (:mod:`.finetune`).
"""

from .callbacks import METRIC_COLUMNS, EpochMetricsCSV
from .config import FINETUNE_DEFAULTS, PRECISIONS, TrainConfig, add_train_arguments, config_from_args
from .finetune import freeze_all_but_top, start_from_parent, weighted_layer_count, weighted_layers
from .module import RadioUNetModule, cross_entropy, iou_counts, mean_iou, soft_dice_loss, step_seed
from .run import TrainResult, balanced_class_weights, train

__all__ = [
    "TrainConfig",
    "PRECISIONS",
    "add_train_arguments",
    "config_from_args",
    "FINETUNE_DEFAULTS",
    "freeze_all_but_top",
    "weighted_layers",
    "weighted_layer_count",
    "start_from_parent",
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
