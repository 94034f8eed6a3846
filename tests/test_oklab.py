"""chroma.oklab: conversions, blends, hue interpolation, gamut mapping, gradients, crossfades."""

import numpy as np
import pytest

from chroma import io, ocio, oklab
from chroma.errors import ChromaError, ChromaValueError, ColorSpaceError
from chroma.image import Image


def lch_colour(L, C, h, cs="ACEScg"):
    return oklab.from_oklab(oklab.oklch_to_oklab(np.array([L, C, h], np.float64)), cs)


def hue_of(rgb, cs="ACEScg"):
    return oklab.oklab_to_oklch(oklab.to_oklab(np.asarray(rgb, np.float64), cs))[..., 2]


# ----------------------------------------------------------------------------- conversions


def test_round_trip_linear_srgb_float64_within_1e6():
    rgb = np.random.default_rng(0).uniform(0.0, 1.0, (100000, 3))
    back = oklab.oklab_to_linear_srgb(oklab.linear_srgb_to_oklab(rgb))
    assert np.max(np.abs(back - rgb)) < 1e-6
    lab = oklab.linear_srgb_to_oklab(rgb)
    assert np.max(np.abs(oklab.linear_srgb_to_oklab(oklab.oklab_to_linear_srgb(lab)) - lab)) < 1e-6


def test_round_trip_float32_images_stay_float32_and_close():
    rgb = np.random.default_rng(1).uniform(0.0, 1.0, (64, 64, 3)).astype(np.float32)
    lab = oklab.to_oklab(rgb)
    assert lab.dtype == np.float32 and lab.shape == rgb.shape
    back = oklab.from_oklab(lab)
    assert back.dtype == np.float32
    assert np.max(np.abs(back - rgb)) < 5e-6  # float32 arithmetic: ~40 ulp


def test_hdr_and_negative_values_round_trip():
    rgb = np.array([[16.0, 8.0, 2.0], [-0.01, 0.2, 0.3], [0.0, 0.0, 0.0]])
    assert np.allclose(oklab.from_oklab(oklab.to_oklab(rgb)), rgb, atol=1e-9)


def test_oklch_round_trip_and_hue_range():
    lab = np.random.default_rng(2).uniform(-0.4, 0.4, (1000, 3))
    lch = oklab.oklab_to_oklch(lab)
    assert np.all((lch[:, 2] >= 0) & (lch[:, 2] < 360))
    assert np.allclose(oklab.oklch_to_oklab(lch), lab, atol=1e-12)


def test_non_linear_working_space_is_refused():
    with pytest.raises(ColorSpaceError, match="scene-linear"):
        oklab.to_oklab(np.ones(3), "ACEScct")
    with pytest.raises(ColorSpaceError):
        oklab.to_oklab(np.ones(3), "ACEScgg")


def test_bad_shapes_raise():
    with pytest.raises(ChromaValueError):
        oklab.to_oklab(np.ones((4, 2)))


def test_spaces_without_known_primaries_go_through_the_config():
    m = ocio.rgb_to_xyz_matrix("Linear DaVinci WideGamut", white="D65")
    lab = oklab.to_oklab(np.full(3, 0.5), "Linear DaVinci WideGamut")
    assert m.shape == (3, 3) and abs(lab[1]) < 1e-3 and abs(lab[2]) < 1e-3


# -------------------------------------------------------------------------------- gradients


def test_oklab_gradient_has_equal_lightness_steps_and_srgb_linear_do_not():
    colours = ["#00ff00", "#ff00ff"]
    steps = {}
    for space in ("oklab", "oklch", "linear", "srgb"):
        g = oklab.gradient(colours, 9, space)
        L = oklab.to_oklab(g)[:, 0]
        steps[space] = np.diff(L)
    for space in ("oklab", "oklch"):
        assert np.ptp(steps[space]) < 1e-4, space
    for space in ("linear", "srgb"):
        assert np.ptp(steps[space]) > 1e-3, space  # the test can fail


def test_gradient_endpoints_and_multi_stop():
    g = oklab.gradient(["#ff0000", "#00ff00", "#0000ff"], 5, "oklab")
    assert g.shape == (5, 3)
    for i, c in ((0, "#ff0000"), (2, "#00ff00"), (4, "#0000ff")):
        assert np.allclose(g[i], oklab.parse_color(c), atol=1e-5)


