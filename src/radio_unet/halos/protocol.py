"""Cross-validation protocols: repeated stratified group k-fold, the leaky one beside it, and their controls.

* ``grouped``: repeated stratified group k-fold over objects; objects whose cut-outs overlap on the sky stay
  together; augmentation (and any generative model) sees the training fold only.
* ``leaky``: what is common: every object is augmented first (8 random images each) and the images are split at
  random, so rotated copies of a test object are in training. Reported only to show how much it inflates.
* ``permute``: the labels of the objects are shuffled (once per repeat) before the grouped protocol: the scores
  must come out near chance (balanced accuracy and AUROC about 0.5).
* ``negatives="clusters"``: only galaxy clusters as negatives (the ORCs and radio galaxies removed).

Fold ``f`` of repeat ``r`` trains with seed ``seed + 1000 * r + f`` whatever the model or augmentation, and the
splits depend on ``seed`` and ``r`` only, so two runs differ only by what they were asked to differ by (paired
augmentation gains).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import RadioUNetError
from .augment import augment_batch, geometric_variants
from .data import HaloSet, center_crop
from .metrics import METRICS, bootstrap_scores, scores
from .train import AUGMENTS, TrainConfig, fit_classifier, predict_proba

__all__ = ["CVSettings", "CVResult", "grouped_splits", "leaky_items", "run_cv", "select_negatives", "PROTOCOLS",
           "LEAKY_COPIES"]

PROTOCOLS = ("grouped", "leaky")
#: Augmented images per object in the leaky protocol.
LEAKY_COPIES = 8


@dataclass
class CVSettings:
    """What a cross-validation run does (recorded in ``summary.ecsv``)."""

    model: str = "simple-cnn"
    augment: str = "classical"
    folds: int = 5
    repeats: int = 10
    seed: int = 0
    protocol: str = "grouped"
    permute: bool = False
    negatives: str = "all"
    train: TrainConfig = field(default_factory=TrainConfig)

    def check(self) -> None:
        if self.augment not in AUGMENTS:
            raise RadioUNetError(f"--augment {self.augment}: choose from {', '.join(AUGMENTS)}")
        if self.protocol not in PROTOCOLS:
            raise RadioUNetError(f"--protocol {self.protocol}: choose from {', '.join(PROTOCOLS)}")
        if self.protocol == "leaky" and self.augment != "classical":
            raise RadioUNetError("--protocol leaky splits classically augmented copies of each object: it runs with "
                                 f"--augment classical, not {self.augment}")
        if self.negatives not in ("all", "clusters"):
            raise RadioUNetError(f"--negatives {self.negatives}: all or clusters")
        if self.folds < 2 or self.repeats < 1:
            raise RadioUNetError("--folds must be at least 2 and --repeats at least 1")

    def fold_seed(self, repeat: int, fold: int) -> int:
        return int(self.seed + 1000 * repeat + fold)


@dataclass
class CVResult:
    """Everything a run measured: one row per fold, one per out-of-fold prediction, the summary."""

    folds: list
    predictions: list
    summary: dict
    runs: list
    extras: dict = field(default_factory=dict)


def select_negatives(data: HaloSet, negatives: str) -> HaloSet:
    """All objects, or the halos plus the negatives that are galaxy clusters (``"clusters"``)."""
    if negatives == "all":
        return data
    keep = (data.labels == 1) | data.cluster
    return data.subset(np.flatnonzero(keep))


def grouped_splits(labels: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified group k-fold splits ``(train_index, test_index)``, shuffled by ``seed``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 1] * 10); g = np.arange(20) // 2
    >>> splits = grouped_splits(y, g, 5, 0)
    >>> all(set(g[tr]).isdisjoint(g[te]) for tr, te in splits), sorted(np.concatenate([te for _, te in splits]).tolist()) == list(range(20))
    (True, True)
    """
    from sklearn.model_selection import StratifiedGroupKFold

    n_groups = len(np.unique(groups))
    if n_groups < folds:
        raise RadioUNetError(f"{n_groups} sky groups cannot make {folds} folds")
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(np.zeros(len(labels)), labels, groups)]


