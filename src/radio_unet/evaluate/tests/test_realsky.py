"""Tests of the real-sky measures (radio_unet.evaluate.realsky) and of benchmarks/real_sky.py on the real LoTSS cut-out."""

import importlib.util
import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from radio_unet.evaluate.realsky import (
    auc,
    beam_convolve,
    class_fractions,
    class_names,
    detection_ratio,
    false_positive_fraction,
    halo_profile,
    inject,
    iou,
    island_region,
    outside_island_fraction,
    relic_profile,
    spoke_profile,
)

BENCHMARK = Path(__file__).resolve().parents[4] / "benchmarks" / "real_sky.py"


def test_halo_profile_is_exponential_and_elliptical():
    """Peak 1 at the centre, e^-1 at r_e along the major axis and at r_e (1 - e) along the minor axis."""
    e, r_e = 0.4, 10.0
    h = halo_profile((101, 121), (60, 50), r_e, ellipticity=e, angle=90.0)  # major axis along y
    assert h.max() == pytest.approx(1.0) and np.unravel_index(h.argmax(), h.shape) == (50, 60)
    assert h[60, 60] == pytest.approx(np.exp(-1.0))  # 10 px along +y (major)
    assert h[50, 66] == pytest.approx(np.exp(-1.0))  # 6 px along +x (minor: r_e (1 - e))
    assert h[50, 70] == pytest.approx(np.exp(-10 / 6))
    with pytest.raises(ValueError):
        halo_profile((10, 10), (5, 5), 0.0)


def test_spoke_profile_radial_alternating_and_falling():
    """Ridges along the given directions through the centre, signs alternating, amplitude min(1, core / r)."""
    s = spoke_profile((101, 101), (50, 50), [0.0, 90.0], width_pix=1.0, core_pix=5.0)
    assert s[50, 60] == pytest.approx(0.5, abs=1e-6)  # along +x (spoke 0, positive), r = 10: 5 / 10
    assert s[50, 40] == pytest.approx(0.5, abs=1e-6)  # both sides of the source
    assert s[70, 50] == pytest.approx(-0.25, abs=1e-6)  # along +y (spoke 1, negative), r = 20
    assert abs(s[60, 60]) < 1e-10  # between the spokes
    assert np.abs(s).max() <= 1.0 + 1e-9
    with pytest.raises(ValueError):
        spoke_profile((10, 10), (5, 5), [0.0], width_pix=0.0)


def test_relic_profile_ridge_edge_and_extent():
    """Peak 1 on the ridge, sharper outside than inside, fading beyond the ends of the arc."""
    r = relic_profile((200, 200), (100, 100), 50.0, 4.0, 60.0, 0.0)  # arc around +x, ridge at x = 150
    assert r.max() == pytest.approx(1.0)
    assert r[100, 150] == pytest.approx(1.0)
    assert r[100, 146] == pytest.approx(np.exp(-0.5))  # inner side: sigma 4 px
    assert r[100, 154] == pytest.approx(np.exp(-4.5))  # outer side 3x sharper: sigma 4/3 px
    # within +-30 deg on the ridge: still 1; well beyond the end (90 deg): ~0
    y30, x30 = 100 + 50 * np.sin(np.radians(25)), 100 + 50 * np.cos(np.radians(25))
    assert r[int(round(y30)), int(round(x30))] > 0.8
    assert r[150, 100] < 1e-6 and r[100, 50] < 1e-6


def test_beam_convolve_keeps_flux_and_orients_the_beam():
    """Unit-sum kernel; FWHM 8 px along north (+y) at PA 0 and along east (-x) at PA 90."""
    point = np.zeros((101, 101))
    point[50, 50] = 1.0
    c = beam_convolve(point, 8.0, 4.0, 0.0)
    assert c.sum() == pytest.approx(1.0, rel=1e-3)
    assert c[54, 50] / c[50, 50] == pytest.approx(0.5, rel=1e-3)  # 4 px = FWHM/2 along the major axis (+y)
    assert c[50, 52] / c[50, 50] == pytest.approx(0.5, rel=1e-3)  # 2 px along the minor axis
    c = beam_convolve(point, 8.0, 4.0, 90.0)
    assert c[50, 46] / c[50, 50] == pytest.approx(0.5, rel=1e-3)
    c = beam_convolve(point, 8.0, 4.0, 45.0)  # towards north-east: (-x, +y)
    assert c[54, 46] / c[50, 50] == pytest.approx(0.25, rel=1e-3) and c[54, 54] < 0.01 * c[50, 50]


