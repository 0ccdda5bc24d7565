"""Brightness units: recognise BUNIT strings and convert Jy/beam <-> Jy/pixel."""

from __future__ import annotations

import re

import numpy as np

from ..errors import RadioUNetError

__all__ = ["JY_BEAM", "JY_PIXEL", "parse_unit", "convert_brightness"]

JY_BEAM = "Jy/beam"
JY_PIXEL = "Jy/pixel"

_PREFIX = {"": 1.0, "m": 1e-3, "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "n": 1e-9}
_UNIT = re.compile(
    r"^\s*(?P<prefix>[muµμn]?)jy\s*(?:/\s*|\s+|\s*\.?\s*)(?P<per>beam|pixel|pix|px)(?:\s*\*\*\s*-?1|\s*\^?-1)?\s*$",
    re.IGNORECASE,
)


def parse_unit(text: str | None) -> tuple[str, float] | None:
    """Recognise a brightness unit string.

    Parameters
    ----------
    text : str or None
        A BUNIT value or a user ``--unit`` option, e.g. ``"JY/BEAM"``,
        ``"Jy beam-1"``, ``"mJy/beam"``, ``"Jy/pixel"``.

    Returns
    -------
    (unit, scale) or None
        ``unit`` is :data:`JY_BEAM` or :data:`JY_PIXEL`; ``scale`` multiplies
        the data to bring it to Jy (1e-3 for mJy). ``None`` when ``text`` is
        empty or not a brightness unit this package understands.
    """
    if text is None:
        return None
    text = str(text).strip()
    if not text:
        return None
    match = _UNIT.match(text)
    if not match:
        return None
    prefix = match.group("prefix")
    prefix = prefix if prefix in ("µ", "μ") else prefix.lower()
    if prefix == "m" and text.strip()[0] == "M":  # "MJy" would be mega; refuse rather than guess
        return None
    per = match.group("per").lower()
    return (JY_BEAM if per == "beam" else JY_PIXEL), _PREFIX[prefix]


def convert_brightness(data: np.ndarray, *, from_unit: str, to_unit: str, beam_area_pixels: float | None) -> np.ndarray:
    """Convert an image between Jy/beam and Jy/pixel.

    Parameters
    ----------
    data : numpy.ndarray
        Brightness in ``from_unit``.
    from_unit, to_unit : {"Jy/beam", "Jy/pixel"}
    beam_area_pixels : float or None
        Beam solid angle in pixels, ``2 pi bmaj bmin / (8 ln 2)`` with the axes
        in pixels. Needed only when the units differ.

    Returns
    -------
    numpy.ndarray
        A new array (``data`` itself when the units are the same).
    """
    for unit in (from_unit, to_unit):
        if unit not in (JY_BEAM, JY_PIXEL):
            raise RadioUNetError(f"unknown brightness unit {unit!r}: use {JY_BEAM!r} or {JY_PIXEL!r}")
    if from_unit == to_unit:
        return data
    if beam_area_pixels is None or not np.isfinite(beam_area_pixels) or beam_area_pixels <= 0:
        raise RadioUNetError("converting between Jy/beam and Jy/pixel needs the beam: give it with --beam BMAJ[,BMIN,BPA]")
    factor = 1.0 / beam_area_pixels if from_unit == JY_BEAM else beam_area_pixels
    return (data * np.float32(factor)).astype(data.dtype, copy=False)
