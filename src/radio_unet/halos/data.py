"""The MWA/GLEAM radio-halo set: file names, sky groups, one common grid, the talk's preprocessing.

The set (Mishra et al., arXiv:2411.15559) has 46 objects, each in four GLEAM bands (72-103, 103-134, 139-170 and
170-231 MHz) as 300x300 cut-outs at different pixel scales. Here an object is the unit: its four bands are
reprojected onto one tangent-plane grid centred on the object and stacked as channels. Objects whose cut-outs
overlap on the sky form one group (they must fall in the same fold). Preprocessing follows the talk: clipping at
``k`` sigma, a cut-out, a log stretch and min-max scaling to [0, 1] per channel.

Only :func:`read_band` and :func:`load_gleam` touch files; the rest are pure functions on arrays.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np

from ..errors import InputError, RadioUNetError

__all__ = ["BANDS", "NON_CLUSTER_PREFIXES", "HaloSet", "GleamObject", "parse_name", "is_cluster", "scan_gleam",
           "overlap_groups", "read_band", "grid_wcs", "reproject_band", "noise_sigma", "clip_sigma", "log_minmax",
           "preprocess_bands", "center_crop", "padded_size", "load_gleam", "load_objects", "footprints"]

#: The four GLEAM bands of the set (MHz ranges, as in the file names), lowest first.
BANDS = ("72-103", "103-134", "139-170", "170-231")
#: Object-name prefixes of the negatives that are not galaxy clusters (ORCs, radio galaxies): the 9 of 23.
NON_CLUSTER_PREFIXES = ("orc_", "3c_", "pks_", "ngc_")

_NAME = re.compile(r"^(?P<obj>.+?)_?(?:gleam|GLEAM|Gleam)_?(?P<lo>\d+)-(?P<hi>\d+)(?:MHz)?(?:_clipped)?"
                   r"\.fits(?:\.gz)?$")


def parse_name(name: str) -> tuple[str, str]:
    """Object id and band of a GLEAM cut-out file name.

    Parameters
    ----------
    name : str
        File name, e.g. ``abell_2744_Gleam103-134_clipped.fits.gz`` or ``orc_5_GLEAM_170-231MHz_clipped.fits.gz``.

    Returns
    -------
    (str, str)
        Object id (lower case) and band (one of :data:`BANDS`).

    Raises
    ------
    ValueError
        The name does not follow the GLEAM convention or names an unknown band.

    Examples
    --------
    >>> parse_name("orc_5_GLEAM_170-231MHz_clipped.fits.gz")
    ('orc_5', '170-231')
    >>> parse_name("abell_s1063Gleam72-103_clipped.fits.gz")
    ('abell_s1063', '72-103')
    """
    m = _NAME.match(Path(name).name)
    if not m:
        raise ValueError(f"{name}: not a GLEAM cut-out name (<object>_Gleam<lo>-<hi>_clipped.fits[.gz])")
    band = f"{m['lo']}-{m['hi']}"
    if band not in BANDS:
        raise ValueError(f"{name}: unknown band {band} (expected one of {', '.join(BANDS)})")
    return m["obj"].lower(), band


def is_cluster(object_id: str) -> bool:
    """Whether an object id names a galaxy cluster (not an ORC or a radio galaxy).

    Examples
    --------
    >>> is_cluster("abell_2744"), is_cluster("orc_2"), is_cluster("3c_315")
    (True, False, False)
    """
    return not object_id.lower().startswith(NON_CLUSTER_PREFIXES)


@dataclass
class GleamObject:
    """One object of the set: its label and the file of each band.

    Parameters
    ----------
    object_id : str
    label : int
        1 radio halo, 0 no halo.
    files : dict
        Band -> path.
    split : str
        ``"train"`` or ``"test"``: the split of the original study (not used by the grouped protocol).
    """

    object_id: str
    label: int
    files: dict = field(default_factory=dict)
    split: str = "train"


def scan_gleam(root: str | PathLike, bands: tuple[str, ...] = BANDS) -> list[GleamObject]:
    """Find the objects of a GLEAM-Data folder (``TRAIN_DATA_0/1``, ``TEST_DATA_0/1``).

    Parameters
    ----------
    root : str or path-like
        The folder with the four class folders, or a folder above it (e.g. ``mwa_gleam_halos``).
    bands : tuple of str
        Bands every object must have.

    Returns
    -------
    list of GleamObject
        Sorted by object id.

    Raises
    ------
    radio_unet.errors.InputError
        No class folders, an object labelled both ways, or an object without one of the bands.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(root, "no such folder (expected the GLEAM-Data folder of the halo set)")
    if not any(root.glob("*_DATA_[01]")) and (root / "GLEAM-Data").is_dir():
        root = root / "GLEAM-Data"
    folders = sorted(p for p in root.glob("*_DATA_[01]") if p.is_dir())
    if not folders:
        raise InputError(root, "no TRAIN_DATA_0/1 or TEST_DATA_0/1 folders in it")
    objects: dict[str, GleamObject] = {}
    for folder in folders:
        label = int(folder.name[-1])
        split = "test" if folder.name.upper().startswith("TEST") else "train"
        for path in sorted(folder.glob("*.fits*")):
            try:
                obj, band = parse_name(path.name)
            except ValueError:
                continue
            if band not in bands:
                continue
            item = objects.setdefault(obj, GleamObject(obj, label, {}, split))
            if item.label != label:
                raise InputError(path, f"object {obj} is labelled both {item.label} and {label}")
            item.files[band] = path
    if not objects:
        raise InputError(root, "no GLEAM cut-outs (<object>_Gleam<band>_clipped.fits.gz) in its class folders")
    for item in objects.values():
        missing = [b for b in bands if b not in item.files]
        if missing:
            raise InputError(root / item.object_id, f"object {item.object_id} has no file for band(s) {', '.join(missing)}")
    return [objects[k] for k in sorted(objects)]


