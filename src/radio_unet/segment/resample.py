"""Resolution matching: bring an image to the model's pixels per beam and the result back.

The resampled grid keeps the input's projection and reference point and only
scales its pixels, so the pixel-to-pixel map between the two grids is an exact
axis-aligned affine map. :func:`regrid` detects such pairs of grids and
interpolates along each axis in turn
(:func:`radio_unet.interpolate.interp_separable`: milliseconds for a
1000x1000 cut-out, and no scipy.ndimage import); any other pair of grids
goes through :func:`reproject.reproject_interp` (a full sky-coordinate transform per pixel,
about 100x slower). Both interpolate bilinearly and return NaN outside the
input, so their results agree to float32 rounding.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from astropy.wcs import WCS

from ..errors import RadioUNetError
from ..interpolate import interp_separable
from ..io import RadioImage

#: Fewest pixels across the beam's major axis that an image may have: below it the header's beam is wrong (a FITS
#: BMAJ is in degrees) or the image cannot be brought to the model's resolution.
MIN_BEAM_PIXELS = 0.5

__all__ = ["MIN_BEAM_PIXELS", "target_pixel_scale", "scaled_wcs", "axis_affine_map", "regrid", "match_resolution", "back_to_grid"]


def target_pixel_scale(image: RadioImage, *, model_pixel_scale: float, model_beam: float) -> float:
    """Pixel size (arcsec) that gives ``image`` the model's number of pixels per beam FWHM."""
    return image.require_beam().major * model_pixel_scale / model_beam


def scaled_wcs(wcs: WCS, shape: tuple[int, int], factor: float) -> tuple[WCS, tuple[int, int]]:
    """The same sky area on pixels ``factor`` times larger; returns the WCS and the new shape.

    The projection, reference point and orientation are kept and the centre of
    the image lands on the centre of the new grid, so that new pixel ``q`` and
    old pixel ``p`` (0-based) are related exactly by
    ``p = factor * (q - (new_n - 1) / 2) + (n - 1) / 2`` along each axis.
    """
    ny, nx = shape
    new_shape = (max(1, int(math.ceil(ny / factor))), max(1, int(math.ceil(nx / factor))))
    out = wcs.deepcopy()
    if out.wcs.has_cd():
        out.wcs.cd = out.wcs.cd * factor
    else:
        out.wcs.cdelt = out.wcs.cdelt * factor
    old_centre = np.array([(nx - 1) / 2, (ny - 1) / 2])
    new_centre = np.array([(new_shape[1] - 1) / 2, (new_shape[0] - 1) / 2])
    # same intermediate world coordinates: CD (p - r) = factor CD (q - r')
    out.wcs.crpix = new_centre + (np.asarray(wcs.wcs.crpix, float) - 1 - old_centre) / factor + 1
    return out, new_shape


def axis_affine_map(wcs_from: WCS, shape_from, wcs_to: WCS, shape_to, *, tolerance: float = 1e-3, points: int = 7):
    """``(scale, offset)`` per axis ``(y, x)`` when pixels of ``wcs_to`` map onto ``wcs_from`` as ``p = scale * q + offset``.

    The map is fitted on a ``points`` x ``points`` grid spanning the output
    and accepted when every point agrees within ``tolerance`` pixels; None
    otherwise (rotated, differently projected or distorted grids).
    """
    if wcs_from.has_distortion or wcs_to.has_distortion:
        return None
    ny, nx = shape_to
    qy, qx = np.meshgrid(np.linspace(0, ny - 1, points), np.linspace(0, nx - 1, points), indexing="ij")
    try:
        px, py = wcs_from.world_to_pixel_values(*wcs_to.pixel_to_world_values(qx.ravel(), qy.ravel()))
    except Exception:  # noqa: BLE001 - incompatible frames and the like: no affine map
        return None
    px, py = np.asarray(px, float), np.asarray(py, float)
    if not (np.all(np.isfinite(px)) and np.all(np.isfinite(py))):
        return None
    maps = []
    for q, p in ((qy.ravel(), py), (qx.ravel(), px)):
        if np.ptp(q) == 0:
            scale, offset = 1.0, float(np.mean(p - q))
        else:
            scale, offset = np.polyfit(q, p, 1)
        if np.max(np.abs(scale * q + offset - p)) > tolerance:
            return None
        maps.append((float(scale), float(offset)))
    return tuple(maps)


