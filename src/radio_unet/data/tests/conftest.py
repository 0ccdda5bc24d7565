"""Fixtures of the data tests: a toy data set written once per session."""

from __future__ import annotations

import pytest

from radio_unet.data.synthetic import write_toy_dataset


@pytest.fixture(scope="session")
def toy_root(tmp_path_factory):
    """Eight 64x64 toy images in the layout of ``radio-unet simulate`` (read-only for tests)."""
    return write_toy_dataset(tmp_path_factory.mktemp("toy"), n_images=8, size=64, seed=1)
