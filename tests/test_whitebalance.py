"""Kelvin/tint <-> chromaticity, adaptation matrices, white estimation (behaviour)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chroma import ocio
from chroma import whitebalance as wb
from chroma.errors import ChromaValueError, ColorSpaceError
from chroma.image import Image


@pytest.mark.parametrize("bad", [float("nan"), -1.0, 0.0, 999.0, 25001.0, "warm", None])
def test_bad_kelvin(bad):
    with pytest.raises(ChromaValueError):
        wb.kelvin_to_xy(bad)


def test_bad_tint_locus_and_method():
    with pytest.raises(ChromaValueError, match="tint"):
        wb.kelvin_to_xy(5000, 0.2)
    with pytest.raises(ChromaValueError, match="locus"):
        wb.kelvin_to_xy(5000, locus="moon")
    with pytest.raises(ChromaValueError, match="daylight locus"):
        wb.kelvin_to_xy(3200, locus="daylight")
    with pytest.raises(ChromaValueError, match="did you mean"):
        wb.adaptation_matrix((0.3, 0.3), (0.31, 0.32), method="bradfrod")
    with pytest.raises(ChromaValueError, match="chromaticity"):
        wb.xy_to_kelvin((0.3, float("nan")))
    with pytest.raises(ColorSpaceError):
        wb.adaptation_matrix((0.3, 0.3), (0.31, 0.32), colorspace="ACEScgg")
    with pytest.raises(ChromaValueError, match="scene-linear"):
        wb.adaptation_matrix((0.3, 0.3), (0.31, 0.32), colorspace="ACEScct")


def test_auto_locus_switches_at_4000():
    np.testing.assert_allclose(wb.kelvin_to_xy(3200), wb.kelvin_to_xy(3200, locus="planckian"))
    np.testing.assert_allclose(wb.kelvin_to_xy(5600), wb.kelvin_to_xy(5600, locus="daylight"))
    assert not np.allclose(wb.kelvin_to_xy(5600, locus="planckian"), wb.kelvin_to_xy(5600), atol=1e-4)


def test_tint_moves_along_normal():
    a, b = wb.kelvin_to_xy(3200, 0.0), wb.kelvin_to_xy(3200, 0.005)
    def uv(xy):  # CIE 1960
        return np.array([4 * xy[0], 6 * xy[1]]) / (-2 * xy[0] + 12 * xy[1] + 3)

    assert np.hypot(*(uv(b) - uv(a))) == pytest.approx(0.005, rel=1e-6)
    assert wb.xy_to_kelvin(b)[1] == pytest.approx(0.005, abs=1e-5)
    assert uv(b)[1] > uv(a)[1]  # positive Duv is above the locus (greener)


@settings(max_examples=25, deadline=None)
@given(st.floats(2000, 25000), st.floats(-0.006, 0.006))
def test_kelvin_tint_round_trip_auto_locus(k, d):
    k2, d2 = wb.xy_to_kelvin(wb.kelvin_to_xy(k, d), locus="auto")
    if abs(k - 4000) > 5:  # either side of the locus switch
        assert k2 == pytest.approx(k, rel=2e-4)
        assert d2 == pytest.approx(d, abs=2e-5)


@settings(max_examples=25, deadline=None)
@given(st.floats(2000, 25000), st.floats(-0.01, 0.01), st.sampled_from(["CAT16", "Bradford", "CAT02", "von Kries"]))
def test_same_white_is_identity(k, d, method):
    m = wb.white_balance_matrix(k, k, d, d, method=method)
    np.testing.assert_allclose(m, np.eye(3), atol=1e-12)


@pytest.mark.parametrize("method", ["CAT16", "Bradford", "CAT02", "von Kries", "von_kries", "cat16"])
def test_adaptation_maps_white_to_white(method):
    src, dst = wb.kelvin_to_xy(3200), wb.kelvin_to_xy(6504)
    m = wb.adaptation_matrix(src, dst, "ACEScg", method)
    npm = ocio.rgb_to_xyz_matrix("ACEScg")
    def xyz(xy):
        return np.array([xy[0] / xy[1], 1.0, (1 - xy.sum()) / xy[1]])

    rgb_src = np.linalg.solve(npm, xyz(src))
    np.testing.assert_allclose(npm @ (m @ rgb_src), xyz(dst), atol=1e-10)


@pytest.mark.parametrize("method", ["CAT16", "Bradford", "CAT02", "Von Kries"])
@pytest.mark.parametrize("k1, d1, k2, d2", [(3200, 0.0, 6504, 0.0), (2000, 0.004, 9000, -0.003), (5600, 0.002, 5600, 0.0)])
def test_white_balance_matrix_equals_colour_science(method, k1, d1, k2, d2):
    """Independent route: colour-science's chromatic_adaptation on XYZ, through its own ACEScg."""
    import colour

    src, dst = wb.kelvin_to_xy(k1, d1), wb.kelvin_to_xy(k2, d2)
    m = wb.white_balance_matrix(k1, k2, d1, d2, method=method)
    rgb = np.random.default_rng(3).uniform(-0.1, 4.0, (32, 3))
    cs = colour.RGB_COLOURSPACES["ACEScg"]
    xyz = colour.RGB_to_XYZ(rgb, cs, illuminant=cs.whitepoint, chromatic_adaptation_transform=None)
    adapted = colour.chromatic_adaptation(xyz, colour.xy_to_XYZ(src), colour.xy_to_XYZ(dst), method="Von Kries",
                                          transform=method)  # colour-science's own name, not chroma's table
    want = colour.XYZ_to_RGB(adapted, cs, illuminant=cs.whitepoint, chromatic_adaptation_transform=None)
    np.testing.assert_allclose(rgb @ m.T, want, rtol=1e-9, atol=1e-12)


