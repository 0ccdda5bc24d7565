"""File formats at the edges: FITS images, beams, units, DS9 regions, atomic outputs.

The names load on first use (:func:`radio_unet.lazy_exports`): :mod:`radio_unet.io.atomic` alone, as the picture
worker of ``segment`` needs it, does not import astropy.
"""

from .. import lazy_exports

_SOURCES = {
    "atomic_path": "atomic",
    "Beam": "beam",
    "beam_from_header": "beam",
    "parse_beam": "beam",
    "RadioImage": "image",
    "parse_plane": "image",
    "read_image": "image",
    "write_image": "image",
    "image_header": "image",
    "open_image_memmap": "image",
    "JY_BEAM": "units",
    "JY_PIXEL": "units",
    "convert_brightness": "units",
    "parse_unit": "units",
    "make_celestial_wcs": "wcs",
    "Region": "ds9",
    "read_ds9_regions": "ds9",
    "region_mask": "ds9",
    "mask_polygons": "ds9",
    "write_ds9_polygons": "ds9",
}

__all__ = list(_SOURCES)
__getattr__, __dir__ = lazy_exports(__name__, _SOURCES)
