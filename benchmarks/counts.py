"""Benchmark of `radio-unet counts`: every method on held-out fields, out-of-family, mis-specified and independent images.

Needs the data sets and the model made by the commands below (see docs/counts.md); writes
benchmarks/results/counts.md (newest run first) and the evaluation folders under runs/counts_eval/.

    P=lotss-6as-like; T=lotss   # or P=askap-emu-like; T=emu (and --survey emu below)
    radio-unet counts simulate --preset $P --n 10000 --family knots --seed 1 --out data_sim/counts_${T}_knots_train
    radio-unet counts simulate --preset $P --n 6000 --family knots --seed 21 --route observe --out data_sim/counts_${T}_knots_observe_train
    radio-unet counts simulate --preset $P --n 2000 --family knots --seed 2 --out data_sim/counts_${T}_knots_test --fits 20
    radio-unet counts simulate --preset $P --n 2000 --family talk --seed 3 --out data_sim/counts_${T}_talk_test
    radio-unet counts simulate --preset $P --n 2000 --family knots --seed 4 --misspec 1.05 --out data_sim/counts_${T}_misspec_test
    radio-unet counts simulate --preset $P --n 300 --family knots --seed 5 --route observe --out data_sim/counts_${T}_observe_test
    radio-unet counts train --data data_sim/counts_${T}_knots_train data_sim/counts_${T}_knots_observe_train --out runs/counts_${T} --threads 2
    python benchmarks/counts.py --model runs/counts_${T} [--survey emu]

(The EMU-like preset uses seeds 101-121 in place of 1-21.) 2000 held-out fields per set: with 300, the median bias of
the 0.5-sigma bin moved by 0.13 between two test sets of the same prior (sampling noise of a median of a posterior
about 0.7 dex wide).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[1]

SETS = [
    ("in family (knots), fast route", "data_sim/counts_{}_knots_test"),
    ("out of family (talk), fast route", "data_sim/counts_{}_talk_test"),
    ("mis-specified: beam and noise 5% off", "data_sim/counts_{}_misspec_test"),
    ("observe route (uv-coverage, PSF sidelobes, CLEAN)", "data_sim/counts_{}_observe_test"),
]
#: Tag of the data folders and the shipped model of each survey.
SURVEYS = {"lotss": "counts-lotss-6as", "emu": "counts-askap-emu"}


def independent_coverage(model: str | None, n_images: int, out: Path) -> str:
    """Coverage of the broken power law by the estimator on images of the independent simulator of the tests."""
    from astropy.table import Table

    from radio_unet.cli import main
    from radio_unet.counts.tests.test_counts_independent import independent_image, true_bins, write_fits

    out.mkdir(parents=True, exist_ok=True)
    inside68, inside95, rel = [], [], []
    for seed in range(n_images):
        path = out / f"bpl_{seed:03d}.fits"
        write_fits(path, independent_image(1000 + seed, sigma=float(np.random.default_rng(seed).uniform(70e-6, 130e-6))))
        args = ["counts", "estimate", str(path), "-o", str(out), "--samples", "1000"] + (["--model", model] if model else [])
        if main(args) != 0:
            continue
        t = Table.read(out / f"bpl_{seed:03d}.counts.ecsv", format="ascii.ecsv")
        truth = true_bins(np.concatenate([np.asarray(t["s_lo"]), [t["s_hi"][-1]]]))
        inside68.append((np.asarray(t["dnds_lo68"]) <= truth) & (truth <= np.asarray(t["dnds_hi68"])))
        inside95.append((np.asarray(t["dnds_lo95"]) <= truth) & (truth <= np.asarray(t["dnds_hi95"])))
        rel.append(np.asarray(t["dnds"]) / truth - 1)
        s_mid = np.asarray(t["s_mid"])
    c68, c95, b = np.mean(inside68, 0), np.mean(inside95, 0), np.median(rel, 0)
    lines = ["| bin S_mid (uJy) | cov68 | cov95 | median relative bias |", "|---:|---:|---:|---:|"]
    lines += [f"| {s * 1e6:.1f} | {a:.2f} | {c:.2f} | {d:+.3f} |" for s, a, c, d in zip(s_mid, c68, c95, b)]
    return f"{len(inside68)} images (128x128, 1.75\"/px, 6\" beam, noise 70-130 uJy/beam):\n\n" + "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model folder (default: the survey's shipped model)")
    parser.add_argument("--survey", choices=sorted(SURVEYS), default="lotss",
                        help="data folders data_sim/counts_SURVEY_*; the independent images are LoTSS-like (lotss only)")
    parser.add_argument("--limit", type=int, default=2000)
    parser.add_argument("--pd-limit", type=int, default=40)
    parser.add_argument("--independent", type=int, default=40, help="images of the independent simulator")
    parser.add_argument("--out", default=str(ROOT / "runs" / "counts_eval"))
    parser.add_argument("--report", default=str(ROOT / "benchmarks" / "results" / "counts.md"))
    parser.add_argument("--only", help="run only this set (a folder name under data_sim/) or 'independent', no report")
    parser.add_argument("--reuse", action="store_true",
                        help="take the results of sets already evaluated under --out (e.g. by parallel --only runs)")
    args = parser.parse_args()
    args.model = args.model or SURVEYS[args.survey]
    if args.survey != "lotss":
        args.independent = 0
    import torch

    from _report import prepend_report

    from radio_unet.counts.evaluate import evaluate_dataset
    from radio_unet.counts.model import load_counts_model

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    card = load_counts_model(args.model).card
    parts = []
    for title, folder in SETS:
        folder = folder.format(args.survey)
        if not (ROOT / folder / "manifest.json").exists():
            parts.append(f"## {title}\n\nnot run: {folder} missing (see the commands at the top of benchmarks/counts.py)\n")
            continue
        name = Path(folder).name
        if args.only and args.only != name:
            continue
        done = Path(args.out) / name / "evaluate.md"
        if args.reuse and done.exists():
            text = done.read_text().strip()
        else:
            text = evaluate_dataset(ROOT / folder, Path(args.out) / name, model=args.model, limit=args.limit,
                                    pd_limit=args.pd_limit, n_samples=1000, progress=print)
        parts.append(f"## {title}\n\n`radio-unet counts evaluate --data {folder} --model {args.model} "
                     f"-o runs/counts_eval/{name} --limit {args.limit} --pd-limit {args.pd_limit}`\n\n{text}\n\n"
                     f"![{name}](../../runs/counts_eval/{name}/evaluate.png)\n")
    if args.independent and args.only in (None, "independent"):
        summary = Path(args.out) / "independent" / "summary.md"
        if args.reuse and summary.exists():
            text = summary.read_text().strip()
        else:
            text = independent_coverage(args.model, args.independent, Path(args.out) / "independent")
            summary.write_text(text + "\n")
        parts.append("## Independent simulator (broken power law, scipy Gaussian beam, smoothed noise)\n\n" + text + "\n")
    if args.only:
        return 0
    header = [
        f"# Source counts below the noise (`radio-unet counts`), {args.survey}", "",
        f"- Date (UTC): {datetime.now(timezone.utc).replace(microsecond=0).isoformat()}",
        f"- Command: `python benchmarks/counts.py --model {args.model} --survey {args.survey} --limit {args.limit} "
        f"--pd-limit {args.pd_limit} --independent {args.independent}`",
        f"- Machine: {platform.machine()}, {os.cpu_count()} logical CPUs shared with other work (load average at start "
        f"{load0:.1f}, end {os.getloadavg()[0]:.1f}); torch threads 1",
        f"- Model: {args.model}: trained on {card.dataset.get('n_fields')} fields of the "
        f"{card.family} family (splits {card.dataset.get('split_sizes')}), seed {card.seed}, wall time "
        f"{card.training.get('wall_seconds')} s; command `{card.command}`",
        f"- Validation (fields of the training set never seen by the flow): "
        f"{json.dumps({k: v for k, v in card.metrics.get('validation', {}).items() if not k.endswith('_mean')})}",
        f"- Benchmark time {time.perf_counter() - t0:.0f} s", "",
        "Columns: bias = median over fields of estimate/truth - 1 (posterior median or point value, linear counts); "
        "cov68/cov95 = share of fields whose truth is inside the 68%/95% interval; w68/w95 = median interval width "
        "(dex); w68/pd = ratio of the median 68% width to the P(D) fit's on the same fields. Only bins with S_mid >= "
        "0.2 sigma of each field are scored. The goal: |bias| <= 0.10 and coverage within 0.05 of 0.68/0.95.", "",
    ]
    prepend_report(args.report, "\n".join(header) + "\n".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
