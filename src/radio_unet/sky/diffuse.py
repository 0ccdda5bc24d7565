"""Diffuse cluster and cosmic-web emission: halos, mini-halos, relics, bridges, filaments.

Every function works in pixel units (the scene converts kpc through the
redshift), takes its randomness from a passed :class:`numpy.random.Generator`
and renders only inside the component's bounding box (a :class:`Cutout`),
normalised so that the whole component carries ``total_flux`` Jy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..errors import RadioUNetError
from ..interpolate import interp_separable
from .fields import gaussian_random_field, lognormal_field, upsample_field
from .render import Cutout, render_normalised

__all__ = ["halo", "minihalo", "relic", "bridge", "filaments", "exponential_profile"]


def _check_positive(name: str, value: float) -> float:
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise RadioUNetError(f"{name} must be positive and finite, got {value}")
    return value


def _check_centre(centre) -> tuple[float, float]:
    try:
        x, y = (float(c) for c in centre)
    except (TypeError, ValueError):
        raise RadioUNetError(f"centre must be an (x, y) pair of numbers, got {centre!r}") from None
    if not (np.isfinite(x) and np.isfinite(y)):
        raise RadioUNetError(f"centre must be finite, got {centre!r}")
    return x, y


def _shape(shape) -> tuple[int, int]:
    ny, nx = (int(shape), int(shape)) if np.ndim(shape) == 0 else (int(shape[0]), int(shape[1]))
    if ny < 1 or nx < 1:
        raise RadioUNetError(f"image shape must be positive, got {shape!r}")
    return ny, nx


def _grid_cells(span: float, d: float, cap: int) -> tuple[int, float]:
    """Cells of a sampling grid over ``span`` at spacing about ``d`` (at most ``cap``): ``(n, step)``.

    The grid has two cells more than ``span / step`` so that bilinear reads at both ends stay inside.
    """
    n = int(min(cap, np.ceil(span / d) + 2))
    return n, span / (n - 2)


def _sample_grid(grid: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear read of ``grid`` at fractional ``(rows, cols)``, clipped to its edges."""
    n_rows, n_cols = grid.shape
    return ndimage.map_coordinates(
        grid, [np.clip(rows, 0, n_rows - 1), np.clip(cols, 0, n_cols - 1)], order=1, mode="nearest"
    )


