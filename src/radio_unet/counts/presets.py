"""Survey presets of the counts estimator: field grid, nuisance ranges, flux bins and priors.

A field is a small square image (``npix`` pixels) cut into ``tile``-pixel
tiles. Each field draws its own count parameters theta from the family's
prior and its own beam, noise level and pixel scale (the nuisance
parameters) from the ranges here. The bins are fixed in Jy per preset; with
the preset's noise range they reach from about 0.15 sigma to above 10 sigma.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import ConfigBase
from ..errors import RadioUNetError
from .families import FAMILIES, ReferenceCounts

__all__ = ["CountsPreset", "COUNTS_PRESETS", "get_counts_preset", "draw_theta", "draw_nuisance", "theta_names"]


@dataclass(frozen=True)
class CountsPreset(ConfigBase):
    """Everything that defines a family of simulated fields for the counts estimator.

    Parameters
    ----------
    name : str
    freq_hz : float
        Observing frequency; the counts are defined there.
    npix : int
        Square field size (pixels).
    tile : int
        Tile size (pixels); ``npix`` must be a multiple.
    pixel_scale_arcsec : (float, float)
        Range of the pixel size, drawn uniformly per field.
    beam_arcsec : (float, float)
        Range of the beam major axis FWHM, drawn uniformly per field.
    beam_axis_ratio : (float, float)
        Range of the minor / major axis ratio of the beam, drawn uniformly per
        field (0.6-1: CLEAN's fitted beams of LOFAR tracks reach 0.7).
    noise_jy_beam : (float, float)
        Range of the noise rms (Jy/beam), drawn log-uniformly per field.
    log_edges : tuple of float
        ``log10`` of the flux-bin edges (Jy).
    s_min_factor : float
        Sources are drawn down to ``s_min_factor`` times the lowest noise of
        the range (the issue asks for 1/100).
    s_max : float
        Brightest source (Jy).
    talk_log_s0 : (float, float)
        Prior of ``log10 s0`` (Jy) of the talk family (uniform).
    talk_alpha : (float, float)
        Prior of ``alpha`` (uniform).
    knot_log_s : tuple of float
        Knot positions (``log10`` Jy) of the knots family.
    knot_halfwidth : tuple of float
        Half-width (dex) of the uniform prior of each knot around the
        reference counts.
    observe_preset : str
        Preset of :mod:`radio_unet.simulate.presets` whose array, track and
        band the ``observe`` route uses.
    description : str
    """

    name: str
    freq_hz: float
    npix: int
    tile: int
    pixel_scale_arcsec: tuple
    beam_arcsec: tuple
    noise_jy_beam: tuple
    log_edges: tuple
    s_min_factor: float
    s_max: float
    talk_log_s0: tuple
    talk_alpha: tuple
    knot_log_s: tuple
    knot_halfwidth: tuple
    observe_preset: str
    beam_axis_ratio: tuple = (0.6, 1.0)
    description: str = ""

    label = "counts preset"
    named = True

    def __post_init__(self):
        self.lists_to_tuples()
        self.check_pair("beam_axis_ratio", positive=True, hi=1.0)
        if self.npix % self.tile or self.npix < self.tile:
            raise RadioUNetError(f"counts preset {self.name}: npix {self.npix} must be a multiple of the tile {self.tile}")
        if len(self.knot_log_s) != len(self.knot_halfwidth):
            raise RadioUNetError(f"counts preset {self.name}: one prior width per knot")

    @property
    def edges(self) -> np.ndarray:
        """Bin edges (Jy)."""
        return 10.0 ** np.asarray(self.log_edges, dtype=float)

    @property
    def s_mid(self) -> np.ndarray:
        """Geometric bin centres (Jy)."""
        e = self.edges
        return np.sqrt(e[1:] * e[:-1])

    @property
    def n_bins(self) -> int:
        """Number of flux bins."""
        return len(self.log_edges) - 1

    @property
    def s_min(self) -> float:
        """Faintest simulated source (Jy)."""
        return self.s_min_factor * self.noise_jy_beam[0]

    @property
    def reference(self) -> ReferenceCounts:
        """The reference counts n0 at the preset's frequency."""
        return ReferenceCounts(self.freq_hz)

    def knot_reference(self) -> np.ndarray:
        """``log10(S**2.5 n0)`` at the knots: the centre of the knots prior."""
        s = 10.0 ** np.asarray(self.knot_log_s, dtype=float)
        return np.log10(self.reference.dnds(s) * s**2.5)


COUNTS_PRESETS: dict[str, CountsPreset] = {
    p.name: p
    for p in (
        CountsPreset(
            name="lotss-6as-like",
            freq_hz=144e6,
            npix=128,
            tile=32,
            pixel_scale_arcsec=(1.5, 2.0),
            beam_arcsec=(5.5, 6.6),
            noise_jy_beam=(60e-6, 140e-6),
            log_edges=(-5.0, -4.5, -4.0, -3.5, -3.0, -2.5),
            s_min_factor=0.01,
            s_max=1.0,
            talk_log_s0=(-5.5, -3.7),
            talk_alpha=(-0.6, 0.6),
            knot_log_s=(-5.5, -4.75, -4.25, -3.75, -3.25, -2.75),
            knot_halfwidth=(1.1, 0.9, 0.7, 0.5, 0.4, 0.4),
            observe_preset="lotss-6as",
            description="LoTSS-like 144 MHz, 6\" beam (5.5-6.6\"), 60-140 uJy/beam, 1.5-2\"/px; 128x128 fields, "
                        "32 px tiles; bins 10 uJy - 3.2 mJy",
        ),
        CountsPreset(
            name="askap-emu-like",
            freq_hz=944e6,
            npix=128,
            tile=32,
            pixel_scale_arcsec=(4.0, 5.0),
            beam_arcsec=(13.5, 16.5),
            noise_jy_beam=(22e-6, 33e-6),
            log_edges=(-5.5, -5.0, -4.5, -4.0, -3.5, -3.0),
            s_min_factor=0.01,
            s_max=1.0,
            talk_log_s0=(-6.0, -4.2),
            talk_alpha=(-0.6, 0.6),
            knot_log_s=(-6.0, -5.25, -4.75, -4.25, -3.75, -3.25),
            knot_halfwidth=(1.1, 0.9, 0.7, 0.5, 0.4, 0.4),
            observe_preset="askap-emu",
            description="EMU-like ASKAP 944 MHz, 15\" beam (13.5-16.5\"), 22-33 uJy/beam, 4-5\"/px; 128x128 fields, "
                        "32 px tiles; bins 3.2 uJy - 1 mJy",
        ),
    )
}


def get_counts_preset(name: str) -> CountsPreset:
    """Look up a counts preset by name, with a clear error listing the known ones."""
    try:
        return COUNTS_PRESETS[name]
    except KeyError:
        raise RadioUNetError(f"unknown counts preset {name!r}; choose one of: {', '.join(COUNTS_PRESETS)}") from None


def theta_names(preset: CountsPreset, family: str) -> list[str]:
    """Names of the entries of theta for ``family``."""
    if family == "talk":
        return ["log10_s0", "alpha"]
    if family == "knots":
        return [f"log10_e_knot{i}" for i in range(len(preset.knot_log_s))]
    raise RadioUNetError(f"unknown count family {family!r}; use one of {', '.join(FAMILIES)}")


def draw_theta(preset: CountsPreset, family: str, rng: np.random.Generator) -> np.ndarray:
    """Draw one field's count parameters from the family's prior.

    Parameters
    ----------
    preset : CountsPreset
    family : {"talk", "knots"}
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        ``talk``: ``(log10 s0, alpha)``; ``knots``: ``log10(S**2.5 dN/dS)``
        at the knots, each uniform within ``knot_halfwidth`` of the
        reference counts.
    """
    if family == "talk":
        return np.array([rng.uniform(*preset.talk_log_s0), rng.uniform(*preset.talk_alpha)])
    if family == "knots":
        w = np.asarray(preset.knot_halfwidth, dtype=float)
        return preset.knot_reference() + rng.uniform(-w, w)
    raise RadioUNetError(f"unknown count family {family!r}; use one of {', '.join(FAMILIES)}")


def draw_nuisance(preset: CountsPreset, rng: np.random.Generator) -> dict:
    """Draw one field's beam, noise, pixel scale and noise texture.

    Returns
    -------
    dict
        ``pixel_scale_arcsec``, ``beam_major_arcsec``, ``beam_minor_arcsec``,
        ``beam_angle_deg`` (counter-clockwise from +x), ``noise_jy_beam``,
        ``noise_power`` (1: noise correlated like the beam, 2: like the beam
        convolved with itself), ``excess_fraction`` (share of the noise
        variance on scales of several beams) and ``excess_scale_beams``.
    """
    major = rng.uniform(*preset.beam_arcsec)
    lo, hi = np.log(preset.noise_jy_beam[0]), np.log(preset.noise_jy_beam[1])
    return {
        "pixel_scale_arcsec": float(rng.uniform(*preset.pixel_scale_arcsec)),
        "beam_major_arcsec": float(major),
        "beam_minor_arcsec": float(major * rng.uniform(*preset.beam_axis_ratio)),
        "beam_angle_deg": float(rng.uniform(0.0, 180.0)),
        "noise_jy_beam": float(np.exp(rng.uniform(lo, hi))),
        "noise_power": float(rng.uniform(1.0, 2.0)),
        "excess_fraction": float(rng.uniform(0.0, 0.2)),
        "excess_scale_beams": float(rng.uniform(2.0, 6.0)),
    }
