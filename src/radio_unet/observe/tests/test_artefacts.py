"""Artefacts of real images: correlated residual noise, direction-dependent errors, out-of-field sources."""

from __future__ import annotations

import numpy as np
import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.observe import ArtefactRanges, Artefacts, observe
from radio_unet.observe.artefacts import correlated_noise, facet_map, spoke_transfer

from .conftest import point_sky, radial_distance


def _power_ratio(image, beam_pixels):
    """Power on scales above ~8 beams over power near the beam scale."""
    p = np.abs(np.fft.fft2(image)) ** 2
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(image.shape[0]), np.fft.fftfreq(image.shape[1]), indexing="ij"))
    return p[(k > 0) & (k < 1 / (8 * beam_pixels))].mean() / p[(k > 1 / (2 * beam_pixels)) & (k < 1 / beam_pixels)].mean()


def test_correlated_noise_has_the_rms_and_more_large_scale_power(small_instrument):
    """The correlated component has the asked rms and far more power above L beams than thermal noise."""
    kernel = small_instrument.noise_kernel
    rng = np.random.default_rng(0)
    corr = correlated_noise(kernel, rms=2e-4, scale_pixels=30.0, slope=3.0, envelope_sigma=0.3, rng=rng)
    assert corr.std() == pytest.approx(2e-4, rel=1e-3)
    thermal = correlated_noise(kernel, rms=2e-4, scale_pixels=0.0, slope=3.0, envelope_sigma=0.0, rng=rng)
    assert _power_ratio(corr, 3.0) > 10 * _power_ratio(thermal, 3.0)


def test_observe_keeps_the_total_noise_with_artefacts(small_instrument):
    """With a share of the variance moved to correlated noise, the image noise stays the asked one."""
    empty = np.zeros(small_instrument.shape, np.float32)
    arte = Artefacts(excess_fraction=0.6, excess_scale_beams=5.0, excess_slope=3.0)
    obs = observe(empty, small_instrument, rng=np.random.default_rng(1), noise_rms=1e-4, clean=None, artefacts=arte)
    assert obs.image.std() == pytest.approx(1e-4, rel=0.1)
    assert obs.info["artefacts"]["excess_fraction"] == 0.6


def test_dd_artefacts_sit_around_bright_sources(small_instrument):
    """Direction-dependent errors add patterns around a bright source and nothing where there are no sources."""
    shape = small_instrument.shape
    sky = point_sky(shape, [(128, 128)], [1.0])
    plain = observe(sky, small_instrument, rng=np.random.default_rng(2), noise_rms=0.0, clean=None)
    arte = observe(sky, small_instrument, rng=np.random.default_rng(2), noise_rms=0.0, clean=None,
                   artefacts=Artefacts(dd_strength=1.0, n_facets=1))
    diff = arte.image - plain.image
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    ring = (np.hypot(yy - 128, xx - 128) > 5) & (np.hypot(yy - 128, xx - 128) < 60)
    assert np.abs(diff[ring]).max() > 1e-3  # errors of a 1 Jy source at the per-mille level and above
    none = observe(np.zeros(shape, np.float32), small_instrument, rng=np.random.default_rng(2), noise_rms=0.0,
                   clean=None, artefacts=Artefacts(dd_strength=1.0, n_facets=3))
    assert np.abs(none.image).max() == 0


def test_out_of_field_ripples_have_the_asked_rms(small_instrument):
    """Out-of-field sources reach into an empty field with the asked rms (in units of the noise)."""
    shape = small_instrument.shape
    obs = observe(np.zeros(shape, np.float32), small_instrument, rng=np.random.default_rng(3), noise_rms=1e-4,
                  clean=None, artefacts=Artefacts(n_outside=2, outside_rms=2.0))
    assert obs.image.std() == pytest.approx(np.sqrt(1 + 2.0**2) * 1e-4, rel=0.2)


