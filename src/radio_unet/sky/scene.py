"""Compose a random sky field: clusters with diffuse emission, radio galaxies, compact sources.

:func:`make_sky` draws everything from one :class:`numpy.random.Generator`
(same seed, same field), renders each component locally into one map per
:class:`~radio_unet.sky.components.Component` class, and returns a
:class:`SkyModel` with the total image, the diffuse-only image, the label
map, the reference mask and a JSON-serialisable list of what was placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import RadioUNetError
from ..jsonsafe import json_safe
from .components import DIFFUSE_CLASSES, Component
from .config import SkyConfig
from .placement import (
    Canvas,
    Frame,
    draw_clusters,
    place_bridge,
    place_cluster_content,
    place_compact_sources,
    place_confusion,
    place_filaments,
    place_foreground,
    place_radio_galaxies,
    place_template_galaxies,
)

__all__ = ["SkyModel", "make_sky", "label_map", "diffuse_mask"]


@dataclass
class SkyModel:
    """A rendered sky field.

    Attributes
    ----------
    image : numpy.ndarray
        float32 ``(ny, nx)``, Jy/pixel: the total sky.
    diffuse : numpy.ndarray
        float32, Jy/pixel: halos, relics, mini-halos, bridges and filaments only.
    labels : numpy.ndarray
        uint8 :class:`Component` map: per pixel the class with the largest
        brightness among the classes whose summed brightness there exceeds
        ``mask_threshold``; 0 (BACKGROUND) elsewhere.
    mask : numpy.ndarray
        bool: ``diffuse > mask_threshold`` (the network's target).
    components : list of dict
        One JSON-serialisable dict per placed component (``kind``, ``label``,
        ``x``, ``y`` in pixels, ``z``, ``size_kpc``, ``flux_jy`` (whole
        component), ``flux_in_image_jy``, ``power_w_hz``, ``alpha`` and
        kind-specific entries). ``kind`` is one of ``halo``, ``minihalo``,
        ``bcg`` (the central radio galaxy of a mini-halo cluster), ``relic``,
        ``bridge``, ``filaments``, ``radio_galaxy`` (with ``morphology``),
        ``compact_sources`` (one summary entry; the sources are in
        ``compact_catalogue``) and ``foreground``. ``size_kpc`` is the
        e-folding radius for halos and mini-halos, the arc length for relics,
        the cluster separation for bridges, the filament width for
        filaments and the largest linear size for radio galaxies; ``x, y``
        is the centre, except for relics (middle of the outer edge) and
        bridges (midpoint between the clusters).
    clusters : list of dict
        The clusters (``id``, ``x``, ``y``, ``z``, ``m500_msun``,
        ``r500_kpc``, ``r500_pix``, ``companion_of``).
    compact_catalogue : numpy.ndarray
        Structured array of the compact sources
        (:data:`radio_unet.sky.compact.CATALOGUE_DTYPE`).
    pixel_scale_arcsec : float
    freq_hz : float
    mask_threshold : float
    class_maps : dict
        ``{Component: Jy/pixel map}``: the summed brightness of every class
        placed (what :func:`label_map` ranks), e.g. to make noise-relative
        labels after observation (:func:`radio_unet.simulate.truth.observed_truth`).
    """

    image: np.ndarray
    diffuse: np.ndarray
    labels: np.ndarray
    mask: np.ndarray
    components: list = field(default_factory=list)
    clusters: list = field(default_factory=list)
    compact_catalogue: np.ndarray | None = None
    pixel_scale_arcsec: float = 0.0
    freq_hz: float = 0.0
    mask_threshold: float = 0.0
    class_maps: dict = field(default_factory=dict, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        """Image shape ``(ny, nx)``."""
        return tuple(self.image.shape)

    @property
    def mask_fraction(self) -> float:
        """Fraction of pixels in the reference mask."""
        return float(self.mask.mean())

    def label_fractions(self) -> dict[str, float]:
        """Fraction of pixels carrying each label, by lower-case class name."""
        counts = np.bincount(self.labels.ravel(), minlength=len(Component))
        return {c.name.lower(): float(counts[c.value]) / self.labels.size for c in Component}

    def summary(self) -> dict:
        """JSON-serialisable summary for a manifest: sizes, fluxes, counts per kind."""
        kinds: dict[str, int] = {}
        for comp in self.components:
            kinds[comp["kind"]] = kinds.get(comp["kind"], 0) + 1
        return {
            "shape": list(self.shape),
            "pixel_scale_arcsec": self.pixel_scale_arcsec,
            "freq_hz": self.freq_hz,
            "mask_threshold": self.mask_threshold,
            "mask_fraction": self.mask_fraction,
            "total_flux_jy": float(self.image.sum(dtype=np.float64)),
            "diffuse_flux_jy": float(self.diffuse.sum(dtype=np.float64)),
            "n_compact": 0 if self.compact_catalogue is None else int(self.compact_catalogue.size),
            "n_clusters": len(self.clusters),
            "components_per_kind": kinds,
            "label_fractions": self.label_fractions(),
        }


def label_map(class_maps: dict, threshold: float) -> np.ndarray:
    """Per-pixel dominant class among classes brighter than ``threshold``.

    Parameters
    ----------
    class_maps : dict
        ``{Component: 2-D array}``, one summed brightness map per class
        (Jy/pixel), all of the same shape.
    threshold : float
        A class competes at a pixel only where its own map exceeds this.

    Returns
    -------
    numpy.ndarray
        uint8 label map; 0 (BACKGROUND) where no class exceeds the threshold.
    """
    if not class_maps:
        raise RadioUNetError("label_map needs at least one class map")
    shape = next(iter(class_maps.values())).shape
    best = np.full(shape, threshold, dtype=np.float32)
    labels = np.zeros(shape, dtype=np.uint8)
    for comp in sorted(class_maps, key=int):
        m = class_maps[comp]
        if m.shape != shape:
            raise RadioUNetError("label_map: all class maps must have the same shape")
        sel = m > best
        best[sel] = m[sel]
        labels[sel] = int(Component.resolve(comp))
    return labels


def diffuse_mask(class_maps_or_diffuse, threshold: float = 1e-8) -> np.ndarray:
    """The reference mask: the SUM of the diffuse classes above ``threshold``.

    Parameters
    ----------
    class_maps_or_diffuse : dict or numpy.ndarray
        Either ``{Component: map}`` (only :data:`DIFFUSE_CLASSES` are summed;
        compact sources, radio galaxies and foreground never count) or an
        already summed diffuse image.
    threshold : float
        Jy/pixel.

    Returns
    -------
    numpy.ndarray
        bool array.
    """
    if isinstance(class_maps_or_diffuse, dict):
        maps = [m for c, m in class_maps_or_diffuse.items() if Component.resolve(c) in DIFFUSE_CLASSES]
        if not maps:
            shape = next(iter(class_maps_or_diffuse.values())).shape
            return np.zeros(shape, dtype=bool)
        total = np.sum(maps, axis=0)
    else:
        total = np.asarray(class_maps_or_diffuse)
    return total > threshold


# ---------------------------------------------------------------------------------------------
def _check_shape(shape) -> tuple[int, int]:
    try:
        ny, nx = (int(shape), int(shape)) if np.ndim(shape) == 0 else (int(shape[0]), int(shape[1]))
        if np.ndim(shape) == 1 and len(shape) != 2:
            raise ValueError
    except (TypeError, ValueError, IndexError):
        raise RadioUNetError(f"sky shape must be an int or (ny, nx), got {shape!r}") from None
    if ny < 8 or nx < 8:
        raise RadioUNetError(f"sky images must be at least 8x8 pixels, got {ny}x{nx}")
    return ny, nx


def _check_inputs(shape, pixel_scale_arcsec, rng, config) -> tuple[tuple[int, int], float, SkyConfig]:
    """The checked ``(ny, nx)``, pixel scale and validated configuration (default :class:`SkyConfig()`)."""
    shape = _check_shape(shape)
    if not (np.isfinite(pixel_scale_arcsec) and pixel_scale_arcsec > 0):
        raise RadioUNetError(f"pixel scale must be positive, got {pixel_scale_arcsec}")
    if not isinstance(rng, np.random.Generator):
        raise RadioUNetError("rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(seed))")
    cfg = SkyConfig() if config is None else config
    if not isinstance(cfg, SkyConfig):
        raise RadioUNetError(f"config must be a SkyConfig, got {type(cfg).__name__}")
    cfg.validate()
    return shape, float(pixel_scale_arcsec), cfg


def _assemble(maps: dict, shape, threshold: float, faint=None) -> tuple[np.ndarray, ...]:
    """``image, diffuse, labels, mask`` from the class maps; ``faint`` joins the image only (no label, no mask)."""
    image = np.zeros(shape, dtype=np.float32)
    diffuse = np.zeros(shape, dtype=np.float32)
    for comp, m in maps.items():
        image += m
        if comp in DIFFUSE_CLASSES:
            diffuse += m
    labels = label_map(maps, threshold) if maps else np.zeros(shape, dtype=np.uint8)
    mask = diffuse > threshold
    if faint is not None:
        image += faint
    return image, diffuse, labels, mask


def make_sky(
    shape, pixel_scale_arcsec: float, *, rng: np.random.Generator, config: SkyConfig | None = None
) -> SkyModel:
    """Draw and render a random sky field in Jy/pixel with its label map and mask.

    Parameters
    ----------
    shape : int or (int, int)
        Image size ``(ny, nx)`` in pixels.
    pixel_scale_arcsec : float
        Pixel size (arcsec).
    rng : numpy.random.Generator
        The only source of randomness: the same seed gives identical arrays.
    config : SkyConfig, optional
        Default :class:`SkyConfig()`.

    Returns
    -------
    SkyModel

    Raises
    ------
    RadioUNetError
        For an invalid shape, pixel scale or configuration.

    Notes
    -----
    Order of the draws: clusters (position, z, M500, bridge companions), their
    diffuse content, bridges, the filament network, radio galaxies, template
    radio galaxies, compact sources, the confusion population, foreground
    (one function each in :mod:`radio_unet.sky.placement`). Physical sizes use
    the cluster's redshift and the configured cosmology; fluxes follow from
    powers with the k-correction of :func:`radio_unet.cosmology.flux_from_power`.
    """
    shape, pix, cfg = _check_inputs(shape, pixel_scale_arcsec, rng, config)
    frame = Frame.build(shape, pix, cfg)
    canvas = Canvas(shape)
    clusters, pairs = draw_clusters(frame, rng)
    components: list[dict] = []
    for cluster in clusters:
        components += place_cluster_content(frame, canvas, rng, cluster)
    for a, b, sep_kpc in pairs:
        components += place_bridge(frame, canvas, rng, clusters[a], clusters[b], sep_kpc)
    components += place_filaments(frame, canvas, rng)
    components += place_radio_galaxies(frame, canvas, rng, clusters)
    components += place_template_galaxies(frame, canvas, rng)
    catalogue, records = place_compact_sources(frame, canvas, rng)
    components += records
    faint, records = place_confusion(frame, rng)
    components += records
    components += place_foreground(frame, canvas, rng)
    image, diffuse, labels, mask = _assemble(canvas.maps, shape, cfg.mask_threshold, faint)
    return SkyModel(
        image=image,
        diffuse=diffuse,
        labels=labels,
        mask=mask,
        components=components,
        clusters=[json_safe(c) for c in clusters],
        compact_catalogue=catalogue,
        pixel_scale_arcsec=pix,
        freq_hz=float(cfg.freq_hz),
        mask_threshold=float(cfg.mask_threshold),
        class_maps=canvas.maps,
    )
