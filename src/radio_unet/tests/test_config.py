"""The shared configuration base: building, copying, exporting and checking settings."""

import argparse
from dataclasses import dataclass

import numpy as np
import pytest

from radio_unet.config import ConfigBase, add_flags, plain
from radio_unet.errors import RadioUNetError


@dataclass(frozen=True)
class _Toy(ConfigBase):
    name: str = "toy"
    count: int = 3
    scale: float = 1.0
    span: tuple = (1.0, 2.0)
    flag: bool = True
    mode: str = "fast"
    limit: float | None = None

    label = "toy"
    named = True
    choices = {"mode": ("fast", "slow")}
    parsers = {"limit": lambda text: None if text == "none" else float(text)}

    def __post_init__(self):
        self.lists_to_tuples()
        self.check_choices()
        self.check_number("count", integer=True, lo=1)
        self.check_number("scale", positive=True, below=10.0)
        self.check_pair("span", positive=True)
        self.check_flag("flag")


def test_from_dict_and_unknown_keys_list_the_known_ones():
    toy = _Toy.from_dict({"count": 4, "span": [0.5, 3]})
    assert toy.count == 4 and toy.span == (0.5, 3)  # lists stored as tuples
    with pytest.raises(RadioUNetError, match=r"unknown toy setting\(s\) cuont; known: count, flag, limit, mode, name, scale, span"):
        _Toy.from_dict({"cuont": 4})
    with pytest.raises(RadioUNetError, match="unknown toy setting"):
        _Toy().with_overrides(sclae=2.0)


def test_with_overrides_checks_the_copy():
    assert _Toy().with_overrides(scale=2.5).scale == 2.5
    with pytest.raises(RadioUNetError, match=r"toy toy: scale must be < 10.0, got 10.0"):
        _Toy().with_overrides(scale=10.0)


def test_to_dict_is_plain():
    assert _Toy().to_dict() == {"name": "toy", "count": 3, "scale": 1.0, "span": [1.0, 2.0], "flag": True, "mode": "fast",
                                "limit": None}
    assert plain({"a": (_Toy(), (1, 2))}) == {"a": [_Toy().to_dict(), [1, 2]]}


@pytest.mark.parametrize("changes, match", [
    ({"count": 0}, "count must be >= 1"),
    ({"count": 2.5}, "count must be an integer"),
    ({"count": 2.0}, "count must be an integer"),
    ({"count": True}, "count must be an integer"),
    ({"scale": float("nan")}, "scale must be a finite number"),
    ({"scale": "1"}, "scale must be a finite number"),
    ({"scale": -1.0}, "scale must be positive"),
    ({"span": (3.0, 1.0)}, r"span must be finite with low <= high"),
    ({"span": 5.0}, r"span must be a \(low, high\) pair"),
    ({"span": (0.0, 1.0)}, "span must be positive"),
    ({"flag": "yes"}, "flag must be true or false"),
    ({"mode": "medium"}, "unknown toy mode 'medium': choose one of 'fast', 'slow'"),
])
def test_bad_values_name_the_setting(changes, match):
    with pytest.raises(RadioUNetError, match=match):
        _Toy(**changes)


def test_numpy_integers_and_booleans_are_stored_as_python_ones():
    assert type(_Toy(count=np.int64(5)).count) is int
    assert _Toy(flag=np.bool_(False)).flag is False  # a numpy boolean passes, stored as bool


def test_every_configuration_of_the_package_uses_the_base():
    from radio_unet.counts.presets import CountsPreset
    from radio_unet.data.dataset import DataConfig
    from radio_unet.halos.train import TrainConfig as HaloTrainConfig
    from radio_unet.models.config import UNetConfig
    from radio_unet.observe.artefacts import ArtefactRanges, Artefacts
    from radio_unet.observe.clean import CleanConfig
    from radio_unet.simulate.presets import Preset
    from radio_unet.sky.config import SkyConfig
    from radio_unet.train.config import TrainConfig

    for cls in (CountsPreset, DataConfig, HaloTrainConfig, UNetConfig, ArtefactRanges, Artefacts, CleanConfig, Preset,
                SkyConfig, TrainConfig):
        assert issubclass(cls, ConfigBase), cls
        assert cls.label != ConfigBase.label, cls  # each names itself in messages


def test_flags_take_type_choices_and_default_from_the_dataclass(capsys):
    parser = argparse.ArgumentParser(prog="toy")
    add_flags(_Toy, parser, {"count": ("N", "how many"), "flag": (None, "a switch"), "mode": (None, "speed"),
                             "limit": ("L", "a limit (default: none)")}, defaults={"count": 7})
    assert vars(parser.parse_args([])) == {"count": None, "flag": None, "mode": None, "limit": None}  # not given
    args = parser.parse_args(["--count", "5", "--no-flag", "--mode", "slow", "--limit", "2.5"])
    assert (args.count, args.flag, args.mode, args.limit) == (5, False, "slow", 2.5)
    help_text = parser.format_help()
    assert "how many (default 7)" in help_text and "a switch (default on)" in help_text
    assert "speed (default fast)" in help_text and "a limit (default: none)" in help_text
    with pytest.raises(SystemExit):
        parser.parse_args(["--mode", "medium"])
    assert "invalid choice: 'medium'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser.parse_args(["--count", "many"])
