"""Inference backends: which one runs a precision, and the batch predictors ``predict(batch) -> probabilities``.

Two backends run the network: PyTorch (:class:`TorchPredictor`; float32 or
bf16 autocast, optionally :func:`torch.compile`) and ONNX Runtime (an export
made once per weights file and kept in :func:`cache_dir`; float32 or int8).
The ONNX path imports neither PyTorch nor anything of it: PyTorch is
imported inside :class:`TorchPredictor`, and only to export a model whose
export is not cached yet.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import tempfile
from os import PathLike
from pathlib import Path
from typing import Callable, Sequence, Union

import numpy as np

from ..data.augment import N_DIHEDRAL, dihedral, inverse_dihedral
from ..errors import RadioUNetError, check_choice
from ..models.card import ModelCard
from ..models.quantize import quantize_onnx
from ..models.runtime import EXPORT_REVISION, OnnxPredictor

__all__ = ["PRECISIONS", "DEFAULT_TTA", "choose_backend", "check_compile", "cache_dir", "cached_onnx", "Calibration", "TorchPredictor",
           "make_predictor", "symmetrized"]

#: Precisions per backend: torch runs float32 or bf16 autocast, ONNX Runtime float32 or int8.
PRECISIONS = {"torch": ("32", "bf16"), "onnx": ("32", "int8")}

#: Normalised calibration images of int8 quantisation, or ``f(card) -> images``, called only when the int8
#: export is not cached yet (the command line simulates fields: :func:`radio_unet.cli.common.calibration_fields`).
Calibration = Union[Sequence[np.ndarray], Callable[[ModelCard], Sequence[np.ndarray]]]


def choose_backend(backend: str, *, device: str = "cpu", precision: str = "32", compile: bool = False) -> str:
    """The backend that runs ``precision`` on ``device``.

    Parameters
    ----------
    backend : {"auto", "torch", "onnx"}
        ``auto``: ONNX Runtime for float32 and int8 on a CPU (the fastest
        there), PyTorch otherwise (GPU, bf16, or ``compile``). An explicit
        backend is checked against the precision and ``compile``.
    device : str
        ``cpu`` or ``cuda``.
    precision : {"32", "bf16", "int8"}
    compile : bool
        Run the network through :func:`torch.compile` (:func:`check_compile`).

    Returns
    -------
    str
        ``torch`` or ``onnx``.

    Raises
    ------
    radio_unet.errors.RadioUNetError
        An unknown backend, or one that cannot run ``precision`` or ``compile``.
    """
    if compile:
        check_compile(backend, device=device, precision=precision)
    if backend == "auto":
        on_cpu = str(device) == "cpu" and precision in PRECISIONS["onnx"] and not compile
        backend = "onnx" if on_cpu and importlib.util.find_spec("onnxruntime") else "torch"
    check_choice(backend, ("auto", *PRECISIONS), "backend")
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


def cached_onnx(model, card: ModelCard, *, precision: str = "32", calibration: Calibration | None = None) -> Path:
    """The ONNX export of a model, made once per weights file (keyed by its sha256) and kept in :func:`cache_dir`.

    Exporting takes seconds (int8: a float32 export, then quantisation
    calibrated on ``calibration``, ~20 s with simulated fields); a survey run
    with many workers or many ``radio-unet segment`` calls does it once.
    Models without a sha256 are exported to a fresh temporary folder.

    Parameters
    ----------
    model : RadioUNet, str or path-like
        The network, or its saved file (:func:`~radio_unet.models.load_model`
        reads it, and imports PyTorch, only when the export is not cached).
    card : ModelCard
        Its card: the sha256 names the cached files.
    precision : {"32", "int8"}
    calibration : sequence of numpy.ndarray or callable, optional
        For int8: normalised images (:func:`~radio_unet.models.quantize_onnx`),
        or ``calibration(card) -> images``, called only when the int8 export
        is not cached yet.

    Returns
    -------
    pathlib.Path
        The ``.onnx`` file.

    Raises
    ------
    radio_unet.errors.RadioUNetError
        int8 without ``calibration`` and no cached int8 export.
    """

    def make(folder: Path, stem: str) -> Path:
        fp32 = folder / f"{stem}.onnx"
        if not fp32.exists():
            from ..models.export import export_onnx  # PyTorch: only when there is no export yet

            export_onnx(_network(model), fp32, card=card)  # atomic: concurrent workers never see half a file
        if precision == "32":
            return fp32
        int8 = folder / f"{stem}.int8.onnx"
        if int8.exists():
            return int8
        if calibration is None:
            raise RadioUNetError("int8 quantisation needs calibration images (normalised fields like the images to "
                                 "segment); none were given and no int8 export of this model is cached")
        return quantize_onnx(fp32, int8, calibration(card) if callable(calibration) else calibration)

    if card.sha256:
        try:
            folder = cache_dir() / "onnx"
            folder.mkdir(parents=True, exist_ok=True)
            return make(folder, f"{card.sha256[:32]}-r{EXPORT_REVISION}")
        except OSError:
            pass  # read-only home and the like: fall back to a temporary folder
    return make(Path(tempfile.mkdtemp(prefix="radio-unet-onnx-")), "model")


def _network(model):
    """The network itself: ``model``, or the model saved at that path."""
    if isinstance(model, (str, PathLike)):
        from ..models.serialize import load_model  # PyTorch: only when the network itself is needed

        return load_model(model)[0]
    return model


class TorchPredictor:
    """Probabilities of a PyTorch model on float32 batches ``(N, H, W)``: of class ``channel`` ``(N, H, W)``, or of
    every class ``(N, C, H, W)`` with ``channel=None`` (classification networks).

    Parameters
    ----------
    model : torch.nn.Module
        A network returning logits ``(N, C, H, W)``.
    device : {"cpu", "cuda"} or torch.device
    precision : {"32", "bf16"}
        ``bf16`` runs convolutions in bfloat16 autocast (about 2-3x faster on
        CPUs with AVX-512 BF16 and on GPUs); probabilities stay float32.
    channel : int or None
        The class whose probability is returned (1: diffuse emission); None
        returns every class.
    compile : bool
        Run the network through :func:`torch.compile` (TorchInductor): the
        first batch of every new shape is compiled (about half a minute on a
        CPU, which needs a C++ compiler), later ones run faster.

    Notes
    -----
    The predictor runs a copy of ``model`` with its batch norms folded into
    the convolutions (:func:`~radio_unet.models.fold_batch_norm`). PyTorch is
    imported here, not with the module, so that the ONNX path never loads it.
    """

    def __init__(self, model, *, device: str = "cpu", precision: str = "32", channel: int | None = 1,
                 compile: bool = False):
        import torch

        from ..models.fold import fold_batch_norm  # PyTorch: only for the torch backend

        check_choice(precision, PRECISIONS["torch"], "precision of the torch backend")
        if str(device).startswith("cuda") and not torch.cuda.is_available():
            raise RadioUNetError("--device cuda asked for, but PyTorch sees no CUDA GPU here")
        self.device = torch.device(device)
        self.model = fold_batch_norm(model).to(self.device).to(memory_format=torch.channels_last)
        self.compiled = bool(compile)
        if self.compiled:
            self.model = torch.compile(self.model)
        self.precision = precision
        self.channel = channel

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        import torch

        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))[:, None].to(self.device)
        x = x.contiguous(memory_format=torch.channels_last)
        autocast = (
            torch.autocast(self.device.type, dtype=torch.bfloat16) if self.precision == "bf16" else contextlib.nullcontext()
        )
        with torch.inference_mode(), autocast:
            logits = self._forward(x)
        prob = torch.softmax(logits.float(), dim=1)
        return (prob if self.channel is None else prob[:, self.channel]).cpu().numpy()

    def _forward(self, x):
        if not self.compiled:
            return self.model(x)
        try:  # compilation happens here, at the first batch of each shape
            return self.model(x)
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            raise RadioUNetError(f"the network compiled with --compile failed ({type(exc).__name__}: {first}); "
                                 "run without --compile") from exc


def make_predictor(model, *, backend: str = "torch", device: str = "cpu", precision: str = "32", onnx_path=None,
                   compile: bool = False, all_classes: bool = False):
    """A batch predictor for ``backend``.

    Parameters
    ----------
    model : torch.nn.Module or None
        The network (``torch``; unused by ``onnx``).
    backend : {"torch", "onnx"}
    device, precision, compile
        See :class:`TorchPredictor`; ``compile`` is refused by ``onnx`` (:func:`check_compile`).
    onnx_path : str or path-like
        The exported file (``onnx``; :func:`cached_onnx`).
    all_classes : bool
        Return the probabilities of every class ``(N, C, H, W)`` instead of
        the class-1 probability ``(N, H, W)``.

    Returns
    -------
    callable
        ``predict(batch (N, H, W) float32) -> probabilities``.
    """
    channel = None if all_classes else 1
    if compile:
        check_compile(backend, device=device, precision=precision)
    if backend == "torch":
        return TorchPredictor(model, device=device, precision=precision, compile=compile, channel=channel)
    if backend == "onnx":
        session = OnnxPredictor(onnx_path)
        if all_classes:
            return lambda batch: session.predict_proba(np.asarray(batch, np.float32)[:, None])
        return lambda batch: session.predict_proba(np.asarray(batch, np.float32)[:, None])[:, 1]
    raise RadioUNetError(f"unknown backend {backend!r}: use 'torch' or 'onnx'")


#: Whether segmentation averages the network over the eight orientations of the square unless told otherwise
#: (:func:`symmetrized`; ``radio-unet segment --no-tta`` turns it off).
DEFAULT_TTA = True


def symmetrized(predict, *, ops: int | None = None):
    """Test-time augmentation: ``predict`` averaged over the symmetries of the square.

    Each batch is flipped and rotated by the first ``ops`` of the eight
    operations of :mod:`radio_unet.data.augment` (the ones the network was
    trained with), predicted, brought back, and the probabilities averaged.
    Costs ``ops`` passes; the result no longer depends on how the image is
    oriented.

    Parameters
    ----------
    predict : callable
        ``predict(batch (N, H, W)) -> probabilities (N, H, W)`` or ``(N, C, H,
        W)``; ``H`` and ``W`` may be swapped by a quarter turn, which a fully
        convolutional network accepts.
    ops : int, optional
        Number of operations, 1 (no augmentation) to 8 (default: all).

    Returns
    -------
    callable
        A predictor with the same signature.
    """
    ops = N_DIHEDRAL if ops is None else int(ops)
    if not 1 <= ops <= N_DIHEDRAL:
        raise RadioUNetError(f"test-time augmentation takes 1 to {N_DIHEDRAL} symmetries, got {ops}")

    def predict_symmetrized(batch: np.ndarray) -> np.ndarray:
        total = None
        for op in range(ops):
            prob = dihedral(predict(np.ascontiguousarray(dihedral(batch, op))), inverse_dihedral(op))
            total = prob.astype(np.float32, copy=True) if total is None else np.add(total, prob, out=total)
        total /= np.float32(ops)
        return total

    return predict_symmetrized
