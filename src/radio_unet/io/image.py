"""The FITS image model: read any radio FITS image, write maps back with the same WCS.

:func:`read_image` turns 2-D, 3-D or 4-D images (degenerate FREQ/STOKES axes
in any order, as WSClean and CASA write them), compressed or not, from the
primary HDU or the first image extension, into a :class:`RadioImage` holding a
2-D float32 array (NaN where blank), the celestial WCS, the beam, the
brightness unit and the frequency. :func:`write_image` writes a map on the
same celestial grid atomically, with provenance keywords.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning
from astropy.wcs.utils import proj_plane_pixel_scales

from .. import __version__
from ..errors import InputError, RadioUNetError
from .atomic import atomic_path
from .beam import Beam, beam_from_header, parse_beam
from .units import JY_BEAM, JY_PIXEL, convert_brightness, parse_unit

__all__ = ["RadioImage", "read_image", "write_image", "image_header", "open_image_memmap", "parse_plane", "any_finite"]

_FREQ_KEYS = ("RESTFRQ", "RESTFREQ", "FREQ", "CRVAL3F")
#: BUNIT values of maps that are not brightness (masks, probabilities): read with unit None.
_NON_BRIGHTNESS = {"", "none", "1", "probability", "dimensionless", "mask", "label"}


@dataclass
class RadioImage:
    """A 2-D radio image on a celestial grid.

    Attributes
    ----------
    data : numpy.ndarray
        2-D float32 array ``(ny, nx)``; blank pixels are NaN.
    wcs : astropy.wcs.WCS
        The two-axis celestial WCS.
    beam : Beam or None
        Restoring beam, from the header, AIPS HISTORY or the user.
    unit : {"Jy/beam", "Jy/pixel"} or None
        Brightness unit (``None`` when the file does not say and the user did not).
    frequency : float or None
        Observing frequency in Hz.
    header : astropy.io.fits.Header
        The original header, untouched.
    path : str or None
        Where the image came from.
    """

    data: np.ndarray
    wcs: WCS
    beam: Beam | None = None
    unit: str | None = None
    frequency: float | None = None
    header: fits.Header = field(default_factory=fits.Header)
    path: str | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """Image shape ``(ny, nx)``."""
        return tuple(self.data.shape)

    @property
    def pixel_scales_arcsec(self) -> tuple[float, float]:
        """Pixel sizes along x and y in arcsec (projection-plane scales at the reference pixel)."""
        sx, sy = proj_plane_pixel_scales(self.wcs) * 3600.0
        return float(sx), float(sy)

    @property
    def pixel_scale_arcsec(self) -> float:
        """Geometric mean pixel size in arcsec."""
        sx, sy = self.pixel_scales_arcsec
        return math.sqrt(sx * sy)

    @property
    def blank(self) -> np.ndarray:
        """Boolean map of blank (NaN or infinite) pixels."""
        return ~np.isfinite(self.data)

    @property
    def name(self) -> str:
        """A short name for messages (the file name, or ``"image"``)."""
        return Path(self.path).name if self.path else "image"

    def require_beam(self) -> Beam:
        """Return the beam, or raise a clear error that suggests ``--beam``."""
        if self.beam is None:
            raise InputError(
                self.path or "image",
                "no restoring beam in the header (BMAJ/BMIN or AIPS HISTORY); give it with --beam BMAJ[,BMIN,BPA] in arcsec",
            )
        return self.beam

    def require_unit(self) -> str:
        """Return the brightness unit, or raise a clear error that suggests ``--unit``."""
        if self.unit is None:
            raise InputError(
                self.path or "image",
                f"brightness unit unknown (BUNIT={self.header.get('BUNIT', '')!r}); give it with --unit {JY_BEAM} or --unit {JY_PIXEL}",
            )
        return self.unit

    @property
    def beam_area_pixels(self) -> float:
        """Beam solid angle in pixels, ``2 pi bmaj bmin / (8 ln 2)`` in pixel units."""
        return self.require_beam().area_pixels(self.pixel_scales_arcsec)

    def to_unit(self, unit: str) -> "RadioImage":
        """Return a copy of the image in ``unit`` (Jy/beam or Jy/pixel), converted through the beam."""
        parsed = parse_unit(unit)
        if parsed is None or parsed[1] != 1.0:
            raise RadioUNetError(f"unknown target unit {unit!r}: use {JY_BEAM} or {JY_PIXEL}")
        target = parsed[0]
        current = self.require_unit()
        if current == target:
            return self
        data = convert_brightness(self.data, from_unit=current, to_unit=target, beam_area_pixels=self.beam_area_pixels)
        return replace(self, data=data, unit=target)


def parse_plane(text: str | None) -> dict[str, int]:
    """Parse a ``--plane`` option: ``"0"`` or ``"FREQ=2"`` or ``"FREQ=2,STOKES=0"``.

    Returns
    -------
    dict
        Axis name (upper case CTYPE prefix, or ``""`` for "the only extra
        axis") -> 0-based plane index.
    """
    if text is None or str(text).strip() == "":
        return {}
    planes: dict[str, int] = {}
    for part in str(text).split(","):
        name, _, index = part.strip().rpartition("=")
        try:
            planes[name.strip().upper()] = int(index)
        except ValueError:
            raise RadioUNetError(f"cannot read plane {text!r}: use e.g. --plane 0 or --plane FREQ=2,STOKES=0") from None
    return planes


def any_finite(data: np.ndarray, *, rows: int = 1024) -> bool:
    """True when ``data`` has a finite pixel; a memory map is read a block of ``rows`` rows at a time, stopping
    at the first block that has one (an image with data answers at once, without reading a whole mosaic)."""
    return any(np.isfinite(data[y : y + rows]).any() for y in range(0, data.shape[0], rows))


def _find_image_hdu(hdul: fits.HDUList, path: str) -> fits.hdu.base.ExtensionHDU:
    for hdu in hdul:
        if isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)) and hdu.header.get("NAXIS", 0) > 0:
            return hdu
    raise InputError(path, "no image data in this FITS file (empty primary HDU and no image extension)")


def _select_plane(data: np.ndarray, wcs: WCS, header: fits.Header, planes: Mapping[str, int], path: str) -> np.ndarray:
    """Drop or select the non-celestial axes so that a 2-D celestial array remains."""
    naxis = data.ndim
    lng, lat = wcs.wcs.lng, wcs.wcs.lat
    index: list = []
    extra = [ax for ax in range(naxis) if ax not in (lng, lat)]
    unnamed = planes.get("")
    for np_axis in range(naxis):
        fits_axis = naxis - 1 - np_axis  # numpy axes run in reverse FITS order
        if fits_axis in (lng, lat):
            index.append(slice(None))
            continue
        n = data.shape[np_axis]
        ctype = str(header.get(f"CTYPE{fits_axis + 1}", f"AXIS{fits_axis + 1}")).strip() or f"AXIS{fits_axis + 1}"
        name = ctype.split("-")[0].upper()
        chosen = planes.get(name, unnamed if len(extra) == 1 else None)
        if chosen is None:
            if n == 1:
                index.append(0)
                continue
            raise InputError(
                path,
                f"axis {fits_axis + 1} ({ctype}) has {n} planes; choose one with --plane {name}=INDEX (0..{n - 1})",
            )
        if not 0 <= chosen < n:
            raise InputError(path, f"plane {chosen} is out of range for axis {fits_axis + 1} ({ctype}) of length {n}")
        index.append(chosen)
    unknown = set(planes) - {""} - {
        str(header.get(f"CTYPE{ax + 1}", "")).split("-")[0].upper() for ax in extra
    }
    if unknown:
        raise InputError(path, f"--plane names axes not in the image: {', '.join(sorted(unknown))}")
    # The celestial axes keep the file's order, as WCS.celestial does.
    return data[tuple(index)]


def _frequency(wcs: WCS, header: fits.Header) -> float | None:
    for ax in range(wcs.naxis):
        ctype = str(wcs.wcs.ctype[ax]).upper()
        if ctype.startswith("FREQ"):
            value = wcs.wcs.crval[ax]
            unit = str(wcs.wcs.cunit[ax]) or "Hz"
            try:
                from astropy import units as u

                return float((value * u.Unit(unit)).to_value(u.Hz))
            except Exception:  # noqa: BLE001 - a strange unit: trust Hz
                return float(value)
    for key in _FREQ_KEYS:
        if key in header:
            try:
                return float(header[key])
            except (TypeError, ValueError):
                continue
    return None


def _check_file(path: str) -> None:
    """Raise :class:`InputError` unless ``path`` is an existing, non-empty file.

    Parameters
    ----------
    path : str
        The file to read.

    Raises
    ------
    radio_unet.errors.InputError
        For a missing path, a folder or an empty file.
    """
    if not Path(path).exists():
        raise InputError(path, "no such file")
    if Path(path).is_dir():
        raise InputError(path, "is a folder, not a FITS file")
    if Path(path).stat().st_size == 0:
        raise InputError(path, "empty file")


def _open_hdu(path: str, memmap: bool) -> tuple[fits.Header, np.ndarray | None]:
    """The header and data of the first image HDU of ``path``.

    Parameters
    ----------
    path : str
        A FITS file.
    memmap : bool
        Map the data instead of reading them.

    Returns
    -------
    header : astropy.io.fits.Header
        A copy of the image header.
    raw : numpy.ndarray or None
        The data as stored (None when the HDU holds none).

    Raises
    ------
    radio_unet.errors.InputError
        For a truncated or unreadable file, or one without image data.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FITSFixedWarning)
            warnings.simplefilter("ignore", fits.verify.VerifyWarning)
            warnings.filterwarnings("error", message=".*truncated.*")
            with fits.open(path, memmap=memmap, lazy_load_hdus=True) as hdul:
                hdu = _find_image_hdu(hdul, path)
                header = hdu.header.copy()
                raw = hdu.data if memmap else np.array(hdu.data)
    except RadioUNetError:
        raise
    except (OSError, ValueError, TypeError, IndexError, EOFError, Warning) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "truncated" in text.lower() or isinstance(exc, EOFError):
            raise InputError(path, f"truncated FITS file ({text})") from None
        raise InputError(path, f"not a readable FITS image ({text})") from None
    return header, raw