def test_gradient_srgb_gamut_keeps_channels_in_display_range():
    g = oklab.gradient(["#00ff00", "#ff00ff", "#0000ff"], 65, "oklch", hue="longer", gamut="srgb")
    lin = oklab.rgb_to_rgb(g, "ACEScg", "linear-sRGB")
    assert lin.min() > -1e-6 and lin.max() < 1 + 1e-6


def test_gradient_bad_input():
    with pytest.raises(ChromaValueError):
        oklab.gradient(["#ff0000"], 5)
    with pytest.raises(ChromaValueError):
        oklab.gradient(["#ff0000", "#00ff00"], 1)
    with pytest.raises(ChromaValueError):
        oklab.gradient(["#ff0000", "#00ff00"], 5, "hsl")
    with pytest.raises(ChromaValueError):
        oklab.gradient(["#ff0000", "#00ff00"], 5, gamut="p3")


# ---------------------------------------------------------------------------------- mixing


def test_mix_endpoints_and_broadcasting():
    a = np.random.default_rng(3).uniform(0, 1, (8, 8, 3)).astype(np.float32)
    b = np.array([0.1, 0.5, 0.9], np.float32)
    for space in oklab.SPACES:
        assert np.allclose(oklab.mix(a, b, 0.0, space), a, atol=1e-5)
        assert np.allclose(oklab.mix(a, b, 1.0, space), np.broadcast_to(b, a.shape), atol=1e-5)
    matte = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    out = oklab.mix(a, b, matte)
    assert out.shape == (8, 8, 3) and out.dtype == np.float32


def test_linear_mix_is_plain_lerp():
    a, b = np.array([0.2, 0.4, 0.8]), np.array([4.0, 0.1, 0.0])
    assert np.allclose(oklab.mix(a, b, 0.25, "linear"), 0.75 * a + 0.25 * b, atol=1e-12)


@pytest.mark.parametrize(
    "h1, h2, method, mid",
    [
        (30, 90, "shorter", 60), (30, 90, "longer", 240), (30, 90, "increasing", 60), (30, 90, "decreasing", 240),
        (90, 30, "shorter", 60), (90, 30, "longer", 240), (90, 30, "increasing", 240), (90, 30, "decreasing", 60),
        (350, 10, "shorter", 0), (350, 10, "longer", 180), (350, 10, "increasing", 0), (350, 10, "decreasing", 180),
    ],
)
def test_oklch_hue_interpolation_css_color_4(h1, h2, method, mid):
    a, b = lch_colour(0.7, 0.1, h1, "linear-sRGB"), lch_colour(0.7, 0.1, h2, "linear-sRGB")
    got = hue_of(oklab.mix(a, b, 0.5, "oklch", hue=method, colorspace="linear-sRGB"), "linear-sRGB")
    assert abs((got - mid + 180) % 360 - 180) < 1e-6


@pytest.mark.parametrize("h", [0.0, 40.0, 200.0])
def test_oklch_longer_hue_at_equal_hues_goes_the_full_circle(h):
    """CSS Color 4, 12.4.2 (``longer``): angles are adjusted so that h2 - h1 lies in
    (-360, -180] or [180, 360); for -180 < h2 - h1 <= 0 (equal hues included) h2 += 360.
    Two colours of one hue therefore blend through every other hue, increasing: a quarter
    of the way is h + 90, half way h + 180 (the older rule, {0, [180, 360)}, kept them equal)."""
    a = lch_colour(0.7, 0.1, h, "linear-sRGB")
    for t, turn in ((0.25, 90.0), (0.5, 180.0), (0.75, 270.0)):
        got = hue_of(oklab.mix(a, a, t, "oklch", hue="longer", colorspace="linear-sRGB"), "linear-sRGB")
        assert abs((got - (h + turn) + 180) % 360 - 180) < 1e-6, (t, got)
    # and "shorter" keeps one hue, so the test tells the two rules apart
    same = hue_of(oklab.mix(a, a, 0.5, "oklch", hue="shorter", colorspace="linear-sRGB"), "linear-sRGB")
    assert abs((same - h + 180) % 360 - 180) < 1e-6


def test_achromatic_hue_is_powerless():
    grey, red = np.full(3, 0.18), oklab.parse_color("#ff0000")
    g = oklab.gradient([grey, red], 7, "oklch")
    hues = hue_of(g[1:])
    assert np.ptp(hues) < 1e-3 and abs(hues[-1] - hue_of(red)) < 1e-6
    # without the rule the hue would come from the grey's noise: check the grey is exact
    assert oklab.oklab_to_oklch(oklab.to_oklab(grey))[1] < 1e-7