@dataclass(frozen=True)
class _Arc:
    """Coordinates along a circular arc: ``t`` (arc length from its middle) and ``s`` (outward offset).

    Attributes
    ----------
    kx, ky : float
        Centre of curvature (pixels).
    ux, uy : float
        Unit vector from the centre of curvature to the middle of the arc.
    rc : float
        Radius of curvature (pixels).
    """

    kx: float
    ky: float
    ux: float
    uy: float
    rc: float

    @classmethod
    def through(cls, *, centre, distance: float, position_angle_deg: float, rc: float) -> "_Arc":
        """The arc of radius ``rc``, convex outwards, whose middle is ``distance`` from ``centre`` along the angle."""
        cx, cy = centre
        pa = np.deg2rad(position_angle_deg)
        ux, uy = np.cos(pa), np.sin(pa)
        # curvature centre: inwards from the relic's mid point
        mx, my = cx + distance * ux, cy + distance * uy
        return cls(mx - rc * ux, my - rc * uy, ux, uy, rc)

    def coords(self, ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(t, s)`` on the pixel grid ``ys`` x ``xs``."""
        dx = xs[None, :] - self.kx
        dy = ys[:, None] - self.ky
        r = np.sqrt(dx * dx + dy * dy)
        ang = np.arctan2(-dx * self.uy + dy * self.ux, dx * self.ux + dy * self.uy)
        return self.rc * ang, r - self.rc

    def bbox(self, t_half: float, s_lo: float, s_hi: float) -> tuple[float, float, float, float]:
        """``(y0, y1, x0, x1)`` around the region ``|t| <= t_half``, ``s_lo <= s <= s_hi``, with a 2-pixel margin."""
        tt = np.linspace(-t_half, t_half, 65)
        pts = []
        for s in (s_lo, s_hi):
            ang = tt / self.rc
            rr = self.rc + s
            ca, sa = np.cos(ang), np.sin(ang)
            pts.append((self.kx + rr * (ca * self.ux - sa * self.uy), self.ky + rr * (ca * self.uy + sa * self.ux)))
        px = np.concatenate([p[0] for p in pts])
        py = np.concatenate([p[1] for p in pts])
        return py.min() - 2, py.max() + 2, px.min() - 2, px.max() + 2


def exponential_profile(r, *, r_e: float, truncation: float | None = 3.0):
    """Exponential surface-brightness profile with a soft outer truncation.

    ``exp(-r / r_e) * exp(-(r / (truncation * r_e))**4)``; the second factor
    (omitted when ``truncation`` is None) confines the emission to the
    cluster instead of letting the exponential wing run on for megaparsecs.

    Parameters
    ----------
    r : array_like
        (Elliptical) radius in pixels.
    r_e : float
        e-folding radius in pixels.
    truncation : float or None
        Truncation radius in units of ``r_e``.

    Returns
    -------
    numpy.ndarray
        Unnormalised profile, 1 at the centre.
    """
    r = np.asarray(r, dtype=float)
    out = np.exp(-r / r_e)
    if truncation is not None:
        out = out * np.exp(-((r / (truncation * r_e)) ** 4))
    return out


class _GridField:
    """A field sampled on a regular grid (origin, cell size), read back bilinearly on pixel grids."""

    def __init__(self, field: np.ndarray, y0: float, x0: float, step: float):
        self.field, self.y0, self.x0, self.step = field, y0, x0, step

    def __call__(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        return interp_separable(self.field, (ys - self.y0) / self.step, (xs - self.x0) / self.step)


def halo(
    shape,
    *,
    centre,
    r_e: float,
    total_flux: float,
    rng: np.random.Generator,
    axis_ratio: float = 1.0,
    angle_deg: float = 0.0,
    turbulence: float = 0.4,
    turbulence_slope: float = -11.0 / 3.0,
    truncation: float = 3.0,
) -> Cutout:
    """A radio halo: centrally peaked, elliptical, with turbulent substructure.

    The brightness is an exponential profile (Murgia et al. 2009) in the
    elliptical radius, softly truncated at ``truncation * r_e``, multiplied
    by a unit-mean log-normal random field with a Kolmogorov-like spectrum
    (outer scale ``r_e``) that breaks it into patches and filaments.

    Parameters
    ----------
    shape : (int, int)
        Image shape ``(ny, nx)``.
    centre : (float, float)
        ``(x, y)`` pixel position of the centre (may lie outside the image).
    r_e : float
        e-folding radius along the major axis, in pixels.
    total_flux : float
        Flux density of the whole halo (Jy).
    rng : numpy.random.Generator
    axis_ratio : float
        Minor / major axis ratio, in (0, 1].
    angle_deg : float
        Major-axis angle, counter-clockwise from +x.
    turbulence : float
        Standard deviation of the log of the modulating field (0 = smooth).
    turbulence_slope : float
        Power-spectrum slope of the substructure.
    truncation : float
        Soft outer edge in units of ``r_e``.

    Returns
    -------
    Cutout
        The halo on its bounding box, clipped to the image.
    """
    shape = _shape(shape)
    cx, cy = _check_centre(centre)
    r_e = _check_positive("r_e", r_e)
    _check_positive("truncation", truncation)
    if not 0 < axis_ratio <= 1:
        raise RadioUNetError(f"axis_ratio must be in (0, 1], got {axis_ratio}")
    if not turbulence >= 0:
        raise RadioUNetError(f"turbulence must be non-negative, got {turbulence}")
    radius = 2.0 * truncation * r_e + 2.0
    bbox = (cy - radius, cy + radius, cx - radius, cx + radius)
    # substructure on a coarse grid: about 12 cells per r_e, at least one pixel per cell, at most 1024^2 cells
    if turbulence > 0:
        step = max(1.0, r_e / 12.0, 2 * radius / 1022.0)
        n = int(np.ceil(2 * radius / step)) + 2
        modulation = lognormal_field(
            (n, n), sigma=turbulence, slope=turbulence_slope, rng=rng, outer_scale=r_e / step, inner_scale=0.5
        )
        mod = _GridField(modulation, cy - radius, cx - radius, step)
    else:
        mod = None
    c, s = np.cos(np.deg2rad(angle_deg)), np.sin(np.deg2rad(angle_deg))

    def func(ys, xs):
        dx = xs[None, :] - cx
        dy = ys[:, None] - cy
        u = dx * c + dy * s
        v = (-dx * s + dy * c) / axis_ratio
        r = np.sqrt(u * u + v * v)
        profile = exponential_profile(r, r_e=r_e, truncation=truncation)
        return profile if mod is None else profile * mod(ys, xs)

    return render_normalised(shape, bbox, func, total_flux)


def minihalo(
    shape,
    *,
    centre,
    r_e: float,
    total_flux: float,
    rng: np.random.Generator,
    axis_ratio: float = 1.0,
    angle_deg: float = 0.0,
    turbulence: float = 0.3,
    truncation: float = 3.0,
) -> Cutout:
    """A mini-halo: a small halo-like source around a cool-core's central galaxy.

    Mini-halos are confined by sloshing cold fronts to 50-300 kpc; the shape
    is the same truncated exponential with substructure as :func:`halo` but
    with a small ``r_e`` (the scene adds the central radio galaxy separately).

    Parameters
    ----------
    shape, centre, r_e, total_flux, rng, axis_ratio, angle_deg, turbulence, truncation
        As for :func:`halo`.

    Returns
    -------
    Cutout
    """
    return halo(
        shape,
        centre=centre,
        r_e=r_e,
        total_flux=total_flux,
        rng=rng,
        axis_ratio=axis_ratio,
        angle_deg=angle_deg,
        turbulence=turbulence,
        truncation=truncation,
    )


def _relic_curvature(distance: float, length: float, curvature_radius: float | None) -> float:
    """A relic's radius of curvature (default ``distance``); its arc may be at most ``0.9 * pi`` times it long."""
    rc = distance if curvature_radius is None else _check_positive("curvature_radius", curvature_radius)
    if length > 0.9 * np.pi * rc:
        raise RadioUNetError(
            f"relic length {length:.1f} px is too long for curvature radius {rc:.1f} px (max {0.9 * np.pi * rc:.1f})"
        )
    return rc


def _shock_profile(dd: np.ndarray, sig_e: float, h: float) -> np.ndarray:
    """Brightness across a relic at ``dd`` from its edge: Gaussian (sigma ``sig_e``) out, e-folding ``h`` in."""
    return np.where(
        dd > 0, np.exp(-0.5 * (np.minimum(dd, 50 * sig_e) / sig_e) ** 2), np.exp(np.maximum(dd, -50 * h) / h)
    )


def relic(
    shape,
    *,
    centre,
    distance: float,
    position_angle_deg: float,
    length: float,
    width: float,
    total_flux: float,
    rng: np.random.Generator,
    curvature_radius: float | None = None,
    edge_width: float | None = None,
    texture: float = 0.6,
    wiggle: float = 0.3,
) -> Cutout:
    """A radio relic: a thin arc at the periphery of a cluster.

    The arc's outer edge passes through the point at ``distance`` pixels from
    the cluster ``centre`` in direction ``position_angle_deg`` and is convex
    outwards, with radius of curvature ``curvature_radius``. Across the arc
    the brightness rises sharply at the outer (shock) edge and fades
    exponentially towards the cluster (e-folding ``width / 2``); along the
    arc it falls off as ``exp(-(|t| / (length / 2))**4)``. A log-normal field
    elongated along the arc gives the filamentary texture, and a smooth
    random displacement of the edge makes it wavy.

    Parameters
    ----------
    shape : (int, int)
        Image shape ``(ny, nx)``.
    centre : (float, float)
        ``(x, y)`` of the cluster centre.
    distance : float
        Distance (pixels) of the middle of the relic's outer edge from ``centre``.
    position_angle_deg : float
        Direction from the centre to the relic, counter-clockwise from +x.
    length : float
        Length along the arc (pixels), at most ``0.9 * pi * curvature_radius``.
    width : float
        Thickness (pixels): twice the e-folding length of the inner fading.
    total_flux : float
        Flux density of the whole relic (Jy).
    rng : numpy.random.Generator
    curvature_radius : float, optional
        Radius of curvature of the arc (pixels); default ``distance`` (an arc
        concentric with the cluster). Larger values give flatter relics.
    edge_width : float, optional
        Gaussian sigma (pixels) of the outer edge; default ``max(0.5, 0.08 * width)``.
    texture : float
        Standard deviation of the log of the filamentary texture.
    wiggle : float
        rms displacement of the edge in units of ``width / 2``.

    Returns
    -------
    Cutout
    """
    shape = _shape(shape)
    cx, cy = _check_centre(centre)
    distance = _check_positive("distance", distance)
    length = _check_positive("length", length)
    width = _check_positive("width", width)
    rc = _relic_curvature(distance, length, curvature_radius)
    if not texture >= 0 or not wiggle >= 0:
        raise RadioUNetError("texture and wiggle must be non-negative")
    h = width / 2.0
    sig_e = max(0.5, 0.08 * width) if edge_width is None else _check_positive("edge_width", edge_width)
    arc = _Arc.through(centre=(cx, cy), distance=distance, position_angle_deg=position_angle_deg, rc=rc)

    # texture and edge displacement in (t, s) = (arc length, outward offset)
    t_half = 1.0 * length
    wig_amp = wiggle * h
    s_lo, s_hi = -7.0 * h - 3.0 * wig_amp - 2.0, 5.0 * sig_e + 3.0 * wig_amp + 2.0
    d = max(0.5, min(width / 8.0, length / 200.0))
    n_t, d_t = _grid_cells(2 * t_half, d, 4096)
    n_s, d_s = _grid_cells(s_hi - s_lo, d, 1024)
    # filaments elongated along the arc: correlation length ~ length/4 along, ~ width across
    tex = lognormal_field(
        (n_s, n_t), sigma=texture, slope=-3.0, rng=rng, outer_scale=max(2.0, length / 4.0 / d_t), inner_scale=0.5,
        aspect=max(1.0, (length / 4.0 / d_t) / max(1.0, width / d_s)),
    )
    edge_field = gaussian_random_field(
        (1, n_t), slope=-5.0, rng=rng, outer_scale=max(2.0, length / 3.0 / d_t), inner_scale=max(0.5, width / d_t)
    )
    wig = edge_field[0] * wig_amp

    def func(ys, xs):
        t, s = arc.coords(ys, xs)
        ti = (t + t_half) / d_t
        si = (s - s_lo) / d_s
        edge = np.interp(ti, np.arange(n_t), wig)
        across = _shock_profile(s - edge, sig_e, h)
        along = np.exp(-((np.abs(t) / (0.5 * length)) ** 4))
        inside = (np.abs(t) < t_half) & (s > s_lo) & (s < s_hi)
        return np.where(inside, across * along * _sample_grid(tex, si, ti), 0.0)

    return render_normalised(shape, arc.bbox(t_half, s_lo, s_hi), func, total_flux)


def bridge(
    shape,
    *,
    start,
    end,
    width: float,
    total_flux: float,
    rng: np.random.Generator,
    texture: float = 0.5,
    wiggle: float = 0.1,
) -> Cutout:
    """A bridge of diffuse emission between two clusters.

    A ribbon from ``start`` to ``end`` with a Gaussian cross-section of full
    width at half maximum ``width``, rising and fading smoothly over the
    first and last 10% of its length (where it merges into the clusters'
    halos), a wavy axis and a log-normal texture.

    Parameters
    ----------
    shape : (int, int)
    start, end : (float, float)
        ``(x, y)`` pixel positions of the two cluster centres.
    width : float
        FWHM across the bridge (pixels).
    total_flux : float
        Flux density of the whole bridge (Jy).
    rng : numpy.random.Generator
    texture : float
        Standard deviation of the log of the texture field.
    wiggle : float
        rms displacement of the axis in units of ``width``.

    Returns
    -------
    Cutout
    """
    shape = _shape(shape)
    x0, y0 = _check_centre(start)
    x1, y1 = _check_centre(end)
    width = _check_positive("width", width)
    length = float(np.hypot(x1 - x0, y1 - y0))
    if length <= 0:
        raise RadioUNetError("bridge start and end must differ")
    ex, ey = (x1 - x0) / length, (y1 - y0) / length
    sig = width / 2.3548
    k = 0.08 * length
    wig_amp = wiggle * width
    v_half = 4.0 * sig + 3.0 * wig_amp + 2.0
    u_lo, u_hi = -5.0 * k, length + 5.0 * k
    d = max(0.5, min(width / 6.0, length / 256.0))
    n_u, d_u = _grid_cells(u_hi - u_lo, d, 4096)
    n_v, d_v = _grid_cells(2 * v_half, d, 1024)
    tex = lognormal_field(
        (n_v, n_u), sigma=texture, slope=-3.0, rng=rng, outer_scale=max(2.0, width / d_u), inner_scale=0.5
    )
    wig = (
        gaussian_random_field(
            (1, n_u),
            slope=-5.0,
            rng=rng,
            outer_scale=max(2.0, length / 2.0 / d_u),
            inner_scale=max(0.5, width / 3.0 / d_u),
        )[0]
        * wig_amp
    )

    def func(ys, xs):
        dx = xs[None, :] - x0
        dy = ys[:, None] - y0
        u = dx * ex + dy * ey
        v = -dx * ey + dy * ex
        ui = (u - u_lo) / d_u
        vi = (v + v_half) / d_v
        axis = np.interp(ui, np.arange(n_u), wig)
        across = np.exp(-0.5 * ((v - axis) / sig) ** 2)
        along = 1.0 / (1.0 + np.exp(-np.clip(u / k, -50, 50))) / (1.0 + np.exp(-np.clip((length - u) / k, -50, 50)))
        inside = (u > u_lo) & (u < u_hi) & (np.abs(v) < v_half)
        return np.where(inside, across * along * _sample_grid(tex, vi, ui), 0.0)

    corners_x = [x0 + a * ex - b * ey for a in (u_lo, u_hi) for b in (-v_half, v_half)]
    corners_y = [y0 + a * ey + b * ex for a in (u_lo, u_hi) for b in (-v_half, v_half)]
    bbox = (min(corners_y) - 2, max(corners_y) + 2, min(corners_x) - 2, max(corners_x) + 2)
    return render_normalised(shape, bbox, func, total_flux)


def filaments(
    shape,
    *,
    width: float,
    peak_brightness: float,
    rng: np.random.Generator,
    fill_fraction: float = 0.5,
    cell_scale: float = 10.0,
    contrast: float = 1.0,
    warp: float = 0.12,
) -> np.ndarray:
    """A cosmic-web network of faint filaments over the whole image.

    The web is the edge network of a Voronoi tessellation (the classic
    geometric model of the cosmic web: voids are cells, filaments their
    walls seen in projection, knots where three cells meet), with cells about
    ``cell_scale * width`` across and coordinates warped by a smooth random
    displacement so that filaments curve. Filaments have a Gaussian
    cross-section of FWHM ``width`` and are brighter (up to 3x) at the knots.
    A thresholded log-normal field modulates the brightness: only its
    brightest ``fill_fraction`` of the area survives, which breaks the web
    into segments whose brightness falls to zero at the threshold. The field
    is built on a coarse grid and interpolated, so it is cheap for large
    images.

    Parameters
    ----------
    shape : (int, int)
    width : float
        FWHM of a filament in pixels.
    peak_brightness : float
        Brightest pixel (Jy/pixel).
    rng : numpy.random.Generator
    fill_fraction : float
        Fraction of the area in which the modulating field is above its
        threshold, in (0, 1].
    cell_scale : float
        Typical size of the web's cells in units of ``width``.
    contrast : float
        Standard deviation of the log of the brightness modulation.
    warp : float
        rms coordinate displacement in units of the cell size.

    Returns
    -------
    numpy.ndarray
        float32 image of ``shape`` (Jy/pixel), zero where no filament is.
    """
    from scipy.spatial import cKDTree

    ny, nx = _shape(shape)
    width = _check_positive("width", width)
    if not (np.isfinite(peak_brightness) and peak_brightness >= 0):
        raise RadioUNetError(f"peak_brightness must be non-negative, got {peak_brightness}")
    if not 0 < fill_fraction <= 1:
        raise RadioUNetError(f"fill_fraction must be in (0, 1], got {fill_fraction}")
    _check_positive("cell_scale", cell_scale)
    if not (contrast >= 0 and warp >= 0):
        raise RadioUNetError("contrast and warp must be non-negative")
    # coarse grid with at least ~4 cells across a filament
    c = int(np.clip(np.floor(width / 4.0), 1, 16))
    cny, cnx = max(4, int(np.ceil(ny / c))), max(4, int(np.ceil(nx / c)))
    wc = width / c
    cell = cell_scale * wc
    n_seeds = max(3, int(rng.poisson((cny + 2 * cell) * (cnx + 2 * cell) / cell**2)))
    seeds = np.column_stack([rng.uniform(-cell, cnx + cell, n_seeds), rng.uniform(-cell, cny + cell, n_seeds)])
    disp_x = gaussian_random_field((cny, cnx), slope=-4.0, rng=rng, outer_scale=cell, inner_scale=cell / 6.0)
    disp_y = gaussian_random_field((cny, cnx), slope=-4.0, rng=rng, outer_scale=cell, inner_scale=cell / 6.0)
    yy, xx = np.mgrid[:cny, :cnx].astype(float)
    pts = np.column_stack([(xx + warp * cell * disp_x).ravel(), (yy + warp * cell * disp_y).ravel()])
    dist, idx = cKDTree(seeds).query(pts, k=3)
    s1, s2, s3 = seeds[idx[:, 0]], seeds[idx[:, 1]], seeds[idx[:, 2]]
    # distance to the bisector between nearest and second (third) nearest seed
    e12 = (dist[:, 1] ** 2 - dist[:, 0] ** 2) / (2.0 * np.linalg.norm(s2 - s1, axis=1))
    e13 = (dist[:, 2] ** 2 - dist[:, 0] ** 2) / (2.0 * np.linalg.norm(s3 - s1, axis=1))
    sig = wc / 2.3548
    ridge = np.exp(-0.5 * np.minimum(e12 / sig, 40.0) ** 2) * (
        1.0 + 2.0 * np.exp(-0.5 * np.minimum(e13 / (2 * sig), 40.0) ** 2)
    )
    ridge = ndimage.gaussian_filter(ridge.reshape(cny, cnx), 0.25 * wc, mode="nearest")
    m = lognormal_field((cny, cnx), sigma=contrast, slope=-3.5, rng=rng, outer_scale=2.0 * cell)
    thr = np.quantile(m, 1.0 - fill_fraction) if fill_fraction < 1 else 0.0
    coarse = ridge * np.clip(m - thr, 0.0, None)
    full = upsample_field(coarse, (ny, nx)) if (cny, cnx) != (ny, nx) else coarse
    peak = full.max()
    if peak > 0:
        full *= peak_brightness / peak
    return full.astype(np.float32)
