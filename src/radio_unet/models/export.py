"""ONNX export of a Radio U-Net (inference with ONNX Runtime: :mod:`.runtime`, re-exported here).

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

import torch
from torch import nn

from ..errors import RadioUNetError, check_choice
from ..io.atomic import atomic_path
from .card import ModelCard
from .runtime import EXPORT_REVISION, OnnxPredictor, onnx_predict_proba
from .unet import RadioUNet

__all__ = ["EXPORT_REVISION", "export_onnx", "OnnxPredictor", "onnx_predict_proba"]


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
    check_choice(exporter, ("auto", "legacy", "dynamo"), "ONNX exporter")
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
