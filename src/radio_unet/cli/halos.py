"""``radio-unet halos``: radio-halo classifiers of MWA/GLEAM cut-outs, cross-validated by sky group.

Subcommands:

* ``cv``: repeated stratified group k-fold of one classifier and augmentation; writes ``folds.ecsv``,
  ``predictions.ecsv``, ``summary.ecsv`` and figures.
* ``train``: train one classifier on every object and save it (safetensors + card with the cross-validated scores).
* ``predict``: P(halo) of FITS cut-outs with a saved classifier.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from ..errors import RadioUNetError

__all__ = ["add_arguments", "run"]

_MODELS = ("simple-cnn", "attention-cnn", "fc", "sim-pretrained")
_AUGMENTS = ("none", "dihedral", "geometric", "classical", "cwgan", "diffusion")


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="the GLEAM halo set (folder with TRAIN_DATA_0/1, TEST_DATA_0/1)")
    p.add_argument("--size", type=int, default=64, help="network input side in pixels (default 64)")
    p.add_argument("--fov", type=float, default=0.5, help="network input side on the sky in degrees (default 0.5)")
    p.add_argument("--clip-sigma", type=float, default=3.0, help="clip below K times the noise (default 3; 0 off)")
    p.add_argument("--bands", default=",".join(("72-103", "103-134", "139-170", "170-231")),
                   help="comma-separated GLEAM bands stacked as channels (default all four)")


def _add_training_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", choices=_MODELS, default="simple-cnn", help="classifier (default simple-cnn)")
    p.add_argument("--augment", choices=_AUGMENTS, default="classical",
                   help="none; dihedral (90-degree rotations and flips: lossless); geometric (45-degree rotations "
                        "and flips); classical (45-degree rotations, flips, pixel scaling in [0.9, 1.3]); cwgan or "
                        "diffusion (classical plus images of a generator trained on the training fold)")
    p.add_argument("--steps", type=int, default=150, help="optimiser steps per training run (default 150)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-generated", type=int, default=None,
                   help="generated images per class per fold (default: as many as the fold's real images of the class)")
    p.add_argument("--gen-steps", type=int, default=None, help="training steps of the generator (default: its own)")
    p.add_argument("--sim", help="simulated MWA-like cut-outs for --model sim-pretrained (a folder written by "
                                 "radio-unet simulate --preset mwa)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the subcommands of ``halos``."""
    sub = parser.add_subparsers(dest="halos_command", metavar="SUBCOMMAND")
    cv = sub.add_parser("cv", help="cross-validate a classifier by sky group", description=__doc__,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_data_options(cv)
    _add_training_options(cv)
    cv.add_argument("--folds", type=int, default=5)
    cv.add_argument("--repeats", type=int, default=10)
    cv.add_argument("--protocol", choices=("grouped", "leaky"), default="grouped",
                    help="grouped (objects by sky group, default) or leaky (random split of augmented images)")
    cv.add_argument("--permute-labels", action="store_true", help="control: shuffle the object labels (expect ~0.5)")
    cv.add_argument("--negatives", choices=("all", "clusters"), default="all",
                    help="clusters: drop the negatives that are not galaxy clusters (ORCs, radio galaxies)")
    cv.add_argument("--only-folds", help="comma-separated fold numbers (0-based) to run, the others skipped: splits an "
                                        "expensive run over processes (merge their predictions.ecsv)")
    cv.add_argument("-o", "--out", required=True, help="output folder")

    tr = sub.add_parser("train", help="train a classifier on every object and save it")
    _add_data_options(tr)
    _add_training_options(tr)
    tr.add_argument("--cv-summary", help="summary.ecsv (or its folder) of the matching halos cv run: its scores go "
                                         "into the model card")
    tr.add_argument("--notes", help="text added to the card's notes (e.g. how this configuration was chosen)")
    tr.add_argument("--out", required=True, help="model folder, or NAME.safetensors (card NAME.json beside it)")

    pr = sub.add_parser("predict", help="P(halo) of FITS cut-outs")
    pr.add_argument("fits", nargs="+", help="FITS files; GLEAM-named band files of one object are stacked")
    pr.add_argument("--model", default="halos",
                    help="a model saved by halos train, or 'halos' for the shipped one (default)")
    pr.add_argument("-o", "--out", help="write the table here too (.ecsv or .csv)")


def _bands(text: str) -> tuple[str, ...]:
    from ..halos.data import BANDS

    bands = tuple(b.strip() for b in text.split(",") if b.strip())
    bad = [b for b in bands if b not in BANDS]
    if bad or not bands:
        raise RadioUNetError(f"--bands {text}: choose from {', '.join(BANDS)}")
    return bands


def _load(args):
    from ..halos.data import load_gleam

    return load_gleam(args.data, size=args.size, fov_deg=args.fov, clip_k=args.clip_sigma, bands=_bands(args.bands))


def _train_config(args):
    from ..halos.train import TrainConfig

    if args.steps < 1:
        raise RadioUNetError("--steps must be positive")
    return TrainConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr)


