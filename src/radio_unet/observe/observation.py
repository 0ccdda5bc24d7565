"""Mock LOFAR observations of a sky model: two routes, one CLEAN.

``route="visibility"``: ducc0 predicts the visibilities of the sky, station
gain errors (optional) and thermal noise are added, the visibilities are
imaged with the Briggs/taper weights and CLEANed with major cycles through
ducc0.

``route="image"``: the sky is convolved with the PSF (an exact linear FFT
convolution with a PSF twice the image size, so without gain errors the
dirty image equals the visibility route's up to the ducc0 accuracy), noise
with the spectrum of the weighted uv-coverage is added, and the same CLEAN
runs with major cycles in the image plane. Gain errors are direction
independent, so their effect on the sky is a convolution with a corrupted
PSF; the image route uses one of a small bank of such PSFs made once per
setup (see :class:`~radio_unet.observe.GainErrors`).

Both routes ignore the w-term, bandwidth and time smearing, the primary
beam and spectral indices (every channel sees the same sky).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.fft

from ..errors import RadioUNetError, check_choice
from ..io.beam import Beam
from ..stats import robust_rms
from .artefacts import DD_GAIN_ERRORS, Artefacts, correlated_noise, dd_artefacts, outside_spoke_artefacts, spoke_artefacts
from .clean import CleanConfig, clean as run_clean
from .gains import GainErrors, apply_gains, draw_gains
from .instrument import Instrument, ObservationSetup, default_threads, prepare
from .noise import shaped_noise, visibility_noise
from .psf import restore

__all__ = ["ROUTES", "Observation", "observe", "convolve_psf", "predict", "image_visibilities"]

ROUTES = ("image", "visibility")
_ROUTE_ALIASES = {"image": "image", "image-plane": "image", "fast": "image",
                  "visibility": "visibility", "vis": "visibility", "uv": "visibility"}


@dataclass
class Observation:
    """A mock observation.

    Attributes
    ----------
    image : numpy.ndarray
        Restored image (CLEAN model convolved with ``beam`` + residual),
        float32, Jy/beam. Without CLEAN, the dirty image.
    residual : numpy.ndarray
        Residual image, float32, Jy/beam (dirty beam).
    model : numpy.ndarray
        CLEAN components, float32, Jy/pixel.
    dirty : numpy.ndarray or None
        The dirty image, if asked for.
    beam : Beam
        Restoring beam (arcsec, deg).
    pixel_scale_arcsec : float
        Pixel size.
    noise_rms : float
        Requested image noise (Jy/beam).
    noise_rms_measured : float
        Robust (MAD) rms of the residual image.
    n_iter : int
        CLEAN minor iterations.
    info : dict
        JSON-serialisable details (route, weighting, CLEAN, timings...).
    """

    image: np.ndarray
    residual: np.ndarray
    model: np.ndarray
    dirty: np.ndarray | None
    beam: Beam
    pixel_scale_arcsec: float
    noise_rms: float
    noise_rms_measured: float
    n_iter: int
    info: dict = field(default_factory=dict)


def convolve_psf(image: np.ndarray, transfer: np.ndarray, *, workers: int = 1) -> np.ndarray:
    """Linear convolution of ``image (ny, nx)`` with a PSF given by its transfer function.

    Parameters
    ----------
    image : numpy.ndarray
        float32 image.
    transfer : numpy.ndarray
        ``rfft2`` of the ``(2 ny, 2 nx)`` PSF shifted to the origin
        (:meth:`Instrument.psf_fft`).
    workers : int
        FFT threads.

    Returns
    -------
    numpy.ndarray
        float32 ``(ny, nx)``.
    """
    ny, nx = image.shape
    s = (2 * ny, 2 * nx)
    spec = scipy.fft.rfft2(np.asarray(image, dtype=np.float32), s=s, workers=workers)
    spec *= transfer
    return scipy.fft.irfft2(spec, s=s, workers=workers, overwrite_x=True)[:ny, :nx].astype(np.float32)


def predict(image: np.ndarray, instrument: Instrument, *, nthreads: int = 1) -> np.ndarray:
    """Visibilities ``(nrow, nchan)`` (complex64) of a Jy/pixel image (ducc0 ``dirty2vis``)."""
    from ducc0.wgridder.experimental import dirty2vis

    pix = instrument.setup.pixel_rad
    return dirty2vis(uvw=instrument.uvw_ducc, freq=instrument.freqs_hz,
                     dirty=np.ascontiguousarray(image, dtype=np.float32), pixsize_x=pix, pixsize_y=pix,
                     epsilon=instrument.setup.epsilon, do_wgridding=False, divide_by_n=False, nthreads=nthreads)


def image_visibilities(vis: np.ndarray, instrument: Instrument, *, nthreads: int = 1, deterministic: bool = True) -> np.ndarray:
    """Dirty image (Jy/beam, peak-1 PSF) of visibilities with the instrument's weights.

    ducc0 accumulates the uv grid from several threads in a varying order,
    so multi-threaded gridding differs between runs in the last bits;
    ``deterministic=True`` grids with one thread (about as fast here).
    """
    from ducc0.wgridder.experimental import vis2dirty

    if deterministic:
        nthreads = 1

    pix = instrument.setup.pixel_rad
    ny, nx = instrument.shape
    d = vis2dirty(uvw=instrument.uvw_ducc, freq=instrument.freqs_hz, vis=np.ascontiguousarray(vis, dtype=np.complex64),
                  wgt=instrument.weights, npix_x=ny, npix_y=nx, pixsize_x=pix, pixsize_y=pix,
                  epsilon=instrument.setup.epsilon, do_wgridding=False, divide_by_n=False, nthreads=nthreads)
    d /= np.float32(instrument.weight_sum)
    return d


def _resolve_route(route: str) -> str:
    key = str(route).lower()
    return _ROUTE_ALIASES[check_choice(key, _ROUTE_ALIASES, "route")]


def _check_sky(sky, shape) -> np.ndarray:
    if hasattr(sky, "unit") and hasattr(sky, "to_value"):  # astropy Quantity
        try:
            sky = sky.to_value("Jy")
        except Exception as exc:  # noqa: BLE001 - astropy raises UnitConversionError
            raise RadioUNetError(f"the sky model must be in Jy per pixel, got unit {sky.unit}: {exc}") from None
    sky = np.asarray(sky)
    if sky.ndim != 2:
        raise RadioUNetError(f"the sky model must be a 2-D image (Jy/pixel), got shape {sky.shape}")
    if sky.shape != tuple(shape):
        raise RadioUNetError(f"the sky model has shape {sky.shape} but the observation setup makes {tuple(shape)} images")
    if not np.issubdtype(sky.dtype, np.number) or np.iscomplexobj(sky):
        raise RadioUNetError("the sky model must hold real numbers (Jy/pixel)")
    sky = np.ascontiguousarray(sky, dtype=np.float32)
    if not np.isfinite(sky).all():
        raise RadioUNetError("the sky model contains NaN or infinite pixels")
    return sky


def _artefact_image(artefacts: Artefacts, instrument: Instrument, sources: np.ndarray, *, noise_rms: float,
                    excess: float, rng: np.random.Generator, nthreads: int) -> np.ndarray:
    """Correlated noise plus direction-dependent, out-of-field and spoke error patterns, in-field and out-of-field
    spokes (Jy/beam)."""
    out = np.zeros(instrument.shape, np.float32)
    beam_pixels = instrument.beam.major / instrument.pixel_scale_arcsec
    if excess > 0:
        out += correlated_noise(instrument.noise_kernel, rms=noise_rms * math.sqrt(excess),
                                scale_pixels=artefacts.excess_scale_beams * beam_pixels, slope=artefacts.excess_slope,
                                envelope_sigma=artefacts.envelope_sigma, rng=rng, workers=nthreads)
    if artefacts.any_dd:
        sources = _check_sky(sources, instrument.shape)
        out += dd_artefacts(sources, psf_transfer=instrument.psf_fft(workers=nthreads),
                            bank=instrument.corrupted_psf_ffts(DD_GAIN_ERRORS, nthreads=nthreads), artefacts=artefacts,
                            noise_rms=noise_rms, rng=rng, workers=nthreads)
    if artefacts.spoke_level > 0:
        out += spoke_artefacts(_check_sky(sources, instrument.shape), psf_transfer=instrument.psf_fft(workers=nthreads),
                               artefacts=artefacts, beam_pixels=beam_pixels, rng=rng, workers=nthreads,
                               beam_transfer=lambda: instrument.beam_fft(workers=nthreads))
    if artefacts.spoke_outside_sigma > 0:
        out += outside_spoke_artefacts(instrument.shape, psf_transfer=instrument.psf_fft(workers=nthreads),
                                       artefacts=artefacts, noise_rms=noise_rms, beam_pixels=beam_pixels, rng=rng,
                                       workers=nthreads, beam_transfer=lambda: instrument.beam_fft(workers=nthreads))
    return out


def _checked_arguments(sky_jy_per_pixel, instrument, *, rng, noise_rms, route, clean, gain_errors, nthreads,
                       artefacts):
    """Validate the arguments of :func:`observe` (same names) and normalise them.

    Returns
    -------
    instrument : Instrument
        Prepared from a setup if need be.
    sky : numpy.ndarray
        float32 sky model.
    noise_rms : float
    route : str
        One of :data:`ROUTES`.
    nthreads : int

    Raises
    ------
    RadioUNetError
        For any invalid argument.
    """
    if isinstance(instrument, ObservationSetup):
        instrument = prepare(instrument, nthreads=nthreads)
    if not isinstance(instrument, Instrument):
        raise RadioUNetError(f"observe() needs an Instrument (from prepare()) or an ObservationSetup, got {type(instrument).__name__}")
    if not isinstance(rng, np.random.Generator):
        raise RadioUNetError("rng must be a numpy.random.Generator, e.g. numpy.random.default_rng(seed)")
    if isinstance(noise_rms, bool) or not isinstance(noise_rms, (int, float, np.integer, np.floating)) \
            or not math.isfinite(noise_rms) or noise_rms < 0:
        raise RadioUNetError(f"noise_rms must be a finite number >= 0 (Jy/beam), got {noise_rms!r}")
    if clean is not None and not isinstance(clean, CleanConfig):
        raise RadioUNetError("clean must be a CleanConfig or None")
    if gain_errors is not None and not isinstance(gain_errors, GainErrors):
        raise RadioUNetError("gain_errors must be a GainErrors or None")
    route = _resolve_route(route)
    nthreads = default_threads() if nthreads is None else int(nthreads)
    if nthreads < 1:
        raise RadioUNetError("nthreads must be >= 1")
    sky = _check_sky(sky_jy_per_pixel, instrument.shape)
    if artefacts is not None and not isinstance(artefacts, Artefacts):
        raise RadioUNetError("artefacts must be an Artefacts or None")
    return instrument, sky, float(noise_rms), route, nthreads


def _image_route(sky: np.ndarray, instrument: Instrument, *, rng: np.random.Generator, thermal_rms: float,
                 gain_errors: GainErrors | None, nthreads: int):
    """Dirty image of the image route: PSF convolution (corrupted PSF with gain errors) plus shaped noise.

    Returns
    -------
    dirty : numpy.ndarray
    transfer : numpy.ndarray
        Transfer function of the uncorrupted PSF, for :func:`_residual_function`.
    seconds : dict
        Timings of the steps.
    gain_realisation : int or None
        Index of the corrupted PSF used.
    """
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    transfer = instrument.psf_fft(workers=nthreads)
    sky_transfer, gain_realisation = transfer, None
    if gain_errors is not None:
        bank = instrument.corrupted_psf_ffts(gain_errors, nthreads=nthreads)
        gain_realisation = int(rng.integers(len(bank)))
        sky_transfer = bank[gain_realisation]
    seconds["setup_products"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    dirty = convolve_psf(sky, sky_transfer, workers=nthreads) if sky.any() else np.zeros(sky.shape, np.float32)
    seconds["convolve"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if thermal_rms > 0:
        dirty += shaped_noise(instrument.noise_kernel, rms=thermal_rms, rng=rng, workers=nthreads)
    seconds["noise"] = time.perf_counter() - t0
    return dirty, transfer, seconds, gain_realisation


def _visibility_route(sky: np.ndarray, instrument: Instrument, *, rng: np.random.Generator, thermal_rms: float,
                      gain_errors: GainErrors | None, nthreads: int, deterministic: bool):
    """Dirty image of the visibility route: predict, corrupt with gains and noise, image.

    Returns
    -------
    dirty : numpy.ndarray
    vis : numpy.ndarray
        The corrupted visibilities, for :func:`_residual_function`.
    seconds : dict
        Timings of the steps.
    """
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    vis = predict(sky, instrument, nthreads=nthreads)
    seconds["predict"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if gain_errors is not None:
        gains = draw_gains(gain_errors, n_stations=len(instrument.stations), n_times=instrument.n_times,
                           time_step_s=instrument.setup.time_step_s, freqs_hz=instrument.freqs_hz, rng=rng)
        apply_gains(vis, gains, ant1=instrument.ant1, ant2=instrument.ant2, time_index=instrument.time_index)
    if thermal_rms > 0:
        vis += visibility_noise(vis.shape, sigma=instrument.sigma_vis_unit * thermal_rms, rng=rng)
    seconds["corrupt"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    dirty = image_visibilities(vis, instrument, nthreads=nthreads, deterministic=deterministic)
    seconds["image"] = time.perf_counter() - t0
    return dirty, vis, seconds


def _residual_function(route: str, dirty: np.ndarray, data: np.ndarray, instrument: Instrument, *, nthreads: int,
                       deterministic: bool):
    """Model (Jy/pixel) to residual image (Jy/beam), for CLEAN's major cycles.

    Parameters
    ----------
    route : {"image", "visibility"}
    dirty : numpy.ndarray
        The final dirty image (with any artefacts); the image route subtracts
        the model convolved with the PSF from it.
    data : numpy.ndarray
        The PSF transfer function (image route) or the corrupted visibilities
        (visibility route), as returned by :func:`_image_route` or
        :func:`_visibility_route`.
    instrument : Instrument
    nthreads : int
    deterministic : bool
        See :func:`image_visibilities`.

    Returns
    -------
    callable
    """
    if route == "image":
        def residual_fn(model):
            return dirty - convolve_psf(model, data, workers=nthreads)
    else:
        def residual_fn(model):
            return image_visibilities(data - predict(model, instrument, nthreads=nthreads), instrument,
                                      nthreads=nthreads, deterministic=deterministic)
    return residual_fn


def _clean_and_restore(dirty: np.ndarray, instrument: Instrument, residual_fn, clean: CleanConfig | None):
    """CLEAN the dirty image and restore it; without ``clean`` the dirty image is the image.

    Returns
    -------
    image, residual, model : numpy.ndarray
    n_iter : int
    clean_info : dict or None
        ``info["clean"]`` of the observation.
    seconds : dict
        Timings of CLEAN and the restoration.
    """
    seconds: dict[str, float] = {}
    if clean is None:
        return dirty.copy(), dirty, np.zeros_like(dirty), 0, None, seconds
    t0 = time.perf_counter()
    result = run_clean(dirty, instrument.psf, residual_fn=residual_fn, config=clean)
    seconds["clean"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    image = restore(result.model, instrument.beam, pixel_scale_arcsec=instrument.pixel_scale_arcsec) + result.residual
    seconds["restore"] = time.perf_counter() - t0
    clean_info = {
        "config": clean.to_dict(),
        "n_iter": result.n_iter,
        "n_major": result.n_major,
        "stop_reason": result.stop_reason,
        "sigma": [float(s) for s in result.sigma],
        "model_flux_jy": float(result.model.sum(dtype=np.float64)),
        "seconds": result.seconds,
    }
    return image, result.residual, result.model, result.n_iter, clean_info, seconds


def _observation_info(instrument: Instrument, *, noise_rms: float, measured: float, gain_errors: GainErrors | None,
                      sky: np.ndarray, nthreads: int, seconds: dict) -> dict:
    """The instrument, noise and timing entries of :attr:`Observation.info`."""
    beam, psf_beam = instrument.beam, instrument.psf_beam
    return {
        "noise_rms": noise_rms,
        "noise_rms_measured": float(measured),
        "beam": {"major_arcsec": beam.major, "minor_arcsec": beam.minor, "pa_deg": beam.pa},
        "psf_beam": {"major_arcsec": psf_beam.major, "minor_arcsec": psf_beam.minor, "pa_deg": psf_beam.pa},
        "robust": instrument.robust,
        "taper_arcsec": instrument.taper_arcsec,
        "pixel_scale_arcsec": instrument.pixel_scale_arcsec,
        "n_visibilities": instrument.n_visibilities,
        "setup": instrument.setup.to_dict(),
        "gain_errors": None if gain_errors is None else gain_errors.to_dict(),
        "sky_flux_jy": float(sky.sum(dtype=np.float64)),
        "nthreads": nthreads,
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
    }


def observe(
    sky_jy_per_pixel: np.ndarray,
    instrument: Instrument | ObservationSetup,
    *,
    rng: np.random.Generator,
    noise_rms: float = 1e-4,
    route: str = "image",
    clean: CleanConfig | None = CleanConfig(),
    gain_errors: GainErrors | None = None,
    keep_dirty: bool = False,
    nthreads: int | None = None,
    deterministic: bool = True,
    artefacts: Artefacts | None = None,
    artefact_sky: np.ndarray | None = None,
) -> Observation:
    """Observe a sky model with LOFAR HBA: PSF, noise, (gain errors), CLEAN, restore.

    Parameters
    ----------
    sky_jy_per_pixel : numpy.ndarray
        Sky model ``(ny, nx)`` in Jy/pixel on the setup's grid (``x``
        towards the west, ``y`` towards the north, phase centre at
        ``(ny // 2, nx // 2)``).
    instrument : Instrument or ObservationSetup
        Output of :func:`prepare` (a setup is prepared, with caching).
    rng : numpy.random.Generator
        Source of every random number (noise, gains).
    noise_rms : float
        Wanted image noise in Jy/beam (LoTSS-DR2: about 1e-4 at 6").
    route : {"image", "visibility"}
        Image-plane route (fast) or ducc0 visibility route.
    clean : CleanConfig or None
        CLEAN parameters; ``None`` returns the dirty image.
    gain_errors : GainErrors or None
        Station gain errors (see the module notes for the image route).
    keep_dirty : bool
        Also return the dirty image.
    nthreads : int, optional
        Threads for ducc0 and the FFTs (default: all available cores).
    deterministic : bool
        Visibility route: grid with one thread so that the same seed gives
        bit-identical images (multi-threaded ducc0 gridding differs in the
        last bits from run to run). The image route is always deterministic.
    artefacts : Artefacts or None
        Imperfections of real images added to the dirty image before CLEAN
        (:mod:`radio_unet.observe.artefacts`): part of the noise variance
        moved to a correlated component, direction-dependent error patterns,
        out-of-field sources. The total noise stays ``noise_rms``.
    artefact_sky : numpy.ndarray or None
        The part of the sky (Jy/pixel) that gets direction-dependent errors
        (default: all of it); ``simulate`` passes the compact sources and
        radio galaxies so that the diffuse emission keeps its reference mask.

    Returns
    -------
    Observation
    """
    t_start = time.perf_counter()
    instrument, sky, noise_rms, route, nthreads = _checked_arguments(
        sky_jy_per_pixel, instrument, rng=rng, noise_rms=noise_rms, route=route, clean=clean, gain_errors=gain_errors,
        nthreads=nthreads, artefacts=artefacts)
    excess = artefacts.excess_fraction if artefacts is not None and noise_rms > 0 else 0.0
    thermal_rms = noise_rms * math.sqrt(1.0 - excess)
    info: dict = {"route": route, "gain_realisation": None,
                  "artefacts": None if artefacts is None else artefacts.to_dict()}
    corrupt = {"rng": rng, "thermal_rms": thermal_rms, "gain_errors": gain_errors, "nthreads": nthreads}
    if route == "image":
        dirty, data, seconds, info["gain_realisation"] = _image_route(sky, instrument, **corrupt)
    else:
        dirty, data, seconds = _visibility_route(sky, instrument, **corrupt, deterministic=deterministic)

    if artefacts is not None:
        t0 = time.perf_counter()
        dirty = dirty + _artefact_image(artefacts, instrument, sky if artefact_sky is None else artefact_sky,
                                        noise_rms=noise_rms, excess=excess, rng=rng, nthreads=nthreads)
        seconds["artefacts"] = time.perf_counter() - t0
    # built after the artefacts: the image route's residuals are taken from the dirty image that includes them
    residual_fn = _residual_function(route, dirty, data, instrument, nthreads=nthreads, deterministic=deterministic)
    image, residual, model, n_iter, info["clean"], clean_seconds = _clean_and_restore(
        dirty, instrument, residual_fn, clean)
    seconds.update(clean_seconds)
    measured = robust_rms(residual, method="mad", max_pixels=1_000_000)
    seconds["total"] = time.perf_counter() - t_start
    info.update(_observation_info(instrument, noise_rms=noise_rms, measured=measured, gain_errors=gain_errors, sky=sky,
                                  nthreads=nthreads, seconds=seconds))
    return Observation(
        image=np.asarray(image, dtype=np.float32),
        residual=np.asarray(residual, dtype=np.float32),
        model=np.asarray(model, dtype=np.float32),
        dirty=np.array(dirty, dtype=np.float32, copy=True) if keep_dirty else None,
        beam=instrument.beam,
        pixel_scale_arcsec=instrument.pixel_scale_arcsec,
        noise_rms=noise_rms,
        noise_rms_measured=float(measured),
        n_iter=int(n_iter),
        info=info,
    )
