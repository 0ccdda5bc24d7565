"""Tests of ``radio-unet segment`` with a small untrained model: outputs, WCS, blanks, resume, bad files."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from astropy.io import fits

from radio_unet.cli import main
from radio_unet.conftest import celestial_header, random_image, write_fits
from radio_unet.io import read_image
from radio_unet.segment.resample import match_resolution


def _image(tmp_path, name="field.fits", scale=2.0, beam=6.0, shape=(70, 90)):
    h = celestial_header(nx=shape[1], ny=shape[0], scale_arcsec=scale)
    h["BMAJ"], h["BMIN"], h["BPA"], h["BUNIT"] = beam / 3600, beam / 3600, 0.0, "JY/BEAM"
    data = random_image(*shape)
    data[:3] = np.nan
    return write_fits(tmp_path / name, data, h)


def test_segment_writes_all_outputs_on_the_input_grid(tmp_path, tiny_model, capsys):
    """prob/mask FITS keep the WCS and shape, blanks stay blank, and a DS9 region file and PNG are written."""
    src = _image(tmp_path)
    out = tmp_path / "out"
    assert main(["segment", str(src), "-o", str(out), "--model", str(tiny_model), "--threshold", "0.3"]) == 0
    prob, inp = read_image(out / "field.prob.fits"), read_image(src)
    assert prob.shape == inp.shape and prob.wcs.wcs.compare(inp.wcs.wcs, tolerance=1e-12)
    assert np.isnan(prob.data[:3]).all() and np.isfinite(prob.data[3:]).all()
    assert ((prob.data[3:] >= 0) & (prob.data[3:] <= 1)).all()
    mask = read_image(out / "field.mask.fits").data
    np.testing.assert_array_equal(mask > 0, np.nan_to_num(prob.data) >= 0.3)
    assert (out / "field.reg").read_text().startswith("# Region file format: DS9")
    assert (out / "field.png").stat().st_size > 5000
    assert fits.getheader(out / "field.prob.fits")["HIERARCH RUNET THRESHOLD"] == 0.3


def test_peak_threshold_keeps_only_islands_that_reach_it(tmp_path, tiny_model):
    """--peak-threshold: the mask is island_mask of the same probability map; some islands go, some stay (the
    artefact check off in both runs: the untrained network calls the negated image diffuse as readily, and a removed
    island is not the peak filter's doing)."""
    from scipy import ndimage

    from radio_unet.evaluate import island_mask

    src = _image(tmp_path)
    assert main(["segment", str(src), "-o", str(tmp_path / "plain"), "--model", str(tiny_model), "--no-png",
                 "--no-artefact-check"]) == 0
    prob = np.nan_to_num(read_image(tmp_path / "plain" / "field.prob.fits").data)
    threshold = float(np.quantile(prob[3:], 0.7))
    labels, n = ndimage.label(prob >= threshold, structure=np.ones((3, 3), bool))
    peaks = np.sort(ndimage.maximum(prob, labels, index=np.arange(1, n + 1)))
    assert n >= 3 and peaks[0] < peaks[-1]
    peak = float(np.median(peaks))
    out = tmp_path / "peak"
    assert main(["segment", str(src), "-o", str(out), "--model", str(tiny_model), "--threshold", repr(threshold),
                 "--peak-threshold", repr(peak), "--no-artefact-check"]) == 0
    mask = read_image(out / "field.mask.fits").data > 0
    np.testing.assert_array_equal(mask, island_mask(prob, threshold=threshold, peak_threshold=peak))
    assert 0 < mask.sum() < (prob >= threshold).sum()
    assert fits.getheader(out / "field.prob.fits")["HIERARCH RUNET PEAK_THRESHOLD"] == peak
    assert "peak>" in (out / "field.reg").read_text() and (out / "field.png").exists()


def test_rerun_skips_and_bad_files_do_not_stop_others(tmp_path, tiny_model, capsys):
    """A finished file is skipped on rerun; a bad file is reported in one line and the rest finish."""
    good = _image(tmp_path)
    bad = tmp_path / "broken.fits"
    bad.write_text("not fits")
    out = tmp_path / "out"
    assert main(["segment", str(good), "-o", str(out), "--model", str(tiny_model), "--no-png"]) == 0
    capsys.readouterr()
    assert main(["segment", str(bad), str(good), "-o", str(out), "--model", str(tiny_model), "--no-png"]) == 2
    captured = capsys.readouterr()
    assert "already done" in captured.out
    errors = [line for line in captured.err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "broken.fits" in errors[0] and "Traceback" not in captured.err
    assert not list(out.glob("broken*"))


def test_tta_averages_orientations_and_is_part_of_the_signature(tmp_path, tiny_model, capsys):
    """Test-time augmentation (the default) gives another map than --no-tta (so a finished plain run is redone),
    records it, and is skipped on its own rerun, with or without the explicit --tta."""
    src = _image(tmp_path, shape=(64, 96))
    out = tmp_path / "out"
    args = ["segment", str(src), "-o", str(out), "--model", str(tiny_model), "--no-png"]
    assert main(args + ["--no-tta"]) == 0
    assert "HIERARCH RUNET TTA" not in fits.getheader(out / "field.prob.fits")
    plain = read_image(out / "field.prob.fits").data
    capsys.readouterr()
    assert main(args) == 0
    assert "already done" not in capsys.readouterr().out
    tta = read_image(out / "field.prob.fits").data
    assert fits.getheader(out / "field.prob.fits")["HIERARCH RUNET TTA"] is True
    valid = np.isfinite(plain)
    assert np.array_equal(valid, np.isfinite(tta)) and np.abs(tta - plain)[valid].max() > 1e-3
    assert main(args + ["--tta"]) == 0
    assert "already done" in capsys.readouterr().out
    # evaluate names the rows of a map made with --tta after it
    assert main(["evaluate", "--pred", str(out / "field.prob.fits"), "--truth", str(out / "field.mask.fits")]) == 0
    assert "radio-unet tta" in capsys.readouterr().out


def test_compile_reaches_the_network(tmp_path, tiny_model, monkeypatch):
    """--compile hands the PyTorch network to torch.compile (a stand-in here) and the outputs are written."""
    calls = []
    monkeypatch.setattr(torch, "compile", lambda model: calls.append(model) or model)
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    src = _image(tmp_path)
    assert main(["segment", str(src), "-o", str(tmp_path / "out"), "--model", str(tiny_model), "--no-png",
                 "--compile"]) == 0
    assert len(calls) == 1 and (tmp_path / "out" / "field.prob.fits").exists()


def test_unknown_model_is_a_clear_error(tmp_path, capsys):
    """A wrong --model names the problem and the shipped models."""
    assert main(["segment", str(_image(tmp_path)), "--model", "nonexistent", "-o", str(tmp_path)]) == 2
    assert "no model 'nonexistent'" in capsys.readouterr().err


def test_resolution_matching(tmp_path, tiny_model):
    """An image at another pixels-per-beam is resampled to the model's and the map comes back on the input grid."""
    fine = read_image(_image(tmp_path, "fine.fits", scale=1.0, beam=6.0, shape=(120, 100)))
    work, factor = match_resolution(fine, model_pixel_scale=2.0, model_beam=6.0)
    assert factor == pytest.approx(2.0)
    assert work.pixel_scale_arcsec == pytest.approx(2.0, rel=1e-6)
    assert work.shape == (60, 50)
    same = read_image(_image(tmp_path, "lowres.fits", scale=4.0, beam=12.0))
    assert match_resolution(same, model_pixel_scale=2.0, model_beam=6.0)[1] == 1.0
    out = tmp_path / "o"
    assert main(["segment", str(tmp_path / "fine.fits"), "-o", str(out), "--model", str(tiny_model), "--no-png"]) == 0
    prob = read_image(out / "fine.prob.fits")
    assert prob.shape == (120, 100)
    assert float(fits.getheader(out / "fine.prob.fits")["HIERARCH RUNET RESAMPLE"]) == pytest.approx(2.0)


def test_auto_backend_uses_onnx_on_cpu_and_caches_the_export(tmp_path, tiny_model, monkeypatch):
    """``auto`` picks ONNX Runtime for float32 on a CPU, exports once per weights file and matches PyTorch."""
    from radio_unet.segment.load import cache_dir, choose_backend, load_segmenter

    monkeypatch.setenv("RADIO_UNET_CACHE", str(tmp_path / "cache"))  # empty: this test's export only

    assert choose_backend("auto", device="cpu", precision="32") == "onnx"
    assert choose_backend("auto", device="cpu", precision="bf16") == "torch"
    assert choose_backend("auto", device="cuda", precision="32") == "torch"
    assert choose_backend("torch", device="cpu", precision="32") == "torch"
    image = read_image(_image(tmp_path, shape=(64, 80)))
    auto = load_segmenter(tiny_model)
    assert auto.backend == "onnx"
    exports = list((cache_dir() / "onnx").glob("*.onnx"))
    assert len(exports) == 1
    stamp = exports[0].stat().st_mtime_ns
    again = load_segmenter(tiny_model)
    assert exports[0].stat().st_mtime_ns == stamp  # reused, not exported again
    torch_prob = load_segmenter(tiny_model, backend="torch")(image)
    ok = np.isfinite(torch_prob)
    assert ok.sum() > 1000
    np.testing.assert_allclose(again(image)[ok], torch_prob[ok], atol=1e-4)


def test_precision_picks_a_backend_that_runs_it():
    """int8 runs on ONNX Runtime, bf16 on PyTorch; an explicit backend that cannot run the precision is refused."""
    from radio_unet.errors import RadioUNetError
    from radio_unet.segment.load import choose_backend

    assert choose_backend("auto", device="cpu", precision="int8") == "onnx"
    assert choose_backend("onnx", device="cpu", precision="int8") == "onnx"
    with pytest.raises(RadioUNetError, match="int8.*torch backend"):
        choose_backend("torch", precision="int8")
    with pytest.raises(RadioUNetError, match="bf16.*onnx backend"):
        choose_backend("onnx", precision="bf16")


def test_calibration_images_are_normalised_simulated_fields(tiny_model):
    """Calibration fields are simulated at the card's pixel scale and beam, normalised to [0, 1], reproducibly."""
    from radio_unet.cli.common import calibration_images
    from radio_unet.models import load_model

    _, card = load_model(tiny_model)
    first = calibration_images(card, n=1)
    assert len(first) == 1 and first[0].shape == (512, 512)
    assert np.nanmin(first[0]) >= 0 and np.nanmax(first[0]) <= 1
    assert 0.01 < np.mean(first[0] > 0) and np.mean(first[0] >= 1) < 0.5  # noise above the floor, few saturated pixels
    np.testing.assert_array_equal(calibration_images(card, n=1)[0], first[0])


def test_int8_segmenter_is_cached_and_follows_float32(tmp_path, tiny_model, monkeypatch):
    """--precision int8 quantises once per weights file next to the float32 export, on the calibration images it is
    given (never simulated inside segment), and stays close to float32."""
    from radio_unet.errors import RadioUNetError
    from radio_unet.segment.load import cache_dir, load_segmenter

    monkeypatch.setenv("RADIO_UNET_CACHE", str(tmp_path / "cache"))
    calls = []

    def fake_calibration(card):
        calls.append(card.sha256)
        rng = np.random.default_rng(4)
        return [rng.random((64, 64)).astype(np.float32) * 0.6 + 0.2 for _ in range(3)]

    with pytest.raises(RadioUNetError, match="int8 quantisation needs calibration images"):
        load_segmenter(tiny_model, precision="int8")
    image = read_image(_image(tmp_path, shape=(64, 80)))
    int8 = load_segmenter(tiny_model, precision="int8", calibration=fake_calibration)
    assert int8.backend == "onnx"
    assert sorted(p.name.split(".", 1)[1] for p in (cache_dir() / "onnx").glob("*.onnx")) == ["int8.onnx", "onnx"]
    load_segmenter(tiny_model, precision="int8")  # cached: no calibration needed
    assert len(calls) == 1  # quantised once
    ref = load_segmenter(tiny_model)(image)
    got = int8(image)
    ok = np.isfinite(ref)
    assert np.array_equal(ok, np.isfinite(got))
    assert np.mean(np.abs(got[ok] - ref[ok]) < 0.05) > 0.9


def test_backend_that_cannot_run_the_precision_fails_before_any_file(tmp_path, tiny_model, capsys):
    """--backend torch --precision int8: one line naming the options, not the file; nothing written."""
    path = _image(tmp_path)
    out = tmp_path / "out"
    assert main(["segment", str(path), "--model", str(tiny_model), "--backend", "torch", "--precision", "int8", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "precision 'int8' does not run on the torch backend" in err and str(path) not in err
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("scale", [2.0, 1.5])
def test_classifier_writes_class_map_and_class_probabilities(tmp_path, tiny_classifier, scale):
    """A classification network writes <stem>.class.fits (arg-max, CLASSn cards, blanks 255) and
    <stem>.classprob.fits (plane n+1 = class n); prob.fits is the sum of the diffuse classes. On the input grid
    whether or not the image is resampled."""
    src = _image(tmp_path, scale=scale)
    out = tmp_path / "out"
    assert main(["segment", str(src), "-o", str(out), "--model", str(tiny_classifier), "--no-png"]) == 0
    prob = read_image(out / "field.prob.fits")
    cube = fits.getdata(out / "field.classprob.fits")
    header = fits.getheader(out / "field.classprob.fits")
    classes = fits.getdata(out / "field.class.fits")
    assert cube.shape == (8,) + prob.shape and classes.shape == prob.shape
    assert header["CLASS5"] == "radio galaxy" and header["CTYPE3"] == "CLASS"
    assert fits.getheader(out / "field.class.fits")["CLASS1"] == "radio halo"
    valid = np.isfinite(prob.data)
    assert not valid[:3].any() and valid[3:].all() and (classes[:3] == 255).all()
    np.testing.assert_allclose(prob.data[valid], cube[1:5][:, valid].sum(axis=0), atol=1e-5)
    np.testing.assert_array_equal(classes[valid], np.argmax(cube[:, valid], axis=0))
    # the probabilities sum to 1 (resampled: away from the blank rows and the border, where the interpolation
    # mixes in the zeros outside the map)
    inner = np.zeros_like(valid)
    inner[8:-3, 3:-3] = True
    np.testing.assert_allclose(cube[:, inner].sum(axis=0), 1.0, atol=1e-3 if scale == 2.0 else 0.05)


def test_an_offset_image_is_warned_about_and_subtract_median_removes_it(tmp_path, tiny_model, capsys):
    """Noise sitting 1 sigma above zero is measured (header and warning); --subtract-median segments it exactly
    as the same noise shifted to a zero median by hand, and is part of the outputs' signature."""
    h = celestial_header(nx=96, ny=64, scale_arcsec=2.0)
    h["BMAJ"], h["BMIN"], h["BPA"], h["BUNIT"] = 6.0 / 3600, 6.0 / 3600, 0.0, "JY/BEAM"
    noise = np.random.default_rng(4).normal(0.0, 1e-4, (64, 96)).astype(np.float32)
    shifted = write_fits(tmp_path / "offset.fits", noise + np.float32(1e-4), h)
    from radio_unet.stats import background_level

    centred = write_fits(tmp_path / "centred.fits", noise - np.float32(background_level(noise)[0]), h)
    out = tmp_path / "out"
    common = ["-o", str(out), "--model", str(tiny_model), "--no-png"]
    assert main(["segment", str(shifted), *common]) == 0
    captured = capsys.readouterr()
    assert "noise sits at +1.0" in captured.err and "--subtract-median" in captured.err
    assert abs(fits.getheader(out / "offset.prob.fits")["HIERARCH RUNET BACKGROUND_SIGMA"] - 1.0) < 0.1
    plain = read_image(out / "offset.prob.fits").data
    assert main(["segment", str(shifted), *common, "--subtract-median"]) == 0
    captured = capsys.readouterr()
    assert "already done" not in captured.out and "warning" not in captured.err
    assert main(["segment", str(centred), *common]) == 0
    assert "warning" not in capsys.readouterr().err
    subtracted, by_hand = read_image(out / "offset.prob.fits").data, read_image(out / "centred.prob.fits").data
    np.testing.assert_allclose(subtracted, by_hand, atol=1e-5)
    assert np.abs(subtracted - plain).max() > 1e-3
