"""ONNX export of a Radio U-Net and inference with ONNX Runtime.

The exported graph takes ``image`` ``(batch, in_channels, height, width)``
float32 normalised images and returns ``probabilities`` ``(batch, n_classes,
height, width)`` (the softmax is inside the graph; for two classes as the
equivalent sigmoid). Batch, height and width are dynamic; height and width
must be multiples of ``2**depth``, which :class:`OnnxPredictor` checks before
running.

Exporter choice: with torch 2.13, ``torch.onnx.export`` defaults to the
``torch.export``-based ("dynamo") exporter, which needs ``onnxscript``, takes
~10 s even for a small network, only implements opset >= 18 and converts
down to the requested opset afterwards. The TorchScript-based exporter
(``dynamo=False``) is still shipped, deprecated, takes well under a second,
writes opset 17 directly and handles the dynamic axes of this purely
convolutional graph; ``exporter="auto"`` uses it and falls back to the
dynamo exporter where it is missing. Both were checked against PyTorch to
< 1e-6 on this network.
"""

from __future__ import annotations

import copy
import warnings
from os import PathLike
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn

from ..errors import InputError, RadioUNetError
from .card import ModelCard
from ..io.atomic import atomic_path
from .unet import RadioUNet, UNetConfig

__all__ = ["EXPORT_REVISION", "export_onnx", "OnnxPredictor", "onnx_predict_proba"]

#: Revision of the exported graph (2: two-class sigmoid head); part of the names of cached exports.
EXPORT_REVISION = 2


class _Probabilities(nn.Module):
    """Wrap a U-Net so that the exported graph ends with the class probabilities.

    For two classes the softmax is written as ``p1 = sigmoid(l1 - l0)``,
    ``p0 = 1 - p1`` (the same numbers): ONNX Runtime's softmax over the
    channel axis of a large image is a strided pass that took 11% of an int8
    model's time, the element-wise sigmoid a fraction of that.
    """

    def __init__(self, model: RadioUNet):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        logits = self.model(x)
        if logits.shape[1] != 2:
            return torch.softmax(logits, dim=1)
        p1 = torch.sigmoid(logits[:, 1:2] - logits[:, 0:1])
        return torch.cat([1 - p1, p1], dim=1)


def export_onnx(
    model: RadioUNet,
    path: str | PathLike,
    *,
    tile: int = 192,
    opset: int = 17,
    exporter: str = "auto",
    card: ModelCard | None = None,
) -> Path:
    """Export a model to ONNX with dynamic batch, height and width.

    Parameters
    ----------
    model : RadioUNet
        The network; a copy is exported in evaluation mode on the CPU (the
        model itself is not changed).
    path : str or path-like
        Output ``.onnx`` file, written atomically.
    tile : int
        Size of the example input used to trace the graph (any multiple of
        ``2**depth``; the exported graph accepts other sizes).
    opset : int
        ONNX operator set version.
    exporter : {"auto", "legacy", "dynamo"}
        ``legacy``: TorchScript-based ``torch.onnx.export(dynamo=False)``;
        ``dynamo``: the ``torch.export``-based exporter (needs ``onnxscript``);
        ``auto``: legacy where available (see the module docstring).
    card : ModelCard, optional
        Stored as the ``radio_unet_card`` metadata entry of the ONNX file, so
        that normalisation and training pixel scale travel with the graph.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    if not isinstance(model, RadioUNet):
        raise RadioUNetError(f"export_onnx expects a RadioUNet, got {type(model).__name__}")
    cfg = model.config
    if tile <= 0 or tile % cfg.divisor:
        raise RadioUNetError(f"tile {tile} must be a positive multiple of {cfg.divisor} (2**depth)")
    if exporter not in ("auto", "legacy", "dynamo"):
        raise RadioUNetError(f"unknown ONNX exporter {exporter!r}: use 'auto', 'legacy' or 'dynamo'")
    import onnx

    path = Path(path)
    wrapper = _Probabilities(copy.deepcopy(model).to("cpu").float().eval()).eval()
    example = torch.zeros(1, cfg.in_channels, tile, tile)
    used = exporter
    with atomic_path(path) as tmp:
        if exporter in ("auto", "legacy"):
            try:
                _export_legacy(wrapper, example, tmp, opset)
                used = "legacy"
            except (TypeError, NotImplementedError, AttributeError) as exc:  # legacy exporter removed
                if exporter == "legacy":
                    raise RadioUNetError(f"the TorchScript ONNX exporter is not available in this torch ({exc})") from None
                used = "dynamo"
        if used == "dynamo":
            _export_dynamo(wrapper, example, tmp, opset, cfg.divisor)
        proto = onnx.load(str(tmp))
        meta = {
            "radio_unet_architecture": cfg.to_json(),
            "radio_unet_output": "probabilities",
            "radio_unet_divisor": str(cfg.divisor),
            "radio_unet_exporter": used,
        }
        if card is not None:
            meta["radio_unet_card"] = card.to_json()
        del proto.metadata_props[:]
        for key, value in meta.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.checker.check_model(proto)
        onnx.save(proto, str(tmp))
    return path


def _export_legacy(wrapper: nn.Module, example: torch.Tensor, path: Path, opset: int) -> None:
    axes = {0: "batch", 2: "height", 3: "width"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            wrapper,
            (example,),
            str(path),
            dynamo=False,
            input_names=["image"],
            output_names=["probabilities"],
            dynamic_axes={"image": axes, "probabilities": axes},
            opset_version=opset,
            do_constant_folding=True,
        )


def _export_dynamo(wrapper: nn.Module, example: torch.Tensor, path: Path, opset: int, divisor: int) -> None:
    try:
        import onnxscript  # noqa: F401
    except ImportError:
        raise RadioUNetError("the dynamo ONNX exporter needs onnxscript: pip install onnxscript") from None
    from torch.export import Dim

    shapes = {"x": {0: Dim("batch", min=1, max=4096), 2: divisor * Dim("h", min=1), 3: divisor * Dim("w", min=1)}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            wrapper,
            (example,),
            dynamo=True,
            input_names=["image"],
            output_names=["probabilities"],
            dynamic_shapes=shapes,
            opset_version=opset,
            external_data=False,
            verbose=False,
        )
    program.save(str(path), external_data=False)


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

