"""White balance against published references (CIE 015:2018 tables, ISO/CIE 11664-2)."""

from __future__ import annotations

import numpy as np
import pytest

from chroma import ocio
from chroma import whitebalance as wb

# CIE 015:2018, Table 1 / ISO 11664-2: chromaticities of CIE standard illuminants (2 deg).
D65_XY = (0.3127, 0.3290)
A_XY = (0.44757, 0.40745)
# CCTs: D65 is 6504 K (CIE 015:2018, 6500 K x 1.4388/1.4380); A is 2856 K (CIE 015:2018 §3.1).
D65_CCT, A_CCT = 6504.0, 2856.0


def test_d65_from_kelvin():
    np.testing.assert_allclose(wb.kelvin_to_xy(6504), D65_XY, atol=5e-4)
    np.testing.assert_allclose(wb.kelvin_to_xy(6504, locus="daylight"), D65_XY, atol=5e-4)


def test_illuminant_a_from_kelvin():
    np.testing.assert_allclose(wb.kelvin_to_xy(2856), A_XY, atol=5e-4)
    np.testing.assert_allclose(wb.kelvin_to_xy(2856, locus="planckian"), A_XY, atol=5e-4)


@pytest.mark.parametrize("xy, cct", [(D65_XY, D65_CCT), (A_XY, A_CCT)])
def test_xy_to_cct(xy, cct):
    k, _ = wb.xy_to_kelvin(xy)
    assert abs(k - cct) <= 2.0


def test_illuminant_a_is_on_planckian_locus():
    # A is a Planckian radiator: Duv 0 (CIE 015:2018 §3.1)
    assert abs(wb.xy_to_kelvin(A_XY)[1]) < 1e-4


# CIE 015:2018 Table 1 daylight illuminants D50, D55, D75 (2 deg) and their CCTs
@pytest.mark.parametrize("kelvin, xy", [(5003, (0.34567, 0.35850)), (5503, (0.33242, 0.34743)),
                                        (7504, (0.29902, 0.31485))])
def test_daylight_table(kelvin, xy):
    np.testing.assert_allclose(wb.kelvin_to_xy(kelvin), xy, atol=5e-4)


def test_neutral_3200_to_6500_is_neutral_in_target():
    """A neutral lit by 3200 K, adapted to the target white, is R=G=B in a space whose white
    is that target: Rec.709's D65 (IEC 61966-2-1), and ACEScg's ACES white (S-2014-004)."""
    for cs, target in (("Linear Rec.709 (sRGB)", D65_XY), ("ACEScg", (0.32168, 0.33767))):
        npm = ocio.rgb_to_xyz_matrix(cs)
        src = wb.kelvin_to_xy(3200)
        grey = np.linalg.solve(npm, np.array([src[0] / src[1], 1.0, (1 - src.sum()) / src[1]])) * 0.18
        for method in ("CAT16", "Bradford", "CAT02", "von Kries"):
            out = wb.adaptation_matrix(src, target, cs, method) @ grey
            np.testing.assert_allclose(out, out.mean(), rtol=1e-9)
    # and with the target given in Kelvin (6500 K daylight differs from D65 by 1.5e-4 in xy)
    m = wb.white_balance_matrix(3200, 6500, colorspace="Linear Rec.709 (sRGB)")
    npm = ocio.rgb_to_xyz_matrix("Linear Rec.709 (sRGB)")
    src = wb.kelvin_to_xy(3200)
    grey = np.linalg.solve(npm, np.array([src[0] / src[1], 1.0, (1 - src.sum()) / src[1]]))
    out = m @ grey
    np.testing.assert_allclose(out, out.mean(), rtol=3e-3)


def test_bradford_matches_published_matrix():
    # Bradford D65 -> D50 XYZ matrix published by Lindbloom (brucelindbloom.com, "Chromatic
    # Adaptation"), applied in XYZ: use an XYZ-identity working space by composing with NPM.
    npm = ocio.rgb_to_xyz_matrix("Linear Rec.709 (sRGB)")
    m = wb.adaptation_matrix((0.31271, 0.32902), (0.34567, 0.35850), "Linear Rec.709 (sRGB)", "Bradford")
    xyz_m = npm @ m @ np.linalg.inv(npm)
    ref = np.array([[1.0478112, 0.0228866, -0.0501270],
                    [0.0295424, 0.9904844, -0.0170491],
                    [-0.0092345, 0.0150436, 0.7521316]])
    np.testing.assert_allclose(xyz_m, ref, atol=2e-4)
