"""Figures of evaluation scores: per-image IoU and source precision/recall per method."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .panels import save_figure

__all__ = ["save_score_plot"]


def save_score_plot(scores: pd.DataFrame, summary: pd.DataFrame, path: str | Path) -> Path:
    """Box plot of the per-image mean IoU per method and bars of pooled source precision/recall."""
    import matplotlib.pyplot as plt

    methods = list(summary["method"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    data = [scores.loc[scores["method"] == m, "mean_iou"].dropna() for m in methods]
    axes[0].boxplot(data, showmeans=True)
    axes[0].set_xticks(range(1, len(methods) + 1), methods, rotation=25, ha="right")
    axes[0].set_ylabel("mean IoU per image (paper eq. 5)")
    axes[0].set_ylim(0, 1)
    width = 0.38
    x = range(len(methods))
    axes[1].bar([i - width / 2 for i in x], summary["source_precision"], width, label="precision")
    axes[1].bar([i + width / 2 for i in x], summary["source_recall"], width, label="recall")
    axes[1].set_xticks(list(x), methods, rotation=25, ha="right")
    axes[1].set_ylim(0, 1)
    axes[1].set_ylabel("sources > 10 px (pooled)")
    axes[1].legend()
    fig.suptitle(f"{scores['id'].nunique()} images")
    return save_figure(fig, path)
