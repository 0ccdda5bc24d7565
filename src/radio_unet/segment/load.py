"""Find and load a model by name (shipped with the package) or path."""

from __future__ import annotations

import os
from pathlib import Path

from ..data.normalize import Normalization
from ..errors import RadioUNetError

__all__ = ["SHIPPED_DIR", "shipped_models", "resolve_model", "choose_backend", "cache_dir", "cached_onnx", "Segmenter", "load_segmenter"]

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


def choose_backend(backend: str, *, device: str = "cpu", precision: str = "32") -> str:
    """``auto``: ONNX Runtime for float32 on a CPU (the fastest there), PyTorch otherwise (GPU, bf16)."""
    if backend != "auto":
        return backend
    if str(device) == "cpu" and precision == "32":
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            return "torch"
        return "onnx"
    return "torch"


def cache_dir() -> Path:
    """Where derived files (ONNX exports) are kept: ``$RADIO_UNET_CACHE`` or ``~/.cache/radio-unet``."""
    root = os.environ.get("RADIO_UNET_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "radio-unet"
    return Path(root)


def cached_onnx(model, card) -> Path:
    """The ONNX export of ``model``, made once per weights file (keyed by its sha256) and kept in :func:`cache_dir`.

    Exporting takes seconds; a survey run with many workers or many
    ``radio-unet segment`` calls exports once. Models without a sha256 are
    exported to a fresh temporary file.
    """
    from ..models import export_onnx

    if card.sha256:
        path = cache_dir() / "onnx" / f"{card.sha256[:32]}.onnx"
        if path.exists():
            return path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return export_onnx(model, path, card=card)  # atomic: concurrent workers never see half a file
        except OSError:
            pass  # read-only home and the like: fall back to a temporary file
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="radio-unet-onnx-")) / "model.onnx"
    return export_onnx(model, path, card=card)


class Segmenter:
    """A loaded model ready to segment: predictor, normalisation and card."""

    def __init__(self, model, card, *, backend: str = "auto", device: str = "cpu", precision: str = "32"):
        from .predictors import make_predictor

        self.model, self.card = model, card
        self.normalization = Normalization.from_dict(card.normalization)
        self.divisor = card.architecture.divisor
        from .engine import window_pixels

        self.max_pixels = window_pixels(card.architecture.base_filters)
        self.backend = backend = choose_backend(backend, device=device, precision=precision)
        onnx_path = cached_onnx(model, card) if backend == "onnx" else None
        self.predict = make_predictor(model, backend=backend, device=device, precision=precision, onnx_path=onnx_path)

    def __call__(self, image, **options):
        """Probability map of a :class:`~radio_unet.io.RadioImage` (see :func:`segment_image`)."""
        from .engine import segment_image

        options.setdefault("max_pixels", self.max_pixels)
        return segment_image(image, self.predict, normalization=self.normalization, divisor=self.divisor, **options)


def load_segmenter(name_or_path: str | Path = "default", **kwargs) -> Segmenter:
    """Load a shipped or saved model as a :class:`Segmenter`."""
    from ..models import load_model

    model, card = load_model(resolve_model(name_or_path))
    return Segmenter(model, card, **kwargs)
