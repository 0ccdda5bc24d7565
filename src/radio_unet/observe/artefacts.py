"""Imperfections of real survey images that thermal noise alone lacks.

A real LoTSS image is not "sky convolved with the PSF plus thermal noise".
Its noise has extra power on scales of several beams (direction-dependent
calibration residuals, ionospheric errors left after self-calibration),
bright sources carry spokes and rings of their own calibration errors, and
bright sources outside the imaged field leave ripples of their sidelobes. A
network trained without them takes any such texture for faint diffuse
emission. This module adds them to a dirty image, each drawn per image from
ranges (:class:`ArtefactRanges`) so that no single texture identifies empty
sky:

* **correlated residual noise** (:func:`correlated_noise`): a share
  ``excess_fraction`` of the noise variance is moved into a component whose
  power spectrum is the weighted uv-coverage's (stripes and all) times
  ``(1 + (k L)^2)^(-slope/2)``: flat on scales larger than ``L`` beams, falling
  on smaller ones; modulated by a smooth log-normal envelope so that some
  directions are worse than others.
* **direction-dependent errors** (:func:`dd_artefacts`): the field is cut into
  a few facets (random Voronoi cells); the compact sources and radio
  galaxies of each facet are convolved with the *error* of the PSF,
  ``PSF(gains) - PSF``, for one bank realisation of strong station gain
  errors, scaled per facet. Bright sources get the spokes and rings of real
  images; faint ones get errors far below the noise.
* **out-of-field sources** (:func:`dd_artefacts` too): sources placed in the
  padding around the field (up to one field size away) whose error patterns
  reach into the field, scaled to a drawn rms.
* **radial spokes** (:func:`spoke_artefacts`): long straight streaks through
  bright sources, as around the sources of a few Jy in real LoTSS images.
  An error that depends on the position angle of a visibility in the
  uv-plane but hardly on its length (a time-variable error shared by the
  baselines of one orientation, i.e. by the uv-tracks crossing one
  direction at one hour angle) is, by the projection-slice theorem, a set of
  straight lines through the source in the image, perpendicular to those
  uv directions. Each facet draws a few such directions, narrow angular
  lobes of random complex amplitude (so spokes of both signs, one- or
  two-sided), multiplied into the weighted uv-coverage: the spokes have the
  beam's width and the uv-coverage's texture, and their length and fall-off
  follow from the lobes' widths. Spokes bright enough to be CLEANed are
  restored with the beam: a share ``spoke_smooth`` of the facets multiply
  the lobes into the restoring beam's transfer function instead, which
  gives smooth ridges of the beam's width.
* **spokes of sources outside the field** (:func:`outside_spoke_artefacts`):
  the same spokes through sources placed in the padding around the field,
  so that straight ridges cross the image without their source in view (the
  far ends of a bright source's spokes in the next tile or image). Their
  brightest pixel in the field is drawn in units of the noise.

Diffuse emission gets no calibration errors here, so the reference mask keeps
its meaning (artefacts are background).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft

from ..config import ConfigBase
from ..sky.fields import lognormal_field
from .gains import GainErrors

__all__ = ["Artefacts", "ArtefactRanges", "DD_GAIN_ERRORS", "correlated_noise", "dd_artefacts", "facet_map",
           "outside_spoke_artefacts", "spoke_artefacts", "spoke_transfer"]

#: The station gain errors of the direction-dependent error patterns (one bank per instrument set-up; each
#: facet scales its pattern by a factor drawn in ``[0, dd_strength]``).
DD_GAIN_ERRORS = GainErrors(phase_rms_deg=20.0, amplitude_rms=0.1, timescale_s=900.0, n_realisations=4, bank_seed=101)


@dataclass(frozen=True)
class Artefacts(ConfigBase):
    """The artefacts of one image (drawn by :meth:`ArtefactRanges.draw`).

    Parameters
    ----------
    excess_fraction : float
        Share of the noise variance in the correlated component (0-1).
    excess_scale_beams : float
        ``L``: scales above ``L`` beams carry the correlated component's power.
    excess_slope : float
        Fall of its spectrum on scales below ``L``.
    envelope_sigma : float
        rms of the log of the envelope modulating the correlated component.
    dd_strength : float
        Largest per-facet scale of the direction-dependent error patterns
        (1: the patterns of :data:`DD_GAIN_ERRORS`).
    n_facets : int
        Number of facets (each its own gain realisation and scale).
    n_outside : int
        Number of out-of-field sources.
    outside_rms : float
        rms of their summed error patterns inside the field, in units of
        the noise.
    spoke_level : float
        Radial spokes: the brightest spoke pixel (beyond two beams from the
        source) as a fraction of the source's peak, for the facet drawn
        strongest (each facet scales its spokes by a factor in ``[0, 1]``);
        0 for none.
    n_spokes : int
        Number of uv directions with errors per facet (each gives a line of
        spokes through every source of the facet).
    spoke_width_deg : float
        Angular width (sigma) of each direction's error lobe in the
        uv-plane: narrow lobes give long spokes, wide ones short fans.
    spoke_smooth : float
        Probability that a facet's spokes are restored with the beam
        (smooth ridges) rather than carrying the dirty PSF's texture.
    spoke_outside_sigma : float
        Spokes of sources outside the field: their brightest pixel in the
        field, in units of the noise; 0 for none.
    n_spoke_outside : int
        Number of such sources (each with its own spoke directions).
    """

    excess_fraction: float = 0.0
    excess_scale_beams: float = 3.0
    excess_slope: float = 2.0
    envelope_sigma: float = 0.0
    dd_strength: float = 0.0
    n_facets: int = 1
    n_outside: int = 0
    outside_rms: float = 0.0
    spoke_level: float = 0.0
    n_spokes: int = 4
    spoke_width_deg: float = 1.0
    spoke_smooth: float = 0.0
    spoke_outside_sigma: float = 0.0
    n_spoke_outside: int = 1

    label = "artefact"

    def __post_init__(self):
        self.check_number("excess_fraction", lo=0.0, below=1.0)
        for name in ("excess_scale_beams", "excess_slope", "envelope_sigma", "dd_strength", "outside_rms",
                     "spoke_outside_sigma"):
            self.check_number(name, lo=0.0)
        self.check_number("spoke_level", lo=0.0, hi=1.0)
        self.check_number("spoke_width_deg", positive=True, hi=45.0)
        self.check_number("spoke_smooth", lo=0.0, hi=1.0)
        self.check_number("n_facets", integer=True, lo=1)
        self.check_number("n_outside", integer=True, lo=0)
        self.check_number("n_spokes", integer=True, lo=1)
        self.check_number("n_spoke_outside", integer=True, lo=1)

    @property
    def any_dd(self) -> bool:
        """True when direction-dependent or out-of-field patterns are asked for."""
        return self.dd_strength > 0 or (self.n_outside > 0 and self.outside_rms > 0)


@dataclass(frozen=True)
class ArtefactRanges(ConfigBase):
    """Ranges from which each image draws its :class:`Artefacts` (scales log-uniform, the rest uniform).

    ``p_*`` are the probabilities that an image has each kind at all, so
    that clean images stay in the mix. ``p_spoke_outside`` is 0 by default
    and draws nothing then, so that the images of a seed are the ones made
    before it existed.
    """

    excess_fraction: tuple[float, float] = (0.1, 0.75)
    excess_scale_beams: tuple[float, float] = (1.5, 40.0)
    excess_slope: tuple[float, float] = (1.5, 4.0)
    envelope_sigma: tuple[float, float] = (0.0, 0.7)
    dd_strength: tuple[float, float] = (0.1, 1.0)
    n_facets: tuple[int, int] = (2, 6)
    n_outside: tuple[int, int] = (1, 3)
    outside_rms: tuple[float, float] = (0.1, 1.0)
    spoke_level: tuple[float, float] = (0.001, 0.03)
    n_spokes: tuple[int, int] = (2, 16)
    spoke_width_deg: tuple[float, float] = (0.5, 4.0)
    spoke_outside_sigma: tuple[float, float] = (2.0, 20.0)
    n_spoke_outside: tuple[int, int] = (1, 2)
    p_excess: float = 0.85
    p_dd: float = 0.7
    p_outside: float = 0.4
    p_spokes: float = 0.5
    spoke_smooth: float = 0.5
    p_spoke_outside: float = 0.0

    label = "artefact"

    def __post_init__(self):
        self.lists_to_tuples()
        self.check_pair("excess_fraction", lo=0.0, below=1.0)
        for name in ("excess_scale_beams", "dd_strength"):  # drawn log-uniformly, like the two below
            self.check_pair(name, positive=True)
        self.check_pair("spoke_level", positive=True, hi=1.0)
        self.check_pair("spoke_width_deg", positive=True, hi=45.0)
        self.check_pair("spoke_outside_sigma", positive=True)
        self.check_pair("n_spoke_outside", lo=1, integer=True)
        for name in ("excess_slope", "envelope_sigma", "outside_rms"):
            self.check_pair(name, lo=0.0)
        self.check_pair("n_facets", lo=1, integer=True)
        self.check_pair("n_outside", lo=0, integer=True)
        self.check_pair("n_spokes", lo=1, integer=True)
        for name in ("p_excess", "p_dd", "p_outside", "p_spokes", "spoke_smooth", "p_spoke_outside"):
            self.check_number(name, lo=0.0, hi=1.0)

    @classmethod
    def from_dict(cls, values: dict | None) -> "ArtefactRanges | None":
        """Ranges from a preset's ``artefacts`` mapping (``None`` or empty: no artefacts)."""
        return super().from_dict(values) if values else None

    def draw(self, rng: np.random.Generator) -> Artefacts:
        """One image's artefacts."""
        def loguniform(lo_hi):
            return float(math.exp(rng.uniform(math.log(lo_hi[0]), math.log(lo_hi[1]))))

        excess = rng.random() < self.p_excess
        dd = rng.random() < self.p_dd
        outside = rng.random() < self.p_outside
        spokes = rng.random() < self.p_spokes
        return Artefacts(
            excess_fraction=float(rng.uniform(*self.excess_fraction)) if excess else 0.0,
            excess_scale_beams=loguniform(self.excess_scale_beams),
            excess_slope=float(rng.uniform(*self.excess_slope)),
            envelope_sigma=float(rng.uniform(*self.envelope_sigma)),
            dd_strength=loguniform(self.dd_strength) if dd else 0.0,
            n_facets=int(rng.integers(self.n_facets[0], self.n_facets[1] + 1)),
            n_outside=int(rng.integers(self.n_outside[0], self.n_outside[1] + 1)) if outside else 0,
            outside_rms=float(rng.uniform(*self.outside_rms)) if outside else 0.0,
            spoke_level=loguniform(self.spoke_level) if spokes else 0.0,
            n_spokes=int(rng.integers(self.n_spokes[0], self.n_spokes[1] + 1)),
            spoke_width_deg=loguniform(self.spoke_width_deg),
            spoke_smooth=self.spoke_smooth,
            **self._draw_spoke_outside(rng, loguniform),
        )

    def _draw_spoke_outside(self, rng: np.random.Generator, loguniform) -> dict:
        """The out-of-field spokes' settings; no draw at all when ``p_spoke_outside`` is 0 (seeds keep their images)."""
        if self.p_spoke_outside <= 0 or rng.random() >= self.p_spoke_outside:
            return {}
        return dict(spoke_outside_sigma=loguniform(self.spoke_outside_sigma),
                    n_spoke_outside=int(rng.integers(self.n_spoke_outside[0], self.n_spoke_outside[1] + 1)))


