"""Save and load trained models: safetensors weights plus a JSON model card.

``model.safetensors`` holds the tensors (no pickle: loading a model never runs
code from the file); ``model.json`` next to it is the :class:`ModelCard`,
which carries the sha256 of the weights file. :func:`load_model` refuses
weights whose checksum does not match their card.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from os import PathLike
from pathlib import Path

import torch

from ..errors import InputError, RadioUNetError
from ..io.atomic import atomic_path
from .card import CARD_NAME, WEIGHTS_NAME, ModelCard, check_weights, model_paths, read_card, sha256_file, software_versions, utc_now
from .unet import RadioUNet

__all__ = ["save_model", "save_derived_model", "load_model", "read_card", "model_paths", "sha256_file", "WEIGHTS_NAME", "CARD_NAME"]


def _default_permissions(path: Path) -> None:
    """Give ``path`` the permissions of a normally created file (safetensors writes 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def save_model(path: str | PathLike, model: RadioUNet, card: ModelCard | dict | None = None) -> ModelCard:
    """Save a model's weights (safetensors) and its card (JSON) atomically.

    Parameters
    ----------
    path : str or path-like
        Output ``.safetensors`` file or folder (see :func:`model_paths`).
    model : RadioUNet
        The network; its state dict (weights and batch-norm statistics) is saved.
    card : ModelCard or dict, optional
        What to record about the model. ``architecture`` (always taken from
        ``model.config``), ``sha256``, ``weights_file``, ``created`` and
        ``software`` are filled in here.

    Returns
    -------
    ModelCard
        The card as written.
    """
    if not isinstance(model, RadioUNet):
        raise RadioUNetError(f"save_model expects a RadioUNet, got {type(model).__name__}")
    from safetensors.torch import save_file

    weights_path, card_path = model_paths(path)
    if card is None:
        card = ModelCard(architecture=model.config)
    elif isinstance(card, dict):
        card = ModelCard.from_dict({"architecture": model.config, **card})
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    metadata = {"format": "radio-unet", "architecture": model.config.to_json()}
    with atomic_path(weights_path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
        _default_permissions(tmp)
        digest = sha256_file(tmp)
    card = replace(
        card,
        architecture=model.config,
        sha256=digest,
        weights_file=weights_path.name,
        created=utc_now(),
        software=software_versions(),
    )
    with atomic_path(card_path) as tmp:
        tmp.write_text(card.to_json(), encoding="utf-8")
    return card


def load_model(path: str | PathLike, *, device: str | torch.device = "cpu", verify: bool = True) -> tuple[RadioUNet, ModelCard]:
    """Load a model saved by :func:`save_model`.

    Parameters
    ----------
    path : str or path-like
        Model folder, ``.safetensors`` file or ``.json`` card.
    device : str or torch.device
        Where to put the weights.
    verify : bool
        Check the sha256 of the weights against the card (default). Turn off
        only for files you have changed on purpose.

    Returns
    -------
    (RadioUNet, ModelCard)
        The network in evaluation mode and its card.

    Raises
    ------
    radio_unet.errors.InputError
        Missing card or weights, unreadable card, checksum mismatch, corrupt
        weights, or weights that do not fit the architecture.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    weights_path, card_path, card = read_card(path)
    check_weights(weights_path, card_path, card, verify=verify)
    try:
        tensors = load_file(str(weights_path), device="cpu")
    except (SafetensorError, OSError, ValueError, json.JSONDecodeError) as exc:
        raise InputError(weights_path, f"corrupt or unreadable safetensors file ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    model = RadioUNet(card.architecture)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong = sorted(k for k in set(expected) & set(tensors) if tuple(expected[k].shape) != tuple(tensors[k].shape))
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}")
        if unexpected:
            parts.append(f"unexpected {', '.join(unexpected[:3])}{' ...' if len(unexpected) > 3 else ''}")
        if wrong:
            parts.append(f"wrong shape {', '.join(wrong[:3])}{' ...' if len(wrong) > 3 else ''}")
        raise InputError(weights_path, f"weights do not fit the card's architecture {card.architecture.name!r}: {'; '.join(parts)}")
    model.load_state_dict(tensors, strict=True)
    return model.to(device).eval(), card


def save_derived_model(path: str | PathLike, model: RadioUNet, source: ModelCard, key: str, record: dict,
                       note: str) -> ModelCard:
    """Save a model made from a trained one without training (calibrated, merged) under ``source``'s card.

    The card keeps ``source``'s data set, training and notes, records how the
    model was made as ``extra[key] = record``, puts ``note`` in front of the
    notes and empties ``metrics``: those of ``source`` were measured on other
    weights (``record`` may carry them).

    Parameters
    ----------
    path : str or path-like
        Output ``.safetensors`` file or folder.
    model : RadioUNet
        The derived network.
    source : ModelCard
        The card of the model it was derived from.
    key : str
        Name of the record in ``extra`` (``"calibration"``, ``"merge"``).
    record : dict
        What was done (method, parameters, source sha256s, command).
    note : str
        One sentence for the notes.

    Returns
    -------
    ModelCard
        The card as written (:func:`save_model`).
    """
    card = replace(source, metrics={}, notes=f"{note} {source.notes or ''}".strip(),
                   extra={**(source.extra or {}), key: record})
    return save_model(path, model, card)
