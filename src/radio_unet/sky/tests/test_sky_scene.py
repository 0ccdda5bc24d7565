"""Tests of make_sky: reproducibility, labels, mask and the physics of placed components."""

import json

import numpy as np
import pytest

from radio_unet.cosmology import flux_from_power, kpc_to_pixels
from radio_unet.errors import RadioUNetError
from radio_unet.sky import (
    DIFFUSE_CLASSES,
    Component,
    SkyConfig,
    diffuse_mask,
    label_map,
    make_sky,
)

NOTHING_DIFFUSE = dict(p_halo=0.0, p_minihalo=0.0, p_relic=0.0, p_bridge=0.0, p_filaments=0.0)


def test_same_seed_identical_different_seed_differs():
    """Same seed -> identical arrays and component lists; another seed -> a different field."""
    a = make_sky((192, 160), 4.5, rng=np.random.default_rng(11))
    b = make_sky((192, 160), 4.5, rng=np.random.default_rng(11))
    c = make_sky((192, 160), 4.5, rng=np.random.default_rng(12))
    for name in ("image", "diffuse", "labels", "mask"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert a.components == b.components and a.clusters == b.clusters
    assert not np.array_equal(a.image, c.image)
    assert a.image.shape == (192, 160)
    assert (a.image.dtype, a.diffuse.dtype, a.labels.dtype, a.mask.dtype) == (np.float32, np.float32, np.uint8, bool)


def test_components_are_json_serialisable():
    """Components, clusters and the summary go into a JSON manifest as they are."""
    sky = make_sky(
        (128, 128), 2.0, rng=np.random.default_rng(3), config=SkyConfig(p_relic=1.0, p_bridge=1.0, p_filaments=1.0)
    )
    text = json.dumps({"components": sky.components, "clusters": sky.clusters, "summary": sky.summary()})
    assert "compact_sources" in text


def test_halo_only_config_gives_only_halo_labels_and_physical_flux():
    """With halos only, the only diffuse label is HALO and each halo's flux follows from its power and z."""
    cfg = SkyConfig(
        n_clusters=(2, 2), p_halo=1.0, p_minihalo=0.0, p_relic=0.0, p_bridge=0.0, p_filaments=0.0, z_range=(0.15, 0.3)
    )
    sky = make_sky((256, 256), 4.5, rng=np.random.default_rng(5), config=cfg)
    present = set(np.unique(sky.labels)) & {int(c) for c in DIFFUSE_CLASSES}
    assert present == {int(Component.HALO)}
    halos = [c for c in sky.components if c["kind"] == "halo"]
    assert len(halos) == 2
    for h in halos:
        assert h["flux_jy"] == pytest.approx(flux_from_power(h["power_w_hz"], h["z"], alpha=h["alpha"]), rel=1e-9)
        assert h["r_e_pix"] == pytest.approx(kpc_to_pixels(h["r_e_kpc"], h["z"], 4.5), rel=1e-9)
        assert 50.0 <= h["r_e_kpc"] <= 500.0
    inside = sum(h["flux_in_image_jy"] for h in halos)
    assert sky.diffuse.sum(dtype=np.float64) == pytest.approx(inside, rel=1e-3)


def test_compact_sources_and_radio_galaxies_never_in_mask():
    """Without diffuse components the mask is empty although compact sources and radio galaxies are labelled."""
    cfg = SkyConfig(n_clusters=(2, 2), n_radio_galaxies=(3, 3), **NOTHING_DIFFUSE)
    sky = make_sky((256, 256), 2.0, rng=np.random.default_rng(2), config=cfg)
    assert not sky.mask.any()
    assert np.all(sky.diffuse == 0)
    labels = set(np.unique(sky.labels).tolist())
    assert int(Component.COMPACT) in labels and int(Component.RADIO_GALAXY) in labels
    assert sky.image.sum() > 0


def test_mask_is_thresholded_diffuse_sum_and_shrinks_with_threshold():
    """mask == diffuse > threshold, and a higher threshold gives a subset of the mask."""
    cfg = SkyConfig(n_clusters=(2, 2), p_halo=1.0, p_minihalo=0.0, p_relic=1.0, z_range=(0.1, 0.3))
    low = make_sky((192, 192), 4.5, rng=np.random.default_rng(8), config=cfg)
    high = make_sky((192, 192), 4.5, rng=np.random.default_rng(8), config=cfg.with_overrides(mask_threshold=1e-6))
    assert np.array_equal(low.mask, low.diffuse > 1e-8)
    assert np.array_equal(low.diffuse, high.diffuse)
    assert low.mask.sum() > high.mask.sum() > 0
    assert not np.any(high.mask & ~low.mask)
    # every pixel labelled with a diffuse class is brighter than the threshold in the diffuse image
    diffuse_labelled = np.isin(low.labels, [int(c) for c in DIFFUSE_CLASSES])
    assert np.all(low.diffuse[diffuse_labelled] > 1e-8)


def test_no_clusters_no_mask_and_label_fractions_sum_to_one():
    """n_clusters=(0,0) with no filaments: empty mask; label fractions add up to 1."""
    sky = make_sky((128, 128), 4.5, rng=np.random.default_rng(0), config=SkyConfig(n_clusters=(0, 0), p_filaments=0.0))
    assert sky.mask_fraction == 0.0
    assert sum(sky.label_fractions().values()) == pytest.approx(1.0)


def test_relics_lie_in_configured_distance_range():
    """Relics sit at 0.5-2 R500 from their cluster: recorded distances in range and emission peaking there."""
    from scipy.ndimage import map_coordinates

    cfg = SkyConfig(
        n_clusters=(1, 1),
        p_halo=0.0,
        p_minihalo=0.0,
        p_relic=1.0,
        p_double_relic=1.0,
        p_bridge=0.0,
        p_filaments=0.0,
        n_radio_galaxies=(0, 0),
        compact=False,
        z_range=(0.3, 0.5),
        cluster_margin=0.3,
    )
    checked = 0
    for seed in range(3):
        sky = make_sky((400, 400), 4.5, rng=np.random.default_rng(seed), config=cfg)
        (cl,) = sky.clusters
        relics = [c for c in sky.components if c["kind"] == "relic"]
        assert len(relics) == 2
        for r in relics:
            assert 0.5 <= r["distance_r500"] <= 2.0
            d = np.hypot(r["x"] - cl["x"], r["y"] - cl["y"])
            assert d == pytest.approx(r["distance_r500"] * cl["r500_pix"], rel=1e-9)
            if r["flux_in_image_jy"] < 0.99 * r["flux_jy"]:
                continue
            # brightness along the ray through the relic's middle peaks at its distance (within its width)
            pa = np.deg2rad(r["position_angle_deg"])
            s = np.arange(0.3 * d, 1.3 * d, 0.25)
            ray = map_coordinates(
                sky.diffuse.astype(float), [cl["y"] + s * np.sin(pa), cl["x"] + s * np.cos(pa)], order=1
            )
            width = kpc_to_pixels(r["width_kpc"], r["z"], 4.5)
            peak = s[np.argmax(ray)]
            assert d - width - 3 <= peak <= d + 0.5 * width + 3
            checked += 1
    assert checked >= 2


def test_filaments_and_bridges_get_filament_label():
    """Bridges and cosmic-web filaments are labelled FILAMENT (and are in the mask)."""
    cfg = SkyConfig(
        n_clusters=(1, 1),
        p_bridge=1.0,
        p_halo=0.0,
        p_minihalo=0.0,
        p_relic=0.0,
        p_filaments=1.0,
        n_radio_galaxies=(0, 0),
        compact=False,
        z_range=(0.2, 0.4),
        bridge_separation_kpc_range=(1500, 1600),
        filament_peak_jy_arcsec2_range=(1e-7, 1e-7),
    )
    sky = make_sky((300, 300), 4.5, rng=np.random.default_rng(1), config=cfg)
    kinds = {c["kind"] for c in sky.components}
    assert {"bridge", "filaments"} <= kinds
    assert set(np.unique(sky.labels).tolist()) == {0, int(Component.FILAMENT)}
    assert np.array_equal(sky.mask, sky.labels == int(Component.FILAMENT))


def test_foreground_is_labelled_but_not_in_mask():
    """The Galactic foreground adds a zero-mean large-scale signal that never enters the mask."""
    cfg = SkyConfig(
        foreground=True,
        foreground_rms_k_range=(2.0, 2.0),
        n_clusters=(0, 0),
        p_filaments=0.0,
        compact=False,
        n_radio_galaxies=(0, 0),
    )
    sky = make_sky((128, 128), 4.5, rng=np.random.default_rng(0), config=cfg)
    (fg,) = [c for c in sky.components if c["kind"] == "foreground"]
    assert fg["rms_jy_pixel"] == pytest.approx(2.0 * 1.4974e-8 * 4.5**2, rel=1e-3)
    assert abs(sky.image.mean()) < 1e-3 * sky.image.std()
    assert not sky.mask.any()
    assert int(Component.FOREGROUND) in set(np.unique(sky.labels).tolist())


def test_label_map_and_diffuse_mask_functions():
    """label_map picks the brightest class above the threshold; diffuse_mask sums only diffuse classes."""
    halo = np.array([[0.0, 5e-8, 5e-8, 1e-9]], dtype=np.float32)
    relic = np.array([[0.0, 6e-8, 1e-9, 1e-9]], dtype=np.float32)
    compact = np.array([[1e-3, 0.0, 1e-7, 0.0]], dtype=np.float32)
    maps = {Component.HALO: halo, Component.RELIC: relic, Component.COMPACT: compact}
    assert label_map(maps, 1e-8).tolist() == [[6, 2, 6, 0]]
    # the sum of two sub-threshold diffuse classes may pass the threshold; compact never counts
    assert diffuse_mask(maps, 1e-8).tolist() == [[False, True, True, False]]
    assert diffuse_mask(maps, 2.5e-9).tolist() == [[False, True, True, False]]
    assert diffuse_mask(maps, 1.5e-9).tolist() == [[False, True, True, True]]


@pytest.mark.parametrize(
    "args",
    [((4, 4), 2.0), ((64, 64), 0.0), ((64, 64), -1.0), (("a", 3), 2.0), ((64, 64, 3), 2.0)],
)
def test_invalid_make_sky_arguments_raise(args):
    """Too small or malformed shapes and non-positive pixel scales raise RadioUNetError."""
    with pytest.raises(RadioUNetError):
        make_sky(*args, rng=np.random.default_rng(0))


def test_make_sky_needs_a_generator():
    """A legacy integer seed instead of a Generator is refused with a clear message."""
    with pytest.raises(RadioUNetError, match="Generator"):
        make_sky((64, 64), 2.0, rng=1)
