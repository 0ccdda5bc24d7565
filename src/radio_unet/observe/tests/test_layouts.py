"""Array layouts beyond LOFAR (MeerKAT, VLA, ASKAP, MWA) and the survey presets that use them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.observe import ObservationSetup, clear_cache, prepare, setup_key
from radio_unet.observe import array as A
from radio_unet.observe.instrument import build_instrument
from radio_unet.simulate.presets import PRESETS, REALISM_SKY, band_sky

#: name -> (antennas, latitude deg, longitude deg, longest baseline range in m, shortest baseline above m,
#: site height range in m above WGS84).
EXPECTED = {
    "meerkat": (64, -30.71, 21.44, (7500, 8000), 13.5, (1000, 1100)),
    "vla-b": (27, 34.08, -107.62, (11000, 11200), 200.0, (2080, 2150)),
    "vla-c": (27, 34.08, -107.62, (3300, 3500), 25.0, (2080, 2150)),
    "vla-d": (27, 34.08, -107.62, (1000, 1100), 25.0, (2080, 2150)),
    "askap": (36, -26.70, 116.63, (6000, 6600), 12.0, (340, 400)),
    "mwa": (128, -26.70, 116.67, (2700, 3100), 5.0, (340, 400)),
}

#: The new presets, the array each observes and the latitude its track should suit.
NEW_PRESETS = {"meerkat-l": "meerkat", "vla-l": "vla-c", "askap-emu": "askap", "mwa": "mwa"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_layout_tables(name):
    """Documented number of antennas, unique names, the site's latitude/longitude/height and its baselines."""
    from lofarantpos.geo import geographic_from_xyz

    n, lat, lon, (b_lo, b_hi), b_min, (h_lo, h_hi) = EXPECTED[name]
    names = A.station_names(name)
    assert len(names) == n == len(set(names))
    pos = A.station_positions(names)
    assert pos.shape == (n, 3)
    lon_rad, lat_rad = A.array_geodetic(name)
    assert math.degrees(lat_rad) == pytest.approx(lat, abs=0.02)
    assert math.degrees(lon_rad) == pytest.approx(lon, abs=0.02)
    heights = geographic_from_xyz(pos)["height_m"]
    assert h_lo < heights.min() and heights.max() < h_hi  # every antenna on the ground at the site
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    assert b_lo < d.max() < b_hi
    assert d[np.triu_indices(n, 1)].min() > b_min  # no two dishes/tiles on top of each other
    assert A.array_of(name) == name and A.array_of(names[:3]) == name


def test_station_presets_and_explicit_names():
    """Every array is a named station set; explicit names of one array pick their positions."""
    assert set(A.STATION_PRESETS) == {"core", "remote", "core+remote", *EXPECTED}
    sub = ("M063", "M000", "M010")
    full = A.station_names("meerkat")
    assert A.station_names(sub) == sub
    np.testing.assert_array_equal(A.station_positions(sub), A.station_positions(full)[[63, 0, 10]])
    assert A.array_geodetic(sub) == A.array_geodetic("meerkat")
    assert all(s.startswith("Tile") for s in A.station_names("mwa"))
    # the C and D configurations share pads: a tuple goes to the table that holds all of it
    assert A.array_of(("W02", "W03")) == "vla-d" and A.array_of(("W02", "W18")) == "vla-c"


def test_unknown_names_give_clear_errors():
    """Unknown sets, names mixed across arrays, and frequencies outside an array's band."""
    with pytest.raises(RadioUNetError, match=r"unknown station set 'meerkat-l'.*meerkat, vla-b, vla-c, vla-d, askap, mwa"):
        A.station_names("meerkat-l")
    with pytest.raises(RadioUNetError, match=r"\['Tile011'\] for MeerKAT.*'M000'"):
        A.station_names(("M000", "Tile011"))
    with pytest.raises(RadioUNetError, match=r"unknown LOFAR station.*meerkat, vla-b, vla-c"):
        A.station_names(("ak01", "M000"))
    with pytest.raises(RadioUNetError, match="no layout table"):
        A.layout("core")
    with pytest.raises(RadioUNetError, match="MWA band 70-300 MHz"):
        ObservationSetup(npix=64, stations="mwa", freqs_hz=(1.4e9,))
    with pytest.raises(RadioUNetError, match="HBA band 100-250 MHz"):
        ObservationSetup(npix=64, freqs_hz=(1.4e9,))
    with pytest.raises(RadioUNetError, match="never rises.*for the VLA"):
        build_instrument(ObservationSetup(npix=64, stations="vla-d", dec_deg=-75.0, hours=2, time_step_s=1800,
                                          freqs_hz=(1.4e9,)))


