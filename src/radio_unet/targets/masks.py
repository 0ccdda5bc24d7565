"""Label masks from images: k sigma above a local rms, a minimum island size, an optional region.

For fine-tuning on real images (``radio-unet finetune``) the labels are 0/1
masks of the diffuse emission. :func:`make_mask` makes them the way
breizorro (Ramaila et al.) does from a (compact-source-subtracted) image:
pixels brighter than ``nsigma`` times the local noise rms (:func:`local_rms`),
islands smaller than ``min_island_pixels`` removed, optionally only inside a
region (a boolean map, or a DS9 ``circle``/``polygon`` region file read by
:func:`read_ds9_regions` and rasterised with the image's WCS by
:func:`region_mask`).

``radio-unet mask IMAGE... -o DIR`` writes ``<stem>.mask.fits`` (uint8, the
image's celestial WCS) for each image.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
from astropy.wcs import WCS

from ..errors import InputError, RadioUNetError

__all__ = ["local_rms", "make_mask", "remove_small_islands", "Region", "read_ds9_regions", "region_mask"]

_MAD_TO_SIGMA = 1.482602218505602


def _robust_sigma(values: np.ndarray, *, clip: float = 3.0, iterations: int = 5) -> float:
    """Median absolute deviation (scaled to a Gaussian sigma) after iterative clipping at ``clip`` sigma."""
    v = values[np.isfinite(values)]
    sigma = float("nan")
    for _ in range(iterations):
        if v.size == 0:
            break
        med = np.median(v)
        dev = np.abs(v - med)
        sigma = float(np.median(dev)) * _MAD_TO_SIGMA
        if sigma == 0.0:
            break
        keep = dev < clip * sigma
        if keep.all():
            break
        v = v[keep]
    return sigma


def _interp_matrix(n: int, centres: np.ndarray) -> np.ndarray:
    """``(n, m)`` linear interpolation weights from nodes at ``centres`` to pixels 0..n-1 (constant beyond the end nodes)."""
    m = centres.size
    if m == 1:
        return np.ones((n, 1))
    x = np.arange(n, dtype=np.float64)
    j = np.clip(np.searchsorted(centres, x) - 1, 0, m - 2)
    t = np.clip((x - centres[j]) / (centres[j + 1] - centres[j]), 0.0, 1.0)
    weights = np.zeros((n, m))
    rows = np.arange(n)
    weights[rows, j] = 1.0 - t
    weights[rows, j + 1] += t
    return weights


def _as_2d(image) -> tuple[np.ndarray, WCS | None]:
    data, wcs = (image.data, image.wcs) if hasattr(image, "data") and hasattr(image, "wcs") else (image, None)
    data = np.asarray(data)
    if data.ndim != 2:
        raise RadioUNetError(f"expected a 2-D image, got shape {data.shape}")
    if not np.issubdtype(data.dtype, np.number):
        raise RadioUNetError(f"expected a numeric image, got dtype {data.dtype}")
    return data, wcs


def local_rms(image, *, box_pixels: int = 100, clip: float = 3.0, min_valid_fraction: float = 0.2) -> np.ndarray:
    """Map of the local noise rms of an image.

    The image is cut into boxes of about ``box_pixels`` x ``box_pixels``; in
    each box the rms is the median absolute deviation scaled to a Gaussian
    sigma after iterative clipping at ``clip`` sigma (robust against the
    sources in the box). The grid of box values is median-filtered over 3 x 3
    boxes (as in SExtractor and photutils' ``Background2D``, so that a box
    dominated by a bright source does not stand out) and interpolated
    bilinearly between box centres to every pixel.

    Parameters
    ----------
    image : numpy.ndarray or RadioImage
        2-D image; NaN pixels are blank.
    box_pixels : int
        Box size in pixels: many beams wide (a source must not fill a box) and
        small enough to follow the changes of the noise (default 100).
    clip : float
        Clipping threshold in sigma.
    min_valid_fraction : float
        Boxes with fewer finite pixels take the value of the nearest valid box.

    Returns
    -------
    numpy.ndarray
        float32 rms map in the image's units, NaN where the image is blank.
    """
    data, _ = _as_2d(image)
    box = int(box_pixels)
    if box != box_pixels or box < 4:
        raise RadioUNetError(f"box_pixels must be an integer >= 4, got {box_pixels}")
    ny, nx = data.shape
    finite = np.isfinite(data)
    if not finite.any():
        raise RadioUNetError("the image has no finite pixel: cannot estimate its noise")
    ey = np.linspace(0, ny, max(1, round(ny / box)) + 1).round().astype(int)
    ex = np.linspace(0, nx, max(1, round(nx / box)) + 1).round().astype(int)
    grid = np.full((ey.size - 1, ex.size - 1), np.nan)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            block = data[ey[i] : ey[i + 1], ex[j] : ex[j + 1]]
            if np.count_nonzero(np.isfinite(block)) >= max(10, min_valid_fraction * block.size):
                grid[i, j] = _robust_sigma(block, clip=clip)
    bad = ~(np.isfinite(grid) & (grid > 0))
    if bad.all():
        raise RadioUNetError("no box holds enough finite, non-constant pixels to estimate the noise (try a larger box_pixels)")
    if bad.any():
        from scipy.ndimage import distance_transform_edt

        nearest = distance_transform_edt(bad, return_distances=False, return_indices=True)
        grid = grid[tuple(nearest)]
    from scipy.ndimage import median_filter

    grid = median_filter(grid, size=3, mode="nearest")
    cy, cx = 0.5 * (ey[:-1] + ey[1:]) - 0.5, 0.5 * (ex[:-1] + ex[1:]) - 0.5
    rms = (_interp_matrix(ny, cy) @ grid @ _interp_matrix(nx, cx).T).astype(np.float32)
    rms[~finite] = np.nan
    return rms


def remove_small_islands(mask: np.ndarray, min_pixels: int) -> np.ndarray:
    """``mask`` without its 8-connected islands of fewer than ``min_pixels`` pixels."""
    from scipy.ndimage import label

    mask = np.asarray(mask, bool)
    if min_pixels <= 1:
        return mask.copy()
    labels, n = label(mask, structure=np.ones((3, 3), bool))
    if n == 0:
        return mask.copy()
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_pixels
    keep[0] = False
    return keep[labels]


def make_mask(
    image,
    *,
    nsigma: float = 5.0,
    box_pixels: int = 100,
    min_island_pixels: int = 10,
    keep_region: np.ndarray | str | PathLike | None = None,
    wcs: WCS | None = None,
    rms: np.ndarray | None = None,
) -> np.ndarray:
    """A 0/1 label mask: pixels above ``nsigma`` times the local rms, small islands removed, inside a region.

    Parameters
    ----------
    image : numpy.ndarray or RadioImage
        2-D image, best with the compact sources subtracted; NaN is blank
        (never in the mask). A :class:`~radio_unet.io.RadioImage` brings its WCS.
    nsigma : float
        Threshold in units of the local rms (5, as breizorro's default).
    box_pixels : int
        Box size of :func:`local_rms`.
    min_island_pixels : int
        Islands (8-connected) with fewer pixels are dropped, after the region cut.
    keep_region : numpy.ndarray, str or path-like, optional
        Keep only pixels inside: a boolean map of the image's shape, or a DS9
        region file (``circle`` and ``polygon`` in ``icrs``/``fk5``/``galactic``
        or ``image`` coordinates, see :func:`read_ds9_regions`), rasterised with
        the image's WCS.
    wcs : astropy.wcs.WCS, optional
        Celestial WCS of a plain array (needed for a region file).
    rms : numpy.ndarray, optional
        A ready rms map (default :func:`local_rms` of the image).

    Returns
    -------
    numpy.ndarray
        Boolean mask of the image's shape.
    """
    data, image_wcs = _as_2d(image)
    wcs = wcs if wcs is not None else image_wcs
    try:
        ok = math.isfinite(float(nsigma)) and float(nsigma) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise RadioUNetError(f"nsigma must be a positive number, got {nsigma!r}")
    try:
        ok = int(min_island_pixels) == min_island_pixels and min_island_pixels >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise RadioUNetError(f"min_island_pixels must be a non-negative integer, got {min_island_pixels!r}")
    if rms is None:
        rms = local_rms(data, box_pixels=box_pixels)
    elif np.shape(rms) != data.shape:
        raise RadioUNetError(f"rms map shape {np.shape(rms)} differs from the image shape {data.shape}")
    with np.errstate(invalid="ignore"):
        mask = np.isfinite(data) & (data > float(nsigma) * np.asarray(rms))
    if keep_region is not None:
        if isinstance(keep_region, (str, PathLike)):
            if wcs is None:
                raise RadioUNetError("a region file needs the image's WCS: pass a RadioImage or wcs=")
            region = region_mask(keep_region, wcs, data.shape)
        else:
            region = np.asarray(keep_region)
            if region.shape != data.shape:
                raise RadioUNetError(f"keep_region shape {region.shape} differs from the image shape {data.shape}")
            region = region.astype(bool)
        mask &= region
    return remove_small_islands(mask, int(min_island_pixels))


# -- DS9 regions ---------------------------------------------------------------------------------

_SKY_FRAMES = {"icrs": "icrs", "fk5": "fk5", "j2000": "fk5", "galactic": "galactic"}
_AREA_SHAPES = {"circle", "polygon"}
_UNSUPPORTED_AREAS = {"box", "ellipse", "annulus", "panda", "epanda", "bpanda", "pie", "ruler"}
_NON_AREAS = {"point", "text", "line", "vector", "compass", "projection", "composite"}
_SHAPE = re.compile(r"^([+-]?)\s*([a-z]+)\s*\((.*)\)\s*$", re.IGNORECASE)


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


def _angle(text: str, *, kind: str, frame: str, where: str) -> float:
    """A DS9 coordinate or length in degrees (sky frames) or 0-based pixels (image)."""
    from astropy import units as u
    from astropy.coordinates import Angle

    t = text.strip()
    try:
        if frame == "image":
            value = float(t.rstrip("ip"))
            return value - 1.0 if kind in ("lon", "lat") else value
        if kind == "radius":
            units = {'"': u.arcsec, "'": u.arcmin, "d": u.deg, "r": u.rad}
            if t[-1:] in units:
                return float((float(t[:-1]) * units[t[-1]]).to_value(u.deg))
            if t[-1:] in ("i", "p"):
                raise RadioUNetError(f"{where}: radius {t!r} in pixels with sky coordinates; give it in arcsec (\") or degrees")
            return float(t)
        if ":" in t or re.search(r"[hms]", t):
            unit = u.hourangle if kind == "lon" and frame != "galactic" else u.deg
            return float(Angle(t, unit=unit).to_value(u.deg))
        return float(t.rstrip("d"))
    except (ValueError, u.UnitsError) as exc:
        raise RadioUNetError(f"{where}: cannot read {t!r} ({exc})") from None


def read_ds9_regions(path: str | PathLike) -> list[Region]:
    """Read the circles and polygons of a DS9 region file.

    Understood: the coordinate systems ``icrs``, ``fk5`` (``j2000``),
    ``galactic`` and ``image``; coordinates in degrees or sexagesimal; radii
    with ``"``, ``'``, ``d`` or no unit (degrees; pixels in ``image``);
    exclusion shapes (``-circle(...)``); several shapes per line separated by
    ``;``; comments after ``#``. Points, text and lines are ignored; boxes,
    ellipses and the other area shapes are an error (convert them to polygons).

    Raises
    ------
    radio_unet.errors.InputError
        Unreadable file, unknown coordinate system, unsupported shape, bad
        numbers, or no circle or polygon at all.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(path, f"cannot read the region file ({exc.strerror or exc})") from None
    frame: str | None = None
    regions: list[Region] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        for part in raw.split("#", 1)[0].split(";"):
            item = part.strip()
            low = item.lower()
            if not item or low.startswith("global"):
                continue
            if low in _SKY_FRAMES or low == "image":
                frame = _SKY_FRAMES.get(low, "image")
                continue
            if low in ("physical", "linear", "amplifier", "detector", "ecliptic", "fk4", "b1950"):
                raise InputError(path, f"line {number}: coordinate system {item!r} is not supported; use icrs, fk5, galactic or image")
            m = _SHAPE.match(item)
            if not m:
                raise InputError(path, f"line {number}: cannot read {item!r} (expected e.g. circle(RA,DEC,RADIUS\") or polygon(...))")
            sign, shape, args = m.group(1), m.group(2).lower(), m.group(3)
            if shape in _NON_AREAS:
                continue
            if shape in _UNSUPPORTED_AREAS:
                raise InputError(path, f"line {number}: shape {shape!r} is not supported; use circle or polygon")
            if shape not in _AREA_SHAPES:
                raise InputError(path, f"line {number}: unknown shape {shape!r}")
            if frame is None:
                raise InputError(path, f"line {number}: no coordinate system (icrs, fk5, galactic or image) before the first shape")
            tokens = [t for t in re.split(r"[,\s]+", args.strip()) if t]
            where = f"line {number}"
            try:
                if shape == "circle":
                    if len(tokens) != 3:
                        raise RadioUNetError(f"{where}: a circle needs 3 values (x, y, radius), got {len(tokens)}")
                    values = (
                        _angle(tokens[0], kind="lon", frame=frame, where=where),
                        _angle(tokens[1], kind="lat", frame=frame, where=where),
                        _angle(tokens[2], kind="radius", frame=frame, where=where),
                    )
                    if not values[2] > 0:
                        raise RadioUNetError(f"{where}: the circle radius must be positive")
                else:
                    if len(tokens) < 6 or len(tokens) % 2:
                        raise RadioUNetError(
                            f"{where}: a polygon needs at least 3 vertices (x1, y1, x2, y2, ...), got {len(tokens)} values"
                        )
                    values = tuple(
                        _angle(t, kind="lon" if k % 2 == 0 else "lat", frame=frame, where=where) for k, t in enumerate(tokens)
                    )
            except RadioUNetError as exc:
                raise InputError(path, str(exc)) from None
            regions.append(Region(shape, frame, values, include=sign != "-", line=number))
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
