"""``radio-unet cutout``: Cut square images around targets out of survey mosaics, WCS kept."""

from __future__ import annotations

import argparse

from .common import not_yet

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``cutout``."""


def run(args: argparse.Namespace) -> int:
    """Not implemented yet: says so clearly."""
    return not_yet("cutout", "issue 6")
