"""Calibration artefacts around bright sources: the sign-symmetry check of ``segment``, then radial streaks.

Sky emission is positive; the residual of a bright source calibrated with
errors (spokes, rings, stripes) comes in positive and negative parts of
similar strength. So where the network calls something diffuse at some
distance from a source far brighter than it, and the *negated* image (the
same network on ``-image``) is called diffuse at the same distance from that
source over a comparable area and with a comparable brightness, the island
is what the negated image shows too: an artefact, not emission. The same
idea as the negative-image test of source finders, which estimate their
false detections from the inverted image; here it is applied island by
island, around sources bright enough to make artefacts at the island's
level, so that a real halo, relic or radio galaxy keeps its pixels unless
artefacts as strong as itself sit at its distance from the same source.
The twins may lie anywhere on that ring (spokes and rings point every
way), and there is no limit on the distance: emission as bright as the
artefacts found at its distance from a bright source, in any direction,
is removed with them.

The rule (:func:`sign_symmetric_islands`), for an island of the mask with
median brightness ``b`` (in units of the image's rms, at least 1):

1. a *bright source* is a connected region above ``source_ratio * b`` (its
   brightest pixel is its position);
2. the negated image's mask pixels at a distance from that source within
   the island's own range of distances, widened by ``margin_beams`` beams
   on either side, are the island's *negative twins*;
3. the island is an artefact when its twins cover at least ``area_ratio``
   of its area and their median brightness (in the negated image) is at
   least ``strength_ratio * b``.

The constants were written down before the first measurement
(docs/model.md, "Calibration artefacts: the sign-symmetry check") and have
not been tuned.

The network need not call the negative half of a spoke diffuse in the
negated image, so the islands this rule leaves go through a second test,
:func:`radial_islands` (docs/model.md, "Radial streaks"): straight islands
whose long axes point at a bright source from two or more directions, more
often than chance alignment among the image's islands and sources explains.

Examples
--------
>>> import numpy as np
>>> snr = np.zeros((64, 64)); snr[32, 32] = 5000.0          # a bright source
>>> snr[32, 44:60] = 4.0; snr[44:60, 32] = -4.0              # a positive and a negative spoke
>>> above, above_negated = snr >= 3, -snr >= 3
>>> mask, records = sign_symmetric_islands(snr, above, above_negated, beam_pixels=3.0)
>>> int(mask.sum()), records[0]["source_peak"]
(16, 5000.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["SOURCE_RATIO", "AREA_RATIO", "STRENGTH_RATIO", "MARGIN_BEAMS", "RULE", "MAX_PIXELS", "may_hold_artefacts",
           "sign_symmetric_islands", "with_fringe", "RADIAL_ELONGATION", "RADIAL_MISS_BEAMS", "RADIAL_MIN_ISLANDS",
           "RADIAL_MIN_ANGLE", "RADIAL_CHANCE", "radial_islands"]

#: A source at least this many times brighter than an island (peak over the island's median) can make artefacts at
#: the island's brightness: calibration errors leave residuals of ~1-3% of a source's peak.
SOURCE_RATIO = 30.0
#: The negative twins must cover at least this share of the island's area ...
AREA_RATIO = 0.25
#: ... and reach at least this share of its median brightness.
STRENGTH_RATIO = 0.5
#: How far (beams) beyond the island's own range of distances from the source a twin may lie.
MARGIN_BEAMS = 2.0
#: Radial streaks (:func:`radial_islands`): an island at least this elongated (major / minor axis of its pixels'
#: second moments) ...
RADIAL_ELONGATION = 3.0
#: ... whose major axis, drawn through its centroid, passes within this many beams of a bright source ...
RADIAL_MISS_BEAMS = 1.0
#: ... is a spoke of that source when such islands point at it from at least this many directions ...
RADIAL_MIN_ISLANDS = 2
#: ... at least this many degrees apart (closer ones are one direction: two pieces of one streak count once), and that
#: many alignments would happen by chance (among the image's elongated islands and bright sources) at most this often.
RADIAL_MIN_ANGLE = 20.0
RADIAL_CHANCE = 0.01
#: The rule and its constants, for the signature of segment's outputs (a change makes finished outputs stale).
RULE = (f"sign-symmetry {SOURCE_RATIO:g} {AREA_RATIO:g} {STRENGTH_RATIO:g} {MARGIN_BEAMS:g}; radial directions {RADIAL_ELONGATION:g} "
        f"{RADIAL_MISS_BEAMS:g} {RADIAL_MIN_ISLANDS:d} {RADIAL_MIN_ANGLE:g} {RADIAL_CHANCE:g}")
#: Larger images are not checked (their full-size working arrays, a second network pass in memory): cut them up.
MAX_PIXELS = 8192 * 8192


def may_hold_artefacts(snr_peak: float, above: np.ndarray, *, source_ratio: float = SOURCE_RATIO) -> bool:
    """Whether the check can flag anything: some pixel is called diffuse and the image holds a source at least
    ``source_ratio`` rms bright (the faintest island's brightness counts as at least 1 rms). Cheap: it decides
    whether the negated image is segmented at all."""
    return bool(np.isfinite(snr_peak) and snr_peak >= source_ratio and above.any())


def sign_symmetric_islands(
    snr: np.ndarray,
    above: np.ndarray,
    above_negated: np.ndarray,
    *,
    beam_pixels: float,
    source_ratio: float = SOURCE_RATIO,
    area_ratio: float = AREA_RATIO,
    strength_ratio: float = STRENGTH_RATIO,
    margin_beams: float = MARGIN_BEAMS,
) -> tuple[np.ndarray, list[dict]]:
    """The islands of ``above`` that the negated image repeats around a bright source (the module's rule).

    Parameters
    ----------
    snr : numpy.ndarray
        The image in units of its rms, its background level subtracted (NaN allowed).
    above : numpy.ndarray of bool
        The mask of the image (probability of diffuse emission >= threshold).
    above_negated : numpy.ndarray of bool
        The same for the negated image ``-image``.
    beam_pixels : float
        Beam FWHM (major axis) in pixels.
    source_ratio, area_ratio, strength_ratio, margin_beams : float
        The rule's constants (module attributes of the same names in capitals).

    Returns
    -------
    (numpy.ndarray, list of dict)
        The mask of the islands found to be artefacts, and one record per such island: ``pixels``,
        ``brightness`` (its median, rms), ``source_x``, ``source_y``, ``source_peak`` (rms), ``twin_pixels`` and
        ``twin_brightness``.
    """
    flagged = np.zeros(above.shape, bool)
    records: list[dict] = []
    if not above.any() or not above_negated.any():
        return flagged, records
    snr, labels, strength, sources = _islands_and_sources(snr, above, source_ratio)
    if not sources:
        return flagged, records
    ty, tx = np.nonzero(above_negated)
    twin_snr = -snr[ty, tx]
    rings = [_Ring(ty, tx, twin_snr, y, x) for y, x, _ in sources]  # the twins sorted by distance, once per source
    margin = margin_beams * beam_pixels
    for i, iy, ix in _island_pixels(labels):
        b = strength[i - 1]
        for (sy, sx, peak), ring in zip(sources, rings):
            if peak < source_ratio * b:
                continue
            r = np.hypot(iy - sy, ix - sx)
            twins = ring.between(r.min() - margin, r.max() + margin)
            if twins.size >= area_ratio * iy.size and np.median(twins) >= strength_ratio * b:
                flagged[iy, ix] = True
                records.append({"pixels": int(iy.size), "brightness": round(float(b), 2), "source_x": int(sx),
                                "source_y": int(sy), "source_peak": round(float(peak), 1),
                                "twin_pixels": int(twins.size), "twin_brightness": round(float(np.median(twins)), 2)})
                break
    return flagged, records


def radial_islands(
    snr: np.ndarray,
    above: np.ndarray,
    *,
    beam_pixels: float,
    source_ratio: float = SOURCE_RATIO,
    elongation: float = RADIAL_ELONGATION,
    miss_beams: float = RADIAL_MISS_BEAMS,
    min_islands: int = RADIAL_MIN_ISLANDS,
    min_angle_deg: float = RADIAL_MIN_ANGLE,
    chance: float = RADIAL_CHANCE,
) -> tuple[np.ndarray, list[dict]]:
    """The islands of ``above`` that are spokes of a bright source: straight streaks pointing at it from several sides.

    Calibration errors of a bright source leave radial streaks (spokes) around it, and the network need not call
    their negative halves diffuse in the negated image, which :func:`sign_symmetric_islands` relies on. A relic is
    elongated too, but its long axis passing through a source 30 times brighter is a coincidence, and several such
    islands around one source from different directions a rare one - unless the image holds many elongated
    islands and many bright sources, so the number of alignments is compared with what chance gives.

    For each island of at least one beam area (median brightness ``b`` rms, at least 1) that does not contain the
    source: it is *radial* to a source brighter than ``source_ratio * b`` when the axis ratio of its pixels' second
    moments is at least ``elongation`` and its major axis, through its centroid, passes within ``miss_beams`` beams
    (``m`` pixels) of the source's brightest pixel. An axis in a random direction does so with probability
    ``(2 / pi) arcsin(m / D)`` (``D``: the centroid's distance from the source), so the alignments expected by
    chance around a source are ``lam``, the sum of that over its elongated islands. A source's radial islands lie in
    ``k`` directions (islands less than ``min_angle_deg`` apart, as seen from the source, are one direction: the
    pieces of one streak count once); they are flagged when ``k >= min_islands`` and ``k`` or more alignments would
    happen by chance (Poisson with mean ``lam``) with probability at most ``chance`` divided by the number of bright
    sources in the image. A jet and counter-jet that the network calls diffuse, detached from their core, are
    removed too: a radio galaxy's, not diffuse cluster emission.

    Parameters
    ----------
    snr : numpy.ndarray
        The image in units of its rms, its background level subtracted (NaN allowed).
    above : numpy.ndarray of bool
        The mask of the image (probability of diffuse emission >= threshold).
    beam_pixels : float
        Beam FWHM (major axis) in pixels.
    source_ratio, elongation, miss_beams, min_islands, min_angle_deg, chance : float
        The rule's constants (:data:`SOURCE_RATIO`, :data:`RADIAL_ELONGATION`, ...).

    Returns
    -------
    (numpy.ndarray, list of dict)
        The mask of the flagged islands and one record per island: ``pixels``, ``brightness`` (median, rms),
        ``source_x``, ``source_y``, ``source_peak`` (rms), ``elongation``, ``miss_beams``, ``direction_deg`` and
        ``chance`` (the Poisson probability of that many alignments around the source).

    Examples
    --------
    >>> snr = np.zeros((80, 80)); snr[40, 40] = 5000.0                          # a bright source
    >>> snr[40, 52:75] = 4.0; snr[10:30, 40] = 4.0; snr[62:66, 10:14] = 4.0    # two spokes and a blob
    >>> radial_islands(snr, snr >= 3, beam_pixels=3.0)[1]          # two alignments: 1.5% likely by chance
    []
    >>> snr[48:72, 40] = 4.0                                        # a third spoke
    >>> mask, records = radial_islands(snr, snr >= 3, beam_pixels=3.0)
    >>> int(mask.sum()), sorted(r["direction_deg"] for r in records), records[0]["chance"]
    (67, [-90.0, 0.0, 90.0], 0.0028)
    """
    from scipy.stats import poisson

    flagged = np.zeros(above.shape, bool)
    records: list[dict] = []
    if not above.any():
        return flagged, records
    _, labels, strength, sources = _islands_and_sources(snr, above, source_ratio)
    if not sources:
        return flagged, records
    sy, sx, peaks = (np.asarray(column, dtype=float) for column in zip(*sources))
    at_source = labels[sy.astype(int), sx.astype(int)]
    m = miss_beams * beam_pixels
    lam = np.zeros(len(sources))
    candidates: dict[int, list[tuple[int, dict]]] = {}
    min_pixels = max(np.pi / (4 * np.log(2)) * beam_pixels**2, 3)
    for i, iy, ix in _island_pixels(labels):
        if iy.size < min_pixels:
            continue
        cy, cx = iy.mean(), ix.mean()
        values, vectors = np.linalg.eigh(np.cov(np.stack([ix - cx, iy - cy])))
        ratio = float(np.sqrt(values[1] / values[0])) if values[0] > 1e-12 else np.inf
        if ratio < elongation:
            continue
        ux, uy = vectors[:, 1]
        b = strength[i - 1]
        eligible = (peaks >= source_ratio * b) & (at_source != i)
        distance = np.hypot(sy - cy, sx - cx)
        lam += np.where(eligible, 2 / np.pi * np.arcsin(np.minimum(1.0, m / np.maximum(distance, 1e-9))), 0.0)
        miss = np.abs(ux * (sy - cy) - uy * (sx - cx))
        for k in np.flatnonzero(eligible & (miss <= m)):
            candidates.setdefault(int(k), []).append((int(i), {
                "pixels": int(iy.size), "brightness": round(float(b), 2), "source_x": int(sx[k]),
                "source_y": int(sy[k]), "source_peak": round(float(peaks[k]), 1), "elongation": round(min(ratio, 1e6), 2),
                "miss_beams": round(float(miss[k] / beam_pixels), 2),
                "direction_deg": round(float(np.degrees(np.arctan2(cy - sy[k], cx - sx[k]))), 1)}))
    spokes: set[int] = set()
    for k, found in candidates.items():
        directions = _directions([record["direction_deg"] for _, record in found], min_angle_deg)
        p = float(poisson.sf(directions - 1, lam[k]))  # P(N >= directions)
        if directions < min_islands or p > chance / len(sources):
            continue
        for i, record in found:
            if i not in spokes:
                spokes.add(i)
                records.append({**record, "chance": float(f"{p:.2g}")})
    if spokes:
        flagged = np.isin(labels, sorted(spokes))
    return flagged, records


def _directions(angles_deg, min_angle_deg: float) -> int:
    """How many distinct directions ``angles_deg`` hold: angles closer than ``min_angle_deg`` (on the circle, chained)
    are one direction, so the pieces of one streak count once.

    Examples
    --------
    >>> _directions([0.0, 5.0, 12.0, 90.0, 355.0], 20.0)
    2
    """
    from scipy.sparse.csgraph import connected_components

    a = np.radians(np.asarray(angles_deg, dtype=float))
    apart = np.degrees(np.abs(np.angle(np.exp(1j * (a[:, None] - a[None, :])))))
    return int(connected_components(apart < min_angle_deg, directed=False)[0])


class _Ring:
    """The negated image's mask pixels around one source, sorted by distance from it: the brightness of those
    within a range of distances is a slice."""

    def __init__(self, ty: np.ndarray, tx: np.ndarray, brightness: np.ndarray, y: int, x: int):
        r = np.hypot(ty - y, tx - x)
        order = np.argsort(r)
        self.r, self.brightness = r[order], brightness[order]

    def between(self, lo: float, hi: float) -> np.ndarray:
        """Brightness of the pixels at distances in ``[lo, hi]``."""
        return self.brightness[np.searchsorted(self.r, lo, "left") : np.searchsorted(self.r, hi, "right")]


def with_fringe(flagged: np.ndarray, above: np.ndarray, *, beam_pixels: float) -> np.ndarray:
    """The flagged islands and their fringe: the pixels within one beam of them that are not in ``above``.

    Removing only the islands would leave their sub-threshold rims outlining them in the probability map; other
    islands of ``above`` keep every pixel.

    Examples
    --------
    >>> above = np.zeros((9, 9), bool); above[4, 2:5] = True; above[4, 7] = True
    >>> flagged = np.zeros_like(above); flagged[4, 2:5] = True
    >>> region = with_fringe(flagged, above, beam_pixels=2.0)
    >>> bool(region[4, 6]), bool(region[4, 7]), int(region.sum()) > int(flagged.sum())
    (True, False, True)
    """
    from scipy import ndimage

    r = max(1, int(round(beam_pixels)))
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    return flagged | (ndimage.binary_dilation(flagged, structure=x * x + y * y <= r * r) & ~above)


def _islands_and_sources(snr: np.ndarray, above: np.ndarray, source_ratio: float):
    """What both tests start from: ``snr`` with NaN as 0, the labelled islands of ``above``, each island's median
    brightness (at least 1 rms; island ``i`` at index ``i - 1``) and the sources bright enough to make artefacts at
    the faintest island's level (:func:`_bright_sources`)."""
    from scipy import ndimage  # here, not at the top: segment imports this module for every image, scipy.ndimage

    from ..islands import label_islands  # only for the images that hold a bright source and something called diffuse

    snr = np.nan_to_num(np.asarray(snr, dtype=np.float32), nan=0.0)
    labels, n = label_islands(above)
    strength = np.maximum(np.asarray(ndimage.median(snr, labels, np.arange(1, n + 1)), dtype=float).reshape(-1), 1.0)
    return snr, labels, strength, _bright_sources(snr, source_ratio * strength.min())


def _island_pixels(labels: np.ndarray):
    """``(i, iy, ix)``: each island's label and the coordinates of its pixels in the whole image."""
    from scipy import ndimage

    for i, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        iy, ix = np.nonzero(labels[box] == i)
        yield i, iy + box[0].start, ix + box[1].start


def _bright_sources(snr: np.ndarray, level: float) -> list[tuple[int, int, float]]:
    """``(y, x, peak)`` of the brightest pixel of each 8-connected region above ``level``."""
    from scipy import ndimage

    from ..islands import label_islands  # scipy.ndimage: kept off the lean segment path

    labels, n = label_islands(snr >= level)
    if n == 0:
        return []
    ids = np.arange(1, n + 1)
    peaks = np.asarray(ndimage.maximum(snr, labels, ids), dtype=float).reshape(-1)
    return [(int(y), int(x), float(p)) for (y, x), p in zip(ndimage.maximum_position(snr, labels, ids), peaks)]
