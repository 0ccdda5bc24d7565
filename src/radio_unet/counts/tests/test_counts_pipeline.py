"""Tests of the counts pipeline: data set, a tiny trained model, save/load, the CLI and its errors (< 15 s)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from radio_unet.cli import main
from radio_unet.counts.dataset import load_dataset, load_datasets, simulate_dataset, split_fields
from radio_unet.counts.estimate import combine_fields
from radio_unet.counts.model import load_counts_model
from radio_unet.counts.presets import get_counts_preset
from radio_unet.errors import InputError

PRESET = get_counts_preset("lotss-6as-like").with_overrides(npix=64)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A 64-field data set (64x64 fields of four 32-px tiles) and a model trained on it for one epoch."""
    import torch

    from radio_unet.counts.train import train_counts

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("counts")
    simulate_dataset(PRESET.with_overrides(name="test-64"), 64, root / "data", seed=5, fits=2)
    train_counts(root / "data", root / "model", epochs=1, batch_size=16, flow_hidden=16, flow_transforms=1,
                 flow_max_epochs=3, width=8, hidden=16, command="test")
    return root


def test_same_seed_same_model(tiny, tmp_path):
    """The model card's seed reproduces the model: a second training of the same data with the same seed gives the
    same weights (initial weights, batches and augmentation all follow the seed)."""
    import torch

    from radio_unet.counts.train import train_counts

    torch.manual_seed(12345)  # whatever torch's global state was, the result must not depend on it
    train_counts(tiny / "data", tmp_path / "model", epochs=1, batch_size=16, flow_hidden=16, flow_transforms=1,
                 flow_max_epochs=3, width=8, hidden=16, command="test")
    assert (tmp_path / "model" / "model.safetensors").read_bytes() == (tiny / "model" / "model.safetensors").read_bytes()


def test_dataset_roundtrip_resume_and_splits(tiny):
    """Fields load back with their truth; a second run reuses the shards; a different set is refused."""
    ds = load_dataset(tiny / "data")
    assert len(ds) == 64 and ds.images.shape == (64, 64, 64) and ds.y.shape == (64, 5)
    assert np.all(np.isfinite(ds.y)) and ds.meta["noise_stated"][0] == ds.meta["noise_measured"][0]
    man = simulate_dataset(ds.preset, 64, tiny / "data", seed=5)  # nothing to do: shards exist
    assert man["complete"]
    with pytest.raises(InputError, match="another data set"):
        simulate_dataset(ds.preset, 64, tiny / "data", seed=6)
    a, b, c = split_fields(64, fractions=(0.55, 0.35))
    assert len(set(a) | set(b) | set(c)) == 64 and not set(a) & set(b)


def test_pooled_folders(tiny, tmp_path):
    """Folders of one preset and family pool into one set (fields in order, routes joined, every folder named);
    another preset or another family is refused with the folder's name."""
    simulate_dataset(PRESET.with_overrides(name="test-64"), 8, tmp_path / "more", seed=9)
    one, more = load_dataset(tiny / "data"), load_dataset(tmp_path / "more")
    pooled = load_datasets([tiny / "data", tmp_path / "more"])
    assert len(pooled) == 72 and np.array_equal(pooled.y, np.concatenate([one.y, more.y]))
    assert np.array_equal(pooled.images[64:], more.images) and pooled.meta["noise_measured"].shape == (72,)
    assert pooled.manifest["family"] == "knots" and pooled.manifest["route"] == "fast"
    assert [p["n"] for p in pooled.manifest["parts"]] == [64, 8]
    assert len(load_datasets([tiny / "data"])) == 64 and len(load_datasets([tiny / "data", tmp_path / "more"], limit=4)) == 8
    simulate_dataset(PRESET.with_overrides(name="test-64", npix=32), 4, tmp_path / "other", seed=9)
    with pytest.raises(InputError, match="other.*pool only folders of one preset"):
        load_datasets([tiny / "data", tmp_path / "other"])
    simulate_dataset(PRESET.with_overrides(name="test-64"), 4, tmp_path / "talk", seed=9, family="talk")
    with pytest.raises(InputError, match="talk family.*one family"):
        load_datasets([tiny / "data", tmp_path / "talk"])


