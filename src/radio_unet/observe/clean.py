"""A deliberately simple Clark CLEAN with WSClean-style auto-masking.

Minor cycles (numba) run Hogbom iterations on the *active set* (the pixels
above the cycle threshold) against a PSF patch; major cycles recompute the
residual exactly, through a caller-supplied function (an FFT convolution
with the full PSF for the image route, a ducc0 predict + image for the
visibility route).

Thresholds follow WSClean's ``-auto-mask`` / ``-auto-threshold``: the noise
``sigma`` is a robust (MAD) estimate of the residual, re-measured every major
cycle (or fixed, ``CleanConfig.sigma``, as WSClean's absolute ``-threshold``);
CLEAN first runs everywhere down to ``auto_mask * sigma``, then only
on the pixels that got components, down to ``auto_threshold * sigma``. With
a loop gain of 0.1, a few major cycles and an iteration cap it is an
*un-tuned* CLEAN on purpose: faint diffuse emission stays in the residual,
still convolved with the dirty beam, as in the survey images the U-Net
learns from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numba
import numpy as np

from ..config import ConfigBase
from ..errors import RadioUNetError
from ..stats import robust_rms

__all__ = ["CleanConfig", "CleanResult", "clean", "minor_cycle"]


@dataclass(frozen=True)
class CleanConfig(ConfigBase):
    """Parameters of the CLEAN.

    Parameters
    ----------
    gain : float
        Loop gain (fraction of the peak removed per iteration).
    mgain : float
        Major-cycle gain: a minor cycle stops when the peak has dropped by
        this fraction (WSClean ``-mgain``).
    auto_mask : float or None
        First stage: clean everywhere down to this many sigma; the pixels
        with components then form the mask. ``None`` skips the stage (no
        mask).
    auto_threshold : float
        Final stopping threshold in sigma (inside the mask).
    max_iter : int
        Cap on minor-cycle iterations (all cycles together).
    max_major : int
        Cap on major cycles.
    psf_patch : int
        Half-size in pixels of the PSF patch used in minor cycles.
    max_active : int
        Cap on the number of active pixels of a minor cycle (the cycle
        threshold is raised to respect it).
    allow_negative : bool
        Also clean negative peaks.
    sigma : float or None
        A fixed noise (Jy/beam) for the thresholds, as WSClean's absolute
        ``-threshold``; ``None`` (default) measures it in the residual every
        major cycle. ``simulate`` CLEANs the noise-free diffuse sky with the
        noise of the real run, to label what the image shows of it.
    """

    gain: float = 0.1
    mgain: float = 0.8
    auto_mask: float | None = 5.0
    auto_threshold: float = 2.0
    max_iter: int = 50_000
    max_major: int = 10
    psf_patch: int = 128
    max_active: int = 200_000
    allow_negative: bool = True
    sigma: float | None = None

    label = "CLEAN"

    def __post_init__(self):
        self.check_number("gain", positive=True, hi=1.0)
        self.check_number("mgain", positive=True, hi=1.0)
        self.check_number("auto_threshold", lo=0.0)
        self.check_number("auto_mask", lo=self.auto_threshold, optional=True)
        self.check_number("sigma", positive=True, optional=True)
        self.check_flag("allow_negative")
        self.check_number("max_iter", integer=True, lo=0)
        for name in ("max_major", "psf_patch", "max_active"):
            self.check_number(name, integer=True, lo=1)


@dataclass
class CleanResult:
    """Outcome of :func:`clean`.

    Attributes
    ----------
    model : numpy.ndarray
        CLEAN components, Jy/pixel (float32).
    residual : numpy.ndarray
        Final residual image (float32, Jy/beam of the dirty beam).
    n_iter, n_major : int
        Minor iterations and major cycles done.
    stop_reason : str
        ``"threshold"``, ``"max_iter"``, ``"max_major"`` or ``"nothing to clean"``.
    sigma : list of float
        Robust noise estimate at the start of every major cycle.
    seconds : dict
        Time spent in minor cycles and in major cycles.
    """

    model: np.ndarray
    residual: np.ndarray
    n_iter: int = 0
    n_major: int = 0
    stop_reason: str = ""
    sigma: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)


@numba.njit(cache=True, nogil=True)
def minor_cycle(values, ys, xs, patch, model, gain, threshold, max_iter, allow_negative):  # pragma: no cover - compiled
    """Hogbom iterations restricted to an active pixel list (Clark minor cycle).

    Parameters
    ----------
    values : float32 array (n,)
        Residual values of the active pixels; updated in place.
    ys, xs : int array (n,)
        Their pixel coordinates (row-major order keeps PSF access local).
    patch : float32 array (2P+1, 2P+1)
        PSF patch centred on ``(P, P)``.
    model : float32 array (ny, nx)
        Component image, updated in place.
    gain, threshold : float
        Loop gain; stop when the peak is not above ``threshold``.
    max_iter : int
        Iteration budget.
    allow_negative : bool
        Select peaks on absolute value.

    Returns
    -------
    int
        Iterations done.
    """
    n = values.shape[0]
    P = patch.shape[0] // 2
    it = 0
    while it < max_iter:
        best = -1
        bestval = threshold
        for j in range(n):
            a = values[j]
            if allow_negative and a < 0:
                a = -a
            if a > bestval:
                bestval = a
                best = j
        if best < 0:
            break
        comp = gain * values[best]
        y0 = ys[best]
        x0 = xs[best]
        model[y0, x0] += comp
        for j in range(n):
            dy = ys[j] - y0 + P
            if dy < 0 or dy > 2 * P:
                continue
            dx = xs[j] - x0 + P
            if dx < 0 or dx > 2 * P:
                continue
            values[j] -= comp * patch[dy, dx]
        it += 1
    return it


def _active_set(residual, region, threshold, max_active, allow_negative):
    mag = np.abs(residual) if allow_negative else residual
    sel = mag > threshold
    if region is not None:
        sel &= region
    ys, xs = np.nonzero(sel)
    if ys.size > max_active:
        vals = mag[ys, xs]
        cut = np.partition(vals, ys.size - max_active)[ys.size - max_active]
        keep = vals >= cut
        ys, xs = ys[keep], xs[keep]
    return ys, xs


def clean(
    dirty: np.ndarray,
    psf: np.ndarray,
    *,
    residual_fn: Callable[[np.ndarray], np.ndarray],
    config: CleanConfig = CleanConfig(),
) -> CleanResult:
    """CLEAN a dirty image with auto-mask, auto-threshold and major cycles.

    Parameters
    ----------
    dirty : numpy.ndarray
        Dirty image ``(ny, nx)`` in Jy/beam (dirty beam, peak-1 PSF).
    psf : numpy.ndarray
        PSF with its peak (1) at ``(psf.shape[0] // 2, psf.shape[1] // 2)``;
        the minor cycles use a ``config.psf_patch`` patch of it.
    residual_fn : callable
        ``residual_fn(model) -> residual``: the exact residual of a
        component image (Jy/pixel), called once per major cycle.
    config : CleanConfig
        CLEAN parameters.

    Returns
    -------
    CleanResult
    """
    if dirty.ndim != 2:
        raise RadioUNetError(f"CLEAN needs a 2-D image, got shape {dirty.shape}")
    cy, cx = psf.shape[0] // 2, psf.shape[1] // 2
    P = int(min(config.psf_patch, cy, cx, psf.shape[0] - cy - 1, psf.shape[1] - cx - 1))
    patch = np.ascontiguousarray(psf[cy - P : cy + P + 1, cx - P : cx + P + 1], dtype=np.float32)
    residual = np.array(dirty, dtype=np.float32, copy=True)
    model = np.zeros(dirty.shape, dtype=np.float32)
    result = CleanResult(model=model, residual=residual)
    t_minor = t_major = 0.0
    stage_masked = config.auto_mask is None
    region = None
    while True:
        sigma = config.sigma if config.sigma is not None else robust_rms(residual, method="mad", max_pixels=1_000_000)
        if not np.isfinite(sigma):
            raise RadioUNetError("CLEAN: the image has no finite pixel")
        result.sigma.append(float(sigma))
        level = config.auto_threshold if stage_masked else config.auto_mask
        threshold = level * sigma
        mag = np.abs(residual) if config.allow_negative else residual
        peak = float(mag[region].max()) if region is not None else float(mag.max())
        if peak <= threshold:
            if not stage_masked:
                stage_masked = True
                region = model != 0
                if not region.any():
                    result.stop_reason = "nothing to clean"
                    break
                result.sigma.pop()
                continue
            result.stop_reason = "threshold"
            break
        if result.n_major >= config.max_major:
            result.stop_reason = "max_major"
            break
        if result.n_iter >= config.max_iter:
            result.stop_reason = "max_iter"
            break
        cycle_threshold = max(threshold, (1.0 - config.mgain) * peak)
        t0 = time.perf_counter()
        ys, xs = _active_set(residual, region, cycle_threshold, config.max_active, config.allow_negative)
        values = residual[ys, xs].astype(np.float32)
        n = minor_cycle(
            values, ys, xs, patch, model, np.float32(config.gain), np.float32(cycle_threshold),
            config.max_iter - result.n_iter, config.allow_negative,
        )
        t1 = time.perf_counter()
        result.n_iter += int(n)
        residual = np.asarray(residual_fn(model), dtype=np.float32)
        result.n_major += 1
        t_minor += t1 - t0
        t_major += time.perf_counter() - t1
        if n == 0:  # cannot happen unless the active set is empty; never loop forever
            result.stop_reason = "stalled"
            break
    result.residual = residual
    result.model = model
    result.seconds = {"minor": round(t_minor, 4), "major": round(t_major, 4)}
    return result
