"""The public colour functions over dtypes x shapes, as OCIO's Python tests check each function.

Every function runs on float16, float32, float64 and integer input, in every shape its
docstring allows (a number, (3,), (N, 3), (H, W, 3), (H, W, 4) where four channels are
allowed), and is checked for

* the output dtype its docstring states (the OKLab family: float32 unless float64 in;
  Kelvin conversions: float64 always; stops: the input's float dtype, float64 for integers),
* the output shape, and a :class:`chroma.errors.ChromaValueError` where the shape is not
  allowed (a number where colours are expected, four channels where three are),
* values against colour-science computed in float64 from the same (dtype-rounded) input,
  with a tolerance for the dtype the function computes in.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

from chroma import stops
from chroma import whitebalance as wb
from chroma.colour_science import colour
from chroma.errors import ChromaValueError
from chroma.oklab import blend, gamut
from chroma.oklab import convert as ok

DTYPES = [np.int32, np.float16, np.float32, np.float64]
SHAPES = {"scalar": (), "(3,)": (3,), "(N,3)": (5, 3), "(H,W,3)": (2, 4, 3), "(H,W,4)": (2, 4, 4)}


def sample(shape: tuple[int, ...], dtype: type, low: float = 0.05, high: float = 0.95, seed: int = 0) -> np.ndarray:
    """Values in [low, high) in ``dtype`` (integers: 0 and 1)."""
    rng = np.random.default_rng(seed)
    out: np.ndarray
    if np.issubdtype(dtype, np.integer):
        out = rng.integers(0, 2, shape).astype(dtype)
    else:
        out = rng.uniform(low, high, shape).astype(dtype)
    return out[()] if shape == () else out  # "scalar": a numpy number, not a 0-d array


def float_rule(x: np.ndarray) -> type:
    """The OKLab family's rule: float64 stays float64, everything else computes in float32."""
    return np.float64 if x.dtype == np.float64 else np.float32


def atol_for(dtype: type) -> float:
    return 1e-10 if dtype == np.float64 else 2e-5


# ------------------------------------------------------------------ (..., 3) colour functions

def _c():
    return colour()


def _srgb() -> Any:
    """colour-science's sRGB with its matrices derived from the primaries, as chroma derives
    them (its default is IEC 61966-2-1's matrix rounded to 4 decimals)."""
    space = _c().RGB_COLOURSPACES["sRGB"].copy()
    space.use_derived_transformation_matrices(True)
    return space


def _srgb_to_xyz(rgb: np.ndarray) -> np.ndarray:
    return _c().RGB_to_XYZ(rgb, _srgb(), illuminant=_srgb().whitepoint)


def _acescg_to_xyz_d65(rgb: np.ndarray) -> np.ndarray:
    c = _c()
    d65 = c.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"]
    return c.RGB_to_XYZ(rgb, c.RGB_COLOURSPACES["ACEScg"], illuminant=d65, chromatic_adaptation_transform="Bradford")


# name: (function, colour-science reference in float64, extra tolerance for a documented difference)
# OKLab from RGB goes through Ottosson's refined linear sRGB -> LMS matrix, within 5e-4 of
# colour-science's XYZ -> LMS route (docs/blending.md); from XYZ the two are the same matrices.
RGB3: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray], float]] = {
    "xyz_to_oklab": (ok.xyz_to_oklab, lambda x: _c().XYZ_to_Oklab(x), 0.0),
    "oklab_to_xyz": (ok.oklab_to_xyz, lambda x: _c().Oklab_to_XYZ(x), 0.0),
    "to_oklab XYZ": (lambda x: ok.to_oklab(x, "XYZ"), lambda x: _c().XYZ_to_Oklab(x), 0.0),
    "from_oklab XYZ": (lambda x: ok.from_oklab(x, "XYZ"), lambda x: _c().Oklab_to_XYZ(x), 0.0),
    "to_oklab ACEScg": (lambda x: ok.to_oklab(x, "ACEScg"), lambda x: _c().XYZ_to_Oklab(_acescg_to_xyz_d65(x)), 5e-4),
    "linear_srgb_to_oklab": (ok.linear_srgb_to_oklab, lambda x: _c().XYZ_to_Oklab(_srgb_to_xyz(x)), 5e-4),
    "oklab_to_oklch": (ok.oklab_to_oklch, lambda x: _c().Oklab_to_Oklch(x), 0.0),
    "oklch_to_oklab": (ok.oklch_to_oklab, lambda x: _c().Oklch_to_Oklab(x), 0.0),
    "rgb_to_rgb ACEScg->sRGB": (
        lambda x: ok.rgb_to_rgb(x, "ACEScg", "linear-sRGB"),
        lambda x: _c().RGB_to_RGB(x, _c().RGB_COLOURSPACES["ACEScg"], _srgb(), "Bradford"),
        0.0,
    ),
    "gamut_map in gamut": (gamut.gamut_map, lambda x: x, 0.0),  # in-gamut colours are returned unchanged
    "to_display in gamut": (lambda x: gamut.to_display(x, "linear-sRGB"), lambda x: _c().models.eotf_inverse_sRGB(x), 0.0),
}


