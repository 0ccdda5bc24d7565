"""Tests of kpc/pixel scaling, power-to-flux conversion and R500."""

import astropy.units as u
import numpy as np
import pytest
from astropy.cosmology import FlatLambdaCDM

from radio_unet.errors import RadioUNetError
from radio_unet import cosmology as cm

ASTROPY = FlatLambdaCDM(H0=70, Om0=0.3)


def test_one_mpc_in_pixels_low_and_high_redshift():
    """1 Mpc spans ~512 px of 2" at z=0.05 and ~82 px at z=0.5, as the angular-diameter distance says."""
    for z in (0.05, 0.5):
        expected = (1 * u.Mpc / ASTROPY.angular_diameter_distance(z) * u.rad).to_value(u.arcsec) / 2.0
        assert cm.kpc_to_pixels(1000.0, z, 2.0) == pytest.approx(expected, rel=1e-9)
    assert 500 < cm.kpc_to_pixels(1000.0, 0.05, 2.0) < 520
    assert 80 < cm.kpc_to_pixels(1000.0, 0.5, 2.0) < 84
    # same size looks ~6x smaller at z=0.5 than at z=0.05
    ratio = cm.kpc_to_pixels(1000.0, 0.05, 2.0) / cm.kpc_to_pixels(1000.0, 0.5, 2.0)
    assert ratio == pytest.approx(6.245, rel=0.01)


def test_pixels_to_kpc_inverts_kpc_to_pixels_and_arrays_work():
    """pixels_to_kpc is the inverse of kpc_to_pixels, also for arrays of redshifts."""
    z = np.array([0.02, 0.1, 0.6])
    pix = cm.kpc_to_pixels(np.array([100.0, 500.0, 2000.0]), z, 4.5)
    assert np.allclose(cm.pixels_to_kpc(pix, z, 4.5), [100.0, 500.0, 2000.0])


def test_flux_from_power_matches_independent_astropy_calculation():
    """S = P (1+z)^(1+alpha) (nu/nu_ref)^alpha / (4 pi D_L^2), checked with astropy units."""
    power, z, alpha = 1e25 * u.W / u.Hz, 0.2, -1.3
    dl = ASTROPY.luminosity_distance(z)
    expected = (power / (4 * np.pi * dl**2) * (1 + z) ** (1 + alpha) * (144 / 150) ** alpha).to_value(u.Jy)
    got = cm.flux_from_power(1e25, z, alpha=alpha, freq_hz=144e6, ref_freq_hz=150e6)
    assert got == pytest.approx(expected, rel=1e-9)
    # steep spectra are fainter at higher z than flat ones at equal power (k-correction)
    flat = cm.flux_from_power(1e25, z, alpha=-0.0001)
    assert got < flat


def test_power_from_flux_inverts_flux_from_power():
    """power_from_flux(flux_from_power(P)) == P."""
    s = cm.flux_from_power(3e24, 0.35, alpha=-1.1)
    assert cm.power_from_flux(s, 0.35, alpha=-1.1) == pytest.approx(3e24, rel=1e-12)


def test_r500_from_mass_matches_definition():
    """R500 encloses 500 rho_crit: ~1.17 Mpc for 5e14 Msun at z=0.1."""
    m, z = 5e14, 0.1
    rho = ASTROPY.critical_density(z).to(u.Msun / u.kpc**3).value
    assert cm.r500_kpc(m, z) == pytest.approx((3 * m / (4 * np.pi * 500 * rho)) ** (1 / 3), rel=1e-9)
    assert 1100 < cm.r500_kpc(m, z) < 1250


def test_rayleigh_jeans_conversion():
    """1 K at 144 MHz is 2 k nu^2 / c^2 per steradian, about 1.5e-8 Jy/arcsec^2."""
    expected = (2 * 1.380649e-23 * (144e6) ** 2 / 299792458.0**2 * 1e26) / (206264.80624709636**2)
    assert cm.rayleigh_jeans_jy_per_arcsec2(1.0, 144e6) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("z", [0.0, -0.1, np.nan])
def test_invalid_redshift_raises(z):
    """Non-positive or NaN redshifts are user errors."""
    with pytest.raises(RadioUNetError):
        cm.kpc_to_pixels(100.0, z, 2.0)


def test_invalid_pixel_scale_raises():
    """A zero pixel scale is refused with a RadioUNetError."""
    with pytest.raises(RadioUNetError, match="pixel scale"):
        cm.kpc_to_pixels(100.0, 0.1, 0.0)
