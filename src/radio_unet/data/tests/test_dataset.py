"""Tests of the tile data sets, the sampler and the image pairs."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from astropy.io import fits

from radio_unet.data import (
    DataConfig,
    ImagePair,
    Normalization,
    PairReader,
    RadioDataModule,
    TileDataset,
    TileSampler,
    build_tile_index,
    dihedral,
    find_pairs,
    normalize,
    precut_tiles,
    read_manifest,
)
from radio_unet.errors import RadioUNetError


def _dataset(root) -> TileDataset:
    pairs = read_manifest(root)
    reader = PairReader(pairs, max_open=2)
    return TileDataset(build_tile_index(reader, tile=32), reader, normalization=Normalization())


def test_tiles_are_normalised_in_jy_per_pixel(toy_root):
    """A tile equals normalize(image / beam_area) of the FITS window, with its mask."""
    ds = _dataset(toy_root)
    k = 5
    image, mask = ds[k]
    assert image.shape == (1, 32, 32) and image.dtype == torch.float32
    assert mask.shape == (32, 32) and mask.dtype == torch.int64
    ix = ds.index
    pair = ix.pairs[ix.image[k]]
    y, x = ix.y[k], ix.x[k]
    raw = fits.getdata(pair.image)[y : y + 32, x : x + 32]
    expected = normalize(raw / ix.metas[ix.image[k]].beam_area_pixels)
    np.testing.assert_allclose(image[0].numpy(), expected, atol=1e-6)
    np.testing.assert_array_equal(mask.numpy(), fits.getdata(pair.target)[y : y + 32, x : x + 32])
    assert len(ds.reader._cache) <= 2


def test_augmented_item_applies_one_op_to_both(toy_root):
    """dataset[(i, op)] is the symmetry op of dataset[i], for image and mask alike."""
    ds = _dataset(toy_root)
    i = int(np.flatnonzero(ds.index.nonempty)[0])
    image, mask = ds[i]
    for op in range(8):
        a_img, a_msk = ds[(i, op)]
        torch.testing.assert_close(a_img, dihedral(image, op))
        torch.testing.assert_close(a_msk, dihedral(mask, op))


def test_sampler_is_deterministic_and_shards_without_overlap():
    """Order and ops depend on (seed, epoch) only; DDP ranks split one global order."""
    s = TileSampler(10, seed=1, shuffle=True, augment=True)
    s.set_epoch(2)
    a = list(s)
    s2 = TileSampler(10, seed=1, shuffle=True, augment=True)
    s2.set_epoch(2)
    assert a == list(s2)
    s2.set_epoch(3)
    assert a != list(s2)
    assert sorted(i for i, _ in a) == list(range(10)) and all(0 <= op < 8 for _, op in a)
    ranks = [TileSampler(10, seed=1, shuffle=False, num_replicas=3, rank=r, pad=False) for r in range(3)]
    got = [list(r) for r in ranks]
    assert sorted(sum(got, [])) == list(range(10))
    padded = [list(TileSampler(10, seed=1, num_replicas=3, rank=r, pad=True)) for r in range(3)]
    assert {len(p) for p in padded} == {4} and set(sum(padded, [])) == set(range(10))


def test_precut_store_equals_lazy_tiles(toy_root, tmp_path):
    """Tiles pre-cut into .npy memory maps are identical to the lazily cut ones, and the store is reused."""
    ds = _dataset(toy_root)
    store = precut_tiles(ds, tmp_path / "tiles")
    assert len(store) == len(ds)
    for key in (0, 7, (9, 5)):
        for a, b in zip(ds[key], store[key]):
            torch.testing.assert_close(a, b)
    mtime = (tmp_path / "tiles_images.npy").stat().st_mtime_ns
    precut_tiles(ds, tmp_path / "tiles")
    assert (tmp_path / "tiles_images.npy").stat().st_mtime_ns == mtime


def test_find_pairs_by_name_and_sky_threshold(toy_root):
    """Glob pairing matches wildcard parts; thresholded sky models give the manifest masks."""
    by_sky = find_pairs(toy_root, image_glob="*_image.fits", sky_glob="*_sky.fits")
    by_mask = read_manifest(toy_root)
    assert len(by_sky) == 8 and all(p.target_kind == "sky" for p in by_sky)
    assert [p.image.name for p in by_sky] == [p.image.name for p in by_mask]
    r_sky, r_mask = PairReader(by_sky), PairReader(by_mask)
    for i in range(8):
        np.testing.assert_array_equal(r_sky.mask_tile(i, 0, 0, 64), r_mask.mask_tile(i, 0, 0, 64))
    sorted_pairs = find_pairs(toy_root, image_glob="*_image.fits", mask_glob="*_mask.fits", pairing="sorted")
    assert [p.target.name for p in sorted_pairs] == [p.target.name for p in by_mask]
    with pytest.raises(RadioUNetError, match="exactly one"):
        find_pairs(toy_root, image_glob="*_image.fits")
    with pytest.raises(RadioUNetError, match="no file matches"):
        find_pairs(toy_root, image_glob="*_nothing.fits", mask_glob="*_mask.fits")


def test_user_folder_with_unmatched_names(tmp_path, toy_root):
    """An image without a partner is reported by name."""
    for name in ("toy000_image.fits", "toy000_mask.fits", "toy001_image.fits"):
        shutil.copy(toy_root / name, tmp_path / name)
    with pytest.raises(RadioUNetError, match="toy001_image.fits"):
        find_pairs(tmp_path, image_glob="*_image.fits", mask_glob="*_mask.fits")


def test_manifest_errors(tmp_path, toy_root):
    """Missing manifest, missing columns and missing files are clear errors."""
    with pytest.raises(RadioUNetError, match="manifest"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.csv").write_text("id,image\na,b.fits\n")
    with pytest.raises(RadioUNetError, match="missing column"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.csv").write_text("id,image,mask\na,b.fits,c.fits\n")
    with pytest.raises(RadioUNetError, match="does not exist"):
        read_manifest(tmp_path)


def test_mask_shape_mismatch_and_missing_beam(tmp_path, toy_root):
    """A mask on another grid, or a Jy/beam image without a beam, is refused with the file named."""
    img = fits.open(toy_root / "toy000_image.fits")[0]
    fits.PrimaryHDU(np.zeros((32, 32), np.uint8)).writeto(tmp_path / "small_mask.fits")
    pair = ImagePair("a", toy_root / "toy000_image.fits", tmp_path / "small_mask.fits")
    with pytest.raises(RadioUNetError, match="small_mask.fits"):
        PairReader([pair]).open(0)
    header = img.header.copy()
    del header["BMAJ"], header["BMIN"]
    fits.PrimaryHDU(img.data, header).writeto(tmp_path / "nobeam.fits")
    pair = ImagePair("b", tmp_path / "nobeam.fits", toy_root / "toy000_mask.fits")
    with pytest.raises(RadioUNetError, match="beam"):
        PairReader([pair]).open(0)
    assert PairReader([pair], beam="8").meta(0).beam_area_pixels == pytest.approx(18.13, rel=1e-3)


@pytest.mark.parametrize("norm", ["log", "snr"])
def test_dataloader_batches(toy_root, norm):
    """The DataModule's loaders give (image, mask) batches of the configured size, normalised as asked: the paper's
    log stretch in [0, 1], the noise-relative one signed (noise around 0) and below asinh(max S/N) / asinh(1000)."""
    dm = RadioDataModule(DataConfig(root=str(toy_root), tile=32, val_fraction=0.25, test_fraction=0.125, norm=norm),
                         batch_size=3, seed=0)
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (3, 1, 32, 32) and y.shape == (3, 32, 32)
    assert set(y.unique().tolist()) <= {0, 1}
    if norm == "log":
        assert float(x.min()) >= 0 and float(x.max()) <= 1
    else:
        assert float(x.min()) < -0.05 < 0.05 < float(x.max()) <= np.arcsinh(1e5) / np.arcsinh(1000.0)
        assert abs(float(x.median())) < 0.1
    n_val = sum(len(b[0]) for b in dm.val_dataloader())
    assert n_val == len(dm.val_index)


def test_several_data_folders_train_together(toy_root, tmp_path):
    """data.root as a list: the images of every folder, ids '<folder>/<id>', one split over all of them; folders
    with the same name are refused (their ids would collide)."""
    a, b = tmp_path / "lotss", tmp_path / "meerkat"
    shutil.copytree(toy_root, a)
    shutil.copytree(toy_root, b)
    one = RadioDataModule(DataConfig(root=str(a), tile=32), batch_size=2, seed=0)
    both = RadioDataModule(DataConfig(root=[str(a), str(b)], tile=32), batch_size=2, seed=0)
    one.setup()
    both.setup()
    ids = sorted(sum(both.splits.values(), []))
    assert len(ids) == 2 * len(sum(one.splits.values(), []))
    assert {i.split("/")[0] for i in ids} == {"lotss", "meerkat"}
    assert len(both.train_index) > len(one.train_index)
    assert both.summary()["root"] == [str(a.resolve()), str(b.resolve())]
    assert DataConfig(root=[str(a)]).root == str(a)  # a list of one is the folder itself
    with pytest.raises(RadioUNetError, match="different names"):
        DataConfig(root=[str(a), str(tmp_path / "x" / "lotss")])
