"""Counts of user images (``radio-unet counts estimate``): posterior per bin, ECSV table and picture.

An image is read with :func:`radio_unet.io.read_image` (a beam and a
brightness unit are required), brought to Jy/beam, checked against the beam,
pixel size and noise ranges the model was trained on, and cut into
non-overlapping fields of the training size (``npix`` pixels, e.g. 128x128 =
16 tiles of 32). One field gives the posterior of the model directly. Several
fields share the same counts; their posteriors are combined in a Gaussian
approximation (product of the fields' Gaussian fits divided by the prior's
``n - 1`` times), which is approximate: the intervals of multi-field images
are not calibrated by the benchmark, which scores single fields.
"""

from __future__ import annotations

import warnings
from os import PathLike
from pathlib import Path

import numpy as np

from ..errors import InputError, RadioUNetError
from ..io.atomic import atomic_path
from .families import ReferenceCounts, euclidean, targets_to_dnds
from .model import CountsModel, ResolutionError, field_inputs, load_counts_model, shipped_counts_models
from .simulate import SR_PER_ARCSEC2, measure_noise

__all__ = ["image_fields", "combine_fields", "counts_table", "plot_counts", "estimate_image", "estimate_images"]


def image_fields(data: np.ndarray, npix: int) -> list[np.ndarray]:
    """The non-overlapping ``npix x npix`` fields of an image that hold no blank pixel."""
    ny, nx = data.shape[0] // npix, data.shape[1] // npix
    out = []
    for i in range(ny):
        for j in range(nx):
            f = data[i * npix:(i + 1) * npix, j * npix:(j + 1) * npix]
            if np.isfinite(f).all():
                out.append(f)
    return out


def combine_fields(samples: np.ndarray, prior_mean, prior_std, *, n: int, rng: np.random.Generator) -> np.ndarray:
    """Combine the posteriors of fields that share the counts (Gaussian approximation).

    Parameters
    ----------
    samples : numpy.ndarray
        ``(n_fields, S, K)`` posterior samples per field.
    prior_mean, prior_std : array_like
        Gaussian approximation of the training prior of the targets.
    n : int
        Samples to return.

    Returns
    -------
    numpy.ndarray
        ``(n, K)``; the one field's samples when there is only one.
    """
    if samples.shape[0] == 1:
        return samples[0]
    prior_prec = np.diag(1.0 / np.asarray(prior_std, float) ** 2)
    prec = -(samples.shape[0] - 1) * prior_prec
    info = -(samples.shape[0] - 1) * prior_prec @ np.asarray(prior_mean, float)
    single = []
    for s in samples:
        p = np.linalg.inv(np.cov(s.T) + 1e-6 * np.eye(s.shape[1]))
        prec += p
        info += p @ s.mean(0)
        single.append(p)
    w, v = np.linalg.eigh(0.5 * (prec + prec.T))
    floor = max(np.linalg.eigvalsh(p).min() for p in single)
    w = np.maximum(w, floor)
    cov = (v / w) @ v.T
    mean = cov @ info
    return rng.multivariate_normal(mean, cov, size=n)


def counts_table(samples: np.ndarray, edges, *, meta: dict):
    """The output table of one image from posterior samples ``(S, K)`` of ``log10(S_mid**2.5 <dN/dS>)``.

    Columns ``s_lo``, ``s_hi``, ``s_mid`` (Jy), ``dnds`` with ``dnds_lo68``,
    ``dnds_hi68``, ``dnds_lo95``, ``dnds_hi95`` (Jy^-1 sr^-1) and ``s25_dnds``
    with the same bounds (Jy^1.5 sr^-1): posterior medians and central
    intervals.
    """
    import astropy.units as u
    from astropy.table import Table

    edges = np.asarray(edges, float)
    mid = np.sqrt(edges[1:] * edges[:-1])
    q = np.quantile(samples, [0.5, 0.16, 0.84, 0.025, 0.975], axis=0)
    t = Table(meta=meta)
    t["s_lo"], t["s_hi"], t["s_mid"] = edges[:-1] * u.Jy, edges[1:] * u.Jy, mid * u.Jy
    unit_d, unit_e = u.Jy**-1 / u.sr, u.Jy**1.5 / u.sr
    for name, row in zip(("", "_lo68", "_hi68", "_lo95", "_hi95"), q):
        d = targets_to_dnds(row, edges)
        t[f"dnds{name}"] = d * unit_d
    for name in ("", "_lo68", "_hi68", "_lo95", "_hi95"):
        t[f"s25_dnds{name}"] = euclidean(t[f"dnds{name}"].value, mid) * unit_e
    return t


