"""Noise statistics of radio images: source masks, power spectra and one-point histograms.

Small pure functions on arrays that compare the noise of real and simulated
images on an equal footing (``benchmarks/noise_realism.py`` uses them):

1. :func:`source_mask` finds the islands of emission above ``nsigma`` times
   the rms and grows them by a fraction of the beam;
2. :func:`masked_residual` removes the median, zeroes the masked pixels and
   apodises the borders, and says which fraction of the power survives;
3. :func:`radial_power_spectrum` averages the 2-D power spectrum in annuli
   and returns it against spatial scale in beams, so that images of
   different pixel scales and sizes compare;
4. :func:`histogram_stats` gives the one-point histogram in units of the
   rms, its tails, skewness and robust rms;
5. :func:`spectrum_ratio` compares two spectra bin by bin.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> noise = rng.normal(size=(128, 128))
>>> mask = source_mask(noise, 1.0, beam_pix=4.0)
>>> residual, kept = masked_residual(noise, mask)
>>> spec = radial_power_spectrum(residual, pixel_scale_arcsec=1.5, beam_fwhm_arcsec=6.0, nbins=6, kept_fraction=kept)
>>> spec.power.shape
(6,)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.signal.windows import tukey
from scipy.special import erfc

from ..islands import label_islands
from ..stats import robust_rms

__all__ = [
    "GAUSS_TAIL_3",
    "GAUSS_TAIL_5",
    "PowerSpectrum",
    "source_mask",
    "masked_residual",
    "radial_power_spectrum",
    "histogram_stats",
    "spectrum_ratio",
]

#: Two-sided Gaussian tail beyond 3 sigma, ``P(|x| > 3)`` (0.270%).
GAUSS_TAIL_3 = float(erfc(3.0 / math.sqrt(2.0)))
#: Two-sided Gaussian tail beyond 5 sigma, ``P(|x| > 5)`` (5.7e-7).
GAUSS_TAIL_5 = float(erfc(5.0 / math.sqrt(2.0)))


def source_mask(
    image: np.ndarray,
    rms: float,
    *,
    nsigma: float = 5.0,
    grow_beams: float = 1.5,
    beam_pix: float,
    island_nsigma: float = 3.0,
    two_sided: bool = False,
) -> np.ndarray:
    """Pixels of the islands of emission above ``nsigma * rms``, grown by ``grow_beams`` beams.

    An island is an 8-connected region above ``island_nsigma * rms`` that
    holds at least one pixel above ``nsigma * rms`` (the two thresholds of
    PyBDSF-like source finders); every pixel within ``grow_beams * beam_pix``
    pixels of an island is masked too, so that the beam wings and the
    immediate CLEAN residuals of the sources leave the noise statistics.

    Parameters
    ----------
    image : numpy.ndarray
        2-D image; NaN pixels are never detected (mask them separately, as
        :func:`masked_residual` does).
    rms : float
        Noise rms in the image's units.
    nsigma : float
        Detection threshold in units of ``rms``.
    grow_beams : float
        Growth radius in beams (FWHM); 0 keeps the islands as they are.
    beam_pix : float
        Beam FWHM in pixels (geometric mean of the axes for an elliptical
        beam).
    island_nsigma : float
        Island boundary in units of ``rms``; values above ``nsigma`` are
        lowered to ``nsigma``.
    two_sided : bool
        Also mask islands below ``-nsigma * rms`` (negative artefacts). The
        default masks positive emission only, so that negative artefacts stay
        part of the noise that is measured.

    Returns
    -------
    numpy.ndarray of bool
        True where a pixel belongs to a (grown) island.
    """
    data = np.asarray(image, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"source_mask needs a 2-D image, got shape {data.shape}")
    if not (np.isfinite(rms) and rms > 0):
        raise ValueError(f"rms must be a positive number, got {rms}")
    if beam_pix <= 0 or grow_beams < 0:
        raise ValueError(f"beam_pix must be positive and grow_beams non-negative, got {beam_pix}, {grow_beams}")
    finite = np.isfinite(data)
    filled = np.where(finite, data, 0.0)
    low = min(island_nsigma, nsigma) * rms
    islands = np.zeros(data.shape, bool)
    for sign in (1.0, -1.0) if two_sided else (1.0,):
        signed = sign * filled
        labels, n = label_islands(finite & (signed > low))
        if n == 0:
            continue
        peaks = np.unique(labels[finite & (signed > nsigma * rms)])
        islands |= np.isin(labels, peaks[peaks > 0])
    if not islands.any() or grow_beams == 0:
        return islands
    return ndimage.distance_transform_edt(~islands) <= grow_beams * beam_pix


def masked_residual(image: np.ndarray, mask: np.ndarray | None = None, *, taper: float = 0.2) -> tuple[np.ndarray, float]:
    """The image prepared for a fair power spectrum, and the fraction of its power kept.

    The median of the kept pixels (finite and not in ``mask``) is subtracted;
    masked and NaN pixels are then set to 0 (the mean of the noise, so the
    holes add no power of their own; filling them with noise would add a
    white spectrum that is not in the data) and the whole image is multiplied
    by a separable Tukey window (cosine taper over ``taper / 2`` of each
    side) so that the periodic FFT sees no jump at the borders, which would
    leak power ~ k^-2 along the axes onto the large scales.

    Zeroing and the window multiply the field by ``W = window * kept``: the
    power spectrum of the result is that of the field convolved with the
    spectrum of ``W``, which for a spectrum smooth on the scale of the
    window's transform is the field's spectrum times ``mean(W^2)``, the
    returned kept fraction. Divide the power by it (``kept_fraction`` of
    :func:`radial_power_spectrum`) to recover the field's.

    Parameters
    ----------
    image : numpy.ndarray
        2-D image.
    mask : numpy.ndarray of bool, optional
        Pixels to leave out (e.g. from :func:`source_mask`).
    taper : float
        Tukey ``alpha``: the fraction of each axis inside the cosine tapers
        (0 = no window, 1 = Hann window).

    Returns
    -------
    residual : numpy.ndarray
        Float64 image, zero-mean over the kept pixels, zero where masked,
        apodised.
    kept_fraction : float
        ``mean(W^2)`` over the image, between 0 and 1.
    """
    data = np.asarray(image, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"masked_residual needs a 2-D image, got shape {data.shape}")
    keep = np.isfinite(data)
    if mask is not None:
        mask = np.asarray(mask, bool)
        if mask.shape != data.shape:
            raise ValueError(f"mask shape {mask.shape} differs from the image's {data.shape}")
        keep &= ~mask
    if not keep.any():
        raise ValueError("every pixel is masked or blank: nothing left for a spectrum")
    median = float(np.median(data[keep]))
    window = np.outer(tukey(data.shape[0], taper), tukey(data.shape[1], taper))
    weight = window * keep
    residual = np.where(keep, data - median, 0.0) * window
    return residual, float(np.mean(weight**2))


@dataclass(frozen=True)
class PowerSpectrum:
    """An azimuthally averaged power spectrum against spatial scale in beams.

    Attributes
    ----------
    scale_beams : numpy.ndarray
        Bin centres (geometric mean of the edges), spatial scale ``1/|k|`` in
        beam FWHMs, increasing.
    edges_beams : numpy.ndarray
        The ``nbins + 1`` bin edges in beams.
    power : numpy.ndarray
        Mean power spectral density of the modes in each bin, in units of
        ``sigma^2 * beam^2`` (``sigma^2`` the normalisation variance, ``beam``
        the FWHM); NaN for a bin without modes.
    n_modes : numpy.ndarray
        Number of Fourier modes (both halves of the plane) in each bin.
    mode_area : float
        Area of one Fourier mode in (cycles per beam)^2: ``sum(power *
        n_modes) * mode_area`` is the variance in the bins over ``sigma^2``.
    variance : float
        ``sigma^2``, in the image's units squared.
    """

    scale_beams: np.ndarray
    edges_beams: np.ndarray
    power: np.ndarray
    n_modes: np.ndarray
    mode_area: float
    variance: float


def _check_spectrum_inputs(
    data: np.ndarray, pixel_scale_arcsec: float, beam_fwhm_arcsec: float, kept_fraction: float
) -> None:
    """Check the arguments of :func:`radial_power_spectrum`.

    Parameters
    ----------
    data : numpy.ndarray
        The image as float64.
    pixel_scale_arcsec, beam_fwhm_arcsec : float
        Pixel size and beam FWHM; both must be positive.
    kept_fraction : float
        Must be in ``(0, 1]``.

    Raises
    ------
    ValueError
        If ``data`` is not 2-D or not finite, or an argument is out of range.
    """
    if data.ndim != 2:
        raise ValueError(f"radial_power_spectrum needs a 2-D image, got shape {data.shape}")
    if not np.isfinite(data).all():
        raise ValueError("the image has NaN or infinite pixels: pass it through masked_residual first")
    if pixel_scale_arcsec <= 0 or beam_fwhm_arcsec <= 0:
        raise ValueError("pixel scale and beam must be positive")
    if not 0 < kept_fraction <= 1:
        raise ValueError(f"kept_fraction must be in (0, 1], got {kept_fraction}")


def _mode_density(
    data: np.ndarray, beam_pix: float, kept_fraction: float, rms: float | None
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Spectral density of every Fourier mode, normalised as in :func:`radial_power_spectrum`.

    Parameters
    ----------
    data : numpy.ndarray
        2-D finite image.
    beam_pix : float
        Beam FWHM in pixels.
    kept_fraction : float
        Fraction of the power kept by masking and windowing.
    rms : float or None
        Normalise by ``rms^2`` instead of the variance.

    Returns
    -------
    k : numpy.ndarray
        Modulus of the spatial frequency of each mode, in cycles per beam.
    density : numpy.ndarray
        Power per (cycle per beam)^2 in units of ``sigma^2``.
    mode_area : float
        Area of one mode in (cycles per beam)^2.
    sigma2 : float
        The normalising variance.

    Raises
    ------
    ValueError
        If ``sigma^2`` is not positive.
    """
    ny, nx = data.shape
    npix = nx * ny
    mode_power = np.abs(np.fft.fft2(data)) ** 2 / (npix**2 * kept_fraction)
    ky = np.fft.fftfreq(ny) * beam_pix  # cycles per beam
    kx = np.fft.fftfreq(nx) * beam_pix
    k = np.hypot(ky[:, None], kx[None, :])
    variance = float(mode_power[k > 0].sum())
    sigma2 = variance if rms is None else float(rms) ** 2
    if not sigma2 > 0:
        raise ValueError("the image has no variance to normalise by")
    mode_area = (beam_pix / nx) * (beam_pix / ny)
    return k, mode_power / (mode_area * sigma2), mode_area, sigma2