@pytest.mark.parametrize("shape_name", list(SHAPES))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(RGB3))
def test_rgb3_functions(name, dtype, shape_name):
    func, reference, extra = RGB3[name]
    shape = SHAPES[shape_name]
    x = sample(shape, dtype)
    if name == "oklch_to_oklab" and shape and shape[-1] == 3:
        x[..., 2] = (x[..., 2].astype(np.float64) * 360).astype(dtype)  # hues in degrees
    if shape in ((), (2, 4, 4)):
        with pytest.raises(ChromaValueError, match="3 components"):
            func(x)
        return
    y = func(x)
    assert y.shape == shape
    assert y.dtype == float_rule(x), f"{name}: {x.dtype} in, {y.dtype} out"
    expected = np.asarray(reference(x.astype(np.float64)), np.float64)
    if name == "oklab_to_oklch":  # a hue is an angle: compare it on the circle
        dh = (y[..., 2].astype(np.float64) - expected[..., 2] + 180.0) % 360.0 - 180.0
        np.testing.assert_allclose(dh, 0.0, atol=1e-3)
        y, expected = y[..., :2], expected[..., :2]
    rtol = 1e-10 if y.dtype == np.float64 else 1e-6
    np.testing.assert_allclose(y.astype(np.float64), expected, atol=atol_for(y.dtype) + extra, rtol=rtol)


@pytest.mark.parametrize("shape_name", list(SHAPES))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_delta_e_ok(dtype, shape_name):
    shape = SHAPES[shape_name]
    a, b = sample(shape, dtype), sample(shape, dtype, seed=1)
    if shape in ((), (2, 4, 4)):
        with pytest.raises(ChromaValueError, match="3 components"):
            ok.delta_e_ok(a, b)
        return
    d = ok.delta_e_ok(a, b)
    assert d.shape == shape[:-1] and d.dtype == float_rule(a)
    expected = _c().delta_E(a.astype(np.float64), b.astype(np.float64), method="CIE 1976")  # Euclidean, as deltaEOK
    np.testing.assert_allclose(d, expected, atol=atol_for(d.dtype), rtol=1e-6)


# ------------------------------------------------------------------------- any-shape functions


@pytest.mark.parametrize("shape_name", list(SHAPES))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("direction", ["encode", "decode"])
def test_srgb_transfer_function(direction, dtype, shape_name):
    x = sample(SHAPES[shape_name], dtype, low=0.0, high=1.0)
    func = ok.srgb_encode if direction == "encode" else ok.srgb_decode
    reference = _c().models.eotf_inverse_sRGB if direction == "encode" else _c().models.eotf_sRGB
    y = func(x)
    assert y.shape == x.shape and y.dtype == float_rule(x)
    np.testing.assert_allclose(y, reference(x.astype(np.float64)), atol=atol_for(y.dtype))


@pytest.mark.parametrize("shape_name", list(SHAPES))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_stops_and_intensity(dtype, shape_name):
    """exposure_to_intensity: a float for a number, else the input's float dtype (float64 for
    integers); intensity_to_exposure: a float for a number, else float64."""
    shape = SHAPES[shape_name]
    s = sample(shape, dtype, low=-4.0, high=4.0)
    i = stops.exposure_to_intensity(s)
    if shape == ():
        assert type(i) is float
    else:
        assert i.shape == shape
        assert i.dtype == (np.float64 if np.issubdtype(dtype, np.integer) else dtype)
    tol = {np.float16: 5e-3, np.float32: 1e-6}.get(dtype, 1e-12)
    np.testing.assert_allclose(i, np.exp2(s.astype(np.float64)), rtol=tol)
    intensity = sample(shape, dtype, low=0.1, high=8.0) + (1 if np.issubdtype(dtype, np.integer) else 0)
    e = stops.intensity_to_exposure(intensity)
    if shape == ():
        assert type(e) is float
    else:
        assert e.shape == shape and e.dtype == np.float64
    np.testing.assert_allclose(e, np.log2(intensity.astype(np.float64)), rtol=1e-12)


