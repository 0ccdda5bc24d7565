"""The Radio U-Net architecture (Stuardi, Gheller, Vazza & Botteon 2024).

The network follows the paper's text:

* contracting path of ``depth + 1`` levels; each level applies two blocks of
  (3x3 convolution with 'same' padding, batch normalisation, ReLU); the number
  of feature maps is ``base_filters * 2**level`` (32 at full resolution in the
  paper);
* between levels, 2x2 max pooling followed by dropout (0.5 in the paper), four
  poolings in the paper (``depth = 4``, five levels);
* expansive path: a stride-2 transposed convolution (2x2 kernel) with ReLU
  whose output is **summed** (not concatenated) with the skip connection of
  the same level, followed by the two convolution blocks;
* a final 1x1 convolution to ``n_classes`` (2: background, diffuse emission)
  and a softmax, applied by :meth:`RadioUNet.predict_proba` (``forward``
  returns logits, which is what the cross-entropy loss wants).

Parameter count
---------------
Every convolution has a bias (as in Keras, which the authors used) and every
batch normalisation a learnable scale and offset. With ``c_l = base * 2**l``
and ``k`` the transposed-convolution kernel size::

    encoder level l : (9 c_{l-1} c_l + c_l) + 2 c_l + (9 c_l^2 + c_l) + 2 c_l   (c_{-1} = in_channels)
    decoder level l : (k^2 c_{l+1} c_l + c_l) + 2 (9 c_l^2 + c_l + 2 c_l)
    head            : c_0 n_classes + n_classes

For the ``paper`` preset (base 32, depth 4, 1 input channel, 2 classes,
2x2 transposed convolutions) this gives **6,982,082** trainable parameters
(plus 5,888 batch-norm running statistics, which are buffers, not
parameters). DESIGN.md measured 7.85 M for "base 32, 5 levels": that figure is
reproduced exactly (7,852,482) with 3x3 transposed convolutions, i.e. the
difference is ``5 * sum_l c_{l+1} c_l = 870,400`` weights of the up-sampling
kernels. 3x3 transposed kernels are common in Keras U-Nets, but the paper
states 2x2, so the presets use 2x2; ``UNetConfig(up_kernel=3)`` reproduces
the 7.85 M network. Concatenated skips instead of summed ones would add
783,360 more weights. :func:`parameter_count` evaluates the formula.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

import torch
from torch import nn

from ..errors import RadioUNetError
from .config import PRESETS, UNetConfig, _preset, parameter_count

__all__ = [
    "UNetConfig",
    "PRESETS",
    "RadioUNet",
    "build_model",
    "parameter_count",
]


def _graph_capture() -> bool:
    """True while tracing/exporting/compiling: shape checks must not become graph guards then."""
    compiler = getattr(torch, "compiler", None)
    checks = [torch.jit.is_tracing, torch.onnx.is_in_onnx_export]
    for name in ("is_compiling", "is_exporting"):
        if compiler is not None and hasattr(compiler, name):
            checks.append(getattr(compiler, name))
    return any(check() for check in checks)


class ConvBlock(nn.Sequential):
    """Two (3x3 'same' convolution, batch norm, ReLU) blocks."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class UpBlock(nn.Module):
    """Stride-2 transposed convolution + ReLU, summed with the skip, then a :class:`ConvBlock`."""

    def __init__(self, in_channels: int, out_channels: int, *, kernel: int = 2):
        super().__init__()
        if kernel == 2:
            self.up = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=2, stride=2)
        else:  # 3x3 kernel, 'same'-style: output exactly twice the input size
            self.up = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=3, stride=2, padding=1, output_padding=1)
        self.act = nn.ReLU(inplace=True)
        self.conv = ConvBlock(out_channels, out_channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.conv(self.act(self.up(x)) + skip)


class RadioUNet(nn.Module):
    """The Radio U-Net: a fully convolutional segmentation network.

    Parameters
    ----------
    config : UNetConfig, optional
        The architecture; default the ``paper`` preset.

    Notes
    -----
    ``forward(x)`` takes a float tensor ``(N, in_channels, H, W)`` of
    normalised images (see :func:`radio_unet.data.normalize`) with ``H`` and
    ``W`` multiples of ``2**depth`` and returns logits ``(N, n_classes, H,
    W)``. See the module docstring for the parameter count.

    Examples
    --------
    >>> model = RadioUNet(UNetConfig(base_filters=4, depth=2)).eval()
    >>> model.predict_proba(torch.zeros(1, 1, 32, 32)).shape
    torch.Size([1, 2, 32, 32])
    """

    def __init__(self, config: UNetConfig | None = None):
        super().__init__()
        self.config = config if config is not None else PRESETS["paper"]
        cfg = self.config
        ch = cfg.channels
        self.encoder = nn.ModuleList()
        c_prev = cfg.in_channels
        for c_l in ch:
            self.encoder.append(ConvBlock(c_prev, c_l))
            c_prev = c_l
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(cfg.dropout) if cfg.dropout > 0 else nn.Identity()
        # decoder[i] brings level i+1 up to level i; applied deepest first.
        self.decoder = nn.ModuleList(UpBlock(ch[i + 1], ch[i], kernel=cfg.up_kernel) for i in range(cfg.depth))
        self.head = nn.Conv2d(ch[0], cfg.n_classes, kernel_size=1)

    def check_input(self, x: torch.Tensor) -> None:
        """Raise :class:`~radio_unet.errors.RadioUNetError` unless ``x`` is a valid input batch."""
        cfg = self.config
        if x.ndim != 4:
            raise RadioUNetError(f"the U-Net expects a 4-D batch (N, {cfg.in_channels}, H, W), got shape {tuple(x.shape)}")
        if x.shape[1] != cfg.in_channels:
            raise RadioUNetError(f"the U-Net expects {cfg.in_channels} input channel(s), got {x.shape[1]}")
        h, w = int(x.shape[-2]), int(x.shape[-1])
        d = cfg.divisor
        if h % d or w % d or h == 0 or w == 0:
            raise RadioUNetError(
                f"input size {h}x{w} is not a multiple of {d} (2**depth with depth={cfg.depth}); "
                f"pad or crop to e.g. {max(d, (h // d) * d)}x{max(d, (w // d) * d)}"
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return class logits ``(N, n_classes, H, W)`` for a batch ``(N, C, H, W)``."""
        if not _graph_capture():
            self.check_input(x)
        skips = []
        for level, block in enumerate(self.encoder):
            x = block(x)
            if level < self.config.depth:
                skips.append(x)
                x = self.drop(self.pool(x))
        for level in reversed(range(self.config.depth)):
            x = self.decoder[level](x, skips[level])
        return self.head(x)

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities: the softmax of :meth:`forward` over the class axis.

        The mode is not changed: call ``model.eval()`` first for inference
        (batch norm with running statistics, no dropout).
        """
        return torch.softmax(self.forward(x), dim=1)

    def num_parameters(self) -> int:
        """Number of trainable parameters (``sum(p.numel())``)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


def build_model(config: UNetConfig | Mapping[str, Any] | str = "paper", **overrides: Any) -> RadioUNet:
    """Build a :class:`RadioUNet`.

    Parameters
    ----------
    config : UNetConfig, dict or str
        A configuration, a dictionary of :class:`UNetConfig` fields (optionally
        with ``"preset"``), or a preset name (``"paper"``, ``"lite"``).
    **overrides
        Fields to change, e.g. ``base_filters=8``.

    Returns
    -------
    RadioUNet
        A freshly initialised network (training mode).
    """
    if isinstance(config, UNetConfig):
        cfg = config
    elif isinstance(config, str):
        cfg = _preset(config)
    elif isinstance(config, Mapping):
        cfg = UNetConfig.from_dict(config)
    else:
        raise RadioUNetError(f"cannot build a model from {type(config).__name__}: give a preset name, a dict or a UNetConfig")
    if overrides:
        UNetConfig.check_keys(overrides)
        changed = any(overrides[k] != getattr(cfg, k) for k in overrides)
        cfg = replace(cfg, **overrides, **({"name": "custom"} if changed and "name" not in overrides else {}))
    return RadioUNet(cfg)
