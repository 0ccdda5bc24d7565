"""Survey presets for synthetic observations.

A preset fixes the image grid and the ranges from which each image of a data
set draws its observing conditions (beam, noise, artefacts) so that the
network sees the spread of real surveys: LOFAR HBA (``lotss-*``), and
MeerKAT, the VLA, ASKAP and the MWA observing skies moved to their bands
(``meerkat-l``, ``vla-l``, ``first``, ``askap-emu``, ``mwa``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import ConfigBase
from ..errors import RadioUNetError
from ..sky.config import SkyConfig

__all__ = ["Preset", "PRESETS", "get_preset", "band_sky", "REALISM_SKY", "REALISM_ARTEFACTS", "REALISM_MASK_SIGMA",
           "REALISM_SOURCE_SIGMA"]


@dataclass(frozen=True)
class Preset(ConfigBase):
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
        Declination of the simulated track.
    hours : float
        Length of the track.
    freqs_hz : tuple of float
        Channel frequencies of the track (within the array's band).
    stations : str
        Station set that observes (:data:`radio_unet.observe.array.STATION_PRESETS`):
        ``"core+remote"`` (LOFAR HBA), ``"meerkat"``, ``"vla-b"``,
        ``"vla-c"``, ``"vla-d"``, ``"askap"`` or ``"mwa"``.
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
    mask_sigma : float or None
        Reference masks and labels of what the image can show
        (:func:`radio_unet.simulate.truth.observed_truth`): classes brighter
        than ``mask_sigma`` times the image noise after beam convolution;
        ``None``: the paper's masks (the diffuse sky above
        ``sky["mask_threshold"]``, 1e-8 Jy/pixel, far below the noise).
    source_sigma : float or None
        With ``mask_sigma``: radio galaxies and compact sources are labelled
        only above ``source_sigma`` times the noise (what could be seen as a
        source); ``None``: at ``mask_sigma`` like the diffuse classes.
    background : str or None
        Real images to observe the sky models into (``radio-unet simulate
        --background``): a FITS file, a folder of them or a glob pattern.
        Each image is a random cut-out of one of them (blank fields or
        residual maps at the preset's pixel scale) plus the sky observed
        without noise or artefacts: the real image brings its own.
    clean : dict
        :class:`~radio_unet.observe.CleanConfig` settings of the image's
        CLEAN (and of the observed truth's); empty for the defaults.
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
    stations: str = "core+remote"
    gain_phase_deg: tuple[float, float] = (0.0, 5.0)
    taper_arcsec: float | None = None
    robust: float | None = None
    description: str = ""
    sky: dict = field(default_factory=dict, hash=False, compare=False)
    artefacts: dict = field(default_factory=dict, hash=False, compare=False)
    mask_sigma: float | None = None
    source_sigma: float | None = None
    background: str | None = None
    clean: dict = field(default_factory=dict, hash=False, compare=False)

    label = "preset"
    named = True

    def clean_config(self):
        """The :class:`~radio_unet.observe.CleanConfig` of the preset's images."""
        from ..observe import CleanConfig  # scipy.optimize, scipy.sparse (~0.4 s): only to observe

        return CleanConfig(**self.clean)

    def validate(self) -> "Preset":
        """Raise :class:`RadioUNetError` for impossible values; return ``self``."""
        self.check_number("npix", integer=True, lo=32)
        self.check_number("pixel_scale_arcsec", positive=True)
        if not self.beams_arcsec or min(self.beams_arcsec) < 2 * self.pixel_scale_arcsec:
            raise RadioUNetError(
                f"preset {self.name}: beams {self.beams_arcsec} must be at least 2 pixels ({2 * self.pixel_scale_arcsec}\")"
            )
        self.check_number("mask_sigma", positive=True, optional=True)
        self.check_number("source_sigma", positive=True, optional=True)
        self.check_pair("noise_rms_jy_beam", positive=True)
        from ..observe import CleanConfig  # scipy.optimize, scipy.sparse (~0.4 s): only to observe

        # every CleanConfig field but the noise, which each image's own CLEAN measures
        if "sigma" in self.clean:
            raise RadioUNetError(f"preset {self.name}: CLEAN's sigma is not a preset setting (each image's CLEAN "
                                 "measures its own noise)")
        CleanConfig.check_keys(self.clean)
        self.clean_config()  # its own checks, with clear messages
        return self


#: What every survey preset adds to the thermal noise: the faint confusion population and the artefact ranges of
#: :class:`~radio_unet.observe.ArtefactRanges` (its defaults).
#: Fields without clusters are in the mix (25%: what blank sky looks like), and the diffuse powers span the population
#: that surveys detect (LoTSS-DR2 halos 1e24-1e26 W/Hz at 150 MHz; Botteon et al. 2022) with a faint tail, so that
#: the observed truth (REALISM_MASK_SIGMA) holds emission from below to far above the noise.
REALISM_SKY = {"confusion": True, "n_clusters": (0, 3), "halo_power_range": (5e23, 2e26),
               "relic_power_range": (5e23, 1e26), "minihalo_power_range": (3e23, 1e25),
               "bridge_power_range": (1e24, 3e25)}
