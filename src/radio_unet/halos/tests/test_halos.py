"""Fast tests of the halo classifiers on tiny synthetic GLEAM-like sets (the real set: test_real_halos.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from astropy.io import fits

from radio_unet.errors import InputError, RadioUNetError
from radio_unet.halos.augment import DIHEDRAL, augment_batch, geometric_variants
from radio_unet.halos.data import (BANDS, HaloSet, center_crop, clip_sigma, is_cluster, load_gleam, log_minmax,
                                   overlap_groups, parse_name, scan_gleam)
from radio_unet.halos.io import load_halo_model, read_summary, save_halo_model, write_table
from radio_unet.halos.metrics import auroc, bootstrap_scores, paired_difference, scores
from radio_unet.halos.models import MODELS, build_classifier, n_parameters
from radio_unet.halos.protocol import CVSettings, grouped_splits, run_cv, select_negatives
from radio_unet.halos.train import AUGMENTS, TrainConfig, dihedral_variants, fit_classifier, predict_proba

@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny networks: one torch thread (extra threads only spin on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


SCALES = {"72-103": 56.0, "103-134": 44.0, "139-170": 34.0, "170-231": 28.0}


def _write_object(folder, name, ra, dec, halo, seed, npix=60):
    rng = np.random.default_rng(seed)
    for band, scale in SCALES.items():
        h = fits.Header()
        h["CTYPE1"], h["CTYPE2"] = "RA---TAN", "DEC--TAN"
        h["CRVAL1"], h["CRVAL2"] = ra, dec
        h["CRPIX1"] = h["CRPIX2"] = npix / 2 + 0.5
        h["CDELT1"], h["CDELT2"] = -scale * 4 / 3600, scale * 4 / 3600
        y, x = np.mgrid[:npix, :npix] - npix / 2
        img = rng.normal(0, 0.05, (npix, npix))
        for _ in range(5):
            cx, cy = rng.uniform(-npix / 2, npix / 2, 2)
            img += rng.uniform(0.5, 2) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 2.0)
        if halo:
            img += 0.6 * np.exp(-(x ** 2 + y ** 2) / (2 * 4.0 ** 2))
        img[img < 0.15] = 0.0  # thresholded like the real set
        fits.PrimaryHDU(img.astype(np.float32), h).writeto(folder / f"{name}_Gleam{band}_clipped.fits.gz")


@pytest.fixture(scope="module")
def gleam_dir(tmp_path_factory):
    """12 objects (6 halo): two overlapping pairs, 3 non-cluster negatives."""
    root = tmp_path_factory.mktemp("gleam") / "GLEAM-Data"
    for sub in ("TRAIN_DATA_0", "TRAIN_DATA_1", "TEST_DATA_0", "TEST_DATA_1"):
        (root / sub).mkdir(parents=True)
    objs = [("abell_0001", 10, -30, 1), ("abell_0002", 40, -30, 1), ("abell_0003", 70, -30, 1),
            ("abell_0004", 100, -30, 1), ("abell_0005", 130, -30, 1), ("abell_0006", 160, -30, 1),
            ("abell_0007", 10.3, -30, 0), ("abell_0008", 190, -30, 0), ("abell_0009", 220, -30, 0),
            ("orc_1", 250, -30, 0), ("orc_2", 250.1, -30, 0), ("3c_001", 280, -30, 0)]
    for i, (name, ra, dec, halo) in enumerate(objs):
        sub = ("TEST" if i % 4 == 0 else "TRAIN") + f"_DATA_{halo}"
        _write_object(root / sub, name, ra, dec, halo, seed=i)
    return root


@pytest.fixture(scope="module")
def halo_set(gleam_dir):
    return load_gleam(gleam_dir.parent, size=16, fov_deg=1.5)


def test_parse_names_of_both_conventions():
    assert parse_name("abell_2744_Gleam103-134_clipped.fits.gz") == ("abell_2744", "103-134")
    assert parse_name("3c_136.1_GLEAM_72-103MHz_clipped.fits.gz") == ("3c_136.1", "72-103")
    with pytest.raises(ValueError):
        parse_name("image.fits")
    assert not is_cluster("pks_2014-55") and not is_cluster("ngc_326") and is_cluster("rxc_j0137.2-0912")


def test_reader_groups_overlapping_cutouts_and_stacks_bands(halo_set):
    s = halo_set
    assert s.images.shape == (12, 4, 24, 24) and s.images.dtype == np.float32
    assert 0 <= s.images.min() and s.images.max() <= 1
    assert s.labels.sum() == 6 and (~s.cluster).sum() == 3
    g = dict(zip(s.ids, s.groups))
    assert g["abell_0001"] == g["abell_0007"] and g["orc_1"] == g["orc_2"]
    assert len(set(s.groups)) == 10
    # the halo's centre is brighter on average than a no-halo centre
    centre = center_crop(s.images, 4).mean(axis=(1, 2, 3))
    assert centre[s.labels == 1].mean() > centre[s.labels == 0].mean()


def test_overlap_groups_on_the_sky():
    g = overlap_groups([0.0, 359.5, 180.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0])
    assert g[0] == g[1] != g[2]


def test_bad_inputs_are_one_line_errors(tmp_path, gleam_dir):
    with pytest.raises(InputError, match="no TRAIN_DATA"):
        scan_gleam(tmp_path)
    broken = tmp_path / "GLEAM-Data" / "TRAIN_DATA_1"
    broken.mkdir(parents=True)
    (broken / "abell_1_Gleam72-103_clipped.fits.gz").write_bytes(b"not a fits file")
    with pytest.raises(InputError, match="band"):
        scan_gleam(tmp_path)
    for band in BANDS[1:]:
        (broken / f"abell_1_Gleam{band}_clipped.fits.gz").write_bytes(b"not a fits file")
    with pytest.raises(InputError, match="abell_1_Gleam.*(readable FITS|header)"):
        load_gleam(tmp_path, size=16)


def test_preprocessing_clips_and_scales():
    rng = np.random.default_rng(1)
    img = rng.normal(0, 1, (40, 40))
    img[18:22, 18:22] = 50
    clipped = clip_sigma(img, 3)
    assert (clipped > 0).mean() < 0.03 and clipped.max() == 50
    out = log_minmax(clipped)
    assert out.min() == 0 and out.max() == 1
    assert np.allclose(log_minmax(3 * clipped), out)


def test_augmentation_variants_rotate_flip_and_scale():
    x = np.zeros((1, 1, 12, 12), np.float32)
    x[0, 0, 6, 9] = 1.0  # right of centre
    v = geometric_variants(x, 8)
    assert v.shape == (1, 24, 1, 8, 8)
    assert np.allclose(v[0, 2, 0], np.rot90(center_crop(x, 8)[0, 0]))
    assert not np.allclose(v[0, 1], v[0, 0])  # 45 degrees
    batch = augment_batch(np.ones((3, 24, 1, 4, 4), np.float32), np.array([0, 1, 2, 2]), np.random.default_rng(0))
    assert batch.shape == (4, 1, 4, 4) and 0.9 <= batch.min() and batch.max() <= 1.3


def test_dihedral_augmentation_is_the_eight_lossless_symmetries():
    x = np.random.default_rng(1).random((2, 1, 12, 12)).astype(np.float32)
    v = geometric_variants(x, 8)[:, list(DIHEDRAL)]
    expected = dihedral_variants(center_crop(x, 8))  # quarter turns of the unflipped and the left-right flipped centre
    for k in range(8):
        assert any(np.array_equal(v[:, k], expected[:, j]) for j in range(8))
    assert len({v[0, k].tobytes() for k in range(8)}) == 8


def test_command_line_offers_every_augmentation():
    from radio_unet.cli import halos as cli

    assert cli._AUGMENTS == AUGMENTS


@pytest.mark.parametrize("augment", ["dihedral", "geometric"])
def test_reduced_augmentations_train_without_pixel_scaling(augment, monkeypatch):
    import radio_unet.halos.train as train

    ranges = []
    real = train.augment_batch

    def spy(variants, index, rng, *, scale_range):
        ranges.append((variants.shape[1], scale_range))
        return real(variants, index, rng, scale_range=scale_range)

    monkeypatch.setattr(train, "augment_batch", spy)
    x = np.random.default_rng(2).random((6, 1, 20, 20)).astype(np.float32)
    fit_classifier("fc", x, np.array([0, 1] * 3), size=12, augment=augment, config=TrainConfig(steps=2, batch_size=4))
    assert ranges and all(r == (8 if augment == "dihedral" else 24, (1.0, 1.0)) for r in ranges)


@pytest.mark.parametrize("name", list(MODELS))
def test_classifiers_give_one_logit(name):
    m = build_classifier({"name": name, "in_channels": 4, "size": 16})
    assert m(torch.zeros(3, 4, 16, 16)).shape == (3,)
    assert m.embed(torch.zeros(2, 4, 16, 16)).ndim == 2
    with pytest.raises(RadioUNetError):
        build_classifier({"name": "resnet"})
    assert 40_000 < n_parameters(build_classifier({"name": "simple-cnn", "in_channels": 4})) < 60_000


def test_metrics_by_hand():
    s = scores([1, 1, 1, 0, 0, 0], [0.9, 0.8, 0.2, 0.7, 0.1, 0.1])
    assert (s["tp"], s["fp"], s["tn"], s["fn"]) == (2, 1, 2, 1)
    assert s["precision"] == pytest.approx(2 / 3) and s["specificity"] == pytest.approx(2 / 3)
    assert s["auroc"] == pytest.approx(auroc([1, 1, 1, 0, 0, 0], [0.9, 0.8, 0.2, 0.7, 0.1, 0.1]))
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, 50), rng.random(50)
    w = rng.integers(0, 3, 50).astype(float)
    assert auroc(y, p, w[None])[0] == pytest.approx(roc_auc_score(y, p, sample_weight=w))


def test_bootstrap_interval_covers_and_paired_difference_is_zero_for_identical_runs():
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(20), np.zeros(20)].astype(int)
    runs = [(y, np.clip(y * 0.6 + rng.random(40) * 0.5, 0, 1), np.arange(40) // 2) for _ in range(3)]
    s = bootstrap_scores(runs, n_boot=300)
    for m in ("balanced_accuracy", "auroc", "f1"):
        assert s[m]["low"] <= s[m]["value"] <= s[m]["high"]
    d = paired_difference(runs, runs, n_boot=200)
    assert d["balanced_accuracy"]["value"] == 0 and d["balanced_accuracy"]["low"] == 0


def test_grouped_splits_never_split_a_group():
    y = np.array([0, 1] * 12)
    g = np.arange(24) // 3
    for seed in range(3):
        for tr, te in grouped_splits(y, g, 4, seed):
            assert set(g[tr]).isdisjoint(g[te])


def _toy_set(n=16, size=16, seed=0):
    """Halos are a bright centre: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    p = 24
    x = rng.random((n, 2, p, p)).astype(np.float32) * 0.3
    y = np.arange(n) % 2
    x[y == 1, :, 8:16, 8:16] += 0.7
    return HaloSet(x, y, [f"obj{i}" for i in range(n)], np.arange(n) // 2, np.arange(n) % 4 != 0,
                   ["train"] * n, size=size, fov_deg=1.0, clip_k=3.0, bands=BANDS[:2])


