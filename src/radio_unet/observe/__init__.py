"""Mock LOFAR HBA observations of sky models given in Jy/pixel.

The stages of a mock observation (Stuardi et al. 2024 observe their
simulated skies with the LOFAR HBA array, image and CLEAN them with WSClean):

1. :class:`ObservationSetup` -> :func:`prepare` -> :class:`Instrument`:
   real station positions (:mod:`lofarantpos`), the uvw track, Briggs
   weights (and taper) tuned to the requested beam, the PSF, the fitted
   restoring beam and the noise-shaping kernel, cached per setup in memory
   and optionally on disk;
2. :func:`observe`: PSF + noise (+ gain errors) through either the fast
   image-plane route or the ducc0 visibility route, then an auto-masked,
   deliberately un-tuned CLEAN and restoration, returning an
   :class:`Observation` in Jy/beam.

Example
-------
>>> import numpy as np
>>> from radio_unet.observe import ObservationSetup, prepare, observe
>>> setup = ObservationSetup(npix=256, hours=8, time_step_s=600, freqs_hz=(130e6, 160e6))
>>> inst = prepare(setup)                                        # doctest: +SKIP
>>> sky = np.zeros(setup.shape); sky[128, 128] = 0.05            # doctest: +SKIP
>>> obs = observe(sky, inst, rng=np.random.default_rng(1), noise_rms=1e-4)  # doctest: +SKIP
"""

from .artefacts import ArtefactRanges, Artefacts
from .array import STATION_PRESETS, station_names, uvw_track
from .clean import CleanConfig, CleanResult, clean
from .gains import GainErrors, draw_gains
from .instrument import PRESETS, Instrument, ObservationSetup, clear_cache, prepare, setup_key
from .noise import noise_shaping_kernel, shaped_noise, visibility_sigma
from .observation import ROUTES, Observation, convolve_psf, image_visibilities, observe, predict
from .psf import beam_kernel, fit_beam, fit_gaussian, gaussian_image, restore
from .weighting import briggs_weights, taper_factors

__all__ = [
    "Artefacts",
    "ArtefactRanges",
    "ObservationSetup",
    "PRESETS",
    "Instrument",
    "prepare",
    "clear_cache",
    "setup_key",
    "observe",
    "Observation",
    "ROUTES",
    "CleanConfig",
    "CleanResult",
    "clean",
    "GainErrors",
    "draw_gains",
    "STATION_PRESETS",
    "station_names",
    "uvw_track",
    "fit_beam",
    "fit_gaussian",
    "gaussian_image",
    "beam_kernel",
    "restore",
    "convolve_psf",
    "predict",
    "image_visibilities",
    "briggs_weights",
    "taper_factors",
    "noise_shaping_kernel",
    "shaped_noise",
    "visibility_sigma",
]
