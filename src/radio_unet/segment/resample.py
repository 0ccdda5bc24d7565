"""Resolution matching: bring an image to the model's pixels per beam and the result back."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from astropy.wcs import WCS

from ..io import RadioImage

__all__ = ["target_pixel_scale", "scaled_wcs", "match_resolution", "back_to_grid"]


def target_pixel_scale(image: RadioImage, *, model_pixel_scale: float, model_beam: float) -> float:
    """Pixel size (arcsec) that gives ``image`` the model's number of pixels per beam FWHM."""
    return image.require_beam().major * model_pixel_scale / model_beam


def scaled_wcs(wcs: WCS, shape: tuple[int, int], factor: float) -> tuple[WCS, tuple[int, int]]:
    """The same sky area on pixels ``factor`` times larger; returns the WCS and the new shape."""
    ny, nx = shape
    new_shape = (max(1, int(math.ceil(ny / factor))), max(1, int(math.ceil(nx / factor))))
    out = wcs.deepcopy()
    if out.wcs.has_cd():
        out.wcs.cd = out.wcs.cd * factor
    else:
        out.wcs.cdelt = out.wcs.cdelt * factor
    # keep the sky position of the image centre on the new centre
    centre_world = wcs.pixel_to_world_values((nx - 1) / 2, (ny - 1) / 2)
    out.wcs.crval = centre_world
    out.wcs.crpix = [(new_shape[1] - 1) / 2 + 1, (new_shape[0] - 1) / 2 + 1]
    return out, new_shape


def match_resolution(image: RadioImage, *, model_pixel_scale: float | None, model_beam: float | None, tolerance: float = 0.1):
    """Resample ``image`` to the model's pixels per beam when it differs by more than ``tolerance``.

    Returns
    -------
    (RadioImage, factor)
        The image to segment and the pixel-size factor (1.0 when unchanged).
    """
    if not model_pixel_scale or not model_beam or image.beam is None:
        return image, 1.0
    factor = target_pixel_scale(image, model_pixel_scale=model_pixel_scale, model_beam=model_beam) / image.pixel_scale_arcsec
    if abs(factor - 1.0) <= tolerance:
        return image, 1.0
    from reproject import reproject_interp

    wcs, shape = scaled_wcs(image.wcs, image.shape, factor)
    data, _ = reproject_interp((image.data, image.wcs), wcs, shape_out=shape, order="bilinear")
    # Surface brightness per beam is unchanged by resampling; per pixel it scales with the pixel area.
    if image.unit == "Jy/pixel":
        data = data * factor**2
    return replace(image, data=data.astype(np.float32), wcs=wcs), factor


def back_to_grid(prob: np.ndarray, wcs: WCS, image: RadioImage) -> np.ndarray:
    """Interpolate a probability map on ``wcs`` back onto the grid of ``image``."""
    from reproject import reproject_interp

    out, _ = reproject_interp((np.nan_to_num(prob), wcs), image.wcs, shape_out=image.shape, order="bilinear")
    out = out.astype(np.float32)
    out[image.blank] = np.nan
    return out