def _check_axes(raw: np.ndarray | None, path: str) -> None:
    """Raise :class:`InputError` unless ``raw`` is an array of 2 to 4 axes.

    Parameters
    ----------
    raw : numpy.ndarray or None
        The data of the image HDU.
    path : str
        The file, for the message.

    Raises
    ------
    radio_unet.errors.InputError
        For no data, or too few or too many axes.
    """
    if raw is None:
        raise InputError(path, "the image HDU holds no data")
    if raw.ndim < 2:
        raise InputError(path, f"a {raw.ndim}-D array is not an image (need 2 to 4 axes)")
    if raw.ndim > 4:
        raise InputError(path, f"a {raw.ndim}-D array has too many axes (at most 4: RA, Dec, FREQ, STOKES)")


def _full_wcs(header: fits.Header, naxis: int, path: str) -> WCS:
    """The WCS of all ``naxis`` axes of ``header``, which must include a celestial pair.

    Parameters
    ----------
    header : astropy.io.fits.Header
        The image header.
    naxis : int
        Number of axes of the data.
    path : str
        The file, for the message.

    Returns
    -------
    astropy.wcs.WCS

    Raises
    ------
    radio_unet.errors.InputError
        For a WCS that wcslib rejects or one without celestial axes.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        try:
            full_wcs = WCS(header, naxis=naxis)
        except Exception as exc:  # noqa: BLE001 - wcslib raises many kinds
            raise InputError(path, f"invalid WCS in the header ({str(exc).splitlines()[0]})") from None
    if not full_wcs.has_celestial or full_wcs.wcs.lng < 0 or full_wcs.wcs.lat < 0:
        raise InputError(path, "no celestial WCS (CTYPE1/CTYPE2 should be RA---SIN/DEC--SIN, GLON/GLAT or similar)")
    return full_wcs


def _as_float32(data: np.ndarray, header: fits.Header, memmap: bool) -> np.ndarray:
    """``data`` as float32 with NaN for BLANK integers (a mapped big-endian float32 array stays as it is).

    Parameters
    ----------
    data : numpy.ndarray
        The 2-D plane.
    header : astropy.io.fits.Header
        The image header (``BLANK``, ``BSCALE``, ``BZERO``).
    memmap : bool
        Whether ``data`` is memory-mapped.

    Returns
    -------
    numpy.ndarray
    """
    if memmap and data.dtype == np.dtype(">f4"):
        return data
    if np.issubdtype(data.dtype, np.integer) and "BLANK" in header and "BSCALE" not in header and "BZERO" not in header:
        blank = data == header["BLANK"]
        data = data.astype(np.float32)
        data[blank] = np.nan
        return data
    return np.asarray(data, dtype=np.float32)


def _brightness_unit(unit: str | None, header: fits.Header, path: str) -> tuple[str | None, float]:
    """The canonical brightness unit and the factor to it: the user's word wins, then BUNIT.

    Parameters
    ----------
    unit : str or None
        The unit given by the user.
    header : astropy.io.fits.Header
        The image header (``BUNIT``).
    path : str
        The file, for the message.

    Returns
    -------
    canonical : str or None
        None for maps that are not brightness (masks, probabilities).
    scale : float
        Factor that converts the data to ``canonical``.

    Raises
    ------
    radio_unet.errors.InputError
        For a ``unit`` or BUNIT that is not understood.
    """
    unit_text = unit if unit is not None else header.get("BUNIT")
    parsed = parse_unit(unit_text)
    if unit is not None and parsed is None:
        raise InputError(path, f"cannot use --unit {unit!r}: use {JY_BEAM} or {JY_PIXEL}")
    if parsed is None and str(unit_text or "").strip().lower() not in _NON_BRIGHTNESS:
        raise InputError(
            path, f"unknown brightness unit BUNIT={unit_text!r}; state it with --unit {JY_BEAM} or --unit {JY_PIXEL}"
        )
    return parsed if parsed is not None else (None, 1.0)


def read_image(
    path: str | PathLike,
    *,
    beam: Beam | str | None = None,
    unit: str | None = None,
    plane: Mapping[str, int] | str | None = None,
    memmap: bool = False,
) -> RadioImage:
    """Read a radio FITS image into a :class:`RadioImage`.

    Parameters
    ----------
    path : str or path-like
        Any FITS file (``.fits``, ``.fits.gz``, other names); the primary HDU
        or, if that is empty, the first image extension is read.
    beam : Beam or str, optional
        Beam given by the user (``"BMAJ[,BMIN,BPA]"`` in arcsec, arcsec, deg);
        it overrides the header.
    unit : str, optional
        Brightness unit given by the user (``"Jy/beam"`` or ``"Jy/pixel"``);
        it overrides BUNIT.
    plane : dict or str, optional
        Which plane to keep of a non-degenerate extra axis (``"FREQ=2"``).
    memmap : bool
        Map an uncompressed float32 file instead of reading it (for very large
        mosaics). The data then stay on disk until used.

    Returns
    -------
    RadioImage

    Raises
    ------
    radio_unet.errors.InputError
        With one line naming the file and the problem, for anything that is
        not a usable 2-D celestial image.
    """
    path = str(path)
    if isinstance(beam, str):
        beam = parse_beam(beam)
    if isinstance(plane, str) or plane is None:
        plane = parse_plane(plane)
    _check_file(path)
    header, raw = _open_hdu(path, memmap)
    _check_axes(raw, path)
    full_wcs = _full_wcs(header, raw.ndim, path)

    data = _select_plane(raw, full_wcs, header, plane, path)
    if data.ndim != 2:  # pragma: no cover - _select_plane guarantees it
        raise InputError(path, f"could not reduce the data to 2-D (shape {raw.shape})")
    data = _as_float32(data, header, memmap)
    if not any_finite(data):
        raise InputError(path, "every pixel is blank (NaN)")
    canonical, scale = _brightness_unit(unit, header, path)
    if scale != 1.0:
        data = data * np.float32(scale)

    return RadioImage(
        data=data,
        wcs=full_wcs.celestial,
        beam=beam if beam is not None else beam_from_header(header),
        unit=canonical,
        frequency=_frequency(full_wcs, header),
        header=header,
        path=path,
    )


def image_header(
    wcs: WCS,
    *,
    beam: Beam | None = None,
    unit: str | None = None,
    frequency: float | None = None,
    provenance: Mapping[str, object] | None = None,
    extra_header: Mapping[str, object] | None = None,
) -> fits.Header:
    """The header of an output map: celestial WCS, beam, unit, frequency and provenance keywords.

    See :func:`write_image` for the parameters.
    """
    header = wcs.celestial.to_header(relax=True)
    if beam is not None:
        beam.to_header(header)
    if unit is not None:
        header["BUNIT"] = unit.upper() if unit in (JY_BEAM, JY_PIXEL) else unit
    if frequency is not None:
        header["RESTFRQ"] = (float(frequency), "[Hz] observing frequency")
    header["ORIGIN"] = f"radio-unet {__version__}"
    for key, value in (extra_header or {}).items():
        header[key] = value
    for key, value in (provenance or {}).items():
        # FITS cards hold neither containers nor NaN/inf numbers: those are written as text
        if isinstance(value, (list, tuple, dict)) or (isinstance(value, (float, np.floating)) and not math.isfinite(value)):
            value = str(value)
        header[f"HIERARCH RUNET {str(key).upper()}"] = value
    return header


@contextlib.contextmanager
def open_image_memmap(path: str | PathLike, shape: tuple[int, int], dtype, header: fits.Header) -> Iterator[np.ndarray]:
    """Create a FITS image on disk and yield its data as a writable memory map; atomic.

    For maps larger than memory (a 20000x20000 mosaic): the caller fills the
    array window by window; on success the file is flushed and renamed to
    ``path``, on error it is removed.

    Parameters
    ----------
    path : str or path-like
        Output FITS file (uncompressed).
    shape : (int, int) or (int, int, int)
        ``(ny, nx)``, or ``(nplanes, ny, nx)`` for a cube (the header should
        then describe the third axis).
    dtype : numpy dtype
        float32, float64, uint8, int16 or int32.
    header : astropy.io.fits.Header
        Keywords (e.g. from :func:`image_header`); the data keywords are set here.
    """
    dtype = np.dtype(dtype)
    bitpix = {np.dtype(np.float32): -32, np.dtype(np.float64): -64, np.dtype(np.uint8): 8,
              np.dtype(np.int16): 16, np.dtype(np.int32): 32}.get(dtype)
    if bitpix is None:
        raise RadioUNetError(f"{path}: cannot write dtype {dtype} as FITS")
    header = header.copy()
    hdu = fits.PrimaryHDU()
    for key in ("SIMPLE", "BITPIX", "NAXIS", "EXTEND"):
        header.remove(key, ignore_missing=True)
    shape = tuple(int(n) for n in shape)
    if len(shape) not in (2, 3):
        raise RadioUNetError(f"{path}: can write 2-D images or 3-D cubes, not shape {shape}")
    hdu.header["BITPIX"] = bitpix
    hdu.header["NAXIS"] = len(shape)
    hdu.header["NAXIS1"] = shape[-1]
    hdu.header.set("NAXIS2", shape[-2], after="NAXIS1")
    if len(shape) == 3:
        hdu.header.set("NAXIS3", shape[0], after="NAXIS2")
    hdu.header.extend(header, update=True)
    header_bytes = hdu.header.tostring().encode("ascii")
    nbytes = int(np.prod(shape)) * dtype.itemsize
    padded = -(-nbytes // 2880) * 2880
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(header_bytes)
            fh.truncate(len(header_bytes) + padded)  # sparse zeros: no memory, little disk until written
        data = np.memmap(tmp, dtype=dtype.newbyteorder(">"), mode="r+", offset=len(header_bytes), shape=shape)
        try:
            yield data
            data.flush()
        finally:
            del data


def write_image(
    path: str | PathLike,
    data: np.ndarray,
    *,
    wcs: WCS,
    beam: Beam | None = None,
    unit: str | None = None,
    frequency: float | None = None,
    provenance: Mapping[str, object] | None = None,
    extra_header: Mapping[str, object] | None = None,
    overwrite: bool = True,
) -> Path:
    """Write a 2-D map as a FITS image with a celestial WCS, atomically.

    Parameters
    ----------
    path : str or path-like
        Output file; ``.fits.gz`` compresses.
    data : numpy.ndarray
        2-D array ``(ny, nx)``; its dtype is kept (float32 maps stay float32,
        masks may be uint8).
    wcs : astropy.wcs.WCS
        Celestial WCS of the grid (e.g. ``RadioImage.wcs``).
    beam, unit, frequency : optional
        Written as BMAJ/BMIN/BPA, BUNIT and RESTFRQ.
    provenance : mapping, optional
        Written as ``HIERARCH RUNET <KEY>`` cards (software version, model,
        options), next to ``ORIGIN = 'radio-unet <version>'``.
    extra_header : mapping, optional
        Any other keywords.
    overwrite : bool
        Refuse to replace an existing file when false.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    data = np.asarray(data)
    if data.ndim != 2:
        raise RadioUNetError(f"{path}: can only write 2-D maps, got shape {data.shape}")
    if path.exists() and not overwrite:
        raise RadioUNetError(f"{path}: exists already (use --overwrite to replace it)")
    header = image_header(wcs, beam=beam, unit=unit, frequency=frequency, provenance=provenance, extra_header=extra_header)
    hdu = fits.PrimaryHDU(data=data, header=header)
    with atomic_path(path) as tmp:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fits.verify.VerifyWarning)
            hdu.writeto(tmp, output_verify="silentfix")
    return path
