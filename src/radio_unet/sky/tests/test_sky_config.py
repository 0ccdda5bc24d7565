"""Tests of SkyConfig validation and conversions, and of the Component enum."""

import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.sky import DIFFUSE_CLASSES, Component, SkyConfig


@pytest.mark.parametrize(
    "changes, match",
    [
        (dict(mask_threshold=0.0), "mask_threshold"),
        (dict(mask_threshold=-1e-8), "mask_threshold"),
        (dict(p_halo=1.2), "p_halo"),
        (dict(p_relic=-0.1), "p_relic"),
        (dict(p_halo=0.7, p_minihalo=0.5), "p_halo \\+ p_minihalo"),
        (dict(z_range=(0.5, 0.1)), "z_range"),
        (dict(z_range=(0.0, 0.1)), "z_range"),
        (dict(n_clusters=(1.5, 3)), "n_clusters"),
        (dict(n_clusters=(-1, 3)), "n_clusters"),
        (dict(halo_power_range=(-1e24, 1e25)), "halo_power_range"),
        (dict(halo_power_range=1e24), "halo_power_range"),
        (dict(compact_s_min=1.0, compact_s_max=0.1), "compact_s_min"),
        (dict(rg_kind_weights=(1, 1, 1)), "rg_kind_weights"),
        (dict(rg_kind_weights=(0, 0, 0, 0)), "rg_kind_weights"),
        (dict(counts_coeffs=()), "counts_coeffs"),
        (dict(compact="yes"), "compact"),
        (dict(halo_axis_ratio_range=(0.5, 1.5)), "halo_axis_ratio_range"),
        (dict(freq_hz="high"), "freq_hz"),
    ],
)
def test_invalid_config_raises(changes, match):
    """Each impossible parameter raises RadioUNetError naming it."""
    with pytest.raises(RadioUNetError, match=match):
        SkyConfig(**changes)


def test_with_overrides_validates_and_rejects_unknown_keys():
    """with_overrides returns a validated copy and refuses unknown options."""
    cfg = SkyConfig()
    assert cfg.with_overrides(p_halo=0.1).p_halo == 0.1
    with pytest.raises(RadioUNetError, match="unknown sky setting"):
        cfg.with_overrides(p_halos=0.1)
    with pytest.raises(RadioUNetError, match="p_halo"):
        cfg.with_overrides(p_halo=2.0)


def test_dict_round_trip_from_yaml_like_lists():
    """to_dict/from_dict round-trips; lists (as YAML gives them) become tuples; unknown keys are refused."""
    cfg = SkyConfig.from_dict({"z_range": [0.1, 0.2], "n_clusters": [2, 4], "compact": False})
    assert cfg.z_range == (0.1, 0.2) and cfg.n_clusters == (2, 4)
    assert SkyConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(RadioUNetError, match="unknown sky setting"):
        SkyConfig.from_dict({"bogus": 1})


def test_component_values_and_resolution():
    """Label values are fixed; names, aliases and integers resolve; unknown names raise."""
    assert [int(c) for c in Component] == list(range(8))
    assert DIFFUSE_CLASSES == (Component.HALO, Component.RELIC, Component.MINIHALO, Component.FILAMENT)
    assert Component.resolve("mini-halo") is Component.MINIHALO
    assert Component.resolve("bridge") is Component.FILAMENT
    assert Component.resolve(5) is Component.RADIO_GALAXY
    with pytest.raises(RadioUNetError, match="unknown sky component"):
        Component.resolve("nebula")
    with pytest.raises(RadioUNetError):
        Component.resolve(42)
