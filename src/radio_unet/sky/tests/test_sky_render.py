"""Tests of local rendering: cut-outs, normalisation of clipped components."""

import numpy as np
import pytest
from scipy.special import erf

from radio_unet.errors import RadioUNetError
from radio_unet.sky import Cutout, render_normalised


def _gauss(cx, cy, sigma):
    def func(ys, xs):
        return np.exp(-0.5 * (((xs[None, :] - cx) ** 2 + (ys[:, None] - cy) ** 2) / sigma**2))

    return func


@pytest.mark.parametrize("max_norm_pixels", [10**7, 2000])
def test_clipped_component_keeps_the_right_fraction_of_its_flux(max_norm_pixels):
    """A Gaussian cut by the image corner keeps the analytic fraction of its flux, also with a subsampled norm."""
    sigma, cx, cy = 40.0, 10.0, 20.0
    bbox = (cy - 6 * sigma, cy + 6 * sigma, cx - 6 * sigma, cx + 6 * sigma)
    cut = render_normalised((300, 300), bbox, _gauss(cx, cy, sigma), 2.0, max_norm_pixels=max_norm_pixels)
    # fraction of a 2-D Gaussian in x > -0.5, y > -0.5
    fx = 0.5 * (1 - erf((-0.5 - cx) / (np.sqrt(2) * sigma)))
    fy = 0.5 * (1 - erf((-0.5 - cy) / (np.sqrt(2) * sigma)))
    assert cut.flux == pytest.approx(2.0 * fx * fy, rel=0.01)
    assert cut.total_flux == 2.0
    assert (cut.y0, cut.x0) == (0, 0)


def test_component_inside_is_exactly_normalised_and_pastes():
    """Inside the image the cut-out sums to the flux; paste adds it at the right place."""
    cut = render_normalised((64, 64), (30, 50, 10, 30), _gauss(20.0, 40.0, 2.0), 0.5)
    assert cut.flux == pytest.approx(0.5, rel=1e-6)
    img = np.zeros((64, 64), np.float32)
    cut.paste(img)
    assert np.unravel_index(np.argmax(img), img.shape) == (40, 20)
    assert isinstance(cut, Cutout) and img[cut.slices].sum() == pytest.approx(0.5, rel=1e-6)


def test_component_outside_image_is_empty():
    """A component entirely outside the image gives an empty cut-out that pastes nothing."""
    cut = render_normalised((32, 32), (100, 120, 100, 120), _gauss(110.0, 110.0, 3.0), 1.0)
    assert cut.flux == 0.0 and cut.total_flux == 1.0
    assert cut.to_image((32, 32)).sum() == 0.0


def test_negative_flux_is_refused():
    """A negative total flux is a user error."""
    with pytest.raises(RadioUNetError):
        render_normalised((32, 32), (0, 10, 0, 10), _gauss(5.0, 5.0, 1.0), -1.0)
