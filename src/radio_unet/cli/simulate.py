"""``radio-unet simulate``: synthetic LOFAR observations for training."""

from __future__ import annotations

import argparse
import os

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``simulate``."""
    from ..simulate.presets import PRESETS

    parser.add_argument(
        "--preset", default="lotss-6as", choices=list(PRESETS),
        help="survey set-up: " + "; ".join(f"{k}: {p.description}" for k, p in PRESETS.items()),
    )
    parser.add_argument("--n", type=int, default=10, help="number of images (default 10)")
    parser.add_argument("--out", required=True, help="output folder (reused to resume an interrupted run)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives identical files")
    parser.add_argument(
        "--route", choices=["image", "visibility"], default="image",
        help="image: PSF convolution + weight-shaped noise (fast); visibility: ducc0 predict/image (slow, with gain errors)",
    )
    parser.add_argument("--npix", type=int, help="override the preset's image size (pixels)")
    parser.add_argument(
        "--workers", type=int, default=1,
        help=f"parallel worker processes on a local Dask cluster (this machine has {os.cpu_count()} cores)",
    )
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler (e.g. on SLURM via dask-jobqueue)")
    parser.add_argument("--gallery", type=int, default=4, help="images shown in gallery.png (0: none)")


def run(args: argparse.Namespace) -> int:
    """Simulate the data set."""
    from ..simulate import get_preset, simulate_dataset

    preset = get_preset(args.preset)
    if args.npix:
        preset = preset.with_overrides(npix=args.npix)
    table = simulate_dataset(
        preset, args.n, args.out, seed=args.seed, route=args.route,
        workers=args.workers, scheduler=args.scheduler, gallery=args.gallery,
    )
    print(f"{len(table)} images in {args.out} (manifest.csv, gallery.png)")
    return 0
