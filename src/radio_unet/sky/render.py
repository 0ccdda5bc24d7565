"""Local rendering: components drawn on cut-outs, and fast Gaussian splatting.

Each extended component is evaluated only inside its own bounding box and
normalised so that the whole (unclipped) component carries exactly the
requested flux; the part inside the image is then pasted into the image.
Compact sources and the pieces of radio galaxies are lists of elliptical
Gaussians (:class:`Blobs`) added by a small numba kernel.

Pixel convention: pixel ``(iy, ix)`` has its centre at coordinates
``(y, x) = (iy, ix)``; angles are counter-clockwise from the +x (column) axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numba
import numpy as np

from ..errors import RadioUNetError

__all__ = ["Cutout", "render_normalised", "Blobs", "add_blobs", "render_blobs"]


@dataclass
class Cutout:
    """A component rendered on a sub-array of an image.

    Attributes
    ----------
    data : numpy.ndarray
        float32 brightness (Jy/pixel) of the part inside the image.
    y0, x0 : int
        Image indices of ``data[0, 0]``.
    total_flux : float
        Flux (Jy) of the whole component, including any part outside the
        image; equals ``data.sum()`` when the component lies inside.
    """

    data: np.ndarray
    y0: int
    x0: int
    total_flux: float

    @property
    def slices(self) -> tuple[slice, slice]:
        """Index of the cut-out in the image: ``image[cutout.slices]``."""
        return slice(self.y0, self.y0 + self.data.shape[0]), slice(self.x0, self.x0 + self.data.shape[1])

    @property
    def flux(self) -> float:
        """Flux (Jy) inside the image."""
        return float(self.data.sum(dtype=np.float64))

    def paste(self, image: np.ndarray) -> np.ndarray:
        """Add the cut-out into ``image`` in place and return ``image``."""
        if self.data.size:
            image[self.slices] += self.data
        return image

    def to_image(self, shape) -> np.ndarray:
        """A full float32 image of ``shape`` that holds only this component."""
        image = np.zeros(shape, dtype=np.float32)
        return self.paste(image)


def _clip_box(shape, bbox):
    ny, nx = shape
    ymin, ymax, xmin, xmax = bbox
    iy0, iy1 = int(np.floor(ymin)), int(np.ceil(ymax)) + 1
    ix0, ix1 = int(np.floor(xmin)), int(np.ceil(xmax)) + 1
    full = (iy0, iy1, ix0, ix1)
    clipped = (max(iy0, 0), min(iy1, ny), max(ix0, 0), min(ix1, nx))
    return full, clipped


def render_normalised(
    shape,
    bbox: tuple[float, float, float, float],
    func: Callable[[np.ndarray, np.ndarray], np.ndarray],
    total_flux: float,
    *,
    max_norm_pixels: int = 1_048_576,
) -> Cutout:
    """Evaluate a brightness function on its bounding box and normalise it to a flux.

    Parameters
    ----------
    shape : (int, int)
        Shape of the image the component belongs to.
    bbox : (ymin, ymax, xmin, xmax)
        Pixel coordinates outside which ``func`` is negligible; may extend
        beyond the image.
    func : callable
        ``func(y, x)`` with 1-D arrays of row and column coordinates, returning
        the unnormalised, non-negative brightness on the grid
        ``(len(y), len(x))``. It must be a fixed function of position (any
        random texture already drawn), so that it can be sampled twice.
    total_flux : float
        Flux (Jy) of the whole component.
    max_norm_pixels : int
        When the component is clipped by the image edge, its full integral is
        computed on the full box if it has at most this many pixels, else on
        a regular subsample of it.

    Returns
    -------
    Cutout
        The part inside the image; ``data.sum() == total_flux`` to float32
        rounding when the component lies inside the image.
    """
    if not np.isfinite(total_flux) or total_flux < 0:
        raise RadioUNetError(f"total flux must be finite and non-negative, got {total_flux}")
    (fy0, fy1, fx0, fx1), (cy0, cy1, cx0, cx1) = _clip_box(shape, bbox)
    if cy1 <= cy0 or cx1 <= cx0:
        return Cutout(np.zeros((0, 0), np.float32), 0, 0, float(total_flux))
    inner = np.asarray(func(np.arange(cy0, cy1, dtype=float), np.arange(cx0, cx1, dtype=float)), dtype=np.float64)
    inside = (fy0, fy1, fx0, fx1) == (cy0, cy1, cx0, cx1)
    if inside:
        norm = inner.sum()
    else:
        npix = (fy1 - fy0) * (fx1 - fx0)
        step = max(1, int(np.ceil(np.sqrt(npix / max_norm_pixels))))
        ys = fy0 + step * np.arange(int(np.ceil((fy1 - fy0) / step))) + (step - 1) / 2.0
        xs = fx0 + step * np.arange(int(np.ceil((fx1 - fx0) / step))) + (step - 1) / 2.0
        norm = np.asarray(func(ys, xs), dtype=np.float64).sum() * step * step
    if not norm > 0:
        return Cutout(np.zeros((cy1 - cy0, cx1 - cx0), np.float32), cy0, cx0, float(total_flux))
    data = (inner * (total_flux / norm)).astype(np.float32)
    return Cutout(data, cy0, cx0, float(total_flux))


@dataclass
class Blobs:
    """A list of elliptical Gaussians: the building blocks of compact sources and radio galaxies.

    Attributes
    ----------
    x, y : numpy.ndarray
        Centres in pixel coordinates (sub-pixel).
    flux : numpy.ndarray
        Integrated flux of each Gaussian (Jy).
    sigma_major, sigma_minor : numpy.ndarray
        Standard deviations along the major and minor axes (pixels); below
        0.3 pixel a blob is a point source split over its four nearest pixels.
    angle : numpy.ndarray
        Major-axis angle in radians, counter-clockwise from +x.
    """

    x: np.ndarray
    y: np.ndarray
    flux: np.ndarray
    sigma_major: np.ndarray
    sigma_minor: np.ndarray
    angle: np.ndarray

    def __post_init__(self):
        arrays = [np.atleast_1d(np.asarray(getattr(self, n), dtype=np.float64)) for n in self._names()]
        n = max(a.size for a in arrays)
        for name, a in zip(self._names(), arrays):
            if a.size == 1 and n != 1:
                a = np.full(n, a[0])
            if a.size != n:
                raise RadioUNetError(f"Blobs: {name} has {a.size} entries, expected {n}")
            setattr(self, name, np.ascontiguousarray(a))
        if np.any(self.sigma_major < 0) or np.any(self.sigma_minor < 0):
            raise RadioUNetError("Blobs: sigmas must be non-negative")

    @staticmethod
    def _names():
        return ("x", "y", "flux", "sigma_major", "sigma_minor", "angle")

    def __len__(self) -> int:
        return int(self.x.size)

    @property
    def total_flux(self) -> float:
        """Sum of the blob fluxes (Jy)."""
        return float(self.flux.sum())

    @classmethod
    def empty(cls) -> "Blobs":
        """No blobs."""
        z = np.zeros(0)
        return cls(z, z, z, z, z, z)

    @classmethod
    def concatenate(cls, items) -> "Blobs":
        """Join several :class:`Blobs` into one."""
        items = list(items)
        if not items:
            return cls.empty()
        return cls(*[np.concatenate([getattr(b, n) for b in items]) for n in cls._names()])

    def scaled(self, factor: float) -> "Blobs":
        """A copy with all fluxes multiplied by ``factor``."""
        return Blobs(self.x, self.y, self.flux * factor, self.sigma_major, self.sigma_minor, self.angle)

    def bbox(self, nsigma: float = 4.0) -> tuple[float, float, float, float]:
        """(ymin, ymax, xmin, xmax) enclosing all blobs to ``nsigma``."""
        if len(self) == 0:
            return (0.0, -1.0, 0.0, -1.0)
        r = nsigma * self.sigma_major + 1.0
        return (
            float(np.min(self.y - r)),
            float(np.max(self.y + r)),
            float(np.min(self.x - r)),
            float(np.max(self.x + r)),
        )


@numba.njit(cache=True, nogil=True)
def _add_blobs_kernel(image, x, y, flux, smaj, smin, ang, nsig):  # pragma: no cover - compiled
    ny, nx = image.shape
    for i in range(x.size):
        f = flux[i]
        if f == 0.0:
            continue
        if smaj[i] < 0.3:
            # point source: bilinear split conserves flux and centroid
            fx = np.floor(x[i])
            fy = np.floor(y[i])
            ix = int(fx)
            iy = int(fy)
            dx = x[i] - fx
            dy = y[i] - fy
            for jy in range(2):
                yy = iy + jy
                if yy < 0 or yy >= ny:
                    continue
                wy = dy if jy == 1 else 1.0 - dy
                for jx in range(2):
                    xx = ix + jx
                    if xx < 0 or xx >= nx:
                        continue
                    wx = dx if jx == 1 else 1.0 - dx
                    image[yy, xx] += f * wy * wx
            continue
        # pixel-integrated Gaussian approximated by adding the pixel variance 1/12
        sa2 = smaj[i] * smaj[i] + 1.0 / 12.0
        sb2 = smin[i] * smin[i] + 1.0 / 12.0
        c = np.cos(ang[i])
        s = np.sin(ang[i])
        # inverse covariance of the rotated Gaussian
        a11 = c * c / sa2 + s * s / sb2
        a22 = s * s / sa2 + c * c / sb2
        a12 = c * s * (1.0 / sa2 - 1.0 / sb2)
        rad = int(np.ceil(nsig * np.sqrt(sa2)))
        cx = int(np.floor(x[i] + 0.5))
        cy = int(np.floor(y[i] + 0.5))
        if cx + rad < 0 or cx - rad >= nx or cy + rad < 0 or cy - rad >= ny:
            continue
        size = 2 * rad + 1
        buf = np.empty((size, size))
        total = 0.0
        for jy in range(size):
            ddy = cy - rad + jy - y[i]
            for jx in range(size):
                ddx = cx - rad + jx - x[i]
                q = a11 * ddx * ddx + 2.0 * a12 * ddx * ddy + a22 * ddy * ddy
                w = np.exp(-0.5 * q) if q < 50.0 else 0.0
                buf[jy, jx] = w
                total += w
        if total <= 0.0:
            continue
        scale = f / total
        for jy in range(size):
            yy = cy - rad + jy
            if yy < 0 or yy >= ny:
                continue
            for jx in range(size):
                xx = cx - rad + jx
                if xx < 0 or xx >= nx:
                    continue
                image[yy, xx] += buf[jy, jx] * scale


def add_blobs(image: np.ndarray, blobs: Blobs, *, nsigma: float = 4.0) -> np.ndarray:
    """Add Gaussian blobs into ``image`` in place (flux-conserving).

    Each blob is normalised over its whole stamp (out to ``nsigma`` sigma),
    so its full flux lands in the image unless part of it falls outside.

    Parameters
    ----------
    image : numpy.ndarray
        2-D float32 or float64 array, modified in place.
    blobs : Blobs
    nsigma : float
        Stamp half-size in units of the major-axis sigma.

    Returns
    -------
    numpy.ndarray
        ``image``.
    """
    if image.ndim != 2 or image.dtype not in (np.float32, np.float64):
        raise RadioUNetError("add_blobs needs a 2-D float32 or float64 image")
    if len(blobs):
        _add_blobs_kernel(
            image, blobs.x, blobs.y, blobs.flux, blobs.sigma_major, blobs.sigma_minor, blobs.angle, float(nsigma)
        )
    return image


def render_blobs(shape, blobs: Blobs, *, dtype=np.float32) -> np.ndarray:
    """A new image of ``shape`` holding only ``blobs``.

    Parameters
    ----------
    shape : (int, int)
    blobs : Blobs
    dtype : numpy dtype
        float32 (default) or float64.

    Returns
    -------
    numpy.ndarray
    """
    image = np.zeros(tuple(int(s) for s in shape), dtype=dtype)
    return add_blobs(image, blobs)