def test_inverse_adaptation():
    m = wb.white_balance_matrix(3200, 6504)
    n = wb.white_balance_matrix(6504, 3200)
    np.testing.assert_allclose(m @ n, np.eye(3), atol=1e-12)


def _lit(kelvin, colorspace="ACEScg", seed=1, tint=0.0):
    """Grey-world scene of random greys and colours lit by a white of ``kelvin``."""
    rng = np.random.default_rng(seed)
    npm = ocio.rgb_to_xyz_matrix(colorspace)
    xy = wb.kelvin_to_xy(kelvin, tint)
    white = np.linalg.solve(npm, np.array([xy[0] / xy[1], 1.0, (1 - xy.sum()) / xy[1]]))
    refl = rng.uniform(0.05, 0.9, (64, 64, 1)) * np.ones(3)  # neutral reflectances
    return Image((refl * white).astype(np.float32), ["R", "G", "B"], colorspace)


@pytest.mark.parametrize("kelvin, tint", [(3200, 0.0), (5600, 0.002), (9000, -0.003)])
@pytest.mark.parametrize("method", ["grey_world", "brightest"])
def test_estimate_white(kelvin, tint, method):
    k, d = wb.estimate_white(_lit(kelvin, tint=tint), method)
    assert k == pytest.approx(kelvin, rel=2e-3)
    assert d == pytest.approx(tint, abs=1e-4)


def test_estimate_white_bad_input():
    with pytest.raises(ChromaValueError, match="no pixel"):
        wb.estimate_white(Image(np.zeros((4, 4, 3), np.float32)))
    with pytest.raises(ChromaValueError, match="grey_world"):
        wb.estimate_white(_lit(3200), "max")


def test_colorspace_white():
    np.testing.assert_allclose(wb.colorspace_white_xy("ACEScg"), [0.32168, 0.33767], atol=1e-5)
    np.testing.assert_allclose(wb.colorspace_white_xy("Linear Rec.709 (sRGB)"), [0.3127, 0.3290], atol=1e-5)


def test_tint_outside_real_colours():
    with pytest.raises(ChromaValueError, match="outside the colours"):
        wb.kelvin_to_xy(1000, 0.008)
    wb.kelvin_to_xy(1000)  # the locus end itself is fine


@settings(max_examples=10, deadline=None)
@given(st.floats(1000, 25000))
def test_same_white_identity_without_tint(k):
    np.testing.assert_allclose(wb.white_balance_matrix(k, k), np.eye(3), atol=1e-12)


