"""``radio-unet targets``: per galaxy cluster: cut out, segment, detection ratio R within 2.2 R500, threshold sweep."""

from __future__ import annotations

import argparse
import sys

from .common import add_image_options, add_inference_options, image_options, inference_options

__all__ = ["add_arguments", "run", "add_catalog_arguments", "catalog_from_args", "print_catalog_report"]


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [t.strip() for t in text.split(",") if t.strip()]


def add_catalog_arguments(parser: argparse.ArgumentParser, *, labels: bool = True) -> None:
    """Options that say how to read the target list (shared with ``cutout``)."""
    parser.add_argument("--catalog", required=True, metavar="FILE",
                        help="target list: CSV, ECSV, FITS, VOTable or CDS fixed-width (with --readme or a ReadMe "
                             "next to it)")
    parser.add_argument("--images", required=True, nargs="+", metavar="PATH",
                        help="mosaics, pointings or ready cut-outs, or folders of them; each target is taken from "
                             "the image that contains it nearest to the image centre")
    parser.add_argument("-o", "--out", required=True, metavar="OUTDIR", help="output folder")
    group = parser.add_argument_group("catalogue columns (found automatically when omitted)")
    group.add_argument("--readme", help="CDS ReadMe describing a fixed-width catalogue")
    group.add_argument("--cds-table", help="which table of the ReadMe (e.g. psz2.dat) when the name does not match")
    group.add_argument("--format", dest="table_format", help="astropy table format (ascii.csv, fits, votable, cds...)")
    group.add_argument("--name-column")
    group.add_argument("--ra-column", help="RA (or Galactic longitude with --frame galactic)")
    group.add_argument("--dec-column", help="Dec (or Galactic latitude)")
    group.add_argument("--coord-unit", help="unit of numeric RA when the column has none: deg (default) or hourangle")
    group.add_argument("--frame", default="icrs", help="frame of the coordinates: icrs, fk5, fk4, galactic... "
                                                        "(converted to ICRS; default icrs)")
    group.add_argument("--z-column")
    group.add_argument("--r500-column", help="R500 column (Mpc unless --r500-unit or the column says otherwise)")
    group.add_argument("--r500-unit", help="Mpc, kpc, arcmin, arcsec...")
    group.add_argument("--m500-column", help="M500 column, turned into R500 through the critical density at z")
    group.add_argument("--m500-unit", help="unit of M500 when the column has none (default 1e14 Msun)")
    group.add_argument("--h0", type=float, default=70.0, help="Hubble constant of the flat Lambda-CDM (default 70)")
    group.add_argument("--om0", type=float, default=0.3, help="matter density of the flat Lambda-CDM (default 0.3)")
    if labels:
        group.add_argument("--label-column", help="class column (e.g. NDE/DE/DEU); a column named 'label' is used "
                                                  "when omitted")
        group.add_argument("--positive", help="label values with diffuse emission, comma-separated (default DE,DEU, "
                                              "or 1/true for 0/1 columns)")
        group.add_argument("--negative", help="label values without (default: every other non-empty value)")


def catalog_from_args(args: argparse.Namespace):
    """Read the catalogue named by the options of :func:`add_catalog_arguments`."""
    from ..cosmology import get_cosmology
    from ..targets.catalog import read_catalog

    return read_catalog(
        args.catalog, name_column=args.name_column, ra_column=args.ra_column, dec_column=args.dec_column,
        z_column=args.z_column, r500_column=args.r500_column, r500_unit=args.r500_unit,
        m500_column=args.m500_column, m500_unit=args.m500_unit, label_column=getattr(args, "label_column", None),
        positive=_split(getattr(args, "positive", None)), negative=_split(getattr(args, "negative", None)),
        frame=args.frame, coord_unit=args.coord_unit, format=args.table_format, readme=args.readme,
        cds_table=args.cds_table, cosmology=get_cosmology(args.h0, args.om0))