def plot_counts(path, table, *, reference=None, noise: float, title: str = "", truth=None) -> Path:
    """Euclidean-normalised counts with 68%/95% intervals, the reference counts and the 5-sigma limit (PNG, atomic)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mid = np.asarray(table["s_mid"])
    fig, ax = plt.subplots(figsize=(6, 4.2))
    e = np.asarray(table["s25_dnds"])
    ax.errorbar(mid * 1e6, e, yerr=[e - np.asarray(table["s25_dnds_lo95"]), np.asarray(table["s25_dnds_hi95"]) - e], fmt="none",
                ecolor="tab:blue", elinewidth=1, capsize=3, alpha=0.6, label="95%")
    ax.errorbar(mid * 1e6, e, yerr=[e - np.asarray(table["s25_dnds_lo68"]), np.asarray(table["s25_dnds_hi68"]) - e], fmt="o",
                color="tab:blue", elinewidth=3, label="posterior median, 68%")
    lo, hi = float(table["s_lo"][0]), float(table["s_hi"][-1])
    if reference is not None:
        s = np.geomspace(lo / 3, hi * 3, 200)
        ax.plot(s * 1e6, reference.dnds(s) * s**2.5, "k--", lw=1, label="reference n0(S)")
    if truth is not None:
        ax.plot(mid * 1e6, truth, "r*", ms=9, label="truth")
    ax.axvline(5 * noise * 1e6, color="tab:red", lw=1, ls=":", label="5 sigma")
    ax.axvline(0.2 * noise * 1e6, color="tab:gray", lw=1, ls=":", label="0.2 sigma")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("S (uJy)")
    ax.set_ylabel("S^2.5 dN/dS (Jy^1.5 sr^-1)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return path


def estimate_image(path, model: CountsModel, *, noise: float | None = None, n_samples: int = 2000, seed: int = 0,
                   read_options: dict | None = None, model_name: str = ""):
    """Posterior counts of one FITS image.

    Returns
    -------
    astropy.table.Table
        :func:`counts_table` with the metadata ``noise`` (Jy/beam),
        ``beam`` (arcsec, arcsec, deg), ``area_sr``, ``model``, ``n_fields``.

    Raises
    ------
    radio_unet.errors.InputError
        No beam or unit, non-square pixels, smaller than one field, or a
        resolution or noise the model was not trained for.
    """
    from ..io import read_image  # astropy.wcs, astropy.coordinates (~0.25 s): only to read an image

    img = read_image(path, **(read_options or {}))
    beam = img.require_beam()
    img.require_unit()
    img = img.to_unit("Jy/beam")
    sx, sy = img.pixel_scales_arcsec
    if abs(sx - sy) > 0.01 * max(sx, sy):
        raise InputError(path, f"non-square pixels ({sx:.3g}\" x {sy:.3g}\"): regrid the image to square pixels first")
    pix = img.pixel_scale_arcsec
    npix, tile = int(model.card.preset["npix"]), model.tile
    if min(img.shape) < tile:
        raise InputError(path, f"{img.shape[0]}x{img.shape[1]} pixels is smaller than one {tile}x{tile} tile; the model "
                               f"needs at least one {npix}x{npix} field")
    fields = image_fields(img.data, npix)
    if not fields:
        raise InputError(path, f"no {npix}x{npix} field without blank pixels in this {img.shape[0]}x{img.shape[1]} image "
                               f"(the model reads fields of {npix // tile}x{npix // tile} tiles of {tile} px); give a larger image")
    data = np.concatenate([f.ravel() for f in fields])
    noise = measure_noise(data) if noise is None else float(noise)
    if not noise > 0:
        raise InputError(path, "the measured noise is zero; give it with --noise")
    model.check_resolution(path, beam_major_arcsec=beam.major, beam_minor_arcsec=beam.minor, pixel_scale_arcsec=pix,
                           noise=noise)
    inputs = [field_inputs(f / noise, noise=noise, beam_major_arcsec=beam.major, beam_minor_arcsec=beam.minor,
                           pixel_scale_arcsec=pix, tile=tile) for f in fields]
    tiles = np.stack([t for t, _ in inputs])
    extra = np.stack([e for _, e in inputs])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_field = model.sample(tiles, extra, n_samples, seed=seed)
    samples = combine_fields(per_field, model.card.y_mean, model.card.y_std, n=n_samples,
                             rng=np.random.default_rng(seed))
    area = len(fields) * npix * npix * pix**2 * SR_PER_ARCSEC2
    meta = {"image": str(path), "noise": noise, "noise_unit": "Jy/beam", "beam": [beam.major, beam.minor, beam.pa],
            "beam_unit": "arcsec, arcsec, deg", "area_sr": area, "n_fields": len(fields), "model": model_name,
            "preset": model.card.preset["name"], "posterior_samples": int(n_samples),
            "combined": "single field" if len(fields) == 1 else "Gaussian product of the fields' posteriors (approximate)"}
    return counts_table(samples, model.edges, meta=meta)


def estimate_images(images, out: str | PathLike, *, model=None, noise=None, n_samples: int = 2000, seed: int = 0,
                    read_options: dict | None = None, progress=None) -> int:
    """Estimate the counts of several images; a bad image is reported in one line and the others still run.

    Writes ``OUT/<stem>.counts.ecsv`` and ``OUT/<stem>.counts.png`` per image.
    Without ``model``, each image gets the first shipped model
    (:func:`~radio_unet.counts.model.shipped_counts_models`, the default
    first) trained for its beam, pixel size and noise.

    Returns
    -------
    int
        The number of images that failed.
    """
    import sys

    out = Path(out)
    names = [str(model)] if model else shipped_counts_models()
    loaded = {}
    failures = 0
    for path in images:
        table, first_error = None, None
        for name in names:
            if name not in loaded:
                loaded[name] = load_counts_model(name)
            cm = loaded[name]
            try:
                table = estimate_image(path, cm, noise=noise, n_samples=n_samples, seed=seed, read_options=read_options,
                                       model_name=name)
                break
            except ResolutionError as exc:  # another shipped model may fit this resolution
                first_error = first_error or exc
            except RadioUNetError as exc:
                first_error = exc
                break
        if table is None:
            tried = "" if model or not isinstance(first_error, ResolutionError) or len(names) < 2 else \
                f" (nor any other shipped counts model: {', '.join(names[1:])})"
            print(f"radio-unet counts estimate: error: {first_error}{tried}", file=sys.stderr)
            failures += 1
            continue
        reference = ReferenceCounts(float(loaded[table.meta["model"]].card.preset["freq_hz"]))
        stem = Path(path).name
        for suffix in (".gz", ".fits", ".fit", ".fts"):
            stem = stem[: -len(suffix)] if stem.lower().endswith(suffix) else stem
        ecsv = out / f"{stem}.counts.ecsv"
        with atomic_path(ecsv) as tmp:
            table.write(tmp, format="ascii.ecsv")
        plot_counts(out / f"{stem}.counts.png", table, reference=reference, noise=table.meta["noise"],
                    title=f"{Path(path).name}: {table.meta['n_fields']} field(s), noise {table.meta['noise'] * 1e6:.0f} uJy/beam")
        if progress:
            progress(f"{path}: wrote {ecsv} and {stem}.counts.png ({table.meta['n_fields']} field(s), "
                     f"noise {table.meta['noise'] * 1e6:.1f} uJy/beam, model {table.meta['model']})")
    return failures