def test_model_roundtrip_and_posterior(tiny):
    """The saved model loads with its checksum, samples are reproducible and the card records the run."""
    from radio_unet.counts.train import dataset_inputs

    model = load_counts_model(tiny / "model")
    ds = load_dataset(tiny / "data")
    tiles, extra, fields = dataset_inputs(ds, np.arange(3))
    s1 = model.sample(tiles.astype(np.float32), extra, 50, seed=1)
    s2 = model.sample(tiles.astype(np.float32), extra, 50, seed=1)
    assert s1.shape == (3, 50, 5) and np.allclose(s1, s2)
    assert model.talk_predict(fields.astype(np.float32), extra[:, -4:]).shape == (3, 5)
    card = json.loads((tiny / "model" / "model.json").read_text())
    assert card["command"] == "test" and card["sha256"] and card["format"] == "radio-unet-counts-card/1"
    assert "coverage68" in card["metrics"]["validation"]
    weights = tiny / "model" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    bad = tiny / "bad"
    bad.mkdir()
    (bad / "model.json").write_text((tiny / "model" / "model.json").read_text())
    data[-1] ^= 1
    (bad / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(InputError, match="sha256"):
        load_counts_model(bad)


def test_combine_fields_narrows():
    """Two fields that agree give a narrower posterior at their common value."""
    rng = np.random.default_rng(0)
    s = rng.normal(1.0, 0.2, size=(2, 4000, 2))
    c = combine_fields(s, [1.0, 1.0], [1.0, 1.0], n=4000, rng=rng)
    assert c.mean(0) == pytest.approx([1.0, 1.0], abs=0.02)
    assert c.std(0) == pytest.approx(0.2 / math.sqrt(2), rel=0.15)


def test_cli_estimate_writes_table_and_picture(tiny, capsys):
    """estimate writes the ECSV columns and metadata of the issue and the PNG."""
    img = tiny / "data" / "fits" / "field_00000.fits"
    out = tiny / "est"
    assert main(["counts", "estimate", str(img), "--model", str(tiny / "model"), "-o", str(out), "--samples", "100"]) == 0
    t = Table.read(out / "field_00000.counts.ecsv", format="ascii.ecsv")
    for col in ("s_lo", "s_hi", "s_mid", "dnds", "dnds_lo68", "dnds_hi68", "dnds_lo95", "dnds_hi95", "s25_dnds",
                "s25_dnds_lo68", "s25_dnds_hi68", "s25_dnds_lo95", "s25_dnds_hi95"):
        assert col in t.colnames
    assert np.all(t["dnds_lo95"] <= t["dnds"]) and np.all(t["dnds"] <= t["dnds_hi95"])
    assert str(t["dnds"].unit) == "1 / (Jy sr)" and t.meta["area_sr"] > 0 and t.meta["noise"] > 0 and t.meta["model"]
    assert (out / "field_00000.counts.png").stat().st_size > 1000


def test_cli_estimate_bad_inputs_are_one_line(tiny, capsys):
    """No beam, too small, or a resolution the model was not trained for: one line naming the file, status 2."""
    good = tiny / "data" / "fits" / "field_00000.fits"
    with fits.open(good) as hdul:
        header, data = hdul[0].header, hdul[0].data
    cases = {}
    h = header.copy()
    for key in ("BMAJ", "BMIN", "BPA"):
        h.remove(key, ignore_missing=True)
    cases["nobeam.fits"] = (data, h, "--beam")
    cases["small.fits"] = (data[:20, :20], header, "smaller than one")
    h = header.copy()
    h["BMAJ"], h["BMIN"] = 20 / 3600, 20 / 3600
    cases["lowres.fits"] = (data, h, "trained for")
    for name, (d, h, expect) in cases.items():
        path = tiny / name
        fits.PrimaryHDU(d, h).writeto(path, overwrite=True)
        assert main(["counts", "estimate", str(path), "--model", str(tiny / "model"), "-o", str(tiny / "bad_out")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(path) in err and expect in err and "Traceback" not in err


def test_estimate_picks_the_shipped_model_trained_for_the_image(tiny, tmp_path, monkeypatch, capsys):
    """Without --model each image gets the first shipped model whose trained beam, pixel and noise ranges hold it;
    when none does, the one line names the file, the default's reason and the other models tried."""
    import shutil

    from radio_unet.counts import estimate

    narrow = tmp_path / "narrow"
    shutil.copytree(tiny / "model", narrow)
    card = json.loads((narrow / "model.json").read_text())
    card["trained_ranges"]["beam_major_px"] = [100.0, 200.0]  # a model for another resolution
    (narrow / "model.json").write_text(json.dumps(card))
    monkeypatch.setattr(estimate, "shipped_counts_models", lambda: [str(narrow), str(tiny / "model")])
    good = tiny / "data" / "fits" / "field_00000.fits"
    assert main(["counts", "estimate", str(good), "-o", str(tmp_path / "out")]) == 0
    t = Table.read(tmp_path / "out" / "field_00000.counts.ecsv", format="ascii.ecsv")
    assert t.meta["model"] == str(tiny / "model")
    with fits.open(good) as hdul:
        hdul[0].header["BMAJ"] = hdul[0].header["BMIN"] = 20 / 3600
        hdul.writeto(tmp_path / "lowres.fits")
    capsys.readouterr()
    assert main(["counts", "estimate", str(tmp_path / "lowres.fits"), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lowres.fits" in err and "trained for" in err
    assert f"nor any other shipped counts model: {tiny / 'model'}" in err


def test_cli_evaluate_prints_the_table(tiny, capsys):
    """evaluate scores every method side by side and writes its files."""
    out = tiny / "eval"
    assert main(["counts", "evaluate", "--data", str(tiny / "data"), "--model", str(tiny / "model"), "-o", str(out),
                 "--limit", "8", "--pd-limit", "1", "--samples", "50"]) == 0
    text = capsys.readouterr().out
    for method in ("npe", "talk-cnn", "pd", "catalogue"):
        assert f"| {method} |" in text
    assert "Goals (npe)" in text
    assert (out / "evaluate.png").exists() and (out / "per_field.ecsv").exists()
