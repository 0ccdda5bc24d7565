"""Draw and place the components of a sky field: one function per component.

Every ``place_*`` function draws its parameters from ``rng``, adds the
component's brightness (Jy/pixel) to the map of its class on a
:class:`Canvas` and returns the records of what it placed, each made by
:func:`component_record` (the one way a placed component is recorded).
:func:`radio_unet.sky.scene.make_sky` calls them in a fixed order, so the
same seed gives the same field; the order of the draws inside each function
is part of that contract.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cosmology import flux_from_power, get_cosmology, kpc_to_pixels, r500_kpc
from ..jsonsafe import json_safe
from .compact import _SR_PER_ARCSEC2, CATALOGUE_DTYPE, catalogue_blobs, compact_catalogue, expected_number
from .components import Component
from .config import SkyConfig
from .confusion import confusion_image, draw_confusion
from .diffuse import bridge, filaments, halo, minihalo, relic
from .foreground import galactic_foreground
from .radiogalaxies import RADIO_GALAXY_KINDS, fr1, radio_galaxy
from .render import Cutout, add_blobs
from .templates import load_templates, place_template

__all__ = [
    "Frame",
    "Canvas",
    "component_record",
    "cutout_fluxes",
    "draw_clusters",
    "place_cluster_content",
    "place_halo",
    "place_minihalo",
    "place_bcg",
    "place_relics",
    "place_bridge",
    "place_filaments",
    "place_radio_galaxies",
    "place_template_galaxies",
    "place_compact_sources",
    "place_confusion",
    "place_foreground",
]


# --------------------------------------------------------------------------------------------- frame and canvas
@dataclass(frozen=True)
class Frame:
    """The fixed geometry and physics every component of one field needs.

    Attributes
    ----------
    shape : (int, int)
        Image shape ``(ny, nx)``.
    pixel_scale_arcsec : float
        Pixel size (arcsec).
    config : SkyConfig
        The (validated) sky configuration.
    cosmology : astropy.cosmology.FLRW or None
        None for the default cosmology (H0 = 70, Om0 = 0.3), whose
        conversions are cached.
    """

    shape: tuple[int, int]
    pixel_scale_arcsec: float
    config: SkyConfig
    cosmology: object = None

    @classmethod
    def build(cls, shape: tuple[int, int], pixel_scale_arcsec: float, config: SkyConfig) -> "Frame":
        """The frame of a field, with the configured cosmology (None when it is the default one)."""
        cosmology = get_cosmology(config.h0, config.om0)
        default = config.h0 == 70.0 and config.om0 == 0.3
        return cls(tuple(shape), float(pixel_scale_arcsec), config, None if default else cosmology)

    def to_pix(self, kpc: float, z: float) -> float:
        """Proper length ``kpc`` at redshift ``z`` in pixels."""
        return kpc_to_pixels(kpc, z, self.pixel_scale_arcsec, cosmology=self.cosmology)

    def flux(self, power: float, z: float, alpha: float) -> float:
        """Observed flux (Jy) of a source of ``power`` (W/Hz at the reference frequency) at ``z``."""
        cfg = self.config
        return flux_from_power(
            power, z, alpha=alpha, freq_hz=cfg.freq_hz, ref_freq_hz=cfg.ref_freq_hz, cosmology=self.cosmology
        )


class Canvas:
    """One float32 map per component class, created on first use (the creation order is kept)."""

    def __init__(self, shape):
        self.shape = shape
        self.maps: dict[Component, np.ndarray] = {}

    def get(self, comp: Component) -> np.ndarray:
        """The map of class ``comp`` (zeros when first asked for)."""
        if comp not in self.maps:
            self.maps[comp] = np.zeros(self.shape, dtype=np.float32)
        return self.maps[comp]


# --------------------------------------------------------------------------------------------- records and draws
def component_record(kind: str, label: Component, **info) -> dict:
    """The JSON-safe record of one placed component.

    Parameters
    ----------
    kind : str
        ``halo``, ``relic``, ``radio_galaxy``, ... (see :class:`radio_unet.sky.SkyModel`).
    label : Component
        Its class.
    **info
        Further entries, kept in the given order.

    Returns
    -------
    dict
        ``{"kind": kind, "label": int(label), **info}`` through :func:`radio_unet.jsonsafe.json_safe`.
    """
    return json_safe({"kind": kind, "label": int(label), **info})


def cutout_fluxes(cut: Cutout) -> dict:
    """``flux_jy`` (whole component) and ``flux_in_image_jy`` of a rendered cut-out, for :func:`component_record`."""
    return {"flux_jy": float(cut.total_flux), "flux_in_image_jy": float(cut.flux)}


def _loguniform(rng, lo_hi):
    lo, hi = lo_hi
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) if hi > lo else float(lo)


def _uniform(rng, lo_hi):
    lo, hi = lo_hi
    return float(rng.uniform(lo, hi)) if hi > lo else float(lo)


def _count(rng, lo_hi):
    return int(rng.integers(lo_hi[0], lo_hi[1] + 1))


# --------------------------------------------------------------------------------------------- clusters
def _margins(frame: Frame) -> tuple[float, float]:
    ny, nx = frame.shape
    return frame.config.cluster_margin * nx, frame.config.cluster_margin * ny


def _inside_margins(frame: Frame, x: float, y: float) -> bool:
    (ny, nx), (margin_x, margin_y) = frame.shape, _margins(frame)
    return margin_x <= x <= nx - 1 - margin_x and margin_y <= y <= ny - 1 - margin_y


def _draw_cluster(frame: Frame, rng, cid: int) -> dict:
    (ny, nx), (margin_x, margin_y), cfg = frame.shape, _margins(frame), frame.config
    z = _uniform(rng, cfg.z_range)
    m500 = _loguniform(rng, cfg.m500_range)
    x = rng.uniform(margin_x, nx - 1 - margin_x)
    y = rng.uniform(margin_y, ny - 1 - margin_y)
    return {"id": cid, "x": x, "y": y, "z": z, "m500_msun": m500, "companion_of": None}


def _draw_companion(frame: Frame, rng, cluster: dict, cid: int) -> tuple[dict | None, float]:
    """A bridge partner of ``cluster`` at a drawn separation; None when no direction keeps it inside the margins."""
    cfg, x, y, z = frame.config, cluster["x"], cluster["y"], cluster["z"]
    sep_kpc = _loguniform(rng, cfg.bridge_separation_kpc_range)
    sep = frame.to_pix(sep_kpc, z)
    phi0 = rng.uniform(0, 2 * np.pi)
    m2 = _loguniform(rng, cfg.m500_range)
    for k in range(12):
        phi = phi0 + k * np.pi / 6
        x2, y2 = x + sep * np.cos(phi), y + sep * np.sin(phi)
        if _inside_margins(frame, x2, y2):
            return {"id": cid, "x": x2, "y": y2, "z": z, "m500_msun": m2, "companion_of": cluster["id"]}, sep_kpc
    return None, sep_kpc


def draw_clusters(frame: Frame, rng: np.random.Generator) -> tuple[list[dict], list[tuple[int, int, float]]]:
    """Draw the clusters (position, z, M500) and their bridge companions.

    Returns
    -------
    clusters : list of dict
        ``id``, ``x``, ``y``, ``z``, ``m500_msun``, ``companion_of``, ``r500_kpc``, ``r500_pix``.
    pairs : list of (int, int, float)
        ``(id, companion id, separation in kpc)`` of every bridged pair.
    """
    clusters, pairs = [], []
    for _ in range(_count(rng, frame.config.n_clusters)):
        cluster = _draw_cluster(frame, rng, len(clusters))
        clusters.append(cluster)
        if rng.random() < frame.config.p_bridge:
            companion, sep_kpc = _draw_companion(frame, rng, cluster, len(clusters))
            if companion is not None:
                clusters.append(companion)
                pairs.append((cluster["id"], companion["id"], sep_kpc))
    for cl in clusters:
        cl["r500_kpc"] = r500_kpc(cl["m500_msun"], cl["z"], cosmology=frame.cosmology)
        cl["r500_pix"] = frame.to_pix(cl["r500_kpc"], cl["z"])
    return clusters, pairs


# --------------------------------------------------------------------------------------------- cluster content
def place_cluster_content(frame: Frame, canvas: Canvas, rng: np.random.Generator, cluster: dict) -> list[dict]:
    """A halo, or a mini-halo with its central radio galaxy, or neither; then maybe one or two relics."""
    cfg = frame.config
    records = []
    u = rng.random()
    if u < cfg.p_halo:
        records += place_halo(frame, canvas, rng, cluster)
    elif u < cfg.p_halo + cfg.p_minihalo:
        records += place_minihalo(frame, canvas, rng, cluster)
        records += place_bcg(frame, canvas, rng, cluster)
    if rng.random() < cfg.p_relic:
        records += place_relics(frame, canvas, rng, cluster)
    return records


def _halo_radius_kpc(cfg: SkyConfig, power: float, rng) -> float:
    """e-folding radius from the power-size relation, with log-normal scatter, clipped to the configured range."""
    scatter = rng.normal(0, cfg.halo_re_scatter_dex) if cfg.halo_re_scatter_dex > 0 else 0.0
    re_kpc = cfg.halo_re_pivot_kpc * (power / 1e25) ** cfg.halo_re_slope * 10**scatter
    return float(np.clip(re_kpc, *cfg.halo_re_kpc_range))


def place_halo(frame: Frame, canvas: Canvas, rng: np.random.Generator, cluster: dict) -> list[dict]:
    """A radio halo near the cluster centre (Component.HALO)."""
    cfg, z = frame.config, cluster["z"]
    power = _loguniform(rng, cfg.halo_power_range)
    alpha = _uniform(rng, cfg.halo_alpha_range)
    re_kpc = _halo_radius_kpc(cfg, power, rng)
    q = _uniform(rng, cfg.halo_axis_ratio_range)
    ang = rng.uniform(0, 180)
    trunc = _uniform(rng, cfg.halo_truncation_range)
    turb = _uniform(rng, cfg.halo_turbulence_range)
    off = rng.normal(0, 0.03, 2) * cluster["r500_pix"]
    hx, hy = cluster["x"] + off[0], cluster["y"] + off[1]
    cut = halo(
        frame.shape, centre=(hx, hy), r_e=frame.to_pix(re_kpc, z), total_flux=frame.flux(power, z, alpha), rng=rng,
        axis_ratio=q, angle_deg=ang, turbulence=turb, truncation=trunc,
    )
    cut.paste(canvas.get(Component.HALO))
    return [component_record(
        "halo", Component.HALO, cluster=cluster["id"], x=hx, y=hy, z=z, size_kpc=re_kpc, r_e_kpc=re_kpc,
        r_e_pix=frame.to_pix(re_kpc, z), axis_ratio=q, angle_deg=ang, truncation=trunc, turbulence=turb,
        power_w_hz=power, alpha=alpha, **cutout_fluxes(cut),
    )]


def place_minihalo(frame: Frame, canvas: Canvas, rng: np.random.Generator, cluster: dict) -> list[dict]:
    """A mini-halo at the cluster centre (Component.MINIHALO); ``size_kpc`` is a third of the radius."""
    cfg, z, cx, cy = frame.config, cluster["z"], cluster["x"], cluster["y"]
    power = _loguniform(rng, cfg.minihalo_power_range)
    alpha = _uniform(rng, cfg.minihalo_alpha_range)
    rad_kpc = _loguniform(rng, cfg.minihalo_radius_kpc_range)
    q = rng.uniform(0.7, 1.0)
    ang = rng.uniform(0, 180)
    cut = minihalo(
        frame.shape, centre=(cx, cy), r_e=frame.to_pix(rad_kpc / 3.0, z), total_flux=frame.flux(power, z, alpha),
        rng=rng, axis_ratio=q, angle_deg=ang, truncation=3.0,
    )
    cut.paste(canvas.get(Component.MINIHALO))
    return [component_record(
        "minihalo", Component.MINIHALO, cluster=cluster["id"], x=cx, y=cy, z=z, size_kpc=rad_kpc / 3.0,
        radius_kpc=rad_kpc, r_e_kpc=rad_kpc / 3.0, r_e_pix=frame.to_pix(rad_kpc / 3.0, z), axis_ratio=q,
        angle_deg=ang, power_w_hz=power, alpha=alpha, **cutout_fluxes(cut),
    )]


def place_bcg(frame: Frame, canvas: Canvas, rng: np.random.Generator, cluster: dict) -> list[dict]:
    """The central FR I radio galaxy (BCG) that a mini-halo surrounds (Component.RADIO_GALAXY)."""
    cfg, z, cx, cy = frame.config, cluster["z"], cluster["x"], cluster["y"]
    power = _loguniform(rng, cfg.bcg_power_range)
    alpha = _uniform(rng, cfg.rg_alpha_range)
    size_kpc = rng.uniform(10.0, 60.0)
    s = frame.flux(power, z, alpha)
    blobs = fr1(
        centre=(cx, cy), size=max(frame.to_pix(size_kpc, z), 0.5), total_flux=s, angle_deg=rng.uniform(0, 360),
        rng=rng,
    )
    add_blobs(canvas.get(Component.RADIO_GALAXY), blobs)
    return [component_record(
        "bcg", Component.RADIO_GALAXY, morphology="fr1", cluster=cluster["id"], x=cx, y=cy, z=z,
        size_kpc=size_kpc, flux_jy=s, power_w_hz=power, alpha=alpha,
    )]


def place_relics(frame: Frame, canvas: Canvas, rng: np.random.Generator, cluster: dict) -> list[dict]:
    """One relic, or two on roughly opposite sides (``p_double_relic``)."""
    double = bool(rng.random() < frame.config.p_double_relic)
    pa0 = rng.uniform(0, 360)
    records = []
    for k in range(2 if double else 1):
        pa = pa0 + 180.0 * k + (rng.normal(0, 15.0) if k else 0.0)
        records += _place_relic(frame, canvas, rng, cluster, pa, double)
    return records


def _place_relic(frame: Frame, canvas: Canvas, rng, cluster: dict, pa: float, double: bool) -> list[dict]:
    """One relic at position angle ``pa`` (deg); its arc is at most 0.85 pi times its curvature radius long."""
    cfg, z, cx, cy = frame.config, cluster["z"], cluster["x"], cluster["y"]
    d_r500 = _uniform(rng, cfg.relic_distance_r500_range)
    dist = d_r500 * cluster["r500_pix"]
    rc = _uniform(rng, cfg.relic_curvature_range) * dist
    length_kpc = _loguniform(rng, cfg.relic_length_kpc_range)
    width_kpc = _loguniform(rng, cfg.relic_width_kpc_range)
    length = min(frame.to_pix(length_kpc, z), 0.85 * np.pi * rc)
    length_kpc = length / frame.to_pix(1.0, z)
    power = _loguniform(rng, cfg.relic_power_range)
    alpha = _uniform(rng, cfg.relic_alpha_range)
    cut = relic(
        frame.shape, centre=(cx, cy), distance=dist, position_angle_deg=pa, length=length,
        width=frame.to_pix(width_kpc, z), total_flux=frame.flux(power, z, alpha), rng=rng, curvature_radius=rc,
    )
    cut.paste(canvas.get(Component.RELIC))
    rad = np.deg2rad(pa)
    return [component_record(
        "relic", Component.RELIC, cluster=cluster["id"], double=double, x=cx + dist * np.cos(rad),
        y=cy + dist * np.sin(rad), z=z, size_kpc=length_kpc, length_kpc=length_kpc, width_kpc=width_kpc,
        distance_r500=d_r500, distance_kpc=d_r500 * cluster["r500_kpc"], distance_pix=dist,
        position_angle_deg=pa % 360.0, curvature_radius_pix=rc, power_w_hz=power, alpha=alpha, **cutout_fluxes(cut),
    )]


# --------------------------------------------------------------------------------------------- bridges and filaments
def place_bridge(
    frame: Frame, canvas: Canvas, rng: np.random.Generator, ca: dict, cb: dict, sep_kpc: float
) -> list[dict]:
    """A bridge between clusters ``ca`` and ``cb`` (Component.FILAMENT), at ``ca``'s redshift."""
    cfg, z = frame.config, ca["z"]
    width_kpc = _loguniform(rng, cfg.bridge_width_kpc_range)
    power = _loguniform(rng, cfg.bridge_power_range)
    alpha = _uniform(rng, cfg.bridge_alpha_range)
    cut = bridge(
        frame.shape, start=(ca["x"], ca["y"]), end=(cb["x"], cb["y"]), width=frame.to_pix(width_kpc, z),
        total_flux=frame.flux(power, z, alpha), rng=rng,
    )
    cut.paste(canvas.get(Component.FILAMENT))
    return [component_record(
        "bridge", Component.FILAMENT, clusters=[ca["id"], cb["id"]], x=0.5 * (ca["x"] + cb["x"]),
        y=0.5 * (ca["y"] + cb["y"]), z=z, size_kpc=sep_kpc, length_kpc=sep_kpc, width_kpc=width_kpc,
        power_w_hz=power, alpha=alpha, **cutout_fluxes(cut),
    )]


