"""DS9 region files: reading circles and polygons (through ``regions``), clear errors, rasterising, writing contours."""

from __future__ import annotations

import numpy as np
import pytest

from radio_unet.errors import InputError
from radio_unet.io import make_celestial_wcs
from radio_unet.io.ds9 import Region, mask_polygons, read_ds9_regions, region_mask, write_ds9_polygons

SHAPE = (128, 128)
WCS_ = make_celestial_wcs(SHAPE, pixel_scale_arcsec=2.0, ra_deg=150.0, dec_deg=30.0)


def test_shapes_frames_and_units_are_read_in_degrees_or_zero_based_pixels(tmp_path):
    """Sexagesimal and decimal coordinates, arcsec/arcmin/degree radii, every frame, exclusions, several per line."""
    path = tmp_path / "all.reg"
    path.write_text(
        "# Region file format: DS9 version 4.1\n"
        'global color=green width=1 font="helvetica 10 normal"\n'
        'icrs\ncircle(10:00:00.000,+30:00:00.00,60") # text={halo}\n'
        "fk5; circle(150.5,-30.25,2'); -circle(150.5,-30.25,0.01d)\n"
        "j2000\npolygon(150,30,150.1,30,150.1,30.1)\n"
        "galactic\ncircle(120.5,-3.2,1.5)\n"
        "image\ncircle(71,81,5)\n-polygon(1,1,10,1,10,10)\npoint(5,5)\nline(1,1,5,5)\n# text(5,5) text={ignored}\n"
    )
    got = read_ds9_regions(path)
    assert [(r.shape, r.frame, r.include, r.line) for r in got] == [
        ("circle", "icrs", True, 4), ("circle", "fk5", True, 5), ("circle", "fk5", False, 5),
        ("polygon", "fk5", True, 7), ("circle", "galactic", True, 9), ("circle", "image", True, 11),
        ("polygon", "image", False, 12)]
    expected = [(150.0, 30.0, 60 / 3600), (150.5, -30.25, 2 / 60), (150.5, -30.25, 0.01),
                (150.0, 30.0, 150.1, 30.0, 150.1, 30.1), (120.5, -3.2, 1.5), (70.0, 80.0, 5.0),
                (0.0, 0.0, 9.0, 0.0, 9.0, 9.0)]
    for region, values in zip(got, expected):
        np.testing.assert_allclose(region.values, values, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    "text, message",
    [
        ("icrs\nbox(150,30,10\",10\",0)\n", "line 2: shape 'box' is not supported"),
        ("circle(150,30,10\")\n", "no coordinate system"),
        ("physical\ncircle(10,10,3)\n", "not supported"),
        ("icrs\ncircle(150,30)\n", "needs 3 values"),
        ("icrs\ncircle(150,30,10\",5)\n", "needs 3 values"),
        ("icrs\npolygon(150,30,151,30)\n", "at least 3 vertices"),
        ("icrs\ncircle(150,abc,10\")\n", "cannot read 'abc'"),
        ("icrs\ncircle(150,30,5p)\n", "in pixels with sky coordinates"),
        ("icrs\ncircle(150,30,0\")\n", "line 2: cannot read .*positive"),
        ("icrs\ncircle(150,95,1')\n", "line 2: cannot read .*[Ll]atitude"),
        ("# nothing\nicrs\npoint(150,30)\n", "no circle or polygon"),
        ("icrs\nhello there\n", "cannot read"),
    ],
)
def test_bad_region_files_are_clear_errors(tmp_path, text, message):
    """Each problem names the file (and the line), on one line."""
    path = tmp_path / "bad.reg"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        read_ds9_regions(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_region_file_is_a_clear_error(tmp_path):
    """A region file that cannot be read names the file."""
    with pytest.raises(InputError, match="cannot read the region file") as info:
        read_ds9_regions(tmp_path / "missing.reg")
    assert "missing.reg" in str(info.value)


def test_written_contours_read_back_with_this_reader_and_with_regions(tmp_path):
    """segment's polygons: the vertices come back to 1e-7 deg, the mask back to its pixels, and ``regions`` reads them."""
    from regions import PolygonSkyRegion, Regions

    mask = np.zeros(SHAPE, bool)
    mask[20:50, 30:70] = True
    mask[90:110, 90:100] = True
    polygons = mask_polygons(mask)
    path = write_ds9_polygons(tmp_path / "seg.reg", polygons, WCS_, text="p>0.5")
    text = path.read_text()
    assert text.startswith("# Region file format: DS9 version 4.1\n") and text.count("polygon(") == 2
    back = read_ds9_regions(path)
    assert len(back) == 2 and all(r.shape == "polygon" and r.frame == "icrs" and r.include for r in back)
    for poly, region in zip(polygons, back):
        world = WCS_.pixel_to_world(poly[:, 0], poly[:, 1])
        np.testing.assert_allclose(np.reshape(region.values, (-1, 2)), np.column_stack([world.ra.deg, world.dec.deg]),
                                   rtol=0, atol=1e-7)
    assert np.array_equal(region_mask(path, WCS_, SHAPE), mask)
    parsed = Regions.read(str(path), format="ds9")
    assert len(parsed) == 2 and all(isinstance(r, PolygonSkyRegion) for r in parsed)
    assert parsed[0].meta["text"] == "p>0.5"


def test_region_mask_of_shapes_in_memory():
    """Image circles and polygons; only exclusions keep everything else; a sky shape off the projection is an error."""
    circle = Region("circle", "image", (64.0, 64.0, 10.0))
    hole = Region("polygon", "image", (60.0, 60.0, 68.0, 60.0, 68.0, 68.0, 60.0, 68.0), include=False)
    inside = region_mask([circle, hole], WCS_, SHAPE)
    y, x = np.mgrid[: SHAPE[0], : SHAPE[1]]
    disc = (x - 64) ** 2 + (y - 64) ** 2 <= 100
    assert np.array_equal(inside, disc & ~((x >= 60) & (x <= 68) & (y >= 60) & (y <= 68)))
    assert region_mask([hole], WCS_, SHAPE).sum() == SHAPE[0] * SHAPE[1] - 81
    with pytest.raises(Exception, match="outside the image's projection"):
        region_mask([Region("circle", "icrs", (330.0, -30.0, 0.01), line=3)], WCS_, SHAPE)
