"""Synthetic observations: sky model -> mock LOFAR observation -> FITS files, for whole data sets."""

from .generate import image_id, simulate_one
from .presets import PRESETS, Preset, get_preset
from .runner import simulate_dataset, write_manifest

__all__ = ["PRESETS", "Preset", "get_preset", "image_id", "simulate_one", "simulate_dataset", "write_manifest"]
