"""File formats at the edges: FITS images, beams, units, DS9 regions, atomic outputs."""

from .atomic import atomic_path
from .beam import Beam, beam_from_header, parse_beam
from .ds9 import Region, mask_polygons, read_ds9_regions, region_mask, write_ds9_polygons
from .image import RadioImage, image_header, open_image_memmap, parse_plane, read_image, write_image
from .wcs import make_celestial_wcs
from .units import JY_BEAM, JY_PIXEL, convert_brightness, parse_unit

__all__ = [
    "atomic_path",
    "Beam",
    "beam_from_header",
    "parse_beam",
    "RadioImage",
    "parse_plane",
    "read_image",
    "write_image",
    "image_header",
    "open_image_memmap",
    "JY_BEAM",
    "JY_PIXEL",
    "convert_brightness",
    "parse_unit",
    "make_celestial_wcs",
    "Region",
    "read_ds9_regions",
    "region_mask",
    "mask_polygons",
    "write_ds9_polygons",
]
