"""Observation setups and their cached per-setup products.

:class:`ObservationSetup` says *what* is observed (image grid, beam, track,
band, stations); :func:`prepare` turns it into an :class:`Instrument`: uvw,
Briggs/taper imaging weights tuned to the requested beam, the PSF (twice the
image size, so an FFT convolution with it is exactly what the imager does),
the fitted restoring beam and the noise-shaping kernel. Products are cached
in memory (the last few setups) and optionally on disk as ``.npz`` files, so
that thousands of images reuse them.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
import threading
import time
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import scipy.fft

from ..config import ConfigBase
from ..errors import RadioUNetError
from ..io.atomic import atomic_path
from ..io.beam import Beam
from ..lru import LRUCache
from . import array as _array
from .gains import GainErrors, baseline_gains, draw_gains
from .noise import noise_shaping_kernel, visibility_sigma
from .psf import fit_beam, gaussian_image
from .weighting import (
    ARCSEC,
    UVCells,
    briggs_factor,
    grid_sum,
    gridded_psf,
    taper_factors,
    uv_cells,
)

__all__ = [
    "ObservationSetup",
    "Instrument",
    "PRESETS",
    "prepare",
    "clear_cache",
    "setup_key",
    "default_threads",
    "ROBUST_RANGE",
    "AUTO_TAPER_ROBUST",
]

#: Robust values searched when tuning the beam (-2 ~ uniform, +2 ~ natural).
ROBUST_RANGE = (-2.0, 2.0)
#: Robust value used when a taper must be found automatically (LoTSS low-res style).
AUTO_TAPER_ROBUST = -0.5
#: Bump when the cached products change meaning.
CACHE_VERSION = 1
_BEAM_RTOL = 0.002
_MEMORY_CACHE_SIZE = 2


def default_threads() -> int:
    """Number of CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ObservationSetup(ConfigBase):
    """What a mock observation (LOFAR HBA unless ``stations`` names another array) looks like; validated and hashable.

    Parameters
    ----------
    npix : int or (int, int)
        Image size: ``npix`` for square images or ``(ny, nx)``; even, >= 32.
    pixel_scale_arcsec : float
        Pixel size in arcsec.
    beam_arcsec : float
        Requested restoring beam FWHM (major axis), arcsec. Reached by
        tuning Briggs ``robust`` (and, if natural weighting is not enough,
        a Gaussian taper).
    dec_deg : float
        Declination of the phase centre in degrees.
    hours : float
        Track length, centred on transit.
    time_step_s : float
        Integration time in seconds.
    freqs_hz : tuple of float
        Channel frequencies, within the band of the array (LOFAR HBA:
        100-250 MHz; see :func:`radio_unet.observe.array.frequency_band`).
    stations : str or tuple of str
        ``"core+remote"`` (62 Dutch HBA stations), ``"core"``, ``"remote"`` or
        explicit :mod:`lofarantpos` field names; or another array:
        ``"meerkat"``, ``"vla-b"``, ``"vla-c"``, ``"vla-d"``, ``"askap"``, ``"mwa"``
        (:data:`radio_unet.observe.array.ARRAYS`) or antenna names of one of
        them.
    taper_arcsec : float or None
        Gaussian uv-taper FWHM (arcsec, WSClean ``-taper-gaussian``).
    robust : float or None
        Briggs robust parameter. What is tuned to reach ``beam_arcsec``:
        neither given: robust (and if natural weighting is still too
        sharp, a taper at ``robust = AUTO_TAPER_ROBUST``); taper given:
        robust; robust given: the taper; both given: nothing (the restoring
        beam is then whatever the PSF fit gives).
    circular_beam : bool
        Restore with a circular beam of ``beam_arcsec`` (as LoTSS does)
        instead of the fitted elliptical one.
    min_elevation_deg : float
        Integrations with the source lower than this are dropped.
    epsilon : float
        ducc0 gridding accuracy (single precision: >= 1e-5).
    """

    npix: int | tuple[int, int] = 2000
    pixel_scale_arcsec: float = 2.0
    beam_arcsec: float = 6.0
    dec_deg: float = 50.0
    hours: float = 8.0
    time_step_s: float = 60.0
    freqs_hz: tuple[float, ...] = (120e6, 136e6, 152e6, 168e6)
    stations: str | tuple[str, ...] = "core+remote"
    taper_arcsec: float | None = None
    robust: float | None = None
    circular_beam: bool = False
    min_elevation_deg: float = 15.0
    epsilon: float = 1e-5

    label = "observation setup"

    def __post_init__(self):
        npix = self.npix
        if isinstance(npix, (list, tuple)):
            if len(npix) != 2:
                raise RadioUNetError(f"ObservationSetup.npix must be an int or (ny, nx), got {npix!r}")
            shape = tuple(npix)
        else:
            shape = (npix, npix)
        for n in shape:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 32 or n % 2:
                raise RadioUNetError(f"ObservationSetup.npix must be even integers >= 32, got {npix!r}")
        self._store("npix", int(shape[0]) if shape[0] == shape[1] and not isinstance(npix, (list, tuple)) else tuple(int(n) for n in shape))
        for name in ("pixel_scale_arcsec", "beam_arcsec", "time_step_s"):
            self.check_number(name, positive=True, to_float=True)
        self.check_number("hours", positive=True, hi=24.0, to_float=True)
        self.check_number("dec_deg", lo=-90.0, hi=90.0, to_float=True)
        if self.dec_deg == -90.0:
            raise RadioUNetError("ObservationSetup.dec_deg must be in (-90, 90], got -90.0")
        if self.time_step_s > self.hours * 3600.0:
            raise RadioUNetError("ObservationSetup.time_step_s is longer than the whole track")
        if self.beam_arcsec < 2.0 * self.pixel_scale_arcsec:
            raise RadioUNetError(
                f"the beam ({self.beam_arcsec}\") must span at least 2 pixels of {self.pixel_scale_arcsec}\"; use smaller pixels"
            )
        stations = self.stations
        if not isinstance(stations, str):
            try:
                stations = tuple(stations)
            except TypeError:
                raise RadioUNetError(f"ObservationSetup.stations must be a preset name or station names, got {stations!r}") from None
        self._store("stations", stations)
        _array.station_names(stations)  # validates
        freqs = self.freqs_hz
        if isinstance(freqs, numbers.Real):
            freqs = (freqs,)
        bad = RadioUNetError(f"ObservationSetup.freqs_hz must be a sequence of frequencies in Hz, got {self.freqs_hz!r}")
        try:
            freqs = tuple(freqs)
        except TypeError:
            raise bad from None
        if any(isinstance(f, bool) or not isinstance(f, numbers.Real) or not (math.isfinite(f) and f > 0) for f in freqs):
            raise bad
        freqs = tuple(float(f) for f in freqs)
        if not freqs:
            raise RadioUNetError("ObservationSetup.freqs_hz is empty")
        band, f_lo, f_hi = _array.frequency_band(stations)
        if any(not f_lo <= f <= f_hi for f in freqs):
            raise RadioUNetError(
                f"ObservationSetup.freqs_hz must lie in {band} {f_lo / 1e6:g}-{f_hi / 1e6:g} MHz (in Hz), got {freqs}")
        self._store("freqs_hz", freqs)
        self.check_number("taper_arcsec", positive=True, optional=True, to_float=True)
        self.check_number("robust", lo=-5.0, hi=5.0, optional=True, to_float=True)
        self.check_flag("circular_beam")
        self.check_number("min_elevation_deg", lo=0.0, below=90.0, to_float=True)
        self.check_number("epsilon", lo=1e-5, hi=0.1, to_float=True)

    @property
    def shape(self) -> tuple[int, int]:
        """Image shape ``(ny, nx)``."""
        return (self.npix, self.npix) if isinstance(self.npix, int) else tuple(self.npix)

    @property
    def pixel_rad(self) -> float:
        """Pixel size in radians."""
        return self.pixel_scale_arcsec * ARCSEC

    @classmethod
    def preset(cls, name: str, **overrides) -> "ObservationSetup":
        """A named setup (see :data:`PRESETS`) with optional field overrides."""
        if name not in PRESETS:
            raise RadioUNetError(f"unknown observation preset {name!r}: use one of {', '.join(PRESETS)}")
        return replace(PRESETS[name], **overrides)


