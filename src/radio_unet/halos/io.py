"""Files of the halo classifiers: saved models (safetensors + JSON card), result tables, prediction inputs.

A halo model is a folder (or ``NAME.safetensors`` + ``NAME.json``) like the segmentation models
(:mod:`radio_unet.models.serialize`): the weights carry no code, the card the sha256 of the weights, the
architecture, the preprocessing and the cross-validated scores.
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path

import numpy as np
import torch

from ..errors import InputError, RadioUNetError
from ..io.atomic import atomic_path
from ..jsonsafe import json_safe
from ..models.card import model_paths, sha256_file, software_versions, utc_now
from ..models.serialize import _default_permissions
from .data import BANDS, GleamObject, parse_name
from .models import build_classifier

__all__ = ["HALO_CARD_FORMAT", "save_halo_model", "load_halo_model", "read_halo_card", "write_table", "read_summary",
           "group_fits_files"]

#: Identifies the card layout of a halo classifier.
HALO_CARD_FORMAT = "radio-unet-halo-card/1"


def save_halo_model(path: str | PathLike, model: torch.nn.Module, card: dict) -> dict:
    """Save a classifier's weights (safetensors) and card (JSON) atomically.

    Parameters
    ----------
    path : str or path-like
        A folder, or a ``.safetensors``/``.json`` file name (:func:`radio_unet.models.serialize.model_paths`).
    model : torch.nn.Module
    card : dict
        Must hold ``architecture`` (the config of :func:`~radio_unet.halos.models.build_classifier`) and
        ``preprocessing``; ``format``, ``sha256``, ``weights_file``, ``created`` and ``software`` are filled in.

    Returns
    -------
    dict
        The card as written.
    """
    from safetensors.torch import save_file

    if "architecture" not in card or "preprocessing" not in card:
        raise RadioUNetError("a halo model card needs 'architecture' and 'preprocessing'")
    weights_path, card_path = model_paths(path)
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    with atomic_path(weights_path) as tmp:
        save_file(tensors, str(tmp), metadata={"format": "radio-unet-halos",
                                               "architecture": json.dumps(card["architecture"])})
        _default_permissions(tmp)
        digest = sha256_file(tmp)
    card = {"format": HALO_CARD_FORMAT, **card, "sha256": digest, "weights_file": weights_path.name,
            "created": utc_now(), "software": software_versions()}
    with atomic_path(card_path) as tmp:
        tmp.write_text(json.dumps(json_safe(card), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return card


def read_halo_card(path: str | PathLike) -> tuple[Path, Path, dict]:
    """The weights path, card path and card of a saved halo model (weights not read)."""
    weights_path, card_path = model_paths(path)
    if not card_path.exists():
        raise InputError(card_path if weights_path.exists() else path, "no such halo model (expected a folder with "
                         "model.safetensors and model.json, or NAME.safetensors next to NAME.json)")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(card_path, f"cannot read the model card ({exc})") from None
    if not isinstance(card, dict) or card.get("format") != HALO_CARD_FORMAT:
        raise InputError(card_path, "not a halo classifier card (radio-unet halos train makes one)")
    if card.get("weights_file"):
        weights_path = card_path.parent / card["weights_file"]
    return weights_path, card_path, card


def load_halo_model(path: str | PathLike) -> tuple[torch.nn.Module, dict]:
    """Load a classifier saved by :func:`save_halo_model`, checking the weights' sha256 against the card.

    Returns
    -------
    (torch.nn.Module, dict)
        The network in evaluation mode and its card.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    weights_path, card_path, card = read_halo_card(path)
    if not weights_path.exists():
        raise InputError(weights_path, f"weights file missing (named in {card_path.name})")
    if sha256_file(weights_path) != card.get("sha256"):
        raise InputError(weights_path, "sha256 does not match the card: the weights are corrupt or belong to another model")
    try:
        tensors = load_file(str(weights_path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputError(weights_path, f"unreadable safetensors file ({exc})") from None
    try:
        model = build_classifier(card["architecture"])
        model.load_state_dict(tensors, strict=True)
    except (RuntimeError, TypeError, KeyError) as exc:
        raise InputError(weights_path, f"weights do not fit the card's architecture ({str(exc).splitlines()[0]})") from None
    return model.eval(), card


def write_table(path: str | PathLike, rows: list[dict], meta: dict | None = None) -> Path:
    """Write rows (dicts with the same keys) as an ECSV table, atomically."""
    from astropy.table import Table

    table = Table(rows=rows) if rows else Table()
    if meta:
        table.meta.update(json_safe(meta))
    path = Path(path)
    with atomic_path(path) as tmp:
        table.write(tmp, format="ascii.ecsv")
    return path


def read_summary(path: str | PathLike) -> dict:
    """The cross-validated scores of a ``summary.ecsv``: ``{"settings": ..., "scores": {metric: {...}}}``."""
    from astropy.table import Table

    path = Path(path)
    if path.is_dir():
        path = path / "summary.ecsv"
    try:
        table = Table.read(path, format="ascii.ecsv")
    except Exception as exc:
        raise InputError(path, f"not a readable summary.ecsv ({type(exc).__name__})") from None
    if "metric" not in table.colnames:
        raise InputError(path, "not a halos cv summary (no 'metric' column)")
    scores = {str(r["metric"]): {k: float(r[k]) for k in ("value", "low", "high")} for r in table}
    return {"settings": dict(table.meta), "scores": scores}


def group_fits_files(paths: list[str | PathLike], bands: tuple[str, ...]) -> list[GleamObject]:
    """Group input files into objects for prediction.

    Files named like the GLEAM set (``<object>_Gleam<band>...``) are grouped by object; any other file is an
    object of its own, usable only by a single-band model.

    Raises
    ------
    radio_unet.errors.InputError
        A missing file, or an object without a band the model needs.
    """
    objects: dict[str, GleamObject] = {}
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise InputError(p, "no such file")
        try:
            obj, band = parse_name(p.name)
        except ValueError:
            obj, band = str(p), None
        item = objects.setdefault(obj, GleamObject(obj, -1, {}, "predict"))
        if band is None:
            if len(bands) != 1:
                raise InputError(p, f"the model needs the {len(bands)} bands {', '.join(bands)} of each object, "
                                    "named <object>_Gleam<band>...fits; this name gives no band")
            band = bands[0]
        item.files[band] = p
    for item in objects.values():
        missing = [b for b in bands if b not in item.files]
        if missing:
            first = next(iter(item.files.values()))
            raise InputError(first, f"object {Path(item.object_id).name} lacks band(s) {', '.join(missing)} "
                                    f"that the model needs ({', '.join(bands)})")
    return list(objects.values())