REALISM_ARTEFACTS = {"p_excess": 0.85}
#: Reference masks of the survey presets: emission above a quarter of the noise after beam convolution (the truth of
#: the injection benchmark), see :mod:`radio_unet.simulate.truth`.
REALISM_MASK_SIGMA = 0.25
#: ... and sources (radio galaxies, compact sources) labelled where they are brighter than twice the noise: below that
#: a source is a noise peak to any observer, and labels there taught the network to call faint halos "compact source".
REALISM_SOURCE_SIGMA = 2.0


def _sky_default(name: str):
    return SkyConfig.__dataclass_fields__[name].default


def band_sky(freq_hz: float, *, alpha: float = -0.7, filament_alpha: float = -1.4, **overrides) -> dict:
    """:data:`REALISM_SKY` moved from 144 MHz (the LoTSS sky of the defaults) to ``freq_hz``.

    Halos, mini-halos, relics, bridges and radio galaxies need nothing: their powers are quoted at
    ``ref_freq_hz`` (150 MHz) and every one is scaled to ``freq_hz`` with its own spectral index
    (:func:`radio_unet.cosmology.flux_from_power`), and the compact-source counts (154 MHz) are moved with
    ``compact_alpha``. What is given in Jy at the sky frequency is scaled here by ``r = (freq_hz / 144 MHz)**alpha``
    (0.2 at 1.4 GHz): the compact-source and confusion flux limits and the accepted radio-galaxy fluxes; the
    confusion counts at the compact limit, ``S^2.5 dN/dS``, by ``r**1.5`` (the same sources, fainter); and the
    cosmic-web filaments, a fixed surface brightness in the sky model, by ``(freq_hz / 144 MHz)**filament_alpha``
    (steep, like bridges).

    Parameters
    ----------
    freq_hz : float
        Observing frequency of the sky model.
    alpha : float
        Spectral index of the compact, confusion and radio-galaxy populations.
    filament_alpha : float
        Spectral index of the cosmic-web filaments.
    **overrides
        Further :class:`~radio_unet.sky.SkyConfig` settings; they win.

    Returns
    -------
    dict
        ``sky`` settings of a :class:`Preset`.
    """
    r = (freq_hz / 144e6) ** alpha
    f = (freq_hz / 144e6) ** filament_alpha
    scaled = lambda name, k: tuple(v * k for v in _sky_default(name))  # noqa: E731
    sky = {
        **REALISM_SKY,
        "freq_hz": float(freq_hz),
        "compact_s_min": _sky_default("compact_s_min") * r,
        "compact_s_max": _sky_default("compact_s_max") * r,
        "confusion_s_min": _sky_default("confusion_s_min") * r,
        "confusion_norm_range": scaled("confusion_norm_range", r**1.5),
        "rg_flux_range": scaled("rg_flux_range", r),
        "filament_peak_jy_arcsec2_range": scaled("filament_peak_jy_arcsec2_range", f),
    }
    sky.update(overrides)
    return sky

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
            mask_sigma=REALISM_MASK_SIGMA,
            source_sigma=REALISM_SOURCE_SIGMA,
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
            mask_sigma=REALISM_MASK_SIGMA,
            source_sigma=REALISM_SOURCE_SIGMA,
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
            mask_sigma=REALISM_MASK_SIGMA,
            source_sigma=REALISM_SOURCE_SIGMA,
        ),
        # Other arrays: 512x512 training fields (the size of lotss-6as-512 and of the shipped model's training tiles;
        # each instrument is prepared in seconds) at about a third of the beam per pixel, as LoTSS's 2"/px at 6";
        # tracks through the zenith of each site, the sky moved to the band (band_sky) and the clusters' redshifts
        # chosen so that a halo (~1 Mpc) fits the field.
        Preset(
            name="meerkat-l",
            npix=512,
            pixel_scale_arcsec=2.3,
            beams_arcsec=(7.0,),
            noise_rms_jy_beam=(2.5e-6, 6e-6),
            dec_deg=(-60.0, -10.0),
            track_dec_deg=-30.0,
            hours=8.0,
            freqs_hz=(0.96e9, 1.12e9, 1.28e9, 1.44e9, 1.60e9),
            stations="meerkat",
            description="MeerKAT L band like the MeerKAT Galaxy Cluster Legacy Survey: 64 dishes, 1.28 GHz, 7\" beam, "
                        "a few uJy/beam; 512x512 at 2.3\"/px (20')",
            sky=band_sky(1.28e9, z_range=(0.1, 0.6)),
            artefacts=REALISM_ARTEFACTS,
            mask_sigma=REALISM_MASK_SIGMA,
            source_sigma=REALISM_SOURCE_SIGMA,
        ),
        Preset(
            name="vla-l",
            npix=512,
            pixel_scale_arcsec=4.5,
            beams_arcsec=(13.0, 15.0),
            noise_rms_jy_beam=(15e-6, 50e-6),
            dec_deg=(0.0, 60.0),
            track_dec_deg=30.0,
            hours=6.0,
            freqs_hz=(1.1e9, 1.3e9, 1.5e9, 1.7e9, 1.9e9),
            stations="vla-c",
            description="VLA L band (1-2 GHz) in the C configuration, deeper than NVSS: 13-15\" beam, 15-50 uJy/beam; "
                        "512x512 at 4.5\"/px (38')",
            sky=band_sky(1.5e9, z_range=(0.05, 0.6)),
            artefacts=REALISM_ARTEFACTS,
            mask_sigma=REALISM_MASK_SIGMA,
            source_sigma=REALISM_SOURCE_SIGMA,
        ),
        Preset(
            name="first",
            npix=512,
            pixel_scale_arcsec=1.8,
            beams_arcsec=(5.4,),
            noise_rms_jy_beam=(100e-6, 200e-6),
            dec_deg=(-10.0, 60.0),
            track_dec_deg=30.0,
            hours=0.05,
            freqs_hz=(1.365e9, 1.435e9),
            stations="vla-b",
            # a 3-minute snapshot's dirty beam has sidelobes of 37% across the field: minor cycles with the default
            # PSF patch (+-128 px) leave the far sidelobes unsubtracted and CLEAN diverges (a 30 mJy source: model
            # -0.06 Jy, rms growing every major cycle); the whole PSF, as WSClean uses, converges in 7 major cycles
            clean={"psf_patch": 511},
            description="VLA FIRST-like snapshots: B configuration, 3 minutes at 1.365 and 1.435 GHz, 5.4\" beam, "
                        "~150 uJy/beam with the striped noise of a sparse uv-coverage; 512x512 at 1.8\"/px (15')",
            sky=band_sky(1.4e9, z_range=(0.1, 0.6)),
            artefacts=REALISM_ARTEFACTS,
            mask_sigma=REALISM_MASK_SIGMA,
            source_sigma=REALISM_SOURCE_SIGMA,
        ),
        Preset(
            name="askap-emu",
            npix=512,
            pixel_scale_arcsec=5.0,
            beams_arcsec=(15.0,),
            noise_rms_jy_beam=(25e-6, 30e-6),
            dec_deg=(-70.0, 0.0),
            track_dec_deg=-30.0,
            hours=10.0,
            freqs_hz=(836e6, 908e6, 980e6, 1052e6),
            stations="askap",
            description="ASKAP like the Evolutionary Map of the Universe: 36 dishes, 944 MHz (800-1088 MHz), 15\" beam, "
                        "25-30 uJy/beam; 512x512 at 5\"/px (43')",
            sky=band_sky(944e6, z_range=(0.05, 0.6)),
            artefacts=REALISM_ARTEFACTS,
            mask_sigma=REALISM_MASK_SIGMA,
            source_sigma=REALISM_SOURCE_SIGMA,
        ),
        Preset(
            name="mwa",
            npix=512,
            pixel_scale_arcsec=40.0,
            beams_arcsec=(120.0,),
            noise_rms_jy_beam=(10e-3, 30e-3),
            dec_deg=(-70.0, 10.0),
            track_dec_deg=-30.0,
            hours=2.0,
            freqs_hz=(150e6, 162.5e6, 175e6, 187.5e6, 200e6),
            stations="mwa",
            description="MWA Phase I like GLEAM: 128 tiles, 150-200 MHz, 2' beam, 10-30 mJy/beam (a 2 h drift through "
                        "the primary beam); 512x512 at 40\"/px (5.7 deg)",
            # Noise of tens of mJy: the compact limit sits at a tenth to a third of it (LoTSS: about the noise), the
            # faint end of the confusion population at 30 uJy; counts and clustering matched to the 2' beam.
            sky=band_sky(175e6, z_range=(0.02, 0.3), compact_s_min=3e-3, confusion_s_min=3e-5,
                         confusion_norm_range=(20.0, 60.0), confusion_cluster_scale_arcsec_range=(200.0, 3000.0),
                         rg_flux_range=(0.02, 3.0)),
            artefacts=REALISM_ARTEFACTS,
            mask_sigma=REALISM_MASK_SIGMA,
            source_sigma=REALISM_SOURCE_SIGMA,
        ),
    )
}


def get_preset(name: str) -> Preset:
    """Look up a preset by name, with a clear error listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise RadioUNetError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None