@pytest.mark.parametrize("level", [0.5, 2.0, 4.0])
def test_inject_sets_the_convolved_peak(level):
    """After beam convolution and injection, the added component peaks at level x rms (within 1%)."""
    rms = 7e-5
    model = halo_profile((128, 128), (64.3, 60.7), 9.0, ellipticity=0.2, angle=30.0)
    convolved = beam_convolve(model, 4.0, 4.0, 90.0)
    noise = np.random.default_rng(3).normal(0, rms, (128, 128)).astype(np.float32)
    noise[:3] = np.nan
    image, component = inject(noise, convolved, level, rms)
    assert component.max() == pytest.approx(level * rms, rel=0.01)
    assert image.dtype == np.float32 and np.isnan(image[:3]).all()
    assert np.allclose(image[3:] - noise[3:], component[3:], atol=1e-9)
    blank, _ = inject(np.zeros((128, 128)), convolved, level, rms)
    assert blank.max() / rms == pytest.approx(level, rel=0.01)


def test_false_positive_fraction_counts_finite_pixels():
    prob = np.zeros((10, 10))
    prob[:2] = 0.5  # 20 pixels at the threshold count
    prob[2, :5] = 0.49
    prob[9] = np.nan
    assert false_positive_fraction(prob) == pytest.approx(20 / 90)
    assert false_positive_fraction(prob, threshold=0.4) == pytest.approx(25 / 90)
    assert np.isnan(false_positive_fraction(np.full((3, 3), np.nan)))


def test_iou_identical_disjoint_and_partial():
    a = np.zeros((10, 10), bool)
    a[:, :5] = True
    assert iou(a, a) == 1.0
    assert iou(a, ~a) == 0.0
    b = np.zeros((10, 10), bool)
    b[:, 3:8] = True  # overlap 20, union 80
    assert iou(a, b) == pytest.approx(20 / 80)
    assert iou(np.zeros((4, 4), bool), np.zeros((4, 4), bool)) == 1.0


def test_detection_ratio_is_the_mean_in_the_circle():
    prob = np.full((60, 60), 0.3)
    assert detection_ratio(prob, (30, 30), 10) == pytest.approx(0.3)
    prob[:, 30:] = 1.0  # right half 1: the circle centred on the edge of the halves sees about half
    assert 0.6 < detection_ratio(prob, (29.5, 30), 10) < 0.7
    prob[:] = np.nan
    prob[30, 30] = 0.8  # only finite pixels count
    assert detection_ratio(prob, (30, 30), 5) == pytest.approx(0.8)


def test_auc_separated_identical_and_brute_force():
    assert auc([3, 4, 5], [0, 1, 2]) == 1.0
    assert auc([0, 1, 2], [3, 4, 5]) == 0.0
    assert auc([1, 2, 3], [1, 2, 3]) == 0.5
    rng = np.random.default_rng(0)
    pos, neg = rng.integers(0, 5, 30).astype(float), rng.integers(0, 4, 25).astype(float)  # many ties
    pairs = [1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg)]
    assert auc(pos, neg) == pytest.approx(np.mean(pairs))
    assert np.isnan(auc([], [1.0]))


def _galaxy_field():
    """A central double source, an unrelated source in a corner, unit noise of rms 1."""
    rng = np.random.default_rng(1)
    image = rng.normal(0, 1, (100, 100))
    y, x = np.mgrid[:100, :100]
    for cx in (44, 56):
        image += 30 * np.exp(-((x - cx) ** 2 + (y - 50) ** 2) / (2 * 2.0**2))
    image += 30 * np.exp(-((x - 10) ** 2 + (y - 10) ** 2) / (2 * 2.0**2))
    return image


