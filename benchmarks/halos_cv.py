"""Benchmark: radio-halo classifiers on the MWA/GLEAM set, cross-validated by sky group (issue 17).

Runs ``radio-unet halos cv`` for every row of the results table (each row is one command, skipped when its
``summary.ecsv`` exists, so an interrupted run resumes), computes the paired augmentation gains and the
leaky-minus-grouped gap from the per-object predictions, and writes ``benchmarks/results/halos.md``.

    python benchmarks/halos_cv.py --parallel 4          # the core rows (main row 5 folds x 10 repeats)
    python benchmarks/halos_cv.py --rows generative     # cWGAN-GP and diffusion rows (1 repeat)
    python benchmarks/halos_cv.py --rows sim            # needs radio-unet simulate --preset mwa --out data_sim/halos_mwa
    python benchmarks/halos_cv.py --report-only         # rewrite the report from what is on disk

Rows run with 5 folds; the repeats of each row are in its options (the main row 10; on a shared 2-core machine the
others had to make do with fewer). Repeat r of every row has the same folds and seeds, so any two rows are paired
over their common repeats.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "mwa_gleam_halos"
OUT = ROOT / "runs" / "halos_cv"
REPORT = ROOT / "benchmarks" / "results" / "halos.md"

#: name -> (options of `radio-unet halos cv`, what the row is)
CORE = {
    "simple-cnn_classical": ("--model simple-cnn --augment classical --repeats 10", "simple CNN, classical augmentation"),
    "simple-cnn_none": ("--model simple-cnn --augment none --repeats 10", "simple CNN, no augmentation"),
    "simple-cnn_dihedral": ("--model simple-cnn --augment dihedral --repeats 10",
                            "simple CNN, quarter turns and flips only (lossless, no pixel scaling)"),
    "simple-cnn_geometric": ("--model simple-cnn --augment geometric --repeats 10",
                             "simple CNN, 45-degree rotations and flips (no pixel scaling)"),
    "simple-cnn_classical_permuted": ("--model simple-cnn --augment classical --permute-labels --repeats 10",
                                      "simple CNN, labels permuted (control)"),
    "simple-cnn_classical_leaky": ("--model simple-cnn --augment classical --protocol leaky --repeats 10",
                                   "simple CNN, LEAKY protocol (random split of augmented images)"),
    "fc_classical": ("--model fc --augment classical --repeats 10", "fully connected, classical augmentation"),
    "attention-cnn_classical": ("--model attention-cnn --augment classical --repeats 10",
                                "attention CNN, classical augmentation"),
    "simple-cnn_classical_clusters": ("--model simple-cnn --augment classical --negatives clusters --repeats 10",
                                      "simple CNN, clusters-only negatives"),
}
#: The generative rows: each fold a process of its own (a fold trains a generator for minutes to tens of minutes on
#: a busy 2-core machine); the report merges their out-of-fold predictions.
GENERATIVE = {
    f"simple-cnn_{gen}_f{fold}": (f"--model simple-cnn --augment {gen} --repeats 1 --gen-steps 100 --only-folds {fold}",
                                  f"simple CNN, classical + {what} images (fold {fold})")
    for gen, what in (("cwgan", "cWGAN-GP"), ("diffusion", "diffusion (DDPM/DDIM)")) for fold in range(5)
}
MERGED = {"simple-cnn_cwgan": "simple CNN, classical + cWGAN-GP images",
          "simple-cnn_diffusion": "simple CNN, classical + diffusion (DDPM/DDIM) images"}
SIM = {
    "sim-pretrained_classical": ("--model sim-pretrained --augment classical --repeats 1 --sim {sim}",
                                 "simple CNN pre-trained on simulated MWA fields, fine-tuned"),
}
#: (row B, row A, what B - A measures)
PAIRS = [
    ("simple-cnn_classical", "simple-cnn_none", "classical augmentation (vs none)"),
    ("simple-cnn_dihedral", "simple-cnn_none", "quarter turns and flips (dihedral vs none)"),
    ("simple-cnn_geometric", "simple-cnn_dihedral", "45-degree rotations (geometric vs dihedral)"),
    ("simple-cnn_classical", "simple-cnn_geometric", "pixel scaling in [0.9, 1.3] (classical vs geometric)"),
    ("simple-cnn_cwgan", "simple-cnn_classical", "cWGAN-GP images (vs classical only; repeat 1 only)"),
    ("simple-cnn_diffusion", "simple-cnn_classical", "diffusion images (vs classical only; repeat 1 only)"),
    ("sim-pretrained_classical", "simple-cnn_classical", "simulation pre-training (vs no pre-training; repeat 1 only)"),
    ("attention-cnn_classical", "simple-cnn_classical", "attention CNN (vs simple CNN)"),
    ("fc_classical", "simple-cnn_classical", "fully connected (vs simple CNN)"),
]
#: The talk's numbers (10 test objects, one split; arXiv:2411.15559 and the talk): precision, recall, specificity, F1.
TALK = {
    "simple CNN (0.05 M)": (0.97, 0.93, 0.97, 0.95),
    "multi-head attention CNN": (1.0, 0.93, 1.0, 0.96),
    "fully connected": (0.89, 0.94, 0.89, 0.92),
    "GAN-aided": (0.96, 0.95, 0.95, 0.95),
}


def start_row(name: str, options: str, extra: str) -> subprocess.Popen | None:
    """Start one row's command (None when its summary exists); its output goes to runs/halos_cv/NAME.log."""
    out = OUT / name
    if (out / "summary.ecsv").exists():
        return None
    cmd = f"nice -n 15 {sys.executable} -m radio_unet halos cv --data {DATA} {extra} {options} -o {out}"
    print(f"$ {cmd}", flush=True)
    log = OUT / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(shlex.split(cmd), stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=ROOT)


