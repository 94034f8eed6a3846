"""Grade operations, composition, inverse, serialisation and exports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import PyOpenColorIO as ocio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chroma
from chroma import ocio as O
from chroma.errors import ChromaIOError, ChromaValueError, ColorSpaceError
from chroma.grade import CDL, LUT, REC709_LUMA, Contrast, Exposure, Grade, Look, Saturation, WhiteBalance
from chroma.image import Image

REPO_LUT = str(Path(__file__).resolve().parent.parent / "luts" / "chroma_warm.cube")


@pytest.fixture
def rgb():
    rng = np.random.default_rng(7)
    x = rng.lognormal(-1.7, 1.5, (48, 40, 3)).astype(np.float32)
    x[0, :4] = -0.02  # negatives must survive every path
    return x


def _all_ops():
    return [Exposure(0.7), WhiteBalance(3200, 6504, 0.002), CDL((1.1, 1, 0.9), (0.01, 0, -0.01), (1.2, 1, 0.8), 1.1),
            Contrast(1.3), Saturation(0.8), Look("chroma_warm"), LUT(REPO_LUT, colorspace="ACEScct"),
            CDL((1.1, 1, 0.9), (0.01, 0, -0.01), (1.2, 1, 0.8), 1.1, "no_clamp", "")]


def _err(a, b):
    """|a - b| relative to each pixel's magnitude (absolute below 1)."""
    return float((np.abs(a - b) / np.maximum(1.0, np.abs(b).max(axis=-1, keepdims=True))).max())


def test_exposure_matches_2_pow_stops(rgb):
    out = Grade([Exposure(1.5)]).apply_rgb(rgb)
    np.testing.assert_allclose(out, rgb * np.float32(2 ** 1.5), rtol=1e-6)


def test_public_api():
    assert chroma.Grade is Grade
    img = Image(np.full((2, 2, 4), 0.18, np.float32), ["R", "G", "B", "A"])
    out = chroma.Grade([Exposure(1)]).apply(img)
    np.testing.assert_allclose(out.pixels[..., :3], 0.36, rtol=1e-6)
    np.testing.assert_array_equal(out.pixels[..., 3], img.pixels[..., 3])
    assert "chroma/grade" in out.metadata and out.colorspace == "ACEScg"


@pytest.mark.parametrize("i", range(8))
@pytest.mark.parametrize("spaces", [(None, None), ("ACES2065-1", "ACES2065-1"), ("ACEScg", "Linear Rec.2020")])
def test_each_op_equals_its_ocio_export(rgb, i, spaces):
    g = Grade([_all_ops()[i]])
    a = g.apply_rgb(rgb, *spaces)
    b = O.apply_cpu(g.ocio_processor(*spaces), rgb)
    assert _err(a, b) <= 1e-5


def _independent(op, rgb, cat=None):
    """What ``op`` does to ACEScg ``rgb``, computed with colour-science alone (no op.affine)."""
    import colour

    from chroma import whitebalance as wb

    cs = colour.RGB_COLOURSPACES["ACEScg"]
    x = rgb.astype(np.float64)
    if isinstance(op, Exposure):
        return x * 2.0 ** op.stops
    if isinstance(op, Saturation):
        y = colour.RGB_luminance(x, cs.primaries, cs.whitepoint)[..., None]
        return y + op.saturation * (x - y)
    src = colour.xy_to_XYZ(wb.kelvin_to_xy(op.from_kelvin, op.from_tint, op.locus))
    dst = colour.xy_to_XYZ(wb.kelvin_to_xy(op.to_kelvin, op.to_tint, op.locus))
    xyz = colour.RGB_to_XYZ(x, cs, illuminant=cs.whitepoint, chromatic_adaptation_transform=None)
    xyz = colour.chromatic_adaptation(xyz, src, dst, method="Von Kries", transform=cat)
    return colour.XYZ_to_RGB(xyz, cs, illuminant=cs.whitepoint, chromatic_adaptation_transform=None)


@pytest.mark.parametrize("op, cat", [(Exposure(0.7), None), (Exposure(-2.5), None), (WhiteBalance(3200, 6504, 0.002), "CAT16"),
                                     (WhiteBalance(9000, 4300, -0.003, 0.001, "bradford"), "Bradford"),
                                     (Saturation(0.8), None), (Saturation(1.6), None)])
