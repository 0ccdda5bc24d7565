"""Find and load a model by name (shipped with the package) or path."""

from __future__ import annotations

from pathlib import Path

from ..data.normalize import Normalization
from ..errors import RadioUNetError

__all__ = ["SHIPPED_DIR", "shipped_models", "resolve_model", "Segmenter", "load_segmenter"]

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


class Segmenter:
    """A loaded model ready to segment: predictor, normalisation and card."""

    def __init__(self, model, card, *, backend: str = "torch", device: str = "cpu", precision: str = "32"):
        from .predictors import make_predictor

        self.model, self.card = model, card
        self.normalization = Normalization.from_dict(card.normalization)
        self.divisor = card.architecture.divisor
        onnx_path = None
        if backend == "onnx":
            import tempfile

            from ..models import export_onnx

            onnx_path = Path(tempfile.mkdtemp(prefix="radio-unet-onnx-")) / "model.onnx"
            export_onnx(model, onnx_path, card=card)
        self.predict = make_predictor(model, backend=backend, device=device, precision=precision, onnx_path=onnx_path)

    def __call__(self, image, **options):
        """Probability map of a :class:`~radio_unet.io.RadioImage` (see :func:`segment_image`)."""
        from .engine import segment_image

        return segment_image(image, self.predict, normalization=self.normalization, divisor=self.divisor, **options)


def load_segmenter(name_or_path: str | Path = "default", **kwargs) -> Segmenter:
    """Load a shipped or saved model as a :class:`Segmenter`."""
    from ..models import load_model

    model, card = load_model(resolve_model(name_or_path))
    return Segmenter(model, card, **kwargs)
