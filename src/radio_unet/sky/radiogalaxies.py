"""Extended radio galaxies (FRI, FRII, head-tail, wide-angle tail) as sums of Gaussians.

Radio galaxies are contaminants: bright, extended and often inside clusters,
they must never enter the diffuse mask. Each model returns :class:`Blobs`
(elliptical Gaussians) whose fluxes add up to ``total_flux``; render them
with :func:`radio_unet.sky.render.add_blobs`. Sizes are in pixels (the scene
converts kpc through the redshift); ``size`` is the largest linear extent
(core to lobe tip times two, or the tail length for tailed sources).

Morphologies
------------
``fr1``
    Bright core, a jet and a fainter counter-jet (Doppler ratio) that widen,
    fade and flare into bent, turbulent plumes.
``fr2``
    Faint core, two lobes of clumpy emission with compact hotspots at their
    outer ends and faint jets.
``head_tail``
    Bright head and a single tail (the two jets swept back by ram pressure,
    merging after a short distance) that widens and fades, with a random bend.
``wide_angle_tail``
    Core with two jets that start in roughly opposite directions and bend
    into a common direction (C or V shape), widening into tails.
"""

from __future__ import annotations

import numpy as np

from ..errors import RadioUNetError
from .fields import gaussian_random_field
from .render import Blobs

__all__ = ["RADIO_GALAXY_KINDS", "fr1", "fr2", "head_tail", "wide_angle_tail", "radio_galaxy"]

RADIO_GALAXY_KINDS: tuple[str, ...] = ("fr1", "fr2", "head_tail", "wide_angle_tail")


def _check(centre, size, total_flux):
    try:
        x, y = (float(c) for c in centre)
    except (TypeError, ValueError):
        raise RadioUNetError(f"centre must be an (x, y) pair, got {centre!r}") from None
    if not (np.isfinite(size) and size > 0):
        raise RadioUNetError(f"radio galaxy size must be positive, got {size}")
    if not (np.isfinite(total_flux) and total_flux >= 0):
        raise RadioUNetError(f"radio galaxy flux must be non-negative, got {total_flux}")
    return x, y


def _path(x0, y0, theta0, length, n, rng, *, theta_target=None, bend_length=None, curvature=0.0, wiggle=0.0):
    """Points along a curve of arc length ``length`` starting at (x0, y0) with heading theta0 (rad).

    The heading relaxes exponentially towards ``theta_target`` over ``bend_length``
    (if given), turns at a constant ``curvature`` (rad per pixel) and carries a
    smooth random ``wiggle`` (rms, rad).
    """
    t = np.linspace(0.0, length, n)
    heading = np.full(n, float(theta0))
    if theta_target is not None:
        diff = np.angle(np.exp(1j * (theta0 - theta_target)))
        heading = theta_target + diff * np.exp(-t / max(bend_length, 1e-6))
    heading = heading + curvature * t
    if wiggle > 0 and n > 2:
        heading = heading + wiggle * gaussian_random_field((1, n), slope=-4.0, rng=rng, outer_scale=n / 3.0)[0]
    dt = np.diff(t, prepend=0.0)
    x = x0 + np.cumsum(np.cos(heading) * dt)
    y = y0 + np.cumsum(np.sin(heading) * dt)
    return t, x, y, heading


def _n_samples(length, sigma_min):
    return int(np.clip(np.ceil(length / (0.5 * max(sigma_min, 0.3))), 8, 3000))


def _strand(t, x, y, heading, emissivity, sigma, rng, clump=0.3, min_sigma=0.0):
    """Blobs along a path: flux per unit length ``emissivity(t)``, width ``sigma(t)``."""
    dt = np.gradient(t) if t.size > 1 else np.ones_like(t)
    w = np.maximum(emissivity, 0.0) * dt * np.exp(clump * rng.standard_normal(t.size) - 0.5 * clump**2)
    smin = np.maximum(sigma, min_sigma)
    smaj = np.maximum(smin, 0.6 * dt)
    return Blobs(x, y, w, smaj, smin, heading)