def test_ocio_export_equals_colour_science(rgb, op, cat):
    """The OCIO export of the affine operations against an independent computation (the
    adaptation named by colour-science's own name, not through chroma's name table)."""
    want = _independent(op, rgb, cat)
    assert _err(O.apply_cpu(Grade([op]).ocio_processor(), rgb), want) <= 1e-5
    assert _err(Grade([op]).apply_rgb(rgb), want) <= 1e-5


@pytest.mark.parametrize("spaces", [(None, None), ("ACES2065-1", "ACES2065-1"), ("ACEScg", "Linear P3-D65")])
def test_whole_grade_equals_ocio_export(rgb, spaces):
    g = Grade(_all_ops())
    assert _err(g.apply_rgb(rgb, *spaces), O.apply_cpu(g.ocio_processor(*spaces), rgb)) <= 1e-5


def test_fast_path_fuses_exposure_wb_and_conversion():
    g = Grade([Exposure(1.5), WhiteBalance(3200), Saturation(0.9)])
    c = g.compile("ACEScg", "ACES2065-1")
    assert len(c.stages) == 1 and c.stages[0].affine is not None


def test_cdl_asc_clamps_and_no_clamp_passes_negatives():
    x = np.array([[-0.5, 0.5, 2.0]], np.float32)
    asc = CDL(power=(2, 2, 2), colorspace="").cdl_rgb(x)
    np.testing.assert_allclose(asc, [[0.0, 0.25, 1.0]])
    free = CDL(power=(2, 2, 2), style="no_clamp", colorspace="").cdl_rgb(x)
    np.testing.assert_allclose(free, [[-0.5, 0.25, 4.0]])


def test_cdl_saturation_uses_rec709_luma():
    x = np.array([[1.0, 0.0, 0.0]], np.float32)
    out = CDL(saturation=0.0, style="no_clamp", colorspace="").cdl_rgb(x)
    np.testing.assert_allclose(out, [[REC709_LUMA[0]] * 3], rtol=1e-6)


def test_saturation_uses_working_space_luma():
    x = np.array([[0.0, 1.0, 0.0]], np.float32)
    out = Grade([Saturation(0.0)]).apply_rgb(x)
    np.testing.assert_allclose(out, [[0.6740817658] * 3], rtol=1e-5)  # AP1 NPM (S-2014-004)


def test_contrast_pivot_fixed_and_stops_scaled():
    x = np.array([[0.18, 0.36, 0.09]], np.float32)
    out = Grade([Contrast(2.0)]).apply_rgb(x)
    np.testing.assert_allclose(out, [[0.18, 0.72, 0.045]], rtol=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.floats(-6, 6), st.floats(2500, 12000), st.floats(2500, 12000), st.floats(0.5, 2), st.floats(0.3, 2))
def test_grade_inverse_round_trip(stops_, k1, k2, c, s):
    g = Grade([Exposure(stops_), WhiteBalance(k1, k2), Contrast(c), Saturation(s),
               CDL((1.2, 1.0, 0.8), (0.01, 0.0, 0.0), (1.1, 1.0, 0.9), 0.9, "no_clamp", "")])
    rng = np.random.default_rng(1)
    x = rng.uniform(0.01, 4.0, (64, 3)).astype(np.float32)
    back = g.inverse().apply_rgb(g.apply_rgb(x))
    # Saturation mixes each channel with the pixel's luminance, so float32 rounding error in
    # a channel scales with the pixel's brightest channel, not with the channel itself
    # (hypothesis found +4 stops, contrast 2, saturation 0.375: 3.7e-4 off on a 0.11
    # channel of a pixel near 4, i.e. 9e-5 of the pixel).
    scale = x.max(axis=1, keepdims=True)
    assert np.all(np.abs(back - x) <= 2e-3 * scale + 1e-4), np.abs(back - x).max()


def test_no_inverse_for_clamping_cdl():
    with pytest.raises(ChromaValueError, match="no inverse"):
        Grade([CDL(slope=(2, 2, 2))]).inverse()


@settings(max_examples=20, deadline=None)
@given(st.floats(1000, 25000))
def test_white_balance_same_kelvin_is_identity(k):
    x = np.random.default_rng(2).uniform(-0.1, 10, (16, 3)).astype(np.float32)
    np.testing.assert_allclose(Grade([WhiteBalance(k, k)]).apply_rgb(x), x, rtol=1e-6, atol=1e-7)