def test_island_region_keeps_the_central_source_only():
    image = _galaxy_field()
    island, region = island_region(image, 1.0, 3.0)
    assert island[50, 44] and island[50, 56] and not island[10, 10]
    assert region.sum() > island.sum() and region[island].all()
    left = np.flatnonzero(island[50])[0]
    assert region[50, left - 3] and not region[50, left - 5]  # a disc of radius one beam FWHM (3 px)


def test_outside_island_fraction():
    """A map that is 1 only on the island has no diffuse pixel outside; a map of ones is all outside."""
    image = _galaxy_field()
    island, region = island_region(image, 1.0, 3.0)
    m = outside_island_fraction(island.astype(float), image, 1.0, 3.0)
    assert m["outside"] == 0.0 and m["island_diffuse"] == 1.0 and np.isnan(m["island_class"])
    assert m["n_island"] == island.sum() and m["n_outside"] == (~region).sum()
    m = outside_island_fraction(np.ones((100, 100)), image, 1.0, 3.0)
    assert m["outside"] == 1.0
    prob = np.zeros((100, 100))
    prob[10, 10] = 1.0  # the corner source called diffuse: 1 pixel outside
    prob[0, 0] = np.nan  # blank pixels do not count
    assert outside_island_fraction(prob, image, 1.0, 3.0)["outside"] == pytest.approx(1 / ((~region).sum() - 1))
    classes = np.where(island, 5, 0)
    classes[50, 44] = 1
    m = outside_island_fraction(prob, image, 1.0, 3.0, class_map=classes, class_value=5)
    assert m["island_class"] == pytest.approx(1 - 1 / island.sum())


def test_class_names_and_fractions():
    header = fits.Header({"CLASS0": "background", "CLASS5": "radio galaxy ", "CLASS1": "Halo", "BUNIT": "class"})
    names = class_names(header)
    assert names == {0: "background", 1: "halo", 5: "radio galaxy"}
    classes = np.array([[0, 0, 1, 5], [5, 5, 5, 3]])
    f = class_fractions(classes, names)
    assert f == {"background": 0.25, "halo": 0.125, "radio galaxy": 0.5}
    valid = np.ones_like(classes, bool)
    valid[1] = False
    assert class_fractions(classes, names, valid=valid)["radio galaxy"] == 0.25
    assert class_names(fits.Header()) == {}


def test_real_sky_benchmark_on_the_lotss_cutout(lotss_cutout, tmp_path, monkeypatch):
    """The benchmark runs end to end on the real LoTSS cut-out (other folders absent) with the shipped model."""
    data = tmp_path / "data"
    (data / "lotss_dr1").mkdir(parents=True)
    (data / "lotss_dr1" / lotss_cutout.name).symlink_to(lotss_cutout)
    spec = importlib.util.spec_from_file_location("real_sky_benchmark", BENCHMARK)
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench)  # its dataclasses look their module up there
    spec.loader.exec_module(bench)
    out, fig, work = tmp_path / "real_sky.md", tmp_path / "real_sky.png", tmp_path / "work"
    result = bench.main(["--quick", "--data", str(data), "--out", str(out), "--figure", str(fig),
                         "--work", str(work), "--backend", "torch"])
    # the number reported is the one in the written probability map
    prob = fits.getdata(work / "outputs" / "P218+55-mosaic_200x200.prob.fits")
    fp = result["false_positive"][lotss_cutout.name]
    assert fp == pytest.approx(false_positive_fraction(prob))
    assert prob.shape == (200, 200) and 0.0 <= fp <= 1.0
    assert f"{lotss_cutout.name} mirror-padded" in result["false_positive"]
    assert fits.getdata(work / "outputs" / "P218_padded.prob.fits").shape == (600, 600)
    records = result["injection"]["records"]
    assert len(records) == 2 * len(bench.LEVELS)  # one halo and one relic at every level
    assert all(0.0 <= r["iou"] <= 1.0 and 0.0 <= r["R"] <= 1.0 for r in records)
    text = out.read_text()
    assert len(result["spokes"]) == 1 and all(0.0 <= v <= 1.0 for v in result["spokes"].values())
    for heading in ("## Goals", "## 1.", "## 2.", "## 3.", "## 4.", "## 5."):
        assert heading in text
    assert "no data (mirabest_templates/ absent)" in text
    assert ("PASS" in text or "FAIL" in text) and "sha256" in text
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
