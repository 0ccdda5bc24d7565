"""Experiment: does fine-tuning help on "real-like" images that differ from the training data?

The shipped model was trained on ``lotss-6as-512`` fields (6" beam, 2"/px).
Here the "real" images are ``lotss-20as`` fields (20" beam at 4.5"/px, higher
noise: the LoTSS low-resolution cluster images), a domain the model never saw.
The script runs the documented commands, each as a subprocess:

1. ``radio-unet simulate --preset lotss-20as`` twice with different seeds:
   a handful of images to fine-tune on and an independent test folder;
2. ``radio-unet finetune --model MODEL --data TRAIN`` (top ``--trainable-layers``
   layers, the rest frozen; validation split by image inside TRAIN);
3. ``radio-unet evaluate --dataset TEST --split all`` with the frozen model
   (which resamples the images to its own pixels per beam) and with the
   fine-tuned one;

and writes the mean IoU (paper eq. 5), pixel and source precision/recall of
both models and of the 3-sigma baseline on the *test* folder (never used in
fine-tuning) to ``benchmarks/results/finetune.md``.

Usage::

    .venv/bin/python benchmarks/finetune_real_like.py [--model default] [--n-train 8] [--n-test 10]
        [--epochs 30] [--trainable-layers 10] [--work data_sim/finetune_real_like]
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from _report import prepend_report  # benchmarks/, the script's folder

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], log: Path) -> float:
    """Run ``radio-unet ARGS`` (this interpreter), append its output to ``log``; returns seconds."""
    command = [sys.executable, "-m", "radio_unet", *args]
    t0 = time.perf_counter()
    with open(log, "a") as fh:
        fh.write(f"\n$ radio-unet {shlex.join(args)}\n")
        fh.flush()
        done = subprocess.run(command, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"radio-unet {shlex.join(args)} failed (exit {done.returncode}); see {log}")
    return time.perf_counter() - t0


def summary_rows(path: Path) -> dict:
    """``method -> row`` of a ``radio-unet evaluate`` summary table."""
    from astropy.table import Table

    return {str(row["method"]): row for row in Table.read(path, format="ascii.ecsv")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="model to fine-tune (default: the shipped one)")
    parser.add_argument("--n-train", type=int, default=8, help="real-like images to fine-tune on (default 8)")
    parser.add_argument("--n-test", type=int, default=10, help="independent real-like test images (default 10)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--trainable-layers", type=int, default=10, help="top layers left trainable (paper: 10)")
    parser.add_argument("--seed", type=int, default=101, help="seed of the fine-tuning images (test: seed + 1)")
    parser.add_argument("--work", default=str(ROOT / "data_sim" / "finetune_real_like"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "finetune.md"))
    args = parser.parse_args(argv)

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    log = work / "commands.log"
    train_dir, test_dir, run_dir = work / "train", work / "test", work / "run"
    times = {}
    times["simulate"] = run(["simulate", "--preset", "lotss-20as", "--n", str(args.n_train), "--seed", str(args.seed),
                             "--out", str(train_dir), "--gallery", "0"], log)
    times["simulate"] += run(["simulate", "--preset", "lotss-20as", "--n", str(args.n_test), "--seed",
                              str(args.seed + 1), "--out", str(test_dir), "--gallery", "0"], log)
    finetune = ["finetune", "--model", args.model, "--data", str(train_dir), "--out", str(run_dir), "--epochs",
                str(args.epochs), "--trainable-layers", str(args.trainable_layers), "--no-progress", "--overwrite"]
    times["finetune"] = run(finetune, log)
    evaluations = {}
    for label, model in (("frozen", args.model), ("fine-tuned", str(run_dir))):
        out = work / f"eval_{label}"
        times[f"evaluate {label}"] = run(["evaluate", "--dataset", str(test_dir), "--model", model, "--split", "all",
                                          "--no-external", "-o", str(out)], log)
        evaluations[label] = summary_rows(out / "summary.ecsv")

    command = "python benchmarks/finetune_real_like.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    lines = [
        "# Experiment: fine-tuning on real-like images (a resolution and noise the model never saw)",
        "",
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; machine: {os.cpu_count()} cores",
        f"- command: `{command.strip()}` (commands and their output: {log.relative_to(ROOT) if log.is_relative_to(ROOT) else log})",
        f"- parent model: `{args.model}`; fine-tuning data: `radio-unet simulate --preset lotss-20as --n {args.n_train} "
        f"--seed {args.seed}` (20\" beam, 4.5\"/px); test data: `--n {args.n_test} --seed {args.seed + 1}` (never used "
        "for fine-tuning or for choosing the epoch)",
        f"- fine-tuning: `radio-unet {shlex.join(finetune)}`",
        "- times: " + ", ".join(f"{k} {v:.0f} s" for k, v in times.items()),
        "",
        "| model on the test images | mean IoU | pixel precision | pixel recall | source precision | source recall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows = [("frozen parent", evaluations["frozen"]["radio-unet"]), ("fine-tuned", evaluations["fine-tuned"]["radio-unet"]),
            ("3-sigma threshold", evaluations["frozen"]["3sigma"])]
    for name, row in rows:
        lines.append(f"| {name} | {row['mean_iou']:.3f} | {row['pixel_precision']:.3f} | {row['pixel_recall']:.3f} | "
                     f"{row['source_precision']:.3f} | {row['source_recall']:.3f} |")
    gain = evaluations["fine-tuned"]["radio-unet"]["mean_iou"] - evaluations["frozen"]["radio-unet"]["mean_iou"]
    lines += ["", f"Fine-tuning changes the mean IoU on the test images by **{gain:+.3f}**.", ""]
    text = "\n".join(lines)
    print(text)
    prepend_report(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
