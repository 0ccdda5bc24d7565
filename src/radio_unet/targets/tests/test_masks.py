"""Label masks: local rms, k-sigma threshold, islands, DS9 regions, the ``mask`` command."""

from __future__ import annotations

import time

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits

from radio_unet.cli import main
from radio_unet.errors import InputError, RadioUNetError
from radio_unet.io import Beam, make_celestial_wcs, read_image, write_image
from radio_unet.io.ds9 import mask_polygons, read_ds9_regions, region_mask, write_ds9_polygons
from radio_unet.targets.masks import local_rms, make_mask

SHAPE = (256, 256)
NOISE = 1e-4
WCS_ = make_celestial_wcs(SHAPE, pixel_scale_arcsec=2.0, ra_deg=150.0, dec_deg=30.0)
BLOBS = [(70.0, 80.0, 6.0, 20.0), (180.0, 170.0, 8.0, 15.0)]  # x, y, sigma (px), peak (in units of the noise)


def _gauss(x0, y0, sigma, peak, shape=SHAPE):
    y, x = np.mgrid[: shape[0], : shape[1]]
    return peak * np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * sigma**2))


def _field(seed=0, blobs=BLOBS):
    rng = np.random.default_rng(seed)
    data = rng.normal(0.0, NOISE, SHAPE)
    clean = sum(_gauss(*b) for b in blobs) * NOISE if blobs else np.zeros(SHAPE)
    return (data + clean).astype(np.float32), clean


def _iou(a, b):
    return np.count_nonzero(a & b) / max(np.count_nonzero(a | b), 1)


def test_local_rms_follows_the_noise_and_ignores_sources():
    """Twice the noise on the right half: the map follows it; bright blobs barely raise it; blanks stay blank; fast."""
    data, _ = _field()
    data[:, 128:] *= 2.0
    data[:10, :10] = np.nan
    rms = local_rms(data, box_pixels=32)
    assert rms.shape == SHAPE and rms.dtype == np.float32
    assert np.nanmedian(rms[:, :100]) == pytest.approx(NOISE, rel=0.1)
    assert np.nanmedian(rms[:, 156:]) == pytest.approx(2 * NOISE, rel=0.1)
    assert rms[80, 70] == pytest.approx(NOISE, rel=0.25)  # at the peak of the 20-sigma blob
    assert np.isnan(rms[:10, :10]).all() and np.isfinite(rms[10:, 10:]).all()
    big = np.random.default_rng(1).normal(0.0, 1.0, (2000, 2000)).astype(np.float32)
    start = time.perf_counter()
    big_rms = local_rms(big, box_pixels=100)
    assert time.perf_counter() - start < 10.0  # about 0.5 s on a 2-core machine
    assert np.median(big_rms) == pytest.approx(1.0, rel=0.05)


def test_mask_finds_bright_blobs_and_ignores_noise():
    """At 5 sigma the mask is the blobs' 5-sigma footprint; noise alone gives an empty mask."""
    data, clean = _field()
    mask = make_mask(data, nsigma=5, box_pixels=32, min_island_pixels=10)
    assert mask.dtype == bool and mask[80, 70] and mask[170, 180]
    assert _iou(mask, clean > 5 * NOISE) > 0.85
    noise_only, _ = _field(seed=3, blobs=[])
    assert not make_mask(noise_only, nsigma=5, box_pixels=32).any()
    assert make_mask(noise_only, nsigma=2, box_pixels=32, min_island_pixels=0).any()  # a low threshold does pick up noise


def test_min_island_size():
    """A small source above the threshold is kept or dropped by the minimum island size."""
    data, _ = _field(blobs=BLOBS + [(200.0, 40.0, 1.0, 12.0)])  # ~7 pixels above 5 sigma
    small = (slice(35, 46), slice(195, 206))
    assert make_mask(data, box_pixels=32, min_island_pixels=1)[small].sum() >= 3
    assert not make_mask(data, box_pixels=32, min_island_pixels=30)[small].any()
    assert make_mask(data, box_pixels=32, min_island_pixels=30)[80, 70]


def _sky(x, y):
    c = WCS_.pixel_to_world(x, y)
    return c.ra.deg, c.dec.deg


