"""``radio-unet segment``: probability maps of diffuse emission for FITS images."""

from __future__ import annotations

import argparse
import sys

from .common import add_image_options, add_inference_options, image_options, inference_options

__all__ = ["add_arguments", "run", "OFFSET_WARNING"]

#: |median| / rms of an image above which segment warns that its noise is not centred on zero (real LoTSS-DR1
#: cut-outs: +0.02 and +0.16; the ATCA Scorpio fields of ../shared/data: +0.8 to +1.1).
OFFSET_WARNING = 0.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``segment``."""
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="FITS images (any size, any resolution)")
    parser.add_argument("-o", "--out", default="segmented", help="output folder (default: segmented)")
    parser.add_argument("--model", default="default", help="shipped model name or path to .safetensors/folder")
    parser.add_argument("--tiling", choices=["window", "paper"], default="window",
                        help="window: large windows with cropped margins (fast); paper: 192 tiles at stride 96")
    parser.add_argument("--threshold", type=float, default=0.5, help="probability threshold of the mask (default 0.5)")
    parser.add_argument("--peak-threshold", type=float, default=None, metavar="P",
                        help="keep only the islands of the mask whose highest probability reaches P, like PyBDSF's "
                             "peak threshold (0.8 scores best on simulated fields, docs/model.md; default: every island)")
    add_inference_options(parser)
    parser.add_argument("--workers", type=int, default=1, help="files in parallel on a local Dask cluster")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler")
    parser.add_argument("--no-png", action="store_true", help="skip the pictures")
    parser.add_argument("--overwrite", action="store_true", help="redo finished outputs")
    parser.add_argument("--subtract-median", action="store_true",
                        help="subtract the image's 3-sigma clipped median first: for images whose noise is not "
                             "centred on zero (segment warns above %g sigma), which the network reads as diffuse "
                             "emission everywhere" % OFFSET_WARNING)
    parser.add_argument("--no-artefact-check", dest="artefact_check", action="store_false",
                        help="keep islands that the negated image repeats around a bright source, and straight "
                             "streaks pointing at one from more sides than chance explains (by default they are "
                             "removed as calibration artefacts and outlined in <stem>.artefacts.reg)")
    parser.add_argument("--no-flatten", dest="flatten_noise", action="store_false",
                        help="give the network the image as it is even where its noise changes across the field (by "
                             "default a smooth fit to the noise, e.g. of a primary-beam-corrected pointing, is divided "
                             "out first where it varies by 10%% or more: docs/model.md)")
    add_image_options(parser)


class _Job:
    """Picklable per-file job for Dask."""

    def __init__(self, args: argparse.Namespace):
        self.out = args.out
        self.kwargs = dict(model=args.model, tiling=args.tiling, threshold=args.threshold, peak_threshold=args.peak_threshold,
                           read_options=image_options(args),
                           png=not args.no_png, overwrite=args.overwrite, subtract_median=args.subtract_median,
                           artefact_check=args.artefact_check, flatten_noise=args.flatten_noise,
                           **inference_options(args))
        self.pictures = None  # a PictureWorker when the files run in this process

    def __call__(self, path: str) -> dict:
        from ..segment.run import segment_file

        draw = self.pictures.drawer(path) if self.pictures is not None else None
        return segment_file(path, self.out, draw=draw, **self.kwargs)


def run(args: argparse.Namespace) -> int:
    """Segment every input; bad files are reported and the others finish."""
    from ..io.atomic import signals_interrupt
    from ..models.registry import resolve_model
    from ..parallel import run_parallel
    from ..plots.worker import picture_worker

    resolve_model(args.model)  # fail early, once, on a wrong model name
    job = _Job(args)
    serial = args.workers <= 1 and args.scheduler is None
    # SIGTERM/SIGHUP unwind like Ctrl-C: no temporary file is left behind. In one process the pictures are drawn by
    # a forked worker (started by cli.main before astropy's import where it can): matplotlib's import and the
    # drawing overlap the network and the next file.
    with signals_interrupt(), picture_worker(enabled=serial and not args.no_png) as pictures:
        job.pictures = pictures
        results, failures = run_parallel(job, args.inputs, workers=args.workers, scheduler=args.scheduler,
                                         desc="segment", unit="image")
        failures += pictures.wait()
    for r in results:
        state = "already done" if r["skipped"] else f"{100 * r['fraction_above']:.2f}% above threshold"
        print(f"{r['input']}: {r['prob']} ({state})")
        if r.get("artefacts"):
            brightest = max(a["source_peak"] for a in r["artefacts"])
            how = " or ".join(dict.fromkeys({"sign-symmetric": "the negated image repeats them",
                                             "radial": "they are streaks pointing at it"}[a.get("test", "sign-symmetric")]
                                            for a in r["artefacts"]))
            print(f"  {len(r['artefacts'])} island(s) removed as calibration artefacts of a source of up to "
                  f"{brightest:.0f} sigma: {how} (outlines: {r['artefacts_reg']}; --no-artefact-check keeps them)")
        if r.get("noise_flattening") == "done":
            print(f"  its noise varies {r['noise_variation']:.2f}x across the image: segmented with a smooth fit to it "
                  "divided out (--no-flatten gives the image as it is)")
        elif str(r.get("noise_flattening", "")).startswith("skipped"):
            print(f"  its noise varies {r['noise_variation']:.2f}x across the image; not flattened ({r['noise_flattening']}): "
                  "segment the apparent (uncorrected) image or cut the image into pieces")
        if str(r.get("artefact_check", "")).startswith("skipped"):
            print(f"  artefact check {r['artefact_check']}: cut the image into pieces to have it checked")
        level = r.get("background_sigma", 0.0)
        if abs(level) > OFFSET_WARNING and not args.subtract_median:
            print(f"radio-unet segment: warning: {r['input']}: its noise sits at {level:+.2f} sigma, not at zero; the "
                  "network reads such an offset as diffuse emission everywhere. If it is not emission, rerun with "
                  "--subtract-median --overwrite", file=sys.stderr)
    for path, message in failures:
        print(f"radio-unet segment: error: {message if str(path) in message else f'{path}: {message}'}", file=sys.stderr)
    return 2 if failures else 0
