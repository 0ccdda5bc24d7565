"""Where training images come from: a ``radio-unet simulate`` folder or user FITS pairs.

Two kinds of data set folder are understood:

* a folder written by ``radio-unet simulate``, with ``manifest.csv`` holding at
  least the columns ``id,image,mask`` (paths relative to the folder; ``image``
  is the observed image in Jy/beam with its beam, ``mask`` a 0/1 image;
  optional ``sky``, the Jy/pixel sky model, and ``labels``);
* any folder of paired FITS files, matched by glob patterns: observed images
  (``image_glob``) with either ready masks (``mask_glob``) or sky models
  (``sky_glob``) which are thresholded at ``sky_threshold`` Jy/pixel (1e-8 in
  the paper) into masks. Pairs are matched on the parts of the file names
  that the wildcards stand for (``'*_clean.fits'`` and ``'*_sky.fits'`` pair
  ``c01_clean.fits`` with ``c01_sky.fits``), or, with ``pairing="sorted"``,
  in sorted order.

:class:`PairReader` opens the images lazily (memory-mapped where the FITS
layout allows) and keeps only a few open at a time.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from typing import Sequence

import numpy as np
from astropy.io import fits

from ..errors import InputError, RadioUNetError, check_choice
from ..io import Beam, parse_beam, read_image
from ..lru import LRUCache
from ..sky.components import DIFFUSE_CLASSES

__all__ = [
    "TARGET_KINDS",
    "DIFFUSE_LABELS",
    "ImagePair",
    "ImageMeta",
    "MANIFEST_NAME",
    "read_manifest",
    "find_pairs",
    "discover_pairs",
    "discover_all_pairs",
    "PairReader",
    "read_target",
]

#: File name of the table written by ``radio-unet simulate``.
MANIFEST_NAME = "manifest.csv"
#: What a training target can be (see :class:`ImagePair`).
TARGET_KINDS = ("mask", "sky", "labels")
#: Label values of diffuse emission in label maps (:data:`radio_unet.sky.DIFFUSE_CLASSES`).
DIFFUSE_LABELS = tuple(int(c) for c in DIFFUSE_CLASSES)


@dataclass(frozen=True)
class ImagePair:
    """One training image and its target.

    Parameters
    ----------
    id : str
        Unique name of the image (the split by image uses it).
    image : pathlib.Path
        Observed image (FITS; Jy/beam with a beam, or Jy/pixel).
    target : pathlib.Path
        A 0/1 mask (``target_kind="mask"``), a Jy/pixel sky model
        (``target_kind="sky"``) or a component label map
        (``target_kind="labels"``, values of :class:`radio_unet.sky.Component`),
        on the same pixel grid as ``image``.
    target_kind : {"mask", "sky", "labels"}
        How to turn ``target`` into training labels.
    sky_threshold : float
        Sky models are thresholded at this brightness (Jy/pixel).
    """

    id: str
    image: Path
    target: Path
    target_kind: str = "mask"
    sky_threshold: float = 1e-8

    def __post_init__(self):
        check_choice(self.target_kind, TARGET_KINDS, "target kind")


@dataclass(frozen=True)
class ImageMeta:
    """What the tile index needs to know about one image (read from its header).

    Attributes
    ----------
    shape : (int, int)
        ``(ny, nx)``.
    unit : {"Jy/beam", "Jy/pixel"}
        Brightness unit of the image.
    beam_area_pixels : float or None
        Beam area in pixels (None for Jy/pixel images without a beam).
    pixel_scale_arcsec : float
        Geometric-mean pixel size.
    beam : Beam or None
        Restoring beam.
    """

    shape: tuple[int, int]
    unit: str
    beam_area_pixels: float | None
    pixel_scale_arcsec: float
    beam: Beam | None


def read_manifest(
    root: str | PathLike, *, target: str = "mask", sky_threshold: float = 1e-8
) -> list[ImagePair]:
    """Read the ``manifest.csv`` of a folder written by ``radio-unet simulate``.

    Parameters
    ----------
    root : str or path-like
        The data set folder.
    target : {"mask", "sky", "labels"}
        Use the ready ``mask`` column, threshold the ``sky`` column at
        ``sky_threshold`` (to train with another threshold), or train on the
        component classes of the ``labels`` column.
    sky_threshold : float
        Jy/pixel threshold for ``target="sky"``.

    Returns
    -------
    list of ImagePair
        In manifest order.
    """
    root = Path(root)
    path = root / MANIFEST_NAME
    if not path.exists():
        raise InputError(path, "no manifest.csv: is this a folder written by 'radio-unet simulate'? "
                               "For your own FITS files give --image-glob and --mask-glob or --sky-glob")
    check_choice(target, TARGET_KINDS, "target")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(line for line in fh if not line.lstrip().startswith("#"))
        columns = set(reader.fieldnames or [])
        needed = {"id", "image", target}
        if not needed <= columns:
            raise InputError(path, f"missing column(s) {', '.join(sorted(needed - columns))}; found {', '.join(sorted(columns))}")
        rows = list(reader)
    if not rows:
        raise InputError(path, "the manifest lists no images")
    pairs, seen = [], set()
    for n, row in enumerate(rows, start=2):
        ident = str(row["id"]).strip()
        if not ident:
            raise InputError(path, f"line {n}: empty id")
        if ident in seen:
            raise InputError(path, f"line {n}: duplicate id {ident!r}")
        seen.add(ident)
        image, tgt = (root / str(row["image"]).strip()), (root / str(row[target]).strip())
        for p in (image, tgt):
            if not p.is_file():
                raise InputError(path, f"line {n}: file {p} does not exist")
        pairs.append(ImagePair(ident, image, tgt, target, float(sky_threshold)))
    return pairs


def _glob_regex(pattern: str) -> re.Pattern:
    """A regex matching like ``pattern`` (relative POSIX path) with one group per wildcard."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("((?:[^/]*/)*)")
            i += 3
            continue
        if c == "*":
            out.append("([^/]*)")
        elif c == "?":
            out.append("([^/])")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"([{body}])")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def _glob(root: Path, pattern: str) -> list[Path]:
    return sorted(p for p in root.glob(pattern) if p.is_file())


