"""Pre-training on simulated MWA-like cluster fields (``radio-unet simulate --preset mwa``).

Cut-outs centred on simulated radio halos that the image shows (their observed-truth label pixels near the
centre) are positives; cut-outs centred on simulated radio galaxies or on random positions far from any halo are
negatives. They go through the same preprocessing as the real objects (the single simulated band repeated as
every channel) and a simple CNN is trained on them; its weights start every fold of ``--model sim-pretrained``.
No real object is used, so pre-training cannot leak test objects.
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import InputError
from .data import center_crop, preprocess_bands, read_band

__all__ = ["sim_cutouts", "pretrain_on_simulations", "cutout_positions"]


def cutout_positions(components: list[dict], labels: np.ndarray, *, radius_pix: float, rng: np.random.Generator,
                     min_halo_pixels: int = 5) -> list[tuple[float, float, int]]:
    """Centres ``(x, y, label)`` of the cut-outs of one simulated field.

    Parameters
    ----------
    components : list of dict
        The field's components (``kind``, ``x``, ``y`` in pixels).
    labels : numpy.ndarray
        The observed-truth class map (1 = radio halo).
    radius_pix : float
        Half-side of a cut-out in the field's pixels.
    rng : numpy.random.Generator
    min_halo_pixels : int
        A halo counts when at least this many halo label pixels lie within ``radius_pix / 2`` of its centre.

    Returns
    -------
    list of (float, float, int)
        As many negatives as positives (at least one), radio galaxies first, then random positions.

    Examples
    --------
    >>> import numpy as np
    >>> lab = np.zeros((100, 100), np.uint8); lab[45:55, 45:55] = 1
    >>> comps = [{"kind": "halo", "x": 50, "y": 50}, {"kind": "radio_galaxy", "x": 10, "y": 90}]
    >>> pos = cutout_positions(comps, lab, radius_pix=10, rng=np.random.default_rng(0))
    >>> [p[2] for p in pos]
    [1, 0]
    """
    ny, nx = labels.shape
    yy, xx = np.mgrid[:ny, :nx]
    halo = labels == 1
    out, halos = [], []
    for c in components:
        if c.get("kind") == "halo" and "x" in c:
            near = ((xx - c["x"]) ** 2 + (yy - c["y"]) ** 2) <= (radius_pix / 2) ** 2
            halos.append((c["x"], c["y"]))
            if np.count_nonzero(halo & near) >= min_halo_pixels:
                out.append((float(c["x"]), float(c["y"]), 1))

    def far(x, y):
        inside = radius_pix <= x < nx - radius_pix and radius_pix <= y < ny - radius_pix
        return inside and all((x - hx) ** 2 + (y - hy) ** 2 > (2 * radius_pix) ** 2 for hx, hy in halos)

    n_neg = max(1, len(out))
    negatives = []
    for c in components:
        if len(negatives) >= n_neg:
            break
        if c.get("kind") == "radio_galaxy" and "x" in c and far(c["x"], c["y"]):
            negatives.append((float(c["x"]), float(c["y"]), 0))
    for _ in range(200):
        if len(negatives) >= n_neg:
            break
        x, y = rng.uniform(0, nx), rng.uniform(0, ny)
        if far(x, y):
            negatives.append((float(x), float(y), 0))
    return out + negatives


def sim_cutouts(sim_dir: str | PathLike, *, size: int = 64, fov_deg: float = 0.5, clip_k: float = 3.0,
                n_channels: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Preprocessed cut-outs of a simulated set: ``(images (n, c, P, P), labels)``."""
    sim_dir = Path(sim_dir)
    metas = sorted(sim_dir.glob("*.json"))
    if not metas:
        raise InputError(sim_dir, "no simulated fields (*.json from radio-unet simulate --preset mwa) in it")
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for meta_path in metas:
        try:
            meta = json.loads(meta_path.read_text())
            components = json.loads(meta["components"]) if isinstance(meta.get("components"), str) else meta.get("components", [])
            image_path, labels_path = sim_dir / meta["image"], sim_dir / meta["labels"]
        except (KeyError, ValueError, TypeError):
            continue
        data, wcs = read_band(image_path)
        from astropy.io import fits

        lab = np.asarray(fits.getdata(labels_path))
        scale_deg = abs(float(wcs.wcs.cdelt[0])) if wcs.wcs.cdelt[0] != 1 else abs(float(wcs.pixel_scale_matrix[0, 0]))
        radius = fov_deg / 2 * np.sqrt(2) / scale_deg
        for x, y, label in cutout_positions(components, lab, radius_pix=radius, rng=rng):
            ra, dec = wcs.pixel_to_world_values(x, y)
            one = preprocess_bands([(data, wcs)], float(ra), float(dec), size=size, fov_deg=fov_deg, clip_k=clip_k)
            images.append(np.repeat(one, n_channels, axis=0))
            labels.append(label)
    if not images or len(set(labels)) < 2:
        raise InputError(sim_dir, "the simulated fields give no halo cut-outs (simulate more fields)")
    return np.stack(images).astype(np.float32), np.asarray(labels, int)


def pretrain_on_simulations(sim_dir: str | PathLike, *, size: int = 64, fov_deg: float = 0.5, n_channels: int = 4,
                            clip_k: float = 3.0, seed: int = 0, steps: int = 300,
                            progress: Callable[[str], None] | None = None) -> dict:
    """Train a simple CNN on simulated cut-outs; return its state dict (the start of every real fold).

    A quarter of the simulated cut-outs are held out to report the pre-training accuracy (on simulations only).
    """
    import torch

    from .train import TrainConfig, fit_classifier, predict_proba

    images, labels = sim_cutouts(sim_dir, size=size, fov_deg=fov_deg, clip_k=clip_k, n_channels=n_channels, seed=seed)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    held = order[: len(order) // 4]
    train = order[len(order) // 4:]
    model, _ = fit_classifier("simple-cnn", images[train], labels[train], size=size, augment="classical",
                              config=TrainConfig(steps=steps), seed=seed)
    if progress and len(held):
        acc = float(np.mean((predict_proba(model, center_crop(images[held], size)) >= 0.5) == labels[held]))
        progress(f"pre-trained on {len(train)} simulated cut-outs ({int(labels.sum())} halos in all); "
                 f"accuracy on {len(held)} held-out simulated cut-outs {acc:.2f}")
    return {k: v.detach().clone() for k, v in model.state_dict().items() if isinstance(v, torch.Tensor)}
