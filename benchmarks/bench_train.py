"""Benchmark: Radio U-Net training and inference throughput on this machine.

Measures, for the ``lite`` and ``paper`` presets on 192x192 tiles:

* training steps (forward, the training loss, backward, RMSprop update; the
  same code path as :class:`radio_unet.train.RadioUNetModule`) in fp32 and
  bf16-mixed (CPU autocast), channels-last, in tiles per second;
* inference (``predict_proba`` without gradients) in PyTorch fp32, PyTorch
  bf16 autocast and ONNX Runtime fp32, in tiles per second;
* optionally one end-to-end epoch of :func:`radio_unet.train.train` (FITS
  reading, normalisation, augmentation, Lightning loop) on a toy data set.

Results go to ``benchmarks/results/train.md`` with the machine, the date and
the command. Usage::

    python benchmarks/bench_train.py                 # full run (a few minutes on 2 cores)
    python benchmarks/bench_train.py --quick         # fewer steps
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from radio_unet.io.atomic import atomic_path
from radio_unet.models import OnnxPredictor, build_model, export_onnx
from radio_unet.train import RadioUNetModule

ROOT = Path(__file__).resolve().parents[1]


def cpu_name() -> str:
    """CPU model from /proc/cpuinfo (or platform.processor())."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load() -> str:
    """The 1-minute load average, as text."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def autocast(precision: str):
    """CPU autocast context for ``bf16-mixed``; a no-op for ``32``."""
    if precision == "bf16-mixed":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def batch(n: int, tile: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A random normalised batch and a blob-like mask."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, tile, tile, generator=g)
    y = (torch.nn.functional.avg_pool2d(torch.rand(n, 1, tile, tile, generator=g), 9, 1, 4)[:, 0] > 0.52).long()
    return x.contiguous(memory_format=torch.channels_last), y


def bench_train_steps(preset: str, precision: str, *, batch_size: int, tile: int, steps: int, warmup: int) -> dict:
    """Time training steps; returns seconds per step and tiles per second."""
    torch.manual_seed(0)
    module = RadioUNetModule({"preset": preset}, channels_last=True)
    module.train()
    opt = module.configure_optimizers()
    x, y = batch(batch_size, tile)
    times, cpu = [], []
    for i in range(warmup + steps):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        with autocast(precision):
            logits = module(x)
        loss = module.criterion(logits, y)
        loss.backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return _summary(times, cpu, batch_size) | {"loss": float(loss.detach())}


def _summary(times: list[float], cpu: list[float], batch_size: int) -> dict:
    """Best and median time, tiles/s of both, and the share of the CPUs this process got."""
    best, median = float(np.min(times)), float(np.median(times))
    share = float(np.sum(cpu) / (np.sum(times) * torch.get_num_threads()))
    return {"best_s": best, "median_s": median, "tiles_per_s": batch_size / best, "median_tiles_per_s": batch_size / median, "cpu_share": share}


def bench_inference(preset: str, mode: str, *, batch_size: int, tile: int, reps: int, tmp: Path) -> dict:
    """Time inference of one batch: ``torch-32``, ``torch-bf16`` or ``onnxruntime-32``."""
    torch.manual_seed(0)
    model = build_model(preset).eval()
    x, _ = batch(batch_size, tile)
    if mode.startswith("onnxruntime"):
        path = export_onnx(model, tmp / f"{preset}.onnx", tile=tile)
        pred = OnnxPredictor(path, threads=torch.get_num_threads())
        xn = x.contiguous().numpy()
        run = lambda: pred.predict_proba(xn, batch_size=batch_size)  # noqa: E731
    else:
        model = model.to(memory_format=torch.channels_last)
        precision = "bf16-mixed" if mode.endswith("bf16") else "32"

        def run():
            with torch.no_grad(), autocast(precision):
                return model.predict_proba(x)

    run()  # warm-up
    times, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        run()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    out = _summary(times, cpu, batch_size)
    out["mpix_per_s"] = out["tiles_per_s"] * tile * tile / 1e6
    return out


def bench_end_to_end(tmp: Path, *, preset: str, precision: str, batch_size: int) -> dict:
    """One epoch of train() on a toy data set of 384x384 images (4 tiles of 192 each)."""
    from radio_unet.data.synthetic import write_toy_dataset
    from radio_unet.train import TrainConfig, train

    root = write_toy_dataset(tmp / "toy", n_images=10, size=384, seed=0, beam_fwhm_px=6.0)
    cfg = TrainConfig.from_dict(
        {
            "data": {"root": str(root), "tile": 192, "val_fraction": 0.1, "test_fraction": 0.0, "empty_ratio": None},
            "model": preset,
            "out": str(tmp / "run"),
            "epochs": 2,
            "batch_size": batch_size,
            "precision": precision,
            "progress": False,
            "accelerator": "cpu",
            "devices": 1,
            "test": False,
        }
    )
    result = train(cfg)
    import csv

    rows = list(csv.DictReader(open(result.metrics_path)))
    tiles = result.card.dataset["train_tiles"]
    epoch_s = float(rows[-1]["epoch_time_s"])  # second epoch: no first-call overheads
    return {"train_tiles": tiles, "epoch_s": epoch_s, "tiles_per_s": tiles / epoch_s, "wall_s": result.wall_time_s}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["lite", "paper"])
    parser.add_argument("--precisions", nargs="+", default=["32", "bf16-mixed"])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--tile", type=int, default=192)
    parser.add_argument("--steps", type=int, default=5, help="timed training steps per configuration")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--reps", type=int, default=8, help="timed inference batches per configuration")
    parser.add_argument("--no-end-to-end", action="store_true", help="skip the train() epoch on a toy data set")
    parser.add_argument("--quick", action="store_true", help="2 steps, 2 inference repetitions")
    parser.add_argument("--threads", type=int, help="torch/ONNX Runtime threads (default: torch's choice, all cores)")
    parser.add_argument("--append", action="store_true", help="add this run to the results file instead of replacing it")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "train.md"))
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.reps = 2, 2
    if args.threads:
        torch.set_num_threads(args.threads)

    started = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    load_start = load()
    t_start = time.perf_counter()
    train_rows, infer_rows = [], []
    for preset in args.models:
        for precision in args.precisions:
            r = bench_train_steps(preset, precision, batch_size=args.batch_size, tile=args.tile, steps=args.steps, warmup=args.warmup)
            train_rows.append((preset, precision, r))
            print(f"train  {preset:6s} {precision:10s} best {r['best_s']:.3f} s/step  {r['tiles_per_s']:.2f} tiles/s  (median {r['median_tiles_per_s']:.2f}, cpu share {r['cpu_share']:.2f})", flush=True)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for preset in args.models:
            for mode in ("torch-32", "torch-bf16", "onnxruntime-32"):
                r = bench_inference(preset, mode, batch_size=args.batch_size, tile=args.tile, reps=args.reps, tmp=tmp)
                infer_rows.append((preset, mode, r))
                print(f"infer  {preset:6s} {mode:15s} {r['tiles_per_s']:.2f} tiles/s  (median {r['median_tiles_per_s']:.2f}, cpu share {r['cpu_share']:.2f})", flush=True)
        e2e = None
        if not args.no_end_to_end:
            e2e = bench_end_to_end(tmp, preset="lite", precision="bf16-mixed", batch_size=args.batch_size)
            print(f"train() lite bf16-mixed: {e2e['tiles_per_s']:.2f} tiles/s over {e2e['train_tiles']} tiles", flush=True)
    total = time.perf_counter() - t_start
    load_end = load()

    from radio_unet.models import parameter_count

    lines = [
        "# Training and inference throughput (CPU)",
        "",
        f"- Date (UTC): {started}",
        f"- Command: `{shlex.join(['python', 'benchmarks/bench_train.py', *(argv if argv is not None else sys.argv[1:])])}`",
        f"- Machine: {cpu_name()}, {os.cpu_count()} logical CPUs, torch threads {torch.get_num_threads()}, {platform.platform()}",
        f"- Software: Python {platform.python_version()}, torch {torch.__version__}, "
        f"onnxruntime {__import__('onnxruntime').__version__}, lightning {__import__('lightning').__version__}",
        f"- Load average (1 min) at start/end: {load_start} / {load_end}. The machine's 2 cores are shared with other "
        "engineers' work; the CPU-share column shows how much of them this process got, and the numbers are lower "
        "bounds for an idle machine.",
        f"- Tiles {args.tile}x{args.tile}, batch {args.batch_size}, channels-last; {args.steps} timed training steps after "
        f"{args.warmup} warm-up step(s), {args.reps} timed inference batches after one warm-up. 'best' is the fastest "
        "repetition (the least disturbed by other work), 'median' the median; 'CPU share' is the process CPU time over "
        f"wall time x {torch.get_num_threads()} threads (1.0 = both cores were ours). Total benchmark time {total:.0f} s.",
        "",
        "## Training steps (forward + cross entropy + backward + RMSprop)",
        "",
        "| model | parameters | precision | best s/step | tiles/s (best) | tiles/s (median) | CPU share | min per 10,000-tile epoch (best) |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for preset, precision, r in train_rows:
        lines.append(
            f"| {preset} | {parameter_count(preset):,} | {precision} | {r['best_s']:.3f} | {r['tiles_per_s']:.2f} | "
            f"{r['median_tiles_per_s']:.2f} | {r['cpu_share']:.2f} | {10000 / r['tiles_per_s'] / 60:.1f} |"
        )
    lines += [
        "",
        "## Inference (probabilities, no gradients)",
        "",
        "| model | engine | tiles/s (best) | tiles/s (median) | Mpix/s (best) | CPU share |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for preset, mode, r in infer_rows:
        lines.append(
            f"| {preset} | {mode} | {r['tiles_per_s']:.2f} | {r['median_tiles_per_s']:.2f} | {r['mpix_per_s']:.3f} | {r['cpu_share']:.2f} |"
        )
    if e2e is not None:
        lines += [
            "",
            "## End to end: `radio_unet.train.train` (lite, bf16-mixed)",
            "",
            f"Toy data set of 384x384 FITS images cut into {e2e['train_tiles']} training tiles of 192 px "
            f"(lazy memory-mapped reads, normalisation, augmentation, Lightning loop, validation, checkpoints): "
            f"second epoch {e2e['epoch_s']:.1f} s including its validation, i.e. {e2e['tiles_per_s']:.2f} training tiles/s; "
            f"whole call (2 epochs, indexing, export) {e2e['wall_s']:.1f} s.",
        ]
    lines += [
        "",
        "Notes: bf16-mixed uses CPU autocast (oneDNN bf16 kernels; this CPU has AVX-512 BF16); the loss is computed in fp32. "
        "ONNX Runtime runs the graph written by `radio_unet.models.export_onnx` (fp32).",
        "",
    ]
    out = Path(args.out)
    text = "\n".join(lines)
    if args.append and out.exists():
        previous = out.read_text(encoding="utf-8")
        text = previous.rstrip("\n") + "\n\n---\n\n" + text.replace("# Training and inference throughput (CPU)", "# Another run", 1)
    with atomic_path(out) as tmp_path:
        tmp_path.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
