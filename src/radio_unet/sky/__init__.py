"""Physical sky models in Jy/pixel with a per-pixel component label map.

The ``sky`` stage of radio-unet: random fields of galaxy clusters with radio
halos, relics, mini-halos and bridges, cosmic-web filaments, extended radio
galaxies (contaminants), compact sources from the 150 MHz counts and an
optional Galactic foreground, each rendered on its own cut-out. The main
entry point is :func:`make_sky`; the lower-level functions (one per
component) are public for tests and for building custom scenes. Distances,
scales and fluxes through redshift live in :mod:`radio_unet.cosmology`.

Examples
--------
>>> import numpy as np
>>> from radio_unet.sky import SkyConfig, make_sky
>>> sky = make_sky((256, 256), 4.5, rng=np.random.default_rng(1), config=SkyConfig(n_clusters=(1, 1)))
>>> sky.image.dtype, sky.labels.dtype, sky.mask.dtype
(dtype('float32'), dtype('uint8'), dtype('bool'))
"""

from .compact import (
    CATALOGUE_DTYPE,
    DEFAULT_COUNTS,
    FRANZEN2016_COEFFS,
    BrokenPowerLawCounts,
    PolynomialCounts,
    catalogue_blobs,
    compact_catalogue,
    draw_fluxes,
    draw_sizes,
    expected_number,
    source_counts_dnds,
)
from .components import CONTAMINANT_CLASSES, DIFFUSE_CLASSES, Component, is_diffuse
from .config import SkyConfig
from .diffuse import bridge, exponential_profile, filaments, halo, minihalo, relic
from .fields import gaussian_random_field, lognormal_field, upsample_field
from .foreground import galactic_foreground
from .radiogalaxies import RADIO_GALAXY_KINDS, fr1, fr2, head_tail, radio_galaxy, wide_angle_tail
from .render import Blobs, Cutout, add_blobs, render_blobs, render_normalised
from .scene import SkyModel, diffuse_mask, label_map, make_sky

__all__ = [
    # scene
    "SkyConfig",
    "SkyModel",
    "make_sky",
    "label_map",
    "diffuse_mask",
    # labels
    "Component",
    "DIFFUSE_CLASSES",
    "CONTAMINANT_CLASSES",
    "is_diffuse",
    # fields
    "gaussian_random_field",
    "lognormal_field",
    "upsample_field",
    # diffuse
    "halo",
    "minihalo",
    "relic",
    "bridge",
    "filaments",
    "exponential_profile",
    # compact
    "FRANZEN2016_COEFFS",
    "PolynomialCounts",
    "BrokenPowerLawCounts",
    "DEFAULT_COUNTS",
    "CATALOGUE_DTYPE",
    "source_counts_dnds",
    "expected_number",
    "draw_fluxes",
    "draw_sizes",
    "compact_catalogue",
    "catalogue_blobs",
    # radio galaxies
    "RADIO_GALAXY_KINDS",
    "fr1",
    "fr2",
    "head_tail",
    "wide_angle_tail",
    "radio_galaxy",
    # foreground
    "galactic_foreground",
    # rendering
    "Cutout",
    "Blobs",
    "render_normalised",
    "add_blobs",
    "render_blobs",
]
