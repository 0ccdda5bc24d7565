"""Noise-relative reference masks and labels: what an observation can show.

The paper's reference mask is the diffuse sky above 1e-8 Jy/pixel, about a
thousandth of the noise of a LoTSS image: most of its area is emission that
no observation of that depth can show. A network trained on it learns to
paint the surroundings of anything that looks like a cluster, and on real
blank fields it falls back on its prior: large areas of probability ~0.5.

The observed truth (``mask_sigma`` of a preset) asks for what the image
holds: every class map is convolved with the restoring beam (Jy/beam, as in
the image) and a class counts where it is brighter than ``mask_sigma`` times
the image noise; the label is the brightest class there (as
:func:`radio_unet.sky.label_map` does on the sky), and the mask is the summed
diffuse emission above the same level. 0.25 sigma is the truth of the
injection benchmark (``benchmarks/real_sky.py``): emission invisible pixel by
pixel, but not over the area of a halo.

The noise is the one measured in the image (the robust rms of the residual,
which holds the confusion, the artefacts and the un-CLEANed faint emission),
not the thermal noise the observation was asked for: that is the sigma an
astronomer measures and the one the injection benchmark uses. Labelled at
the thermal noise, the truth reached 0.18-0.22 measured sigma on average
(MeerKAT, ASKAP and LoTSS presets: the measured rms is 1.1-1.4 times the
thermal one, up to 4 times in fields with strong artefacts), and the network
learned to paint halos beyond the benchmark's 0.25-sigma edge.

The diffuse emission is labelled where the image shows it
(:func:`observed_diffuse`): each diffuse class alone, without noise, goes
through the same array, weighting and CLEAN as the image, CLEAN's thresholds
fixed at the noise of the real run. Emission too faint to be CLEANed stays
convolved with the dirty beam, as it does in the image; scales larger than
the shortest baselines see are resolved out. A diffuse class is labelled
where both this image of it and the sky convolved with the restoring beam
exceed the threshold: the second alone assumes the image shows every scale
(``benchmarks/resolved_scales.py``: a VLA-L halo of r_e 3.5' keeps 4% of its
flux in the image while its label kept all of it), the first alone labels
the dirty beam's sidelobes (a 3-minute VLA snapshot spreads a 4-sigma halo of
r_e 30" into stripes over 11 times its area). Where the array samples the
halo's scales (LoTSS 6" halos up to r_e 1.6'), the label is the
restoring-beam truth of the injection benchmark, unchanged.

Sources are labelled only where they could be seen (``source_sigma``, 2 sigma
in the survey presets): a compact source or radio galaxy at a quarter of the
noise is indistinguishable from a noise peak, and labelling its footprint
teaches the network that every faint bump of the noise is a source; worse,
that a faint halo made of such bumps is one (the injection benchmark's 2-sigma
halos came out as "compact source" with labels at 0.25 sigma). Below
``source_sigma`` they are background, as the confusion population is.
"""

from __future__ import annotations

import numpy as np

from ..errors import RadioUNetError
from ..io import Beam
from ..sky import DIFFUSE_CLASSES, Component, label_map

__all__ = ["observed_truth", "observed_diffuse", "SOURCE_CLASSES"]

#: Classes labelled only above ``source_sigma``: what a survey catalogues as sources.
SOURCE_CLASSES = (Component.RADIO_GALAXY, Component.COMPACT)