def overlap_groups(ra_deg, dec_deg, width_deg) -> np.ndarray:
    """Group ids of square cut-outs: cut-outs that overlap on the sky (directly or through others) share one.

    Parameters
    ----------
    ra_deg, dec_deg : array_like
        Centres (deg).
    width_deg : array_like
        Side of each (north-up) cut-out in degrees.

    Returns
    -------
    numpy.ndarray of int
        Group id of each cut-out, 0 .. n_groups-1, numbered by first appearance.

    Notes
    -----
    Two cut-outs overlap when the offset of one centre in the tangent plane of the other is smaller than half the
    sum of their sides on both axes (rotation between the two north-up frames is neglected).

    Examples
    --------
    >>> overlap_groups([10.0, 10.5, 50.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]).tolist()
    [0, 0, 1]
    """
    from astropy.coordinates import SkyCoord
    from scipy.sparse.csgraph import connected_components

    ra, dec, w = (np.atleast_1d(np.asarray(a, float)) for a in (ra_deg, dec_deg, width_deg))
    c = SkyCoord(ra, dec, unit="deg")
    n = len(ra)
    adj = np.eye(n, dtype=bool)
    for i in range(n):
        dlon, dlat = c[i].spherical_offsets_to(c)
        half = (w[i] + w) / 2
        adj[i] |= (np.abs(dlon.deg) < half) & (np.abs(dlat.deg) < half) & (c[i].separation(c).deg < 90)
    adj |= adj.T
    _, labels = connected_components(adj, directed=False)
    order = {}
    return np.array([order.setdefault(lab, len(order)) for lab in labels], int)


