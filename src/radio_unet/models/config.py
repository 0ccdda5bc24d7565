"""Architecture settings of the Radio U-Net: :class:`UNetConfig`, the named presets and the parameter count.

Free of PyTorch, so that reading a model card (:mod:`.card`) or choosing an
inference backend does not import it; the network itself is in :mod:`.unet`,
which explains the parameter-count formula.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Mapping

from ..config import ConfigBase
from ..errors import RadioUNetError

__all__ = ["UNetConfig", "PRESETS", "parameter_count"]


@dataclass(frozen=True)
class UNetConfig(ConfigBase):
    """Architecture of a :class:`RadioUNet`; JSON-serialisable.

    Parameters
    ----------
    in_channels : int
        Number of input image channels (1 for a radio image).
    n_classes : int
        Number of output classes (2: background and diffuse emission).
    base_filters : int
        Feature maps at full resolution (32 in the paper); doubled at every
        pooling.
    depth : int
        Number of 2x2 poolings (4 in the paper, i.e. five resolution levels).
        Input heights and widths must be divisible by ``2**depth``.
    dropout : float
        Dropout rate after every pooling (0.5 in the paper); 0 disables it.
    up_kernel : int
        Kernel size of the stride-2 transposed convolutions: 2 (the paper) or
        3 (the 7.85 M-parameter variant measured in DESIGN.md).
    name : str
        A label: the preset name, or ``"custom"``.
    """

    in_channels: int = 1
    n_classes: int = 2
    base_filters: int = 32
    depth: int = 4
    dropout: float = 0.5
    up_kernel: int = 2
    name: str = "custom"

    label = "model"
    choices = {"up_kernel": (2, 3)}  # 2 in the paper

    def __post_init__(self):
        self.check_number("in_channels", integer=True, lo=1)
        self.check_number("n_classes", integer=True, lo=2)  # background + at least one class
        self.check_number("base_filters", integer=True, lo=1)
        self.check_number("depth", integer=True, lo=1, hi=8)  # number of poolings
        self.check_number("dropout", lo=0.0, below=1.0)
        self.check_choices()
        object.__setattr__(self, "dropout", float(self.dropout))

    @property
    def divisor(self) -> int:
        """Input sizes must be multiples of this number (``2**depth``)."""
        return 2**self.depth

    @property
    def channels(self) -> tuple[int, ...]:
        """Feature maps per level, from full resolution down."""
        return tuple(self.base_filters * 2**level for level in range(self.depth + 1))

    def to_json(self) -> str:
        """A JSON string of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "UNetConfig":
        """Build from a dictionary; unknown keys are an error.

        A ``"preset"`` key starts from that preset and applies the other keys
        on top of it.
        """
        values = dict(values)
        preset = values.pop("preset", None)
        cls.check_keys(values, also={"preset"})
        if preset is not None:
            base = _preset(str(preset))
            if values and "name" not in values and any(values[k] != getattr(base, k) for k in values):
                values["name"] = "custom"
            return replace(base, **values)
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> "UNetConfig":
        """Inverse of :meth:`to_json`."""
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RadioUNetError(f"invalid model configuration JSON: {exc}") from None
        if not isinstance(values, dict):
            raise RadioUNetError("invalid model configuration JSON: expected an object")
        return cls.from_dict(values)


#: Named architectures. ``paper``: the network of the paper (base 32, four
#: poolings, 6.98 M parameters); ``lite``: base 16 (1.75 M parameters, about 3x
#: faster to train on a CPU).
PRESETS: dict[str, UNetConfig] = {
    "paper": UNetConfig(base_filters=32, depth=4, name="paper"),
    "lite": UNetConfig(base_filters=16, depth=4, name="lite"),
}


def _preset(name: str) -> UNetConfig:
    try:
        return PRESETS[name.lower()]
    except KeyError:
        raise RadioUNetError(f"unknown model preset {name!r}: choose one of {', '.join(PRESETS)}") from None


def parameter_count(config: UNetConfig | str) -> int:
    """Number of trainable parameters of the architecture, from its formula.

    Parameters
    ----------
    config : UNetConfig or str
        A configuration or a preset name.

    Returns
    -------
    int
        Trainable parameters (batch-norm running statistics excluded).
    """
    cfg = _preset(config) if isinstance(config, str) else config
    c = cfg.channels
    k2 = cfg.up_kernel**2
    total = 0
    c_prev = cfg.in_channels
    for c_l in c:
        total += (9 * c_prev * c_l + c_l) + 2 * c_l + (9 * c_l * c_l + c_l) + 2 * c_l
        c_prev = c_l
    for level in range(cfg.depth):
        c_l, c_up = c[level], c[level + 1]
        total += (k2 * c_up * c_l + c_l) + 2 * (9 * c_l * c_l + c_l + 2 * c_l)
    total += c[0] * cfg.n_classes + cfg.n_classes
    return total
