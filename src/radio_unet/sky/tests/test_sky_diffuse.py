"""Tests of halos, mini-halos, relics, bridges and filaments."""

import numpy as np
import pytest

from radio_unet.errors import RadioUNetError
from radio_unet.sky import bridge, filaments, halo, minihalo, relic


def test_halo_total_flux_equals_requested():
    """A halo inside the image carries the requested flux to better than 1% (float32 rounding)."""
    cut = halo(
        (200, 220),
        centre=(110.3, 97.8),
        r_e=12.0,
        total_flux=0.0375,
        rng=np.random.default_rng(0),
        axis_ratio=0.7,
        angle_deg=20,
    )
    assert cut.data.dtype == np.float32
    assert cut.flux == pytest.approx(0.0375, rel=1e-3)
    assert cut.to_image((200, 220)).sum(dtype=np.float64) == pytest.approx(0.0375, rel=1e-3)


def test_halo_clipped_by_edge_matches_unclipped_rendering():
    """A halo cut by the image edge has the same pixels as in a larger image, and less flux than requested."""
    kw = dict(r_e=10.0, total_flux=0.01, axis_ratio=0.8, angle_deg=40.0, turbulence=0.5)
    big = halo((300, 300), centre=(150.0, 150.0), rng=np.random.default_rng(5), **kw).to_image((300, 300))
    # a 100x100 image whose origin is at (145, 145) of the big one: halo centre at (5, 5)
    small = halo((100, 100), centre=(5.0, 5.0), rng=np.random.default_rng(5), **kw).to_image((100, 100))
    assert np.allclose(small, big[145:245, 145:245], rtol=1e-5, atol=1e-12)
    flux_small = small.sum(dtype=np.float64)
    assert 0.2 * 0.01 < flux_small < 0.7 * 0.01


def test_smooth_halo_has_exponential_profile():
    """Without turbulence and truncation the azimuthal profile falls as exp(-r/r_e)."""
    r_e = 8.0
    img = halo(
        (161, 161),
        centre=(80, 80),
        r_e=r_e,
        total_flux=1.0,
        rng=np.random.default_rng(0),
        turbulence=0.0,
        truncation=50.0,
    ).to_image((161, 161))
    y, x = np.mgrid[:161, :161]
    r = np.hypot(x - 80, y - 80)
    radii = np.arange(4, 40, 4)
    prof = [img[(r >= a - 0.5) & (r < a + 0.5)].mean() for a in radii]
    slope = np.polyfit(radii, np.log(prof), 1)[0]
    assert slope == pytest.approx(-1.0 / r_e, rel=0.03)
    # normalisation: central brightness of an exponential disc is F / (2 pi r_e^2)
    assert img[80, 80] == pytest.approx(1.0 / (2 * np.pi * r_e**2), rel=0.05)


def test_halo_is_reproducible_and_turbulent():
    """Same seed -> identical halo; another seed gives different substructure but the same flux."""
    kw = dict(centre=(64, 64), r_e=10.0, total_flux=0.02, turbulence=0.5)
    a = halo((128, 128), rng=np.random.default_rng(1), **kw).to_image((128, 128))
    b = halo((128, 128), rng=np.random.default_rng(1), **kw).to_image((128, 128))
    c = halo((128, 128), rng=np.random.default_rng(2), **kw).to_image((128, 128))
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    assert c.sum(dtype=np.float64) == pytest.approx(0.02, rel=1e-3)


def test_minihalo_is_small_and_normalised():
    """A mini-halo of r_e 3 px keeps its flux and its emission within ~10 r_e."""
    img = minihalo((64, 64), centre=(32, 32), r_e=3.0, total_flux=0.005, rng=np.random.default_rng(0)).to_image(
        (64, 64)
    )
    assert img.sum(dtype=np.float64) == pytest.approx(0.005, rel=1e-3)
    y, x = np.mgrid[:64, :64]
    assert img[np.hypot(x - 32, y - 32) > 30].sum() < 1e-6 * 0.005


def test_relic_lies_at_requested_distance_with_sharp_outer_edge():
    """The relic peaks at the requested distance along its direction; outside it falls much faster than inside."""
    shape = (260, 260)
    cx, cy, dist, pa, width = 130.0, 130.0, 90.0, 30.0, 12.0
    cut = relic(
        shape,
        centre=(cx, cy),
        distance=dist,
        position_angle_deg=pa,
        length=120.0,
        width=width,
        total_flux=0.01,
        rng=np.random.default_rng(3),
        texture=0.0,
        wiggle=0.0,
    )
    img = cut.to_image(shape)
    assert img.sum(dtype=np.float64) == pytest.approx(0.01, rel=1e-3)
    from scipy.ndimage import map_coordinates

    s = np.arange(40, 125, 0.25)
    ray = map_coordinates(
        img.astype(float), [cy + s * np.sin(np.deg2rad(pa)), cx + s * np.cos(np.deg2rad(pa))], order=1
    )
    peak = s[np.argmax(ray)]
    assert abs(peak - dist) < 2.0
    half = ray.max() / 2
    above = s[ray > half]
    inner, outer = peak - above.min(), above.max() - peak
    assert outer < 0.5 * inner
    # nothing on the opposite side of the cluster
    yy, xx = np.mgrid[:260, :260]
    opposite = ((xx - cx) * np.cos(np.deg2rad(pa)) + (yy - cy) * np.sin(np.deg2rad(pa))) < 0
    assert img[opposite].sum() < 1e-6 * img.sum()