def test_premultiplied_alpha():
    clear = np.array([0.0, 0.0, 0.0, 0.0])
    red = np.array([1.0, 0.0, 0.0, 1.0])
    for space in oklab.SPACES:
        out = oklab.mix(clear, red, 0.5, space)
        assert np.isclose(out[3], 0.5)
        assert np.allclose(out[:3] / out[3], red[:3], atol=1e-9), space  # transparent adds no colour
    # linear premultiplied blending is the plain lerp of premultiplied RGBA
    a, b = np.array([0.1, 0.2, 0.3, 0.5]), np.array([0.8, 0.4, 0.0, 1.0])
    assert np.allclose(oklab.mix(a, b, 0.3, "linear"), 0.7 * a + 0.3 * b, atol=1e-12)
    # RGB with RGBA: RGB is opaque
    assert oklab.mix(np.ones(3), a, 0.5).shape == (4,)


def test_preserve_luminance_interpolates_exposure_in_stops():
    w = ocio.luminance_weights("ACEScg")
    a = np.array([1.0, 0.5, 0.25])
    a *= 0.18 * 2**2 / (a @ w)  # +2 stops
    b = np.array([0.2, 0.3, 1.0])
    b *= 0.18 * 2**6 / (b @ w)  # +6 stops, Y = 11.5
    for space in ("oklab", "oklch", "linear"):
        out = oklab.mix(a, b, 0.5, space, preserve_luminance=True)
        assert np.isclose(np.log2((out @ w) / 0.18), 4.0, atol=1e-9), space
    # same chromaticity at different exposures: the mix keeps it
    out = oklab.mix(a, a * 16, 0.25, preserve_luminance=True)
    assert np.allclose(out / (out @ w), a / (a @ w), atol=1e-9)
    assert np.isclose(np.log2((out @ w) / 0.18), 3.0)
    # without the option, oklab L is cube-root-of-light: the HDR midpoint is elsewhere
    plain = oklab.mix(a, b, 0.5)
    assert abs(np.log2((plain @ w) / 0.18) - 4.0) > 0.1
    # black counts as -20 stops, no NaN
    out = oklab.mix(np.zeros(3), a, 0.5, preserve_luminance=True)
    assert np.all(np.isfinite(out)) and np.isclose(np.log2((out @ w) / 0.18), -9.0)


def test_mix_bad_input():
    with pytest.raises(ChromaValueError, match="blend space"):
        oklab.mix(np.ones(3), np.zeros(3), 0.5, "lab")
    with pytest.raises(ChromaValueError, match="hue"):
        oklab.mix(np.ones(3), np.zeros(3), 0.5, "oklch", hue="short")
    with pytest.raises(ChromaValueError):
        oklab.mix(np.ones((4, 3)), np.zeros((5, 3)), 0.5)
    with pytest.raises(ChromaValueError):
        oklab.mix(np.ones(3), np.zeros(3), float("nan"))
    with pytest.raises(ChromaValueError):
        oklab.mix(np.ones(2), np.zeros(2), 0.5)


# --------------------------------------------------------------------------- gamut mapping


def test_gamut_map_restore_hue_option_keeps_hue_within_a_degree():
    rng = np.random.default_rng(5)
    n = 20000
    lch = np.stack([rng.uniform(0.02, 0.98, n), rng.uniform(0.0, 0.4, n), rng.uniform(0, 360, n)], -1)
    lin = oklab.from_oklab(oklab.oklch_to_oklab(lch), "linear-sRGB")
    assert oklab.gamut._outside(lin, 1.0).sum() > n // 2  # most start out of gamut
    for dtype in (np.float64, np.float32):
        m = oklab.gamut_map(lin.astype(dtype), "linear-sRGB", upper=1.0, restore_hue=True)
        assert m.dtype == dtype and m.min() >= 0.0 and m.max() <= 1.0
        got = oklab.oklab_to_oklch(oklab.to_oklab(m.astype(np.float64), "linear-sRGB"))
        chromatic = got[:, 1] > 1e-3
        dh = np.abs((got[:, 2] - lch[:, 2] + 180) % 360 - 180)
        assert dh[chromatic].max() < 1.0
        assert np.abs(got[:, 0] - lch[:, 0]).max() < oklab.JND  # lightness kept within the JND
        assert np.all(got[:, 1] <= lch[:, 1] + 1e-6)  # chroma only reduced


