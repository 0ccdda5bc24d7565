"""Find and load a model by name (shipped with the package) or path."""

from __future__ import annotations

import importlib.util
import os
import shutil

import numpy as np
from pathlib import Path

from ..data.normalize import Normalization
from ..errors import RadioUNetError

__all__ = ["SHIPPED_DIR", "PRECISIONS", "shipped_models", "resolve_model", "choose_backend", "check_compile", "cache_dir",
           "calibration_images", "cached_onnx", "Segmenter", "load_segmenter"]

#: Folder of the models shipped inside the package (``<name>.safetensors`` + ``<name>.json``).
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "weights"


def shipped_models() -> list[str]:
    """Names of the models shipped with the package."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.safetensors"))


def resolve_model(name_or_path: str | Path) -> Path:
    """The weights file of a shipped model name (``default``) or a user path."""
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = SHIPPED_DIR / f"{name_or_path}.safetensors"
    if shipped.exists():
        return shipped
    names = ", ".join(shipped_models()) or "none"
    raise RadioUNetError(f"no model {str(name_or_path)!r}: not a file or folder, and not a shipped model (shipped: {names})")


#: Precisions per backend: torch runs float32 or bf16 autocast, ONNX Runtime float32 or int8.
PRECISIONS = {"torch": ("32", "bf16"), "onnx": ("32", "int8")}


def choose_backend(backend: str, *, device: str = "cpu", precision: str = "32", compile: bool = False) -> str:
    """The backend that runs ``precision`` on ``device``.

    ``auto``: ONNX Runtime for float32 and int8 on a CPU (the fastest there),
    PyTorch otherwise (GPU, bf16, or ``compile``: :func:`torch.compile`). An
    explicit backend is checked against the precision and ``compile``.
    """
    if compile:
        check_compile(backend, device=device, precision=precision)
    if backend == "auto":
        on_cpu = str(device) == "cpu" and precision in PRECISIONS["onnx"] and not compile
        backend = "onnx" if on_cpu and importlib.util.find_spec("onnxruntime") else "torch"
    if backend not in PRECISIONS:
        raise RadioUNetError(f"unknown backend {backend!r}: use 'auto', 'torch' or 'onnx'")
    if precision not in PRECISIONS[backend]:
        runs = ", ".join(f"{b}: {'/'.join(p)}" for b, p in PRECISIONS.items())
        raise RadioUNetError(f"precision {precision!r} does not run on the {backend} backend ({runs})")
    return backend


def check_compile(backend: str, *, device: str = "cpu", precision: str = "32") -> None:
    """Raise a clear error unless ``--compile`` (:func:`torch.compile`, PyTorch only) can run here.

    On a CPU, TorchInductor builds C++ kernels and needs a compiler (``$CXX``,
    ``g++``, ``c++`` or ``clang++``); without one it would fail only at the
    first window.
    """
    if backend == "onnx":
        raise RadioUNetError("--compile runs the PyTorch backend, not onnx: use --backend torch (or auto)")
    if precision not in PRECISIONS["torch"]:
        raise RadioUNetError(f"--compile runs the PyTorch backend, which runs precision 32 or bf16, not {precision}")
    compilers = [os.environ.get("CXX"), "g++", "c++", "clang++"]
    if str(device) == "cpu" and not any(c and shutil.which(c) for c in compilers):
        raise RadioUNetError("--compile on a CPU needs a C++ compiler (g++ or clang++, or $CXX); none was found")


def cache_dir() -> Path:
    """Where derived files (ONNX exports) are kept: ``$RADIO_UNET_CACHE`` or ``~/.cache/radio-unet``."""
    root = os.environ.get("RADIO_UNET_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "radio-unet"
    return Path(root)


def calibration_images(card, *, n: int = 6, seed: int = 20240820) -> list:
    """Normalised simulated fields for int8 calibration, observed at the model's pixel scale and beam.

    ``n`` fields of the ``lotss-6as-512`` sky (halos, relics, bridges, radio
    galaxies, compact sources; the default model's training distribution)
    with the pixel scale and beam of the model card, made with the fast
    image-plane route into a temporary folder (~1 s each) and normalised as
    the model expects.
    """
    import tempfile

    from ..io import read_image
    from ..simulate import get_preset, simulate_one
    from .engine import image_normalizer

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


def cached_onnx(model, card, *, precision: str = "32") -> Path:
    """The ONNX export of ``model``, made once per weights file (keyed by its sha256) and kept in :func:`cache_dir`.

    Exporting takes seconds (int8: a float32 export, then quantisation
    calibrated on :func:`calibration_images`, ~20 s); a survey run with many
    workers or many ``radio-unet segment`` calls does it once. Models without
    a sha256 are exported to a fresh temporary folder.
    """
    from ..models import export_onnx, quantize_onnx
    from ..models.export import EXPORT_REVISION

    def make(folder: Path, stem: str) -> Path:
        fp32 = folder / f"{stem}.onnx"
        if not fp32.exists():
            export_onnx(model, fp32, card=card)  # atomic: concurrent workers never see half a file
        if precision == "32":
            return fp32
        int8 = folder / f"{stem}.int8.onnx"
        return int8 if int8.exists() else quantize_onnx(fp32, int8, calibration_images(card))

    if card.sha256:
        try:
            folder = cache_dir() / "onnx"
            folder.mkdir(parents=True, exist_ok=True)
            return make(folder, f"{card.sha256[:32]}-r{EXPORT_REVISION}")
        except OSError:
            pass  # read-only home and the like: fall back to a temporary folder
    import tempfile

    return make(Path(tempfile.mkdtemp(prefix="radio-unet-onnx-")), "model")


class Segmenter:
    """A loaded model ready to segment: predictor, normalisation and card.

    With ``tta=True`` every window is predicted in the eight orientations of
    the square and the probabilities averaged (:func:`.predictors.symmetrized`:
    8x the work; +0.006 mean IoU for the shipped model on 660 unseen
    simulated fields, docs/model.md). ``compile=True`` runs the PyTorch
    backend through :func:`torch.compile` (:class:`.predictors.TorchPredictor`).
    """

    def __init__(self, model, card, *, backend: str = "auto", device: str = "cpu", precision: str = "32",
                 tta: bool = False, compile: bool = False):
        from .predictors import make_predictor, symmetrized

        self.model, self.card = model, card
        self.normalization = Normalization.from_dict(card.normalization)
        self.divisor = card.architecture.divisor
        from .engine import window_pixels

        self.max_pixels = window_pixels(card.architecture.base_filters)
        self.backend = backend = choose_backend(backend, device=device, precision=precision, compile=compile)
        onnx_path = cached_onnx(model, card, precision=precision) if backend == "onnx" else None
        #: A classification network (more than two classes) predicts every class: maps are (C, ny, nx).
        self.classes = card.class_names()
        self.multiclass = len(self.classes) > 2
        self.predict = make_predictor(model, backend=backend, device=device, precision=precision, onnx_path=onnx_path,
                                      compile=compile, all_classes=self.multiclass)
        self.tta = bool(tta)
        if self.tta:
            self.predict = symmetrized(self.predict)

    def __call__(self, image, **options):
        """Probability map of a :class:`~radio_unet.io.RadioImage` (see :func:`segment_image`): ``(ny, nx)`` of
        diffuse emission, or ``(C, ny, nx)`` of every class for a classification network (:meth:`diffuse`)."""
        from .engine import segment_image

        options.setdefault("max_pixels", self.max_pixels)
        return segment_image(image, self.predict, normalization=self.normalization, divisor=self.divisor, **options)


    def diffuse(self, probabilities: np.ndarray) -> np.ndarray:
        """Probability of diffuse emission from the output of :meth:`__call__` (the sum of the diffuse classes)."""
        if not self.multiclass:
            return probabilities
        return np.sum(np.asarray(probabilities)[self.card.diffuse_channels()], axis=0, dtype=np.float32)


def load_segmenter(name_or_path: str | Path = "default", **kwargs) -> Segmenter:
    """Load a shipped or saved model as a :class:`Segmenter`."""
    from ..models import load_model

    model, card = load_model(resolve_model(name_or_path))
    return Segmenter(model, card, **kwargs)