def _radial_frequency(shape: tuple[int, int]) -> np.ndarray:
    """|k| in cycles per pixel on the numpy FFT grid of ``shape``."""
    ky = np.fft.fftfreq(shape[0])[:, None]
    kx = np.fft.fftfreq(shape[1])[None, :]
    return np.hypot(ky, kx)


def correlated_noise(
    kernel: np.ndarray, *, rms: float, scale_pixels: float, slope: float, envelope_sigma: float,
    rng: np.random.Generator, workers: int = 1,
) -> np.ndarray:
    """Noise with the uv-coverage's stripes and extra power on scales above ``scale_pixels``.

    Parameters
    ----------
    kernel : numpy.ndarray
        The instrument's noise-shaping kernel (:func:`~radio_unet.observe.noise.noise_shaping_kernel`).
    rms : float
        rms of the result (Jy/beam), envelope included.
    scale_pixels : float
        ``L`` in pixels: the spectrum is multiplied by ``(1 + (k L)^2)^(-slope/2)``.
    slope : float
        Steepness of the fall towards small scales.
    envelope_sigma : float
        rms of the log of a smooth positive envelope (correlation length a
        quarter of the image) that modulates the noise; 0 for none.
    rng : numpy.random.Generator
    workers : int
        FFT threads.

    Returns
    -------
    numpy.ndarray
        float32 image of ``kernel.shape``.
    """
    shape = kernel.shape
    amplitude = kernel * (1.0 + (_radial_frequency(shape) * scale_pixels) ** 2) ** (-slope / 4.0)
    z = rng.standard_normal((2,) + shape, dtype=np.float32)
    spec = (z[0] + 1j * z[1]).astype(np.complex64) * amplitude.astype(np.float32)
    field = scipy.fft.ifft2(spec, workers=workers, overwrite_x=True).real
    if envelope_sigma > 0:
        field *= np.sqrt(lognormal_field(shape, sigma=envelope_sigma, slope=-4.0, rng=rng, outer_scale=max(shape) / 4))
    std = float(field.std())
    return (field * (rms / std if std > 0 else 0.0)).astype(np.float32)