def print_catalog_report(command: str, catalog, *, limit: int = 20) -> None:
    """Say how many targets were read and list the skipped rows (the first ``limit``)."""
    from ..targets.catalog import format_rejected

    meta = catalog.meta
    print(f"{meta.get('source')}: {len(catalog)} targets of {meta.get('n_input')} rows "
          f"(columns: {', '.join(f'{k}={v}' for k, v in meta.get('columns', {}).items() if v)})")
    if meta.get("rejected"):
        print(f"radio-unet {command}: " + format_rejected(meta["rejected"], limit=limit), file=sys.stderr)
    if meta.get("unlabelled"):
        print(f"radio-unet {command}: {len(meta['unlabelled'])} target(s) without a usable label (measured, left "
              "out of the sweep):", file=sys.stderr)
        for line in meta["unlabelled"][:limit]:
            print(f"  {line}", file=sys.stderr)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``targets``."""
    add_catalog_arguments(parser)
    parser.add_argument("--size", type=int, default=960, help="cut-out side in pixels (default 960)")
    parser.add_argument("--fit-radius", action="store_true",
                        help="enlarge the cut-out of a target whose R circle does not fit in --size (nearby clusters)")
    parser.add_argument("--radius-r500", type=float, default=2.2, help="radius of R in units of R500 (default 2.2)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="R threshold of a detection (default 0.015, the paper's)")
    parser.add_argument("--prob-threshold", type=float, default=0.5,
                        help="probability of the mask, the contour and npix_above (default 0.5)")
    parser.add_argument("--model", default="default", help="shipped model name or path to .safetensors/folder")
    parser.add_argument("--probabilities", metavar="DIR",
                        help="reuse <stem>.prob.fits maps from DIR (stem of the target or of its source image) "
                             "instead of segmenting")
    parser.add_argument("--tiling", choices=["window", "paper"], default="window", help="inference tiling")
    add_inference_options(parser)
    parser.add_argument("--workers", type=int, default=1, help="targets in parallel on a local Dask cluster")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler")
    parser.add_argument("--no-png", action="store_true", help="skip the per-target figures and the gallery")
    parser.add_argument("--overwrite", action="store_true", help="redo finished cut-outs, maps and figures")
    add_image_options(parser)


def _fmt(value, spec=".4f") -> str:
    try:
        return format(float(value), spec)
    except (TypeError, ValueError):
        return "n/a"


def run(args: argparse.Namespace) -> int:
    """Run the chain over every target; report skipped rows, targets off the images and failures."""
    from ..io.atomic import signals_interrupt
    from ..models.registry import resolve_model
    from ..targets.pipeline import run_targets
    from ..targets.sweep import PAPER_THRESHOLD

    catalog = catalog_from_args(args)
    print_catalog_report("targets", catalog)
    if args.probabilities is None:
        resolve_model(args.model)  # fail early, once, on a wrong model name
    threshold = PAPER_THRESHOLD if args.threshold is None else args.threshold
    with signals_interrupt():  # SIGTERM/SIGHUP unwind like Ctrl-C: no temporary file is left behind
        result = run_targets(
            catalog, args.images, args.out, size=args.size, radius_r500=args.radius_r500, threshold=threshold,
            prob_threshold=args.prob_threshold, model=args.model, probabilities=args.probabilities,
            segment_options={"tiling": args.tiling, **inference_options(args)},
            read_options=image_options(args), workers=args.workers, scheduler=args.scheduler, png=not args.no_png,
            overwrite=args.overwrite, h0=args.h0, om0=args.om0, fit_radius=args.fit_radius)
    for path, message in result["bad_images"]:
        print(f"radio-unet targets: warning: skipped image {message}", file=sys.stderr)
    table, summary = result["table"], result["summary"]
    unmeasured = [r for r in table if r["status"] not in ("ok",) and not r["status"].startswith("failed")]
    if unmeasured:
        print(f"radio-unet targets: {len(unmeasured)} target(s) not measured:", file=sys.stderr)
        for r in unmeasured[:50]:
            print(f"  {r['name']} (RA {r['ra']:.5f}, Dec {r['dec']:.5f}): {r['status']}", file=sys.stderr)
        if len(unmeasured) > 50:
            print(f"  ... and {len(unmeasured) - 50} more (see targets.ecsv)", file=sys.stderr)
    for item, message in result["failures"]:
        text = message if item["name"] in message else f"{item['name']}: {message}"
        print(f"radio-unet targets: error: {text}", file=sys.stderr)
    partial = [r for r in table if r["status"] == "ok" and r["coverage"] < 0.9]
    if partial:
        print(f"radio-unet targets: note: {len(partial)} target(s) have less than 90% of their circle covered "
              "(image edge, blanks, or a circle larger than the cut-out: see the coverage column; "
              "--fit-radius enlarges the cut-outs)", file=sys.stderr)
    print(f"{summary['n_measured']} of {len(table)} targets measured; {summary['n_detected']} detected "
          f"(R >= {threshold:g} within {args.radius_r500:g} R500)")
    if result["sweep"] is not None:
        best, at = summary["best"], summary["at_threshold"]
        print(f"labelled: {summary['n_positive']} positive, {summary['n_negative']} negative; median R "
              f"{_fmt(summary['median_R_positive'])} vs {_fmt(summary['median_R_negative'])}; "
              f"KS D={_fmt(summary['ks_statistic'], '.3f')} p={_fmt(summary['ks_pvalue'], '.3g')}")
        print(f"at R >= {threshold:g}: accuracy {_fmt(at['accuracy'], '.3f')}, precision {_fmt(at['precision'], '.3f')}, "
              f"recall {_fmt(at['recall'], '.3f')}, F1 {_fmt(at['f1'], '.3f')}")
        print(f"best accuracy {_fmt(best['accuracy'], '.3f')} at R >= {best['threshold']:.4g} (precision "
              f"{_fmt(best['precision'], '.3f')}, recall {_fmt(best['recall'], '.3f')}, F1 {_fmt(best['f1'], '.3f')})")
    print(f"wrote {result['paths']['table']}")
    return 2 if result["failures"] else 0
