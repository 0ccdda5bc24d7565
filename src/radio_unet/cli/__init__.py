"""The ``radio-unet`` command line.

Each subcommand lives in its own module of this package with
``add_arguments(parser)`` and ``run(args) -> int``; modules are imported only
when needed so that ``radio-unet --help`` stays fast. Errors the user can fix
(:class:`radio_unet.errors.RadioUNetError`) are printed as one line and the
exit status is 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Iterable, Sequence

from .. import __version__
from ..errors import RadioUNetError

__all__ = ["main", "build_parser", "COMMANDS"]

#: name -> one-line description. The module ``radio_unet.cli.<name>`` implements it.
COMMANDS: dict[str, str] = {
    "info": "Describe FITS images: shape, pixel scale, beam, unit, frequency, centre, blanks, noise.",
    "simulate": "Make synthetic LOFAR observations (image, sky model, mask, labels) for training.",
    "train": "Train a Radio U-Net on a simulated or user data set.",
    "segment": "Segment FITS images into probability maps of diffuse emission.",
    "evaluate": "Score probability maps against true masks (IoU, source precision/recall, baselines).",
    "targets": "Per galaxy cluster: cut out, segment, detection ratio R within 2.2 R500, threshold sweep.",
    "cutout": "Cut square images around targets out of survey mosaics, WCS kept.",
    "calibrate": "Divide a model's training class weights out of its probabilities (prior correction of the head bias).",
    "merge": "Interpolate the weights of two fine-tunes of one network (WiSE-FT).",
    "finetune": "Fine-tune a trained model on a few real images with masks (top layers only).",
    "mask": "Make a 0/1 label mask from an image: k-sigma of a local rms map, islands, region.",
    "demo": "Simulate one LoTSS-like field, segment it with the shipped model, and show the result.",
    "counts": "Source counts below the noise: simulate fields, train, estimate N(S) per flux bin with intervals, evaluate.",
    "halos": "Radio-halo classifiers of MWA/GLEAM cut-outs: grouped cross-validation, training, prediction.",
}


#: Options of ``segment`` that leave no picture to draw in this process (the worker is then not forked early).
_SERIAL_OFF = {"--no-png", "--workers", "--scheduler", "-h", "--help"}


def _module(name: str):
    return importlib.import_module(f"{__name__}.{name}")


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """Build the argument parser.

    Parameters
    ----------
    commands : iterable of str, optional
        The subcommands whose options are registered (which imports their
        modules); default all. Every subcommand is listed either way.
    """
    parser = argparse.ArgumentParser(
        prog="radio-unet",
        description="Find faint diffuse radio emission (halos, relics, bridges, filaments) in radio images with a U-Net.",
    )
    parser.add_argument("--version", action="version", version=f"radio-unet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if commands is None or name in commands:
            _module(name).add_arguments(sp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # The top-level options take no values, so the first word that is not an option names the subcommand:
    # only its module is imported (train's pulls in Lightning, seconds that every other command need not pay).
    command = next((word for word in argv if not word.startswith("-")), None)
    if command == "segment" and not any(word.split("=")[0] in _SERIAL_OFF for word in argv):
        from ..plots.worker import prestart

        prestart()  # the picture worker imports matplotlib while this process imports astropy
    parser = build_parser([command] if command in COMMANDS else [])
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(_module(args.command).run(args) or 0)
    except RadioUNetError as exc:
        print(f"radio-unet {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"radio-unet {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
