"""The restoring beam: an elliptical Gaussian given by its FWHM axes and position angle."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from astropy.io import fits

from ..errors import RadioUNetError

__all__ = ["Beam", "beam_from_header", "parse_beam"]

#: Gaussian FWHM -> area factor: area = 2 pi sigma_x sigma_y = pi bmaj bmin / (4 ln 2).
_GAUSS_AREA = 2.0 * math.pi / (8.0 * math.log(2.0))

_AIPS_BEAM = re.compile(
    r"BMAJ\s*=\s*([-+0-9.EeDd]+)\s+BMIN\s*=\s*([-+0-9.EeDd]+)\s+BPA\s*=\s*([-+0-9.EeDd]+)"
)


@dataclass(frozen=True)
class Beam:
    """An elliptical Gaussian restoring beam.

    Parameters
    ----------
    major, minor : float
        Full widths at half maximum in arcsec (``minor <= major``).
    pa : float
        Position angle of the major axis in degrees, east of north.
    """

    major: float
    minor: float
    pa: float = 0.0

    def __post_init__(self):
        if not (math.isfinite(self.major) and math.isfinite(self.minor) and math.isfinite(self.pa)):
            raise RadioUNetError(f"beam values must be finite numbers, got {self}")
        if self.major <= 0 or self.minor <= 0:
            raise RadioUNetError(f"beam axes must be positive, got BMAJ={self.major}\" BMIN={self.minor}\"")
        if self.minor > self.major:  # normalise the order rather than fail
            major, minor = self.minor, self.major
            object.__setattr__(self, "major", major)
            object.__setattr__(self, "minor", minor)
            object.__setattr__(self, "pa", self.pa + 90.0)

    @property
    def area_arcsec2(self) -> float:
        """Beam solid angle in arcsec^2, ``2 pi bmaj bmin / (8 ln 2)``."""
        return _GAUSS_AREA * self.major * self.minor

    def area_pixels(self, pixel_scale_arcsec: float | tuple[float, float]) -> float:
        """Beam solid angle in pixels.

        Parameters
        ----------
        pixel_scale_arcsec : float or (float, float)
            Pixel size in arcsec; a pair gives non-square pixels (x, y).
        """
        if isinstance(pixel_scale_arcsec, tuple):
            px_area = pixel_scale_arcsec[0] * pixel_scale_arcsec[1]
        else:
            px_area = pixel_scale_arcsec**2
        return self.area_arcsec2 / px_area

    def to_header(self, header: fits.Header) -> None:
        """Write BMAJ, BMIN (deg) and BPA (deg) into ``header`` in place."""
        header["BMAJ"] = (self.major / 3600.0, "[deg] restoring beam major axis FWHM")
        header["BMIN"] = (self.minor / 3600.0, "[deg] restoring beam minor axis FWHM")
        header["BPA"] = (self.pa, "[deg] restoring beam position angle")

    def __str__(self) -> str:
        return f'{self.major:.3g}"x{self.minor:.3g}" PA {self.pa:.3g} deg'


def _float(text: str) -> float:
    return float(text.replace("D", "E").replace("d", "e"))


def beam_from_header(header: fits.Header) -> Beam | None:
    """Read the beam from BMAJ/BMIN/BPA keywords or AIPS ``HISTORY`` cards.

    Parameters
    ----------
    header : astropy.io.fits.Header

    Returns
    -------
    Beam or None
        ``None`` when the header carries no beam.
    """
    if "BMAJ" in header and "BMIN" in header:
        try:
            major = float(header["BMAJ"]) * 3600.0
            minor = float(header["BMIN"]) * 3600.0
            pa = float(header.get("BPA", 0.0) or 0.0)
        except (TypeError, ValueError):
            return None
        if major > 0 and minor > 0:
            return Beam(major, minor, pa)
    beam = None
    for card in header.get("HISTORY", []):
        match = _AIPS_BEAM.search(str(card))
        if match:  # the last AIPS CLEAN card wins, as in AIPS itself
            major, minor, pa = (_float(g) for g in match.groups())
            if major > 0 and minor > 0:
                beam = Beam(major * 3600.0, minor * 3600.0, pa)
    return beam


def parse_beam(text: str) -> Beam:
    """Parse a user beam ``BMAJ[,BMIN[,BPA]]`` (arcsec, arcsec, deg).

    Examples
    --------
    >>> parse_beam("6")
    Beam(major=6.0, minor=6.0, pa=0.0)
    >>> parse_beam("11,7,45")
    Beam(major=11.0, minor=7.0, pa=45.0)
    """
    parts = [p for p in re.split(r"[,\s]+", str(text).strip()) if p]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if not 1 <= len(values) <= 3:
        raise RadioUNetError(
            f"cannot read beam {text!r}: expected BMAJ[,BMIN[,BPA]] in arcsec, arcsec, deg, e.g. --beam 6 or --beam 11,7,45"
        )
    major = values[0]
    minor = values[1] if len(values) > 1 else major
    pa = values[2] if len(values) > 2 else 0.0
    return Beam(major, minor, pa)
