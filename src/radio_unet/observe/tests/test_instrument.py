"""Setup validation, weighting and beam tuning, PSF, caching."""

from __future__ import annotations

import json

import numpy as np
import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.observe import Instrument, ObservationSetup, PRESETS, clear_cache, fit_beam, prepare, setup_key
from radio_unet.observe.instrument import build_instrument

from .conftest import SMALL


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"npix": 255}, "even"),
        ({"npix": 16}, "even"),
        ({"npix": (256, 128, 3)}, "npix"),
        ({"npix": 256.0}, "even"),
        ({"pixel_scale_arcsec": -2.0}, "pixel_scale"),
        ({"pixel_scale_arcsec": float("nan")}, "pixel_scale"),
        ({"beam_arcsec": 3.0}, "2 pixels"),
        ({"dec_deg": 95.0}, "dec_deg"),
        ({"hours": 30.0}, "hours"),
        ({"hours": 1.0, "time_step_s": 7200.0}, "time_step"),
        ({"freqs_hz": ()}, "empty"),
        ({"freqs_hz": (50e6,)}, "HBA"),
        ({"freqs_hz": (144.0,)}, "HBA"),
        ({"freqs_hz": "abc"}, "freqs_hz"),
        ({"stations": "lba"}, "station"),
        ({"taper_arcsec": -1.0}, "taper"),
        ({"robust": 9.0}, "robust"),
        ({"robust": "uniform"}, "robust"),
        ({"epsilon": 1e-8}, "epsilon"),
        ({"min_elevation_deg": 95.0}, "elevation"),
        ({"circular_beam": "yes"}, "circular"),
    ],
)
def test_invalid_setup_raises(kwargs, match):
    """Every invalid parameter raises RadioUNetError with a clear message."""
    with pytest.raises(RadioUNetError, match=match):
        ObservationSetup(**kwargs)


def test_setup_is_hashable_and_normalised():
    """Equal setups hash equally (lists become tuples) and round-trip through dicts/JSON."""
    a = ObservationSetup(npix=256, freqs_hz=[130e6, 160e6])
    b = ObservationSetup(npix=256, freqs_hz=(130e6, 160e6))
    assert a == b and hash(a) == hash(b) and setup_key(a) == setup_key(b)
    assert setup_key(a) != setup_key(ObservationSetup(npix=258, freqs_hz=(130e6, 160e6)))
    d = json.loads(json.dumps(a.to_dict()))
    assert ObservationSetup.from_dict(d) == a
    with pytest.raises(RadioUNetError, match="unknown observation setup setting"):
        ObservationSetup.from_dict({**d, "bogus": 1})
    assert ObservationSetup(npix=(128, 256)).shape == (128, 256)
    assert ObservationSetup.preset("lotss-lowres", npix=480).shape == (480, 480)
    assert set(PRESETS) >= {"lotss", "lotss-lowres"}
    with pytest.raises(RadioUNetError, match="unknown observation preset"):
        ObservationSetup.preset("vlass")


def test_prepare_reaches_requested_beam(small_instrument):
    """The tuned PSF main-lobe fit is within 10% (in practice ~1%) of the requested 6" beam."""
    inst = small_instrument
    assert inst.psf.shape == (512, 512)
    assert inst.psf[256, 256] == pytest.approx(1.0, abs=1e-4)
    assert inst.psf.max() == pytest.approx(1.0, abs=1e-4)
    fit = fit_beam(inst.psf_center(20), pixel_scale_arcsec=2.0)
    assert fit.major == pytest.approx(6.0, rel=0.10)
    assert fit.major == pytest.approx(inst.beam.major, rel=1e-3)
    assert abs(inst.beam.major - 6.0) / 6.0 < 0.02
    assert inst.beam.minor < inst.beam.major
    assert -2.0 <= inst.robust <= 2.0
    assert inst.taper_arcsec is None
    assert np.all(inst.weights >= 0) and inst.weights.dtype == np.float32
    assert inst.info["n_stations"] == 62 and inst.info["n_baselines"] == 1891
    json.dumps(inst.info)