def test_one_rgb_to_xyz_matrix_and_deprecated_aliases():
    """chroma.ocio.rgb_to_xyz_matrix is the one; the old names warn and give what they gave."""
    import colour

    from chroma import ocio, oklab

    cs = colour.RGB_COLOURSPACES["ACEScg"]
    native = ocio.rgb_to_xyz_matrix("ACEScg", white="native")
    d65 = ocio.rgb_to_xyz_matrix("ACEScg", white="D65")
    np.testing.assert_allclose(native, cs.matrix_RGB_to_XYZ, atol=1e-12)
    bradford = colour.adaptation.matrix_chromatic_adaptation_VonKries(
        colour.xy_to_XYZ(cs.whitepoint), colour.xy_to_XYZ([0.3127, 0.3290]), transform="Bradford")
    np.testing.assert_allclose(d65, bradford @ cs.matrix_RGB_to_XYZ, atol=1e-12)
    assert np.abs(d65 - native).max() > 0.05  # the two whites really differ for ACEScg
    with pytest.warns(DeprecationWarning, match="white='native'"):
        np.testing.assert_array_equal(wb.rgb_to_xyz_matrix("ACEScg"), native)
    with pytest.warns(DeprecationWarning, match="white='D65'"):
        np.testing.assert_array_equal(oklab.rgb_to_xyz_matrix("ACEScg"), d65)
    with pytest.warns(DeprecationWarning, match="white='D65'"):
        np.testing.assert_array_equal(ocio.rgb_to_xyz_d65_matrix("ACEScg"), d65)
    with pytest.warns(DeprecationWarning, match="chroma.ocio.luminance_weights"):
        np.testing.assert_array_equal(oklab.luminance_weights("ACEScg"), ocio.luminance_weights("ACEScg"))
    with pytest.raises(ChromaValueError, match="white"):
        ocio.rgb_to_xyz_matrix("ACEScg", white="D60")


@pytest.mark.parametrize("kelvin", [2000, 3200, 6504, 12000])
def test_kelvin_to_rgb_light_and_balanced(kelvin):
    """The light's own colour (no adaptation) and the white balanced to the working white
    (Bradford from D65), both against colour-science's XYZ_to_RGB; old names still work."""
    import colour

    from chroma import ambient, oklab

    cs = colour.RGB_COLOURSPACES["ACEScg"]
    xyz = colour.xy_to_XYZ(wb.kelvin_to_xy(kelvin))
    light = colour.XYZ_to_RGB(xyz, cs, illuminant=cs.whitepoint, chromatic_adaptation_transform=None)
    balanced = colour.XYZ_to_RGB(xyz, cs, illuminant=np.array([0.3127, 0.3290]), chromatic_adaptation_transform="Bradford")
    np.testing.assert_allclose(wb.kelvin_to_light_rgb(kelvin), light, atol=1e-9)
    np.testing.assert_allclose(wb.kelvin_to_balanced_rgb(kelvin), balanced, atol=1e-6)
    with pytest.warns(DeprecationWarning, match="kelvin_to_light_rgb"):
        np.testing.assert_array_equal(ambient.kelvin_rgb(kelvin), wb.kelvin_to_light_rgb(kelvin))
    with pytest.warns(DeprecationWarning, match="kelvin_to_balanced_rgb"):
        np.testing.assert_array_equal(oklab.kelvin_color(kelvin), wb.kelvin_to_balanced_rgb(kelvin))


def test_kelvin_to_rgb_the_two_meanings_at_d65():
    np.testing.assert_allclose(wb.kelvin_to_balanced_rgb(6504), [0.9997, 1.0002, 0.9993], atol=2e-4)
    np.testing.assert_allclose(wb.kelvin_to_light_rgb(6504), [0.977, 1.003, 1.079], atol=2e-3)


# ----------------------------------------------------------- Kelvin conversions on arrays

SHAPES = [(), (1,), (3,), (2, 3), (2, 2, 3), (1, 4, 1)]


