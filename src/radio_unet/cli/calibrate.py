"""``radio-unet calibrate``: divide a model's training class weights out of its outputs (prior correction)."""

from __future__ import annotations

import argparse

__all__ = ["add_arguments", "run"]

_EPILOG = """\
A network trained with class weights (train --class-weights balanced) paints the
weighted classes wherever they are a few times less likely than the background:
the weights multiply their odds. This writes a copy of the model whose final
layer's bias divides the weights of the chosen classes out again (logit
adjustment), so that its probabilities are those of the unweighted task. The
card records the offsets and the source model's sha256.

example:
  radio-unet calibrate runs/multi --out runs/multi-calibrated
  radio-unet segment field.fits --model runs/multi-calibrated -o out/
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``calibrate``."""
    parser.epilog = _EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("model", help="trained model: a shipped name or a model folder / .safetensors file")
    parser.add_argument("--out", required=True, help="folder (or .safetensors file) of the calibrated model")
    parser.add_argument("--classes", default=None,
                        help="comma-separated names of the classes to correct (default: those of the diffuse classes "
                             "and Galactic foreground that the model has)")
    parser.add_argument("--alpha", type=float, default=1.0, help="fraction of the correction (default 1: all of it)")


def run(args: argparse.Namespace) -> int:
    """Calibrate and report the offsets."""
    import shlex
    import sys

    from ..models.calibrate import calibrate_model

    classes = [c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None
    command = "radio-unet " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    card = calibrate_model(args.model, args.out, calibrate=classes, alpha=args.alpha, command=command)
    offsets = card.extra["calibration"]["logit_offsets"]
    print(", ".join(f"{name} {o:+.3f}" for name, o in zip(card.classes, offsets)))
    print(f"model: {args.out}")
    return 0
