"""Simulated fields for the counts estimator: one theta per field, two routes.

``route="fast"`` (:func:`simulate_fast`): point and slightly extended sources
drawn from the field's counts (:func:`radio_unet.sky.compact.draw_fluxes`,
sizes from :func:`~radio_unet.sky.compact.draw_sizes`) down to 1/100 of the
lowest noise of the preset, each rendered directly as its Gaussian convolved
with the field's elliptical beam (:func:`radio_unet.sky.render.add_blobs`, so
sub-pixel positions are exact), the mean removed (an interferometer has no
zero spacing), plus correlated Gaussian noise: a share with a power spectrum
``|B(k)|**p`` (``p`` 1-2 drawn per field: between natural weighting, where the
noise correlates like the beam, and a beam convolved with itself) made with
:func:`radio_unet.observe.noise.shaped_noise`, and a share on scales of
several beams from :func:`radio_unet.observe.artefacts.correlated_noise`.
About 5-20 ms per 128x128 field.

``route="observe"`` (:func:`simulate_observed`): the same catalogue rendered
as a sky model in Jy/pixel and observed with :func:`radio_unet.observe.observe`
(the preset's array, uv-coverage, weighting, PSF sidelobes, shaped noise,
CLEAN, restoration): the beam and pixel scale are then the instrument's,
fixed per data set.
"""

from __future__ import annotations

import math

import numpy as np
from astropy.stats import gaussian_fwhm_to_sigma

from ..errors import check_choice
from ..sky.compact import CATALOGUE_DTYPE, catalogue_blobs, draw_fluxes, draw_sizes
from ..sky.render import Blobs, add_blobs, render_blobs
from ..stats import robust_rms
from .families import bin_targets, counts_from_theta
from .presets import CountsPreset, draw_nuisance, draw_theta

__all__ = [
    "SR_PER_ARCSEC2",
    "field_rng",
    "draw_catalogue",
    "convolve_gaussians",
    "beam_power_kernel",
    "field_noise",
    "render_beam_image",
    "simulate_fast",
    "simulate_observed",
    "simulate_field",
    "measure_noise",
]

SR_PER_ARCSEC2 = (math.pi / 180.0 / 3600.0) ** 2


def field_rng(seed: int, index: int) -> np.random.Generator:
    """The random generator of field ``index`` of a data set made with ``seed`` (independent per field)."""
    return np.random.default_rng([int(seed), int(index), 16])


def measure_noise(image: np.ndarray) -> float:
    """The noise estimate the estimator is given: the MAD rms of the image (Jy/beam).

    Used identically on simulated fields and on user images, so that the
    estimator learns what this number means (it includes confusion).
    """
    return float(robust_rms(image, method="mad"))


def draw_catalogue(model, *, shape, pixel_scale_arcsec: float, s_min: float, s_max: float, rng: np.random.Generator,
                   pad: int = 0, size_flux_ratio: float = 1.0) -> np.ndarray:
    """A random catalogue of sources from ``model`` over a (padded) field.

    Parameters
    ----------
    model : count model
        With ``dnds`` and ``freq_hz``.
    shape : (int, int)
        Field shape (pixels).
    pixel_scale_arcsec : float
    s_min, s_max : float
        Flux limits (Jy).
    rng : numpy.random.Generator
    pad : int
        Sources are placed over the field grown by ``pad`` pixels on every
        side (their beams reach into the field).
    size_flux_ratio : float
        Fluxes are divided by this before :func:`draw_sizes` (whose size-flux
        relation is at 150 MHz).

    Returns
    -------
    numpy.ndarray
        :data:`~radio_unet.sky.compact.CATALOGUE_DTYPE` records, positions in
        field pixels (may lie in the padding).
    """
    ny, nx = shape
    area = (ny + 2 * pad) * (nx + 2 * pad) * pixel_scale_arcsec**2 * SR_PER_ARCSEC2
    flux = draw_fluxes(rng, s_min=s_min, s_max=s_max, area_sr=area, model=model)
    cat = np.zeros(flux.size, dtype=CATALOGUE_DTYPE)
    cat["x"] = rng.uniform(-0.5 - pad, nx - 0.5 + pad, flux.size)
    cat["y"] = rng.uniform(-0.5 - pad, ny - 0.5 + pad, flux.size)
    cat["flux_jy"] = flux
    maj, mnr, ang = draw_sizes(rng, flux / size_flux_ratio)
    cat["fwhm_major_arcsec"], cat["fwhm_minor_arcsec"], cat["angle_deg"] = maj, mnr, ang
    return cat


