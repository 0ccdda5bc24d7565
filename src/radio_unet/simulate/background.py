"""Real noise as the background of synthetic observations (``radio-unet simulate --background``).

However realistic the simulated noise, a survey's own residual maps or blank
fields are the truest background for its images. With a background, every
synthetic image is a random cut-out of one of the given real images plus the
sky model observed without noise, artefacts or gain errors (the real image
already holds them). The real images must be on the preset's pixel scale (1%
tolerance) and in Jy/beam; their beam becomes the restoring beam of the
observation, so that injected and real emission look alike. Bright real
sources stay in the cut-out: they are background (label 0) to the network,
like the artefacts around them.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import InputError, RadioUNetError
from ..io import Beam, read_image

__all__ = ["Background", "background_files", "load_background", "draw_cutout"]

_FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fts.gz")


@dataclass(frozen=True)
class Background:
    """A real image used as background: data (Jy/beam), beam and file name."""

    data: np.ndarray
    beam: Beam
    path: str


def background_files(spec: str) -> list[str]:
    """FITS files named by ``spec``: a file, a folder (its FITS files) or a glob pattern; sorted."""
    path = Path(spec)
    if path.is_dir():
        files = sorted(str(p) for p in path.iterdir() if p.name.lower().endswith(_FITS_SUFFIXES))
    elif path.is_file():
        files = [str(path)]
    else:
        files = sorted(glob.glob(spec))
    if not files:
        raise RadioUNetError(f"--background {spec!r}: no FITS file found")
    return files


@lru_cache(maxsize=16)
def load_background(path: str, pixel_scale_arcsec: float) -> Background:
    """Read a background image, checking its unit and pixel scale against the preset's."""
    image = read_image(path)
    if image.require_unit() != "Jy/beam":
        raise InputError(path, f"a background must be in Jy/beam, not {image.unit}")
    scale = image.pixel_scale_arcsec
    if abs(scale / pixel_scale_arcsec - 1.0) > 0.01:
        raise InputError(path, f"pixel scale {scale:.4g}\" differs from the preset's {pixel_scale_arcsec:.4g}\"; "
                               "reproject the background or choose a preset (or --pixel-scale) that matches")
    data = np.asarray(image.data, dtype=np.float32)
    if not np.isfinite(data).any():
        raise InputError(path, "every pixel of the background is blank")
    return Background(data=data, beam=image.require_beam(), path=str(path))


def draw_cutout(background: Background, npix: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``npix`` x ``npix`` cut-out (random quarter turn and flip too), blanks set to 0.

    Raises
    ------
    radio_unet.errors.InputError
        The background is smaller than ``npix``.
    """
    ny, nx = background.data.shape
    if ny < npix or nx < npix:
        raise InputError(background.path, f"{ny}x{nx} pixels is smaller than the {npix}x{npix} images asked for; "
                                          "use --npix to make smaller images")
    y0, x0 = int(rng.integers(0, ny - npix + 1)), int(rng.integers(0, nx - npix + 1))
    cut = background.data[y0 : y0 + npix, x0 : x0 + npix]
    cut = np.rot90(cut, int(rng.integers(4)))
    if rng.random() < 0.5:
        cut = cut[:, ::-1]
    return np.nan_to_num(np.ascontiguousarray(cut), nan=0.0).astype(np.float32)
