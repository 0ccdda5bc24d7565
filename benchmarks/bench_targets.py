"""Benchmark of ``radio-unet targets``: targets per hour through the whole chain, extrapolated to LoTSS-DR3.

Writes a synthetic LoTSS-like mosaic (1.5"/px, 6" beam, 70 uJy/beam noise,
a faint halo-like blob on half the targets) and a catalogue of ``--n``
clusters on it, then times

1. the cut-outs (``--size`` x ``--size`` pixels, :func:`radio_unet.targets.make_cutouts`),
2. the rest of the chain on those cut-outs: segmentation
   (:func:`radio_unet.segment.run.segment_file`), the detection ratio, the
   per-target figure and the gallery (:func:`radio_unet.targets.run_targets`,
   which finds the cut-outs done and skips them),

with the shipped model ``default`` when ``src/radio_unet/weights/default.safetensors``
exists, else the ``lite`` preset with random weights (same cost per pixel as
a trained ``lite``). The model is loaded once before timing (a one-off cost
per worker, reported separately). Targets per hour and the time for the
3,821 LoTSS-DR3 clusters follow; results go to ``benchmarks/results/targets.md``.

Usage::

    .venv/bin/python benchmarks/bench_targets.py [--n 4] [--size 960] [--precision 32|bf16|int8]
        [--backend auto|torch|onnx] [--workers 1] [--threads 2] [--no-png] [--out benchmarks/results/targets.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

LOTSS_DR3_CLUSTERS = 3821


def cpu_name() -> str:
    """CPU model from /proc/cpuinfo (or platform.processor())."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def make_model(tmp: Path) -> tuple[str, str]:
    """The model to time: ``default`` if shipped, else ``lite`` with random weights saved to ``tmp``."""
    from radio_unet.segment.load import SHIPPED_DIR

    if (SHIPPED_DIR / "default.safetensors").exists():
        return "default", "shipped model `default` (src/radio_unet/weights/default.safetensors)"
    import torch

    from radio_unet.models import build_model, parameter_count, save_model

    torch.manual_seed(0)
    model = build_model("lite").eval()
    path = tmp / "lite-random.safetensors"
    save_model(path, model, {"normalization": {"vmin": 1e-10, "vmax": 1e-5, "unit": "Jy/pixel"},
                             "pixel_scale_arcsec": 1.5, "beam_arcsec": {"major": 6.0, "minor": 6.0, "pa": 0.0},
                             "notes": "random weights, for timing only"})
    return str(path), f"`lite` preset with RANDOM weights ({parameter_count('lite'):,} parameters; no shipped default model yet)"


