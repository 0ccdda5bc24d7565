"""Tests of target-list reading: formats, columns, frames, units, R500 from M500, labels, bad rows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from astropy import units as u
from astropy.table import Table

from radio_unet.conftest import SHARED_DATA
from radio_unet.errors import InputError, RadioUNetError
from radio_unet.targets.catalog import format_rejected, map_labels, r500_from_m500, read_catalog

PSZ2_DAT = SHARED_DATA / "catalogues" / "psz2.dat.txt"
PSZ2_README = SHARED_DATA / "catalogues" / "psz2.ReadMe.txt"

# Physical constants written out here, independently of astropy.
_G = 6.67430e-11  # m^3 kg^-1 s^-2 (CODATA 2018)
_MSUN = 1.988409870698051e30  # kg (IAU 2015 nominal)
_MPC = 3.0856775814913673e22  # m


def _r500_mpc_by_hand(m500_1e14: float, z: float, h0: float = 70.0, om0: float = 0.3) -> float:
    """R500 = (3 M / (4 pi 500 rho_c(z)))^(1/3), rho_c = 3 H(z)^2 / (8 pi G), flat LCDM without radiation."""
    hz = h0 * 1e3 / _MPC * math.sqrt(om0 * (1 + z) ** 3 + (1 - om0))
    rho_c = 3 * hz**2 / (8 * math.pi * _G)
    r_m = (3 * m500_1e14 * 1e14 * _MSUN / (4 * math.pi * 500 * rho_c)) ** (1 / 3)
    return r_m / _MPC


def _kpc_per_arcsec_by_hand(z: float, h0: float = 70.0, om0: float = 0.3) -> float:
    """Angular-diameter distance by trapezoid integration of 1/E(z), in kpc per arcsec."""
    zz = np.linspace(0.0, z, 20001)
    ez = np.sqrt(om0 * (1 + zz) ** 3 + 1 - om0)
    dc = 299792.458 / h0 * np.trapezoid(1 / ez, zz)  # Mpc
    return dc / (1 + z) * 1000 * math.pi / 180 / 3600


@pytest.fixture(scope="module")
def psz2():
    """The real PSZ2 catalogue read through its CDS ReadMe (skips when the shared data are absent)."""
    if not PSZ2_DAT.exists() or not PSZ2_README.exists():
        pytest.skip("shared data (PSZ2 catalogue) not available")
    return read_catalog(PSZ2_DAT, readme=PSZ2_README)


def test_psz2_rows_and_spot_checks(psz2):
    """1653 rows read; Coma, A665 and the Bullet cluster have the RA/Dec/z/M500 of their raw .dat lines."""
    assert psz2.meta["n_input"] == 1653
    # Values read by hand from lines 238, 728 and 1232 of psz2.dat.txt (RAdeg, DEdeg, z, MSZ).
    by_hand = {
        "PSZ2 G057.80+88.00": (194.9117967, 27.9536790, 0.023100, 7.165297),
        "PSZ2 G149.75+34.68": (127.7147488, 65.8622900, 0.181800, 8.859059),
        "PSZ2 G266.04-21.25": (104.6318794, -55.9617229, 0.296500, 13.100348),
    }
    names = list(psz2["name"])
    for name, (ra, dec, z, m500) in by_hand.items():
        row = psz2[names.index(name)]
        assert row["ra"] == pytest.approx(ra, abs=1e-6)
        assert row["dec"] == pytest.approx(dec, abs=1e-6)
        assert row["z"] == pytest.approx(z, abs=1e-9)
        assert row["r500_mpc"] == pytest.approx(_r500_mpc_by_hand(m500, z), rel=0.01)
        assert row["r500_arcmin"] == pytest.approx(
            _r500_mpc_by_hand(m500, z) * 1000 / _kpc_per_arcsec_by_hand(z) / 60, rel=0.01)


def test_psz2_rows_without_redshift_are_reported(psz2):
    """Every PSZ2 row with z=-1 or MSZ=0 is skipped and listed with its problem; the rest are kept."""
    lines = PSZ2_DAT.read_text().splitlines()
    bad = sum(1 for line in lines if float(line[167:176]) <= 0 or float(line[177:186]) <= 0)
    assert len(psz2.meta["rejected"]) == bad > 0
    assert len(psz2) == 1653 - bad
    first = psz2.meta["rejected"][0]
    assert first.startswith("row 5 (PSZ2 G002.04-22.15)") and "z=-1" in first and "MSZ=0" in first
    assert (psz2["z"] > 0).all() and np.isfinite(psz2["r500_mpc"]).all()
    assert "559 row(s) skipped" in format_rejected(psz2.meta["rejected"], limit=3)


def test_readme_found_next_to_the_data(psz2, tmp_path):
    """Without --readme, the ReadMe next to the file (psz2.ReadMe.txt) is found."""
    t = read_catalog(PSZ2_DAT)
    assert len(t) == len(psz2)


def test_r500_from_m500_matches_hand_calculation():
    """The helper agrees with an explicit numpy calculation within 1% over a range of masses and redshifts."""
    for m, z in [(1.0, 0.05), (5.0, 0.1), (10.0, 0.5), (3.0, 1.2)]:
        assert r500_from_m500(m, z) == pytest.approx(_r500_mpc_by_hand(m, z), rel=0.01)


def _write_csv(path, text):
    path.write_text(text)
    return path


def test_csv_sexagesimal_and_r500_in_arcmin(tmp_path):
    """CSV with sexagesimal RA/Dec and R500 in arcmin: degrees out, R500 converted to Mpc at z."""
    p = _write_csv(tmp_path / "t.csv", "cluster,RA,DEC,redshift,r500_arcmin\n"
                                       "A,10:00:00.0,+50:30:00,0.1,5.0\n"
                                       "B,150.25,-20.5,0.2,3.0\n")
    t = read_catalog(p)
    assert list(t["name"]) == ["A", "B"]
    assert t["ra"][0] == pytest.approx(150.0) and t["dec"][0] == pytest.approx(50.5)
    assert t["ra"][1] == pytest.approx(150.25) and t["dec"][1] == pytest.approx(-20.5)
    assert t["r500_arcmin"][0] == pytest.approx(5.0)
    assert t["r500_mpc"][0] == pytest.approx(5.0 * 60 * _kpc_per_arcsec_by_hand(0.1) / 1000, rel=1e-3)
    assert t.colnames == ["name", "ra", "dec", "z", "r500_mpc", "r500_arcmin"]


def test_ecsv_units_fits_and_votable(tmp_path):
    """Units stored in ECSV/FITS/VOTable columns are honoured (kpc R500, M500 in Msun)."""
    t = Table()
    t["name"] = ["X", "Y"]
    t["ra"] = [10.0, 20.0] * u.deg
    t["dec"] = [30.0, 40.0] * u.deg
    t["z"] = [0.1, 0.3]
    t["R500"] = [1100.0, 900.0] * u.kpc
    t.write(tmp_path / "t.ecsv")
    e = read_catalog(tmp_path / "t.ecsv")
    np.testing.assert_allclose(e["r500_mpc"], [1.1, 0.9])
    m = Table()
    m["NAME"] = ["X", "Y"]
    m["RAJ2000"] = [10.0, 20.0] * u.deg
    m["DEJ2000"] = [30.0, 40.0] * u.deg
    m["Z"] = [0.1, 0.3]
    m["M500"] = [5e14, 8e14] * u.solMass
    m.write(tmp_path / "t.fits")
    m.write(tmp_path / "t.vot", format="votable")
    for name in ("t.fits", "t.vot"):
        f = read_catalog(tmp_path / name)
        np.testing.assert_allclose(f["r500_mpc"], [_r500_mpc_by_hand(5, 0.1), _r500_mpc_by_hand(8, 0.3)], rtol=0.01)
        assert list(f["name"]) == ["X", "Y"]


def test_frames_are_converted_to_icrs(tmp_path):
    """Galactic l/b and FK4 B1950 positions come out in ICRS."""
    from astropy.coordinates import SkyCoord

    p = _write_csv(tmp_path / "g.csv", "name,glon,glat,z,m500\nC,57.8027624,88.0018408,0.0231,7.165297\n")
    g = read_catalog(p, frame="galactic")
    c = SkyCoord(57.8027624, 88.0018408, unit="deg", frame="galactic").icrs
    assert g["ra"][0] == pytest.approx(c.ra.deg, abs=1e-7) and g["dec"][0] == pytest.approx(c.dec.deg, abs=1e-7)
    assert g["ra"][0] == pytest.approx(194.9117967, abs=1e-3)  # the PSZ2 RA of the same cluster
    p4 = _write_csv(tmp_path / "b.csv", "name,ra,dec,z,m500\nD,12h57m00s,+28d10m00s,0.02,5\n")
    b = read_catalog(p4, frame="fk4")
    c4 = SkyCoord("12h57m00s", "+28d10m00s", frame="fk4").icrs
    assert b["ra"][0] == pytest.approx(c4.ra.deg, abs=1e-7)
    assert abs(b["ra"][0] - 194.25) > 0.1  # precession from B1950 is applied


def test_bad_rows_are_counted_listed_and_skipped(tmp_path):
    """NaN, missing, z <= 0, M500 <= 0, |Dec| > 90 and unreadable RA are each reported; good rows survive."""
    p = _write_csv(tmp_path / "bad.csv", "name,ra,dec,z,m500\n"
                                         "good,10,20,0.1,5\n"
                                         "noz,10,20,,5\n"
                                         "negz,10,20,-0.1,5\n"
                                         "zeroz,10,20,0,5\n"
                                         "nanm,10,20,0.1,nan\n"
                                         "negm,10,20,0.1,-2\n"
                                         "baddec,10,95,0.1,5\n"
                                         "badra,xx,20,0.1,5\n")
    t = read_catalog(p)
    assert list(t["name"]) == ["good"]
    rejected = t.meta["rejected"]
    assert len(rejected) == 7
    expected = {"noz": "z missing", "negz": "z=-0.1", "zeroz": "z=0", "nanm": "m500 missing", "negm": "m500=-2",
                "baddec": "outside [-90, 90]", "badra": "unreadable"}
    for line, (name, problem) in zip(rejected, expected.items()):
        assert f"({name})" in line and problem in line, line


def test_missing_columns_are_clear_errors(tmp_path):
    """A catalogue without redshift or size, or a wrong --*-column, names the file and the columns."""
    p = _write_csv(tmp_path / "c.csv", "name,ra,dec,z\nA,1,2,0.1\n")
    with pytest.raises(InputError, match="R500 or M500.*--r500-column"):
        read_catalog(p)
    with pytest.raises(InputError, match="no column 'zz'"):
        read_catalog(p, z_column="zz", r500_column="z")
    with pytest.raises(InputError, match="no such file"):
        read_catalog(tmp_path / "missing.csv")
    (tmp_path / "junk.fits").write_bytes(b"not a table")
    with pytest.raises(InputError, match="junk.fits"):
        read_catalog(tmp_path / "junk.fits")


def test_label_mapping_defaults_and_user_lists():
    """DE/DEU positive, NDE negative; missing labels unknown; a user mapping leaves other values unknown."""
    pos, known = map_labels(["DE", "nde", "DEU", "", "N/A", "weird"])
    np.testing.assert_array_equal(pos, [True, False, True, False, False, False])
    np.testing.assert_array_equal(known, [True, True, True, False, False, True])
    pos, known = map_labels(["RH", "RR", "NDE", "U"], positive=["RH", "RR"], negative=["NDE"])
    np.testing.assert_array_equal(pos, [True, True, False, False])
    np.testing.assert_array_equal(known, [True, True, True, False])
    pos, known = map_labels([1, 0, 1.0, "true"])
    np.testing.assert_array_equal(pos, [True, False, True, True])
    assert known.all()
    with pytest.raises(RadioUNetError, match="both positive and negative"):
        map_labels(["A"], positive=["A"], negative=["A"])


def test_label_column_in_catalogue(tmp_path):
    """The label text and a masked positive flag come out; unlabelled rows are kept and listed."""
    p = _write_csv(tmp_path / "l.csv", "name,ra,dec,z,r500,class\nA,1,2,0.1,1.0,DE\nB,1,3,0.1,1.0,NDE\n"
                                       "C,1,4,0.1,1.0,\nD,1,5,0.1,1.0,DEU\n")
    t = read_catalog(p, label_column="class")
    assert list(t["label"]) == ["DE", "NDE", "", "DEU"]
    assert list(np.ma.getmaskarray(t["positive"])) == [False, False, True, False]
    assert list(np.ma.getdata(t["positive"])[[0, 1, 3]]) == [True, False, True]
    assert len(t.meta["unlabelled"]) == 1 and "(C)" in t.meta["unlabelled"][0]
    t2 = read_catalog(p, label_column="class", positive=["DE"])
    assert list(np.ma.getdata(t2["positive"])[[0, 1, 3]]) == [True, False, False]