def _synthesizer(args):
    if args.augment not in ("cwgan", "diffusion"):
        return None
    from ..halos.generative import make_synthesizer

    return make_synthesizer(args.augment, n_per_class=args.n_generated, steps=args.gen_steps)


def _init_state(args, data):
    if args.model != "sim-pretrained":
        return None
    if not args.sim:
        raise RadioUNetError("--model sim-pretrained needs --sim DIR (radio-unet simulate --preset mwa output)")
    from ..halos.sim import pretrain_on_simulations

    return pretrain_on_simulations(args.sim, size=args.size, fov_deg=args.fov, n_channels=len(data.bands),
                                   clip_k=args.clip_sigma, seed=args.seed, progress=print)


def _run_cv(args) -> int:
    import torch

    from ..halos.io import write_table
    from ..halos.metrics import METRICS
    from ..halos.plots import plot_confusion, plot_gallery, plot_roc
    from ..halos.protocol import CVSettings, run_cv

    torch.set_num_threads(max(1, args.threads))
    out = Path(args.out)
    t0 = time.perf_counter()
    data = _load(args)
    settings = CVSettings(model=args.model, augment=args.augment, folds=args.folds, repeats=args.repeats,
                          seed=args.seed, protocol=args.protocol, permute=args.permute_labels,
                          negatives=args.negatives, train=_train_config(args))
    settings.check()  # option clashes (e.g. --protocol leaky with another augmentation) before any training
    init_state = _init_state(args, data)
    only = {int(f) for f in args.only_folds.split(",")} if args.only_folds else None
    partial = {"partial": True, "model": args.model, "augment": args.augment}
    result = run_cv(data, settings, synthesize=_synthesizer(args), init_state=init_state,
                    progress=lambda line: print(line, flush=True), only_folds=only,
                    on_fold=lambda rows: write_table(out / "folds.ecsv", rows, partial))
    seconds = time.perf_counter() - t0
    meta = {"command": "radio-unet " + shlex.join(sys.argv[1:]) if sys.argv and "halos" in sys.argv else None,
            "model": args.model, "augment": args.augment, "protocol": args.protocol, "permute_labels": args.permute_labels,
            "negatives": args.negatives, "folds": args.folds, "repeats": args.repeats, "seed": args.seed,
            "train": settings.train.to_dict(), "preprocessing": data.settings(),
            "n_objects": int(len(set(r["object_id"] for r in result.predictions))),
            "n_groups": int(len(set(r["group"] for r in result.predictions))), "seconds": round(seconds, 1),
            "only_folds": args.only_folds, "interval": "95% bootstrap over sky groups of the mean over repeats"}
    write_table(out / "folds.ecsv", result.folds, meta)
    write_table(out / "predictions.ecsv", result.predictions, meta)
    rows = [{"metric": m, **{k: result.summary[m][k] for k in ("value", "low", "high", "sd_repeats")}} for m in METRICS]
    write_table(out / "summary.ecsv", rows, meta)
    title = f"{args.model}, {args.augment}, {args.protocol}" + (", permuted" if args.permute_labels else "")
    plot_roc(result.runs, out / "roc.png", title)
    plot_confusion(result.runs, out / "confusion.png", title)
    if result.extras.get("generated") is not None:
        fake, fake_y, real, real_y = result.extras["generated"]
        plot_gallery(real, real_y, fake, fake_y, out / "gallery.png")
    print(f"{'metric':<18} {'value':>6}  95% interval")
    for m in METRICS:
        s = result.summary[m]
        print(f"{m:<18} {s['value']:6.3f}  [{s['low']:.3f}, {s['high']:.3f}]")
    print(f"{len(result.folds)} folds in {seconds:.0f} s; tables and figures in {out}")
    return 0


