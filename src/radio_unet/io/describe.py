"""Summaries of images, as printed by ``radio-unet info``."""

from __future__ import annotations

import math

import numpy as np
from astropy.coordinates import SkyCoord

from ..stats import robust_rms
from .image import RadioImage

__all__ = ["describe_image", "format_description"]


def describe_image(image: RadioImage) -> dict:
    """Summarise an image in a JSON-serialisable dict.

    Parameters
    ----------
    image : RadioImage

    Returns
    -------
    dict
        ``file, shape, pixel_scale_arcsec, beam_arcsec, beam_area_pixels,
        beam_fwhm_pixels, unit, frequency_hz, centre_ra_deg, centre_dec_deg,
        centre, blank_fraction, noise_rms, noise_method``.
    """
    ny, nx = image.shape
    sx, sy = image.pixel_scales_arcsec
    centre = image.wcs.pixel_to_world((nx - 1) / 2.0, (ny - 1) / 2.0)
    if isinstance(centre, SkyCoord):
        icrs = centre.icrs
        ra, dec = float(icrs.ra.deg), float(icrs.dec.deg)
        centre_text = icrs.to_string("hmsdms", precision=1)
    else:  # pragma: no cover - celestial WCS always gives a SkyCoord
        ra = dec = float("nan")
        centre_text = str(centre)
    beam = image.beam
    blank = image.blank
    return {
        "file": image.path,
        "shape": [int(ny), int(nx)],
        "pixel_scale_arcsec": [round(sx, 6), round(sy, 6)],
        "beam_arcsec": None if beam is None else [beam.major, beam.minor, beam.pa],
        "beam_area_pixels": None if beam is None else beam.area_pixels((sx, sy)),
        "beam_fwhm_pixels": None if beam is None else [beam.major / math.sqrt(sx * sy), beam.minor / math.sqrt(sx * sy)],
        "unit": image.unit,
        "frequency_hz": image.frequency,
        "centre_ra_deg": ra,
        "centre_dec_deg": dec,
        "centre": centre_text,
        "blank_fraction": float(np.mean(blank)),
        "noise_rms": robust_rms(image.data),
        "noise_method": "3-sigma clipped standard deviation",
    }


def _fmt_unit(unit: str | None) -> str:
    return unit if unit else "unknown (give --unit)"


def format_description(d: dict) -> str:
    """Render :func:`describe_image` output as aligned text lines."""
    sx, sy = d["pixel_scale_arcsec"]
    scale = f'{sx:.4g}"/px' if math.isclose(sx, sy, rel_tol=1e-6) else f'{sx:.4g}" x {sy:.4g}"/px'
    if d["beam_arcsec"] is None:
        beam = "none in header (give --beam BMAJ[,BMIN,BPA])"
    else:
        bmaj, bmin, bpa = d["beam_arcsec"]
        beam = (
            f'{bmaj:.3g}" x {bmin:.3g}" PA {bpa:.3g} deg '
            f'({d["beam_fwhm_pixels"][0]:.3g} x {d["beam_fwhm_pixels"][1]:.3g} px FWHM, {d["beam_area_pixels"]:.3g} px per beam)'
        )
    freq = "unknown" if d["frequency_hz"] is None else f'{d["frequency_hz"] / 1e6:.4g} MHz'
    unit = d["unit"] or ""
    noise = d["noise_rms"]
    if unit == "Jy/beam":
        noise_text = f"{noise * 1e6:.4g} uJy/beam"
    elif unit == "Jy/pixel":
        noise_text = f"{noise:.4g} Jy/pixel"
    else:
        noise_text = f"{noise:.4g} (image units)"
    rows = [
        ("shape", f'{d["shape"][0]} x {d["shape"][1]} (ny x nx)'),
        ("pixel scale", scale),
        ("beam", beam),
        ("unit", _fmt_unit(d["unit"])),
        ("frequency", freq),
        ("centre", f'RA {d["centre_ra_deg"]:.6f} deg, Dec {d["centre_dec_deg"]:.6f} deg ({d["centre"]})'),
        ("blanked", f'{100 * d["blank_fraction"]:.2f}% of pixels'),
        ("noise rms", f"{noise_text} ({d['noise_method']})"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join([f"{d['file']}"] + [f"  {k:<{width}}  {v}" for k, v in rows])
