"""Options shared by several subcommands."""

from __future__ import annotations

import argparse

from ..io import Beam, parse_beam, parse_plane

__all__ = ["add_image_options", "image_options", "add_inference_options", "inference_options"]


def add_image_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--beam``, ``--unit`` and ``--plane``: how to read images whose headers are incomplete."""
    group = parser.add_argument_group("image reading")
    group.add_argument(
        "--beam",
        metavar="BMAJ[,BMIN,BPA]",
        help="restoring beam in arcsec, arcsec, deg (overrides the header; needed when it has none)",
    )
    group.add_argument(
        "--unit",
        choices=["Jy/beam", "Jy/pixel"],
        help="brightness unit (overrides BUNIT; needed when BUNIT is missing or unknown)",
    )
    group.add_argument(
        "--plane",
        metavar="AXIS=INDEX",
        help="plane to keep of a non-degenerate extra axis, e.g. FREQ=0 (0-based)",
    )


def image_options(args: argparse.Namespace) -> dict:
    """Keyword arguments for :func:`radio_unet.io.read_image` from parsed options."""
    beam: Beam | None = parse_beam(args.beam) if getattr(args, "beam", None) else None
    return {"beam": beam, "unit": getattr(args, "unit", None), "plane": parse_plane(getattr(args, "plane", None))}


def add_inference_options(parser: argparse.ArgumentParser) -> None:
    """Register ``--device``, ``--backend``, ``--precision``, ``--tta`` and ``--compile`` (how the network runs)."""
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--backend", choices=["auto", "torch", "onnx"], default="auto",
                        help="inference backend (auto: ONNX Runtime for float32 and int8 on a CPU, exported once per "
                             "model into ~/.cache/radio-unet or $RADIO_UNET_CACHE; PyTorch on a GPU or with bf16)")
    parser.add_argument("--precision", choices=["32", "bf16", "int8"], default="32",
                        help="32 (default); bf16: PyTorch autocast (AVX-512 BF16 CPUs, GPUs); int8: ONNX Runtime, "
                             "calibrated once per model on simulated fields (about 2x faster on CPUs with VNNI)")
    parser.add_argument("--tta", action="store_true",
                        help="test-time augmentation: average the network over the eight flips and quarter turns of "
                             "each window (8x the work; a little more accurate)")
    parser.add_argument("--compile", action="store_true",
                        help="run the PyTorch backend through torch.compile: the first window of each shape is "
                             "compiled (about 30 s on a CPU, which needs a C++ compiler; with --tta a non-square "
                             "window has two shapes), the rest run faster")


def inference_options(args: argparse.Namespace) -> dict:
    """The options of :func:`add_inference_options` as keyword arguments.

    A backend that cannot run the precision is an error here, once, before any file is read.
    """
    from ..segment.load import choose_backend

    choose_backend(args.backend, device=args.device, precision=args.precision, compile=args.compile)
    return {"backend": args.backend, "device": args.device, "precision": args.precision, "tta": args.tta,
            "compile": args.compile}
