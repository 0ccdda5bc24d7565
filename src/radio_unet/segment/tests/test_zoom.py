"""Tests of the magnified second pass (``radio_unet.segment.zoom``, ``radio-unet segment --zoom``)."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from radio_unet.cli import main
from radio_unet.errors import RadioUNetError
from radio_unet.segment.tests.test_segment_cli import _image
from radio_unet.segment.zoom import block_mean, magnify, merge_zoomed, zoomed


@pytest.fixture(scope="module")
def half_background(tmp_path_factory):
    """A base-4, depth-2, 8-class U-Net with random weights whose background bias is set so that the class
    'background' wins at about half the pixels of a noise image (the untrained fixture's wins almost nowhere)."""
    import torch

    from radio_unet.models import build_model, save_model

    torch.manual_seed(1)
    model = build_model({"base_filters": 4, "depth": 2, "dropout": 0.0, "n_classes": 8}).eval()
    head = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d) and m.out_channels == 8][-1]
    from radio_unet.data.normalize import normalize_snr

    noise = np.random.default_rng(2).normal(size=(1, 64, 64)).astype(np.float32)
    with torch.no_grad():
        logits = model(torch.from_numpy(normalize_snr(noise, local=False))[:, None])[0]
        head.bias[0] -= torch.median(logits[0] - logits[1:].max(dim=0).values)
    path = tmp_path_factory.mktemp("half") / "half8.safetensors"
    save_model(path, model, {"normalization": {"kind": "snr"}, "pixel_scale_arcsec": 2.0,
                             "beam_arcsec": {"major": 6.0, "minor": 6.0, "pa": 0.0}})
    return path


def test_magnify_keeps_constants_and_ramps_and_block_mean_brings_them_back():
    """A constant stays constant, a linear ramp stays the same ramp on the finer grid (away from the clamped edge
    pixels), and the block mean of the magnified ramp is the ramp again."""
    ramp = np.tile(np.arange(10, dtype=np.float32), (6, 1))[None]
    big = magnify(ramp, 3)
    assert big.shape == (1, 18, 30)
    np.testing.assert_allclose(big[0, 0, 3:-3], (np.arange(3, 27) + 0.5) / 3 - 0.5, atol=1e-6)
    np.testing.assert_allclose(block_mean(big, 3)[:, :, 1:-1], ramp[:, :, 1:-1], atol=1e-6)
    np.testing.assert_array_equal(magnify(np.full((2, 4, 4), 7.0, np.float32), 2), 7.0)


def test_zoomed_gives_the_network_a_larger_window_and_returns_the_input_grid():
    """The wrapped predictor sees factor-times more pixels per axis, the result (binary or per class) is on the
    input's grid, and a factor below 2 is refused."""
    seen = []

    def predict(batch):
        seen.append(batch.shape)
        return np.stack([batch, 1 - batch], axis=1)  # (N, 2, H, W)

    batch = np.random.default_rng(0).random((2, 16, 32)).astype(np.float32)
    out = zoomed(predict, 2)(batch)
    assert seen == [(2, 32, 64)] and out.shape == (2, 2, 16, 32)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-6)
    assert np.corrcoef(out[:, 0].ravel(), batch.ravel())[0, 1] > 0.8  # the same pixels, slightly smoothed
    for factor in (1, 0):
        with pytest.raises(RadioUNetError, match="at least 2"):
            zoomed(predict, factor)


def test_merge_takes_the_magnified_pass_only_over_background():
    """Pixels the native pass gives a class other than background, blank pixels and pixels where the magnified
    pass is not more diffuse keep the native probabilities."""
    # classes: background, halo, radio galaxy; five pixels
    native = np.array([[0.9, 0.9, 0.2, np.nan, 0.6],
                       [0.05, 0.05, 0.1, np.nan, 0.3],
                       [0.05, 0.05, 0.7, np.nan, 0.1]], np.float32)
    magnified = np.array([[0.2, 0.95, 0.1, 0.1, 0.4],
                          [0.7, 0.01, 0.8, 0.8, 0.5],
                          [0.1, 0.04, 0.1, 0.1, 0.1]], np.float32)
    merged = merge_zoomed(native.copy(), magnified, diffuse=[1], background=0)
    np.testing.assert_array_equal(merged[:, [0, 4]], magnified[:, [0, 4]])  # background, magnified more diffuse
    np.testing.assert_array_equal(merged[:, [1, 2]], native[:, [1, 2]])  # less diffuse there; a radio galaxy
    assert np.isnan(merged[:, 3]).all()


@pytest.mark.parametrize("scale", [2.0, 1.5])
def test_segment_zoom_changes_only_background_pixels_and_is_part_of_the_signature(tmp_path, half_background, scale):
    """--zoom 2 (with and without resampling): the class map is still the arg-max of the written probabilities and
    prob.fits their diffuse sum; wherever the first pass named a class other than background nothing changes (when
    resampled: but for the interpolation at the edges of such areas);
    outputs made without --zoom are not taken for finished."""
    src = _image(tmp_path, scale=scale)
    plain, zoom = tmp_path / "plain", tmp_path / "zoom"
    common = ["--model", str(half_background), "--no-png", "--no-artefact-check"]
    assert main(["segment", str(src), "-o", str(plain), *common]) == 0
    assert main(["segment", str(src), "-o", str(zoom), *common, "--zoom", "2"]) == 0
    cube0, cube = fits.getdata(plain / "field.classprob.fits"), fits.getdata(zoom / "field.classprob.fits")
    classes0, classes = fits.getdata(plain / "field.class.fits"), fits.getdata(zoom / "field.class.fits")
    prob = fits.getdata(zoom / "field.prob.fits")
    valid = np.isfinite(prob)
    np.testing.assert_array_equal(classes[valid], np.argmax(cube[:, valid], axis=0))
    np.testing.assert_allclose(prob[valid], cube[1:5][:, valid].sum(axis=0), atol=1e-5)
    named = valid & (classes0 != 0)
    assert named.any() and (~named & valid).any()
    if scale != 2.0:  # merged on the resampled grid, then interpolated back: away from the edges of named areas
        from scipy.ndimage import binary_erosion

        named = binary_erosion(named, np.ones((5, 5), bool))
    np.testing.assert_allclose(cube[:, named], cube0[:, named], atol=1e-6)
    assert not np.array_equal(cube, cube0)  # the magnified pass changed some background pixels
    assert fits.getheader(zoom / "field.prob.fits")["HIERARCH RUNET ZOOM"] == 2
    # same folder without --zoom: redone, not skipped
    assert main(["segment", str(src), "-o", str(zoom), *common]) == 0
    np.testing.assert_array_equal(fits.getdata(zoom / "field.classprob.fits"), cube0)
    assert not any(p.name.startswith(".radio-unet-zoom-") for p in zoom.iterdir())


def test_zoom_needs_a_classification_network_and_an_integer(tmp_path, tiny_model, tiny_classifier, capsys):
    """A binary network or a zoom below 2 is a clear error naming the problem; nothing is written."""
    src = _image(tmp_path)
    assert main(["segment", str(src), "-o", str(tmp_path / "a"), "--model", str(tiny_model), "--zoom", "2"]) == 2
    assert "zoom needs a classification network" in capsys.readouterr().err
    assert main(["segment", str(src), "-o", str(tmp_path / "b"), "--model", str(tiny_classifier), "--zoom", "0"]) == 2
    assert "zoom must be an integer of at least 2" in capsys.readouterr().err
    assert not any((tmp_path / "a").glob("*.fits")) and not any((tmp_path / "b").glob("*.fits"))
