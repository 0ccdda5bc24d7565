"""``radio-unet merge``: interpolate the weights of two fine-tunes of one network (WiSE-FT)."""

from __future__ import annotations

import argparse

__all__ = ["add_arguments", "run"]

_EPILOG = """\
Fine-tuning on new data teaches a network the new task and moves it away from
what it did well before. Two fine-tunes of the same parent can be mixed weight
by weight: (1 - weight) * FIRST + weight * SECOND keeps much of both (Wortsman
et al. 2022). Both models must have the same architecture, classes and input
normalisation, and be calibrated alike. The card is SECOND's, with the merge
recorded (weight, both sha256).

example:
  radio-unet merge default runs/bright-calibrated --weight 0.5 --out runs/merged
  radio-unet segment field.fits --model runs/merged -o out/
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``merge``."""
    parser.epilog = _EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("first", help="model at weight 0: a shipped name or a model folder / .safetensors file")
    parser.add_argument("second", help="model at weight 1 (its card is kept)")
    parser.add_argument("--weight", type=float, default=0.5, help="position between FIRST (0) and SECOND (1); default 0.5")
    parser.add_argument("--out", required=True, help="folder (or .safetensors file) of the merged model")


def run(args: argparse.Namespace) -> int:
    """Merge and say where the model went."""
    import shlex
    import sys

    from ..models.merge import merge_models

    command = "radio-unet " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    card = merge_models(args.first, args.second, args.out, weight=args.weight, command=command)
    print(" + ".join(f"{s['weight']:g} x {s['sha256'][:12]}" for s in card.extra["merge"]["sources"]))
    print(f"model: {args.out}")
    return 0
