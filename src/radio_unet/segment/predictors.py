"""Batch predictors: turn a trained model into ``predict(batch) -> probabilities``."""

from __future__ import annotations

import contextlib

import numpy as np
import torch

from ..data.augment import N_DIHEDRAL, dihedral, inverse_dihedral
from ..errors import RadioUNetError

__all__ = ["TorchPredictor", "make_predictor", "symmetrized"]


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
    the convolutions (:func:`~radio_unet.models.fold_batch_norm`).
    """

    def __init__(self, model: torch.nn.Module, *, device: str = "cpu", precision: str = "32", channel: int | None = 1,
                 compile: bool = False):
        from ..models import fold_batch_norm

        if precision not in ("32", "bf16"):
            raise RadioUNetError(f"precision must be '32' or 'bf16', got {precision!r}")
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
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))[:, None].to(self.device)
        x = x.contiguous(memory_format=torch.channels_last)
        autocast = (
            torch.autocast(self.device.type, dtype=torch.bfloat16) if self.precision == "bf16" else contextlib.nullcontext()
        )
        with torch.inference_mode(), autocast:
            logits = self._forward(x)
        prob = torch.softmax(logits.float(), dim=1)
        return (prob if self.channel is None else prob[:, self.channel]).cpu().numpy()

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
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
    """A predictor for ``backend`` ``torch`` (a model; ``compile``: see :class:`TorchPredictor`) or ``onnx`` (an
    exported file; ``compile`` is refused there, see :func:`~radio_unet.segment.load.check_compile`).

    It returns the class-1 probability ``(N, H, W)``, or with ``all_classes`` the probabilities of every class
    ``(N, C, H, W)``."""
    channel = None if all_classes else 1
    if compile:
        from .load import check_compile

        check_compile(backend, device=device, precision=precision)
    if backend == "torch":
        return TorchPredictor(model, device=device, precision=precision, compile=compile, channel=channel)
    if backend == "onnx":
        from ..models import OnnxPredictor

        session = OnnxPredictor(onnx_path)
        if all_classes:
            return lambda batch: session.predict_proba(np.asarray(batch, np.float32)[:, None])
        return lambda batch: session.predict_proba(np.asarray(batch, np.float32)[:, None])[:, 1]
    raise RadioUNetError(f"unknown backend {backend!r}: use 'torch' or 'onnx'")


def symmetrized(predict, *, ops: int = N_DIHEDRAL):
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
    ops : int
        Number of operations, 1 (no augmentation) to 8.

    Returns
    -------
    callable
        A predictor with the same signature.
    """
    ops = int(ops)
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