def test_robust_moves_with_requested_beam(small_setup):
    """A larger requested beam needs a larger (more natural) robust."""
    wide = build_instrument(ObservationSetup(**{**small_setup.to_dict(), "beam_arcsec": 8.0}), nthreads=2)
    assert wide.beam.major == pytest.approx(8.0, rel=0.03)
    assert wide.robust > prepare(small_setup, nthreads=2).robust


def test_taper_for_wide_beam():
    """A 20" beam at 4.5"/px with robust -0.5 is reached with a Gaussian taper."""
    setup = ObservationSetup(npix=128, pixel_scale_arcsec=4.5, beam_arcsec=20.0, robust=-0.5, hours=8,
                             time_step_s=900, freqs_hz=(130e6, 160e6))
    inst = build_instrument(setup, nthreads=2)
    assert inst.taper_arcsec is not None and inst.taper_arcsec > 0
    assert inst.beam.major == pytest.approx(20.0, rel=0.05)
    assert inst.info["weighting"]["method"] == "taper search"


def test_unreachable_beams_raise():
    """A beam sharper than uniform weighting gives, or wider than natural+taper, raises."""
    with pytest.raises(RadioUNetError, match="smaller than this uv-coverage"):
        build_instrument(ObservationSetup(npix=128, beam_arcsec=6.0, stations="core", hours=8, time_step_s=1800,
                                          freqs_hz=(150e6,)), nthreads=2)
    with pytest.raises(RadioUNetError, match="larger than natural weighting"):
        build_instrument(ObservationSetup(npix=128, beam_arcsec=20.0, taper_arcsec=1.0, stations="remote", hours=8,
                                          time_step_s=1800, freqs_hz=(150e6,)), nthreads=2)
    with pytest.raises(RadioUNetError, match="never rises"):
        build_instrument(ObservationSetup(npix=64, dec_deg=-60.0, hours=4, time_step_s=1800, freqs_hz=(150e6,)))


def test_circular_beam():
    """circular_beam restores with a circle of the requested size."""
    setup = ObservationSetup(**{**SMALL.to_dict(), "circular_beam": True})
    inst = build_instrument(setup, nthreads=2)
    assert (inst.beam.major, inst.beam.minor) == (6.0, 6.0)
    assert inst.psf_beam.minor < 6.0


def test_memory_and_disk_cache(tmp_path):
    """prepare() reuses products in memory and from a .npz cache file."""
    setup = ObservationSetup(**{**SMALL.to_dict(), "npix": 128})
    clear_cache()
    first = prepare(setup, cache_dir=tmp_path, nthreads=2)
    assert prepare(setup, cache_dir=tmp_path) is first
    files = list(tmp_path.glob("observe-*.npz"))
    assert len(files) == 1 and setup_key(setup) in files[0].name
    clear_cache()
    again = prepare(setup, cache_dir=tmp_path, nthreads=2)
    assert again is not first and again.info["loaded_from"] == str(files[0])
    for name in ("uvw", "weights", "psf", "noise_kernel", "ant1", "time_index"):
        assert np.array_equal(getattr(again, name), getattr(first, name))
    assert again.beam == first.beam and again.robust == first.robust
    with pytest.raises(RadioUNetError, match="another setup"):
        Instrument.load(files[0], SMALL)
    files[0].write_bytes(files[0].read_bytes()[:1000])  # truncated cache: rebuilt, not fatal
    clear_cache()
    assert "loaded_from" not in prepare(setup, cache_dir=tmp_path, nthreads=2).info
    files[0].write_bytes(b"not an npz")  # damaged cache: rebuilt, not fatal
    clear_cache()
    rebuilt = prepare(setup, cache_dir=tmp_path, nthreads=2)
    assert "loaded_from" not in rebuilt.info
    assert np.array_equal(rebuilt.psf, first.psf)
    other = tmp_path / "later"
    assert prepare(setup, cache_dir=other) is rebuilt  # memory hit still fills a new cache folder
    assert len(list(other.glob("observe-*.npz"))) == 1
    clear_cache()


def test_prepare_rejects_non_setup():
    """prepare() needs an ObservationSetup."""
    with pytest.raises(RadioUNetError, match="ObservationSetup"):
        prepare({"npix": 256})
