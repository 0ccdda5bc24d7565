"""Tests of the flip/rotation augmentation."""

from __future__ import annotations

import numpy as np
import torch

from radio_unet.data import N_DIHEDRAL, augment_pair, dihedral, inverse_dihedral


def test_same_operation_on_image_and_mask():
    """For every op, the mask of the transformed image is the transformed mask."""
    rng = np.random.default_rng(0)
    image = rng.random((8, 8)).astype(np.float32)
    mask = (image > 0.5).astype(np.uint8)
    seen = set()
    for op in range(N_DIHEDRAL):
        img, msk = augment_pair(image, mask, op)
        np.testing.assert_array_equal(msk, (img > 0.5).astype(np.uint8))
        assert img.flags["C_CONTIGUOUS"] and msk.flags["C_CONTIGUOUS"]
        seen.add(img.tobytes())
    assert len(seen) == 8  # the eight symmetries are all different


def test_inverse_and_torch_agree():
    """inverse_dihedral undoes each op; numpy and torch give the same result."""
    x = np.arange(2 * 6 * 6, dtype=np.float32).reshape(2, 6, 6)
    for op in range(N_DIHEDRAL):
        y = dihedral(x, op)
        np.testing.assert_array_equal(dihedral(y, inverse_dihedral(op)), x)
        np.testing.assert_array_equal(dihedral(torch.from_numpy(x), op).numpy(), y)
    np.testing.assert_array_equal(dihedral(x, 0), x)
