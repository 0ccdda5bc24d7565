"""The one island rule: 8-connected islands, a size filter that keeps islands of at least ``min_pixels``, peaks."""

from __future__ import annotations

import numpy as np

from radio_unet.islands import active_peak, island_mask, label_islands, large_islands, remove_small_islands


def _mask_with_islands(*sizes: int) -> np.ndarray:
    """One horizontal island of each size, on its own row (2 rows apart)."""
    mask = np.zeros((2 * len(sizes) + 1, max(sizes) + 2), bool)
    for row, size in enumerate(sizes):
        mask[2 * row + 1, 1 : 1 + size] = True
    return mask


def test_islands_are_eight_connected():
    """Diagonal neighbours are one island; a gap of one pixel makes two."""
    mask = np.eye(4, dtype=bool)
    assert label_islands(mask)[1] == 1
    mask = np.zeros((3, 5), bool)
    mask[1, [0, 1, 3, 4]] = True
    assert label_islands(mask)[1] == 2


def test_size_filter_keeps_islands_of_exactly_min_pixels():
    """min_pixels=10 keeps the 10-pixel island and drops the 9-pixel one; 0 and 1 keep everything."""
    mask = _mask_with_islands(9, 10, 11)
    kept = remove_small_islands(mask, 10)
    assert kept[1].sum() == 0 and kept[3].sum() == 10 and kept[5].sum() == 11
    labels, ids = large_islands(mask, 10)
    assert sorted(np.bincount(labels.ravel())[ids].tolist()) == [10, 11]
    for small in (0, 1):
        assert np.array_equal(remove_small_islands(mask, small), mask)
        assert len(large_islands(mask, small)[1]) == 3  # never the background
    assert not remove_small_islands(np.zeros((4, 4), bool), 5).any()


def test_peak_filter_keeps_whole_islands():
    """An island stays whole when one pixel reaches the peak threshold; a peak not above the threshold is off."""
    prob = np.zeros((10, 10), np.float32)
    prob[1:4, 1:4] = 0.6
    prob[2, 2] = 0.9
    prob[6:9, 6:9] = 0.7
    assert island_mask(prob, peak_threshold=0.8).sum() == 9
    assert active_peak(0.5, 0.5) is None and active_peak(0.5, None) is None and active_peak(0.5, 0.8) == 0.8
