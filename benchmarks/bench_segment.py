"""Benchmark: segmentation of a 2000x2000 image, `window` vs `paper` tiling, torch and ONNX Runtime.

Prints and writes benchmarks/results/segment.md: seconds per image, the window/paper
speed-up, achieved GFLOP/s (convolution FLOPs counted from the model) and the ratio to
the machine's measured peak (a large fp32 / bf16 matrix product).

Usage: python benchmarks/bench_segment.py [--model default] [--npix 2000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from radio_unet.models import load_model
from radio_unet.models.unet import RadioUNet
from radio_unet.segment import resolve_model, segment_array
from radio_unet.segment.engine import window_pixels
from radio_unet.segment.load import cached_onnx
from radio_unet.segment.predictors import make_predictor


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


def time_it(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls of ``fn`` after one warm-up call."""
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--npix", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "segment.md"))
    args = parser.parse_args()

    model, card = load_model(resolve_model(args.model))
    rng = np.random.default_rng(0)
    image = rng.random((args.npix, args.npix), dtype=np.float32) * 0.6  # normalised-range input
    flops_px = conv_flops_per_pixel(model)
    peaks = {"32": peak_gflops(torch.float32), "bf16": peak_gflops(torch.bfloat16), "int8": peak_int8_gops()}
    onnx_paths = {precision: cached_onnx(model, card, precision=precision) for precision in ("32", "int8")}
    max_pixels = window_pixels(card.architecture.base_filters)
    rows = []
    engines = (("torch", "32", False), ("torch", "32", True), ("torch", "bf16", False), ("onnx", "32", False),
               ("onnx", "int8", False))
    for backend, precision, compiled in engines:
        predict = make_predictor(model, backend=backend, precision=precision, onnx_path=onnx_paths.get(precision),
                                 compile=compiled)
        engine = f"{backend}-{precision}" + ("-compiled" if compiled else "")
        times, computed = {}, {}
        for tiling in ("window", "paper"):
            def run(tiling=tiling, predict=predict):
                return segment_array(image, predict, tiling=tiling, divisor=card.architecture.divisor, max_pixels=max_pixels)

            times[tiling] = time_it(run, args.repeats)
            # FLOPs actually computed: count the pixels the network was given (margins and overlaps included).
            seen = []
            segment_array(image, lambda batch, p=predict: (seen.append(batch.size), p(batch))[1], tiling=tiling,
                          divisor=card.architecture.divisor, max_pixels=max_pixels)
            computed[tiling] = sum(seen)
        for tiling in ("window", "paper"):
            gflops = flops_px * computed[tiling] / times[tiling] / 1e9
            rows.append((engine, tiling, times[tiling], gflops, peaks[precision] / gflops))
        rows.append((engine, "paper/window", times["paper"] / times["window"], float("nan"), float("nan")))
    lines = [
        "# Benchmark: segmentation of one image",
        "",
        f"- date: {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}",
        f"- command: `python benchmarks/bench_segment.py --model {args.model} --npix {args.npix} --repeats {args.repeats}`",
        f"- machine: {platform.machine()}, {os.cpu_count()} logical CPUs, torch threads {torch.get_num_threads()}, torch {torch.__version__}",
        f"- load average before the run: {os.getloadavg()[0]:.2f} (2 cores: above 2 means the machine was shared)",
        f"- model: {args.model} ({card.architecture.name}, base {card.architecture.base_filters}), "
        f"{flops_px / 1e3:.1f} kFLOP per pixel per pass; image {args.npix}x{args.npix}",
        f"- machine peak (best {2048}^3 matrix product): fp32 {peaks['32']:.0f} GFLOP/s, bf16 {peaks['bf16']:.0f} GFLOP/s, "
        f"int8 {peaks['int8']:.0f} GOP/s (`torch._int_mm`); the int8 rows count GOP/s against the int8 peak",
        "- onnx-int8: static int8 quantisation (ONNX Runtime QDQ, per-channel weights, uint8 activations) calibrated "
        "on 6 simulated fields (`radio_unet.segment.load.calibration_images`)",
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
    text = "\n".join(lines) + "\n"
    print(text)
    from _report import prepend_report

    prepend_report(args.out, text)


if __name__ == "__main__":
    main()
