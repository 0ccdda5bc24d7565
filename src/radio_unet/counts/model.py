"""The trained counts model: embedding network, posterior flow and the talk's CNN, saved as one safetensors file.

A model folder (or a ``<name>.safetensors`` + ``<name>.json`` pair, as the
shipped ``counts-lotss-6as``) holds every tensor in safetensors (prefixes
``embed.``, ``flow.`` and ``talk.``; no pickle) and a JSON card: what the
model is for (preset, bins, the ranges of beam, pixel size and noise it was
trained on), how it was made (data, seed, command, wall time, software), how
it did on its validation fields, and the sha256 of the weights, checked on
load (:func:`radio_unet.models.card.check_weights`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np

from ..errors import InputError, RadioUNetError
from ..io.atomic import atomic_path
from ..jsonsafe import json_safe
from ..models.card import model_paths, sha256_file, software_versions, utc_now
from ..models.registry import SHIPPED_DIR
from .features import HIST_EDGES, context_vector, histogram_features, image_tiles, scale_pixels
from .npe import build_flow, sample_flow

__all__ = ["CountsCard", "CountsModel", "ResolutionError", "shipped_counts_models", "field_inputs", "save_counts_model",
           "load_counts_model", "resolve_counts_model", "DEFAULT_COUNTS_MODEL", "COUNTS_CARD_FORMAT"]

COUNTS_CARD_FORMAT = "radio-unet-counts-card/1"
#: The shipped model used when ``--model`` is not given.
DEFAULT_COUNTS_MODEL = "counts-lotss-6as"
N_HIST = len(HIST_EDGES) + 1
N_CONTEXT = 4


@dataclass
class CountsCard:
    """The card of a counts model (JSON next to the weights).

    Parameters
    ----------
    preset : dict
        The :class:`~radio_unet.counts.presets.CountsPreset` values (bins, field and tile size, ranges).
    family : str
        Count family of the training fields.
    architecture : dict
        Widths of the embedding and the flow.
    y_mean, y_std : list of float
        Standardisation of the targets for the embedding.
    prior_low, prior_high : list of float
        The flow's support box.
    talk_scale : list of float
        Training means of dN/dS per bin (the talk CNN's units).
    talk_residuals : dict
        Quantiles (2.5, 16, 84, 97.5%) of ``log10`` (truth / talk CNN) on the
        validation fields: the intervals of the baseline.
    trained_ranges : dict
        Beam (pixels), pixel size (arcsec) and noise (Jy/beam) of the training fields.
    dataset, seed, command, metrics, training, software, sha256, weights_file, created, notes :
        As the U-Net's :class:`~radio_unet.models.ModelCard`.
    """

    preset: dict
    family: str
    architecture: dict
    y_mean: list
    y_std: list
    prior_low: list
    prior_high: list
    talk_scale: list | None = None
    talk_residuals: dict | None = None
    trained_ranges: dict = field(default_factory=dict)
    dataset: dict = field(default_factory=dict)
    seed: int | None = None
    command: str | None = None
    metrics: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    software: dict = field(default_factory=dict)
    sha256: str | None = None
    weights_file: str | None = None
    created: str | None = None
    notes: str | None = None
    format: str = COUNTS_CARD_FORMAT

    def to_json(self) -> str:
        """Pretty JSON (NaN written as null, as in the U-Net's card)."""
        return json.dumps(json_safe(asdict(self)), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, path) -> "CountsCard":
        """Parse a card; a file that is not a counts card is an :class:`InputError`."""
        try:
            values = json.loads(text)
        except ValueError as exc:
            raise InputError(path, f"model card is not valid JSON ({exc})") from None
        if not isinstance(values, dict) or values.get("format") != COUNTS_CARD_FORMAT:
            raise InputError(path, "not a counts model card (a U-Net model? use a model made by 'radio-unet counts train')")
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


def field_inputs(image_sigma: np.ndarray, *, noise: float, beam_major_arcsec: float, beam_minor_arcsec: float,
                 pixel_scale_arcsec: float, tile: int) -> tuple[np.ndarray, np.ndarray]:
    """The network inputs of one field: scaled tiles and the histogram + context vector.

    Parameters
    ----------
    image_sigma : numpy.ndarray
        The field in units of the stated noise ``noise``.
    noise : float
        Stated noise (Jy/beam).
    beam_major_arcsec, beam_minor_arcsec, pixel_scale_arcsec : float
    tile : int

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``(n_tiles, tile, tile)`` float32 tiles and the ``N_HIST + N_CONTEXT`` vector.
    """
    tiles = image_tiles(image_sigma, tile)
    extra = np.concatenate([histogram_features(tiles), context_vector(noise, beam_major_arcsec, beam_minor_arcsec,
                                                                       pixel_scale_arcsec)])
    return scale_pixels(tiles), extra


class CountsModel:
    """A trained counts estimator.

    Parameters
    ----------
    card : CountsCard
    embed : TileSetEmbedding
    flow : torch.nn.Module
        The ``sbi`` density estimator.
    talk : TalkCNN or None
    """

    def __init__(self, card: CountsCard, embed, flow, talk=None):
        self.card, self.embed, self.flow, self.talk = card, embed, flow, talk

    @property
    def edges(self) -> np.ndarray:
        """Bin edges (Jy)."""
        return 10.0 ** np.asarray(self.card.preset["log_edges"], dtype=float)

    @property
    def tile(self) -> int:
        """Tile size (pixels)."""
        return int(self.card.preset["tile"])

    @property
    def field_tiles(self) -> int:
        """Number of tiles of a training field."""
        return (int(self.card.preset["npix"]) // self.tile) ** 2

    def summaries(self, tiles: np.ndarray, extra: np.ndarray, *, batch: int = 64) -> np.ndarray:
        """The flow's conditioning vectors: embedding outputs plus the context.

        Parameters
        ----------
        tiles : numpy.ndarray
            ``(B, n, T, T)`` scaled tiles (the same ``n`` for every field).
        extra : numpy.ndarray
            ``(B, N_HIST + N_CONTEXT)``.
        """
        import torch

        out = []
        with torch.no_grad():
            for i in range(0, len(tiles), batch):
                t = torch.as_tensor(np.asarray(tiles[i:i + batch], dtype=np.float32))
                e = torch.as_tensor(np.asarray(extra[i:i + batch], dtype=np.float32))
                out.append(self.embed(t, e).numpy())
        emb = np.concatenate(out) if out else np.zeros((0, 2 * len(self.edges) - 2), np.float32)
        return np.concatenate([emb, np.asarray(extra, np.float32)[:, N_HIST:]], axis=1)

    def sample(self, tiles: np.ndarray, extra: np.ndarray, n: int = 1000, *, seed: int = 0) -> np.ndarray:
        """Posterior samples ``(B, n, K)`` of ``log10(S_mid**2.5 <dN/dS>)`` per field."""
        return sample_flow(self.flow, self.summaries(tiles, extra), n, low=self.card.prior_low, high=self.card.prior_high,
                           seed=seed)

    def talk_predict(self, fields: np.ndarray, context: np.ndarray, *, batch: int = 64) -> np.ndarray:
        """The talk CNN's estimate of ``log10(S_mid**2.5 <dN/dS>)`` per field (``fields``: scaled, ``(B, H, W)``)."""
        import torch

        if self.talk is None:
            raise RadioUNetError("this model has no talk-CNN baseline (trained with --no-baselines)")
        out = []
        with torch.no_grad():
            for i in range(0, len(fields), batch):
                out.append(self.talk(torch.as_tensor(np.asarray(fields[i:i + batch], np.float32)),
                                     torch.as_tensor(np.asarray(context[i:i + batch], np.float32))).numpy())
        ratio = np.maximum(np.concatenate(out), 1e-3) * np.asarray(self.card.talk_scale)
        mid = np.sqrt(self.edges[1:] * self.edges[:-1])
        return np.log10(ratio * mid**2.5)

    def check_resolution(self, path, *, beam_major_arcsec: float, beam_minor_arcsec: float, pixel_scale_arcsec: float,
                         noise: float) -> None:
        """Raise :class:`InputError` for an image outside the beam/pixel/noise ranges the model was trained on (5% slack)."""
        r = self.card.trained_ranges
        checks = [("beam major axis", beam_major_arcsec / pixel_scale_arcsec, r["beam_major_px"], "px"),
                  ("beam minor axis", beam_minor_arcsec / pixel_scale_arcsec, r["beam_minor_px"], "px"),
                  ("pixel size", pixel_scale_arcsec, r["pixel_scale_arcsec"], "arcsec"),
                  ("noise", noise * 1e6, [v * 1e6 for v in r["noise_jy_beam"]], "uJy/beam")]
        for what, value, (lo, hi), unit in checks:
            if not lo * 0.95 <= value <= hi * 1.05:
                raise ResolutionError(path, f"{what} {value:.3g} {unit} is outside the {lo:.3g}-{hi:.3g} {unit} this model was "
                                       f"trained for (preset {self.card.preset['name']}); regrid/smooth the image or train a "
                                       "model for it with 'radio-unet counts simulate' and 'radio-unet counts train'")


class ResolutionError(InputError):
    """An image outside the beam, pixel-size or noise ranges that a counts model was trained for."""


def shipped_counts_models() -> list[str]:
    """Names of the counts models shipped with the package, the default (:data:`DEFAULT_COUNTS_MODEL`) first."""
    names = sorted(p.stem for p in SHIPPED_DIR.glob("counts-*.safetensors"))
    return sorted(names, key=lambda n: n != DEFAULT_COUNTS_MODEL)


def resolve_counts_model(name_or_path: str | PathLike | None) -> Path:
    """The weights path of a shipped counts model name or a user's model folder/file."""
    name_or_path = DEFAULT_COUNTS_MODEL if name_or_path is None else name_or_path
    path = Path(name_or_path)
    if path.exists():
        return path / "model.safetensors" if path.is_dir() else path
    for candidate in (SHIPPED_DIR / f"{name_or_path}.safetensors", SHIPPED_DIR / f"counts-{name_or_path}.safetensors"):
        if candidate.exists():
            return candidate
    shipped = sorted(p.stem for p in SHIPPED_DIR.glob("counts-*.safetensors")) or ["none"]
    raise InputError(path, f"no such counts model: not a file or folder, and not a shipped one ({', '.join(shipped)})")


def save_counts_model(path: str | PathLike, model: CountsModel) -> CountsCard:
    """Write the model's tensors (safetensors) and card (JSON) atomically; returns the card as written.

    ``path`` is a folder (``model.safetensors`` + ``model.json``) or a ``.safetensors`` file.
    """
    from dataclasses import replace

    from safetensors.torch import save_file

    weights, card_path = model_paths(path)
    tensors = {}
    for prefix, module in (("embed", model.embed), ("flow", model.flow), ("talk", model.talk)):
        if module is not None:
            tensors.update({f"{prefix}.{k}": v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()})
    with atomic_path(weights) as tmp:
        save_file(tensors, str(tmp), metadata={"format": COUNTS_CARD_FORMAT})
        tmp.chmod(0o644)
        digest = sha256_file(tmp)
    card = replace(model.card, sha256=digest, weights_file=weights.name, created=utc_now(), software=software_versions())
    with atomic_path(card_path) as tmp:
        tmp.write_text(card.to_json(), encoding="utf-8")
    model.card = card
    return card


def load_counts_model(name_or_path: str | PathLike | None = None) -> CountsModel:
    """Load a counts model (default: the shipped ``counts-lotss-6as``), checking the sha256 of its weights.

    Raises
    ------
    radio_unet.errors.InputError
        Missing or foreign card, missing or corrupt weights, checksum mismatch.
    """
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from .networks import TalkCNN, TileSetEmbedding  # torch: only to load a model

    weights, card_path = model_paths(resolve_counts_model(name_or_path))
    if not card_path.exists():
        raise InputError(card_path, f"model card missing: {weights.name} needs its {card_path.name} next to it")
    card = CountsCard.from_json(card_path.read_text(encoding="utf-8"), card_path)
    if not weights.exists():
        raise InputError(weights, f"weights file missing (named by {card_path.name})")
    if card.sha256 and sha256_file(weights) != card.sha256:
        raise InputError(weights, "sha256 does not match the card: the weights are corrupt or belong to another model")
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputError(weights, f"unreadable safetensors file ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    parts = {p: {k[len(p) + 1:]: v for k, v in tensors.items() if k.startswith(p + ".")} for p in ("embed", "flow", "talk")}
    a = card.architecture
    k = len(card.preset["log_edges"]) - 1
    embed = TileSetEmbedding(N_HIST, N_CONTEXT, k, width=a["width"], hidden=a["hidden"])
    embed.load_state_dict(parts["embed"])
    flow = build_flow(k, 2 * k + N_CONTEXT, hidden=a["flow_hidden"], transforms=a["flow_transforms"], state=parts["flow"])
    talk = None
    if parts["talk"]:
        talk = TalkCNN(N_CONTEXT, k)
        talk.load_state_dict(parts["talk"])
        talk.eval()
    return CountsModel(card, embed.eval(), flow, talk)
