"""The faint confusion population and real radio-galaxy templates."""

from __future__ import annotations

import numpy as np
import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.sky import Component, SkyConfig, make_sky
from radio_unet.sky.confusion import ConfusionDraw, confusion_image, confusion_number
from radio_unet.sky.templates import extract_template, place_template


def test_confusion_number_matches_a_monte_carlo_of_the_fluxes():
    """The analytic source number and the drawn fluxes follow the same counts: the mean flux of the placed sources
    equals the analytic mean flux of S^2.5 dN/dS = norm (S/s_max)^slope."""
    draw = ConfusionDraw(s_min=1e-7, s_max=1e-4, norm=20.0, slope=0.8, cluster_sigma=0.0, cluster_scale_pix=50.0)
    shape, pix = (256, 256), 2.0
    image, n = confusion_image(shape, pix, draw, rng=np.random.default_rng(0))
    area = shape[0] * shape[1] * (pix / 206264.806) ** 2
    expected = confusion_number(1e-7, 1e-4, norm=20.0, slope=0.8, area_sr=area)
    assert abs(n - expected) < 5 * np.sqrt(expected)
    p = 0.8 - 1.5  # mean flux: integral of S dN/dS over integral of dN/dS
    mean_flux = (p / (p + 1)) * (1e-4 ** (p + 1) - 1e-7 ** (p + 1)) / (1e-4**p - 1e-7**p)
    assert image.sum() / n == pytest.approx(mean_flux, rel=0.05)
    assert image.min() >= 0


def test_clustered_confusion_has_more_large_scale_power():
    """Clustering (a log-normal density) moves power from the shot noise to large scales."""
    def large_scale_power(sigma):
        draw = ConfusionDraw(1e-7, 1e-4, 20.0, 0.8, sigma, 60.0)
        img, _ = confusion_image((256, 256), 2.0, draw, rng=np.random.default_rng(3))
        blocks = img.reshape(16, 16, 16, 16).sum(axis=(1, 3))
        return blocks.std() / blocks.mean()
    assert large_scale_power(1.2) > 2 * large_scale_power(0.0)


def test_confusion_stays_out_of_labels_and_mask():
    """The faint population adds flux to the sky but never to the labels or the mask."""
    cfg = dict(n_clusters=(0, 0), p_filaments=0.0, n_radio_galaxies=(0, 0), compact=False)
    plain = make_sky((128, 128), 2.0, rng=np.random.default_rng(5), config=SkyConfig(**cfg))
    faint = make_sky((128, 128), 2.0, rng=np.random.default_rng(5), config=SkyConfig(confusion=True, **cfg))
    assert plain.image.sum() == 0 and faint.image.sum() > 0
    assert not faint.mask.any() and (faint.labels == Component.BACKGROUND).all()
    assert [c["kind"] for c in faint.components] == ["confusion"]
    with pytest.raises(RadioUNetError, match="confusion_s_min"):
        SkyConfig(confusion=True, confusion_s_min=1e-3)


def test_template_extraction_and_placement():
    """A galaxy cut out of a noisy image keeps its shape, loses the noise, and is placed with the asked flux."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[:100, :100]
    galaxy = np.exp(-(((x - 40) / 3.0) ** 2 + ((y - 50) / 2.0) ** 2)) + np.exp(-(((x - 60) / 3.0) ** 2 + ((y - 50) / 2.0) ** 2))
    t = extract_template(galaxy * 50 + rng.standard_normal((100, 100)))
    assert t is not None and t.sum() == pytest.approx(1.0) and t.shape[1] > 1.5 * t.shape[0]
    canvas = np.zeros((64, 64), np.float32)
    placed = place_template(canvas, t, centre=(32, 32), size_pix=30, angle_deg=90, flux=2.0)
    assert placed == pytest.approx(2.0, rel=1e-4) and canvas.sum() == pytest.approx(2.0, rel=1e-4)
    ys, xs = np.nonzero(canvas > 0.01 * canvas.max())
    assert np.ptp(ys) > 1.5 * np.ptp(xs)  # turned by 90 degrees: now longer along y
    assert extract_template(rng.standard_normal((50, 50))) is None  # noise only: nothing at the centre