def observed_diffuse(class_maps: dict, instrument, *, clean_sigma: float, clean=None, nthreads: int = 1) -> dict:
    """The diffuse classes as the image shows them: observed alone, noise-free, CLEANed at the image's noise.

    Parameters
    ----------
    class_maps : dict
        ``{Component: Jy/pixel map}``; only :data:`radio_unet.sky.DIFFUSE_CLASSES` are observed.
    instrument : radio_unet.observe.Instrument
        The instrument of the image (array, weighting, PSF, restoring beam).
    clean_sigma : float
        Noise (Jy/beam) that sets CLEAN's thresholds: the one the image's
        CLEAN measured (:attr:`radio_unet.observe.Observation.info` ``["clean"]["sigma"]``).
    clean : radio_unet.observe.CleanConfig, optional
        The image's CLEAN parameters (default ``CleanConfig()``); ``sigma``
        is replaced by ``clean_sigma``.
    nthreads : int
        FFT threads.

    Returns
    -------
    dict
        ``{Component: Jy/beam image}`` of the diffuse classes present.

    Examples
    --------
    A faint halo stays in the residual, in units of the dirty beam:

    >>> from radio_unet.observe import ObservationSetup, prepare, convolve_psf
    >>> from radio_unet.sky import Component
    >>> inst = prepare(ObservationSetup(npix=64, hours=1, time_step_s=600, freqs_hz=(150e6,)))
    >>> halo = np.zeros((64, 64), np.float32); halo[24:40, 24:40] = 1e-6
    >>> seen = observed_diffuse({Component.HALO: halo}, inst, clean_sigma=1e-4)
    >>> bool(np.allclose(seen[Component.HALO], convolve_psf(halo, inst.psf_fft()), atol=1e-9))
    True
    """
    from dataclasses import replace

    from ..observe import CleanConfig, observe  # scipy.optimize, scipy.sparse (~0.4 s): only to observe

    config = replace(clean or CleanConfig(), sigma=float(clean_sigma))
    rng = np.random.default_rng(0)  # unused: no noise, no gains, no artefacts
    return {comp: observe(m, instrument, rng=rng, noise_rms=0.0, route="image", clean=config, nthreads=nthreads).image
            for comp, m in class_maps.items() if comp in DIFFUSE_CLASSES and np.any(m)}


def observed_truth(
    class_maps: dict, *, shape: tuple[int, int], beam: Beam, pixel_scale_arcsec: float, noise_rms: float,
    nsigma: float, source_sigma: float | None = None, diffuse_images: dict | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and diffuse mask of the emission brighter than ``nsigma`` times the noise after beam convolution.

    Parameters
    ----------
    class_maps : dict
        ``{Component: Jy/pixel map}`` (:attr:`radio_unet.sky.SkyModel.class_maps`); may be empty.
    shape : (int, int)
        Image shape.
    beam : Beam
        Restoring beam of the image.
    pixel_scale_arcsec : float
        Pixel size.
    noise_rms : float
        Image noise (Jy/beam).
    nsigma : float
        Threshold in units of ``noise_rms``.
    source_sigma : float, optional
        Threshold of :data:`SOURCE_CLASSES` (radio galaxies, compact
        sources) in units of ``noise_rms``; default ``nsigma``. Below it they
        are background.
    diffuse_images : dict, optional
        ``{Component: Jy/beam image}`` of the diffuse classes as the image
        shows them (:func:`observed_diffuse`); those classes are labelled
        where both their restoring-beam convolution and their image exceed
        the threshold. Default: the restoring-beam convolution alone.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        uint8 label map (:class:`radio_unet.sky.Component` values) and bool mask.

    Examples
    --------
    >>> from radio_unet.sky import Component
    >>> halo = np.zeros((64, 64), np.float32); halo[20:44, 20:44] = 1e-5  # ~0.1 mJy/beam
    >>> labels, mask = observed_truth({Component.HALO: halo}, shape=(64, 64), beam=Beam(6.0, 6.0, 0.0),
    ...                               pixel_scale_arcsec=2.0, noise_rms=1e-4, nsigma=0.25)
    >>> int(mask.sum()) > 0, int(labels[32, 32]), int(labels[0, 0])
    (True, 1, 0)
    """
    from ..observe import restore  # scipy.optimize, scipy.sparse (~0.4 s): only to observe

    source_sigma = nsigma if source_sigma is None else source_sigma
    if not (noise_rms > 0 and nsigma > 0 and source_sigma > 0):
        raise RadioUNetError(
            f"observed truth needs noise_rms, nsigma and source_sigma > 0, got {noise_rms}, {nsigma}, {source_sigma}"
        )
    if not class_maps:  # an empty sky
        return np.zeros(shape, np.uint8), np.zeros(shape, bool)
    observed = {comp: restore(m, beam, pixel_scale_arcsec=pixel_scale_arcsec) for comp, m in class_maps.items()}
    for comp, seen in (diffuse_images or {}).items():
        if comp in observed:  # where both the sky (at the image's resolution) and its image show it
            observed[comp] = np.minimum(observed[comp], seen)
    threshold = float(nsigma * noise_rms)
    source_threshold = float(source_sigma * noise_rms)
    visible = {comp: np.where(m > source_threshold, m, 0.0) if comp in SOURCE_CLASSES else m for comp, m in observed.items()}
    labels = label_map(visible, threshold)
    diffuse = np.zeros(shape, np.float32)
    for comp, m in observed.items():
        if comp in DIFFUSE_CLASSES:
            diffuse += m
    return labels, diffuse > threshold
