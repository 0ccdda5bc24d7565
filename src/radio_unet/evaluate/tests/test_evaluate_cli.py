"""Tests of ``radio-unet evaluate`` on hand-made maps."""

import numpy as np
from astropy.table import Table

from radio_unet.cli import main
from radio_unet.conftest import celestial_header, write_fits


def test_pred_truth_with_baselines(tmp_path, capsys):
    """One map: the network's scores (plain and peak-thresholded) next to the 3-sigma baselines, tables and a figure."""
    truth = np.zeros((64, 64), np.uint8)
    truth[20:40, 20:40] = 1
    prob = truth * 0.8 + 0.1
    prob[50:56, 50:56] = 0.6  # a false island that never reaches the 0.8 peak threshold
    rng = np.random.default_rng(0)
    image = rng.normal(0, 1e-4, (64, 64)).astype(np.float32) + truth * 1e-3
    h = celestial_header(nx=64, ny=64)
    h["BMAJ"] = h["BMIN"] = 6 / 3600
    h["BUNIT"] = "JY/BEAM"
    paths = [write_fits(tmp_path / f"{n}.fits", a, h) for n, a in (("truth", truth), ("prob", prob.astype(np.float32)), ("image", image))]
    assert main(["evaluate", "--truth", str(paths[0]), "--pred", str(paths[1]), "--image", str(paths[2]), "-o", str(tmp_path / "ev")]) == 0
    assert "3sigma" in capsys.readouterr().out
    summary = Table.read(tmp_path / "ev" / "summary.ecsv")
    row = {m: r for m, r in zip(summary["method"], summary)}
    assert row["radio-unet"]["mean_iou"] < 1.0
    assert row["radio-unet, peak 0.8"]["mean_iou"] == 1.0
    assert 0.5 < row["3sigma"]["mean_iou"] < 1.0
    assert (tmp_path / "ev" / "scores.png").exists()


def test_missing_arguments_is_a_clear_error(capsys):
    """Neither a map nor a data set: one clear line."""
    assert main(["evaluate"]) == 2
    assert "give --pred and --truth" in capsys.readouterr().err


def test_card_split_must_belong_to_the_scored_folder(tmp_path):
    """A card's split ids are used only on the card's own data set; another folder needs --split all."""
    import pandas as pd
    import pytest

    from radio_unet.errors import RadioUNetError
    from radio_unet.evaluate.dataset import card_split_ids

    def folder(name, n):
        path = tmp_path / name
        path.mkdir()
        pd.DataFrame({"id": [f"sim_{i:05d}" for i in range(n)]}).to_csv(path / "manifest.csv", index=False)
        return path

    card = {"root": "/elsewhere/lotss512", "images": 4, "splits": {"test": ["sim_00001", "sim_00003"]}}
    assert card_split_ids(card, "test", folder("lotss512", 4)) == ["sim_00001", "sim_00003"]  # moved, same data set
    with pytest.raises(RadioUNetError, match="split all"):
        card_split_ids(card, "test", folder("lotss512_b", 4))  # same ids, other images
    with pytest.raises(RadioUNetError, match="split all"):
        card_split_ids({**card, "images": 5}, "test", tmp_path / "lotss512")  # same name, another number of images
    with pytest.raises(RadioUNetError, match="no 'val' split"):
        card_split_ids(card, "val", tmp_path / "lotss512")
    several = {"root": ["/a/lotss512", "/a/meerkat"], "splits": {"test": ["lotss512/sim_00002", "meerkat/sim_00001"]}}
    assert card_split_ids(several, "test", tmp_path / "lotss512") == ["sim_00002"]  # trained on several folders
    with pytest.raises(RadioUNetError, match="split all"):
        card_split_ids(several, "test", tmp_path / "lotss512_b")
    with pytest.raises(RadioUNetError, match="no manifest.csv"):
        card_split_ids(card, "test", tmp_path / "missing")  # not a data set at all: said so


def test_dataset_mode_scores_every_image_and_names_tta_rows(tmp_path, capsys):
    """--dataset with a model: one row per image and method; test-time augmentation (the default) names the
    network's rows after it, --no-tta gives the plain rows."""
    import torch

    from radio_unet.models import build_model, save_model
    from radio_unet.simulate import get_preset, simulate_dataset

    data = tmp_path / "sim"
    simulate_dataset(get_preset("lotss-6as-512").with_overrides(npix=64), 2, data, seed=3, gallery=0)
    torch.manual_seed(0)
    model = tmp_path / "tiny.safetensors"
    save_model(model, build_model({"base_filters": 4, "depth": 2, "dropout": 0.0}).eval(),
               {"normalization": {"vmin": 1e-10, "vmax": 1e-5, "unit": "Jy/pixel"}})
    for extra, network in ((["--no-tta"], "radio-unet"), ([], "radio-unet tta")):
        out = tmp_path / f"ev{len(extra)}"
        assert main(["evaluate", "--dataset", str(data), "--model", str(model), "--split", "all", "--no-external",
                     "-o", str(out), *extra]) == 0
        scores = Table.read(out / "scores.ecsv").to_pandas()
        assert list(scores["method"].unique()) == [network, f"{network}, peak 0.8", "3sigma", "3sigma_smoothed"]
        assert scores.groupby("method")["id"].nunique().eq(2).all()
        assert scores["mean_iou"].between(0, 1).all()
    assert "radio-unet tta" in capsys.readouterr().out


def test_classifier_dataset_reports_per_class_iou(tmp_path, capsys):
    """evaluate --dataset with a classification network: the diffuse rows as usual, plus the per-class IoU and a
    confusion matrix (rows true, columns predicted) over the valid pixels of every image, written as tables."""
    import torch

    from radio_unet.data.synthetic import write_toy_dataset
    from radio_unet.models import build_model, save_model

    data = write_toy_dataset(tmp_path / "toy", n_images=2, size=64, seed=4)
    torch.manual_seed(0)
    model = build_model({"base_filters": 4, "depth": 2, "dropout": 0.0, "n_classes": 8})
    weights = tmp_path / "tiny8.safetensors"
    save_model(weights, model.eval(), {"normalization": {"kind": "snr"}, "pixel_scale_arcsec": 2.0,
                                       "beam_arcsec": {"major": 8.0, "minor": 8.0, "pa": 0.0}})
    assert main(["evaluate", "--dataset", str(data), "--model", str(weights), "--split", "all", "--no-external",
                 "-o", str(tmp_path / "ev")]) == 0
    out = capsys.readouterr().out
    assert "per-class IoU" in out and "confusion matrix" in out and "radio galaxy" in out
    per_class = Table.read(tmp_path / "ev" / "class_iou.ecsv")
    confusion = Table.read(tmp_path / "ev" / "confusion.ecsv")
    assert list(per_class["class"])[:2] == ["background", "radio halo"] and len(per_class) == 8
    counts = np.array([[row[c] for c in confusion.colnames[1:]] for row in confusion])
    assert counts.sum() == 2 * 64 * 64  # every valid pixel of both images once
    assert list(per_class["true_pixels"]) == list(counts.sum(axis=1))
    iou = np.asarray(per_class["iou"], float)
    assert np.all((iou[np.isfinite(iou)] >= 0) & (iou[np.isfinite(iou)] <= 1))
