"""``chroma blend``: colours, gradients, the compare figure, image mixes and crossfades."""

import json

import numpy as np
import pytest

from chroma import io
from chroma.cli import main
from chroma.image import Image


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_colours_print_a_table(capsys):
    code, out, _ = run(capsys, "blend", "#00ff00", "#ff00ff", "--steps", "5")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 6 and "#00ff00" in lines[1] and "#ff00ff" in lines[-1]


def test_colours_json_oklch_hue(capsys):
    code, out, _ = run(capsys, "blend", "#ff0000", "#0000ff", "--space", "oklch", "--hue", "longer",
                       "--steps", "3", "--json")
    data = json.loads(out)
    assert code == 0 and data["hue"] == "longer" and len(data["steps"]) == 3
    h = [s["oklch"][2] for s in data["steps"]]
    # red (29 deg) to blue (264 deg) the long way passes through green-yellow, near 147
    assert 100 < h[1] < 190


def test_gradient_images(tmp_path, capsys):
    exr, png = tmp_path / "g.exr", tmp_path / "g.png"
    assert run(capsys, "blend", "3200K", "#0000ff", "-o", str(exr), "--size", "64x4")[0] == 0
    img = io.read(exr)
    assert (img.width, img.height) == (64, 4) and img.colorspace == "ACEScg"
    assert img.metadata["chroma/blend/space"] == "oklab" and img.rgb.min() >= 0
    assert run(capsys, "blend", "3200K", "#0000ff", "-o", str(png), "--steps", "4", "--size", "64x4")[0] == 0
    disp = io.read(png).rgb
    assert len(np.unique(disp[0, :, 0])) == 4  # four bands
    code, _, err = run(capsys, "blend", "3200K", "#0000ff", "-o", str(exr))
    assert code == 2 and "exists" in err and "--overwrite" in err


def test_compare_figure(tmp_path, capsys):
    out = tmp_path / "cmp.png"
    code, text, _ = run(capsys, "blend", "#00ff00", "#ff00ff", "--compare", "-o", str(out))
    assert code == 0 and "oklab, linear, srgb" in text
    img = io.read(out)
    assert (img.width, img.height) == (512, 150)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["blend", "#00ff00", "#ff00ff", "--compare"], "needs -o"),
        (["blend", "#zz0000", "#ff00ff"], "not a hex colour"),
        (["blend", "1,2", "#ff00ff"], "three numbers"),
        (["blend", "100K", "#ff00ff"], "100 K"),
        (["blend", "#00ff00", "#ff00ff", "--steps", "1"], "at least 2"),
        (["blend", "#00ff00", "#ff00ff", "-o", "x.png", "--size", "big"], "WIDTHxHEIGHT"),
        (["blend", "missing.exr", "#ff00ff", "-o", "o.exr"], "neither a colour"),
        (["blend", "missing.exr", "#ff00ff"], "neither a colour"),
        (["blend", "plate.exr", "#ff00ff"], "needs -o"),
        (["blend", "#00ff00", "#ff00ff", "--colorspace", "ACEScct"], "scene-linear"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    _img(tmp_path / "plate.exr", [0.18, 0.18, 0.18])
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_argparse_choices_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["blend", "#00ff00", "#ff00ff", "--space", "lab"])
    assert exc.value.code == 2


def _img(path, value, channels=("R", "G", "B")):
    px = np.broadcast_to(np.asarray(value, np.float32), (4, 6, len(channels))).copy()
    return io.write(Image(px, list(channels), "ACEScg"), path, dtype="float")


def test_image_mix_and_crossfade(tmp_path, capsys):
    a = _img(tmp_path / "a.exr", [0.5, 0.1, 0.05])
    b = _img(tmp_path / "b.exr", [0.05, 0.2, 0.6])
    out = tmp_path / "m.exr"
    code, _, _ = run(capsys, "blend", str(a), str(b), "--t", "0", "--space", "linear", "-o", str(out))
    assert code == 0 and np.allclose(io.read(out).rgb, [0.5, 0.1, 0.05], atol=1e-3)
    code, _, err = run(capsys, "blend", str(a), str(b), "--t", "2", "-o", str(tmp_path / "n.exr"))
    assert code == 2 and "--t" in err
    code, _, err = run(capsys, "blend", str(a), str(b), "-o", str(a), "--overwrite")
    assert code == 2 and "replace an input" in err
    for f in (1001, 1002, 1003):
        _img(tmp_path / f"s.{f}.exr", [0.3 * f / 1000, 0.2, 0.1])
    code, text, _ = run(capsys, "blend", str(tmp_path / "s.####.exr"), "#101020", "--curve", "ease-in",
                        "-o", str(tmp_path / "x.####.exr"), "--compression", "piz")
    assert code == 0 and "3 frame(s)" in text
    mid = io.read(tmp_path / "x.1002.exr")
    assert mid.metadata["chroma/blend/curve"] == "ease-in" and mid.metadata["chroma/blend/t"] == pytest.approx(0.25)
    code, _, err = run(capsys, "blend", str(tmp_path / "s.####.exr"), "#101020", "--frames", "1001-1009",
                       "-o", str(tmp_path / "y.####.exr"))
    assert code == 2 and "lacks frames 1004-1009" in err


def test_blend_operand_that_is_neither_colour_nor_file(capsys, tmp_path):
    from chroma.cli import main

    code = main(["blend", "#00ff00", str(tmp_path / "notacolour")])
    err = capsys.readouterr().err
    assert code == 2
    assert "neither a colour" in err and "notacolour" in err
