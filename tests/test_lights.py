"""chroma.lights: construction, intensity, colour, caching and bad input."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from chroma.errors import ChromaError, ChromaIOError, ChromaValueError
from chroma.lights import CRI_DUV_LIMIT, REFERENCE_LUX, WAVELENGTHS, Light, clear_cache, photopic
from chroma.lights import metrics as lights_mod


def write_csv(tmp_path, rows, name="spd.csv", header="wavelength_nm,relative_power"):
    p = tmp_path / name
    lines = ([header] if header else []) + [",".join(str(x) for x in r) for r in rows]
    p.write_text("\n".join(lines) + "\n")
    return p


# ------------------------------------------------------------------------- constructors


def test_blackbody_grid_and_name():
    light = Light.blackbody(3200)
    assert light.values.shape == WAVELENGTHS.shape == (471,)
    assert light.name == "blackbody 3200 K"
    assert light.values.flags.writeable is False


def test_blackbody_cct_is_its_temperature():
    for k in (2000, 3200, 5600, 10000):
        assert Light.blackbody(k).cct == pytest.approx(k, abs=0.5)
        assert abs(Light.blackbody(k).duv) < 1e-5


@pytest.mark.parametrize("kelvin", [500, 30000, "hot"])
def test_blackbody_out_of_range(kelvin):
    with pytest.raises(ChromaValueError, match="1000 K to 25000 K|number of kelvin"):
        Light.blackbody(kelvin)


def test_illuminant_names_case_and_aliases():
    assert Light.illuminant("d65").name == "D65"
    assert Light.illuminant("F2").name == "FL2"
    assert Light.illuminant("led-b4").name == "LED-B4"


def test_unknown_illuminant_lists_close_names():
    with pytest.raises(ChromaValueError) as exc:
        Light.illuminant("D66")
    msg = str(exc.value)
    assert "unknown illuminant 'D66'" in msg and "'D65'" in msg and "did you mean" in msg


def test_led_peaks_fwhm_is_true_full_width_at_half_maximum():
    light = Light.led([(530, 30)])
    v = light.values / light.values.max()
    above = WAVELENGTHS[v >= 0.5]
    assert WAVELENGTHS[np.argmax(v)] == 530
    assert above[-1] - above[0] == pytest.approx(30, abs=1.0)  # 1 nm grid


def test_led_spec_string_matches_tuples():
    a = Light.led("450:20,560:100:0.5")
    b = Light.led([(450, 20), (560, 100, 0.5)])
    np.testing.assert_array_equal(a.values, b.values)
    assert a.name == "led 450:20,560:100:0.5"


@pytest.mark.parametrize("cct", [2700, 4000, 5600, 6500])
def test_phosphor_white_sits_on_the_planckian_locus(cct):
    light = Light.led(cct=cct)
    assert light.cct == pytest.approx(cct, abs=2.0)
    assert abs(light.duv) < 1e-4
    assert Light.led(f"pc:{cct}").name == f"led pc:{cct}"


@pytest.mark.parametrize("spec, match", [
    ("450", "PEAK:FWHM"), ("450:20,abc", "PEAK:FWHM"), ("900:20", "outside 360-830"),
    ("450:0.1", "outside 1-300"), ("450:20:-1", "positive"), ("pc:abc", "pc:CCT"),
    ("pc:1500", "2000-10000"), ("pc:5600:5", "40-200"), (",", "no peaks"),
])
def test_led_bad_specs(spec, match):
    with pytest.raises(ChromaValueError, match=match):
        Light.led(spec)


def test_led_needs_peaks_or_cct():
    with pytest.raises(ChromaValueError):
        Light.led()
    with pytest.raises(ChromaValueError, match="not both"):
        Light.led([(450, 20)], cct=5000)


def test_parse_specs(tmp_path):
    assert Light.parse("3200K").name == "blackbody 3200 K"
    assert Light.parse("5600k").name == "blackbody 5600 K"
    assert Light.parse("FL2").name == "FL2"
    assert Light.parse("pc:5600").name == "led pc:5600"
    assert Light.parse("led:450:20,560:100").name == "led 450:20,560:100"
    rows = [(w, 1.0) for w in range(380, 781, 5)]
    assert Light.parse(str(write_csv(tmp_path, rows))).name == "spd"


# -------------------------------------------------------------------------------- CSV


def test_csv_any_spacing_matches_the_source(tmp_path):
    ref = Light.blackbody(4000)
    wl = np.concatenate([np.arange(360, 500, 3.0), np.arange(500, 831, 7.0)])
    rows = [(w, float(np.interp(w, WAVELENGTHS, ref.values))) for w in wl]
    light = Light.from_csv(write_csv(tmp_path, rows))
    assert light.cct == pytest.approx(4000, abs=5)
    np.testing.assert_allclose(light.xy, ref.xy, atol=2e-4)


def test_csv_uniform_5nm_semicolon_no_header(tmp_path):
    p = tmp_path / "d.csv"
    src = Light.illuminant("D65")
    p.write_text("".join(f"{w};{np.interp(w, WAVELENGTHS, src.values)}\n" for w in range(360, 831, 5)))
    light = Light.from_csv(p)
    np.testing.assert_allclose(light.xy, src.xy, atol=1e-4)


def test_csv_tails_outside_range_are_dropped_with_warning(tmp_path):
    rows = [(w, 1.0) for w in range(300, 1001, 10)]
    with pytest.warns(UserWarning, match="outside 360-830") as record:
        light = Light.from_csv(write_csv(tmp_path, rows))
    np.testing.assert_allclose(light.values, 1.0)
    assert record[0].filename == __file__  # the warning points at the caller of from_csv


@pytest.mark.parametrize("rows, match", [
    ([(380, 1), (480, "abc"), (580, 1), (680, 1), (780, 1)], r"line 3: .*not 'wavelength_nm, relative_power'"),
    ([(380, 1), (480, -0.5), (580, 1), (680, 1), (780, 1)], "line 3: negative spectral power"),
    ([(380, 1), (580, 1), (780, 1)], "3 spectral sample.*at least 5"),
    ([(w, 1) for w in range(900, 1000, 10)], "spans 900-990 nm.*380-780"),
    ([(w, 1) for w in range(200, 350, 10)], "spans 200-340 nm"),
    ([(w, 1) for w in range(400, 700, 10)], "must cover at least 380-780"),
    ([(380, 1), (480, 1), (480, 2), (680, 1), (780, 1)], "480 nm appears twice"),
    ([(380, 0), (480, 0), (580, 0), (680, 0), (780, 0)], "zero"),
    ([(380, 1), (480, "nan"), (580, 1), (680, 1), (780, 1)], "finite"),
])
def test_csv_bad_input(tmp_path, rows, match):
    with pytest.raises(ChromaValueError, match=match):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Light.from_csv(write_csv(tmp_path, rows))


def test_csv_missing_file(tmp_path):
    with pytest.raises(ChromaIOError, match="does not exist"):
        Light.from_csv(tmp_path / "nope.csv")
    with pytest.raises(ChromaIOError, match="not a file"):
        Light.from_csv(tmp_path)


def test_from_values_validates_shape():
    with pytest.raises(ChromaValueError):
        Light.from_values([400, 500], [1, 2, 3])
    with pytest.raises(ChromaValueError):
        Light(np.ones(10))
    with pytest.raises(ChromaValueError):
        Light(-np.ones(471))


# -------------------------------------------------------------------------- intensity


def test_stops_and_lux():
    base = Light.blackbody(3200)
    assert base.stops == 0 and base.intensity == 1.0 and base.lux == REFERENCE_LUX
    two = Light.blackbody(3200, stops=1.5)
    assert two.intensity == pytest.approx(2 ** 1.5)
    lit = Light.blackbody(3200, lux=4000)
    assert lit.stops == pytest.approx(2.0) and lit.lux == pytest.approx(4000)
    own = Light.blackbody(3200, lux=500, exposure_lux=250)
    assert own.stops == pytest.approx(1.0)
    np.testing.assert_allclose(two.rgb(normalise=False), base.rgb() * 2 ** 1.5, rtol=1e-12)
    assert base.with_intensity(lux=2000).stops == pytest.approx(1.0)


def test_intensity_errors():
    with pytest.raises(ChromaValueError, match="not both"):
        Light.blackbody(3200, stops=1, lux=100)
    with pytest.raises(ChromaValueError, match="positive number of lux"):
        Light.blackbody(3200, lux=-5)
    with pytest.raises(ChromaValueError, match="finite"):
        Light.blackbody(3200, stops=float("nan"))


def test_irradiance_gives_the_illuminance():
    light = Light.illuminant("FL2", lux=750)
    e = light.irradiance()
    assert 683.0 * float(np.sum(e * photopic())) == pytest.approx(750, rel=1e-12)


# ----------------------------------------------------------------------------- colour


def test_rgb_normalised_to_working_space_luminance():
    from chroma import ocio

    for light in (Light.blackbody(2000), Light.illuminant("FL11"), Light.led("630:20")):
        for cs in ("ACEScg", "ACES2065-1", "Linear Rec.709 (sRGB)"):
            rgb = light.rgb(cs)
            assert float(ocio.luminance_weights(cs) @ rgb) == pytest.approx(1.0, abs=1e-12)


def test_d65_is_neutral_and_tungsten_is_warm():
    np.testing.assert_allclose(Light.illuminant("D65").rgb(), 1.0, atol=5e-4)
    r, g, b = Light.blackbody(3200).rgb()
    assert r > g > b


def test_rgb_refuses_non_linear_spaces():
    with pytest.raises(ChromaValueError, match="not scene-linear"):
        Light.blackbody(3200).rgb("ACEScct")
    with pytest.raises(ChromaError, match="unknown colour space"):
        Light.blackbody(3200).rgb("ACEScgg")


# ---------------------------------------------------------------------------- metrics


def test_metrics_are_cached_per_spectrum_not_intensity(monkeypatch):
    clear_cache()
    calls = []
    real = lights_mod._compute_metrics
    monkeypatch.setattr(lights_mod, "_compute_metrics", lambda v, xyz=None: calls.append(1) or real(v, xyz))
    a = Light.illuminant("FL4").metrics()
    b = Light.illuminant("FL4", stops=3).metrics()
    c = Light.from_values(WAVELENGTHS, Light.illuminant("FL4").values * 7.0).metrics()
    d = Light.from_values(WAVELENGTHS, Light.illuminant("FL4").values * 3.0).metrics()
    assert a is b and c is d
    # the tabulated FL4 is summed at its own 5 nm (CIE 15); its 1 nm resampling is another light
    assert a is not c and a.xy != c.xy
    assert len(calls) == 2


def test_metrics_fields_and_cri_validity():
    m = Light.illuminant("FL2").metrics()
    assert len(m.cri_ri) == 14 and m.cri_ri[8] < 0  # FL2 renders saturated red badly (R9)
    assert m.cri_ra == pytest.approx(np.mean(m.cri_ri[:8]))
    assert m.cri_valid
    green = Light.led("530:30").metrics()
    assert abs(green.duv) > CRI_DUV_LIMIT and not green.cri_valid
    json.dumps(m.to_dict())


def test_summary_schema():
    d = Light.led("pc:4000").summary()
    for key in ("cct", "duv", "cri_ra", "cri_ri", "tm30_rf", "tm30_rg", "efficacy_lm_per_w", "rgb", "colorspace"):
        assert key in d
    assert d["colorspace"] == "ACEScg" and len(d["cri_ri"]) == 14 and len(d["rgb"]) == 3
    json.dumps(d)


def test_efficacy_of_monochromatic_555nm_is_near_683():
    light = Light.led("555:2")
    assert light.metrics().efficacy_lm_per_w == pytest.approx(683, rel=0.01)


def test_public_names():
    import chroma

    assert chroma.Light is Light
    assert math.isfinite(chroma.Light.blackbody(3000).xy[0])
