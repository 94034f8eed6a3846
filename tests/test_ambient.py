"""chroma.ambient: API behaviour, reference balls, procedural sky, matching, CLI, demo."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from chroma import Image, ambient
from chroma.cli import main
from chroma.errors import ChromaError, ChromaValueError


@pytest.fixture(scope="module")
def sky():
    return ambient.sky_hdri(256, 128)


@pytest.fixture(scope="module")
def sky_sh(sky):
    return ambient.project(sky)


def constant_sh(L=(1.0, 1.0, 1.0), size=(64, 32)):
    w, h = size
    return ambient.project(np.broadcast_to(np.asarray(L, np.float32), (h, w, 3)).copy())


# ------------------------------------------------------------------------------ projection


def test_project_image_and_array_agree(sky):
    a = ambient.project(sky)
    b = ambient.project(sky.rgb)
    np.testing.assert_allclose(a.coefficients, b.coefficients, rtol=1e-6)
    assert a.coefficients.shape == (9, 3) and a.colorspace == "ACEScg"


def test_project_float64_input_and_alpha_ignored(sky):
    rgba = np.concatenate([sky.rgb, np.full(sky.rgb.shape[:2] + (1,), 7.0, np.float32)], axis=2)
    a = ambient.project(sky.rgb.astype(np.float64))
    b = ambient.project(Image(rgba, ["R", "G", "B", "A"]))
    np.testing.assert_allclose(a.coefficients, b.coefficients, rtol=1e-5)


@pytest.mark.parametrize("order, n", [(0, 1), (1, 4), (2, 9)])
def test_orders(sky, order, n):
    sh = ambient.project(sky, order=order)
    assert sh.coefficients.shape == (n, 3) and sh.order == order
    full = ambient.project(sky)
    np.testing.assert_allclose(sh.coefficients, full.coefficients[:n])
    np.testing.assert_allclose(full.truncated(order).coefficients, sh.coefficients)
    assert sh.irradiance(np.array([0.0, 1.0, 0.0])).shape == (3,)


def test_bad_inputs_raise_user_errors(sky):
    with pytest.raises(ChromaValueError, match="order"):
        ambient.project(sky, order=3)
    with pytest.raises(ChromaValueError, match="height x width"):
        ambient.project(np.zeros((4, 8, 2), np.float32))
    with pytest.raises(ChromaValueError, match="float"):
        ambient.project(np.zeros((4, 8, 3), np.uint8))
    with pytest.raises(ChromaValueError, match="too small"):
        ambient.project(np.zeros((1, 2, 3), np.float32))
    bad = sky.rgb.copy()
    bad[3, 4, 1] = np.nan
    with pytest.raises(ChromaValueError, match="NaN/Inf"):
        ambient.project(bad)
    with pytest.raises(ChromaValueError, match="raise"):
        ambient.project(sky, order=1).truncated(2)
    with pytest.raises(ChromaValueError, match="rows"):
        ambient.SH(np.zeros((5, 3)))
    with pytest.raises(ChromaValueError, match="SH description"):
        ambient.SH.from_dict({"coeffs": []})


def test_non_2_to_1_warns():
    from chroma.io import ChromaWarning

    with pytest.warns(ChromaWarning, match="not 2:1"):
        ambient.project(np.ones((90, 160, 3), np.float32))


def test_coefficients_convert_between_linear_spaces(sky_sh):
    """Projection is linear: converting the coefficients equals converting the pixels."""
    from chroma import ocio

    sky = ambient.sky_hdri(256, 128)
    rec709 = ocio.convert(sky.rgb, "ACEScg", "Linear Rec.709 (sRGB)")
    direct = ambient.project(rec709)
    converted = sky_sh.to_colorspace("Linear Rec.709 (sRGB)")
    assert converted.colorspace == "Linear Rec.709 (sRGB)"
    np.testing.assert_allclose(converted.coefficients, direct.coefficients, rtol=2e-4, atol=1e-4)
    with pytest.raises(ChromaError):
        sky_sh.to_colorspace("sRGB - Display")


# ------------------------------------------------------------------------------ evaluation


def test_irradiance_is_vectorised_over_normal_maps(sky_sh):
    n = np.random.default_rng(1).normal(size=(12, 20, 3)).astype(np.float32)
    e = sky_sh.irradiance(n)
    assert e.shape == (12, 20, 3) and e.dtype == np.float32
    # normals are normalised; zero normals (background) give 0
    np.testing.assert_allclose(sky_sh.irradiance(n * 3.0), e, rtol=1e-5)
    n[0, 0] = 0.0
    assert np.all(sky_sh.irradiance(n)[0, 0] == 0.0)
    with pytest.raises(ChromaValueError, match=r"\(\.\.\., 3\)"):
        sky_sh.irradiance(np.zeros((4, 2)))


def test_irradiance_matches_explicit_sum(sky_sh):
    """The vectorised quadratic form equals sum_k A_l c_k Y_k(n) written out."""
    n = np.random.default_rng(2).normal(size=(50, 3))
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    explicit = ambient.basis(n) * np.array(ambient.A_L)[ambient.BAND] @ sky_sh.coefficients
    np.testing.assert_allclose(sky_sh.irradiance(n), explicit, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sky_sh.radiance(n), ambient.basis(n) @ sky_sh.coefficients, rtol=1e-5, atol=1e-5)


def test_windows():
    np.testing.assert_allclose(ambient.window(2, "hanning"), [1.0, 0.75, 0.25])
    np.testing.assert_allclose(ambient.window(2, "lanczos"),
                               [1.0, np.sin(np.pi / 3) / (np.pi / 3), np.sin(2 * np.pi / 3) / (2 * np.pi / 3)])
    np.testing.assert_allclose(ambient.window(2, None), [1, 1, 1])
    with pytest.raises(ChromaValueError, match="unknown SH window"):
        ambient.window(2, "gauss")
    sh = constant_sh((2.0, 2.0, 2.0)).windowed("hanning")  # the DC term is never windowed
    assert sh.irradiance(np.array([1.0, 0, 0]))[0] == pytest.approx(2 * np.pi, rel=1e-4)


# -------------------------------------------------------------------------------- rotation


def test_rotation_matrix_axes():
    R = ambient.rotation_matrix(90, 0, 0)
    np.testing.assert_allclose(R @ [0, 0, 1], [1, 0, 0], atol=1e-12)  # yaw: +Z -> +X
    np.testing.assert_allclose(ambient.rotation_matrix(0, 90, 0) @ [0, 0, 1], [0, -1, 0], atol=1e-12)
    np.testing.assert_allclose(ambient.rotation_matrix(0, 0, 90) @ [1, 0, 0], [0, 1, 0], atol=1e-12)
    R = ambient.rotation_matrix(33, -71, 12)
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)


def test_sh_rotation_is_block_diagonal_and_orthogonal():
    M = ambient.sh_rotation(ambient.rotation_matrix(40, 25, -15))
    np.testing.assert_allclose(M @ M.T, np.eye(9), atol=1e-10)
    assert M[0, 0] == pytest.approx(1.0)
    assert np.all(M[1:4, 4:] == 0) and np.all(M[4:, :4] == 0)
    with pytest.raises(ChromaValueError, match="orthonormal"):
        ambient.sh_rotation(np.eye(3) * 2)


def test_rotation_moves_the_dominant_light(sky_sh):
    d0 = sky_sh.dominant_direction()
    d1 = sky_sh.rotated(90, 0, 0).dominant_direction()
    np.testing.assert_allclose(d1, ambient.rotation_matrix(90, 0, 0) @ d0, atol=1e-9)
    back = sky_sh.rotated(90, 30, 10).rotated_by(ambient.rotation_matrix(90, 30, 10).T)
    np.testing.assert_allclose(back.coefficients, sky_sh.coefficients, atol=1e-9)


# ---------------------------------------------------------------------- dominant / ambient


def test_dominant_light_points_at_the_sun():
    sky = ambient.sky_hdri(512, 256, sun_elevation=40, sun_azimuth=-60, sun_irradiance=30, sky_radiance=0.2)
    d, colour = ambient.project(sky).dominant_light()
    el, az = math.radians(40), math.radians(-60)
    sun = np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])
    assert np.degrees(np.arccos(d @ sun)) < 6.0  # the sky gradient and ground pull it a little
    assert np.all(colour > 0)


def test_no_band1_gives_up_direction():
    sh = constant_sh()
    np.testing.assert_allclose(sh.dominant_direction(), [0, 1, 0])
    np.testing.assert_allclose(ambient.project(np.ones((8, 16, 3), np.float32), order=0).dominant_light()[1], 0)


def test_to_dict_keys(sky_sh):
    d = sky_sh.to_dict()
    for key in ("coefficients", "dominant_direction", "dominant_color", "ambient_kelvin", "ambient_duv"):
        assert key in d
    assert np.asarray(d["coefficients"]).shape == (9, 3)
    back = ambient.SH.from_dict(json.loads(json.dumps(d)))
    np.testing.assert_allclose(back.coefficients, sky_sh.coefficients, rtol=1e-8)


def test_black_environment_has_no_kelvin():
    sh = ambient.project(np.zeros((16, 32, 3), np.float32))
    d = sh.to_dict()
    assert d["ambient_kelvin"] is None and d["ambient_duv"] is None


# ----------------------------------------------------------------------------------- balls


def test_grey_ball_in_a_constant_environment_is_albedo_times_L():
    sh = constant_sh((0.5, 1.0, 2.0))
    ball = ambient.render_grey_ball(sh, size=32)
    assert ball.channels == ["R", "G", "B", "A"] and ball.colorspace == "ACEScg"
    inside = ball.pixels[..., 3] == 1.0
    # rho / pi * (pi L) = rho L (R&H: a Lambertian surface in a uniform environment)
    np.testing.assert_allclose(ball.pixels[inside][:, :3], np.broadcast_to([0.09, 0.18, 0.36], (inside.sum(), 3)), rtol=2e-4)
    assert ball.pixels[0, 0, 3] == 0.0 and ball.pixels[0, 0, :3].max() == 0.0


def test_chrome_ball_in_a_constant_environment_is_L():
    sh = constant_sh((0.5, 1.0, 2.0))
    ball = ambient.render_chrome_ball(sh, size=32, reflectance=0.6)
    inside = ball.pixels[..., 3] == 1.0
    np.testing.assert_allclose(ball.pixels[inside][:, :3], np.broadcast_to([0.3, 0.6, 1.2], (inside.sum(), 3)), rtol=2e-4)


def test_grey_ball_under_a_directional_light_is_lambert():
    sh = ambient.SH(np.zeros((9, 3)))
    light = ambient.DirectionalLight([1.0, 2.0, 3.0], [0.0, 0.0, 1.0], intensity=2.0)
    ball = ambient.render_grey_ball(sh, [light], size=64, supersample=1)
    # the pixel at the centre faces the camera (n ~ +Z): 0.18 / pi * E * cos
    c = ball.pixels[32, 32, :3]
    x = y = (32.5 / 64) * 2 - 1
    cos = math.sqrt(1 - x * x - y * y)
    np.testing.assert_allclose(c, 0.18 / np.pi * np.array([2.0, 4.0, 6.0]) * cos, rtol=1e-5)


def test_lights_accept_objects_with_rgb():
    class FakeLight:
        def rgb(self, colorspace="ACEScg"):
            return np.array([1.0, 0.5, 0.25])

    light = ambient.DirectionalLight(FakeLight(), [0, 1, 0], intensity=4.0)
    np.testing.assert_allclose(light.rgb(), [4.0, 2.0, 1.0])
    with pytest.raises(ChromaValueError, match="direction"):
        ambient.DirectionalLight([1, 1, 1], [0, 0, 0]).unit_direction()
    with pytest.raises(ChromaValueError, match="3 RGB"):
        ambient.DirectionalLight([1, 1], [0, 1, 0]).rgb()


def test_grey_ball_with_a_chroma_light():
    """A chroma.Light (issue 4) lights the ball through its .rgb(colorspace)."""
    from chroma import Light

    light = Light.blackbody(3200)
    rgb = np.asarray(light.rgb("ACEScg"), np.float64)
    ball = ambient.render_grey_ball(ambient.SH(np.zeros((9, 3))), [ambient.DirectionalLight(light, [0, 0, 1], 2.0)],
                                    size=16, supersample=1)
    x = y = (8.5 / 16) * 2 - 1
    np.testing.assert_allclose(ball.pixels[8, 8, :3], 0.18 / np.pi * 2.0 * rgb * math.sqrt(1 - x * x - y * y), rtol=1e-5)
    assert ball.pixels[8, 8, 0] > ball.pixels[8, 8, 2]  # tungsten is warm


def test_chrome_ball_shows_the_light_and_keeps_its_energy():
    sh = ambient.SH(np.zeros((9, 3)))
    light = ambient.DirectionalLight([1.0, 1.0, 1.0], [0.0, 0.0, 1.0])  # behind the camera
    ball = ambient.render_chrome_ball(sh, [light], size=64)
    centre = ball.pixels[30:34, 30:34, 0]
    assert centre.min() > 0 and ball.pixels[5, 32, 0] == 0.0
    # near the centre a ball pixel of area (2/size)^2 reflects a solid angle 4 (2/size)^2,
    # so radiance x solid angle over the highlight gives back the light's irradiance
    assert float(ball.pixels[..., 0].sum()) * 4 * (2 / 64) ** 2 == pytest.approx(1.0, rel=0.05)
    with pytest.raises(ChromaValueError, match="ball size"):
        ambient.render_chrome_ball(sh, size=4)


def test_reference_balls_side_by_side(sky_sh, sky):
    img = ambient.reference_balls(sky_sh, size=40, environment=sky)
    assert img.pixels.shape == (40, 80, 4)


# ------------------------------------------------------------------------------------- sky


def test_sky_sun_energy_and_orientation():
    kw = dict(sun_elevation=30, sun_azimuth=90, sky_radiance=0.0, ground_albedo=0.0, sun_irradiance=10.0)
    sky = ambient.sky_hdri(256, 128, **kw)
    omega = ambient.latlong_solid_angles(256, 128)[:, None]
    lum = sky.rgb @ np.array([0.2722, 0.6741, 0.0537], np.float32)  # ACEScg Y weights
    assert float((lum * omega).sum()) == pytest.approx(10.0, rel=1e-3)  # Y of the sun colour is 1
    row, col = np.unravel_index(np.argmax(lum), lum.shape)
    # azimuth 90 is +X: u = 0.25; elevation 30: v = (90 - 30) / 180
    assert (col + 0.5) / 256 == pytest.approx(0.25, abs=2 / 256)
    assert (row + 0.5) / 128 == pytest.approx(60 / 180, abs=2 / 128)


def test_sky_ambient_kelvin_is_its_kelvin():
    sky = ambient.sky_hdri(128, 64, kelvin=7500, sun_irradiance=0.0, ground_albedo=0.0)
    k, tint = ambient.project(sky).ambient_white("auto")
    assert k == pytest.approx(7500, abs=2) and tint == pytest.approx(0, abs=1e-5)


@pytest.mark.parametrize("kw", [dict(kelvin=500), dict(width=2), dict(sun_irradiance=-1), dict(ground_albedo=2)])
def test_sky_bad_parameters(kw):
    with pytest.raises(ChromaValueError):
        ambient.sky_hdri(**kw)


# -------------------------------------------------------------------------------- matching


def _grey_world_image(sh, scale=1.0, wb=None):
    """An 18 % grey world under the environment: every pixel 0.18 * L_mean (a Lambertian
    card averaged over orientations), optionally exposed and colour cast."""
    rgb = 0.18 * sh.mean_radiance * scale
    if wb is not None:
        rgb = wb @ rgb
    px = np.broadcast_to(rgb.astype(np.float32), (16, 24, 3)).copy()
    return Image(px, ["R", "G", "B"], "ACEScg")


def test_match_of_an_already_matched_image_is_identity(sky_sh):
    m = ambient.measure_ambient(_grey_world_image(sky_sh), sky_sh)
    assert m.stops == pytest.approx(0.0, abs=1e-3)
    assert m.from_kelvin == pytest.approx(m.to_kelvin, rel=1e-4)
    assert m.from_tint == pytest.approx(m.to_tint, abs=1e-6)


def test_match_recovers_exposure_and_white(sky_sh):
    from chroma import whitebalance

    dst_k, dst_t = sky_sh.ambient_white("auto")
    cast = whitebalance.white_balance_matrix(dst_k, 3200.0, dst_t, 0.0)  # the plate looks 3200 K
    img = _grey_world_image(sky_sh, scale=2.0**-1.5, wb=cast)
    m = ambient.measure_ambient(img, sky_sh)
    assert m.from_kelvin == pytest.approx(3200.0, abs=1.0)
    assert m.to_kelvin == pytest.approx(dst_k, abs=1e-6)
    assert m.stops == pytest.approx(1.5, abs=2e-3)


def test_match_bad_inputs(sky_sh):
    with pytest.raises(ChromaValueError, match="chroma.Image"):
        ambient.measure_ambient(np.ones((4, 4, 3)), sky_sh)
    with pytest.raises(ChromaValueError, match="no pixel"):
        ambient.measure_ambient(Image(np.zeros((4, 4, 3), np.float32)), sky_sh)
    with pytest.raises(ChromaValueError, match="albedo"):
        ambient.measure_ambient(_grey_world_image(sky_sh), sky_sh, albedo=0)


def test_match_ambient_returns_a_grade(sky_sh):
    grade = pytest.importorskip("chroma.grade")
    img = _grey_world_image(sky_sh, scale=0.5)
    g = ambient.match_ambient(img, sky_sh)
    assert isinstance(g, grade.Grade)
    out = g.apply(img)
    got = out.rgb.reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(got, 0.18 * sky_sh.mean_radiance, rtol=2e-3)


# ------------------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def sky_exr(tmp_path_factory):
    from chroma import write

    path = tmp_path_factory.mktemp("ambient") / "sky.exr"
    write(ambient.sky_hdri(256, 128), path, dtype="float")
    return path


def test_cli_text(sky_exr, capsys):
    assert main(["ambient", str(sky_exr)]) == 0
    out = capsys.readouterr().out
    assert "dominant light" in out and " K  Duv " in out and out.count("\n") >= 12


def test_cli_json_and_rotate(sky_exr, capsys):
    assert main(["ambient", str(sky_exr), "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["ambient", str(sky_exr), "--json", "--rotate", "90,0,0", "--order", "1"]) == 0
    rot = json.loads(capsys.readouterr().out)
    assert np.asarray(plain["coefficients"]).shape == (9, 3)
    assert np.asarray(rot["coefficients"]).shape == (4, 3)
    R = ambient.rotation_matrix(90, 0, 0)
    np.testing.assert_allclose(rot["dominant_direction"], R @ plain["dominant_direction"], atol=1e-4)
    for key in ("dominant_color", "ambient_kelvin", "ambient_duv"):
        assert key in plain


def test_cli_ball(sky_exr, tmp_path, capsys):
    from chroma import read

    out = tmp_path / "balls.exr"
    assert main(["ambient", str(sky_exr), "--ball", str(out), "--size", "32"]) == 0
    img = read(out)
    assert (img.width, img.height) == (64, 32) and img.channels == ["R", "G", "B", "A"]
    capsys.readouterr()
    assert main(["ambient", str(sky_exr), "--ball", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["ambient", str(sky_exr), "--ball", str(out), "--overwrite", "--size", "32"]) == 0


def test_cli_errors(sky_exr, tmp_path, capsys):
    assert main(["ambient", str(tmp_path / "missing.exr")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["ambient", str(sky_exr), "--rotate", "90,0"])
    assert exc.value.code == 2
    assert "YAW,PITCH,ROLL" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["ambient", str(sky_exr), "--order", "3"])
    assert main(["ambient", str(sky_exr), "--ball", str(tmp_path / "no" / "b.exr"), "--size", "16"]) == 0
    assert (tmp_path / "no" / "b.exr").exists()  # a missing output folder is created, and said so
    assert "created the output folder" in capsys.readouterr().err
    assert main(["ambient", str(sky_exr), "--ball", str(tmp_path / "b.exr"), "--size", "3"]) == 2
    assert "ball size" in capsys.readouterr().err


def test_demo_part(tmp_path):
    from chroma import demo

    sub = tmp_path / "ambient"
    sub.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        files = demo.PARTS["ambient"](sub, False)
    names = sorted(p.name for p in files)
    assert names == ["balls.exr", "balls_preview.png", "sky.exr", "sky_sh.json"]
    data = json.loads((sub / "sky_sh.json").read_text())
    assert np.asarray(data["coefficients"]).shape == (9, 3)
    with pytest.raises(ChromaError, match="--overwrite"):
        demo.PARTS["ambient"](sub, False)


def test_old_names_warn_and_agree(sky_sh):
    """ambient_match -> measure_ambient, as_dict -> to_dict, normalize -> normalise: the old
    spellings still work for one release and warn."""
    img = _grey_world_image(sky_sh)
    with pytest.warns(DeprecationWarning, match="measure_ambient"):
        old = ambient.ambient_match(img, sky_sh)
    new = ambient.measure_ambient(img, sky_sh)
    assert old == new
    with pytest.warns(DeprecationWarning, match="to_dict"):
        assert new.as_dict() == new.to_dict()
    n = np.array([[0.0, 2.0, 0.0], [1.0, 1.0, 0.0]])
    with pytest.warns(DeprecationWarning, match="normalise"):
        old_e = ambient.irradiance(sky_sh, n, normalize=False)
    np.testing.assert_array_equal(old_e, ambient.irradiance(sky_sh, n, normalise=False))
    assert not np.allclose(old_e, ambient.irradiance(sky_sh, n))  # the flag does something
