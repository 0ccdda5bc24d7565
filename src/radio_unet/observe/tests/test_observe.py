"""Physics of the mock observations (acceptance criteria of the observe stage).

All on a 256 x 256, 2"/px, 6" setup (8 h at 10-min steps, two channels).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.observe import CleanConfig, GainErrors, Observation, fit_gaussian, observe

from .conftest import beam_area_pixels, point_sky, radial_distance

ROUTES = ["image", "visibility"]
NOISE = 1e-4
SRC = (100, 140)


@pytest.fixture(scope="module", params=ROUTES)
def point_obs(request, small_instrument):
    """A 50 mJy point source (500 sigma) observed, CLEANed and restored, per route."""
    sky = point_sky(small_instrument.shape, [SRC], [0.05])
    return request.param, observe(sky, small_instrument, rng=np.random.default_rng(7), noise_rms=NOISE,
                                  route=request.param, nthreads=2, keep_dirty=True)


def test_point_source_restored_beam(point_obs, small_instrument):
    """A Gaussian fit of the restored point source is the requested 6" beam (within 10%)."""
    route, obs = point_obs
    fit, amp, (y, x) = fit_gaussian(obs.image, pixel_scale_arcsec=2.0, center=SRC, box=8)
    assert fit.major == pytest.approx(6.0, rel=0.10), route
    assert fit.major == pytest.approx(obs.beam.major, rel=0.03)
    assert fit.minor == pytest.approx(obs.beam.minor, rel=0.05)
    assert (y, x) == pytest.approx(SRC, abs=0.1)
    assert amp == pytest.approx(0.05, rel=0.02)
    assert obs.image.dtype == np.float32 and obs.residual.dtype == np.float32


def test_point_source_flux_preserved(point_obs):
    """Aperture flux / beam area of the restored source is within 5% of the true 50 mJy."""
    route, obs = point_obs
    r = radial_distance(obs.image.shape, SRC)
    flux = obs.image[r < 12].sum(dtype=np.float64) / beam_area_pixels(obs.beam, 2.0)
    assert flux == pytest.approx(0.05, rel=0.05), route
    assert obs.model.sum(dtype=np.float64) == pytest.approx(0.05, rel=0.05)
    assert obs.info["clean"]["stop_reason"] == "threshold"
    # peak of the dirty image (Jy per dirty beam) is the source flux
    assert obs.dirty[SRC] == pytest.approx(0.05, rel=0.02)


def test_noise_level_matches_request(point_obs):
    """The rms in source-free regions is the requested noise (within 15%, in practice ~3%)."""
    route, obs = point_obs
    r = radial_distance(obs.image.shape, SRC)
    free = r > 50
    assert obs.image[free].std() == pytest.approx(NOISE, rel=0.15), route
    assert obs.noise_rms_measured == pytest.approx(NOISE, rel=0.15)


def _power_spectrum(img, nbins=10):
    f = np.abs(np.fft.fft2(img)) ** 2
    ky, kx = np.fft.fftfreq(img.shape[0]), np.fft.fftfreq(img.shape[1])
    k = np.hypot(ky[:, None], kx[None, :]).ravel()
    edges = np.linspace(0, 0.5, nbins + 1)
    idx = np.digitize(k, edges) - 1
    return np.array([f.ravel()[idx == i].mean() for i in range(nbins)])


def test_noise_power_spectrum_routes_agree(small_instrument):
    """Image-route noise has the visibility route's spatial power spectrum (within 20% per radial bin)."""
    zero = np.zeros(small_instrument.shape, np.float32)
    spectra = {}
    for route in ROUTES:
        ps = [_power_spectrum(observe(zero, small_instrument, rng=np.random.default_rng(100 + i), noise_rms=NOISE,
                                      route=route, clean=None, nthreads=2).image) for i in range(6)]
        spectra[route] = np.mean(ps, axis=0)
    ref = spectra["visibility"]
    useful = ref > 0.01 * ref.max()  # bins with power (the corners beyond the longest baselines have ~none)
    assert useful.sum() >= 7
    ratio = spectra["image"][useful] / ref[useful]
    assert np.all(np.abs(ratio - 1) < 0.20), ratio
    # and it is not white noise convolved with the PSF: that has a very different shape
    rng = np.random.default_rng(5)
    from radio_unet.observe import convolve_psf

    white = convolve_psf(rng.standard_normal(zero.shape).astype(np.float32), small_instrument.psf_fft(), workers=2)
    wps = _power_spectrum(white)
    shape_w = (wps / wps[useful].sum())[useful]
    shape_v = (ref / ref[useful].sum())[useful]
    assert np.max(np.abs(shape_w / shape_v - 1)) > 0.3


