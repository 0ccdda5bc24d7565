"""Benchmark: one model on held-out simulated fields of every survey preset.

One command gives the tables of docs/model.md ("one table per preset"): for each survey preset, ``--n`` fields are
simulated with a seed that no training set used (the folders are kept and reused: ``data_sim/indep/<preset>``), the
model segments them at their native sampling, and ``radio_unet.evaluate.dataset`` scores the diffuse mask (the
paper's eq. 5 mean IoU per image, averaged) next to the 3-sigma baseline, with the per-class IoU of multi-class
models. Results go to ``benchmarks/results/survey_presets.md`` (newest run on top).

Usage::

    python benchmarks/survey_presets.py --model default              # 40 fields per preset, ~10 min on 2 cores
    python benchmarks/survey_presets.py --model default --n 8 --presets meerkat-l mwa

``lotss-6as`` is scored on ``lotss-6as-512`` fields (the same sky, noise and artefacts on a 512x512 grid; the
2000x2000 paper fields take minutes each) and ``lotss-20as`` on 512x512 fields of its 4.5"/px grid.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import prepend_report  # noqa: E402  benchmarks/, the script's folder

#: preset -> (simulated preset, seed, extra simulate options, goal on the diffuse mean IoU); the seeds differ from
#: those of every training set (configs/multi-survey.yaml and configs/observed-truth.yaml: 31-37;
#: configs/real-model.yaml: 21).
PRESETS = {
    "lotss-6as": ("lotss-6as-512", 41, [], 0.64),
    "meerkat-l": ("meerkat-l", 42, [], 0.60),
    "vla-l": ("vla-l", 43, [], 0.60),
    "askap-emu": ("askap-emu", 44, [], 0.60),
    "mwa": ("mwa", 45, [], 0.60),
    "lotss-20as": ("lotss-20as", 46, ["--npix", "512"], 0.60),
    "first": ("first", 47, [], 0.60),
}
RG_TEMPLATES = "../shared/data/mirabest_templates/*[02468].fits.gz"


def ensure_fields(name: str, folder: Path, n: int) -> None:
    """Simulate the held-out fields of ``name`` into ``folder`` unless ``n`` of them are there."""
    import pandas as pd

    from radio_unet.cli import main

    manifest = folder / "manifest.csv"
    if manifest.exists() and len(pd.read_csv(manifest)) >= n:
        return
    preset, seed, extra, _ = PRESETS[name]
    argv = ["simulate", "--preset", preset, "--n", str(n), "--out", str(folder), "--seed", str(seed), "--workers", "2",
            "--gallery", "4", *extra]
    templates = (ROOT / RG_TEMPLATES).resolve()
    if list(templates.parent.glob(templates.name)):
        argv += ["--rg-templates", str(templates)]
    print("radio-unet " + shlex.join(argv), flush=True)
    if main(argv) != 0:
        raise SystemExit(f"simulating {name} failed")


def score_preset(segmenter, folder: Path, *, n: int, external: bool, flatten_noise: bool = True):
    """Summary table, per-class table (or None) and seconds of one preset's fields."""
    from radio_unet.cli.evaluate import class_tables
    from radio_unet.evaluate.dataset import evaluate_dataset, network_method, summarize

    import pandas as pd

    ids = list(pd.read_csv(folder / "manifest.csv")["id"])[:n]
    t0 = time.perf_counter()
    from radio_unet.segment.run import flatten_image, flattens_noise

    def predict(image):  # as segment_file: the noise flattened where it varies across the field
        return segmenter(flatten_image(image, segmenter.card)[0] if flattens_noise(segmenter, flatten_noise) else image)

    scores = evaluate_dataset(folder, predict_image=predict, ids=ids, external=external,
                              network=network_method(segmenter.tta),
                              diffuse_channels=segmenter.card.diffuse_channels() if segmenter.multiclass else None)
    seconds = time.perf_counter() - t0
    per_class = class_tables(scores.attrs["confusion"], segmenter.classes)[0] if "confusion" in scores.attrs else None
    return summarize(scores), per_class, seconds


