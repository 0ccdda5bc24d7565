"""The model card: a JSON file next to the weights that says what the model is and how it was made.

A card records everything needed to use a trained model correctly on new
images (the architecture, the normalisation, the pixel scale and beam of the
training images) and to trust it (data set, seed, command, metrics, software
versions, the sha256 of the weights file, the date).

Finding and reading a card (:func:`read_card`) and checking the weights it
names (:func:`check_weights`) need no PyTorch: the ONNX inference path uses
them without importing it; :mod:`.serialize` loads the network itself.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path
from typing import Any, Mapping

from ..errors import InputError, RadioUNetError
from ..jsonsafe import json_safe
from .config import UNetConfig

__all__ = ["ModelCard", "CARD_FORMAT", "software_versions", "utc_now", "default_classes", "DIFFUSE_NAMES", "COMPONENT_NAMES",
           "WEIGHTS_NAME", "CARD_NAME", "sha256_file", "model_paths", "read_card", "check_weights"]

#: Identifies the card layout; bump on incompatible changes.
CARD_FORMAT = "radio-unet-model-card/1"


def utc_now() -> str:
    """The current UTC time as an ISO 8601 string with seconds."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def software_versions() -> dict[str, str]:
    """Versions of Python, radio-unet and the numerical libraries in use."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in ("radio-unet", "torch", "lightning", "numpy", "astropy", "safetensors", "onnx", "onnxruntime"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


#: Class names of the diffuse-emission classes of a classification network.
DIFFUSE_NAMES = ("radio halo", "relic", "mini-halo", "bridge/filament")
#: Names of the classes of :class:`radio_unet.sky.Component`, by value.
COMPONENT_NAMES = ("background", *DIFFUSE_NAMES, "radio galaxy", "compact source", "Galactic foreground")


def default_classes(n_classes: int) -> list[str]:
    """Channel names of a network with ``n_classes`` outputs: the paper's two, or the components of the label maps.

    Examples
    --------
    >>> default_classes(2)
    ['background', 'diffuse emission']
    >>> default_classes(8)[5]
    'radio galaxy'
    """
    if n_classes == 2:
        return ["background", "diffuse emission"]
    if n_classes == len(COMPONENT_NAMES):
        return list(COMPONENT_NAMES)
    return ["background", *(f"class {i}" for i in range(1, n_classes))]


@dataclass
class ModelCard:
    """What a saved model is and how it was trained.

    Parameters
    ----------
    architecture : UNetConfig
        The network (filled from the model by :func:`~radio_unet.models.save_model`).
    normalization : dict, optional
        Input normalisation, ``{"vmin": 1e-10, "vmax": 1e-5, "unit": "Jy/pixel"}``
        or ``{"kind": "snr", ...}`` (see :class:`radio_unet.data.Normalization`).
    classes : list of str, optional
        Name of every output channel; ``None``: background and diffuse
        emission (:func:`default_classes`). A classification network has the
        classes of :class:`radio_unet.sky.Component`.
    pixel_scale_arcsec : float, optional
        Pixel size of the training images.
    beam_arcsec : dict, optional
        Restoring beam of the training images, ``{"major", "minor", "pa"}``
        (arcsec, arcsec, deg).
    tile : int, optional
        Training tile size in pixels.
    dataset : dict, optional
        Data set path, number of images and tiles, split image ids.
    seed : int, optional
        Random seed of the training run.
    command : str, optional
        The command line (or call) that trained the model.
    metrics : dict
        Final and best metrics (losses, IoU).
    training : dict
        Training settings (epochs, batch size, optimiser, precision, wall time).
    software : dict
        Software versions (filled on save).
    sha256 : str, optional
        SHA-256 of the weights file (filled on save, checked on load).
    weights_file : str, optional
        File name of the weights, relative to the card (filled on save).
    created : str, optional
        UTC date and time of saving (filled on save).
    notes : str, optional
        Free text.
    extra : dict
        Any other JSON-serialisable information.
    format : str
        Card layout identifier, :data:`CARD_FORMAT`.
    """

    architecture: UNetConfig = field(default_factory=UNetConfig)
    normalization: dict | None = None
    classes: list | None = None
    pixel_scale_arcsec: float | None = None
    beam_arcsec: dict | None = None
    tile: int | None = None
    dataset: dict | None = None
    seed: int | None = None
    command: str | None = None
    metrics: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    software: dict = field(default_factory=dict)
    sha256: str | None = None
    weights_file: str | None = None
    created: str | None = None
    notes: str | None = None
    extra: dict = field(default_factory=dict)
    format: str = CARD_FORMAT

    def class_names(self) -> list[str]:
        """Name of every output channel."""
        return list(self.classes) if self.classes else default_classes(self.architecture.n_classes)

    def diffuse_channels(self) -> list[int]:
        """The output channels whose probabilities sum to the probability of diffuse emission."""
        names = self.class_names()
        if len(names) == 2:
            return [1]
        return [i for i, name in enumerate(names) if name in DIFFUSE_NAMES]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        out = asdict(self)
        out["architecture"] = self.architecture.to_dict()
        return out

    def to_json(self) -> str:
        """Pretty JSON text (strict: NaN and infinities become ``null``)."""
        return json.dumps(json_safe(self.to_dict()), indent=2, sort_keys=False, allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "ModelCard":
        """Build from a dictionary; unknown top-level keys are kept in ``extra``."""
        values = dict(values)
        if "architecture" not in values:
            raise RadioUNetError("model card has no 'architecture' entry")
        fmt = values.get("format", CARD_FORMAT)
        if not str(fmt).startswith("radio-unet-model-card/"):
            raise RadioUNetError(f"not a radio-unet model card (format {fmt!r})")
        arch = values.pop("architecture")
        arch = arch if isinstance(arch, UNetConfig) else UNetConfig.from_dict(arch)
        known = {f.name for f in fields(cls)}
        extra = dict(values.pop("extra", None) or {})
        for key in list(values):
            if key not in known:
                extra[key] = values.pop(key)
        return cls(architecture=arch, extra=extra, **values)

    @classmethod
    def from_json(cls, text: str) -> "ModelCard":
        """Inverse of :meth:`to_json`."""
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RadioUNetError(f"model card is not valid JSON ({exc})") from None
        if not isinstance(values, dict):
            raise RadioUNetError("model card is not a JSON object")
        return cls.from_dict(values)


#: Default file names inside a model folder.
WEIGHTS_NAME = "model.safetensors"
CARD_NAME = "model.json"


def sha256_file(path: str | PathLike, *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def model_paths(path: str | PathLike) -> tuple[Path, Path]:
    """The weights and card paths that belong to ``path``.

    Parameters
    ----------
    path : str or path-like
        A folder (``model.safetensors`` and ``model.json`` inside it), a
        ``.safetensors`` file (card: same name with ``.json``) or a ``.json``
        card (weights: same name with ``.safetensors``).

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        ``(weights, card)``.
    """
    path = Path(path)
    if path.is_dir() or (not path.suffix and not path.exists()):
        return path / WEIGHTS_NAME, path / CARD_NAME
    if path.suffix == ".json":
        return path.with_suffix(".safetensors"), path
    if path.suffix == ".safetensors":
        return path, path.with_suffix(".json")
    raise RadioUNetError(f"{path}: a model is a folder, a .safetensors file or a .json model card")


def read_card(path: str | PathLike) -> tuple[Path, Path, ModelCard]:
    """Read the model card of a saved model, without loading (or checking) its weights.

    Parameters
    ----------
    path : str or path-like
        Model folder, ``.safetensors`` file or ``.json`` card (see :func:`model_paths`).

    Returns
    -------
    (pathlib.Path, pathlib.Path, ModelCard)
        The weights path the card refers to (not checked to exist), the card path and the card.

    Raises
    ------
    radio_unet.errors.InputError
        Missing or unreadable card.
    """
    weights_path, card_path = model_paths(path)
    if not card_path.exists():
        if weights_path.exists():
            raise InputError(card_path, f"model card missing: {weights_path.name} needs its {card_path.name} next to it")
        raise InputError(weights_path, "no such model (expected a model folder, .safetensors file or .json card)")
    try:
        card = ModelCard.from_json(card_path.read_text(encoding="utf-8"))
    except RadioUNetError as exc:
        raise InputError(card_path, str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(card_path, f"cannot read the model card ({exc})") from None
    if card.weights_file and card_path.suffix == ".json":
        weights_path = card_path.parent / card.weights_file
    return weights_path, card_path, card


def check_weights(weights_path: Path, card_path: Path, card: ModelCard, *, verify: bool = True) -> None:
    """Raise unless the weights file named by a card exists and (``verify``) has the card's sha256.

    Parameters
    ----------
    weights_path, card_path : pathlib.Path
        As returned by :func:`read_card`.
    card : ModelCard
        The card read from ``card_path``.
    verify : bool
        Compare the sha256 of the weights with the card's.

    Raises
    ------
    radio_unet.errors.InputError
        Missing weights, a card without sha256 (with ``verify``) or a mismatch.
    """
    if not weights_path.exists():
        raise InputError(weights_path, f"weights file missing (named in {card_path.name})")
    if verify:
        if not card.sha256:
            raise InputError(card_path, "the card has no sha256 of the weights; cannot verify them (use verify=False to skip)")
        digest = sha256_file(weights_path)
        if digest != card.sha256:
            raise InputError(
                weights_path,
                f"sha256 {digest[:16]}... does not match the card's {card.sha256[:16]}...: "
                "the weights file is corrupt or belongs to another model",
            )
