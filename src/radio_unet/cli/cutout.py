"""``radio-unet cutout``: cut square images around targets out of survey mosaics, WCS kept."""

from __future__ import annotations

import argparse
import sys

from .common import add_image_options, image_options
from .targets import add_catalog_arguments, catalog_from_args, print_catalog_report

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``cutout``."""
    add_catalog_arguments(parser, labels=False)
    parser.add_argument("--size", type=int, default=960, help="cut-out side in pixels at the image's pixel scale "
                                                             "(default 960)")
    parser.add_argument("--workers", type=int, default=1, help="targets in parallel on a local Dask cluster")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler")
    parser.add_argument("--overwrite", action="store_true", help="redo existing cut-outs")
    add_image_options(parser)


def run(args: argparse.Namespace) -> int:
    """Cut out every target; targets off every image are listed, failures reported (exit 2)."""
    from ..io.atomic import signals_interrupt
    from ..targets.cutouts import make_cutouts

    catalog = catalog_from_args(args)
    print_catalog_report("cutout", catalog)
    with signals_interrupt():  # SIGTERM/SIGHUP unwind like Ctrl-C: no temporary file is left behind
        result = make_cutouts(catalog, args.images, args.out, size=args.size, workers=args.workers,
                              scheduler=args.scheduler, read_options=image_options(args), overwrite=args.overwrite)
    for path, message in result["bad_images"]:
        print(f"radio-unet cutout: warning: skipped image {message}", file=sys.stderr)
    written = sum(r["status"] == "written" for r in result["results"])
    existing = sum(r["status"] == "exists" for r in result["results"])
    if result["off"]:
        print(f"radio-unet cutout: {len(result['off'])} target(s) not on any image:", file=sys.stderr)
        for r in result["off"][:50]:
            why = "blank in every image that covers it" if r.get("reason") == "blank" else "off every image"
            print(f"  {r['name']} (RA {r['ra']:.5f}, Dec {r['dec']:.5f}): {why}", file=sys.stderr)
        if len(result["off"]) > 50:
            print(f"  ... and {len(result['off']) - 50} more (see {result['index']})", file=sys.stderr)
    for item, message in result["failures"]:
        text = message if item["name"] in message else f"{item['name']}: {message}"
        print(f"radio-unet cutout: error: {text}", file=sys.stderr)
    print(f"{written} cut-out(s) written, {existing} already done, {len(result['off'])} off the images, "
          f"{len(result['failures'])} failed; index: {result['index']}")
    return 2 if result["failures"] else 0
