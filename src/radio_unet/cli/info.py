"""``radio-unet info``: describe FITS images."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import RadioUNetError
from .common import add_image_options, image_options

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``info``."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="FITS images (.fits, .fits.gz, any name)")
    parser.add_argument("--json", action="store_true", help="print one JSON list for machines instead of text")
    add_image_options(parser)


def run(args: argparse.Namespace) -> int:
    """Describe each file; a bad file is reported and the others still run (exit 2 if any failed)."""
    from ..io import read_image
    from ..io.describe import describe_image, format_description

    options = image_options(args)
    results, failed = [], 0
    for path in args.files:
        try:
            d = describe_image(read_image(path, **options))
        except RadioUNetError as exc:
            print(f"radio-unet info: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        results.append(d)
        if not args.json:
            print(format_description(d))
    if args.json:
        print(json.dumps(results, indent=2))
    return 2 if failed else 0
