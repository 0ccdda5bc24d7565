"""Residual calibration errors: smooth per-station gain amplitude and phase drifts.

Each station gets a stationary, smooth random walk in log-amplitude and in
phase: white Gaussian noise filtered with a Gaussian of width
``timescale_s`` (so it wanders on that time scale), scaled to the requested
rms. With ``ionospheric=True`` the phase scales as ``nu_ref / nu`` (a
differential-TEC-like error), otherwise it is the same in every channel.
The observed visibility of baseline ``(p, q)`` is ``g_p conj(g_q) V``; the
imager does not know the errors, so bright sources get the usual
calibration artefacts (stripes and rings around them).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage

from ..errors import RadioUNetError

__all__ = ["GainErrors", "draw_gains", "apply_gains", "baseline_gains"]


@dataclass(frozen=True)
class GainErrors:
    """Antenna-based gain errors of a mock observation.

    Parameters
    ----------
    phase_rms_deg : float
        rms phase error per station (degrees, at ``ref_freq_hz``).
    amplitude_rms : float
        rms of the natural log of the gain amplitude (0.05 is about 5%).
    timescale_s : float
        Correlation time of the drifts (seconds).
    ionospheric : bool
        Scale phases with ``ref_freq_hz / freq``.
    ref_freq_hz : float
        Reference frequency of ``phase_rms_deg``.
    n_realisations : int
        Image route only: the number of gain-corrupted PSFs made once per
        setup (each costs one imaging of the uv-coverage and a PSF-sized
        array of memory); every image uses one of them, drawn from the
        ``rng`` given to :func:`~radio_unet.observe.observe`.
    bank_seed : int
        Image route only: seed of the generator that draws the gains of
        that bank, so the cached bank is the same whatever was observed
        before.
    """

    phase_rms_deg: float = 2.0
    amplitude_rms: float = 0.02
    timescale_s: float = 1800.0
    ionospheric: bool = True
    ref_freq_hz: float = 150e6
    n_realisations: int = 4
    bank_seed: int = 0

    def __post_init__(self):
        for name in ("phase_rms_deg", "amplitude_rms", "timescale_s", "ref_freq_hz"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise RadioUNetError(f"GainErrors.{name} must be a finite number >= 0, got {value!r}")
        if self.ref_freq_hz <= 0:
            raise RadioUNetError("GainErrors.ref_freq_hz must be positive")
        if not isinstance(self.n_realisations, int) or self.n_realisations < 1:
            raise RadioUNetError(f"GainErrors.n_realisations must be an integer >= 1, got {self.n_realisations!r}")
        if not isinstance(self.bank_seed, int):
            raise RadioUNetError("GainErrors.bank_seed must be an integer")

    def to_dict(self) -> dict:
        """JSON-serialisable dictionary of the parameters."""
        return asdict(self)


def _smooth_walk(rng: np.random.Generator, n_times: int, n_stations: int, *, sigma_steps: float) -> np.ndarray:
    """Unit-variance stationary Gaussian processes, correlated over ``sigma_steps`` samples."""
    if sigma_steps < 0.5:
        return rng.standard_normal((n_times, n_stations))
    pad = int(math.ceil(4 * sigma_steps))
    white = rng.standard_normal((n_times + 2 * pad, n_stations))
    smooth = ndimage.gaussian_filter1d(white, sigma_steps, axis=0, mode="constant", truncate=4.0)[pad : pad + n_times]
    # variance of white noise filtered by a unit-sum Gaussian of width s: 1 / (2 sqrt(pi) s)
    return smooth * math.sqrt(2.0 * math.sqrt(math.pi) * sigma_steps)


def draw_gains(
    errors: GainErrors,
    *,
    n_stations: int,
    n_times: int,
    time_step_s: float,
    freqs_hz: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Complex station gains ``(n_times, n_stations, n_chan)`` (complex64).

    Parameters
    ----------
    errors : GainErrors
        Error model.
    n_stations, n_times : int
        Array and track size.
    time_step_s : float
        Integration time.
    freqs_hz : numpy.ndarray
        Channel frequencies.
    rng : numpy.random.Generator
        Source of the random numbers.
    """
    s = errors.timescale_s / time_step_s
    phase = _smooth_walk(rng, n_times, n_stations, sigma_steps=s) * math.radians(errors.phase_rms_deg)
    logamp = _smooth_walk(rng, n_times, n_stations, sigma_steps=s) * errors.amplitude_rms
    freqs = np.asarray(freqs_hz, dtype=np.float64)
    scale = errors.ref_freq_hz / freqs if errors.ionospheric else np.ones_like(freqs)
    g = np.exp(logamp[:, :, None] + 1j * phase[:, :, None] * scale[None, None, :])
    return g.astype(np.complex64)


def baseline_gains(gains: np.ndarray, *, ant1: np.ndarray, ant2: np.ndarray, time_index: np.ndarray) -> np.ndarray:
    """``g_p conj(g_q)`` of every row, ``(nrow, nchan)`` complex64."""
    return gains[time_index, ant1] * np.conj(gains[time_index, ant2])


def apply_gains(vis: np.ndarray, gains: np.ndarray, *, ant1: np.ndarray, ant2: np.ndarray, time_index: np.ndarray) -> np.ndarray:
    """Multiply visibilities ``(nrow, nchan)`` in place by ``g_p conj(g_q)``; returns ``vis``."""
    vis *= baseline_gains(gains, ant1=ant1, ant2=ant2, time_index=time_index)
    return vis