def test_relic_is_elongated_along_the_arc():
    """The relic's extent along the arc is several times its thickness."""
    img = relic(
        (300, 300),
        centre=(150, 150),
        distance=100,
        position_angle_deg=90,
        length=150,
        width=10,
        total_flux=1.0,
        rng=np.random.default_rng(0),
        curvature_radius=400,
    ).to_image((300, 300))
    ys, xs = np.nonzero(img > img.max() * 0.05)
    # arc at the top of the cluster: long in x, thin in y
    assert (xs.max() - xs.min()) > 5 * (ys.max() - ys.min()) / 2


def test_relic_too_long_for_curvature_raises():
    """A relic longer than 0.9 pi times its curvature radius cannot be drawn."""
    with pytest.raises(RadioUNetError, match="too long"):
        relic(
            (64, 64),
            centre=(32, 32),
            distance=10,
            position_angle_deg=0,
            length=100,
            width=3,
            total_flux=1,
            rng=np.random.default_rng(0),
        )


def test_bridge_connects_the_two_clusters():
    """A bridge carries its flux, and its emission lies along the line between the clusters."""
    shape = (200, 300)
    cut = bridge(shape, start=(60, 100), end=(240, 100), width=30, total_flux=0.004, rng=np.random.default_rng(0))
    img = cut.to_image(shape)
    assert cut.flux == pytest.approx(0.004, rel=0.01)
    mid = img[:, 150].astype(float)
    centroid = (mid * np.arange(200)).sum() / mid.sum()
    assert abs(centroid - 100) < 10
    assert img[100, 150] > 50 * img[10, 150]


def test_filaments_peak_and_coverage():
    """The filament network peaks at the requested brightness and leaves most of the image empty."""
    f = filaments(
        (256, 256), width=8.0, peak_brightness=3e-8, rng=np.random.default_rng(0), fill_fraction=0.5, cell_scale=6
    )
    assert f.dtype == np.float32
    assert f.max() == pytest.approx(3e-8, rel=1e-5)
    assert f.min() >= 0
    frac = (f > 0.1 * f.max()).mean()
    assert 0.005 < frac < 0.4
    again = filaments(
        (256, 256), width=8.0, peak_brightness=3e-8, rng=np.random.default_rng(0), fill_fraction=0.5, cell_scale=6
    )
    assert np.array_equal(f, again)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(r_e=0.0),
        dict(r_e=-3.0),
        dict(axis_ratio=0.0),
        dict(axis_ratio=1.5),
        dict(turbulence=-0.1),
        dict(total_flux=-1.0),
        dict(centre=(np.nan, 3)),
    ],
)
def test_invalid_halo_parameters_raise(kwargs):
    """Non-physical halo parameters raise RadioUNetError."""
    params = dict(centre=(10, 10), r_e=3.0, total_flux=1.0, rng=np.random.default_rng(0))
    params.update(kwargs)
    with pytest.raises(RadioUNetError):
        halo((32, 32), **params)


def test_arc_coordinates_are_zero_at_the_middle_of_the_arc():
    """The arc helper of relics: t is arc length from the middle, s the outward offset; its box holds the arc."""
    from radio_unet.sky.diffuse import _Arc

    arc = _Arc.through(centre=(50.0, 40.0), distance=30.0, position_angle_deg=90.0, rc=45.0)
    t, s = arc.coords(np.array([70.0, 75.0]), np.array([50.0]))
    assert t[:, 0] == pytest.approx([0.0, 0.0], abs=1e-9) and s[:, 0] == pytest.approx([0.0, 5.0])
    y0, y1, x0, x1 = arc.bbox(10.0, -5.0, 5.0)
    assert y0 < 70.0 < y1 and x0 < 50.0 < x1


def test_grid_cells_cover_the_span_with_two_spare_cells():
    from radio_unet.sky.diffuse import _grid_cells

    assert _grid_cells(10.0, 3.0, 4096) == (6, 2.5)
    n, step = _grid_cells(1e6, 1.0, 1024)
    assert n == 1024 and step == pytest.approx(1e6 / 1022)
