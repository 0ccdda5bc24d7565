"""The detection ratio R of one target: the mean probability of diffuse emission within radius_factor * R500.

Stuardi et al. (2024) classify a galaxy cluster by

.. math::

    R = \\frac{1}{N} \\sum_{i \\in C} p_i ,

the probabilities ``p`` summed over the ``N`` valid pixels of the circle
``C`` of radius 2.2 R500 around the cluster, divided by ``N``. Pixels
outside the image or blank (NaN) do not count; ``coverage`` says which
fraction of the circle's pixels were valid, so that a cluster at a mosaic
edge is not mistaken for an empty one.

A pixel belongs to the circle when its centre lies within the radius.
"""

from __future__ import annotations

import math

import numpy as np

from ..cosmology import kpc_per_arcsec, kpc_to_pixels
from ..errors import RadioUNetError

__all__ = ["circle_rows", "circle_mask", "detection_ratio", "radius_pixels", "pixel_area_kpc2", "measure_target",
           "aperture_class_fractions", "class_column"]


def circle_rows(center_xy: tuple[float, float], radius_pix: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pixels of a circle, row by row, on the unbounded pixel grid.

    Parameters
    ----------
    center_xy : (float, float)
        Centre ``(x, y)`` in 0-based pixel coordinates (x along columns).
    radius_pix : float
        Radius in pixels.

    Returns
    -------
    rows, first, last : numpy.ndarray of int
        For each row ``y`` in ``rows`` the columns ``first..last`` (inclusive)
        whose pixel centres lie within the radius; rows with no pixel are
        left out.
    """
    x0, y0 = (float(c) for c in center_xy)
    r = float(radius_pix)
    if not (np.isfinite(x0) and np.isfinite(y0)) or not (r >= 0 and np.isfinite(r)):
        raise RadioUNetError(f"circle needs a finite centre and radius >= 0, got centre {center_xy}, radius {radius_pix}")
    rows = np.arange(math.ceil(y0 - r), math.floor(y0 + r) + 1)
    half = np.sqrt(np.maximum(r * r - (rows - y0) ** 2, 0.0))
    first = np.ceil(x0 - half).astype(np.int64)
    last = np.floor(x0 + half).astype(np.int64)
    keep = last >= first
    return rows[keep], first[keep], last[keep]


def circle_mask(shape: tuple[int, int], center_xy: tuple[float, float], radius_pix: float) -> np.ndarray:
    """Boolean map (``shape``) of the pixels whose centres lie within ``radius_pix`` of ``center_xy``."""
    ny, nx = shape
    mask = np.zeros((ny, nx), bool)
    rows, first, last = circle_rows(center_xy, radius_pix)
    inside = (rows >= 0) & (rows < ny)
    for y, a, b in zip(rows[inside], first[inside], last[inside]):
        a, b = max(int(a), 0), min(int(b), nx - 1)
        if b >= a:
            mask[y, a : b + 1] = True
    return mask


def class_column(name: str) -> str:
    """Table column of a class's fraction: ``'radio galaxy'`` -> ``frac_radio_galaxy``."""
    return "frac_" + "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")


def aperture_class_fractions(class_map: np.ndarray, names: list[str], *, center_xy: tuple[float, float],
                             radius_pix: float, blank: int = 255) -> dict[str, float]:
    """Fraction of the valid pixels within a circle given each class (arg-max class map of a classification network).

    Parameters
    ----------
    class_map : numpy.ndarray
        Integer class map (``<stem>.class.fits``); ``blank`` marks blank pixels.
    names : list of str
        Class names by value (``CLASSn`` cards).
    center_xy, radius_pix
        The aperture (as :func:`detection_ratio`).
    blank : int
        Value of blank pixels.

    Returns
    -------
    dict
        :func:`class_column` of every class -> fraction (NaN without valid pixels in the circle).

    Examples
    --------
    >>> m = np.zeros((11, 11), np.uint8); m[5, 4:7] = 5
    >>> round(aperture_class_fractions(m, ["background", "x", "y", "z", "w", "radio galaxy"], center_xy=(5, 5),
    ...                                radius_pix=1.0)["frac_radio_galaxy"], 2)
    0.6
    """
    inside = circle_mask(class_map.shape, center_xy, radius_pix) & (class_map != blank)
    values = np.asarray(class_map)[inside].astype(np.int64)
    counts = np.bincount(values[values < len(names)], minlength=len(names))
    total = int(inside.sum())
    return {class_column(name): (float(counts[i]) / total if total else float("nan")) for i, name in enumerate(names)}


