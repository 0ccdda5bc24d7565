"""Fixtures of the segmentation tests."""

from __future__ import annotations

import pytest
import torch

from radio_unet.models import build_model, save_model


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A base-4, depth-2 U-Net with random weights and a card for 2"/px, 6" beam."""
    torch.manual_seed(0)
    model = build_model({"base_filters": 4, "depth": 2, "dropout": 0.0})
    path = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    save_model(path, model.eval(), {"normalization": {"vmin": 1e-7, "vmax": 1e-2, "unit": "Jy/beam"},
                                    "pixel_scale_arcsec": 2.0, "beam_arcsec": {"major": 6.0, "minor": 6.0, "pa": 0.0}})
    return path