def convolve_gaussians(maj1, min1, ang1_deg, maj2, min2, ang2_deg):
    """FWHMs and angle of the convolution of two elliptical Gaussians (covariances add).

    Parameters
    ----------
    maj1, min1, ang1_deg, maj2, min2, ang2_deg : array_like
        Major and minor FWHM and angle (degrees, counter-clockwise from +x)
        of each Gaussian.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Major FWHM, minor FWHM, angle (degrees).
    """
    def cov(maj, mnr, ang):
        t = np.deg2rad(ang)
        c, s = np.cos(t), np.sin(t)
        a, b = np.square(maj), np.square(mnr)
        return a * c * c + b * s * s, (a - b) * c * s, a * s * s + b * c * c

    xx1, xy1, yy1 = cov(np.asarray(maj1, float), np.asarray(min1, float), np.asarray(ang1_deg, float))
    xx2, xy2, yy2 = cov(np.asarray(maj2, float), np.asarray(min2, float), np.asarray(ang2_deg, float))
    xx, xy, yy = xx1 + xx2, xy1 + xy2, yy1 + yy2
    mean, diff = 0.5 * (xx + yy), np.sqrt(0.25 * (xx - yy) ** 2 + xy**2)
    major = np.sqrt(mean + diff)
    minor = np.sqrt(np.maximum(mean - diff, 0.0))
    angle = np.rad2deg(0.5 * np.arctan2(2 * xy, xx - yy))
    return major, minor, angle


def beam_power_kernel(shape, *, major_px: float, minor_px: float, angle_deg: float, power: float) -> np.ndarray:
    """Noise-shaping amplitudes whose noise has the spectrum ``|B(k)|**power`` of a Gaussian beam.

    Parameters
    ----------
    shape : (int, int)
    major_px, minor_px : float
        Beam FWHM axes in pixels.
    angle_deg : float
        Beam major-axis angle, counter-clockwise from +x.
    power : float
        1: noise correlated like the beam; 2: like the beam convolved with itself.

    Returns
    -------
    numpy.ndarray
        float32 ``shape`` kernel in FFT order, normalised like
        :func:`radio_unet.observe.noise.noise_shaping_kernel` (unit image rms
        through :func:`~radio_unet.observe.noise.shaped_noise`).
    """
    ny, nx = shape
    ky = np.fft.fftfreq(ny)[:, None]
    kx = np.fft.fftfreq(nx)[None, :]
    t = math.radians(angle_deg)
    ka = kx * math.cos(t) + ky * math.sin(t)
    kb = -kx * math.sin(t) + ky * math.cos(t)
    sa, sb = major_px * gaussian_fwhm_to_sigma, minor_px * gaussian_fwhm_to_sigma
    beam_ft = np.exp(-2.0 * math.pi**2 * (sa**2 * ka**2 + sb**2 * kb**2))
    p = beam_ft**power
    var = p.sum() / (2.0 * (ny * nx) ** 2)
    return np.sqrt(p / var).astype(np.float32)


