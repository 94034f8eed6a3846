"""chroma.charts: the ColorChecker under a light."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chroma import io
from chroma.charts import BORDER_VALUE, CHARTS, patch_xyz, reflectances, render_chart, write_chart
from chroma.errors import ChromaIOError, ChromaValueError
from chroma.lights import Light


@pytest.fixture(scope="module")
def fl2():
    return render_chart(Light.illuminant("FL2"))


def test_reflectances_are_24_named_patches():
    names, refl = reflectances()
    assert len(names) == 24 and refl.shape == (24, 471)
    assert names[0] == "dark skin" and names[18].startswith("white") and names[23].startswith("black")
    assert 0 <= refl.min() and refl.max() < 1.0


def test_unknown_chart():
    with pytest.raises(ChromaValueError, match="unknown chart"):
        reflectances("MacBeth 1976")
    assert set(CHARTS) >= {"ISO 17321-1", "BabelColor Average"}


def test_perfect_white_under_a_light_is_the_light():
    light = Light.illuminant("FL11")
    xyz = patch_xyz(light.values, np.ones((1, 471)))
    np.testing.assert_allclose(xyz[0], light.xyz(), rtol=1e-12)


def test_not_balanced_chart_is_consistent_with_light_rgb():
    light = Light.blackbody(3200, stops=1)
    res = render_chart(light, white_balance=False)
    _, refl = reflectances()
    # a neutral patch's RGB is (almost) its mean reflectance times the light's RGB
    grey = res.rgb[21] / (refl[21].mean() * 2.0)
    np.testing.assert_allclose(grey / grey[1], light.rgb() / light.rgb()[1], rtol=0.02)


def test_white_balanced_neutrals_are_neutral_and_scaled_by_intensity():
    for light in (Light.blackbody(2700), Light.illuminant("FL2"), Light.led("pc:6500")):
        flat = (["white", "grey"], np.array([[1.0] * 471, [0.18] * 471]))
        res = render_chart(light.with_intensity(stops=-1), white_balance=True, samples=flat)
        np.testing.assert_allclose(res.rgb, [[0.5] * 3, [0.09] * 3], rtol=1e-5)
        # the chart's real neutrals are nearly, not exactly, flat (ISO 17321-1 data)
        neutrals = render_chart(light, white_balance=True).rgb[18:22]
        spread = (neutrals.max(axis=1) - neutrals.min(axis=1)) / neutrals.mean(axis=1)
        assert spread.max() < 0.02, light.name
    with pytest.raises(ChromaValueError, match="samples"):
        render_chart(Light.blackbody(3200), samples=(["a"], np.ones((2, 471))))


def test_reference_lights_render_with_no_difference():
    for light in (Light.blackbody(3200), Light.illuminant("D65")):
        assert render_chart(light).delta_e.max() < 0.05


def test_low_cri_light_shows_larger_differences(fl2):
    fl8 = render_chart(Light.illuminant("FL8"))
    assert fl2.reference.startswith("blackbody")  # 4225 K < 5000 K: Planckian reference
    assert fl8.reference.startswith("blackbody")
    assert render_chart(Light.led("pc:5600")).reference.startswith("CIE daylight")
    assert fl2.delta_e.mean() > 3 * fl8.delta_e.mean()
    assert fl2.delta_e[14] > 3  # "red" suffers under FL2


def test_to_dict_is_json(fl2):
    d = fl2.to_dict()
    json.dumps(d)
    assert len(d["patches"]) == 24 and d["patches"][0]["name"] == "dark skin"


def test_image_layout_and_metadata(fl2):
    img = fl2.image(patch=10, border=2)
    assert (img.width, img.height) == (6 * 10 + 7 * 2, 4 * 10 + 5 * 2)
    np.testing.assert_allclose(img.pixels[0, 0], BORDER_VALUE)
    np.testing.assert_allclose(img.pixels[2, 2], fl2.rgb[0])
    np.testing.assert_allclose(img.pixels[2 + 3 * 12, 2 + 5 * 12], fl2.rgb[23])
    assert json.loads(img.metadata["chroma/chart/labels"])[14] == "red"
    with pytest.raises(ChromaValueError):
        fl2.image(patch=0)


def test_write_chart_roundtrip_and_refusals(tmp_path, fl2):
    exr, png = tmp_path / "c.exr", tmp_path / "c.png"
    written = write_chart(fl2, exr, png, patch=8, border=1)
    assert written == [exr, png]
    back = io.read(exr)
    assert back.colorspace == "ACEScg"
    assert json.loads(back.metadata["chroma/chart/labels"])[0] == "dark skin"
    np.testing.assert_allclose(back.pixels[1, 1, :3], fl2.rgb[0], rtol=2e-3)
    with pytest.raises(ChromaIOError, match="exists"):
        write_chart(fl2, exr)
    with pytest.raises(ChromaValueError, match=".exr"):
        write_chart(fl2, tmp_path / "c.tif")
    with pytest.raises(ChromaValueError):
        write_chart(fl2)


def test_render_chart_bad_input():
    with pytest.raises(ChromaValueError, match="chroma.Light"):
        render_chart("FL2")  # type: ignore[arg-type]
    with pytest.raises(ChromaValueError, match="not scene-linear"):
        render_chart(Light.blackbody(3200), colorspace="ACEScct")


def test_other_working_space():
    res = render_chart(Light.illuminant("D65"), colorspace="Linear Rec.709 (sRGB)")
    assert res.colorspace == "Linear Rec.709 (sRGB)"
    np.testing.assert_allclose(res.rgb[19] / res.rgb[19].mean(), 1.0, atol=0.02)
