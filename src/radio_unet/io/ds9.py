"""DS9 region files: read circles and polygons (with the ``regions`` package), rasterise them, write mask contours.

:func:`read_ds9_regions` reads the area shapes a user draws around a source
(``circle`` and ``polygon`` in ``icrs``/``fk5``/``galactic`` or ``image``
coordinates); the shapes themselves, their coordinates and units are parsed
by :meth:`regions.Regions.parse`, statement by statement so that every
problem names the file and the line. :func:`region_mask` turns them into a
boolean map on an image's grid. :func:`mask_polygons` and
:func:`write_ds9_polygons` write the contours of a mask (``radio-unet
segment``'s ``<stem>.reg``) as DS9 ``polygon`` regions in ICRS degrees that
:func:`read_ds9_regions` (and DS9, and ``regions``) read back.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
from astropy.wcs import WCS

from ..errors import InputError, RadioUNetError
from .atomic import atomic_path

__all__ = ["Region", "read_ds9_regions", "region_mask", "mask_polygons", "write_ds9_polygons"]

_FRAMES = {"icrs", "fk5", "j2000", "galactic", "image"}
_UNSUPPORTED_FRAMES = {"physical", "linear", "amplifier", "detector", "ecliptic", "fk4", "b1950"}
_AREA_SHAPES = {"circle", "polygon"}
_UNSUPPORTED_AREAS = {"box", "ellipse", "annulus", "panda", "epanda", "bpanda", "pie", "ruler"}
_NON_AREAS = {"point", "text", "line", "vector", "compass", "projection", "composite"}
_SHAPE = re.compile(r"^([+-]?)\s*([a-z]+)\s*\((.*)\)\s*$", re.IGNORECASE)
_BAD_NUMBER = re.compile(r"could not convert string to float: '(.*)'")


@dataclass(frozen=True)
class Region:
    """One DS9 shape.

    Attributes
    ----------
    shape : {"circle", "polygon"}
        The shape.
    frame : str
        ``icrs``, ``fk5``, ``galactic`` or ``image``.
    values : tuple of float
        circle: (lon, lat, radius), polygon: (lon1, lat1, lon2, lat2, ...);
        sky coordinates and radii in degrees, image coordinates in 0-based
        pixels (DS9 counts from 1).
    include : bool
        False for an exclusion region (``-circle(...)``).
    line : int
        Line number in the file.
    """

    shape: str
    frame: str
    values: tuple
    include: bool = True
    line: int = 0


def _statements(text: str):
    """``(line number, statement)`` of a region file: ``;``-separated, comments after ``#`` dropped."""
    for number, raw in enumerate(text.splitlines(), start=1):
        for part in raw.split("#", 1)[0].split(";"):
            if part.strip():
                yield number, part.strip()


def _check_values(shape: str, args: str, frame: str, where: str) -> None:
    """The number of values of a shape, and no pixel radius with sky coordinates (``regions`` would skip it)."""
    tokens = [t for t in re.split(r"[,\s]+", args.strip()) if t]
    if shape == "circle":
        if len(tokens) != 3:
            raise RadioUNetError(f"{where}: a circle needs 3 values (x, y, radius), got {len(tokens)}")
        if frame != "image" and tokens[2][-1:] in ("i", "p"):
            raise RadioUNetError(f"{where}: radius {tokens[2]!r} in pixels with sky coordinates; give it in arcsec (\") "
                                 "or degrees")
    elif len(tokens) < 6 or len(tokens) % 2:
        raise RadioUNetError(f"{where}: a polygon needs at least 3 vertices (x1, y1, x2, y2, ...), got {len(tokens)} values")


def _parse_shape(statement: str, frame: str, where: str):
    """One shape through :meth:`regions.Regions.parse`; its warnings (skipped shapes) and errors are errors."""
    from regions import Regions  # imported only when a region file is read

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            parsed = Regions.parse(f"{frame}\n{statement}", format="ds9")
        except (ValueError, TypeError, KeyError) as exc:
            bad = _BAD_NUMBER.search(str(exc))
            if bad:
                raise RadioUNetError(f"{where}: cannot read {bad.group(1)!r} in {statement!r}") from None
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise RadioUNetError(f"{where}: cannot read {statement!r} ({reason})") from None
    if len(parsed) != 1:
        reason = str(caught[0].message) if caught else "not understood"
        raise RadioUNetError(f"{where}: cannot read {statement!r} ({reason})")
    return parsed[0]


