"""Evaluate a model (and the classical baselines) over a simulated data set."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from astropy.stats import gaussian_sigma_to_fwhm
from ..progress import tqdm

from ..errors import RadioUNetError
from ..io import RadioImage, read_image
from .external import external_baseline_maps, resolve_external
from ..islands import active_peak
from .metrics import confusion_matrix, score_map, threshold_baseline

__all__ = ["NETWORK", "network_method", "baseline_maps", "peak_method", "network_rows", "evaluate_image", "card_split_ids", "evaluate_dataset", "summarize"]


def _beam_sigma_pixels(image: RadioImage) -> float:
    """Gaussian sigma of the beam's major axis, in pixels."""
    return image.require_beam().major / image.pixel_scale_arcsec / gaussian_sigma_to_fwhm


def baseline_maps(
    observed: np.ndarray | RadioImage,
    *,
    beam_sigma_pixels: float | None = None,
    external: bool | Sequence[str] | None = True,
) -> dict[str, np.ndarray]:
    """The baselines on one observed image: 3 sigma at native resolution and after smoothing, and external ones.

    The smoothed baseline convolves with a Gaussian of the beam's size (sigma in
    pixels), which roughly doubles the beam area, before thresholding at 3 sigma
    of the smoothed image. The external baselines (PyBDSF in wavelet mode,
    breizorro; see :mod:`radio_unet.evaluate.external`) need the WCS and the
    beam, so they are made only when ``observed`` is a :class:`RadioImage`.

    Parameters
    ----------
    observed : numpy.ndarray or RadioImage
        The observed image; a bare array gives only the two 3-sigma baselines.
    beam_sigma_pixels : float, optional
        Smoothing sigma in pixels; required for an array, taken from the beam
        of a :class:`RadioImage` by default.
    external : bool or sequence of str or None
        External baselines to add: ``True`` (default) every installed one,
        ``False``/``None`` none, or names among ``"pybdsf"``, ``"breizorro"``.

    Returns
    -------
    dict
        Method name -> boolean mask, ``"3sigma"`` and ``"3sigma_smoothed"``
        first. An external baseline that failed on this image (a warning was
        emitted) is absent.

    Raises
    ------
    radio_unet.errors.RadioUNetError
        Named external baselines with a bare array, unknown or not installed.
    """
    image = observed if isinstance(observed, RadioImage) else None
    data = image.data if image is not None else np.asarray(observed)
    if beam_sigma_pixels is None:
        if image is None:
            raise RadioUNetError("baseline_maps: give beam_sigma_pixels with a bare array (or pass the RadioImage)")
        beam_sigma_pixels = _beam_sigma_pixels(image)
    maps = {
        "3sigma": threshold_baseline(data, nsigma=3.0),
        "3sigma_smoothed": threshold_baseline(data, nsigma=3.0, smooth_pixels=beam_sigma_pixels),
    }
    if image is not None:
        maps.update(external_baseline_maps(image, external))
    elif external is not None and not isinstance(external, bool) and len(external) > 0:
        raise RadioUNetError("external baselines need the image's WCS and beam: pass the RadioImage, not its array")
    return maps


#: Method name of the network's plain mask in the score tables.
NETWORK = "radio-unet"


def network_method(tta: bool = False) -> str:
    """The method name of the network's rows: ``radio-unet``, or ``radio-unet tta`` for test-time augmentation."""
    return f"{NETWORK} tta" if tta else NETWORK


def peak_method(peak_threshold: float, network: str = NETWORK) -> str:
    """The method name of the network's mask restricted to islands that peak >= ``peak_threshold``."""
    return f"{network}, peak {peak_threshold:g}"


