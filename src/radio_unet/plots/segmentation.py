"""The segmentation figure: input image with the 0.5 contour | probability map (| true mask)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .panels import save_figure, show_linear

__all__ = ["save_segmentation_figure"]


def save_segmentation_figure(
    path: str | Path,
    image: np.ndarray,
    prob: np.ndarray,
    *,
    truth: np.ndarray | None = None,
    threshold: float = 0.5,
    title: str = "",
    contour: np.ndarray | None = None,
) -> Path:
    """Save a PNG: image + probability contour, probability map, and the true mask when given.

    ``contour`` is the map whose ``threshold`` contour is drawn (default
    ``prob``; e.g. ``prob`` with the islands that a peak threshold drops set
    to 0).
    """
    import matplotlib.pyplot as plt

    contour = np.nan_to_num(prob if contour is None else contour)

    n = 3 if truth is not None else 2
    fig, axes = plt.subplots(1, n, figsize=(5.6 * n, 5))
    show_linear(axes[0], image, title=f"{title} input, {threshold:g} contour (cyan)".strip(), label="Jy/beam")
    axes[0].contour(contour, levels=[threshold], colors="cyan", linewidths=0.7)
    im = axes[1].imshow(prob, origin="lower", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    axes[1].set_title("probability of diffuse emission", fontsize=9)
    fig.colorbar(im, ax=axes[1], fraction=0.046, pad=0.02)
    if truth is not None:
        show_linear(axes[2], image, title="true mask (white) and network (cyan)", label="Jy/beam")
        axes[2].contour(truth.astype(float), levels=[0.5], colors="white", linewidths=0.7)
        axes[2].contour(contour, levels=[threshold], colors="cyan", linewidths=0.7)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return save_figure(fig, path)
