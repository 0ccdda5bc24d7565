"""Tests of tiled inference: window and paper schemes against a whole-image pass."""

import numpy as np
import pytest
from scipy import ndimage

from radio_unet.segment.tiling import paper_inference, read_window, reflect_indices, tile_origins, window_inference


def smooth_predictor(batch: np.ndarray) -> np.ndarray:
    """A stand-in network with a receptive reach of ~12 px (Gaussian sigma 3, mirror edges)."""
    return np.stack([ndimage.gaussian_filter(b, 3.0, mode="mirror", truncate=4.0) for b in batch]).astype(np.float32)


def test_reflect_indices_mirror_without_edge_repeat():
    """Indices outside 0..n-1 are mirrored about the edge pixels, also far outside."""
    np.testing.assert_array_equal(reflect_indices(-3, 3, 5), [3, 2, 1, 0, 1, 2])
    np.testing.assert_array_equal(reflect_indices(3, 9, 5), [3, 4, 3, 2, 1, 0])
    assert reflect_indices(-20, 20, 4).max() == 3 and reflect_indices(-20, 20, 4).min() == 0


def test_read_window_inside_and_outside():
    """A window inside is a plain slice; one over the edge is mirrored."""
    img = np.arange(30, dtype=np.float32).reshape(5, 6)
    np.testing.assert_array_equal(read_window(img, 1, 1, 2, 3), img[1:3, 1:4])
    np.testing.assert_array_equal(read_window(img, -2, 0, 2, 2), img[[2, 1]][:, [0, 1]])


@pytest.mark.parametrize("shape", [(200, 333), (97, 64), (16, 16)])
def test_window_equals_whole_image(shape):
    """With margins and mirror edges beyond the receptive reach, window inference equals one whole-image pass."""
    rng = np.random.default_rng(0)
    img = rng.random(shape).astype(np.float32)
    whole = ndimage.gaussian_filter(img, 3.0, mode="mirror", truncate=4.0)
    got = window_inference(img, smooth_predictor, window=64, margin=16, edge=16, divisor=16)
    assert got.shape == img.shape
    np.testing.assert_allclose(got, whole, atol=1e-5)


def test_default_window_gives_the_image_border_to_the_network():
    """By default (edge 0) a whole image that is a multiple of the divisor reaches the network as it is."""
    img = np.random.default_rng(3).random((96, 128)).astype(np.float32)
    seen = []
    got = window_inference(img, lambda batch: (seen.append(batch.copy()), batch)[1], divisor=16)
    assert len(seen) == 1 and seen[0].shape == (1, 96, 128)
    np.testing.assert_array_equal(got, img)


def test_window_with_too_small_margin_differs():
    """A margin below the receptive reach shows seams (the test above can fail)."""
    img = np.random.default_rng(1).random((128, 128)).astype(np.float32)
    whole = ndimage.gaussian_filter(img, 3.0, mode="mirror", truncate=4.0)
    got = window_inference(img, smooth_predictor, window=32, margin=0, divisor=16)
    assert np.abs(got - whole).max() > 1e-3


def test_paper_tiling_covers_every_pixel_once():
    """Paper tiling: the central 96x96 of 192 tiles at stride 96 tile the image exactly; the result matches."""
    assert tile_origins(200, tile=192, stride=96) == [-48, 48, 144]
    img = np.random.default_rng(2).random((250, 190)).astype(np.float32)
    whole = ndimage.gaussian_filter(img, 3.0, mode="mirror", truncate=4.0)
    got = paper_inference(img, smooth_predictor, tile=192, stride=96, batch_size=3)
    np.testing.assert_allclose(got, whole, atol=1e-5)


def test_memmap_input_and_output(tmp_path):
    """Window inference reads from and writes to memory-mapped arrays."""
    src = np.lib.format.open_memmap(tmp_path / "in.npy", mode="w+", dtype=np.float32, shape=(150, 170))
    src[:] = np.random.default_rng(3).random((150, 170))
    dst = np.lib.format.open_memmap(tmp_path / "out.npy", mode="w+", dtype=np.float32, shape=(150, 170))
    window_inference(src, smooth_predictor, window=64, margin=16, edge=16, out=dst)
    np.testing.assert_allclose(dst, ndimage.gaussian_filter(np.asarray(src), 3.0, mode="mirror", truncate=4.0), atol=1e-5)