#: Named setups: LoTSS-like 6" images at 2"/px (robust tuned), and 20" low-resolution
#: images at 4.5"/px (robust -0.5 and a tuned Gaussian taper, as LoTSS low-resolution maps).
PRESETS: dict[str, ObservationSetup] = {
    "lotss": ObservationSetup(),
    "lotss-lowres": ObservationSetup(npix=960, pixel_scale_arcsec=4.5, beam_arcsec=20.0, robust=-0.5),
}


def setup_key(setup: ObservationSetup) -> str:
    """Stable hash of a setup and of everything its products depend on."""
    import ducc0
    import lofarantpos

    payload = {
        "setup": setup.to_dict(),
        "cache_version": CACHE_VERSION,
        "ducc0": getattr(ducc0, "__version__", "?"),
        "lofarantpos": getattr(lofarantpos, "__version__", "?"),
    }
    array = _array.array_of(setup.stations)
    if array != "lofar":  # LOFAR keys stay as they were
        payload["layout"] = _array.layout(array).digest
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


class Instrument:
    """The per-setup products of a mock observation (made by :func:`prepare`).

    Attributes
    ----------
    setup : ObservationSetup
        The setup.
    stations : tuple of str
        Station field names.
    uvw : numpy.ndarray
        ``(nrow, 3)`` float64 uvw in metres (rows with at least one
        visibility on the grid).
    freqs_hz : numpy.ndarray
        Channel frequencies.
    ant1, ant2, time_index : numpy.ndarray
        Station indices and integration index of every row.
    weights : numpy.ndarray
        ``(nrow, nchan)`` float32 imaging weights (Briggs x taper; 0 =
        flagged).
    robust : float
        Briggs robust parameter used.
    taper_arcsec : float or None
        Gaussian taper used.
    psf : numpy.ndarray
        ``(2 ny, 2 nx)`` float32 PSF, peak 1 at ``(ny, nx)``.
    psf_beam : Beam
        Gaussian fit of the PSF main lobe.
    beam : Beam
        Restoring beam (``psf_beam``, or circular if the setup asks).
    noise_kernel : numpy.ndarray
        ``(ny, nx)`` float32 noise-shaping amplitudes (unit image rms).
    sigma_vis_unit : float
        Per-visibility noise that gives an image rms of 1 Jy/beam.
    info : dict
        JSON-serialisable summary (numbers of visibilities, timings...).
    """

    def __init__(self, *, setup, stations, uvw, freqs_hz, ant1, ant2, time_index, weights, robust,
                 taper_arcsec, psf, psf_beam, noise_kernel, info):
        self.setup = setup
        self.stations = tuple(stations)
        self.uvw = uvw
        self.freqs_hz = np.asarray(freqs_hz, dtype=np.float64)
        self.ant1, self.ant2, self.time_index = ant1, ant2, time_index
        self.weights = weights
        self.robust = float(robust)
        self.taper_arcsec = None if taper_arcsec is None else float(taper_arcsec)
        self.psf = psf
        self.psf_beam = psf_beam
        self.noise_kernel = noise_kernel
        self.info = dict(info)
        self.weight_sum = float(np.sum(weights, dtype=np.float64))
        self.sigma_vis_unit = visibility_sigma(weights)
        if setup.circular_beam:
            self.beam = Beam(setup.beam_arcsec, setup.beam_arcsec, 0.0)
        else:
            self.beam = psf_beam
        self._psf_fft = None
        self._beam_fft = None
        self._uvw_ducc = None
        self._gain_bank: dict = {}
        self._lock = threading.Lock()

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["_lock"]
        state["_psf_fft"] = None  # recomputed on demand, keeps pickles (e.g. to Dask workers) smaller
        state["_beam_fft"] = None
        state["_gain_bank"] = {}
        state["_uvw_ducc"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ basics
    @property
    def shape(self) -> tuple[int, int]:
        """Image shape ``(ny, nx)``."""
        return self.setup.shape

    @property
    def pixel_scale_arcsec(self) -> float:
        """Pixel size in arcsec."""
        return self.setup.pixel_scale_arcsec

    @property
    def n_visibilities(self) -> int:
        """Number of (row, channel) visibilities with non-zero weight."""
        return int(np.count_nonzero(self.weights))

    @property
    def n_times(self) -> int:
        """Number of integrations."""
        return int(self.time_index.max()) + 1 if self.time_index.size else 0

    @property
    def uvw_ducc(self) -> np.ndarray:
        """uvw in ducc0's axis order for our ``(y, x)`` images: ``(v, -u, w)``."""
        if self._uvw_ducc is None:
            self._uvw_ducc = np.ascontiguousarray(np.stack([self.uvw[:, 1], -self.uvw[:, 0], self.uvw[:, 2]], axis=1))
        return self._uvw_ducc

    def psf_center(self, half: int) -> np.ndarray:
        """The central ``(2 half + 1)^2`` pixels of the PSF."""
        ny, nx = self.shape
        return self.psf[ny - half : ny + half + 1, nx - half : nx + half + 1]

    def psf_fft(self, *, workers: int = 1) -> np.ndarray:
        """``rfft2`` of the PSF shifted to the origin (for exact linear convolutions)."""
        with self._lock:
            if self._psf_fft is None:
                self._psf_fft = _transfer_function(self.psf, workers=workers)
            return self._psf_fft

    def beam_fft(self, *, workers: int = 1) -> np.ndarray:
        """``rfft2`` of the restoring beam (peak 1) on the grid of :meth:`psf_fft`, shifted to the origin."""
        with self._lock:
            if self._beam_fft is None:
                ny, nx = self.shape
                beam = gaussian_image((2 * ny, 2 * nx), beam=self.beam, pixel_scale_arcsec=self.pixel_scale_arcsec,
                                      center=(ny, nx))
                self._beam_fft = _transfer_function(beam, workers=workers)
            return self._beam_fft

    def corrupted_psf_ffts(self, errors: GainErrors, *, nthreads: int = 1) -> list[np.ndarray]:
        """Transfer functions of PSFs with gain errors (image route), made once per ``errors``.

        The gains of realisation ``k`` are drawn from
        ``numpy.random.default_rng([errors.bank_seed, k])``.
        """
        with self._lock:
            bank = self._gain_bank.get(errors)
            if bank is None:
                bank = []
                for k in range(errors.n_realisations):
                    rng = np.random.default_rng([errors.bank_seed, k])
                    gains = draw_gains(errors, n_stations=len(self.stations), n_times=self.n_times,
                                       time_step_s=self.setup.time_step_s, freqs_hz=self.freqs_hz, rng=rng)
                    vis = baseline_gains(gains, ant1=self.ant1, ant2=self.ant2, time_index=self.time_index)
                    psf = _image_psf(self, vis, nthreads=nthreads)
                    bank.append(_transfer_function(psf, workers=nthreads))
                self._gain_bank[errors] = bank
            return bank

    # ------------------------------------------------------------------ disk
    _ARRAYS = ("uvw", "freqs_hz", "ant1", "ant2", "time_index", "weights", "psf", "noise_kernel")

    def save(self, path: str | os.PathLike) -> Path:
        """Write the products to an ``.npz`` file (atomically)."""
        meta = {
            "key": setup_key(self.setup),
            "setup": self.setup.to_dict(),
            "stations": list(self.stations),
            "robust": self.robust,
            "taper_arcsec": self.taper_arcsec,
            "psf_beam": [self.psf_beam.major, self.psf_beam.minor, self.psf_beam.pa],
            "info": self.info,
        }
        path = Path(path)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, meta=np.array(json.dumps(meta)), **{k: getattr(self, k) for k in self._ARRAYS})
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, setup: ObservationSetup | None = None) -> "Instrument":
        """Read products written by :meth:`save`; checks that they belong to ``setup``."""
        try:
            with np.load(path, allow_pickle=False) as npz:
                meta = json.loads(str(npz["meta"]))
                arrays = {k: npz[k] for k in cls._ARRAYS}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise RadioUNetError(f"{path}: not a readable observation cache file ({exc})") from None
        stored = ObservationSetup.from_dict(meta["setup"])
        if setup is not None and (stored != setup or meta["key"] != setup_key(setup)):
            raise RadioUNetError(f"{path}: cache file belongs to another setup or software version")
        info = dict(meta["info"])
        info["loaded_from"] = str(path)
        return cls(setup=stored, stations=meta["stations"], robust=meta["robust"], taper_arcsec=meta["taper_arcsec"],
                   psf_beam=Beam(*meta["psf_beam"]), info=info, **arrays)

    def __repr__(self) -> str:
        return (f"Instrument({self.shape[0]}x{self.shape[1]} px at {self.pixel_scale_arcsec}\"/px, "
                f"beam {self.beam}, robust {self.robust:.3f}, taper {self.taper_arcsec}, "
                f"{self.n_visibilities} visibilities)")