def _to_region(shape: str, parsed, number: int) -> Region:
    """A :class:`Region` (degrees or 0-based pixels) from a ``regions`` circle or polygon."""
    include = bool(parsed.meta.get("include", True))
    points = parsed.center if shape == "circle" else parsed.vertices
    if hasattr(points, "frame"):  # a sky region
        frame = points.frame.name
        lon, lat = np.atleast_1d(points.spherical.lon.deg), np.atleast_1d(points.spherical.lat.deg)
        radius = (float(parsed.radius.to_value("deg")),) if shape == "circle" else ()
    else:
        frame = "image"
        lon, lat = np.atleast_1d(points.x), np.atleast_1d(points.y)
        radius = (float(parsed.radius),) if shape == "circle" else ()
    values = tuple(float(v) for pair in zip(lon, lat) for v in pair) + radius
    return Region(shape, frame, values, include=include, line=number)


def read_ds9_regions(path: str | PathLike) -> list[Region]:
    """Read the circles and polygons of a DS9 region file.

    Understood: the coordinate systems ``icrs``, ``fk5`` (``j2000``),
    ``galactic`` and ``image``; coordinates in degrees or sexagesimal; radii
    with ``"``, ``'``, ``d`` or no unit (degrees; pixels in ``image``);
    exclusion shapes (``-circle(...)``); several shapes per line separated by
    ``;``; comments after ``#``. Points, text and lines are ignored; boxes,
    ellipses and the other area shapes are an error (convert them to polygons).

    Parameters
    ----------
    path : str or path-like
        The region file.

    Returns
    -------
    list of Region
        The circles and polygons in file order.

    Raises
    ------
    radio_unet.errors.InputError
        Unreadable file, unknown coordinate system, unsupported shape, bad
        numbers, or no circle or polygon at all; the message names the file
        and the line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(path, f"cannot read the region file ({exc.strerror or exc})") from None
    frame: str | None = None
    regions: list[Region] = []
    for number, item in _statements(text):
        low, where = item.lower(), f"line {number}"
        if low.startswith("global"):
            continue
        if low in _FRAMES:
            frame = low
            continue
        if low in _UNSUPPORTED_FRAMES:
            raise InputError(path, f"{where}: coordinate system {item!r} is not supported; use icrs, fk5, galactic or image")
        m = _SHAPE.match(item)
        if not m:
            raise InputError(path, f"{where}: cannot read {item!r} (expected e.g. circle(RA,DEC,RADIUS\") or polygon(...))")
        shape = m.group(2).lower()
        if shape in _NON_AREAS:
            continue
        if shape in _UNSUPPORTED_AREAS:
            raise InputError(path, f"{where}: shape {shape!r} is not supported; use circle or polygon")
        if shape not in _AREA_SHAPES:
            raise InputError(path, f"{where}: unknown shape {shape!r}")
        if frame is None:
            raise InputError(path, f"{where}: no coordinate system (icrs, fk5, galactic or image) before the first shape")
        try:
            _check_values(shape, m.group(3), frame, where)
            regions.append(_to_region(shape, _parse_shape(item, frame, where), number))
        except RadioUNetError as exc:
            raise InputError(path, str(exc)) from None
    if not regions:
        raise InputError(path, "no circle or polygon region in the file")
    return regions


def _pixels(region: Region, wcs: WCS) -> np.ndarray:
    """Pixel (x, y) of the points of a region, ``(n, 2)``."""
    pts = np.asarray(region.values[: 2 if region.shape == "circle" else None], dtype=np.float64).reshape(-1, 2)
    if region.frame == "image":
        return pts
    from astropy.coordinates import SkyCoord

    coords = SkyCoord(pts[:, 0], pts[:, 1], unit="deg", frame=region.frame)
    x, y = wcs.celestial.world_to_pixel(coords)
    xy = np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])
    if not np.isfinite(xy).all():
        raise RadioUNetError(f"line {region.line}: the {region.shape} lies outside the image's projection")
    return xy


def _bbox(lo: np.ndarray, hi: np.ndarray, shape: tuple[int, int]) -> tuple[slice, slice] | None:
    x0, y0 = max(int(np.floor(lo[0])), 0), max(int(np.floor(lo[1])), 0)
    x1, y1 = min(int(np.ceil(hi[0])) + 1, shape[1]), min(int(np.ceil(hi[1])) + 1, shape[0])
    return None if x0 >= x1 or y0 >= y1 else (slice(y0, y1), slice(x0, x1))


def _rasterise(region: Region, wcs: WCS, shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, bool)
    xy = _pixels(region, wcs)
    if region.shape == "circle":
        radius = region.values[2]
        if region.frame == "image":
            box = _bbox(xy[0] - radius - 1, xy[0] + radius + 1, shape)
            if box is not None:
                yy, xx = np.mgrid[box]
                out[box] = (xx - xy[0, 0]) ** 2 + (yy - xy[0, 1]) ** 2 <= radius**2
            return out
        from astropy.coordinates import SkyCoord
        from astropy.wcs.utils import proj_plane_pixel_scales

        scale = float(np.min(proj_plane_pixel_scales(wcs.celestial)))  # deg/pixel; the smaller one bounds the box safely
        reach = radius / scale * 1.5 + 2
        box = _bbox(xy[0] - reach, xy[0] + reach, shape)
        if box is not None:
            yy, xx = np.mgrid[box]
            centre = SkyCoord(region.values[0], region.values[1], unit="deg", frame=region.frame)
            sky = wcs.celestial.pixel_to_world(xx.ravel(), yy.ravel())
            out[box] = (sky.separation(centre).deg <= radius).reshape(xx.shape)
        return out
    from matplotlib.path import Path as PolyPath

    box = _bbox(xy.min(axis=0), xy.max(axis=0), shape)
    if box is not None:
        yy, xx = np.mgrid[box]
        inside = PolyPath(xy).contains_points(np.column_stack([xx.ravel(), yy.ravel()]), radius=1e-9)
        out[box] = inside.reshape(xx.shape)
    return out


def region_mask(regions: str | PathLike | list[Region], wcs: WCS, shape: tuple[int, int]) -> np.ndarray:
    """Boolean map of the pixels inside DS9 regions (pixel centres inside the shapes).

    Parameters
    ----------
    regions : str, path-like or list of Region
        A region file (see :func:`read_ds9_regions`) or its shapes.
    wcs : astropy.wcs.WCS
        Celestial WCS of the image.
    shape : (int, int)
        ``(ny, nx)`` of the image.

    Returns
    -------
    numpy.ndarray
        The union of the include shapes (everything when there are only
        exclusion shapes) minus the exclusion shapes.
    """
    source = regions if isinstance(regions, (str, PathLike)) else None
    if source is not None:
        regions = read_ds9_regions(source)
    include = [r for r in regions if r.include]
    out = np.zeros(shape, bool) if include else np.ones(shape, bool)
    try:
        for r in include:
            out |= _rasterise(r, wcs, shape)
        for r in regions:
            if not r.include:
                out &= ~_rasterise(r, wcs, shape)
    except RadioUNetError as exc:
        if source is not None:
            raise InputError(source, str(exc)) from None
        raise
    return out


def mask_polygons(mask: np.ndarray, *, min_vertices: int = 4) -> list[np.ndarray]:
    """Closed contour lines of a 0/1 mask at level 0.5.

    Parameters
    ----------
    mask : numpy.ndarray
        2-D 0/1 (or boolean) mask.
    min_vertices : int
        Shorter contours are dropped.

    Returns
    -------
    list of numpy.ndarray
        ``(n, 2)`` arrays of (x, y) pixels; contours are closed at the image border.
    """
    import contourpy

    z = np.pad(np.asarray(mask, np.float64), 1)  # closes contours at the image border
    lines = contourpy.contour_generator(z=z, line_type=contourpy.LineType.Separate).lines(0.5)
    return [line - 1.0 for line in lines if len(line) >= min_vertices]


def write_ds9_polygons(path: str | Path, polygons: list[np.ndarray], wcs: WCS, *, color: str = "cyan", text: str = "") -> Path:
    """Write pixel polygons as DS9 ``polygon`` regions in ICRS degrees, atomically.

    The file is formatted here rather than by :meth:`regions.Regions.write`,
    which formats every vertex through :class:`~astropy.coordinates.SkyCoord`
    (about 50 us a vertex: seconds for the contours of a large mask); the
    ``regions`` package and DS9 read it back.

    Parameters
    ----------
    path : str or path-like
        The region file to write.
    polygons : list of numpy.ndarray
        ``(n, 2)`` arrays of (x, y) pixels (e.g. :func:`mask_polygons`).
    wcs : astropy.wcs.WCS
        Celestial WCS of the pixels.
    color : str
        DS9 colour of the shapes.
    text : str
        Label of every polygon (DS9 ``text={...}``); none when empty.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    lines = ["# Region file format: DS9 version 4.1", f'global color={color} width=1 font="helvetica 10 normal"', "icrs"]
    for poly in polygons:
        world = wcs.pixel_to_world(poly[:, 0], poly[:, 1]).icrs
        coords = ",".join(f"{ra:.7f},{dec:.7f}" for ra, dec in zip(world.ra.deg, world.dec.deg))
        lines.append(f"polygon({coords})" + (f" # text={{{text}}}" if text else ""))
    with atomic_path(path) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n")
    return Path(path)
