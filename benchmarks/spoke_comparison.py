"""Benchmark: the simulator's spokes beside the real-sky benchmark's stand-in: fall-off, width, what a model calls them.

Usage: python benchmarks/spoke_comparison.py [--seeds 6] [--model default] [--data ../shared/data]

A 1 Jy point source at the centre of a noise-free lotss-6as-512 field, observed with and without spokes
(``observe.artefacts.spoke_artefacts``: 4 uv directions of 1 deg, dirty-PSF texture or restored with the beam);
the difference is the spokes. The same measure on ``evaluate.realsky.spoke_profile`` (8 spokes, 6 px / r, 1.5 px
wide, convolved with the 6" beam at the cut-outs' 1.5"/px), the stand-in of ``benchmarks/real_sky.py`` section 5.
Per ring: the mean |spoke| along the brightest 2-degree direction, relative to the ring at 10-14 px (median over
seeds); and the width of the brightest spoke at 80-112 px (pixels across its half-maximum, from its angular profile).

Then both kinds injected the way section 5 of ``benchmarks/real_sky.py`` does it: a 10000-sigma point source at the
centre of each real LoTSS cut-out with spokes whose brightest pixel is 1% or 3% of its peak, segmented by the model
(test-time augmentation on, threshold 0.5); the simulator's spokes are ``spoke_transfer`` (0.5-deg lobes, 4 or 8
directions) times the transfer function of the cut-out's beam, i.e. the restored variant. Three spoke draws each.
Results are written to ``benchmarks/results/spoke_comparison.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import tempfile

import numpy as np
import scipy.fft
from real_sky import LOTSS, Runner, beam_pixels

from radio_unet.evaluate.realsky import beam_convolve, inject, spoke_profile
from radio_unet.io import read_image
from radio_unet.observe import Artefacts, observe
from radio_unet.observe.artefacts import spoke_transfer
from radio_unet.stats import robust_rms
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


def simulator_pattern(shape: tuple[int, int], centre: tuple[int, int], beam_fwhm_pix: float, n_directions: int,
                      rng: np.random.Generator) -> np.ndarray:
    """The simulator's restored spokes (:func:`spoke_transfer` times a circular Gaussian beam's transfer function)
    of a unit point source at ``centre``, on the grid ``shape``."""
    ny, nx = shape
    fy, fx = np.fft.fftfreq(2 * ny, 1 / (2 * ny))[:, None], np.fft.fftfreq(2 * nx, 1 / (2 * nx))[None, :]
    beam = np.exp(-0.5 * (fx**2 + fy**2) / (beam_fwhm_pix / 2.3548) ** 2)
    transfer = spoke_transfer(scipy.fft.rfft2(beam / beam.sum()), n_spokes=n_directions, width_deg=0.5,
                              beam_pixels=beam_fwhm_pix, rng=rng)
    canvas = np.zeros((2 * ny, 2 * nx))
    canvas[centre] = 1.0
    return scipy.fft.irfft2(scipy.fft.rfft2(canvas) * transfer, s=canvas.shape)[:ny, :nx]


def injection_rows(model: str, data: Path, seeds: int = 3) -> list[list[str]]:
    """Share of each real cut-out called diffuse around a 10000-sigma source with each kind of spokes."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="spokes-") as tmp:
        run = Runner(model, "auto", Path(tmp))
        for rel in LOTSS:
            if not (data / rel).exists():
                continue
            image = read_image(data / rel)
            rms, (major, minor, pa) = robust_rms(image.data), beam_pixels(image)
            centre = (image.shape[0] // 2, image.shape[1] // 2)
            point = np.zeros(image.shape)
            point[centre] = 1.0
            source = beam_convolve(point, major, minor, pa)
            kinds = {"stand-in (8 spokes, 6 px / r)": lambda rng: beam_convolve(
                         spoke_profile(image.shape, centre[::-1], rng.uniform(0, 180, 8)), major, minor, pa),
                     "simulator, 4 directions": lambda rng: simulator_pattern(image.shape, centre, major, 4, rng),
                     "simulator, 8 directions": lambda rng: simulator_pattern(image.shape, centre, major, 8, rng)}
            for kind, make in kinds.items():
                for level in (0.01, 0.03):
                    called = []
                    for seed in range(seeds):
                        pattern = make(np.random.default_rng(seed))
                        model_map = source / source.max() + level * pattern / np.abs(pattern).max()
                        data_in, _ = inject(image.data, model_map, 10000.0, rms)
                        seg = run(run.write(f"{Path(rel).name[:4]}_{len(rows)}_{seed}", data_in, image))
                        valid = np.isfinite(seg.prob) & np.isfinite(image.data)
                        called.append(float((seg.prob[valid] >= 0.5).mean()))
                    rows.append([Path(rel).name, kind, f"{100 * level:g}%",
                                 " / ".join(f"{100 * c:.2f}%" for c in called), str(sum(c > 0.01 for c in called))])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--model", default="default")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "spoke_comparison.md"))
    args = parser.parse_args()
    rows = simulator_rows(args.seeds) + [stand_in_row()]
    head = " | ".join(f"r {lo}-{hi} px" for lo, hi in RINGS)
    lines = [
        "# Benchmark: the simulator's spokes beside the real-sky benchmark's stand-in",
        "",
        f"- date: {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}",
        f"- command: `python benchmarks/spoke_comparison.py --seeds {args.seeds} --model {args.model}`",
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
    lines += ["", f"## Injected into real LoTSS noise around a 10000-sigma source: share called diffuse ({args.model})",
              "", "| cut-out | spokes | brightest spoke pixel (of the peak) | called diffuse, three draws | draws above 1% |",
              "|---|---|---:|---|---:|"]
    lines += ["| " + " | ".join(row) + " |" for row in injection_rows(args.model, Path(args.data))]
    text = "\n".join(lines) + "\n"
    print(text)
    from _report import prepend_report

    prepend_report(args.out, text)


if __name__ == "__main__":
    main()
