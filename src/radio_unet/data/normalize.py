"""Input normalisation of radio images for the U-Net.

The paper (and the authors' code) feed the network with the logarithm of the
brightness in Jy/pixel, clipped to ``[1e-10, 1e-5]`` Jy/pixel and rescaled to
``[0, 1]``::

    x_norm = (log10(clip(x, vmin, vmax)) - log10(vmin)) / (log10(vmax) - log10(vmin))

Negative and zero pixels (noise, CLEAN artefacts) therefore map to 0, like
everything below ``vmin``. Blank (NaN) pixels map to 0 as well and are
reported in a validity mask. Observed images in Jy/beam are converted to
Jy/pixel first by dividing by the beam area in pixels
(:func:`normalize_image`), so that the same limits apply to every image
whatever its beam.

The paper's absolute limits assume one survey depth: an image twice as deep,
or with noise of another texture, looks different to the network. The
noise-relative normalisation (:func:`normalize_snr`, ``kind="snr"``, the
default of new models) divides the image by a local rms map (photutils
``Background2D``: sigma-clipped MAD standard deviation in boxes of
``box_beams`` beams, median-filtered and interpolated; one value for images
smaller than two boxes, such as the 192-px training tiles, and with
``local=False``, as ``segment`` asks for each window) and compresses it with
``asinh``::

    x_norm = asinh(x / rms) / asinh(cap)

so that the noise spans about +-0.13 whatever its level in Jy, 5 sigma maps
to 0.30 and ``cap`` sigma to 1. Negative pixels keep their sign: the
symmetric spread of noise around zero is what tells it from emission.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..config import ConfigBase
from ..errors import RadioUNetError, check_choice
from ..io.units import JY_BEAM, JY_PIXEL, convert_brightness
from ..stats import box_background, grid_sample

__all__ = ["Normalization", "normalize", "normalize_image", "normalize_snr", "rms_map", "clipped_rms", "KINDS", "DEFAULT_VMIN",
           "DEFAULT_VMAX", "DEFAULT_BOX_BEAMS", "DEFAULT_CAP_SIGMA"]

#: Default lower limit in Jy/pixel (paper).
DEFAULT_VMIN = 1e-10
#: Default upper limit in Jy/pixel (paper).
DEFAULT_VMAX = 1e-5

_UNITS = (JY_PIXEL, JY_BEAM)
#: Normalisation kinds: the paper's absolute log stretch and the noise-relative one.
KINDS = ("log", "snr")
#: Box of the rms map, in beams (FWHM) (``snr``).
DEFAULT_BOX_BEAMS = 40.0
#: Brightness (in units of the local rms) that maps to 1 (``snr``).
DEFAULT_CAP_SIGMA = 1000.0
#: Box of the rms map (pixels) when the beam is unknown.
_DEFAULT_BOX_PIXELS = 128
#: Pixels looked at for the one global rms (a regular grid over larger images: 0.6 s -> 0.1 s for 2000x2000).
_MAX_STAT_PIXELS = 1_000_000
_GAUSS_AREA = math.pi / (4.0 * math.log(2.0))


def rms_map(data: np.ndarray, *, box: int, valid: np.ndarray | None = None) -> np.ndarray:
    """Local noise rms of an image: photutils ``Background2D`` (3-sigma clipped MAD std in ``box`` boxes).

    Parameters
    ----------
    data : numpy.ndarray
        2-D image (NaNs allowed where ``valid`` is False).
    box : int
        Box size in pixels (reduced to the image size for small images).
    valid : numpy.ndarray, optional
        Finite pixels (default: ``isfinite(data)``).

    Returns
    -------
    numpy.ndarray
        float32 rms map of ``data``'s shape; a constant (the sigma-clipped MAD
        std of the whole image, or of a regular grid of a million of its pixels) when the image holds fewer than two boxes
        per axis or the box statistics fail; NaN everywhere when no pixel is
        valid.
    """
    x = np.asarray(data, dtype=np.float32)
    valid = np.isfinite(x) if valid is None else valid
    if not valid.any():
        return np.full(x.shape, np.nan, np.float32)
    box = int(max(8, min(box, *x.shape)))
    bkg = box_background(x, box, valid=valid, filter_size=3) if min(x.shape) >= 2 * box else None
    if bkg is not None:
        rms = np.asarray(bkg.background_rms, dtype=np.float32)
        if np.all(np.isfinite(rms)) and np.all(rms > 0):
            return rms
    return np.full(x.shape, clipped_rms(x, valid), np.float32)  # too small or too many boxes masked: one value


def clipped_rms(data: np.ndarray, valid: np.ndarray) -> float:
    """One rms for a whole image: the 3-sigma clipped MAD standard deviation of its valid pixels.

    Parameters
    ----------
    data : numpy.ndarray
        2-D image (larger images are looked at on a regular grid of about a million pixels, :func:`grid_sample`).
    valid : numpy.ndarray
        Boolean map of the pixels to use; at least one must be True.

    Returns
    -------
    float
        The clipped rms; the plain standard deviation of the pixels, or 1, where that is not positive.
    """
    from astropy.stats import mad_std, sigma_clipped_stats

    values = grid_sample(np.asarray(data, np.float32), _MAX_STAT_PIXELS, valid)
    _, _, std = sigma_clipped_stats(values, sigma=3.0, maxiters=5, stdfunc=mad_std)
    if not (np.isfinite(std) and std > 0):
        std = float(np.std(values)) or 1.0
    return float(std)


def normalize_snr(
    data: np.ndarray,
    *,
    box: int = _DEFAULT_BOX_PIXELS,
    cap_sigma: float = DEFAULT_CAP_SIGMA,
    return_valid: bool = False,
    local: bool = True,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Noise-relative normalisation: ``asinh(data / rms_map) / asinh(cap_sigma)``.

    Parameters
    ----------
    data : numpy.ndarray
        2-D image in any brightness unit (the ratio to the rms is unit-free), or a stack of them (``(..., ny,
        nx)``, e.g. a batch of windows or tiles): each 2-D plane is divided by its own rms map, so a plane's result
        does not depend on the others in the stack.
    box : int
        Box of the rms map in pixels (:func:`rms_map`).
    cap_sigma : float
        Signal-to-noise ratio that maps to 1.
    return_valid : bool
        Also return the map of finite pixels.
    local : bool
        Divide by the local rms map (:func:`rms_map`); False: by one rms per plane (:func:`clipped_rms`), as the
        training tiles, which are smaller than two boxes, always are.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        float32 array (0 where the input is blank); with ``return_valid``
        also the validity map.

    Raises
    ------
    RadioUNetError
        When ``data`` has fewer than two dimensions.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(0.0, 1e-4, (64, 64))
    >>> y = normalize_snr(x * 1000.0)  # the same image in other units
    >>> bool(np.allclose(y, normalize_snr(x), atol=1e-5)), round(float(y.std()), 2)
    (True, 0.11)
    >>> stack = normalize_snr(np.stack([x, 10.0 * x]))  # a batch: each plane by its own rms
    >>> bool(np.allclose(stack[0], stack[1], atol=1e-5))
    True
    """
    x = np.asarray(data, dtype=np.float32)
    valid = np.isfinite(x)
    if x.ndim < 2:
        raise RadioUNetError(f"the noise-relative normalisation needs a 2-D image or a stack of them, got shape {x.shape}")
    planes, masks = x.reshape(-1, *x.shape[-2:]), valid.reshape(-1, *x.shape[-2:])
    rms = np.stack([rms_map(p, box=box, valid=m) if local or not m.any() else np.full(p.shape, clipped_rms(p, m), np.float32)
                    for p, m in zip(planes, masks)]).reshape(x.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.arcsinh(np.where(valid, x, 0.0) / rms) * np.float32(1.0 / math.asinh(cap_sigma))
    out = np.where(valid & np.isfinite(out), out, 0.0).astype(np.float32)
    return (out, valid) if return_valid else out


def _check_limits(vmin: float, vmax: float) -> None:
    if not (math.isfinite(vmin) and math.isfinite(vmax)) or vmin <= 0 or vmax <= vmin:
        raise RadioUNetError(f"normalisation limits must satisfy 0 < vmin < vmax, got vmin={vmin}, vmax={vmax}")


def normalize(
    data: np.ndarray,
    *,
    vmin: float = DEFAULT_VMIN,
    vmax: float = DEFAULT_VMAX,
    return_valid: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Log-normalise an image to ``[0, 1]``.

    Parameters
    ----------
    data : numpy.ndarray
        Brightness in the unit of ``vmin``/``vmax`` (Jy/pixel for the defaults).
    vmin, vmax : float
        Clipping limits, ``0 < vmin < vmax``; ``vmin`` maps to 0 and ``vmax``
        to 1.
    return_valid : bool
        Also return the boolean map of finite input pixels.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        float32 array of the same shape, in ``[0, 1]``, with 0 where the input
        is NaN or infinite; and, with ``return_valid``, the validity map.

    Examples
    --------
    >>> normalize(np.array([0.0, 1e-10, 10**-7.5, 1e-5, 1.0, np.nan])).round(3)
    array([0. , 0. , 0.5, 1. , 1. , 0. ], dtype=float32)
    """
    _check_limits(vmin, vmax)
    x = np.asarray(data, dtype=np.float32)
    valid = np.isfinite(x)
    lo, hi = math.log10(vmin), math.log10(vmax)
    out = np.clip(np.where(valid, x, np.float32(vmin)), np.float32(vmin), np.float32(vmax))
    out = (np.log10(out, dtype=np.float32) - np.float32(lo)) * np.float32(1.0 / (hi - lo))
    out = np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)
    return (out, valid) if return_valid else out


def normalize_image(
    data: np.ndarray,
    *,
    unit: str,
    beam_area_pixels: float | None = None,
    vmin: float = DEFAULT_VMIN,
    vmax: float = DEFAULT_VMAX,
    limits_unit: str = "Jy/pixel",
    return_valid: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Log-normalise an image given in Jy/beam or Jy/pixel.

    Parameters
    ----------
    data : numpy.ndarray
        The image.
    unit : {"Jy/beam", "Jy/pixel"}
        Brightness unit of ``data``.
    beam_area_pixels : float, optional
        Beam solid angle in pixels, ``pi bmaj bmin / (4 ln 2)`` with the axes
        in pixels (``radio_unet.io.Beam.area_pixels``); needed when ``unit``
        differs from ``limits_unit``.
    vmin, vmax : float
        Limits, in ``limits_unit``.
    limits_unit : {"Jy/pixel", "Jy/beam"}
        Unit of the limits (Jy/pixel in the paper).
    return_valid : bool
        Also return the map of finite pixels.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        As :func:`normalize`.
    """
    x = convert_brightness(np.asarray(data, dtype=np.float32), from_unit=unit, to_unit=limits_unit,
                           beam_area_pixels=beam_area_pixels)
    return normalize(x, vmin=vmin, vmax=vmax, return_valid=return_valid)


@dataclass(frozen=True)
class Normalization(ConfigBase):
    """Normalisation settings, stored in the model card.

    Parameters
    ----------
    vmin, vmax : float
        Limits of the logarithmic stretch (``kind="log"``).
    unit : {"Jy/pixel", "Jy/beam"}
        Unit of ``vmin`` and ``vmax`` (Jy/pixel in the paper).
    kind : {"log", "snr"}
        ``log``: the paper's absolute log stretch (:func:`normalize_image`;
        the default here, so that cards written before ``snr`` existed keep
        their meaning); ``snr``: noise-relative (:func:`normalize_snr`).
    box_beams : float
        ``snr``: box of the rms map in beams (FWHM).
    cap_sigma : float
        ``snr``: signal-to-noise ratio that maps to 1.
    """

    vmin: float = DEFAULT_VMIN
    vmax: float = DEFAULT_VMAX
    unit: str = "Jy/pixel"
    kind: str = "log"
    box_beams: float = DEFAULT_BOX_BEAMS
    cap_sigma: float = DEFAULT_CAP_SIGMA

    label = "normalisation"

    def __post_init__(self):
        for name in ("vmin", "vmax", "box_beams", "cap_sigma"):
            self.check_number(name, to_float=True)
        _check_limits(self.vmin, self.vmax)
        check_choice(self.unit, _UNITS, "normalisation unit")
        check_choice(self.kind, KINDS, "normalisation kind")
        if not (self.box_beams > 0 and self.cap_sigma > 1):
            raise RadioUNetError(f"normalisation needs box_beams > 0 and cap_sigma > 1, got {self.box_beams}, "
                                 f"{self.cap_sigma}")

    def box_pixels(self, beam_area_pixels: float | None) -> int:
        """Box of the rms map in pixels for a beam of ``beam_area_pixels`` (``snr``)."""
        if not beam_area_pixels or not math.isfinite(beam_area_pixels) or beam_area_pixels <= 0:
            return _DEFAULT_BOX_PIXELS
        return max(16, int(round(self.box_beams * math.sqrt(beam_area_pixels / _GAUSS_AREA))))

    def apply(
        self,
        data: np.ndarray,
        *,
        unit: str | None = None,
        beam_area_pixels: float | None = None,
        return_valid: bool = False,
        local: bool = True,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Normalise ``data`` given in ``unit`` (default: this normalisation's unit).

        See :func:`normalize_image` for the parameters (``snr`` uses the
        beam only for the box of the rms map) and :func:`normalize_snr` for ``local``.
        """
        if self.kind == "snr":
            return normalize_snr(data, box=self.box_pixels(beam_area_pixels), cap_sigma=self.cap_sigma,
                                 return_valid=return_valid, local=local)
        return normalize_image(
            data,
            unit=unit or self.unit,
            beam_area_pixels=beam_area_pixels,
            vmin=self.vmin,
            vmax=self.vmax,
            limits_unit=self.unit,
            return_valid=return_valid,
        )
