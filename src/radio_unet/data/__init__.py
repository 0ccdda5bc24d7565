"""Training data: normalisation, image pairs, tiles, augmentation, torch data sets.

The normalisation (NumPy only) is imported with the package; every other
name is imported from its submodule on first use
(:func:`radio_unet.lazy_exports`), so that ``from radio_unet.data import
Normalization`` does not import PyTorch or Lightning, which only
augmentation and the data sets need.

Examples
--------
>>> from radio_unet.data import normalize, Normalization
>>> norm = Normalization(vmin=1e-10, vmax=1e-5)        # the paper's limits, Jy/pixel
>>> x = norm.apply(image_jy_beam, unit="Jy/beam", beam_area_pixels=30.0)  # doctest: +SKIP
"""

from __future__ import annotations

from .. import lazy_exports

# Eager: the function ``normalize`` shares its name with its module, which an import of the module from
# elsewhere would otherwise leave as the package's attribute.
from .normalize import DEFAULT_VMAX, DEFAULT_VMIN, Normalization, normalize, normalize_image

#: Public name -> the submodule that defines it (imported on first use).
_SOURCES = {
    "N_DIHEDRAL": "augment",
    "dihedral": "augment",
    "inverse_dihedral": "augment",
    "augment_pair": "augment",
    "random_dihedral_ops": "augment",
    "ImagePair": "sources",
    "ImageMeta": "sources",
    "MANIFEST_NAME": "sources",
    "read_manifest": "sources",
    "find_pairs": "sources",
    "discover_pairs": "sources",
    "read_target": "sources",
    "PairReader": "sources",
    "tile_origins": "tiles",
    "TileIndex": "tiles",
    "build_tile_index": "tiles",
    "balance_tiles": "tiles",
    "split_by_image": "tiles",
    "DataConfig": "dataset",
    "TileDataset": "dataset",
    "NpyTileDataset": "dataset",
    "TileSampler": "dataset",
    "precut_tiles": "dataset",
    "RadioDataModule": "dataset",
}

__all__ = ["normalize", "normalize_image", "Normalization", "DEFAULT_VMIN", "DEFAULT_VMAX", *_SOURCES]
__getattr__, __dir__ = lazy_exports(__name__, _SOURCES)