def detection_ratio(
    prob: np.ndarray,
    *,
    center_xy: tuple[float, float],
    radius_pix: float,
    threshold: float = 0.5,
    valid: np.ndarray | None = None,
) -> dict:
    """R, coverage, pixels above ``threshold`` and the peak probability within a circle.

    Parameters
    ----------
    prob : numpy.ndarray
        2-D probability map; NaN (or infinite) pixels are blank.
    center_xy : (float, float)
        Circle centre ``(x, y)`` in 0-based pixel coordinates; it may lie
        outside the map.
    radius_pix : float
        Circle radius in pixels.
    threshold : float
        Probability above which (strictly) a pixel counts in ``npix_above``.
    valid : numpy.ndarray of bool, optional
        Pixels that may count (e.g. not blank in the radio image); combined
        with the finite pixels of ``prob``.

    Returns
    -------
    dict
        ``R`` (sum of p over valid circle pixels / their number; NaN when
        none), ``coverage`` (valid circle pixels / all circle pixels on the
        unbounded grid, 0..1), ``npix`` (valid circle pixels),
        ``npix_circle`` (all circle pixels), ``npix_above`` (valid circle
        pixels with p > threshold) and ``max_p`` (NaN when none).
    """
    prob = np.asarray(prob)
    if prob.ndim != 2:
        raise RadioUNetError(f"probability map must be 2-D, got shape {prob.shape}")
    ny, nx = prob.shape
    rows, first, last = circle_rows(center_xy, radius_pix)
    npix_circle = int(np.sum(last - first + 1))
    inside = (rows >= 0) & (rows < ny) & (last >= 0) & (first < nx)
    rows, first, last = rows[inside], np.maximum(first[inside], 0), np.minimum(last[inside], nx - 1)
    total, count, above, peak = 0.0, 0, 0, -np.inf
    if rows.size:
        y0, y1 = int(rows.min()), int(rows.max()) + 1
        x0, x1 = int(first.min()), int(last.max()) + 1
        box = np.asarray(prob[y0:y1, x0:x1], dtype=np.float64)
        xs = np.arange(x0, x1)
        in_circle = (xs[None, :] >= first[:, None]) & (xs[None, :] <= last[:, None])
        ok = in_circle & np.isfinite(box)
        if valid is not None:
            ok &= np.asarray(valid, bool)[y0:y1, x0:x1]
        values = box[ok]
        count = int(values.size)
        if count:
            total = float(values.sum())
            above = int(np.count_nonzero(values > threshold))
            peak = float(values.max())
    return {
        "R": total / count if count else float("nan"),
        "coverage": count / npix_circle if npix_circle else 0.0,
        "npix": count,
        "npix_circle": npix_circle,
        "npix_above": above,
        "max_p": peak if count else float("nan"),
    }


def radius_pixels(r500_mpc: float, z: float, *, pixel_scale_arcsec: float, radius_r500: float = 2.2, cosmology=None) -> float:
    """The radius ``radius_r500 * R500`` in pixels of ``pixel_scale_arcsec`` at redshift ``z``.

    Parameters
    ----------
    r500_mpc : float
        R500 in Mpc (proper).
    z : float
        Redshift (> 0).
    pixel_scale_arcsec : float
    radius_r500 : float
        Radius in units of R500 (the paper: 2.2).
    cosmology : astropy.cosmology.Cosmology, optional
        Default flat Lambda-CDM, H0 = 70, Om0 = 0.3.

    Returns
    -------
    float
    """
    if not (radius_r500 > 0 and r500_mpc > 0):
        raise RadioUNetError(f"radius needs R500 > 0 and a positive factor, got R500={r500_mpc} Mpc, factor={radius_r500}")
    return float(kpc_to_pixels(radius_r500 * r500_mpc * 1000.0, z, pixel_scale_arcsec, cosmology=cosmology))


def pixel_area_kpc2(z: float, *, pixel_scales_arcsec: tuple[float, float] | float, cosmology=None) -> float:
    """Proper area in kpc^2 that one pixel covers at redshift ``z`` (pixel area times kpc_per_arcsec(z)^2)."""
    sx, sy = (pixel_scales_arcsec, pixel_scales_arcsec) if np.ndim(pixel_scales_arcsec) == 0 else pixel_scales_arcsec
    return float(sx) * float(sy) * float(kpc_per_arcsec(z, cosmology=cosmology)) ** 2


def measure_target(
    prob: np.ndarray,
    wcs,
    *,
    ra: float,
    dec: float,
    z: float,
    r500_mpc: float,
    radius_r500: float = 2.2,
    threshold: float = 0.5,
    valid: np.ndarray | None = None,
    cosmology=None,
) -> dict:
    """Detection ratio of one cluster on a probability map with a celestial WCS.

    Parameters
    ----------
    prob : numpy.ndarray
        Probability map (NaN = blank), any grid that covers the target.
    wcs : astropy.wcs.WCS
        Its celestial WCS (any frame and projection).
    ra, dec : float
        ICRS position in degrees.
    z, r500_mpc : float
        Redshift and R500 (Mpc).
    radius_r500, threshold, valid, cosmology :
        See :func:`detection_ratio` and :func:`radius_pixels`.

    Returns
    -------
    dict
        The keys of :func:`detection_ratio`, plus ``x``, ``y`` (the target's
        pixel), ``radius_pix``, ``pixel_scale_arcsec`` and ``area_kpc2``
        (``npix_above`` times the pixel area at ``z``).
    """
    from astropy.coordinates import SkyCoord
    from astropy.wcs.utils import proj_plane_pixel_scales

    sx, sy = (float(s) for s in proj_plane_pixel_scales(wcs) * 3600.0)
    scale = math.sqrt(sx * sy)
    x, y = (float(v) for v in wcs.world_to_pixel(SkyCoord(ra, dec, unit="deg", frame="icrs")))
    radius = radius_pixels(r500_mpc, z, pixel_scale_arcsec=scale, radius_r500=radius_r500, cosmology=cosmology)
    if np.isfinite(x) and np.isfinite(y):
        out = detection_ratio(prob, center_xy=(x, y), radius_pix=radius, threshold=threshold, valid=valid)
    else:  # not on this projection at all (e.g. the far side of a SIN image)
        npix_circle = int(np.sum(np.diff(np.array(circle_rows((0.0, 0.0), radius)[1:]), axis=0) + 1))
        out = {"R": float("nan"), "coverage": 0.0, "npix": 0, "npix_circle": npix_circle, "npix_above": 0,
               "max_p": float("nan")}
    out.update(x=x, y=y, radius_pix=radius, pixel_scale_arcsec=scale,
               area_kpc2=out["npix_above"] * pixel_area_kpc2(z, pixel_scales_arcsec=(sx, sy), cosmology=cosmology))
    return out
