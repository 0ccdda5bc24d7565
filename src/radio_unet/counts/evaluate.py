"""Side-by-side scores of the counts methods on held-out simulated fields (``radio-unet counts evaluate``).

Methods: the posterior estimator (``npe``), the talk's CNN regression with
intervals from its validation residuals (``talk-cnn``), the P(D) fit
(``pd``) and the completeness-corrected catalogue above 5 sigma
(``catalogue``). Per bin and method, over the fields where the bin centre is
at least 0.2 times the field's true noise (the issue's goal region):

* ``bias``: median over fields of ``estimate / truth - 1`` (posterior median
  or point estimate; linear counts);
* ``cov68``, ``cov95``: share of fields whose true counts lie in the 68% and
  95% central intervals;
* ``w68``, ``w95``: median interval width in dex; ``w68/pd`` the ratio of the
  median 68% width to the P(D) fit's on the same fields.

Simulation-based calibration (SBC) of the posterior estimator: the rank of
the truth among the posterior samples, per bin, should be uniform;
``sbc_ks`` is the Kolmogorov-Smirnov distance of the ranks from uniform.
"""

from __future__ import annotations

import math
import time
import warnings
from os import PathLike
from pathlib import Path

import numpy as np
from astropy.stats import gaussian_fwhm_to_sigma

from ..errors import RadioUNetError
from ..io.atomic import atomic_path
from .baselines import catalogue_counts, pd_fit
from .dataset import load_dataset
from .model import N_HIST, load_counts_model
from .train import dataset_inputs

__all__ = ["METHODS", "quantiles_from_samples", "method_metrics", "sbc_ranks", "format_table", "evaluate_dataset"]

METHODS = ("npe", "talk-cnn", "pd", "catalogue")
_KEYS = ("med", "lo68", "hi68", "lo95", "hi95")


def quantiles_from_samples(samples: np.ndarray) -> dict:
    """``med``, ``lo68``, ``hi68``, ``lo95``, ``hi95`` per field and bin from samples ``(n, S, K)``."""
    q = np.quantile(samples, [0.5, 0.16, 0.84, 0.025, 0.975], axis=1)
    return dict(zip(_KEYS, q))


def method_metrics(est: dict, y: np.ndarray, mask: np.ndarray) -> dict:
    """Per-bin bias, coverage and widths of one method (see the module notes).

    Parameters
    ----------
    est : dict
        :data:`_KEYS` arrays ``(n, K)`` of ``log10`` counts (NaN: no estimate).
    y : numpy.ndarray
        ``(n, K)`` truth.
    mask : numpy.ndarray
        ``(n, K)`` fields and bins to score.

    Returns
    -------
    dict
        Lists per bin: ``n``, ``bias``, ``cov68``, ``cov95``, ``w68``, ``w95``.
    """
    k = y.shape[1]
    out = {key: [] for key in ("n", "bias", "cov68", "cov95", "w68", "w95")}
    for j in range(k):
        m = mask[:, j] & np.all([np.isfinite(est[q][:, j]) for q in _KEYS], axis=0)
        t = y[m, j]
        n = int(m.sum())
        out["n"].append(n)
        if n == 0:
            for key in ("bias", "cov68", "cov95", "w68", "w95"):
                out[key].append(float("nan"))
            continue
        out["bias"].append(float(np.median(10 ** (est["med"][m, j] - t) - 1)))
        out["cov68"].append(float(np.mean((t >= est["lo68"][m, j]) & (t <= est["hi68"][m, j]))))
        out["cov95"].append(float(np.mean((t >= est["lo95"][m, j]) & (t <= est["hi95"][m, j]))))
        out["w68"].append(float(np.median(est["hi68"][m, j] - est["lo68"][m, j])))
        out["w95"].append(float(np.median(est["hi95"][m, j] - est["lo95"][m, j])))
    return out


