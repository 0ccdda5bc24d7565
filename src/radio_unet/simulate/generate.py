"""One synthetic observation: draw conditions, make the sky, observe it, write the files."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..io import Beam, write_image
from ..io.atomic import atomic_path
from ..io.wcs import make_celestial_wcs
from ..sky import SkyConfig, make_sky
from ..stats import robust_rms
from .background import background_files, draw_cutout, load_background
from .presets import Preset
from .truth import observed_diffuse, observed_truth

__all__ = ["image_id", "image_rng", "draw_conditions", "instrument_for", "simulate_one", "is_done", "FILE_KINDS"]

#: The files written per image (suffix -> what it holds).
FILE_KINDS = {
    "image": "observed image, Jy/beam",
    "sky": "sky model, Jy/pixel",
    "mask": "reference mask: diffuse emission above the threshold (0/1)",
    "labels": "component label map (radio_unet.sky.Component)",
}


def image_id(index: int) -> str:
    """The file stem of image ``index``: ``sim_00042``."""
    return f"sim_{index:05d}"


def image_rng(seed: int, index: int) -> np.random.Generator:
    """The random generator of image ``index``: independent of the order and place images are made in."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))


def is_done(out_dir: Path, index: int) -> bool:
    """True when image ``index`` was finished (its JSON record is written last)."""
    stem = image_id(index)
    return (out_dir / f"{stem}.json").exists() and all((out_dir / f"{stem}.{k}.fits").exists() for k in FILE_KINDS)


def draw_conditions(preset: Preset, rng: np.random.Generator) -> dict:
    """Draw the observing conditions of one image within the preset's ranges."""
    from ..observe import ArtefactRanges  # scipy.optimize, scipy.sparse (~0.4 s): only to observe

    lo, hi = preset.noise_rms_jy_beam
    ranges = ArtefactRanges.from_dict(preset.artefacts)
    return {
        "artefacts": None if ranges is None else ranges.draw(rng).to_dict(),
        "beam_arcsec": float(rng.choice(preset.beams_arcsec)),
        "noise_rms_jy_beam": float(np.exp(rng.uniform(np.log(lo), np.log(hi)))),
        "gain_phase_deg": float(rng.uniform(*preset.gain_phase_deg)),
        "ra_deg": float(rng.uniform(0.0, 360.0)),
        "dec_deg": float(rng.uniform(*preset.dec_deg)),
    }


@lru_cache(maxsize=8)
def instrument_for(preset: Preset, beam_arcsec: float, cache_dir: str | None):
    """The prepared (cached) instrument of a preset and beam: uvw, weights, PSF, fitted beam."""
    from ..observe import ObservationSetup, prepare  # scipy.optimize, scipy.sparse (~0.4 s): only to observe

    setup = ObservationSetup(
        npix=preset.npix,
        pixel_scale_arcsec=preset.pixel_scale_arcsec,
        beam_arcsec=beam_arcsec,
        dec_deg=preset.track_dec_deg,
        hours=preset.hours,
        freqs_hz=tuple(preset.freqs_hz),
        stations=preset.stations,
        taper_arcsec=preset.taper_arcsec,
        robust=preset.robust,
    )
    return prepare(setup, cache_dir=cache_dir)


def _on_background(preset: Preset, sky: np.ndarray, conditions: dict, rng: np.random.Generator):
    """The sky restored with a real background's beam (a perfect CLEAN) plus a random cut-out of the background.

    Returns the image (Jy/beam), the beam, the measured noise of the cut-out and the conditions with the
    background's file and beam (no artefacts or gain errors: the real image holds its own)."""
    from ..observe import restore  # scipy.optimize, scipy.sparse (~0.4 s): only to observe

    files = background_files(preset.background)
    background = load_background(files[int(rng.integers(len(files)))], float(preset.pixel_scale_arcsec))
    cutout = draw_cutout(background, preset.npix, rng)
    observed = restore(sky, background.beam, pixel_scale_arcsec=preset.pixel_scale_arcsec) + cutout
    noise = float(robust_rms(cutout, method="mad"))
    conditions = {**conditions, "artefacts": None, "gain_phase_deg": 0.0, "beam_arcsec": float(background.beam.major),
                  "noise_rms_jy_beam": noise, "background": Path(background.path).name}
    return observed, background.beam, noise, conditions


