"""Target lists: galaxy-cluster catalogues in CSV, ECSV, FITS, VOTable or CDS fixed-width format.

:func:`read_catalog` reads a table, finds the name, position, redshift and
size (R500, or M500 turned into R500 through the critical density at the
cluster's redshift) under configurable column names, converts any astropy
frame to ICRS degrees and returns an :class:`astropy.table.Table` with the
standard columns

``name, ra, dec, z, r500_mpc, r500_arcmin`` (+ ``label``, ``positive`` with a label column)

Rows with missing or impossible values (NaN, masked, z <= 0, M500 <= 0,
R500 <= 0, |Dec| > 90, unreadable coordinates) are never used silently: they
are skipped, counted and listed one line each in ``table.meta["rejected"]``.

Examples
--------
>>> from radio_unet.targets.catalog import read_catalog
>>> t = read_catalog("psz2.dat.txt", readme="psz2.ReadMe.txt")  # doctest: +SKIP
>>> len(t), len(t.meta["rejected"])  # doctest: +SKIP
(1094, 559)
"""

from __future__ import annotations

import fnmatch
import gzip
import re
from os import PathLike
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from astropy import units as u
from astropy.table import MaskedColumn, Table

from ..cosmology import get_cosmology, kpc_per_arcsec, r500_kpc
from ..errors import InputError, RadioUNetError

__all__ = [
    "DEFAULT_COLUMNS",
    "DEFAULT_POSITIVE",
    "MISSING_LABELS",
    "STANDARD_COLUMNS",
    "read_table",
    "find_column",
    "map_labels",
    "r500_from_m500",
    "read_catalog",
    "format_rejected",
]

#: The columns of every table :func:`read_catalog` returns (``label``/``positive`` only with labels).
STANDARD_COLUMNS = ("name", "ra", "dec", "z", "r500_mpc", "r500_arcmin")

#: Column names tried in order when none is given (compared without case, ``_``, ``-`` or spaces).
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "cluster", "clustername", "target", "object", "source", "sourcename", "id"),
    "ra": ("ra", "radeg", "raj2000", "raicrs", "rafk5", "ra2000", "radegj2000", "rabcg", "rax", "rasz"),
    "dec": ("dec", "decdeg", "dedeg", "dej2000", "decj2000", "deicrs", "decicrs", "defk5", "dec2000", "de",
            "decbcg", "decx", "decsz"),
    "glon": ("glon", "l", "lon", "galon", "ll"),
    "glat": ("glat", "b", "lat", "galat", "bb"),
    "z": ("z", "redshift", "zspec", "zbest", "zcl", "zphot"),
    "r500": ("r500", "r500mpc", "r500arcmin", "r500kpc", "r500c", "theta500", "r500deg"),
    "m500": ("m500", "m500c", "msz", "m500sz", "mass"),
    "label": ("label",),
}

#: Label values counted as positive when the user gives none: the paper's DE (diffuse
#: emission) and DEU (diffuse emission, uncertain); for 0/1 or true/false columns: 1/true.
DEFAULT_POSITIVE = ("DE", "DEU")
_BOOLEAN_POSITIVE = ("1", "true", "yes", "y", "t")
_BOOLEAN_VALUES = {"0", "1", "true", "false", "yes", "no", "y", "n", "t", "f", "1.0", "0.0"}
#: Label texts that mean "no label" (the row is measured but left out of the threshold sweep).
MISSING_LABELS = {"", "--", "-", "?", "na", "n/a", "nan", "none", "null", "unknown"}

_COMPRESSION = (".gz", ".bz2", ".xz")
_FORMATS = {
    ".csv": "ascii.csv",
    ".ecsv": "ascii.ecsv",
    ".fits": "fits",
    ".fit": "fits",
    ".fts": "fits",
    ".xml": "votable",
    ".vot": "votable",
    ".votable": "votable",
    ".tsv": "ascii.tab",
}


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-.()\[\]]", "", str(name)).lower()


