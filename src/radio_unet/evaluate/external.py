"""Optional external baselines: PyBDSF in wavelet mode and breizorro.

Both tools are optional (``pip install radio-unet[baselines]``). Each
function here writes the image to a private temporary folder, runs the tool
there with its console output and log file kept out of the way, and returns
a boolean mask on the image's pixel grid. Nothing is written into the current
working directory.

A failure of a tool on one image (a PyBDSF ``RuntimeError``, a missing beam,
anything else it raises) does not stop a data-set evaluation: by default the
functions emit one :class:`ExternalBaselineWarning` naming the image and the
problem and return ``None``, and :func:`external_baseline_maps` leaves that
baseline out for that image, so its score row is skipped.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import inspect
import io
import logging
import tempfile
import warnings
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
from astropy.io import fits

from ..errors import RadioUNetError
from ..io import JY_BEAM, JY_PIXEL, RadioImage, write_image

__all__ = [
    "EXTERNAL_BASELINES",
    "ExternalBaselineWarning",
    "available_external_baselines",
    "breizorro_mask",
    "external_baseline_maps",
    "pybdsf_mask",
    "resolve_external",
]

#: Method name -> the module that must import for it.
EXTERNAL_BASELINES: dict[str, str] = {"pybdsf": "bdsf", "breizorro": "breizorro.breizorro"}

#: PyBDSF refuses images without a frequency; it only labels its catalogue, so
#: images that state none are given this nominal value (Hz).
NOMINAL_FREQUENCY_HZ = 1.0e9

_INSTALL_HINT = "install the optional baselines with: pip install 'radio-unet[baselines]'"


class ExternalBaselineWarning(RuntimeWarning):
    """An external baseline failed on one image; that image has no row for it."""


def _import(module: str):
    """Import ``module`` with the deprecation chatter of old code silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module(module)


def available_external_baselines() -> list[str]:
    """Names of the external baselines whose package imports here.

    Returns
    -------
    list of str
        A subset of ``["pybdsf", "breizorro"]``, in that order.
    """
    names = []
    for name, module in EXTERNAL_BASELINES.items():
        try:
            _import(module)
        except Exception:  # noqa: BLE001 - not installed, or a broken install: unavailable either way
            continue
        names.append(name)
    return names


def resolve_external(external: bool | Sequence[str] | None) -> list[str]:
    """Turn the ``external`` option of the evaluation into a list of method names.

    Parameters
    ----------
    external : bool or sequence of str or None
        ``True``: every installed external baseline (none when neither is
        installed); ``False`` or ``None``: none; a sequence (or one name):
        exactly these, which must be known and installed.

    Returns
    -------
    list of str

    Raises
    ------
    radio_unet.errors.RadioUNetError
        For an unknown name, or a requested baseline whose package is missing.
    """
    if external is None or external is False:
        return []
    if external is True:
        return available_external_baselines()
    names = [external] if isinstance(external, str) else list(external)
    unknown = [n for n in names if n not in EXTERNAL_BASELINES]
    if unknown:
        raise RadioUNetError(
            f"unknown external baseline(s) {', '.join(map(repr, unknown))}; choose from {', '.join(EXTERNAL_BASELINES)}"
        )
    available = available_external_baselines()
    missing = [n for n in names if n not in available]
    if missing:
        raise RadioUNetError(f"external baseline(s) {', '.join(missing)} not installed; {_INSTALL_HINT}")
    return list(dict.fromkeys(names))


@contextlib.contextmanager
def _quiet(logger_name: str, *, drop_handlers: bool = False) -> Iterator[None]:
    """Silence a tool: its stdout/stderr, its Python warnings and its logger.

    The logger ``logger_name`` is disabled and does not pass records on to
    the application's loggers for the duration; handlers made inside the
    block bind to the captured streams. With ``drop_handlers``
    every handler of that logger is closed and removed on leaving (PyBDSF
    makes a file and two console handlers on each run), so no log file stays
    open and nothing is printed later.
    """
    logger = logging.getLogger(logger_name)
    was_disabled, was_propagating = logger.disabled, logger.propagate
    logger.disabled, logger.propagate = True, False
    sink = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.disabled, logger.propagate = was_disabled, was_propagating
        if drop_handlers:
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
                handler.close()