def test_dirty_images_of_both_routes_agree(small_instrument):
    """Without noise and gains, the image route's PSF convolution equals ducc0 predict + image."""
    rng = np.random.default_rng(3)
    shape = small_instrument.shape
    sky = np.zeros(shape, np.float32)
    sky[rng.integers(0, shape[0], 40), rng.integers(0, shape[1], 40)] = rng.uniform(1e-3, 1e-2, 40)
    a = observe(sky, small_instrument, rng=np.random.default_rng(0), noise_rms=0.0, clean=None, route="image")
    b = observe(sky, small_instrument, rng=np.random.default_rng(0), noise_rms=0.0, clean=None, route="visibility")
    assert np.abs(a.image - b.image).max() < 1e-4 * np.abs(b.image).max()


@pytest.mark.parametrize("route", ROUTES)
def test_same_seed_same_image(small_instrument, route):
    """The same seed gives bit-identical images; another seed does not."""
    rng = np.random.default_rng(11)
    sky = point_sky(small_instrument.shape, [(60, 60), (200, 180)], [0.02, 0.005])
    sky += (rng.random(sky.shape) < 0.002) * 1e-3
    kw = dict(noise_rms=NOISE, route=route, nthreads=2, gain_errors=GainErrors(n_realisations=2))
    a = observe(sky, small_instrument, rng=np.random.default_rng(42), **kw)
    b = observe(sky, small_instrument, rng=np.random.default_rng(42), **kw)
    c = observe(sky, small_instrument, rng=np.random.default_rng(43), **kw)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.model, b.model)
    assert a.n_iter == b.n_iter
    assert not np.array_equal(a.image, c.image)


def test_faint_diffuse_emission_stays_mostly_uncleaned(small_instrument):
    """The un-tuned CLEAN leaves a faint halo (peak ~3 sigma per beam) mostly in the residual."""
    shape = small_instrument.shape
    r = radial_distance(shape, (128, 128))
    halo = np.exp(-0.5 * (r / 20.0) ** 2)  # sigma 40"
    beam_px = beam_area_pixels(small_instrument.beam, 2.0)
    halo *= 3 * NOISE / (halo.max() * beam_px)  # ~3 sigma per beam
    sky = halo.astype(np.float32)
    sky[40, 40] += 0.05
    obs = observe(sky, small_instrument, rng=np.random.default_rng(2), noise_rms=NOISE, route="image", nthreads=2)
    in_halo = r < 40
    cleaned = obs.model[in_halo].sum(dtype=np.float64)
    assert cleaned < 0.5 * halo[in_halo].sum()
    assert obs.model[40, 40] > 0.04  # while the bright compact source is cleaned


@pytest.mark.parametrize("route", ROUTES)
def test_gain_errors_add_artefacts_around_bright_sources(small_instrument, route):
    """Station gain errors raise the residual rms near a bright source, not the flux scale."""
    sky = point_sky(small_instrument.shape, [(128, 128)], [2.0])
    r = radial_distance(small_instrument.shape, (128, 128))
    ring = (r > 8) & (r < 60)
    kw = dict(noise_rms=NOISE, route=route, nthreads=2, clean=CleanConfig(max_major=3))
    clean_obs = observe(sky, small_instrument, rng=np.random.default_rng(1), **kw)
    bad = observe(sky, small_instrument, rng=np.random.default_rng(1), gain_errors=GainErrors(n_realisations=2), **kw)
    assert bad.residual[ring].std() > 2 * clean_obs.residual[ring].std()
    flux = bad.image[r < 12].sum(dtype=np.float64) / beam_area_pixels(bad.beam, 2.0)
    assert flux == pytest.approx(2.0, rel=0.1)
    if route == "image":
        assert bad.info["gain_realisation"] in (0, 1)


def test_no_clean_returns_dirty(small_instrument):
    """clean=None gives the dirty image, an empty model and JSON-serialisable info."""
    sky = point_sky(small_instrument.shape, [SRC], [0.01])
    obs = observe(sky, small_instrument, rng=np.random.default_rng(0), clean=None, keep_dirty=True)
    assert isinstance(obs, Observation)
    assert np.array_equal(obs.image, obs.dirty) and not obs.model.any() and obs.n_iter == 0
    json.dumps(obs.info)


