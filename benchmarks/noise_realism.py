"""Noise realism: the power spectrum and histogram of real LoTSS-DR1 noise against simulated noise.

The shipped model calls much of a real LoTSS blank field diffuse emission;
the suspect is the noise: real images have more power on scales of several
beams (uv-coverage stripes, calibration residuals, confusion, sidelobes)
than the simulated ones. This script measures it.

Real: the LoTSS-DR1 cut-outs ``lotss_dr1/P218+55-mosaic_200x200.fits.gz`` and
``lotss_dr1/P205+55-mosaic_400x400.fits.gz`` under ``--data`` (1.5"/px, 6"
beam, Jy/beam; a missing header beam is taken as 6" and the report says so).
Simulated: ``--n`` fields made with :func:`radio_unet.simulate.generate.simulate_one`
from ``--preset`` on a 400x400 grid at 1.5"/px (the cut-outs' grid, through
``Preset.with_overrides``; if the instrument cannot be set up on it, the
preset's own pixel scale over the same field, then its own grid, and the
report says which), or the ``sim_*.image.fits`` files of ``--sim-dir`` (a
data set made by ``radio-unet simulate``).

Every image is treated the same way (:mod:`radio_unet.evaluate.noise_stats`):

1. robust rms: 3-sigma clipped standard deviation (:func:`radio_unet.stats.robust_rms`,
   as ``radio-unet info``);
2. sources: islands above 3 sigma holding a pixel above 5 sigma, grown by 1.5
   beams, are masked;
3. power spectrum of the masked, median-subtracted, apodised image
   (corrected for the kept fraction), azimuthally averaged in ``--nbins``
   logarithmic bins of spatial scale from 1 beam to the larger real image
   (100 beams), as a spectral density in units of sigma^2 beam^2 with
   sigma^2 the image's own variance (``--norm variance``: the spectrum
   integrates to 1, a comparison of shape) or the robust rms squared
   (``--norm rms``);
4. one-point histogram in units of the robust rms: tails beyond +-3 and +-5
   sigma, skewness, kurtosis.

The report (``--out``, newest run on top) has per scale bin the two real
spectra, the median simulated one with its 16-84% range over the fields,
the ratios real/simulated and PASS when both are within a factor of 2 of the
simulated median (the strict goal), and, beside it, whether each real spectrum
lies within a factor 2 of the simulated 16-84% range (the simulator draws a
noise texture per field, and the two real cut-outs differ from each other by
more than a factor 2 in some bins); the
histogram statistics; the verdict. The figure ``--figure`` shows a real and
a simulated noise cut-out on the same stretch in sigma, the spectra and the
histograms.

Usage::

    .venv/bin/python benchmarks/noise_realism.py [--n 8] [--preset lotss-6as] [--override key=value ...]
        [--sim-dir DIR] [--data ../shared/data] [--out benchmarks/results/noise_realism.md]
        [--figure docs/images/noise_realism.png]

``--override`` takes Preset fields (``noise_rms_jy_beam=[60e-6, 80e-6]``,
``artefacts={}``), YAML values; a dotted key changes one entry of a dict
field (``sky.n_clusters=[0, 0]``).
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import prepend_report  # noqa: E402  benchmarks/, the script's folder

REAL_FILES = ("P218+55-mosaic_200x200.fits.gz", "P205+55-mosaic_400x400.fits.gz")
#: LoTSS-DR1 restoring beam (arcsec), assumed when a header has none.
LOTSS_BEAM_ARCSEC = 6.0
#: The real cut-outs' grid.
GRID_NPIX, GRID_PIXEL_ARCSEC = 400, 1.5
NSIGMA, GROW_BEAMS = 5.0, 1.5
FACTOR = 2.0


# --------------------------------------------------------------------------- inputs


def parse_overrides(items: list[str], preset) -> dict:
    """``key=value`` strings -> ``with_overrides`` keywords.

    Values are Python literals or YAML (``null``, ``false``, ``{p_excess: 0.5}``); lists become tuples, strings
    that read as numbers become floats (YAML 1.1 reads ``6e-5`` as a string); ``a.b=v`` edits one entry of dict ``a``.
    """
    import ast

    import yaml

    from radio_unet.cli.simulate import yaml_numbers

    def parse(text):
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return yaml.safe_load(text)

    changes: dict = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"--override needs key=value, got {item!r}")
        value = yaml_numbers(parse(text))
        field, _, sub = key.strip().partition(".")
        if sub:
            base = dict(changes.get(field, getattr(preset, field, None) or {}))
            base[sub] = value
            changes[field] = base
        else:
            changes[field] = value
    return changes


def read_real(data_dir: Path) -> tuple[list[dict], list[str]]:
    """The real cut-outs as dicts (name, data, pixel scale, beam); notes on assumed beams."""
    from radio_unet.io import read_image

    images, notes = [], []
    for name in REAL_FILES:
        path = data_dir / "lotss_dr1" / name
        image = read_image(path)
        if image.beam is None:
            beam = LOTSS_BEAM_ARCSEC
            notes.append(f"{name}: no beam in the header, {LOTSS_BEAM_ARCSEC:g}\" assumed")
        else:
            beam = float(np.sqrt(image.beam.major * image.beam.minor))
        if image.unit not in (None, "Jy/beam"):
            notes.append(f"{name}: unit {image.unit}, analysed as it is")
        images.append({"name": name.split("-mosaic")[0], "file": name, "data": np.asarray(image.data, np.float64),
                       "pixel": image.pixel_scale_arcsec, "beam": beam})
    return images, notes


def read_sim_dir(sim_dir: Path, n: int) -> list[dict]:
    """The first ``n`` ``sim_*.image.fits`` of a data set."""
    from radio_unet.io import read_image

    files = sorted(sim_dir.glob("sim_*.image.fits"))[:n]
    if not files:
        raise SystemExit(f"no sim_*.image.fits in {sim_dir}")
    out = []
    for path in files:
        image = read_image(path)
        beam = LOTSS_BEAM_ARCSEC if image.beam is None else float(np.sqrt(image.beam.major * image.beam.minor))
        out.append({"name": path.name.split(".")[0], "data": np.asarray(image.data, np.float64),
                    "pixel": image.pixel_scale_arcsec, "beam": beam, "record": {}})
    return out


def simulate(preset, n: int, seed: int, route: str, work: Path, user_fields=()) -> tuple[list[dict], str, list[str]]:
    """Simulate ``n`` fields, falling back to coarser grids if the instrument set-up fails on the cut-outs' grid.

    Fields named in ``user_fields`` (the user's ``--override``) keep their values on every grid.
    """
    from radio_unet.io import read_image
    from radio_unet.simulate.generate import simulate_one

    field = GRID_NPIX * GRID_PIXEL_ARCSEC
    grids = [("the real cut-outs' grid", {"npix": GRID_NPIX, "pixel_scale_arcsec": GRID_PIXEL_ARCSEC})]
    own = preset.pixel_scale_arcsec
    if own != GRID_PIXEL_ARCSEC:
        grids.append(("the preset's pixel scale over the cut-outs' field", {"npix": int(round(field / own)), "pixel_scale_arcsec": own}))
    grids.append(("the preset's own grid", {"npix": preset.npix, "pixel_scale_arcsec": own}))
    notes = []
    for label, grid in grids:
        # user overrides of npix / pixel scale win over the grid
        changes = {k: v for k, v in grid.items() if k not in user_fields}
        p = preset.with_overrides(**changes)
        out_dir = work / f"sim_{p.npix}_{p.pixel_scale_arcsec:g}"
        try:
            records = [simulate_one(p, 0, seed=seed, route=route, out_dir=out_dir)]
        except Exception as exc:  # noqa: BLE001 - any set-up failure: report it and try the next grid
            notes.append(f"simulating on {label} ({p.npix} px at {p.pixel_scale_arcsec:g}\"/px) failed: "
                         f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            print("warning: " + notes[-1], file=sys.stderr)
            continue
        for index in range(1, n):
            records.append(simulate_one(p, index, seed=seed, route=route, out_dir=out_dir))
        images = []
        for rec in records:
            image = read_image(out_dir / rec["image"])
            images.append({"name": rec["id"], "data": np.asarray(image.data, np.float64), "pixel": image.pixel_scale_arcsec,
                           "beam": float(np.sqrt(rec["bmaj_arcsec"] * rec["bmin_arcsec"])), "record": rec})
        grid_text = f"{p.npix}x{p.npix} at {p.pixel_scale_arcsec:g}\"/px ({label})"
        return images, grid_text, notes
    raise SystemExit("could not simulate on any grid:\n  " + "\n  ".join(notes))


# --------------------------------------------------------------------------- analysis


def analyse(image: dict, edges: np.ndarray, norm: str) -> dict:
    """Robust rms, source mask, power spectrum and histogram of one image (same treatment for real and simulated)."""
    from radio_unet.evaluate.noise_stats import histogram_stats, masked_residual, radial_power_spectrum, source_mask
    from radio_unet.stats import robust_rms

    data, beam_pix = image["data"], image["beam"] / image["pixel"]
    rms = robust_rms(data)
    mask = source_mask(data, rms, nsigma=NSIGMA, grow_beams=GROW_BEAMS, beam_pix=beam_pix)
    residual, kept = masked_residual(data, mask)
    spec = radial_power_spectrum(residual, pixel_scale_arcsec=image["pixel"], beam_fwhm_arcsec=image["beam"],
                                 edges_beams=edges, kept_fraction=kept, rms=rms if norm == "rms" else None)
    # total variance of the masked field over the robust rms^2 (1 for Gaussian noise)
    variance = radial_power_spectrum(residual, pixel_scale_arcsec=image["pixel"], beam_fwhm_arcsec=image["beam"],
                                     edges_beams=edges, kept_fraction=kept).variance
    noise = histogram_stats(data, rms, mask=mask)
    everything = histogram_stats(data, rms)
    return {**image, "rms": rms, "mask": mask, "mask_fraction": float(mask.mean()), "kept": kept, "spec": spec,
            "var_over_rms2": variance / rms**2, "noise": noise, "all": everything}


def band(values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and 16/84 percentiles over the first axis, ignoring NaN."""
    import warnings

    stack = np.asarray(values, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN bins stay NaN
        return tuple(np.nanpercentile(stack, q, axis=0) for q in (50, 16, 84))


# --------------------------------------------------------------------------- report


def fmt(x: float, digits: int = 3) -> str:
    return "-" if not np.isfinite(x) else f"{x:.{digits}g}"


def spectrum_table(real: list[dict], sims: list[dict]) -> tuple[list[str], dict]:
    from radio_unet.evaluate.noise_stats import spectrum_ratio

    edges = real[0]["spec"].edges_beams
    med, lo, hi = band([s["spec"].power for s in sims])
    ratios, within = zip(*(spectrum_ratio(r["spec"], med, factor=FACTOR) for r in real))
    covered = [np.isfinite(r["spec"].power) for r in real]
    beam_arcsec = real[0]["beam"]
    lines = [
        "| scale (beams) | scale (\") | " + " | ".join(f"real {r['name']}" for r in real)
        + " | simulated median [16-84%] | " + " | ".join(f"ratio {r['name']}" for r in real) + " | within x2 | "
        "within x2 of the band | modes " + "/".join(r["name"] for r in real) + " |",
        "|---|---:|" + "---:|" * len(real) + "---:|" + "---:|" * len(real) + ":---:|:---:|---:|",
    ]
    verdicts, band_verdicts = [], []
    for i in range(edges.size - 1):
        have = [c[i] for c in covered]
        ok = all(w[i] for w, h in zip(within, have) if h) and any(have) and np.isfinite(med[i])
        verdicts.append(bool(ok))
        # the simulator draws a texture per field: each real spectrum within x2 of the simulated 16-84% range
        in_band = all(lo[i] / FACTOR <= r["spec"].power[i] <= hi[i] * FACTOR for r, h in zip(real, have) if h)
        band_ok = bool(in_band and any(have) and np.isfinite(med[i]))
        band_verdicts.append(band_ok)
        lines.append(
            f"| {edges[i]:.3g}-{edges[i + 1]:.3g} | {edges[i] * beam_arcsec:.3g}-{edges[i + 1] * beam_arcsec:.3g} | "
            + " | ".join(fmt(r["spec"].power[i]) for r in real)
            + f" | {fmt(med[i])} [{fmt(lo[i])}-{fmt(hi[i])}] | "
            + " | ".join(fmt(ratio[i], 2) for ratio in ratios)
            + f" | {'PASS' if ok else 'FAIL'} | {'PASS' if band_ok else 'FAIL'} | "
            + "/".join(str(int(r["spec"].n_modes[i])) for r in real) + " |"
        )
    return lines, {"median": med, "lo": lo, "hi": hi, "ratios": ratios, "verdicts": verdicts,
                   "band_verdicts": band_verdicts, "edges": edges}


HIST_ROWS = [
    ("robust rms (uJy/beam, 3-sigma clipped std)", lambda a: a["rms"] * 1e6, 3),
    ("MAD rms / clipped rms", lambda a: a["all"]["robust_rms"] / a["rms"], 3),
    ("masked (sources > 5 sigma, grown 1.5 beams)", lambda a: a["mask_fraction"], 3),
    ("variance of the masked field / rms^2", lambda a: a["var_over_rms2"], 3),
    ("noise pixels: std / rms", lambda a: a["noise"]["std"] / a["rms"], 3),
    ("noise pixels: fraction > +3 sigma (Gauss 0.00135)", lambda a: a["noise"]["frac_above_3"], 3),
    ("noise pixels: fraction < -3 sigma (Gauss 0.00135)", lambda a: a["noise"]["frac_below_3"], 3),
    ("noise pixels: fraction beyond +-3 sigma (Gauss 0.0027)", lambda a: a["noise"]["frac_beyond_3"], 3),
    ("noise pixels: skewness", lambda a: a["noise"]["skewness"], 3),
    ("noise pixels: excess kurtosis", lambda a: a["noise"]["excess_kurtosis"], 3),
    ("all pixels: fraction > +5 sigma (Gauss 2.9e-7)", lambda a: a["all"]["frac_above_5"], 3),
    ("all pixels: fraction < -5 sigma (Gauss 2.9e-7)", lambda a: a["all"]["frac_below_5"], 3),
    ("all pixels: skewness", lambda a: a["all"]["skewness"], 3),
]
#: Rows for simulated fields only (their JSON record).
SIM_ROWS = [
    ("simulated: diffuse emission in the field (reference-mask fraction)", lambda a: a["record"].get("mask_fraction", np.nan), 3),
    ("simulated: drawn thermal noise (uJy/beam)", lambda a: a["record"].get("noise_rms_jy_beam", np.nan) * 1e6, 3),
]


def histogram_table(real: list[dict], sims: list[dict]) -> list[str]:
    lines = ["| statistic | " + " | ".join(f"real {r['name']}" for r in real) + " | simulated median [16-84%] |",
             "|---|" + "---:|" * len(real) + "---:|"]
    for label, get, digits in HIST_ROWS:
        med, lo, hi = band([np.array([get(s)]) for s in sims])
        lines.append(f"| {label} | " + " | ".join(fmt(get(r), digits) for r in real)
                     + f" | {fmt(med[0], digits)} [{fmt(lo[0], digits)}-{fmt(hi[0], digits)}] |")
    for label, get, digits in SIM_ROWS if any(s.get("record") for s in sims) else ():
        med, lo, hi = band([np.array([get(s)]) for s in sims])
        lines.append(f"| {label} | " + " | ".join("-" for _ in real)
                     + f" | {fmt(med[0], digits)} [{fmt(lo[0], digits)}-{fmt(hi[0], digits)}] |")
    return lines


def git_state() -> str:
    """``commit`` plus the source files with uncommitted changes (read-only git calls)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    status = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True, check=False)
    changed = [line[3:] for line in status.stdout.splitlines() if len(line) > 3]
    shown = ", ".join(changed[:6]) + (f", ... {len(changed) - 6} more" if len(changed) > 6 else "")
    return commit + (f" + uncommitted changes in {len(changed)} source files ({shown})" if changed else "")


# --------------------------------------------------------------------------- figure


def make_figure(path: Path, real: list[dict], sims: list[dict], summary: dict, norm: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from radio_unet.io.atomic import atomic_path

    show_real = max(real, key=lambda r: r["data"].size)
    # the simulated field with the least diffuse emission (reference mask) is the fairest noise cut-out
    show_sim = min(sims, key=lambda s: s.get("record", {}).get("mask_fraction", 0.0))
    from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

    fig, axes = plt.subplots(1, 4, figsize=(22, 5.4), gridspec_kw={"width_ratios": [1, 1, 1.3, 1.3]},
                             layout="constrained")
    stretch = dict(cmap="RdBu_r", vmin=-4, vmax=4, origin="lower", interpolation="nearest")
    for ax, item, title in ((axes[0], show_real, f"real {show_real['name']}"), (axes[1], show_sim, f"simulated {show_sim['name']}")):
        n = min(item["data"].shape[0], GRID_NPIX)  # same number of pixels shown
        cut = item["data"][:n, :n] / item["rms"]
        im = ax.imshow(cut, **stretch)
        ax.contour(item["mask"][:n, :n], levels=[0.5], colors="k", linewidths=0.5)
        ax.set_title(f"{title}: {item['pixel']:.3g}\"/px, rms {item['rms'] * 1e6:.0f} uJy/beam", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    fig.colorbar(im, ax=axes[:2], orientation="horizontal", fraction=0.05, shrink=0.6,
                 label="pixel / robust rms (same stretch); black contours: masked sources")

    ax = axes[2]
    scale = real[0]["spec"].scale_beams
    for s in sims:
        ax.plot(s["spec"].scale_beams, s["spec"].power, color="tab:orange", lw=0.5, alpha=0.35)
    ax.fill_between(scale, summary["lo"], summary["hi"], color="tab:orange", alpha=0.3, label="simulated 16-84%")
    ax.plot(scale, summary["median"], color="tab:orange", lw=2, label=f"simulated median (N={len(sims)})")
    ax.plot(scale, summary["median"] * FACTOR, color="tab:orange", ls=":", lw=1, label="x2 / x0.5")
    ax.plot(scale, summary["median"] / FACTOR, color="tab:orange", ls=":", lw=1)
    for r, c in zip(real, ("tab:blue", "tab:green")):
        ax.plot(r["spec"].scale_beams, r["spec"].power, "o-", color=c, ms=4, label=f"real {r['name']}")
    ax.set_xscale("log"), ax.set_yscale("log")
    ax.xaxis.set_major_locator(FixedLocator([1, 2, 5, 10, 20, 50, 100, 200, 500]))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("spatial scale 1/k (beams)")
    ax.set_ylabel("power density (sigma^2 beam^2, sigma^2 = " + ("variance)" if norm == "variance" else "rms^2)"))
    ax.set_title("azimuthally averaged power spectrum (sources masked)", fontsize=9)
    ax.legend(fontsize=8)

    ax = axes[3]
    edges = real[0]["noise"]["edges"]
    centre = 0.5 * (edges[1:] + edges[:-1])
    med, lo, hi = band([s["noise"]["density"] for s in sims])
    ax.fill_between(centre, np.maximum(lo, 1e-7), np.maximum(hi, 1e-7), color="tab:orange", alpha=0.3, step="mid")
    ax.step(centre, med, where="mid", color="tab:orange", lw=2, label="simulated median")
    for r, c in zip(real, ("tab:blue", "tab:green")):
        ax.step(centre, r["noise"]["density"], where="mid", color=c, label=f"real {r['name']}")
    ax.plot(centre, np.exp(-centre**2 / 2) / np.sqrt(2 * np.pi), "k--", lw=1, label="Gaussian")
    ax.set_yscale("log"), ax.set_ylim(1e-6, 1), ax.set_xlim(-8, 8)
    ax.set_xlabel("pixel value / robust rms"), ax.set_ylabel("probability density")
    ax.set_title("one-point histogram of the unmasked pixels", fontsize=9)
    ax.legend(fontsize=8)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, bbox_inches="tight", format="png")
    plt.close(fig)
    print(f"wrote {path}")


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--n", type=int, default=8, help="simulated fields (default 8; with --sim-dir: at most this many files)")
    parser.add_argument("--preset", default="lotss-6as", help="simulation preset (default lotss-6as)")
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                        help="change a preset field (YAML value; KEY.SUB=VALUE for one entry of a dict field); repeatable")
    parser.add_argument("--blank", action="store_true",
                        help="blank fields like the real cut-outs: no clusters (halos, relics, bridges) and no filaments "
                             "(sky.n_clusters=[0, 0], sky.p_filaments=0, before the --override)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the simulated fields (default 2024)")
    parser.add_argument("--route", default="image", help="observation route of simulate_one (default image)")
    parser.add_argument("--sim-dir", type=Path, help="read sim_*.image.fits from this data set instead of simulating")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="folder holding lotss_dr1/ (default ../shared/data)")
    parser.add_argument("--nbins", type=int, default=10, help="logarithmic scale bins from 1 beam to the larger real image")
    parser.add_argument("--norm", choices=("variance", "rms"), default="variance",
                        help="spectrum in units of each image's variance (shape, default) or of its robust rms^2")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "noise_realism.md")
    parser.add_argument("--figure", type=Path, default=ROOT / "docs" / "images" / "noise_realism.png")
    parser.add_argument("--no-figure", action="store_true")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    t0 = time.perf_counter()

    real_images, notes = read_real(args.data)
    sim_seconds = 0.0
    if args.sim_dir is not None:
        sim_images = read_sim_dir(args.sim_dir, args.n)
        source = f"{len(sim_images)} files `sim_*.image.fits` of `{args.sim_dir}`"
        grid_text = ", ".join(sorted({f"{im['data'].shape[1]}x{im['data'].shape[0]} at {im['pixel']:.3g}\"/px" for im in sim_images}))
    else:
        from radio_unet.simulate.presets import get_preset

        preset = get_preset(args.preset)
        blank = ["sky.n_clusters=[0, 0]", "sky.p_filaments=0"] if args.blank else []
        changes = parse_overrides(blank + args.override, preset)
        preset = preset.with_overrides(**changes)
        t = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="noise_realism_") as work:
            sim_images, grid_text, sim_notes = simulate(preset, args.n, args.seed, args.route, Path(work), tuple(changes))
        sim_seconds = time.perf_counter() - t
        notes += sim_notes
        shown = {k: v for k, v in dataclasses.asdict(preset).items() if k in ("noise_rms_jy_beam", "beams_arcsec", "sky", "artefacts")}
        source = (f"{len(sim_images)} fields of preset `{args.preset}`" + (f" with {changes}" if changes else "")
                  + f", seed {args.seed}, route `{args.route}`, simulate_one ({sim_seconds:.1f} s); preset fields {shown}")

    diffuse = [s["record"]["mask_fraction"] for s in sim_images if s.get("record") and "mask_fraction" in s["record"]]
    if diffuse and np.median(diffuse) > 0.01:
        notes.append(f"the simulated fields hold diffuse emission (median reference-mask fraction {np.median(diffuse):.2f}) "
                     "that adds large-scale power; the real cut-outs are blank fields: `--blank` compares like with like")
    size_beams = max(im["data"].shape[0] * im["pixel"] / im["beam"] for im in real_images)
    edges = np.geomspace(1.0, size_beams, args.nbins + 1)
    real = [analyse(im, edges, args.norm) for im in real_images]
    sims = [analyse(im, edges, args.norm) for im in sim_images]
    spec_lines, summary = spectrum_table(real, sims)
    verdicts = summary["verdicts"]
    failing = [f"{summary['edges'][i]:.3g}-{summary['edges'][i + 1]:.3g}" for i, ok in enumerate(verdicts) if not ok]
    ratio_text = "; ".join(f"{r['name']}/simulated from {np.nanmin(q):.2g} to {np.nanmax(q):.2g}"
                           for r, q in zip(real, summary["ratios"]))
    verdict = ("PASS: the real and simulated spectra agree within a factor 2 in every bin"
               if all(verdicts) else f"FAIL in {len(failing)} of {len(verdicts)} bins (beams: {', '.join(failing)})")
    band_failing = [f"{summary['edges'][i]:.3g}-{summary['edges'][i + 1]:.3g}"
                    for i, ok in enumerate(summary["band_verdicts"]) if not ok]
    verdict += ("; every real spectrum lies within a factor 2 of the simulated 16-84% range in every bin"
                if not band_failing else f"; outside x2 of the simulated 16-84% range in {len(band_failing)} bins "
                                         f"(beams: {', '.join(band_failing)})")
    elapsed = time.perf_counter() - t0
    if not args.no_figure:
        make_figure(args.figure, real, sims, summary, args.norm)

    command = "python benchmarks/noise_realism.py " + shlex.join(argv)
    norm_text = ("the image's own variance (each spectrum integrates to 1: a comparison of shape)" if args.norm == "variance"
                 else "the image's robust rms squared (integrates to variance / rms^2)")
    lines = [
        "# Noise realism: real LoTSS-DR1 noise against simulated noise",
        "",
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; commit {git_state()}",
        f"- command: `{command.strip()}`; {elapsed:.0f} s in all",
        "- real: " + ", ".join(f"`{r['file']}` ({r['data'].shape[1]}x{r['data'].shape[0]}, {r['pixel']:.3g}\"/px, "
                                 f"beam {r['beam']:.3g}\")" for r in real),
        f"- simulated: {source}; grid {grid_text}",
        *[f"- note: {n}" for n in notes],
        f"- treatment (both alike): robust rms = 3-sigma clipped std; sources = islands above 3 sigma with a pixel above "
        f"{NSIGMA:g} sigma, grown by {GROW_BEAMS:g} beams, zeroed after subtracting the median; Tukey window (alpha 0.2); "
        f"power corrected for the kept fraction; spectral density in sigma^2 beam^2 with sigma^2 = {norm_text}",
        "",
        f"## Power spectrum (median of {len(sims)} simulated fields; ratio = real / simulated median)",
        "",
        *spec_lines,
        "",
        f"Ratios: {ratio_text}.",
        "",
        "## One-point histogram (units of the robust rms)",
        "",
        *histogram_table(real, sims),
        "",
        f"**Verdict: {verdict}.**",
        "",
    ]
    if not args.no_figure:
        try:
            lines.insert(-2, f"![noise realism]({Path('../../') / args.figure.resolve().relative_to(ROOT)})")
            lines.insert(-2, "")
        except ValueError:
            pass
    text = "\n".join(lines)
    print(text)
    prepend_report(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
