"""Fixtures of the training tests: a toy data set and a tiny configuration."""

from __future__ import annotations

import pytest

from radio_unet.data.synthetic import write_toy_dataset


@pytest.fixture(scope="session")
def toy_root(tmp_path_factory):
    """Eight 64x64 toy images (blobs + compact sources + noise) with a manifest."""
    return write_toy_dataset(tmp_path_factory.mktemp("toy"), n_images=8, size=64, seed=2)


@pytest.fixture
def tiny_config(toy_root, tmp_path):
    """A dict for TrainConfig.from_dict: base-4 two-level U-Net on 32 px tiles, quiet, CPU."""
    return {
        "data": {"root": str(toy_root), "tile": 32, "val_fraction": 0.25, "test_fraction": 0.125},
        "model": {"preset": "lite", "base_filters": 4, "depth": 2},
        "out": str(tmp_path / "run"),
        "epochs": 2,
        "batch_size": 4,
        "lr": 1e-3,
        "progress": False,
        "accelerator": "cpu",
        "devices": 1,
    }