def _cloud(xc, yc, n, a, b, theta, sigma, rng, *, weights=None):
    """``n`` blobs scattered in an ellipse of semi-axes (a, b) at angle theta."""
    r = np.sqrt(rng.random(n))
    phi = rng.uniform(0, 2 * np.pi, n)
    u, v = a * r * np.cos(phi), b * r * np.sin(phi)
    c, s = np.cos(theta), np.sin(theta)
    x = xc + u * c - v * s
    y = yc + u * s + v * c
    w = np.exp(0.5 * rng.standard_normal(n)) if weights is None else weights
    sig = sigma * np.exp(0.3 * rng.standard_normal(n))
    return Blobs(x, y, w, sig, sig * rng.uniform(0.5, 1.0, n), rng.uniform(0, np.pi, n))


def _normalise(parts, fractions, total_flux):
    out = []
    for blobs, frac in zip(parts, fractions):
        tot = blobs.total_flux
        if len(blobs) and tot > 0 and frac > 0:
            out.append(blobs.scaled(frac * total_flux / tot))
    res = Blobs.concatenate(out)
    tot = res.total_flux
    return res.scaled(total_flux / tot) if tot > 0 else res


def fr1(
    *,
    centre,
    size: float,
    total_flux: float,
    angle_deg: float,
    rng: np.random.Generator,
    core_fraction: float | None = None,
    jet_ratio: float | None = None,
) -> Blobs:
    """An FRI radio galaxy: core, two-sided jets fading outwards into plumes.

    Parameters
    ----------
    centre : (float, float)
        ``(x, y)`` of the core (pixels).
    size : float
        End-to-end extent (pixels).
    total_flux : float
        Flux density of the whole source (Jy).
    angle_deg : float
        Jet axis, counter-clockwise from +x.
    rng : numpy.random.Generator
    core_fraction : float, optional
        Fraction of the flux in the core (default: uniform in 0.03-0.2).
    jet_ratio : float, optional
        Jet / counter-jet brightness ratio (default: uniform in 1-4).

    Returns
    -------
    Blobs
    """
    x0, y0 = _check(centre, size, total_flux)
    fc = rng.uniform(0.03, 0.2) if core_fraction is None else float(core_fraction)
    ratio = rng.uniform(1.0, 4.0) if jet_ratio is None else float(jet_ratio)
    if not (0 <= fc < 1 and ratio > 0):
        raise RadioUNetError("fr1: core_fraction must be in [0, 1) and jet_ratio positive")
    theta = np.deg2rad(angle_deg)
    parts, fracs = [Blobs(x0, y0, 1.0, 0.0, 0.0, 0.0)], [fc]
    f_jets = (1 - fc) * rng.uniform(0.3, 0.5)
    f_plumes = 1 - fc - f_jets
    for side, share in ((0, ratio / (1 + ratio)), (1, 1 / (1 + ratio))):
        arm = 0.5 * size * rng.uniform(0.8, 1.0)
        t_flare = arm * rng.uniform(0.35, 0.6)
        th0 = theta + side * np.pi + rng.normal(0, 0.05)
        open_jet = np.tan(np.deg2rad(rng.uniform(3, 8)))
        sig0 = max(0.3, 0.004 * size)
        n = _n_samples(arm, sig0)
        t, x, y, hd = _path(x0, y0, th0, arm, n, rng, curvature=rng.normal(0, 0.4) / arm, wiggle=0.08)
        jet = t <= t_flare
        sig_jet = sig0 + t * open_jet
        emis = 1.0 / (1.0 + t / (0.08 * arm))
        parts.append(_strand(t[jet], x[jet], y[jet], hd[jet], emis[jet], sig_jet[jet], rng, clump=0.25))
        fracs.append(f_jets * share)
        # plume: widening, clumpy, brighter just after the flare point
        tp = t[~jet]
        if tp.size:
            width = sig_jet[jet][-1] + (tp - t_flare) * np.tan(np.deg2rad(rng.uniform(15, 35)))
            emis_p = np.exp(-(tp - t_flare) / (0.6 * (arm - t_flare) + 1e-9))
            plume = _strand(tp, x[~jet], y[~jet], hd[~jet], emis_p, width, rng, clump=0.5)
            parts.append(plume)
            fracs.append(0.6 * f_plumes * share)
            k = max(6, int(20 * (arm - t_flare) / max(width.max(), 1.0)))
            sel = rng.integers(0, tp.size, k)
            parts.append(
                Blobs(
                    x[~jet][sel] + rng.normal(0, 0.4, k) * width[sel],
                    y[~jet][sel] + rng.normal(0, 0.4, k) * width[sel],
                    emis_p[sel] * np.exp(0.5 * rng.standard_normal(k)),
                    0.6 * width[sel],
                    0.4 * width[sel],
                    hd[~jet][sel],
                )
            )
            fracs.append(0.4 * f_plumes * share)
    return _normalise(parts, fracs, total_flux)


