"""Station layout and uvw geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.observe import array as A


def test_station_sets():
    """The Dutch HBA array: 48 core sub-stations + 14 remote stations = 62."""
    core, remote, both = A.station_names("core"), A.station_names("remote"), A.station_names("core+remote")
    assert len(core) == 48 and all(n.startswith("CS") for n in core)
    assert len(remote) == 14 and all(n.startswith("RS") for n in remote)
    assert both == core + remote
    assert len(A.baseline_pairs(len(both))[0]) == 1891


def test_station_errors():
    """Unknown presets or station names raise RadioUNetError."""
    with pytest.raises(RadioUNetError, match="unknown station set"):
        A.station_names("international")
    with pytest.raises(RadioUNetError, match="unknown LOFAR station"):
        A.station_names(("CS001HBA0", "XX999HBA"))
    with pytest.raises(RadioUNetError, match="two stations"):
        A.station_names(("CS001HBA0",))


def test_hour_angles_centred_on_transit():
    """8 h at 60 s: 480 integrations symmetric around hour angle 0."""
    ha = A.hour_angles(hours=8, time_step_s=60)
    assert ha.size == 480
    assert np.isclose(ha.mean(), 0.0, atol=1e-12)
    assert np.isclose(ha[-1] - ha[0], 479 * 60 * A.SIDEREAL_RATE)


def test_uvw_lengths_and_no_autocorrelations():
    """|uvw| equals the baseline length at every hour angle; only cross-correlations."""
    names = A.station_names("core+remote")
    pos = A.station_positions(names)
    lon, _ = A.array_geodetic()
    ha = A.hour_angles(hours=2, time_step_s=1800)
    uvw, a1, a2, t = A.uvw_track(pos, hour_angle=ha, dec_rad=math.radians(50), lon_rad=lon)
    assert uvw.shape == (ha.size * 1891, 3)
    assert np.all(a1 < a2)
    blen = np.linalg.norm(pos[a2] - pos[a1], axis=1)
    assert np.allclose(np.linalg.norm(uvw, axis=1), blen, rtol=1e-10)
    assert np.array_equal(np.bincount(t), np.full(ha.size, 1891))


def test_east_west_baseline_geometry():
    """An east-west baseline at transit has u = length, v = 0; at the pole it traces a circle."""
    lon = 0.3
    east = np.array([-math.sin(lon), math.cos(lon), 0.0])
    pos = np.stack([np.zeros(3), 1000.0 * east])
    uvw, *_ = A.uvw_track(pos, hour_angle=np.array([0.0]), dec_rad=math.radians(40), lon_rad=lon)
    assert np.allclose(uvw[0], [1000.0, 0.0, 0.0], atol=1e-9)
    ha = np.linspace(-1, 1, 7)
    uvw, *_ = A.uvw_track(pos, hour_angle=ha, dec_rad=math.radians(90), lon_rad=lon)
    assert np.allclose(np.hypot(uvw[:, 0], uvw[:, 1]), 1000.0)
    assert np.allclose(uvw[:, 2], 0.0, atol=1e-9)
