"""Figures of a cross-validation run: ROC curves, the confusion matrix, generated next to real images."""

from __future__ import annotations

from os import PathLike

import numpy as np

from ..io.atomic import atomic_path

__all__ = ["plot_roc", "plot_confusion", "plot_gallery"]


def _save(fig, path):
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")


def plot_roc(runs, path: str | PathLike, title: str = "") -> None:
    """One ROC curve per repeat (out-of-fold predictions) and the chance line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    for labels, prob, _ in runs:
        if len(np.unique(labels)) == 2:
            fpr, tpr, _ = roc_curve(labels, prob)
            ax.plot(fpr, tpr, color="C0", alpha=0.35, lw=1)
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set_xlabel("false positive rate (1 - specificity)")
    ax.set_ylabel("true positive rate (recall)")
    ax.set_title(title, fontsize=9)
    _save(fig, path)
    plt.close(fig)


def plot_confusion(runs, path: str | PathLike, title: str = "") -> None:
    """The confusion matrix summed over repeats, as fractions of each true class, with the counts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.zeros((2, 2))
    for labels, prob, _ in runs:
        pred = (np.asarray(prob) >= 0.5).astype(int)
        for t in (0, 1):
            for p in (0, 1):
                cm[t, p] += np.sum((np.asarray(labels) == t) & (pred == p))
    frac = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(3.6, 3.2))
    ax.imshow(frac, vmin=0, vmax=1, cmap="Blues")
    for t in (0, 1):
        for p in (0, 1):
            ax.text(p, t, f"{frac[t, p]:.2f}\n({int(cm[t, p])})", ha="center", va="center",
                    color="white" if frac[t, p] > 0.5 else "black", fontsize=9)
    ax.set_xticks([0, 1], ["no halo", "halo"])
    ax.set_yticks([0, 1], ["no halo", "halo"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    _save(fig, path)
    plt.close(fig)


def plot_gallery(real: np.ndarray, real_labels, fake: np.ndarray, fake_labels, path: str | PathLike,
                 n: int = 6, channel: int = -1) -> None:
    """Rows: real halos, generated halos, real non-halos, generated non-halos (one band)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [("real halo", real, real_labels, 1), ("generated halo", fake, fake_labels, 1),
            ("real no halo", real, real_labels, 0), ("generated no halo", fake, fake_labels, 0)]
    fig, axes = plt.subplots(4, n, figsize=(1.6 * n, 6.8))
    for r, (name, imgs, labels, cls) in enumerate(rows):
        sel = np.flatnonzero(np.asarray(labels) == cls)[:n]
        for c in range(n):
            ax = axes[r, c]
            ax.axis("off")
            if c < len(sel):
                ax.imshow(imgs[sel[c], channel], origin="lower", vmin=0, vmax=1, cmap="inferno")
        axes[r, 0].set_title(name, fontsize=8, loc="left")
    _save(fig, path)
    plt.close(fig)
