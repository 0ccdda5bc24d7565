"""A toy data set in the layout of ``radio-unet simulate``, for tests, benchmarks and examples.

This is **not** a physical simulation (the ``sky`` and ``observe`` packages
make those): it writes Gaussian "diffuse" blobs as a Jy/pixel sky model,
smooths them with a Gaussian beam into a Jy/beam image, adds a few compact
sources that are not part of the mask and white noise, and thresholds the sky
model at 1e-8 Jy/pixel into the mask. It is small and fast, and its FITS files
have everything the real ones have (celestial WCS, BMAJ/BMIN/BPA, BUNIT), so
that the data pipeline can be exercised end to end.
"""

from __future__ import annotations

import csv
import math
from os import PathLike
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.stats import gaussian_fwhm_to_sigma
from scipy.ndimage import gaussian_filter

from .sources import MANIFEST_NAME

__all__ = ["write_toy_dataset", "toy_pair"]


def toy_pair(
    size: int = 64,
    *,
    seed: int = 0,
    n_blobs: int = 2,
    beam_fwhm_px: float = 4.0,
    noise_jy_beam: float = 2e-5,
    sky_threshold: float = 1e-8,
    empty: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One toy image.

    Parameters
    ----------
    size : int
        Image side in pixels.
    seed : int
        Random seed.
    n_blobs : int
        Number of diffuse blobs (ignored when ``empty``).
    beam_fwhm_px : float
        Circular beam FWHM in pixels.
    noise_jy_beam : float
        Noise rms in Jy/beam.
    sky_threshold : float
        Mask threshold on the sky model, Jy/pixel.
    empty : bool
        No diffuse emission (only compact sources and noise).

    Returns
    -------
    image, sky, mask : numpy.ndarray
        float32 Jy/beam image, float32 Jy/pixel diffuse sky model, uint8 mask.
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:size, :size].astype(np.float32)
    sky = np.zeros((size, size), np.float32)
    if not empty:
        for _ in range(n_blobs):
            cy, cx = rng.uniform(0.15 * size, 0.85 * size, 2)
            sigma = rng.uniform(0.04, 0.09) * size
            peak = 10 ** rng.uniform(-5.7, -5.0)  # Jy/pixel
            blob = peak * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma**2))
            blob[blob < 0.1 * sky_threshold] = 0.0  # finite support, as in a simulated halo
            sky += blob.astype(np.float32)
    beam_area = 2 * math.pi * (beam_fwhm_px * gaussian_fwhm_to_sigma) ** 2
    compact = np.zeros_like(sky)
    for _ in range(int(rng.integers(1, 4))):
        iy, ix = rng.integers(2, size - 2, 2)
        compact[iy, ix] += 10 ** rng.uniform(-4.0, -3.0)  # Jy
    smooth = gaussian_filter((sky + compact).astype(np.float64), beam_fwhm_px * gaussian_fwhm_to_sigma, mode="constant")
    image = (smooth * beam_area + rng.normal(0.0, noise_jy_beam, sky.shape)).astype(np.float32)
    mask = (sky > sky_threshold).astype(np.uint8)
    return image, sky, mask


def _header(size: int, *, pixel_arcsec: float, beam_arcsec: float, unit: str) -> fits.Header:
    h = fits.Header()
    h["CTYPE1"], h["CTYPE2"] = "RA---SIN", "DEC--SIN"
    h["CRVAL1"], h["CRVAL2"] = 180.0, 50.0
    h["CRPIX1"] = h["CRPIX2"] = size / 2 + 1
    h["CDELT1"], h["CDELT2"] = -pixel_arcsec / 3600.0, pixel_arcsec / 3600.0
    h["CUNIT1"] = h["CUNIT2"] = "deg"
    h["RADESYS"] = "ICRS"
    if unit:
        h["BUNIT"] = unit
    h["BMAJ"] = h["BMIN"] = beam_arcsec / 3600.0
    h["BPA"] = 0.0
    return h


def write_toy_dataset(
    root: str | PathLike,
    *,
    n_images: int = 6,
    size: int = 64,
    seed: int = 0,
    pixel_arcsec: float = 2.0,
    beam_fwhm_px: float = 4.0,
    empty_every: int = 3,
    noise_jy_beam: float = 2e-5,
) -> Path:
    """Write a toy data set (``manifest.csv`` with ``id,image,mask,sky,labels``) into ``root``.

    The label maps follow :class:`radio_unet.sky.Component`: 1 (halo) on the
    mask, 6 (compact source) where the rest of the sky is above 1e-8
    Jy/pixel, 0 elsewhere.

    Parameters
    ----------
    root : str or path-like
        Output folder (created).
    n_images : int
        Number of images.
    size : int
        Image side in pixels.
    seed : int
        Random seed.
    pixel_arcsec : float
        Pixel size.
    beam_fwhm_px : float
        Beam FWHM in pixels.
    empty_every : int
        Every ``empty_every``-th image has no diffuse emission (0: none).
    noise_jy_beam : float
        Noise rms in Jy/beam.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n_images):
        ident = f"toy{i:03d}"
        empty = bool(empty_every) and (i % empty_every == empty_every - 1)
        image, sky, mask = toy_pair(size, seed=seed * 1000 + i, beam_fwhm_px=beam_fwhm_px, noise_jy_beam=noise_jy_beam, empty=empty)
        beam = beam_fwhm_px * pixel_arcsec
        files = {
            "image": (f"{ident}_image.fits", image, "JY/BEAM"),
            "sky": (f"{ident}_sky.fits", sky, "JY/PIXEL"),
            "mask": (f"{ident}_mask.fits", mask, ""),
            "labels": (f"{ident}_labels.fits", np.where(mask > 0, 1, np.where(sky > 1e-8, 6, 0)).astype(np.uint8), ""),
        }
        for name, data, unit in files.values():
            fits.PrimaryHDU(data=data, header=_header(size, pixel_arcsec=pixel_arcsec, beam_arcsec=beam, unit=unit)).writeto(
                root / name, overwrite=True
            )
        rows.append({"id": ident, "image": files["image"][0], "mask": files["mask"][0], "sky": files["sky"][0],
                     "labels": files["labels"][0]})
    with open(root / MANIFEST_NAME, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "image", "mask", "sky", "labels"])
        writer.writeheader()
        writer.writerows(rows)
    return root
