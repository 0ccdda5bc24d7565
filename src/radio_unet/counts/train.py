"""Training of the counts estimator (``radio-unet counts train``).

The fields of a data set are split by field into three disjoint sets:

* **A** (55%): trains the tile-set embedding
  (:class:`~radio_unet.counts.networks.TileSetEmbedding`, Gaussian
  likelihood of the standardised targets) and the talk's CNN (MSE);
* **C** (10%): early stopping of both, the baseline's residual intervals and
  the validation numbers of the card;
* **B** (35%): trains the ``sbi`` posterior flow on the embedding's
  summaries. The embedding never saw these fields, so the summaries are as
  noisy as on new images and the flow's intervals are not over-confident.
"""

from __future__ import annotations

import math
import time
from os import PathLike

import numpy as np

from ..errors import RadioUNetError
from .dataset import FieldSet, load_datasets, split_fields
from .families import targets_to_dnds
from .features import HIST_EDGES, scale_pixels
from .model import N_CONTEXT, N_HIST, CountsCard, CountsModel, field_inputs, save_counts_model
from .npe import train_flow

__all__ = ["dataset_inputs", "train_counts", "interval_metrics"]


def dataset_inputs(ds: FieldSet, index=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Network inputs of fields of a data set, in units of their *stated* noise.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Scaled tiles ``(n, n_tiles, T, T)`` float16, the histogram + context
        vectors ``(n, N_HIST + N_CONTEXT)`` and the scaled whole fields
        ``(n, H, W)`` float16 (the talk CNN's input).
    """
    index = np.arange(len(ds)) if index is None else np.asarray(index)
    m = ds.meta
    tiles, extra, fields = [], [], []
    for i in index:
        ratio = m["noise_measured"][i] / m["noise_stated"][i]
        x = ds.images[i].astype(np.float32) * np.float32(ratio)
        t, e = field_inputs(x, noise=m["noise_stated"][i], beam_major_arcsec=m["beam_major_arcsec"][i],
                            beam_minor_arcsec=m["beam_minor_arcsec"][i], pixel_scale_arcsec=m["pixel_scale_arcsec"][i],
                            tile=ds.preset.tile)
        tiles.append(t.astype(np.float16))
        extra.append(e)
        fields.append(scale_pixels(x).astype(np.float16))
    return np.stack(tiles), np.stack(extra).astype(np.float32), np.stack(fields)


def _augment(t, rng):
    import torch

    k = int(rng.integers(4))
    if k:
        t = torch.rot90(t, k, dims=(-2, -1))
    if rng.random() < 0.5:
        t = torch.flip(t, dims=(-1,))
    return t


def _fit(module, loss_fn, n_train, val_fn, *, epochs, batch_size, lr, max_seconds, seed, progress, name):
    """A small training loop with cosine learning rate and the best validation state kept."""
    import torch

    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    opt = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=1e-4)
    steps = max(1, epochs * math.ceil(n_train / batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    best, best_state, history, t0 = float("inf"), None, [], time.perf_counter()
    for epoch in range(epochs):
        module.train()
        order = rng.permutation(n_train)
        total = 0.0
        for b in range(0, n_train, batch_size):
            loss = loss_fn(order[b:b + batch_size], rng)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(module.parameters(), 5.0)
            opt.step()
            sched.step()
            total += loss.item() * len(order[b:b + batch_size])
        module.eval()
        with torch.no_grad():
            val = float(val_fn())
        history.append({"epoch": epoch + 1, "train_loss": total / n_train, "val_loss": val,
                        "seconds": round(time.perf_counter() - t0, 1)})
        if progress:
            progress(f"{name} epoch {epoch + 1}: train {total / n_train:.4f}  val {val:.4f}  ({time.perf_counter() - t0:.0f} s)")
        if val < best:
            best = val
            best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
        if time.perf_counter() - t0 > max_seconds:
            if progress:
                progress(f"{name}: stopping at the time cap ({max_seconds / 60:.0f} min)")
            break
    module.load_state_dict(best_state)
    return module.eval(), history


def interval_metrics(samples: np.ndarray, y: np.ndarray) -> dict:
    """Coverage of the 68%/95% central intervals and their mean width (dex) per bin, from samples ``(n, S, K)``."""
    q = np.quantile(samples, [0.025, 0.16, 0.5, 0.84, 0.975], axis=1)
    c68 = ((y >= q[1]) & (y <= q[3])).mean(0)
    c95 = ((y >= q[0]) & (y <= q[4])).mean(0)
    return {"coverage68": c68.round(3).tolist(), "coverage95": c95.round(3).tolist(),
            "width68_dex": (q[3] - q[1]).mean(0).round(3).tolist(),
            "median_bias": np.median(10 ** (q[2] - y) - 1, axis=0).round(3).tolist(),
            "coverage68_mean": float(c68.mean()), "coverage95_mean": float(c95.mean())}


def _train_embedding(tiles, extra, ys, a_idx, c_idx, k, *, width, hidden, epochs, batch_size, lr, cap, seed, say):
    """Train the tile-set embedding on fields A with early stopping on fields C.

    Parameters
    ----------
    tiles, extra : numpy.ndarray
        Inputs of :func:`dataset_inputs`.
    ys : torch.Tensor
        Standardised targets ``(n, k)``.
    a_idx, c_idx : numpy.ndarray
        Training and validation fields.
    k : int
        Number of bins.
    width, hidden, epochs, batch_size, lr, cap, seed, say
        Network sizes and the arguments of :func:`_fit` (``cap`` in seconds).

    Returns
    -------
    (TileSetEmbedding, list)
        The trained embedding and its history.
    """
    import torch

    from .networks import TileSetEmbedding  # torch: only when training

    torch.manual_seed(seed)  # the initial weights: the same seed gives the same model
    embed = TileSetEmbedding(N_HIST, N_CONTEXT, k, width=width, hidden=hidden)
    embed.in_mean.copy_(torch.as_tensor(extra[a_idx].mean(0)))
    embed.in_std.copy_(torch.as_tensor(extra[a_idx].std(0) + 1e-3))

    def batch_tiles(idx, rng=None):
        t = torch.as_tensor(tiles[idx].astype(np.float32))
        return _augment(t, rng) if rng is not None else t

    def embed_loss(rows, rng):
        idx = a_idx[rows]
        return embed.gaussian_nll(embed(batch_tiles(idx, rng), torch.as_tensor(extra[idx])), ys[idx])

    def embed_val():
        out = [embed.gaussian_nll(embed(batch_tiles(c_idx[i:i + 128]), torch.as_tensor(extra[c_idx[i:i + 128]])),
                                  ys[c_idx[i:i + 128]]) * len(c_idx[i:i + 128]) for i in range(0, len(c_idx), 128)]
        return sum(out) / len(c_idx)

    return _fit(embed, embed_loss, len(a_idx), embed_val, epochs=epochs, batch_size=batch_size, lr=lr,
                max_seconds=cap, seed=seed, progress=say, name="embedding")


def _train_talk(fields, extra, y, edges, a_idx, c_idx, k, *, epochs, batch_size, lr, cap, seed, say):
    """Train the talk's CNN (MSE on counts relative to their mean over fields A).

    Parameters
    ----------
    fields, extra : numpy.ndarray
        Inputs of :func:`dataset_inputs`.
    y : numpy.ndarray
        Targets ``(n, k)``.
    edges : numpy.ndarray
        Bin edges of the preset.
    a_idx, c_idx : numpy.ndarray
        Training and validation fields.
    k : int
        Number of bins.
    epochs, batch_size, lr, cap, seed, say
        Arguments of :func:`_fit` (``cap`` in seconds).

    Returns
    -------
    (TalkCNN, numpy.ndarray, list)
        The trained CNN, its count scale and its history.
    """
    import torch

    from .networks import TalkCNN  # torch: only when training

    dnds = targets_to_dnds(y, edges)
    talk_scale = dnds[a_idx].mean(0)
    target = torch.as_tensor((dnds / talk_scale).astype(np.float32))
    ctx = extra[:, N_HIST:]
    torch.manual_seed(seed)  # the initial weights: the same seed gives the same model
    talk = TalkCNN(N_CONTEXT, k)
    talk.ctx_mean.copy_(torch.as_tensor(ctx[a_idx].mean(0)))
    talk.ctx_std.copy_(torch.as_tensor(ctx[a_idx].std(0) + 1e-3))

    def talk_loss(rows, rng):
        idx = a_idx[rows]
        f = _augment(torch.as_tensor(fields[idx].astype(np.float32)), rng)
        return torch.nn.functional.mse_loss(talk(f, torch.as_tensor(ctx[idx])), target[idx])

    def talk_val():
        out = [torch.nn.functional.mse_loss(talk(torch.as_tensor(fields[c_idx[i:i + 128]].astype(np.float32)),
                                                 torch.as_tensor(ctx[c_idx[i:i + 128]])), target[c_idx[i:i + 128]],
                                            reduction="sum") for i in range(0, len(c_idx), 128)]
        return sum(out) / (len(c_idx) * k)

    talk, hist_talk = _fit(talk, talk_loss, len(a_idx), talk_val, epochs=epochs, batch_size=batch_size, lr=lr,
                           max_seconds=cap, seed=seed, progress=say, name="talk CNN")
    return talk, talk_scale, hist_talk


def _trained_ranges(ds: FieldSet, extra: np.ndarray) -> dict:
    """Ranges of beam, pixel scale and noise of the training fields, for the card."""
    return {
        "beam_major_px": [float(np.min(extra[:, N_HIST + 1])), float(np.max(extra[:, N_HIST + 1]))],
        "beam_minor_px": [float(np.min(extra[:, N_HIST + 2])), float(np.max(extra[:, N_HIST + 2]))],
        "pixel_scale_arcsec": [float(ds.meta["pixel_scale_arcsec"].min()), float(ds.meta["pixel_scale_arcsec"].max())],
        "noise_jy_beam": [float(ds.meta["noise_stated"].min()), float(ds.meta["noise_stated"].max())],
    }


def _validate(model: CountsModel, tiles, extra, fields, y, c_idx, seed: int) -> None:
    """Record the validation numbers on fields C and the talk CNN's residual quantiles in ``model.card``."""
    card = model.card
    samples = model.sample(tiles[c_idx].astype(np.float32), extra[c_idx], 500, seed=seed)
    card.metrics["validation"] = interval_metrics(samples, y[c_idx])
    if model.talk is not None:
        pred = model.talk_predict(fields[c_idx].astype(np.float32), extra[c_idx, N_HIST:])
        res = y[c_idx] - pred
        card.talk_residuals = {str(q): np.quantile(res, q, axis=0).tolist() for q in (0.025, 0.16, 0.5, 0.84, 0.975)}


def train_counts(data: str | PathLike | list, out: str | PathLike, *, epochs: int = 12, max_minutes: float = 40.0,
                 batch_size: int = 32, lr: float = 2e-3, limit: int | None = None, seed: int = 0, baselines: bool = True,
                 width: int = 32, hidden: int = 96, flow_hidden: int = 64, flow_transforms: int = 4,
                 flow_max_epochs: int = 300, command: str | None = None, progress=None) -> CountsCard:
    """Train the counts estimator on a simulated data set and save it to ``out``.

    Parameters
    ----------
    data : path or list of paths
        Data set(s) of :func:`~radio_unet.counts.dataset.simulate_dataset`,
        pooled by :func:`~radio_unet.counts.dataset.load_datasets`.
    out : path
        Model folder.
    epochs, max_minutes, batch_size, lr : optional
        Embedding (and talk CNN) training; each network stops at the time cap.
    limit : int, optional
        Use only the first ``limit`` fields.
    seed : int
    baselines : bool
        Also train the talk CNN.
    width, hidden, flow_hidden, flow_transforms : int
        Network sizes.
    flow_max_epochs : int
        Cap on the flow's epochs (``sbi`` stops earlier when its validation loss stalls).
    command : str, optional
        Recorded in the card.
    progress : callable, optional

    Returns
    -------
    CountsCard
    """
    import torch

    t_start = time.perf_counter()
    say = progress or (lambda s: None)
    ds = load_datasets(data, limit=limit)
    if len(ds) < 50:
        raise RadioUNetError(f"{data}: {len(ds)} fields are too few to train on (need at least 50; thousands to do well)")
    k = ds.preset.n_bins
    say(f"{len(ds)} fields of {ds.preset.name} ({ds.manifest['family']} family, {ds.manifest['route']} route)")
    tiles, extra, fields = dataset_inputs(ds)
    say(f"inputs ready in {time.perf_counter() - t_start:.0f} s: {tiles.shape[1]} tiles of {tiles.shape[2]} px per field")
    a_idx, b_idx, c_idx = split_fields(len(ds), fractions=(0.55, 0.35), seed=seed)
    y = ds.y.astype(np.float32)
    y_mean, y_std = y[a_idx].mean(0), y[a_idx].std(0) + 1e-6
    ys = torch.as_tensor((y - y_mean) / y_std)

    cap = max_minutes * 60.0
    fit_args = dict(epochs=epochs, batch_size=batch_size, lr=lr, cap=cap, say=say)
    embed, hist_embed = _train_embedding(tiles, extra, ys, a_idx, c_idx, k, width=width, hidden=hidden, seed=seed,
                                         **fit_args)

    scratch = CountsModel(None, embed, None)
    x_all = scratch.summaries(tiles.astype(np.float32), extra)
    low = (y.min(0) - 0.3).tolist()
    high = (y.max(0) + 0.3).tolist()
    t0 = time.perf_counter()
    flow, flow_info = train_flow(y[b_idx], x_all[b_idx], low=low, high=high, hidden=flow_hidden, transforms=flow_transforms,
                                 max_epochs=flow_max_epochs, seed=seed)
    say(f"posterior flow: {flow_info['epochs']} epochs in {time.perf_counter() - t0:.0f} s "
        f"(best validation loss {flow_info['best_val_loss']:.3f})")

    talk, talk_scale, hist_talk = None, None, []
    if baselines:
        talk, talk_scale, hist_talk = _train_talk(fields, extra, y, ds.preset.edges, a_idx, c_idx, k, seed=seed + 1,
                                                  **fit_args)

    card = CountsCard(
        preset=ds.preset.to_dict(), family=ds.manifest["family"],
        architecture={"width": width, "hidden": hidden, "flow": "sbi nsf", "flow_hidden": flow_hidden,
                      "flow_transforms": flow_transforms, "n_hist": N_HIST, "hist_edges": HIST_EDGES.tolist(),
                      "n_context": N_CONTEXT},
        y_mean=y_mean.tolist(), y_std=y_std.tolist(), prior_low=low, prior_high=high,
        talk_scale=None if talk_scale is None else talk_scale.tolist(), trained_ranges=_trained_ranges(ds, extra),
        dataset={"path": str(data) if isinstance(data, (str, PathLike)) else [str(d) for d in data], "n_fields": len(ds), "split_sizes": [len(a_idx), len(b_idx), len(c_idx)],
                 "manifest": {k2: v for k2, v in ds.manifest.items() if k2 not in ("shards", "preset_values")}},
        seed=seed, command=command,
        training={"epochs": epochs, "batch_size": batch_size, "lr": lr, "max_minutes": max_minutes,
                  "threads": torch.get_num_threads(), "embedding_history": hist_embed, "talk_history": hist_talk,
                  "flow": flow_info},
    )
    model = CountsModel(card, embed, flow, talk)
    # validation numbers on C (never used by the flow)
    _validate(model, tiles, extra, fields, y, c_idx, seed)
    card.training["wall_seconds"] = round(time.perf_counter() - t_start, 1)
    save_counts_model(out, model)
    say(f"validation (fields C): coverage68 {card.metrics['validation']['coverage68']}  "
        f"coverage95 {card.metrics['validation']['coverage95']}  width68 {card.metrics['validation']['width68_dex']} dex")
    return model.card
