"""Real radio-galaxy morphologies as contaminants of synthetic skies.

Parametric FRI/FRII/tailed models (:mod:`radio_unet.sky.radiogalaxies`) miss
much of what real radio galaxies look like: bent and knotty jets, asymmetric
lobes, plumes, hot spots on faint bridges. Real images of radio galaxies
(e.g. the MiraBest FRI/FRII sample of VLA FIRST cut-outs) can be used as
templates: each template is the galaxy's own island above ``nsigma`` times
the image's robust rms (the connected region that touches the image centre),
with everything outside it set to zero, normalised to unit total flux. A
field then places templates rescaled to a drawn size, rotated by a drawn
angle, optionally mirrored, with a drawn flux (:func:`place_template`).

Templates come from the user (``SkyConfig.rg_templates``: a glob pattern of
FITS files); nothing is downloaded.
"""

from __future__ import annotations

import glob
import warnings
from functools import lru_cache

import numpy as np
from astropy.io.fits.verify import VerifyWarning
from scipy import ndimage

from ..errors import InputError, RadioUNetError
from ..stats import robust_rms

__all__ = ["extract_template", "load_templates", "place_template"]


def extract_template(image: np.ndarray, *, nsigma: float = 3.0, central: float = 0.2) -> np.ndarray | None:
    """The galaxy of a cut-out as a unit-flux template, or None when nothing is found.

    Parameters
    ----------
    image : numpy.ndarray
        2-D cut-out centred on the galaxy (any brightness unit).
    nsigma : float
        Island threshold in units of the robust rms.
    central : float
        Islands that reach the central ``central`` fraction of the image
        (per axis) belong to the galaxy.

    Returns
    -------
    numpy.ndarray or None
        float32 array cropped to the galaxy's islands (plus a 2-pixel border),
        zero outside them, summing to 1.
    """
    data = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0)
    data = data - np.median(data)
    rms = robust_rms(data, method="mad")
    if not np.isfinite(rms) or rms <= 0:
        return None
    labels, n = ndimage.label(data > nsigma * rms)
    if n == 0:
        return None
    ny, nx = data.shape
    cy, cx = ny // 2, nx // 2
    hy, hx = max(1, int(central * ny / 2)), max(1, int(central * nx / 2))
    keep = np.setdiff1d(np.unique(labels[cy - hy : cy + hy + 1, cx - hx : cx + hx + 1]), [0])
    if keep.size == 0:
        return None
    island = np.isin(labels, keep)
    ys, xs = np.nonzero(island)
    y0, y1 = max(ys.min() - 2, 0), min(ys.max() + 3, ny)
    x0, x1 = max(xs.min() - 2, 0), min(xs.max() + 3, nx)
    template = np.where(island, data, 0.0)[y0:y1, x0:x1]
    total = template.sum()
    return (template / total).astype(np.float32) if total > 0 else None


@lru_cache(maxsize=4)
def load_templates(pattern: str) -> tuple[np.ndarray, ...]:
    """Templates (:func:`extract_template`) of every FITS file matching the glob ``pattern``; cached per pattern.

    Raises
    ------
    radio_unet.errors.RadioUNetError
        No file matches, or no file holds a usable galaxy.
    """
    from ..io import read_image  # astropy.wcs, astropy.coordinates (~0.25 s): only with user templates

    files = sorted(glob.glob(str(pattern)))
    if not files:
        raise RadioUNetError(f"no radio-galaxy template matches {pattern!r}")
    templates = []
    for path in files:
        try:
            with warnings.catch_warnings():  # SkyView headers (FIRST, MiraBest) carry tabs in COMMENT cards
                warnings.simplefilter("ignore", VerifyWarning)
                image = read_image(path)
        except (OSError, ValueError, InputError) as exc:
            raise InputError(path, f"not a readable radio-galaxy template ({exc})") from None
        template = extract_template(image.data)
        if template is not None:
            templates.append(template)
    if not templates:
        raise RadioUNetError(f"no usable radio galaxy (an island above 3 sigma at the centre) in {pattern!r}")
    return tuple(templates)


def place_template(
    canvas: np.ndarray, template: np.ndarray, *, centre: tuple[float, float], size_pix: float, angle_deg: float,
    flux: float, mirror: bool = False,
) -> float:
    """Add a template to ``canvas`` (Jy/pixel), rescaled so that its longest side spans ``size_pix``.

    Parameters
    ----------
    canvas : numpy.ndarray
        The sky, changed in place.
    template : numpy.ndarray
        Unit-flux template (:func:`extract_template`).
    centre : (float, float)
        ``(x, y)`` pixel position of the template's centre.
    size_pix : float
        Longest side of the rescaled template, in pixels.
    angle_deg : float
        Rotation, degrees counter-clockwise.
    flux : float
        Total flux (Jy) of the placed galaxy, before cropping at the canvas edge.
    mirror : bool
        Mirror the template first (real galaxies have no handedness).

    Returns
    -------
    float
        The flux that landed inside the canvas.
    """
    if size_pix <= 0 or flux < 0:
        raise RadioUNetError(f"template size and flux must be positive, got {size_pix}, {flux}")
    t = template[:, ::-1] if mirror else template
    zoom = size_pix / max(t.shape)
    t = ndimage.zoom(t, zoom, order=1, prefilter=False) if abs(zoom - 1) > 1e-3 else t
    t = ndimage.rotate(t, angle_deg, reshape=True, order=1, prefilter=False)
    t = np.clip(t, 0.0, None)
    total = t.sum()
    if total <= 0:
        return 0.0
    t *= flux / total
    ny, nx = canvas.shape
    th, tw = t.shape
    y0, x0 = int(round(centre[1] - th / 2)), int(round(centre[0] - tw / 2))
    ys, xs = max(y0, 0), max(x0, 0)
    ye, xe = min(y0 + th, ny), min(x0 + tw, nx)
    if ye <= ys or xe <= xs:
        return 0.0
    part = t[ys - y0 : ye - y0, xs - x0 : xe - x0]
    canvas[ys:ye, xs:xe] += part.astype(canvas.dtype)
    return float(part.sum())
