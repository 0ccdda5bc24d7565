"""Figures of the per-target analysis: one panel pair per target, an overview gallery, R histograms, metrics vs threshold."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np

from ..io.atomic import atomic_path
from ..plots.panels import image_limits, show_linear

__all__ = [
    "png_signature",
    "save_png",
    "thumbnail",
    "save_target_figure",
    "save_gallery",
    "save_ratio_histograms",
    "save_sweep_figure",
]

_KEY = "radio-unet"


def png_signature(path: str | Path) -> str | None:
    """The settings text stored in a PNG by :func:`save_png` (None when absent or unreadable)."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            return im.text.get(_KEY)
    except Exception:  # noqa: BLE001 - a missing or broken PNG is simply redone
        return None


def save_png(fig, path: str | Path, *, signature: str = "", dpi: int = 100) -> Path:
    """Save ``fig`` atomically as PNG with ``signature`` in a text chunk, and close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png", metadata={_KEY: signature} if signature else None)
    plt.close(fig)
    return path


def _block_mean(a: np.ndarray, factor: int) -> np.ndarray:
    if factor <= 1:
        return np.asarray(a, np.float32)
    ny, nx = (s // factor * factor for s in a.shape)
    if ny == 0 or nx == 0:
        return np.asarray(a, np.float32)
    blocks = np.asarray(a[:ny, :nx], np.float32).reshape(ny // factor, factor, nx // factor, factor)
    with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as sup:
        sup.filter(RuntimeWarning)
        return np.nanmean(blocks, axis=(1, 3))


def _shrink(image: np.ndarray, prob: np.ndarray | None, center_xy, radius_pix: float, size: int):
    """Block-average ``image`` and ``prob`` so that the longest side is about ``size``; the R circle in the new pixels."""
    factor = max(1, math.ceil(max(image.shape) / size))
    center = tuple((c + 0.5) / factor - 0.5 for c in center_xy)
    small_prob = None if prob is None else _block_mean(prob, factor)
    return _block_mean(image, factor), small_prob, center, radius_pix / factor


def thumbnail(image: np.ndarray, prob: np.ndarray | None, *, center_xy, radius_pix: float, size: int = 96,
              limits: tuple[float, float] | None = None) -> dict:
    """A small picture of one target for the gallery (uint8, a few kB).

    Parameters
    ----------
    image : numpy.ndarray
        The radio cut-out.
    prob : numpy.ndarray or None
        The probability map on the same grid (None: no contour).
    center_xy, radius_pix :
        The circle of the detection ratio, in cut-out pixels.
    size : int
        Longest side of the thumbnail.
    limits : (float, float), optional
        Display limits (default: from the robust noise, :func:`radio_unet.plots.image_limits`).

    Returns
    -------
    dict
        ``image`` (uint8: 0 = blank, 1..255 low to high between display
        limits from the robust noise), ``prob`` (uint8 0..250 for p 0..1, or None),
        ``center`` and ``radius`` in thumbnail pixels.
    """
    small, small_prob, center, radius = _shrink(image, prob, center_xy, radius_pix, size)
    lo, hi = image_limits(image) if limits is None else limits
    scaled = np.clip((np.nan_to_num(small, nan=lo) - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    pixels = np.round(1 + scaled * 254).astype(np.uint8)  # 1..255; 0 marks blank
    pixels[~np.isfinite(small)] = 0
    out = {"image": pixels, "prob": None, "center": center, "radius": radius}
    if small_prob is not None:
        out["prob"] = np.round(np.clip(np.nan_to_num(small_prob), 0, 1) * 250).astype(np.uint8)
    return out


def _circle(ax, center, radius, **kw):
    from matplotlib.patches import Circle

    if np.isfinite(radius) and np.all(np.isfinite(center)):
        ax.add_patch(Circle(center, radius, fill=False, **kw))


def save_target_figure(
    path: str | Path,
    image: np.ndarray,
    prob: np.ndarray | None,
    *,
    center_xy,
    radius_pix: float,
    contour: float = 0.5,
    title: str = "",
    text: str = "",
    signature: str = "",
    limits: tuple[float, float] | None = None,
    display_pixels: int = 512,
) -> Path:
    """Save the figure of one target: image with the ``contour`` probability contour and the R circle | probability map.

    Parameters
    ----------
    path : path
        PNG to write (atomically).
    image, prob : numpy.ndarray
        Cut-out and probability map on the same grid (``prob`` may be None).
    center_xy, radius_pix :
        Circle of the detection ratio, in pixels.
    contour : float
        Probability contour drawn on the image.
    title, text : str
        Figure title and a line of numbers under it.
    signature : str
        Stored in the PNG (see :func:`png_signature`).
    limits : (float, float), optional
        Display limits of the image (default: from the robust noise of the full-resolution image).
    display_pixels : int
        Maps larger than this are block-averaged to about this size before drawing.
    """
    import matplotlib.pyplot as plt

    limits = image_limits(image) if limits is None else limits
    # Each panel is ~450 screen pixels wide: average blocks down to that first (4x less to draw and contour).
    image, prob, center_xy, radius_pix = _shrink(image, prob, center_xy, radius_pix, display_pixels)
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 5.2))
    fig.subplots_adjust(left=0.03, right=0.95, wspace=0.32)  # room for the image colour bar, its label and offset
    show_linear(axes[0], image, title="image, p=%g contour (cyan), R circle (white)" % contour, label="Jy/beam",
                limits=limits)
    if prob is not None and np.isfinite(prob).any():
        axes[0].contour(np.nan_to_num(prob), levels=[contour], colors="cyan", linewidths=0.8)
    _circle(axes[0], center_xy, radius_pix, edgecolor="white", linestyle="--", linewidth=1.0)
    if prob is not None:
        im = axes[1].imshow(prob, origin="lower", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        fig.colorbar(im, ax=axes[1], fraction=0.046, pad=0.02)
    axes[1].set_title("probability of diffuse emission", fontsize=9)
    _circle(axes[1], center_xy, radius_pix, edgecolor="white", linestyle="--", linewidth=1.0)
    for ax in axes:
        ax.set_xlim(-0.5, image.shape[1] - 0.5)
        ax.set_ylim(-0.5, image.shape[0] - 0.5)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{title}\n{text}".strip(), fontsize=10)
    return save_png(fig, path, signature=signature)


def save_gallery(
    path: str | Path,
    entries: Sequence[dict],
    *,
    columns: int = 8,
    title: str = "",
) -> Path:
    """Save an overview of many targets from their thumbnails.

    Parameters
    ----------
    path : path
    entries : sequence of dict
        Each with ``thumb`` (from :func:`thumbnail`), ``name``, ``R`` and
        ``detected``; shown in the given order.
    columns : int
    title : str
    """
    import matplotlib.pyplot as plt

    n = max(len(entries), 1)
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols, 2.5 * rows), squeeze=False)
    cmap = plt.get_cmap("inferno").with_extremes(bad="lightgrey")
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, e in zip(axes.ravel(), entries):
        thumb = e["thumb"]
        ax.imshow(np.ma.masked_equal(thumb["image"], 0), origin="lower", cmap=cmap, vmin=1, vmax=255,
                  interpolation="nearest")
        if thumb["prob"] is not None and thumb["prob"].max() > 125 and min(thumb["prob"].shape) > 1:
            ax.contour(thumb["prob"], levels=[125], colors="cyan", linewidths=0.6)
        _circle(ax, thumb["center"], thumb["radius"], edgecolor="white", linestyle="--", linewidth=0.6)
        ax.set_xlim(-0.5, thumb["image"].shape[1] - 0.5)
        ax.set_ylim(-0.5, thumb["image"].shape[0] - 0.5)
        r = e.get("R", float("nan"))
        mark = "detected" if e.get("detected") else ""
        label = f" [{e['label']}]" if e.get("label") else ""
        ax.set_title(f"{e['name']}{label}\nR={r:.4f} {mark}", fontsize=6.5, color="darkred" if mark else "black")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_png(fig, path)


def save_ratio_histograms(path: str | Path, scores, truth, *, threshold: float, best: float | None = None) -> Path:
    """Histograms of R for positives and negatives with their medians and the thresholds.

    Parameters
    ----------
    path : path
    scores : array_like
        R (NaN ones are left out).
    truth : array_like of bool
    threshold : float
        The chosen threshold (dashed black).
    best : float, optional
        The best-accuracy threshold (dotted grey).
    """
    import matplotlib.pyplot as plt

    s = np.asarray(scores, float)
    t = np.asarray(truth, bool)
    keep = np.isfinite(s)
    s, t = s[keep], t[keep]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    top = max(float(s.max()) if s.size else 1.0, threshold) * 1.05 or 1.0
    bins = np.linspace(0.0, top, 31)
    for cls, colour, name in ((True, "tab:red", "with diffuse emission"), (False, "tab:blue", "without")):
        values = s[t == cls]
        if values.size:
            ax.hist(values, bins=bins, histtype="step", color=colour, linewidth=1.5,
                    label=f"{name} (N={values.size}, median {np.median(values):.4f})")
            ax.axvline(np.median(values), color=colour, linewidth=1.0)
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1.0, label=f"threshold {threshold:g}")
    if best is not None and np.isfinite(best):
        ax.axvline(best, color="grey", linestyle=":", linewidth=1.2, label=f"best accuracy {best:.4g}")
    ax.set_xlabel("detection ratio R")
    ax.set_ylabel("targets")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save_png(fig, path)


def save_sweep_figure(path: str | Path, sweep, *, threshold: float, best: float | None = None) -> Path:
    """Accuracy, precision, recall and F1 against the R threshold."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    th = np.asarray(sweep["threshold"], float)
    for key, colour in (("accuracy", "black"), ("precision", "tab:blue"), ("recall", "tab:red"), ("f1", "tab:green")):
        # A threshold t detects R >= t: the metrics hold from the previous threshold (exclusive) up to t.
        ax.step(th, np.asarray(sweep[key], float), where="pre", color=colour, label=key, linewidth=1.3)
    ax.axvline(threshold, color="black", linestyle="--", linewidth=0.9, label=f"threshold {threshold:g}")
    if best is not None and np.isfinite(best):
        ax.axvline(best, color="grey", linestyle=":", linewidth=1.2, label=f"best accuracy {best:.4g}")
    ax.set_xlabel("R threshold")
    ax.set_ylabel("score")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save_png(fig, path)