@contextlib.contextmanager
def _frozen_gc() -> Iterator[None]:
    """Keep the objects that exist now out of garbage collections made inside the block.

    PyBDSF calls ``gc.collect()`` after each of its steps (some forty times
    per image in wavelet mode); in a process holding many objects (torch,
    astropy) each call scans them all and costs 0.1 s or more. ``gc.freeze``
    leaves only PyBDSF's own objects to scan; a last collection on leaving
    releases them (and closes the input FITS that PyBDSF leaves open).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.collect()
        gc.unfreeze()


def _guarded(method: str, image: RadioImage, errors: str, run: Callable[[], np.ndarray]) -> np.ndarray | None:
    """Run ``run()`` and check its mask; on failure warn once naming the image (or raise when ``errors="raise"``)."""
    if errors not in ("warn", "raise"):
        raise ValueError(f"errors must be 'warn' or 'raise', got {errors!r}")
    try:
        mask = run()
        if mask.shape != image.shape:
            raise RuntimeError(f"mask of shape {mask.shape} for an image of shape {image.shape}")
    except Exception as exc:  # noqa: BLE001 - any failure of the tool skips this image only
        if errors == "raise":
            raise
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        warnings.warn(f"{method} failed on {image.name}, no {method} row for it: {text}", ExternalBaselineWarning,
                      stacklevel=3)
        return None
    return mask & np.isfinite(image.data)


def _read_mask(path: Path) -> np.ndarray:
    """A FITS mask (any degenerate extra axes) as a 2-D boolean array."""
    with fits.open(path) as hdul:
        data = np.array(hdul[0].data)
    data = data.reshape(data.shape[-2:]) if data.ndim > 2 else data
    return np.nan_to_num(data) != 0


def _write_input(folder: Path, image: RadioImage, data: np.ndarray, unit: str | None) -> Path:
    """Write ``data`` on the image's grid, with its beam and frequency, into ``folder``."""
    return write_image(folder / "image.fits", data, wcs=image.wcs, beam=image.beam, unit=unit,
                       frequency=image.frequency)


def pybdsf_mask(
    image: RadioImage,
    *,
    thresh_isl: float = 3.0,
    thresh_pix: float = 5.0,
    atrous: bool = True,
    errors: str = "warn",
    **options,
) -> np.ndarray | None:
    """Island mask of PyBDSF, by default in wavelet (à trous) mode.

    PyBDSF (``bdsf.process_image``) finds islands of contiguous emission
    above ``thresh_isl`` times its local rms map that contain a pixel above
    ``thresh_pix`` times the rms, and fits them with Gaussians. With
    ``atrous=True`` (``atrous_do``) the Gaussian residual is then decomposed
    into à trous wavelet scales (B3-spline filter, number of scales chosen by
    PyBDSF) and sources are searched on each scale; islands found only on the
    wavelet scales are added (PyBDSF's default ``atrous_orig_isl=False``), so
    the mask includes faint diffuse emission that no single pixel shows
    above the thresholds. The mask is PyBDSF's documented ``island_mask``
    export (``export_image(img_type="island_mask")``, no dilation).

    Parameters
    ----------
    image : RadioImage
        The observed image; it needs a beam. A Jy/pixel image is converted to
        Jy/beam first (PyBDSF assumes Jy/beam). Blank (NaN) pixels are left to
        PyBDSF and are never in the mask.
    thresh_isl, thresh_pix : float
        Island and peak thresholds in units of the rms (PyBDSF's defaults).
    atrous : bool
        Run the wavelet decomposition (``atrous_do``); ``False`` gives PyBDSF's
        plain island finder.
    errors : {"warn", "raise"}
        What to do when PyBDSF fails on this image: emit one
        :class:`ExternalBaselineWarning` naming it and return ``None``
        (default), or raise.
    **options
        Any other ``bdsf.process_image`` option (``rms_box``, ``atrous_jmax``,
        ``ncores``, ...); the defaults are PyBDSF's. The beam is passed from
        ``image.beam``, the frequency from ``image.frequency`` (a nominal
        1 GHz when unknown; it does not affect the islands).

    Returns
    -------
    numpy.ndarray of bool or None
        ``(ny, nx)`` mask, True inside islands; ``None`` when PyBDSF failed.

    Raises
    ------
    ImportError
        When ``bdsf`` is not installed (not caught: it concerns every image).

    Notes
    -----
    The input FITS, PyBDSF's log file (``image.fits.pybdsf.log``) and the
    exported mask live in a temporary folder removed afterwards. PyBDSF's
    console output and warnings are suppressed. The objects existing before
    the call are frozen (``gc.freeze``) while PyBDSF runs: it collects garbage
    after every step, and in a process with torch loaded that took 14 s of
    the 16 s of a 512x512 image.
    """
    bdsf = _import("bdsf")

    def run() -> np.ndarray:
        beam = image.require_beam()
        work = image.to_unit(JY_BEAM) if image.unit == JY_PIXEL else image
        with tempfile.TemporaryDirectory(prefix="radio-unet-pybdsf-") as tmp:
            folder = Path(tmp)
            path = _write_input(folder, work, np.asarray(work.data, np.float32), work.unit)
            kwargs = {
                "thresh_isl": thresh_isl,
                "thresh_pix": thresh_pix,
                "atrous_do": atrous,
                "beam": (beam.major / 3600.0, beam.minor / 3600.0, beam.pa),
                "frequency": image.frequency or NOMINAL_FREQUENCY_HZ,
                "outdir": str(folder),
                **options,
                "quiet": True,
                "output_all": False,
            }
            with _quiet("PyBDSF", drop_handlers=True), _frozen_gc():
                img = bdsf.process_image(str(path), **kwargs)
                ok = img.export_image(img_type="island_mask", outfile=str(folder / "islands.fits"), clobber=True)
                del img
            if ok is False:
                raise RuntimeError("PyBDSF could not export the island mask")
            return _read_mask(folder / "islands.fits")

    return _guarded("pybdsf", image, errors, run)


