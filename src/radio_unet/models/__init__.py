"""The Radio U-Net and the smaller networks: architecture, presets, save/load, ONNX export.

Examples
--------
>>> from radio_unet.models import build_model, parameter_count
>>> parameter_count("paper")
6982082
>>> model = build_model("lite")
"""

from .card import CARD_FORMAT, ModelCard, software_versions
from .export import OnnxPredictor, export_onnx, onnx_predict_proba
from .fold import fold_batch_norm
from .quantize import quantize_onnx
from .serialize import CARD_NAME, WEIGHTS_NAME, load_model, model_paths, read_card, save_model, sha256_file
from .unet import PRESETS, RadioUNet, UNetConfig, build_model, parameter_count
from .widen import widen

__all__ = [
    "UNetConfig",
    "PRESETS",
    "RadioUNet",
    "build_model",
    "parameter_count",
    "ModelCard",
    "CARD_FORMAT",
    "software_versions",
    "save_model",
    "load_model",
    "read_card",
    "model_paths",
    "sha256_file",
    "WEIGHTS_NAME",
    "CARD_NAME",
    "export_onnx",
    "OnnxPredictor",
    "onnx_predict_proba",
    "quantize_onnx",
    "widen",
    "fold_batch_norm",
]