def read_band(path: str | PathLike) -> tuple[np.ndarray, object]:
    """Read one band image and its celestial WCS.

    Parameters
    ----------
    path : str or path-like
        A FITS image with a 2-axis celestial WCS (extra degenerate axes are dropped).

    Returns
    -------
    (numpy.ndarray, astropy.wcs.WCS)
        The image (float64, 2-D) and its celestial WCS.

    Raises
    ------
    radio_unet.errors.InputError
        Missing, unreadable, not 2-D after dropping length-1 axes, or without a celestial WCS.
    """
    from astropy.io import fits
    from astropy.wcs import WCS, FITSFixedWarning

    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file")
    try:
        with fits.open(path, memmap=False) as hdul:
            hdu = next((h for h in hdul if getattr(h, "data", None) is not None and h.data.ndim >= 2), None)
            if hdu is None:
                raise InputError(path, "no image data in any HDU")
            data = np.asarray(hdu.data, dtype=np.float64)
            header = hdu.header.copy()
    except InputError:
        raise
    except Exception as exc:  # astropy raises many types for corrupt files
        raise InputError(path, f"not a readable FITS image ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None
    data = data.reshape([n for n in data.shape if n > 1]) if data.ndim > 2 else data
    if data.ndim != 2:
        raise InputError(path, f"expected a 2-D image, got shape {hdu.data.shape}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        try:
            wcs = WCS(header).celestial
        except Exception as exc:
            raise InputError(path, f"unreadable WCS ({exc})") from None
    if wcs.naxis != 2 or not wcs.has_celestial:
        raise InputError(path, "no celestial WCS (RA/Dec axes) in the header: cannot put it on the common grid")
    return data, wcs


def grid_wcs(ra_deg: float, dec_deg: float, npix: int, scale_deg: float):
    """A north-up TAN grid of ``npix`` x ``npix`` pixels of ``scale_deg`` centred on (ra, dec)."""
    from astropy.wcs import WCS

    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [ra_deg, dec_deg]
    w.wcs.crpix = [npix / 2 + 0.5, npix / 2 + 0.5]
    w.wcs.cdelt = [-scale_deg, scale_deg]
    w.wcs.cunit = ["deg", "deg"]
    return w


def reproject_band(data: np.ndarray, wcs, target_wcs, npix: int) -> np.ndarray:
    """Resample one band onto a target grid (anti-aliased; blank outside the input: 0).

    Parameters
    ----------
    data : numpy.ndarray
    wcs, target_wcs : astropy.wcs.WCS
    npix : int

    Returns
    -------
    numpy.ndarray
        ``(npix, npix)`` float64.
    """
    from reproject import reproject_adaptive

    clean = np.where(np.isfinite(data), data, 0.0)
    out, _ = reproject_adaptive((clean, wcs), target_wcs, shape_out=(npix, npix), conserve_flux=False,
                                boundary_mode="constant", boundary_fill_value=0.0)
    return np.nan_to_num(out, nan=0.0)


def noise_sigma(image: np.ndarray) -> float:
    """The noise of an image by 3-sigma clipped statistics; 0 for an image already thresholded.

    An image with more than half of its finite pixels exactly 0 (the GLEAM cut-outs of the set: 86-95% zeros) has
    been clipped before; its noise cannot be measured and no further clipping is applied.
    """
    from astropy.stats import sigma_clipped_stats

    finite = np.asarray(image, float)[np.isfinite(image)]
    if finite.size == 0 or np.mean(finite == 0) > 0.5:
        return 0.0
    _, _, std = sigma_clipped_stats(finite, sigma=3.0, maxiters=10)
    return float(std)


def clip_sigma(image: np.ndarray, k: float = 3.0) -> np.ndarray:
    """Set pixels below ``k`` times the noise (:func:`noise_sigma`) and negative pixels to 0.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> img = rng.normal(0, 1, (64, 64)); img[30:34, 30:34] = 20
    >>> out = clip_sigma(img, 3.0)
    >>> bool(out[31, 31] == 20), float((out > 0).mean()) < 0.01
    (True, True)
    """
    image = np.nan_to_num(np.asarray(image, float), nan=0.0)
    sigma = noise_sigma(image) if k > 0 else 0.0
    return np.where(image > k * sigma, image, 0.0) if sigma > 0 else np.clip(image, 0.0, None)


def log_minmax(image: np.ndarray) -> np.ndarray:
    """Log stretch and min-max scaling to [0, 1].

    ``log10(1 + x / s)`` with ``s`` the median of the positive pixels (scale-free: an image times a constant gives
    the same output), then ``(v - min) / (max - min)``; an image without positive pixels gives zeros.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0.0, 1.0], [2.0, 4.0]])
    >>> np.allclose(log_minmax(a), log_minmax(10 * a)), float(log_minmax(a).max())
    (True, 1.0)
    """
    image = np.clip(np.nan_to_num(np.asarray(image, float), nan=0.0), 0.0, None)
    positive = image[image > 0]
    if positive.size == 0:
        return np.zeros_like(image)
    v = np.log10(1.0 + image / np.median(positive))
    lo, hi = v.min(), v.max()
    return (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v)


def padded_size(size: int) -> int:
    """Side of the stored grid: large enough that any rotation of it still covers a ``size`` centre (even).

    Examples
    --------
    >>> padded_size(64)
    92
    """
    return int(math.ceil(size * math.sqrt(2) / 2.0)) * 2


def center_crop(images: np.ndarray, size: int) -> np.ndarray:
    """The central ``size`` x ``size`` pixels of the last two axes."""
    h, w = images.shape[-2:]
    if size > min(h, w):
        raise RadioUNetError(f"cannot crop {size}x{size} out of {h}x{w} images")
    y0, x0 = (h - size) // 2, (w - size) // 2
    return images[..., y0:y0 + size, x0:x0 + size]


def preprocess_bands(bands: list[tuple[np.ndarray, object]], ra_deg: float, dec_deg: float, *, size: int = 64,
                     fov_deg: float = 0.5, clip_k: float = 3.0) -> np.ndarray:
    """The network input of one object: bands on one padded grid, clipped, log-stretched, min-max scaled.

    Parameters
    ----------
    bands : list of (numpy.ndarray, astropy.wcs.WCS)
        The images of the object's bands, in channel order.
    ra_deg, dec_deg : float
        Centre of the grid.
    size : int
        Side of the network input in pixels; ``fov_deg / size`` is the pixel scale.
    fov_deg : float
        Side of the network input on the sky.
    clip_k : float
        Clipping level in units of the noise (0: off).

    Returns
    -------
    numpy.ndarray
        ``(n_bands, P, P)`` float32 with ``P = padded_size(size)``; crop the centre with :func:`center_crop`.
    """
    npix = padded_size(size)
    target = grid_wcs(ra_deg, dec_deg, npix, fov_deg / size)
    out = np.empty((len(bands), npix, npix), np.float32)
    for c, (data, wcs) in enumerate(bands):
        out[c] = log_minmax(clip_sigma(reproject_band(data, wcs, target, npix), clip_k))
    return out


@dataclass
class HaloSet:
    """The preprocessed set: one padded multi-band image per object.

    Parameters
    ----------
    images : numpy.ndarray
        ``(n, n_bands, P, P)`` float32 in [0, 1].
    labels : numpy.ndarray
        1 halo, 0 no halo.
    ids : list of str
    groups : numpy.ndarray
        Sky group of each object (:func:`overlap_groups`).
    cluster : numpy.ndarray of bool
        Whether the object is a galaxy cluster.
    split : list of str
        The original study's split.
    size, fov_deg, clip_k, bands :
        The preprocessing settings.
    """

    images: np.ndarray
    labels: np.ndarray
    ids: list
    groups: np.ndarray
    cluster: np.ndarray
    split: list
    size: int = 64
    fov_deg: float = 0.5
    clip_k: float = 3.0
    bands: tuple = BANDS

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, index) -> "HaloSet":
        """The objects at ``index`` (an integer array or boolean mask)."""
        index = np.arange(len(self))[np.asarray(index)]
        return HaloSet(self.images[index], self.labels[index], [self.ids[i] for i in index], self.groups[index],
                       self.cluster[index], [self.split[i] for i in index], self.size, self.fov_deg, self.clip_k,
                       self.bands)

    def settings(self) -> dict:
        """The preprocessing settings (for a model card)."""
        return {"size": self.size, "fov_deg": self.fov_deg, "clip_k": self.clip_k, "bands": list(self.bands),
                "padded_size": int(self.images.shape[-1])}


def footprints(objects: list[GleamObject], bands: tuple[str, ...] = BANDS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre (RA, Dec) and width (deg, the largest over the bands) of every object's cut-outs, from headers only."""
    from astropy.io import fits
    from astropy.wcs import WCS, FITSFixedWarning
    from astropy.wcs.utils import proj_plane_pixel_scales

    ras, decs, widths = [], [], []
    for obj in objects:
        width, centre = 0.0, None
        for b in bands:
            try:
                header = fits.getheader(obj.files[b])
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", FITSFixedWarning)
                    wcs = WCS(header).celestial
                nx, ny = int(header["NAXIS1"]), int(header["NAXIS2"])
            except Exception as exc:
                raise InputError(obj.files[b], f"cannot read its header ({type(exc).__name__})") from None
            width = max(width, max(nx, ny) * float(np.max(proj_plane_pixel_scales(wcs))))
            if centre is None:
                centre = wcs.pixel_to_world_values((nx - 1) / 2, (ny - 1) / 2)
        ras.append(float(centre[0])), decs.append(float(centre[1])), widths.append(width)
    return np.array(ras), np.array(decs), np.array(widths)


def load_objects(objects: list[GleamObject], *, size: int = 64, fov_deg: float = 0.5, clip_k: float = 3.0,
                 bands: tuple[str, ...] = BANDS) -> HaloSet:
    """Read, group and preprocess a list of objects (see :func:`preprocess_bands`).

    Each object's grid is centred on the centre of its first band's image; its cut-out width for grouping is the
    largest of its bands' fields (:func:`footprints`).
    """
    ras, decs, widths = footprints(objects, bands)
    images = [preprocess_bands([read_band(obj.files[b]) for b in bands], ra, dec, size=size, fov_deg=fov_deg,
                               clip_k=clip_k) for obj, ra, dec in zip(objects, ras, decs)]
    return HaloSet(
        images=np.stack(images).astype(np.float32),
        labels=np.array([o.label for o in objects], int),
        ids=[o.object_id for o in objects],
        groups=overlap_groups(ras, decs, widths),
        cluster=np.array([is_cluster(o.object_id) for o in objects], bool),
        split=[o.split for o in objects],
        size=size, fov_deg=fov_deg, clip_k=clip_k, bands=tuple(bands),
    )


def load_gleam(root: str | PathLike, *, size: int = 64, fov_deg: float = 0.5, clip_k: float = 3.0,
               bands: tuple[str, ...] = BANDS) -> HaloSet:
    """Read the whole GLEAM halo set from its folder (:func:`scan_gleam` then :func:`load_objects`)."""
    if size < 8:
        raise RadioUNetError(f"--size {size}: at least 8 pixels")
    if not fov_deg > 0:
        raise RadioUNetError(f"--fov {fov_deg}: must be positive (degrees)")
    return load_objects(scan_gleam(root, bands), size=size, fov_deg=fov_deg, clip_k=clip_k, bands=bands)