def run_rows(rows: dict, extra: str, sim: str, parallel: int) -> None:
    """Run the rows, ``parallel`` at a time (each is one single-threaded process)."""
    pending = list(rows.items())
    running: list[tuple[str, subprocess.Popen, float]] = []
    while pending or running:
        while pending and len(running) < parallel:
            name, (options, _) = pending.pop(0)
            proc = start_row(name, options.format(sim=sim), extra)
            if proc is not None:
                running.append((name, proc, time.perf_counter()))
        for item in list(running):
            name, proc, t0 = item
            if proc.poll() is not None:
                running.remove(item)
                state = "done" if proc.returncode == 0 else f"FAILED (exit {proc.returncode}, see {OUT / name}.log)"
                print(f"  {name}: {state} in {(time.perf_counter() - t0) / 60:.1f} min", flush=True)
        time.sleep(2)


def _runs(pred_path, max_repeats=None):
    import numpy as np
    from astropy.table import Table

    t = Table.read(pred_path, format="ascii.ecsv")
    runs = []
    for r in sorted(set(t["repeat"]))[:max_repeats]:
        s = t[t["repeat"] == r]
        s.sort("object_id")
        runs.append((np.asarray(s["label"]), np.asarray(s["p_halo"], float), np.asarray(s["group"])))
    return runs


def merged(prefix: str):
    """The out-of-fold predictions of a row split over fold processes: (runs, folds done, minutes) or None."""
    import numpy as np
    from astropy.table import Table, vstack

    parts = [OUT / f"{prefix}_f{f}" / "predictions.ecsv" for f in range(5)]
    done = [p for p in parts if p.exists()]
    if not done:
        return None
    t = vstack([Table.read(p, format="ascii.ecsv") for p in done], metadata_conflicts="silent")
    minutes = sum(Table.read(p, format="ascii.ecsv").meta.get("seconds", 0) for p in done) / 60
    t.sort("object_id")
    return [(np.asarray(t["label"]), np.asarray(t["p_halo"], float), np.asarray(t["group"]))], len(done), minutes


def fmt(s, m):
    v = s[m]
    return f"{v['value']:.2f} [{v['low']:.2f}, {v['high']:.2f}]"