def _interpolate_axes(data: np.ndarray, maps, shape_out) -> np.ndarray:
    """Bilinear values of ``data`` at ``p = scale * q + offset`` per axis; NaN beyond half a pixel outside."""
    coords, window = [], []
    for (scale, offset), n_out, n_in in zip(maps, shape_out, data.shape):
        p = scale * np.arange(n_out) + offset
        outside = (p < -0.5) | (p > n_in - 0.5)
        p = np.clip(p, 0, n_in - 1)
        lo, hi = int(np.floor(p.min())), min(int(np.floor(p.max())) + 2, n_in)
        coords.append((p - lo, outside))
        window.append(slice(lo, hi))
    (py, out_y), (px, out_x) = coords
    # only the covered block is read (memory maps of mosaics stay on disk)
    block = np.asarray(data[tuple(window)], np.float32)
    out = interp_separable(block, py, px)
    out[out_y[:, None] | out_x[None, :]] = np.nan
    return out.astype(np.float32)


def regrid(data: np.ndarray, wcs_in: WCS, wcs_out: WCS, shape_out) -> np.ndarray:
    """Bilinear interpolation of ``data`` on ``wcs_in`` onto the grid ``wcs_out``/``shape_out`` (float32, NaN outside).

    Exact axis-aligned affine pairs of grids (see :func:`scaled_wcs`) are
    interpolated directly; others are reprojected with reproject.
    """
    shape_out = tuple(int(n) for n in shape_out)
    maps = axis_affine_map(wcs_in, data.shape, wcs_out, shape_out)
    if maps is not None:
        return _interpolate_axes(data, maps, shape_out)
    from reproject import reproject_interp

    out, _ = reproject_interp((np.asarray(data, np.float32), wcs_in), wcs_out, shape_out=shape_out, order="bilinear")
    return out.astype(np.float32)


def match_resolution(image: RadioImage, *, model_pixel_scale: float | None, model_beam: float | None, tolerance: float = 0.1):
    """Resample ``image`` to the model's pixels per beam when it differs by more than ``tolerance``.

    Returns
    -------
    (RadioImage, factor)
        The image to segment and the pixel-size factor (1.0 when unchanged).

    Raises
    ------
    RadioUNetError
        When the beam spans fewer than :data:`MIN_BEAM_PIXELS` pixels (a wrong
        header: resampling would need an absurd grid).
    """
    if not model_pixel_scale or not model_beam or image.beam is None:
        return image, 1.0
    beam_pixels = image.beam.major / image.pixel_scale_arcsec
    if not beam_pixels >= MIN_BEAM_PIXELS:
        raise RadioUNetError(
            f"the beam ({image.beam.major:.3g}\" x {image.beam.minor:.3g}\") spans {beam_pixels:.2g} pixels of "
            f"{image.pixel_scale_arcsec:.3g}\": check BMAJ/BMIN (FITS gives them in degrees) or pass --beam "
            "MAJOR,MINOR,PA in arcsec")
    factor = target_pixel_scale(image, model_pixel_scale=model_pixel_scale, model_beam=model_beam) / image.pixel_scale_arcsec
    if abs(factor - 1.0) <= tolerance:
        return image, 1.0
    wcs, shape = scaled_wcs(image.wcs, image.shape, factor)
    data = regrid(image.data, image.wcs, wcs, shape)
    # Surface brightness per beam is unchanged by resampling; per pixel it scales with the pixel area.
    if image.unit == "Jy/pixel":
        data = data * np.float32(factor**2)
    return replace(image, data=data, wcs=wcs), factor


def back_to_grid(prob: np.ndarray, wcs: WCS, image: RadioImage) -> np.ndarray:
    """Interpolate a probability map on ``wcs`` back onto the grid of ``image``."""
    out = regrid(np.nan_to_num(prob), wcs, image.wcs, image.shape)
    out[image.blank] = np.nan
    return out
