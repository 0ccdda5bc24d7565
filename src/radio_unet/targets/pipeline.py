"""The whole per-target chain: cut-out -> segment -> detection ratio -> figures, tables and the threshold sweep.

:func:`run_targets` runs :class:`TargetJob` over every target of a
catalogue (in parallel with :func:`radio_unet.parallel.run_parallel`) and
writes into ``out_dir``::

    cutouts/<stem>.fits          the image cut-outs (WCS, beam, unit kept)
    segment/<stem>.prob.fits     probability maps (mask, DS9 regions) unless --probabilities
    figures/<stem>.png           image + p contour + R circle | probability map
    targets.ecsv                 one row per catalogue target (status says why R is missing)
    gallery.png                  overview, strongest R first (gallery_NN.png when many)
    summary.json                 counts; with labels the metrics, KS test and best threshold
    sweep.ecsv, sweep.png, ratio_histogram.png   with labels
    rejected_rows.txt            catalogue rows skipped for missing or impossible values

Every step skips work already done (cut-outs with the same settings,
probability maps with the same model and options, figures with the same
numbers), so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import math
from os import PathLike
from pathlib import Path
from typing import Sequence

import numpy as np
from astropy.table import MaskedColumn, Table

from ..cosmology import get_cosmology
from ..errors import InputError, RadioUNetError
from ..io.atomic import atomic_path
from ..jsonsafe import json_safe
from ..parallel import run_parallel
from .cutouts import CutoutJob, cut_out, find_images, open_image, read_footprints, target_items, write_rejected
from .ratio import aperture_class_fractions, measure_target, radius_pixels
from .sweep import PAPER_THRESHOLD, detect, summarize_detection

__all__ = ["TargetJob", "find_probability_map", "run_targets", "results_table", "GALLERY_PAGE"]

#: Targets per gallery page.
GALLERY_PAGE = 48


def find_probability_map(directory: str | PathLike, stems: Sequence[str]) -> Path | None:
    """The first ``<stem>.prob.fits`` (or ``.prob.fits.gz``) in ``directory`` among ``stems``."""
    for stem in stems:
        for suffix in (".prob.fits", ".prob.fits.gz"):
            path = Path(directory) / f"{stem}{suffix}"
            if path.is_file():
                return path
    return None


def _same_grid(shape_a, wcs_a, shape_b, wcs_b, *, tolerance: float = 0.01) -> bool:
    """True when two grids have the same shape and their corners and centre agree within ``tolerance`` pixels."""
    if tuple(shape_a) != tuple(shape_b):
        return False
    ny, nx = shape_a
    x = np.array([0.0, nx - 1, 0.0, nx - 1, (nx - 1) / 2])
    y = np.array([0.0, 0.0, ny - 1, ny - 1, (ny - 1) / 2])
    try:
        xa, ya = wcs_a.world_to_pixel(wcs_b.pixel_to_world(x, y))
    except Exception:  # noqa: BLE001 - incompatible frames and the like: not the same grid
        return False
    return bool(np.all(np.abs(np.asarray(xa) - x) < tolerance) and np.all(np.abs(np.asarray(ya) - y) < tolerance))


def _on_grid(prob_image, *, ra: float, dec: float, shape, wcs) -> np.ndarray:
    """The probability map on the cut-out grid: the same cut when the grids agree, else reprojected."""
    if _same_grid(prob_image.data.shape, prob_image.wcs, shape, wcs):
        return np.asarray(prob_image.data, np.float32)
    data, cut_wcs = cut_out(prob_image.data, prob_image.wcs, ra=ra, dec=dec, size=max(shape))
    if _same_grid(data.shape, cut_wcs, shape, wcs):
        return data
    from ..segment.resample import regrid  # the segment package, astropy.wcs: not for cutout

    return regrid(prob_image.data, prob_image.wcs, wcs, shape)


class TargetJob:
    """Cut out, segment and measure one target (picklable for :func:`radio_unet.parallel.run_parallel`).

    Parameters
    ----------
    out_dir : path
        Output folder (``cutouts/``, ``segment/``, ``figures/`` go inside).
    size : int
        Cut-out side in pixels.
    radius_r500 : float
        Radius of the R circle in units of R500.
    prob_threshold : float
        Probability of the contour, the segmentation mask and ``npix_above``.
    threshold : float
        R threshold of ``detected`` (shown in the figure).
    model : str
        Model name or path for :func:`radio_unet.segment.run.segment_file`.
    probabilities : path, optional
        Folder of existing ``<stem>.prob.fits`` maps (the target's stem, or
        the stem of the image it was cut from) used instead of segmenting.
    segment_options : dict, optional
        ``tiling``, ``backend``, ``device``, ``precision`` for segment_file.
    read_options : dict, optional
        ``beam``/``unit``/``plane`` for reading the input images.
    png : bool
        Write the per-target figure.
    overwrite : bool
        Redo every step.
    h0, om0 : float
        Flat Lambda-CDM cosmology of the pixel areas and radii.
    thumb_size : int
        Side of the gallery thumbnail.

    Notes
    -----
    The item is a dict with ``index``, ``name``, ``stem``, ``ra``, ``dec``,
    ``z``, ``r500_mpc`` and ``candidates`` (image paths, nearest centre
    first). The result is a dict of the measured values (see
    :func:`radio_unet.targets.ratio.measure_target`) with ``status``
    (``ok`` or ``blank in every image``), file names and a ``thumb`` for
    the gallery.
    """

    def __init__(
        self,
        out_dir: str | PathLike,
        *,
        size: int = 960,
        radius_r500: float = 2.2,
        prob_threshold: float = 0.5,
        threshold: float = PAPER_THRESHOLD,
        model: str = "default",
        probabilities: str | PathLike | None = None,
        segment_options: dict | None = None,
        read_options: dict | None = None,
        png: bool = True,
        overwrite: bool = False,
        h0: float = 70.0,
        om0: float = 0.3,
        thumb_size: int = 96,
    ):
        self.out_dir = str(out_dir)
        self.size = int(size)
        self.radius_r500 = float(radius_r500)
        self.prob_threshold = float(prob_threshold)
        self.threshold = float(threshold)
        self.model = str(model)
        self.probabilities = None if probabilities is None else str(probabilities)
        self.segment_options = dict(segment_options or {})
        self.read_options = dict(read_options or {})
        self.png = bool(png)
        self.overwrite = bool(overwrite)
        self.h0, self.om0 = float(h0), float(om0)
        self.thumb_size = int(thumb_size)

    def _cosmology(self):
        return get_cosmology(self.h0, self.om0)

    def _probability_map(self, item: dict, cutout: dict) -> Path:
        if self.probabilities is not None:
            from ..segment.run import output_stem  # the segment package, astropy.wcs: not for cutout

            stems = [item["stem"]] + ([output_stem(cutout["image"])] if cutout.get("image") else [])
            path = find_probability_map(self.probabilities, stems)
            if path is None:
                names = " or ".join(f"{s}.prob.fits" for s in stems)
                raise InputError(self.probabilities, f"no probability map for {item['name']} ({names})")
            return path
        from ..segment.run import segment_file  # the segment package, astropy.wcs: not for cutout

        result = segment_file(cutout["file"], Path(self.out_dir) / "segment", model=self.model,
                              threshold=self.prob_threshold, png=False, overwrite=self.overwrite,
                              **self.segment_options)
        return Path(result["prob"])

    def __call__(self, item: dict) -> dict:
        from ..io import read_image  # astropy.wcs, astropy.coordinates (~0.25 s)
        from .figures import png_signature, save_target_figure, thumbnail  # matplotlib

        cutter = CutoutJob(Path(self.out_dir) / "cutouts", size=self.size, read_options=self.read_options,
                           overwrite=self.overwrite)
        cutout = cutter(item)
        base = {"index": item["index"], "name": item["name"], "stem": item["stem"], "image": cutout["image"]}
        if cutout["file"] is None:
            return {**base, "status": "blank in every image"}
        prob_path = self._probability_map(item, cutout)
        prob = open_image(str(prob_path), None, cache=2) if self.probabilities else read_image(prob_path)
        cosmo = self._cosmology()
        m = measure_target(prob.data, prob.wcs, ra=item["ra"], dec=item["dec"], z=item["z"],
                           r500_mpc=item["r500_mpc"], radius_r500=self.radius_r500, threshold=self.prob_threshold,
                           cosmology=cosmo)

        image = read_image(cutout["file"])
        prob_grid = _on_grid(prob, ra=item["ra"], dec=item["dec"], shape=image.data.shape, wcs=image.wcs)
        from astropy.coordinates import SkyCoord

        cx, cy = (float(v) for v in image.wcs.world_to_pixel(SkyCoord(item["ra"], item["dec"], unit="deg")))
        radius_cut = m["radius_pix"] * m["pixel_scale_arcsec"] / image.pixel_scale_arcsec
        from ..plots import image_limits  # matplotlib

        limits = image_limits(image.data)  # once: the figure and the thumbnail share it
        figure = None
        if self.png:
            figure = Path(self.out_dir) / "figures" / f"{item['stem']}.png"
            detected = bool(detect([m["R"]], self.threshold)[0])
            text = (f"R={m['R']:.4f} ({'detected' if detected else 'not detected'} at {self.threshold:g}), "
                    f"coverage {m['coverage']:.2f}, max p {m['max_p']:.2f}, "
                    f"{self.radius_r500:g} R500 = {m['radius_pix']:.0f} px, z={item['z']:.3f}")
            signature = json.dumps({"text": text, "prob": str(prob_path), "cutout": cutout["file"],
                                    "contour": self.prob_threshold, "size": cutter.size_of(item)},
                                   sort_keys=True)
            if self.overwrite or png_signature(figure) != signature:
                save_target_figure(figure, image.data, prob_grid, center_xy=(cx, cy), radius_pix=radius_cut,
                                   contour=self.prob_threshold, title=item["name"], text=text, signature=signature,
                                   limits=limits)
        status = "ok" if m["npix"] > 0 else "no valid probability pixels within the radius"
        fractions = _aperture_classes(prob_path, m)
        thumb = thumbnail(image.data, prob_grid, center_xy=(cx, cy), radius_pix=radius_cut, size=self.thumb_size,
                          limits=limits)
        return {**base, "status": status, **{k: m[k] for k in ("R", "coverage", "npix", "npix_circle", "npix_above",
                                                              "max_p", "radius_pix", "area_kpc2")},
                **fractions, "cutout": Path(cutout["file"]).name, "prob": str(prob_path),
                "figure": str(figure) if figure else "", "thumb": thumb}


def _aperture_classes(prob_path: Path, m: dict) -> dict[str, float]:
    """Class fractions inside the aperture from the class map beside ``prob_path`` (a classification network's
    ``<stem>.class.fits``); empty when there is none."""
    from astropy.io import fits

    from ..segment.run import class_names_from_header  # the segment package, astropy.wcs: not for cutout

    class_path = Path(str(prob_path).replace(".prob.fits", ".class.fits"))
    if class_path == Path(prob_path) or not class_path.exists():
        return {}
    with fits.open(class_path) as hdul:
        header, data = hdul[0].header, hdul[0].data
        names = class_names_from_header(header)
        return aperture_class_fractions(data, names, center_xy=(m["x"], m["y"]), radius_pix=m["radius_pix"],
                               blank=int(header.get("BLANKCLS", 255)))


def results_table(catalog: Table, results: Sequence[dict], *, off: Sequence[dict] = (), failures=(),
                  threshold: float = PAPER_THRESHOLD) -> Table:
    """``targets.ecsv``: one row per catalogue target with its measurements and status.

    Columns: ``name, ra, dec, z, r500_mpc, r500_arcmin, radius_pix, R,
    coverage, npix, npix_above, area_kpc2, max_p, detected`` (+ ``label``,
    ``positive``), ``image, cutout, prob, status``. R and the other
    measurements are NaN (or 0) for targets that could not be measured, and
    ``status`` says why.
    """
    n = len(catalog)
    by_index = {r["index"]: r for r in results}
    status = [""] * n
    for r in off:
        status[r["index"]] = "off every image"
    for item, message in failures:
        status[item["index"]] = f"failed: {message}"
    for i, r in by_index.items():
        status[i] = r["status"]
    out = Table()
    for col in ("name", "ra", "dec", "z", "r500_mpc", "r500_arcmin"):
        out[col] = catalog[col]

    def column(key, default, dtype):
        return np.array([by_index[i].get(key, default) if i in by_index else default for i in range(n)], dtype=dtype)

    out["radius_pix"] = column("radius_pix", np.nan, float)
    out["R"] = column("R", np.nan, float)
    out["coverage"] = column("coverage", 0.0, float)
    out["npix"] = column("npix", 0, np.int64)
    out["npix_above"] = column("npix_above", 0, np.int64)
    out["area_kpc2"] = column("area_kpc2", np.nan, float)
    out["area_kpc2"].unit = "kpc2"
    out["max_p"] = column("max_p", np.nan, float)
    for key in dict.fromkeys(k for r in results for k in r if k.startswith("frac_")):  # classification network
        out[key] = column(key, np.nan, float)
    out["detected"] = detect(out["R"], threshold)
    if "label" in catalog.colnames:
        out["label"] = catalog["label"]
        out["positive"] = MaskedColumn(np.ma.getdata(catalog["positive"]).astype(bool),
                                       mask=np.ma.getmaskarray(catalog["positive"]))
    out["image"] = np.array([str(by_index[i].get("image") or "") if i in by_index else "" for i in range(n)], dtype=str)
    out["cutout"] = column("cutout", "", str) if n else np.zeros(0, str)
    out["prob"] = np.array([Path(by_index[i]["prob"]).name if i in by_index and by_index[i].get("prob") else ""
                            for i in range(n)], dtype=str)
    out["status"] = np.array(status, dtype=str)
    return out


def _write_table(table: Table, path: Path) -> Path:
    with atomic_path(path) as tmp:
        table.write(tmp, format="ascii.ecsv")
    return path


def _check_options(size: int, radius_r500: float, probabilities: str | PathLike | None) -> None:
    """Raise on a cut-out size, radius or ``--probabilities`` folder that cannot work.

    Parameters
    ----------
    size : int
        Cut-out side in pixels.
    radius_r500 : float
        Radius of the R circle in units of R500.
    probabilities : path or None
        Folder of existing probability maps.

    Raises
    ------
    RadioUNetError
        On a non-positive size or radius.
    InputError
        When ``probabilities`` is not a folder.
    """
    if int(size) < 1:
        raise RadioUNetError(f"--size must be a positive number of pixels, got {size}")
    if not radius_r500 > 0:
        raise RadioUNetError(f"--radius-r500 must be positive, got {radius_r500}")
    if probabilities is not None and not Path(probabilities).is_dir():
        raise InputError(probabilities, "--probabilities must be a folder of <stem>.prob.fits maps")


def _add_target_values(items: list[dict], catalog: Table, footprints, *, size: int, radius_r500: float,
                       fit_radius: bool, h0: float, om0: float) -> None:
    """Add ``z`` and ``r500_mpc`` to every item (and with ``fit_radius`` a ``size`` that holds the whole circle).

    Parameters
    ----------
    items : list of dict
        From :func:`radio_unet.targets.cutouts.target_items`; updated in place.
    catalog : astropy.table.Table
        The catalogue the items index.
    footprints : sequence
        The image footprints (their WCS gives the pixel scale of the best image).
    size, radius_r500, fit_radius, h0, om0 :
        See :func:`run_targets`.
    """
    from astropy.wcs.utils import proj_plane_pixel_scales

    scales = {fp.path: float(np.sqrt(np.prod(np.abs(proj_plane_pixel_scales(fp.wcs))))) * 3600 for fp in footprints}
    for item in items:
        row = catalog[item["index"]]
        item.update(z=float(row["z"]), r500_mpc=float(row["r500_mpc"]))
        if fit_radius:  # make the cut-out hold the whole circle (on the best image's pixel scale)
            radius = radius_pixels(item["r500_mpc"], item["z"], pixel_scale_arcsec=scales[item["candidates"][0]],
                                   radius_r500=radius_r500, cosmology=get_cosmology(h0, om0))
            item["size"] = max(int(size), 2 * int(math.ceil(radius)) + 2)


def _table_meta(catalog: Table, *, radius_r500: float, threshold: float, prob_threshold: float, model: str,
                probabilities, h0: float, om0: float, size: int, fit_radius: bool) -> dict:
    """The run settings recorded in the metadata of ``targets.ecsv``.

    Parameters
    ----------
    catalog : astropy.table.Table
        The input catalogue (its ``source`` and ``rejected`` metadata).
    radius_r500, threshold, prob_threshold, model, probabilities, h0, om0, size, fit_radius :
        See :func:`run_targets`.

    Returns
    -------
    dict
    """
    return {"radius_r500": radius_r500, "threshold": threshold, "prob_threshold": prob_threshold,
            "model": "probabilities from " + str(probabilities) if probabilities else str(model),
            "cosmology": f"FlatLambdaCDM(H0={h0:g}, Om0={om0:g})", "size": int(size),
            "catalogue": catalog.meta.get("source", ""), "fit_radius": bool(fit_radius),
            "n_rejected_rows": len(catalog.meta.get("rejected", []))}


def _gallery_entries(results: Sequence[dict], table: Table, threshold: float) -> list[dict]:
    """The gallery entries of the measured targets, strongest R first.

    Parameters
    ----------
    results : sequence of dict
        The :class:`TargetJob` results.
    table : astropy.table.Table
        ``targets.ecsv`` (its ``label`` column, when there is one).
    threshold : float
        R threshold of ``detected``.

    Returns
    -------
    list of dict
        ``thumb``, ``name``, ``R``, ``detected`` and ``label`` of each target.
    """
    has_labels = "label" in table.colnames
    entries = [{"thumb": r["thumb"], "name": r["name"], "R": r["R"], "detected": bool(detect([r["R"]], threshold)[0]),
                "label": str(table["label"][r["index"]]) if has_labels else ""}
               for r in results if r["status"] == "ok"]
    entries.sort(key=lambda e: -e["R"] if np.isfinite(e["R"]) else np.inf)
    return entries


def _save_gallery_pages(out: Path, entries: list[dict], *, radius_r500: float, threshold: float) -> list[Path]:
    """Write ``gallery.png`` (``gallery_NN.png`` when the entries fill more than one page).

    Parameters
    ----------
    out : Path
        Output folder.
    entries : list of dict
        From :func:`_gallery_entries`.
    radius_r500, threshold : float
        Shown in the titles.

    Returns
    -------
    list of Path
        The pages written.
    """
    from .figures import save_gallery  # matplotlib

    pages = [entries[i : i + GALLERY_PAGE] for i in range(0, len(entries), GALLERY_PAGE)]
    written = []
    for k, page in enumerate(pages, start=1):
        name = "gallery.png" if len(pages) == 1 else f"gallery_{k:02d}.png"
        title = f"{len(entries)} targets, R in {radius_r500:g} R500, threshold {threshold:g}" + (
            f" (page {k}/{len(pages)})" if len(pages) > 1 else "")
        written.append(save_gallery(out / name, page, title=title))
    return written


def _write_sweep_outputs(out: Path, table: Table, truth, sweep: Table, summary: dict, *, threshold: float,
                         png: bool) -> dict:
    """Write ``sweep.ecsv`` and, with ``png``, ``ratio_histogram.png`` and ``sweep.png``.

    Parameters
    ----------
    out : Path
        Output folder.
    table : astropy.table.Table
        ``targets.ecsv`` (its ``R`` column).
    truth : masked column
        The ``positive`` labels.
    sweep : astropy.table.Table
        The threshold sweep.
    summary : dict
        The summary (its ``best`` threshold).
    threshold : float
        R threshold of ``detected``.
    png : bool
        Write the figures.

    Returns
    -------
    dict
        The paths written, under ``sweep``, ``histogram`` and ``sweep_figure``.
    """
    from .figures import save_ratio_histograms, save_sweep_figure  # matplotlib

    paths = {"sweep": _write_table(sweep, out / "sweep.ecsv")}
    best = summary["best"]["threshold"]
    if png:
        labelled = ~np.ma.getmaskarray(truth)
        scores = np.asarray(table["R"], float)[labelled]
        classes = np.ma.getdata(truth).astype(bool)[labelled]
        paths["histogram"] = save_ratio_histograms(out / "ratio_histogram.png", scores, classes,
                                                   threshold=threshold, best=best)
        paths["sweep_figure"] = save_sweep_figure(out / "sweep.png", sweep, threshold=threshold, best=best)
    return paths


def _write_summary(summary: dict, path: Path) -> Path:
    """Write ``summary`` as JSON to ``path`` (atomically) and return ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(json_safe(summary), indent=2) + "\n")
    return path