def _spectrum_edges(edges_beams, nbins: int, size_beams: float) -> np.ndarray:
    """Bin edges in beams: the given ones, checked, or ``nbins`` logarithmic bins.

    Parameters
    ----------
    edges_beams : array_like or None
        Increasing positive edges; if None, ``nbins`` logarithmic bins from 1
        beam to ``size_beams``.
    nbins : int
        Number of default bins.
    size_beams : float
        The image size (shorter side) in beams.

    Returns
    -------
    numpy.ndarray
        The edges as float64.

    Raises
    ------
    ValueError
        If the given edges are not at least two positive, increasing values.
    """
    if edges_beams is None:
        return np.geomspace(1.0, size_beams, int(nbins) + 1)
    edges = np.asarray(edges_beams, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0) or edges[0] <= 0:
        raise ValueError("edges_beams must be at least two positive, increasing values")
    return edges


def _bin_modes(k: np.ndarray, density: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average the density of the non-zero modes in bins of scale ``1 / k``.

    Parameters
    ----------
    k : numpy.ndarray
        Spatial frequency of each mode in cycles per beam.
    density : numpy.ndarray
        Density of each mode.
    edges : numpy.ndarray
        Bin edges in beams; the last edge belongs to the last bin.

    Returns
    -------
    power : numpy.ndarray
        Mean density per bin, NaN for an empty bin.
    n_modes : numpy.ndarray
        Number of modes per bin.
    """
    nonzero = k > 0
    scale = np.full(k.shape, np.inf)
    scale[nonzero] = 1.0 / k[nonzero]
    nb = edges.size - 1
    index = np.searchsorted(edges, scale, side="right") - 1
    index[np.isclose(scale, edges[-1], rtol=1e-9)] = nb - 1  # the last edge belongs to the last bin
    inside = (index >= 0) & (index < nb) & nonzero
    n_modes = np.bincount(index[inside], minlength=nb)
    total = np.bincount(index[inside], weights=density[inside], minlength=nb)
    with np.errstate(invalid="ignore", divide="ignore"):
        power = np.where(n_modes > 0, total / np.maximum(n_modes, 1), np.nan)
    return power, n_modes


def radial_power_spectrum(
    image: np.ndarray,
    *,
    pixel_scale_arcsec: float,
    beam_fwhm_arcsec: float,
    nbins: int = 10,
    edges_beams: np.ndarray | None = None,
    kept_fraction: float = 1.0,
    rms: float | None = None,
) -> PowerSpectrum:
    """Azimuthally averaged 2-D power spectrum against spatial scale in beams.

    Spatial frequencies are counted in cycles per beam FWHM (``k_beam =
    k_pixel * beam_fwhm / pixel_scale``), the scale of a mode is ``1 /
    |k_beam|`` beams, and the power is a spectral density per (cycle per
    beam)^2, so that two images with the same beam and noise have the same
    spectrum whatever their pixel scale and size.

    Normalisation: the power of a mode is ``|FFT(image)|^2 / (N^2 *
    kept_fraction)`` (``N`` pixels), which by Parseval's theorem sums over all
    modes to ``mean(image^2) / kept_fraction``, the variance of the field
    before masking and windowing (:func:`masked_residual`); it is divided by
    the area of a mode in (cycles per beam)^2 and by ``sigma^2``. With
    ``rms=None`` ``sigma^2`` is that variance itself (the sum over all modes
    but the mean), so the spectrum integrates to 1 over the whole Fourier
    plane: a comparison of shape, in units of ``sigma^2 * beam^2``. With
    ``rms`` given ``sigma^2 = rms^2``: the spectrum then integrates to
    ``variance / rms^2``.

    Parameters
    ----------
    image : numpy.ndarray
        2-D zero-mean image without NaN (the residual of
        :func:`masked_residual`).
    pixel_scale_arcsec : float
        Pixel size (square pixels).
    beam_fwhm_arcsec : float
        Restoring beam FWHM (geometric mean of the axes for an elliptical
        beam).
    nbins : int
        Number of logarithmic bins from 1 beam to the image size (the
        shorter side), used when ``edges_beams`` is not given.
    edges_beams : array_like, optional
        Increasing bin edges in beams (e.g. common edges for images of
        different sizes); a mode belongs to bin ``i`` if ``edges[i] <= scale
        < edges[i + 1]``, the last edge included.
    kept_fraction : float
        The fraction of the power kept by masking and windowing
        (:func:`masked_residual`); the power is divided by it.
    rms : float, optional
        Express the power in units of ``rms^2`` instead of the variance.

    Returns
    -------
    PowerSpectrum
    """
    data = np.asarray(image, dtype=np.float64)
    _check_spectrum_inputs(data, pixel_scale_arcsec, beam_fwhm_arcsec, kept_fraction)
    ny, nx = data.shape
    beam_pix = beam_fwhm_arcsec / pixel_scale_arcsec
    k, density, mode_area, sigma2 = _mode_density(data, beam_pix, kept_fraction, rms)
    edges = _spectrum_edges(edges_beams, nbins, min(nx, ny) / beam_pix)
    power, n_modes = _bin_modes(k, density, edges)
    return PowerSpectrum(
        scale_beams=np.sqrt(edges[:-1] * edges[1:]),
        edges_beams=edges,
        power=power,
        n_modes=n_modes,
        mode_area=float(mode_area),
        variance=float(sigma2),
    )


def histogram_stats(
    image: np.ndarray,
    rms: float,
    *,
    mask: np.ndarray | None = None,
    edges_sigma: np.ndarray | None = None,
) -> dict:
    """One-point histogram of an image in units of ``rms``, with its tails.

    Parameters
    ----------
    image : numpy.ndarray
        Image (any shape); NaN pixels are left out.
    rms : float
        The unit: noise rms in the image's units (e.g. the robust rms used
        for the source mask).
    mask : numpy.ndarray of bool, optional
        Pixels to leave out (e.g. sources from :func:`source_mask`).
    edges_sigma : array_like, optional
        Histogram bin edges in units of ``rms`` (default: -10 to 10 in steps
        of 0.25).

    Returns
    -------
    dict
        ``n_pixels``; ``rms`` (as given); ``robust_rms`` (``mad_std``) and
        ``clipped_rms`` (3-sigma clipped standard deviation), both from
        :func:`radio_unet.stats.robust_rms`, and ``std``, all in the image's
        units; ``frac_above_3``, ``frac_below_3`` (below -3), ``frac_beyond_3``
        (``|x| > 3``) and the same for 5 (fractions of the pixels, in units of
        ``rms``; a Gaussian has :data:`GAUSS_TAIL_3` and :data:`GAUSS_TAIL_5`
        two-sided); ``skewness`` and ``excess_kurtosis`` (moments of
        ``x / rms``, sensitive to the tails); ``edges`` and ``density``
        (probability density per unit of ``rms``) of the histogram.
    """
    if not (np.isfinite(rms) and rms > 0):
        raise ValueError(f"rms must be a positive number, got {rms}")
    data = np.asarray(image, dtype=np.float64)
    keep = np.isfinite(data)
    if mask is not None:
        keep &= ~np.asarray(mask, bool)
    values = data[keep]
    edges = np.arange(-10.0, 10.0 + 1e-9, 0.25) if edges_sigma is None else np.asarray(edges_sigma, dtype=np.float64)
    nan = float("nan")
    if values.size == 0:
        return {"n_pixels": 0, "rms": float(rms), "robust_rms": nan, "clipped_rms": nan, "std": nan,
                **{f"frac_{w}_{t}": nan for w in ("above", "below", "beyond") for t in (3, 5)},
                "skewness": nan, "excess_kurtosis": nan, "edges": edges, "density": np.full(edges.size - 1, nan)}
    x = values / rms
    n = x.size
    centred = x - x.mean()
    m2 = float(np.mean(centred**2))
    stats = {
        "n_pixels": int(n),
        "rms": float(rms),
        "robust_rms": robust_rms(values, method="mad"),
        "clipped_rms": robust_rms(values, method="sigma_clip"),
        "std": float(values.std()),
    }
    for t in (3, 5):
        stats[f"frac_above_{t}"] = float(np.count_nonzero(x > t) / n)
        stats[f"frac_below_{t}"] = float(np.count_nonzero(x < -t) / n)
        stats[f"frac_beyond_{t}"] = stats[f"frac_above_{t}"] + stats[f"frac_below_{t}"]
    stats["skewness"] = float(np.mean(centred**3) / m2**1.5) if m2 > 0 else nan
    stats["excess_kurtosis"] = float(np.mean(centred**4) / m2**2 - 3.0) if m2 > 0 else nan
    counts, _ = np.histogram(x, bins=edges)
    stats["edges"] = edges
    stats["density"] = counts / (n * np.diff(edges))
    return stats


def spectrum_ratio(real, sim, *, factor: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Bin-by-bin ratio of two power spectra and whether it is within a factor.

    Parameters
    ----------
    real, sim : PowerSpectrum or array_like
        Spectra on the same bins (a :class:`PowerSpectrum` or its ``power``).
    factor : float
        Tolerance: a bin passes when ``1/factor <= real/sim <= factor``.

    Returns
    -------
    ratio : numpy.ndarray
        ``real / sim`` per bin (NaN where either is missing or ``sim`` is 0).
    within : numpy.ndarray of bool
        True where the ratio is finite and within the factor.
    """
    a = np.asarray(getattr(real, "power", real), dtype=np.float64)
    b = np.asarray(getattr(sim, "power", sim), dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"spectra have different bins: {a.shape} vs {b.shape}")
    if factor < 1:
        raise ValueError(f"factor must be at least 1, got {factor}")
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where((b > 0) & np.isfinite(a) & np.isfinite(b), a / np.where(b > 0, b, 1.0), np.nan)
    within = np.isfinite(ratio) & (ratio <= factor) & (ratio >= 1.0 / factor)
    return ratio, within