def place_filaments(frame: Frame, canvas: Canvas, rng: np.random.Generator) -> list[dict]:
    """With probability ``p_filaments``, a cosmic-web filament network over the field (Component.FILAMENT)."""
    cfg, (ny, nx) = frame.config, frame.shape
    if not rng.random() < cfg.p_filaments:
        return []
    z = _uniform(rng, cfg.filament_z_range)
    width_kpc = _loguniform(rng, cfg.filament_width_kpc_range)
    peak_sb = _loguniform(rng, cfg.filament_peak_jy_arcsec2_range)
    fill = _uniform(rng, cfg.filament_fill_range)
    fil = filaments(
        frame.shape, width=max(frame.to_pix(width_kpc, z), 1.0), peak_brightness=peak_sb * frame.pixel_scale_arcsec**2,
        rng=rng, fill_fraction=fill,
    )
    canvas.get(Component.FILAMENT)[...] += fil
    f_in = float(fil.sum(dtype=np.float64))
    return [component_record(
        "filaments", Component.FILAMENT, x=(nx - 1) / 2, y=(ny - 1) / 2, z=z, size_kpc=width_kpc,
        width_kpc=width_kpc, peak_jy_arcsec2=peak_sb, fill_fraction=fill, flux_jy=f_in, flux_in_image_jy=f_in,
    )]


