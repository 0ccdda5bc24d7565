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
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import numpy as np

from ..errors import RadioUNetError
from ..io.units import JY_BEAM, JY_PIXEL, convert_brightness

__all__ = ["Normalization", "normalize", "normalize_image", "DEFAULT_VMIN", "DEFAULT_VMAX"]

#: Default lower limit in Jy/pixel (paper).
DEFAULT_VMIN = 1e-10
#: Default upper limit in Jy/pixel (paper).
DEFAULT_VMAX = 1e-5

_UNITS = (JY_PIXEL, JY_BEAM)


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
class Normalization:
    """Normalisation settings, stored in the model card.

    Parameters
    ----------
    vmin, vmax : float
        Limits of the logarithmic stretch.
    unit : {"Jy/pixel", "Jy/beam"}
        Unit of ``vmin`` and ``vmax`` (Jy/pixel in the paper).
    """

    vmin: float = DEFAULT_VMIN
    vmax: float = DEFAULT_VMAX
    unit: str = "Jy/pixel"

    def __post_init__(self):
        object.__setattr__(self, "vmin", float(self.vmin))
        object.__setattr__(self, "vmax", float(self.vmax))
        _check_limits(self.vmin, self.vmax)
        if self.unit not in _UNITS:
            raise RadioUNetError(f"normalisation unit must be 'Jy/pixel' or 'Jy/beam', got {self.unit!r}")

    def apply(
        self,
        data: np.ndarray,
        *,
        unit: str | None = None,
        beam_area_pixels: float | None = None,
        return_valid: bool = False,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Normalise ``data`` given in ``unit`` (default: this normalisation's unit).

        See :func:`normalize_image` for the parameters.
        """
        return normalize_image(
            data,
            unit=unit or self.unit,
            beam_area_pixels=beam_area_pixels,
            vmin=self.vmin,
            vmax=self.vmax,
            limits_unit=self.unit,
            return_valid=return_valid,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None) -> "Normalization":
        """Inverse of :meth:`to_dict` (``None`` gives the paper's defaults)."""
        if values is None:
            return cls()
        unknown = set(values) - {"vmin", "vmax", "unit"}
        if unknown:
            raise RadioUNetError(f"unknown normalisation setting(s): {', '.join(sorted(unknown))}")
        return cls(**dict(values))