@pytest.mark.parametrize("shape_name", list(SHAPES))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_kelvin_conversions(dtype, shape_name):
    """Any shape, float64 always (as colour-science's temperature functions)."""
    c = _c()
    shape = SHAPES[shape_name]
    k = (sample(shape, np.float64, low=1500.0, high=20000.0)).astype(dtype) if dtype != np.int32 else \
        np.full(shape, 5600, np.int32)
    if dtype == np.float16:  # float16 holds no more than 65504 and 11 bits: round-trip its value
        k = k.astype(np.float16)
    xy = wb.kelvin_to_xy(k, locus="planckian")
    assert xy.shape == (*shape, 2) and xy.dtype == np.float64
    k64 = k.astype(np.float64)
    expected = c.UCS_uv_to_xy(c.temperature.CCT_to_uv_Ohno2013(np.stack([k64, np.zeros_like(k64)], axis=-1)))
    np.testing.assert_allclose(xy, expected, atol=1e-9)
    kelvin, tint = wb.xy_to_kelvin(xy.astype(dtype) if dtype != np.int32 else xy)
    if shape == ():
        assert type(kelvin) is float and type(tint) is float
    else:
        assert kelvin.shape == shape and kelvin.dtype == np.float64 and tint.dtype == np.float64
    xy_in = np.asarray(xy.astype(dtype) if dtype != np.int32 else xy, np.float64)
    ref = c.temperature.uv_to_CCT_Ohno2013(c.xy_to_UCS_uv(xy_in), start=900)
    np.testing.assert_allclose(kelvin, ref[..., 0], rtol=1e-9)


# ----------------------------------------------------------------- pixels: luminance, WB, blend


@pytest.mark.parametrize("shape_name", list(SHAPES))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_luminance(dtype, shape_name):
    shape = SHAPES[shape_name]
    x = sample(shape, dtype)
    if shape in ((), (2, 4, 4)):
        with pytest.raises(ChromaValueError, match="3 values"):
            stops.luminance(x)
        return
    y = stops.luminance(x, "ACEScg")
    assert y.shape == shape[:-1] and y.dtype == np.float32
    weights = _c().RGB_COLOURSPACES["ACEScg"].matrix_RGB_to_XYZ[1]
    np.testing.assert_allclose(y, x.astype(np.float64) @ weights, atol=2e-6)


@pytest.mark.parametrize("shape_name", list(SHAPES))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_white_balance_application(dtype, shape_name):
    """The grade's WhiteBalance on (..., 3) pixels: float32 out, whatever comes in (its
    docstring; DESIGN.md: colour transforms are float32), against colour-science's von Kries
    adaptation (CAT16) of the same pixels in XYZ; and the matrix behind it, float64 (3, 3)."""
    from chroma.grade import WhiteBalance

    c = _c()
    shape = SHAPES[shape_name]
    x = sample(shape, dtype)
    m = wb.white_balance_matrix(3200, 6504, colorspace="ACEScg", method="CAT16")
    assert m.shape == (3, 3) and m.dtype == np.float64
    if shape in ((), (2, 4, 4)):
        return  # RGB only: a grade splits alpha off before its operations
    y = WhiteBalance(from_kelvin=3200, to_kelvin=6504, method="CAT16").apply_rgb(x, "ACEScg")
    assert y.shape == shape and y.dtype == np.float32
    npm = np.asarray(c.RGB_COLOURSPACES["ACEScg"].matrix_RGB_to_XYZ)
    src = c.xy_to_XYZ(c.UCS_uv_to_xy(c.temperature.CCT_to_uv_Ohno2013(np.array([3200.0, 0.0]))))
    dst = c.xy_to_XYZ(c.temperature.CCT_to_xy_CIE_D(6504.0))
    xyz = x.astype(np.float64) @ npm.T
    expected = c.chromatic_adaptation(xyz, src, dst, method="Von Kries", transform="CAT16") @ np.linalg.inv(npm).T
    np.testing.assert_allclose(y, expected, atol=2e-6)
    np.testing.assert_allclose(x.astype(np.float64) @ m.T, expected, atol=1e-9)


@pytest.mark.parametrize("shape_name", list(SHAPES))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_mix_in_oklab(dtype, shape_name):
    """(..., 3) and (..., 4) premultiplied RGBA; float32 unless both inputs are float64."""
    c = _c()
    shape = SHAPES[shape_name]
    a, b = sample(shape, dtype), sample(shape, dtype, seed=3)
    if shape == ():
        with pytest.raises(ChromaValueError):
            blend.mix(a, b, 0.3, "oklab", colorspace="XYZ")
        return
    if shape[-1] == 4:
        a[..., 3], b[..., 3] = 1, 1  # opaque: the premultiplied blend is the plain one
    y = blend.mix(a, b, 0.3, "oklab", colorspace="XYZ")
    assert y.shape == shape and y.dtype == float_rule(a)
    la = c.XYZ_to_Oklab(a[..., :3].astype(np.float64))
    lb = c.XYZ_to_Oklab(b[..., :3].astype(np.float64))
    expected = c.Oklab_to_XYZ(0.7 * la + 0.3 * lb)
    np.testing.assert_allclose(y[..., :3].astype(np.float64), expected, atol=atol_for(y.dtype) * 5)
    if shape[-1] == 4:
        np.testing.assert_allclose(y[..., 3], 1.0)