def facet_map(shape: tuple[int, int], n_facets: int, rng: np.random.Generator) -> np.ndarray:
    """Facet index of every pixel of a ``shape`` grid: Voronoi cells of ``n_facets`` random centres."""
    ny, nx = shape
    centres = rng.uniform(0, 1, size=(int(n_facets), 2)) * [ny, nx]
    yy, xx = np.mgrid[0:ny, 0:nx]
    d = (yy[None] - centres[:, 0, None, None]) ** 2 + (xx[None] - centres[:, 1, None, None]) ** 2
    return np.argmin(d, axis=0).astype(np.int16)


def _circular_convolve(canvas: np.ndarray, transfer: np.ndarray, out_shape: tuple[int, int], workers: int) -> np.ndarray:
    """``canvas`` (2 ny, 2 nx) circularly convolved with a (2 ny, 2 nx) transfer function, cropped to the field."""
    spec = scipy.fft.rfft2(canvas.astype(np.float32), workers=workers)
    spec *= transfer
    ny, nx = out_shape
    return scipy.fft.irfft2(spec, s=canvas.shape, workers=workers, overwrite_x=True)[:ny, :nx]


def _facet_patterns(sources: np.ndarray, n_facets: int, rng: np.random.Generator, *, draw_scale, draw_transfer,
                    workers: int) -> np.ndarray:
    """Sum over random facets of the facet's sources, scaled by ``draw_scale()``, convolved with ``draw_transfer()``.

    Each facet draws its scale first and, when the scale is positive and the facet holds sources, its transfer
    function; facets without either are skipped. float64 image of the field's shape.
    """
    ny, nx = sources.shape
    out = np.zeros((ny, nx), np.float64)
    facets = facet_map((ny, nx), n_facets, rng)
    for f in range(n_facets):
        scale = draw_scale()
        inside = np.where(facets == f, sources, 0.0)
        if scale <= 0 or not inside.any():
            continue
        canvas = np.zeros((2 * ny, 2 * nx), np.float32)
        canvas[:ny, :nx] = inside * scale
        out += _circular_convolve(canvas, draw_transfer(), (ny, nx), workers)
    return out


