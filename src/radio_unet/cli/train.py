"""``radio-unet train``: train a Radio U-Net (CPU, GPU, DDP) and write weights + model card."""

from __future__ import annotations

import argparse

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``train`` (every YAML key is also a flag)."""
    from ..train import add_train_arguments

    add_train_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Train and report where the model went."""
    from ..train import config_from_args, train

    result = train(config_from_args(args))
    print(f"model: {result.model_path}")
    return 0
