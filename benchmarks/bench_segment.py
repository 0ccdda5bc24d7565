"""Benchmark: segmentation of a 2000x2000 image, `window` vs `paper` tiling, torch and ONNX Runtime.

Prints and writes benchmarks/results/segment.md: seconds per image, the window/paper
speed-up, achieved GFLOP/s (convolution FLOPs counted from the model) and the ratio to
the machine's measured peak (a large fp32 / bf16 matrix product); then what a user waits
for: `radio-unet segment` end to end in a fresh process (imports, model, reading,
network, every output), on a 128x128 image (the fixed cost) and on the 2000x2000 image,
next to the network-only time, and the time spent outside the network call in one
process (reading, writing the probability, mask and class maps, regions and picture).

Usage: python benchmarks/bench_segment.py [--model default] [--npix 2000] [--repeats 2] [--e2e-only]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from astropy.io import fits

from radio_unet.cli.common import calibration_images
from radio_unet.io import make_celestial_wcs
from radio_unet.models import load_model
from radio_unet.models.unet import RadioUNet
from radio_unet.segment import resolve_model, segment_array
from radio_unet.segment.backends import DEFAULT_TTA, cached_onnx, make_predictor
from radio_unet.segment.engine import window_pixels

#: End-to-end runs: (label, extra options of `radio-unet segment`).
E2E_RUNS = (("onnx-32 window", ["--backend", "onnx"]),
            ("onnx-32 paper", ["--backend", "onnx", "--tiling", "paper"]),
            ("onnx-int8 window", ["--backend", "onnx", "--precision", "int8"]),
            ("onnx-int8 paper", ["--backend", "onnx", "--precision", "int8", "--tiling", "paper"]))


def conv_flops_per_pixel(model: RadioUNet, size: int = 192) -> float:
    """Multiply-adds x 2 of every (transposed) convolution per input pixel, counted with hooks."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        k = int(np.prod(module.kernel_size))
        if isinstance(module, torch.nn.ConvTranspose2d):
            total += 2 * k * module.in_channels * module.out_channels // module.groups * inputs[0].shape[-1] * inputs[0].shape[-2]
        else:
            total += 2 * k * module.in_channels // module.groups * output.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    with torch.inference_mode():
        model.eval()(torch.zeros(1, 1, size, size))
    for h in handles:
        h.remove()
    return total / size**2


def peak_gflops(dtype: torch.dtype, n: int = 2048, repeats: int = 5) -> float:
    """Best achieved GFLOP/s of an n x n matrix product (the machine's practical limit)."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    return 2 * n**3 / time_it(lambda: torch.mm(a, b), repeats) / 1e9


def peak_int8_gops(n: int = 2048, repeats: int = 5) -> float:
    """Best achieved GOP/s of an int8 n x n matrix product (``torch._int_mm``; NaN where unavailable)."""
    a = torch.randint(-128, 127, (n, n), dtype=torch.int8)
    b = torch.randint(-128, 127, (n, n), dtype=torch.int8)
    try:
        torch._int_mm(a, b)
    except (AttributeError, RuntimeError):
        return float("nan")
    return 2 * n**3 / time_it(lambda: torch._int_mm(a, b), repeats) / 1e9


def best_times(fn, repeats: int, *, cpu=time.process_time) -> tuple[float, float]:
    """Best wall time and best CPU time (``cpu()``: user + system seconds) of ``repeats`` calls after a warm-up.

    The CPU time hardly depends on what else the machine runs; on an idle machine a single-threaded step takes
    about as long on the wall clock.
    """
    fn()  # warm-up
    wall, used = float("inf"), float("inf")
    for _ in range(repeats):
        w, c = time.perf_counter(), cpu()
        fn()
        wall, used = min(wall, time.perf_counter() - w), min(used, cpu() - c)
    return wall, used


def time_it(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls of ``fn`` after one warm-up call."""
    return best_times(fn, repeats)[0]