def simulate_one(
    preset: Preset, index: int, *, seed: int, route: str, out_dir: str | Path, cache_dir: str | None = None, nthreads: int | None = None
) -> dict:
    """Make image ``index`` of a data set and write its files into ``out_dir``.

    Returns
    -------
    dict
        The image's record (also written as ``sim_NNNNN.json``): file names
        relative to ``out_dir``, observing conditions, measured beam and noise,
        mask fraction and every placed sky component.
    """
    from ..observe import Artefacts, GainErrors, observe  # scipy.optimize, scipy.sparse (~0.4 s): only to observe

    out_dir = Path(out_dir)
    cache_dir = cache_dir or str(out_dir / ".cache")
    stem = image_id(index)
    rng = image_rng(seed, index)
    conditions = draw_conditions(preset, rng)
    shape = (preset.npix, preset.npix)
    sky = make_sky(shape, preset.pixel_scale_arcsec, rng=rng, config=SkyConfig(**preset.sky))
    if preset.background:
        observed, beam, noise_measured, conditions = _on_background(preset, sky.image, conditions, rng)
    else:
        instrument = instrument_for(preset, conditions["beam_arcsec"], cache_dir)
        clean = preset.clean_config()
        obs = observe(
            sky.image, instrument, rng=rng, noise_rms=conditions["noise_rms_jy_beam"], route=route,
            gain_errors=GainErrors(phase_rms_deg=conditions["gain_phase_deg"]) if conditions["gain_phase_deg"] > 0 else None,
            nthreads=nthreads, clean=clean,
            artefacts=None if conditions["artefacts"] is None else Artefacts(**conditions["artefacts"]),
            artefact_sky=sky.image - sky.diffuse,
        )
        observed, beam, noise_measured = obs.image, obs.beam, float(obs.noise_rms_measured)
    labels, mask = sky.labels, sky.mask
    if preset.mask_sigma:
        # the diffuse classes as this image shows them (resolved-out scales, dirty-beam units where not CLEANed);
        # on a real background the image is a perfect CLEAN of every scale: the restoring-beam convolution
        diffuse = None if preset.background else observed_diffuse(
            sky.class_maps, instrument, clean_sigma=obs.info["clean"]["sigma"][-1], clean=clean,
            nthreads=nthreads or 1)
        # sigma is the noise as measured in the image (robust rms of the residual: confusion, artefacts and all),
        # as an astronomer measures it and as the real-sky benchmark defines its truth; not the thermal noise asked for
        labels, mask = observed_truth(sky.class_maps, shape=shape, beam=beam, pixel_scale_arcsec=preset.pixel_scale_arcsec,
                                      noise_rms=noise_measured, nsigma=preset.mask_sigma,
                                      source_sigma=preset.source_sigma, diffuse_images=diffuse)
    wcs = make_celestial_wcs(shape, pixel_scale_arcsec=preset.pixel_scale_arcsec, ra_deg=conditions["ra_deg"], dec_deg=conditions["dec_deg"])
    provenance = {"preset": preset.name, "seed": seed, "index": index, "route": route}
    common = {"wcs": wcs, "beam": beam, "frequency": float(np.mean(preset.freqs_hz)), "provenance": provenance}
    files = {k: f"{stem}.{k}.fits" for k in FILE_KINDS}
    write_image(out_dir / files["image"], observed.astype(np.float32), unit="Jy/beam", **common)
    write_image(out_dir / files["sky"], sky.image.astype(np.float32), unit="Jy/pixel", **common)
    write_image(out_dir / files["mask"], mask.astype(np.uint8), **common)
    write_image(out_dir / files["labels"], labels.astype(np.uint8), **common)
    record = {
        "id": stem,
        **files,
        "index": index,
        "seed": seed,
        "preset": preset.name,
        "route": route,
        "npix": preset.npix,
        "pixel_scale_arcsec": preset.pixel_scale_arcsec,
        **{k: v for k, v in conditions.items() if k != "artefacts"},
        "artefacts": json.dumps(conditions["artefacts"]),
        "bmaj_arcsec": beam.major,
        "bmin_arcsec": beam.minor,
        "bpa_deg": beam.pa,
        "noise_measured_jy_beam": noise_measured,
        "mask_sigma": preset.mask_sigma,
        "source_sigma": preset.source_sigma,
        "diffuse_truth": "restored" if preset.background or not preset.mask_sigma else "observed",
        "mask_fraction": float(mask.mean()),
        "n_components": len(sky.components),
        "components": json.dumps(sky.components),
    }
    with atomic_path(out_dir / f"{stem}.json") as tmp:
        tmp.write_text(json.dumps(record, indent=1))
    return record