def test_toml_and_json_round_trip(tmp_path):
    g = Grade(_all_ops())
    assert Grade.from_toml(g.to_toml()) == g
    assert Grade.from_json(g.to_json()) == g
    g.save(tmp_path / "g.toml")
    assert Grade.load(tmp_path / "g.toml") == g
    g.save(tmp_path / "g.json")
    assert Grade.load(tmp_path / "g.json") == g


def test_lut_path_relative_to_grade_file(tmp_path):
    (tmp_path / "warm.cube").write_text(open(REPO_LUT).read())
    (tmp_path / "g.toml").write_text('colorspace = "ACEScg"\n[[operation]]\ntype = "lut"\npath = "warm.cube"\n')
    g = Grade.load(tmp_path / "g.toml")
    assert g.operations[0].path == str(tmp_path / "warm.cube")


@pytest.mark.parametrize("text, match", [
    ('[[operation]]\ntype = "exposur"\nstops = 1', "did you mean"),
    ('[[operation]]\ntype = "exposure"\nstop = 1', "no field"),
    ('[[operation]]\ntype = "exposure"\nstops = "x"', "number"),
    ('[[operation', "TOML"),
])
def test_bad_grade_files(text, match):
    with pytest.raises(ChromaValueError, match=match):
        Grade.from_toml(text)


def test_bad_operations():
    with pytest.raises(ChromaValueError):
        Exposure(float("nan"))
    with pytest.raises(ChromaValueError):
        WhiteBalance(100)
    with pytest.raises(ChromaValueError, match="slope"):
        CDL(slope=(1, 2))
    with pytest.raises(ChromaValueError, match="power"):
        CDL(power=(0, 1, 1))
    with pytest.raises(ChromaValueError):
        Contrast(0)
    with pytest.raises(ChromaValueError):
        Saturation(-1)
    with pytest.raises(ChromaIOError):
        LUT("/no/such.cube")
    with pytest.raises(ColorSpaceError, match="unknown look"):
        Grade([Look("chroma_wram")]).apply_rgb(np.zeros((1, 3), np.float32))
    with pytest.raises(ChromaValueError, match="scene-linear"):
        Grade([], colorspace="ACEScct")
    with pytest.raises(ChromaValueError, match="not a grade operation"):
        Grade([1.0])
    with pytest.raises(ChromaValueError, match="chroma.Image"):
        Grade([]).apply(np.zeros((2, 2, 3)))


def test_cdl_export_round_trip_through_ocio(tmp_path, rgb):
    g = Grade([CDL((1.1, 1.0, 0.9), (0.01, 0.0, -0.02), (1.2, 1.0, 0.8), 0.85)])
    for ext in (".cc", ".cdl", ".ccc"):
        path = tmp_path / f"shot{ext}"
        g.write_cdl(path)
        back = CDL.from_file(path)
        assert back == g.operations[0]
        t = ocio.CDLTransform.CreateFromFile(str(path), "shot" if ext != ".cc" else "")  # OCIO's reader
        assert t.getID() == "shot"
        assert list(t.getSlope()) == pytest.approx([1.1, 1.0, 0.9], abs=1e-12)
        assert list(t.getOffset()) == pytest.approx([0.01, 0.0, -0.02], abs=1e-12)
        assert list(t.getPower()) == pytest.approx([1.2, 1.0, 0.8], abs=1e-12)
        assert t.getSat() == pytest.approx(0.85, abs=1e-12)
        assert "apply in ACEScct" in t.getFirstSOPDescription()  # the CDL default colour_timing space


def test_exposure_folds_into_cdl_slope():
    g = Grade([Exposure(1.0), CDL((1.1, 1.0, 0.9), style="no_clamp", colorspace="")])
    assert g.to_cdl().slope == pytest.approx((2.2, 2.0, 1.8))
    with pytest.raises(ChromaValueError, match="not expressible"):
        Grade([WhiteBalance(3200), CDL()]).to_cdl()
    with pytest.raises(ChromaValueError, match="does not fold"):
        Grade([Exposure(1.0), CDL()]).to_cdl()


