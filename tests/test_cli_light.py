"""The ``chroma light`` command."""

from __future__ import annotations

import json

import pytest

from chroma.cli import main


def test_light_kelvin_table(capsys):
    assert main(["light", "--kelvin", "3200"]) == 0
    out = capsys.readouterr().out
    assert "blackbody 3200 K" in out and "CRI Ra" in out and "R9" in out and "ACEScg RGB" in out


def test_light_json_schema(capsys):
    assert main(["light", "--illuminant", "FL2", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    for key in ("cct", "duv", "cri_ra", "cri_ri", "tm30_rf", "tm30_rg", "efficacy_lm_per_w", "rgb", "colorspace"):
        assert key in d
    assert len(d["cri_ri"]) == 14 and d["colorspace"] == "ACEScg"
    assert round(d["cri_ra"]) == 64


def test_light_led_lux(capsys):
    assert main(["light", "--led", "pc:5600", "--lux", "2000", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["stops"] == pytest.approx(1.0) and d["lux"] == pytest.approx(2000)


def test_light_spd_chart_and_preview(tmp_path, capsys):
    csv = tmp_path / "fixture.csv"
    csv.write_text("nm,power\n" + "".join(f"{w},{1 + (w - 380) / 400}\n" for w in range(380, 781, 10)))
    exr, png = tmp_path / "chart.exr", tmp_path / "chart.png"
    assert main(["light", "--spd", str(csv), "--chart", str(exr), "--preview", str(png), "--patch-size", "8"]) == 0
    out = capsys.readouterr().out
    assert exr.exists() and png.exists() and "CIEDE2000" in out
    assert main(["light", "--spd", str(csv), "--chart", str(exr)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["light", "--spd", str(csv), "--chart", str(exr), "--overwrite", "--no-white-balance", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["chart"]["white_balanced"] is False


def test_light_compare(capsys):
    assert main(["light", "--compare", "3200K", "FL2", "pc:5600"]) == 0
    out = capsys.readouterr().out
    assert "blackbody 3200 K" in out and "FL2" in out and "led pc:5600" in out and "TM-30 Rf" in out
    assert main(["light", "--compare", "FL8", "LED-B4", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["FL8", "LED-B4"]


@pytest.mark.parametrize("argv, message", [
    (["light", "--illuminant", "D66"], "did you mean: 'D65'"),
    (["light", "--led", "450"], "PEAK:FWHM"),
    (["light", "--kelvin", "100"], "1000 K to 25000 K"),
    (["light", "--spd", "missing.csv"], "does not exist"),
    (["light", "--compare", "3200K", "FL2", "--chart", "x.exr"], "describe one light"),
    (["light", "--kelvin", "3200", "--colorspace", "ACEScct"], "not scene-linear"),
    (["light", "--kelvin", "3200", "--lux", "0"], "positive number of lux"),
])
def test_light_bad_input_exits_2_with_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_light_bad_csv(tmp_path, capsys):
    csv = tmp_path / "bad.csv"
    csv.write_text("380,1\n480,-1\n580,1\n680,1\n780,1\n")
    assert main(["light", "--spd", str(csv)]) == 2
    assert "negative spectral power" in capsys.readouterr().err


def test_light_needs_a_source(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["light"])
    assert exc.value.code == 2
