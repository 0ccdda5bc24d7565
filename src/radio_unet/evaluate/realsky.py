"""Measures for checking a model on real radio images (``benchmarks/real_sky.py``).

Three kinds of check need nothing but real data:

* **false positives** on real fields without diffuse emission
  (:func:`false_positive_fraction`);
* **injection and recovery**: an exponential radio halo (Murgia et al. 2009)
  or an arc-shaped relic (:func:`halo_profile`, :func:`relic_profile`),
  convolved with the restoring beam (:func:`beam_convolve`) and added to the
  real noise at a chosen peak signal-to-noise (:func:`inject`), then scored
  with :func:`iou`, the detection ratio R (:func:`detection_ratio`) and the
  area under the ROC curve of R (:func:`auc`);
* **radio galaxies must not be called diffuse**
  (:func:`outside_island_fraction`): on a real radio galaxy (MiraBest), the
  pixels called diffuse outside the galaxy's own 3-sigma island.

The profiles are written here on purpose, independently of
:mod:`radio_unet.sky`, so that an injection test does not reuse the shapes
the network was trained on. Pixel positions are 0-based ``(x, y)`` (x along
columns), as in :mod:`radio_unet.targets.ratio`.
"""

from __future__ import annotations

import math
import re
from typing import Mapping

import numpy as np
from scipy import ndimage
from scipy.stats import rankdata

from ..islands import label_islands
from ..targets.ratio import circle_mask
from ..targets.ratio import detection_ratio as _circle_ratio
from .metrics import pixel_scores

__all__ = [
    "halo_profile",
    "relic_profile",
    "spoke_profile",
    "primary_beam",
    "beam_convolve",
    "inject",
    "false_positive_fraction",
    "iou",
    "detection_ratio",
    "auc",
    "island_region",
    "outside_island_fraction",
    "class_names",
    "class_fractions",
]

_CLASS_CARD = re.compile(r"^CLASS(\d+)$")