# --------------------------------------------------------------------------------------------- radio galaxies
def place_radio_galaxies(
    frame: Frame, canvas: Canvas, rng: np.random.Generator, clusters: list[dict]
) -> list[dict]:
    """The drawn number of parametric radio galaxies (FR I, FR II, head-tail, wide-angle tail)."""
    cfg = frame.config
    n = _count(rng, cfg.n_radio_galaxies)
    weights = np.asarray(cfg.rg_kind_weights, dtype=float)
    weights = weights / weights.sum()
    records = []
    for _ in range(n):
        records += _place_radio_galaxy(frame, canvas, rng, clusters, weights)
    return records


def _radio_galaxy_position(frame: Frame, rng, clusters: list[dict]) -> tuple[float, float, dict | None]:
    """Inside a random cluster (``rg_in_cluster_fraction``, within 0.7 R500) or anywhere; returns ``x, y, host``."""
    ny, nx = frame.shape
    if bool(clusters) and rng.random() < frame.config.rg_in_cluster_fraction:
        host = clusters[int(rng.integers(len(clusters)))]
        r = 0.7 * host["r500_pix"] * np.sqrt(rng.random())
        phi = rng.uniform(0, 2 * np.pi)
        return host["x"] + r * np.cos(phi), host["y"] + r * np.sin(phi), host
    return rng.uniform(0, nx - 1), rng.uniform(0, ny - 1), None