def make_field(tmp: Path, *, n: int, size: int, seed: int = 0) -> tuple[Path, Path]:
    """A LoTSS-like mosaic holding ``n`` cut-outs of ``size`` side without overlap, and its catalogue (CSV)."""
    from astropy.io import fits

    from radio_unet.io import make_celestial_wcs

    rng = np.random.default_rng(seed)
    per_side = int(np.ceil(np.sqrt(n)))
    side = per_side * size + size // 2
    wcs = make_celestial_wcs((side, side), pixel_scale_arcsec=1.5, ra_deg=180.0, dec_deg=55.0)
    data = rng.normal(0.0, 7e-5, (side, side)).astype(np.float32)
    lines = ["name,ra,dec,z,m500"]
    y, x = np.ogrid[:side, :side]
    for k in range(n):
        cx = size // 2 + (k % per_side) * size + size / 2 + rng.uniform(-20, 20)
        cy = size // 2 + (k // per_side) * size + size / 2 + rng.uniform(-20, 20)
        ra, dec = wcs.pixel_to_world_values(cx, cy)
        z, m500 = rng.uniform(0.1, 0.35), rng.uniform(3.0, 8.0)
        if k % 2 == 0:  # a faint halo: 1 sigma per beam at the centre, 250 kpc-ish
            sig = 60.0
            data += (7e-5 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sig**2))).astype(np.float32)
        lines.append(f"C{k:04d},{float(ra):.7f},{float(dec):.7f},{z:.4f},{m500:.3f}")
    header = wcs.to_header()
    header["BMAJ"] = header["BMIN"] = 6.0 / 3600
    header["BPA"] = 0.0
    header["BUNIT"] = "JY/BEAM"
    header["RESTFRQ"] = 144e6
    mosaic = tmp / "mosaic.fits"
    fits.PrimaryHDU(data, header).writeto(mosaic)
    catalog = tmp / "clusters.csv"
    catalog.write_text("\n".join(lines) + "\n")
    return mosaic, catalog


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4, help="targets to time (default 4)")
    parser.add_argument("--size", type=int, default=960, help="cut-out side in pixels (default 960)")
    parser.add_argument("--precision", choices=["32", "bf16", "int8"], default="32",
                        help="32 (default), bf16 (torch) or int8 (ONNX Runtime)")
    parser.add_argument("--backend", choices=["auto", "torch", "onnx"], default="auto",
                        help="inference backend (auto: ONNX Runtime for float32 on a CPU)")
    parser.add_argument("--workers", type=int, default=1, help="Dask workers (1 = in this process)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads in this process")
    parser.add_argument("--no-png", action="store_true", help="time without the per-target figures and gallery")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "targets.md"))
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    from radio_unet.targets.catalog import read_catalog
    from radio_unet.segment.run import cached_segmenter
    from radio_unet.targets import make_cutouts, run_targets

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-targets-") as tmpdir:
        tmp = Path(tmpdir)
        model, model_text = make_model(tmp)
        t0 = time.perf_counter()
        mosaic, catalog_path = make_field(tmp, n=args.n, size=args.size)
        t_field = time.perf_counter() - t0
        catalog = read_catalog(catalog_path)

        t0 = time.perf_counter()
        segmenter = cached_segmenter(model, args.backend, "cpu", args.precision)  # one-off per worker (ONNX export cached)
        t_load = time.perf_counter() - t0

        out = tmp / "out"
        t0 = time.perf_counter()
        cut = make_cutouts(catalog, [mosaic], out / "cutouts", size=args.size, workers=args.workers)
        t_cut = time.perf_counter() - t0
        assert len(cut["results"]) == args.n, cut

        t0 = time.perf_counter()
        result = run_targets(catalog, [mosaic], out, size=args.size, model=model,
                             segment_options={"precision": args.precision, "backend": args.backend}, workers=args.workers,
                             png=not args.no_png)
        t_rest = time.perf_counter() - t0
        table = result["table"]
        assert (table["status"] == "ok").all() and not result["failures"], result["failures"]

        # One segmentation alone, for the split (the file is redone with overwrite).
        from radio_unet.segment.run import segment_file

        first = out / "cutouts" / f"{table['name'][0]}.fits"
        t0 = time.perf_counter()
        segment_file(first, tmp / "seg-one", model=model, precision=args.precision, backend=args.backend, png=False)
        t_seg_one = time.perf_counter() - t0

    total = t_cut + t_rest
    per_target = total / args.n
    per_hour = 3600.0 / per_target
    dr3_hours = LOTSS_DR3_CLUSTERS * per_target / 3600.0
    load_after = os.getloadavg()
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "python benchmarks/bench_targets.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    lines = [
        "# Benchmark: radio-unet targets (whole chain per cluster)",
        "",
        f"- date: {now}",
        f"- machine: {cpu_name()}, {os.cpu_count()} cores, {platform.platform()}; torch threads {args.threads}, "
        f"Dask workers {args.workers}",
        f"- load average before: {load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f}, after: "
        f"{load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f} (2 cores: above 2 means the machine was shared, "
        "so times are upper bounds)",
        f"- command: `{command}`",
        f"- model: {model_text}; backend {segmenter.backend}, precision {args.precision}; tiling window",
        f"- data: synthetic LoTSS-like mosaic (1.5\"/px, 6\" beam, 70 uJy/beam noise), {args.n} targets, "
        f"{args.size}x{args.size} cut-outs; figures {'off' if args.no_png else 'on'}",
        "",
        "| stage | seconds | per target (s) |",
        "|---|---|---|",
        f"| model load (once per worker, not counted) | {t_load:.2f} | |",
        f"| cut-outs | {t_cut:.2f} | {t_cut / args.n:.2f} |",
        f"| segment + R + figures + gallery + tables | {t_rest:.2f} | {t_rest / args.n:.2f} |",
        f"| of which one segmentation alone | | {t_seg_one:.2f} |",
        f"| of which reading, R, figure, thumbnail (by difference) | | {max(t_rest / args.n - t_seg_one, 0):.2f} |",
        f"| **whole chain** | **{total:.2f}** | **{per_target:.2f}** |",
        "",
        f"**{per_hour:,.0f} targets per hour**; the {LOTSS_DR3_CLUSTERS:,} LoTSS-DR3 clusters would take "
        f"**{dr3_hours:.2f} h** on this machine (goal: < 1 h){'.' if dr3_hours < 1 else ' - not met here.'}",
        "",
    ]
    if dr3_hours >= 1:
        lines += [
            f"The U-Net pass over each {args.size}x{args.size} cut-out dominates. Targets are independent, so the "
            f"goal needs about {int(np.ceil(dr3_hours))} such machines as Dask workers (`--scheduler`), or a GPU "
            "(`--device cuda`; not measured here: no GPU in this session).",
            "",
        ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        from _report import prepend_report

        prepend_report(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
