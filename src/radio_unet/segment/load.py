"""A model ready to segment: :class:`Segmenter` and :func:`load_segmenter`.

The model registry (shipped names, user paths) is :mod:`radio_unet.models.registry`
and the backends are :mod:`.backends`; their names are re-exported here for
the callers that import them from this module.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np

from ..data.normalize import Normalization
from ..models.card import ModelCard, check_weights, read_card
from ..models.registry import SHIPPED_DIR, resolve_model, shipped_models
from .backends import (
    DEFAULT_TTA,
    PRECISIONS,
    Calibration,
    cache_dir,
    cached_onnx,
    check_compile,
    choose_backend,
    make_predictor,
    symmetrized,
)
from .engine import segment_image, window_pixels

__all__ = ["SHIPPED_DIR", "PRECISIONS", "shipped_models", "resolve_model", "choose_backend", "check_compile", "cache_dir",
           "cached_onnx", "Segmenter", "load_segmenter"]


class Segmenter:
    """A loaded model ready to segment: predictor, normalisation and card.

    Parameters
    ----------
    model : RadioUNet, str or path-like
        The network, or the path of a saved model: it is then loaded (which
        imports PyTorch) only when needed, by the torch backend or to make an
        ONNX export that is not cached yet.
    card : ModelCard
        The model's card (normalisation, classes, sha256 of the weights).
    backend : {"auto", "torch", "onnx"}
        See :func:`.backends.choose_backend`.
    device : str
    precision : {"32", "bf16", "int8"}
    tta : bool
        Predict every window in the eight orientations of the square and
        average the probabilities (:func:`.backends.symmetrized`: 8x the
        network's work). On by default (:data:`DEFAULT_TTA`): for the shipped
        model it raised the held-out diffuse mean IoU of every survey preset
        (by up to 0.04) and the IoU of halos injected into real LoTSS noise
        (docs/model.md).
    compile : bool
        Run the PyTorch backend through :func:`torch.compile`
        (:class:`.backends.TorchPredictor`).
    calibration : sequence of numpy.ndarray or callable, optional
        Calibration images of int8 quantisation (:func:`.backends.cached_onnx`),
        needed only when the int8 export of this model is not cached yet.
    """

    def __init__(self, model, card: ModelCard, *, backend: str = "auto", device: str = "cpu", precision: str = "32",
                 tta: bool = DEFAULT_TTA, compile: bool = False, calibration: Calibration | None = None):
        self._model = model
        self.card = card
        self.normalization = Normalization.from_dict(card.normalization)
        self.divisor = card.architecture.divisor
        self.max_pixels = window_pixels(card.architecture.base_filters)
        self.backend = backend = choose_backend(backend, device=device, precision=precision, compile=compile)
        onnx_path = cached_onnx(model, card, precision=precision, calibration=calibration) if backend == "onnx" else None
        #: A classification network (more than two classes) predicts every class: maps are (C, ny, nx).
        self.classes = card.class_names()
        self.multiclass = len(self.classes) > 2
        self.predict = make_predictor(self.model if backend == "torch" else None, backend=backend, device=device,
                                      precision=precision, onnx_path=onnx_path, compile=compile,
                                      all_classes=self.multiclass)
        self.tta = bool(tta)
        if self.tta:
            self.predict = symmetrized(self.predict)

    @property
    def model(self):
        """The network (:class:`~radio_unet.models.RadioUNet`), read from its file on first use."""
        if isinstance(self._model, (str, PathLike)):
            from ..models.serialize import load_model  # PyTorch: only when the network itself is needed

            self._model = load_model(self._model)[0]
        return self._model

    def __call__(self, image, **options):
        """Probability map of a :class:`~radio_unet.io.RadioImage` (see :func:`segment_image`): ``(ny, nx)`` of
        diffuse emission, or ``(C, ny, nx)`` of every class for a classification network (:meth:`diffuse`)."""
        options.setdefault("max_pixels", self.max_pixels)
        return segment_image(image, self.predict, normalization=self.normalization, divisor=self.divisor, **options)

    def diffuse(self, probabilities: np.ndarray) -> np.ndarray:
        """Probability of diffuse emission from the output of :meth:`__call__` (the sum of the diffuse classes)."""
        if not self.multiclass:
            return probabilities
        return np.sum(np.asarray(probabilities)[self.card.diffuse_channels()], axis=0, dtype=np.float32)


def load_segmenter(name_or_path: str | Path = "default", **kwargs) -> Segmenter:
    """Load a shipped or saved model as a :class:`Segmenter`.

    The card is read and the weights checked against its sha256 here; the
    network itself is read only when the backend needs it (see
    :class:`Segmenter`), so that the ONNX path with a cached export never
    imports PyTorch.

    Parameters
    ----------
    name_or_path : str or path-like
        A shipped model name (:func:`~radio_unet.models.registry.shipped_models`)
        or a saved model's file or folder.
    **kwargs
        Options of :class:`Segmenter`.

    Returns
    -------
    Segmenter
    """
    path = resolve_model(name_or_path)
    weights, card_path, card = read_card(path)
    check_weights(weights, card_path, card)
    return Segmenter(path, card, **kwargs)
