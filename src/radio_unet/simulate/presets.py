"""Survey presets for synthetic observations.

A preset fixes the image grid and the ranges from which each image of a data
set draws its observing conditions (beam, noise, artefacts) so that the
network sees the spread of real surveys.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import RadioUNetError

__all__ = ["Preset", "PRESETS", "get_preset", "REALISM_SKY", "REALISM_ARTEFACTS"]


@dataclass(frozen=True)
class Preset:
    """Grid and observing conditions of a family of synthetic images.

    Parameters
    ----------
    name : str
    npix : int
        Square image size in pixels.
    pixel_scale_arcsec : float
    beams_arcsec : tuple of float
        Restoring-beam FWHMs (arcsec) an image may be given; each is one cached
        instrument set-up (robust weighting tuned once per beam).
    noise_rms_jy_beam : (float, float)
        Range of the image noise (Jy/beam), drawn log-uniformly per image.
    dec_deg : (float, float)
        Range of field declinations (deg); the uv-coverage uses the preset's
        ``track_dec_deg``.
    track_dec_deg : float
        Declination of the simulated LOFAR track.
    hours : float
        Length of the track.
    freqs_hz : tuple of float
        Channel frequencies of the track.
    gain_phase_deg : (float, float)
        Range of antenna phase-error rms (deg) for artefacts on bright sources
        (visibility route; 0 switches them off).
    taper_arcsec : float or None
        Gaussian uv-taper (arcsec); ``None`` with a fixed ``robust`` lets the
        instrument tune the taper to reach the beam.
    robust : float or None
        Briggs robust; ``None`` tunes robust to reach the beam.
    description : str
    sky : dict
        :class:`~radio_unet.sky.SkyConfig` overrides.
    artefacts : dict
        :class:`~radio_unet.observe.ArtefactRanges` settings (correlated
        residual noise, direction-dependent errors, out-of-field sources);
        empty for none.
    background : str or None
        Real images to observe the sky models into (``radio-unet simulate
        --background``): a FITS file, a folder of them or a glob pattern.
        Each image is a random cut-out of one of them (blank fields or
        residual maps at the preset's pixel scale) plus the sky observed
        without noise or artefacts: the real image brings its own.
    """

    name: str
    npix: int
    pixel_scale_arcsec: float
    beams_arcsec: tuple[float, ...]
    noise_rms_jy_beam: tuple[float, float]
    dec_deg: tuple[float, float] = (40.0, 65.0)
    track_dec_deg: float = 50.0
    hours: float = 8.0
    freqs_hz: tuple[float, ...] = (120e6, 136e6, 152e6, 168e6)
    gain_phase_deg: tuple[float, float] = (0.0, 5.0)
    taper_arcsec: float | None = None
    robust: float | None = None
    description: str = ""
    sky: dict = field(default_factory=dict, hash=False, compare=False)
    artefacts: dict = field(default_factory=dict, hash=False, compare=False)
    background: str | None = None

    def with_overrides(self, **changes) -> "Preset":
        """A copy with some fields replaced (e.g. a smaller ``npix`` for tests)."""
        unknown = set(changes) - set(self.__dataclass_fields__)
        if unknown:
            raise RadioUNetError(f"unknown preset field(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)

    def validate(self) -> "Preset":
        """Raise :class:`RadioUNetError` for impossible values; return ``self``."""
        if self.npix < 32:
            raise RadioUNetError(f"preset {self.name}: npix must be at least 32, got {self.npix}")
        if self.pixel_scale_arcsec <= 0:
            raise RadioUNetError(f"preset {self.name}: pixel scale must be positive")
        if not self.beams_arcsec or min(self.beams_arcsec) < 2 * self.pixel_scale_arcsec:
            raise RadioUNetError(
                f"preset {self.name}: beams {self.beams_arcsec} must be at least 2 pixels ({2 * self.pixel_scale_arcsec}\")"
            )
        lo, hi = self.noise_rms_jy_beam
        if not 0 < lo <= hi:
            raise RadioUNetError(f"preset {self.name}: noise range must satisfy 0 < low <= high, got {self.noise_rms_jy_beam}")
        return self


#: What every survey preset adds to the thermal noise: the faint confusion population and the artefact ranges of
#: :class:`~radio_unet.observe.ArtefactRanges` (its defaults).
REALISM_SKY = {"confusion": True}
REALISM_ARTEFACTS = {"p_excess": 0.85}

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            name="lotss-6as",
            npix=2000,
            pixel_scale_arcsec=2.0,
            beams_arcsec=(6.0,),
            noise_rms_jy_beam=(50e-6, 150e-6),
            description="The paper's set-up: LoTSS 6\" resolution, 2000x2000 at 2\"/px",
            sky=REALISM_SKY,
            artefacts=REALISM_ARTEFACTS,
        ),
        Preset(
            name="lotss-20as",
            npix=960,
            pixel_scale_arcsec=4.5,
            beams_arcsec=(20.0,),
            noise_rms_jy_beam=(70e-6, 150e-6),
            robust=-0.5,
            description="LoTSS low-resolution cluster images: 960x960 at 4.5\"/px, 20\" beam, rms ~100 uJy/beam",
            sky=REALISM_SKY,
            artefacts=REALISM_ARTEFACTS,
        ),
        Preset(
            name="lotss-6as-512",
            npix=512,
            pixel_scale_arcsec=2.0,
            beams_arcsec=(6.0,),
            noise_rms_jy_beam=(50e-6, 150e-6),
            description="lotss-6as on a 512x512 grid (clusters at z >= 0.1 so that halos fit): many small training fields quickly",
            sky={"z_range": (0.1, 0.6), **REALISM_SKY},
            artefacts=REALISM_ARTEFACTS,
        ),
    )
}


def get_preset(name: str) -> Preset:
    """Look up a preset by name, with a clear error listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise RadioUNetError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None
