"""The Radio U-Net and the smaller networks: architecture, presets, save/load, ONNX export, shipped models.

Names are imported from their submodules on first use (PEP 562), so that the
PyTorch-free parts (:mod:`.config`, :mod:`.card`, :mod:`.registry`,
:mod:`.runtime`, :mod:`.quantize`) can be used without importing PyTorch:
the ONNX inference path of ``radio-unet segment`` does.

Examples
--------
>>> from radio_unet.models import build_model, parameter_count
>>> parameter_count("paper")
6982082
>>> model = build_model("lite")
"""

from __future__ import annotations

from .. import lazy_exports

#: Public name -> the submodule that defines it.
_SOURCES = {
    "UNetConfig": "config",
    "PRESETS": "config",
    "parameter_count": "config",
    "RadioUNet": "unet",
    "build_model": "unet",
    "ModelCard": "card",
    "CARD_FORMAT": "card",
    "software_versions": "card",
    "read_card": "card",
    "model_paths": "card",
    "sha256_file": "card",
    "WEIGHTS_NAME": "card",
    "CARD_NAME": "card",
    "save_model": "serialize",
    "load_model": "serialize",
    "SHIPPED_DIR": "registry",
    "shipped_models": "registry",
    "resolve_model": "registry",
    "export_onnx": "export",
    "OnnxPredictor": "runtime",
    "onnx_predict_proba": "runtime",
    "quantize_onnx": "quantize",
    "widen": "widen",
    "fold_batch_norm": "fold",
}

__all__ = list(_SOURCES)
__getattr__, __dir__ = lazy_exports(__name__, _SOURCES)