def _radio_galaxy_flux(frame: Frame, rng, host: dict | None, alpha: float) -> tuple[float, float, float]:
    """``z, power, flux`` with the flux in ``rg_flux_range``: up to 30 draws, then the last one clipped."""
    cfg = frame.config
    for _try in range(30):
        z = host["z"] if host is not None else _uniform(rng, cfg.z_range)
        power = _loguniform(rng, cfg.rg_power_range)
        s = frame.flux(power, z, alpha)
        if cfg.rg_flux_range[0] <= s <= cfg.rg_flux_range[1]:
            return z, power, s
    s = float(np.clip(s, *cfg.rg_flux_range))
    return z, power * s / frame.flux(power, z, alpha), s


def _place_radio_galaxy(frame: Frame, canvas: Canvas, rng, clusters: list[dict], weights) -> list[dict]:
    """One radio galaxy of a drawn morphology (``weights`` over :data:`RADIO_GALAXY_KINDS`)."""
    cfg = frame.config
    kind = RADIO_GALAXY_KINDS[int(rng.choice(len(RADIO_GALAXY_KINDS), p=weights))]
    x, y, host = _radio_galaxy_position(frame, rng, clusters)
    alpha = _uniform(rng, cfg.rg_alpha_range)
    z, power, s = _radio_galaxy_flux(frame, rng, host, alpha)
    size_kpc = _loguniform(rng, cfg.rg_size_kpc_range)
    size = max(frame.to_pix(size_kpc, z), 0.5)
    ang = rng.uniform(0, 360)
    blobs = radio_galaxy(kind, centre=(x, y), size=size, total_flux=s, angle_deg=ang, rng=rng)
    add_blobs(canvas.get(Component.RADIO_GALAXY), blobs)
    return [component_record(
        "radio_galaxy", Component.RADIO_GALAXY, morphology=kind, cluster=None if host is None else host["id"],
        x=x, y=y, z=z, size_kpc=size_kpc, size_pix=size, angle_deg=ang, flux_jy=s, power_w_hz=power, alpha=alpha,
    )]


