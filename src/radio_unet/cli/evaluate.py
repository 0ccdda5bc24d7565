"""``radio-unet evaluate``: score probability maps against true masks, next to the classical baselines."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..evaluate.metrics import PEAK_THRESHOLD
from .common import add_inference_options, inference_options

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``evaluate``."""
    one = parser.add_argument_group("one map")
    one.add_argument("--pred", help="probability map FITS (from radio-unet segment)")
    one.add_argument("--truth", help="true mask FITS (0/1)")
    one.add_argument("--image", help="observed image FITS, to score the baselines too (3 sigma, and the external ones)")
    many = parser.add_argument_group("a simulated data set")
    many.add_argument("--dataset", help="folder written by radio-unet simulate")
    many.add_argument("--model", default="default", help="shipped model name or path (default: default)")
    many.add_argument("--split", default="test", choices=["test", "val", "train", "all"],
                      help="which images: the model card's held-out split (default test) or all")
    parser.add_argument("--threshold", type=float, default=0.5, help="probability threshold (default 0.5)")
    parser.add_argument("--peak-threshold", type=float, default=PEAK_THRESHOLD,
                        help="also score the network's mask keeping only the islands whose highest probability "
                             f"reaches this (like PyBDSF's peak threshold; default {PEAK_THRESHOLD:g}, chosen on "
                             "simulated fields; 0 leaves that row out)")
    parser.add_argument("--tiling", choices=["window", "paper"], default="window", help="tiling scheme")
    parser.add_argument("--no-external", dest="external", action="store_false",
                        help="skip the external baselines (PyBDSF wavelet mode, breizorro) that are scored "
                             "by default when installed (pip install 'radio-unet[baselines]')")
    add_inference_options(many)
    parser.add_argument("-o", "--out", help="write the per-image table and the summary here (ECSV)")


def _write_tables(scores, summary, out: str | None) -> None:
    from astropy.table import Table

    from ..io.atomic import atomic_path

    if not out:
        return
    out_dir = Path(out)
    for name, frame in (("scores.ecsv", scores), ("summary.ecsv", summary)):
        with atomic_path(out_dir / name) as tmp:
            Table.from_pandas(frame).write(tmp, format="ascii.ecsv")
    from ..plots.evaluation import save_score_plot

    save_score_plot(scores, summary, out_dir / "scores.png")
    print(f"wrote {out_dir / 'scores.ecsv'}, {out_dir / 'summary.ecsv'} and {out_dir / 'scores.png'}")


def run(args: argparse.Namespace) -> int:
    """Score one map or a whole data set and print the summary table."""
    import pandas as pd

    from ..errors import RadioUNetError
    from ..evaluate.dataset import (card_split_ids, evaluate_dataset, evaluate_image, network_method, network_rows,
                                    summarize)
    from ..io import read_image

    if args.dataset:
        from ..segment import load_segmenter

        segmenter = load_segmenter(args.model, **inference_options(args))
        ids = None if args.split == "all" else card_split_ids(segmenter.card.dataset, args.split, args.dataset)
        scores = evaluate_dataset(args.dataset, predict_image=lambda im: segmenter(im, tiling=args.tiling), ids=ids,
                                  threshold=args.threshold, peak_threshold=args.peak_threshold, external=args.external,
                                  network=network_method(segmenter.tta),
                                  diffuse_channels=segmenter.card.diffuse_channels() if segmenter.multiclass else None)
    elif args.pred and args.truth:
        truth = read_image(args.truth).data > 0
        pred = read_image(args.pred)
        prob, network = pred.data, network_method(bool(pred.header.get("HIERARCH RUNET TTA", False)))
        if prob.shape != truth.shape:
            raise RadioUNetError(f"{args.pred}: shape {prob.shape} differs from the truth {args.truth} {truth.shape}")
        if args.image:
            rows = evaluate_image(prob, read_image(args.image), truth, threshold=args.threshold,
                                  peak_threshold=args.peak_threshold, external=args.external, network=network)
        else:
            rows = network_rows(prob, truth, threshold=args.threshold, peak_threshold=args.peak_threshold,
                                network=network)
        scores = pd.DataFrame([{"id": Path(args.pred).name, **r} for r in rows])
    else:
        raise RadioUNetError("give --pred and --truth (one map) or --dataset (a simulated data set)")
    summary = summarize(scores)
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.precision", 3):
        print(summary[["method", "images", "mean_iou", "pixel_precision", "pixel_recall", "source_precision", "source_recall"]].to_string(index=False))
    _write_tables(scores, summary, args.out)
    if "confusion" in scores.attrs:
        _report_classes(scores.attrs["confusion"], segmenter.classes, args.out)
    return 0


def class_tables(confusion, names):
    """Per-class IoU and the confusion matrix (rows: true class, columns: predicted) as pandas tables."""
    import numpy as np
    import pandas as pd

    from ..evaluate.metrics import class_iou

    confusion = np.asarray(confusion)
    per_class = pd.DataFrame({"class": list(names), "iou": class_iou(confusion), "true_pixels": confusion.sum(axis=1),
                              "predicted_pixels": confusion.sum(axis=0)})
    matrix = pd.DataFrame(confusion, columns=list(names))
    matrix.insert(0, "true class", list(names))
    return per_class, matrix


def _report_classes(confusion, names, out) -> None:
    """Print and write (``class_iou.ecsv``, ``confusion.ecsv``) the per-class IoU and confusion matrix."""
    import pandas as pd

    per_class, matrix = class_tables(confusion, names)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 3):
        print("\nper-class IoU (arg-max class map against the label maps, valid pixels of all images):")
        print(per_class.to_string(index=False))
        print("\nconfusion matrix (rows: true class, columns: predicted class; pixels):")
        print(matrix.to_string(index=False))
    if out:
        from astropy.table import Table

        from ..io.atomic import atomic_path

        for name, frame in (("class_iou.ecsv", per_class), ("confusion.ecsv", matrix)):
            with atomic_path(Path(out) / name) as tmp:
                Table.from_pandas(frame).write(tmp, format="ascii.ecsv")
