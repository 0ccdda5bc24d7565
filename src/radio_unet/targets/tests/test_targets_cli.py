"""End-to-end tests of ``radio-unet cutout`` and ``radio-unet targets`` on synthetic cluster fields.

The chain after segmentation runs on probability maps written by the test
(``--probabilities``), so R, coverage and every classification metric can be
checked against values computed here directly from the arrays; one run goes
through real segmentation with a tiny random model and checks only that it
completes and writes its outputs.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from scipy.stats import ks_2samp

from radio_unet.cli import main
from radio_unet.io import read_image
from radio_unet.segment.tests.conftest import tiny_model  # noqa: F401 - the segmentation tests' fixture

from .conftest import SCALE, SIZE, TARGETS

POSITIVE = {"DE", "DEU"}


def _expected(fields):
    """R and coverage of every measurable target, by brute force on the test's own probability maps."""
    out = {}
    for name, mosaic, _x, _y, z, r500, label, _disk in TARGETS:
        if mosaic is None or z <= 0 or name == "T12":
            continue
        home = "B" if name in ("T04", "T10") else mosaic
        prob = fields.prob[home]
        ra, dec = fields.radec[name]
        x0, y0 = (float(v) for v in fields.wcs[home].world_to_pixel_values(ra, dec))
        r = 2.2 * r500 * 60 / SCALE
        pad = int(r) + 3  # count the full circle on a grid large enough to hold it
        yy, xx = np.mgrid[-pad : prob.shape[0] + pad, -pad : prob.shape[1] + pad]
        circle = (xx - x0) ** 2 + (yy - y0) ** 2 <= r * r
        in_map = (xx >= 0) & (xx < prob.shape[1]) & (yy >= 0) & (yy < prob.shape[0])
        values = prob[yy[circle & in_map], xx[circle & in_map]]
        values = values[np.isfinite(values)]
        out[name] = {"R": values.sum() / values.size, "coverage": values.size / circle.sum(), "image": home,
                     "label": label, "max_p": values.max(), "npix_above": int((values > 0.5).sum())}
    return out


def _blank_columns(image, radec, x_in_mosaic):
    """Columns of a cut-out left of the mosaic's first column (the target lies ``x_in_mosaic`` px from it)."""
    x, _ = image.wcs.world_to_pixel_values(*radec)
    return int(round(float(x) - x_in_mosaic))


def _best_accuracy(scores, truth):
    """Best accuracy over every threshold, by a plain loop."""
    best = 0.0
    for t in list(scores) + [np.inf]:
        correct = sum((s >= t) == c for s, c in zip(scores, truth))
        best = max(best, correct / len(scores))
    return best