def test_layout_parser_errors():
    """A table without a frame, with a bad row or without the reference of its offsets is refused."""
    with pytest.raises(RadioUNetError, match="frame"):
        A._parse_layout("mwa", "a 1 2 3\nb 4 5 6\n", "t.txt")
    with pytest.raises(RadioUNetError, match="line 2"):
        A._parse_layout("mwa", "# frame: itrf\na 1 2\n", "t.txt")
    with pytest.raises(RadioUNetError, match="reference"):
        A._parse_layout("mwa", "# frame: itrf-offset\na 1 2 3\nb 4 5 6\n", "t.txt")


def test_lofar_unchanged():
    """LOFAR keeps its centre, band and cache keys (no layout digest); other arrays key on their table."""
    assert A.array_geodetic() == A.array_geodetic("core+remote") == A.array_geodetic(("CS001HBA0", "RS106HBA"))
    assert A.frequency_band() == ("the HBA band", 100e6, 250e6)
    lofar = ObservationSetup(npix=64)
    meerkat = ObservationSetup(npix=64, stations="meerkat", freqs_hz=(1.28e9,))
    askap = ObservationSetup(npix=64, stations="askap", freqs_hz=(1.28e9,))
    assert len({setup_key(lofar), setup_key(meerkat), setup_key(askap)}) == 3


def test_uvw_of_other_arrays():
    """|uvw| equals the baseline length for MeerKAT too; a source at the zenith has w ~ 0 at transit."""
    pos = A.station_positions(A.station_names("meerkat"))
    lon, lat = A.array_geodetic("meerkat")
    uvw, a1, a2, _ = A.uvw_track(pos, hour_angle=np.array([-0.5, 0.0, 0.5]), dec_rad=lat, lon_rad=lon)
    assert np.allclose(np.linalg.norm(uvw, axis=1), np.linalg.norm(pos[a2] - pos[a1], axis=1), rtol=1e-10)
    n = len(a1) // 3
    assert np.abs(uvw[n : 2 * n, 2]).max() < 0.01 * np.abs(uvw[n : 2 * n, :2]).max() + 50.0


@pytest.mark.parametrize("preset_name", sorted(NEW_PRESETS))
def test_presets_reach_their_beams(preset_name):
    """A small, short version of each preset's instrument reaches every beam of the preset within 10%."""
    preset = PRESETS[preset_name]
    assert preset.stations == NEW_PRESETS[preset_name] and preset.npix == 512
    lo, hi = A.frequency_band(preset.stations)[1:]
    assert all(lo <= f <= hi for f in preset.freqs_hz)
    _, lat = A.array_geodetic(preset.stations)
    assert abs(preset.track_dec_deg - math.degrees(lat)) < 15.0  # the track passes near the zenith
    assert preset.sky["freq_hz"] == pytest.approx(np.mean(preset.freqs_hz), rel=0.02)
    for beam in preset.beams_arcsec:
        assert 2.5 <= beam / preset.pixel_scale_arcsec <= 3.5
        setup = ObservationSetup(npix=256, pixel_scale_arcsec=preset.pixel_scale_arcsec, beam_arcsec=beam,
                                 dec_deg=preset.track_dec_deg, hours=preset.hours, time_step_s=900.0,
                                 freqs_hz=preset.freqs_hz, stations=preset.stations)
        inst = build_instrument(setup, nthreads=1)
        assert inst.beam.major == pytest.approx(beam, rel=0.1)
        assert inst.info["n_stations"] == EXPECTED[preset.stations][0]


def test_band_sky_scaling():
    """At 144 MHz the band sky is REALISM_SKY with the defaults; at 1.4 GHz the Jy limits are ~0.2 of them."""
    low = band_sky(144e6)
    assert {k: low[k] for k in REALISM_SKY} == REALISM_SKY
    assert low["compact_s_min"] == pytest.approx(1e-4) and low["confusion_s_min"] == pytest.approx(1e-7)
    high = band_sky(1.4e9, z_range=(0.1, 0.6))
    assert high["compact_s_min"] == pytest.approx(1e-4 * (1400 / 144) ** -0.7)
    assert 0.18 < high["compact_s_min"] / low["compact_s_min"] < 0.22
    assert high["z_range"] == (0.1, 0.6) and high["freq_hz"] == 1.4e9


def test_cache_round_trip_of_other_array(tmp_path):
    """An instrument of another array is written to and read back from the disk cache."""
    setup = ObservationSetup(npix=64, pixel_scale_arcsec=40.0, beam_arcsec=150.0, dec_deg=-30.0, hours=1.0,
                             time_step_s=900.0, freqs_hz=(150e6, 200e6), stations="mwa")
    first = prepare(setup, cache_dir=tmp_path, nthreads=1)
    clear_cache()
    again = prepare(setup, cache_dir=tmp_path, nthreads=1)
    assert "loaded_from" in again.info
    assert again.stations == first.stations and len(again.stations) == 128
    np.testing.assert_array_equal(again.uvw, first.uvw)
