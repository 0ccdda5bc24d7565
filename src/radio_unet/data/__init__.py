"""Training data: normalisation, image pairs, tiles, augmentation, torch data sets.

Examples
--------
>>> from radio_unet.data import normalize, Normalization
>>> norm = Normalization(vmin=1e-10, vmax=1e-5)        # the paper's limits, Jy/pixel
>>> x = norm.apply(image_jy_beam, unit="Jy/beam", beam_area_pixels=30.0)  # doctest: +SKIP
"""

from .augment import N_DIHEDRAL, augment_pair, dihedral, inverse_dihedral, random_dihedral_ops
from .dataset import DataConfig, NpyTileDataset, RadioDataModule, TileDataset, TileSampler, precut_tiles
from .normalize import DEFAULT_VMAX, DEFAULT_VMIN, Normalization, normalize, normalize_image
from .sources import MANIFEST_NAME, ImageMeta, ImagePair, PairReader, discover_pairs, find_pairs, read_manifest, read_target
from .tiles import TileIndex, balance_tiles, build_tile_index, split_by_image, tile_origins

__all__ = [
    "normalize",
    "normalize_image",
    "Normalization",
    "DEFAULT_VMIN",
    "DEFAULT_VMAX",
    "N_DIHEDRAL",
    "dihedral",
    "inverse_dihedral",
    "augment_pair",
    "random_dihedral_ops",
    "ImagePair",
    "ImageMeta",
    "MANIFEST_NAME",
    "read_manifest",
    "find_pairs",
    "discover_pairs",
    "read_target",
    "PairReader",
    "tile_origins",
    "TileIndex",
    "build_tile_index",
    "balance_tiles",
    "split_by_image",
    "DataConfig",
    "TileDataset",
    "NpyTileDataset",
    "TileSampler",
    "precut_tiles",
    "RadioDataModule",
]
