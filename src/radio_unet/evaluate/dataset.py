"""Evaluate a model (and the classical baselines) over a simulated data set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..errors import RadioUNetError
from ..io import read_image
from .metrics import score_map, threshold_baseline

__all__ = ["baseline_maps", "evaluate_image", "evaluate_dataset", "summarize"]


def baseline_maps(observed: np.ndarray, *, beam_sigma_pixels: float) -> dict[str, np.ndarray]:
    """The classical baselines on one observed image: 3 sigma at native resolution and after smoothing.

    The smoothed baseline convolves with a Gaussian of the beam's size (sigma in
    pixels), which roughly doubles the beam area, before thresholding at 3 sigma
    of the smoothed image.
    """
    return {
        "3sigma": threshold_baseline(observed, nsigma=3.0),
        "3sigma_smoothed": threshold_baseline(observed, nsigma=3.0, smooth_pixels=beam_sigma_pixels),
    }


def evaluate_image(prob: np.ndarray | None, observed, truth: np.ndarray, *, threshold: float = 0.5) -> list[dict]:
    """Scores of the network (when ``prob`` is given) and of the baselines on one image."""
    valid = np.isfinite(observed.data)
    sigma_pix = observed.require_beam().major / observed.pixel_scale_arcsec / (2 * np.sqrt(2 * np.log(2)))
    rows = []
    if prob is not None:
        rows.append({"method": "radio-unet", **score_map(np.nan_to_num(prob), truth, threshold=threshold, valid=valid)})
    for name, mask in baseline_maps(observed.data, beam_sigma_pixels=sigma_pix).items():
        rows.append({"method": name, **score_map(mask.astype(np.float32), truth, threshold=0.5, valid=valid)})
    return rows


def evaluate_dataset(folder: str | Path, *, predict_image=None, ids=None, threshold: float = 0.5) -> pd.DataFrame:
    """Score every image of a ``radio-unet simulate`` folder.

    Parameters
    ----------
    folder : str or path-like
        Folder with ``manifest.csv``.
    predict_image : callable, optional
        ``predict_image(RadioImage) -> probability map``; without it only the
        baselines are scored.
    ids : sequence of str, optional
        Image ids to evaluate (e.g. the held-out test split); default all.
    threshold : float
        Probability threshold of the network's mask.

    Returns
    -------
    pandas.DataFrame
        One row per (image, method).
    """
    folder = Path(folder)
    manifest = folder / "manifest.csv"
    if not manifest.exists():
        raise RadioUNetError(f"{folder}: no manifest.csv (is this a radio-unet simulate folder?)")
    table = pd.read_csv(manifest)
    if ids is not None:
        table = table[table["id"].isin(list(ids))]
        if table.empty:
            raise RadioUNetError(f"{folder}: none of the requested image ids is in the manifest")
    rows = []
    for _, rec in tqdm(list(table.iterrows()), desc="evaluate", unit="image"):
        observed = read_image(folder / rec["image"])
        truth = read_image(folder / rec["mask"]).data > 0
        prob = predict_image(observed) if predict_image is not None else None
        for row in evaluate_image(prob, observed, truth, threshold=threshold):
            rows.append({"id": rec["id"], **row})
    return pd.DataFrame(rows)


def summarize(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean IoU and pooled source precision/recall per method.

    Source precision and recall are pooled over images (sums of counts), so
    images without sources do not produce undefined averages.
    """
    grouped = scores.groupby("method", sort=False)
    out = grouped.agg(
        images=("id", "nunique"),
        mean_iou=("mean_iou", "mean"),
        mean_iou_std=("mean_iou", "std"),
        pixel_precision=("pixel_precision", "mean"),
        pixel_recall=("pixel_recall", "mean"),
        n_true=("n_true", "sum"),
        n_pred=("n_pred", "sum"),
        n_found=("n_found", "sum"),
        n_correct=("n_correct", "sum"),
    )
    out["source_precision"] = out["n_correct"] / out["n_pred"].where(out["n_pred"] > 0)
    out["source_recall"] = out["n_found"] / out["n_true"].where(out["n_true"] > 0)
    return out.reset_index()