def markdown(name: str, folder: Path, summary, per_class, goal: float) -> list[str]:
    """The Markdown section of one preset."""
    import pandas as pd

    manifest = pd.read_csv(folder / "manifest.csv")
    beam = f'{manifest["bmaj_arcsec"].median():.1f}"x{manifest["bmin_arcsec"].median():.1f}"'
    noise = manifest["noise_rms_jy_beam"]
    lines = [f"### {name}", "",
             f"`{folder}`: {summary['images'].max()} fields {int(manifest['npix'].iloc[0])}x{int(manifest['npix'].iloc[0])} at "
             f'{manifest["pixel_scale_arcsec"].iloc[0]:g}"/px, beam {beam}, thermal noise '
             f"{noise.min() * 1e6:.3g}-{noise.max() * 1e6:.3g} uJy/beam, seed {int(manifest['seed'].iloc[0])}", "",
             "| method | images | mean IoU | pixel precision | pixel recall | source precision | source recall |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for _, row in summary.iterrows():
        iou = f"{row['mean_iou']:.3f}"
        if row["method"] == summary["method"].iloc[0]:
            iou += f" {'PASS' if row['mean_iou'] >= goal else 'FAIL'} (>= {goal:.2f})"
        lines.append(f"| {row['method']} | {row['images']} | {iou} | {row['pixel_precision']:.3f} | {row['pixel_recall']:.3f} | "
                     f"{row['source_precision']:.3f} | {row['source_recall']:.3f} |")
    if per_class is not None:
        lines += ["", "| class | IoU | true pixels | predicted pixels |", "|---|---:|---:|---:|"]
        for _, row in per_class.iterrows():
            lines.append(f"| {row['class']} | {row['iou']:.3f} | {int(row['true_pixels'])} | {int(row['predicted_pixels'])} |")
    return lines + [""]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="shipped model name or path (default: default)")
    parser.add_argument("--n", type=int, default=40, help="held-out fields per preset (default 40)")
    parser.add_argument("--presets", nargs="+", choices=list(PRESETS), default=list(PRESETS))
    parser.add_argument("--data", default=str(ROOT / "data_sim" / "indep"), help="folder of the per-preset fields")
    parser.add_argument("--external", action="store_true", help="also score PyBDSF and breizorro (slow)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "survey_presets.md"))
    parser.add_argument("--tta", action=argparse.BooleanOptionalAction, default=None,
                        help="average the network over the eight orientations (default: segment's, on)")
    parser.add_argument("--no-flatten", dest="flatten_noise", action="store_false",
                        help="give the network the fields as they are (segment --no-flatten; before 2026-12-04 always)")
    args = parser.parse_args(argv)

    from radio_unet.segment import load_segmenter
    from radio_unet.segment.backends import DEFAULT_TTA

    args.tta = DEFAULT_TTA if args.tta is None else args.tta

    t_start = time.perf_counter()
    segmenter = load_segmenter(args.model, tta=args.tta)
    card = segmenter.card
    rows, body = [], []
    for name in args.presets:
        folder = Path(args.data) / PRESETS[name][0]
        ensure_fields(name, folder, args.n)
        summary, per_class, seconds = score_preset(segmenter, folder, n=args.n, external=args.external,
                                                   flatten_noise=args.flatten_noise)
        net = summary.iloc[0]
        goal = PRESETS[name][3]
        rows.append(f"| {name} | {net['images']} | {net['mean_iou']:.3f} | {goal:.2f} | {'PASS' if net['mean_iou'] >= goal else 'FAIL'} | "
                    f"{summary.loc[summary['method'] == '3sigma', 'mean_iou'].max():.3f} | {seconds:.0f} s |")
        body += markdown(name, folder, summary, per_class, goal)
        print(rows[-1], flush=True)
    command = "python benchmarks/survey_presets.py " + shlex.join(sys.argv[1:] if argv is None else list(argv))
    text = "\n".join([
        "# Benchmark: one model on held-out simulated fields of every survey preset", "",
        f"- date: {datetime.now(timezone.utc).isoformat(timespec='seconds')}",
        f"- command: `{command.strip()}`",
        f"- model: {args.model} ({len(segmenter.classes)} classes), weights sha256 {card.sha256}",
        f"- whole run {time.perf_counter() - t_start:.0f} s on this machine", "",
        "Diffuse mean IoU (paper eq. 5: per image, the mean of the IoU of the diffuse mask and of its complement), "
        "the network at p >= 0.5 next to 3 sigma above the robust rms after smoothing with the beam.", "",
        "| preset | fields | network mean IoU | goal | | 3-sigma | time |", "|---|---:|---:|---:|---|---:|---:|",
        *rows, "", *body,
    ])
    prepend_report(args.out, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
