"""Weight-space interpolation of two fine-tunes of one network (WiSE-FT).

Fine-tuning a network on new data (e.g. bright relics) teaches it the new
task and moves it away from what it did well before (e.g. real radio
galaxies). When both models descend from the same parent, the straight line
between their weights, ``(1 - t) theta_first + t theta_second``, keeps most of
the gains of both ends (Wortsman et al. 2022, "Robust fine-tuning of zero-shot
models"; Ilharco et al. 2023, "Editing models with task arithmetic"). The
batch-norm statistics and every other floating-point tensor are interpolated
the same way; the result is an ordinary model that every backend runs.
"""

from __future__ import annotations

from os import PathLike

from ..errors import RadioUNetError
from .card import ModelCard
from .registry import resolve_model

__all__ = ["check_mergeable", "merge_models"]


def check_mergeable(first: ModelCard, second: ModelCard, names: tuple[str, str] = ("first", "second")) -> None:
    """Raise unless the two cards describe the same network, classes and input normalisation.

    Parameters
    ----------
    first, second : ModelCard
        The cards of the two models.
    names : (str, str)
        How to name the models in the error message.
    """
    for what, a, b in (("architecture", first.architecture, second.architecture),
                       ("classes", first.classes, second.classes),
                       ("normalisation", first.normalization, second.normalization)):
        if a != b:
            raise RadioUNetError(f"{names[0]} and {names[1]} differ in their {what} ({a!r} against {b!r}): only "
                                 "fine-tunes of one network can be interpolated")
    calibrated = [bool((card.extra or {}).get("calibration")) for card in (first, second)]
    if calibrated[0] != calibrated[1]:
        raise RadioUNetError(f"{names[0]} is {'' if calibrated[0] else 'not '}calibrated and {names[1]} is "
                             f"{'' if calibrated[1] else 'not '}: interpolate two calibrated models or two raw ones")


def merge_models(
    first: str | PathLike,
    second: str | PathLike,
    out: str | PathLike,
    *,
    weight: float = 0.5,
    command: str | None = None,
) -> ModelCard:
    """Write ``(1 - weight) * first + weight * second``, weight by weight.

    Parameters
    ----------
    first, second : str or path-like
        Shipped model names or model folders / weights files: two fine-tunes of
        one network (:func:`check_mergeable`).
    out : str or path-like
        Output folder or ``.safetensors`` file.
    weight : float
        Position on the line from ``first`` (0) to ``second`` (1), in [0, 1].
    command : str, optional
        The command line recorded in the card.

    Returns
    -------
    ModelCard
        ``second``'s card (its data set, training and calibration) with
        ``extra["merge"]`` (method, weight, ``sources``: weight, sha256, notes
        and metrics of each model, the command), empty ``metrics`` (measure
        the merged model) and a note in front of the notes.
    """
    from .serialize import load_model, save_derived_model  # torch: only when merging

    weight = float(weight)
    if not 0.0 <= weight <= 1.0:
        raise RadioUNetError(f"the interpolation weight must lie in [0, 1], got {weight}")
    paths = resolve_model(first), resolve_model(second)
    (model_a, card_a), (model_b, card_b) = load_model(paths[0]), load_model(paths[1])
    check_mergeable(card_a, card_b, names=(str(paths[0]), str(paths[1])))
    state_a, state_b = model_a.state_dict(), model_b.state_dict()
    merged = {key: ((1.0 - weight) * a.double() + weight * state_b[key].double()).to(a.dtype)
              if a.is_floating_point() else state_b[key] for key, a in state_a.items()}
    model_b.load_state_dict(merged)
    sources = [{"weight": w, "sha256": c.sha256, "notes": c.notes, "metrics": c.metrics}
               for w, c in ((1.0 - weight, card_a), (weight, card_b))]
    info = {"method": "weight-space interpolation (WiSE-FT): (1 - weight) * first + weight * second", "weight": weight,
            "sources": sources, "command": command}
    note = (f"Interpolated weights: {1 - weight:g} x the model with sha256 {card_a.sha256} + {weight:g} x the model "
            f"with sha256 {card_b.sha256} (whose card this is; extra.merge).")
    return save_derived_model(out, model_b, card_b, "merge", info, note)
