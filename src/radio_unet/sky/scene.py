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

from ..cosmology import flux_from_power, get_cosmology, kpc_to_pixels, r500_kpc
from ..errors import RadioUNetError
from ..jsonsafe import json_safe
from .compact import CATALOGUE_DTYPE, catalogue_blobs, compact_catalogue, expected_number
from .components import DIFFUSE_CLASSES, Component
from .config import SkyConfig
from .diffuse import bridge, filaments, halo, minihalo, relic
from .confusion import confusion_image, draw_confusion
from .templates import load_templates, place_template
from .foreground import galactic_foreground
from .radiogalaxies import RADIO_GALAXY_KINDS, fr1, radio_galaxy
from .render import add_blobs

__all__ = ["SkyModel", "make_sky", "label_map", "diffuse_mask"]

_SR_PER_ARCSEC2 = (np.pi / 180.0 / 3600.0) ** 2


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
def _loguniform(rng, lo_hi):
    lo, hi = lo_hi
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) if hi > lo else float(lo)


def _uniform(rng, lo_hi):
    lo, hi = lo_hi
    return float(rng.uniform(lo, hi)) if hi > lo else float(lo)


class _Canvas:
    """One float32 map per component class, created on first use."""

    def __init__(self, shape):
        self.shape = shape
        self.maps: dict[Component, np.ndarray] = {}

    def get(self, comp: Component) -> np.ndarray:
        if comp not in self.maps:
            self.maps[comp] = np.zeros(self.shape, dtype=np.float32)
        return self.maps[comp]


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
    diffuse content, bridges, the filament network, radio galaxies, compact
    sources, foreground. Physical sizes use the cluster's redshift and the
    configured cosmology; fluxes follow from powers with the k-correction of
    :func:`radio_unet.cosmology.flux_from_power`.
    """
    ny, nx = _check_shape(shape)
    shape = (ny, nx)
    if not (np.isfinite(pixel_scale_arcsec) and pixel_scale_arcsec > 0):
        raise RadioUNetError(f"pixel scale must be positive, got {pixel_scale_arcsec}")
    if not isinstance(rng, np.random.Generator):
        raise RadioUNetError("rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(seed))")
    cfg = SkyConfig() if config is None else config
    if not isinstance(cfg, SkyConfig):
        raise RadioUNetError(f"config must be a SkyConfig, got {type(cfg).__name__}")
    cfg.validate()
    cosmo = get_cosmology(cfg.h0, cfg.om0)
    default_cosmo = cfg.h0 == 70.0 and cfg.om0 == 0.3
    cosmo_arg = None if default_cosmo else cosmo  # the default uses cached conversions
    pix = float(pixel_scale_arcsec)
    canvas = _Canvas(shape)
    components: list[dict] = []
    clusters: list[dict] = []

    def to_pix(kpc, z):
        return kpc_to_pixels(kpc, z, pix, cosmology=cosmo_arg)

    def flux(power, z, alpha):
        return flux_from_power(
            power, z, alpha=alpha, freq_hz=cfg.freq_hz, ref_freq_hz=cfg.ref_freq_hz, cosmology=cosmo_arg
        )

    def record(kind, label, cut_or_flux, **info):
        entry = {"kind": kind, "label": int(label)}
        entry.update(info)
        if hasattr(cut_or_flux, "total_flux"):
            entry["flux_jy"] = float(cut_or_flux.total_flux)
            entry["flux_in_image_jy"] = float(cut_or_flux.flux)
        components.append(json_safe(entry))

    # ---------------------------------------------------------------- clusters
    margin_x, margin_y = cfg.cluster_margin * nx, cfg.cluster_margin * ny
    n_cl = int(rng.integers(cfg.n_clusters[0], cfg.n_clusters[1] + 1))
    pairs = []
    for _ in range(n_cl):
        z = _uniform(rng, cfg.z_range)
        m500 = _loguniform(rng, cfg.m500_range)
        x = rng.uniform(margin_x, nx - 1 - margin_x)
        y = rng.uniform(margin_y, ny - 1 - margin_y)
        cid = len(clusters)
        clusters.append({"id": cid, "x": x, "y": y, "z": z, "m500_msun": m500, "companion_of": None})
        if rng.random() < cfg.p_bridge:
            sep_kpc = _loguniform(rng, cfg.bridge_separation_kpc_range)
            sep = to_pix(sep_kpc, z)
            phi0 = rng.uniform(0, 2 * np.pi)
            m2 = _loguniform(rng, cfg.m500_range)
            for k in range(12):
                phi = phi0 + k * np.pi / 6
                x2, y2 = x + sep * np.cos(phi), y + sep * np.sin(phi)
                if margin_x <= x2 <= nx - 1 - margin_x and margin_y <= y2 <= ny - 1 - margin_y:
                    cid2 = len(clusters)
                    clusters.append({"id": cid2, "x": x2, "y": y2, "z": z, "m500_msun": m2, "companion_of": cid})
                    pairs.append((cid, cid2, sep_kpc))
                    break
    for cl in clusters:
        cl["r500_kpc"] = r500_kpc(cl["m500_msun"], cl["z"], cosmology=cosmo_arg)
        cl["r500_pix"] = to_pix(cl["r500_kpc"], cl["z"])

    # ---------------------------------------------------------------- cluster content
    for cl in clusters:
        cx, cy, z, cid = cl["x"], cl["y"], cl["z"], cl["id"]
        u = rng.random()
        if u < cfg.p_halo:
            power = _loguniform(rng, cfg.halo_power_range)
            alpha = _uniform(rng, cfg.halo_alpha_range)
            re_kpc = (
                cfg.halo_re_pivot_kpc
                * (power / 1e25) ** cfg.halo_re_slope
                * 10 ** (rng.normal(0, cfg.halo_re_scatter_dex) if cfg.halo_re_scatter_dex > 0 else 0.0)
            )
            re_kpc = float(np.clip(re_kpc, *cfg.halo_re_kpc_range))
            q = _uniform(rng, cfg.halo_axis_ratio_range)
            ang = rng.uniform(0, 180)
            trunc = _uniform(rng, cfg.halo_truncation_range)
            turb = _uniform(rng, cfg.halo_turbulence_range)
            off = rng.normal(0, 0.03, 2) * cl["r500_pix"]
            hx, hy = cx + off[0], cy + off[1]
            s = flux(power, z, alpha)
            cut = halo(
                shape,
                centre=(hx, hy),
                r_e=to_pix(re_kpc, z),
                total_flux=s,
                rng=rng,
                axis_ratio=q,
                angle_deg=ang,
                turbulence=turb,
                truncation=trunc,
            )
            cut.paste(canvas.get(Component.HALO))
            record(
                "halo",
                Component.HALO,
                cut,
                cluster=cid,
                x=hx,
                y=hy,
                z=z,
                size_kpc=re_kpc,
                r_e_kpc=re_kpc,
                r_e_pix=to_pix(re_kpc, z),
                axis_ratio=q,
                angle_deg=ang,
                truncation=trunc,
                turbulence=turb,
                power_w_hz=power,
                alpha=alpha,
            )
        elif u < cfg.p_halo + cfg.p_minihalo:
            power = _loguniform(rng, cfg.minihalo_power_range)
            alpha = _uniform(rng, cfg.minihalo_alpha_range)
            rad_kpc = _loguniform(rng, cfg.minihalo_radius_kpc_range)
            q = rng.uniform(0.7, 1.0)
            ang = rng.uniform(0, 180)
            s = flux(power, z, alpha)
            cut = minihalo(
                shape,
                centre=(cx, cy),
                r_e=to_pix(rad_kpc / 3.0, z),
                total_flux=s,
                rng=rng,
                axis_ratio=q,
                angle_deg=ang,
                truncation=3.0,
            )
            cut.paste(canvas.get(Component.MINIHALO))
            record(
                "minihalo",
                Component.MINIHALO,
                cut,
                cluster=cid,
                x=cx,
                y=cy,
                z=z,
                size_kpc=rad_kpc / 3.0,
                radius_kpc=rad_kpc,
                r_e_kpc=rad_kpc / 3.0,
                r_e_pix=to_pix(rad_kpc / 3.0, z),
                axis_ratio=q,
                angle_deg=ang,
                power_w_hz=power,
                alpha=alpha,
            )
            # the central radio galaxy (BCG) that mini-halos surround
            p_bcg = _loguniform(rng, cfg.bcg_power_range)
            a_bcg = _uniform(rng, cfg.rg_alpha_range)
            size_kpc = rng.uniform(10.0, 60.0)
            s_bcg = flux(p_bcg, z, a_bcg)
            b = fr1(
                centre=(cx, cy),
                size=max(to_pix(size_kpc, z), 0.5),
                total_flux=s_bcg,
                angle_deg=rng.uniform(0, 360),
                rng=rng,
            )
            add_blobs(canvas.get(Component.RADIO_GALAXY), b)
            components.append(
                json_safe(
                    {
                        "kind": "bcg",
                        "label": int(Component.RADIO_GALAXY),
                        "morphology": "fr1",
                        "cluster": cid,
                        "x": cx,
                        "y": cy,
                        "z": z,
                        "size_kpc": size_kpc,
                        "flux_jy": s_bcg,
                        "power_w_hz": p_bcg,
                        "alpha": a_bcg,
                    }
                )
            )
        if rng.random() < cfg.p_relic:
            double = rng.random() < cfg.p_double_relic
            pa0 = rng.uniform(0, 360)
            for k in range(2 if double else 1):
                pa = pa0 + 180.0 * k + (rng.normal(0, 15.0) if k else 0.0)
                d_r500 = _uniform(rng, cfg.relic_distance_r500_range)
                dist = d_r500 * cl["r500_pix"]
                curv = _uniform(rng, cfg.relic_curvature_range)
                rc = curv * dist
                length_kpc = _loguniform(rng, cfg.relic_length_kpc_range)
                width_kpc = _loguniform(rng, cfg.relic_width_kpc_range)
                length = min(to_pix(length_kpc, z), 0.85 * np.pi * rc)
                length_kpc = length / to_pix(1.0, z)
                width = to_pix(width_kpc, z)
                power = _loguniform(rng, cfg.relic_power_range)
                alpha = _uniform(rng, cfg.relic_alpha_range)
                s = flux(power, z, alpha)
                cut = relic(
                    shape,
                    centre=(cx, cy),
                    distance=dist,
                    position_angle_deg=pa,
                    length=length,
                    width=width,
                    total_flux=s,
                    rng=rng,
                    curvature_radius=rc,
                )
                cut.paste(canvas.get(Component.RELIC))
                rad = np.deg2rad(pa)
                record(
                    "relic",
                    Component.RELIC,
                    cut,
                    cluster=cid,
                    double=bool(double),
                    x=cx + dist * np.cos(rad),
                    y=cy + dist * np.sin(rad),
                    z=z,
                    size_kpc=length_kpc,
                    length_kpc=length_kpc,
                    width_kpc=width_kpc,
                    distance_r500=d_r500,
                    distance_kpc=d_r500 * cl["r500_kpc"],
                    distance_pix=dist,
                    position_angle_deg=pa % 360.0,
                    curvature_radius_pix=rc,
                    power_w_hz=power,
                    alpha=alpha,
                )

    # ---------------------------------------------------------------- bridges
    for a, b, sep_kpc in pairs:
        ca, cb = clusters[a], clusters[b]
        z = ca["z"]
        width_kpc = _loguniform(rng, cfg.bridge_width_kpc_range)
        power = _loguniform(rng, cfg.bridge_power_range)
        alpha = _uniform(rng, cfg.bridge_alpha_range)
        s = flux(power, z, alpha)
        cut = bridge(
            shape, start=(ca["x"], ca["y"]), end=(cb["x"], cb["y"]), width=to_pix(width_kpc, z), total_flux=s, rng=rng
        )
        cut.paste(canvas.get(Component.FILAMENT))
        record(
            "bridge",
            Component.FILAMENT,
            cut,
            clusters=[a, b],
            x=0.5 * (ca["x"] + cb["x"]),
            y=0.5 * (ca["y"] + cb["y"]),
            z=z,
            size_kpc=sep_kpc,
            length_kpc=sep_kpc,
            width_kpc=width_kpc,
            power_w_hz=power,
            alpha=alpha,
        )

    # ---------------------------------------------------------------- cosmic-web filaments
    if rng.random() < cfg.p_filaments:
        z = _uniform(rng, cfg.filament_z_range)
        width_kpc = _loguniform(rng, cfg.filament_width_kpc_range)
        peak_sb = _loguniform(rng, cfg.filament_peak_jy_arcsec2_range)
        fill = _uniform(rng, cfg.filament_fill_range)
        fil = filaments(
            shape, width=max(to_pix(width_kpc, z), 1.0), peak_brightness=peak_sb * pix**2, rng=rng, fill_fraction=fill
        )
        canvas.get(Component.FILAMENT)[...] += fil
        f_in = float(fil.sum(dtype=np.float64))
        components.append(
            json_safe(
                {
                    "kind": "filaments",
                    "label": int(Component.FILAMENT),
                    "x": (nx - 1) / 2,
                    "y": (ny - 1) / 2,
                    "z": z,
                    "size_kpc": width_kpc,
                    "width_kpc": width_kpc,
                    "peak_jy_arcsec2": peak_sb,
                    "fill_fraction": fill,
                    "flux_jy": f_in,
                    "flux_in_image_jy": f_in,
                }
            )
        )

    # ---------------------------------------------------------------- radio galaxies
    n_rg = int(rng.integers(cfg.n_radio_galaxies[0], cfg.n_radio_galaxies[1] + 1))
    weights = np.asarray(cfg.rg_kind_weights, dtype=float)
    weights = weights / weights.sum()
    for _ in range(n_rg):
        kind = RADIO_GALAXY_KINDS[int(rng.choice(len(RADIO_GALAXY_KINDS), p=weights))]
        in_cluster = bool(clusters) and rng.random() < cfg.rg_in_cluster_fraction
        host = None
        if in_cluster:
            host = clusters[int(rng.integers(len(clusters)))]
            r = 0.7 * host["r500_pix"] * np.sqrt(rng.random())
            phi = rng.uniform(0, 2 * np.pi)
            x, y = host["x"] + r * np.cos(phi), host["y"] + r * np.sin(phi)
        else:
            x, y = rng.uniform(0, nx - 1), rng.uniform(0, ny - 1)
        alpha = _uniform(rng, cfg.rg_alpha_range)
        for _try in range(30):
            z = host["z"] if host is not None else _uniform(rng, cfg.z_range)
            power = _loguniform(rng, cfg.rg_power_range)
            s = flux(power, z, alpha)
            if cfg.rg_flux_range[0] <= s <= cfg.rg_flux_range[1]:
                break
        else:
            s = float(np.clip(s, *cfg.rg_flux_range))
            power = power * s / flux(power, z, alpha)
        size_kpc = _loguniform(rng, cfg.rg_size_kpc_range)
        size = max(to_pix(size_kpc, z), 0.5)
        ang = rng.uniform(0, 360)
        blobs = radio_galaxy(kind, centre=(x, y), size=size, total_flux=s, angle_deg=ang, rng=rng)
        add_blobs(canvas.get(Component.RADIO_GALAXY), blobs)
        components.append(
            json_safe(
                {
                    "kind": "radio_galaxy",
                    "label": int(Component.RADIO_GALAXY),
                    "morphology": kind,
                    "cluster": None if host is None else host["id"],
                    "x": x,
                    "y": y,
                    "z": z,
                    "size_kpc": size_kpc,
                    "size_pix": size,
                    "angle_deg": ang,
                    "flux_jy": s,
                    "power_w_hz": power,
                    "alpha": alpha,
                }
            )
        )

    # ---------------------------------------------------------------- real radio-galaxy templates
    if cfg.rg_templates:
        templates = load_templates(cfg.rg_templates)
        for _ in range(int(rng.integers(cfg.n_template_galaxies[0], cfg.n_template_galaxies[1] + 1))):
            k = int(rng.integers(len(templates)))
            x, y = rng.uniform(0, nx - 1), rng.uniform(0, ny - 1)
            z = _uniform(rng, cfg.z_range)
            size_kpc = _loguniform(rng, cfg.rg_size_kpc_range)
            size = max(to_pix(size_kpc, z), 3.0)
            s = _loguniform(rng, cfg.rg_flux_range)
            ang, mirror = rng.uniform(0, 360), bool(rng.random() < 0.5)
            placed = place_template(canvas.get(Component.RADIO_GALAXY), templates[k], centre=(x, y), size_pix=size,
                                    angle_deg=ang, flux=s, mirror=mirror)
            components.append(json_safe({"kind": "radio_galaxy", "label": int(Component.RADIO_GALAXY),
                                         "morphology": "template", "template": k, "x": x, "y": y, "z": z,
                                         "size_kpc": size_kpc, "size_pix": size, "angle_deg": ang, "mirror": mirror,
                                         "flux_jy": s, "flux_in_image_jy": placed}))

    # ---------------------------------------------------------------- compact sources
    if cfg.compact:
        model = cfg.counts_model
        cat = compact_catalogue(
            shape,
            pix,
            rng=rng,
            s_min=cfg.compact_s_min,
            s_max=cfg.compact_s_max,
            model=model,
            freq_hz=cfg.freq_hz,
            spectral_index=cfg.compact_alpha,
            theta_1mjy_arcsec=cfg.compact_theta_1mjy_arcsec,
        )
        add_blobs(canvas.get(Component.COMPACT), catalogue_blobs(cat, pix))
        ratio = (cfg.freq_hz / model.freq_hz) ** cfg.compact_alpha
        area = ny * nx * pix**2 * _SR_PER_ARCSEC2
        components.append(
            json_safe(
                {
                    "kind": "compact_sources",
                    "label": int(Component.COMPACT),
                    "n": int(cat.size),
                    "n_expected": expected_number(
                        cfg.compact_s_min / ratio, cfg.compact_s_max / ratio, area_sr=area, model=model
                    ),
                    "s_min_jy": cfg.compact_s_min,
                    "s_max_jy": cfg.compact_s_max,
                    "counts": model.to_dict(),
                    "flux_jy": float(cat["flux_jy"].sum()),
                }
            )
        )
    else:
        cat = np.zeros(0, dtype=CATALOGUE_DTYPE)

    # ---------------------------------------------------------------- faint population (confusion)
    faint = None
    if cfg.confusion:
        draw = draw_confusion(
            rng, s_min=cfg.confusion_s_min, s_max=cfg.compact_s_min, norm_range=cfg.confusion_norm_range,
            slope_range=cfg.confusion_slope_range, cluster_sigma_range=cfg.confusion_cluster_sigma_range,
            cluster_scale_pix_range=tuple(v / pix for v in cfg.confusion_cluster_scale_arcsec_range),
        )
        faint, n_faint = confusion_image(shape, pix, draw, rng=rng)
        components.append(json_safe({"kind": "confusion", "label": int(Component.BACKGROUND), "n": n_faint,
                                     "flux_jy": float(faint.sum(dtype=np.float64)), **draw.to_dict()}))

    # ---------------------------------------------------------------- foreground
    if cfg.foreground:
        rms = _uniform(rng, cfg.foreground_rms_k_range)
        fg = galactic_foreground(shape, pix, rms_k=rms, rng=rng, freq_hz=cfg.freq_hz)
        canvas.get(Component.FOREGROUND)[...] += fg
        components.append(
            json_safe(
                {
                    "kind": "foreground",
                    "label": int(Component.FOREGROUND),
                    "rms_k": rms,
                    "rms_jy_pixel": float(fg.std()),
                }
            )
        )

    # ---------------------------------------------------------------- assemble
    maps = canvas.maps
    image = np.zeros(shape, dtype=np.float32)
    diffuse = np.zeros(shape, dtype=np.float32)
    for comp, m in maps.items():
        image += m
        if comp in DIFFUSE_CLASSES:
            diffuse += m
    labels = label_map(maps, cfg.mask_threshold) if maps else np.zeros(shape, dtype=np.uint8)
    mask = diffuse > cfg.mask_threshold
    if faint is not None:  # background for the labels and the mask
        image += faint
    return SkyModel(
        image=image,
        diffuse=diffuse,
        labels=labels,
        mask=mask,
        components=components,
        clusters=[json_safe(c) for c in clusters],
        compact_catalogue=cat,
        pixel_scale_arcsec=pix,
        freq_hz=float(cfg.freq_hz),
        mask_threshold=float(cfg.mask_threshold),
        class_maps=maps,
    )
