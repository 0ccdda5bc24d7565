"""Small halo classifiers: the talk's simple CNN, multi-head attention CNN and fully connected network.

Each maps ``(batch, channels, size, size)`` images in [0, 1] to one logit of P(halo). :func:`build_classifier`
makes one from a JSON-able config, which is what a model card stores.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import RadioUNetError

__all__ = ["SimpleCNN", "AttentionCNN", "FullyConnected", "MODELS", "build_classifier", "n_parameters"]


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.MaxPool2d(2))


class SimpleCNN(nn.Module):
    """Four 3x3 convolution blocks (16-32-48-64 channels, max pooling), global average pooling, dropout, a linear head.

    About 0.05 M parameters with 4 input channels, as the talk's simple CNN.
    """

    def __init__(self, in_channels: int = 4, width: int = 16, dropout: float = 0.3):
        super().__init__()
        w = width
        self.features = nn.Sequential(_block(in_channels, w), _block(w, 2 * w), _block(2 * w, 3 * w), _block(3 * w, 4 * w))
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(4 * w, 1))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled features before the head (the encoder used for Frechet distances)."""
        return self.features(x).mean(dim=(-2, -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x)).squeeze(-1)


class AttentionCNN(nn.Module):
    """A convolutional stem to an 8x8 grid of tokens, multi-head self-attention over them, mean pooling, a head."""

    def __init__(self, in_channels: int = 4, width: int = 16, heads: int = 4, dropout: float = 0.3):
        super().__init__()
        w = width
        d = 2 * w
        self.stem = nn.Sequential(_block(in_channels, w), _block(w, d), _block(d, d), nn.AdaptiveAvgPool2d(8))
        self.pos = nn.Parameter(torch.zeros(1, 64, d))
        self.attn = nn.MultiheadAttention(d, heads, dropout=0.1, batch_first=True)
        self.norm1 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
        self.norm2 = nn.LayerNorm(d)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(d, 1))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Mean of the attended tokens."""
        t = self.stem(x).flatten(2).transpose(1, 2) + self.pos
        a, _ = self.attn(t, t, t, need_weights=False)
        t = self.norm1(t + a)
        t = self.norm2(t + self.mlp(t))
        return t.mean(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x)).squeeze(-1)


class FullyConnected(nn.Module):
    """A fully connected network on the image downsampled to 16x16 (the pixels of every band, flattened)."""

    def __init__(self, in_channels: int = 4, size: int = 64, hidden: int = 128, dropout: float = 0.3):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(16)
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 256, hidden), nn.ReLU(inplace=True),
                                  nn.Dropout(dropout), nn.Linear(hidden, hidden // 2), nn.ReLU(inplace=True))
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden // 2, 1))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer."""
        return self.body(self.pool(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x)).squeeze(-1)


#: Names of the classifiers (``sim-pretrained`` is a simple CNN pre-trained on simulated fields).
MODELS = {"simple-cnn": SimpleCNN, "attention-cnn": AttentionCNN, "fc": FullyConnected, "sim-pretrained": SimpleCNN}


def build_classifier(config: dict) -> nn.Module:
    """A classifier from ``{"name": ..., "in_channels": ..., "size": ...}`` (extra keys: constructor arguments).

    Examples
    --------
    >>> m = build_classifier({"name": "simple-cnn", "in_channels": 4, "size": 64})
    >>> 0.04e6 < n_parameters(m) < 0.07e6
    True
    """
    config = dict(config)
    name = config.pop("name", None)
    if name not in MODELS:
        raise RadioUNetError(f"unknown classifier {name!r} (choose from {', '.join(MODELS)})")
    size = config.pop("size", 64)
    cls = MODELS[name]
    if cls is FullyConnected:
        config["size"] = size
    return cls(**config)


def n_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
