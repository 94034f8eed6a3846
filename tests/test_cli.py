import json
import subprocess
import sys

import numpy as np
import pytest

from chroma import Image, read, write
from chroma.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def plate(tmp_path, make_image):
    """A 4-frame ACEScg half sequence with frame 1003 missing."""
    folder = tmp_path / "plate"
    folder.mkdir()
    for f in (1001, 1002, 1004, 1005):
        write(make_image(), folder / f"plate.{f:04d}.exr", dtype="float")
    return folder / "plate.####.exr"


def test_help_teaches(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("info", "convert", "demo"):
        assert cmd in out
    with pytest.raises(SystemExit):
        main(["convert", "--help"])
    assert "examples:" in capsys.readouterr().out


def test_info_sequence_text_and_json(capsys, plate):
    code, out, _ = run(capsys, "info", str(plate))
    assert code == 0
    assert "4 frames, 1001-1005, missing 1003" in out
    assert "ACEScg" in out and "R G B A depth.Z" in out
    code, out, _ = run(capsys, "info", str(plate), "--json")
    data = json.loads(out)
    assert data["sequence"]["missing"] == "1003"
    assert [s["frame"] for s in data["stats"]] == [1001, 1002, 1004, 1005]
    np.testing.assert_allclose(data["image"]["chromaticities"][:2], [0.713, 0.293], atol=1e-6)


def test_info_exposure_stats_are_stops_from_mid_grey(capsys, tmp_path):
    # Luminance of an ACEScg neutral equals its value; 0.18 -> 0 stops, 0.72 -> +2, 0.045 -> -2.
    px = np.empty((1, 4, 3), np.float32)
    px[0, :, :] = np.array([0.045, 0.18, 0.18, 0.72])[:, None]
    path = write(Image(px), tmp_path / "g.exr", dtype="float")
    code, out, _ = run(capsys, "info", str(path), "--json")
    st = json.loads(out)["stats"][0]
    assert st["min_stops"] == pytest.approx(-2.0, abs=1e-6)
    assert st["median_stops"] == pytest.approx(0.0, abs=1e-6)
    assert st["max_stops"] == pytest.approx(2.0, abs=1e-6)


def test_info_counts_nan_and_inf(capsys, tmp_path):
    px = np.full((2, 2, 3), 0.18, np.float32)
    px[0, 0, 0] = np.nan
    px[1, 1, 2] = np.inf
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = write(Image(px), tmp_path / "n.exr", dtype="float")
    _, out, _ = run(capsys, "info", str(path), "--json")
    st = json.loads(out)["stats"][0]
    assert (st["nan_values"], st["inf_values"]) == (1, 1)


def test_convert_round_trip_acescg_aces2065_acescg(capsys, plate, tmp_path):
    (tmp_path / "ap0").mkdir()
    (tmp_path / "back").mkdir()
    code, out, _ = run(capsys, "convert", str(plate), "-o", str(tmp_path / "ap0" / "p.####.exr"),
                       "--from", "ACEScg", "--to", "ACES2065-1", "--dtype", "float")
    assert code == 0 and "converted 4" in out
    assert read(tmp_path / "ap0" / "p.1001.exr").colorspace == "ACES2065-1"
    code, _, _ = run(capsys, "convert", str(tmp_path / "ap0" / "p.####.exr"), "-o",
                     str(tmp_path / "back" / "p.####.exr"), "--to", "ACEScg", "--dtype", "float")
    assert code == 0
    for f in (1001, 1002, 1004, 1005):
        a = read(plate.parent / f"plate.{f:04d}.exr")
        b = read(tmp_path / "back" / f"p.{f:04d}.exr")
        np.testing.assert_allclose(b.pixels, a.pixels, atol=1e-6, rtol=1e-6)
        assert b.channels == a.channels


def test_convert_frames_subset_and_missing_frame(capsys, plate, tmp_path):
    code, out, err = run(capsys, "convert", str(plate), "-o", str(tmp_path / "o.####.exr"), "--frames", "1002-1004")
    assert code == 1  # 1003 is missing: reported as a compact range, the others are written
    assert "converted 2 frame(s) to ACEScg, 1 missing: 1003" in out
    assert "not on disk: 1003" in err
    assert (tmp_path / "o.1002.exr").exists() and (tmp_path / "o.1004.exr").exists()


def test_convert_refuses_to_overwrite(capsys, plate, tmp_path):
    target = tmp_path / "one.exr"
    assert run(capsys, "convert", str(plate.parent / "plate.1001.exr"), "-o", str(target))[0] == 0
    code, _, err = run(capsys, "convert", str(plate.parent / "plate.1001.exr"), "-o", str(target))
    assert code == 2 and "--overwrite" in err
    assert run(capsys, "convert", str(plate.parent / "plate.1001.exr"), "-o", str(target), "--overwrite")[0] == 0
    code, _, err = run(capsys, "convert", str(plate), "-o", str(plate))
    assert code == 2 and "replace an input" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["info", "{tmp}/missing.exr"], "does not exist"),
        (["convert", "{tmp}/missing.exr", "-o", "{tmp}/o.exr"], "does not exist"),
        (["convert", "{plate}", "-o", "{tmp}/o.####.exr", "--to", "ACEScgg"], "unknown colour space 'ACEScgg'; did you mean: 'ACEScg'"),
        (["convert", "{plate}", "-o", "{tmp}/o.####.exr", "--frames", ""], "frame set is empty"),
        (["convert", "{tmp}/none.####.exr", "-o", "{tmp}/o.####.exr"], "no files match"),
        (["info", "{tmp}/none.####.exr"], "no files match"),
        (["convert", "{plate}", "-o", "{tmp}/corrupt.exr/o.####.exr"], "is a file, not a folder"),
        (["convert", "{plate}", "-o", "{tmp}/single.exr"], "single file"),
        (["convert", "{plate}", "-o", "{tmp}/o.####.exr", "--compression", "lzma"], "unknown EXR compression"),
        (["info", "{tmp}/corrupt.exr"], "corrupt"),
        (["convert", "{tmp}/corrupt.exr", "-o", "{tmp}/c.exr"], "corrupt"),
        (["grade", "{tmp}/corrupt.exr", "-o", "{tmp}/c.exr", "--exposure", "1"], "corrupt"),
        (["info", "{tmp}"], ""),
    ],
)
def test_user_errors_are_one_line_exit_2(capsys, plate, tmp_path, argv, message):
    (tmp_path / "corrupt.exr").write_bytes(b"v/1\x01" + b"\x00" * 64)
    argv = [a.format(tmp=tmp_path, plate=plate) for a in argv]
    code, out, err = run(capsys, *argv)
    if argv == ["info", str(tmp_path)]:
        return  # a folder is described (lsseq), tested below
    assert code == 2, err
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["convert"])
    assert exc.value.code == 2


