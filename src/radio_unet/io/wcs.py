"""Celestial WCS helpers."""

from __future__ import annotations

from astropy.wcs import WCS

__all__ = ["make_celestial_wcs"]


def make_celestial_wcs(
    shape: tuple[int, int], *, pixel_scale_arcsec: float, ra_deg: float, dec_deg: float, projection: str = "SIN"
) -> WCS:
    """A celestial WCS of a ``shape = (ny, nx)`` grid centred on (``ra_deg``, ``dec_deg``).

    Parameters
    ----------
    shape : (int, int)
        Image shape ``(ny, nx)``; the reference pixel is the image centre.
    pixel_scale_arcsec : float
        Square pixel size in arcsec (RA increases to the left, as on the sky).
    ra_deg, dec_deg : float
        Centre of the field (ICRS).
    projection : str
        Three-letter FITS projection code (``SIN`` as interferometers image).
    """
    ny, nx = shape
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = [f"RA---{projection}", f"DEC--{projection}"]
    wcs.wcs.crval = [ra_deg % 360.0, dec_deg]
    wcs.wcs.crpix = [nx / 2 + 1, ny / 2 + 1]
    wcs.wcs.cdelt = [-pixel_scale_arcsec / 3600.0, pixel_scale_arcsec / 3600.0]
    wcs.wcs.cunit = ["deg", "deg"]
    wcs.wcs.radesys = "ICRS"
    return wcs