def place_template_galaxies(frame: Frame, canvas: Canvas, rng: np.random.Generator) -> list[dict]:
    """Radio galaxies cut from real images (``rg_templates``), rescaled, rotated and maybe mirrored."""
    cfg, (ny, nx) = frame.config, frame.shape
    if not cfg.rg_templates:
        return []
    templates = load_templates(cfg.rg_templates)
    records = []
    for _ in range(_count(rng, cfg.n_template_galaxies)):
        k = int(rng.integers(len(templates)))
        x, y = rng.uniform(0, nx - 1), rng.uniform(0, ny - 1)
        z = _uniform(rng, cfg.z_range)
        size_kpc = _loguniform(rng, cfg.rg_size_kpc_range)
        size = max(frame.to_pix(size_kpc, z), 3.0)
        s = _loguniform(rng, cfg.rg_flux_range)
        ang, mirror = rng.uniform(0, 360), bool(rng.random() < 0.5)
        placed = place_template(
            canvas.get(Component.RADIO_GALAXY), templates[k], centre=(x, y), size_pix=size, angle_deg=ang, flux=s,
            mirror=mirror,
        )
        records.append(component_record(
            "radio_galaxy", Component.RADIO_GALAXY, morphology="template", template=k, x=x, y=y, z=z,
            size_kpc=size_kpc, size_pix=size, angle_deg=ang, mirror=mirror, flux_jy=s, flux_in_image_jy=placed,
        ))
    return records


