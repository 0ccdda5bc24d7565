"""Benchmark: a model on real radio images only (false positives, injected halos and relics, radio galaxies).

Everything here is real data from ``../shared/data`` (``--data``); nothing is
simulated by the package. Every image is segmented through the file-level API,
:func:`radio_unet.segment.run.segment_file`, which writes ``<stem>.prob.fits``
(and, for a multi-class model, ``<stem>.class.fits`` with ``CLASSn = 'name'``
cards and ``<stem>.classprob.fits``; without them the class columns say n/a).

1. False positives: the fraction of pixels with p >= 0.5 on real fields without
   known diffuse emission (two LoTSS-DR1 cut-outs, one of them mirror-padded to
   600x600, and a LOFAR snapshot). Goal <= 1%.
2. Injection into real LoTSS noise: exponential halos (Murgia et al. 2009) and
   arc-shaped relics written in :mod:`radio_unet.evaluate.realsky` (not the
   training sky models), convolved with the header beam and scaled to a peak of
   0.5, 1, 2 and 4 sigma; truth = the injected component above 0.25 sigma. IoU of
   the p >= 0.5 mask with the truth (over the whole image) and the AUC of the
   detection ratio R (mean p in a circle around the spot) against the same spot
   without injection. Goals: IoU >= 0.40 at 2 sigma and >= 0.80 at 4 sigma, AUC >=
   0.9 at 2 sigma. Reference: a 3-sigma threshold after smoothing with the beam.
3. MiraBest FRI/FRII radio galaxies (VLA FIRST): the fraction of pixels called
   diffuse outside the galaxy's own 3-sigma island dilated by one beam (goal <=
   0.5%), inside the island, and the island's pixels of class 'radio galaxy'
   (goal >= 80%).
4. What the model makes of Galactic diffuse emission (ATCA Scorpio fields) and
   of FIRST snapshots of radio galaxies.
5. A bright point source with straight calibration spokes in the real LoTSS
   noise (no diffuse emission: the blank-field goal).
6. Bright halos only 1-3 beams in e-folding radius (a halo as a 60" image shows
   it): how much is called diffuse, and which classes take the rest.

A figure, ``docs/images/real_sky.png``.

Usage::

    python benchmarks/real_sky.py [--model default] [--out benchmarks/results/real_sky.md] [--quick] [--data DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import os
import shlex
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.stats import gaussian_fwhm_to_sigma
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _report, also when imported by a test
from _report import prepend_report  # noqa: E402

from radio_unet.evaluate.metrics import threshold_baseline  # noqa: E402
from radio_unet.evaluate.realsky import (  # noqa: E402
    auc,
    beam_convolve,
    class_fractions,
    class_names,
    detection_ratio,
    false_positive_fraction,
    halo_profile,
    inject,
    iou,
    outside_island_fraction,
    relic_profile,
    spoke_profile,
)
from radio_unet.io import read_image, write_image  # noqa: E402
from radio_unet.models import read_card  # noqa: E402
from radio_unet.segment.backends import DEFAULT_TTA  # noqa: E402
from radio_unet.segment.load import resolve_model  # noqa: E402
from radio_unet.segment.run import output_stem, segment_file  # noqa: E402
from radio_unet.stats import robust_rms  # noqa: E402
from radio_unet.targets.ratio import circle_mask  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
THRESHOLD = 0.5
LEVELS = (0.5, 1.0, 2.0, 4.0)
#: Bright injections (peak in sigma): real relics and halos reach tens to hundreds of sigma (CIZA J2242's relic at 6"
#: is ~200 sigma in LoTSS); they must stay diffuse and not turn into radio galaxies.
BRIGHT_LEVELS = (16.0, 64.0, 256.0)
#: The class that each injected kind should get.
KIND_CLASS = {"halo": "radio halo", "relic": "relic"}
TRUTH_SIGMA = 0.25
#: A per-pixel oracle for section 2: the noise-free injected component above this many sigma, scored like the network.
ORACLE_SIGMA = 0.5
FP_GOAL = 0.01
IOU_GOALS = {2.0: 0.40, 4.0: 0.80}
AUC_GOAL = (2.0, 0.90)
OUTSIDE_GOAL = 0.005
CLASS_GOAL = 0.80
RADIO_GALAXY = "radio galaxy"
#: Section 5: bright point sources injected into the real LoTSS noise, peak (sigma) x spoke amplitude (a fraction of
#: the peak); no diffuse emission is added, so every pixel called diffuse is a false positive (the blank-field goal).
SPOKE_CASES = ((1000.0, 0.0), (1000.0, 0.01), (1000.0, 0.03), (10000.0, 0.0), (10000.0, 0.01), (10000.0, 0.03))
N_SPOKES = 8
#: Section 6: halos a few beams across (e-folding radius in beam FWHMs) at bright peaks (sigma).
SMALL_HALO_BEAMS = (1.0, 1.5, 2.0, 3.0)
SMALL_HALO_LEVELS = (8.0, 32.0, 128.0)
SMALL_HALO_CLASSES = ("radio halo", RADIO_GALAXY, "compact source")
#: The small halo shown in the figure (r_e in beams, peak in sigma).
FIGURE_SMALL_HALO = (2.0, 32.0)
#: VLA FIRST: the 5.4" beam is only in the prose of the HISTORY cards, which the reader does not parse.
FIRST_BEAM = "5.4,5.4,0"
LOTSS = ("lotss_dr1/P218+55-mosaic_200x200.fits.gz", "lotss_dr1/P205+55-mosaic_400x400.fits.gz")
PAD_TO = 600
#: The injection shown in the figure (at 2 sigma, on the first LoTSS cut-out).
FIGURE_HALO = "halo r_e 14 px"


@dataclass
class Segmented:
    """The maps written by ``segment_file`` for one input, read back."""

    prob: np.ndarray
    resample: float = 1.0
    classes: np.ndarray | None = None
    names: dict = field(default_factory=dict)

    def class_value(self, name: str) -> int | None:
        """The value of class ``name`` in ``classes`` (None without a class map or that class)."""
        return next((v for v, n in self.names.items() if n == name), None)


class Runner:
    """Segments files with one model into a working folder and reads the maps back."""

    def __init__(self, model: str, backend: str, work: Path, tta: bool = DEFAULT_TTA):
        self.model, self.backend, self.tta = model, backend, tta
        self.inputs, self.outputs = work / "inputs", work / "outputs"
        self.inputs.mkdir(parents=True, exist_ok=True)
        self.outputs.mkdir(parents=True, exist_ok=True)
        self.seconds, self.count = 0.0, 0

    def __call__(self, path: Path, read_options: dict | None = None) -> Segmented:
        t = time.perf_counter()
        result = segment_file(path, self.outputs, model=self.model, backend=self.backend, png=False,
                              read_options=read_options, overwrite=True, tta=self.tta)
        self.seconds += time.perf_counter() - t
        self.count += 1
        stem = self.outputs / output_stem(path)
        prob = fits.getdata(result["prob"]).astype(np.float32)
        class_path = stem.with_name(stem.name + ".class.fits")
        resample = float(result.get("resample", 1.0))
        if not class_path.exists():
            return Segmented(prob, resample)
        with fits.open(class_path) as hdul:
            return Segmented(prob, resample, np.asarray(hdul[0].data), class_names(hdul[0].header))

    def write(self, name: str, data: np.ndarray, like) -> Path:
        """Write ``data`` as a FITS input on the grid of the RadioImage ``like`` (its WCS, beam, unit, frequency)."""
        return write_image(self.inputs / f"{name}.fits", np.asarray(data, np.float32), wcs=like.wcs, beam=like.beam,
                           unit=like.unit, frequency=like.frequency, provenance={"benchmark": "real_sky"})


# ----------------------------------------------------------------------------------------------- formatting


def pct(x, digits: int = 2) -> str:
    """A fraction as a percentage, or n/a."""
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f}%"


def num(x, digits: int = 3) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def verdict(value, goal: float, *, at_most: bool) -> str:
    """PASS / FAIL of ``value`` against ``goal`` (n/a when not measured)."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return "PASS" if (value <= goal if at_most else value >= goal) else "FAIL"