def test_baked_lut_matches_grade(tmp_path):
    """Tolerance (docs/grade.md): a 65^3 cube over ACEScct has nodes ~0.28 stops apart; for a
    smooth grade tetrahedral interpolation stays within 0.02 stops (p99) over 0.02-100."""
    g = Grade([Exposure(0.5), WhiteBalance(3200, 6504), Contrast(1.2), Saturation(0.9)])
    path = g.bake_lut(tmp_path / "shot.cube")
    rng = np.random.default_rng(5)
    x = (np.exp2(rng.uniform(np.log2(0.02), np.log2(20), (4000, 1))) * rng.uniform(0.5, 1, (4000, 3))).astype(np.float32)
    a = g.apply_rgb(x)
    cfg = O.get_config()
    b = O.apply_cpu(cfg.getProcessor(g.baked_lut_transform(path)).getOptimizedCPUProcessor(ocio.OPTIMIZATION_LOSSLESS), x)
    ok = (a.min(axis=1) > 1e-3) & (a.max(axis=1) < 200)
    err = np.abs(np.log2(b[ok] / a[ok]))
    assert np.quantile(err, 0.99) < 0.02
    assert np.median(err) < 0.005


def test_bake_errors(tmp_path):
    with pytest.raises(ChromaIOError):
        Grade([Exposure(1)]).bake_lut(tmp_path / "no" / "x.cube")
    with pytest.raises(ChromaValueError):
        Grade([Exposure(1)]).bake_lut(tmp_path / "x.cube", size=1)


def test_write_ocio_ctf(tmp_path, rgb):
    g = Grade([Exposure(1.0), WhiteBalance(3200), Contrast(1.2)])
    path = g.write_ocio(tmp_path / "grade.ctf")
    proc = O.get_config().getProcessor(ocio.FileTransform(src=str(path))).getOptimizedCPUProcessor(ocio.OPTIMIZATION_LOSSLESS)
    assert _err(g.apply_rgb(rgb), O.apply_cpu(proc, rgb)) <= 1e-5


def test_grade_toml_loads_without_tomllib(monkeypatch, tmp_path):
    """Python 3.10 has no tomllib: Grade.load falls back to tomli, which pyproject requires there."""
    import sys

    from chroma.grade import Exposure, Grade

    tomllib = pytest.importorskip("tomllib")
    del tomllib
    path = tmp_path / "g.toml"
    Grade([Exposure(1.25)]).save(path)
    monkeypatch.setitem(sys.modules, "tomllib", None)  # as on 3.10: import tomllib fails
    g = Grade.load(path)
    assert g.operations[0].stops == 1.25
    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    project = __import__("tomli").loads(text)["project"]
    assert project["requires-python"] == ">=3.10"
    assert "tomli>=1.1; python_version < '3.11'" in project["dependencies"]


def _independent_lut_error(g, path, x):
    """Error of the baked LUT measured here: OCIO applies the .cube (FileTransform between
    ACEScg and ACEScct) and the exact grade (its CTF); stops of the brightest channel."""
    cfg = O.get_config()

    def apply(cpu, px):
        out = np.ascontiguousarray(px, np.float32).copy()
        cpu.applyRGB(out)  # in place
        return out

    exact = apply(g.ocio_processor(), x)
    grp = ocio.GroupTransform([
        ocio.ColorSpaceTransform("ACEScg", "ACEScct"),
        ocio.FileTransform(src=str(path), interpolation=ocio.INTERP_TETRAHEDRAL),
        ocio.ColorSpaceTransform("ACEScct", "ACEScg"),
    ])
    baked = apply(cfg.getProcessor(grp).getOptimizedCPUProcessor(ocio.OPTIMIZATION_LOSSLESS), x)
    peak = np.abs(exact).max(axis=1)
    ok = exact.max(axis=1) < 222.0
    return np.log2(1 + np.abs(baked[ok] - exact[ok]).max(axis=1) / peak[ok])