# --------------------------------------------------------------------------------- compact, confusion, foreground
def place_compact_sources(
    frame: Frame, canvas: Canvas, rng: np.random.Generator
) -> tuple[np.ndarray, list[dict]]:
    """Compact sources from the source counts (``compact``), with one summary record.

    Returns
    -------
    catalogue : numpy.ndarray
        :data:`radio_unet.sky.compact.CATALOGUE_DTYPE`; empty when ``compact`` is off.
    records : list of dict
    """
    cfg, (ny, nx), pix = frame.config, frame.shape, frame.pixel_scale_arcsec
    if not cfg.compact:
        return np.zeros(0, dtype=CATALOGUE_DTYPE), []
    model = cfg.counts_model
    cat = compact_catalogue(
        frame.shape, pix, rng=rng, s_min=cfg.compact_s_min, s_max=cfg.compact_s_max, model=model,
        freq_hz=cfg.freq_hz, spectral_index=cfg.compact_alpha, theta_1mjy_arcsec=cfg.compact_theta_1mjy_arcsec,
    )
    add_blobs(canvas.get(Component.COMPACT), catalogue_blobs(cat, pix))
    ratio = (cfg.freq_hz / model.freq_hz) ** cfg.compact_alpha
    area = ny * nx * pix**2 * _SR_PER_ARCSEC2
    n_expected = expected_number(cfg.compact_s_min / ratio, cfg.compact_s_max / ratio, area_sr=area, model=model)
    return cat, [component_record(
        "compact_sources", Component.COMPACT, n=int(cat.size), n_expected=n_expected, s_min_jy=cfg.compact_s_min,
        s_max_jy=cfg.compact_s_max, counts=model.to_dict(), flux_jy=float(cat["flux_jy"].sum()),
    )]


