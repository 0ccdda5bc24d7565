"""Options shared by several subcommands."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ..io import Beam, parse_beam, parse_plane, read_image

__all__ = ["add_image_options", "image_options", "add_inference_options", "inference_options", "calibration_images"]


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
    parser.add_argument("--tta", action=argparse.BooleanOptionalAction, default=None,
                        help="test-time augmentation: average the network over the eight flips and quarter turns of "
                             "each window (default: on; 8x the network's work, more accurate on every survey: "
                             "docs/model.md); --no-tta for speed")
    parser.add_argument("--compile", action="store_true",
                        help="run the PyTorch backend through torch.compile: the first window of each shape is "
                             "compiled (about 30 s on a CPU, which needs a C++ compiler; with --tta a non-square "
                             "window has two shapes), the rest run faster")


def inference_options(args: argparse.Namespace) -> dict:
    """The options of :func:`add_inference_options` as keyword arguments.

    A backend that cannot run the precision is an error here, once, before any file is read.
    """
    from ..segment.backends import DEFAULT_TTA, choose_backend

    choose_backend(args.backend, device=args.device, precision=args.precision, compile=args.compile)
    tta = DEFAULT_TTA if args.tta is None else bool(args.tta)
    return {"backend": args.backend, "device": args.device, "precision": args.precision, "tta": tta,
            "compile": args.compile, "calibration": calibration_images}


def calibration_images(card, *, n: int = 6, seed: int = 20240820) -> list:
    """Normalised simulated fields for int8 calibration, observed at the model's pixel scale and beam.

    The command line hands this function to the segmentation
    (:func:`radio_unet.segment.backends.cached_onnx`), which calls it only
    when it quantises a model, once per weights file: ``n`` fields of the
    ``lotss-6as-512`` sky (halos, relics, bridges, radio galaxies, compact
    sources; the default model's training distribution) with the pixel scale
    and beam of the model card, made with the fast image-plane route into a
    temporary folder (~1 s each) and normalised as the model expects.

    Parameters
    ----------
    card : radio_unet.models.ModelCard
        The model's card (pixel scale, beam, normalisation).
    n : int
        Number of fields.
    seed : int
        Random seed of the simulation (the same fields every time).

    Returns
    -------
    list of numpy.ndarray
        ``n`` normalised float32 images.
    """
    # Lazy: the simulation is heavy and only a first int8 run needs it; the other commands of this module's users
    # need no normalisation.
    from ..data.normalize import Normalization
    from ..segment.engine import image_normalizer
    from ..simulate import get_preset, simulate_one

    normalization = Normalization.from_dict(card.normalization)
    preset = get_preset("lotss-6as-512")
    if card.pixel_scale_arcsec and card.beam_arcsec:
        beam = round(float(card.beam_arcsec["major"]), 1)
        preset = preset.with_overrides(pixel_scale_arcsec=float(card.pixel_scale_arcsec), beams_arcsec=(beam,))
    images = []
    with tempfile.TemporaryDirectory(prefix="radio-unet-calib-") as tmp:
        for index in range(n):
            record = simulate_one(preset, index, seed=seed, route="image", out_dir=tmp)
            image = read_image(Path(tmp) / record["image"])
            images.append(image_normalizer(image, normalization)(image.data))
    return images