def _transfer_function(psf: np.ndarray, *, workers: int = 1) -> np.ndarray:
    shifted = np.fft.ifftshift(psf)
    return scipy.fft.rfft2(shifted.astype(np.float32), workers=workers).astype(np.complex64)


def _image_psf(inst_like, vis: np.ndarray, *, nthreads: int) -> np.ndarray:
    """Image visibilities ``vis`` at twice the image size, normalised by the weight sum.

    Always gridded with one thread: multi-threaded ducc0 gridding is not
    bit-reproducible, and cached products must not depend on the run.
    """
    from ducc0.wgridder.experimental import vis2dirty

    nthreads = 1

    ny, nx = inst_like.shape
    d = vis2dirty(uvw=inst_like.uvw_ducc, freq=inst_like.freqs_hz, vis=np.ascontiguousarray(vis, dtype=np.complex64),
                  wgt=inst_like.weights, npix_x=2 * ny, npix_y=2 * nx, pixsize_x=inst_like.setup.pixel_rad,
                  pixsize_y=inst_like.setup.pixel_rad, epsilon=inst_like.setup.epsilon, do_wgridding=False,
                  divide_by_n=False, nthreads=nthreads)
    d /= np.float32(inst_like.weight_sum)
    return d


# ---------------------------------------------------------------------- tuning the weights
class _Weighting:
    """Briggs/taper weights of one uv-coverage and the PSF major axis they give."""

    def __init__(self, cells: UVCells, *, uvw_ducc, freqs_hz, pixel_scale_arcsec, epsilon, target_arcsec, workers):
        self.cells = cells
        self.density = grid_sum(cells)
        self.uvw_ducc, self.freqs_hz = uvw_ducc, freqs_hz
        self.pixel_scale_arcsec, self.epsilon, self.workers = pixel_scale_arcsec, epsilon, workers
        ny, nx = cells.shape
        self.half = int(min(max(8, math.ceil(4 * target_arcsec / pixel_scale_arcsec) + 4), ny // 2 - 2, nx // 2 - 2))
        self.evaluations = {"gridded": 0, "exact": 0}

    def weights(self, robust: float, taper: float | None) -> np.ndarray:
        f2 = briggs_factor(self.density, robust)
        w = taper_factors(self.cells.uv2, taper) / (1.0 + self.density.ravel()[self.cells.cell] * f2)
        return np.where(self.cells.valid, w, 0.0).astype(np.float32)

    def _fit(self, psf, center):
        try:
            return fit_beam(psf, pixel_scale_arcsec=self.pixel_scale_arcsec, center=center, box=self.half).major
        except RadioUNetError:  # main lobe narrower than ~1 pixel: counts as "too small"
            return 0.0

    def major_gridded(self, robust: float, taper: float | None) -> float:
        """Fast: PSF of the weights snapped to uv cells."""
        self.evaluations["gridded"] += 1
        tg = self.density if not taper else grid_sum(
            self.cells, np.broadcast_to(taper_factors(self.cells.uv2, taper), self.cells.cell.shape))
        grid = tg / (1.0 + self.density * briggs_factor(self.density, robust))
        psf = gridded_psf(grid, half=self.half, workers=self.workers)
        return self._fit(psf, (self.half, self.half))

    def major_exact(self, robust: float, taper: float | None) -> float:
        """Exact: ducc0 PSF of a small field."""
        from ducc0.wgridder.experimental import vis2dirty

        self.evaluations["exact"] += 1
        w = self.weights(robust, taper)
        n = max(32, 2 * self.half + 2)
        psf = vis2dirty(uvw=self.uvw_ducc, freq=self.freqs_hz, vis=np.ones(w.shape, np.complex64), wgt=w,
                        npix_x=n, npix_y=n, pixsize_x=self.pixel_scale_arcsec * ARCSEC,
                        pixsize_y=self.pixel_scale_arcsec * ARCSEC, epsilon=max(self.epsilon, 1e-4),
                        do_wgridding=False, divide_by_n=False, nthreads=1)  # 1 thread: reproducible
        return self._fit(psf, (n // 2, n // 2))


def _bisect(fn, lo, hi, target, *, iters=40):
    """x in [lo, hi] with fn(x) ~ target for an increasing fn; returns (x, fn(x))."""
    best = None
    for _ in range(iters):
        x = 0.5 * (lo + hi)
        val = fn(x)
        if best is None or abs(val - target) < abs(best[1] - target):
            best = (x, val)
        if abs(val - target) <= _BEAM_RTOL * target or hi - lo < 1e-6:
            break
        if val < target:
            lo = x
        else:
            hi = x
    return best


def _refine(fn, x0, lo, hi, target, *, step, rtol=0.005, iters=12):
    """Polish a root of the increasing ``fn`` near ``x0``, bracketing within [lo, hi]."""
    y0 = fn(x0)
    if abs(y0 - target) <= rtol * target:
        return x0, y0
    best = (x0, y0)
    a, b = (x0, None) if y0 < target else (None, x0)
    x = x0
    while a is None or b is None:  # expand until the target is bracketed
        x = x + step if y0 < target else x - step
        x = min(max(x, lo), hi)
        y = fn(x)
        if abs(y - target) < abs(best[1] - target):
            best = (x, y)
        if y < target:
            a = x
        else:
            b = x
        if (a is None or b is None) and x in (lo, hi):
            return best
        step *= 2.0
    for _ in range(iters):
        if abs(best[1] - target) <= rtol * target:
            break
        x = 0.5 * (a + b)
        y = fn(x)
        if abs(y - target) < abs(best[1] - target):
            best = (x, y)
        if y < target:
            a = x
        else:
            b = x
    return best


def solve_weighting(
    weighting: _Weighting,
    *,
    target_arcsec: float,
    taper_arcsec: float | None = None,
    robust: float | None = None,
) -> tuple[float, float | None, dict]:
    """Choose Briggs robust and/or a taper so the fitted PSF major axis equals the target.

    Which parameter is tuned: with neither given, robust in
    :data:`ROBUST_RANGE` (and if even natural weighting is too sharp, a
    taper at ``robust = AUTO_TAPER_ROBUST``); with a taper given, robust;
    with robust given, the taper; with both given, nothing. The search uses
    gridded PSFs, then polishes on exact (ducc0) PSFs.

    Returns
    -------
    robust : float
    taper_arcsec : float or None
    info : dict
        How the value was found.
    """
    t = target_arcsec
    if robust is not None and taper_arcsec is not None:
        return robust, taper_arcsec, {"method": "fixed robust and taper"}

    def tune_taper(r):
        m0 = weighting.major_exact(r, None)
        if m0 >= t * (1 - 0.01):
            if m0 <= t * (1 + 0.02):
                return r, None, {"method": "no taper needed", "major_exact": m0}
            raise RadioUNetError(
                f"with robust {r} the beam is already {m0:.2f}\" (> the requested {t}\"): "
                "lower robust or ask for a larger beam"
            )
        t_hi = t
        while weighting.major_gridded(r, t_hi) < t:
            t_hi *= 2.0
            if t_hi > 50 * t:
                raise RadioUNetError(f"no Gaussian taper reaches a {t}\" beam on this image grid")
        x0, _ = _bisect(lambda x: weighting.major_gridded(r, x), 0.0, t_hi, t)
        x, m = _refine(lambda x: weighting.major_exact(r, x), x0, 0.0, 4 * t_hi, t, step=0.05 * max(x0, t))
        return r, float(x), {"method": "taper search", "major_exact": m}

    if robust is not None:
        return tune_taper(robust)
    lo, hi = ROBUST_RANGE
    m_lo, m_hi = weighting.major_gridded(lo, taper_arcsec), weighting.major_gridded(hi, taper_arcsec)
    if t < m_lo * (1 - 0.02):
        raise RadioUNetError(
            f"the requested {t}\" beam is smaller than this uv-coverage gives with robust {lo} "
            f"({m_lo:.2f}\"): ask for a larger beam, use a longer track, more stations or a larger image"
        )
    if t <= m_hi:
        x0, _ = _bisect(lambda x: weighting.major_gridded(x, taper_arcsec), lo, hi, t)
        x, m = _refine(lambda x: weighting.major_exact(x, taper_arcsec), x0, lo - 1.0, hi + 1.0, t, step=0.05)
        return float(x), taper_arcsec, {"method": "robust search", "major_exact": m, "major_range": [m_lo, m_hi]}
    if taper_arcsec is not None:
        raise RadioUNetError(
            f"the requested {t}\" beam is larger than natural weighting with a {taper_arcsec}\" taper gives "
            f"({m_hi:.2f}\"): increase taper_arcsec or leave it unset to find one automatically"
        )
    return tune_taper(AUTO_TAPER_ROBUST)


# ---------------------------------------------------------------------- prepare
_MEMORY = LRUCache(_MEMORY_CACHE_SIZE)  # ObservationSetup -> Instrument


def clear_cache() -> None:
    """Forget the instruments cached in memory."""
    _MEMORY.clear()


def build_instrument(setup: ObservationSetup, *, nthreads: int = 1) -> Instrument:
    """Compute an :class:`Instrument` from scratch (no caching); see :func:`prepare`."""
    t0 = time.perf_counter()
    names = _array.station_names(setup.stations)
    positions = _array.station_positions(names)
    lon, lat = _array.array_geodetic(setup.stations)
    dec = math.radians(setup.dec_deg)
    ha = _array.hour_angles(hours=setup.hours, time_step_s=setup.time_step_s)
    up = _array.elevation(ha, dec_rad=dec, lat_rad=lat) >= math.radians(setup.min_elevation_deg)
    if not up.any():
        raise RadioUNetError(
            f"a source at declination {setup.dec_deg} deg never rises above {setup.min_elevation_deg} deg for "
            f"{_array.array_label(setup.stations)} "
            "during this track"
        )
    ha = ha[up]
    uvw, ant1, ant2, tidx = _array.uvw_track(positions, hour_angle=ha, dec_rad=dec, lon_rad=lon)
    freqs = np.asarray(setup.freqs_hz, dtype=np.float64)
    cells = uv_cells(uvw, freqs, shape=setup.shape, pixel_rad=setup.pixel_rad)
    keep = cells.valid.any(axis=1)
    if not keep.any():
        raise RadioUNetError("no baseline fits on the image grid (pixels too large?)")
    uvw, ant1, ant2, tidx = uvw[keep], ant1[keep], ant2[keep], tidx[keep]
    cells = UVCells(cells.cell[keep], cells.mirror[keep], cells.valid[keep], cells.uv2[keep], cells.shape)
    t1 = time.perf_counter()
    uvw_ducc = np.ascontiguousarray(np.stack([uvw[:, 1], -uvw[:, 0], uvw[:, 2]], axis=1))
    weighting = _Weighting(cells, uvw_ducc=uvw_ducc, freqs_hz=freqs, pixel_scale_arcsec=setup.pixel_scale_arcsec,
                           epsilon=setup.epsilon, target_arcsec=setup.beam_arcsec, workers=nthreads)
    robust, taper, how = solve_weighting(weighting, target_arcsec=setup.beam_arcsec,
                                         taper_arcsec=setup.taper_arcsec, robust=setup.robust)
    how["evaluations"] = dict(weighting.evaluations)
    w = weighting.weights(robust, taper)
    t2 = time.perf_counter()

    class _Partial:  # what _image_psf needs before the Instrument exists
        pass

    part = _Partial()
    part.shape, part.setup, part.freqs_hz, part.weights = setup.shape, setup, freqs, w
    part.weight_sum = float(np.sum(w, dtype=np.float64))
    part.uvw_ducc = uvw_ducc
    psf = _image_psf(part, np.ones(w.shape, dtype=np.complex64), nthreads=nthreads)
    ny, nx = setup.shape
    psf_beam = fit_beam(psf, pixel_scale_arcsec=setup.pixel_scale_arcsec, center=(ny, nx), box=weighting.half)
    kernel = noise_shaping_kernel(cells, w)
    t3 = time.perf_counter()
    info = {
        "n_stations": len(names),
        "n_baselines": len(names) * (len(names) - 1) // 2,
        "n_times": int(up.sum()),
        "n_rows": int(uvw.shape[0]),
        "n_visibilities": int(np.count_nonzero(w)),
        "n_flagged_beyond_grid": int(np.count_nonzero(~cells.valid)),
        "psf_peak": float(psf[ny, nx]),
        "weighting": how,
        "seconds": {"uvw": round(t1 - t0, 3), "weighting": round(t2 - t1, 3), "psf_and_noise": round(t3 - t2, 3)},
    }
    inst = Instrument(setup=setup, stations=names, uvw=uvw, freqs_hz=freqs, ant1=ant1.astype(np.int32),
                      ant2=ant2.astype(np.int32), time_index=tidx.astype(np.int32), weights=w, robust=robust,
                      taper_arcsec=taper, psf=psf, psf_beam=psf_beam, noise_kernel=kernel, info=info)
    inst._uvw_ducc = part.uvw_ducc
    return inst


def prepare(setup: ObservationSetup, *, cache_dir: str | os.PathLike | None = None, nthreads: int | None = None) -> Instrument:
    """The per-setup products of mock observations, cached.

    Looks in memory first (the last two setups), then in ``cache_dir``
    (``observe-<hash>.npz``), else computes them (and writes the file).

    Parameters
    ----------
    setup : ObservationSetup
        What to observe.
    cache_dir : str or path-like, optional
        Folder of the on-disk cache.
    nthreads : int, optional
        Threads for ducc0 and FFTs (default: all cores available).

    Returns
    -------
    Instrument
    """
    if not isinstance(setup, ObservationSetup):
        raise RadioUNetError(f"prepare() needs an ObservationSetup, got {type(setup).__name__}")
    nthreads = default_threads() if nthreads is None else int(nthreads)
    if nthreads < 1:
        raise RadioUNetError("nthreads must be >= 1")
    path = None if cache_dir is None else Path(cache_dir) / f"observe-{setup_key(setup)}.npz"
    inst = _MEMORY.get(setup)
    if inst is not None:
        if path is not None and not path.exists():
            inst.save(path)
        return inst
    if path is not None:
        if path.exists():
            try:
                inst = Instrument.load(path, setup)
            except RadioUNetError:
                inst = None  # stale or damaged: rebuild and overwrite
    if inst is None:
        inst = build_instrument(setup, nthreads=nthreads)
        if path is not None:
            inst.save(path)
    return _MEMORY.put(setup, inst)