def test_gamut_map_leaves_in_gamut_colours_and_never_just_clips():
    inside = np.random.default_rng(6).uniform(0, 1, (100, 3))
    assert np.array_equal(oklab.gamut_map(inside, "linear-sRGB"), inside)
    # a far out-of-gamut saturated colour: clipping would move hue; mapping does not
    c = lch_colour(0.6, 0.4, 200.0, "linear-sRGB")
    clipped = np.clip(c, 0, 1)
    mapped = oklab.gamut_map(c, "linear-sRGB")
    # CSS: the final clip moves hue by at most atan(JND / C) (11 degrees here; 1.3 found),
    # where the clip alone moves it by 24
    chroma_ = oklab.oklab_to_oklch(oklab.to_oklab(mapped, "linear-sRGB"))[1]
    bound = np.degrees(np.arctan(oklab.JND / chroma_))
    assert abs(hue_of(mapped, "linear-sRGB") - 200.0) < bound
    assert abs(hue_of(clipped, "linear-sRGB") - 200.0) > 2 * bound


def test_gamut_map_scene_linear_keeps_hdr_values():
    hdr = np.array([[8.0, 4.0, 2.0]])
    assert np.array_equal(oklab.gamut_map(hdr, "ACEScg", upper=None), hdr)
    neg = lch_colour(1.5, 0.8, 200.0)[None]  # bright and outside AP1
    assert neg.min() < 0
    m = oklab.gamut_map(neg, "ACEScg", upper=None)
    assert m.min() >= 0.0 and m.max() > 1.0
    assert abs(hue_of(m[0]) - 200.0) < 1.0


def test_to_display_range():
    d = oklab.to_display(np.array([[20.0, 0.0, 0.0], [-1, 0.5, 0.2], [0.18, 0.18, 0.18]]))
    assert d.min() >= 0 and d.max() <= 1
    assert np.allclose(d[2], oklab.srgb_encode(0.18), atol=1e-4)


# ---------------------------------------------------------------------------------- colours


@pytest.mark.parametrize("text", ["#ff8000", "#f80", "ff8000", "0.5,0.2,0.1", " 3200K", "5600k"])
def test_parse_color_forms(text):
    c = oklab.parse_color(text)
    assert c.shape == (3,) and np.all(np.isfinite(c))
    assert oklab.looks_like_color(text)


def test_parse_color_values():
    assert np.allclose(oklab.parse_color("0.5,0.2,0.1"), [0.5, 0.2, 0.1])
    assert np.allclose(oklab.parse_color("#f80"), oklab.parse_color("#ff8800"))
    warm = oklab.parse_color("3200K")
    assert warm[0] > warm[2] and np.isclose(warm @ ocio.luminance_weights("ACEScg"), 1.0, atol=5e-3)


@pytest.mark.parametrize("text", ["#ggg", "#12345", "1,2", "a,b,c", "3200", "500K", "30000K", "red", "nan,0,0"])
def test_parse_color_bad(text):
    with pytest.raises(ChromaValueError):
        oklab.parse_color(text)


# ------------------------------------------------------------------------ images and fades


def test_crossfade_weights():
    w = oklab.crossfade_weights(5, "smooth")
    assert w[0] == 0 and w[-1] == 1 and np.isclose(w[2], 0.5)
    assert np.all(np.diff(w) > 0)
    assert oklab.crossfade_weights(5, "ease-in")[1] < 0.25 < oklab.crossfade_weights(5, "ease-out")[1]
    assert oklab.crossfade_weights(1, "linear")[0] == 0.5
    with pytest.raises(ChromaValueError, match="curve"):
        oklab.crossfade_weights(5, "smoth")


def _write_seq(folder, name, colour, frames, alpha=None, z=True):
    paths = []
    for f in frames:
        rgb = np.broadcast_to(np.asarray(colour, np.float32) * (1 + 0.1 * (f - frames[0])), (6, 8, 3))
        planes = [rgb]
        channels = ["R", "G", "B"]
        if alpha is not None:
            planes.append(np.full((6, 8, 1), alpha, np.float32))
            channels.append("A")
        if z:
            planes.append(np.full((6, 8, 1), 2.0 + f, np.float32))
            channels.append("Z")
        img = Image(np.concatenate(planes, axis=2), channels, "ACEScg")
        paths.append(io.write(img, folder / f"{name}.{f:04d}.exr", dtype="float"))
    return paths