def network_rows(
    prob: np.ndarray,
    truth: np.ndarray,
    *,
    threshold: float = 0.5,
    peak_threshold: float | None = None,
    valid=None,
    network: str = NETWORK,
) -> list[dict]:
    """Score rows of a probability map: the plain mask, and the islands that peak above ``peak_threshold``.

    Parameters
    ----------
    prob : numpy.ndarray
        Probability map (NaN counts as 0).
    truth : numpy.ndarray of bool
        The true mask.
    threshold : float
        Probability threshold of the mask (0.5: the paper's eq. 5 mask).
    peak_threshold : float, optional
        With a value above ``threshold``, a second row, method ``"<network>,
        peak P"`` (:func:`peak_method`), scores only the islands of that mask whose highest
        probability reaches it (:func:`~radio_unet.islands.island_mask`).
    valid : numpy.ndarray of bool, optional
        Pixels that count.
    network : str
        Method name of the plain row (e.g. ``"radio-unet tta"``).

    Returns
    -------
    list of dict
        ``network`` first, then the peak row when asked for.
    """
    rows = [{"method": network, **score_map(prob, truth, threshold=threshold, valid=valid)}]
    peak = active_peak(threshold, peak_threshold)
    if peak is not None:
        rows.append({"method": peak_method(peak, network), **score_map(prob, truth, threshold=threshold, peak_threshold=peak, valid=valid)})
    return rows


def evaluate_image(
    prob: np.ndarray | None,
    observed: RadioImage,
    truth: np.ndarray,
    *,
    threshold: float = 0.5,
    peak_threshold: float | None = None,
    external: bool | Sequence[str] | None = True,
    network: str = NETWORK,
) -> list[dict]:
    """Scores of the network (when ``prob`` is given) and of the baselines on one image.

    Parameters
    ----------
    prob : numpy.ndarray or None
        The network's probability map on the image's grid.
    observed : RadioImage
        The observed image (it needs a beam).
    truth : numpy.ndarray of bool
        The true mask.
    threshold : float
        Probability threshold of the network's mask.
    peak_threshold : float, optional
        Also score the network's mask restricted to islands that peak at or
        above this probability (see :func:`network_rows`).
    external : bool or sequence of str or None
        External baselines (see :func:`baseline_maps`); by default every
        installed one. One that fails on this image has no row.
    network : str
        Method name of the network's rows (:func:`network_rows`).

    Returns
    -------
    list of dict
        One row per method: ``network`` (with ``prob``; and ``"<network>, peak
        P"`` with ``peak_threshold``), ``"3sigma"``, ``"3sigma_smoothed"``,
        then ``"pybdsf"`` and ``"breizorro"`` when used.
    """
    valid = np.isfinite(observed.data)
    rows = [] if prob is None else network_rows(prob, truth, threshold=threshold, peak_threshold=peak_threshold, valid=valid,
                                                  network=network)
    for name, mask in baseline_maps(observed, external=external).items():
        rows.append({"method": name, **score_map(mask.astype(np.float32), truth, threshold=0.5, valid=valid)})
    return rows


def _read_manifest(folder: Path) -> pd.DataFrame:
    manifest = folder / "manifest.csv"
    if not manifest.exists():
        raise RadioUNetError(f"{folder}: no manifest.csv (is this a radio-unet simulate folder?)")
    return pd.read_csv(manifest)


def card_split_ids(dataset: dict | None, split: str, folder: str | Path) -> list[str]:
    """The image ids of a model card's ``split`` (``test``, ``val``, ``train``), checked against ``folder``.

    Split ids (``sim_00004``) name images of the data set the model was
    trained on; in another ``radio-unet simulate`` folder the same ids are
    other images, possibly ones the model was trained on. The folder must
    therefore have the card's folder name and number of images.

    Parameters
    ----------
    dataset : dict or None
        ``card.dataset`` (``root``, ``images``, ``splits``).
    split : str
        Which split.
    folder : str or path-like
        The data set folder to score.

    Raises
    ------
    RadioUNetError
        No such split in the card, or ``folder`` is not the card's data set.
    """
    dataset = dataset or {}
    ids = (dataset.get("splits") or {}).get(split)
    if not ids:
        raise RadioUNetError(f"the model card records no '{split}' split; use --split all")
    folder = Path(folder)
    roots = dataset.get("root", "")
    n_images = len(_read_manifest(folder))
    if isinstance(roots, list):  # trained on several folders: ids are "<folder name>/<id>"
        prefix = f"{folder.resolve().name}/"
        if prefix[:-1] not in [Path(r).name for r in roots]:
            raise RadioUNetError(
                f"{folder}: the model card's '{split}' split names images of {', '.join(roots)}, not of this folder; "
                "score an independent data set with --split all"
            )
        return [i[len(prefix):] for i in ids if i.startswith(prefix)]
    root = Path(str(roots))
    if root.name != folder.resolve().name or (dataset.get("images") and n_images != dataset["images"]):
        raise RadioUNetError(
            f"{folder}: the model card's '{split}' split names images of {root} ({dataset.get('images')} images), "
            f"not of this folder ({n_images} images); score an independent data set with --split all"
        )
    return list(ids)


