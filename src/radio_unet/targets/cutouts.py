"""Square cut-outs around targets from survey mosaics, pointings or ready cut-outs, WCS kept.

Each target is matched to the images whose footprint contains it, nearest
image centre first (the best primary-beam sensitivity in a mosaic or
pointing); the first of them with a valid (non-blank) pixel at the target is
cut with :class:`astropy.nddata.Cutout2D` (``mode="partial"``, NaN fill, so
a target near an edge keeps the full size with blanks) and written with
:func:`radio_unet.io.write_image`, keeping the beam, unit and frequency.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import InputError, RadioUNetError
from ..io.atomic import atomic_path
from ..lru import LRUCache
from ..parallel import run_parallel

__all__ = [
    "FITS_PATTERNS",
    "Footprint",
    "find_images",
    "read_footprint",
    "read_footprints",
    "match_targets",
    "target_items",
    "target_stems",
    "cut_out",
    "cutout_signature",
    "open_image",
    "choose_image",
    "CutoutJob",
    "make_cutouts",
    "write_cutout_index",
    "write_rejected",
]

#: File names taken from a folder given as ``--images``.
FITS_PATTERNS = ("*.fits", "*.fits.gz", "*.fit", "*.fts", "*.fits.fz")
#: Outputs of ``radio-unet segment`` (never treated as radio images).
_DERIVED = re.compile(r"\.(prob|mask)\.fits(\.gz)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Footprint:
    """Where an image lies on the sky, from its header only.

    Attributes
    ----------
    path : str
    shape : (int, int)
        ``(ny, nx)`` of the celestial plane.
    wcs : astropy.wcs.WCS
        Celestial WCS.
    center : (float, float)
        ICRS (RA, Dec) of the array centre, degrees.
    """

    path: str
    shape: tuple[int, int]
    wcs: object
    center: tuple[float, float]


def find_images(paths: Iterable[str | PathLike]) -> list[str]:
    """FITS files named directly or found (not recursively) in folders, sorted, without duplicates.

    Probability and mask maps (``*.prob.fits``, ``*.mask.fits``) found in
    folders are skipped.

    Raises
    ------
    radio_unet.errors.InputError
        For a path that does not exist or a folder without FITS files.
    """
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted({f for pattern in FITS_PATTERNS for f in path.glob(pattern)
                            if f.is_file() and not _DERIVED.search(f.name) and not f.name.startswith(".")})
            if not found:
                raise InputError(path, f"no FITS images in this folder ({', '.join(FITS_PATTERNS)})")
            out.extend(str(f) for f in found)
        elif path.is_file():
            out.append(str(path))
        else:
            raise InputError(path, "no such file or folder")
    seen, unique = set(), []
    for p in out:
        key = str(Path(p).resolve())
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def read_footprint(path: str | PathLike) -> Footprint:
    """Read the footprint of one image from its header (the data are not read).

    Raises
    ------
    radio_unet.errors.InputError
        For a file that is not a FITS image with a celestial WCS.
    """
    from astropy.io import fits
    from astropy.wcs import WCS, FITSFixedWarning

    path = str(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FITSFixedWarning)
            warnings.simplefilter("ignore", fits.verify.VerifyWarning)
            with fits.open(path, lazy_load_hdus=True) as hdul:
                header = None
                for hdu in hdul:
                    if hdu.header.get("NAXIS", 0) >= 2 and (hdu.is_image or isinstance(hdu, fits.CompImageHDU)):
                        header = hdu.header.copy()
                        break
            if header is None:
                raise InputError(path, "no image data in this FITS file")
            wcs = WCS(header)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - astropy raises many kinds
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(path, f"not a readable FITS image ({text})") from None
    if not wcs.has_celestial or wcs.wcs.lng < 0 or wcs.wcs.lat < 0:
        raise InputError(path, "no celestial WCS (CTYPE1/CTYPE2 should be RA---SIN/DEC--SIN or similar)")
    lng, lat = wcs.wcs.lng, wcs.wcs.lat
    nx, ny = int(header[f"ZNAXIS{lng + 1}"] if f"ZNAXIS{lng + 1}" in header else header[f"NAXIS{lng + 1}"]), int(
        header[f"ZNAXIS{lat + 1}"] if f"ZNAXIS{lat + 1}" in header else header[f"NAXIS{lat + 1}"])
    cel = wcs.celestial
    from astropy.coordinates import SkyCoord

    centre = cel.pixel_to_world((nx - 1) / 2.0, (ny - 1) / 2.0)
    icrs = centre.icrs if isinstance(centre, SkyCoord) else SkyCoord(centre).icrs
    return Footprint(path=path, shape=(ny, nx), wcs=cel, center=(float(icrs.ra.deg), float(icrs.dec.deg)))


def read_footprints(paths: Sequence[str]) -> tuple[list[Footprint], list[tuple[str, str]]]:
    """Footprints of every readable image, and ``(path, message)`` for the others."""
    good, bad = [], []
    for p in paths:
        try:
            good.append(read_footprint(p))
        except RadioUNetError as exc:
            bad.append((p, str(exc)))
    return good, bad


def match_targets(ra, dec, footprints: Sequence[Footprint]) -> list[list[int]]:
    """For each target, the images that contain it, nearest image centre first.

    Parameters
    ----------
    ra, dec : array_like
        ICRS positions in degrees.
    footprints : sequence of Footprint

    Returns
    -------
    list of list of int
        Indices into ``footprints``; an empty list for a target off every
        image. "Contains" means the target's pixel lies within the array
        (``-0.5 <= x < nx - 0.5``); blank pixels are checked later, on the data.
    """
    from astropy.coordinates import SkyCoord

    ra = np.atleast_1d(np.asarray(ra, float))
    dec = np.atleast_1d(np.asarray(dec, float))
    coords = SkyCoord(ra, dec, unit="deg", frame="icrs")
    n, m = ra.size, len(footprints)
    inside = np.zeros((n, m), bool)
    dist = np.full((n, m), np.inf)
    for j, fp in enumerate(footprints):
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x, y = fp.wcs.world_to_pixel(coords)
        x, y = np.atleast_1d(x), np.atleast_1d(y)
        ny, nx = fp.shape
        ok = np.isfinite(x) & np.isfinite(y) & (x >= -0.5) & (x < nx - 0.5) & (y >= -0.5) & (y < ny - 0.5)
        # The projection must map back to the same place (SIN folds the far hemisphere onto the image).
        if ok.any():
            back = fp.wcs.pixel_to_world(x[ok], y[ok])
            ok[np.flatnonzero(ok)] = np.atleast_1d(back.separation(coords[ok]).arcsec) < 1.0
        inside[:, j] = ok
        centre = SkyCoord(*fp.center, unit="deg", frame="icrs")
        dist[:, j] = np.where(ok, coords.separation(centre).deg, np.inf)
    out = []
    for i in range(n):
        idx = np.flatnonzero(inside[i])
        out.append([int(k) for k in idx[np.argsort(dist[i, idx], kind="stable")]])
    return out


def target_stems(names: Iterable[str]) -> list[str]:
    """File-name stems for targets: unsafe characters become ``_``; duplicates get ``_2``, ``_3``...

    ``"PSZ2 G000.04+45.13"`` -> ``"PSZ2_G000.04+45.13"``.
    """
    stems, used = [], {}
    for name in names:
        stem = re.sub(r"[^A-Za-z0-9+\-.=]+", "_", str(name)).strip("._") or "target"
        key = stem.lower()
        if key in used:
            used[key] += 1
            stem = f"{stem}_{used[key]}"
            key = stem.lower()
        used.setdefault(key, 1)
        stems.append(stem)
    return stems


def cut_out(data: np.ndarray, wcs, *, ra: float, dec: float, size: int) -> tuple[np.ndarray, object]:
    """A ``size`` x ``size`` float32 cut-out centred on (``ra``, ``dec``), NaN outside the image.

    Parameters
    ----------
    data : numpy.ndarray
        2-D image (may be a memory map).
    wcs : astropy.wcs.WCS
        Its celestial WCS.
    ra, dec : float
        ICRS degrees.
    size : int
        Side in pixels.

    Returns
    -------
    data, wcs
        The cut-out and its WCS (the target is at pixel ``size // 2`` or
        ``(size - 1) / 2`` within half a pixel).
    """
    from astropy.coordinates import SkyCoord
    from astropy.nddata import Cutout2D, NoOverlapError

    if int(size) < 1:
        raise RadioUNetError(f"cut-out size must be at least 1 pixel, got {size}")
    try:
        cut = Cutout2D(data, SkyCoord(ra, dec, unit="deg", frame="icrs"), (int(size), int(size)), wcs=wcs,
                       mode="partial", fill_value=np.nan, copy=True)
    except NoOverlapError:
        raise RadioUNetError(f"target at RA {ra:.5f}, Dec {dec:.5f} is not on the image") from None
    return np.asarray(cut.data, dtype=np.float32), cut.wcs


def cutout_signature(*, name: str, ra: float, dec: float, size: int, source: str) -> str:
    """What a cut-out was made from (written in its header; a rerun with other settings redoes it)."""
    return json.dumps({"name": name, "ra": round(float(ra), 7), "dec": round(float(dec), 7), "size": int(size),
                       "source": Path(source).name}, sort_keys=True)


_IMAGE_CACHE = LRUCache(2)  # (path, read options) -> RadioImage


def open_image(path: str, read_options: dict | None = None, *, cache: int = 2):
    """:func:`radio_unet.io.read_image` with memory mapping, keeping the last ``cache`` images open in this process.

    Targets of the same mosaic reuse it instead of reading it again.
    """
    from ..io import read_image  # astropy.wcs, astropy.coordinates (~0.25 s)

    options = dict(read_options or {})
    key = (str(path), json.dumps(options, sort_keys=True, default=str))
    image = _IMAGE_CACHE.get(key)
    if image is None:
        image = _IMAGE_CACHE.put(key, read_image(path, memmap=True, **options), maxsize=cache)
    return image


def _value_at(image, ra: float, dec: float) -> float:
    from astropy.coordinates import SkyCoord

    x, y = image.wcs.world_to_pixel(SkyCoord(ra, dec, unit="deg", frame="icrs"))
    ix, iy = int(round(float(x))), int(round(float(y)))
    ny, nx = image.data.shape
    if not (0 <= ix < nx and 0 <= iy < ny):
        return float("nan")
    return float(image.data[iy, ix])


def choose_image(candidates: Sequence[str], *, ra: float, dec: float, read_options: dict | None = None):
    """The first candidate image (nearest centre first) with a valid pixel at the target.

    Returns
    -------
    RadioImage or None
        None when the target is blank in every candidate.
    """
    for path in candidates:
        image = open_image(path, read_options)
        if np.isfinite(_value_at(image, ra, dec)):
            return image
    return None


class CutoutJob:
    """Cut out one target (picklable, for :func:`radio_unet.parallel.run_parallel`).

    Parameters
    ----------
    out_dir : str or path-like
        Folder of the cut-outs (``<stem>.fits``).
    size : int
        Side in pixels.
    read_options : dict, optional
        ``beam``/``unit``/``plane`` for :func:`radio_unet.io.read_image`.
    overwrite : bool
        Redo cut-outs that exist.

    Notes
    -----
    The item is a dict with ``name``, ``stem``, ``ra``, ``dec``,
    ``candidates`` (image paths, nearest centre first) and optionally
    ``size`` (overrides the job's). The result is a dict
    with ``name``, ``stem``, ``file`` (None when the target is blank in every
    image), ``image`` (the source), ``status`` (``written``, ``exists`` or
    ``blank``) and ``blank_fraction``.
    """

    def __init__(self, out_dir: str | PathLike, *, size: int = 960, read_options: dict | None = None,
                 overwrite: bool = False):
        self.out_dir = str(out_dir)
        self.size = int(size)
        self.read_options = dict(read_options or {})
        self.overwrite = bool(overwrite)

    def size_of(self, item: dict) -> int:
        """The cut-out side of ``item``: its own ``size`` when it has one, else the job's."""
        return int(item.get("size") or self.size)

    def path(self, stem: str) -> Path:
        """Cut-out file of a target stem."""
        return Path(self.out_dir) / f"{stem}.fits"

    def existing(self, item: dict) -> str | None:
        """The source image named in a finished cut-out of ``item`` made with the same settings, else None."""
        from astropy.io import fits

        path = self.path(item["stem"])
        if self.overwrite or not path.exists():
            return None
        try:
            header = fits.getheader(path)
        except OSError:
            return None
        source = header.get("HIERARCH RUNET SOURCE")
        expected = cutout_signature(name=item["name"], ra=item["ra"], dec=item["dec"], size=self.size_of(item),
                                    source=str(source or ""))
        return str(source) if header.get("HIERARCH RUNET CUTOUT") == expected else None

    def __call__(self, item: dict) -> dict:
        from ..io import write_image  # astropy.wcs, astropy.coordinates (~0.25 s)

        base = {"name": item["name"], "stem": item["stem"], "index": item.get("index")}
        source = self.existing(item)
        if source is not None:
            return {**base, "file": str(self.path(item["stem"])), "image": source, "status": "exists",
                    "blank_fraction": None}
        image = choose_image(item["candidates"], ra=item["ra"], dec=item["dec"], read_options=self.read_options)
        if image is None:
            return {**base, "file": None, "image": None, "status": "blank", "blank_fraction": 1.0}
        size = self.size_of(item)
        data, wcs = cut_out(image.data, image.wcs, ra=item["ra"], dec=item["dec"], size=size)
        signature = cutout_signature(name=item["name"], ra=item["ra"], dec=item["dec"], size=size,
                                     source=image.path)
        provenance = {"target": item["name"], "ra": float(item["ra"]), "dec": float(item["dec"]),
                      "source": Path(image.path).name, "size": size, "cutout": signature}
        out = write_image(self.path(item["stem"]), data, wcs=wcs, beam=image.beam, unit=image.unit,
                          frequency=image.frequency, provenance=provenance)
        return {**base, "file": str(out), "image": Path(image.path).name, "status": "written",
                "blank_fraction": float(np.mean(~np.isfinite(data)))}


def target_items(catalog, footprints: Sequence[Footprint]) -> tuple[list[dict], list[dict]]:
    """Work items for targets on some image, and the targets off every image."""
    stems = target_stems(catalog["name"])
    matches = match_targets(np.asarray(catalog["ra"]), np.asarray(catalog["dec"]), footprints)
    items, off = [], []
    for i, (row, stem, match) in enumerate(zip(catalog, stems, matches)):
        item = {"index": i, "name": str(row["name"]), "stem": stem, "ra": float(row["ra"]), "dec": float(row["dec"]),
                "candidates": [footprints[k].path for k in match]}
        (items if match else off).append(item)
    return items, off


def make_cutouts(
    catalog,
    images: Sequence[str | PathLike],
    out_dir: str | PathLike,
    *,
    size: int = 960,
    workers: int = 1,
    scheduler: str | None = None,
    read_options: dict | None = None,
    overwrite: bool = False,
) -> dict:
    """Cut every target of ``catalog`` out of the best image among ``images``.

    Parameters
    ----------
    catalog : astropy.table.Table
        With ``name``, ``ra``, ``dec`` (see :func:`radio_unet.targets.catalog.read_catalog`).
    images : sequence of path
        FITS images or folders of them.
    out_dir : path
        Where ``<stem>.fits`` cut-outs, ``cutouts.ecsv`` (the index) and
        ``rejected_rows.txt`` go.
    size, workers, scheduler, read_options, overwrite :
        See :class:`CutoutJob` and :func:`radio_unet.parallel.run_parallel`.

    Returns
    -------
    dict
        ``results`` (one dict per cut target, see :class:`CutoutJob`),
        ``off`` (targets off every image or blank in every one),
        ``failures`` (``(item, message)``), ``bad_images`` (``(path,
        message)``), ``index`` (the path of ``cutouts.ecsv``) and
        ``rejected`` (``rejected_rows.txt``, or None when no catalogue row
        was skipped).
    """
    if int(size) < 1:
        raise RadioUNetError(f"--size must be a positive number of pixels, got {size}")
    footprints, bad_images = read_footprints(find_images(images))
    if not footprints:
        raise RadioUNetError("none of the --images is a readable FITS image with a celestial WCS")
    items, off = target_items(catalog, footprints)
    job = CutoutJob(out_dir, size=size, read_options=read_options, overwrite=overwrite)
    results, failures = run_parallel(job, items, workers=workers, scheduler=scheduler, desc="cutout", unit="target")
    results.sort(key=lambda r: r["index"])
    blank = [r for r in results if r["status"] == "blank"]
    results = [r for r in results if r["status"] != "blank"]
    by_index = {item["index"]: item for item in items}
    off_all = sorted(off + [dict(by_index[r["index"]], reason="blank") for r in blank], key=lambda r: r["index"])
    index = write_cutout_index(out_dir, catalog, results, off_all, failures)
    return {"results": results, "off": off_all, "failures": failures, "bad_images": bad_images, "index": index,
            "rejected": write_rejected(out_dir, catalog)}


def write_rejected(out_dir, catalog) -> Path | None:
    """Write the catalogue rows skipped for missing or impossible values to ``rejected_rows.txt`` (None if none)."""
    rejected = catalog.meta.get("rejected", []) if hasattr(catalog, "meta") else []
    if not rejected:
        return None
    path = Path(out_dir) / "rejected_rows.txt"
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(rejected) + "\n")
    return path


def write_cutout_index(out_dir, catalog, results, off, failures) -> Path:
    """Write ``cutouts.ecsv``: one row per target with its file, source image and status."""
    from astropy.table import Table

    status = {}
    for r in results:
        status[r["index"]] = (Path(r["file"]).name, r["image"] or "", r["status"])
    for r in off:
        status[r["index"]] = ("", "", "blank in every image" if r.get("reason") == "blank" else "off every image")
    for item, message in failures:
        status[item["index"]] = ("", "", f"failed: {message}")
    rows = [(str(catalog["name"][i]), float(catalog["ra"][i]), float(catalog["dec"][i]), *status.get(i, ("", "", "")))
            for i in range(len(catalog))]
    table = Table(rows=rows, names=("name", "ra", "dec", "file", "image", "status"),
                  dtype=(str, float, float, str, str, str)) if rows else Table(
        names=("name", "ra", "dec", "file", "image", "status"), dtype=(str, float, float, str, str, str))
    path = Path(out_dir) / "cutouts.ecsv"
    with atomic_path(path) as tmp:
        table.write(tmp, format="ascii.ecsv")
    return path

