"""Tests of data-set simulation: files, manifest, determinism, resume and errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from radio_unet.cli import main
from radio_unet.errors import RadioUNetError
from radio_unet.io import read_image
from radio_unet.simulate import get_preset, simulate_dataset

SMALL = get_preset("lotss-6as-512").with_overrides(npix=128, hours=2.0, freqs_hz=(130e6, 160e6))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Three small images made once for the module."""
    out = tmp_path_factory.mktemp("sim")
    table = simulate_dataset(SMALL, 3, out, seed=7, gallery=2)
    return out, table


def test_files_and_manifest(dataset):
    """Every image has its four FITS files on one grid, and the manifest one row each with the parameters."""
    out, table = dataset
    assert list(table["id"]) == ["sim_00000", "sim_00001", "sim_00002"]
    assert {"noise_rms_jy_beam", "bmaj_arcsec", "mask_fraction", "components"} <= set(table.columns)
    assert (out / "gallery.png").stat().st_size > 10_000
    row = table.iloc[0]
    images = {k: read_image(out / row[k]) for k in ("image", "sky", "mask", "labels")}
    assert images["image"].unit == "Jy/beam" and images["sky"].unit == "Jy/pixel"
    for img in images.values():
        assert img.shape == (128, 128)
        assert img.beam is not None and img.beam.major == pytest.approx(row["bmaj_arcsec"])
        assert img.wcs.wcs.compare(images["image"].wcs.wcs, tolerance=1e-12)
    mask = images["mask"].data
    assert set(np.unique(mask)) <= {0.0, 1.0}
    assert mask.mean() == pytest.approx(row["mask_fraction"])
    assert pd.read_csv(out / "manifest.csv").shape[0] == 3


def test_same_seed_identical_files(dataset, tmp_path):
    """The same seed gives identical files, independent of which images are made in one run."""
    out, _ = dataset
    simulate_dataset(SMALL, 2, tmp_path, seed=7, gallery=0)
    for k in ("image", "sky", "mask", "labels"):
        a = read_image(out / f"sim_00001.{k}.fits").data
        b = read_image(tmp_path / f"sim_00001.{k}.fits").data
        np.testing.assert_array_equal(a, b)
    other = tmp_path / "other"
    simulate_dataset(SMALL, 1, other, seed=8, gallery=0)
    assert not np.array_equal(read_image(other / "sim_00000.sky.fits").data, read_image(out / "sim_00000.sky.fits").data)


def test_resume_skips_finished_images(dataset, tmp_path, capsys):
    """A rerun keeps finished images (same files, untouched) and makes only the missing ones."""
    simulate_dataset(SMALL, 2, tmp_path, seed=7, gallery=0)
    first = (tmp_path / "sim_00000.image.fits").stat().st_mtime_ns
    (tmp_path / "sim_00001.json").unlink()  # as if interrupted before the record was written
    simulate_dataset(SMALL, 3, tmp_path, seed=7, gallery=0)
    assert (tmp_path / "sim_00000.image.fits").stat().st_mtime_ns == first
    assert "resuming: 1 of 3" in capsys.readouterr().out
    assert json.loads((tmp_path / "sim_00002.json").read_text())["index"] == 2


def test_resume_with_other_settings_is_refused(dataset):
    """Resuming a folder with another seed is a clear error."""
    out, _ = dataset
    with pytest.raises(RadioUNetError, match="other settings"):
        simulate_dataset(SMALL, 3, out, seed=99)


def test_invalid_parameters(tmp_path, capsys):
    """Bad options give one clear line and exit status 2."""
    assert main(["simulate", "--preset", "lotss-6as", "--n", "0", "--out", str(tmp_path / "x")]) == 2
    assert "--n must be at least 1" in capsys.readouterr().err
    with pytest.raises(RadioUNetError, match="npix must be >= 32"):
        simulate_dataset(SMALL.with_overrides(npix=8), 1, tmp_path)
    with pytest.raises(RadioUNetError, match="unknown preset"):
        get_preset("vlass")


