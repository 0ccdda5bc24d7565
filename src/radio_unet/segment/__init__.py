"""Segmentation engine: probability maps of diffuse emission for FITS images of any size."""

from .backends import TorchPredictor, make_predictor
from .engine import segment_array, segment_image
from .load import Segmenter, load_segmenter, resolve_model, shipped_models
from .tiling import paper_inference, window_inference

__all__ = ["segment_array", "segment_image", "Segmenter", "load_segmenter", "resolve_model", "shipped_models", "TorchPredictor", "make_predictor", "paper_inference", "window_inference"]