def _padding_position(shape: tuple[int, int], rng: np.random.Generator) -> tuple[int, int]:
    """A random pixel ``(y, x)`` of the doubled grid of a field of ``shape`` that lies outside the field."""
    ny, nx = shape
    while True:
        y, x = int(rng.integers(2 * ny)), int(rng.integers(2 * nx))
        if y >= ny or x >= nx:
            return y, x


def _drawn_spoke_transfer(artefacts: Artefacts, psf_transfer: np.ndarray, beam_transfer, beam_pixels: float,
                          rng: np.random.Generator) -> np.ndarray:
    """One source's or facet's spokes (:func:`spoke_transfer`), restored with the beam (``beam_transfer()``) with
    probability ``artefacts.spoke_smooth``, else with the dirty PSF's texture."""
    smooth = beam_transfer is not None and rng.random() < artefacts.spoke_smooth
    return spoke_transfer(beam_transfer() if smooth else psf_transfer, n_spokes=artefacts.n_spokes,
                          width_deg=artefacts.spoke_width_deg, beam_pixels=beam_pixels, rng=rng)


def dd_artefacts(
    sources: np.ndarray, *, psf_transfer: np.ndarray, bank: list[np.ndarray], artefacts: Artefacts, noise_rms: float,
    rng: np.random.Generator, workers: int = 1,
) -> np.ndarray:
    """Direction-dependent error patterns of in-field and out-of-field sources.

    Parameters
    ----------
    sources : numpy.ndarray
        Sky (Jy/pixel) of the components that get calibration errors
        (compact sources and radio galaxies), the field's shape.
    psf_transfer : numpy.ndarray
        Transfer function of the clean PSF (``rfft2`` of the 2x-size PSF).
    bank : list of numpy.ndarray
        Transfer functions of gain-corrupted PSFs (the same grid).
    artefacts : Artefacts
        Strength, facets and out-of-field sources.
    noise_rms : float
        Image noise (Jy/beam): the unit of ``artefacts.outside_rms``.
    rng : numpy.random.Generator
    workers : int
        FFT threads.

    Returns
    -------
    numpy.ndarray
        float32 image (Jy/beam) to add to the dirty image.
    """
    ny, nx = sources.shape
    out = np.zeros((ny, nx), np.float64)
    if not artefacts.any_dd or not bank:
        return out.astype(np.float32)
    def error(k: int) -> np.ndarray:  # the error pattern of realisation k, made only for the ones drawn
        return bank[k] - psf_transfer

    if artefacts.dd_strength > 0 and np.any(sources):
        out += _facet_patterns(sources, artefacts.n_facets, rng, workers=workers,
                               draw_scale=lambda: rng.uniform(0.0, artefacts.dd_strength),
                               draw_transfer=lambda: error(int(rng.integers(len(bank)))))
    if artefacts.n_outside > 0 and artefacts.outside_rms > 0 and noise_rms > 0:
        canvas = np.zeros((2 * ny, 2 * nx), np.float32)
        for _ in range(artefacts.n_outside):
            canvas[_padding_position((ny, nx), rng)] += float(np.exp(rng.uniform(0.0, math.log(10.0))))
        ripple = _circular_convolve(canvas, error(int(rng.integers(len(bank)))), (ny, nx), workers)
        std = float(ripple.std())
        if std > 0:
            out += ripple * (artefacts.outside_rms * noise_rms / std)
    return out.astype(np.float32)