def field_noise(shape, nuisance: dict, rng: np.random.Generator) -> np.ndarray:
    """The noise image of a fast-route field (Jy/beam), rms ``nuisance["noise_jy_beam"]``."""
    from ..observe.artefacts import correlated_noise  # observe: scipy.optimize, scipy.sparse (~0.4 s)
    from ..observe.noise import shaped_noise  # observe: scipy.optimize, scipy.sparse (~0.4 s)

    pix = nuisance["pixel_scale_arcsec"]
    major_px, minor_px = nuisance["beam_major_arcsec"] / pix, nuisance["beam_minor_arcsec"] / pix
    kernel = beam_power_kernel(shape, major_px=major_px, minor_px=minor_px, angle_deg=nuisance["beam_angle_deg"],
                               power=nuisance["noise_power"])
    sigma, f = nuisance["noise_jy_beam"], nuisance["excess_fraction"]
    noise = shaped_noise(kernel, rms=sigma * math.sqrt(1.0 - f), rng=rng)
    if f > 0:
        noise += correlated_noise(kernel, rms=sigma * math.sqrt(f), scale_pixels=nuisance["excess_scale_beams"] * major_px,
                                  slope=2.0, envelope_sigma=0.0, rng=rng)
    return noise


def _deposit_fft(catalogue: np.ndarray, shape, *, sigma_major_px: float, sigma_minor_px: float, angle_deg: float) -> np.ndarray:
    """Point sources deposited bilinearly and convolved with a Gaussian (FFT, periodic); flux-conserving.

    The bilinear deposit smooths by a triangle of variance 1/6 px^2 per axis;
    the Gaussian is narrowed by that much so that the sum has the wanted width.
    """
    ny, nx = shape
    x, y, f = catalogue["x"], catalogue["y"], catalogue["flux_jy"]
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    grid = np.zeros(ny * nx)
    for dy, wy in ((0, 1.0 - fy), (1, fy)):
        for dx, wx in ((0, 1.0 - fx), (1, fx)):
            iy, ix = (y0 + dy).astype(np.int64) % ny, (x0 + dx).astype(np.int64) % nx
            grid += np.bincount(iy * nx + ix, weights=f * wy * wx, minlength=ny * nx)
    ky = np.fft.fftfreq(ny)[:, None]
    kx = np.fft.rfftfreq(nx)[None, :]
    t = math.radians(angle_deg)
    ka = kx * math.cos(t) + ky * math.sin(t)
    kb = -kx * math.sin(t) + ky * math.cos(t)
    va, vb = max(sigma_major_px**2 - 1.0 / 6.0, 0.05), max(sigma_minor_px**2 - 1.0 / 6.0, 0.05)
    transfer = np.exp(-2.0 * math.pi**2 * (va * ka**2 + vb * kb**2))
    return np.fft.irfft2(np.fft.rfft2(grid.reshape(ny, nx)) * transfer, s=(ny, nx))


def render_beam_image(catalogue: np.ndarray, shape, *, pixel_scale_arcsec: float, beam_major_arcsec: float,
                      beam_minor_arcsec: float, beam_angle_deg: float, faint_below: float = 0.0) -> np.ndarray:
    """The sources of ``catalogue`` seen through a Gaussian beam, in Jy/beam (no noise, mean kept).

    Each source becomes its intrinsic Gaussian convolved with the beam,
    carrying ``S`` times the beam area in pixels (a point source peaks at
    ``S`` Jy/beam), stamped at its exact position
    (:func:`radio_unet.sky.render.add_blobs`). Sources fainter than
    ``faint_below`` (Jy) are taken as points and added through one FFT
    convolution of their bilinear deposit (the many faint sources of a field
    in milliseconds; their sizes are far below the beam).
    """
    k = gaussian_fwhm_to_sigma / pixel_scale_arcsec
    beam_area_px = 2.0 * math.pi * (beam_major_arcsec * k) * (beam_minor_arcsec * k)
    faint = catalogue["flux_jy"] < faint_below
    bright = catalogue[~faint]
    maj, mnr, ang = convolve_gaussians(bright["fwhm_major_arcsec"], bright["fwhm_minor_arcsec"],
                                       bright["angle_deg"], beam_major_arcsec, beam_minor_arcsec, beam_angle_deg)
    # add_blobs integrates over pixels (it adds the pixel variance 1/12); an image in Jy/beam is sampled at pixel
    # centres, so the variance is taken off first
    sa = np.sqrt(np.maximum((maj * k) ** 2 - 1.0 / 12.0, 0.09))
    sb = np.sqrt(np.maximum((mnr * k) ** 2 - 1.0 / 12.0, 0.09))
    blobs = Blobs(bright["x"], bright["y"], bright["flux_jy"] * beam_area_px, sa, np.maximum(sb, 0.3), np.deg2rad(ang))
    image = add_blobs(np.zeros(tuple(shape), np.float64), blobs)
    if faint.any():
        image += beam_area_px * _deposit_fft(catalogue[faint], shape, sigma_major_px=beam_major_arcsec * k,
                                             sigma_minor_px=beam_minor_arcsec * k, angle_deg=beam_angle_deg)
    return image