def find_pairs(
    root: str | PathLike,
    *,
    image_glob: str,
    mask_glob: str | None = None,
    sky_glob: str | None = None,
    pairing: str = "name",
    sky_threshold: float = 1e-8,
) -> list[ImagePair]:
    """Pair observed images with masks or sky models in a folder of FITS files.

    Parameters
    ----------
    root : str or path-like
        Folder searched (patterns may contain ``**/`` for sub-folders).
    image_glob : str
        Pattern of the observed images, e.g. ``'*clean*.fits'``.
    mask_glob, sky_glob : str
        Pattern of the ready 0/1 masks, or of the Jy/pixel sky models to be
        thresholded (exactly one of the two).
    pairing : {"name", "sorted"}
        ``name``: pair files whose wildcard parts agree (the part of the name
        that ``*`` stands for); ``sorted``: pair the two sorted lists in order
        (they must be equally long).
    sky_threshold : float
        Threshold for sky models, Jy/pixel.

    Returns
    -------
    list of ImagePair
        Sorted by image path; ids are the image paths relative to ``root``
        without the FITS suffix.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(root, "no such data set folder")
    if (mask_glob is None) == (sky_glob is None):
        raise RadioUNetError("give exactly one of --mask-glob (ready masks) or --sky-glob (sky models to threshold)")
    target_glob = mask_glob if mask_glob is not None else sky_glob
    kind = "mask" if mask_glob is not None else "sky"
    images = _glob(root, image_glob)
    image_set = set(images)
    targets = [p for p in _glob(root, target_glob) if p not in image_set]
    if not images:
        raise InputError(root, f"no file matches the image pattern {image_glob!r}")
    if not targets:
        raise InputError(root, f"no file matches the {kind} pattern {target_glob!r}")
    if pairing == "sorted":
        if len(images) != len(targets):
            raise InputError(root, f"{len(images)} images but {len(targets)} {kind} files: cannot pair them in sorted order")
        matched = list(zip(images, targets))
    elif pairing == "name":
        img_re, tgt_re = _glob_regex(image_glob), _glob_regex(target_glob)

        def keyed(files: Sequence[Path], regex: re.Pattern, what: str) -> dict[tuple, Path]:
            out: dict[tuple, Path] = {}
            for f in files:
                m = regex.match(f.relative_to(root).as_posix())
                key = m.groups() if m else (f.relative_to(root).as_posix(),)
                if key in out:
                    raise InputError(root, f"{what} files {out[key].name} and {f.name} have the same wildcard part {key}; use pairing='sorted'")
                out[key] = f
            return out

        ki, kt = keyed(images, img_re, "image"), keyed(targets, tgt_re, kind)
        common = sorted(set(ki) & set(kt))
        if not common:
            raise InputError(
                root,
                f"no image matches a {kind} file by name (e.g. {images[0].name} vs {targets[0].name}); "
                "check the patterns or use --pairing sorted",
            )
        lonely = sorted(set(ki) - set(kt))
        if lonely:
            raise InputError(root, f"{len(lonely)} image(s) without a {kind} file, e.g. {ki[lonely[0]].name}")
        matched = [(ki[k], kt[k]) for k in common]
    else:
        raise RadioUNetError(f"pairing must be 'name' or 'sorted', got {pairing!r}")
    pairs = []
    for image, tgt in sorted(matched):
        ident = re.sub(r"\.fits?(\.gz|\.fz)?$", "", image.relative_to(root).as_posix(), flags=re.IGNORECASE)
        pairs.append(ImagePair(ident, image, tgt, kind, float(sky_threshold)))
    return pairs


def discover_pairs(
    root: str | PathLike,
    *,
    image_glob: str | None = None,
    mask_glob: str | None = None,
    sky_glob: str | None = None,
    pairing: str = "name",
    target: str = "mask",
    sky_threshold: float = 1e-8,
) -> list[ImagePair]:
    """The image pairs of a data set folder: globs if given, else ``manifest.csv``.

    See :func:`read_manifest` and :func:`find_pairs` for the parameters.
    """
    if image_glob is not None:
        return find_pairs(root, image_glob=image_glob, mask_glob=mask_glob, sky_glob=sky_glob, pairing=pairing, sky_threshold=sky_threshold)
    if mask_glob is not None or sky_glob is not None:
        raise RadioUNetError("--mask-glob/--sky-glob need --image-glob as well")
    return read_manifest(root, target=target, sky_threshold=sky_threshold)


def discover_all_pairs(roots: Sequence[str | PathLike], **options) -> list[ImagePair]:
    """The image pairs of one or several data set folders (:func:`discover_pairs` on each).

    With several folders each id becomes ``<folder name>/<id>``, so that ids
    stay unique and a split by image names the folder of every image.

    Parameters
    ----------
    roots : sequence of str or path-like
        Data set folders (different names).
    **options
        Passed to :func:`discover_pairs`.

    Returns
    -------
    list of ImagePair
    """
    roots = list(roots)
    if len(roots) == 1:
        return discover_pairs(roots[0], **options)
    return [replace(p, id=f"{Path(root).name}/{p.id}") for root in roots for p in discover_pairs(root, **options)]


def _first_image_array(hdul: fits.HDUList, path: Path) -> np.ndarray:
    for hdu in hdul:
        if isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)) and hdu.header.get("NAXIS", 0) > 0:
            data = hdu.data
            if data is None:
                continue
            data = np.squeeze(data) if data.ndim > 2 else data
            if data.ndim != 2:
                raise InputError(path, f"a mask must be a 2-D image (degenerate extra axes allowed), got shape {hdu.data.shape}")
            return data
    raise InputError(path, "no image data in this FITS file")


def read_target(pair: ImagePair, *, unit_override: str | None = None) -> np.ndarray:
    """The target of ``pair`` as an array (memory-mapped where possible): 0/1 mask or sky model.

    Sky models are returned in Jy/pixel, not thresholded; see :meth:`PairReader.mask_tile`.
    """
    if pair.target_kind == "sky":
        sky = read_image(pair.target, memmap=True, unit=unit_override)
        if sky.unit == "Jy/beam":
            return sky.to_unit("Jy/pixel").data
        return sky.data
    try:
        hdul = fits.open(pair.target, memmap=True, lazy_load_hdus=True)
    except (OSError, ValueError) as exc:
        raise InputError(pair.target, f"not a readable FITS mask ({str(exc).splitlines()[0]})") from None
    with hdul:
        return _first_image_array(hdul, pair.target)


class PairReader:
    """Open image pairs lazily, with a small least-recently-used cache.

    Parameters
    ----------
    pairs : sequence of ImagePair
        The data set.
    unit : str, optional
        Brightness unit to assume for images whose BUNIT is missing.
    beam : Beam or str, optional
        Beam to assume for images without one (``"BMAJ[,BMIN,BPA]"`` arcsec).
    max_open : int
        Number of image pairs kept open (memory maps for uncompressed FITS;
        decoded arrays for compressed ones).

    Notes
    -----
    The cache is not pickled: each DataLoader worker opens its own files.
    """

    def __init__(self, pairs: Sequence[ImagePair], *, unit: str | None = None, beam: Beam | str | None = None, max_open: int = 4):
        self.pairs = list(pairs)
        self.unit = unit
        self.beam = parse_beam(beam) if isinstance(beam, str) else beam
        self.max_open = max(1, int(max_open))
        self._cache = LRUCache(self.max_open)  # index -> (image, target, meta); pickled empty

    def open(self, index: int) -> tuple[np.ndarray, np.ndarray, ImageMeta]:
        """Return ``(image, target, meta)`` of pair ``index``; arrays may be memory maps."""
        entry = self._cache.get(index)
        if entry is not None:
            return entry
        pair = self.pairs[index]
        img = read_image(pair.image, memmap=True, unit=self.unit, beam=self.beam)
        unit = img.require_unit()
        beam_area = img.beam_area_pixels if img.beam is not None else None
        if unit == "Jy/beam" and beam_area is None:
            img.require_beam()  # raises the clear error
        target = read_target(pair)
        if tuple(target.shape) != tuple(img.data.shape):
            raise InputError(pair.target, f"shape {tuple(target.shape)} differs from its image {pair.image.name} {tuple(img.data.shape)}")
        meta = ImageMeta(
            shape=tuple(int(n) for n in img.data.shape),
            unit=unit,
            beam_area_pixels=beam_area,
            pixel_scale_arcsec=float(img.pixel_scale_arcsec),
            beam=img.beam,
        )
        return self._cache.put(index, (img.data, target, meta))

    def meta(self, index: int) -> ImageMeta:
        """Header information of pair ``index``."""
        return self.open(index)[2]

    def image_tile(self, index: int, y: int, x: int, size: int) -> np.ndarray:
        """float32 copy of the image window ``[y:y+size, x:x+size]`` in its own unit."""
        image = self.open(index)[0]
        return np.array(image[y : y + size, x : x + size], dtype=np.float32)

    def mask_tile(self, index: int, y: int, x: int, size: int) -> np.ndarray:
        """uint8 0/1 mask of the window ``[y:y+size, x:x+size]`` (sky models thresholded)."""
        target = self.open(index)[1]
        return self.mask_from_target(np.asarray(target[y : y + size, x : x + size]), self.pairs[index])

    @staticmethod
    def diffuse_from_target(target: np.ndarray, pair: ImagePair) -> np.ndarray:
        """Boolean map of the diffuse-emission pixels of a target window (what tiles count as non-empty)."""
        labels = PairReader.mask_from_target(target, pair)
        if pair.target_kind == "labels":
            return np.isin(labels, DIFFUSE_LABELS)
        return labels > 0

    @staticmethod
    def mask_from_target(target: np.ndarray, pair: ImagePair) -> np.ndarray:
        """Turn a target window into uint8 training labels: 0/1 for a mask or sky model, the class values of a
        label map (NaN counts as 0)."""
        t = np.asarray(target)
        if pair.target_kind == "labels":
            if t.dtype.kind == "f":
                t = np.nan_to_num(t, nan=0.0)
            return t.astype(np.uint8)
        if pair.target_kind == "sky":
            with np.errstate(invalid="ignore"):
                return (np.nan_to_num(t.astype(np.float32, copy=False), nan=0.0) > pair.sky_threshold).astype(np.uint8)
        if t.dtype.kind == "f":
            t = np.nan_to_num(t, nan=0.0)
        return (t > 0).astype(np.uint8)
