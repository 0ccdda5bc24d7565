"""Tests of the training configuration: YAML, overrides and command-line flags."""

from __future__ import annotations

import argparse

import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.train import TrainConfig, add_train_arguments, config_from_args


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_train_arguments(parser)
    return parser


def test_yaml_nested_and_flat(tmp_path):
    """Nested and flat YAML give the same configuration; relative paths stay relative to the working directory."""
    (tmp_path / "nested.yaml").write_text(
        "data:\n  root: sim\n  tile: 128\nmodel: lite\nepochs: 5\nprecision: bf16-mixed\nout: runs/a\n"
    )
    (tmp_path / "flat.yaml").write_text("root: sim\ntile: 128\nmodel: {preset: lite}\nepochs: 5\nprecision: bf16-mixed\nout: runs/a\n")
    a, b = TrainConfig.from_yaml(tmp_path / "nested.yaml"), TrainConfig.from_yaml(tmp_path / "flat.yaml")
    assert a == b
    assert a.data.root == "sim" and a.out == "runs/a"
    assert a.data.tile == 128 and a.model_config().base_filters == 16 and a.epochs == 5
    assert a.batch_size == 50 and a.lr == 1e-4 and a.optimizer == "rmsprop"  # paper defaults
    again = TrainConfig.from_dict(__import__("yaml").safe_load(a.to_yaml()))
    assert again == a


def test_overrides_win_and_errors_are_clear(tmp_path):
    """Overrides change single fields; unknown keys and bad values are RadioUNetErrors."""
    base = TrainConfig.from_dict({"data": {"root": "x"}})
    c = base.with_overrides({"batch_size": 8, "tile": 64, "base_filters": 8, "seed": None})
    assert (c.batch_size, c.data.tile, c.model_config().base_filters, c.seed) == (8, 64, 8, 0)
    with pytest.raises(RadioUNetError, match="unknown training setting"):
        TrainConfig.from_dict({"data": {"root": "x"}, "batchsize": 3})
    with pytest.raises(RadioUNetError, match="multiple of 16"):
        TrainConfig.from_dict({"data": {"root": "x", "tile": 100}})
    with pytest.raises(RadioUNetError, match="precision"):
        TrainConfig.from_dict({"data": {"root": "x"}, "precision": "8"})
    (tmp_path / "bad.yaml").write_text("- a\n- b\n")
    with pytest.raises(RadioUNetError, match="mapping"):
        TrainConfig.from_yaml(tmp_path / "bad.yaml")


def test_shipped_default_config_parses():
    """configs/default-model.yaml of the repository is a valid TrainConfig."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[4] / "configs" / "default-model.yaml"
    if not path.exists():
        pytest.skip("no configs/default-model.yaml in this checkout")
    config = TrainConfig.from_yaml(path)
    assert config.data.tile % config.model_config().divisor == 0


def test_cli_flags_override_the_file(tmp_path):
    """config_from_args merges --config and flags; flags win; the command is recorded."""
    (tmp_path / "c.yaml").write_text("data:\n  root: sim\nepochs: 7\nbatch_size: 20\n")
    args = _parser().parse_args(
        ["--config", str(tmp_path / "c.yaml"), "--batch-size", "16", "--precision", "bf16-mixed", "--no-augment",
         "--devices", "2", "--strategy", "ddp", "--num-nodes", "2", "--model", "lite", "--class-weights", "1,4",
         "--empty-ratio", "all"]
    )
    c = config_from_args(args)
    assert (c.epochs, c.batch_size, c.precision) == (7, 16, "bf16-mixed")
    assert c.data.augment is False and c.data.empty_ratio is None
    assert (c.devices, c.strategy, c.num_nodes) == (2, "ddp", 2)
    assert c.model_config().name == "lite" and c.class_weights == [1.0, 4.0]
    assert c.command
    c2 = config_from_args(_parser().parse_args(["--data", "somewhere", "--epochs", "3"]))
    assert c2.data.root == "somewhere" and c2.epochs == 3 and c2.data.augment is True
    with pytest.raises(RadioUNetError, match="--data"):
        config_from_args(_parser().parse_args(["--epochs", "3"]))
