"""Small example images for the demo and the documentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter

from .io import Beam, write_image
from .io.wcs import make_celestial_wcs

__all__ = ["write_example_image"]


def write_example_image(path: str | Path, *, npix: int = 256, seed: int = 0, rms: float = 7e-5) -> Path:
    """Write a LoTSS-like 6" image: beam-correlated noise of ``rms`` Jy/beam plus a few point sources.

    This is only a file-format example, not a synthetic observation (see
    ``radio_unet.observe`` for those).
    """
    rng = np.random.default_rng(seed)
    sigma_pix = 6.0 / 1.5 / (2 * np.sqrt(2 * np.log(2)))
    noise = gaussian_filter(rng.normal(size=(npix, npix)), sigma_pix)
    image = noise * (rms / noise.std())
    sources = np.zeros((npix, npix))
    for _ in range(8):
        y, x = rng.integers(10, npix - 10, 2)
        sources[y, x] = rng.uniform(1e-3, 3e-2)
    image += gaussian_filter(sources, sigma_pix) * (2 * np.pi * sigma_pix**2)
    return write_image(path, image.astype(np.float32), wcs=make_celestial_wcs((npix, npix), pixel_scale_arcsec=1.5, ra_deg=218.6, dec_deg=55.0), beam=Beam(6.0, 6.0, 0.0), unit="Jy/beam", frequency=144e6)
