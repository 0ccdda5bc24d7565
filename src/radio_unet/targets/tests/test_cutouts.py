"""Tests of the cut-out helpers: image discovery, footprints of odd headers, matching, stems, the job."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from astropy.table import Table

from radio_unet.errors import InputError
from radio_unet.io import make_celestial_wcs, read_image
from radio_unet.targets.cutouts import (
    CutoutJob,
    cut_out,
    find_images,
    make_cutouts,
    match_targets,
    read_footprint,
    target_stems,
)
from radio_unet.targets.pipeline import TargetJob


def test_stems_are_safe_and_unique():
    """Spaces and slashes become underscores; repeated names get a suffix."""
    assert target_stems(["PSZ2 G000.04+45.13", "Abell 2255", "a/b", "Abell 2255", ""]) == [
        "PSZ2_G000.04+45.13", "Abell_2255", "a_b", "Abell_2255_2", "target"]


def test_find_images(tmp_path, image_2d):
    """Folders give their FITS files (not prob/mask maps); a missing path or an empty folder is an error."""
    (tmp_path / "x.prob.fits").write_bytes(image_2d.read_bytes())
    (tmp_path / "notes.txt").write_text("hi")
    assert find_images([tmp_path, image_2d]) == [str(image_2d)]
    with pytest.raises(InputError, match="no such file"):
        find_images([tmp_path / "nope"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no FITS images"):
        find_images([empty])


def test_footprints_of_4d_and_cd_matrix_images(image_4d, image_cd):
    """WSClean/CASA 4-D headers and a rotated CD-matrix gzip image give 2-D footprints and usable cut-outs."""
    for path in (image_4d, image_cd):
        fp = read_footprint(path)
        assert fp.shape == (48, 64)
        image = read_image(path)
        ra, dec = fp.center
        data, wcs = cut_out(image.data, image.wcs, ra=ra, dec=dec, size=20)
        assert data.shape == (20, 20) and data.dtype == np.float32
        x, y = wcs.world_to_pixel_values(ra, dec)
        assert abs(x - 9.5) <= 0.5 and abs(y - 9.5) <= 0.5


def test_not_an_image_is_a_clear_error(tmp_path):
    """A text file given as an image names the file."""
    bad = tmp_path / "bad.fits"
    bad.write_text("nothing")
    with pytest.raises(InputError, match="bad.fits"):
        read_footprint(bad)


def test_matching_prefers_the_nearest_centre_and_ignores_the_far_side(tmp_path):
    """Two overlapping fields: the target goes to the nearer centre; the antipode of a SIN field is not on it."""
    from astropy.io import fits

    paths = []
    for name, ra in (("a", 10.0), ("b", 10.1)):
        wcs = make_celestial_wcs((100, 100), pixel_scale_arcsec=6.0, ra_deg=ra, dec_deg=0.0)
        path = tmp_path / f"{name}.fits"
        fits.PrimaryHDU(np.zeros((100, 100), np.float32), wcs.to_header()).writeto(path)
        paths.append(path)
    fps = [read_footprint(p) for p in paths]
    assert match_targets([10.02, 10.08, 190.0, 50.0], [0.0, 0.0, 0.0, 0.0], fps) == [[0, 1], [1, 0], [], []]


def test_jobs_pickle(tmp_path):
    """The per-target jobs survive pickling (Dask sends them to worker processes)."""
    for job in (CutoutJob(tmp_path, size=10), TargetJob(tmp_path, size=10, model="m")):
        clone = pickle.loads(pickle.dumps(job))
        assert vars(clone) == vars(job)


def test_make_cutouts_writes_index_and_rejected_rows(fields, tmp_path):
    """The API writes cutouts.ecsv with one row per valid target and rejected_rows.txt for the skipped rows."""
    from radio_unet.targets.catalog import read_catalog

    catalog = read_catalog(fields.catalog)
    result = make_cutouts(catalog, [fields.images["A"]], tmp_path, size=16)
    index = Table.read(result["index"])
    assert len(index) == len(catalog) == 12
    assert "T09" in result["rejected"].read_text()
    on_a = {r["name"] for r in result["results"]}
    assert {"T01", "T02", "T05", "T11", "T13", "T04"} <= on_a and "T03" not in on_a
