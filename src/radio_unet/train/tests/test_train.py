"""End-to-end training tests on a toy data set (tiny network, 32 px tiles, CPU)."""

from __future__ import annotations

import csv

import pytest
import torch

from radio_unet.errors import RadioUNetError
from radio_unet.models import load_model
from radio_unet.train import TrainConfig, train


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _state(path):
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


def test_tiny_training_lowers_the_loss_and_writes_outputs(tiny_config):
    """Training on toy tiles lowers the loss and writes checkpoints, metrics, model and card."""
    cfg = TrainConfig.from_dict({**tiny_config, "epochs": 8})
    result = train(cfg)
    rows = _rows(result.metrics_path)
    assert [int(r["epoch"]) for r in rows] == list(range(8))
    losses = [float(r["train_loss"]) for r in rows]
    assert losses[-1] < 0.9 * losses[0], losses
    assert all(0.0 <= float(r["val_iou"]) <= 1.0 for r in rows)
    assert result.last_checkpoint.exists() and result.best_checkpoint.exists()
    model, card = load_model(result.model_path)
    assert card.architecture.base_filters == 4 and card.tile == 32 and card.seed == 0
    assert card.normalization["kind"] == "snr"  # the noise-relative input is the default of new models
    assert card.class_names() == ["background", "diffuse emission"] and card.diffuse_channels() == [1]
    assert card.pixel_scale_arcsec == pytest.approx(2.0) and card.beam_arcsec["major"] == pytest.approx(8.0)
    assert set(card.dataset["splits"]) == {"train", "val", "test"} and card.command
    assert "best_val_iou" in card.metrics and "test_iou" in card.metrics and card.training["wall_time_s"] > 0
    for key in ("train_loss", "val_iou", "val_iou_bg", "val_iou_fg"):  # the card repeats the last CSV row
        assert card.metrics[f"final_{key}"] == pytest.approx(float(rows[-1][key]), rel=1e-5, abs=1e-6)
    best = {k[len("model."):]: v for k, v in _state(result.best_checkpoint).items() if k.startswith("model.")}
    for k, v in model.state_dict().items():
        assert torch.equal(v, best[k])
    assert (result.out / "config.yaml").exists()
    with pytest.raises(RadioUNetError, match="previous run"):
        train(cfg)


def test_resumed_run_equals_uninterrupted_run(tiny_config, tmp_path):
    """Stopping after epoch 1 and resuming to epoch 3 gives exactly the weights of a straight 3-epoch run."""
    base = {**tiny_config, "test": False, "epochs": 3}
    straight = train(TrainConfig.from_dict({**base, "out": str(tmp_path / "a")}))
    train(TrainConfig.from_dict({**base, "out": str(tmp_path / "b"), "epochs": 1}))
    # the second session also uses a DataLoader worker: order and augmentations must not depend on it
    resumed = train(TrainConfig.from_dict({**base, "out": str(tmp_path / "b"), "resume": "last", "num_workers": 1}))
    ca = torch.load(straight.last_checkpoint, map_location="cpu", weights_only=True)
    cb = torch.load(resumed.last_checkpoint, map_location="cpu", weights_only=True)
    assert ca["global_step"] == cb["global_step"] > 0
    assert ca["epoch"] == cb["epoch"] == 2  # last.ckpt is written after every epoch, not only at the best one
    a, b = ca["state_dict"], cb["state_dict"]
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    ra, rb = _rows(straight.metrics_path), _rows(resumed.metrics_path)
    assert [r["train_loss"] for r in ra] == [r["train_loss"] for r in rb]
    assert resumed.epochs_completed == 3 and resumed.card.training["resumed_from"].endswith("last.ckpt")


def test_dice_ce_bf16_balanced_weights_without_validation(tiny_config):
    """Dice+CE, balanced class weights and bf16-mixed run; without validation images the train loss is monitored."""
    cfg = TrainConfig.from_dict(
        {**tiny_config, "epochs": 1, "loss": "dice_ce", "class_weights": "balanced", "precision": "bf16-mixed",
         "data": {**tiny_config["data"], "val_fraction": 0.0, "test_fraction": 0.0}}
    )
    result = train(cfg)
    weights = result.card.training["class_weights"]
    assert weights[1] > weights[0] > 0
    assert "best_train_loss_epoch" in result.metrics and result.model_path.exists()


def test_max_time_stops_at_an_epoch_end_and_auto_resumes(tiny_config):
    """max_time stops after a whole epoch with a complete last.ckpt; resume 'auto' continues, 'auto' on an empty folder starts afresh."""
    first = train(TrainConfig.from_dict({**tiny_config, "epochs": 50, "max_time": "00:00:00:01", "test": False}))
    assert 1 <= first.epochs_completed < 50
    ckpt = torch.load(first.last_checkpoint, map_location="cpu", weights_only=True)
    assert ckpt["epoch"] == first.epochs_completed - 1
    target = first.epochs_completed + 1
    second = train(TrainConfig.from_dict({**tiny_config, "epochs": target, "resume": "auto", "max_time": "00:01:00:00", "test": False}))
    assert second.epochs_completed == target
    assert [int(r["epoch"]) for r in _rows(second.metrics_path)] == list(range(target))
    with pytest.raises(RadioUNetError, match="DD:HH:MM:SS"):
        train(TrainConfig.from_dict({**tiny_config, "max_time": "soon", "overwrite": True}))


def test_classification_layer_trains_on_label_maps(tiny_config):
    """--target labels with 8 classes: the loss falls, the card names the classes of the label maps, the checkpoint
    metric is the diffuse IoU (sum of the diffuse classes) and every class has its IoU; a class count that does not fit
    the target is a clear error."""
    cfg = TrainConfig.from_dict({**tiny_config, "epochs": 6, "class_weights": "balanced", "loss": "dice_ce",
                                 "data": {**tiny_config["data"], "target": "labels"},
                                 "model": {**tiny_config["model"], "n_classes": 8}})
    result = train(cfg)
    rows = _rows(result.metrics_path)
    losses = [float(r["train_loss"]) for r in rows]
    # the Dice terms of the classes absent from the toy labels stay near 1 each: the loss falls by less than 10%
    assert all(b < a for a, b in zip(losses, losses[1:])) and losses[-1] < losses[0] - 0.2, losses
    _, card = load_model(result.model_path)
    assert card.class_names()[5] == "radio galaxy" and card.diffuse_channels() == [1, 2, 3, 4]
    assert card.architecture.n_classes == 8 and len(card.training["class_weights"]) == 8
    assert 0 <= card.metrics["best_val_iou"] <= 1 and "test_iou_class6" in card.metrics
    bad = TrainConfig.from_dict({**tiny_config, "data": {**tiny_config["data"], "target": "labels"},
                                 "out": tiny_config["out"] + "_bad"})
    with pytest.raises(RadioUNetError, match="n_classes 8"):
        train(bad)