def test_sky_overrides_from_the_command_line(tmp_path, capsys):
    """--sky NAME=VALUE reaches the sky model (numbers written 2e24 included); bad names and values are one line."""
    out = tmp_path / "halos"
    assert main(["simulate", "--preset", "lotss-6as-512", "--npix", "128", "--n", "1", "--seed", "3", "--gallery", "0",
                 "--out", str(out), "--sky", "n_clusters=[2, 2]", "--sky", "p_halo=0.8",
                 "--sky", "halo_power_range=[5e25, 5e25]"]) == 0
    record = json.loads((out / "sim_00000.json").read_text())
    components = record["components"] if isinstance(record["components"], list) else json.loads(record["components"])
    halos = [c for c in components if c["kind"] == "halo"]
    assert halos and all(c["power_w_hz"] == pytest.approx(5e25) for c in halos)
    assert len({c["cluster"] for c in components if c.get("cluster") is not None}) == 2
    capsys.readouterr()
    for bad, message in (("halo_powr=1", "unknown sky setting"), ("p_halo", "expected NAME=VALUE"),
                         ("z_range=[0.6, 0.2]", "z_range")):
        assert main(["simulate", "--preset", "lotss-6as-512", "--n", "1", "--out", str(tmp_path / "bad"),
                     "--sky", bad]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
    assert main(["simulate", "--preset", "lotss-6as-512", "--npix", "128", "--n", "1", "--seed", "3", "--gallery", "0",
                 "--out", str(tmp_path / "spokes"), "--artefacts", "p_spokes=1",
                 "--artefacts", "spoke_level=[0.02, 0.02]"]) == 0
    drawn = json.loads(json.loads((tmp_path / "spokes" / "sim_00000.json").read_text())["artefacts"])
    assert drawn["spoke_level"] == pytest.approx(0.02)
    capsys.readouterr()
    for bad, message in (("p_spoke=1", "unknown artefact"), ("spoke_level=[0.1, 2]", "spoke_level")):
        assert main(["simulate", "--preset", "lotss-6as-512", "--n", "1", "--out", str(tmp_path / "bad"),
                     "--artefacts", bad]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_dask_workers_give_the_same_files(dataset, tmp_path):
    """Two Dask worker processes make the same files as a serial run."""
    out, _ = dataset
    simulate_dataset(SMALL, 2, tmp_path, seed=7, workers=2, gallery=0)
    for index in (0, 1):
        a = read_image(out / f"sim_0000{index}.image.fits").data
        b = read_image(tmp_path / f"sim_0000{index}.image.fits").data
        np.testing.assert_array_equal(a, b)


def test_realism_is_recorded(dataset):
    """The survey presets draw artefacts and a confusion population per image and record them."""
    _, table = dataset
    drawn = [json.loads(a) for a in table["artefacts"]]
    assert all({"excess_fraction", "dd_strength", "n_outside"} <= set(a) for a in drawn)
    assert all(any(c["kind"] == "confusion" for c in json.loads(comps)) for comps in table["components"])


def test_background_cutouts_hold_the_real_noise(tmp_path, capsys):
    """--background: every image is a cut-out of the real image plus the sky restored with its beam; the pixel scale
    must match and a too small background is a clear error."""
    from astropy.io import fits

    from radio_unet.io import Beam, make_celestial_wcs, write_image

    rng = np.random.default_rng(0)
    noise = rng.normal(0, 7e-5, (200, 200)).astype(np.float32)
    bg = tmp_path / "bg"
    bg.mkdir()
    wcs = make_celestial_wcs((200, 200), pixel_scale_arcsec=2.0, ra_deg=150.0, dec_deg=50.0)
    write_image(bg / "blank.fits", noise, wcs=wcs, beam=Beam(8.0, 8.0, 0.0), unit="Jy/beam")
    preset = SMALL.with_overrides(background=str(bg), sky={**SMALL.sky, "n_clusters": (0, 0), "compact": False,
                                                          "n_radio_galaxies": (0, 0), "p_filaments": 0.0,
                                                          "confusion": False})
    table = simulate_dataset(preset, 2, tmp_path / "out", seed=1, gallery=0)
    assert set(table["background"]) == {"blank.fits"} and np.allclose(table["bmaj_arcsec"], 8.0)
    image = fits.getdata(tmp_path / "out" / table["image"][0])
    assert image.std() == pytest.approx(7e-5, rel=0.05)
    assert table["noise_rms_jy_beam"][0] == pytest.approx(7e-5, rel=0.05)
    capsys.readouterr()
    for k, (changes, message) in enumerate((({"npix": 256}, "smaller than the 256x256"),
                                            ({"pixel_scale_arcsec": 1.5}, "pixel scale"))):
        with pytest.raises(RadioUNetError, match="images failed"):
            simulate_dataset(preset.with_overrides(**changes), 1, tmp_path / f"bad{k}", seed=1, gallery=0)
        assert message in capsys.readouterr().out


def test_observed_truth_is_noise_relative(dataset):
    """The survey presets' masks hold what the image can show: the labelled diffuse pixels, where the diffuse sky
    convolved with the beam is above a quarter of the noise (mask_sigma), recorded in the manifest."""
    from radio_unet.io import Beam
    from radio_unet.observe import restore
    from radio_unet.sky import DIFFUSE_CLASSES

    out, table = dataset
    assert (table["mask_sigma"] == 0.25).all()
    row = table.iloc[1]
    mask = read_image(out / row["mask"]).data > 0
    labels = read_image(out / row["labels"]).data
    if mask.any():  # a mask pixel is labelled (diffuse, or a brighter contaminant on top)
        assert (labels[mask] > 0).mean() > 0.95
    assert not (np.isin(labels, [int(c) for c in DIFFUSE_CLASSES]) & ~mask).any()
    from radio_unet.simulate.truth import observed_truth
    from radio_unet.sky import Component

    halo = np.zeros((64, 64), np.float32)
    halo[16:48, 16:48] = 1e-5  # 10 uJy/pixel: ~0.1 mJy/beam
    for noise, expected in ((1e-4, True), (1e-2, False)):  # visible at 0.1 mJy noise, not at 10 mJy
        _, m = observed_truth({Component.HALO: halo}, shape=halo.shape, beam=Beam(6.0, 6.0, 0.0),
                              pixel_scale_arcsec=2.0, noise_rms=noise, nsigma=0.25)
        assert bool(m[32, 32]) is expected
    smoothed = restore(halo, Beam(6.0, 6.0, 0.0), pixel_scale_arcsec=2.0)
    _, m = observed_truth({Component.HALO: halo}, shape=halo.shape, beam=Beam(6.0, 6.0, 0.0), pixel_scale_arcsec=2.0,
                          noise_rms=1e-4, nsigma=0.25)
    np.testing.assert_array_equal(m, smoothed > 0.25e-4)


def test_sources_are_labelled_only_where_visible():
    """source_sigma: a compact source that peaks at one sigma is background (a noise peak to any observer), one at
    ten sigma is labelled where it is brighter than two sigma, and a halo under the faint one keeps its label."""
    from radio_unet.io import Beam
    from radio_unet.observe import restore
    from radio_unet.simulate.truth import observed_truth
    from radio_unet.sky import Component

    beam, pix, noise = Beam(6.0, 6.0, 0.0), 2.0, 1e-4
    unit = restore(np.pad(np.ones((1, 1), np.float32), 31)[:64, :64], beam, pixel_scale_arcsec=pix).max()
    faint, bright = np.zeros((64, 64), np.float32), np.zeros((64, 64), np.float32)
    faint[20, 20] = 1.0 * noise / unit  # peaks at 1 sigma after the beam
    bright[44, 44] = 10.0 * noise / unit
    halo = np.zeros((64, 64), np.float32)
    halo[10:30, 10:30] = 5e-6  # ~0.45 sigma after the beam: in the truth, and fainter than the faint source's peak
    maps = {Component.COMPACT: faint + bright, Component.HALO: halo}
    kw = dict(shape=(64, 64), beam=beam, pixel_scale_arcsec=pix, noise_rms=noise, nsigma=0.25)
    every, _ = observed_truth(maps, **kw)
    visible, _ = observed_truth(maps, **kw, source_sigma=2.0)
    assert every[20, 20] == Component.COMPACT and visible[20, 20] == Component.HALO
    observed_bright = restore(bright, beam, pixel_scale_arcsec=pix)
    np.testing.assert_array_equal(visible[34:54, 34:54] == Component.COMPACT, observed_bright[34:54, 34:54] > 2 * noise)
    assert (every == Component.COMPACT).sum() > 2 * (visible == Component.COMPACT).sum()
    with pytest.raises(RadioUNetError, match="source_sigma"):
        observed_truth(maps, **kw, source_sigma=0.0)


def test_truth_sigma_is_the_measured_noise(tmp_path, monkeypatch):
    """The labels' sigma is the noise measured in the image (as the real-sky benchmark and an astronomer measure
    it), recorded as noise_measured_jy_beam, not the thermal noise asked of the observation."""
    import radio_unet.simulate.generate as generate
    from radio_unet.simulate import simulate_one

    seen = []
    real = generate.observed_truth

    def spy(*args, **kwargs):
        seen.append(kwargs["noise_rms"])
        return real(*args, **kwargs)

    monkeypatch.setattr(generate, "observed_truth", spy)  # the name simulate_one calls
    record = simulate_one(SMALL, 0, seed=11, route="image", out_dir=tmp_path)
    assert seen == [pytest.approx(record["noise_measured_jy_beam"])]
    assert record["noise_measured_jy_beam"] != pytest.approx(record["noise_rms_jy_beam"], rel=1e-3)


def test_diffuse_truth_is_what_the_image_shows():
    """Faint diffuse emission is labelled in dirty-beam units (CLEAN leaves it in the residual, as in the image);
    a halo larger than the array's shortest baselines see (a 2' halo in a VLA B-configuration snapshot) is labelled
    only where its image holds it, a fraction of the restoring-beam truth."""
    from radio_unet.evaluate.realsky import halo_profile
    from radio_unet.observe import convolve_psf, restore
    from radio_unet.simulate.generate import instrument_for
    from radio_unet.simulate.truth import observed_diffuse, observed_truth
    from radio_unet.sky import Component

    inst = instrument_for(SMALL, 6.0, None)
    faint = (1e-6 * halo_profile(inst.shape, (inst.shape[0] / 2, inst.shape[1] / 2), 10)).astype(np.float32)
    seen = observed_diffuse({Component.HALO: faint, Component.COMPACT: faint}, inst, clean_sigma=1e-4)
    assert set(seen) == {Component.HALO}  # only diffuse classes
    np.testing.assert_allclose(seen[Component.HALO], convolve_psf(faint, inst.psf_fft()), atol=1e-9)

    first = get_preset("first")
    inst = instrument_for(first, 5.4, None)
    r_e = 120.0 / first.pixel_scale_arcsec
    halo = halo_profile(inst.shape, (inst.shape[0] / 2, inst.shape[1] / 2), r_e).astype(np.float32)
    halo *= 4e-4 / restore(halo, inst.beam, pixel_scale_arcsec=first.pixel_scale_arcsec).max()  # 4 sigma at its peak
    kwargs = dict(shape=inst.shape, beam=inst.beam, pixel_scale_arcsec=first.pixel_scale_arcsec, noise_rms=1e-4,
                  nsigma=0.25)
    _, restored_mask = observed_truth({Component.HALO: halo}, **kwargs)
    seen = observed_diffuse({Component.HALO: halo}, inst, clean_sigma=1e-4, clean=first.clean_config())
    labels, mask = observed_truth({Component.HALO: halo}, diffuse_images=seen, **kwargs)
    assert restored_mask.mean() > 0.2
    assert mask.sum() < 0.3 * restored_mask.sum()
    assert set(np.unique(labels[mask])) == {int(Component.HALO)}


def test_snapshot_clean_converges():
    """The FIRST-like snapshot preset CLEANs a bright source to its flux (with the default +-128 px PSF patch its
    CLEAN diverged: the far sidelobes of a snapshot's dirty beam stayed unsubtracted)."""
    from radio_unet.observe import observe
    from radio_unet.simulate.generate import instrument_for

    first = get_preset("first")
    inst = instrument_for(first, 5.4, None)
    sky = np.zeros(inst.shape, np.float32)
    sky[200, 300], sky[400, 100] = 0.03, 0.01
    obs = observe(sky, inst, rng=np.random.default_rng(0), noise_rms=1.5e-4, clean=first.clean_config())
    assert obs.info["clean"]["stop_reason"] == "threshold"
    assert obs.model.sum() == pytest.approx(0.04, rel=0.05)
    assert obs.noise_rms_measured < 1.2 * 1.5e-4
    with pytest.raises(RadioUNetError, match="unknown CLEAN setting"):
        first.with_overrides(clean={"psf_size": 3}).validate()
