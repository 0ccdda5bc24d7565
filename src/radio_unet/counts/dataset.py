"""Data sets of simulated fields on disk: ``manifest.json`` plus shards of arrays.

A data set folder holds ``manifest.json`` (preset, family, route, seed, number
of fields, bins, shard names) and ``fields_NNNN.npz`` shards of up to
``SHARD_SIZE`` fields: ``image`` (float16, in units of the measured noise, so
10^4 128x128 fields take 330 MB), ``noise_measured`` (Jy/beam, the unit of
``image``), ``noise_stated`` (what the methods are told; differs from the
measured noise only in a mis-specification set), the true targets ``y``,
theta, the realised numbers of sources per bin and the nuisance values.
Shards are written atomically; an interrupted run resumes at the first
missing shard. Fields are split into training and validation sets by field
(:func:`split_fields`), never by tile.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np

from ..errors import InputError, RadioUNetError
from ..io.atomic import atomic_path
from ..io.beam import Beam
from .families import targets_to_dnds
from .presets import CountsPreset, get_counts_preset
from .simulate import simulate_field

__all__ = ["SHARD_SIZE", "NUISANCE_KEYS", "FieldSet", "simulate_dataset", "load_dataset", "load_datasets", "split_fields"]

SHARD_SIZE = 1000
MANIFEST = "manifest.json"
#: Per-field scalars stored next to the images.
NUISANCE_KEYS = ("pixel_scale_arcsec", "beam_major_arcsec", "beam_minor_arcsec", "beam_angle_deg", "noise_jy_beam",
                 "noise_power", "excess_fraction", "excess_scale_beams", "noise_measured", "n_sources")


@dataclass
class FieldSet:
    """Simulated fields held in memory.

    Attributes
    ----------
    images : numpy.ndarray
        ``(n, npix, npix)`` float16 images in units of ``noise_measured``.
    y : numpy.ndarray
        ``(n, n_bins)`` true targets, ``log10(S_mid**2.5 <dN/dS>)``.
    theta : numpy.ndarray
        ``(n, n_theta)`` count parameters of the family.
    n_true : numpy.ndarray
        ``(n, n_bins)`` sources per bin inside each field.
    meta : dict of numpy.ndarray
        The :data:`NUISANCE_KEYS` and ``noise_stated`` per field.
    preset : CountsPreset
    manifest : dict
    """

    images: np.ndarray
    y: np.ndarray
    theta: np.ndarray
    n_true: np.ndarray
    meta: dict
    preset: CountsPreset
    manifest: dict

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def subset(self, index) -> "FieldSet":
        """The fields at ``index`` (an index array or mask)."""
        return FieldSet(self.images[index], self.y[index], self.theta[index], self.n_true[index],
                        {k: v[index] for k, v in self.meta.items()}, self.preset, self.manifest)

    def image_jy(self, i: int) -> np.ndarray:
        """Field ``i`` in Jy/beam (float32)."""
        return self.images[i].astype(np.float32) * np.float32(self.meta["noise_measured"][i])


def _shard_name(k: int) -> str:
    return f"fields_{k:04d}.npz"


def simulate_dataset(preset: CountsPreset, n: int, out: str | PathLike, *, seed: int, family: str = "knots",
                     route: str = "fast", misspec: float = 1.0, fits: int = 0, progress=None) -> dict:
    """Simulate ``n`` fields into ``out`` (resuming an interrupted run).

    Parameters
    ----------
    preset : CountsPreset
    n : int
        Number of fields.
    out : path
        Output folder.
    seed : int
        Field ``i`` uses :func:`~radio_unet.counts.simulate.field_rng` of ``(seed, i)``.
    family : {"talk", "knots"}
    route : {"fast", "observe"}
    misspec : float
        Mis-specification factor: the fields' true beam is ``misspec`` times
        the beam they state and their true noise ``misspec`` times the noise
        they state (``noise_stated = noise_measured / misspec``). 1: none.
    fits : int
        Also write the first ``fits`` fields as FITS images (``fits/field_NNNNN.fits``,
        Jy/beam, beam and frequency in the header) with ``fits/truth.ecsv``.
    progress : callable, optional
        Called with a line of text after each shard.

    Returns
    -------
    dict
        The manifest.
    """
    if n < 1:
        raise RadioUNetError(f"--n must be at least 1, got {n}")
    if not misspec > 0:
        raise RadioUNetError(f"the mis-specification factor must be positive, got {misspec}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"format": "radio-unet-counts-fields/1", "preset": preset.name, "preset_values": preset.to_dict(),
                "family": family, "route": route, "seed": int(seed), "n": int(n), "misspec": float(misspec),
                "shard_size": SHARD_SIZE, "shards": [], "log_edges": list(preset.log_edges)}
    old = out / MANIFEST
    if old.exists():
        previous = json.loads(old.read_text())
        same = {k: previous.get(k) for k in ("preset", "family", "route", "seed", "misspec")}
        if same != {k: manifest[k] for k in same}:
            raise InputError(old, f"holds another data set ({same}); choose an empty folder")
    n_shards = -(-n // SHARD_SIZE)
    manifest["shards"] = [_shard_name(k) for k in range(n_shards)]
    with atomic_path(out / MANIFEST) as tmp:  # first, so that a reader of an unfinished set names the missing shard
        tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    cache = str(out / ".cache") if route == "observe" else None
    for k in range(n_shards):
        name = _shard_name(k)
        if (out / name).exists():
            continue
        t0 = time.perf_counter()
        lo, hi = k * SHARD_SIZE, min(n, (k + 1) * SHARD_SIZE)
        kw = {"header_scale": misspec} if route == "fast" else {"cache_dir": cache}
        recs = [simulate_field(preset, family, seed=seed, index=i, route=route, **kw) for i in range(lo, hi)]
        arrays = {
            "index": np.arange(lo, hi),
            "image": np.stack([np.clip(r["image"] / r["noise_measured"], -6e4, 6e4) for r in recs]).astype(np.float16),
            "y": np.stack([r["y"] for r in recs]),
            "theta": np.stack([r["theta"] for r in recs]),
            "n_true": np.stack([r["n_true"] for r in recs]),
            "noise_stated": np.array([r["noise_measured"] / misspec for r in recs]),
            **{key: np.array([float(r[key]) for r in recs]) for key in NUISANCE_KEYS},
        }
        if route == "observe" and misspec != 1.0:
            arrays["beam_major_arcsec"] /= misspec
            arrays["beam_minor_arcsec"] /= misspec
        with atomic_path(out / name) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
        if progress:
            progress(f"{name}: fields {lo}-{hi - 1} in {time.perf_counter() - t0:.1f} s")
        if fits and lo < fits:
            _write_fits(out / "fits", preset, recs[: max(0, fits - lo)], lo, family, seed, misspec)
    manifest["complete"] = True
    with atomic_path(out / MANIFEST) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _write_fits(folder: Path, preset: CountsPreset, recs: list, start: int, family: str, seed: int, misspec: float) -> None:
    from astropy.table import Table

    from ..io.image import write_image  # astropy.wcs, astropy.coordinates (~0.25 s): only for --fits
    from ..io.wcs import make_celestial_wcs  # astropy.wcs: only for --fits

    rows = []
    for j, r in enumerate(recs):
        i = start + j
        wcs = make_celestial_wcs(r["image"].shape, pixel_scale_arcsec=r["pixel_scale_arcsec"], ra_deg=150.0 + 0.1 * i, dec_deg=50.0)
        beam = Beam(r["beam_major_arcsec"] / (misspec if r["route"] == "observe" else 1.0),
                    r["beam_minor_arcsec"] / (misspec if r["route"] == "observe" else 1.0),
                    r["beam_angle_deg"] % 180.0 - 90.0)  # +x counter-clockwise -> east of north
        write_image(folder / f"field_{i:05d}.fits", r["image"], wcs=wcs, beam=beam, unit="Jy/beam", frequency=preset.freq_hz,
                    provenance={"preset": preset.name, "family": family, "seed": seed, "index": i})
        rows.append({"file": f"field_{i:05d}.fits", "noise_jy_beam": r["noise_jy_beam"],
                     **{f"dnds_true_{b}": v for b, v in enumerate(targets_to_dnds(r["y"], preset.edges))}})
    path = folder / "truth.ecsv"
    old = Table.read(path, format="ascii.ecsv") if path.exists() else None
    table = Table(rows=rows)
    if old is not None:
        from astropy.table import vstack

        table = vstack([old, table])
    with atomic_path(path) as tmp:
        table.write(tmp, format="ascii.ecsv")


def load_dataset(path: str | PathLike, *, limit: int | None = None) -> FieldSet:
    """Read a data set written by :func:`simulate_dataset`.

    Raises
    ------
    radio_unet.errors.InputError
        A folder without a manifest, or missing or unreadable shards.
    """
    path = Path(path)
    man_path = path / MANIFEST
    if not man_path.exists():
        raise InputError(path, "no manifest.json: not a data set of 'radio-unet counts simulate' (or the run did not finish)")
    try:
        manifest = json.loads(man_path.read_text())
        values = manifest.get("preset_values")
        preset = (CountsPreset(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}) if values
                  else get_counts_preset(manifest["preset"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(man_path, f"unreadable manifest ({exc})") from None
    parts = []
    for name in manifest["shards"]:
        shard = path / name
        if not shard.exists():
            raise InputError(shard, "shard missing; rerun 'radio-unet counts simulate' with the same options to finish it")
        try:
            with np.load(shard) as z:
                parts.append({k: z[k] for k in z.files})
        except (OSError, ValueError) as exc:
            raise InputError(shard, f"unreadable shard ({exc})") from None
        if limit is not None and sum(len(p["y"]) for p in parts) >= limit:
            break
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    if limit is not None:
        cat = {k: v[:limit] for k, v in cat.items()}
    meta = {k: cat[k] for k in (*NUISANCE_KEYS, "noise_stated", "index")}
    return FieldSet(cat["image"], cat["y"], cat["theta"], cat["n_true"], meta, preset, manifest)


def load_datasets(paths, *, limit: int | None = None) -> FieldSet:
    """Read one or several data sets of :func:`simulate_dataset` and pool their fields.

    Folders of one preset and one family may differ in route (e.g. fast-route
    and observe-route fields); the manifest of the pool names every folder
    (``parts``) and joins the routes with ``+``.

    Parameters
    ----------
    paths : path or list of paths
    limit : int, optional
        Use only the first ``limit`` fields of each folder.

    Raises
    ------
    radio_unet.errors.InputError
        A folder that :func:`load_dataset` cannot read, or one simulated with
        another preset or family than the first.
    """
    paths = [paths] if isinstance(paths, (str, PathLike)) else list(paths)
    if not paths:
        raise RadioUNetError("no data folder given")
    sets = [load_dataset(p, limit=limit) for p in paths]
    if len(sets) == 1:
        return sets[0]
    first = sets[0].preset.to_dict()
    for path, ds in zip(paths[1:], sets[1:]):
        if ds.preset.to_dict() != first:
            raise InputError(path, f"simulated with preset {ds.preset.name!r} settings that differ from those of "
                                   f"{paths[0]}: pool only folders of one preset")
        if ds.manifest["family"] != sets[0].manifest["family"]:
            raise InputError(path, f"{ds.manifest['family']} family, {paths[0]} {sets[0].manifest['family']}: pool only "
                                   "folders of one family")
    parts = [{"path": str(p), "n": len(ds), **{k: v for k, v in ds.manifest.items() if k not in ("shards", "preset_values")}}
             for p, ds in zip(paths, sets)]
    manifest = {"family": sets[0].manifest["family"],
                "route": "+".join(dict.fromkeys(d.manifest["route"] for d in sets)),
                "n": sum(len(d) for d in sets), "parts": parts}
    return FieldSet(np.concatenate([d.images for d in sets]), np.concatenate([d.y for d in sets]),
                    np.concatenate([d.theta for d in sets]), np.concatenate([d.n_true for d in sets]),
                    {k: np.concatenate([d.meta[k] for d in sets]) for k in sets[0].meta}, sets[0].preset, manifest)


def split_fields(n: int, *, fractions=(0.6, 0.3), seed: int = 0) -> list[np.ndarray]:
    """Split field indices ``0..n-1`` at random into disjoint sets of the given fractions (the rest last).

    Examples
    --------
    >>> a, b, c = split_fields(10, fractions=(0.5, 0.3))
    >>> len(a), len(b), len(c)
    (5, 3, 2)
    """
    order = np.random.default_rng([seed, 7]).permutation(n)
    cuts = np.cumsum([int(round(f * n)) for f in fractions])
    return [np.sort(part) for part in np.split(order, cuts)]
