"""``radio-unet targets``: Per galaxy cluster: cut out, segment, detection ratio R within 2.2 R500, threshold sweep."""

from __future__ import annotations

import argparse

from .common import not_yet

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``targets``."""


def run(args: argparse.Namespace) -> int:
    """Not implemented yet: says so clearly."""
    return not_yet("targets", "issue 6")
