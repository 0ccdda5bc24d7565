"""Benchmark of radio_unet.observe: seconds per mock LOFAR image, both routes.

Usage::

    .venv/bin/python benchmarks/bench_observe.py [--npix 2000] [--n 2] [--threads 2]
        [--skip-visibility] [--skip-lowres] [--gains] [--out benchmarks/results/observe.md]

Cases: ``npix`` x ``npix`` at 2"/px with a 6" beam (image route and
visibility route) and a LoTSS low-resolution 960x960 at 4.5"/px, 20" beam
(image route). The sky is a synthetic field: compact sources drawn from a
power-law source count (about 1000 per square degree above 0.1 mJy, up to
1 Jy), a few resolved Gaussians and one faint radio-halo-like blob. Setup
time (uvw, weight tuning, PSF, noise kernel, FFT of the PSF) is reported
separately from the per-image time. Results are written as a markdown table.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from radio_unet.observe import GainErrors, ObservationSetup, clear_cache, observe, prepare  # noqa: E402


def synthetic_sky(shape, pixel_arcsec, rng, *, density_per_deg2=1000.0, smin=1e-4, smax=1.0, slope=1.7):
    """Compact sources, a few resolved Gaussians and a faint halo, in Jy/pixel."""
    ny, nx = shape
    area_deg2 = ny * nx * (pixel_arcsec / 3600.0) ** 2
    n = rng.poisson(density_per_deg2 * area_deg2)
    # dN/dS ~ S^-slope between smin and smax (inverse transform)
    a = 1.0 - slope
    u = rng.random(n)
    flux = (smin**a + u * (smax**a - smin**a)) ** (1.0 / a)
    sky = np.zeros(shape, np.float32)
    np.add.at(sky, (rng.integers(0, ny, n), rng.integers(0, nx, n)), flux.astype(np.float32))
    yy, xx = np.mgrid[:ny, :nx]
    for _ in range(max(1, n // 100)):  # resolved sources, 10-40" across
        cy, cx = rng.uniform(0, ny), rng.uniform(0, nx)
        sig = rng.uniform(5, 20) / pixel_arcsec
        f = 10 ** rng.uniform(-3, -1.5)
        g = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sig**2))
        sky += (f * g / g.sum()).astype(np.float32)
    sig = 60.0 / pixel_arcsec  # a halo-like blob of 100 mJy, FWHM ~ 140"
    g = np.exp(-((yy - ny / 2) ** 2 + (xx - nx / 2) ** 2) / (2 * sig**2))
    sky += (0.1 * g / g.sum()).astype(np.float32)
    return sky, int(n)


def run_case(name, setup, route, *, n, threads, noise, gains, seed=0):
    clear_cache()
    t0 = time.perf_counter()
    inst = prepare(setup, nthreads=threads)
    inst.psf_fft(workers=threads)
    if gains is not None and route == "image":
        inst.corrupted_psf_ffts(gains, nthreads=threads)
    t_setup = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    times, iters, rms, details = [], [], [], []
    # one warm-up image so numba compilation (cached on disk after the first run) does not count
    sky, _ = synthetic_sky(setup.shape, setup.pixel_scale_arcsec, rng)
    observe(sky[:], inst, rng=rng, noise_rms=noise, route=route, gain_errors=gains, nthreads=threads)
    for _ in range(n):
        sky, nsrc = synthetic_sky(setup.shape, setup.pixel_scale_arcsec, rng)
        t0 = time.perf_counter()
        obs = observe(sky, inst, rng=rng, noise_rms=noise, route=route, gain_errors=gains, nthreads=threads)
        times.append(time.perf_counter() - t0)
        iters.append(obs.n_iter)
        rms.append(obs.noise_rms_measured)
        details.append({k: v for k, v in obs.info["seconds"].items()} | {
            "n_major": obs.info["clean"]["n_major"], "stop": obs.info["clean"]["stop_reason"], "n_sources": nsrc})
    return {
        "case": name,
        "route": route,
        "npix": f"{setup.shape[0]}x{setup.shape[1]}",
        "pixel": setup.pixel_scale_arcsec,
        "beam": f'{inst.beam.major:.2f}"x{inst.beam.minor:.2f}"',
        "robust": round(inst.robust, 3),
        "taper": inst.taper_arcsec,
        "n_vis": inst.n_visibilities,
        "setup_s": t_setup,
        "image_s": times,
        "n_iter": iters,
        "rms_ratio": [r / noise for r in rms],
        "details": details,
        "gains": gains is not None,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--npix", type=int, default=2000)
    p.add_argument("--n", type=int, default=2, help="images per case")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--noise", type=float, default=1e-4, help="image rms, Jy/beam")
    p.add_argument("--skip-visibility", action="store_true")
    p.add_argument("--skip-lowres", action="store_true")
    p.add_argument("--gains", action="store_true", help="also time both routes with gain errors")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "observe.md")
    args = p.parse_args(argv)

    hires = ObservationSetup(npix=args.npix, pixel_scale_arcsec=2.0, beam_arcsec=6.0)
    cases = [("6\" 2\"/px", hires, "image", None)]
    if not args.skip_visibility:
        cases.append(("6\" 2\"/px", hires, "visibility", None))
    if args.gains:
        cases.append(("6\" 2\"/px + gains", hires, "image", GainErrors()))
        if not args.skip_visibility:
            cases.append(("6\" 2\"/px + gains", hires, "visibility", GainErrors()))
    if not args.skip_lowres:
        cases.append(("20\" 4.5\"/px (LoTSS low-res)", ObservationSetup.preset("lotss-lowres"), "image", None))

    load_before = os.getloadavg()
    rows = []
    for name, setup, route, gains in cases:
        r = run_case(name, setup, route, n=args.n, threads=args.threads, noise=args.noise, gains=gains)
        print(json.dumps(r, default=str), flush=True)
        rows.append(r)

    cmd = " ".join([".venv/bin/python", "benchmarks/bench_observe.py", *(argv if argv is not None else sys.argv[1:])])
    lines = [
        "# Benchmark: radio_unet.observe",
        "",
        f"- date: {_dt.datetime.now().isoformat(timespec='seconds')}",
        f"- machine: {platform.machine()}, {platform.processor() or platform.platform()}, "
        f"threads used: {args.threads} (the 2-core machine was shared with other engineers' jobs, "
        "so times are upper bounds)",
        f"- command: `{cmd}`",
        f"- load average (1/5/15 min) before: {'/'.join(f'{x:.1f}' for x in load_before)}, after: "
        f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores: anything above 2 means we shared them)",
        f"- sky: synthetic field (power-law compact sources ~1000/deg^2 from 0.1 mJy to 1 Jy, resolved Gaussians, "
        f"a faint halo); noise {args.noise:g} Jy/beam; default CleanConfig",
        "",
        "| case | route | image | beam | robust / taper | visibilities | setup (s) | per image (s) | CLEAN iters | rms / requested |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        per = ", ".join(f"{t:.1f}" for t in r["image_s"])
        lines.append(
            f"| {r['case']} | {r['route']} | {r['npix']} @ {r['pixel']}\" | {r['beam']} | {r['robust']} / {r['taper']} | "
            f"{r['n_vis']:,} | {r['setup_s']:.1f} | {per} (mean {np.mean(r['image_s']):.1f}) | "
            f"{', '.join(map(str, r['n_iter']))} | {', '.join(f'{x:.3f}' for x in r['rms_ratio'])} |"
        )
    lines += ["", "Per-image breakdown (seconds; first image of each case):", ""]
    for r in rows:
        lines.append(f"- {r['case']} / {r['route']}: `{json.dumps(r['details'][0])}`")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