def spoke_transfer(psf_transfer: np.ndarray, *, n_spokes: int, width_deg: float, beam_pixels: float,
                   rng: np.random.Generator) -> np.ndarray:
    """Transfer function of one facet's radial spokes, scaled so that a point source's brightest spoke pixel is 1.

    Parameters
    ----------
    psf_transfer : numpy.ndarray
        ``rfft2`` of the PSF on the doubled grid (2 ny, 2 nx), shifted to the origin.
    n_spokes : int
        Number of uv directions with errors (each a line of spokes through the source).
    width_deg : float
        Angular sigma of each direction's lobe in the uv-plane.
    beam_pixels : float
        Beam FWHM in pixels: the spokes' level is measured beyond two beams.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        complex64, the shape of ``psf_transfer``: the PSF's transfer function
        times the angular error pattern, its angular mean removed (the
        source's own flux is unchanged).
    """
    n2y = psf_transfer.shape[0]
    n2x = 2 * (psf_transfer.shape[1] - 1)
    theta = np.arctan2(np.fft.fftfreq(n2y)[:, None], np.fft.rfftfreq(n2x)[None, :])
    error = np.zeros(theta.shape, np.complex64)
    width = math.radians(width_deg)
    for _ in range(int(n_spokes)):
        direction = rng.uniform(-math.pi / 2, math.pi / 2)
        amplitude = complex(rng.standard_normal(), rng.standard_normal())
        offset = (theta - direction + math.pi / 2) % math.pi - math.pi / 2  # a line through the origin: modulo pi
        error += np.complex64(amplitude) * np.exp(-0.5 * (offset / width) ** 2).astype(np.float32)
    error -= error.mean()
    transfer = psf_transfer * error
    pattern = scipy.fft.irfft2(transfer, s=(n2y, n2x))  # a unit point source at the origin of the circular grid
    distance = np.hypot(np.fft.fftfreq(n2y, 1.0 / n2y)[:, None], np.fft.fftfreq(n2x, 1.0 / n2x)[None, :])
    peak = float(np.abs(pattern[distance > 2.0 * beam_pixels]).max())
    return (transfer / peak if peak > 0 else transfer * 0).astype(np.complex64)


