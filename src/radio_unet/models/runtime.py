"""Running an exported Radio U-Net with ONNX Runtime (:func:`~radio_unet.models.export_onnx` writes the file).

Free of PyTorch: the ONNX inference path of ``radio-unet segment`` imports
this module, ONNX Runtime and NumPy only.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import InputError, RadioUNetError
from .card import ModelCard
from .config import UNetConfig

__all__ = ["EXPORT_REVISION", "OnnxPredictor", "onnx_predict_proba"]

#: Revision of the exported graph (2: two-class sigmoid head); part of the names of cached exports.
EXPORT_REVISION = 2


class OnnxPredictor:
    """Run an exported Radio U-Net with ONNX Runtime.

    Parameters
    ----------
    path : str or path-like
        An ``.onnx`` file written by :func:`export_onnx`.
    threads : int, optional
        Intra-op threads (default: ONNX Runtime's choice).
    providers : sequence of str, optional
        Execution providers, e.g. ``["CUDAExecutionProvider",
        "CPUExecutionProvider"]``; default: CPU.

    Attributes
    ----------
    config : UNetConfig or None
        The architecture stored in the file (None for foreign files).
    card : ModelCard or None
        The model card stored in the file, if any.
    """

    def __init__(self, path: str | PathLike, *, threads: int | None = None, providers: Sequence[str] | None = None):
        import onnxruntime as ort

        path = Path(path)
        if not path.exists():
            raise InputError(path, "no such ONNX file")
        options = ort.SessionOptions()
        # The memory arena reuses buffers between runs (without it a 2000^2 window runs ~1.7x slower),
        # but it only grows: windows of varying shapes would each add to it. Shrinking it after a run
        # keeps the resident memory at about one window, but frees buffers the next run of the same
        # shape must fault in again (int8: 0.51 -> 0.88 s per 2000^2 window). So the arena is shrunk
        # after a run whose input shape differs from the previous run's, and kept between runs of one shape.
        self.run_options = ort.RunOptions()
        self.run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self._last_shape: tuple | None = None
        if threads:
            options.intra_op_num_threads = int(threads)
        try:
            self.session = ort.InferenceSession(str(path), sess_options=options, providers=list(providers or ["CPUExecutionProvider"]))
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise InputError(path, f"not a loadable ONNX model ({str(exc).splitlines()[0]})") from None
        self.path = path
        meta = self.session.get_modelmeta().custom_metadata_map
        self.config = UNetConfig.from_json(meta["radio_unet_architecture"]) if "radio_unet_architecture" in meta else None
        self.card = ModelCard.from_json(meta["radio_unet_card"]) if "radio_unet_card" in meta else None
        self.divisor = int(meta.get("radio_unet_divisor", 1))
        self.input_name = self.session.get_inputs()[0].name

    def _run(self, batch: np.ndarray) -> np.ndarray:
        """One ONNX Runtime call; the memory arena is shrunk after it when the input shape changed."""
        changed = self._last_shape is not None and batch.shape != self._last_shape
        self._last_shape = batch.shape
        return self.session.run(None, {self.input_name: batch}, self.run_options if changed else None)[0]

    def predict_proba(self, images: np.ndarray, *, batch_size: int = 8) -> np.ndarray:
        """Class probabilities for normalised images.

        Parameters
        ----------
        images : numpy.ndarray
            ``(N, C, H, W)``, ``(N, H, W)`` or ``(H, W)`` normalised images;
            ``H`` and ``W`` multiples of ``2**depth``.
        batch_size : int
            Images per ONNX Runtime call.

        Returns
        -------
        numpy.ndarray
            float32 ``(N, n_classes, H, W)`` (``(n_classes, H, W)`` for a 2-D input).
        """
        x = np.asarray(images, dtype=np.float32)
        squeeze = x.ndim == 2
        if x.ndim == 2:
            x = x[None, None]
        elif x.ndim == 3:
            x = x[:, None]
        if x.ndim != 4:
            raise RadioUNetError(f"expected images (N, C, H, W), (N, H, W) or (H, W), got shape {np.shape(images)}")
        h, w = x.shape[-2:]
        if h % self.divisor or w % self.divisor:
            raise RadioUNetError(f"input size {h}x{w} is not a multiple of {self.divisor} (2**depth)")
        out = [self._run(np.ascontiguousarray(x[i : i + batch_size])) for i in range(0, len(x), max(1, int(batch_size)))]
        probs = np.concatenate(out, axis=0).astype(np.float32, copy=False)
        return probs[0] if squeeze else probs


def onnx_predict_proba(model: str | PathLike | OnnxPredictor, images: np.ndarray, *, batch_size: int = 8) -> np.ndarray:
    """Functional form of :meth:`OnnxPredictor.predict_proba` (a path opens a new session)."""
    predictor = model if isinstance(model, OnnxPredictor) else OnnxPredictor(model)
    return predictor.predict_proba(images, batch_size=batch_size)