def report(figure_dir: Path = REPORT.parent) -> str:
    """The report's text; its figures are copied into ``figure_dir``."""
    import numpy as np

    from radio_unet.halos.io import read_summary
    from radio_unet.halos.metrics import paired_difference

    from radio_unet.halos.metrics import bootstrap_scores

    rows = {**CORE, **SIM}
    lines = [
        "# Benchmark: radio-halo classifiers on MWA/GLEAM, cross-validated by sky group (issue 17)",
        "",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), load average {os.getloadavg()[0]:.1f} when the report was written "
        "(the rows may have shared the machine), `nice -n 15`, 1 torch thread",
        f"- command: `python benchmarks/halos_cv.py` (each row is `radio-unet halos cv --data ../shared/data/mwa_gleam_halos "
        f"OPTIONS -o runs/halos_cv/ROW`; OPTIONS below)",
        "- data: 46 objects (23 halo, 23 no halo; 37 galaxy clusters), 4 bands reprojected to one 64x64 grid of 0.5 deg "
        "(28\"/px), 3-sigma clipping (the files are already thresholded), log stretch, min-max; 32 sky groups "
        "(objects whose cut-outs overlap)",
        "- protocol: repeated stratified group k-fold (5 folds); every score is computed on out-of-fold predictions "
        "(each object predicted once per repeat by a model that never saw its sky group); value = mean over repeats; "
        "[95% interval] = bootstrap over sky groups",
        "",
        "| row | OPTIONS | repeats | balanced accuracy | precision | recall | specificity | F1 | AUROC | time |",
        "|---|---|---:|---|---|---|---|---|---|---:|",
    ]
    found = {}
    for name, (options, what) in rows.items():
        path = OUT / name / "summary.ecsv"
        if not path.exists():
            continue
        s = read_summary(path)
        found[name] = s
        sc = s["scores"]
        meta = s["settings"]
        lines.append(f"| {what} | `{options.replace(' --sim {sim}', ' --sim SIM')}` | {meta.get('repeats')} | "
                     f"{fmt(sc, 'balanced_accuracy')} | {fmt(sc, 'precision')} | {fmt(sc, 'recall')} | "
                     f"{fmt(sc, 'specificity')} | {fmt(sc, 'f1')} | {fmt(sc, 'auroc')} | {meta.get('seconds', 0) / 60:.1f} min |")
    runs_of = {name: _runs(OUT / name / "predictions.ecsv") for name in found}
    for name, what in MERGED.items():
        m = merged(name)
        if m is None:
            continue
        runs, n_folds, minutes = m
        if n_folds < 5:
            lines.append(f"| {what} | `{GENERATIVE[name + '_f0'][0].replace(' --only-folds 0', '')}` | 1 | "
                         f"only {n_folds} of 5 folds finished: no score | | | | | | {minutes:.0f} min (CPU-starved) |")
            continue
        sc = bootstrap_scores(runs)
        runs_of[name] = runs
        found[name] = {"scores": sc}
        lines.append(f"| {what} | `{GENERATIVE[name + '_f0'][0].replace(' --only-folds 0', '')}` (a process per fold) | 1 | "
                     f"{fmt(sc, 'balanced_accuracy')} | {fmt(sc, 'precision')} | {fmt(sc, 'recall')} | "
                     f"{fmt(sc, 'specificity')} | {fmt(sc, 'f1')} | {fmt(sc, 'auroc')} | {minutes:.0f} min (sum of the folds) |")
    missing = [rows[n][1] for n in rows if n not in found] + [w for n, w in MERGED.items() if merged(n) is None]
    if missing:
        lines += ["", "Not run (no summary on disk): " + "; ".join(missing) + "."]
    lines += ["", "## Paired differences (same folds, same seeds; B - A, 95% group-bootstrap interval)", "",
              "| what | balanced accuracy | F1 | AUROC |", "|---|---|---|---|"]
    for b, a, what in PAIRS:
        if b in found and a in found:
            ra, rb = runs_of[a], runs_of[b]
            n = min(len(ra), len(rb))  # repeat r has the same folds and seeds in every row
            d = paired_difference(ra[:n], rb[:n])
            lines.append(f"| {what} | {d['balanced_accuracy']['value']:+.3f} [{d['balanced_accuracy']['low']:+.3f}, "
                         f"{d['balanced_accuracy']['high']:+.3f}] | {d['f1']['value']:+.3f} [{d['f1']['low']:+.3f}, "
                         f"{d['f1']['high']:+.3f}] | {d['auroc']['value']:+.3f} [{d['auroc']['low']:+.3f}, "
                         f"{d['auroc']['high']:+.3f}] |")
    if "simple-cnn_classical_leaky" in found and "simple-cnn_classical" in found:
        g = found["simple-cnn_classical"]["scores"]["balanced_accuracy"]["value"]
        lk = found["simple-cnn_classical_leaky"]["scores"]["balanced_accuracy"]["value"]
        lines += ["", f"Leaky minus grouped balanced accuracy (simple CNN, classical): **{lk - g:+.3f}** "
                      f"({lk:.3f} vs {g:.3f}; the intervals of both rows are in the table)."]
    figures = [("simple-cnn_classical", "roc.png", "halos_roc.png", "ROC curves of the 10 repeats (simple CNN, classical)"),
               ("simple-cnn_classical", "confusion.png", "halos_confusion.png", "confusion matrix summed over repeats"),
               ("simple-cnn_cwgan_f0", "gallery.png", "halos_gallery_cwgan.png", "cWGAN-GP images next to real ones (fold 0)"),
               ("simple-cnn_diffusion_f0", "gallery.png", "halos_gallery_diffusion.png", "diffusion images next to real ones (fold 0)")]
    shown = []
    for row, src, dst, what in figures:
        if (OUT / row / src).exists():
            shutil.copyfile(OUT / row / src, figure_dir / dst)
            shown.append(f"![{what}]({dst})")
    if shown:
        lines += ["", "## Figures", "", *shown]
    quality = []
    for row in MERGED:
        from astropy.table import Table, vstack

        paths = [OUT / f"{row}_f{f}" / "folds.ecsv" for f in range(5)]
        tables = [Table.read(p, format="ascii.ecsv") for p in paths if p.exists()]
        tables = [t for t in tables if len(t) and "nn_ratio" in t.colnames]
        if tables:
            t = vstack(tables, metadata_conflicts="silent")
            cols = ("gen_seconds", "nn_ratio", "c2st_accuracy", "fd_encoder", "fd_real_halves")
            quality.append(f"| {row.split('_')[1]} | {len(t)} | " + " | ".join(f"{np.median(t[c]):.3g}" for c in cols) + " |")
    if quality:
        lines += ["", "## Quality of the generated images (median over the folds finished)", "",
                  "| generator | folds | seconds to train and sample | NN-distance ratio | two-sample accuracy | FD (encoder) | FD real halves |",
                  "|---|---:|---:|---:|---:|---:|---:|", *quality]
    lines += ["", "## The talk's numbers (for comparison; a different protocol)", "",
              "| model | precision | recall | specificity | F1 |", "|---|---:|---:|---:|---:|"]
    for k, (p, r, s, f) in TALK.items():
        lines.append(f"| {k} | {p:.2f} | {r:.2f} | {s:.2f} | {f:.2f} |")
    lines += ["", "Those come from one split with 10 test objects (a 95% interval on 10 objects is about +-0.2 wide), "
                  "with the same piece of sky in training and test once (orc_2/orc_3) and Abell 2744/2751 sharing "
                  "most of their cut-outs, and with no gain of the GAN visible in their own table.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", choices=("core", "generative", "sim", "all"), default="core")
    p.add_argument("--report-only", action="store_true")
    p.add_argument("--sim", default=str(ROOT / "data_sim" / "halos_mwa"), help="simulated set for the sim row")
    p.add_argument("--extra", default="", help="options added to every command (e.g. '--steps 100')")
    p.add_argument("--parallel", type=int, default=1, help="rows run at the same time (default 1)")
    p.add_argument("--only", help="comma-separated row names to run (default: all of --rows)")
    p.add_argument("--report", type=Path, default=REPORT, help=f"where the report goes (default {REPORT.relative_to(ROOT)})")
    args = p.parse_args(argv)
    if not DATA.exists():
        print(f"no data at {DATA}: skipped", file=sys.stderr)
        return 0
    if not args.report_only:
        rows = {"core": CORE, "generative": GENERATIVE, "sim": SIM, "all": {**CORE, **GENERATIVE, **SIM}}[args.rows]
        if args.only:
            rows = {k: v for k, v in rows.items() if k in args.only.split(",")}
        run_rows(rows, args.extra, args.sim, max(1, args.parallel))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report(args.report.parent), encoding="utf-8")
    print(f"wrote {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
