"""Confusion: the faint source population far below the noise.

Real survey images owe part of their noise texture to sources far below the
detection limit: thousands of them per beam-sized patch of sky at the nJy to
tens of uJy level, clustered like the galaxies that host them. Individually
invisible, together they add power on the scale of the beam and, through
their clustering, on scales of several beams; a network that has only seen
thermal noise reads that texture as faint diffuse emission.

The counts below ``s_max`` follow a power law in the Euclidean-normalised
counts, ``S^2.5 dN/dS = norm * (S / s_max)**slope`` (Jy^1.5 sr^-1), drawn per
field within ranges (deep 150 MHz counts flatten below ~1 mJy to
``S^2.5 dN/dS ~ 5-30`` at 100 uJy; e.g. Mandal et al. 2021). Positions follow
a log-normal density field, so the faint sources cluster. They are point
sources (every one is far below the resolution) and never enter the label
map: for the network they are background.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import RadioUNetError
from .fields import lognormal_field

__all__ = ["ConfusionDraw", "confusion_number", "draw_confusion", "confusion_image"]

_SR_PER_ARCSEC2 = (math.pi / (180.0 * 3600.0)) ** 2


@dataclass(frozen=True)
class ConfusionDraw:
    """The parameters of one field's faint population (see :func:`confusion_image`)."""

    s_min: float
    s_max: float
    norm: float
    slope: float
    cluster_sigma: float
    cluster_scale_pix: float

    def to_dict(self) -> dict:
        """JSON-ready parameters."""
        return {k: float(v) for k, v in self.__dict__.items()}


def confusion_number(s_min: float, s_max: float, *, norm: float, slope: float, area_sr: float) -> float:
    """Expected number of sources between ``s_min`` and ``s_max`` for ``S^2.5 dN/dS = norm (S/s_max)^slope``.

    Examples
    --------
    >>> round(confusion_number(1e-6, 1e-4, norm=10.0, slope=1.0, area_sr=1.0) / 1e8, 3)
    1.8
    """
    if not 0 < s_min < s_max:
        raise RadioUNetError(f"confusion flux limits must satisfy 0 < s_min < s_max, got {s_min}, {s_max}")
    p = slope - 1.5  # dN/dS = norm s_max^-slope S^(slope - 2.5); integral of S^(p - 1)
    scale = norm * s_max ** (-slope) * area_sr
    if abs(p) < 1e-12:
        return scale * math.log(s_max / s_min)
    return scale * (s_max**p - s_min**p) / p


def _draw_fluxes(rng: np.random.Generator, n: int, s_min: float, s_max: float, slope: float) -> np.ndarray:
    """Inverse-CDF draws from ``dN/dS ~ S^(slope - 2.5)`` on ``[s_min, s_max]``."""
    p = slope - 1.5
    u = rng.random(n)
    if abs(p) < 1e-12:
        return s_min * (s_max / s_min) ** u
    lo, hi = s_min**p, s_max**p
    return (lo + u * (hi - lo)) ** (1.0 / p)


def draw_confusion(
    rng: np.random.Generator,
    *,
    s_min: float,
    s_max: float,
    norm_range: tuple[float, float],
    slope_range: tuple[float, float],
    cluster_sigma_range: tuple[float, float],
    cluster_scale_pix_range: tuple[float, float],
) -> ConfusionDraw:
    """Draw one field's parameters (norm and clustering scale log-uniform, the rest uniform)."""
    def loguniform(lo_hi):
        return float(math.exp(rng.uniform(math.log(lo_hi[0]), math.log(lo_hi[1]))))

    return ConfusionDraw(
        s_min=float(s_min), s_max=float(s_max), norm=loguniform(norm_range), slope=float(rng.uniform(*slope_range)),
        cluster_sigma=float(rng.uniform(*cluster_sigma_range)), cluster_scale_pix=loguniform(cluster_scale_pix_range),
    )


def confusion_image(
    shape: tuple[int, int], pixel_scale_arcsec: float, draw: ConfusionDraw, *, rng: np.random.Generator,
    max_sources: int = 3_000_000,
) -> tuple[np.ndarray, int]:
    """Sky image (Jy/pixel) of the faint population of one field.

    Parameters
    ----------
    shape : (int, int)
        Image shape.
    pixel_scale_arcsec : float
        Pixel size.
    draw : ConfusionDraw
        Count and clustering parameters (:func:`draw_confusion`).
    rng : numpy.random.Generator
    max_sources : int
        Cap on the number of sources (memory); the faintest flux limit is
        raised to meet it, which leaves the brighter, dominant part intact.

    Returns
    -------
    (numpy.ndarray, int)
        float32 image and the number of sources placed.
    """
    ny, nx = shape
    area = ny * nx * pixel_scale_arcsec**2 * _SR_PER_ARCSEC2
    s_min = draw.s_min
    mean = confusion_number(s_min, draw.s_max, norm=draw.norm, slope=draw.slope, area_sr=area)
    while mean > max_sources and s_min < draw.s_max / 1.5:
        s_min *= 1.5
        mean = confusion_number(s_min, draw.s_max, norm=draw.norm, slope=draw.slope, area_sr=area)
    n = int(min(rng.poisson(mean), max_sources))
    if n == 0:
        return np.zeros(shape, np.float32), 0
    density = lognormal_field(shape, sigma=draw.cluster_sigma, slope=-3.0, rng=rng,
                              outer_scale=draw.cluster_scale_pix, inner_scale=0.5).ravel()
    density /= density.sum()
    pixels = rng.choice(ny * nx, size=n, p=density)
    image = np.bincount(pixels, weights=_draw_fluxes(rng, n, s_min, draw.s_max, draw.slope), minlength=ny * nx)
    return image.reshape(shape).astype(np.float32), n