def checked(text: str, value, goal: float, *, at_most: bool) -> str:
    """``text`` followed by the verdict, or just n/a when the value was not measured."""
    result = verdict(value, goal, at_most=at_most)
    return "n/a" if result == "n/a" else f"{text} {result}"


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Markdown table lines (numbers right-aligned where the header says so with a leading '>')."""
    align = ["---:" if h.startswith(">") else "---" for h in headers]
    names = [h.lstrip(">") for h in headers]
    return ["| " + " | ".join(names) + " |", "|" + "|".join(align) + "|"] + ["| " + " | ".join(r) + " |" for r in rows]


def class_text(seg: Segmented, valid: np.ndarray, *, min_share: float = 0.0) -> str:
    """'name 12.3%, ...' of the class map (the classes with at least ``min_share`` of ``valid``), or n/a."""
    if seg.classes is None:
        return "n/a"
    shares = class_fractions(seg.classes, seg.names, valid=valid)
    return ", ".join(f"{n} {pct(f, 1)}" for n, f in shares.items() if f >= min_share)


def beam_pixels(image) -> tuple[float, float, float]:
    """Beam (major, minor) FWHM in pixels and PA in degrees."""
    beam = image.require_beam()
    scale = image.pixel_scale_arcsec
    return beam.major / scale, beam.minor / scale, beam.pa


def smoothed_3sigma(image) -> np.ndarray:
    """The classical reference: 3 sigma above the robust rms after smoothing with the beam."""
    major, minor, _ = beam_pixels(image)
    return threshold_baseline(image.data, nsigma=3.0, smooth_pixels=float(np.sqrt(major * minor)) * gaussian_fwhm_to_sigma)


def files(data: Path, pattern: str) -> list[Path]:
    return sorted(data.glob(pattern))


# ----------------------------------------------------------------------------------------------- sections


def false_positives(run: Runner, data: Path, keep: dict) -> tuple[list[str], dict]:
    """Section 1: pixels called diffuse on real fields without known diffuse emission."""
    jobs = []  # (label, path, note)
    for rel in LOTSS:
        if (data / rel).exists():
            jobs.append((Path(rel).name, data / rel, "as it is"))
    first = data / LOTSS[0]
    if first.exists():
        image = read_image(first)
        pad = [((PAD_TO - n) // 2, PAD_TO - n - (PAD_TO - n) // 2) for n in image.shape]
        padded = np.pad(image.data, pad, mode="reflect")
        wcs = image.wcs.deepcopy()
        wcs.wcs.crpix = wcs.wcs.crpix + np.array([pad[1][0], pad[0][0]], float)
        image.wcs = wcs  # only for writing the padded grid
        jobs.append((f"{first.name} mirror-padded", run.write("P218_padded", padded, image),
                     f"np.pad reflect to {PAD_TO}x{PAD_TO}; the whole padded image is counted"))
    jobs += [(p.name, p, "LOFAR 2-min snapshot") for p in files(data, "lofar_snapshot/*.fits.gz")]
    rows, results = [], {}
    for label, path, note in tqdm(jobs, desc="1 false positives", unit="file"):
        image = read_image(path)
        seg = run(path)
        valid = np.isfinite(seg.prob) & np.isfinite(image.data)
        fp = false_positive_fraction(np.where(valid, seg.prob, np.nan), THRESHOLD)
        ref = false_positive_fraction(np.where(valid, smoothed_3sigma(image), np.nan), 0.5)
        results[label] = fp
        keep.setdefault(label, (image, seg))
        rows.append([label, note, f"{image.shape[0]}x{image.shape[1]}", str(image.beam), f"{seg.resample:.3g}",
                     f"{robust_rms(image.data) * 1e6:.0f}",
                     str(int(valid.sum())), checked(pct(fp), fp, FP_GOAL, at_most=True), pct(ref), class_text(seg, valid)])
    lines = ["## 1. False positives on real fields (p >= 0.5; goal <= 1%)", ""]
    if not rows:
        return lines + ["no data (lotss_dr1/, lofar_snapshot/ absent)", ""], results
    lines += table(["input", "note", "shape", "beam", ">resample", ">rms uJy/beam", ">pixels counted", ">called diffuse",
                    ">3-sigma ref.", "classes"], rows)
    lines += ["", "resample: the factor by which `segment_file` rescaled the image to the model's pixels per beam. "
              "3-sigma ref.: pixels 3 sigma above the robust rms after smoothing with the beam (all emission, "
              "compact included, so not a diffuse detector; for scale). The LOFAR snapshot (5\"/px, 32\"x18\" beam, "
              "~6 mJy/beam, primary-beam corrected) is far from the model's 6\" / 2\"/px training images.", ""]
    return lines, results


def _injection_plan(shape, rng: np.random.Generator, quick: bool) -> list[dict]:
    """Injected shapes at a few positions of one image: halos r_e 8-20 px and relic arcs (1.5"/px)."""
    ny, nx = shape
    kinds = [("halo", 14.0), ("relic", 0)] if quick else [("halo", 8.0), ("halo", 14.0), ("halo", 20.0),
                                                         ("relic", 0), ("relic", 1)]
    plan = []
    for _ in range(1 if quick else 4):
        x, y = rng.uniform(0.3 * nx, 0.7 * nx), rng.uniform(0.3 * ny, 0.7 * ny)
        for kind, size in kinds:
            if kind == "halo":
                model = halo_profile(shape, (x, y), size, ellipticity=rng.uniform(0.0, 0.4), angle=rng.uniform(0, 180))
                plan.append({"kind": "halo", "label": f"halo r_e {size:g} px", "group": f"halo r_e {size:g} px",
                             "spot": (x, y), "aperture": 2.5 * size,
                             "model": model})
            else:
                radius = rng.uniform(40, 55) if size == 0 else rng.uniform(60, 80)
                arc = rng.uniform(50, 70) if size == 0 else rng.uniform(70, 100)
                width = rng.uniform(2.5, 4.5)
                a = rng.uniform(0, 360)
                centre = (x - radius * np.cos(np.radians(a)), y - radius * np.sin(np.radians(a)))
                model = relic_profile(shape, centre, radius, width, arc, a)
                plan.append({"kind": "relic", "label": f"relic R {radius:.0f} px, {arc:.0f} deg", "spot": (x, y),
                             "group": "relic R 40-55 px, 50-70 deg" if size == 0 else "relic R 60-80 px, 70-100 deg",
                             "aperture": radius * np.sin(np.radians(arc / 2)) + 2 * width, "model": model})
    return plan


def injections(run: Runner, data: Path, keep: dict, *, quick: bool, seed: int) -> tuple[list[str], dict]:
    """Section 2: halos and relics injected into real LoTSS noise, IoU and the AUC of R per level."""
    records = []
    paths = [data / rel for rel in LOTSS if (data / rel).exists()]
    jobs = []
    for index, path in enumerate(paths):
        image = read_image(path)
        rms = robust_rms(image.data)
        major, minor, pa = beam_pixels(image)
        base = keep[path.name][1] if path.name in keep else run(path)
        base_ref = smoothed_3sigma(image)
        for j, item in enumerate(_injection_plan(image.shape, np.random.default_rng(seed + index), quick)):
            convolved = beam_convolve(item["model"], major, minor, pa)
            for level in LEVELS + (() if quick else BRIGHT_LEVELS):
                jobs.append((path, image, rms, base, base_ref, j, item, convolved, level))
    for path, image, rms, base, base_ref, j, item, convolved, level in tqdm(jobs, desc="2 injections", unit="file"):
        data_inj, component = inject(image.data, convolved, level, rms)
        name = f"{output_stem(path)}_inj{j:02d}_{level:g}sigma"
        seg = run(run.write(name, data_inj, image))
        valid = np.isfinite(image.data)
        truth = component > TRUTH_SIGMA * rms
        injected = replace(image, data=data_inj)
        ref = smoothed_3sigma(injected)
        spot, radius = item["spot"], item["aperture"]
        circle = circle_mask(image.shape, spot, radius)
        called, seen = seg.prob >= THRESHOLD, truth & valid
        records.append({
            "image": path.name, "injection": j, "kind": item["kind"], "label": item["label"], "group": item["group"],
            "level": level,
            "iou": iou(called, truth, valid=valid),
            "area_ratio": float(called[valid & circle_mask(image.shape, spot, 2 * radius)].sum()
                                / max(int(seen.sum()), 1)),
            "iou_circle": iou(called, truth, valid=valid & circle),
            "recall": float(called[seen].mean()) if seen.any() else float("nan"),
            "own_class": _class_share(seg, seen, KIND_CLASS[item["kind"]]),
            "radio_galaxy": _class_share(seg, seen, RADIO_GALAXY),
            "iou_ref": iou(ref, truth, valid=valid),
            "iou_oracle": iou(component > ORACLE_SIGMA * rms, truth, valid=valid),
            "R": detection_ratio(seg.prob, spot, radius), "R_base": detection_ratio(base.prob, spot, radius),
            "R_ref": detection_ratio(ref.astype(float), spot, radius),
            "R_ref_base": detection_ratio(base_ref.astype(float), spot, radius),
        })
        if level == 2.0 and item["label"] == FIGURE_HALO and "injected" not in keep:
            keep["injected"] = (injected, seg, f"{path.name} + {item['label']} at 2 sigma (circle: R's)", (spot, radius))
    lines = [f"## 2. Halos and relics injected into real LoTSS noise (truth: injected component > {TRUTH_SIGMA} sigma)", ""]
    if not records:
        return lines + ["no data (lotss_dr1/ absent)", ""], {}
    summary = {}
    rows = []
    for kind in ("all", "halo", "relic"):
        for level in LEVELS:
            sel = [r for r in records if r["level"] == level and kind in ("all", r["kind"])]
            if not sel:
                continue
            m_iou = float(np.mean([r["iou"] for r in sel]))
            m_circle = float(np.mean([r["iou_circle"] for r in sel]))
            m_ref = float(np.mean([r["iou_ref"] for r in sel]))
            m_oracle = float(np.mean([r["iou_oracle"] for r in sel]))
            a = auc([r["R"] for r in sel], [r["R_base"] for r in sel])
            a_ref = auc([r["R_ref"] for r in sel], [r["R_ref_base"] for r in sel])
            mean_r, mean_r0 = np.mean([r["R"] for r in sel]), np.mean([r["R_base"] for r in sel])
            if kind == "all":
                summary[level] = {"iou": m_iou, "auc": a, "iou_ref": m_ref, "auc_ref": a_ref, "n": len(sel)}
            iou_cell, auc_cell = num(m_iou), num(a)
            if kind == "all" and level in IOU_GOALS:
                iou_cell = checked(iou_cell, m_iou, IOU_GOALS[level], at_most=False) + f" (>= {IOU_GOALS[level]:.2f})"
            if kind == "all" and level == AUC_GOAL[0]:
                auc_cell = checked(auc_cell, a, AUC_GOAL[1], at_most=False) + f" (>= {AUC_GOAL[1]:.2f})"
            rows.append([kind, f"{level:g}", str(len(sel)), iou_cell, num(m_circle), auc_cell,
                         f"{mean_r:.3f} / {mean_r0:.3f}", num(m_ref), num(a_ref), num(m_oracle)])
    lines += table(["injected", ">peak (sigma)", ">n", ">IoU network", ">IoU network in the circle", ">AUC of R",
                    ">mean R injected / not", ">IoU 3-sigma smoothed", ">AUC of R 3-sigma",
                    f">IoU noise-free > {ORACLE_SIGMA:g} sigma"], rows)
    n_img = len(paths)
    lines += ["", f"{len({(r['image'], r['injection']) for r in records})} injections ({n_img} image{'s' if n_img > 1 else ''}; one injection per "
              "segmented image), each at every level; IoU of the p >= 0.5 mask with the truth over the whole image "
              "(false positives anywhere count; 'in the circle': only the pixels of R's circle); R = mean p within "
              "2.5 r_e of a halo's centre (relic: half the chord "
              "+ 2 widths around the ridge's middle), negatives = R at the same circles in the image without "
              "injection. 3-sigma smoothed: 3 sigma above the robust rms after smoothing with the beam (the classical "
              "reference; its R is the fraction of the circle above 3 sigma). Noise-free > "
              f"{ORACLE_SIGMA:g} sigma: the injected component itself (no noise) above {ORACLE_SIGMA:g} sigma, a per-pixel "
              "oracle that knows the emission exactly but paints only where it is at least half the noise: a mask "
              f"reaching the {TRUTH_SIGMA:g}-sigma truth must go below that, which only a prior on the shape can.", ""]
    shape_rows = []
    for label in dict.fromkeys(r["group"] for r in records):
        for level in (2.0, 4.0):
            sel = [r for r in records if r["level"] == level and r["group"] == label]
            if sel:
                shape_rows.append([label, f"{level:g}", str(len(sel)), num(np.mean([r["iou"] for r in sel])),
                                   num(np.mean([r["iou_circle"] for r in sel])),
                                   f"{np.median([r['area_ratio'] for r in sel]):.2f}",
                                   num(np.mean([r["iou_oracle"] for r in sel]))])
    lines += table(["shape", ">peak (sigma)", ">n", ">IoU network", ">IoU in the circle",
                    ">predicted / true area (median)", f">IoU noise-free > {ORACLE_SIGMA:g} sigma"], shape_rows)
    lines += ["", "By shape: predicted / true area compares the pixels called diffuse within twice R's radius with the "
              "truth's pixels: below 1 the network finds less than the 0.25-sigma truth, above 1 it paints beyond it.",
              ""]
    bright, bright_rows = {}, []
    for kind in ("halo", "relic"):
        for level in BRIGHT_LEVELS:
            sel = [r for r in records if r["level"] == level and r["kind"] == kind]
            if not sel:
                continue
            row = _means(sel, ("iou", "recall", "own_class", "radio_galaxy"))
            bright[(kind, level)] = row
            bright_rows.append([kind, f"{level:g}", str(len(sel)), num(row["iou"]), pct(row["recall"], 1),
                                pct(row["own_class"], 1), pct(row["radio_galaxy"], 1)])
    if bright_rows:
        lines += ["### Bright halos and relics", ""]
        lines += table(["injected", ">peak (sigma)", ">n", ">IoU network", ">truth called diffuse",
                        ">truth given its own class", ">truth given 'radio galaxy'"], bright_rows)
        lines += ["", "The same injections at the brightness of well-known relics and halos: the truth's pixels should "
                  "stay diffuse and keep their own class ('radio halo', 'relic'), not become a radio galaxy. No goal "
                  "in the issue; measured because a network trained on faint emission may call any bright, elongated "
                  "structure a radio galaxy.", ""]
    return lines, {"levels": summary, "bright": bright, "records": records}


def bright_sources(run: Runner, data: Path, *, quick: bool, seed: int) -> tuple[list[str], dict]:
    """Section 5: a bright point source with calibration spokes (:func:`spoke_profile`) in real LoTSS noise."""
    paths = [data / rel for rel in LOTSS if (data / rel).exists()]
    lines = ["## 5. Bright sources with calibration spokes in real LoTSS noise (no diffuse emission; goal <= 1%)", ""]
    if not paths:
        return lines + ["no data (lotss_dr1/ absent)", ""], {}
    cases = SPOKE_CASES[-2:-1] if quick else SPOKE_CASES
    rows, results = [], {}
    progress = tqdm(total=len(cases) * len(paths[:1] if quick else paths), desc="5 bright sources", unit="file")
    for index, path in enumerate(paths[:1] if quick else paths):
        image = read_image(path)
        rng = np.random.default_rng(seed + 100 + index)
        rms = robust_rms(image.data)
        major, minor, pa = beam_pixels(image)
        valid_in = np.isfinite(image.data)
        ny, nx = image.shape
        centre = (rng.uniform(0.4, 0.6) * nx, rng.uniform(0.4, 0.6) * ny)  # one source position per image
        point = np.zeros(image.shape)
        point[int(centre[1]), int(centre[0])] = 1.0
        source = beam_convolve(point, major, minor, pa)
        pattern = beam_convolve(spoke_profile(image.shape, centre, rng.uniform(0, 180, N_SPOKES)), major, minor, pa)
        for peak, spokes in cases:
            model = source / source.max() + spokes * pattern / np.abs(pattern).max()
            data_in, _ = inject(image.data, model, peak, rms)
            seg = run(run.write(f"{output_stem(path)}_bright{peak:g}_spokes{spokes:g}", data_in, image))
            progress.update()
            valid = np.isfinite(seg.prob) & valid_in
            called = valid & (seg.prob >= THRESHOLD)
            frac = float(called.sum() / valid.sum())
            yy, xx = np.nonzero(called)
            reach = float(np.hypot(xx - centre[0], yy - centre[1]).max()) if called.any() else 0.0
            results[(path.name, peak, spokes)] = frac
            rows.append([path.name, f"{peak:g}", f"{100 * spokes:g}%", checked(pct(frac), frac, FP_GOAL, at_most=True),
                         f"{reach:.0f}", class_text(seg, called, min_share=0.0005) if called.any() else "-"])
    progress.close()
    lines += table(["image", ">peak (sigma)", ">spokes (of the peak)", ">called diffuse", ">farthest diffuse pixel from "
                    "the source (px)", "classes of the pixels called diffuse"], rows)
    lines += ["", f"A point source (the beam) at the given peak, {N_SPOKES} straight radial spokes of alternating sign "
              "through it whose amplitude falls as min(1, 6 px / r), beam-convolved, the largest spoke pixel at the "
              "given fraction of the peak (`radio_unet.evaluate.realsky.spoke_profile`: a geometric stand-in, not the "
              "simulator's gain-error patterns), added to the real cut-out; 1.5\"/px. Real LoTSS-DR1 images near "
              "sources of a few Jy show spokes of this order. No diffuse emission is added: the 'called diffuse' "
              "column is all false positives (the same goal as section 1), including the blank field's own. "
              "`segment_file`'s artefact check is on, as in `radio-unet segment` (islands that the negated image "
              "repeats around the source are removed: `radio_unet.segment.artefacts`).", ""]
    return lines, results


def small_halos(run: Runner, data: Path, keep: dict, *, quick: bool, seed: int) -> tuple[list[str], dict]:
    """Section 6: bright halos a few beams across (a halo in a low-resolution image) in real LoTSS noise."""
    paths = [data / rel for rel in LOTSS if (data / rel).exists()]
    lines = ["## 6. Halos a few beams across in real LoTSS noise (how a halo looks in a 60\" image)", ""]
    if not paths:
        return lines + ["no data (lotss_dr1/ absent)", ""], {}
    sizes, levels = ((FIGURE_SMALL_HALO[0],), (FIGURE_SMALL_HALO[1],)) if quick else (SMALL_HALO_BEAMS, SMALL_HALO_LEVELS)
    records = []
    progress = tqdm(total=len(paths) * 2 * len(sizes) * len(levels), desc="6 small halos", unit="file")
    for index, path in enumerate(paths):
        image = read_image(path)
        rng = np.random.default_rng(seed + 200 + index)
        rms, (major, minor, pa) = robust_rms(image.data), beam_pixels(image)
        valid = np.isfinite(image.data)
        base = keep[path.name][1] if path.name in keep else run(path)
        ny, nx = image.shape
        for draw in range(2):
            for beams in sizes:
                spot = (rng.uniform(0.3, 0.7) * nx, rng.uniform(0.3, 0.7) * ny)
                model = halo_profile(image.shape, spot, beams * major, ellipticity=rng.uniform(0.0, 0.3),
                                     angle=rng.uniform(0, 180))
                convolved = beam_convolve(model, major, minor, pa)
                for level in levels:
                    data_in, component = inject(image.data, convolved, level, rms)
                    seg = run(run.write(f"{output_stem(path)}_small{draw}_{beams:g}b_{level:g}sigma", data_in, image))
                    progress.update()
                    truth = (component > TRUTH_SIGMA * rms) & valid
                    radius = 2.5 * beams * major
                    if (beams, level) == FIGURE_SMALL_HALO and "small_halo" not in keep:
                        title = f"{path.name} + halo r_e {beams:g} beams at {level:g} sigma (circle: R's)"
                        keep["small_halo"] = (replace(image, data=data_in), seg, title, (spot, radius))
                    records.append({
                        "beams": beams, "level": level, "iou": iou(seg.prob >= THRESHOLD, truth, valid=valid),
                        "recall": float(np.mean(seg.prob[truth] >= THRESHOLD)),
                        **{name: _class_share(seg, truth, name) for name in SMALL_HALO_CLASSES},
                        "R": detection_ratio(seg.prob, spot, radius), "R_base": detection_ratio(base.prob, spot, radius),
                    })
    progress.close()
    rows, summary = [], {}
    for beams in sizes:
        for level in levels:
            sel = [r for r in records if r["beams"] == beams and r["level"] == level]
            row = _means(sel, ("iou", "recall", "R", "R_base", *SMALL_HALO_CLASSES))
            summary[(beams, level)] = row
            rows.append([f"{beams:g}", f"{level:g}", str(len(sel)), num(row["iou"]), pct(row["recall"], 1),
                         *(pct(row[name], 1) for name in SMALL_HALO_CLASSES), f"{row['R']:.3f} / {row['R_base']:.3f}"])
    lines += table(["r_e (beams)", ">peak (sigma)", ">n", ">IoU network", ">truth called diffuse",
                    *(f">truth given '{name}'" for name in SMALL_HALO_CLASSES), ">mean R injected / not"], rows)
    lines += ["", "Exponential halos (as section 2) whose e-folding radius is 1-3 beam FWHMs, at a peak of tens to "
              "hundreds of sigma after beam convolution, two draws per LoTSS cut-out; truth: the component above "
              f"{TRUTH_SIGMA} sigma; R within 2.5 r_e. This is what a radio halo of a few hundred kpc looks like in "
              "a 60\" (or a GLEAM 2') image, which `segment` resamples to the model's pixels per beam like any other. "
              "No goal in the issue.", ""]
    return lines, summary


def _means(records: list[dict], keys) -> dict[str, float]:
    """The mean of each of ``keys`` over ``records`` (NaNs ignored)."""
    return {key: float(np.nanmean([r[key] for r in records])) for key in keys}


def _class_share(seg: Segmented, region: np.ndarray, name: str) -> float:
    """Fraction of ``region``'s pixels that the class map gives to class ``name`` (nan without a class map)."""
    value = seg.class_value(name)
    if seg.classes is None or value is None or not region.any():
        return float("nan")
    return float(np.mean(seg.classes[region] == value))


def _mirabest_subset(paths: list[Path], quick: bool) -> list[Path]:
    if not quick:
        return paths
    return [p for p in paths if p.name.startswith("100_")][:2] + [p for p in paths if p.name.startswith("200_")][:2]


def _first_read_options(path: Path) -> tuple[dict | None, object]:
    """Read an image; when the header has no beam (VLA FIRST via SkyView), give the FIRST 5.4" beam."""
    image = read_image(path)
    if image.beam is not None:
        return None, image
    options = {"beam": FIRST_BEAM}
    return options, read_image(path, **options)


#: The MiraBest files used as radio-galaxy templates in the training data of the default model (simulate
#: --rg-templates); the benchmark reports the others separately as held out.
TEMPLATE_GLOB = "mirabest_templates/*[02468].fits.gz"


def is_template(name: str) -> bool:
    """True for a MiraBest file that matches :data:`TEMPLATE_GLOB` (file names end in a digit before .fits.gz)."""
    return fnmatch.fnmatch(name, TEMPLATE_GLOB.split("/")[-1])


def radio_galaxies(run: Runner, data: Path, keep: dict, *, quick: bool) -> tuple[list[str], dict]:
    """Section 3: MiraBest FRI/FRII galaxies must not be called diffuse away from themselves."""
    paths = _mirabest_subset(files(data, "mirabest_templates/*.fits.gz"), quick)
    lines = ["## 3. MiraBest radio galaxies (VLA FIRST): diffuse calls outside the galaxy's own 3-sigma island "
             "dilated by one beam", ""]
    if not paths:
        return lines + ["no data (mirabest_templates/ absent)", ""], {}
    rows, per, no_beam = [], [], 0
    for path in tqdm(paths, desc="3 radio galaxies", unit="file"):
        options, image = _first_read_options(path)
        no_beam += options is not None
        seg = run(path, read_options=options)
        rms = robust_rms(image.data)
        beam_pix = beam_pixels(image)[0]
        m = outside_island_fraction(seg.prob, image.data, rms, beam_pix, threshold=THRESHOLD, class_map=seg.classes,
                                    class_value=seg.class_value(RADIO_GALAXY))
        ref = outside_island_fraction(smoothed_3sigma(image).astype(float), image.data, rms, beam_pix, threshold=0.5)
        per.append({"file": path.name, **m, "ref_outside": ref["outside"]})
        if m["n_island"] > keep.get("galaxy_island", -1):  # the figure shows the most extended galaxy
            keep["galaxy_island"] = m["n_island"]
            keep["galaxy"] = (image, seg, f"{path.name} (largest 3-sigma island)", None)
        fr = {"1": "FRI", "2": "FRII", "3": "hybrid"}.get(path.name[0], "?")
        rows.append([path.name.split("_")[1] + (" (t)" if is_template(path.name) else ""), fr, f"{image.shape[0]}x{image.shape[1]}", f"{rms * 1e6:.0f}", str(m["n_island"]),
                     checked(pct(m["outside"]), m["outside"], OUTSIDE_GOAL, at_most=True), pct(m["island_diffuse"]),
                     checked(pct(m["island_class"]), m["island_class"], CLASS_GOAL, at_most=False),
                     pct(ref["outside"])])
    stats = {}
    held_out = [p for p in per if not is_template(p["file"])]
    for name, fn, group in (("mean", np.nanmean, per), ("max", np.nanmax, per),
                            ("mean, held out", np.nanmean, held_out), ("max, held out", np.nanmax, held_out)):
        if not group:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN class column without class maps
            values = {k: float(fn([p[k] for p in group])) for k in ("outside", "island_diffuse", "island_class",
                                                                     "ref_outside")}
        stats[name] = values
        island_class = pct(values["island_class"])
        if name.startswith("mean"):
            island_class = checked(island_class, values["island_class"], CLASS_GOAL, at_most=False)
        outside = checked(pct(values["outside"]), values["outside"], OUTSIDE_GOAL, at_most=True)
        rows.append([f"**{name}**", "", "", "", "", f"**{outside}**", f"**{pct(values['island_diffuse'])}**",
                     f"**{island_class}**", f"**{pct(values['ref_outside'])}**"])
    lines += table(["galaxy (RA+Dec)", "FR", "shape", ">rms uJy/beam", ">island px", ">outside called diffuse (goal <= 0.5%)",
                    ">island called diffuse", ">island 'radio galaxy' (goal >= 80%)", ">3-sigma ref. outside"], rows)
    lines += ["", f"{len(paths)} galaxies; island = 8-connected components above 3 sigma (robust rms) that touch the "
              "central 20% of the image, dilated by a disc of one beam FWHM; 'outside' = fraction of the valid pixels "
              f"outside that region with p >= {THRESHOLD}. {no_beam} of {len(paths)} headers carry no beam (SkyView FIRST "
              f"cut-outs: the 5.4\" beam is only in HISTORY prose); given as --beam {FIRST_BEAM}. 3-sigma ref.: the "
              "beam-smoothed 3-sigma mask scored the same way. (t): one of the galaxies whose images the default "
              f"model's training fields used as radio-galaxy templates (`{TEMPLATE_GLOB}`, configs/real-model.yaml); "
              "the 'held out' rows leave them out.", ""]
    return lines, {"galaxies": per, "stats": stats}


def other_fields(run: Runner, data: Path, *, quick: bool) -> tuple[list[str], dict]:
    """Section 4: Galactic diffuse emission (ATCA Scorpio) and FIRST snapshots of radio galaxies."""
    scorpio = files(data, "atca_scorpio/*.fits.gz")
    jobs = [("ATCA Scorpio (Galactic SNR/HII)", p) for p in (scorpio[:1] if quick else scorpio)]
    jobs += [("FIRST snapshot (radio galaxy)", p) for p in files(data, "first_snapshots/*.fits.gz")]
    lines = ["## 4. Galactic diffuse emission and FIRST snapshots: what the model calls diffuse", ""]
    if not jobs:
        return lines + ["no data (atca_scorpio/, first_snapshots/ absent)", ""], {}
    rows, results = [], {}
    for kind, path in tqdm(jobs, desc="4 other fields", unit="file"):
        options, image = _first_read_options(path)
        seg = run(path, read_options=options)
        valid = np.isfinite(seg.prob) & np.isfinite(image.data)
        ref = smoothed_3sigma(image) & valid
        called = valid & (seg.prob >= THRESHOLD)
        frac = float(called.sum() / valid.sum())
        on = float((called & ref).sum() / ref.sum()) if ref.any() else float("nan")
        off = float((called & ~ref & valid).sum() / (~ref & valid).sum())
        results[path.name] = {"diffuse": frac, "on_emission": on, "off_emission": off}
        rows.append([path.name, kind, f"{image.shape[0]}x{image.shape[1]}", str(image.beam) + (" (given)" if options else ""),
                     f"{seg.resample:.3g}",
                     f"{robust_rms(image.data) * 1e6:.0f}", pct(frac), pct(float(ref.sum() / valid.sum())), pct(on), pct(off),
                     class_text(seg, valid)])
    lines += table(["input", "what", "shape", "beam", ">resample", ">rms uJy/beam", ">called diffuse", ">3-sigma ref. area",
                    ">diffuse on 3-sigma emission", ">diffuse elsewhere", "classes"], rows)
    lines += ["", "No goal: the Scorpio fields hold real Galactic diffuse emission (supernova remnants, HII regions) at "
              "1.4 GHz, which a cluster-emission model may or may not call diffuse; 'on 3-sigma emission' / 'elsewhere' "
              "split the diffuse calls by the beam-smoothed 3-sigma mask. Both are 1.4 GHz images, given to the 144 MHz model "
              "as they are (no spectral scaling). The Scorpio headers are identical copies "
              "(sky positions not to be trusted).", ""]
    return lines, results


def figure(path: Path, keep: dict) -> Path:
    """Rows = real LoTSS cut-out, an injected halo at 2 sigma, a small bright halo (section 6), a MiraBest galaxy;
    columns = input, p, classes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from radio_unet.plots import save_figure

    rows = []
    if Path(LOTSS[0]).name in keep:
        image, seg = keep[Path(LOTSS[0]).name]
        rows.append((image, seg, f"{image.name} (real LoTSS)", None))
    for key in ("injected", "small_halo", "galaxy"):
        if key in keep:
            rows.append(keep[key])
    fig, axes = plt.subplots(max(len(rows), 1), 3, figsize=(12.5, 3.6 * max(len(rows), 1)), squeeze=False)
    fig.subplots_adjust(wspace=0.45, hspace=0.25)
    for (image, seg, title, circle), ax in zip(rows, axes):
        rms = robust_rms(image.data)
        shown = np.arcsinh(image.data / rms)
        hi = max(float(np.nanpercentile(shown, 99.8)), min(float(np.nanmax(shown)), float(np.arcsinh(100.0))))
        im = ax[0].imshow(shown, origin="lower", cmap="inferno", vmin=np.arcsinh(-3.0), vmax=hi, interpolation="nearest")
        fig.colorbar(im, ax=ax[0], fraction=0.046, pad=0.02, label="asinh(I / rms)")
        ax[0].set_title(title, fontsize=8)
        im = ax[1].imshow(seg.prob, origin="lower", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        fig.colorbar(im, ax=ax[1], fraction=0.046, pad=0.02, label="p(diffuse)")
        ax[1].set_title(f"diffuse probability ({pct(false_positive_fraction(seg.prob), 1)} >= 0.5)", fontsize=8)
        if circle is not None:
            for a in ax[:2]:
                a.add_patch(plt.Circle(circle[0], circle[1], fill=False, color="cyan", ls="--", lw=1))
        if seg.classes is None:
            ax[2].text(0.5, 0.5, "no class map\n(model without classes)", ha="center", va="center", transform=ax[2].transAxes)
        else:
            n = max(seg.names) + 1 if seg.names else int(seg.classes.max()) + 1
            im = ax[2].imshow(seg.classes, origin="lower", cmap=plt.get_cmap("tab10", n), vmin=-0.5, vmax=n - 0.5,
                              interpolation="nearest")
            bar = fig.colorbar(im, ax=ax[2], fraction=0.046, pad=0.02, ticks=list(seg.names))
            bar.ax.set_yticklabels([seg.names[k] for k in seg.names], fontsize=7)
            ax[2].set_title("class (argmax)", fontsize=8)
        for a in ax:
            a.set_xticks([])
            a.set_yticks([])
    return save_figure(fig, path, dpi=90)


# ----------------------------------------------------------------------------------------------- main


def goal_summary(fp: dict, inj: dict, gal: dict, bright: dict | None = None) -> list[str]:
    """One line per goal: measured value and PASS/FAIL."""
    lines = ["## Goals", ""]
    for label, value in fp.items():
        lines.append(f"- false positives, {label}: {pct(value)} (goal <= {pct(FP_GOAL, 0)}) "
                     f"**{verdict(value, FP_GOAL, at_most=True)}**")
    if bright:
        worst = max(bright, key=bright.get)
        lines.append(f"- false positives around a bright source with spokes (section 5, the blank-field goal), worst "
                     f"case ({worst[0]}, {worst[1]:g} sigma, spokes {100 * worst[2]:g}%): {pct(bright[worst])} (goal <= "
                     f"{pct(FP_GOAL, 0)}) **{verdict(bright[worst], FP_GOAL, at_most=True)}**; "
                     f"{sum(v <= FP_GOAL for v in bright.values())} of {len(bright)} cases pass")
    levels = inj.get("levels", {})
    for level, goal in IOU_GOALS.items():
        value = levels.get(level, {}).get("iou")
        lines.append(f"- injected IoU at {level:g} sigma: {num(value)} (goal >= {goal:.2f}) "
                     f"**{verdict(value, goal, at_most=False)}**")
    value = levels.get(AUC_GOAL[0], {}).get("auc")
    lines.append(f"- AUC of R at {AUC_GOAL[0]:g} sigma: {num(value)} (goal >= {AUC_GOAL[1]:.2f}) "
                 f"**{verdict(value, AUC_GOAL[1], at_most=False)}**")
    stats = gal.get("stats", {})
    for name in ("mean", "max", "mean, held out", "max, held out"):
        if name not in stats:
            continue
        value = stats.get(name, {}).get("outside")
        lines.append(f"- MiraBest {name} diffuse outside the island: {pct(value)} (goal <= {pct(OUTSIDE_GOAL, 1)}) "
                     f"**{verdict(value, OUTSIDE_GOAL, at_most=True)}**")
    for name in ("mean", "mean, held out"):
        if name not in stats:
            continue
        value = stats[name].get("island_class")
        lines.append(f"- MiraBest {name} island pixels of class '{RADIO_GALAXY}': {pct(value)} (goal >= "
                     f"{pct(CLASS_GOAL, 0)}) **{verdict(value, CLASS_GOAL, at_most=False)}**")
    return lines + [""]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="shipped model name or weights path")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the real data folder (default ../shared/data)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "real_sky.md")
    parser.add_argument("--figure", type=Path, default=ROOT / "docs" / "images" / "real_sky.png")
    parser.add_argument("--quick", action="store_true", help="a subset: fewer injections, a few galaxies, one Scorpio field")
    parser.add_argument("--seed", type=int, default=0, help="injection positions and shapes")
    parser.add_argument("--backend", default="auto", choices=("auto", "torch", "onnx"))
    parser.add_argument("--tta", action=argparse.BooleanOptionalAction, default=DEFAULT_TTA,
                        help="average the network over the eight orientations of each window (segment's default)")
    parser.add_argument("--work", type=Path, default=None,
                        help="keep the injected inputs and maps here (default: a temporary folder)")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Run the benchmark; returns the measured numbers, the report text and the figure path."""
    args = parse_args(argv)
    t0 = time.perf_counter()
    load = os.getloadavg()[0]
    card = read_card(resolve_model(args.model))[2]
    data = args.data
    keep: dict = {}
    with tempfile.TemporaryDirectory(prefix="real_sky_") as tmp:
        work = args.work or Path(tmp)
        run = Runner(args.model, args.backend, work, tta=args.tta)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fits.verify.VerifyWarning)  # SkyView headers with tabs in COMMENT cards
            sec1, fp = false_positives(run, data, keep)
            sec2, inj = injections(run, data, keep, quick=args.quick, seed=args.seed)
            sec3, gal = radio_galaxies(run, data, keep, quick=args.quick)
            sec4, other = other_fields(run, data, quick=args.quick)
            sec5, bright = bright_sources(run, data, quick=args.quick, seed=args.seed)
            sec6, small = small_halos(run, data, keep, quick=args.quick, seed=args.seed)
            fig_path = figure(args.figure, keep)
    seconds = time.perf_counter() - t0
    command = "python benchmarks/real_sky.py" + (" " + shlex.join(argv if argv is not None else sys.argv[1:]) if
                                                 (argv if argv is not None else sys.argv[1:]) else "")
    try:
        data_shown = os.path.relpath(data, ROOT)
    except ValueError:
        data_shown = str(data)
    head = [
        "# Benchmark: real sky (false positives, injected halos and relics, radio galaxies)",
        "",
        f"- date: {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}",
        f"- command: `{command}`" + (" (quick subset)" if args.quick else ""),
        f"- model: {args.model} ({card.architecture.name}, {card.architecture.n_classes} classes), "
        f"weights sha256 {card.sha256}",
        f"- data: `{data_shown}` (real images only); segmented with `radio_unet.segment.run.segment_file` "
        f"(backend {args.backend}, window tiling, threshold {THRESHOLD}"
        + (", test-time augmentation over 8 orientations)" if args.tta else ")"),
        f"- {run.count} images segmented in {run.seconds:.1f} s; whole run {seconds:.0f} s; load average before "
        f"the run {load:.2f} ({os.cpu_count()} logical CPUs)",
        f"- figure: `{os.path.relpath(fig_path, ROOT) if fig_path.is_relative_to(ROOT) else fig_path}`",
        "",
    ]
    text = "\n".join(head + goal_summary(fp, inj, gal, bright) + sec1 + sec2 + sec3 + sec4 + sec5 + sec6) + "\n"
    print(text)
    prepend_report(args.out, text)
    return {"false_positive": fp, "injection": inj, "mirabest": gal, "other": other, "spokes": bright, "small_halos": small,
            "report": text,
            "figure": fig_path, "segmented": run.count}


if __name__ == "__main__":
    main()
