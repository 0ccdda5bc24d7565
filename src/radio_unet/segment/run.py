"""Segment FITS files: probability map, mask, DS9 regions and a picture per input."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
from astropy.io import fits

from ..io import image_header, open_image_memmap, read_image
from ..io.atomic import remove_stale_temporaries
from ..io.ds9 import mask_polygons, write_ds9_polygons
from ..plots.worker import draw_now
from ..stats import background_level
from . import artefacts as artefact_rule
from .backends import DEFAULT_TTA
from .flatten import FLATTEN_RULE, MIN_VARIATION, flatten
from .load import Segmenter, load_segmenter
from .resample import back_to_grid, match_resolution
from .tiling import release_pages

__all__ = ["output_stem", "output_paths", "is_finished", "segment_file", "cached_segmenter", "class_cards", "flatten_image",
           "flattens_noise", "class_names_from_header", "artefact_regions_path", "BLANK_CLASS", "PICTURE_PIXELS"]

_SUFFIXES = re.compile(r"(\.fits|\.fit|\.fts)(\.gz|\.fz|\.bz2)?$", re.IGNORECASE)


def output_stem(path: str | Path) -> str:
    """``mosaic.fits.gz`` -> ``mosaic``."""
    return _SUFFIXES.sub("", Path(path).name)


def output_paths(path: str | Path, out_dir: str | Path, *, classes: bool = False) -> dict[str, Path]:
    """Where the outputs of ``path`` go: ``prob``, ``mask``, ``reg`` and ``png``; with ``classes`` (a
    classification network) also ``class`` (arg-max class map) and ``classprob`` (a plane per class)."""
    stem = Path(out_dir) / output_stem(path)
    kinds = [("prob", "prob.fits"), ("mask", "mask.fits"), ("reg", "reg"), ("png", "png")]
    if classes:
        kinds += [("class", "class.fits"), ("classprob", "classprob.fits")]
    return {k: stem.with_name(f"{stem.name}.{ext}") for k, ext in kinds}


#: Value of blank pixels in ``<stem>.class.fits``.
BLANK_CLASS = 255


def class_cards(names: list[str]) -> dict[str, str]:
    """Header cards ``CLASSn = 'name'`` naming the value ``n`` of a class map (plane ``n + 1`` of a cube).

    Examples
    --------
    >>> class_cards(["background", "radio halo"])
    {'CLASS0': 'background', 'CLASS1': 'radio halo'}
    """
    return {f"CLASS{n}": name for n, name in enumerate(names)}


def class_names_from_header(header) -> list[str]:
    """The class names of a class map or cube, by value, from its ``CLASSn`` cards (inverse of :func:`class_cards`).

    Examples
    --------
    >>> from astropy.io import fits
    >>> class_names_from_header(fits.Header(class_cards(["background", "radio halo"])))
    ['background', 'radio halo']
    """
    names = []
    while f"CLASS{len(names)}" in header:
        names.append(str(header[f"CLASS{len(names)}"]))
    return names


def _class_outputs(segmenter: Segmenter, work, image, factor: float, tiling: str, paths: dict, header, prob,
                   *, check: Callable, rows: int = 512) -> tuple[np.ndarray | None, list, str]:
    """Classification network: write the class probabilities and the arg-max class map, fill ``prob`` (diffuse).

    The cube (``classprob``) is a memory map filled window by window; the class map and the diffuse probability
    (the sum of the diffuse classes) are made from it a block of rows at a time. ``check(class_map)`` then runs
    the artefact check while the class map is open (:func:`_probabilities`): the islands it removes get probability
    0 and the class 'background' (the cube keeps the network's output); returns what ``check`` returns.
    """
    names = segmenter.classes
    cards = class_cards(names)
    cube_header = header.copy()
    cube_header.update({"WCSAXES": 3, "CTYPE3": "CLASS", "CRPIX3": 1.0, "CRVAL3": 0.0, "CDELT3": 1.0, "CUNIT3": "",
                        "BUNIT": "probability", **cards})
    class_header = header.copy()
    class_header.update({"BUNIT": "class", "BLANKCLS": (BLANK_CLASS, "class value of blank pixels"), **cards})
    diffuse = segmenter.card.diffuse_channels()
    with open_image_memmap(paths["classprob"], (len(names),) + tuple(image.shape), np.float32, cube_header) as cube:
        if factor == 1.0:
            segmenter(work, tiling=tiling, out=cube)
        else:
            small = segmenter(work, tiling=tiling)
            for c in range(len(names)):
                cube[c] = back_to_grid(small[c], work.wcs, image)
            del small
        with open_image_memmap(paths["class"], image.shape, np.uint8, class_header) as cls:
            for y in range(0, image.shape[0], rows):
                block = np.asarray(cube[:, y : y + rows])
                blank = ~np.isfinite(block[0])
                cls[y : y + rows] = np.where(blank, BLANK_CLASS, np.argmax(np.nan_to_num(block, nan=-1.0), axis=0))
                prob[y : y + rows] = np.where(blank, np.nan, block[diffuse].sum(axis=0))
                release_pages(cube, cls, prob)
            return check(cls)


#: How a noise-relative model's input is made in the paper tiling, part of the outputs' signature: outputs made
#: before 2026-12-03, when a batch of tiles was divided by one rms over the whole batch, are not taken for finished.
SNR_RMS_RULE = "one rms per tile"


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
def cached_segmenter(model: str, backend: str, device: str, precision: str, tta: bool = DEFAULT_TTA,
                     compile: bool = False, calibration=None) -> Segmenter:
    """One loaded model per process (Dask workers reuse it across files); ``calibration``: int8 calibration as a
    function ``f(card) -> images`` (hashable, see :func:`~radio_unet.segment.backends.cached_onnx`)."""
    return load_segmenter(model, backend=backend, device=device, precision=precision, tta=tta, compile=compile,
                          calibration=calibration)


def segment_file(
    path: str | Path,
    out_dir: str | Path,
    *,
    model: str = "default",
    tiling: str = "window",
    threshold: float = 0.5,
    peak_threshold: float | None = None,
    backend: str = "auto",
    device: str = "cpu",
    precision: str = "32",
    tta: bool = DEFAULT_TTA,
    compile: bool = False,
    calibration=None,
    read_options: dict | None = None,
    png: bool = True,
    overwrite: bool = False,
    subtract_median: bool = False,
    artefact_check: bool = True,
    flatten_noise: bool = True,
    draw: Callable | None = None,
) -> dict:
    """Segment one FITS image and write its outputs.

    The mask, the DS9 regions and the picture's contour follow ``prob >=
    threshold``; with ``peak_threshold`` (above ``threshold``) only the
    islands of that mask whose highest probability reaches it are kept
    (:func:`radio_unet.islands.island_mask`; the whole map is then
    labelled in memory). The regions of images over 4096 px use every n-th
    pixel of the mask, the picture every n-th pixel up to
    :data:`PICTURE_PIXELS`. The probability map is the same either way.
    Temporary files that a killed earlier run left for these outputs are
    removed first (:func:`~radio_unet.io.atomic.remove_stale_temporaries`).
    ``tta`` averages the network over the eight orientations of each window
    (on by default: :data:`~radio_unet.segment.backends.DEFAULT_TTA`) and
    ``compile`` runs it through :func:`torch.compile`; ``calibration`` gives
    the calibration images of int8 quantisation when the model has no
    cached int8 export yet (:class:`~radio_unet.segment.load.Segmenter`).

    The level the image's noise sits at is measured
    (:func:`radio_unet.stats.background_level`) and returned in units of its
    rms (``background_sigma``): a level far from zero is an offset that the
    network reads as diffuse emission everywhere. ``subtract_median``
    subtracts it before segmenting (the image is then copied in memory).

    ``artefact_check`` (on by default) segments the negated image too where
    something is called diffuse near a bright source, and removes the islands
    that it repeats there, and straight streaks that point at such a source
    from two or more sides (calibration artefacts:
    :mod:`radio_unet.segment.artefacts`): probability 0, class 'background',
    outlines in ``<stem>.artefacts.reg``.

    ``flatten_noise`` (on by default; noise-relative models only: an absolute normalisation keeps the image's
    scale) measures how the noise changes across the image (a primary-beam-corrected
    pointing: growing outwards), fits a smooth surface to it and, where it varies by 10% or more, gives the network
    the image divided by it (:mod:`radio_unet.segment.flatten`); the outputs stay on the input's grid and the
    picture shows the input as it is. Images over :data:`FLATTEN_MAX_PIXELS` are not flattened (the flattened copy
    is held in memory; ``noise_flattening`` says so).

    ``draw(target, *args, **kwargs)`` makes the picture (default:
    :func:`~radio_unet.plots.worker.draw_now`, at once, in this process);
    ``radio-unet segment`` passes
    :meth:`radio_unet.plots.worker.PictureWorker.drawer`, which draws it in a
    background process while the next file is read.

    Returns
    -------
    dict
        ``input``, output paths, ``skipped`` (already finished), resampling
        factor, the fraction of valid pixels above ``threshold``,
        ``background_sigma``, ``noise_variation`` (the fitted noise surface's max / min) and ``noise_flattening``
        ('off', 'not needed', 'done' or why it was skipped), ``artefact_check`` (what the check did: 'off',
        'not needed', 'done' or why it was skipped), ``artefacts`` (a
        record per island removed, ``test`` naming which test removed it:
        :func:`~radio_unet.segment.artefacts.sign_symmetric_islands` or
        :func:`~radio_unet.segment.artefacts.radial_islands`) and,
        when there are some, ``artefacts_reg`` (their outlines).
    """
    segmenter = cached_segmenter(str(model), backend, device, precision, bool(tta), bool(compile), calibration)
    paths = output_paths(path, out_dir, classes=segmenter.multiclass)
    flatten_noise = flattens_noise(segmenter, flatten_noise)
    peak = None
    if peak_threshold is not None:  # the island filter needs scipy.ndimage: imported only when it is asked for
        from ..islands import active_peak  # scipy.ndimage: kept off the lean segment path

        peak = active_peak(threshold, peak_threshold)
    optional = {**({"peak_threshold": peak} if peak else {}), **({"tta": True} if tta else {}),
                **({"subtract_median": True} if subtract_median else {}),
                **({"artefact_check": artefact_rule.RULE} if artefact_check else {}),
                **({"flatten_noise": FLATTEN_RULE} if flatten_noise else {}),
                **({"rms": SNR_RMS_RULE} if segmenter.normalization.kind == "snr" and tiling == "paper" else {})}
    signature = _signature(segmenter, {"tiling": tiling, "threshold": threshold, "precision": precision,
                                       "read": {k: str(v) for k, v in (read_options or {}).items()}, **optional})
    if not overwrite and is_finished(paths, signature, png=png):
        return {"input": str(path), "skipped": True, **{k: str(v) for k, v in paths.items()}}
    remove_stale_temporaries([*paths.values(), artefact_regions_path(paths["reg"])])  # left by a killed earlier run
    image = read_image(path, memmap=_can_memmap(path), **(read_options or {}))
    flat, variation, flattening = flatten_image(image, segmenter.card) if flatten_noise else (image, float("nan"), "off")
    work, factor, background_sigma, noise = _network_input(flat, segmenter.card, subtract_median=subtract_median)
    provenance = {"model": str(model), "model_sha256": segmenter.card.sha256, "input": Path(path).name, "tiling": tiling,
                  "precision": precision, "threshold": threshold, **optional, "resample": factor,
                  "background_sigma": round(background_sigma, 3), "noise_flattening": flattening,
                  "noise_variation": round(variation, 3), "signature": signature}
    header = image_header(image.wcs, beam=image.beam, unit="probability", provenance=provenance)
    # The probability map is written last: its signature marks the outputs as finished.
    with open_image_memmap(paths["prob"], image.shape, np.float32, header) as prob:
        flagged, artefacts, check = _probabilities(segmenter, work, flat, factor, tiling, paths, header, prob,
                                                   threshold=threshold, artefact_check=artefact_check, noise=noise)
        fraction = _write_products(paths, segmenter, image, prob, header, threshold=threshold, peak=peak,
                                   flagged=flagged, picture=png, title=Path(path).name, draw=draw)
    return {"input": str(path), "skipped": False, "resample": factor, "fraction_above": fraction,
            "background_sigma": background_sigma, "noise_variation": variation, "noise_flattening": flattening,
            "artefact_check": check, "artefacts": artefacts,
            **({"artefacts_reg": str(artefact_regions_path(paths["reg"]))} if artefacts else {}),
            **{k: str(v) for k, v in paths.items()}}


def _write_products(paths: dict, segmenter: Segmenter, image, prob: np.ndarray, header, *, threshold: float,
                    peak: float | None, flagged: np.ndarray | None, picture: bool, title: str, draw) -> float:
    """Write the mask, the DS9 regions (with the artefacts' outlines) and the picture of a finished probability map;
    return the fraction of valid pixels above ``threshold``."""
    fraction, small, small_mask, step = _write_mask(prob, paths["mask"], header, threshold=threshold, peak=peak)
    release_pages(prob)
    write_ds9_polygons(paths["reg"], [p * step for p in mask_polygons(small_mask)], image.wcs,
                       text=f"p>{threshold:g}" + (f", peak>{peak:g}" if peak else ""))
    _write_artefact_regions(paths["reg"], flagged, image.wcs)
    if picture:
        _save_picture(paths, segmenter, image, small, small_mask, step, threshold=threshold, title=title,
                      peak=bool(peak), removed=flagged, draw=draw)
    return fraction


def _probabilities(segmenter: Segmenter, work, image, factor: float, tiling: str, paths: dict, header, prob, *,
                   threshold: float, artefact_check: bool, noise) -> tuple[np.ndarray | None, list, str]:
    """Fill ``prob`` (and, for a classification network, the class maps), then run the artefact check: the
    islands it removed (a map, or None), their records, and what the check did."""

    def check(class_map=None) -> tuple[np.ndarray | None, list, str]:
        if not artefact_check:
            return None, [], "off"
        return _flag_artefacts(segmenter, work, image, factor, tiling, prob, threshold=threshold, noise=noise,
                               class_map=class_map)

    if segmenter.multiclass:
        return _class_outputs(segmenter, work, image, factor, tiling, paths, header, prob, check=check)
    if factor == 1.0:
        segmenter(work, tiling=tiling, out=prob)
    else:
        prob[:] = back_to_grid(segmenter(work, tiling=tiling), work.wcs, image)
    return check()


def artefact_regions_path(reg: str | Path) -> Path:
    """``<stem>.reg`` -> ``<stem>.artefacts.reg``: the outlines of the islands removed as artefacts."""
    reg = Path(reg)
    return reg.with_name(reg.name[: -len(".reg")] + ".artefacts.reg")


def _flag_artefacts(segmenter: Segmenter, work, image, factor: float, tiling: str, prob: np.ndarray, *,
                    threshold: float, noise: tuple[float, float] | None = None,
                    class_map: np.ndarray | None = None) -> tuple[np.ndarray | None, list, str]:
    """The artefact check of :mod:`radio_unet.segment.artefacts` on a finished probability map: sign symmetry, then
    radial streaks (:func:`~radio_unet.segment.artefacts.radial_islands`, on the islands the first test left).

    Only when something is called diffuse and the image holds a source bright enough to make artefacts at that
    level is the negated image segmented (the same network, tiling and test-time augmentation); the islands it
    repeats around such a source, and their sub-threshold fringe (:func:`~radio_unet.segment.artefacts.with_fringe`),
    are set to probability 0 in ``prob`` (blank pixels stay blank), and their pixels of a diffuse class to
    'background' in ``class_map``. Images over :data:`~radio_unet.segment.artefacts.MAX_PIXELS` are not checked.
    ``noise`` is the image's ``(level, rms)`` when already measured (:func:`_network_input`); else it is measured.

    Returns
    -------
    (numpy.ndarray or None, list of dict, str)
        The mask of the islands removed (None when the negated image was not segmented), one record per island
        (those of :func:`~radio_unet.segment.artefacts.sign_symmetric_islands` and
        :func:`~radio_unet.segment.artefacts.radial_islands`, with ``test`` naming which) and what the check did: 'not needed' (no
        diffuse call or no source bright enough: decided from the image's peak and the thresholded map, without a
        second network pass), 'done', or why it was skipped.
    """
    level, rms = noise if noise is not None else background_level(image.data)
    peak = (_peak_rows(image.data) - level) / rms if rms > 0 else float("nan")
    if not peak >= artefact_rule.SOURCE_RATIO:
        return None, [], "not needed"
    if prob.size > artefact_rule.MAX_PIXELS:
        return None, [], f"skipped: {prob.shape[1]}x{prob.shape[0]} px is over {artefact_rule.MAX_PIXELS / 1e6:.0f} Mpx"
    above = np.zeros(prob.shape, bool)
    threshold_rows(prob, threshold, out=above)
    if not artefact_rule.may_hold_artefacts(peak, above):
        return None, [], "not needed"
    negated = segmenter.diffuse(segmenter(replace(work, data=-np.asarray(work.data, dtype=np.float32)), tiling=tiling))
    if factor != 1.0:
        negated = back_to_grid(negated, work.wcs, image)
    snr = (np.asarray(image.data, dtype=np.float32) - np.float32(level)) / np.float32(rms)
    beam = _beam_pixels(image, segmenter.card)
    flagged, records = artefact_rule.sign_symmetric_islands(snr, above, np.nan_to_num(negated, nan=0.0) >= threshold,
                                                            beam_pixels=beam)
    records = [{"test": "sign-symmetric", **r} for r in records]
    spokes, radial = artefact_rule.radial_islands(snr, above & ~flagged, beam_pixels=beam)
    flagged |= spokes
    records += [{"test": "radial", **r} for r in radial]
    if records:
        region = artefact_rule.with_fringe(flagged, above, beam_pixels=beam) & np.isfinite(prob)
        prob[region] = 0.0
        names = segmenter.classes
        if class_map is not None and "background" in names:
            region &= np.isin(np.asarray(class_map), segmenter.card.diffuse_channels())
            class_map[region] = names.index("background")
    return flagged, records, "done"


def _peak_rows(data: np.ndarray, *, rows: int = 1024) -> float:
    """The largest finite value of ``data``, a block of rows at a time (a memory map's pages are released)."""
    peak = -np.inf
    for y in range(0, data.shape[0], rows):
        block = np.asarray(data[y : y + rows])
        if np.isfinite(block).any():
            peak = max(peak, float(np.nanmax(block)))
        release_pages(data)
    return peak


def _beam_pixels(image, card) -> float:
    """The image's beam FWHM (major axis) in its pixels; without a beam, the model's (the image is then segmented at
    the model's pixels)."""
    if image.beam is not None:
        return float(image.beam.major / image.pixel_scale_arcsec)
    beam = (card.beam_arcsec or {}).get("major")
    return float(beam / card.pixel_scale_arcsec) if beam and card.pixel_scale_arcsec else 3.0


def _write_artefact_regions(reg: Path, flagged: np.ndarray | None, wcs) -> None:
    """Outline the islands removed as artefacts (``flagged``) in ``<stem>.artefacts.reg`` (red); remove an earlier
    run's file when there are none."""
    path = artefact_regions_path(reg)
    if flagged is None or not flagged.any():
        path.unlink(missing_ok=True)
        return
    step = thumbnail_step(flagged.shape)
    write_ds9_polygons(path, [p * step for p in mask_polygons(any_pool(flagged, step))], wcs, color="red",
                       text="artefact")


#: Largest image (pixels) that ``segment_file`` flattens: the flattened copy is held in memory (256 MB at this size).
FLATTEN_MAX_PIXELS = 8192 * 8192


def flattens_noise(segmenter: Segmenter, requested: bool = True) -> bool:
    """Whether ``segment_file`` flattens the noise for this network when ``requested``: only for noise-relative
    models (an absolute normalisation keeps the image's scale)."""
    return bool(requested) and segmenter.normalization.kind == "snr"


def flatten_image(image, card) -> tuple:
    """``(image, variation, what was done)``: ``image`` with its smoothly varying noise divided out
    (:func:`radio_unet.segment.flatten.flatten`) where that noise varies by :data:`~radio_unet.segment.flatten.MIN_VARIATION`
    or more, else ``image`` itself."""
    data, variation = flatten(image.data, _beam_pixels(image, card), max_pixels=FLATTEN_MAX_PIXELS)
    if data is not image.data:
        return replace(image, data=data), variation, "done"
    if variation >= MIN_VARIATION:
        return image, variation, f"skipped: {image.shape[1]}x{image.shape[0]} px is over {FLATTEN_MAX_PIXELS / 1e6:.0f} Mpx"
    return image, variation, "not needed"


def _network_input(image, card, *, subtract_median: bool):
    """``(work, factor, background_sigma, noise)``: ``image`` at the model's pixels per beam (``factor``: the
    pixel-size factor, 1.0 when unchanged), the level its noise sits at in units of its rms, and, with
    ``subtract_median``, that level subtracted (a copy in memory); ``noise`` is ``(level, rms)`` of ``image`` itself
    when it was not resampled (then measured once here), else None."""
    model_beam = (card.beam_arcsec or {}).get("major")
    work, factor = match_resolution(image, model_pixel_scale=card.pixel_scale_arcsec, model_beam=model_beam)
    level, rms = background_level(work.data)
    background_sigma = level / rms if rms > 0 else float("nan")
    if subtract_median and np.isfinite(level):
        work = replace(work, data=np.asarray(work.data, np.float32) - np.float32(level))
    return work, factor, background_sigma, ((level, rms) if factor == 1.0 else None)


def _write_mask(prob: np.ndarray, path: Path, header, *, threshold: float, peak: float | None):
    """Write the mask (``prob >= threshold``; with ``peak``, only its islands that reach it) to ``path``.

    Returns
    -------
    (fraction, small, small_mask, step)
        The share of pixels in the mask, the thumbnail of ``prob`` (every ``step``-th pixel, :func:`thumbnail`)
        and the mask on the same pixels, which the regions and the picture follow.
    """
    small, step = thumbnail(prob)
    with open_image_memmap(path, prob.shape, np.uint8, header) as mask:
        if peak:
            from ..islands import island_mask  # scipy.ndimage: kept off the lean segment path

            kept = island_mask(prob, threshold=threshold, peak_threshold=peak)
            mask[:] = kept
            return float(kept.mean()), small, kept[::step, ::step].copy(), step
        fraction = threshold_rows(prob, threshold, out=mask)
    return fraction, small, small >= threshold, step


#: Longest side of the maps drawn in the picture. Its panels show about 480x480 pixels (5 inches at 110 dpi, less
#: the titles) and draw with nearest-neighbour sampling, so finer maps are thinned there anyway and only cost time:
#: the picture of a 2000x2000 image took 2.6 s of CPU drawn from the whole maps, 0.5 s from 500x500 ones.
PICTURE_PIXELS = 512


def _save_picture(paths: dict, segmenter: Segmenter, image, small: np.ndarray, small_mask: np.ndarray, step: int, *,
                  threshold: float, title: str, peak: bool, removed: np.ndarray | None = None,
                  draw: Callable | None = None) -> None:
    """The PNG: input, probability map (and class map) at most :data:`PICTURE_PIXELS` a side, from the thumbnail
    ``small`` (every ``step``-th pixel of the probability map) and the mask ``small_mask`` it drew the regions of,
    with the islands ``removed`` as artefacts outlined; drawn by ``draw(target, *args, **kwargs)`` (default: at
    once)."""
    prob, more = thumbnail(small, max_pixels=PICTURE_PIXELS)
    shown = small_mask[::more, ::more]
    every = step * more
    classes = _class_thumbnail(paths, every) if segmenter.multiclass else None
    # By name: matplotlib is imported where the picture is drawn (here or in the worker), only then.
    (draw or draw_now)("radio_unet.plots.segmentation:save_segmentation_figure", paths["png"],
                       np.asarray(image.data[::every, ::every], dtype=np.float32), prob, threshold=threshold,
                       title=title, contour=np.where(shown, prob, 0.0) if peak else None, classes=classes,
                       class_names=segmenter.classes,
                       removed=any_pool(removed, every) if removed is not None and removed.any() else None)
    release_pages(image.data)


def _class_thumbnail(paths: dict, step: int) -> np.ndarray:
    """Every ``step``-th pixel of the class map just written."""
    with fits.open(paths["class"], memmap=True) as hdul:
        return np.array(hdul[0].data[::step, ::step])


def _can_memmap(path: str | Path) -> bool:
    """Uncompressed FITS files are memory-mapped (bounded RAM for mosaics larger than memory)."""
    return not str(path).lower().endswith((".gz", ".fz", ".bz2", ".zip"))


def threshold_rows(prob: np.ndarray, threshold: float, *, out: np.ndarray, rows: int = 1024) -> float:
    """``out = prob >= threshold`` (0/1, blanks 0) a block of rows at a time; returns the fraction above."""
    above = 0
    for y in range(0, prob.shape[0], rows):
        block = np.asarray(prob[y : y + rows])
        hit = np.nan_to_num(block, nan=0.0) >= threshold
        out[y : y + rows] = hit
        above += int(hit.sum())
        release_pages(prob, out)
    return above / prob.size


def thumbnail_step(shape: tuple[int, ...], max_pixels: int = 4096) -> int:
    """The step of :func:`thumbnail`: the smallest that makes the longest side at most ``max_pixels``."""
    return max(1, int(np.ceil(max(shape) / max_pixels)))


def thumbnail(data: np.ndarray, *, max_pixels: int = 4096) -> tuple[np.ndarray, int]:
    """Every ``step``-th pixel so that the longest side is at most ``max_pixels``; returns (array, step)."""
    step = thumbnail_step(data.shape, max_pixels)
    return np.asarray(data[::step, ::step], dtype=np.float32), step


def any_pool(mask: np.ndarray, step: int) -> np.ndarray:
    """A mask thinned like :func:`thumbnail` (shape ``ceil(n / step)`` per axis), but a pixel is set when any pixel of
    its ``step`` x ``step`` block is: thin features (a 3-px spoke in a mosaic) do not vanish.

    Examples
    --------
    >>> m = np.zeros((5, 5), bool); m[1, 4] = True
    >>> any_pool(m, 2).astype(int).tolist()
    [[0, 0, 1], [0, 0, 0], [0, 0, 0]]
    """
    ny, nx = mask.shape
    padded = np.zeros((-(-ny // step) * step, -(-nx // step) * step), bool)
    padded[:ny, :nx] = mask
    return padded.reshape(padded.shape[0] // step, step, padded.shape[1] // step, step).any(axis=(1, 3))