def network_rows(model, card, image: np.ndarray, *, repeats: int, engines, flops_px: float, peaks: dict):
    """Network-only seconds (normalised input in memory, no files) per engine and tiling, and the pixels computed."""
    onnx_paths = {precision: cached_onnx(model, card, precision=precision, calibration=calibration_images)
                  for precision in ("32", "int8")}
    max_pixels = window_pixels(card.architecture.base_filters)
    rows, seconds = [], {}
    for backend, precision, compiled in engines:
        predict = make_predictor(model, backend=backend, precision=precision, onnx_path=onnx_paths.get(precision),
                                 compile=compiled)
        engine = f"{backend}-{precision}" + ("-compiled" if compiled else "")
        times, computed = {}, {}
        for tiling in ("window", "paper"):
            def run(tiling=tiling, predict=predict):
                return segment_array(image, predict, tiling=tiling, divisor=card.architecture.divisor, max_pixels=max_pixels)

            times[tiling] = seconds[f"{engine} {tiling}"] = time_it(run, repeats)
            # FLOPs actually computed: count the pixels the network was given (margins and overlaps included).
            seen = []
            segment_array(image, lambda batch, p=predict: (seen.append(batch.size), p(batch))[1], tiling=tiling,
                          divisor=card.architecture.divisor, max_pixels=max_pixels)
            computed[tiling] = sum(seen)
        for tiling in ("window", "paper"):
            gflops = flops_px * computed[tiling] / times[tiling] / 1e9
            rows.append((engine, tiling, times[tiling], gflops, peaks[precision] / gflops))
        rows.append((engine, "paper/window", times["paper"] / times["window"], float("nan"), float("nan")))
    return rows, seconds, computed, max_pixels


def write_field(path: Path, npix: int, card) -> Path:
    """A ``npix`` x ``npix`` field of Gaussian noise (100 uJy/beam) at the model's pixel scale and beam."""
    scale = float(card.pixel_scale_arcsec or 1.5)
    beam = float((card.beam_arcsec or {}).get("major", 4 * scale))
    header = make_celestial_wcs((npix, npix), pixel_scale_arcsec=scale, ra_deg=150.0, dec_deg=50.0).to_header()
    header.update({"BMAJ": beam / 3600, "BMIN": beam / 3600, "BPA": 0.0, "BUNIT": "JY/BEAM"})
    data = np.random.default_rng(npix).normal(0.0, 1e-4, (npix, npix)).astype(np.float32)
    fits.PrimaryHDU(data, header).writeto(path, overwrite=True)
    return path