def _grid(shape: tuple[int, int], centre: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Pixel offsets ``(dx, dy)`` from ``centre`` = (x, y) over an image of ``shape`` = (ny, nx)."""
    ny, nx = (int(n) for n in shape)
    y, x = np.mgrid[:ny, :nx].astype(np.float64)
    return x - float(centre[0]), y - float(centre[1])


def halo_profile(
    shape: tuple[int, int],
    centre: tuple[float, float],
    r_e_pix: float,
    *,
    ellipticity: float = 0.0,
    angle: float = 0.0,
) -> np.ndarray:
    """An exponential radio-halo profile ``I(r) = exp(-r / r_e)`` (Murgia et al. 2009), peak 1.

    Parameters
    ----------
    shape : (int, int)
        Image shape ``(ny, nx)``.
    centre : (float, float)
        Halo centre ``(x, y)`` in 0-based pixels (may lie off the image).
    r_e_pix : float
        e-folding radius along the major axis, in pixels (> 0).
    ellipticity : float
        ``1 - b/a`` in ``[0, 1)``: 0 is round.
    angle : float
        Direction of the major axis in degrees, counter-clockwise from +x.

    Returns
    -------
    numpy.ndarray
        float64 map of ``shape``, 1 at the centre (when the centre is a pixel centre).
    """
    if not r_e_pix > 0:
        raise ValueError(f"r_e_pix must be > 0, got {r_e_pix}")
    if not 0 <= ellipticity < 1:
        raise ValueError(f"ellipticity must be in [0, 1), got {ellipticity}")
    dx, dy = _grid(shape, centre)
    t = math.radians(angle)
    u = dx * math.cos(t) + dy * math.sin(t)  # along the major axis
    v = -dx * math.sin(t) + dy * math.cos(t)  # along the minor axis
    r = np.hypot(u, v / (1.0 - ellipticity))
    return np.exp(-r / float(r_e_pix))


def relic_profile(
    shape: tuple[int, int],
    centre: tuple[float, float],
    radius_pix: float,
    width_pix: float,
    arc_deg: float,
    angle: float,
    *,
    edge_ratio: float = 3.0,
) -> np.ndarray:
    """An arc-shaped radio relic: a Gaussian ridge with a sharper outer edge, peak 1.

    The ridge is an arc of a circle of radius ``radius_pix`` around
    ``centre`` (the cluster centre: the centre of curvature), spanning
    ``arc_deg`` degrees centred on the direction ``angle``. Across the ridge
    the brightness falls as a Gaussian of standard deviation ``width_pix``
    inwards (the downstream side) and ``edge_ratio`` times faster outwards
    (the shock front). Beyond the ends of the arc it falls as a Gaussian of
    ``width_pix`` in arc length, so the ends are rounded.

    Parameters
    ----------
    shape : (int, int)
        Image shape ``(ny, nx)``.
    centre : (float, float)
        Centre of curvature ``(x, y)`` in 0-based pixels (may lie off the image).
    radius_pix : float
        Radius of the ridge in pixels (> 0).
    width_pix : float
        Gaussian standard deviation across the ridge on the inner side, pixels (> 0).
    arc_deg : float
        Angular extent of the arc in degrees (0-360).
    angle : float
        Direction of the middle of the arc from ``centre``, degrees counter-clockwise from +x.
    edge_ratio : float
        How many times narrower the outer side is than the inner side (>= 1).

    Returns
    -------
    numpy.ndarray
        float64 map of ``shape``, 1 on the ridge.
    """
    if not (radius_pix > 0 and width_pix > 0):
        raise ValueError(f"radius_pix and width_pix must be > 0, got {radius_pix}, {width_pix}")
    if not 0 <= arc_deg <= 360:
        raise ValueError(f"arc_deg must be in [0, 360], got {arc_deg}")
    if not edge_ratio >= 1:
        raise ValueError(f"edge_ratio must be >= 1, got {edge_ratio}")
    dx, dy = _grid(shape, centre)
    r = np.hypot(dx, dy)
    d = r - float(radius_pix)  # > 0 outside the ridge
    sigma = np.where(d > 0, width_pix / edge_ratio, width_pix)
    across = np.exp(-0.5 * (d / sigma) ** 2)
    phi = np.degrees(np.arctan2(dy, dx))
    dphi = (phi - angle + 180.0) % 360.0 - 180.0
    beyond = np.radians(np.maximum(np.abs(dphi) - arc_deg / 2.0, 0.0)) * float(radius_pix)
    along = np.exp(-0.5 * (beyond / width_pix) ** 2)
    return across * along


def spoke_profile(
    shape: tuple[int, int],
    centre: tuple[float, float],
    angles_deg,
    *,
    width_pix: float = 1.5,
    core_pix: float = 6.0,
) -> np.ndarray:
    """Calibration spokes of a bright source: straight radial ridges of alternating sign, before the beam.

    Each spoke is a line through ``centre`` in the direction of one of
    ``angles_deg`` (both sides of the source), with a Gaussian cross-section
    of standard deviation ``width_pix`` and an amplitude ``min(1, core_pix /
    r)``: the residual of a bright source calibrated with errors in a few
    time slots falls roughly as the PSF's sidelobes do. Spoke ``i`` has the
    sign ``(-1)^i`` (real spokes come in positive and negative pairs). A
    geometric stand-in written for the benchmark, independent of the
    simulator's gain-error patterns (:mod:`radio_unet.observe.artefacts`).

    Returns
    -------
    numpy.ndarray
        float64 map of ``shape`` with values in ``[-1, 1]`` (largest ~1 within ``core_pix`` of the centre).
    """
    if not (width_pix > 0 and core_pix > 0):
        raise ValueError(f"width_pix and core_pix must be > 0, got {width_pix}, {core_pix}")
    dx, dy = _grid(shape, centre)
    r = np.hypot(dx, dy)
    out = np.zeros(r.shape)
    for i, angle in enumerate(np.radians(np.asarray(angles_deg, dtype=np.float64))):
        across = dx * np.sin(angle) - dy * np.cos(angle)  # distance from the line
        out += (-1) ** i * np.exp(-0.5 * (across / width_pix) ** 2)
    return out * np.minimum(1.0, core_pix / np.maximum(r, 1e-9))


def primary_beam(shape: tuple[int, int], corner_gain: float) -> np.ndarray:
    """A Gaussian primary-beam response, 1 at the image centre and ``1 / corner_gain`` at the corners.

    Dividing an image by it makes the noise grow outwards as in a primary-beam-corrected pointing.

    Examples
    --------
    >>> primary_beam((100, 100), 3.0)[[50, 0], [50, 0]].round(3).tolist()  # centre, corner
    [1.0, 0.333]
    """
    ny, nx = shape
    dx, dy = _grid(shape, (nx / 2, ny / 2))
    r2 = (dx**2 + dy**2) / (nx / 2) ** 2  # 2 at the corners
    return np.exp(-np.log(corner_gain) * r2 / 2.0)


def beam_convolve(model: np.ndarray, beam_major_pix: float, beam_minor_pix: float, pa_deg: float) -> np.ndarray:
    """Convolve a model with an elliptical Gaussian restoring beam (unit-sum kernel).

    Parameters
    ----------
    model : numpy.ndarray
        2-D model (e.g. Jy/pixel); NaN is treated as 0.
    beam_major_pix, beam_minor_pix : float
        Beam FWHM axes in pixels.
    pa_deg : float
        Beam position angle in degrees east of north, for an image with north
        up (+y) and east left (-x), the usual radio orientation: PA 0 lies
        along +y, PA 90 along -x.

    Returns
    -------
    numpy.ndarray
        The convolved model (same shape, float64). The kernel sums to 1, so
        the total flux is kept; multiply by the beam area in pixels to go from
        Jy/pixel to Jy/beam. Outside the image counts as 0.
    """
    from astropy.convolution import Gaussian2DKernel, convolve_fft
    from astropy.stats import gaussian_fwhm_to_sigma

    major, minor = float(beam_major_pix), float(beam_minor_pix)
    if not (major > 0 and minor > 0):
        raise ValueError(f"beam axes must be > 0 pixels, got {major}, {minor}")
    if minor > major:
        major, minor, pa_deg = minor, major, pa_deg + 90.0
    size = 2 * int(math.ceil(4.0 * major * gaussian_fwhm_to_sigma)) + 1
    kernel = Gaussian2DKernel(
        x_stddev=major * gaussian_fwhm_to_sigma,
        y_stddev=minor * gaussian_fwhm_to_sigma,
        theta=math.radians(pa_deg + 90.0),  # PA from north (+y) towards east (-x) -> angle from +x
        x_size=size,
        y_size=size,
    )
    data = np.nan_to_num(np.asarray(model, np.float64), nan=0.0)
    return convolve_fft(data, kernel, boundary="fill", fill_value=0.0, normalize_kernel=True)


def inject(
    noise_image: np.ndarray, model_convolved: np.ndarray, peak_sigma: float, rms: float
) -> tuple[np.ndarray, np.ndarray]:
    """Add a beam-convolved model to a real image at a chosen peak signal-to-noise.

    Parameters
    ----------
    noise_image : numpy.ndarray
        The real image (Jy/beam); blank (NaN) pixels stay blank.
    model_convolved : numpy.ndarray
        The model already convolved with the beam (any scale, positive peak).
    peak_sigma : float
        Wanted peak of the added component in units of ``rms``.
    rms : float
        The image's noise rms (Jy/beam).

    Returns
    -------
    image : numpy.ndarray
        ``noise_image + component`` in the dtype of ``noise_image``.
    component : numpy.ndarray
        The added component (float64), whose maximum is ``peak_sigma * rms``.
    """
    model = np.asarray(model_convolved, np.float64)
    peak = float(np.nanmax(model))
    if not peak > 0:
        raise ValueError("the model has no positive peak")
    component = model * (float(peak_sigma) * float(rms) / peak)
    noise = np.asarray(noise_image)
    image = (noise.astype(np.float64) + component).astype(noise.dtype if noise.dtype.kind == "f" else np.float64)
    return image, component


def false_positive_fraction(prob: np.ndarray, threshold: float = 0.5) -> float:
    """Fraction of the finite pixels of ``prob`` at or above ``threshold`` (NaN when none is finite)."""
    prob = np.asarray(prob)
    finite = np.isfinite(prob)
    n = int(np.count_nonzero(finite))
    if n == 0:
        return float("nan")
    return float(np.count_nonzero(prob[finite] >= threshold)) / n


def iou(pred_mask: np.ndarray, truth_mask: np.ndarray, *, valid: np.ndarray | None = None) -> float:
    """Intersection over union of the emission class of two masks (1 when both are empty).

    The emission term of :func:`radio_unet.evaluate.metrics.mean_iou` alone
    (``iou_emission`` of :func:`~radio_unet.evaluate.metrics.pixel_scores`):
    the background term of the paper's mean IoU is near 1 for a small
    injected source and would hide a miss.
    """
    return float(pixel_scores(pred_mask, truth_mask, valid=valid)["iou_emission"])


def detection_ratio(prob: np.ndarray, centre: tuple[float, float], radius: float) -> float:
    """The detection ratio R: the mean probability over the finite pixels within a circle.

    Parameters
    ----------
    prob : numpy.ndarray
        2-D probability map.
    centre : (float, float)
        Circle centre ``(x, y)`` in 0-based pixels.
    radius : float
        Radius in pixels; a pixel counts when its centre lies within it.

    Returns
    -------
    float
        R (Stuardi et al. 2024; :func:`radio_unet.targets.ratio.detection_ratio`),
        NaN when no finite pixel lies in the circle.
    """
    return float(_circle_ratio(prob, center_xy=tuple(centre), radius_pix=radius)["R"])


def auc(scores_positive, scores_negative) -> float:
    """Area under the ROC curve from two samples of scores (Mann-Whitney U, ties count 1/2).

    Parameters
    ----------
    scores_positive, scores_negative : array-like
        Scores of the positive and negative cases; NaN scores are dropped.

    Returns
    -------
    float
        The probability that a random positive scores above a random
        negative (0.5 for identical samples); NaN when a sample is empty.
    """
    pos = np.asarray(scores_positive, np.float64).ravel()
    neg = np.asarray(scores_negative, np.float64).ravel()
    pos, neg = pos[np.isfinite(pos)], neg[np.isfinite(neg)]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    ranks = rankdata(np.concatenate([pos, neg]))  # average ranks for ties
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


def island_region(
    image: np.ndarray, rms: float, beam_pix: float, *, nsigma: float = 3.0, central: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """The central source's own islands and that region dilated by one beam.

    Parameters
    ----------
    image : numpy.ndarray
        2-D image; NaN is never part of an island.
    rms : float
        Noise rms of ``image``.
    beam_pix : float
        Beam FWHM in pixels: the radius of the disc the islands are dilated with.
    nsigma : float
        Island threshold in units of ``rms``.
    central : float
        The islands kept are the 8-connected components of ``image > nsigma *
        rms`` that touch the central box of ``central`` times each side.

    Returns
    -------
    island, region : numpy.ndarray of bool
        The kept islands, and the islands dilated by a disc of radius ``beam_pix``.
    """
    data = np.asarray(image, np.float64)
    above = np.isfinite(data) & (np.nan_to_num(data, nan=-np.inf) > nsigma * float(rms))
    labels, n = label_islands(above)
    ny, nx = data.shape
    hy, hx = max(int(round(ny * central / 2)), 1), max(int(round(nx * central / 2)), 1)
    box = labels[ny // 2 - hy : ny // 2 + hy, nx // 2 - hx : nx // 2 + hx]
    ids = np.unique(box[box > 0])
    island = np.isin(labels, ids) if n else np.zeros(data.shape, bool)
    r = max(float(beam_pix), 0.0)
    k = int(math.ceil(r))
    disc = circle_mask((2 * k + 1, 2 * k + 1), (k, k), r)
    region = ndimage.binary_dilation(island, structure=disc) if island.any() else island.copy()
    return island, region


def outside_island_fraction(
    prob: np.ndarray,
    image: np.ndarray,
    rms: float,
    beam_pix: float,
    *,
    threshold: float = 0.5,
    nsigma: float = 3.0,
    central: float = 0.2,
    class_map: np.ndarray | None = None,
    class_value: int | None = None,
) -> dict:
    """How much of a radio-galaxy image is called diffuse away from the galaxy itself.

    The galaxy is the 3-sigma island(s) that touch the central part of the
    image (:func:`island_region`), dilated by one beam FWHM.

    Parameters
    ----------
    prob : numpy.ndarray
        Probability of diffuse emission, on the grid of ``image``.
    image, rms, beam_pix, nsigma, central
        As for :func:`island_region`.
    threshold : float
        A pixel is called diffuse when ``prob >= threshold``.
    class_map : numpy.ndarray of int, optional
        Per-pixel class (argmax) of a multi-class model.
    class_value : int, optional
        The class the island should get (e.g. the value of 'radio galaxy').

    Returns
    -------
    dict
        ``outside``: fraction of the valid pixels outside the dilated region
        called diffuse; ``island_diffuse``: fraction of the island's pixels
        called diffuse; ``island_class``: fraction of the island's pixels of
        class ``class_value`` (NaN without a class map or an island);
        ``n_island`` and ``n_outside`` (pixel counts). Valid pixels are those
        finite in both ``prob`` and ``image``.
    """
    prob = np.asarray(prob, np.float64)
    valid = np.isfinite(prob) & np.isfinite(np.asarray(image, np.float64))
    island, region = island_region(image, rms, beam_pix, nsigma=nsigma, central=central)
    called = valid & (np.nan_to_num(prob, nan=-np.inf) >= threshold)
    outside = valid & ~region
    isl = island & valid
    n_out, n_isl = int(np.count_nonzero(outside)), int(np.count_nonzero(isl))
    island_class = float("nan")
    if class_map is not None and class_value is not None and n_isl:
        island_class = float(np.count_nonzero(np.asarray(class_map)[isl] == class_value)) / n_isl
    return {
        "outside": np.count_nonzero(called & outside) / n_out if n_out else float("nan"),
        "island_diffuse": np.count_nonzero(called & isl) / n_isl if n_isl else float("nan"),
        "island_class": island_class,
        "n_island": n_isl,
        "n_outside": n_out,
    }


def class_names(header: Mapping) -> dict[int, str]:
    """The class names of a class map from its ``CLASSn = 'name'`` header cards.

    Returns
    -------
    dict
        ``{n: name}`` (names stripped and lower-case), empty when there is no such card.
    """
    names = {}
    for key in header.keys():
        match = _CLASS_CARD.match(str(key).upper())
        if match:
            names[int(match.group(1))] = str(header[key]).strip().lower()
    return dict(sorted(names.items()))


def class_fractions(class_map: np.ndarray, names: Mapping[int, str], *, valid: np.ndarray | None = None) -> dict[str, float]:
    """Fraction of the (valid) pixels of each named class in an integer class map.

    Parameters
    ----------
    class_map : numpy.ndarray of int
        Per-pixel class values.
    names : dict
        ``{value: name}`` (:func:`class_names`).
    valid : numpy.ndarray of bool, optional
        Pixels that count (default: all).

    Returns
    -------
    dict
        ``{name: fraction}`` in the order of ``names``; NaN fractions when no pixel counts.
    """
    values = np.asarray(class_map)
    ok = np.ones(values.shape, bool) if valid is None else np.asarray(valid, bool)
    n = int(np.count_nonzero(ok))
    kept = values[ok]
    return {name: (np.count_nonzero(kept == value) / n if n else float("nan")) for value, name in names.items()}
