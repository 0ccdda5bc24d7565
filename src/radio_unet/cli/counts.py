"""``radio-unet counts``: source counts below the noise (simulate, train, estimate, evaluate)."""

from __future__ import annotations

import argparse
import shlex
import sys

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the subcommands of ``counts``."""
    from ..counts.families import FAMILIES
    from ..counts.presets import COUNTS_PRESETS
    from .common import add_image_options

    sub = parser.add_subparsers(dest="counts_command", metavar="STEP")
    sim = sub.add_parser("simulate", help="simulate fields, each with its own count parameters",
                         description="Simulate fields for the counts estimator: every field draws its own counts (theta), "
                                     "beam, noise and pixel size.")
    sim.add_argument("--preset", default="lotss-6as-like", choices=list(COUNTS_PRESETS),
                     help="; ".join(f"{k}: {p.description}" for k, p in COUNTS_PRESETS.items()))
    sim.add_argument("--n", type=int, default=1000, help="number of fields (default 1000)")
    sim.add_argument("--out", required=True, help="output folder (reused to resume an interrupted run)")
    sim.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same fields")
    sim.add_argument("--family", choices=FAMILIES, default="knots",
                     help="talk: (1 + S0/S)^alpha n0(S); knots: log S^2.5 dN/dS piecewise linear in log S (default)")
    sim.add_argument("--route", choices=["fast", "observe"], default="fast",
                     help="fast: sources through a Gaussian beam plus correlated noise (ms per field); observe: the "
                          "preset's array, uv-coverage, PSF sidelobes and CLEAN at one beam and pixel size "
                          "(tens of ms per field once the instrument is cached)")
    sim.add_argument("--misspec", type=float, default=1.0, metavar="F",
                     help="mis-specification test: the true beam and noise are F times what the fields state (e.g. 1.05)")
    sim.add_argument("--fits", type=int, default=0, metavar="N", help="also write the first N fields as FITS images")

    tr = sub.add_parser("train", help="train the posterior estimator (and the talk's CNN baseline) on simulated fields",
                        description="Train the counts estimator: tile CNN embedding, then an sbi neural posterior flow.")
    tr.add_argument("--data", required=True, nargs="+", metavar="DIR",
                    help="one or more folders made by 'radio-unet counts simulate' with the same preset (e.g. fast-route "
                         "fields and observe-route fields); their fields are pooled and split together")
    tr.add_argument("--out", required=True, help="model folder (model.safetensors + model.json)")
    tr.add_argument("--epochs", type=int, default=12, help="epochs of the embedding network (default 12)")
    tr.add_argument("--max-minutes", type=float, default=40.0, help="wall-time cap of the embedding training (default 40)")
    tr.add_argument("--batch-size", type=int, default=32, help="fields per batch (default 32)")
    tr.add_argument("--lr", type=float, default=2e-3, help="learning rate of the embedding (default 2e-3)")
    tr.add_argument("--limit", type=int, help="use only the first N fields of each --data folder")
    tr.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    tr.add_argument("--threads", type=int, default=1, help="PyTorch threads (default 1)")
    tr.add_argument("--no-baselines", action="store_true", help="skip the talk-CNN baseline")

    est = sub.add_parser("estimate", help="posterior counts per flux bin of FITS images",
                         description="Estimate the differential source counts of images, with 68%% and 95%% intervals.")
    est.add_argument("images", nargs="+", metavar="IMAGE", help="FITS images (Jy/beam or Jy/pixel, with a beam)")
    est.add_argument("--model", help="shipped model name or model folder (default: the first shipped model trained for "
                                     "the image's beam, pixel size and noise, counts-lotss-6as first)")
    est.add_argument("-o", "--out", required=True, help="output folder: <stem>.counts.ecsv and <stem>.counts.png")
    est.add_argument("--noise", type=float, metavar="JY_BEAM", help="noise rms to state (default: measured, MAD)")
    est.add_argument("--samples", type=int, default=2000, help="posterior samples (default 2000)")
    est.add_argument("--seed", type=int, default=0)
    add_image_options(est)

    ev = sub.add_parser("evaluate", help="per-bin bias, coverage and interval width of every method on held-out fields",
                        description="Score the estimator and the baselines (talk CNN, P(D) fit, catalogue above 5 sigma) "
                                    "on a simulated data set: bias, coverage, interval width, SBC ranks, plots.")
    ev.add_argument("--data", required=True, help="held-out folder made by 'radio-unet counts simulate'")
    ev.add_argument("--model", help="model folder or shipped name (default: counts-lotss-6as)")
    ev.add_argument("-o", "--out", required=True, help="output folder (table, per-field ECSV, plots)")
    ev.add_argument("--limit", type=int, default=300, help="fields scored (default 300)")
    ev.add_argument("--pd-limit", type=int, default=150, help="fields given the (slow, ~1 s) P(D) fit (default 150)")
    ev.add_argument("--samples", type=int, default=1000, help="posterior samples per field (default 1000)")
    ev.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    """Run one step."""
    from ..errors import RadioUNetError

    step = args.counts_command
    if step is None:
        raise RadioUNetError("give a step: radio-unet counts simulate|train|estimate|evaluate (see --help)")
    if step != "simulate":
        import torch

        torch.set_num_threads(max(1, int(getattr(args, "threads", 1))))
    command = "radio-unet " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else None
    if step == "simulate":
        from ..counts.dataset import simulate_dataset
        from ..counts.presets import get_counts_preset

        man = simulate_dataset(get_counts_preset(args.preset), args.n, args.out, seed=args.seed, family=args.family,
                               route=args.route, misspec=args.misspec, fits=args.fits, progress=print)
        print(f"{man['n']} fields ({man['family']} family, {man['route']} route) in {args.out}")
        return 0
    if step == "train":
        from ..counts.train import train_counts

        card = train_counts(args.data[0] if len(args.data) == 1 else args.data, args.out, epochs=args.epochs, max_minutes=args.max_minutes, batch_size=args.batch_size,
                            lr=args.lr, limit=args.limit, seed=args.seed, baselines=not args.no_baselines,
                            command=command, progress=print)
        m = card.metrics.get("validation", {})
        print(f"wrote {args.out} (validation coverage 68/95%: {m.get('coverage68_mean', float('nan')):.2f}/"
              f"{m.get('coverage95_mean', float('nan')):.2f})")
        return 0
    if step == "estimate":
        from ..counts.estimate import estimate_images
        from .common import image_options

        failures = estimate_images(args.images, args.out, model=args.model, noise=args.noise, n_samples=args.samples,
                                   seed=args.seed, read_options=image_options(args), progress=print)
        return 2 if failures else 0
    if step == "evaluate":
        from ..counts.evaluate import evaluate_dataset

        table = evaluate_dataset(args.data, args.out, model=args.model, limit=args.limit, pd_limit=args.pd_limit,
                                 n_samples=args.samples, seed=args.seed, progress=print)
        print(table)
        return 0
    raise RadioUNetError(f"unknown step {step!r}")  # pragma: no cover - argparse guards
