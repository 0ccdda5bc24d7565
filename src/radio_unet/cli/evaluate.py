"""``radio-unet evaluate``: Score probability maps against true masks (IoU, source precision/recall, baselines)."""

from __future__ import annotations

import argparse

from .common import not_yet

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``evaluate``."""


def run(args: argparse.Namespace) -> int:
    """Not implemented yet: says so clearly."""
    return not_yet("evaluate", "issue 5")
