"""Lights against PUBLISHED references (never against chroma's own output).

Sources:
- CIE 15:2004 "Colorimetry", 3rd ed., Table T.8.1 (CIE illuminants FL1-FL12: CCT and
  general colour rendering index Ra per CIE 13.3), the same values as the table of
  F illuminants in Wikipedia's "Standard illuminant" article: FL1 76, FL2 64, FL3 57,
  FL4 51, FL5 72, FL6 59, FL7 90, FL8 95, FL9 90, FL10 81, FL11 83, FL12 83.
- CIE 15:2004 Table T.3 / T.1: chromaticities of illuminant A (0.44757, 0.40745) and
  D65 (0.31272, 0.32903); CCT of A 2856 K, D65 6504 K.
- CIE 13.3-1995: a Planckian radiator and CIE daylight are their own reference
  illuminants, so their Ra is 100 by definition.
- OCIO's ACES config: ``CIE XYZ-D65`` interchange -> ACEScg (the second library).
- CIE 15:2004 eq. 8.2 and Table T.3: CIE 1960 UCS u, v of illuminant A (0.2560, 0.3495)
  and D65 (0.1978, 0.3122); colour-science's ``XYZ_to_UCS`` / ``UCS_to_uv`` and
  ``sd_gaussian(method="FWHM")`` for the numpy twins chroma keeps for speed.
- Ohno 2005, Opt. Eng. 44(11), eq. 1: the LED shape, whose full width at half maximum
  chroma's ``ohno_led`` takes.
"""

from __future__ import annotations

import numpy as np
import pytest

from chroma.colour_science import colour
from chroma.lights import WAVELENGTHS, Light, spectra

CIE_15_FL_RA = {
    "FL1": 76, "FL2": 64, "FL3": 57, "FL4": 51, "FL5": 72, "FL6": 59,
    "FL7": 90, "FL8": 95, "FL9": 90, "FL10": 81, "FL11": 83, "FL12": 83,
}
CIE_15_FL_CCT = {
    "FL1": 6430, "FL2": 4230, "FL3": 3450, "FL4": 2940, "FL5": 6350, "FL6": 4150,
    "FL7": 6500, "FL8": 5000, "FL9": 4150, "FL10": 5000, "FL11": 4000, "FL12": 3000,
}


@pytest.mark.parametrize("name", list(CIE_15_FL_RA))
def test_fluorescent_ra_matches_cie_15_table(name):
    m = Light.illuminant(name).metrics()
    assert m.cri_ra == pytest.approx(CIE_15_FL_RA[name], abs=1.0)
    # the published CCTs are rounded to 10 K (FL8/FL10 5000, FL7 6500...)
    assert m.cct == pytest.approx(CIE_15_FL_CCT[name], abs=15)


@pytest.mark.parametrize("light", [Light.blackbody(2700), Light.blackbody(3200), Light.illuminant("A"),
                                   Light.illuminant("D50"), Light.illuminant("D65")], ids=str)
def test_reference_illuminants_render_at_ra_100(light):
    m = light.metrics()
    assert m.cri_ra == pytest.approx(100, abs=0.5)
    assert min(m.cri_ri) > 99.5
    assert m.tm30_rf == pytest.approx(100, abs=0.5)
    assert m.tm30_rg == pytest.approx(100, abs=0.5)


def test_cct_of_a_and_d65():
    assert Light.illuminant("A").cct == pytest.approx(2856, abs=2)
    assert Light.illuminant("D65").cct == pytest.approx(6504, abs=2)


def test_chromaticity_of_a_and_d65():
    np.testing.assert_allclose(Light.illuminant("A").xy, [0.44757, 0.40745], atol=5e-5)
    np.testing.assert_allclose(Light.illuminant("D65").xy, [0.31272, 0.32903], atol=5e-5)


def test_planckian_locus_point_ohno_2014():
    # Ohno 2014, LEUKOS 10(1), Table 1 style check: a blackbody has Duv 0 at its own CCT.
    light = Light.blackbody(6500)
    assert light.cct == pytest.approx(6500, abs=0.5)
    assert abs(light.duv) < 1e-5


def test_efficacy_of_equal_energy_illuminant():
    # LER is taken over 360-830 nm. The equal-energy illuminant E has LER = 683 * mean(V)
    # = 683 * 106.857 / 471, where 106.857 is the sum of V(lambda) = ybar at 1 nm over
    # 360-830 nm (CIE 15:2004 Table T.4 data).
    light = Light.illuminant("E")
    assert light.metrics().efficacy_lm_per_w == pytest.approx(683 * 106.857 / 471, rel=2e-3)


