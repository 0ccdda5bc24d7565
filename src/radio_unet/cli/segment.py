"""``radio-unet segment``: Segment FITS images into probability maps of diffuse emission."""

from __future__ import annotations

import argparse

from .common import not_yet

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``segment``."""


def run(args: argparse.Namespace) -> int:
    """Not implemented yet: says so clearly."""
    return not_yet("segment", "issue 5")
