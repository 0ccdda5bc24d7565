"""Synthetic cluster fields for the per-target tests: three small mosaics, their probability maps and a catalogue.

Mosaic A and B overlap (B is A shifted by 90 pixels), C lies elsewhere with a
blank band of 25 columns. Targets are placed at known pixels; the
probability maps hold a faint uniform background and disks of known
probability at some targets, so the expected R of each target can be
computed directly from the arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from radio_unet.io import make_celestial_wcs, write_image
from radio_unet.io.beam import Beam

SCALE = 6.0  # arcsec per pixel
SHAPE = (120, 120)
BEAM = 18.0  # arcsec: 3 pixels per beam, as the tiny test model
SIZE = 48  # cut-out side used in the tests

#: name, mosaic, x, y, z, r500_arcmin, class, probability disk (p, radius in px) or None
TARGETS = [
    ("T01", "A", 40.3, 50.6, 0.10, 0.45, "DE", (0.9, 4.0)),
    ("T02", "A", 70.2, 30.4, 0.15, 0.40, "NDE", None),
    ("T03", "B", 85.4, 70.7, 0.20, 0.40, "DE", (0.25, 5.0)),
    ("T04", "A", 112.3, 60.2, 0.12, 0.40, "DEU", (0.7, 3.0)),  # in A and B, nearer B's centre: the blob is in B only
    ("T05", "A", 3.2, 90.5, 0.18, 0.40, "NDE", None),  # at A's left edge
    ("T06", "C", 28.4, 60.3, 0.25, 0.40, "DE", (0.8, 3.0)),  # next to C's blank band
    ("T07", "C", 80.6, 40.2, 0.30, 0.35, "NDE", (1.0, 1.5)),  # a compact false positive
    ("T08", None, None, None, 0.11, 0.40, "NDE", None),  # off every mosaic
    ("T09", "A", 20.5, 20.5, -1.0, 0.40, "DE", None),  # impossible redshift: rejected
    ("T10", "B", 60.5, 20.5, 0.14, 0.40, "?", (0.5, 3.0)),  # no usable label
    ("T11", "A", 60.7, 95.3, 0.16, 0.40, "NDE", None),
    ("T12", "C", 10.2, 60.1, 0.20, 0.40, "DE", None),  # inside C but blank
    ("T13", "A", 90.1, 80.2, 0.22, 0.40, "DE", (0.1, 2.0)),  # too faint: a false negative
]


@dataclass
class Fields:
    """Paths and truth of the synthetic survey."""

    root: Path
    images: dict = field(default_factory=dict)  # mosaic name -> FITS path
    probs: Path = None  # folder of <mosaic>.prob.fits
    catalog: Path = None
    wcs: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    prob: dict = field(default_factory=dict)
    radec: dict = field(default_factory=dict)  # target name -> (ra, dec)


def _disk(shape, x0, y0, r):
    y, x = np.mgrid[: shape[0], : shape[1]]
    return (x - x0) ** 2 + (y - y0) ** 2 <= r * r


def _gauss(shape, x0, y0, sigma):
    y, x = np.mgrid[: shape[0], : shape[1]]
    return np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * sigma**2))


def build_fields(root: Path) -> Fields:
    """Write the mosaics (C gzip-compressed), their probability maps and the CSV catalogue under ``root``."""
    rng = np.random.default_rng(42)
    f = Fields(root=root)
    wa = make_celestial_wcs(SHAPE, pixel_scale_arcsec=SCALE, ra_deg=150.0, dec_deg=50.0)
    ra_b, dec_b = wa.pixel_to_world_values(60 + 90, 60)
    f.wcs = {"A": wa, "B": make_celestial_wcs(SHAPE, pixel_scale_arcsec=SCALE, ra_deg=float(ra_b), dec_deg=float(dec_b)),
             "C": make_celestial_wcs(SHAPE, pixel_scale_arcsec=SCALE, ra_deg=152.0, dec_deg=50.0)}
    for name in "ABC":
        f.data[name] = rng.normal(0, 1e-4, SHAPE).astype(np.float32)
        f.prob[name] = rng.uniform(0, 0.006, SHAPE).astype(np.float32)
    f.data["C"][:, :25] = np.nan
    f.prob["C"][:, :25] = np.nan
    for name, mosaic, x, y, *_rest, disk in TARGETS:
        if mosaic is None:
            f.radec[name] = (155.0, 45.0)
            continue
        ra, dec = f.wcs[mosaic].pixel_to_world_values(x, y)
        f.radec[name] = (float(ra), float(dec))
        if disk is None:
            continue
        home = "B" if name in ("T04", "T10") else mosaic
        hx, hy = (float(v) for v in f.wcs[home].world_to_pixel_values(ra, dec))
        f.prob[home][_disk(SHAPE, hx, hy, disk[1])] = disk[0]
        f.data[home] += (3e-3 * disk[0] * _gauss(SHAPE, hx, hy, 2 * disk[1])).astype(np.float32)
    f.probs = root / "probs"
    for name in "ABC":
        file = root / ("C.fits.gz" if name == "C" else f"{name}.fits")
        header = f.wcs[name].to_header()
        header["BMAJ"] = header["BMIN"] = BEAM / 3600
        header["BPA"] = 0.0
        header["BUNIT"] = "JY/BEAM"
        header["RESTFRQ"] = 144e6
        fits.PrimaryHDU(f.data[name], header).writeto(file)
        f.images[name] = file
        write_image(f.probs / f"{name}.prob.fits", f.prob[name], wcs=f.wcs[name], beam=Beam(BEAM, BEAM, 0.0))
    lines = ["name,ra,dec,z,r500_arcmin,class"]
    for name, _m, _x, _y, z, r500, label, _d in TARGETS:
        ra, dec = f.radec[name]
        lines.append(f"{name},{ra:.9f},{dec:.9f},{z},{r500},{label}")
    f.catalog = root / "clusters.csv"
    f.catalog.write_text("\n".join(lines) + "\n")
    return f


@pytest.fixture(scope="module")
def fields(tmp_path_factory) -> Fields:
    """The synthetic survey, written once per test module."""
    return build_fields(tmp_path_factory.mktemp("survey"))
