"""Quick-look gallery of a simulated data set: sky model | observed image | mask | labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..io import read_image

__all__ = ["save_gallery", "plot_example"]


def plot_example(axes, sky: np.ndarray, observed: np.ndarray, mask: np.ndarray, labels: np.ndarray, *, title: str = ""):
    """Draw one simulated field on four axes."""
    from matplotlib.colors import ListedColormap

    from ..plots import show_linear, show_log  # matplotlib: only when drawing the gallery

    show_log(axes[0], sky, title=f"{title} sky model", label="Jy/pixel")
    show_linear(axes[1], observed, title="observed", label="Jy/beam")
    show_linear(axes[2], observed, title="observed + mask (cyan)", label="Jy/beam")
    axes[2].contour(mask.astype(float), levels=[0.5], colors="cyan", linewidths=0.6)
    colours = ["black", "tab:red", "tab:orange", "tab:pink", "tab:green", "tab:blue", "white", "tab:gray"]
    axes[3].imshow(labels, origin="lower", cmap=ListedColormap(colours), vmin=-0.5, vmax=7.5, interpolation="nearest")
    axes[3].set_title("labels: halo relic mini-halo filament RG compact", fontsize=7)
    axes[3].set_xticks([])
    axes[3].set_yticks([])


def save_gallery(folder: str | Path, rows: pd.DataFrame, path: str | Path) -> Path | None:
    """Save a PNG with one row of panels per manifest row (files relative to ``folder``)."""
    import matplotlib.pyplot as plt

    from ..plots import save_figure  # matplotlib: only when drawing the gallery

    folder = Path(folder)
    if len(rows) == 0:
        return None
    fig, axes = plt.subplots(len(rows), 4, figsize=(17, 4 * len(rows)), squeeze=False)
    for ax_row, (_, row) in zip(axes, rows.iterrows()):
        data = {k: read_image(folder / row[k]).data for k in ("sky", "image", "mask", "labels")}
        plot_example(ax_row, data["sky"], data["image"], data["mask"] > 0, data["labels"], title=str(row["id"]))
    return save_figure(fig, path)
