"""Segment FITS files: probability map, mask, DS9 regions and a picture per input."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
from astropy.io import fits

from ..io import read_image, write_image
from .load import Segmenter, load_segmenter
from .regions import mask_polygons, write_ds9_polygons
from .resample import back_to_grid, match_resolution

__all__ = ["output_stem", "output_paths", "is_finished", "segment_file", "cached_segmenter"]

_SUFFIXES = re.compile(r"(\.fits|\.fit|\.fts)(\.gz|\.fz|\.bz2)?$", re.IGNORECASE)


def output_stem(path: str | Path) -> str:
    """``mosaic.fits.gz`` -> ``mosaic``."""
    return _SUFFIXES.sub("", Path(path).name)


def output_paths(path: str | Path, out_dir: str | Path) -> dict[str, Path]:
    """Where the outputs of ``path`` go: ``prob``, ``mask``, ``reg`` and ``png``."""
    stem = Path(out_dir) / output_stem(path)
    return {k: stem.with_name(f"{stem.name}.{ext}") for k, ext in
            (("prob", "prob.fits"), ("mask", "mask.fits"), ("reg", "reg"), ("png", "png"))}


def _signature(segmenter: Segmenter, options: dict) -> str:
    return json.dumps({"model": segmenter.card.sha256, **options}, sort_keys=True, default=str)


def is_finished(paths: dict[str, Path], signature: str, *, png: bool = True) -> bool:
    """True when every output exists and the probability map was made with the same model and options."""
    if not all(p.exists() for k, p in paths.items() if png or k != "png"):
        return False
    try:
        return fits.getheader(paths["prob"]).get("HIERARCH RUNET SIGNATURE") == signature
    except OSError:
        return False


@lru_cache(maxsize=4)
def cached_segmenter(model: str, backend: str, device: str, precision: str) -> Segmenter:
    """One loaded model per process (Dask workers reuse it across files)."""
    return load_segmenter(model, backend=backend, device=device, precision=precision)


def segment_file(
    path: str | Path,
    out_dir: str | Path,
    *,
    model: str = "default",
    tiling: str = "window",
    threshold: float = 0.5,
    backend: str = "torch",
    device: str = "cpu",
    precision: str = "32",
    read_options: dict | None = None,
    png: bool = True,
    overwrite: bool = False,
) -> dict:
    """Segment one FITS image and write its outputs.

    Returns
    -------
    dict
        ``input``, output paths, ``skipped`` (already finished), resampling
        factor and the fraction of valid pixels above ``threshold``.
    """
    segmenter = cached_segmenter(str(model), backend, device, precision)
    paths = output_paths(path, out_dir)
    options = {"tiling": tiling, "threshold": threshold, "read": {k: str(v) for k, v in (read_options or {}).items()}}
    signature = _signature(segmenter, options)
    if not overwrite and is_finished(paths, signature, png=png):
        return {"input": str(path), "skipped": True, **{k: str(v) for k, v in paths.items()}}
    image = read_image(path, **(read_options or {}))
    card = segmenter.card
    model_beam = (card.beam_arcsec or {}).get("major")
    work, factor = match_resolution(image, model_pixel_scale=card.pixel_scale_arcsec, model_beam=model_beam)
    prob = segmenter(work, tiling=tiling)
    if factor != 1.0:
        prob = back_to_grid(prob, work.wcs, image)
    mask = (np.nan_to_num(prob) >= threshold) & ~image.blank
    provenance = {"model": str(model), "model_sha256": card.sha256, "input": Path(path).name, "tiling": tiling,
                  "threshold": threshold, "resample": factor, "signature": signature}
    write_image(paths["mask"], mask.astype(np.uint8), wcs=image.wcs, beam=image.beam, provenance=provenance)
    write_ds9_polygons(paths["reg"], mask_polygons(mask), image.wcs, text=f"p>{threshold:g}")
    if png:
        from ..plots import save_segmentation_figure

        save_segmentation_figure(paths["png"], image.data, prob, threshold=threshold, title=Path(path).name)
    # The probability map is written last: its signature marks the outputs as finished.
    write_image(paths["prob"], prob.astype(np.float32), wcs=image.wcs, beam=image.beam, unit="probability",
                provenance=provenance)
    return {"input": str(path), "skipped": False, "resample": factor,
            "fraction_above": float(mask.mean()), **{k: str(v) for k, v in paths.items()}}