def sbc_ranks(samples: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Normalised rank (0-1) of the truth among the posterior samples, ``(n, K)``."""
    return (samples < y[:, None, :]).mean(axis=1)


def _ks_uniform(r: np.ndarray) -> float:
    r = np.sort(r[np.isfinite(r)])
    if r.size == 0:
        return float("nan")
    n = r.size
    return float(max(np.max(np.arange(1, n + 1) / n - r), np.max(r - np.arange(n) / n)))


def format_table(results: dict, s_mid, *, sigma_note: str = "") -> str:
    """A markdown table: one row per method and bin."""
    lines = ["| method | bin S_mid (uJy) | n | bias | cov68 | cov95 | w68 (dex) | w95 (dex) | w68/pd |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, m in results.items():
        if name.startswith("_"):
            continue
        for j, s in enumerate(s_mid):
            ratio = m.get("w68_vs_pd", [float("nan")] * len(s_mid))[j]
            f = lambda v, fmt: "n/a" if v is None or not np.isfinite(v) else format(v, fmt)  # noqa: E731
            lines.append(f"| {name} | {s * 1e6:.1f} | {m['n'][j]} | {f(m['bias'][j], '+.3f')} | {f(m['cov68'][j], '.3f')} | "
                         f"{f(m['cov95'][j], '.3f')} | {f(m['w68'][j], '.3f')} | {f(m['w95'][j], '.3f')} | {f(ratio, '.2f')} |")
    return "\n".join(lines) + ("\n\n" + sigma_note if sigma_note else "")


def _goal_lines(m: dict, s_mid) -> list[str]:
    lines = []
    for j, s in enumerate(s_mid):
        if m["n"][j] == 0:
            lines.append(f"bin {s * 1e6:.1f} uJy: no field with S_mid >= 0.2 sigma")
            continue
        ok_b = abs(m["bias"][j]) <= 0.10 + 1e-9
        ok_68 = abs(m["cov68"][j] - 0.68) <= 0.05 + 1e-9
        ok_95 = abs(m["cov95"][j] - 0.95) <= 0.05 + 1e-9
        lines.append(f"bin {s * 1e6:.1f} uJy: |bias| {abs(m['bias'][j]):.3f} {'<=' if ok_b else '>'} 0.10 "
                     f"[{'met' if ok_b else 'NOT met'}]; cov68 {m['cov68'][j]:.3f} [{'met' if ok_68 else 'NOT met'}]; "
                     f"cov95 {m['cov95'][j]:.3f} [{'met' if ok_95 else 'NOT met'}]")
    return lines


def _plot(path, results, s_mid, ranks):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 5, figsize=(19, 3.8))
    x = s_mid * 1e6
    for name, m in results.items():
        if name.startswith("_"):
            continue
        axes[0].plot(x, m["bias"], "o-", label=name)
        axes[1].plot(x, m["cov68"], "o-", label=name)
        axes[2].plot(x, m["cov95"], "o-", label=name)
        axes[3].plot(x, m["w68"], "o-", label=name)
    axes[0].axhspan(-0.1, 0.1, color="0.9")
    axes[1].axhspan(0.63, 0.73, color="0.9")
    axes[2].axhspan(0.90, 1.0, color="0.9")
    for ax, t in zip(axes[:4], ("median relative bias", "68% coverage", "95% coverage", "68% width (dex)")):
        ax.set_xscale("log")
        ax.set_xlabel("S (uJy)")
        ax.set_title(t, fontsize=9)
    axes[0].legend(fontsize=7)
    for j in range(ranks.shape[1]):
        r = np.sort(ranks[:, j][np.isfinite(ranks[:, j])])
        axes[4].plot(r, np.arange(1, r.size + 1) / max(r.size, 1), label=f"{x[j]:.0f} uJy")
    axes[4].plot([0, 1], [0, 1], "k--", lw=1)
    axes[4].set_title("SBC: ECDF of the truth's rank (npe)", fontsize=9)
    axes[4].legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)


def _talk_estimate(cm, fields: np.ndarray, extra: np.ndarray) -> dict:
    """Intervals of the talk's CNN regression from its validation residuals.

    Parameters
    ----------
    cm : CountsModel
        The loaded model, with a talk CNN and its residual quantiles.
    fields : numpy.ndarray
        Field images of the data set.
    extra : numpy.ndarray
        Extra inputs (histogram, then the talk's inputs from column ``N_HIST``).

    Returns
    -------
    dict
        :data:`_KEYS` arrays ``(n, K)``.
    """
    pred = cm.talk_predict(fields.astype(np.float32), extra[:, N_HIST:])
    r = cm.card.talk_residuals
    return {"med": pred, "lo68": pred + np.asarray(r["0.16"]), "hi68": pred + np.asarray(r["0.84"]),
            "lo95": pred + np.asarray(r["0.025"]), "hi95": pred + np.asarray(r["0.975"])}


def _baseline_estimates(ds, n_pd: int, seed: int) -> tuple[dict, dict]:
    """P(D) fit on the first ``n_pd`` fields and catalogue counts on all of them.

    Parameters
    ----------
    ds : CountsDataset
        The held-out data set.
    n_pd : int
        Number of fields (from the first) to fit with P(D).
    seed : int
        Seed of the P(D) fits (combined with the field index).

    Returns
    -------
    pd_est, cat_est : dict
        :data:`_KEYS` arrays ``(n, K)``; NaN where there is no estimate.
    """
    p = ds.preset
    w = np.asarray(p.knot_halfwidth)
    pd_est = {q: np.full(ds.y.shape, np.nan) for q in _KEYS}
    cat_est = {q: np.full(ds.y.shape, np.nan) for q in _KEYS}
    m = ds.meta
    for i in range(len(ds)):
        noise = float(m["noise_stated"][i])
        img = ds.image_jy(i)
        k = gaussian_fwhm_to_sigma / m["pixel_scale_arcsec"][i]
        beam_px = 2 * math.pi * (m["beam_major_arcsec"][i] * k) * (m["beam_minor_arcsec"][i] * k)
        if i < n_pd:
            fit = pd_fit(img, noise=noise, beam_area_px=beam_px, pixel_scale_arcsec=m["pixel_scale_arcsec"][i],
                         knot_log_s=p.knot_log_s, knot_low=p.knot_reference() - w, knot_high=p.knot_reference() + w,
                         bin_edges=p.edges, freq_hz=p.freq_hz, s_min=p.s_min, rng=np.random.default_rng([seed, i]))
            for q in _KEYS:
                pd_est[q][i] = fit["y"][q]
        c = catalogue_counts(img, noise=noise, pixel_scale_arcsec=m["pixel_scale_arcsec"][i], edges=p.edges,
                             reference=p.reference)
        for q in _KEYS:
            cat_est[q][i] = c["y"][q]
    return pd_est, cat_est


def _width_ratio(a: list, b: list) -> list:
    """Bin-by-bin ``a / b``, NaN where ``b`` is not a positive finite number."""
    return [x / y if y and np.isfinite(y) and y > 0 else float("nan") for x, y in zip(a, b)]


def _score_methods(est: dict, y: np.ndarray, mask: np.ndarray, n_pd: int) -> dict:
    """:func:`method_metrics` of every method, with its widths relative to P(D)'s on the P(D) fields.

    Parameters
    ----------
    est : dict
        Estimates per method name (``est["pd"]`` included).
    y : numpy.ndarray
        ``(n, K)`` truth.
    mask : numpy.ndarray
        ``(n, K)`` fields and bins to score.
    n_pd : int
        The first ``n_pd`` fields have a P(D) fit.

    Returns
    -------
    dict
        Metrics per method name, with ``w68_vs_pd`` and ``w95_vs_pd`` added.
    """
    results = {}
    for name, e in est.items():
        results[name] = method_metrics(e, y, mask)
    pd_fields = np.zeros(len(y), bool)
    pd_fields[:n_pd] = True
    pd_m = method_metrics(est["pd"], y, mask & pd_fields[:, None])
    for name, e in est.items():
        same = method_metrics(e, y, mask & pd_fields[:, None])
        results[name]["w68_vs_pd"] = _width_ratio(same["w68"], pd_m["w68"])
        results[name]["w95_vs_pd"] = _width_ratio(same["w95"], pd_m["w95"])
    return results


def _per_field_table(ds, est: dict, ranks: np.ndarray, data, model):
    """The ``per_field.ecsv`` table: truth, noise, every method's estimates and the SBC ranks.

    Parameters
    ----------
    ds : CountsDataset
        The held-out data set.
    est : dict
        Estimates per method name.
    ranks : numpy.ndarray
        ``(n, K)`` SBC ranks of the posterior estimator.
    data, model
        Data set and model names, for the table's metadata.

    Returns
    -------
    astropy.table.Table
    """
    from astropy.table import Table

    rows = Table()
    rows["index"] = ds.meta["index"]
    rows["noise_true"] = ds.meta["noise_jy_beam"]
    rows["noise_stated"] = ds.meta["noise_stated"]
    rows["y_true"] = ds.y
    for name, e in est.items():
        for q in _KEYS:
            rows[f"{name}_{q}"] = e[q]
    rows["npe_sbc_rank"] = ranks
    rows.meta = {"data": str(data), "model": str(model or "counts-lotss-6as"), "log_edges": list(ds.preset.log_edges),
                 "note": "y = log10(S_mid^2.5 <dN/dS> / (Jy^1.5 sr^-1)) per bin"}
    return rows


def evaluate_dataset(data: str | PathLike, out: str | PathLike, *, model=None, limit: int = 300, pd_limit: int = 150,
                     n_samples: int = 1000, seed: int = 0, progress=None) -> str:
    """Score every method on a held-out data set; write ``evaluate.md``, ``per_field.ecsv`` and ``evaluate.png``.

    Returns
    -------
    str
        The markdown table with the goal lines (also printed by the CLI).
    """
    say = progress or (lambda s: None)
    t0 = time.perf_counter()
    out = Path(out)
    ds = load_dataset(data, limit=limit)
    cm = load_counts_model(model)
    if cm.card.preset["name"] != ds.preset.name:
        raise RadioUNetError(f"{data}: fields of preset {ds.preset.name} but the model was trained on "
                             f"{cm.card.preset['name']}; evaluate it on fields of its own preset")
    y = ds.y
    s_mid = ds.preset.s_mid
    mask = s_mid[None, :] >= 0.2 * ds.meta["noise_jy_beam"][:, None]
    tiles, extra, fields = dataset_inputs(ds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        samples = cm.sample(tiles.astype(np.float32), extra, n_samples, seed=seed)
    est = {"npe": quantiles_from_samples(samples)}
    say(f"npe: {len(ds)} fields in {time.perf_counter() - t0:.0f} s")
    if cm.talk is not None and cm.card.talk_residuals:
        est["talk-cnn"] = _talk_estimate(cm, fields, extra)
    t1 = time.perf_counter()
    n_pd = min(pd_limit, len(ds))
    est["pd"], est["catalogue"] = _baseline_estimates(ds, n_pd, seed)
    say(f"P(D) on {n_pd} fields and catalogue on {len(ds)} in {time.perf_counter() - t1:.0f} s")

    results = _score_methods(est, y, mask, n_pd)
    ranks = sbc_ranks(samples, y)
    ranks_masked = np.where(mask, ranks, np.nan)
    sbc = [_ks_uniform(ranks_masked[:, j]) for j in range(y.shape[1])]
    note = (f"{len(ds)} fields of {data} ({ds.manifest['family']} family, {ds.manifest['route']} route, misspec "
            f"{ds.manifest.get('misspec', 1.0)}); model {model or 'counts-lotss-6as'} (trained on the "
            f"{cm.card.family} family); P(D) on the first {n_pd}. Scored: bins with S_mid >= 0.2 x the field's noise. "
            f"SBC KS distance per bin (npe): {', '.join(f'{v:.3f}' for v in sbc)} "
            f"(about {1.36 / math.sqrt(max(len(ds), 1)):.3f} is the 95% level for uniform ranks).")
    text = format_table(results, s_mid, sigma_note=note)
    text += "\n\nGoals (npe):\n" + "\n".join("- " + line for line in _goal_lines(results["npe"], s_mid))
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "evaluate.md") as tmp:
        tmp.write_text(text + "\n")
    rows = _per_field_table(ds, est, ranks, data, model)
    with atomic_path(out / "per_field.ecsv") as tmp:
        rows.write(tmp, format="ascii.ecsv")
    import json

    with atomic_path(out / "metrics.json") as tmp:
        tmp.write_text(json.dumps({"results": results, "sbc_ks": sbc, "s_mid": s_mid.tolist(), "note": note}, indent=1))
    _plot(out / "evaluate.png", results, s_mid, ranks_masked)
    say(f"wrote {out}/evaluate.md, per_field.ecsv, metrics.json, evaluate.png in {time.perf_counter() - t0:.0f} s")
    return text