def test_baked_lut_states_its_real_error_and_warns(tmp_path):
    """Saturated colours through white balance + a clamping CDL: the .cube's error is
    measured, written into the file, and a poor LUT warns and points to .ctf/.clf."""
    import warnings

    g = Grade([WhiteBalance(3200, 6504), CDL(slope=(1.3, 1.0, 0.7), offset=(0.02, 0, -0.02), power=(1.2, 1, 0.8))])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = g.bake_lut(tmp_path / "shot.cube")
    err = g.last_lut_error
    rng = np.random.default_rng(99)  # another sample than the one the LUT's header is measured on
    chroma = rng.uniform(0, 1, (8000, 3)) ** 3  # many saturated: one or two channels near 0
    chroma /= chroma.max(axis=1, keepdims=True)
    x = (chroma * np.exp2(rng.uniform(np.log2(0.02), np.log2(30), (8000, 1)))).astype(np.float32)
    mine = _independent_lut_error(g, path, x)
    assert mine.max() > 0.05  # saturated colours through a clamping CDL: a coarse LUT
    assert 0.7 * mine.max() <= err.max_stops_above <= 1.5 * mine.max() + 0.02  # stated honestly
    assert err.max_stops >= err.max_stops_above and err.upper == pytest.approx(222.86, abs=0.1)
    head = path.read_text().splitlines()[2]
    assert f"max {err.max_stops:.3f} stops" in head and ".ctf/.clf" in head
    if err.max_stops > 0.1:
        assert any("ctf/.clf" in str(w.message) for w in caught)
    # a light grade bakes quietly and says how good it is
    g2 = Grade([Exposure(0.5), WhiteBalance(5600, 6504)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g2.bake_lut(tmp_path / "light.cube")
    assert g2.last_lut_error.max_stops < 0.1


def test_exported_asc_cdl_says_ocio_reads_it_unclamped(tmp_path):
    """An ASC-clamped CDL exported as .cc: OCIO reads it unclamped, so pixels above the
    clamp differ; the file says so, and the export warns when the grade relies on the clamp."""
    import warnings

    g = Grade([CDL(slope=(1.2, 1.0, 0.8), style="asc", colorspace="")])
    with pytest.warns(UserWarning, match="relies on the ASC clamp"):
        path = g.write_cdl(tmp_path / "shot.cc")
    assert "OCIO reads a .cc/.cdl unclamped" in path.read_text()
    # OCIO, reading the file, does not clamp: values above 1/1.2 in the working space differ
    t = ocio.CDLTransform.CreateFromFile(str(path), "")
    assert t.getStyle() == ocio.CDL_NO_CLAMP
    x = np.array([[2.0, 2.0, 2.0]], np.float32)
    from_file = x.copy()
    O.get_config().getProcessor(t).getDefaultCPUProcessor().applyRGB(from_file)
    assert from_file[0, 0] > 1.5 and g.apply_rgb(x)[0, 0] <= 1.0 + 1e-6
    # a CDL that never meets the clamp exports quietly
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Grade([CDL(slope=(1.2, 1.0, 0.8), style="no_clamp", colorspace="")]).write_cdl(tmp_path / "free.cc")


def test_failed_grade_write_leaves_no_temp_file(tmp_path, monkeypatch):
    """The grade's files go through chroma.io's atomic write: a failure keeps the old file
    and leaves no temporary file behind."""
    g = Grade([Exposure(1.0)])
    path = tmp_path / "g.toml"
    g.save(path)
    before = path.read_text()

    orig = Path.write_text

    def failing(self, *a, **k):  # a partial write, then the disk is full
        orig(self, "half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", failing)
    with pytest.raises(ChromaIOError, match="No space"):
        Grade([Exposure(2.0)]).save(path)
    monkeypatch.undo()
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.toml"]


@pytest.mark.parametrize("src, dst, affine", [("ACEScg", "ACES2065-1", True), ("ACEScg", "Linear Rec.2020", True),
                                              ("ACES2065-1", "Linear P3-D65", True), ("ACEScg", "ACEScct", False),
                                              ("ACEScg", "sRGB Encoded Rec.709 (sRGB)", False)])
def test_linear_conversion_read_from_ocio_ops(src, dst, affine):
    """The matrix read from OCIO's ops equals the conversion OCIO applies (float32 CPU)."""
    from chroma.grade.compiled import linear_conversion

    got = linear_conversion(O.config_path(), src, dst)
    assert (got is not None) == affine
    if affine:
        x = np.random.default_rng(5).uniform(-1, 50, (64, 3)).astype(np.float32)
        want = O.apply_cpu(O.processor(src, dst), x).astype(np.float64)
        np.testing.assert_allclose(x.astype(np.float64) @ got[0].T + got[1], want, rtol=2e-6, atol=1e-6)


def test_clear_caches_forgets_compiled_grades_linear_conversions() -> None:
    """chroma.ocio.clear_caches() clears every cache derived from a config, the compiled grades' too (#22 item 6)."""
    from chroma import ocio
    from chroma.grade.compiled import linear_conversion

    linear_conversion(str(ocio.config_path()), "ACEScg", "ACES2065-1")
    assert linear_conversion.cache_info().currsize > 0
    ocio.clear_caches()
    assert linear_conversion.cache_info().currsize == 0
