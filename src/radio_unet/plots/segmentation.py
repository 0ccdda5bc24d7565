"""The segmentation figure: input image with the 0.5 contour | probability map (| true mask)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .panels import save_figure, show_linear

__all__ = ["save_segmentation_figure", "show_classes"]


def save_segmentation_figure(
    path: str | Path,
    image: np.ndarray,
    prob: np.ndarray,
    *,
    truth: np.ndarray | None = None,
    threshold: float = 0.5,
    title: str = "",
    contour: np.ndarray | None = None,
    classes: np.ndarray | None = None,
    class_names: list[str] | None = None,
    removed: np.ndarray | None = None,
) -> Path:
    """Save a PNG: image + probability contour, probability map, the class map of a classification network and the
    true mask when given.

    ``contour`` is the map whose ``threshold`` contour is drawn (default
    ``prob``; e.g. ``prob`` with the islands that a peak threshold drops set
    to 0). ``classes`` is an integer class map (values above the last of
    ``class_names`` are blank). ``removed`` is a mask of islands taken out
    as calibration artefacts (:mod:`radio_unet.segment.artefacts`), outlined
    in red on the input.
    """
    from matplotlib.figure import Figure

    contour = np.nan_to_num(prob if contour is None else contour)

    n = 2 + (truth is not None) + (classes is not None)
    # no pyplot: segment's picture is drawn without its import; fixed margins, so that saving draws it once
    # (bbox_inches="tight" draws it twice, the constrained layout engine costs more still)
    fig = Figure(figsize=(5.6 * n, 5))
    right = 1 - (1.2 if classes is not None else 0.9) / (5.6 * n)  # inches for the last colour bar's labels
    axes = fig.subplots(1, n, gridspec_kw={"wspace": 0.3, "left": 0.01, "right": right, "bottom": 0.02, "top": 0.93})
    show_linear(axes[0], image, title=f"{title} input, {threshold:g} contour (cyan)".strip(), label="Jy/beam")
    axes[0].contour(contour, levels=[threshold], colors="cyan", linewidths=0.7)
    if removed is not None:
        axes[0].contour(np.asarray(removed, float), levels=[0.5], colors="red", linewidths=0.7, linestyles="dashed")
        axes[0].set_title(f"{title} input, {threshold:g} contour (cyan), artefacts removed (red)".strip(), fontsize=9)
    im = axes[1].imshow(prob, origin="lower", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    axes[1].set_title("probability of diffuse emission", fontsize=9)
    fig.colorbar(im, ax=axes[1], fraction=0.046, pad=0.02)
    if classes is not None:
        show_classes(axes[2], classes, class_names or [])
    if truth is not None:
        show_linear(axes[-1], image, title="true mask (white) and network (cyan)", label="Jy/beam")
        axes[-1].contour(truth.astype(float), levels=[0.5], colors="white", linewidths=0.7)
        axes[-1].contour(contour, levels=[threshold], colors="cyan", linewidths=0.7)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return save_figure(fig, path, tight=False)


def show_classes(ax, classes: np.ndarray, names: list[str]) -> None:
    """Draw an integer class map with one colour per class and a colour bar naming them (blank values: white)."""
    from matplotlib import colormaps
    from matplotlib.colors import BoundaryNorm, ListedColormap

    n = max(len(names), 1)
    cmap = ListedColormap(colormaps["tab10"](np.arange(n) % 10))
    cmap.set_bad("white")
    shown = np.ma.masked_where(np.asarray(classes) >= n, classes)
    im = ax.imshow(shown, origin="lower", cmap=cmap, norm=BoundaryNorm(np.arange(-0.5, n), n), interpolation="nearest")
    bar = ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.02, ticks=np.arange(n))
    bar.ax.set_yticklabels(names, fontsize=7)
    ax.set_title("class (arg-max)", fontsize=9)
