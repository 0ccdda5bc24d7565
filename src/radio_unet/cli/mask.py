"""``radio-unet mask``: 0/1 label masks from images (k sigma of a local rms map, islands, region)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import add_image_options, image_options

__all__ = ["add_arguments", "run"]

_EPILOG = """\
A pixel is in the mask when it is brighter than NSIGMA times the local noise rms
(robust rms in boxes of BOX pixels, median-filtered and interpolated), like
breizorro. 8-connected islands smaller than --min-island pixels are dropped
(after the --region cut). Use an image with the compact sources subtracted, so
that the mask holds the diffuse emission only. Writes <stem>.mask.fits (uint8,
the image's WCS) per image, and <stem>.rms.fits with --save-rms; these masks are
the labels of 'radio-unet finetune'.

example:
  radio-unet mask A2255_subtracted.fits -o masks/ --nsigma 5 --region A2255.reg
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``mask``."""
    parser.epilog = _EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("inputs", nargs="+", metavar="IMAGE", help="FITS images (best with the compact sources subtracted)")
    parser.add_argument("-o", "--out", default="masks", help="output folder (default: masks)")
    parser.add_argument("--nsigma", type=float, default=5.0, help="threshold in units of the local rms (default 5)")
    parser.add_argument("--box", type=int, default=100, metavar="PX", help="box size of the local rms in pixels (default 100)")
    parser.add_argument("--min-island", type=int, default=10, metavar="PX",
                        help="drop 8-connected islands with fewer pixels (default 10)")
    parser.add_argument("--region", metavar="FILE.reg",
                        help="keep only pixels inside this DS9 region file (circle/polygon; icrs, fk5, galactic or image)")
    parser.add_argument("--save-rms", action="store_true", help="also write the rms map <stem>.rms.fits")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    add_image_options(parser)


def _one(path: str, args: argparse.Namespace, out: Path, regions) -> str:
    import numpy as np

    from ..io import read_image, write_image
    from ..io.ds9 import region_mask
    from ..islands import label_islands
    from ..segment.run import output_stem
    from ..targets.masks import local_rms, make_mask

    image = read_image(path, **image_options(args))
    rms = local_rms(image.data, box_pixels=args.box)
    keep = region_mask(regions, image.wcs, image.shape) if regions is not None else None
    mask = make_mask(image, nsigma=args.nsigma, min_island_pixels=args.min_island, keep_region=keep, rms=rms)
    stem = out / output_stem(path)
    provenance = {"source": Path(path).name, "nsigma": args.nsigma, "box": args.box, "min_island": args.min_island,
                  "region": Path(args.region).name if args.region else "none"}
    target = write_image(stem.with_name(f"{stem.name}.mask.fits"), mask.astype(np.uint8), wcs=image.wcs,
                         provenance=provenance, overwrite=args.overwrite)
    if args.save_rms:
        write_image(stem.with_name(f"{stem.name}.rms.fits"), rms, wcs=image.wcs, unit=image.unit, beam=image.beam,
                    frequency=image.frequency, provenance=provenance, overwrite=args.overwrite)
    islands = label_islands(mask)[1]
    return (f"{path}: {target} ({100 * mask.mean():.2f}% of pixels, {islands} island(s), "
            f"median rms {np.nanmedian(rms):.3g} {image.unit or ''})".replace(" )", ")"))


def run(args: argparse.Namespace) -> int:
    """Make a mask for every input; bad files are reported in one line and the others finish."""
    from ..errors import RadioUNetError
    from ..io.ds9 import read_ds9_regions

    if not args.nsigma > 0:
        raise RadioUNetError(f"--nsigma must be positive, got {args.nsigma}")
    if args.box < 4:
        raise RadioUNetError(f"--box must be at least 4 pixels, got {args.box}")
    if args.min_island < 0:
        raise RadioUNetError(f"--min-island must be >= 0, got {args.min_island}")
    regions = read_ds9_regions(args.region) if args.region else None  # read once, fail early
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for path in args.inputs:
        try:
            print(_one(path, args, out, regions))
        except RadioUNetError as exc:
            failures += 1
            message = str(exc)
            print(f"radio-unet mask: error: {message if path in message else f'{path}: {message}'}", file=sys.stderr)
    return 2 if failures else 0