def test_info_is_json_serialisable(point_obs):
    """Observation.info round-trips through JSON and says how the image was made."""
    route, obs = point_obs
    info = json.loads(json.dumps(obs.info))
    assert info["route"] == route
    assert info["beam"]["major_arcsec"] == pytest.approx(obs.beam.major)
    assert info["clean"]["n_iter"] == obs.n_iter > 0


def test_observe_accepts_setup(small_setup, small_instrument):
    """A setup can be passed directly; it is prepared (and cached)."""
    sky = np.zeros(small_setup.shape, np.float32)
    obs = observe(sky, small_setup, rng=np.random.default_rng(0), clean=None, nthreads=2)
    assert obs.beam == small_instrument.beam


@pytest.mark.parametrize(
    "change, match",
    [
        ({"sky": np.zeros((128, 128))}, "shape"),
        ({"sky": np.zeros((2, 256, 256))}, "2-D"),
        ({"sky": np.full((256, 256), np.nan)}, "NaN"),
        ({"route": "fourier"}, "unknown route"),
        ({"rng": 42}, "Generator"),
        ({"noise_rms": -1.0}, "noise_rms"),
        ({"clean": {"gain": 0.1}}, "CleanConfig"),
        ({"gain_errors": 0.1}, "GainErrors"),
        ({"nthreads": 0}, "nthreads"),
    ],
)
def test_invalid_observe_arguments(small_instrument, change, match):
    """Bad inputs to observe() raise RadioUNetError with a clear message."""
    kw = {"sky": np.zeros((256, 256)), "rng": np.random.default_rng(0), "route": "image"}
    kw.update(change)
    sky = kw.pop("sky")
    with pytest.raises(RadioUNetError, match=match):
        observe(sky, small_instrument, **kw)


def test_rectangular_images_both_routes():
    """Non-square images (ny != nx) keep their orientation and flux in both routes."""
    from radio_unet.observe import ObservationSetup, prepare

    setup = ObservationSetup(npix=(128, 192), hours=8, time_step_s=900, freqs_hz=(140e6, 160e6))
    inst = prepare(setup, nthreads=2)
    assert inst.psf.shape == (256, 384)
    sky = point_sky(setup.shape, [(40, 150)], [0.05])
    rng_sky = np.random.default_rng(0)
    sky[rng_sky.integers(0, 128, 20), rng_sky.integers(0, 192, 20)] += 2e-3
    obs = {route: observe(sky, inst, rng=np.random.default_rng(1), noise_rms=NOISE, route=route, keep_dirty=True)
           for route in ROUTES}
    noiseless = {route: observe(sky, inst, rng=np.random.default_rng(1), noise_rms=0.0, route=route, clean=None)
                 for route in ROUTES}
    assert np.abs(noiseless["image"].image - noiseless["visibility"].image).max() < 1e-4 * 0.05
    for o in obs.values():
        r = radial_distance(setup.shape, (40, 150))
        flux = o.image[r < 12].sum(dtype=np.float64) / beam_area_pixels(o.beam, 2.0)
        assert flux == pytest.approx(0.05, rel=0.05)
        assert np.unravel_index(np.argmax(o.image), o.image.shape) == (40, 150)


def test_visibility_phase_convention(small_instrument):
    """Predicted visibilities follow V = sum I exp(-2 pi i (u l + v m)), l towards the east (x decreasing)."""
    from radio_unet.observe import predict
    from radio_unet.observe.weighting import ARCSEC, SPEED_OF_LIGHT

    ny, nx = small_instrument.shape
    sky = np.zeros((ny, nx), np.float32)
    sky[ny // 2 + 3, nx // 2 - 5] = 1.0  # 3 px north, 5 px east of the phase centre
    vis = predict(sky, small_instrument)
    l, m = 5 * 2.0 * ARCSEC, 3 * 2.0 * ARCSEC
    lam = SPEED_OF_LIGHT / small_instrument.freqs_hz[None, :]
    u, v = small_instrument.uvw[:, :1] / lam, small_instrument.uvw[:, 1:2] / lam
    expected = np.exp(-2j * np.pi * (u * l + v * m))
    assert np.abs(vis - expected).max() < 1e-3


def test_instrument_pickles(small_instrument):
    """An Instrument survives pickling (for process pools) and gives the same images."""
    import pickle

    clone = pickle.loads(pickle.dumps(small_instrument))
    sky = point_sky(small_instrument.shape, [SRC], [0.01])
    a = observe(sky, small_instrument, rng=np.random.default_rng(0), nthreads=2)
    b = observe(sky, clone, rng=np.random.default_rng(0), nthreads=2)
    assert np.array_equal(a.image, b.image)
