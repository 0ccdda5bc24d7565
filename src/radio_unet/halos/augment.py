"""Classical augmentation as in the talk: rotations by multiples of 45 degrees, two flips, pixel scaling.

Two reduced forms separate its parts (``--augment dihedral``: the eight lossless rotations by multiples of 90
degrees and flips, no pixel scaling; ``--augment geometric``: every rotation and flip, no pixel scaling).

Applied to the padded grids of the training objects only (never to test objects): rotating the padded grid and
cropping its centre leaves no blank corners, so augmented and original images look alike.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .data import center_crop

__all__ = ["geometric_variants", "augment_batch", "augmentation_plan", "SCALE_RANGE", "N_VARIANTS", "DIHEDRAL"]

#: Range of the random pixel-scaling factor.
SCALE_RANGE = (0.9, 1.3)
#: 8 rotations (multiples of 45 degrees) x (no flip, horizontal flip, vertical flip).
N_VARIANTS = 24
#: The lossless variants among :func:`geometric_variants`: rotations by multiples of 90 degrees, unflipped and
#: flipped left-right (the eight symmetries of the square, each drawn equally often; no interpolation). All 24
#: variants, as ``geometric`` and ``classical`` draw them, hold every reflection twice (the up-down block repeats the
#: left-right one), so two draws in three are reflected there.
DIHEDRAL = (0, 2, 4, 6, 8, 10, 12, 14)
#: ``--augment`` name -> (indices of the geometric variants drawn from, None for all; pixel-scale range).
_PLANS = {"dihedral": (DIHEDRAL, (1.0, 1.0)), "geometric": (None, (1.0, 1.0)), "classical": (None, SCALE_RANGE)}


def geometric_variants(images: np.ndarray, size: int) -> np.ndarray:
    """Every rotation by a multiple of 45 degrees of every image, unflipped and with each of the two flips.

    Parameters
    ----------
    images : numpy.ndarray
        ``(n, c, P, P)`` padded grids.
    size : int
        Side of the cropped output.

    Returns
    -------
    numpy.ndarray
        ``(n, 24, c, size, size)`` float32; variant 0 is the unrotated, unflipped centre.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((2, 1, 12, 12)).astype(np.float32)
    >>> v = geometric_variants(x, 8)
    >>> v.shape, bool(np.allclose(v[:, 0], x[:, :, 2:10, 2:10]))
    ((2, 24, 1, 8, 8), True)
    """
    images = np.asarray(images, np.float32)
    out = np.empty((images.shape[0], N_VARIANTS, images.shape[1], size, size), np.float32)
    k = 0
    for flip in (None, -1, -2):
        base = images if flip is None else np.flip(images, axis=flip)
        for r in range(8):
            if r % 2 == 0:
                rot = np.rot90(base, r // 2, axes=(-2, -1))
            else:
                rot = ndimage.rotate(base, 45.0 * r, axes=(-1, -2), reshape=False, order=1, mode="constant", cval=0.0)
            out[:, k] = center_crop(np.clip(rot, 0.0, None), size)
            k += 1
    return out


def augment_batch(variants: np.ndarray, index: np.ndarray, rng: np.random.Generator, *,
                  scale_range: tuple[float, float] = SCALE_RANGE) -> np.ndarray:
    """A batch of randomly augmented images: a random geometric variant times a random pixel scale.

    Parameters
    ----------
    variants : numpy.ndarray
        ``(n, 24, c, s, s)`` from :func:`geometric_variants`.
    index : numpy.ndarray of int
        Which objects make up the batch.
    rng : numpy.random.Generator
    scale_range : (float, float)
        Range of the uniform pixel-scaling factor.

    Returns
    -------
    numpy.ndarray
        ``(len(index), c, s, s)`` float32.
    """
    v = rng.integers(0, variants.shape[1], len(index))
    scale = rng.uniform(scale_range[0], scale_range[1], len(index)).astype(np.float32)
    return variants[index, v] * scale[:, None, None, None]


def augmentation_plan(augment: str) -> tuple[tuple[int, ...] | None, tuple[float, float]]:
    """Which geometric variants, and which pixel-scale range, the real training images of ``augment`` draw from.

    Parameters
    ----------
    augment : str
        ``dihedral``, ``geometric`` or ``classical``; ``cwgan`` and ``diffusion`` augment the real images as
        ``classical`` does (``none`` augments nothing; its callers do not ask for a plan).

    Returns
    -------
    (tuple of int or None, (float, float))
        Indices into the 24 variants of :func:`geometric_variants` (None: all of them) and the scale range.

    Examples
    --------
    >>> augmentation_plan("dihedral")
    ((0, 2, 4, 6, 8, 10, 12, 14), (1.0, 1.0))
    >>> augmentation_plan("diffusion") == augmentation_plan("classical")
    True
    """
    return _PLANS.get(augment, _PLANS["classical"])