def children_cpu() -> float:
    """User + system seconds of the finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def e2e_seconds(image: Path, model: str, options: list[str], out: Path, repeats: int) -> tuple[float, float]:
    """Best wall and CPU time of `radio-unet segment` in a fresh process (the export is cached by then)."""
    command = [sys.executable, "-m", "radio_unet", "segment", str(image), "-o", str(out), "--model", model,
               "--overwrite", *options]
    return best_times(lambda: subprocess.run(command, check=True, capture_output=True), repeats, cpu=children_cpu)


#: What any FITS-in, FITS-out ONNX command must import: the floor under `segment`'s fixed cost on this machine.
FLOOR_IMPORTS = "import numpy, astropy.io.fits, astropy.wcs, onnxruntime"


def floor_seconds(repeats: int) -> tuple[float, float]:
    """Best wall and CPU time of a fresh Python that only imports :data:`FLOOR_IMPORTS`."""
    command = [sys.executable, "-c", FLOOR_IMPORTS]
    return best_times(lambda: subprocess.run(command, check=True, capture_output=True), repeats, cpu=children_cpu)


def outside_network_seconds(image: Path, model: str, out: Path, repeats: int, *, worker: bool = False,
                            clock=time.process_time) -> tuple[float, float]:
    """Seconds (``clock``) of one `segment_file` call in this process, and of the part outside the network call
    (reading, the probability/mask/class maps written, regions, picture); ONNX float32, window tiling. With
    ``worker`` the picture goes to a forked :class:`~radio_unet.plots.worker.PictureWorker` as in `radio-unet
    segment`, and the time runs until it is written."""
    from radio_unet.plots.worker import PictureWorker
    from radio_unet.segment.load import Segmenter
    from radio_unet.segment.run import segment_file

    network = []
    call = Segmenter.__call__

    def timed(self, *args, **kwargs):
        start = clock()
        try:
            return call(self, *args, **kwargs)
        finally:
            network.append(clock() - start)

    Segmenter.__call__ = timed
    try:
        best = (float("inf"), float("inf"))
        with PictureWorker(enabled=worker) as pictures:
            segment_file(image, out, model=model, backend="onnx", overwrite=True)  # warm-up: model, pages cached
            for _ in range(repeats):
                network.clear()
                start = clock()
                segment_file(image, out, model=model, backend="onnx", overwrite=True, draw=pictures.drawer(image))
                assert pictures.wait() == []
                total = clock() - start
                best = min(best, (total, total - sum(network)), key=lambda pair: pair[1])
    finally:
        Segmenter.__call__ = call
    return best


def e2e_lines(args, card, network: dict) -> list[str]:
    """The end-to-end table: fresh-process times next to the network-only times, and the time outside the network."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-segment-") as tmp:
        tmp = Path(tmp)
        small, large = write_field(tmp / "small.fits", 128, card), write_field(tmp / "large.fits", args.npix, card)
        runs = [("onnx-32 window (fixed cost)", small, ["--backend", "onnx"]),
                ("onnx-32 window, --no-png", small, ["--backend", "onnx", "--no-png"])]
        runs += [(label, large, options) for label, options in E2E_RUNS]
        e2e = {label: e2e_seconds(image, args.model, options, tmp / "out", args.repeats) for label, image, options in runs}
        floor = floor_seconds(max(args.repeats, 3))
        total, outside = outside_network_seconds(large, args.model, tmp / "inproc", args.repeats)
        wall, outside_wall = outside_network_seconds(large, args.model, tmp / "inproc", args.repeats, worker=True,
                                                     clock=time.perf_counter)
    lines = [
        "",
        f"## End to end: `radio-unet segment` in a fresh process (load average {load:.2f} -> {os.getloadavg()[0]:.2f})",
        "",
        "Best of the repeats after one warm-up run (the ONNX exports cached); Gaussian-noise fields at the model's "
        "pixel scale and beam, every output written (probability, mask, class maps, regions, PNG) unless noted. "
        "CPU: user + system seconds of the process (ONNX Runtime runs two threads, so the network's CPU time can "
        "exceed its wall time); on a shared machine the CPU time is the steadier number. The end-to-end runs use "
        f"`segment`'s defaults, test-time augmentation {'on (8 network passes)' if DEFAULT_TTA else 'off'}; the "
        "network-only column is one pass.",
        "",
        "| run | image | end to end, wall (s) | end to end, CPU (s) | network only, wall (s) |",
        "|---|---|---:|---:|---:|",
    ]
    for label, image, _ in runs:
        net = network.get(label)
        side = "128x128" if image is small else f"{args.npix}x{args.npix}"
        lines.append(f"| {label} | {side} | {e2e[label][0]:.2f} | {e2e[label][1]:.2f} | "
                     f"{'' if net is None else f'{net:.2f}'} |")
    lines.append(f"| floor: a fresh Python that only runs `{FLOOR_IMPORTS}` | - | {floor[0]:.2f} | {floor[1]:.2f} | |")
    for precision in ("32", "int8"):
        ratio = e2e[f"onnx-{precision} paper"][0] / e2e[f"onnx-{precision} window"][0]
        lines.append(f"| onnx-{precision}: **paper / window end to end** | {args.npix}x{args.npix} | **{ratio:.2f}x** | | |")
    lines += ["", f"- in one process (`segment_file`, onnx-32, window, {args.npix}x{args.npix}): {total:.2f} s CPU, of "
              f"which {outside:.2f} s outside the network call (reading the image, writing the probability, mask and "
              "class maps, the regions and the picture; the normalisation's rms map is inside the network call)",
              f"- the same with the picture drawn by a forked worker, as `radio-unet segment` does: {wall:.2f} s wall until "
              f"the picture is written, of which {outside_wall:.2f} s outside the network call"]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--npix", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--e2e-only", action="store_true", help="network-only times of the ONNX engines only")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "segment.md"))
    args = parser.parse_args()

    model, card = load_model(resolve_model(args.model))
    rng = np.random.default_rng(0)
    image = rng.random((args.npix, args.npix), dtype=np.float32) * 0.6  # normalised-range input
    flops_px = conv_flops_per_pixel(model)
    peaks = {"32": peak_gflops(torch.float32), "bf16": peak_gflops(torch.bfloat16), "int8": peak_int8_gops()}
    engines = (("onnx", "32", False), ("onnx", "int8", False))
    if not args.e2e_only:
        engines = (("torch", "32", False), ("torch", "32", True), ("torch", "bf16", False)) + engines
    load = os.getloadavg()[0]
    rows, network, computed, max_pixels = network_rows(model, card, image, repeats=args.repeats, engines=engines,
                                                       flops_px=flops_px, peaks=peaks)
    lines = [
        "# Benchmark: segmentation of one image",
        "",
        f"- date: {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}",
        f"- command: `python benchmarks/bench_segment.py --model {args.model} --npix {args.npix} --repeats {args.repeats}"
        f"{' --e2e-only' if args.e2e_only else ''}`",
        f"- machine: {platform.machine()}, {os.cpu_count()} logical CPUs, torch threads {torch.get_num_threads()}, torch {torch.__version__}",
        f"- load average before the run: {load:.2f} (2 cores: above 2 means the machine was shared)",
        f"- model: {args.model} ({card.architecture.name}, base {card.architecture.base_filters}), "
        f"{flops_px / 1e3:.1f} kFLOP per pixel per pass; image {args.npix}x{args.npix}",
        f"- machine peak (best {2048}^3 matrix product): fp32 {peaks['32']:.0f} GFLOP/s, bf16 {peaks['bf16']:.0f} GFLOP/s, "
        f"int8 {peaks['int8']:.0f} GOP/s (`torch._int_mm`); the int8 rows count GOP/s against the int8 peak",
        "- onnx-int8: static int8 quantisation (ONNX Runtime QDQ, per-channel weights, uint8 activations) calibrated "
        "on 6 simulated fields (`radio_unet.cli.common.calibration_images`)",
        "- torch rows run the network with its batch norms folded into the convolutions (`fold_batch_norm`); "
        "-compiled: through `torch.compile` (`--compile`; compilation in the untimed warm-up call)",
        f"- pixels through the network: window {computed['window'] / args.npix**2:.2f}x the image "
        f"(automatic windows of at most {max_pixels / 1e6:.1f} Mpx, 128 px margins between windows, no mirror padding "
        f"at the border beyond a multiple of 16), paper {computed['paper'] / args.npix**2:.2f}x (192 tiles at stride 96)",
        "",
        "| engine | tiling | seconds per image (best) | achieved GFLOP/s | peak / achieved |",
        "|---|---|---:|---:|---:|",
    ]
    for engine, tiling, sec, gf, ratio in rows:
        if tiling == "paper/window":
            lines.append(f"| {engine} | **speed-up window vs paper** | **{sec:.2f}x** | | |")
        else:
            lines.append(f"| {engine} | {tiling} | {sec:.2f} | {gf:.0f} | {ratio:.2f} |")
    lines += e2e_lines(args, card, network)
    text = "\n".join(lines) + "\n"
    print(text)
    from _report import prepend_report

    prepend_report(args.out, text)


if __name__ == "__main__":
    main()