def test_cutout_command(fields, tmp_path, capsys):
    """Cut-outs keep the size and WCS, come from the nearest-centre image, pad edges with NaN; reruns skip."""
    out = tmp_path / "cut"
    args = ["cutout", "--catalog", str(fields.catalog), "--images", str(fields.root), "-o", str(out),
            "--size", str(SIZE)]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "1 row(s) skipped" in captured.err and "T09" in captured.err
    assert "T08" in captured.err and "off every image" in captured.err
    assert "T12" in captured.err and "blank in every image" in captured.err
    assert "10 cut-out(s) written" in captured.out
    t01 = read_image(out / "T01.fits")
    assert t01.shape == (SIZE, SIZE) and t01.beam.major == pytest.approx(18.0) and t01.unit == "Jy/beam"
    assert t01.frequency == pytest.approx(144e6)
    x, y = t01.wcs.world_to_pixel_values(*fields.radec["T01"])
    assert abs(x - (SIZE - 1) / 2) <= 0.5 and abs(y - (SIZE - 1) / 2) <= 0.5
    # The cut-out holds the mosaic's pixels unchanged, shifted by a whole number of pixels.
    ix, iy = int(round(40.3 - float(x))), int(round(50.6 - float(y)))
    assert abs(ix - (40 - SIZE // 2)) <= 1 and abs(iy - (51 - SIZE // 2)) <= 1
    np.testing.assert_array_equal(t01.data, fields.data["A"][iy : iy + SIZE, ix : ix + SIZE])
    t05 = read_image(out / "T05.fits")  # 3.2 px from A's left edge: about 20 columns of NaN
    assert t05.shape == (SIZE, SIZE)
    blank = _blank_columns(t05, fields.radec["T05"], 3.2)
    assert blank in (20, 21)
    assert np.isnan(t05.data[:, :blank]).all() and np.isfinite(t05.data[:, blank:]).all()
    index = Table.read(out / "cutouts.ecsv")
    row = {r["name"]: r for r in index}
    assert row["T04"]["image"] == "B.fits"
    assert row["T06"]["image"] == "C.fits.gz"
    assert row["T08"]["status"] == "off every image"
    mtime = (out / "T01.fits").stat().st_mtime_ns
    assert main(args) == 0
    assert "10 already done" in capsys.readouterr().out
    assert (out / "T01.fits").stat().st_mtime_ns == mtime


def test_targets_end_to_end_with_probability_maps(fields, tmp_path, capsys):
    """cutout -> probabilities -> R -> sweep: every number agrees with the direct computation."""
    out = tmp_path / "targets"
    args = ["targets", "--catalog", str(fields.catalog), "--images", *map(str, fields.images.values()),
            "-o", str(out), "--size", str(SIZE), "--label-column", "class", "--positive", "DE,DEU",
            "--probabilities", str(fields.probs)]
    assert main(args) == 0
    captured = capsys.readouterr()
    table = Table.read(out / "targets.ecsv")
    rows = {r["name"]: r for r in table}
    assert len(table) == 12 and "T09" not in rows  # the impossible redshift was skipped...
    assert "T09" in (out / "rejected_rows.txt").read_text()  # ...and listed
    assert rows["T08"]["status"] == "off every image" and math.isnan(rows["T08"]["R"])
    assert rows["T12"]["status"] == "blank in every image"
    expected = _expected(fields)
    for name, e in expected.items():
        r = rows[name]
        assert r["status"] == "ok", name
        assert r["image"] == ("C.fits.gz" if e["image"] == "C" else f"{e['image']}.fits"), name
        assert r["R"] == pytest.approx(e["R"], rel=1e-5), name
        assert r["coverage"] == pytest.approx(e["coverage"], rel=1e-9), name
        assert r["max_p"] == pytest.approx(e["max_p"], rel=1e-6), name
        assert r["npix_above"] == e["npix_above"], name
        assert bool(r["detected"]) == (e["R"] >= 0.015), name
    assert rows["T05"]["coverage"] < 0.8 and rows["T06"]["coverage"] < 1.0 and rows["T01"]["coverage"] == 1.0
    assert rows["T04"]["R"] > 0.05  # measured on B, where its blob is (A would give ~0.003)
    assert bool(rows["T10"]["positive"] is np.ma.masked)

    labelled = {n: e for n, e in expected.items() if e["label"] != "?"}
    scores = np.array([e["R"] for e in labelled.values()])
    truth = np.array([e["label"] in POSITIVE for e in labelled.values()])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_positive"] == truth.sum() == 5 and summary["n_negative"] == 4
    tp = int(np.sum((scores >= 0.015) & truth))
    fp = int(np.sum((scores >= 0.015) & ~truth))
    fn = int(np.sum((scores < 0.015) & truth))
    at = summary["at_threshold"]
    assert (at["tp"], at["fp"], at["fn"]) == (tp, fp, fn) == (4, 1, 1)  # T07 false positive, T13 false negative
    assert at["accuracy"] == pytest.approx(7 / 9)
    assert at["precision"] == pytest.approx(tp / (tp + fp)) and at["recall"] == pytest.approx(tp / (tp + fn))
    ks = ks_2samp(scores[truth], scores[~truth])
    assert summary["ks_statistic"] == pytest.approx(ks.statistic) and summary["ks_pvalue"] == pytest.approx(ks.pvalue)
    assert summary["median_R_positive"] == pytest.approx(np.median(scores[truth]), rel=1e-5)
    assert summary["best"]["accuracy"] == pytest.approx(_best_accuracy(scores, truth))
    chosen = summary["best"]["threshold"]
    assert np.mean((scores >= chosen) == truth) == pytest.approx(summary["best"]["accuracy"])
    sweep = Table.read(out / "sweep.ecsv")
    for row in sweep[:: max(1, len(sweep) // 10)]:
        assert row["accuracy"] == pytest.approx(np.mean((scores >= row["threshold"]) == truth))
    for png in ("gallery.png", "sweep.png", "ratio_histogram.png", "figures/T01.png", "figures/T05.png"):
        assert (out / png).stat().st_size > 3000, png
    assert "best accuracy" in captured.out and "T08" in captured.err

    # Resume: nothing is redone, the table is the same.
    stamps = {p: p.stat().st_mtime_ns for p in [out / "cutouts" / "T01.fits", out / "figures" / "T01.png"]}
    assert main(args) == 0
    again = Table.read(out / "targets.ecsv")
    np.testing.assert_array_equal(np.asarray(again["R"]), np.asarray(table["R"]))
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())


def test_targets_without_labels_uses_the_paper_threshold(fields, tmp_path, capsys):
    """Without a label column only detections at R >= 0.015 are reported; no sweep is written."""
    out = tmp_path / "nolabels"
    assert main(["targets", "--catalog", str(fields.catalog), "--images", str(fields.root), "-o", str(out),
                 "--size", str(SIZE), "--probabilities", str(fields.probs), "--no-png",
                 "--radius-r500", "1.0"]) == 0
    table = Table.read(out / "targets.ecsv")
    assert "label" not in table.colnames and not (out / "sweep.ecsv").exists()
    assert table.meta["threshold"] == 0.015 and table.meta["radius_r500"] == 1.0
    r01 = table[list(table["name"]).index("T01")]
    assert r01["radius_pix"] == pytest.approx(1.0 * 0.45 * 60 / SCALE, rel=1e-4)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_detected"] == int(np.sum(table["detected"])) and "best" not in summary
    assert not (out / "gallery.png").exists()


def test_fit_radius_enlarges_small_cutouts(fields, tmp_path, capsys):
    """--fit-radius makes a cut-out that is too small for the circle big enough for it; coverage becomes 1."""
    common = ["targets", "--catalog", str(fields.catalog), "--images", str(fields.images["A"]), "--size", "12",
              "--probabilities", str(fields.probs), "--no-png"]
    assert main(common + ["-o", str(tmp_path / "small")]) == 0
    assert "less than 90% of their circle" in capsys.readouterr().err  # T05 at the mosaic edge
    small = Table.read(tmp_path / "small" / "targets.ecsv")
    assert small["coverage"][list(small["name"]).index("T01")] == 1.0  # R comes from the mosaic's map, not the cut
    assert read_image(tmp_path / "small" / "cutouts" / "T01.fits").shape == (12, 12)
    assert main(common + ["-o", str(tmp_path / "fit"), "--fit-radius"]) == 0
    radius = 2.2 * 0.45 * 60 / SCALE  # T01: 9.9 px
    side = 2 * math.ceil(radius) + 2
    assert read_image(tmp_path / "fit" / "cutouts" / "T01.fits").shape == (side, side)


def test_missing_probability_map_is_reported(fields, tmp_path, capsys):
    """A target whose probability map is missing fails alone with a one-line message; exit status 2."""
    probs = tmp_path / "probs"
    probs.mkdir()
    (probs / "A.prob.fits").write_bytes((fields.probs / "A.prob.fits").read_bytes())
    assert main(["targets", "--catalog", str(fields.catalog), "--images", str(fields.images["A"]),
                 str(fields.images["B"]), "-o", str(tmp_path / "o"), "--size", str(SIZE),
                 "--probabilities", str(probs), "--no-png"]) == 2
    err = capsys.readouterr().err
    assert "no probability map for T03" in err and "Traceback" not in err
    table = Table.read(tmp_path / "o" / "targets.ecsv")
    assert table[list(table["name"]).index("T03")]["status"].startswith("failed")
    assert np.isfinite(table[list(table["name"]).index("T01")]["R"])


def test_targets_through_real_segmentation(fields, tmp_path, tiny_model, capsys):
    """With a (random) model the chain segments each cut-out and writes every output."""
    catalog = tmp_path / "few.csv"
    lines = fields.catalog.read_text().splitlines()
    catalog.write_text("\n".join([lines[0]] + [line for line in lines if line.startswith(("T01", "T02", "T05"))]) + "\n")
    out = tmp_path / "seg"
    args = ["targets", "--catalog", str(catalog), "--images", str(fields.images["A"]), "-o", str(out),
            "--size", str(SIZE), "--model", str(tiny_model), "--label-column", "class"]
    assert main(args) == 0
    table = Table.read(out / "targets.ecsv")
    assert list(table["status"]) == ["ok"] * 3 and np.isfinite(table["R"]).all()
    for stem in ("T01", "T02", "T05"):
        prob = read_image(out / "segment" / f"{stem}.prob.fits")
        assert prob.shape == (SIZE, SIZE)
        assert (out / "figures" / f"{stem}.png").exists()
    t05 = read_image(out / "segment" / "T05.prob.fits")
    assert np.isnan(t05.data[:, : _blank_columns(t05, fields.radec["T05"], 3.2)]).all()
    assert fits.getheader(out / "segment" / "T01.prob.fits")["HIERARCH RUNET MODEL"] == str(tiny_model)
    assert (out / "gallery.png").exists() and (out / "sweep.ecsv").exists()


def test_targets_report_class_fractions_of_a_classifier(fields, tmp_path, tiny_classifier):
    """With a classification network, targets.ecsv gains the fraction of each class inside the aperture (one column
    per class of the CLASSn cards), summing to 1; segment wrote the class maps beside the probability maps."""
    catalog = tmp_path / "few.csv"
    lines = fields.catalog.read_text().splitlines()
    catalog.write_text("\n".join([lines[0]] + [line for line in lines if line.startswith(("T01", "T02"))]) + "\n")
    out = tmp_path / "cls"
    args = ["targets", "--catalog", str(catalog), "--images", str(fields.images["A"]), "-o", str(out),
            "--size", str(SIZE), "--model", str(tiny_classifier), "--label-column", "class", "--no-png"]
    assert main(args) == 0
    table = Table.read(out / "targets.ecsv")
    columns = [c for c in table.colnames if c.startswith("frac_")]
    assert columns[0] == "frac_background" and "frac_radio_galaxy" in columns and len(columns) == 8
    for row in table:
        assert sum(row[c] for c in columns) == pytest.approx(1.0)
    classes = fits.getdata(out / "segment" / "T01.class.fits")
    assert classes.shape == (SIZE, SIZE) and set(np.unique(classes)) <= set(range(8)) | {255}
