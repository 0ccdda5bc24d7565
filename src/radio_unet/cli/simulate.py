"""``radio-unet simulate``: Make synthetic LOFAR observations (image, sky model, mask, labels) for training."""

from __future__ import annotations

import argparse

from .common import not_yet

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``simulate``."""


def run(args: argparse.Namespace) -> int:
    """Not implemented yet: says so clearly."""
    return not_yet("simulate", "issue 3")