def test_cv_learns_a_bright_centre_and_the_permutation_control_does_not():
    data = _toy_set(24)
    cfg = TrainConfig(steps=40, batch_size=16, lr=5e-3, width=4)
    res = run_cv(data, CVSettings(model="simple-cnn", augment="classical", folds=3, repeats=1, train=cfg))
    assert res.summary["auroc"]["value"] > 0.9
    assert len(res.folds) == 3 and len(res.predictions) == 24
    for row in res.folds:  # test objects are never in the training fold's groups
        test_groups = {data.groups[data.ids.index(o)] for o in row["test_ids"].split(",")}
        assert len(test_groups) * 2 == row["n_test"]
    perm = run_cv(data, CVSettings(model="fc", augment="none", folds=3, repeats=2, permute=True, train=cfg))
    assert perm.summary["balanced_accuracy"]["value"] < 0.8
    leaky = run_cv(data, CVSettings(model="fc", augment="classical", folds=3, repeats=1, protocol="leaky", train=cfg))
    with pytest.raises(RadioUNetError, match="leaky"):
        run_cv(data, CVSettings(model="fc", augment="dihedral", folds=3, repeats=1, protocol="leaky", train=cfg))
    assert len(leaky.predictions) == 24 * 8
    assert len(select_negatives(data, "clusters")) == 24 - 6  # every 4th object: a non-cluster negative


