"""Small, fast observation setups shared by the observe tests."""

from __future__ import annotations

import numpy as np
import pytest

from radio_unet.observe import ObservationSetup, prepare

#: 256 x 256 at 2"/px with a 6" beam: 8 h at 10-min steps, two channels (~180k visibilities).
SMALL = ObservationSetup(npix=256, pixel_scale_arcsec=2.0, beam_arcsec=6.0, hours=8.0, time_step_s=600.0,
                         freqs_hz=(130e6, 160e6))


@pytest.fixture(scope="session")
def small_setup() -> ObservationSetup:
    """The small 6" setup."""
    return SMALL


@pytest.fixture(scope="session")
def small_instrument():
    """The prepared small setup (built once per test session)."""
    return prepare(SMALL, nthreads=2)


def point_sky(shape, positions, fluxes) -> np.ndarray:
    """A Jy/pixel sky of point sources."""
    sky = np.zeros(shape, dtype=np.float32)
    for (y, x), f in zip(positions, fluxes):
        sky[y, x] += f
    return sky


def radial_distance(shape, center) -> np.ndarray:
    """Distance in pixels of every pixel from ``center``."""
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return np.hypot(yy - center[0], xx - center[1])


def beam_area_pixels(beam, pixel_scale_arcsec) -> float:
    """2 pi bmaj bmin / (8 ln 2) / pixscale^2."""
    return 2 * np.pi * beam.major * beam.minor / (8 * np.log(2)) / pixel_scale_arcsec**2