def _truth(preset: CountsPreset, family: str, theta: np.ndarray):
    model = counts_from_theta(family, theta, freq_hz=preset.freq_hz, knots_log_s=preset.knot_log_s)
    return model, bin_targets(model, preset.edges)


def _realised(catalogue: np.ndarray, shape, edges) -> np.ndarray:
    ny, nx = shape
    inside = (catalogue["x"] >= -0.5) & (catalogue["x"] < nx - 0.5) & (catalogue["y"] >= -0.5) & (catalogue["y"] < ny - 0.5)
    return np.histogram(catalogue["flux_jy"][inside], bins=edges)[0]


def simulate_fast(preset: CountsPreset, family: str, rng: np.random.Generator, *, theta=None, nuisance=None,
                  header_scale: float = 1.0) -> dict:
    """One fast-route field.

    Parameters
    ----------
    preset : CountsPreset
    family : {"talk", "knots"}
    rng : numpy.random.Generator
    theta : array_like, optional
        Count parameters (default: drawn from the family's prior).
    nuisance : dict, optional
        Beam, noise and pixel scale (default: drawn, :func:`draw_nuisance`).
    header_scale : float
        The beam the field *claims* (``beam_*_arcsec`` of the record) is the
        true beam divided by this (1.05: the image's beam is 5% wider than its
        header says; the mis-specification test).

    Returns
    -------
    dict
        ``image`` (float32, Jy/beam), ``theta``, ``y`` (the targets,
        :func:`~radio_unet.counts.families.bin_targets`), ``n_true`` (sources
        per bin inside the field), ``n_sources``, the nuisance values and
        ``noise_measured`` (:func:`measure_noise`).
    """
    theta = draw_theta(preset, family, rng) if theta is None else np.asarray(theta, dtype=float)
    nuisance = draw_nuisance(preset, rng) if nuisance is None else dict(nuisance)
    model, y = _truth(preset, family, theta)
    shape = (preset.npix, preset.npix)
    pix = nuisance["pixel_scale_arcsec"]
    pad = int(math.ceil(1.5 * nuisance["beam_major_arcsec"] / pix))
    cat = draw_catalogue(model, shape=shape, pixel_scale_arcsec=pix, s_min=preset.s_min, s_max=preset.s_max, rng=rng,
                         pad=pad, size_flux_ratio=preset.reference.ratio / (150e6 / 154e6) ** -0.7)
    cat["x"] += pad
    cat["y"] += pad
    big = (shape[0] + 2 * pad, shape[1] + 2 * pad)
    sky = render_beam_image(cat, big, pixel_scale_arcsec=pix, beam_major_arcsec=nuisance["beam_major_arcsec"],
                            beam_minor_arcsec=nuisance["beam_minor_arcsec"], beam_angle_deg=nuisance["beam_angle_deg"],
                            faint_below=0.5 * preset.noise_jy_beam[0])
    sky = sky[pad:pad + shape[0], pad:pad + shape[1]]
    sky -= sky.mean()
    image = (sky + field_noise(shape, nuisance, rng)).astype(np.float32)
    cat["x"] -= pad
    cat["y"] -= pad
    claimed = {k: (v / header_scale if k in ("beam_major_arcsec", "beam_minor_arcsec") else v) for k, v in nuisance.items()}
    return {"image": image, "theta": theta, "y": y, "n_true": _realised(cat, shape, preset.edges), "n_sources": int(cat.size),
            **claimed, "noise_measured": measure_noise(image), "route": "fast"}