def _kelvin_duv(shape: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(1500.0, 25000.0, shape), rng.uniform(-0.01, 0.01, shape)


@pytest.mark.parametrize("shape", SHAPES)
def test_kelvin_to_xy_on_arrays_equals_colour_science(shape):
    """Any shape, as colour-science's CCT_to_uv_Ohno2013 (Planckian) and CCT_to_xy_CIE_D (daylight)."""
    from chroma.colour_science import colour

    c = colour()
    t = c.temperature
    k, d = _kelvin_duv(shape)
    xy = wb.kelvin_to_xy(k, d, locus="planckian")
    assert xy.shape == (*shape, 2) and xy.dtype == np.float64
    expected = c.UCS_uv_to_xy(t.CCT_to_uv_Ohno2013(np.stack([k, d], axis=-1)))
    np.testing.assert_allclose(xy, expected, atol=1e-7)
    day = np.maximum(k, 4000.0)
    np.testing.assert_allclose(wb.kelvin_to_xy(day, 0.0, locus="daylight"), t.CCT_to_xy_CIE_D(day), atol=1e-12)
    auto = wb.kelvin_to_xy(k, 0.0)  # per value: Planckian below 4000 K, daylight from 4000 K
    planck = c.UCS_uv_to_xy(t.CCT_to_uv_Ohno2013(np.stack([k, np.zeros_like(k)], axis=-1)))
    ref = np.where((k < 4000.0)[..., None], planck, t.CCT_to_xy_CIE_D(np.maximum(k, 4000.0)))
    np.testing.assert_allclose(auto, ref, atol=1e-7)


@pytest.mark.parametrize("shape", SHAPES)
def test_xy_to_kelvin_on_arrays_equals_colour_science(shape):
    from chroma.colour_science import colour

    c = colour()
    k, d = _kelvin_duv(shape, seed=1)
    xy = c.UCS_uv_to_xy(c.temperature.CCT_to_uv_Ohno2013(np.stack([k, d], axis=-1)))
    kelvin, tint = wb.xy_to_kelvin(xy)
    assert np.shape(kelvin) == shape and np.shape(tint) == shape
    expected = c.temperature.uv_to_CCT_Ohno2013(c.xy_to_UCS_uv(xy), start=900)
    np.testing.assert_allclose(kelvin, expected[..., 0], rtol=1e-9)
    np.testing.assert_allclose(tint, expected[..., 1], atol=1e-9)
    np.testing.assert_allclose(kelvin, k, rtol=2e-4)  # and Ohno's method inverts the locus
    np.testing.assert_allclose(tint, d, atol=2e-5)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 1)])
def test_kelvin_arrays_round_trip_on_every_locus_and_match_one_by_one(shape):
    k, d = _kelvin_duv(shape, seed=2)
    k = np.maximum(k, 4000.0)
    for locus in ("auto", "daylight", "planckian"):
        xy = wb.kelvin_to_xy(k, d, locus)
        kelvin, tint = wb.xy_to_kelvin(xy, locus)
        exact = locus != "planckian"  # Newton's inverse; Ohno 2013's is within 2e-4 K/K
        np.testing.assert_allclose(kelvin, k, rtol=1e-6 if exact else 2e-4, err_msg=locus)
        np.testing.assert_allclose(tint, d, atol=1e-8 if exact else 2e-5, err_msg=locus)
        for i in np.ndindex(shape):  # an array gives what each value alone gives
            np.testing.assert_allclose(xy[i], wb.kelvin_to_xy(float(k[i]), float(d[i]), locus), atol=1e-8)
            one = wb.xy_to_kelvin(tuple(xy[i]), locus)
            assert isinstance(one[0], float) and isinstance(one[1], float)
            assert one[0] == pytest.approx(kelvin[i], rel=1e-7) and one[1] == pytest.approx(tint[i], abs=1e-9)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float16, np.float32, np.float64])
def test_kelvin_conversions_compute_in_float64(dtype):
    k = np.array([3200, 5600, 6500], dtype=dtype)
    xy = wb.kelvin_to_xy(k)
    assert xy.dtype == np.float64
    np.testing.assert_array_equal(xy, wb.kelvin_to_xy(k.astype(np.float64)))
    kelvin, tint = wb.xy_to_kelvin(xy.astype(np.float32))
    assert kelvin.dtype == np.float64 and tint.dtype == np.float64


def test_kelvin_arrays_name_the_first_bad_value():
    with pytest.raises(ChromaValueError, match="900 K is outside"):
        wb.kelvin_to_xy([3200, 900, 30000])
    with pytest.raises(ChromaValueError, match="NaN"):
        wb.kelvin_to_xy(np.array([[3200.0, np.nan]]))
    with pytest.raises(ChromaValueError, match=r"tint \(Duv\) 0.2 is outside"):
        wb.kelvin_to_xy([3200, 5600], [0.0, 0.2])
    with pytest.raises(ChromaValueError, match="not 3200 K"):
        wb.kelvin_to_xy([5600, 3200], locus="daylight")
    with pytest.raises(ChromaValueError, match="not a CIE xy chromaticity"):
        wb.xy_to_kelvin([[0.3127, 0.329], [0.5, 0.6]])
    with pytest.raises(ChromaValueError, match="below the daylight locus"):
        wb.xy_to_kelvin([[0.3127, 0.329], [0.44757, 0.40745]], locus="daylight")