def find_column(table: Table, requested: str | None, kind: str, *, required: bool = True, path: str = "catalogue"):
    """Name of the column holding ``kind`` (``"ra"``, ``"z"``...), given or found among :data:`DEFAULT_COLUMNS`.

    Parameters
    ----------
    table : astropy.table.Table
    requested : str or None
        The user's column name (matched exactly first, then without case).
    kind : str
        Key of :data:`DEFAULT_COLUMNS`.
    required : bool
        Raise when nothing is found; otherwise return None.
    path : str
        Named in error messages.

    Returns
    -------
    str or None
    """
    names = list(table.colnames)
    if requested:
        if requested in names:
            return requested
        folded = [n for n in names if n.lower() == requested.lower()]
        if len(folded) == 1:
            return folded[0]
        raise InputError(path, f"no column {requested!r} for {kind} (columns: {', '.join(names)})")
    by_norm = {}
    for n in names:
        by_norm.setdefault(_norm(n), n)
    for candidate in DEFAULT_COLUMNS[kind]:
        if candidate in by_norm:
            return by_norm[candidate]
    if required:
        option = {"glon": "ra", "glat": "dec"}.get(kind, kind)
        raise InputError(
            path, f"cannot find the {kind} column (tried {', '.join(DEFAULT_COLUMNS[kind])}); "
                  f"name it with --{option.replace('_', '-')}-column (columns: {', '.join(names)})")
    return None


def _strip_compression(name: str) -> str:
    for ext in _COMPRESSION:
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name


def _text_lines(path: Path) -> list[str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="latin-1") as fh:  # CDS files are ASCII; never fail on a stray byte
        return fh.read().splitlines()


def _find_readme(path: Path) -> Path | None:
    base = _strip_compression(path.name).split(".")[0]
    for name in ("ReadMe", "ReadMe.txt", "README", f"{base}.ReadMe", f"{base}.ReadMe.txt", f"{base}.readme",
                 f"{base}_ReadMe.txt"):
        candidate = path.parent / name
        if candidate.is_file() and candidate != path:
            return candidate
    return None


def _cds_table_names(readme_lines: Sequence[str]) -> list[list[str]]:
    """File-name patterns of every 'Byte-by-byte Description of file:' section."""
    sections = []
    for line in readme_lines:
        m = re.match(r"\s*Byte-by-byte Description of file:\s*(?P<names>.+)$", line, re.IGNORECASE)
        if m:
            sections.append([s for s in re.split(r"[,\s]+", m.group("names")) if s])
    return sections


def _choose_cds_table(path: Path, readme: Path, sections: list[list[str]], table: str | None) -> str:
    if not sections:
        raise InputError(readme, "not a CDS ReadMe (no 'Byte-by-byte Description of file:' section)")
    if table:
        return table
    name = _strip_compression(path.name)
    tries = [name]
    while "." in tries[-1]:
        tries.append(tries[-1].rsplit(".", 1)[0])  # psz2.dat.txt -> psz2.dat -> psz2
    for candidate in tries:
        for patterns in sections:
            for pattern in patterns:
                if fnmatch.fnmatch(candidate, pattern):
                    return pattern if "*" not in pattern and "?" not in pattern else candidate
    if len(sections) == 1 and len(sections[0]) == 1:
        return sections[0][0]
    listed = ", ".join(p for s in sections for p in s)
    raise InputError(path, f"cannot tell which table of {readme.name} describes this file ({listed}); "
                           "name it with --cds-table")


def _read_cds(path: Path, readme: Path | None, table: str | None) -> Table:
    from astropy.io import ascii
    from astropy.io.ascii import Cds

    lines = _text_lines(path)
    if readme is None:  # header embedded in the data file
        return ascii.read(lines, format="cds")
    readme = Path(readme)
    if not readme.is_file():
        raise InputError(readme, "no such ReadMe file")
    name = _choose_cds_table(path, readme, _cds_table_names(_text_lines(readme)), table)
    reader = ascii.get_reader(Cds, readme=str(readme))
    reader.data.table_name = name  # the data file may be named differently from the ReadMe's entry
    return reader.read(lines)