def fr2(
    *,
    centre,
    size: float,
    total_flux: float,
    angle_deg: float,
    rng: np.random.Generator,
    core_fraction: float | None = None,
    hotspot_fraction: float | None = None,
    lobe_width: float | None = None,
) -> Blobs:
    """An FRII radio galaxy: faint core, lobes with hotspots at their outer ends.

    Parameters
    ----------
    centre : (float, float)
        ``(x, y)`` of the core.
    size : float
        Hotspot-to-hotspot extent (pixels).
    total_flux : float
        Flux density (Jy).
    angle_deg : float
        Source axis, counter-clockwise from +x.
    rng : numpy.random.Generator
    core_fraction : float, optional
        Default uniform in 0.005-0.05.
    hotspot_fraction : float, optional
        Fraction of each lobe's flux in its hotspot (default uniform 0.1-0.35).
    lobe_width : float, optional
        Lobe half-width over arm length (default uniform 0.15-0.35).

    Returns
    -------
    Blobs
    """
    x0, y0 = _check(centre, size, total_flux)
    fc = rng.uniform(0.005, 0.05) if core_fraction is None else float(core_fraction)
    fh = rng.uniform(0.1, 0.35) if hotspot_fraction is None else float(hotspot_fraction)
    lw = rng.uniform(0.15, 0.35) if lobe_width is None else float(lobe_width)
    if not (0 <= fc < 1 and 0 <= fh <= 1 and lw > 0):
        raise RadioUNetError("fr2: fractions must be in [0, 1] and lobe_width positive")
    theta = np.deg2rad(angle_deg)
    parts, fracs = [Blobs(x0, y0, 1.0, 0.0, 0.0, 0.0)], [fc]
    f_lobes = 1 - fc
    arm_ratio = rng.uniform(0.75, 1.0)
    flux_ratio = rng.uniform(0.6, 1.6)
    arms = 0.5 * size * np.array([1.0, arm_ratio]) * 2 / (1 + arm_ratio)
    shares = np.array([flux_ratio, 1.0]) / (1 + flux_ratio)
    for side in (0, 1):
        arm = arms[side]
        th = theta + side * np.pi + rng.normal(0, 0.04)
        hx, hy = x0 + arm * np.cos(th), y0 + arm * np.sin(th)
        hs_sig = max(0.3, 0.012 * size)
        parts.append(Blobs(hx, hy, 1.0, hs_sig * 1.3, hs_sig, th + np.pi / 2))
        fracs.append(f_lobes * shares[side] * fh)
        # lobe: clumpy cloud filling the outer part of the arm, brighter near the hotspot
        n = 60
        a = 0.38 * arm
        lx, ly = x0 + 0.62 * arm * np.cos(th), y0 + 0.62 * arm * np.sin(th)
        cloud = _cloud(lx, ly, n, a, lw * arm, th, max(0.5, 0.12 * lw * arm), rng)
        d_hot = np.hypot(cloud.x - hx, cloud.y - hy) / arm
        cloud = Blobs(
            cloud.x, cloud.y, cloud.flux * np.exp(-d_hot / 0.5), cloud.sigma_major, cloud.sigma_minor, cloud.angle
        )
        parts.append(cloud)
        fracs.append(f_lobes * shares[side] * (1 - fh) * 0.95)
        # faint jet
        nj = _n_samples(arm, 0.3)
        t, x, y, hd = _path(x0, y0, th, 0.95 * arm, nj, rng, wiggle=0.02)
        parts.append(_strand(t, x, y, hd, np.ones_like(t), np.full_like(t, max(0.3, 0.004 * size)), rng, clump=0.4))
        fracs.append(f_lobes * shares[side] * (1 - fh) * 0.05)
    return _normalise(parts, fracs, total_flux)


def _tail(x0, y0, th0, th_target, length, bend, rng, sig0, opening_deg):
    n = _n_samples(length, sig0)
    t, x, y, hd = _path(
        x0,
        y0,
        th0,
        length,
        n,
        rng,
        theta_target=th_target,
        bend_length=bend,
        curvature=rng.normal(0, 0.3) / length,
        wiggle=0.1,
    )
    sig = sig0 + t * np.tan(np.deg2rad(opening_deg))
    emis = np.exp(-t / (0.45 * length))
    return _strand(t, x, y, hd, emis, sig, rng, clump=0.35)