def leaky_items(variants: np.ndarray, copies: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``copies`` randomly augmented images of every object: ``(images, owner)``, owner = object index."""
    owner = np.repeat(np.arange(len(variants)), copies)
    return augment_batch(variants, owner, rng), owner


def run_cv(data: HaloSet, settings: CVSettings, *, synthesize: Callable | None = None, init_state: dict | None = None,
           progress: Callable[[str], None] | None = None, only_folds: set | None = None,
           on_fold: Callable[[list], None] | None = None) -> CVResult:
    """Run one cross-validation.

    Parameters
    ----------
    data : HaloSet
    settings : CVSettings
    synthesize : callable, optional
        For ``cwgan``/``diffusion``: ``synthesize(images, labels, seed) -> (images, labels, info)`` trains a
        generator on the training fold's images (``(n, c, size, size)``) and returns generated images and labels
        and a dict of quality checks (recorded in the fold row).
    init_state : dict, optional
        Pre-trained weights every fold starts from (``sim-pretrained``).
    progress : callable, optional
        Called with one line per fold.
    only_folds : set of int, optional
        Run only these folds of every repeat (the others' predictions stay NaN): lets the folds of an expensive run
        go to separate processes, whose ``predictions.ecsv`` are then merged.
    on_fold : callable, optional
        Called with the fold rows so far after every fold (to write partial results).

    Returns
    -------
    CVResult
    """
    settings.check()
    if settings.augment in ("cwgan", "diffusion") and synthesize is None:
        raise RadioUNetError(f"--augment {settings.augment} needs a generator")
    data = select_negatives(data, settings.negatives)
    size = data.size
    variants = geometric_variants(data.images, size)
    crops = variants[:, 0]
    fold_rows, pred_rows, runs, extras = [], [], [], {"generated": None}
    for r in range(settings.repeats):
        rng = np.random.default_rng(settings.seed + 7919 * (r + 1))
        labels = rng.permutation(data.labels) if settings.permute else data.labels.copy()
        if settings.protocol == "leaky":
            items, owner = leaky_items(variants, LEAKY_COPIES, rng)
            item_labels = labels[owner]
            from sklearn.model_selection import StratifiedKFold

            cv = StratifiedKFold(n_splits=settings.folds, shuffle=True, random_state=settings.seed + r)
            splits = list(cv.split(np.zeros(len(items)), item_labels))
        else:
            owner = np.arange(len(data))
            item_labels = labels
            splits = grouped_splits(labels, data.groups, settings.folds, settings.seed + r)
        prob = np.full(len(owner), np.nan)
        fold_of = np.full(len(owner), -1)
        for f, (tr, te) in enumerate(splits):
            if only_folds is not None and f not in only_folds:
                continue
            t0 = time.perf_counter()
            seed = settings.fold_seed(r, f)
            info: dict = {}
            if settings.protocol == "leaky":
                model, arch = fit_classifier(settings.model, None, item_labels[tr], size=size, augment="none",
                                             config=settings.train, seed=seed, variants=items[tr][:, None],
                                             init_state=init_state)
                prob[te] = predict_proba(model, items[te])
                test_objects = sorted({data.ids[i] for i in owner[te]})
            else:
                extra_x = extra_y = None
                if synthesize is not None and settings.augment in ("cwgan", "diffusion"):
                    extra_x, extra_y, info = synthesize(crops[tr], labels[tr], seed)
                    if extra_x is not None and extras["generated"] is None:
                        extras["generated"] = (extra_x, extra_y, crops[tr], labels[tr])
                model, arch = fit_classifier(settings.model, None, labels[tr], size=size, augment=settings.augment,
                                             config=settings.train, seed=seed, variants=variants[tr],
                                             extra_images=extra_x, extra_labels=extra_y, init_state=init_state)
                prob[te] = predict_proba(model, crops[te])
                test_objects = [data.ids[i] for i in te]
            fold_of[te] = f
            s = scores(item_labels[te], prob[te])
            row = {"repeat": r, "fold": f, "seed": seed, "n_train": len(tr), "n_test": len(te),
                   "n_test_halo": int(np.sum(item_labels[te] == 1)), "test_ids": ",".join(test_objects),
                   **{m: s[m] for m in METRICS}, "seconds": round(time.perf_counter() - t0, 2)}
            row.update({k: v for k, v in info.items() if np.isscalar(v)})
            fold_rows.append(row)
            if progress:
                quality = "".join(f", {k} {v:.3g}" for k, v in info.items() if isinstance(v, float))
                progress(f"repeat {r + 1}/{settings.repeats} fold {f + 1}/{settings.folds}: "
                         f"balanced accuracy {s['balanced_accuracy']:.2f} ({row['seconds']:.0f} s{quality})")
            if on_fold:
                on_fold(fold_rows)
        done = np.isfinite(prob)
        runs.append((item_labels[done], prob[done], data.groups[owner][done]))
        for i in np.flatnonzero(done):
            pred_rows.append({"repeat": r, "fold": int(fold_of[i]), "object_id": data.ids[owner[i]],
                              "group": int(data.groups[owner[i]]), "cluster": bool(data.cluster[owner[i]]),
                              "label": int(item_labels[i]), "true_label": int(data.labels[owner[i]]),
                              "p_halo": float(prob[i])})
    summary = bootstrap_scores(runs, seed=settings.seed)
    return CVResult(fold_rows, pred_rows, summary, runs, extras)
