"""Tests of the per-component placement functions behind make_sky."""

import json

import numpy as np
import pytest

from radio_unet.sky import Component, SkyConfig, make_sky
from radio_unet.sky.placement import (
    Canvas,
    Frame,
    component_record,
    cutout_fluxes,
    draw_clusters,
    place_bcg,
    place_bridge,
    place_compact_sources,
    place_confusion,
    place_filaments,
    place_foreground,
    place_halo,
    place_minihalo,
    place_radio_galaxies,
    place_relics,
    place_template_galaxies,
)
from radio_unet.sky.render import Cutout

SHAPE = (128, 160)


def _frame(pixel_scale_arcsec=6.0, **overrides):
    return Frame.build(SHAPE, pixel_scale_arcsec, SkyConfig(**overrides).validate())


def _cluster(frame, rng):
    clusters, _ = draw_clusters(frame, rng)
    return clusters[0]


def test_component_record_puts_kind_and_label_first_and_is_json_safe():
    """One record: kind, label, then the entries in the given order; numpy scalars become Python, NaN None."""
    rec = component_record("halo", Component.HALO, x=np.float64(1.5), n=np.int64(3), bad=float("nan"), ok=np.bool_(1))
    assert list(rec) == ["kind", "label", "x", "n", "bad", "ok"]
    assert rec == {"kind": "halo", "label": int(Component.HALO), "x": 1.5, "n": 3, "bad": None, "ok": True}
    assert type(rec["x"]) is float and type(rec["n"]) is int
    json.dumps(rec, allow_nan=False)


def test_cutout_fluxes_are_whole_and_in_image_flux():
    cut = Cutout(np.full((2, 3), 0.5, dtype=np.float32), 0, 0, total_flux=4.0)
    assert cutout_fluxes(cut) == {"flux_jy": 4.0, "flux_in_image_jy": 3.0}


def test_frame_uses_none_for_the_default_cosmology_only():
    assert _frame().cosmology is None
    assert _frame(h0=67.0).cosmology is not None
    assert _frame(h0=67.0).to_pix(1000.0, 0.2) != _frame().to_pix(1000.0, 0.2)


def test_canvas_creates_maps_once_in_order_of_use():
    canvas = Canvas(SHAPE)
    relic_map = canvas.get(Component.RELIC)
    canvas.get(Component.HALO)
    assert canvas.get(Component.RELIC) is relic_map
    assert list(canvas.maps) == [Component.RELIC, Component.HALO]
    assert relic_map.dtype == np.float32 and relic_map.shape == SHAPE


def test_draw_clusters_keeps_companions_inside_the_margins():
    frame = _frame(n_clusters=(3, 3), p_bridge=1.0, cluster_margin=0.1)
    clusters, pairs = draw_clusters(frame, np.random.default_rng(3))
    assert [c["id"] for c in clusters] == list(range(len(clusters)))
    assert len(clusters) == 3 + len(pairs)
    for a, b, sep_kpc in pairs:
        assert clusters[b]["companion_of"] == a and clusters[b]["z"] == clusters[a]["z"] and sep_kpc > 0
    ny, nx = SHAPE
    for c in clusters:
        assert 0.1 * nx <= c["x"] <= nx - 1 - 0.1 * nx and 0.1 * ny <= c["y"] <= ny - 1 - 0.1 * ny
        assert c["r500_pix"] > 0 and c["r500_kpc"] > 0


@pytest.mark.parametrize(
    ("place", "kind", "label"),
    [
        (place_halo, "halo", Component.HALO),
        (place_minihalo, "minihalo", Component.MINIHALO),
        (place_bcg, "bcg", Component.RADIO_GALAXY),
        (place_relics, "relic", Component.RELIC),
    ],
)
def test_cluster_components_paint_only_their_class_and_record_themselves(place, kind, label):
    frame, rng = _frame(20.0, n_clusters=(1, 1), p_bridge=0.0, z_range=(0.3, 0.4)), np.random.default_rng(7)
    cluster = _cluster(frame, rng)
    canvas = Canvas(SHAPE)
    records = place(frame, canvas, rng, cluster)
    assert records and all(r["kind"] == kind and r["label"] == int(label) for r in records)
    assert all(r["cluster"] == cluster["id"] for r in records)
    assert list(canvas.maps) == [label] and canvas.maps[label].sum() > 0
    json.dumps(records, allow_nan=False)


def test_bridge_joins_the_pair_and_has_the_filament_label():
    frame = _frame(30.0, n_clusters=(1, 1), p_bridge=1.0, cluster_margin=0.05, z_range=(0.3, 0.4))
    rng = np.random.default_rng(2)
    clusters, pairs = draw_clusters(frame, rng)
    assert pairs
    a, b, sep_kpc = pairs[0]
    canvas = Canvas(SHAPE)
    (rec,) = place_bridge(frame, canvas, rng, clusters[a], clusters[b], sep_kpc)
    assert rec["kind"] == "bridge" and rec["clusters"] == [a, b] and rec["size_kpc"] == sep_kpc
    assert list(canvas.maps) == [Component.FILAMENT]


def test_switched_off_components_draw_nothing_and_record_nothing():
    """Off switches return no records and leave the generator untouched."""
    frame = _frame(compact=False, confusion=False, foreground=False, n_radio_galaxies=(0, 0))
    rng, canvas = np.random.default_rng(0), Canvas(SHAPE)
    state = rng.bit_generator.state
    catalogue, records = place_compact_sources(frame, canvas, rng)
    assert catalogue.size == 0 and records == []
    assert place_confusion(frame, rng) == (None, [])
    assert place_foreground(frame, canvas, rng) == []
    assert place_template_galaxies(frame, canvas, rng) == []
    assert rng.bit_generator.state == state
    assert place_radio_galaxies(frame, canvas, rng, []) == []
    assert canvas.maps == {}


def test_field_wide_components_record_one_entry_each():
    frame = _frame(p_filaments=1.0, foreground=True, confusion=True)
    rng, canvas = np.random.default_rng(4), Canvas(SHAPE)
    assert [r["kind"] for r in place_filaments(frame, canvas, rng)] == ["filaments"]
    catalogue, records = place_compact_sources(frame, canvas, rng)
    assert [r["kind"] for r in records] == ["compact_sources"] and records[0]["n"] == catalogue.size
    faint, records = place_confusion(frame, rng)
    assert faint.shape == SHAPE and [r["kind"] for r in records] == ["confusion"]
    assert [r["kind"] for r in place_foreground(frame, canvas, rng)] == ["foreground"]
    assert list(canvas.maps) == [Component.FILAMENT, Component.COMPACT, Component.FOREGROUND]


def test_every_make_sky_record_starts_with_kind_and_label():
    """make_sky records every component one way: kind and label first."""
    cfg = SkyConfig(n_clusters=(2, 3), p_bridge=0.8, p_filaments=1.0, foreground=True, confusion=True)
    for seed in range(3):
        sky = make_sky(SHAPE, 6.0, rng=np.random.default_rng(seed), config=cfg)
        assert all(list(r)[:2] == ["kind", "label"] for r in sky.components)