def evaluate_dataset(
    folder: str | Path,
    *,
    predict_image=None,
    ids=None,
    threshold: float = 0.5,
    peak_threshold: float | None = None,
    external: bool | Sequence[str] | None = True,
    network: str = NETWORK,
    diffuse_channels: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Score every image of a ``radio-unet simulate`` folder.

    Parameters
    ----------
    folder : str or path-like
        Folder with ``manifest.csv``.
    predict_image : callable, optional
        ``predict_image(RadioImage) -> probability map``, or class
        probabilities ``(C, ny, nx)`` of a classification network (then give
        ``diffuse_channels``); without it only the baselines are scored.
    ids : sequence of str, optional
        Image ids to evaluate (e.g. the held-out test split); default all.
    threshold : float
        Probability threshold of the network's mask.
    peak_threshold : float, optional
        Also score the islands of that mask that peak at or above this
        probability (:func:`network_rows`).
    external : bool or sequence of str or None
        External baselines (PyBDSF, breizorro; see :func:`baseline_maps`): by
        default every installed one. They are resolved once, before the
        first image, and an image on which one fails has no row for it.
    network : str
        Method name of the network's rows (:func:`network_rows`).
    diffuse_channels : sequence of int, optional
        Classification network: the channels summed into the probability of
        diffuse emission; the arg-max class map is compared with the data
        set's label maps (``labels`` column) pixel by pixel.

    Returns
    -------
    pandas.DataFrame
        One row per (image, method). For a classification network,
        ``attrs["confusion"]`` holds the confusion matrix ``C[true, predicted]``
        summed over the images (valid pixels).
    """
    folder = Path(folder)
    table = _read_manifest(folder)
    if ids is not None:
        table = table[table["id"].isin(list(ids))]
        if table.empty:
            raise RadioUNetError(f"{folder}: none of the requested image ids is in the manifest")
    external = resolve_external(external)
    rows, confusion = [], None
    for _, rec in tqdm(list(table.iterrows()), desc="evaluate", unit="image"):
        observed = read_image(folder / rec["image"])
        truth = read_image(folder / rec["mask"]).data > 0
        prob = predict_image(observed) if predict_image is not None else None
        if prob is not None and np.ndim(prob) == 3:
            if diffuse_channels is None:
                raise RadioUNetError("class probabilities need diffuse_channels to make the diffuse probability")
            if "labels" not in rec:
                raise RadioUNetError(f"{folder}: the manifest has no labels column to score the classes with")
            labels = read_image(folder / rec["labels"]).data
            counts = confusion_matrix(np.argmax(np.nan_to_num(prob, nan=-1.0), axis=0), labels, prob.shape[0],
                                      valid=np.isfinite(observed.data))
            confusion = counts if confusion is None else confusion + counts
            prob = np.sum(prob[list(diffuse_channels)], axis=0)
        for row in evaluate_image(prob, observed, truth, threshold=threshold, peak_threshold=peak_threshold,
                                  external=external, network=network):
            rows.append({"id": rec["id"], **row})
    scores = pd.DataFrame(rows)
    if confusion is not None:
        scores.attrs["confusion"] = confusion
    return scores


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