def read_table(
    path: str | PathLike, *, format: str | None = None, readme: str | PathLike | None = None, cds_table: str | None = None
) -> Table:
    """Read any table astropy reads: CSV, ECSV, FITS, VOTable, CDS fixed-width (with its ReadMe), other ASCII.

    Parameters
    ----------
    path : str or path-like
    format : str, optional
        An astropy format name (``"ascii.csv"``, ``"fits"``, ``"votable"``,
        ``"cds"``...); guessed from the name and content when omitted.
    readme : str or path-like, optional
        The CDS ReadMe that describes a fixed-width data file. When omitted for
        a ``.dat``/``.txt`` file, a ``ReadMe``/``<name>.ReadMe[.txt]`` next to
        it is used if present.
    cds_table : str, optional
        Which table of the ReadMe describes the file (e.g. ``"psz2.dat"``);
        found from the data file's name when omitted.

    Returns
    -------
    astropy.table.Table
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a folder, not a table")
    if path.stat().st_size == 0:
        raise InputError(path, "empty file")
    suffix = Path(_strip_compression(path.name)).suffix.lower()
    fmt = format
    if fmt is None:
        if readme is not None:
            fmt = "cds"
        elif suffix in _FORMATS:
            fmt = _FORMATS[suffix]
        else:
            head = "\n".join(_text_lines(path)[:200]) if suffix not in (".fits", ".fit") else ""
            if re.search(r"Byte-by-byte Description", head, re.IGNORECASE):
                fmt = "cds"
            elif suffix in (".dat", ".txt", "") and (found := _find_readme(path)) is not None:
                fmt, readme = "cds", found
    try:
        if fmt == "cds":
            table = _read_cds(path, Path(readme) if readme is not None else None, cds_table)
        elif fmt is None:
            table = Table.read(path)
        else:
            table = Table.read(path, format=fmt)
    except RadioUNetError:
        raise
    except Exception as exc:  # noqa: BLE001 - astropy raises many kinds
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(path, f"cannot read as a {fmt or 'table'} ({text})") from None
    if len(table) == 0:
        raise InputError(path, "the table has no rows")
    return table


def _as_float(column, *, unit: u.UnitBase | None = None, name: str = "") -> np.ndarray:
    """Column values as float64, NaN where masked or unreadable, converted to ``unit`` if it has one."""
    col = column
    if getattr(col, "unit", None) is not None and unit is not None:
        try:
            scale = u.Unit(col.unit).to(unit)
        except (u.UnitConversionError, ValueError, TypeError):
            raise RadioUNetError(f"column {name!r} is in {col.unit}, which does not convert to {unit}") from None
    else:
        scale = 1.0
    mask = np.ma.getmaskarray(col) if hasattr(col, "mask") else np.zeros(len(col), bool)
    values = np.asarray(col)
    if values.dtype.kind in "fiub":
        out = values.astype(float)
    else:
        out = np.full(len(values), np.nan)
        for i, v in enumerate(values):
            try:
                out[i] = float(str(v).strip())
            except ValueError:
                pass
    out = out * scale
    out[mask] = np.nan
    return out


def _unit_of(column) -> u.UnitBase | None:
    unit = getattr(column, "unit", None)
    if unit is None:
        return None
    try:
        unit = u.Unit(unit)
    except (ValueError, TypeError):
        return None
    return None if unit == u.dimensionless_unscaled else unit


def _parse_unit(text: str | u.UnitBase, what: str) -> u.UnitBase:
    if isinstance(text, u.UnitBase):
        return text
    cleaned = str(text).replace("Msun", "solMass").replace("Msol", "solMass").replace("msun", "solMass")
    cleaned = re.sub(r"10\^?\+?(\d+)", r"1e\1", cleaned)
    try:
        return u.Unit(cleaned)
    except ValueError:
        raise RadioUNetError(f"cannot understand the {what} unit {text!r}") from None


def _angles(column, *, hours_if_text: bool, unit: u.UnitBase | None, name: str) -> np.ndarray:
    """Angles in degrees from numbers (with unit, given unit or degrees) or sexagesimal text; NaN if unreadable."""
    from astropy.coordinates import Angle

    col_unit = _unit_of(column)
    values = np.asarray(column)
    mask = np.ma.getmaskarray(column) if hasattr(column, "mask") else np.zeros(len(column), bool)
    if values.dtype.kind in "fiu":
        use = unit if unit is not None else (col_unit if col_unit is not None else u.deg)
        try:
            scale = use.to(u.deg)
        except u.UnitConversionError:
            raise RadioUNetError(f"column {name!r} is in {use}, which is not an angle") from None
        out = values.astype(float) * scale
        out[mask] = np.nan
        return out
    text_unit = unit if unit is not None else (u.hourangle if hours_if_text else u.deg)
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if mask[i]:
            continue
        s = str(v).strip()
        try:
            out[i] = float(s) * (unit.to(u.deg) if unit is not None else 1.0)  # plain decimal degrees
            continue
        except ValueError:
            pass
        try:
            out[i] = Angle(s, unit=text_unit).to_value(u.deg)
        except Exception:  # noqa: BLE001 - unreadable text stays NaN and the row is reported
            pass
    return out


def r500_from_m500(m500_1e14msun, z, *, cosmology=None) -> np.ndarray:
    """R500 in Mpc from M500 in 1e14 solar masses: ``(3 M500 / (4 pi 500 rho_c(z)))^(1/3)``.

    A thin wrapper of :func:`radio_unet.cosmology.r500_kpc` (flat
    Lambda-CDM, H0 = 70, Om0 = 0.3 unless ``cosmology`` is given).

    Parameters
    ----------
    m500_1e14msun : float or array_like
        Positive masses in units of 1e14 Msun.
    z : float or array_like
        Positive redshifts.
    cosmology : astropy.cosmology.Cosmology, optional

    Returns
    -------
    float or numpy.ndarray
        R500 in Mpc.
    """
    r = np.asarray(r500_kpc(np.asarray(m500_1e14msun, float) * 1e14, z, cosmology=cosmology)) / 1000.0
    return float(r) if r.ndim == 0 else r


def _label_texts(column) -> list[str]:
    mask = np.ma.getmaskarray(column) if hasattr(column, "mask") else np.zeros(len(column), bool)
    out = []
    for value, masked in zip(np.asarray(column), mask):
        if masked:
            out.append("")
            continue
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, (float, np.floating)) and not np.isfinite(value):
            out.append("")
            continue
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        out.append(str(value).strip())
    return out


def map_labels(
    labels: Iterable, *, positive: Iterable[str] | None = None, negative: Iterable[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Map label values to positive/negative classes.

    Parameters
    ----------
    labels : iterable
        Label values (text, numbers or booleans); compared as stripped text
        without case.
    positive : iterable of str, optional
        Values counted as positive. Default: :data:`DEFAULT_POSITIVE`
        (``DE``, ``DEU``), or ``1``/``true``/``yes`` when every label is a
        0/1 or true/false value.
    negative : iterable of str, optional
        Values counted as negative. Default: every other value that is not
        missing. When given, values in neither list are left unlabelled.

    Returns
    -------
    positive, known : numpy.ndarray of bool
        ``positive[i]`` is the class of row ``i``; ``known[i]`` is False for
        missing labels (empty, ``N/A``, ``?``...) and, when ``negative`` is
        given, for values in neither list.

    Raises
    ------
    RadioUNetError
        If a value is both positive and negative.
    """
    texts = [str(v).strip() for v in labels]
    folded = [t.lower() for t in texts]
    present = {t for t in folded if t not in MISSING_LABELS}
    if positive is None:
        pos = set(_BOOLEAN_POSITIVE) if present and present <= _BOOLEAN_VALUES else {p.lower() for p in DEFAULT_POSITIVE}
        if pos == set(_BOOLEAN_POSITIVE):
            pos |= {"1.0"}
    else:
        pos = {str(p).strip().lower() for p in positive if str(p).strip()}
    neg = None if negative is None else {str(n).strip().lower() for n in negative if str(n).strip()}
    if neg is not None and pos & neg:
        raise RadioUNetError(f"label values both positive and negative: {', '.join(sorted(pos & neg))}")
    is_pos = np.array([t in pos for t in folded], bool)
    known = np.array([t not in MISSING_LABELS for t in folded], bool)
    if neg is not None:
        known &= is_pos | np.array([t in neg for t in folded], bool)
    return is_pos & known, known


