"""Stops <-> intensity, guardrails, exposure matching."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chroma import stops
from chroma.errors import ChromaError, ChromaValueError
from chroma.image import Image
from chroma.io import ChromaWarning


@pytest.mark.parametrize("s, factor", [(2, 4.0), (1, 2.0), (0, 1.0), (-1, 0.5), (-2, 0.25)])
def test_exposure_examples(s, factor):
    assert stops.exposure_to_intensity(s) == factor
    assert stops.intensity_to_exposure(factor) == s


def test_intensity_point_one():
    assert stops.intensity_to_exposure(0.1) == pytest.approx(-3.321928094887362, abs=1e-15)


def test_arrays_keep_float_dtype():
    a = np.array([-1, 0, 1.5], dtype=np.float32)
    out = stops.exposure_to_intensity(a)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.5, 1.0, 2 ** 1.5], rtol=1e-7)
    assert stops.exposure_to_intensity(np.array([1, 2])).dtype == np.float64


def test_scalar_zero_raises():
    with pytest.raises(ChromaValueError, match="no exposure"):
        stops.intensity_to_exposure(0.0)
    with pytest.raises(ChromaError):
        stops.intensity_to_exposure(0)


def test_array_zero_inf_or_raise():
    out = stops.intensity_to_exposure(np.array([0.0, 4.0]))
    assert out[0] == -np.inf and out[1] == 2.0
    with pytest.raises(ChromaValueError, match="are 0"):
        stops.intensity_to_exposure(np.array([0.0, 4.0]), zero="raise")
    with pytest.raises(ChromaValueError):
        stops.intensity_to_exposure(np.array([1.0]), zero="nope")


def test_negative_scalar_clamped_with_warning():
    with pytest.warns(ChromaWarning, match="negative intensity"):
        out = stops.intensity_to_exposure(-2.0)
    assert out == pytest.approx(math.log2(1e-323))
    assert math.isfinite(out)


@pytest.mark.parametrize("container", [
    lambda v: v, lambda v: np.float32(v), lambda v: np.float64(v), lambda v: np.float16(v),
    lambda v: np.array([v, 2.0], np.float32), lambda v: np.array([v, 2.0], np.float64),
    lambda v: np.array([v, 2.0], np.float16), lambda v: np.array([int(v), 2]), lambda v: [v, 2.0],
])
def test_negative_intensity_has_one_answer_in_every_container(container):
    """-1 gives log2(1e-323) = -1073 stops whether it comes as a float, a NumPy scalar or
    an array of any dtype (computed in float64; not -1022 or -126 from the dtype's tiny)."""
    with pytest.warns(ChromaWarning, match="negative intensit"):
        out = stops.intensity_to_exposure(container(-1.0))
    first = float(np.ravel(out)[0])
    assert first == math.log2(1e-323) == -1073.0  # 1e-323 is the float64 subnormal 2**-1073
    if np.ndim(out):
        assert out.dtype == np.float64 and out[1] == 1.0


@pytest.mark.parametrize("value", [math.nan, math.inf, np.array([1.0, np.nan]), np.array([np.inf, 2.0], np.float32)])
def test_non_finite_intensity_warns(value):
    with pytest.warns(ChromaWarning, match="non-finite"):
        out = stops.intensity_to_exposure(value)
    first = float(np.ravel(out)[-1] if np.ndim(out) and np.isnan(np.ravel(out)[-1]) else np.ravel(out)[0])
    assert math.isnan(first) or first == math.inf


def test_no_warning_for_positive_input():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stops.intensity_to_exposure(np.array([1.0, 2.0]))
        stops.intensity_to_exposure(3.0)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-60, max_value=60, allow_nan=False))
def test_round_trip_scalar(s):
    assert stops.intensity_to_exposure(stops.exposure_to_intensity(s)) == pytest.approx(s, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=1e-30, max_value=1e30), min_size=1, max_size=20))
def test_round_trip_array(values):
    a = np.array(values)
    np.testing.assert_allclose(stops.exposure_to_intensity(stops.intensity_to_exposure(a)), a, rtol=1e-12)


def _plate(rng, scale=1.0):
    px = (rng.lognormal(mean=-1.7, sigma=1.0, size=(40, 60, 3)) * scale).astype(np.float32)
    return Image(px, ["R", "G", "B"], "ACEScg")


def test_match_exposure_recovers_known_offset():
    rng = np.random.default_rng(3)
    ref = _plate(rng)
    img = Image(ref.pixels * np.float32(2 ** -1.75), ["R", "G", "B"], "ACEScg")
    assert stops.match_exposure(img, ref) == pytest.approx(1.75, abs=1e-5)


def test_match_exposure_robust_to_highlights_and_black():
    rng = np.random.default_rng(4)
    ref = _plate(rng)
    px = ref.pixels * np.float32(0.5)
    px[:4] = 0.0  # black bars
    px[4:6, :10] = 5000.0  # a blown-out light
    px[6, 0] = np.nan
    img = Image(px, ["R", "G", "B"], "ACEScg")
    assert stops.match_exposure(img, ref) == pytest.approx(1.0, abs=0.15)


def test_match_exposure_uses_working_space_luma():
    # pure-green image: ACEScg Y weight of G is 0.6741 (SMPTE S-2014-004 NPM)
    g = Image(np.tile(np.float32([0, 1, 0]), (4, 4, 1)), ["R", "G", "B"], "ACEScg")
    grey = Image(np.full((4, 4, 3), 1.0, np.float32), ["R", "G", "B"], "ACEScg")
    assert stops.match_exposure(g, grey) == pytest.approx(-math.log2(0.6740817658), abs=1e-4)


def test_match_exposure_black_image_errors():
    black = Image(np.zeros((4, 4, 3), np.float32))
    ok = Image(np.ones((4, 4, 3), np.float32))
    with pytest.raises(ChromaValueError, match="no pixel"):
        stops.match_exposure(black, ok)
    with pytest.raises(ChromaValueError, match="reference"):
        stops.match_exposure(ok, black)


@pytest.mark.parametrize("cs, name", [("ACEScg", "ACEScg"), ("Linear Rec.709 (sRGB)", "sRGB"),
                                      ("Linear Rec.2020", "ITU-R BT.2020")])
def test_luminance_equals_colour_science(cs, name):
    """stops.luminance against colour-science's RGB_luminance (the space's own primaries and white)."""
    import colour

    space = colour.RGB_COLOURSPACES[name]
    rgb = np.random.default_rng(4).uniform(0.0, 8.0, (32, 3))
    want = colour.RGB_luminance(rgb, space.primaries, space.whitepoint)
    np.testing.assert_allclose(stops.luminance(rgb, cs), want, rtol=1e-5, atol=1e-6)
