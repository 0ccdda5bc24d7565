"""Tests of the model registry."""

from __future__ import annotations

import json

from radio_unet.models import registry


def test_shipped_models_lists_only_unets_by_default(tmp_path, monkeypatch):
    """Weights with another card format (source counts, halo classifiers) ship beside the U-Nets but are not
    offered as segmentation models; None lists every weights file."""
    for name, fmt in (("default", registry.CARD_FORMAT), ("halos", "radio-unet-halo-card/1"), ("broken", None)):
        (tmp_path / f"{name}.safetensors").write_bytes(b"")
        (tmp_path / f"{name}.json").write_text("{" if fmt is None else json.dumps({"format": fmt}))
    monkeypatch.setattr(registry, "SHIPPED_DIR", tmp_path)
    assert registry.shipped_models() == ["default"]
    assert registry.shipped_models(None) == ["broken", "default", "halos"]
    assert registry.shipped_models("radio-unet-halo-card/1") == ["halos"]