def place_confusion(frame: Frame, rng: np.random.Generator) -> tuple[np.ndarray | None, list[dict]]:
    """The faint (confusion) population below the compact limit (``confusion``): unlabelled background.

    Returns
    -------
    faint : numpy.ndarray or None
        Its image (Jy/pixel), kept out of the class maps; None when ``confusion`` is off.
    records : list of dict
    """
    cfg, pix = frame.config, frame.pixel_scale_arcsec
    if not cfg.confusion:
        return None, []
    draw = draw_confusion(
        rng, s_min=cfg.confusion_s_min, s_max=cfg.compact_s_min, norm_range=cfg.confusion_norm_range,
        slope_range=cfg.confusion_slope_range, cluster_sigma_range=cfg.confusion_cluster_sigma_range,
        cluster_scale_pix_range=tuple(v / pix for v in cfg.confusion_cluster_scale_arcsec_range),
    )
    faint, n_faint = confusion_image(frame.shape, pix, draw, rng=rng)
    return faint, [component_record(
        "confusion", Component.BACKGROUND, n=n_faint, flux_jy=float(faint.sum(dtype=np.float64)), **draw.to_dict()
    )]


def place_foreground(frame: Frame, canvas: Canvas, rng: np.random.Generator) -> list[dict]:
    """A Galactic synchrotron foreground (``foreground``; Component.FOREGROUND)."""
    cfg = frame.config
    if not cfg.foreground:
        return []
    rms = _uniform(rng, cfg.foreground_rms_k_range)
    fg = galactic_foreground(frame.shape, frame.pixel_scale_arcsec, rms_k=rms, rng=rng, freq_hz=cfg.freq_hz)
    canvas.get(Component.FOREGROUND)[...] += fg
    return [component_record("foreground", Component.FOREGROUND, rms_k=rms, rms_jy_pixel=float(fg.std()))]
