"""Benchmark: the noise of the FIRST-like preset against real VLA FIRST images.

The ``first`` survey preset (VLA B configuration, 3-minute snapshots at 1.4 GHz) is there to show the network
the striped noise of FIRST. This compares the shape of the noise: the median azimuthal power spectrum of
source-masked images (:mod:`radio_unet.evaluate.noise_stats`: islands above 3 sigma with a 5-sigma pixel, grown by
1.5 beams, masked; spectral density in units of the image's variance times a beam, so that the spectra integrate
to 1) in bins of spatial scale from 1 to 25 beams, and the median robust rms, for

- the three real FIRST snapshots ``first_snapshots/*.fits.gz`` and the 25 MiraBest cut-outs
  ``mirabest_templates/*.fits.gz`` under ``--data`` (1.8"/px, 5.4" beam);
- ``--n`` simulated ``first`` images of ``--sim`` (default: the held-out fields of
  ``benchmarks/survey_presets.py``, ``data_sim/indep/first``), whole (512x512) and cut to 300x300 like the real ones.

Usage::

    python benchmarks/first_noise.py            # ~10 s once the simulated fields exist

Results go to ``benchmarks/results/first_noise.md`` (newest run on top).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import prepend_report  # noqa: E402  benchmarks/, the script's folder

import numpy as np  # noqa: E402

EDGES_BEAMS = np.array([1.0, 1.5, 2.2, 3.3, 5.0, 7.5, 11.0, 16.0, 25.0])
PIXEL_ARCSEC, BEAM_ARCSEC = 1.8, 5.4


def noise_spectrum(image: np.ndarray) -> tuple[float, np.ndarray]:
    """Robust rms and power spectrum (variance-normalised, :data:`EDGES_BEAMS` bins) of a source-masked image."""
    from radio_unet.evaluate.noise_stats import masked_residual, radial_power_spectrum, source_mask
    from radio_unet.stats import robust_rms

    image = np.nan_to_num(np.squeeze(np.asarray(image, dtype=np.float64)))
    rms = float(robust_rms(image))
    residual, kept = masked_residual(image, source_mask(image, rms, beam_pix=BEAM_ARCSEC / PIXEL_ARCSEC))
    spectrum = radial_power_spectrum(residual, pixel_scale_arcsec=PIXEL_ARCSEC, beam_fwhm_arcsec=BEAM_ARCSEC,
                                     edges_beams=EDGES_BEAMS, kept_fraction=kept)
    return rms, spectrum.power


def row(name: str, files: list[Path], crop: int | None = None) -> list[str]:
    """One table row: the median rms and spectrum of ``files`` (cut to ``crop`` x ``crop`` if given)."""
    from astropy.io import fits

    if not files:
        return [name, "0", "n/a", *["n/a"] * (len(EDGES_BEAMS) - 1)]
    measured = []
    for f in files:
        data = np.squeeze(fits.getdata(f))
        measured.append(noise_spectrum(data[:crop, :crop] if crop else data))
    rms = np.median([m[0] for m in measured])
    power = np.median([m[1] for m in measured], axis=0)
    return [name, str(len(files)), f"{rms * 1e6:.0f}", *(f"{p:.3f}" for p in power)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--sim", type=Path, default=ROOT / "data_sim" / "indep" / "first")
    parser.add_argument("--n", type=int, default=20, help="simulated images (default 20)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "first_noise.md")
    args = parser.parse_args(argv)
    sims = sorted(args.sim.glob("sim_*.image.fits"))[: args.n]
    if not sims:
        print(f"first_noise: no simulated images in {args.sim}; make them with "
              f"`python benchmarks/survey_presets.py --presets first` or `radio-unet simulate --preset first`")
        return 1
    rows = [
        row("real FIRST snapshots", sorted((args.data / "first_snapshots").glob("*.fits.gz"))),
        row("real MiraBest (FIRST)", sorted((args.data / "mirabest_templates").glob("*.fits.gz"))),
        row("simulated `first`, 300x300", sims, crop=300),
        row("simulated `first`, 512x512", sims),
    ]
    command = "python benchmarks/first_noise.py " + shlex.join(sys.argv[1:] if argv is None else list(argv))
    bins = [f"{a:g}-{b:g}" for a, b in zip(EDGES_BEAMS[:-1], EDGES_BEAMS[1:])]
    lines = [
        "# Benchmark: FIRST-like simulated noise against real FIRST images", "",
        f"- date: {datetime.now(timezone.utc).isoformat(timespec='seconds')}",
        f"- command: `{command.strip()}`",
        f"- simulated: {args.sim}", "",
        "Median power spectral density of source-masked images (units: the image's variance times a beam; "
        "columns: spatial scale in beams) and median robust rms.", "",
        "| images | n | rms (uJy/beam) | " + " | ".join(bins) + " |",
        "|---|---:|---:|" + "---:|" * len(bins),
        *("| " + " | ".join(r) + " |" for r in rows), "",
    ]
    prepend_report(args.out, "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