def breizorro_mask(image: RadioImage, *, threshold: float = 5.0, boxsize: int = 50, errors: str = "warn") -> np.ndarray | None:
    """Mask made by breizorro from the image.

    breizorro estimates a local noise map with a minimum filter of
    ``boxsize`` pixels (scaled by the expected minimum of that many Gaussian
    samples, floored at the median noise) and keeps pixels above
    ``threshold`` times that noise; its one-pixel image border is never
    masked. This calls breizorro's own ``breizorro.breizorro.main`` (the
    function behind its command line) on a temporary FITS file with every
    other option off, and reads its mask back.

    Parameters
    ----------
    image : RadioImage
        The observed image (any brightness unit: the threshold is relative).
        Blank (NaN) pixels are given to breizorro as 0 and never masked.
    threshold : float
        Threshold in units of the local noise; breizorro's own default is 6.5,
        5 is used here to match PyBDSF's peak threshold.
    boxsize : int
        Box of the noise map, in pixels (breizorro's default).
    errors : {"warn", "raise"}
        What to do when breizorro fails on this image: emit one
        :class:`ExternalBaselineWarning` naming it and return ``None``
        (default), or raise.

    Returns
    -------
    numpy.ndarray of bool or None
        ``(ny, nx)`` mask; ``None`` when breizorro failed.

    Raises
    ------
    ImportError
        When ``breizorro`` is not installed (not caught: it concerns every image).

    Notes
    -----
    Input and output FITS files live in a temporary folder removed afterwards;
    breizorro's console logger is silenced.
    """
    bz = _import("breizorro.breizorro")

    def run() -> np.ndarray:
        with tempfile.TemporaryDirectory(prefix="radio-unet-breizorro-") as tmp:
            folder = Path(tmp)
            data = np.nan_to_num(np.asarray(image.data, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
            path = _write_input(folder, image, data, image.unit)
            # Every option of main() off (None), whatever the breizorro version, except ours.
            kwargs = dict.fromkeys(inspect.signature(bz.main).parameters)
            kwargs.update(restored_image=str(path), threshold=float(threshold), boxsize=int(boxsize),
                          outfile=str(folder / "mask.fits"))
            with _quiet(bz.__name__):
                try:
                    bz.main(**kwargs)
                except SystemExit as exc:  # its error paths exit; here that is one failed image
                    raise RuntimeError(f"breizorro exited with status {exc.code}") from None
            return _read_mask(folder / "mask.fits")

    return _guarded("breizorro", image, errors, run)


#: Method name -> mask function.
_MASK_FUNCTIONS: dict[str, Callable[..., np.ndarray | None]] = {"pybdsf": pybdsf_mask, "breizorro": breizorro_mask}


def external_baseline_maps(image: RadioImage, external: bool | Sequence[str] | None = True) -> dict[str, np.ndarray]:
    """Masks of the external baselines on one image, with their default parameters.

    Parameters
    ----------
    image : RadioImage
        The observed image.
    external : bool or sequence of str or None
        Which baselines (see :func:`resolve_external`).

    Returns
    -------
    dict
        Method name -> boolean mask; a baseline that failed on this image (a
        warning was emitted) is absent.
    """
    masks = {}
    for name in resolve_external(external):
        mask = _MASK_FUNCTIONS[name](image)
        if mask is not None:
            masks[name] = mask
    return masks