def _run_train(args) -> int:
    import numpy as np
    import torch

    from ..halos.augment import geometric_variants
    from ..halos.io import read_summary, save_halo_model
    from ..halos.models import n_parameters

    torch.set_num_threads(max(1, args.threads))
    from ..halos.train import fit_classifier

    data = _load(args)
    cv = read_summary(args.cv_summary) if args.cv_summary else None
    synth = _synthesizer(args)
    extra_x = extra_y = None
    variants = geometric_variants(data.images, data.size)
    gen_info = {}
    if synth is not None:
        extra_x, extra_y, gen_info = synth(variants[:, 0], data.labels, args.seed)
    model, arch = fit_classifier(args.model, None, data.labels, size=data.size, augment=args.augment,
                                 config=_train_config(args), seed=args.seed, variants=variants, extra_images=extra_x,
                                 extra_labels=extra_y, init_state=_init_state(args, data))
    fit = arch.pop("fit")
    card = {
        "kind": "radio halo classifier (P(halo) of an MWA/GLEAM cut-out)",
        "architecture": arch,
        "n_parameters": n_parameters(model),
        "preprocessing": data.settings(),
        "classes": ["no halo", "halo"],
        "dataset": {"path": str(args.data), "n_objects": len(data), "n_halo": int(data.labels.sum()),
                    "objects": list(data.ids)},
        "augment": args.augment,
        "generator": {k: v for k, v in gen_info.items() if np.isscalar(v)} or None,
        "seed": args.seed,
        "command": "radio-unet " + shlex.join(sys.argv[1:]) if sys.argv and "halos" in sys.argv else None,
        "training": {**_train_config(args).to_dict(), **fit},
        "metrics": {"cross_validated": cv["scores"], "cv_settings": cv["settings"]} if cv else {},
        "notes": "Trained on every object of the set: its scores on those objects are training scores. The "
                 "cross-validated scores (repeated stratified group k-fold by sky group) are the ones to quote."
                 + (f" {args.notes}" if args.notes else ""),
    }
    card = save_halo_model(args.out, model, card)
    print(f"saved {args.out} ({card['n_parameters']} parameters, {fit['train_seconds']:.0f} s, sha256 {card['sha256'][:12]})")
    if cv:
        ba = cv["scores"].get("balanced_accuracy", {})
        print(f"cross-validated balanced accuracy {ba.get('value', float('nan')):.3f} "
              f"[{ba.get('low', float('nan')):.3f}, {ba.get('high', float('nan')):.3f}]")
    return 0


def _shipped(name: str) -> str:
    if name != "halos":
        return name
    from importlib.resources import files

    return str(files("radio_unet") / "weights" / "halos.json")


def _run_predict(args) -> int:
    import numpy as np
    import torch

    from ..halos.data import load_objects
    from ..halos.io import group_fits_files, load_halo_model, write_table
    from ..halos.train import predict_proba

    torch.set_num_threads(1)
    model, card = load_halo_model(_shipped(args.model))
    pre = card["preprocessing"]
    bands = tuple(pre["bands"])
    objects = group_fits_files(args.fits, bands)
    rows = []
    for obj in objects:
        data = load_objects([obj], size=pre["size"], fov_deg=pre["fov_deg"], clip_k=pre["clip_k"], bands=bands)
        if not np.any(data.images):
            raise RadioUNetError(f"{next(iter(obj.files.values()))}: no positive pixels on the model's grid "
                                 "(blank, or the object is off the image)")
        p = float(predict_proba(model, data.images, size=pre["size"])[0])
        rows.append({"object": Path(obj.object_id).name, "files": ",".join(str(obj.files[b]) for b in bands),
                     "p_halo": p, "halo": p >= 0.5})
    print(f"{'object':<32} {'P(halo)':>8}")
    for r in rows:
        print(f"{r['object']:<32} {r['p_halo']:8.3f}")
    if args.out:
        out = Path(args.out)
        if out.suffix == ".csv":
            from ..io.atomic import atomic_path
            import csv

            with atomic_path(out) as tmp, open(tmp, "w", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        else:
            write_table(out, rows, {"model": str(args.model), "model_sha256": card.get("sha256")})
    return 0


def run(args: argparse.Namespace) -> int:
    """Dispatch to the subcommand."""
    command = getattr(args, "halos_command", None)
    if command == "cv":
        return _run_cv(args)
    if command == "train":
        return _run_train(args)
    if command == "predict":
        return _run_predict(args)
    raise RadioUNetError("choose a subcommand: cv, train or predict (radio-unet halos --help)")