@pytest.mark.slow  # imports diffusers (seconds)
def test_generative_augmentation_runs_and_reports_quality(tmp_path):
    from radio_unet.halos.generative import make_synthesizer

    data = _toy_set(12)
    crops = center_crop(data.images, 16)
    for kind in ("cwgan", "diffusion"):
        synth = make_synthesizer(kind, steps=2, encoder_steps=2, work_size=8)
        fake, labels, info = synth(crops, data.labels, 0)
        assert fake.shape == crops.shape and labels.sum() == data.labels.sum()
        assert {"nn_ratio", "c2st_accuracy", "fd_encoder", "fd_real_halves"} <= set(info)
    res = run_cv(data, CVSettings(augment="cwgan", folds=2, repeats=1, train=TrainConfig(steps=2, width=4)),
                 synthesize=make_synthesizer("cwgan", steps=1, encoder_steps=1, work_size=8))
    assert "nn_ratio" in res.folds[0] and res.extras["generated"] is not None
    from radio_unet.halos.plots import plot_gallery

    fake, fake_y, real, real_y = res.extras["generated"]
    plot_gallery(real, real_y, fake, fake_y, tmp_path / "gallery.png")
    assert (tmp_path / "gallery.png").stat().st_size > 0


def test_model_round_trip_and_checksum(tmp_path):
    data = _toy_set(8)
    model, arch = fit_classifier("simple-cnn", data.images, data.labels, size=16, config=TrainConfig(steps=2, width=4))
    arch.pop("fit")
    card = save_halo_model(tmp_path / "m", model, {"architecture": arch, "preprocessing": data.settings()})
    loaded, card2 = load_halo_model(tmp_path / "m")
    assert card2["sha256"] == card["sha256"]
    assert np.allclose(predict_proba(model, data.images, size=16), predict_proba(loaded, data.images, size=16))
    (tmp_path / "m" / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(InputError, match="sha256"):
        load_halo_model(tmp_path / "m")
    with pytest.raises(InputError, match="no such halo model"):
        load_halo_model(tmp_path / "nothing")


def test_summary_table_round_trip(tmp_path):
    rows = [{"metric": "balanced_accuracy", "value": 0.7, "low": 0.6, "high": 0.8, "sd_repeats": 0.01}]
    write_table(tmp_path / "summary.ecsv", rows, {"model": "fc", "train": {"steps": 3}})
    s = read_summary(tmp_path)
    assert s["scores"]["balanced_accuracy"]["low"] == 0.6 and s["settings"]["model"] == "fc"


def test_cli_cv_train_predict(gleam_dir, tmp_path, capsys):
    from radio_unet.cli import main

    data = str(gleam_dir.parent)
    common = ["--data", data, "--size", "16", "--fov", "1.5", "--steps", "3", "--model", "fc"]
    assert main(["halos", "cv", *common, "--folds", "2", "--repeats", "1", "-o", str(tmp_path / "cv")]) == 0
    for name in ("folds.ecsv", "predictions.ecsv", "summary.ecsv", "roc.png", "confusion.png"):
        assert (tmp_path / "cv" / name).exists()
    assert main(["halos", "train", *common, "--cv-summary", str(tmp_path / "cv"), "--out", str(tmp_path / "model")]) == 0
    card = json.loads((tmp_path / "model" / "model.json").read_text())
    assert "balanced_accuracy" in card["metrics"]["cross_validated"]
    files = sorted(str(p) for p in (gleam_dir / "TRAIN_DATA_1").glob("abell_0002_*"))
    capsys.readouterr()
    assert main(["halos", "predict", *files, "--model", str(tmp_path / "model"), "-o", str(tmp_path / "p.ecsv")]) == 0
    assert "abell_0002" in capsys.readouterr().out
    assert main(["halos", "predict", *files]) == 0, "without --model: the shipped classifier"
    assert "abell_0002" in capsys.readouterr().out
    # one band of four: a one-line error naming the object's file, exit 2
    assert main(["halos", "predict", files[0], "--model", str(tmp_path / "model")]) == 2
    err = capsys.readouterr().err
    assert "lacks band" in err and len(err.strip().splitlines()) == 1
    bad = tmp_path / "x.fits"
    bad.write_bytes(b"junk")
    assert main(["halos", "predict", str(bad), "--model", str(tmp_path / "model")]) == 2
    assert "x.fits" in capsys.readouterr().err
