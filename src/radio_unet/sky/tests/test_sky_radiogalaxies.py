"""Tests of the extended radio-galaxy models."""

import numpy as np
import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.sky import RADIO_GALAXY_KINDS, radio_galaxy, render_blobs


def _image(kind, size, seed, angle=0.0, shape=(400, 400)):
    b = radio_galaxy(
        kind, centre=(200.0, 200.0), size=size, total_flux=0.3, angle_deg=angle, rng=np.random.default_rng(seed)
    )
    return b, render_blobs(shape, b, dtype=np.float64)


def _r90(img, cx=200.0, cy=200.0):
    yy, xx = np.mgrid[: img.shape[0], : img.shape[1]]
    r = np.hypot(xx - cx, yy - cy).ravel()
    order = np.argsort(r)
    cum = np.cumsum(img.ravel()[order])
    return r[order][np.searchsorted(cum, 0.9 * cum[-1])]


@pytest.mark.parametrize("kind", RADIO_GALAXY_KINDS)
def test_radio_galaxy_flux_and_size_scaling(kind):
    """Each morphology carries exactly its flux, and its extent grows with the requested size."""
    b, small = _image(kind, 30.0, 0)
    assert b.total_flux == pytest.approx(0.3, rel=1e-9)
    assert small.sum() == pytest.approx(0.3, rel=1e-6)
    _, big = _image(kind, 120.0, 0)
    ratio = _r90(big) / _r90(small)
    assert 2.0 < ratio < 6.0


def _fanaroff_riley_ratio(img, size):
    """Distance between the brightest points on either side of the core (excluding it) over the size."""
    yy, xx = np.mgrid[: img.shape[0], : img.shape[1]]
    r = np.hypot(xx - 200, yy - 200)
    peaks = []
    for side in (xx < 200, xx > 200):
        masked = np.where(side & (r > 4), img, 0)
        iy, ix = np.unravel_index(np.argmax(masked), img.shape)
        peaks.append((ix, iy))
    return np.hypot(peaks[0][0] - peaks[1][0], peaks[0][1] - peaks[1][1]) / size


def test_fanaroff_riley_classes():
    """FRII sources are edge-brightened (FR ratio > 0.5), FRI sources centre-brightened (< 0.5)."""
    for seed in range(4):
        _, img2 = _image("fr2", 100.0, seed)
        assert _fanaroff_riley_ratio(img2, 100.0) > 0.5
        _, img1 = _image("fr1", 100.0, seed)
        assert _fanaroff_riley_ratio(img1, 100.0) < 0.5


@pytest.mark.parametrize("kind", ["head_tail", "wide_angle_tail"])
def test_tails_point_in_the_requested_direction(kind):
    """Tailed sources: the flux centroid is offset from the core towards angle_deg."""
    for angle in (0.0, 135.0, 250.0):
        _, img = _image(kind, 120.0, 1, angle=angle)
        yy, xx = np.mgrid[:400, :400]
        dx = (img * (xx - 200)).sum() / img.sum()
        dy = (img * (yy - 200)).sum() / img.sum()
        direction = np.array([np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))])
        assert np.dot([dx, dy], direction) / np.hypot(dx, dy) > 0.7


def test_unknown_kind_and_bad_size_raise():
    """Unknown morphologies and non-positive sizes raise RadioUNetError."""
    with pytest.raises(RadioUNetError, match="unknown radio galaxy kind"):
        radio_galaxy("fr3", centre=(0, 0), size=10, total_flux=1, angle_deg=0, rng=np.random.default_rng(0))
    with pytest.raises(RadioUNetError):
        radio_galaxy("fr1", centre=(0, 0), size=0, total_flux=1, angle_deg=0, rng=np.random.default_rng(0))