def test_region_file_keeps_only_the_inside(tmp_path):
    """Circles (sexagesimal, arcsec) and polygons (degrees) in ICRS, exclusions, image coordinates, segment's own regions."""
    data, _ = _field()
    full = make_mask(data, box_pixels=32)
    ra, dec = _sky(70, 80)
    centre = SkyCoord(ra, dec, unit="deg").to_string("hmsdms", sep=":", precision=3).split()
    circle = tmp_path / "circle.reg"
    circle.write_text(f'# Region file format: DS9 version 4.1\nglobal color=green\nicrs\ncircle({centre[0]},{centre[1]},60")  # text={{halo}}\n')
    kept = make_mask(data, box_pixels=32, keep_region=circle, wcs=WCS_)
    assert kept[80, 70] and not kept[170, 180]
    assert np.array_equal(kept, full & region_mask(circle, WCS_, SHAPE))
    inside = region_mask(circle, WCS_, SHAPE)
    y, x = np.mgrid[: SHAPE[0], : SHAPE[1]]
    assert _iou(inside, (x - 70) ** 2 + (y - 80) ** 2 <= 30.0**2) > 0.95  # 60" at 2"/px

    corners = [_sky(x, y) for x, y in ((150, 140), (215, 140), (215, 200), (150, 200))]
    poly = tmp_path / "poly.reg"
    poly.write_text("fk5\npolygon(" + ",".join(f"{r:.7f},{d:.7f}" for r, d in corners) + ")\n")
    kept = make_mask(data, box_pixels=32, keep_region=poly, wcs=WCS_)
    assert kept[170, 180] and not kept[80, 70]
    assert not make_mask(data, box_pixels=32, keep_region=tmp_path / "poly.reg", wcs=WCS_)[:140].any()

    both = tmp_path / "both.reg"
    both.write_text(f"icrs; circle({ra:.7f},{dec:.7f},0.0166667d)\nimage\n-circle(71,81,5)\n")  # DS9 pixels count from 1
    hole = region_mask(both, WCS_, SHAPE)
    assert hole[80, 60] and not hole[80, 70] and not hole[170, 180]
    assert [r.include for r in read_ds9_regions(both)] == [True, False]

    write_ds9_polygons(tmp_path / "seg.reg", mask_polygons(full), WCS_, text="diffuse")  # what 'segment' writes
    assert _iou(region_mask(tmp_path / "seg.reg", WCS_, SHAPE), full) > 0.9
    only = make_mask(data, box_pixels=32, keep_region=np.zeros(SHAPE, bool))
    assert not only.any()


def test_bad_inputs_are_clear_errors(tmp_path):
    """Wrong dimensions, thresholds, blank images, shapes, a region file without WCS, a missing file."""
    data, _ = _field()
    with pytest.raises(RadioUNetError, match="2-D"):
        make_mask(data[None])
    with pytest.raises(RadioUNetError, match="nsigma"):
        make_mask(data, nsigma=0)
    with pytest.raises(RadioUNetError, match="min_island_pixels"):
        make_mask(data, min_island_pixels=-1)
    with pytest.raises(RadioUNetError, match="box_pixels"):
        local_rms(data, box_pixels=2)
    with pytest.raises(RadioUNetError, match="no finite pixel"):
        local_rms(np.full((64, 64), np.nan))
    with pytest.raises(RadioUNetError, match="keep_region shape"):
        make_mask(data, keep_region=np.ones((10, 10), bool))
    with pytest.raises(RadioUNetError, match="needs the image's WCS"):
        make_mask(data, keep_region=tmp_path / "any.reg")
    with pytest.raises(InputError, match="cannot read the region file"):
        make_mask(data, keep_region=tmp_path / "missing.reg", wcs=WCS_)


def test_mask_command(tmp_path, capsys):
    """``radio-unet mask`` writes uint8 masks on the image's WCS; a bad file is one error line, the others finish."""
    data, _ = _field()
    image = write_image(tmp_path / "field.fits", data, wcs=WCS_, beam=Beam(6.0, 6.0, 0.0), unit="Jy/beam")
    ra, dec = _sky(70, 80)
    (tmp_path / "halo.reg").write_text(f'icrs\ncircle({ra},{dec},60")\n')
    bad = tmp_path / "broken.fits"
    bad.write_text("not a FITS file")
    out = tmp_path / "masks"
    status = main(["mask", str(image), str(bad), "-o", str(out), "--box", "32", "--region", str(tmp_path / "halo.reg"), "--save-rms"])
    captured = capsys.readouterr()
    assert status == 2 and captured.err.count("\n") == 1 and "broken.fits" in captured.err and "Traceback" not in captured.err
    assert "field.mask.fits" in captured.out and "1 island(s)" in captured.out
    written = read_image(out / "field.mask.fits")
    mask = fits.getdata(out / "field.mask.fits")
    assert mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 1}
    assert mask[80, 70] == 1 and mask[170, 180] == 0
    assert np.allclose(written.wcs.wcs.crval, WCS_.wcs.crval) and np.allclose(written.wcs.wcs.cdelt, WCS_.wcs.cdelt)
    assert fits.getheader(out / "field.mask.fits")["HIERARCH RUNET NSIGMA"] == 5.0
    assert fits.getdata(out / "field.rms.fits")[10, 10] == pytest.approx(NOISE, rel=0.2)
    assert main(["mask", str(image), "-o", str(out)]) == 2  # exists already
    assert "--overwrite" in capsys.readouterr().err
    assert main(["mask", str(image), "-o", str(out), "--overwrite", "--nsigma", "50"]) == 0
    assert fits.getdata(out / "field.mask.fits").sum() == 0
    assert main(["mask", str(image), "-o", str(out), "--nsigma", "0"]) == 2
    with pytest.raises(SystemExit):
        main(["mask", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--nsigma", "default 5", "--box", "--min-island", "--region", "--save-rms", "<stem>.mask.fits"):
        assert option in text, option
