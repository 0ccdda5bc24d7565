"""DS9 region files of mask contours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.wcs import WCS

from ..io.atomic import atomic_path

__all__ = ["mask_polygons", "write_ds9_polygons"]


def mask_polygons(mask: np.ndarray, *, min_vertices: int = 4) -> list[np.ndarray]:
    """Closed contour lines of a 0/1 mask at level 0.5, as ``(n, 2)`` arrays of (x, y) pixels."""
    import contourpy

    z = np.pad(np.asarray(mask, np.float64), 1)  # closes contours at the image border
    lines = contourpy.contour_generator(z=z, line_type=contourpy.LineType.Separate).lines(0.5)
    return [line - 1.0 for line in lines if len(line) >= min_vertices]


def write_ds9_polygons(path: str | Path, polygons: list[np.ndarray], wcs: WCS, *, color: str = "cyan", text: str = "") -> Path:
    """Write pixel polygons as DS9 ``polygon`` regions in ICRS degrees, atomically."""
    lines = ["# Region file format: DS9 version 4.1", f'global color={color} width=1 font="helvetica 10 normal"', "icrs"]
    for poly in polygons:
        world = wcs.pixel_to_world(poly[:, 0], poly[:, 1]).icrs
        coords = ",".join(f"{ra:.7f},{dec:.7f}" for ra, dec in zip(world.ra.deg, world.dec.deg))
        lines.append(f"polygon({coords})" + (f" # text={{{text}}}" if text else ""))
    with atomic_path(path) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n")
    return Path(path)