# ------------------------------------------------------------------ two libraries agree


def _ocio_acescg(xyz: np.ndarray) -> np.ndarray:
    from chroma import ocio

    cfg = ocio.get_config()
    cpu = cfg.getProcessor("CIE XYZ-D65 - Scene-referred", "ACEScg").getDefaultCPUProcessor()
    rgba = np.array([[*xyz, 1.0]], dtype=np.float32)
    cpu.applyRGBA(rgba)
    return rgba[0, :3].astype(np.float64)


@pytest.mark.parametrize("light", [Light.blackbody(3200), Light.illuminant("FL2"), Light.illuminant("D65"),
                                   Light.led("pc:5600"), Light.led("450:20,530:30,630:20"),
                                   Light.illuminant("LED-B4")], ids=str)
def test_acescg_rgb_equals_ocio_transform_of_the_spectrum_xyz(light):
    from chroma import ocio

    xyz = light.xyz()
    assert xyz[1] == pytest.approx(1.0)
    ref = _ocio_acescg(xyz)
    ref = ref / float(ocio.luminance_weights("ACEScg") @ ref)  # the same luminance-1 scaling
    rgb = light.rgb("ACEScg")
    np.testing.assert_allclose(rgb, ref, rtol=1e-5, atol=0)


def test_ocio_display_referred_xyz_route_agrees_too():
    # the config's role cie_xyz_d65_interchange is the display-referred XYZ space; through
    # the config's default (un-tone-mapped) view transform it lands on the same matrix
    from chroma import ocio

    cfg = ocio.get_config()
    cpu = cfg.getProcessor("cie_xyz_d65_interchange", "ACEScg").getDefaultCPUProcessor()
    xyz = Light.blackbody(3200).xyz()
    rgba = np.array([[*xyz, 1.0]], np.float32)
    cpu.applyRGBA(rgba)
    np.testing.assert_allclose(rgba[0, :3], _ocio_acescg(xyz), rtol=1e-5)


# ------------------------------------------- spectra: colour-science and its numpy twins


@pytest.mark.parametrize("peak, fwhm", [(450.0, 20.0), (560.0, 110.0), (612.5, 75.5)])
def test_gaussian_twin_equals_colour_sd_gaussian_fwhm(peak, fwhm):
    ref = colour().sd_gaussian(peak, fwhm, spectra.spectral_shape(), method="FWHM").values
    np.testing.assert_allclose(spectra._gaussian(peak, fwhm), ref, rtol=0, atol=1e-12)


def test_gaussian_twin_is_half_its_peak_half_a_width_away():
    v = spectra._gaussian(560.0, 100.0)
    assert v[WAVELENGTHS == 560.0][0] == 1.0
    np.testing.assert_allclose(v[np.isin(WAVELENGTHS, [510.0, 610.0])], 0.5, rtol=0, atol=1e-12)


def test_uv_twin_equals_colour_ucs_route():
    c = colour()
    xyz = np.random.default_rng(7).uniform(0.01, 2.0, (50, 3))
    np.testing.assert_allclose(spectra.xyz_to_uv(xyz), c.UCS_to_uv(c.XYZ_to_UCS(xyz)), rtol=1e-14, atol=0)


@pytest.mark.parametrize("xy, uv", [((0.44757, 0.40745), (0.2560, 0.3495)), ((0.31272, 0.32903), (0.1978, 0.3122))],
                         ids=["A", "D65"])
def test_uv_of_cie_illuminants(xy, uv):
    x, y = xy
    xyz = np.array([x / y, 1.0, (1.0 - x - y) / y])
    np.testing.assert_allclose(spectra.xyz_to_uv(xyz), uv, atol=6e-5)


@pytest.mark.parametrize("peak, fwhm", [(450.0, 20.0), (530.0, 30.0), (630.0, 60.0)])
def test_ohno_led_has_the_given_full_width_at_half_maximum(peak, fwhm):
    # Ohno 2005 eq. 1 with the width parameter chroma derives: exactly 0.5 at peak +- fwhm / 2
    v = spectra.ohno_led(peak, fwhm)
    assert v[WAVELENGTHS == peak][0] == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(v[np.isin(WAVELENGTHS, [peak - fwhm / 2, peak + fwhm / 2])], 0.5, atol=1e-9)
