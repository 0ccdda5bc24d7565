"""Tile indices: which windows of which images the network is trained on.

A :class:`TileIndex` lists tile origins ``(image, y, x)`` together with the
number of mask pixels and the fraction of valid (finite) pixels of every tile.
It is built by reading one image at a time (:func:`build_tile_index`), so the
data set never has to fit in memory; tiles are cut later, when needed.

:func:`split_by_image` divides the *images* into train/validation/test sets,
so that no image contributes tiles to two sets; :func:`balance_tiles` keeps all
non-empty tiles and a chosen number of empty ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from ..errors import InputError, RadioUNetError
from ..progress import tqdm
from .sources import ImageMeta, ImagePair, PairReader

__all__ = ["tile_origins", "TileIndex", "build_tile_index", "balance_tiles", "split_by_image"]


def tile_origins(length: int, *, tile: int, stride: int | None = None) -> np.ndarray:
    """Start positions of tiles along one axis, covering it completely.

    Parameters
    ----------
    length : int
        Axis length in pixels (``>= tile``).
    tile : int
        Tile size.
    stride : int, optional
        Step between tiles (default: ``tile``, no overlap). The last tile is
        aligned with the end of the axis, so it may overlap its neighbour.

    Returns
    -------
    numpy.ndarray
        Sorted int64 origins.
    """
    stride = tile if stride is None else int(stride)
    if tile <= 0 or stride <= 0:
        raise RadioUNetError(f"tile ({tile}) and stride ({stride}) must be positive")
    if length < tile:
        raise RadioUNetError(f"an axis of {length} pixels is shorter than the tile ({tile} px)")
    starts = list(range(0, length - tile + 1, stride))
    if starts[-1] != length - tile:
        starts.append(length - tile)
    return np.asarray(starts, dtype=np.int64)


@dataclass
class TileIndex:
    """Tiles of a set of images.

    Attributes
    ----------
    pairs : list of ImagePair
        The images (``image`` indexes this list).
    metas : list of ImageMeta
        Header information per image.
    tile : int
        Tile size in pixels.
    image, y, x : numpy.ndarray
        Image number and tile origin of every tile.
    n_mask : numpy.ndarray
        Number of mask (class 1) pixels in every tile.
    valid_fraction : numpy.ndarray
        Fraction of finite image pixels in every tile.
    """

    pairs: list[ImagePair]
    metas: list[ImageMeta]
    tile: int
    image: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    y: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    n_mask: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    valid_fraction: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def __len__(self) -> int:
        return int(self.image.size)

    @property
    def nonempty(self) -> np.ndarray:
        """Boolean: the tile holds at least one mask pixel."""
        return self.n_mask > 0

    @property
    def image_ids(self) -> list[str]:
        """Id of the image of every tile."""
        return [self.pairs[i].id for i in self.image]

    def subset(self, selection: np.ndarray | Sequence[int]) -> "TileIndex":
        """A new index with the tiles selected by a boolean mask or integer positions (same images)."""
        sel = np.asarray(selection)
        return TileIndex(
            self.pairs, self.metas, self.tile, self.image[sel], self.y[sel], self.x[sel], self.n_mask[sel], self.valid_fraction[sel]
        )

    def for_images(self, ids: Iterable[str]) -> "TileIndex":
        """The tiles of the images with the given ids."""
        wanted = set(ids)
        keep = np.array([self.pairs[i].id in wanted for i in range(len(self.pairs))], dtype=bool)
        return self.subset(keep[self.image] if len(self) else np.zeros(0, bool))

    def foreground_fraction(self) -> float:
        """Fraction of mask pixels over all tiles (for class weights)."""
        if not len(self):
            return float("nan")
        return float(self.n_mask.sum()) / float(len(self) * self.tile * self.tile)

    def summary(self) -> dict:
        """Counts for logs and the model card."""
        return {
            "tiles": len(self),
            "nonempty_tiles": int(self.nonempty.sum()),
            "images": int(np.unique(self.image).size),
            "tile": self.tile,
        }


def build_tile_index(
    reader: PairReader,
    *,
    tile: int = 192,
    stride: int | None = None,
    min_valid_fraction: float = 0.5,
    progress: bool = False,
) -> TileIndex:
    """Cut every image into tile origins and count mask pixels per tile.

    Images are read one after the other (one pair open at a time beyond the
    reader's small cache).

    Parameters
    ----------
    reader : PairReader
        Opens the images.
    tile : int
        Tile size in pixels.
    stride : int, optional
        Step between tiles (default ``tile``).
    min_valid_fraction : float
        Drop tiles with fewer finite image pixels than this (blank mosaic borders).
    progress : bool
        Show a progress bar (tqdm).

    Returns
    -------
    TileIndex
    """
    order = range(len(reader.pairs))
    metas: list[ImageMeta] = []
    cols: dict[str, list] = {"image": [], "y": [], "x": [], "n_mask": [], "valid_fraction": []}
    iterator = order
    if progress:
        iterator = tqdm(order, desc="indexing tiles", unit="image")
    for i in iterator:
        image, target, meta = reader.open(i)
        metas.append(meta)
        ny, nx = meta.shape
        if ny < tile or nx < tile:
            raise InputError(reader.pairs[i].image, f"image of {ny}x{nx} pixels is smaller than the tile ({tile} px); use a smaller --tile")
        ys, xs = tile_origins(ny, tile=tile, stride=stride), tile_origins(nx, tile=tile, stride=stride)
        mask = reader.diffuse_from_target(np.asarray(target), reader.pairs[i])
        finite = np.isfinite(np.asarray(image))
        for y in ys:
            for x in xs:
                valid = float(finite[y : y + tile, x : x + tile].mean())
                if valid < min_valid_fraction:
                    continue
                cols["image"].append(i)
                cols["y"].append(y)
                cols["x"].append(x)
                cols["n_mask"].append(int(mask[y : y + tile, x : x + tile].sum(dtype=np.int64)))
                cols["valid_fraction"].append(valid)
        del mask, finite
    return TileIndex(
        list(reader.pairs),
        metas,
        int(tile),
        np.asarray(cols["image"], dtype=np.int64),
        np.asarray(cols["y"], dtype=np.int64),
        np.asarray(cols["x"], dtype=np.int64),
        np.asarray(cols["n_mask"], dtype=np.int64),
        np.asarray(cols["valid_fraction"], dtype=np.float32),
    )


def balance_tiles(nonempty: np.ndarray, *, empty_ratio: float | None, seed: int = 0) -> np.ndarray:
    """Choose tiles: all non-empty ones and at most ``empty_ratio`` empty tiles per non-empty tile.

    Parameters
    ----------
    nonempty : numpy.ndarray
        Boolean per tile: does it contain mask pixels.
    empty_ratio : float or None
        Number of empty tiles kept per non-empty tile: ``1.0`` gives a 50/50
        mix, ``0`` drops every empty tile, ``None`` keeps all tiles. Where
        fewer empty tiles exist, all are kept. When no tile is non-empty,
        ``empty_ratio`` is ignored and all tiles are kept.
    seed : int
        Seed of the random choice of empty tiles (deterministic).

    Returns
    -------
    numpy.ndarray
        Sorted int64 positions of the kept tiles.
    """
    nonempty = np.asarray(nonempty, dtype=bool)
    positions = np.arange(nonempty.size, dtype=np.int64)
    if empty_ratio is None or not nonempty.any():
        return positions
    if empty_ratio < 0:
        raise RadioUNetError(f"empty_ratio must be >= 0 or None, got {empty_ratio}")
    full, empty = positions[nonempty], positions[~nonempty]
    n_keep = min(empty.size, int(round(empty_ratio * full.size)))
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xBA1A]))
    chosen = rng.choice(empty, size=n_keep, replace=False) if n_keep else np.zeros(0, np.int64)
    return np.sort(np.concatenate([full, chosen]))


def split_by_image(
    ids: Sequence[str], *, val_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 0
) -> dict[str, list[str]]:
    """Split image ids into train, validation and test sets, deterministically.

    Parameters
    ----------
    ids : sequence of str
        Image ids (order does not matter; duplicates are an error).
    val_fraction, test_fraction : float
        Fractions of the images held out; each non-zero fraction gets at
        least one image when there are at least three images.
    seed : int
        The same seed and ids always give the same split.

    Returns
    -------
    dict
        ``{"train": [...], "val": [...], "test": [...]}``, each sorted; every
        id is in exactly one set.
    """
    unique = sorted(set(map(str, ids)))
    if len(unique) != len(ids):
        raise RadioUNetError("image ids must be unique for a split by image")
    for name, frac in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= frac < 1.0:
            raise RadioUNetError(f"{name} must be in [0, 1), got {frac}")
    if val_fraction + test_fraction >= 1.0:
        raise RadioUNetError("val_fraction + test_fraction must leave images for training")
    n = len(unique)

    def count(frac: float) -> int:
        k = int(round(frac * n))
        return max(k, 1) if frac > 0 and n >= 3 else k

    n_test, n_val = count(test_fraction), count(val_fraction)
    if n - n_test - n_val < 1:
        raise RadioUNetError(f"{n} image(s) are too few to hold out {n_val} for validation and {n_test} for test")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5B1D]))
    order = [unique[i] for i in rng.permutation(n)]
    test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    return {"train": sorted(train), "val": sorted(val), "test": sorted(test)}
