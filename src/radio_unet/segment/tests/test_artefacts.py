"""The sign-symmetry check: islands the negated image repeats around a bright source are artefacts."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from radio_unet.io import RadioImage, Beam
from radio_unet.segment.artefacts import (AREA_RATIO, RADIAL_CHANCE, RADIAL_MIN_ANGLE, SOURCE_RATIO, may_hold_artefacts,
                                          radial_islands, sign_symmetric_islands)
from radio_unet.segment.run import _flag_artefacts

N = 128
CENTRE = (64, 64)


def _spoke(angle_deg: float, sign: float, value: float, *, r0: int = 20, r1: int = 60) -> np.ndarray:
    """A 3-px wide straight ridge from radius ``r0`` to ``r1`` at ``angle_deg`` around :data:`CENTRE`."""
    out = np.zeros((N, N))
    a = np.radians(angle_deg)
    for r in np.arange(r0, r1, 0.5):
        y, x = CENTRE[0] + r * np.sin(a), CENTRE[1] + r * np.cos(a)
        out[int(round(y)) - 1 : int(round(y)) + 2, int(round(x)) - 1 : int(round(x)) + 2] = sign * value
    return out


def _sky(*, source: float = 5000.0, twins: bool = True, halo: bool = False) -> np.ndarray:
    snr = np.zeros((N, N))
    snr[CENTRE] = source
    snr += _spoke(10, +1, 5.0) + _spoke(100, +1, 5.0)
    if twins:
        snr += _spoke(55, -1, 5.0) + _spoke(150, -1, 5.0)
    if halo:
        snr += np.where(_halo(), 4.0, 0.0)
    return snr


def _halo(radius: float = 7.0) -> np.ndarray:
    """A disc 76 px from the source: beyond the spokes' distances (20-60 px) and the check's margin."""
    yy, xx = np.mgrid[:N, :N]
    return np.hypot(yy - 10, xx - 10) < radius


def test_spokes_with_negative_twins_are_flagged_and_emission_is_not():
    snr = _sky(halo=True)
    flagged, records = sign_symmetric_islands(snr, snr >= 3, -snr >= 3, beam_pixels=3.0)
    spokes = (_spoke(10, 1, 1) + _spoke(100, 1, 1)) > 0
    assert flagged[spokes].all()
    assert len(records) == 2 and all(r["source_peak"] == 5000.0 for r in records)
    assert not flagged[_halo()].any()  # no negative twin at its distance from the source (the next tests: with one)


def test_nothing_is_flagged_without_twins_or_without_a_bright_source():
    snr = _sky(twins=False)
    assert not sign_symmetric_islands(snr, snr >= 3, -snr >= 3, beam_pixels=3.0)[0].any()
    faint = _sky(source=SOURCE_RATIO * 5.0 * 0.9)  # the source is not 30 times brighter than the spokes
    assert not sign_symmetric_islands(faint, faint >= 3, -faint >= 3, beam_pixels=3.0)[0].any()


def test_small_or_faint_twins_do_not_remove_a_large_island():
    snr = np.zeros((N, N))
    snr[CENTRE] = 5000.0
    yy, xx = np.mgrid[:N, :N]
    halo = np.hypot(yy - 64, xx - 104) < 14  # a halo 40 px from the source
    snr[halo] = 6.0
    small = np.hypot(yy - 64, xx - 24) < 3  # a negative blob at the same distance, far smaller than the halo
    snr[small] = -6.0
    assert small.sum() < AREA_RATIO * halo.sum()
    assert not sign_symmetric_islands(snr, snr >= 3, -snr >= 3, beam_pixels=3.0)[0].any()
    wide_faint = np.hypot(yy - 64, xx - 24) < 14  # as large, but much fainter than the halo
    snr[wide_faint] = -2.0
    assert not sign_symmetric_islands(snr, snr >= 1.5, -snr >= 1.5, beam_pixels=3.0)[0].any()
    snr[wide_faint] = -6.0  # as large and as bright: sign-symmetric, an artefact by the rule
    assert sign_symmetric_islands(snr, snr >= 3, -snr >= 3, beam_pixels=3.0)[0][halo].all()


def _arc(radius: float, centre: tuple[float, float], a0: float, a1: float) -> np.ndarray:
    """A 3-px wide arc (a relic's shape) of ``radius`` around ``centre`` from ``a0`` to ``a1`` degrees."""
    out = np.zeros((N, N), bool)
    for a in np.radians(np.arange(a0, a1, 0.5)):
        y, x = int(round(centre[0] + radius * np.sin(a))), int(round(centre[1] + radius * np.cos(a)))
        out[y - 1 : y + 2, x - 1 : x + 2] = True
    return out


def test_radial_streaks_from_two_sides_are_spokes_and_a_relic_is_not():
    snr = _sky(twins=False) + _spoke(250, +1, 5.0)  # three spokes, no negative twins: the sign-symmetry check sees nothing
    relic = _arc(25.0, (20.0, 20.0), 20, 80)  # a relic 40-50 px from the source, its chord across the direction to it
    snr[relic] = 4.0
    assert not sign_symmetric_islands(snr, snr >= 3, -snr >= 3, beam_pixels=3.0)[0].any()
    flagged, records = radial_islands(snr, snr >= 3, beam_pixels=3.0)
    spokes = (_spoke(10, 1, 1) + _spoke(100, 1, 1) + _spoke(250, 1, 1)) > 0
    assert flagged[spokes].all() and not flagged[relic].any()
    assert len(records) == 3 and all(r["source_peak"] == 5000.0 and r["elongation"] >= 3 for r in records)
    assert all(r["chance"] <= RADIAL_CHANCE for r in records)


def test_chance_alignments_in_a_crowded_field_are_not_spokes():
    """Hundreds of elongated islands and of bright sources: many axes pass near some source by chance."""
    from scipy import ndimage

    rng = np.random.default_rng(0)
    snr = rng.normal(0.0, 1.0, (1024, 1024)).astype(np.float32)
    snr[rng.integers(0, 1024, 150), rng.integers(0, 1024, 150)] = rng.uniform(40, 5000, 150)
    above = ndimage.gaussian_filter(rng.normal(0.0, 1.0, snr.shape), (2, 8)) > 0.12  # ~900 islands, most elongated
    flagged, _ = radial_islands(snr, above, beam_pixels=4.0)
    assert not flagged.any()
    unguarded, _ = radial_islands(snr, above, beam_pixels=4.0, chance=np.inf)  # counting alignments alone would
    assert unguarded.sum() > 0.05 * above.sum()


def test_one_streak_a_faint_source_or_one_direction_is_not_enough():
    snr = np.zeros((N, N))
    snr[CENTRE] = 5000.0
    snr += _spoke(10, +1, 5.0)
    assert not radial_islands(snr, snr >= 3, beam_pixels=3.0)[0].any()  # a single streak: could be a relic
    close = np.maximum(snr, _spoke(10 + RADIAL_MIN_ANGLE / 2, +1, 5.0, r0=40))  # a second streak, too close in direction
    assert not radial_islands(close, close >= 3, beam_pixels=3.0)[0].any()
    apart = np.maximum(snr, _spoke(10 + 2 * RADIAL_MIN_ANGLE, +1, 5.0, r0=40))  # the same, far enough apart
    assert radial_islands(apart, apart >= 3, beam_pixels=3.0)[0].sum() == (apart >= 3).sum() - 1
    faint = _sky(source=SOURCE_RATIO * 5.0 * 0.9, twins=False)  # the source is not 30 times brighter than the streaks
    assert not radial_islands(faint, faint >= 3, beam_pixels=3.0)[0].any()


def test_an_island_that_holds_its_source_is_not_its_spoke():
    snr = _sky(twins=False) + _spoke(250, +1, 5.0)
    jet = _spoke(190, +1, 5.0, r0=0, r1=40) > 0  # a straight ridge starting at the source itself
    snr = np.maximum(snr, np.where(jet, 5.0, 0.0))
    snr[CENTRE] = 5000.0
    flagged, records = radial_islands(snr, snr >= 3, beam_pixels=3.0)
    assert len(records) == 3 and not flagged[jet].any()


def test_pieces_of_one_streak_count_as_one_direction():
    snr = np.zeros((N, N))
    snr[CENTRE] = 5000.0
    snr += _spoke(10, +1, 5.0, r0=20, r1=38) + _spoke(10, +1, 5.0, r0=42, r1=60)  # one streak, broken in two
    assert not radial_islands(snr, snr >= 3, beam_pixels=3.0)[0].any()
    snr += _spoke(100, +1, 5.0) + _spoke(250, +1, 5.0)  # two more directions: three in all
    assert radial_islands(snr, snr >= 3, beam_pixels=3.0)[1][0]["chance"] <= RADIAL_CHANCE


def test_the_chance_level_is_shared_among_the_bright_sources():
    snr = _sky(twins=False) + _spoke(250, +1, 5.0)
    _, records = radial_islands(snr, snr >= 3, beam_pixels=3.0)
    p = records[0]["chance"]
    assert radial_islands(snr, snr >= 3, beam_pixels=3.0, chance=1.01 * p)[1]
    crowded = snr.copy()
    crowded[2, 2:122:6] = 1000.0  # 20 more bright sources far from the spokes' axes
    assert not radial_islands(crowded, snr >= 3, beam_pixels=3.0, chance=1.01 * p)[1]


def test_islands_smaller_than_a_beam_are_not_counted():
    snr = np.zeros((N, N))
    snr[CENTRE] = 5000.0
    for angle in np.radians([10, 100, 250]):  # 1-px streaks of 20 px: under the beam area of a 5-px beam (28 px)
        r = np.arange(30, 50)
        snr[np.round(CENTRE[0] + r * np.sin(angle)).astype(int), np.round(CENTRE[1] + r * np.cos(angle)).astype(int)] = 5.0
    assert not radial_islands(snr, snr >= 3, beam_pixels=5.0)[0].any()
    assert radial_islands(snr, snr >= 3, beam_pixels=2.0)[0].any()  # the same pieces are islands of a 2-px beam


def test_may_hold_artefacts_is_the_cheap_gate():
    above = np.zeros((4, 4), bool)
    assert not may_hold_artefacts(1e4, above)
    above[0, 0] = True
    assert may_hold_artefacts(SOURCE_RATIO, above)
    assert not may_hold_artefacts(SOURCE_RATIO - 1, above)
    assert not may_hold_artefacts(float("nan"), above)


class _FakeSegmenter:
    """Returns a fixed 'negated image' probability map; counts its calls."""

    multiclass = False
    classes = ["background", "diffuse"]

    def __init__(self, negated_prob: np.ndarray):
        self.negated_prob, self.calls = negated_prob, 0
        self.card = SimpleNamespace(beam_arcsec={"major": 6.0}, pixel_scale_arcsec=2.0, diffuse_channels=lambda: [1])

    def __call__(self, image, *, tiling):
        self.calls += 1
        return self.negated_prob

    def diffuse(self, probabilities):
        return probabilities


def _image(data: np.ndarray) -> RadioImage:
    from astropy.wcs import WCS

    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---SIN", "DEC--SIN"]
    wcs.wcs.cdelt = [-2 / 3600, 2 / 3600]
    wcs.wcs.crval = [150.0, 2.0]
    wcs.wcs.crpix = [N / 2, N / 2]
    return RadioImage(data=data.astype(np.float32), wcs=wcs, beam=Beam(6.0, 6.0, 0.0))


@pytest.mark.parametrize("bright", [True, False])
def test_flag_artefacts_zeroes_the_islands_and_their_fringe_only(bright):
    rng = np.random.default_rng(0)
    snr = _sky(halo=True, source=5000.0 if bright else 20.0) + rng.normal(0, 1, (N, N))
    blank = np.zeros((N, N), bool)
    blank[:, :4] = True  # a blank border
    snr[blank] = np.nan
    image = _image(snr * 1e-4)
    prob = np.where(snr >= 3, 0.9, 0.3).astype(np.float32)
    prob[np.abs(snr) < 1.5] = 0.0
    prob[blank] = np.nan
    negated = np.where(-np.nan_to_num(snr) >= 3, 0.9, 0.0)
    fake = _FakeSegmenter(negated)
    original = prob.copy()
    flagged, records, status = _flag_artefacts(fake, image, image, 1.0, "window", prob, threshold=0.5)
    if not bright:  # no source bright enough: the negated image is never segmented, nothing changes
        assert fake.calls == 0 and flagged is None and records == [] and status == "not needed"
        np.testing.assert_array_equal(prob, original)
        return
    assert fake.calls == 1 and len(records) >= 2 and status == "done"
    spokes = (_spoke(10, 1, 1) + _spoke(100, 1, 1)) > 0
    assert (prob[spokes & (original >= 0.5)] == 0).all()
    changed = ~np.isclose(np.nan_to_num(prob, nan=-1), np.nan_to_num(original, nan=-1))
    assert changed.sum() > flagged.sum()  # the fringe went too ...
    from scipy import ndimage

    near = ndimage.binary_dilation(flagged, iterations=4)  # ... within a beam (3 px) of the islands, nowhere else
    assert not changed[~near].any()
    assert np.isnan(prob[blank]).all()  # blank pixels stay blank
    halo = _halo(5.0)  # its core: the noise may detach a pixel of the rim
    assert np.array_equal(prob[halo], original[halo])
    assert not flagged[halo].any()


def test_flag_artefacts_is_skipped_on_images_over_the_limit(monkeypatch):
    import radio_unet.segment.artefacts as artefacts

    monkeypatch.setattr(artefacts, "MAX_PIXELS", N * N - 1)
    snr = _sky() + np.random.default_rng(1).normal(0, 1, (N, N))
    prob = np.where(snr >= 3, 0.9, 0.0).astype(np.float32)
    fake = _FakeSegmenter(np.zeros((N, N)))
    flagged, records, status = _flag_artefacts(fake, _image(snr), _image(snr), 1.0, "window", prob, threshold=0.5)
    assert flagged is None and records == [] and status.startswith("skipped") and fake.calls == 0


@pytest.mark.parametrize("network, scale", [("tiny_model", 2.0), ("tiny_classifier", 2.0), ("tiny_classifier", 1.5)])
def test_segment_writes_the_removed_islands_and_no_artefact_check_keeps_them(tmp_path, request, network, scale,
                                                                              monkeypatch, capsys):
    """The plumbing of ``radio-unet segment`` (binary and classification networks, the image at the model's pixels
    and resampled): with the rule forced to flag a block, its pixels get probability 0 and no diffuse class, its
    outline goes to <stem>.artefacts.reg and the command says so; --no-artefact-check leaves the map alone and removes
    the earlier run's artefact regions."""
    from astropy.io import fits

    import radio_unet.segment.artefacts as artefacts
    from radio_unet.cli import main
    from radio_unet.conftest import celestial_header, random_image, write_fits
    from radio_unet.models import read_card

    tiny_model = request.getfixturevalue(network)
    h = celestial_header(nx=96, ny=96, scale_arcsec=scale)
    h["BMAJ"], h["BMIN"], h["BPA"], h["BUNIT"] = 6 / 3600, 6 / 3600, 0.0, "JY/BEAM"
    src = write_fits(tmp_path / "field.fits", random_image(96, 96), h)
    block = np.zeros((96, 96), bool)
    block[40:60, 40:60] = True
    calls = []

    def forced(snr, above, above_negated, *, beam_pixels, **_):
        calls.append(beam_pixels)
        return block.copy(), [{"pixels": int(block.sum()), "brightness": 3.0, "source_x": 5, "source_y": 5,
                               "source_peak": 900.0, "twin_pixels": 300, "twin_brightness": 3.0}]

    monkeypatch.setattr(artefacts, "may_hold_artefacts", lambda *a, **k: True)
    monkeypatch.setattr(artefacts, "sign_symmetric_islands", forced)
    out = tmp_path / "out"
    args = ["segment", str(src), "-o", str(out), "--model", str(tiny_model), "--no-png"]
    assert main(args) == 0
    assert calls == [pytest.approx(6.0 / scale)]  # the beam in the image's pixels
    assert "1 island(s) removed as calibration artefacts" in capsys.readouterr().out
    prob = fits.getdata(out / "field.prob.fits")
    assert (prob[block] == 0).all()
    if network == "tiny_classifier":
        diffuse = read_card(tiny_model)[2].diffuse_channels()
        assert not np.isin(fits.getdata(out / "field.class.fits")[block], diffuse).any()
    assert "polygon(" in (out / "field.artefacts.reg").read_text()
    assert main(args + ["--no-artefact-check"]) == 0  # a different signature: redone, not skipped
    assert len(calls) == 1 and not (out / "field.artefacts.reg").exists()
    assert (fits.getdata(out / "field.prob.fits")[block] > 0).any()
    if network == "tiny_classifier":  # the block held diffuse classes that the check took away
        assert np.isin(fits.getdata(out / "field.class.fits")[block], diffuse).any()