def format_rejected(rejected: Sequence[str], *, limit: int | None = 20) -> str:
    """The rejected-row report as text: a count line, then up to ``limit`` rows (all when None)."""
    if not rejected:
        return "0 rows skipped"
    shown = list(rejected if limit is None else rejected[:limit])
    lines = [f"{len(rejected)} row(s) skipped (missing or impossible values):"] + [f"  {r}" for r in shown]
    if len(shown) < len(rejected):
        lines.append(f"  ... and {len(rejected) - len(shown)} more")
    return "\n".join(lines)


def _catalog_columns(table: Table, source: str, *, galactic: bool, name: str | None, ra: str | None,
                     dec: str | None, z: str | None, r500: str | None, m500: str | None,
                     label: str | None) -> dict[str, str | None]:
    """Columns :func:`read_catalog` uses, keyed ``name, ra, dec, z, r500, m500, label`` (None: not used).

    With ``galactic`` the ``ra``/``dec`` entries are the longitude and latitude
    columns. Exactly one of ``r500`` and ``m500`` is set.

    Raises
    ------
    radio_unet.errors.InputError
        If a required column, or both size columns, cannot be found.
    """
    cols = {
        "name": find_column(table, name, "name", required=False, path=source),
        "ra": find_column(table, ra, "glon" if galactic else "ra", path=source),
        "dec": find_column(table, dec, "glat" if galactic else "dec", path=source),
        "z": find_column(table, z, "z", path=source),
        "r500": find_column(table, r500, "r500", required=False, path=source) if m500 is None or r500 else None,
        "m500": None,
    }
    if cols["r500"] is None:
        cols["m500"] = find_column(table, m500, "m500", required=False, path=source)
        if cols["m500"] is None:
            raise InputError(source, "cannot find an R500 or M500 column (tried "
                             f"{', '.join(DEFAULT_COLUMNS['r500'] + DEFAULT_COLUMNS['m500'])}); name one with "
                             f"--r500-column or --m500-column (columns: {', '.join(table.colnames)})")
    cols["label"] = find_column(table, label, "label", required=label is not None, path=source)
    return cols


