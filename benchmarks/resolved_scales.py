"""Benchmark: which halo sizes each survey preset's array and CLEAN give back (the limit of the training labels).

The training labels (``radio_unet.simulate.truth``) are the sky convolved with the restoring beam, above a
fraction of the noise: they assume that the image shows every scale. An interferometer without short enough
baselines does not: emission larger than about the fringe spacing of its shortest baseline is resolved out. This
benchmark observes one exponential halo (Murgia et al. 2009; ``radio_unet.evaluate.realsky.halo_profile``) of a
few sizes through each preset's own instrument (image route: PSF convolution, weighted noise, CLEAN, restore;
the halo 200 times brighter than the noise at its peak, no artefacts) and compares the restored image with the
beam-convolved truth: the ratio of their fluxes and of their areas above 10% of the truth's peak. Where the
ratios fall well below 1, the restoring-beam truth marks emission the preset's images do not show. The last column
is what the training labels do about it since they are observed (``radio_unet.simulate.truth``): the area a halo
of 4 sigma at its peak is labelled over (above 0.25 sigma) against the area of its restoring-beam truth.

Usage::

    python benchmarks/resolved_scales.py            # every survey preset, ~2 min on 2 cores

Results go to ``benchmarks/results/resolved_scales.md`` (newest run on top).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import prepend_report  # noqa: E402  benchmarks/, the script's folder

import numpy as np  # noqa: E402

PRESETS = ("lotss-6as-512", "lotss-20as", "meerkat-l", "vla-l", "first", "askap-emu", "mwa")
#: Halo e-folding radii as multiples of the restoring beam (FWHM).
RADII_BEAMS = (2.0, 4.0, 8.0, 16.0)
PEAK_SNR = 200.0
#: Peak of the halo whose training label is measured (in sigma), and the label threshold.
LABEL_SNR, LABEL_SIGMA = 4.0, 0.25


def label_area_ratio(sky, instrument, preset, noise: float) -> float:
    """Area of the observed training label of ``sky`` (a halo) over that of its restoring-beam truth."""
    from radio_unet.simulate.truth import observed_diffuse, observed_truth
    from radio_unet.sky import Component

    kwargs = dict(shape=sky.shape, beam=instrument.beam, pixel_scale_arcsec=preset.pixel_scale_arcsec,
                  noise_rms=noise, nsigma=LABEL_SIGMA)
    seen = observed_diffuse({Component.HALO: sky}, instrument, clean_sigma=noise, clean=preset.clean_config())
    _, label = observed_truth({Component.HALO: sky}, diffuse_images=seen, **kwargs)
    _, beam_truth = observed_truth({Component.HALO: sky}, **kwargs)
    return float(label.sum() / beam_truth.sum())


def measure(preset_name: str, cache_dir: str) -> list[list[str]]:
    """One row per halo size that fits the preset's field: flux and area of the restored halo over the truth's."""
    from radio_unet.evaluate.realsky import halo_profile
    from radio_unet.observe import observe, restore
    from radio_unet.simulate import get_preset
    from radio_unet.simulate.generate import instrument_for

    preset = get_preset(preset_name).with_overrides(npix=512)
    beam_arcsec = float(min(preset.beams_arcsec))
    instrument = instrument_for(preset, beam_arcsec, cache_dir)
    pix = preset.pixel_scale_arcsec
    noise = float(preset.noise_rms_jy_beam[0])
    rows = []
    for k in RADII_BEAMS:
        r_e = k * beam_arcsec / pix
        if 3 * r_e > preset.npix / 2:
            continue
        profile = halo_profile((preset.npix, preset.npix), (preset.npix / 2, preset.npix / 2), r_e)
        unit = restore(profile, instrument.beam, pixel_scale_arcsec=pix).max()
        sky = (profile * PEAK_SNR * noise / unit).astype(np.float32)
        obs = observe(sky, instrument, rng=np.random.default_rng(0), noise_rms=noise, route="image",
                      clean=preset.clean_config())
        truth = restore(sky, obs.beam, pixel_scale_arcsec=pix)
        inside = truth > 0.1 * truth.max()
        flux = float(obs.image[inside].sum() / truth[inside].sum())
        area = float((obs.image > 0.1 * truth.max()).sum() / inside.sum())
        label = label_area_ratio(sky * (LABEL_SNR / PEAK_SNR), instrument, preset, noise)
        rows.append([preset_name, f"{beam_arcsec:g}", f"{k:g}", f"{r_e * pix / 60:.1f}", f"{flux:.2f}", f"{area:.2f}",
                     f"{label:.2f}"])
        print(" | ".join(rows[-1]), flush=True)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=list(PRESETS))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "resolved_scales.md"))
    parser.add_argument("--cache", default=str(ROOT / "data_sim" / ".instrument_cache"))
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    rows = [row for name in args.presets for row in measure(name, args.cache)]
    command = "python benchmarks/resolved_scales.py " + shlex.join(sys.argv[1:] if argv is None else list(argv))
    lines = [
        "# Benchmark: halo sizes each survey preset's array and CLEAN give back", "",
        f"- date: {datetime.now(timezone.utc).isoformat(timespec='seconds')}",
        f"- command: `{command.strip()}`",
        f"- one exponential halo per row, peak {PEAK_SNR:g} times the preset's lowest noise, image route (PSF, noise, "
        f"CLEAN, restore), 512x512 at the preset's pixels; {time.perf_counter() - t0:.0f} s", "",
        "| preset | beam (\") | r_e (beams) | r_e (') | restored / true flux | restored / true area (> 10% of peak) "
        f"| label / true area ({LABEL_SNR:g}-sigma halo, > {LABEL_SIGMA:g} sigma) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *("| " + " | ".join(r) + " |" for r in rows), "",
        "Flux within the truth's 10%-of-peak area; areas above 10% of the truth's peak. Values well below 1: the "
        "beam-convolved sky marks emission that the preset's images do not show. The training labels are observed "
        "(radio_unet.simulate.truth): the last column is the area they give a halo of "
        f"{LABEL_SNR:g} sigma at its peak against its beam-convolved truth.", "",
    ]
    prepend_report(Path(args.out), "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