def head_tail(
    *,
    centre,
    size: float,
    total_flux: float,
    angle_deg: float,
    rng: np.random.Generator,
    head_fraction: float | None = None,
) -> Blobs:
    """A head-tail (narrow-angle tail) radio galaxy.

    Parameters
    ----------
    centre : (float, float)
        ``(x, y)`` of the head (the host galaxy).
    size : float
        Tail length (pixels).
    total_flux : float
        Flux density (Jy).
    angle_deg : float
        Direction in which the tail points (opposite to the galaxy's motion).
    rng : numpy.random.Generator
    head_fraction : float, optional
        Fraction of the flux in the head (default uniform 0.1-0.35).

    Returns
    -------
    Blobs
    """
    x0, y0 = _check(centre, size, total_flux)
    fh = rng.uniform(0.1, 0.35) if head_fraction is None else float(head_fraction)
    if not 0 <= fh < 1:
        raise RadioUNetError("head_tail: head_fraction must be in [0, 1)")
    theta = np.deg2rad(angle_deg)
    sig0 = max(0.3, 0.006 * size)
    parts, fracs = [Blobs(x0, y0, 1.0, sig0, sig0, 0.0)], [fh]
    spread = np.deg2rad(rng.uniform(40, 120))
    for sign in (-1, 1):
        # each jet leaves sideways and is swept back into the common tail within ~10% of its length
        parts.append(
            _tail(
                x0,
                y0,
                theta + sign * spread,
                theta,
                size * rng.uniform(0.85, 1.0),
                0.06 * size,
                rng,
                sig0,
                rng.uniform(3, 8),
            )
        )
        fracs.append(0.5 * (1 - fh))
    return _normalise(parts, fracs, total_flux)


def wide_angle_tail(
    *,
    centre,
    size: float,
    total_flux: float,
    angle_deg: float,
    rng: np.random.Generator,
    core_fraction: float | None = None,
) -> Blobs:
    """A wide-angle-tail radio galaxy: jets bending into a common direction.

    Parameters
    ----------
    centre : (float, float)
        ``(x, y)`` of the core.
    size : float
        Length of the tails (pixels).
    total_flux : float
        Flux density (Jy).
    angle_deg : float
        Direction into which the tails bend.
    rng : numpy.random.Generator
    core_fraction : float, optional
        Default uniform 0.02-0.15.

    Returns
    -------
    Blobs
    """
    x0, y0 = _check(centre, size, total_flux)
    fc = rng.uniform(0.02, 0.15) if core_fraction is None else float(core_fraction)
    if not 0 <= fc < 1:
        raise RadioUNetError("wide_angle_tail: core_fraction must be in [0, 1)")
    theta = np.deg2rad(angle_deg)
    sig0 = max(0.3, 0.005 * size)
    parts, fracs = [Blobs(x0, y0, 1.0, 0.0, 0.0, 0.0)], [fc]
    for sign in (-1, 1):
        start = theta + sign * np.deg2rad(rng.uniform(70, 115))
        parts.append(
            _tail(
                x0,
                y0,
                start,
                theta,
                size * rng.uniform(0.8, 1.0),
                size * rng.uniform(0.15, 0.35),
                rng,
                sig0,
                rng.uniform(5, 12),
            )
        )
        fracs.append(0.5 * (1 - fc))
    return _normalise(parts, fracs, total_flux)


_MODELS = {"fr1": fr1, "fr2": fr2, "head_tail": head_tail, "wide_angle_tail": wide_angle_tail}


def radio_galaxy(kind: str, **kwargs) -> Blobs:
    """Dispatch to one of the morphologies by name.

    Parameters
    ----------
    kind : {"fr1", "fr2", "head_tail", "wide_angle_tail"}
        Also accepted: "fri", "frii", "ht", "nat", "wat" and dashes for underscores.
    **kwargs
        Keyword arguments of the chosen function.

    Returns
    -------
    Blobs
    """
    key = str(kind).strip().lower().replace("-", "_")
    key = {"fri": "fr1", "frii": "fr2", "ht": "head_tail", "nat": "head_tail", "wat": "wide_angle_tail"}.get(key, key)
    if key not in _MODELS:
        raise RadioUNetError(f"unknown radio galaxy kind {kind!r}; choose one of: {', '.join(RADIO_GALAXY_KINDS)}")
    return _MODELS[key](**kwargs)
