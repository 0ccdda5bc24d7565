"""The shipped counts model on an image made by a different simulator, written independently here.

Point sources of a known broken power law, placed at random sub-pixel
positions on a 4x oversampled grid, a circular Gaussian beam by
``scipy.ndimage.gaussian_filter``, correlated noise (white noise smoothed
by a Gaussian of the beam's width over sqrt 2), the mean removed. Nothing
of :mod:`radio_unet.counts.simulate` is used.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from scipy import integrate, ndimage

import radio_unet
from radio_unet.cli import main

SHIPPED_DIR = Path(radio_unet.__file__).resolve().parent / "weights"

SHIPPED = SHIPPED_DIR / "counts-lotss-6as.safetensors"
pytestmark = pytest.mark.skipif(not SHIPPED.exists(), reason="no shipped counts model in this checkout")

NORM, S_BREAK, G_LOW, G_HIGH = 1.2e9, 1e-3, 2.45, 1.85  # dN/dS at 1 mJy (Jy^-1 sr^-1) and slopes
#: Flux ratio of a spectral index -0.7 source between 944 MHz (EMU) and 144 MHz (LoTSS).
EMU_SCALE = (944 / 144) ** -0.7


def dnds(s, scale: float = 1.0):
    """Broken power-law counts; ``scale`` multiplies every flux (the counts at another frequency)."""
    u = np.asarray(s) / scale
    return NORM * (u / S_BREAK) ** -np.where(u < S_BREAK, G_LOW, G_HIGH) / scale


def independent_image(seed: int, *, n: int = 128, pix: float = 1.75, beam: float = 6.0, sigma: float = 9e-5,
                      scale: float = 1.0):
    """A LoTSS-like image of the broken power law, made without the package's simulator (Jy/beam)."""
    rng = np.random.default_rng(seed)
    s_min, s_max = 1e-6, 1.0
    area = (n * pix * math.pi / 180 / 3600) ** 2
    grid_s = np.geomspace(s_min, s_max, 4000)
    cum = np.concatenate([[0], np.cumsum(0.5 * (dnds(grid_s[1:], scale) + dnds(grid_s[:-1], scale)) * np.diff(grid_s))])
    n_src = rng.poisson(cum[-1] * area)
    flux = np.interp(rng.random(n_src) * cum[-1], cum, grid_s)
    over = 4
    big = np.zeros((n * over, n * over))
    iy, ix = rng.integers(0, n * over, n_src), rng.integers(0, n * over, n_src)
    np.add.at(big, (iy, ix), flux)
    sig = beam / pix / math.sqrt(8 * math.log(2)) * over
    sky = ndimage.gaussian_filter(big, sig, mode="wrap") * 2 * math.pi * sig**2
    sky = sky[over // 2::over, over // 2::over]
    noise = ndimage.gaussian_filter(rng.normal(size=(n, n)), beam / pix / math.sqrt(8 * math.log(2)) / math.sqrt(2), mode="wrap")
    img = sky + noise * (sigma / noise.std())
    return (img - img.mean()).astype(np.float32)


def true_bins(edges, scale: float = 1.0):
    """Bin-averaged dN/dS of the broken power law."""
    brk = S_BREAK * scale
    return np.array([integrate.quad(dnds, a, b, args=(scale,), points=[brk] if a < brk < b else None)[0] / (b - a)
                     for a, b in zip(edges[:-1], edges[1:])])


def write_fits(path, img, *, pix=1.75, beam=6.0):
    h = fits.Header()
    h["CTYPE1"], h["CTYPE2"] = "RA---SIN", "DEC--SIN"
    h["CRVAL1"], h["CRVAL2"] = 200.0, 50.0
    h["CRPIX1"], h["CRPIX2"] = img.shape[1] / 2 + 1, img.shape[0] / 2 + 1
    h["CDELT1"], h["CDELT2"] = -pix / 3600, pix / 3600
    h["BMAJ"], h["BMIN"], h["BPA"] = beam / 3600, beam / 3600, 0.0
    h["BUNIT"] = "JY/BEAM"
    fits.PrimaryHDU(img, h).writeto(path, overwrite=True)


def test_independent_image_is_covered(tmp_path):
    """The 95% intervals of the shipped model cover the broken power law in at least 4 of the 5 bins."""
    path = tmp_path / "bpl.fits"
    write_fits(path, independent_image(11))
    assert main(["counts", "estimate", str(path), "-o", str(tmp_path), "--samples", "500"]) == 0
    t = Table.read(tmp_path / "bpl.counts.ecsv", format="ascii.ecsv")
    truth = true_bins(np.concatenate([np.asarray(t["s_lo"]), [t["s_hi"][-1]]]))
    inside = (np.asarray(t["dnds_lo95"]) <= truth) & (truth <= np.asarray(t["dnds_hi95"]))
    assert inside.sum() >= 4, (truth, np.asarray(t["dnds_lo95"]), np.asarray(t["dnds_hi95"]))


@pytest.mark.skipif(not (SHIPPED_DIR / "counts-askap-emu.safetensors").exists(), reason="no shipped EMU counts model")
def test_emu_like_image_gets_the_emu_model_and_is_covered(tmp_path):
    """Without --model a 15" image at 4.5"/px and ~30 uJy/beam gets the shipped EMU-like model; its 95% intervals
    cover the broken power law scaled to 944 MHz in at least 4 of the 5 bins (8 seeds tried when this test was
    written: 38 of 40 bins covered)."""
    path = tmp_path / "emu.fits"
    write_fits(path, independent_image(2001, pix=4.5, beam=15.0, sigma=25e-6, scale=EMU_SCALE), pix=4.5, beam=15.0)
    assert main(["counts", "estimate", str(path), "-o", str(tmp_path), "--samples", "500"]) == 0
    t = Table.read(tmp_path / "emu.counts.ecsv", format="ascii.ecsv")
    assert t.meta["model"] == "counts-askap-emu"
    truth = true_bins(np.concatenate([np.asarray(t["s_lo"]), [t["s_hi"][-1]]]), EMU_SCALE)
    inside = (np.asarray(t["dnds_lo95"]) <= truth) & (truth <= np.asarray(t["dnds_hi95"]))
    assert inside.sum() >= 4, (truth, np.asarray(t["dnds_lo95"]), np.asarray(t["dnds_hi95"]))
