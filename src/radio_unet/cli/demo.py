"""``radio-unet demo``: the README's main command.

Until the shipped model exists, the demo writes a small LoTSS-like example
image (noise plus a few sources, with a beam and a WCS) and describes it with
``radio-unet info``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``demo``."""
    parser.add_argument("--out", default="demo_out", help="output folder (default: demo_out)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the example field")


def run(args: argparse.Namespace) -> int:
    """Write the example image and describe it."""
    from ..examples import write_example_image
    from ..io import read_image
    from ..io.describe import describe_image, format_description

    path = write_example_image(Path(args.out) / "example.fits", seed=args.seed)
    print(format_description(describe_image(read_image(path))))
    print(f"wrote {path}")
    return 0
