"""Tests of the FITS image model: reading every layout, units, beams, errors and round trips."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from radio_unet.conftest import celestial_header, random_image, write_fits
from radio_unet.errors import InputError, RadioUNetError
from radio_unet.io import Beam, read_image, write_image


def corners_world(wcs: WCS, shape) -> np.ndarray:
    """Sky coordinates (deg) of the four corner pixels."""
    ny, nx = shape
    xs, ys = np.array([0, nx - 1, 0, nx - 1]), np.array([0, 0, ny - 1, ny - 1])
    c = wcs.pixel_to_world(xs, ys)
    return np.stack([c.spherical.lon.deg, c.spherical.lat.deg])


def test_read_2d_elliptical_beam(image_2d):
    """A 2-D image gives float32 data, an elliptical beam, the unit and the frequency."""
    img = read_image(image_2d)
    assert img.data.shape == (48, 64) and img.data.dtype == np.float32
    assert img.beam == Beam(11.0, 7.0, 30.0) or (
        math.isclose(img.beam.major, 11) and math.isclose(img.beam.minor, 7) and math.isclose(img.beam.pa, 30)
    )
    assert img.unit == "Jy/beam"
    assert img.frequency == pytest.approx(144e6)
    assert img.pixel_scale_arcsec == pytest.approx(2.0)


def test_read_4d_both_axis_orders(image_4d):
    """Degenerate FREQ/STOKES axes in either order are dropped; the frequency comes from the FREQ axis."""
    img = read_image(image_4d)
    assert img.data.shape == (48, 64)
    assert img.wcs.naxis == 2
    assert img.frequency == pytest.approx(1.44e8)
    np.testing.assert_array_equal(img.data, random_image())


def test_read_cd_matrix_gzip_nan_aips_beam(image_cd):
    """A gzipped CD-matrix TAN image with negative RA, NaN border and an AIPS HISTORY beam."""
    img = read_image(image_cd)
    assert img.pixel_scale_arcsec == pytest.approx(1.5, rel=1e-6)
    assert img.beam.major == pytest.approx(6.0, rel=1e-3) and img.beam.minor == pytest.approx(5.0, rel=1e-3)
    assert img.beam.pa == pytest.approx(45.0)
    assert img.blank.sum() == 4 * 64 + 3 * 48 - 4 * 3
    ra = img.wcs.pixel_to_world(32, 24).ra.deg
    assert ra == pytest.approx(330.0, abs=0.01)  # -30 deg wraps to 330


def test_non_degenerate_axis_needs_a_plane(tmp_path):
    """A 3-plane FREQ axis is an error naming the axis, unless a plane is chosen."""
    h = celestial_header()
    h["CTYPE3"], h["CRVAL3"], h["CDELT3"], h["CRPIX3"] = "FREQ", 1.2e8, 1e7, 1.0
    h["BUNIT"] = "Jy/beam"
    cube = np.stack([random_image(seed=s) for s in range(3)])
    path = write_fits(tmp_path / "cube.fits", cube, h)
    with pytest.raises(InputError, match=r"axis 3 \(FREQ\) has 3 planes.*--plane FREQ"):
        read_image(path)
    img = read_image(path, plane="FREQ=2")
    np.testing.assert_array_equal(img.data, cube[2])
    assert img.frequency == pytest.approx(1.2e8)  # reference value of the axis
    np.testing.assert_array_equal(read_image(path, plane="1").data, cube[1])
    with pytest.raises(InputError, match="out of range"):
        read_image(path, plane="FREQ=5")


@pytest.mark.parametrize("bitpix", [16, 32, -32, -64])
def test_bitpix_and_scaling(tmp_path, bitpix):
    """Integer images with BSCALE/BZERO and BLANK read as scaled float32 with NaN blanks."""
    h = celestial_header(nx=8, ny=6)
    h["BUNIT"] = "Jy/beam"
    truth = np.linspace(-1e-3, 2e-3, 48).reshape(6, 8)
    if bitpix > 0:
        dtype = np.int16 if bitpix == 16 else np.int32
        scale, zero = 1e-6, 5e-4
        ints = np.round((truth - zero) / scale).astype(dtype)
        ints[0, 0] = -(2 ** (abs(bitpix) - 1))
        hdu = fits.PrimaryHDU(data=ints, header=h)
        hdu.header["BSCALE"], hdu.header["BZERO"], hdu.header["BLANK"] = scale, zero, int(ints[0, 0])
        hdu.writeto(tmp_path / "i.fits")
        img = read_image(tmp_path / "i.fits")
        assert np.isnan(img.data[0, 0])
        np.testing.assert_allclose(img.data[0, 1:], truth[0, 1:], atol=2e-6)
    else:
        dtype = np.float32 if bitpix == -32 else np.float64
        write_fits(tmp_path / "f.fits", truth.astype(dtype), h)
        img = read_image(tmp_path / "f.fits")
        np.testing.assert_allclose(img.data, truth.astype(np.float32))
    assert img.data.dtype == np.float32


def test_units_conversion_through_beam(image_2d):
    """Jy/beam -> Jy/pixel divides by the beam area 2 pi bmaj bmin / (8 ln 2) in pixels, and back."""
    img = read_image(image_2d)
    area = 2 * math.pi * (11 / 2) * (7 / 2) / (8 * math.log(2))  # axes in pixels at 2"/px
    assert img.beam_area_pixels == pytest.approx(area)
    per_pix = img.to_unit("Jy/pixel")
    assert per_pix.unit == "Jy/pixel"
    np.testing.assert_allclose(per_pix.data, img.data / area, rtol=1e-6)
    np.testing.assert_allclose(per_pix.to_unit("Jy/beam").data, img.data, rtol=1e-6, atol=1e-12)


def test_unit_prefix_and_override(tmp_path):
    """mJy/beam is scaled to Jy/beam; an unknown BUNIT needs --unit; a missing beam suggests --beam."""
    h = celestial_header(nx=8, ny=8)
    h["BUNIT"] = "mJy/beam"
    data = np.ones((8, 8), np.float32)
    img = read_image(write_fits(tmp_path / "m.fits", data, h))
    assert img.unit == "Jy/beam" and img.data[0, 0] == pytest.approx(1e-3)
    h["BUNIT"] = "K"
    path = write_fits(tmp_path / "k.fits", data, h)
    with pytest.raises(InputError, match=r"k\.fits.*unknown brightness unit.*--unit"):
        read_image(path)
    img = read_image(path, unit="Jy/pixel")
    assert img.unit == "Jy/pixel"
    with pytest.raises(InputError, match="--beam"):
        img.to_unit("Jy/beam")
    assert read_image(path, unit="Jy/pixel", beam="6,5,10").to_unit("Jy/beam").unit == "Jy/beam"


def _bad_files(tmp_path):
    text = tmp_path / "notes.fits"
    text.write_text("this is not FITS\n" * 20)
    empty = tmp_path / "empty.fits"
    empty.write_bytes(b"")
    good = write_fits(tmp_path / "good.fits", random_image(), celestial_header())
    truncated = tmp_path / "truncated.fits"
    truncated.write_bytes(good.read_bytes()[: 2880 + 1000])
    one_d = write_fits(tmp_path / "oned.fits", np.zeros(10, np.float32), fits.Header())
    five_d = write_fits(tmp_path / "fived.fits", np.zeros((1, 1, 1, 4, 4), np.float32), fits.Header())
    nan = write_fits(tmp_path / "nan.fits", np.full((4, 4), np.nan, np.float32), celestial_header(nx=4, ny=4))
    h = fits.Header()
    h["CTYPE1"], h["CTYPE2"] = "LINEAR", "LINEAR"
    nowcs = write_fits(tmp_path / "nowcs.fits", np.zeros((4, 4), np.float32), h)
    gz = tmp_path / "broken.fits.gz"
    gz.write_bytes(gzip.compress(good.read_bytes())[:500])
    return {
        text: "not a readable FITS",
        empty: "empty file",
        truncated: "truncated",
        one_d: "1-D",
        five_d: "5-D",
        nan: "every pixel is blank",
        nowcs: "no celestial WCS",
        gz: "truncated|not a readable",
        tmp_path / "missing.fits": "no such file",
    }


def test_bad_inputs_give_one_clear_line(tmp_path):
    """Each kind of bad input raises InputError naming the file and the problem in one line."""
    for path, problem in _bad_files(tmp_path).items():
        with pytest.raises(InputError, match=problem) as info:
            read_image(path)
        message = str(info.value)
        assert message.startswith(str(path)), message
        assert "\n" not in message


def assert_round_trip(path, tmp_path):
    """write_image(read_image(path)) keeps data bit-exact and the corner sky positions identical."""
    src = read_image(path)
    out = write_image(
        tmp_path / "copy.fits", src.data, wcs=src.wcs, beam=src.beam, unit=src.unit,
        frequency=src.frequency, provenance={"model": "test", "options": {"a": 1}},
    )
    back = read_image(out)
    assert back.data.dtype == np.float32
    np.testing.assert_array_equal(back.data.view(np.uint32), src.data.view(np.uint32))  # NaN-aware bit-exact
    np.testing.assert_allclose(corners_world(back.wcs, back.shape), corners_world(src.wcs, src.shape), rtol=0, atol=1e-10)
    assert back.beam == src.beam and back.unit == src.unit
    assert back.frequency == pytest.approx(src.frequency)
    assert back.header["HIERARCH RUNET MODEL"] == "test"
    assert back.header["ORIGIN"].startswith("radio-unet")


def test_round_trip_2d(image_2d, tmp_path):
    """Round trip of a 2-D CDELT image."""
    assert_round_trip(image_2d, tmp_path)


def test_round_trip_4d(image_4d, tmp_path):
    """Round trip of 4-D images in both axis orders."""
    assert_round_trip(image_4d, tmp_path)


def test_round_trip_cd_matrix(image_cd, tmp_path):
    """Round trip of a rotated CD-matrix image with NaN blanks."""
    assert_round_trip(image_cd, tmp_path)


def test_write_is_atomic(tmp_path, monkeypatch):
    """A failure while writing leaves neither the output nor a temporary file behind."""
    src = read_image(write_fits(tmp_path / "in.fits", random_image(), celestial_header()), unit="Jy/beam")

    def boom(self, name, *args, **kwargs):
        with open(name, "wb") as fh:
            fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(fits.PrimaryHDU, "writeto", boom)
    with pytest.raises(OSError):
        write_image(tmp_path / "out" / "prob.fits", src.data, wcs=src.wcs)
    assert list((tmp_path / "out").iterdir()) == []


def test_write_refuses_bad_shape_and_overwrite(tmp_path, image_2d):
    """write_image wants a 2-D array and honours overwrite=False."""
    src = read_image(image_2d)
    with pytest.raises(RadioUNetError, match="2-D"):
        write_image(tmp_path / "x.fits", src.data[None], wcs=src.wcs)
    with pytest.raises(RadioUNetError, match="exists"):
        write_image(image_2d, src.data, wcs=src.wcs, overwrite=False)


def test_lotss_cutout(lotss_cutout):
    """The real LoTSS-DR1 cut-out: 1.5"/px, 6" beam, Jy/beam, 143.65 MHz."""
    img = read_image(lotss_cutout)
    assert img.pixel_scale_arcsec == pytest.approx(1.5, rel=1e-4)
    assert img.beam.major == pytest.approx(6.0) and img.beam.minor == pytest.approx(6.0)
    assert img.unit == "Jy/beam"
    assert img.frequency == pytest.approx(143.65e6)