def simulate_observed(preset: CountsPreset, family: str, rng: np.random.Generator, *, theta=None, noise_jy_beam=None,
                      cache_dir: str | None = None, nthreads: int = 1) -> dict:
    """One field observed through :func:`radio_unet.observe.observe` (uv-coverage, PSF, CLEAN).

    The array, track, band and beam are those of the preset's
    ``observe_preset`` (:mod:`radio_unet.simulate.presets`) on the counts
    field grid, at the middle of the pixel-scale range; the beam is the
    restoring beam of the prepared instrument. Returns what
    :func:`simulate_fast` returns.
    """
    from ..observe import observe  # scipy.optimize, scipy.sparse (~0.4 s): only to observe
    from ..simulate.generate import instrument_for  # pandas, astropy.wcs: only for the observe route
    from ..simulate.presets import get_preset  # pandas, astropy.wcs: only for the observe route

    theta = draw_theta(preset, family, rng) if theta is None else np.asarray(theta, dtype=float)
    model, y = _truth(preset, family, theta)
    pix = float(np.mean(preset.pixel_scale_arcsec))
    sim_preset = get_preset(preset.observe_preset).with_overrides(npix=preset.npix, pixel_scale_arcsec=pix)
    beam_req = float(np.mean(preset.beam_arcsec))
    instrument = instrument_for(sim_preset, beam_req, cache_dir)
    if noise_jy_beam is None:
        lo, hi = np.log(preset.noise_jy_beam[0]), np.log(preset.noise_jy_beam[1])
        noise_jy_beam = float(np.exp(rng.uniform(lo, hi)))
    shape = (preset.npix, preset.npix)
    cat = draw_catalogue(model, shape=shape, pixel_scale_arcsec=pix, s_min=preset.s_min, s_max=preset.s_max, rng=rng,
                         size_flux_ratio=preset.reference.ratio / (150e6 / 154e6) ** -0.7)
    sky = render_blobs(shape, catalogue_blobs(cat, pix))
    obs = observe(sky, instrument, rng=rng, noise_rms=noise_jy_beam, route="image", nthreads=nthreads)
    image = obs.image.astype(np.float32)
    beam = obs.beam
    # observe() uses position angles east of north with x towards the west; +x counter-clockwise is PA + 90 deg
    return {"image": image, "theta": theta, "y": y, "n_true": _realised(cat, shape, preset.edges), "n_sources": int(cat.size),
            "pixel_scale_arcsec": pix, "beam_major_arcsec": float(beam.major), "beam_minor_arcsec": float(beam.minor),
            "beam_angle_deg": float((beam.pa + 90.0) % 180.0), "noise_jy_beam": float(noise_jy_beam),
            "noise_power": float("nan"), "excess_fraction": 0.0, "excess_scale_beams": float("nan"),
            "noise_measured": measure_noise(image), "route": "observe"}


def simulate_field(preset: CountsPreset, family: str, *, seed: int, index: int, route: str = "fast", **kwargs) -> dict:
    """Field ``index`` of a data set: :func:`simulate_fast` or :func:`simulate_observed` with :func:`field_rng`."""
    simulate = {"fast": simulate_fast, "observe": simulate_observed}[check_choice(route, ("fast", "observe"), "route")]
    return simulate(preset, family, field_rng(seed, index), **kwargs)
