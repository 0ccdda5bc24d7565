"""Shared pytest fixtures: small synthetic FITS images written into ``tmp_path``.

Each fixture writes a file the way a real pipeline would (WSClean/CASA axis
layouts, elliptical beams, CD matrices, NaN borders) so that readers are
tested against headers, not against our own writer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
LOTSS_CUTOUT = SHARED_DATA / "lotss_dr1" / "P218+55-mosaic_200x200.fits.gz"


def celestial_header(
    *, nx: int = 64, ny: int = 48, scale_arcsec: float = 2.0, ra: float = 150.0, dec: float = 50.0, proj: str = "SIN"
) -> fits.Header:
    """A 2-axis celestial header with CDELT keywords."""
    h = fits.Header()
    h["CTYPE1"], h["CTYPE2"] = f"RA---{proj}", f"DEC--{proj}"
    h["CRVAL1"], h["CRVAL2"] = ra, dec
    h["CRPIX1"], h["CRPIX2"] = nx / 2 + 1, ny / 2 + 1
    h["CDELT1"], h["CDELT2"] = -scale_arcsec / 3600, scale_arcsec / 3600
    h["CUNIT1"], h["CUNIT2"] = "deg", "deg"
    h["RADESYS"] = "ICRS"
    return h


def random_image(ny: int = 48, nx: int = 64, seed: int = 1) -> np.ndarray:
    """Gaussian noise of 1e-4 with one bright blob, float32."""
    rng = np.random.default_rng(seed)
    data = rng.normal(0.0, 1e-4, (ny, nx)).astype(np.float32)
    y, x = np.mgrid[:ny, :nx]
    data += (5e-3 * np.exp(-((x - nx / 3) ** 2 + (y - ny / 2) ** 2) / 8.0)).astype(np.float32)
    return data


def write_fits(path: Path, data: np.ndarray, header: fits.Header) -> Path:
    """Write ``data`` with ``header`` as a primary HDU."""
    fits.PrimaryHDU(data=data, header=header).writeto(path, overwrite=True)
    return path


@pytest.fixture
def image_2d(tmp_path) -> Path:
    """A 2-D Jy/beam image, elliptical 11"x7" beam at PA 30, CDELT WCS."""
    h = celestial_header()
    h["BMAJ"], h["BMIN"], h["BPA"] = 11 / 3600, 7 / 3600, 30.0
    h["BUNIT"] = "JY/BEAM"
    h["RESTFRQ"] = 144e6
    return write_fits(tmp_path / "image2d.fits", random_image(), h)


def _four_axis_header(order: str) -> fits.Header:
    h = celestial_header()
    axes = {"FREQ": ("FREQ", 1.44e8, 1e6, "Hz"), "STOKES": ("STOKES", 1.0, 1.0, "")}
    names = ("FREQ", "STOKES") if order == "freq-stokes" else ("STOKES", "FREQ")
    for i, name in enumerate(names, start=3):
        ctype, crval, cdelt, cunit = axes[name]
        h[f"CTYPE{i}"], h[f"CRVAL{i}"], h[f"CDELT{i}"], h[f"CRPIX{i}"] = ctype, crval, cdelt, 1.0
        if cunit:
            h[f"CUNIT{i}"] = cunit
    h["BMAJ"], h["BMIN"], h["BPA"] = 6 / 3600, 6 / 3600, 0.0
    h["BUNIT"] = "Jy/beam"
    return h


@pytest.fixture(params=["freq-stokes", "stokes-freq"])
def image_4d(tmp_path, request) -> Path:
    """A 4-D image with degenerate FREQ and STOKES axes, in both orders (WSClean and CASA)."""
    data = random_image()[None, None]
    return write_fits(tmp_path / f"image4d_{request.param}.fits", data, _four_axis_header(request.param))


@pytest.fixture
def image_cd(tmp_path) -> Path:
    """A 2-D TAN image with a rotated CD matrix, no CDELT, gzip-compressed, NaN border, AIPS beam."""
    h = celestial_header(proj="TAN", ra=-30.0, dec=-20.0)
    for key in ("CDELT1", "CDELT2"):
        del h[key]
    s, rot = 1.5 / 3600, np.deg2rad(20.0)
    h["CD1_1"], h["CD1_2"] = -s * np.cos(rot), s * np.sin(rot)
    h["CD2_1"], h["CD2_2"] = s * np.sin(rot), s * np.cos(rot)
    h["BUNIT"] = "JY/BEAM"
    h.add_history("AIPS   CLEAN BMAJ=  1.6667E-03 BMIN=  1.3889E-03 BPA=  45.00")
    data = random_image()
    data[:4, :] = np.nan
    data[:, -3:] = np.nan
    return write_fits(tmp_path / "image_cd.fits.gz", data, h)


@pytest.fixture
def lotss_cutout() -> Path:
    """The real LoTSS-DR1 cut-out from ../shared/data; skips when absent."""
    if not LOTSS_CUTOUT.exists():
        pytest.skip("shared data (LoTSS-DR1 cut-out) not available")
    return LOTSS_CUTOUT


@pytest.fixture(scope="session")
def tiny_classifier(tmp_path_factory) -> Path:
    """A base-4, depth-2, 8-class U-Net (the classes of the label maps) with random weights, noise-relative input,
    trained for 2"/px and a 6" beam."""
    import torch

    from radio_unet.models import build_model, save_model  # torch: only for this fixture

    torch.manual_seed(1)
    model = build_model({"base_filters": 4, "depth": 2, "dropout": 0.0, "n_classes": 8})
    path = tmp_path_factory.mktemp("classifier") / "tiny8.safetensors"
    save_model(path, model.eval(), {"normalization": {"kind": "snr"}, "pixel_scale_arcsec": 2.0,
                                    "beam_arcsec": {"major": 6.0, "minor": 6.0, "pa": 0.0}})
    return path


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """ONNX exports and other derived files go to a temporary cache, never the user's ~/.cache."""
    import os

    old = os.environ.get("RADIO_UNET_CACHE")
    os.environ["RADIO_UNET_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("RADIO_UNET_CACHE", None)
    else:
        os.environ["RADIO_UNET_CACHE"] = old