def test_demo_writes_scene_and_refuses_to_clobber(capsys, tmp_path):
    out = tmp_path / "demo"
    code, text, _ = run(capsys, "demo", str(out), "--no-shot")
    assert code == 0
    frames = sorted((out / "scene").glob("scene.*.exr"))
    assert len(frames) == 5
    img = read(frames[0])
    assert img.colorspace == "ACEScg" and img.channels == ["R", "G", "B", "A", "Z"]
    assert img.metadata["chroma/frame"] == 1001
    assert (out / "scene" / "scene_preview.png").exists()
    code, _, err = run(capsys, "demo", str(out), "--no-shot")
    assert code == 2 and "--overwrite" in err
    assert run(capsys, "demo", str(out), "--overwrite", "--no-shot")[0] == 0


def test_python_m_chroma_and_import_does_not_load_torch():
    out = subprocess.run([sys.executable, "-m", "chroma", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("chroma ")
    code = "import sys, chroma, chroma.cli, chroma.io; chroma.Image; print('torch' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"


def test_help_imports_no_heavy_library():
    """``chroma --help`` parses arguments only: torch, colour-science, OpenImageIO and OCIO stay
    unloaded (what keeps it under 0.2 s, tests/benchmarks/test_cli_bench.py)."""
    code = ("import sys, runpy; sys.argv = ['chroma', '--help']\n"
            "try:\n    runpy.run_module('chroma', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "heavy = ('torch', 'colour', 'OpenImageIO', 'PyOpenColorIO')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy), file=sys.stderr)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.startswith("usage: chroma")
    assert res.stderr.strip() == "[]"


def test_render_errors_are_caught_by_class_not_name(capsys, monkeypatch):
    """A render.errors.RenderError subclass is a user error (exit 2, one line); an unrelated
    exception that merely shares the name is a bug and propagates."""
    from chroma.cli import _core
    from render.errors import SettingsError

    help_text, add, _ = _core.COMMANDS["info"]

    def bad_setting(args):
        raise SettingsError("steps must be >= 1")

    monkeypatch.setitem(_core.COMMANDS, "info", (help_text, add, bad_setting))
    code, out, err = run(capsys, "info", "x.exr")
    assert code == 2 and err.strip() == "chroma info: error: steps must be >= 1"

    class RenderError(Exception):  # same name, not render's
        pass

    def impostor(args):
        raise RenderError("a bug")

    monkeypatch.setitem(_core.COMMANDS, "info", (help_text, add, impostor))
    with pytest.raises(RenderError):
        main(["info", "x.exr"])


def test_render_settings_key_moved_to_the_pipeline_with_a_warning():
    import chroma.cli.render as cli_render
    from chroma.pipeline import RENDER_SETTINGS_KEY

    with pytest.warns(DeprecationWarning, match="chroma.pipeline.RENDER_SETTINGS_KEY"):
        assert cli_render.RENDER_SETTINGS_KEY == RENDER_SETTINGS_KEY == "chroma/render_settings"


@pytest.mark.parametrize("name", ["hash#1.exr", "take_@2.exr", "shot%d.exr"])
def test_a_file_whose_name_holds_a_frame_token_is_read_as_it_is(capsys, tmp_path, make_image, name):
    src = tmp_path / name
    img = make_image()
    write(img, src, dtype="float")
    np.testing.assert_array_equal(read(src).pixels, img.pixels)
    code, out, err = run(capsys, "info", str(src), "--json")
    assert code == 0, err
    assert [s["path"] for s in json.loads(out)["stats"]] == [str(src)]
    code, _, err = run(capsys, "convert", str(src), "-o", str(tmp_path / "copy.exr"), "--dtype", "float")
    assert code == 0, err
    np.testing.assert_array_equal(read(tmp_path / "copy.exr").pixels, img.pixels)
    code, _, err = run(capsys, "grade", str(src), "-o", str(tmp_path / "up.exr"), "--exposure", "1")
    assert code == 0, err
    np.testing.assert_allclose(read(tmp_path / "up.exr").rgb, 2 * img.rgb, rtol=2**-10)