def test_spokes_are_straight_lines_through_bright_sources(small_instrument):
    """A source's spokes: at the asked level beyond two beams, in a few narrow directions that are the same near the
    source and far from it (straight), none without sources, and the source's own flux unchanged."""
    shape = small_instrument.shape
    sky = point_sky(shape, [(128, 128)], [1.0])
    kwargs = dict(rng=np.random.default_rng(4), noise_rms=0.0, clean=None)
    plain = observe(sky, small_instrument, **kwargs)
    spokes = Artefacts(spoke_level=0.02, n_spokes=3, spoke_width_deg=1.0, n_facets=1)
    diff = observe(sky, small_instrument, artefacts=spokes, **{**kwargs, "rng": np.random.default_rng(4)}).image
    diff = diff - plain.image
    r = radial_distance(shape, (128, 128))
    beam_pixels = small_instrument.beam.major / small_instrument.pixel_scale_arcsec
    assert 0.0 < np.abs(diff[r > 2 * beam_pixels]).max() <= 0.02 * 1.05  # the facet scales in [0, 1]
    assert abs(diff[r < beam_pixels].sum()) < 0.05 * np.abs(diff).sum()  # no flux added to the source itself
    angle = np.degrees(np.arctan2(*np.mgrid[: shape[0], : shape[1]] - 128.0)) % 360
    profiles = []
    for lo, hi in ((25, 45), (80, 120)):
        ring = (r > lo) & (r < hi)
        profiles.append(np.bincount((angle[ring] // 4).astype(int), np.abs(diff[ring]), minlength=90)
                        / np.bincount((angle[ring] // 4).astype(int), minlength=90))
    near, far = profiles
    top = np.argsort(far)[-3:]  # the three brightest of 90 directions far out...
    assert far[top].min() > 2.5 * np.median(far)  # ...stand out: narrow spokes, not rings
    assert near[top].mean() > 2 * np.median(near)  # and are bright near the source too: straight lines
    transfer = spoke_transfer(small_instrument.psf_fft(), n_spokes=2, width_deg=1.0, beam_pixels=beam_pixels,
                              rng=np.random.default_rng(0))
    assert transfer.shape == small_instrument.psf_fft().shape
    none = observe(np.zeros(shape, np.float32), small_instrument, artefacts=spokes, **kwargs)
    assert np.abs(none.image).max() == 0
    smooth = observe(sky, small_instrument, artefacts=Artefacts(spoke_level=0.02, n_spokes=3, spoke_width_deg=1.0,
                                                               spoke_smooth=1.0), **{**kwargs, "rng": np.random.default_rng(4)})
    ridges = smooth.image - plain.image  # restored with the beam: smooth ridges, no PSF texture between them
    assert 0.0 < np.abs(ridges[r > 2 * beam_pixels]).max() <= 0.02 * 1.05
    assert np.median(np.abs(ridges[r > 60])) < 0.3 * np.median(np.abs(diff[r > 60]))


def test_artefact_ranges_draw_and_validate():
    """Drawn artefacts stay in their ranges; bad settings are clear errors; facets cover the field."""
    ranges = ArtefactRanges()
    for seed in range(20):
        a = ranges.draw(np.random.default_rng(seed))
        assert 0 <= a.excess_fraction <= ranges.excess_fraction[1]
        assert ranges.n_facets[0] <= a.n_facets <= ranges.n_facets[1]
        assert a.spoke_level == 0 or ranges.spoke_level[0] <= a.spoke_level <= ranges.spoke_level[1]
    assert ArtefactRanges(p_spokes=1.0).draw(np.random.default_rng(0)).spoke_level > 0
    with pytest.raises(RadioUNetError, match="spoke_level"):
        Artefacts(spoke_level=2.0)
    assert ArtefactRanges.from_dict({}) is None
    with pytest.raises(RadioUNetError, match="unknown artefact"):
        ArtefactRanges.from_dict({"spokes": 1})
    with pytest.raises(RadioUNetError, match="excess_fraction"):
        Artefacts(excess_fraction=1.0)
    facets = facet_map((64, 64), 4, np.random.default_rng(0))
    assert set(np.unique(facets)) <= {0, 1, 2, 3} and facets.shape == (64, 64)


def test_spokes_of_sources_outside_the_field_cross_it_at_the_asked_level(small_instrument):
    """Out-of-field spokes: nothing of the source in the field, the brightest pixel at the asked multiple of the
    noise, straight ridges (a few directions hold most of the power), none when not asked for, and the default
    ranges draw nothing (a seed's images unchanged)."""
    shape = small_instrument.shape
    empty = np.zeros(shape, np.float32)
    kwargs = dict(noise_rms=1e-4, clean=None)
    arte = Artefacts(spoke_outside_sigma=8.0, n_spoke_outside=1, n_spokes=2, spoke_width_deg=1.0)
    noisy = observe(empty, small_instrument, rng=np.random.default_rng(5), **kwargs)
    with_spokes = observe(empty, small_instrument, artefacts=arte, rng=np.random.default_rng(5), **kwargs)
    spokes = with_spokes.image - noisy.image
    assert np.abs(spokes).max() == pytest.approx(8.0 * 1e-4, rel=1e-3)
    # straight lines: their power in the uv-plane sits in a few narrow directions (projection-slice theorem)
    power = np.abs(np.fft.fft2(spokes)) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(shape[0]), np.fft.fftfreq(shape[1]), indexing="ij")
    bins = (np.degrees(np.arctan2(fy, fx)) % 180 // 2).astype(int)
    keep = np.hypot(fy, fx) > 0.02
    profile = np.bincount(bins[keep], power[keep], minlength=90) / np.bincount(bins[keep], minlength=90)
    assert np.sort(profile)[-2:].min() > 5 * np.median(profile)
    noise_power = np.abs(np.fft.fft2(noisy.image)) ** 2
    flat = np.bincount(bins[keep], noise_power[keep], minlength=90) / np.bincount(bins[keep], minlength=90)
    assert np.sort(flat)[-2:].min() < 2 * np.median(flat)  # noise alone has no such directions
    assert with_spokes.info["artefacts"]["spoke_outside_sigma"] == 8.0
    none = observe(empty, small_instrument, artefacts=Artefacts(), rng=np.random.default_rng(5), **kwargs)
    assert np.array_equal(none.image, noisy.image)
    ranges = ArtefactRanges()
    assert ranges.draw(np.random.default_rng(1)) == ArtefactRanges(spoke_outside_sigma=(3.0, 5.0)).draw(
        np.random.default_rng(1))
    drawn = ArtefactRanges(p_spoke_outside=1.0).draw(np.random.default_rng(1))
    assert 2.0 <= drawn.spoke_outside_sigma <= 20.0 and 1 <= drawn.n_spoke_outside <= 2
    with pytest.raises(RadioUNetError, match="spoke_outside_sigma"):
        Artefacts(spoke_outside_sigma=-1.0)
