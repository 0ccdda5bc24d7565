"""Tests of tile indices, the split by image and the balance of empty tiles."""

from __future__ import annotations

import numpy as np
import pytest

from radio_unet.data import (
    DataConfig,
    PairReader,
    RadioDataModule,
    balance_tiles,
    build_tile_index,
    read_manifest,
    split_by_image,
    tile_origins,
)
from radio_unet.errors import RadioUNetError


def test_tile_origins_cover_the_axis():
    """Origins start at 0, step by the stride and the last tile ends at the border."""
    assert tile_origins(64, tile=32).tolist() == [0, 32]
    assert tile_origins(70, tile=32).tolist() == [0, 32, 38]
    assert tile_origins(64, tile=32, stride=16).tolist() == [0, 16, 32]
    assert tile_origins(32, tile=32).tolist() == [0]
    with pytest.raises(RadioUNetError):
        tile_origins(20, tile=32)


def test_split_by_image_has_no_overlap_and_is_deterministic():
    """Every id is in exactly one set; the same seed gives the same split, another seed another."""
    ids = [f"img{i:02d}" for i in range(20)]
    s = split_by_image(ids, val_fraction=0.2, test_fraction=0.1, seed=4)
    sets = [set(s[k]) for k in ("train", "val", "test")]
    assert sum(map(len, sets)) == 20 and set.union(*sets) == set(ids)
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    assert (len(s["val"]), len(s["test"])) == (4, 2)
    assert split_by_image(list(reversed(ids)), val_fraction=0.2, test_fraction=0.1, seed=4) == s
    assert split_by_image(ids, val_fraction=0.2, test_fraction=0.1, seed=5) != s
    small = split_by_image(["a", "b", "c"], val_fraction=0.1, test_fraction=0.1)
    assert len(small["val"]) == len(small["test"]) == len(small["train"]) == 1
    with pytest.raises(RadioUNetError):
        split_by_image(["a", "b"], val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(RadioUNetError):
        split_by_image(["a", "a", "b"])


@pytest.mark.parametrize("ratio", [0.0, 0.5, 1.0, 2.0])
def test_balance_ratio_is_respected(ratio):
    """All non-empty tiles are kept, plus round(ratio * n_nonempty) empty ones (at most all)."""
    rng = np.random.default_rng(0)
    nonempty = rng.random(200) < 0.2
    keep = balance_tiles(nonempty, empty_ratio=ratio, seed=1)
    n_full = int(nonempty.sum())
    assert nonempty[keep].sum() == n_full
    assert (~nonempty[keep]).sum() == min(int(round(ratio * n_full)), int((~nonempty).sum()))
    assert np.array_equal(keep, np.unique(keep))
    assert np.array_equal(keep, balance_tiles(nonempty, empty_ratio=ratio, seed=1))
    assert balance_tiles(nonempty, empty_ratio=None).size == 200


def test_tile_index_counts_mask_pixels(toy_root):
    """The index counts the mask pixels of each tile as the mask file says."""
    from astropy.io import fits

    pairs = read_manifest(toy_root)
    index = build_tile_index(PairReader(pairs), tile=32)
    assert len(index) == 8 * 4
    for k in range(len(index)):
        pair = pairs[index.image[k]]
        mask = fits.getdata(pair.target)
        y, x = index.y[k], index.x[k]
        assert index.n_mask[k] == mask[y : y + 32, x : x + 32].sum()
    assert 0 < index.nonempty.sum() < len(index)
    assert index.metas[0].unit == "Jy/beam" and index.metas[0].beam_area_pixels == pytest.approx(18.13, rel=1e-3)


def test_datamodule_splits_by_image_and_balances(toy_root):
    """No image has tiles in two splits; the training tiles respect the balance ratio."""
    cfg = DataConfig(root=str(toy_root), tile=32, val_fraction=0.25, test_fraction=0.125, empty_ratio=0.5)
    dm = RadioDataModule(cfg, batch_size=4, seed=3)
    dm.setup()
    train_ids = set(dm.train_index.image_ids)
    val_ids, test_ids = set(dm.val_index.image_ids), set(dm.test_index.image_ids)
    assert train_ids and val_ids and test_ids
    assert not (train_ids & val_ids or train_ids & test_ids or val_ids & test_ids)
    assert set(dm.splits["val"]) == val_ids and set(dm.splits["test"]) == test_ids
    full_train = dm.full_index.for_images(dm.splits["train"])
    n_full = int(full_train.nonempty.sum())
    assert int(dm.train_index.nonempty.sum()) == n_full
    assert int((~dm.train_index.nonempty).sum()) == min(int(round(0.5 * n_full)), int((~full_train.nonempty).sum()))
    assert len(dm.val_index) == len(dm.full_index.for_images(dm.splits["val"]))  # validation is not balanced
    summary = dm.summary()
    assert summary["pixel_scale_arcsec"] == pytest.approx(2.0) and summary["beam_arcsec"]["major"] == pytest.approx(8.0)
