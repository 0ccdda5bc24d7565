"""The model registry: models shipped inside the package, found by name, or a user's saved model by path."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import RadioUNetError
from .card import CARD_FORMAT

__all__ = ["SHIPPED_DIR", "shipped_models", "resolve_model"]

#: Folder of the models shipped inside the package (``<name>.safetensors`` + ``<name>.json``).
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "weights"


def shipped_models(card_format: str | None = CARD_FORMAT) -> list[str]:
    """Names of the models shipped with the package.

    Parameters
    ----------
    card_format : str or None
        Only models whose card has this ``format`` (default: the U-Net's;
        the source-count and halo classifiers ship beside it with cards of
        their own); None: every shipped weights file.

    Returns
    -------
    list of str
        Sorted names, e.g. ``["default", "lotss-real", "paper-lite"]``.
    """
    names = sorted(p.stem for p in SHIPPED_DIR.glob("*.safetensors"))
    if card_format is None:
        return names
    return [n for n in names if _card_format(SHIPPED_DIR / f"{n}.json") == card_format]


def _card_format(path: Path) -> str | None:
    """The ``format`` of a card file (None when missing or unreadable)."""
    try:
        return json.loads(path.read_text()).get("format")
    except (OSError, ValueError, AttributeError):
        return None


def resolve_model(name_or_path: str | Path) -> Path:
    """The weights file of a shipped model name (``default``) or a user path.

    Parameters
    ----------
    name_or_path : str or path-like
        An existing file or folder (returned as it is), or the name of a
        shipped model.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    radio_unet.errors.RadioUNetError
        Neither an existing path nor a shipped model; the message lists the shipped names.
    """
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = SHIPPED_DIR / f"{name_or_path}.safetensors"
    if shipped.exists():
        return shipped
    names = ", ".join(shipped_models()) or "none"
    raise RadioUNetError(f"no model {str(name_or_path)!r}: not a file or folder, and not a shipped model (shipped: {names})")
