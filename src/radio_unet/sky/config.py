"""Configuration of random sky models (:class:`SkyConfig`).

Every knob has a default that gives LoTSS-like fields: one to three
clusters at 0.02 < z < 0.6, each hosting a halo or a mini-halo with some
probability, relics, bridges to companion clusters, occasional cosmic-web
filaments, a few extended radio galaxies and thousands of compact sources
drawn from the 150 MHz counts. Ranges are ``(low, high)`` pairs; powers,
masses and sizes are drawn log-uniformly, redshifts, spectral indices and
shape parameters uniformly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import ConfigBase
from ..errors import RadioUNetError
from .compact import FRANZEN2016_COEFFS, PolynomialCounts
from .radiogalaxies import RADIO_GALAXY_KINDS

__all__ = ["SkyConfig"]

#: Parameters that are probabilities (in [0, 1]).
_PROBABILITIES = (
    "p_halo",
    "p_minihalo",
    "p_relic",
    "p_double_relic",
    "p_bridge",
    "p_filaments",
    "rg_in_cluster_fraction",
)
#: ``(lo, hi)`` ranges of positive numbers.
_POSITIVE_RANGES = (
    "m500_range",
    "halo_power_range",
    "halo_re_kpc_range",
    "halo_truncation_range",
    "minihalo_power_range",
    "minihalo_radius_kpc_range",
    "bcg_power_range",
    "relic_power_range",
    "relic_length_kpc_range",
    "relic_width_kpc_range",
    "relic_distance_r500_range",
    "relic_curvature_range",
    "bridge_power_range",
    "bridge_width_kpc_range",
    "bridge_separation_kpc_range",
    "filament_peak_jy_arcsec2_range",
    "filament_width_kpc_range",
    "rg_power_range",
    "rg_size_kpc_range",
    "rg_flux_range",
)
#: ``(lo, hi)`` ranges of spectral indices (in [-5, 2]).
_ALPHA_RANGES = (
    "halo_alpha_range",
    "minihalo_alpha_range",
    "relic_alpha_range",
    "bridge_alpha_range",
    "rg_alpha_range",
)

Range = tuple[float, float]


@dataclass
class SkyConfig(ConfigBase):
    """All parameters of :func:`radio_unet.sky.make_sky`.

    Parameters
    ----------
    freq_hz : float
        Observing frequency of the sky model.
    ref_freq_hz : float
        Frequency at which powers (W/Hz) are quoted.
    mask_threshold : float
        Jy/pixel; the reference mask is the summed diffuse emission above it
        (1e-8 in Stuardi et al. 2024) and a class enters the label map only
        where its own summed brightness exceeds it.
    h0, om0 : float
        Flat Lambda-CDM cosmology.
    n_clusters : (int, int)
        Inclusive range of the number of clusters per field (companions for
        bridges come on top).
    z_range : (float, float)
        Cluster (and field radio-galaxy) redshifts, drawn uniformly.
    m500_range : (float, float)
        Cluster masses M500 in Msun (log-uniform); they set R500 for relics.
    cluster_margin : float
        Fraction of each image side kept free of cluster centres at each edge.
    p_halo, p_minihalo : float
        Per cluster: probability of a radio halo, of a mini-halo (mutually
        exclusive, so ``p_halo + p_minihalo <= 1``).
    p_relic : float
        Per cluster: probability of relic emission.
    p_double_relic : float
        Probability that a cluster with relic emission has a double relic
        (two on opposite sides).
    p_bridge : float
        Per cluster: probability of a companion cluster at the same redshift
        joined by a bridge.
    p_filaments : float
        Per field: probability of a cosmic-web filament network.
    halo_power_range : (float, float)
        Halo power at ``ref_freq_hz`` (W/Hz).
    halo_alpha_range : (float, float)
        Halo spectral index.
    halo_re_kpc_range : (float, float)
        Allowed e-folding radii (kpc); values are drawn from the power-size
        relation below and clipped to this range.
    halo_re_pivot_kpc, halo_re_slope, halo_re_scatter_dex : float
        ``r_e = pivot * (P / 1e25 W/Hz)**slope`` with log-normal scatter
        (bigger halos are more powerful, cf. Murgia et al. 2009).
    halo_axis_ratio_range, halo_truncation_range, halo_turbulence_range : (float, float)
        Minor/major axis ratio, outer truncation radius (units of r_e) and
        rms of the log of the turbulent modulation.
    minihalo_power_range, minihalo_alpha_range : (float, float)
    minihalo_radius_kpc_range : (float, float)
        Mini-halo radius (3 e-folding radii).
    bcg_power_range : (float, float)
        Power of the central radio galaxy of a mini-halo cluster (W/Hz).
    relic_power_range, relic_alpha_range : (float, float)
    relic_length_kpc_range, relic_width_kpc_range : (float, float)
        Length along the arc (0.5-2 Mpc) and thickness (tens to 200 kpc).
    relic_distance_r500_range : (float, float)
        Distance of the relic's outer edge from the cluster centre in R500.
    relic_curvature_range : (float, float)
        Radius of curvature of the arc in units of its distance.
    bridge_power_range, bridge_alpha_range : (float, float)
    bridge_width_kpc_range : (float, float)
        FWHM across the bridge.
    bridge_separation_kpc_range : (float, float)
        Projected separation of the two clusters joined by a bridge.
    filament_peak_jy_arcsec2_range : (float, float)
        Peak surface brightness of the cosmic-web network (Jy/arcsec^2).
    filament_width_kpc_range : (float, float)
        FWHM of the filaments.
    filament_z_range : (float, float)
        Redshift that sets the filaments' angular scale.
    filament_fill_range : (float, float)
        Fraction of the area where the network is switched on.
    compact : bool
        Add compact sources.
    compact_s_min, compact_s_max : float
        Flux limits (Jy at ``freq_hz``).
    counts_coeffs : tuple of float
        Polynomial of the Euclidean-normalised counts (see
        :class:`radio_unet.sky.compact.PolynomialCounts`); default Franzen
        et al. (2016).
    counts_freq_hz : float
        Frequency of the count model.
    compact_alpha : float
        Spectral index used to move fluxes from ``counts_freq_hz`` to ``freq_hz``.
    compact_theta_1mjy_arcsec : float
        Median intrinsic FWHM at 1 mJy (0 for point sources only).
    n_radio_galaxies : (int, int)
        Inclusive range of extended radio galaxies per field.
    rg_kind_weights : (float, float, float, float)
        Relative frequency of FRI, FRII, head-tail and wide-angle tail.
    rg_power_range, rg_alpha_range : (float, float)
    rg_size_kpc_range : (float, float)
        Largest linear size.
    rg_flux_range : (float, float)
        Accepted flux densities (Jy); redshift and power are redrawn until the
        flux falls inside (keeps 100 Jy sources at z = 0.02 out of the fields).
    rg_in_cluster_fraction : float
        Fraction of radio galaxies placed inside a cluster (within 0.7 R500,
        at its redshift) when the field has clusters.
    rg_templates : str or None
        Glob pattern of FITS cut-outs of real radio galaxies (e.g. MiraBest)
        used as templates (:mod:`radio_unet.sky.templates`): each field adds
        ``n_template_galaxies`` of them, rescaled to a size drawn from
        ``rg_size_kpc_range`` at a redshift from ``z_range``, rotated,
        mirrored at random, with a flux from ``rg_flux_range``.
    n_template_galaxies : (int, int)
        Inclusive range of template radio galaxies per field.
    confusion : bool
        Add the faint, clustered point-source population below
        ``compact_s_min`` (:mod:`radio_unet.sky.confusion`); it never enters
        the label map or the mask.
    confusion_s_min : float
        Faintest confusion source (Jy at ``freq_hz``).
    confusion_norm_range, confusion_slope_range : (float, float)
        ``S^2.5 dN/dS = norm (S / compact_s_min)**slope`` (Jy^1.5 sr^-1) below
        ``compact_s_min``; norm log-uniform, slope uniform, drawn per field.
    confusion_cluster_sigma_range, confusion_cluster_scale_arcsec_range : (float, float)
        Clustering of the faint sources: rms of the log density and its
        correlation length (arcsec, log-uniform).
    foreground : bool
        Add a Galactic foreground.
    foreground_rms_k_range : (float, float)
        rms brightness temperature of the foreground fluctuations (K).
    """

    freq_hz: float = 144e6
    ref_freq_hz: float = 150e6
    mask_threshold: float = 1e-8
    h0: float = 70.0
    om0: float = 0.3
    # clusters and their content
    n_clusters: tuple[int, int] = (1, 3)
    z_range: Range = (0.02, 0.6)
    m500_range: Range = (2e14, 1.5e15)
    cluster_margin: float = 0.1
    p_halo: float = 0.5
    p_minihalo: float = 0.2
    p_relic: float = 0.3
    p_double_relic: float = 0.35
    p_bridge: float = 0.15
    p_filaments: float = 0.25
    # halos
    halo_power_range: Range = (1e23, 1e26)
    halo_alpha_range: Range = (-1.5, -1.1)
    halo_re_kpc_range: Range = (50.0, 500.0)
    halo_re_pivot_kpc: float = 200.0
    halo_re_slope: float = 0.25
    halo_re_scatter_dex: float = 0.15
    halo_axis_ratio_range: Range = (0.6, 1.0)
    halo_truncation_range: Range = (2.5, 4.0)
    halo_turbulence_range: Range = (0.2, 0.6)
    # mini-halos
    minihalo_power_range: Range = (1e23, 3e24)
    minihalo_alpha_range: Range = (-1.5, -1.0)
    minihalo_radius_kpc_range: Range = (50.0, 200.0)
    bcg_power_range: Range = (1e23, 1e25)
    # relics
    relic_power_range: Range = (1e23, 3e25)
    relic_alpha_range: Range = (-1.4, -1.0)
    relic_length_kpc_range: Range = (500.0, 2000.0)
    relic_width_kpc_range: Range = (30.0, 200.0)
    relic_distance_r500_range: Range = (0.5, 2.0)
    relic_curvature_range: Range = (0.8, 2.5)
    # bridges
    bridge_power_range: Range = (1e23, 1e25)
    bridge_alpha_range: Range = (-1.6, -1.2)
    bridge_width_kpc_range: Range = (300.0, 1000.0)
    bridge_separation_kpc_range: Range = (1500.0, 4000.0)
    # cosmic-web filaments
    filament_peak_jy_arcsec2_range: Range = (2e-9, 1e-7)
    filament_width_kpc_range: Range = (300.0, 1500.0)
    filament_z_range: Range = (0.05, 0.4)
    filament_fill_range: Range = (0.3, 0.6)
    # compact sources
    compact: bool = True
    compact_s_min: float = 1e-4
    compact_s_max: float = 5.0
    counts_coeffs: tuple[float, ...] = FRANZEN2016_COEFFS
    counts_freq_hz: float = 154e6
    compact_alpha: float = -0.7
    compact_theta_1mjy_arcsec: float = 1.25
    # extended radio galaxies
    n_radio_galaxies: tuple[int, int] = (1, 4)
    rg_kind_weights: tuple[float, ...] = (0.4, 0.25, 0.2, 0.15)
    rg_power_range: Range = (1e23, 1e26)
    rg_alpha_range: Range = (-0.9, -0.6)
    rg_size_kpc_range: Range = (40.0, 600.0)
    rg_flux_range: Range = (1e-3, 2.0)
    rg_in_cluster_fraction: float = 0.5
    # real radio-galaxy templates
    rg_templates: str | None = None
    n_template_galaxies: tuple[int, int] = (0, 3)
    # faint population below the noise (confusion)
    confusion: bool = False
    confusion_s_min: float = 1e-7
    confusion_norm_range: Range = (5.0, 30.0)
    confusion_slope_range: Range = (0.3, 1.2)
    confusion_cluster_sigma_range: Range = (0.0, 1.2)
    confusion_cluster_scale_arcsec_range: Range = (20.0, 300.0)
    # Galactic foreground
    foreground: bool = False
    foreground_rms_k_range: Range = (0.5, 3.0)

    label = "sky"

    def __post_init__(self):
        self.lists_to_tuples()
        self.validate()

    def validate(self) -> "SkyConfig":
        """Check every parameter; raise :class:`RadioUNetError` naming the first bad one.

        Returns
        -------
        SkyConfig
            ``self``.
        """
        for name in ("freq_hz", "ref_freq_hz", "mask_threshold", "h0", "counts_freq_hz"):
            self.check_number(name, positive=True)
        self.check_number("om0", positive=True, hi=1.0)
        for name in _PROBABILITIES:
            self.check_number(name, lo=0.0, hi=1.0)
        if self.p_halo + self.p_minihalo > 1.0 + 1e-12:
            raise RadioUNetError(
                "sky config: p_halo + p_minihalo must be <= 1 (a cluster hosts one or the other), "
                f"got {self.p_halo} + {self.p_minihalo}"
            )
        self.check_number("cluster_margin", lo=0.0, hi=0.45)
        self.check_pair("n_clusters", lo=0, integer=True)
        self.check_pair("n_radio_galaxies", lo=0, integer=True)
        self.check_pair("z_range", positive=True, hi=10.0)
        self.check_pair("filament_z_range", positive=True, hi=10.0)
        for name in _POSITIVE_RANGES:
            self.check_pair(name, positive=True)
        for name in _ALPHA_RANGES:
            self.check_pair(name, lo=-5.0, hi=2.0)
        self.check_pair("halo_axis_ratio_range", positive=True, hi=1.0)
        self.check_pair("halo_turbulence_range", lo=0.0, hi=3.0)
        self.check_pair("filament_fill_range", positive=True, hi=1.0)
        self.check_pair("foreground_rms_k_range", lo=0.0)
        self.check_pair("n_template_galaxies", lo=0, integer=True)
        if self.rg_templates is not None and not isinstance(self.rg_templates, str):
            raise RadioUNetError(f"sky config: rg_templates must be a glob pattern (str) or None, got {self.rg_templates!r}")
        self.check_pair("confusion_norm_range", positive=True)
        self.check_pair("confusion_slope_range", lo=-1.0, hi=1.45)
        self.check_pair("confusion_cluster_sigma_range", lo=0.0, hi=3.0)
        self.check_pair("confusion_cluster_scale_arcsec_range", positive=True)
        self.check_number("confusion_s_min", positive=True)
        self.check_number("halo_re_pivot_kpc", positive=True)
        self.check_number("halo_re_slope")
        self.check_number("halo_re_scatter_dex", lo=0.0)
        self.check_number("compact_s_min", positive=True)
        self.check_number("compact_s_max", positive=True)
        if self.compact_s_min >= self.compact_s_max:
            raise RadioUNetError(
                f"sky config: compact_s_min ({self.compact_s_min}) must be below compact_s_max ({self.compact_s_max})"
            )
        self.check_number("compact_alpha", lo=-5.0, hi=2.0)
        self.check_number("compact_theta_1mjy_arcsec", lo=0.0)
        if len(self.counts_coeffs) == 0:
            raise RadioUNetError("sky config: counts_coeffs must hold at least one coefficient")
        PolynomialCounts(tuple(float(c) for c in self.counts_coeffs), self.counts_freq_hz)
        w = np.asarray(self.rg_kind_weights, dtype=float)
        if w.shape != (len(RADIO_GALAXY_KINDS),) or np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise RadioUNetError(
                f"sky config: rg_kind_weights must be {len(RADIO_GALAXY_KINDS)} non-negative numbers "
                f"({', '.join(RADIO_GALAXY_KINDS)}) with a positive sum, got {self.rg_kind_weights!r}"
            )
        if self.confusion and self.confusion_s_min >= self.compact_s_min:
            raise RadioUNetError(
                f"sky config: confusion_s_min ({self.confusion_s_min}) must be below compact_s_min ({self.compact_s_min})"
            )
        for name in ("compact", "foreground", "confusion"):
            self.check_flag(name)
        return self

    # ------------------------------------------------------------------ conversions
    @property
    def counts_model(self) -> PolynomialCounts:
        """The compact-source count model described by ``counts_coeffs``."""
        name = "franzen2016" if tuple(self.counts_coeffs) == FRANZEN2016_COEFFS else "custom"
        return PolynomialCounts(tuple(float(c) for c in self.counts_coeffs), float(self.counts_freq_hz), name)