def spoke_artefacts(
    sources: np.ndarray, *, psf_transfer: np.ndarray, artefacts: Artefacts, beam_pixels: float,
    rng: np.random.Generator, beam_transfer=None, workers: int = 1,
) -> np.ndarray:
    """Radial spokes through the sources of each facet (:func:`spoke_transfer`), scaled per facet.

    Parameters
    ----------
    sources : numpy.ndarray
        Sky (Jy/pixel) of the components that get calibration errors
        (compact sources and radio galaxies), the field's shape.
    psf_transfer : numpy.ndarray
        Transfer function of the clean PSF (``rfft2`` of the 2x-size PSF).
    artefacts : Artefacts
        ``spoke_level``, ``n_spokes``, ``spoke_width_deg`` and the facets.
    beam_pixels : float
        Beam FWHM in pixels.
    rng : numpy.random.Generator
    beam_transfer : callable, optional
        Returns the restoring beam's transfer function (the grid of
        ``psf_transfer``); called when a facet's spokes are smooth
        (``artefacts.spoke_smooth``), so it should cache. Without it every
        facet uses the PSF.
    workers : int
        FFT threads.

    Returns
    -------
    numpy.ndarray
        float32 image (Jy/beam) to add to the dirty image.
    """
    if artefacts.spoke_level <= 0 or not np.any(sources):
        return np.zeros(sources.shape, np.float32)

    def transfer() -> np.ndarray:
        return _drawn_spoke_transfer(artefacts, psf_transfer, beam_transfer, beam_pixels, rng)

    return _facet_patterns(sources, artefacts.n_facets, rng, workers=workers, draw_transfer=transfer,
                           draw_scale=lambda: artefacts.spoke_level * rng.uniform(0.0, 1.0)).astype(np.float32)


def outside_spoke_artefacts(
    shape: tuple[int, int], *, psf_transfer: np.ndarray, artefacts: Artefacts, noise_rms: float, beam_pixels: float,
    rng: np.random.Generator, beam_transfer=None, workers: int = 1,
) -> np.ndarray:
    """Spokes of sources outside the field (:func:`spoke_transfer`) that cross it without their source.

    Each of ``artefacts.n_spoke_outside`` sources sits at a random pixel of
    the padding of the doubled grid (up to one field size from the edge) with
    its own spoke directions (``n_spokes``, ``spoke_width_deg``; restored
    with the beam with probability ``spoke_smooth``); their sum is scaled so
    that its brightest pixel in the field is ``spoke_outside_sigma`` times
    ``noise_rms``. The sources' own flux stays outside.

    Parameters
    ----------
    shape : (int, int)
        The field's shape.
    psf_transfer : numpy.ndarray
        Transfer function of the clean PSF (``rfft2`` of the 2x-size PSF).
    artefacts : Artefacts
    noise_rms : float
        Image noise (Jy/beam): the unit of ``artefacts.spoke_outside_sigma``.
    beam_pixels : float
        Beam FWHM in pixels.
    rng : numpy.random.Generator
    beam_transfer : callable, optional
        Returns the restoring beam's transfer function (see :func:`spoke_artefacts`).
    workers : int
        FFT threads.

    Returns
    -------
    numpy.ndarray
        float32 image (Jy/beam) to add to the dirty image; zeros when none
        are asked for or no spoke reaches the field.
    """
    ny, nx = shape
    out = np.zeros((ny, nx), np.float64)
    if artefacts.spoke_outside_sigma <= 0 or noise_rms <= 0:
        return out.astype(np.float32)
    for _ in range(artefacts.n_spoke_outside):
        canvas = np.zeros((2 * ny, 2 * nx), np.float32)
        canvas[_padding_position((ny, nx), rng)] = 1.0
        transfer = _drawn_spoke_transfer(artefacts, psf_transfer, beam_transfer, beam_pixels, rng)
        out += _circular_convolve(canvas, transfer, (ny, nx), workers)
    peak = float(np.abs(out).max())
    if peak <= 0:
        return np.zeros((ny, nx), np.float32)
    return (out * (artefacts.spoke_outside_sigma * noise_rms / peak)).astype(np.float32)