def _target_names(table: Table, name_col: str | None) -> list[str]:
    """Row names from ``name_col``; ``target<N>`` (1-based row number) where missing or empty."""
    names = _label_texts(table[name_col]) if name_col else [f"target{i + 1}" for i in range(len(table))]
    return [nm if nm else f"target{i + 1}" for i, nm in enumerate(names)]


def _positions(table: Table, cols: dict, *, galactic: bool, coord_unit: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude in degrees (NaN where unreadable) from the ``ra``/``dec`` columns."""
    ra_unit = _parse_unit(coord_unit, "coordinate") if coord_unit else None
    lon = _angles(table[cols["ra"]], hours_if_text=not galactic, unit=ra_unit, name=cols["ra"])
    lat = _angles(table[cols["dec"]], hours_if_text=False, unit=None, name=cols["dec"])
    return lon, lat


def _r500_unit(table: Table, r_col: str, r500_unit: str | None) -> u.UnitBase:
    """Unit of the R500 column: given, else the column's own, else from its name, else Mpc."""
    if r500_unit:
        unit = _parse_unit(r500_unit, "R500")
    elif _unit_of(table[r_col]) is not None:
        unit = _unit_of(table[r_col])
    else:
        low = r_col.lower()
        unit = u.arcmin if "arcmin" in low else u.arcsec if "arcsec" in low else u.kpc if "kpc" in low else (
            u.deg if low.endswith("deg") else u.Mpc)
    if unit.physical_type not in ("length", "angle"):
        raise RadioUNetError(f"R500 unit {unit} is neither a length nor an angle")
    return unit


def _m500_values(table: Table, m_col: str, m500_unit: str | None) -> np.ndarray:
    """M500 in units of 1e14 Msun (NaN where missing): given unit, else the column's own, else 1e14 Msun."""
    if m500_unit:
        unit = _parse_unit(m500_unit, "M500")
        return _as_float(table[m_col], name=m_col) * unit.to(1e14 * u.solMass)
    if _unit_of(table[m_col]) is not None:
        return _as_float(table[m_col], unit=1e14 * u.solMass, name=m_col)
    return _as_float(table[m_col], name=m_col)


def _sizes(table: Table, cols: dict, *, r500_unit: str | None,
           m500_unit: str | None) -> tuple[str, u.UnitBase, np.ndarray]:
    """Cluster sizes: ``(kind, unit, values)`` with kind ``"r500"`` or ``"m500"`` (values in ``unit``)."""
    if cols["r500"] is not None:
        unit = _r500_unit(table, cols["r500"], r500_unit)
        return "r500", unit, _as_float(table[cols["r500"]], name=cols["r500"])  # numbers in ``unit``
    return "m500", 1e14 * u.solMass, _m500_values(table, cols["m500"], m500_unit)


def _position_checks(table: Table, cols: dict, lon: np.ndarray, lat: np.ndarray) -> list:
    """``(bad, text)`` checks of the positions: unreadable longitude or latitude, latitude beyond +-90."""
    lon_col, lat_col = cols["ra"], cols["dec"]
    raw_lon, raw_lat = np.asarray(table[lon_col]), np.asarray(table[lat_col])
    return [
        (~np.isfinite(lon), lambda i: f"{lon_col}={raw_lon[i]!s} unreadable"),
        (~np.isfinite(lat), lambda i: f"{lat_col}={raw_lat[i]!s} unreadable"),
        (np.isfinite(lat) & (np.abs(lat) > 90), lambda i: f"{lat_col}={lat[i]:g} outside [-90, 90]"),
    ]


def _positive_checks(values: np.ndarray, col: str) -> list:
    """``(bad, text)`` checks that ``values`` are present and > 0."""
    return [
        (~np.isfinite(values), f"{col} missing"),
        (np.isfinite(values) & (values <= 0), lambda i: f"{col}={values[i]:g} (must be > 0)"),
    ]


def _row_problems(n: int, checks: Sequence) -> list[list[str]]:
    """Problems of each of ``n`` rows from ``(bad, text)`` checks, in check order.

    ``text`` is a string or a function of the row index.
    """
    problems: list[list[str]] = [[] for _ in range(n)]
    for bad, text in checks:
        for i in np.flatnonzero(bad):
            problems[i].append(text(i) if callable(text) else text)
    return problems


def _to_icrs(lon: np.ndarray, lat: np.ndarray, frame: str) -> tuple[np.ndarray, np.ndarray]:
    """ICRS RA and Dec in degrees of positions in ``frame`` (degrees)."""
    from astropy.coordinates import SkyCoord

    if not lon.size:
        return np.full(0, np.nan), np.full(0, np.nan)
    try:
        coords = SkyCoord(lon * u.deg, lat * u.deg, frame=frame).icrs
    except Exception as exc:  # noqa: BLE001 - unknown frame names and the like
        raise RadioUNetError(f"cannot use coordinate frame {frame!r} ({str(exc).splitlines()[0]})") from None
    return coords.ra.deg, coords.dec.deg


def _r500_both(size_kind: str, size_unit: u.UnitBase, size: np.ndarray, z: np.ndarray,
               cosmo) -> tuple[np.ndarray, np.ndarray]:
    """``(r500_mpc, r500_arcmin)`` from sizes (M500, or R500 as a length or an angle) at redshifts ``z``."""
    scale = np.asarray(kpc_per_arcsec(z, cosmology=cosmo), float) if z.size else np.zeros(0)
    if size_kind == "m500":
        r500_mpc = np.asarray(r500_from_m500(size, z, cosmology=cosmo), float) if z.size else np.zeros(0)
        return r500_mpc, r500_mpc * 1000.0 / scale / 60.0
    if size_unit.physical_type == "length":
        r500_mpc = size * size_unit.to(u.Mpc)
        return r500_mpc, r500_mpc * 1000.0 / scale / 60.0
    r500_arcmin = size * size_unit.to(u.arcmin)
    return r500_arcmin * 60.0 * scale / 1000.0, r500_arcmin


def _text_array(texts: Sequence[str]) -> np.ndarray:
    """``texts`` as a numpy str array (``<U1`` when empty)."""
    return np.array(texts, dtype=str) if len(texts) else np.zeros(0, dtype="U1")


def _standard_table(names, ra, dec, z, r500_mpc, r500_arcmin) -> Table:
    """The :data:`STANDARD_COLUMNS` table, with units."""
    out = Table()
    out["name"] = _text_array(names)
    out["ra"] = ra
    out["dec"] = dec
    out["z"] = z
    out["r500_mpc"] = r500_mpc
    out["r500_arcmin"] = r500_arcmin
    for col, un in (("ra", u.deg), ("dec", u.deg), ("r500_mpc", u.Mpc), ("r500_arcmin", u.arcmin)):
        out[col].unit = un
    return out


def _unlabelled_line(row: int, name: str, text: str) -> str:
    """Report line of the kept row ``row`` (0-based) whose label ``text`` is missing or in neither class."""
    missing = text.lower() in MISSING_LABELS
    problem = "no label" if missing else f"label {text!r} is neither positive nor negative"
    return f"row {row + 1} ({name}): " + problem + (f" ({text!r})" if missing and text else "")


def _labels(column, idx: np.ndarray, names: Sequence[str], *, positive, negative):
    """``(label, positive, unlabelled)`` of the kept rows ``idx``: texts, masked classes, report lines."""
    texts = _label_texts(column)
    is_pos, known = map_labels(texts, positive=positive, negative=negative)
    unlabelled = [_unlabelled_line(i, names[i], texts[i]) for i in idx if not known[i]]
    return _text_array([texts[i] for i in idx]), MaskedColumn(is_pos[idx], mask=~known[idx]), unlabelled


def _catalog_meta(source: str, n_input: int, rejected: list[str], unlabelled: list[str], cols: dict,
                  size_kind: str, frame: str, cosmo) -> dict:
    """The ``meta`` of :func:`read_catalog`'s table (see its Returns)."""
    return {
        "source": source,
        "n_input": n_input,
        "rejected": rejected,
        "unlabelled": unlabelled,
        "columns": {"name": cols["name"], "ra": cols["ra"], "dec": cols["dec"], "z": cols["z"],
                    size_kind: cols[size_kind], "label": cols["label"]},
        "frame": frame,
        "cosmology": (f"FlatLambdaCDM(H0={cosmo.H0.value:g}, Om0={cosmo.Om0:g})" if hasattr(cosmo, "Om0")
                      else str(cosmo)),
    }


def read_catalog(
    path: str | PathLike | Table,
    *,
    name_column: str | None = None,
    ra_column: str | None = None,
    dec_column: str | None = None,
    z_column: str | None = None,
    r500_column: str | None = None,
    r500_unit: str | None = None,
    m500_column: str | None = None,
    m500_unit: str | None = None,
    label_column: str | None = None,
    positive: Iterable[str] | None = None,
    negative: Iterable[str] | None = None,
    frame: str = "icrs",
    coord_unit: str | None = None,
    format: str | None = None,
    readme: str | PathLike | None = None,
    cds_table: str | None = None,
    cosmology=None,
) -> Table:
    """Read a target list and return the standard table of valid targets.

    Parameters
    ----------
    path : str, path-like or astropy.table.Table
        The catalogue (see :func:`read_table`), or a table already in memory.
    name_column, ra_column, dec_column, z_column : str, optional
        Column names; found among :data:`DEFAULT_COLUMNS` when omitted (the
        name column is optional: ``target<N>`` is used without one). With
        ``frame="galactic"`` the position columns are longitude and latitude.
    r500_column : str, optional
        R500 column. Its unit comes from ``r500_unit``, else from the column's
        own unit, else from its name (``..._arcmin``, ``..._kpc``), else Mpc.
    r500_unit : str, optional
        ``"Mpc"``, ``"kpc"``, ``"arcmin"``, ``"arcsec"``, ``"deg"``...
    m500_column : str, optional
        M500 column, used when there is no R500 column (or when named).
    m500_unit : str, optional
        Its unit when the column has none; default ``1e14 Msun``.
    label_column : str, optional
        A class column (``NDE``/``DE``/``DEU`` or anything); a column named
        ``label`` is used when this is omitted.
    positive, negative : iterable of str, optional
        Label mapping, see :func:`map_labels`.
    frame : str
        Astropy frame of the coordinates (``icrs``, ``fk5``, ``fk4``,
        ``galactic``...); they are converted to ICRS.
    coord_unit : str, optional
        Unit of numeric RA values (``"deg"`` or ``"hourangle"``) when the
        column does not say; default degrees. Sexagesimal text RA is read as
        hours, Dec as degrees.
    format, readme, cds_table :
        Passed to :func:`read_table`.
    cosmology : astropy.cosmology.Cosmology, optional
        Default flat Lambda-CDM, H0 = 70 km/s/Mpc, Om0 = 0.3.

    Returns
    -------
    astropy.table.Table
        Columns ``name`` (str), ``ra``, ``dec`` (ICRS, deg), ``z``,
        ``r500_mpc``, ``r500_arcmin`` and with a label column ``label`` (the
        original text) and ``positive`` (bool, masked where unlabelled).
        ``meta`` holds ``source``, ``n_input`` (rows read), ``rejected``
        (one line per skipped row: row number, name and every problem),
        ``unlabelled`` (rows kept but without a usable label), the columns
        used and the cosmology.

    Raises
    ------
    radio_unet.errors.InputError
        For an unreadable file or a required column that cannot be found.
    """
    source = "table" if isinstance(path, Table) else str(path)
    table = path if isinstance(path, Table) else read_table(path, format=format, readme=readme, cds_table=cds_table)
    cosmo = cosmology if cosmology is not None else get_cosmology()
    frame = str(frame).lower()
    galactic = frame in ("galactic", "gal")
    cols = _catalog_columns(table, source, galactic=galactic, name=name_column, ra=ra_column, dec=dec_column,
                            z=z_column, r500=r500_column, m500=m500_column, label=label_column)
    names = _target_names(table, cols["name"])
    lon, lat = _positions(table, cols, galactic=galactic, coord_unit=coord_unit)
    z = _as_float(table[cols["z"]], name=cols["z"])
    size_kind, size_unit, size = _sizes(table, cols, r500_unit=r500_unit, m500_unit=m500_unit)
    problems = _row_problems(len(table), _position_checks(table, cols, lon, lat) + _positive_checks(z, cols["z"])
                             + _positive_checks(size, cols[size_kind]))
    rejected = [f"row {i + 1} ({names[i]}): {'; '.join(p)}" for i, p in enumerate(problems) if p]
    idx = np.flatnonzero(np.array([not p for p in problems], bool))

    ra, dec = _to_icrs(lon[idx], lat[idx], frame)
    out = _standard_table([names[i] for i in idx], ra, dec, z[idx],
                          *_r500_both(size_kind, size_unit, size[idx], z[idx], cosmo))
    unlabelled: list[str] = []
    if cols["label"] is not None:
        out["label"], out["positive"], unlabelled = _labels(table[cols["label"]], idx, names,
                                                            positive=positive, negative=negative)
    out.meta.update(_catalog_meta(source, len(table), rejected, unlabelled, cols, size_kind, frame, cosmo))
    return out
