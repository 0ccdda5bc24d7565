"""LOFAR HBA station layout and baseline uvw coordinates.

Station phase centres come from :mod:`lofarantpos` (ETRS89, which equals ITRF
to a few centimetres, far below what matters here). Baselines are rotated to
the array meridian and turned into uvw with the hour-angle formula
(Thompson, Moran & Swenson, eq. 4.1).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..errors import RadioUNetError

__all__ = [
    "STATION_PRESETS",
    "SIDEREAL_RATE",
    "station_names",
    "station_positions",
    "array_geodetic",
    "baseline_pairs",
    "hour_angles",
    "uvw_track",
    "elevation",
]

#: Named station sets (HBA fields). The Dutch core stations are split into
#: their two HBA sub-stations (``HBA0``, ``HBA1``), as in LoTSS.
STATION_PRESETS = ("core", "remote", "core+remote")

#: Earth rotation in radians of hour angle per (solar) second.
SIDEREAL_RATE = 2.0 * math.pi / 86164.0905


@functools.lru_cache(maxsize=1)
def _database():
    from lofarantpos.db import LofarAntennaDatabase

    return LofarAntennaDatabase()


def station_names(stations: str | tuple[str, ...] = "core+remote") -> tuple[str, ...]:
    """Names of the HBA stations (phase centres) in a station set.

    Parameters
    ----------
    stations : str or tuple of str
        ``"core"`` (48 core HBA sub-stations), ``"remote"`` (14 remote
        stations), ``"core+remote"`` (the 62 Dutch stations, 1891 baselines)
        or an explicit tuple of :mod:`lofarantpos` field names such as
        ``("CS001HBA0", "RS106HBA")``.

    Returns
    -------
    tuple of str
        Sorted station field names.
    """
    db = _database()
    keys = sorted(db.phase_centres)
    core = tuple(k for k in keys if k.startswith("CS") and k.endswith(("HBA0", "HBA1")))
    remote = tuple(k for k in keys if k.startswith("RS") and k.endswith("HBA"))
    if isinstance(stations, str):
        if stations == "core":
            return core
        if stations == "remote":
            return remote
        if stations == "core+remote":
            return core + remote
        raise RadioUNetError(
            f"unknown station set {stations!r}: use one of {', '.join(STATION_PRESETS)} or a tuple of station names"
        )
    names = tuple(str(s) for s in stations)
    unknown = [s for s in names if s not in db.phase_centres]
    if unknown:
        raise RadioUNetError(f"unknown LOFAR station field(s) {unknown}: use names like 'CS001HBA0' or 'RS106HBA'")
    if len(set(names)) != len(names):
        raise RadioUNetError("station names must be unique")
    if len(names) < 2:
        raise RadioUNetError("at least two stations are needed to form a baseline")
    return names


def station_positions(names: tuple[str, ...]) -> np.ndarray:
    """ETRS/ITRF phase-centre positions of stations, shape ``(n, 3)`` in metres."""
    db = _database()
    return np.array([db.phase_centres[n] for n in names], dtype=np.float64)


def array_geodetic() -> tuple[float, float]:
    """Longitude and latitude of the LOFAR array centre in radians."""
    from lofarantpos.geo import LOFAR_XYZ0_m, geographic_from_xyz

    geo = geographic_from_xyz(LOFAR_XYZ0_m)
    return float(geo["lon_rad"]), float(geo["lat_rad"])


def baseline_pairs(n_stations: int) -> tuple[np.ndarray, np.ndarray]:
    """Station indices ``(ant1, ant2)`` of all cross-correlations, ``ant1 < ant2``."""
    ant1, ant2 = np.triu_indices(n_stations, k=1)
    return ant1.astype(np.int32), ant2.astype(np.int32)


def hour_angles(*, hours: float, time_step_s: float) -> np.ndarray:
    """Local hour angles (radians) of integration centres, symmetric around transit.

    Parameters
    ----------
    hours : float
        Track length in hours.
    time_step_s : float
        Integration time in seconds.
    """
    n = max(1, int(round(hours * 3600.0 / time_step_s)))
    t = (np.arange(n) + 0.5) * time_step_s - 0.5 * n * time_step_s
    return t * SIDEREAL_RATE


def elevation(hour_angle: np.ndarray, *, dec_rad: float, lat_rad: float) -> np.ndarray:
    """Elevation (radians) of a source at ``dec_rad`` seen from latitude ``lat_rad``."""
    s = math.sin(lat_rad) * math.sin(dec_rad) + math.cos(lat_rad) * math.cos(dec_rad) * np.cos(hour_angle)
    return np.arcsin(np.clip(s, -1.0, 1.0))


def uvw_track(
    positions: np.ndarray,
    *,
    hour_angle: np.ndarray,
    dec_rad: float,
    lon_rad: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """uvw (metres) of every baseline at every hour angle.

    Parameters
    ----------
    positions : numpy.ndarray
        ITRF station positions, shape ``(n_stations, 3)``.
    hour_angle : numpy.ndarray
        Local hour angles (radians) of the integrations.
    dec_rad : float
        Declination of the phase centre.
    lon_rad : float
        Longitude of the array (defines the local meridian).

    Returns
    -------
    uvw : numpy.ndarray
        Shape ``(n_times * n_baselines, 3)``, float64, metres; rows are
        time-major (all baselines of the first integration first).
    ant1, ant2 : numpy.ndarray
        Station index of each row.
    time_index : numpy.ndarray
        Integration index of each row.
    """
    ant1, ant2 = baseline_pairs(len(positions))
    b = positions[ant2] - positions[ant1]
    cl, sl = math.cos(lon_rad), math.sin(lon_rad)
    bx = b[:, 0] * cl + b[:, 1] * sl  # towards the local meridian at the equator
    by = -b[:, 0] * sl + b[:, 1] * cl  # towards the east
    bz = b[:, 2]
    h = np.asarray(hour_angle, dtype=np.float64)[:, None]
    sh, ch = np.sin(h), np.cos(h)
    sd, cd = math.sin(dec_rad), math.cos(dec_rad)
    u = sh * bx + ch * by
    v = -sd * ch * bx + sd * sh * by + cd * bz
    w = cd * ch * bx - cd * sh * by + sd * bz
    uvw = np.stack([u.ravel(), v.ravel(), w.ravel()], axis=1)
    nt, nb = h.shape[0], b.shape[0]
    time_index = np.repeat(np.arange(nt, dtype=np.int32), nb)
    return uvw, np.tile(ant1, nt), np.tile(ant2, nt), time_index