def test_crossfade_sequences(tmp_path):
    frames = [1001, 1002, 1003, 1004]
    _write_seq(tmp_path, "a", [0.5, 0.1, 0.05], frames)
    _write_seq(tmp_path, "b", [0.05, 0.2, 0.6], frames[1:] + [1005])
    out = oklab.crossfade(str(tmp_path / "a.####.exr"), str(tmp_path / "b.####.exr"),
                          str(tmp_path / "f.####.exr"), space="oklab", curve="linear", progress=False)
    assert [p.name for p in out] == ["f.1002.exr", "f.1003.exr", "f.1004.exr"]  # frames both have
    first, mid, last = (io.read(p) for p in out)
    a2, b4 = io.read(tmp_path / "a.1002.exr"), io.read(tmp_path / "b.1004.exr")
    assert np.allclose(first.rgb, a2.rgb, atol=2e-3) and np.allclose(last.rgb, b4.rgb, atol=2e-3)
    assert mid.metadata["chroma/blend/t"] == pytest.approx(0.5)
    assert mid.metadata["chroma/blend/space"] == "oklab"
    assert mid.channels == ["R", "G", "B", "Z"]  # shared extra channels carried, mixed linearly
    assert np.allclose(mid.pixels[..., 3], 2.0 + 1003)
    with pytest.raises(ChromaError, match="exists"):
        oklab.crossfade(str(tmp_path / "a.####.exr"), str(tmp_path / "b.####.exr"), str(tmp_path / "f.####.exr"))


def test_crossfade_still_to_colour_and_errors(tmp_path):
    still = _write_seq(tmp_path, "s", [0.3, 0.2, 0.1], [1], alpha=1.0, z=False)[0]
    out = oklab.crossfade(str(still), "0,0,0", str(tmp_path / "o.####.exr"), frames="1-3",
                          curve="smooth", preserve_luminance=True, progress=False)
    last = io.read(out[-1])
    assert last.channels == ["R", "G", "B", "A"] and np.all(last.rgb < 1e-4)
    with pytest.raises(ChromaError, match="frames"):
        oklab.crossfade(str(still), "0,0,0", str(tmp_path / "p.####.exr"))
    with pytest.raises(ChromaError, match="colours"):
        oklab.crossfade("#ff0000", "0,0,0", str(tmp_path / "p.####.exr"), frames="1-3")
    with pytest.raises(ChromaError, match="lacks frames"):
        oklab.crossfade(str(tmp_path / "s.####.exr"), "0,0,0", str(tmp_path / "p.####.exr"), frames="1-3")
    with pytest.raises(ChromaError, match="one file"):
        oklab.crossfade(str(still), "0,0,0", str(tmp_path / "p.exr"), frames="1-3")
    with pytest.raises(ChromaError, match="neither"):
        oklab.crossfade(str(tmp_path / "missing.exr"), "0,0,0", str(tmp_path / "p.####.exr"), frames="1-3")
    with pytest.raises(ChromaError, match="folder"):
        oklab.crossfade(str(still), "0,0,0", str(tmp_path / "no" / "p.####.exr"), frames="1-3")


def test_mix_images_size_mismatch():
    a = Image(np.zeros((4, 4, 3), np.float32))
    b = Image(np.zeros((5, 4, 3), np.float32))
    with pytest.raises(ChromaValueError, match="size"):
        oklab.mix_images(a, b, 0.5)
    with pytest.raises(ChromaValueError):
        oklab.mix_images("#ff0000", "#00ff00", 0.5)


def test_compare_strips_and_figure(tmp_path):
    px = oklab.compare_strips("#00ff00", "#ff00ff", 64, 30)
    assert px.shape == (30, 64, 3) and px.min() >= 0 and px.max() <= 1
    # top strip oklab, bottom srgb: sRGB-space midpoint is the darkest
    L = [oklab.to_oklab(oklab.srgb_decode(px[r, 32]), "linear-sRGB")[0] for r in (5, 15, 25)]
    assert L[2] < L[0] - 0.05
    path = oklab.write_compare("#00ff00", "#ff00ff", tmp_path / "c.png", 64, 30)
    img = io.read(path)
    assert (img.width, img.height) == (64, 30)
    assert "oklab, linear, srgb" in img.metadata.get("ImageDescription", "")
    with pytest.raises(ChromaError, match="exists"):
        oklab.write_compare("#00ff00", "#ff00ff", path)
    with pytest.raises(ChromaValueError, match="png"):
        oklab.write_compare("#00ff00", "#ff00ff", tmp_path / "c.exr")


def test_demo_part(tmp_path):
    from chroma import demo

    files = demo.PARTS["blend"](tmp_path, False)
    names = {p.name for p in files}
    assert "blend_compare.png" in names and any(n.endswith(".exr") for n in names)
    with pytest.raises(ChromaError):
        demo.PARTS["blend"](tmp_path, False)
