"""Augmentation by the eight symmetries of the square (flips and 90-degree rotations).

Radio images have no preferred orientation, so every tile can be rotated by a
multiple of 90 degrees and mirrored; the mask gets exactly the same operation.
An operation is an integer ``op`` in ``0..7``: ``op % 4`` quarter turns
(counter-clockwise in array coordinates, :func:`numpy.rot90`) applied after a
left-right flip when ``op >= 4``. ``op = 0`` is the identity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import RadioUNetError

if TYPE_CHECKING:
    import torch

__all__ = ["N_DIHEDRAL", "dihedral", "inverse_dihedral", "augment_pair", "random_dihedral_ops"]

#: Number of distinct operations (the dihedral group of the square).
N_DIHEDRAL = 8


def _check(op: int) -> int:
    op = int(op)
    if not 0 <= op < N_DIHEDRAL:
        raise RadioUNetError(f"dihedral operation must be in 0..7, got {op}")
    return op


def dihedral(array: np.ndarray | torch.Tensor, op: int) -> np.ndarray | torch.Tensor:
    """Apply symmetry ``op`` to the last two axes of an array or tensor.

    Parameters
    ----------
    array : numpy.ndarray or torch.Tensor
        ``(..., H, W)``; square tiles keep their shape, other shapes swap
        ``H`` and ``W`` for odd quarter turns.
    op : int
        Operation in ``0..7`` (see the module docstring).

    Returns
    -------
    numpy.ndarray or torch.Tensor
        The transformed array (a view for numpy where possible; use
        :func:`numpy.ascontiguousarray` before handing it to torch).
    """
    op = _check(op)
    k, flip = op % 4, op >= 4
    if not isinstance(array, np.ndarray):  # a tensor: PyTorch is imported by whoever made it
        import torch

        out = torch.flip(array, dims=(-1,)) if flip else array
        return torch.rot90(out, k, dims=(-2, -1)) if k else out
    out = np.flip(array, axis=-1) if flip else array
    return np.rot90(out, k, axes=(-2, -1)) if k else out


def inverse_dihedral(op: int) -> int:
    """The operation that undoes ``op`` (for test-time augmentation)."""
    op = _check(op)
    return op if op >= 4 else (4 - op) % 4


def augment_pair(image: np.ndarray, mask: np.ndarray, op: int) -> tuple[np.ndarray, np.ndarray]:
    """Apply the same symmetry to an image and its mask; contiguous copies are returned."""
    if np.shape(image)[-2:] != np.shape(mask)[-2:]:
        raise RadioUNetError(f"image {np.shape(image)} and mask {np.shape(mask)} differ in size")
    return np.ascontiguousarray(dihedral(image, op)), np.ascontiguousarray(dihedral(mask, op))


def random_dihedral_ops(n: int, *, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` operations uniformly from ``0..7`` with the generator ``rng``."""
    return rng.integers(0, N_DIHEDRAL, size=int(n))
