"""``radio-unet finetune``: Fine-tune a trained model on a few real images with masks."""

from __future__ import annotations

import argparse

from .common import not_yet

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``finetune``."""


def run(args: argparse.Namespace) -> int:
    """Not implemented yet: says so clearly."""
    return not_yet("finetune", "issue 6")