def run_targets(
    catalog: Table,
    images: Sequence[str | PathLike],
    out_dir: str | PathLike,
    *,
    size: int = 960,
    radius_r500: float = 2.2,
    threshold: float = PAPER_THRESHOLD,
    prob_threshold: float = 0.5,
    model: str = "default",
    probabilities: str | PathLike | None = None,
    segment_options: dict | None = None,
    read_options: dict | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    png: bool = True,
    overwrite: bool = False,
    h0: float = 70.0,
    om0: float = 0.3,
    fit_radius: bool = False,
) -> dict:
    """Run the whole chain over a catalogue and write every output (see the module docstring).

    Parameters
    ----------
    catalog : astropy.table.Table
        From :func:`radio_unet.targets.catalog.read_catalog` (standard columns,
        optional ``label``/``positive``).
    images : sequence of path
        Mosaics, pointings or ready cut-outs, or folders of them.
    out_dir : path
    size, radius_r500, threshold, prob_threshold, model, probabilities, segment_options, read_options, png, overwrite, h0, om0 :
        See :class:`TargetJob`.
    workers, scheduler :
        See :func:`radio_unet.parallel.run_parallel`.
    fit_radius : bool
        Enlarge the cut-out of a target whose circle does not fit in
        ``size`` pixels to ``2 ceil(radius) + 2`` pixels, so that the whole
        circle is segmented (nearby clusters: large cut-outs, slower).

    Returns
    -------
    dict
        ``table`` (targets.ecsv), ``summary`` (dict), ``sweep`` (Table or
        None), ``failures``, ``off``, ``bad_images`` and ``paths`` (the
        files written).
    """
    _check_options(size, radius_r500, probabilities)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    footprints, bad_images = read_footprints(find_images(images))
    if not footprints:
        raise RadioUNetError("none of the --images is a readable FITS image with a celestial WCS")
    items, off = target_items(catalog, footprints)
    _add_target_values(items, catalog, footprints, size=size, radius_r500=radius_r500, fit_radius=fit_radius,
                       h0=h0, om0=om0)
    job = TargetJob(out, size=size, radius_r500=radius_r500, prob_threshold=prob_threshold, threshold=threshold,
                    model=model, probabilities=probabilities, segment_options=segment_options,
                    read_options=read_options, png=png, overwrite=overwrite, h0=h0, om0=om0)
    results, failures = run_parallel(job, items, workers=workers, scheduler=scheduler, desc="targets", unit="target")
    results.sort(key=lambda r: r["index"])

    table = results_table(catalog, results, off=off, failures=failures, threshold=threshold)
    table.meta.update(_table_meta(catalog, radius_r500=radius_r500, threshold=threshold,
                                  prob_threshold=prob_threshold, model=model, probabilities=probabilities,
                                  h0=h0, om0=om0, size=size, fit_radius=fit_radius))
    paths = {"table": _write_table(table, out / "targets.ecsv")}
    rejected = catalog.meta.get("rejected", [])
    if rejected:
        paths["rejected"] = write_rejected(out, catalog)
    entries = _gallery_entries(results, table, threshold)
    if png and entries:
        paths["gallery"] = _save_gallery_pages(out, entries, radius_r500=radius_r500, threshold=threshold)

    truth = table["positive"] if "label" in table.colnames else None
    summary, sweep = summarize_detection(np.asarray(table["R"], float), truth, threshold=threshold)
    summary.update(n_catalogue_rows=int(catalog.meta.get("n_input", len(catalog))),
                   n_rejected_rows=len(rejected), n_off_images=len(off) + sum(r["status"] != "ok" for r in results),
                   n_failed=len(failures), radius_r500=radius_r500, prob_threshold=prob_threshold)
    if sweep is not None:
        paths.update(_write_sweep_outputs(out, table, truth, sweep, summary, threshold=threshold, png=png))
    paths["summary"] = _write_summary(summary, out / "summary.json")
    return {"table": table, "summary": summary, "sweep": sweep, "failures": failures, "off": off,
            "bad_images": bad_images, "paths": paths}
