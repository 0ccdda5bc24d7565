"""The networks of the counts estimator (PyTorch).

:class:`TileSetEmbedding`: a small CNN embeds every tile of a field (a
stride-2 5x5 convolution, a 3x3 one and a 1x1 one, then the mean over the
tile's pixels: a learned generalisation of the pixel histogram), the tile
embeddings are averaged over the field (a permutation-invariant set
aggregation: any number of tiles, in any order), joined with the pixel
histogram and the context (noise, beam, pixel size), and an MLP turns them
into a mean and a log-width per bin (trained with a Gaussian likelihood).
These ``2 K`` numbers are the summary that the neural posterior estimator
(:mod:`radio_unet.counts.npe`) conditions on.

:class:`TalkCNN`: the baseline of Regis et al. (2023): a CNN regressing the
counts per bin from one whole field with an MSE loss (the context joined
before the dense layers, since our fields' noise and beam vary).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["TileEncoder", "TileSetEmbedding", "TalkCNN"]


class TileEncoder(nn.Module):
    """Per-tile features: convolutions, then the mean over the tile's pixels.

    Parameters
    ----------
    width : int
        Number of features per tile.
    """

    def __init__(self, width: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 5, stride=2, padding=2), nn.SiLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.SiLU(),
            nn.Conv2d(32, width, 1), nn.SiLU(),
        )

    def forward(self, tiles: torch.Tensor) -> torch.Tensor:
        """``(N, T, T)`` tiles -> ``(N, width)`` features."""
        return self.net(tiles.unsqueeze(1)).mean(dim=(2, 3))


class TileSetEmbedding(nn.Module):
    """Field summary from a set of tiles, the pixel histogram and the context.

    Parameters
    ----------
    n_hist : int
        Length of the histogram features.
    n_context : int
        Length of the context vector.
    n_bins : int
        Number of flux bins ``K``; the output has ``2 K`` entries.
    width : int
        Tile features.
    hidden : int
        Width of the MLP.

    Notes
    -----
    The histogram and context are standardised inside (buffers ``in_mean``
    and ``in_std``, set from the training set), so the saved weights carry
    everything needed.
    """

    def __init__(self, n_hist: int, n_context: int, n_bins: int, *, width: int = 32, hidden: int = 96):
        super().__init__()
        self.encoder = TileEncoder(width)
        n_in = width + n_hist + n_context
        self.register_buffer("in_mean", torch.zeros(n_hist + n_context))
        self.register_buffer("in_std", torch.ones(n_hist + n_context))
        self.head = nn.Sequential(nn.Linear(n_in, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                  nn.Linear(hidden, 2 * n_bins))
        self.n_bins = n_bins

    def forward(self, tiles: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        """``(B, n, T, T)`` tiles and ``(B, n_hist + n_context)`` -> ``(B, 2 K)``: means, then log-widths."""
        b, n, t, _ = tiles.shape
        f = self.encoder(tiles.reshape(b * n, t, t)).reshape(b, n, -1).mean(dim=1)
        z = (extra - self.in_mean) / self.in_std
        return self.head(torch.cat([f, z], dim=1))

    def gaussian_nll(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean Gaussian negative log-likelihood of standardised targets ``y`` under ``out``."""
        mu, log_s = out[:, : self.n_bins], out[:, self.n_bins:].clamp(-6.0, 3.0)
        return (0.5 * ((y - mu) / log_s.exp()) ** 2 + log_s).mean()


class TalkCNN(nn.Module):
    """CNN regression of the counts per bin from a whole field (the talk's method), context joined.

    Parameters
    ----------
    n_context : int
    n_bins : int
    """

    def __init__(self, n_context: int, n_bins: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 5, stride=2, padding=2), nn.SiLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.SiLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 3, padding=1), nn.SiLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.SiLU(), nn.AdaptiveAvgPool2d(4),
        )
        self.register_buffer("ctx_mean", torch.zeros(n_context))
        self.register_buffer("ctx_std", torch.ones(n_context))
        self.head = nn.Sequential(nn.Linear(64 * 16 + n_context, 128), nn.SiLU(), nn.Linear(128, n_bins))

    def forward(self, field: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """``(B, H, W)`` field and ``(B, n_context)`` -> ``(B, K)`` counts in units of their training means."""
        f = self.features(field.unsqueeze(1)).flatten(1)
        return self.head(torch.cat([f, (context - self.ctx_mean) / self.ctx_std], dim=1))
