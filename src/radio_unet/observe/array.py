"""Station layouts (LOFAR HBA and other arrays) and baseline uvw coordinates.

LOFAR HBA station phase centres come from :mod:`lofarantpos` (ETRS89, which
equals ITRF to a few centimetres, far below what matters here). The other
arrays (MeerKAT, the VLA in its B, C and D configurations, ASKAP and the MWA
Phase I) are read from the tables in ``layouts/`` next to this module: one
text file per array, antenna positions copied from maintained packages, each
file's header naming its source and the array's publication (see
:data:`ARRAYS`). Baselines are rotated to the array meridian and turned into
uvw with the hour-angle formula (Thompson, Moran & Swenson, eq. 4.1).
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np

from ..errors import RadioUNetError

__all__ = [
    "STATION_PRESETS",
    "LOFAR_STATION_SETS",
    "ARRAYS",
    "SIDEREAL_RATE",
    "Layout",
    "layout",
    "array_of",
    "array_label",
    "frequency_band",
    "station_names",
    "station_positions",
    "array_geodetic",
    "baseline_pairs",
    "hour_angles",
    "uvw_track",
    "elevation",
]

#: LOFAR HBA station sets. The Dutch core stations are split into their two
#: HBA sub-stations (``HBA0``, ``HBA1``), as in LoTSS.
LOFAR_STATION_SETS = ("core", "remote", "core+remote")


@dataclass(frozen=True)
class _ArrayInfo:
    label: str
    file: str
    band: str
    band_hz: tuple[float, float]


#: Arrays other than LOFAR, by station-set name: how messages name them, their layout table in ``layouts/`` and
#: the frequencies they observe (receiver bands, Hz).
ARRAYS: dict[str, _ArrayInfo] = {
    "meerkat": _ArrayInfo("MeerKAT", "meerkat.txt", "the MeerKAT UHF, L and S bands", (544e6, 3500e6)),
    "vla-b": _ArrayInfo("the VLA (B configuration)", "vla_b.txt", "the VLA P to Q bands", (230e6, 50e9)),
    "vla-c": _ArrayInfo("the VLA (C configuration)", "vla_c.txt", "the VLA P to Q bands", (230e6, 50e9)),
    "vla-d": _ArrayInfo("the VLA (D configuration)", "vla_d.txt", "the VLA P to Q bands", (230e6, 50e9)),
    "askap": _ArrayInfo("ASKAP", "askap.txt", "the ASKAP band", (700e6, 1800e6)),
    "mwa": _ArrayInfo("the MWA (Phase I)", "mwa_phase1.txt", "the MWA band", (70e6, 300e6)),
}

#: Named station sets: the LOFAR HBA sets and one set per array of :data:`ARRAYS` (all its antennas).
STATION_PRESETS = LOFAR_STATION_SETS + tuple(ARRAYS)

#: Earth rotation in radians of hour angle per (solar) second.
SIDEREAL_RATE = 2.0 * math.pi / 86164.0905

_LOFAR_BAND = ("the HBA band", (100e6, 250e6))


@functools.lru_cache(maxsize=1)
def _database():
    from lofarantpos.db import LofarAntennaDatabase

    return LofarAntennaDatabase()


# ---------------------------------------------------------------------- layout tables
@dataclass(frozen=True, eq=False)
class Layout:
    """Antenna positions of one array, read from its table in ``layouts/``.

    Attributes
    ----------
    name : str
        Station-set name (a key of :data:`ARRAYS`).
    label : str
        How messages name the array.
    names : tuple of str
        Antenna (pad, tile) names in table order.
    xyz : numpy.ndarray
        ``(n, 3)`` geocentric ITRF positions in metres.
    lon_rad, lat_rad : float
        Longitude and latitude of the array: the table's reference point, or
        (tables of absolute positions) the WGS84 geodetic position of the
        antennas' mean.
    frame : str
        How the table gives positions: ``"itrf"`` (X, Y, Z) or
        ``"itrf-offset"`` (X, Y, Z offsets from the reference point).
    digest : str
        SHA-256 of the table file (part of the observation cache key).
    """

    name: str
    label: str
    names: tuple[str, ...]
    xyz: np.ndarray
    lon_rad: float
    lat_rad: float
    frame: str
    digest: str


def _parse_layout(name: str, text: str, source: str) -> Layout:
    from lofarantpos.geo import geographic_from_xyz, xyz_from_geographic

    header: dict[str, str] = {}
    names, rows = [], []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            key, sep, value = stripped[1:].partition(":")
            if sep and key.strip() in ("frame", "reference"):
                header[key.strip()] = value.strip()
            continue
        parts = stripped.split()
        try:
            if len(parts) != 4:
                raise ValueError
            rows.append([float(v) for v in parts[1:]])
        except ValueError:
            raise RadioUNetError(f"{source} line {number}: expected 'name x y z' (metres), got {stripped!r}") from None
        names.append(parts[0])
    if len(names) < 2 or len(set(names)) != len(names):
        raise RadioUNetError(f"{source}: needs at least two antennas with unique names")
    xyz = np.array(rows, dtype=np.float64)
    frame = header.get("frame")
    if frame == "itrf":
        geo = geographic_from_xyz(xyz.mean(axis=0))
        lon, lat = float(geo["lon_rad"]), float(geo["lat_rad"])
    elif frame == "itrf-offset":
        try:
            ref = dict(item.split("=") for item in header["reference"].split())
            lat, lon, height = (math.radians(float(ref["lat_deg"])), math.radians(float(ref["lon_deg"])),
                                float(ref["height_m"]))
        except (KeyError, ValueError):
            raise RadioUNetError(
                f"{source}: an 'itrf-offset' table needs a '# reference: lat_deg=... lon_deg=... height_m=...' line"
            ) from None
        xyz = xyz + xyz_from_geographic(lon, lat, height)
    else:
        raise RadioUNetError(f"{source}: the header must say '# frame: itrf' or '# frame: itrf-offset', got {frame!r}")
    return Layout(name=name, label=ARRAYS[name].label, names=tuple(names), xyz=xyz, lon_rad=lon, lat_rad=lat,
                  frame=frame, digest=hashlib.sha256(text.encode()).hexdigest())


@functools.lru_cache(maxsize=None)
def layout(name: str) -> Layout:
    """The antenna table of an array of :data:`ARRAYS` (read once).

    Parameters
    ----------
    name : str
        ``"meerkat"``, ``"vla-b"``, ``"vla-c"``, ``"vla-d"``, ``"askap"`` or ``"mwa"``.

    Returns
    -------
    Layout
    """
    if name not in ARRAYS:
        raise RadioUNetError(f"no layout table for {name!r}: use one of {', '.join(ARRAYS)}")
    path = resources.files(__package__).joinpath("layouts", ARRAYS[name].file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RadioUNetError(f"cannot read the {name} layout table {ARRAYS[name].file} ({exc}); reinstall radio-unet") from None
    return _parse_layout(name, text, f"layouts/{ARRAYS[name].file}")


def _array_of_names(names: tuple[str, ...]) -> str:
    """The array an explicit tuple of station names belongs to.

    LOFAR if the first name is a LOFAR field; else the first table holding
    every name (``vla-c`` and ``vla-d`` share pads), else the first holding
    the first name; unknown first names count as LOFAR (and are reported so).
    """
    first = names[0] if names else ""
    if first in _database().phase_centres:
        return "lofar"
    holding = [key for key in ARRAYS if first in layout(key).names]
    for key in holding:
        if set(names) <= set(layout(key).names):
            return key
    return holding[0] if holding else "lofar"


def array_of(stations: str | tuple[str, ...] = "core+remote") -> str:
    """Which array a station set belongs to: ``"lofar"`` or a key of :data:`ARRAYS`.

    Parameters
    ----------
    stations : str or tuple of str
        A name of :data:`STATION_PRESETS` or explicit station names (LOFAR
        field names, or antenna names of one array's table).
    """
    if isinstance(stations, str):
        if stations in LOFAR_STATION_SETS:
            return "lofar"
        if stations in ARRAYS:
            return stations
        raise RadioUNetError(
            f"unknown station set {stations!r}: use one of {', '.join(STATION_PRESETS)} or a tuple of station names"
        )
    return _array_of_names(tuple(str(s) for s in stations))


def array_label(stations: str | tuple[str, ...] = "core+remote") -> str:
    """How messages name the array of a station set (``"LOFAR"``, ``"MeerKAT"``, ``"the VLA (C configuration)"``...)."""
    key = array_of(stations)
    return "LOFAR" if key == "lofar" else ARRAYS[key].label


def frequency_band(stations: str | tuple[str, ...] = "core+remote") -> tuple[str, float, float]:
    """The frequencies the array of a station set observes.

    Returns
    -------
    (str, float, float)
        A description for messages (``"the HBA band"`` for LOFAR) and the
        lowest and highest frequency in Hz.
    """
    key = array_of(stations)
    band, (lo, hi) = _LOFAR_BAND if key == "lofar" else (ARRAYS[key].band, ARRAYS[key].band_hz)
    return band, lo, hi


def station_names(stations: str | tuple[str, ...] = "core+remote") -> tuple[str, ...]:
    """Names of the stations (phase centres, antennas, pads or tiles) in a station set.

    Parameters
    ----------
    stations : str or tuple of str
        LOFAR HBA: ``"core"`` (48 core HBA sub-stations), ``"remote"`` (14
        remote stations), ``"core+remote"`` (the 62 Dutch stations, 1891
        baselines) or an explicit tuple of :mod:`lofarantpos` field names
        such as ``("CS001HBA0", "RS106HBA")``. Other arrays (all antennas of
        their table, see :data:`ARRAYS`): ``"meerkat"`` (64 antennas),
        ``"vla-b"``, ``"vla-c"`` and ``"vla-d"`` (27 pads each), ``"askap"`` (36 pads),
        ``"mwa"`` (128 Phase I tiles), or an explicit tuple of names from one
        table, such as ``("M000", "M001", "M063")``.

    Returns
    -------
    tuple of str
        LOFAR sets: sorted station field names; other arrays: the table's
        names in table order; explicit tuples: as given.
    """
    key = array_of(stations)
    if isinstance(stations, str):
        if key != "lofar":
            return layout(key).names
        db = _database()
        keys = sorted(db.phase_centres)
        core = tuple(k for k in keys if k.startswith("CS") and k.endswith(("HBA0", "HBA1")))
        remote = tuple(k for k in keys if k.startswith("RS") and k.endswith("HBA"))
        return {"core": core, "remote": remote, "core+remote": core + remote}[stations]
    names = tuple(str(s) for s in stations)
    if key == "lofar":
        db = _database()
        unknown = [s for s in names if s not in db.phase_centres]
        if unknown:
            hint = "" if names and names[0] in db.phase_centres else (
                f", or antenna names of one array of {', '.join(ARRAYS)} (see station_names('meerkat'))")
            raise RadioUNetError(
                f"unknown LOFAR station field(s) {unknown}: use names like 'CS001HBA0' or 'RS106HBA'{hint}")
    else:
        table = layout(key)
        unknown = [s for s in names if s not in table.names]
        if unknown:
            raise RadioUNetError(
                f"unknown antenna name(s) {unknown} for {table.label}: use names of layouts/{ARRAYS[key].file} "
                f"such as {table.names[0]!r} or {table.names[-1]!r}, all from one array"
            )
    if len(set(names)) != len(names):
        raise RadioUNetError("station names must be unique")
    if len(names) < 2:
        raise RadioUNetError("at least two stations are needed to form a baseline")
    return names


def station_positions(names: tuple[str, ...]) -> np.ndarray:
    """ITRF positions of stations (LOFAR: ETRS phase centres), shape ``(n, 3)`` in metres.

    Parameters
    ----------
    names : tuple of str
        Names from :func:`station_names`, all of one array.
    """
    names = tuple(names)
    key = _array_of_names(names)
    if key == "lofar":
        db = _database()
        return np.array([db.phase_centres[n] for n in names], dtype=np.float64)
    table = layout(key)
    index = {n: i for i, n in enumerate(table.names)}
    try:
        return table.xyz[[index[n] for n in names]].copy()
    except KeyError as exc:
        raise RadioUNetError(f"{exc.args[0]!r} is not an antenna of {table.label}: use names of one array") from None


def array_geodetic(stations: str | tuple[str, ...] = "core+remote") -> tuple[float, float]:
    """Longitude and latitude (radians) of the array of a station set (default: the LOFAR array centre).

    Parameters
    ----------
    stations : str or tuple of str
        A station set (see :func:`station_names`); LOFAR sets give the LOFAR
        array centre, other arrays the position of their table (see
        :class:`Layout`).
    """
    key = array_of(stations)
    if key != "lofar":
        table = layout(key)
        return table.lon_rad, table.lat_rad
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
        ITRF station positions, shape ``(n_stations, 3)`` (:func:`station_positions`).
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
