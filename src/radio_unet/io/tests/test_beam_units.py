"""Tests of beam parsing and unit recognition."""

import math

import numpy as np
import pytest
from astropy.io import fits

from radio_unet.errors import RadioUNetError
from radio_unet.io import Beam, beam_from_header, convert_brightness, parse_beam, parse_unit


def test_parse_beam_forms():
    """--beam accepts one, two or three numbers and refuses anything else."""
    assert parse_beam("6") == Beam(6, 6, 0)
    assert parse_beam("11,7") == Beam(11, 7, 0)
    assert parse_beam(" 11, 7, 45 ") == Beam(11, 7, 45)
    for bad in ("", "a,b", "1,2,3,4", "-3", "0,0"):
        with pytest.raises(RadioUNetError):
            parse_beam(bad)


def test_beam_axes_are_ordered():
    """A minor axis given larger than the major is swapped and the PA turned by 90 degrees."""
    b = Beam(5, 8, 10)
    assert (b.major, b.minor, b.pa) == (8, 5, 100)


def test_beam_area():
    """The beam area is 2 pi bmaj bmin / (8 ln 2)."""
    b = Beam(6, 4)
    assert b.area_arcsec2 == pytest.approx(2 * math.pi * 6 * 4 / (8 * math.log(2)))
    assert b.area_pixels(2.0) == pytest.approx(b.area_arcsec2 / 4)
    assert b.area_pixels((2.0, 1.0)) == pytest.approx(b.area_arcsec2 / 2)


def test_beam_from_header_prefers_keywords_then_last_aips_card():
    """BMAJ/BMIN keywords win; otherwise the last AIPS CLEAN HISTORY card is used."""
    h = fits.Header()
    assert beam_from_header(h) is None
    h.add_history("AIPS   CLEAN BMAJ=  1.0000E-03 BMIN=  1.0000E-03 BPA=   0.00")
    h.add_history("AIPS   CLEAN BMAJ=  2.0000E-03 BMIN=  1.5000E-03 BPA=  12.50")
    b = beam_from_header(h)
    assert b.major == pytest.approx(7.2) and b.minor == pytest.approx(5.4) and b.pa == pytest.approx(12.5)
    h["BMAJ"], h["BMIN"], h["BPA"] = 3 / 3600, 2 / 3600, -5
    assert beam_from_header(h) == Beam(3, 2, -5) or beam_from_header(h).major == pytest.approx(3)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("JY/BEAM", ("Jy/beam", 1.0)),
        ("Jy/beam", ("Jy/beam", 1.0)),
        ("Jy beam-1", ("Jy/beam", 1.0)),
        ("beam-1 Jy", None),
        ("mJy/beam", ("Jy/beam", 1e-3)),
        ("uJy/beam", ("Jy/beam", 1e-6)),
        ("JY/PIXEL", ("Jy/pixel", 1.0)),
        ("Jy/pix", ("Jy/pixel", 1.0)),
        ("K", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_unit(text, expected):
    """BUNIT spellings used by CASA, AIPS, WSClean and DDFacet are recognised."""
    assert parse_unit(text) == expected


def test_convert_brightness_needs_beam():
    """Converting units without a beam area is a clear error; same units return the input."""
    data = np.ones(3, np.float32)
    assert convert_brightness(data, from_unit="Jy/beam", to_unit="Jy/beam", beam_area_pixels=None) is data
    with pytest.raises(RadioUNetError, match="--beam"):
        convert_brightness(data, from_unit="Jy/beam", to_unit="Jy/pixel", beam_area_pixels=None)
    np.testing.assert_allclose(convert_brightness(data, from_unit="Jy/pixel", to_unit="Jy/beam", beam_area_pixels=10.0), 10.0)
