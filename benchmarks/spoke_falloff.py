"""Benchmark: how the simulator's spokes fall with distance from their source, beside the real-sky benchmark's stand-in.

Usage: python benchmarks/spoke_falloff.py [--seeds 6]

A 1 Jy point source at the centre of a noise-free lotss-6as-512 field, observed with and without spokes
(``observe.artefacts.spoke_artefacts``: 4 uv directions of 1 deg, dirty-PSF texture or restored with the beam);
the difference is the spokes. The same measure on ``evaluate.realsky.spoke_profile`` (8 spokes, 6 px / r, 1.5 px
wide, convolved with the 6" beam at the cut-outs' 1.5"/px), the stand-in of ``benchmarks/real_sky.py`` section 5.
Per ring: the mean |spoke| along the brightest 2-degree direction, relative to the ring at 10-14 px (median over
seeds); and the width of the brightest spoke at 80-112 px (pixels across its half-maximum, from its angular profile).
Results are written to ``benchmarks/results/spoke_falloff.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np

from radio_unet.evaluate.realsky import beam_convolve, spoke_profile
from radio_unet.observe import Artefacts, observe
from radio_unet.simulate import get_preset
from radio_unet.simulate.generate import instrument_for

RINGS = ((10, 14), (20, 28), (40, 56), (80, 112), (160, 224))
WIDTH_RING = (80, 112)


def ring_measures(spokes: np.ndarray, centre: tuple[float, float]) -> tuple[np.ndarray, float]:
    """Brightest-direction mean |spokes| per ring of :data:`RINGS` relative to the first, and the brightest spoke's
    width (pixels at half maximum) in :data:`WIDTH_RING`."""
    yy, xx = np.mgrid[: spokes.shape[0], : spokes.shape[1]]
    dy, dx = yy - centre[0], xx - centre[1]
    r, angle = np.hypot(dy, dx), np.degrees(np.arctan2(dy, dx)) % 360
    size = np.abs(spokes)

    def angular(lo, hi, step):
        m = (r >= lo) & (r < hi)
        bins = (angle[m] // step).astype(int)
        n = int(360 // step)
        return np.bincount(bins, size[m], minlength=n) / np.maximum(np.bincount(bins, minlength=n), 1)

    profile = np.array([angular(lo, hi, 2.0).max() for lo, hi in RINGS])
    fine = angular(*WIDTH_RING, 0.5)
    top = int(np.argmax(fine))
    half = fine >= fine[top] / 2
    left = right = top
    while half[(left - 1) % half.size] and right - left < half.size:
        left -= 1
    while half[(right + 1) % half.size] and right - left < half.size:
        right += 1
    width = np.radians((right - left + 1) * 0.5) * np.mean(WIDTH_RING)
    return profile / profile[0], float(width)


def simulator_rows(seeds: int) -> list[tuple[str, np.ndarray, float]]:
    """The simulator's spokes, dirty-PSF and restored variants."""
    preset = get_preset("lotss-6as-512")
    instrument = instrument_for(preset, 6.0, None)
    ny, nx = instrument.shape
    sky = np.zeros(instrument.shape, np.float32)
    sky[ny // 2, nx // 2] = 1.0
    rows = []
    for name, smooth in (("simulator, dirty-PSF texture", 0.0), ("simulator, restored with the beam", 1.0)):
        profiles, widths = [], []
        for seed in range(seeds):
            plain = observe(sky, instrument, rng=np.random.default_rng(seed), noise_rms=0.0, clean=None).image
            arte = Artefacts(spoke_level=0.02, n_spokes=4, spoke_width_deg=1.0, spoke_smooth=smooth)
            spokes = observe(sky, instrument, artefacts=arte, rng=np.random.default_rng(seed), noise_rms=0.0,
                             clean=None).image - plain
            profile, width = ring_measures(spokes, (ny // 2, nx // 2))
            profiles.append(profile)
            widths.append(width)
        rows.append((name, np.median(profiles, axis=0), float(np.median(widths))))
    return rows


def stand_in_row() -> tuple[str, np.ndarray, float]:
    """The real-sky benchmark's stand-in, on a 512x512 grid at 1.5"/px with the 6" beam."""
    shape, centre = (512, 512), (256.0, 256.0)
    model = spoke_profile(shape, centre, np.arange(8) * 22.5 + 10.0)
    spokes = beam_convolve(model, 4.0, 4.0, 0.0)
    profile, width = ring_measures(spokes, centre)
    return "benchmark stand-in (`spoke_profile`, 6 px / r)", profile, width


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "spoke_falloff.md"))
    args = parser.parse_args()
    rows = simulator_rows(args.seeds) + [stand_in_row()]
    head = " | ".join(f"r {lo}-{hi} px" for lo, hi in RINGS)
    lines = [
        "# Benchmark: how spokes fall with distance from their source",
        "",
        f"- date: {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}",
        f"- command: `python benchmarks/spoke_falloff.py --seeds {args.seeds}`",
        "- simulator: lotss-6as-512 (2\"/px, 6\" beam), a 1 Jy point source, `Artefacts(spoke_level=0.02, n_spokes=4, "
        "spoke_width_deg=1.0)`, noise-free, the image with spokes minus the same observation without; median over "
        "the seeds. Stand-in: `evaluate.realsky.spoke_profile` (8 spokes) convolved with a 4 px beam (6\" at 1.5\"/px).",
        "- columns: the mean |spoke| along the brightest 2-degree direction in each ring, relative to the 10-14 px ring;"
        f" width: the brightest spoke's extent at half maximum across its direction at {WIDTH_RING[0]}-{WIDTH_RING[1]} px",
        "",
        f"| spokes | {head} | width at {WIDTH_RING[0]}-{WIDTH_RING[1]} px (px) |",
        "|---|" + "---:|" * (len(RINGS) + 1),
    ]
    for name, profile, width in rows:
        lines.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in profile) + f" | {width:.1f} |")
    lines.append("| 6 px / r (for scale) | " + " | ".join(f"{12 / ((lo + hi) / 2):.3f}" for lo, hi in RINGS) + " | |")
    text = "\n".join(lines) + "\n"
    print(text)
    from _report import prepend_report

    prepend_report(args.out, text)


if __name__ == "__main__":
    main()
