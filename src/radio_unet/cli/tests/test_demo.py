"""``radio-unet demo``, the README's main command, on a small field."""

import json
import re

import numpy as np

from radio_unet.cli import main
from radio_unet.io import read_image


def test_demo_writes_the_probability_map_and_prints_both_scores(tmp_path, capsys):
    """A 256x256 field: probability FITS with the field's WCS, a PNG, and IoUs of the network and of 3 sigma."""
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--npix", "256", "--seed", "5"]) == 0
    text = capsys.readouterr().out
    scores = re.search(r"radio-unet ([0-9.]+) \(islands peaking >= 0.8: ([0-9.]+)\)\s+3-sigma threshold ([0-9.]+)", text)
    assert scores, text
    assert all(0.0 <= float(v) <= 1.0 for v in scores.groups())
    prob = read_image(out / "demo.prob.fits")
    assert prob.data.shape == (256, 256) and prob.wcs.has_celestial
    assert np.nanmin(prob.data) >= 0.0 and np.nanmax(prob.data) <= 1.0
    assert (out / "demo.png").stat().st_size > 0
    components = json.loads(json.loads((out / "sim_00000.json").read_text())["components"])
    assert any("cluster" in c for c in components)  # the demo's sky puts a cluster in every field


def test_demo_rejects_a_bad_sky_parameter_before_any_work(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--npix", "256", "--sky", "p_halo=2"]) == 2
    assert "p_halo" in capsys.readouterr().err
    assert not out.exists()


def test_demo_sky_option_changes_one_parameter_of_the_demo_sky(monkeypatch, tmp_path):
    """--sky NAME=VALUE changes that parameter and keeps the rest of the demo's sky (clusters, visible halos)."""
    from radio_unet.cli import demo

    seen = {}

    def stop(preset, *args, **kwargs):
        seen.update(preset.sky)
        raise SystemExit(0)

    monkeypatch.setattr("radio_unet.simulate.simulate_one", stop)
    try:
        main(["demo", "--out", str(tmp_path / "d"), "--npix", "256", "--sky", "p_halo=0.5"])
    except SystemExit:
        pass
    assert seen["p_halo"] == 0.5 and tuple(seen["n_clusters"]) == (1, 3) and demo.DEMO_SKY
