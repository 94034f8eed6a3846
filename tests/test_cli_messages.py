"""What the CLI says: one line per mistake, in the CLI's words, no library noise, help
that reads well, and warnings where something would be lost silently."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from chroma import Image, read, write
from chroma.cli import main

REPO = __import__("pathlib").Path(__file__).resolve().parent.parent


def _chroma(*argv, cwd):
    env = {**__import__("os").environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "chroma", *argv], cwd=cwd, capture_output=True, text=True, env=env)


def test_no_library_noise_at_exit(tmp_path):
    (tmp_path / "adir.exr").mkdir()
    res = _chroma("grade", "adir.exr", "-o", "o.exr", "--exposure", "1", cwd=tmp_path)
    assert res.returncode == 2
    assert "pending error" not in res.stderr and "OpenImageIO" not in res.stderr
    assert res.stderr.strip() == "chroma grade: error: 'adir.exr' is a folder, not an image file"


def test_help_text(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "plate.%04d.exr" in out and "%%" not in out
    for name in ("grade", "convert", "blend", "light", "ambient", "info"):
        with pytest.raises(SystemExit):
            main([name, "--help"])
        text = capsys.readouterr().out
        description = text.split("\n\n")[1].splitlines()
        # every line of the description starts at the same column as its first line
        assert all(not line.startswith(" ") for line in description), description


@pytest.mark.parametrize("argv, expected", [
    (["grad"], "chroma: error: no command 'grad'; did you mean: 'grade'"),
    (["convert"], "chroma convert: error: the following arguments are required"),
    (["blend", "a", "b", "--space", "okab"], "no such choice 'okab'; did you mean: 'oklab'"),
    (["ambient", "x.exr", "--rotate", "nan,0,0"], "three finite angles"),
])
def test_argparse_errors_are_one_line(capsys, argv, expected):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert expected in err and len(err.strip().splitlines()) == 1, err


def test_unknown_output_type_fails_first_without_temp_names(tmp_path, capsys):
    write(Image(np.full((2, 2, 3), 0.18, np.float32)), tmp_path / "a.exr")
    code = main(["convert", str(tmp_path / "a.exr"), "-o", str(tmp_path / "out.xyz")])
    err = capsys.readouterr().err
    assert code == 2 and "no image format for '.xyz'" in err and "chroma-tmp" not in err


def test_convert_to_a_display_says_so(tmp_path, capsys):
    write(Image(np.full((2, 2, 3), 0.18, np.float32)), tmp_path / "a.exr")
    assert main(["convert", str(tmp_path / "a.exr"), "-o", str(tmp_path / "a.png"), "--display", "sRGB - Display"]) == 0
    out = capsys.readouterr().out
    assert "for the display sRGB - Display" in out and "ACEScg" not in out


def test_messages_use_cli_words(tmp_path, capsys):
    px = np.full((2, 2, 3), np.nan, np.float32)
    write(Image(np.full((2, 2, 3), 1.0, np.float32)), tmp_path / "a.exr")
    code = main(["blend", "#ff0000", "#00ff00", "-o", str(tmp_path / "a.exr")])
    err = capsys.readouterr().err
    assert code == 2 and "--overwrite" in err and "overwrite=True" not in err
    from chroma.cli._core import cli_wording

    assert cli_wording("x exists; pass overwrite=True to replace it") == "x exists; pass --overwrite to replace it"
    assert "--on-invalid clamp" in cli_wording("(use on_invalid='clamp' to fix them)")
    del px


def test_models_list_says_when_the_render_extra_is_missing(capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    assert main(["models", "list"]) == 0
    assert 'pip install "chroma-vfx[render]"' in capsys.readouterr().err


def test_grade_with_no_operation_warns(tmp_path, capsys):
    write(Image(np.full((2, 2, 3), 0.18, np.float32)), tmp_path / "a.exr")
    assert main(["grade", str(tmp_path / "a.exr"), "-o", str(tmp_path / "b.exr")]) == 0
    assert "no operation" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "a.exr"), "-o", str(tmp_path / "c.exr"), "--exposure", "1"]) == 0
    assert "no operation" not in capsys.readouterr().err


def test_blend_warns_when_a_channel_is_on_one_side_only(tmp_path, capsys):
    rng = np.random.default_rng(2)
    for f in (1001, 1002):
        write(Image(rng.random((4, 4, 4)).astype(np.float32), ["R", "G", "B", "Z"]), tmp_path / f"a.{f}.exr")
        write(Image(rng.random((4, 4, 3)).astype(np.float32)), tmp_path / f"b.{f}.exr")
    assert main(["blend", str(tmp_path / "a.####.exr"), str(tmp_path / "b.####.exr"), "-o",
                 str(tmp_path / "f.####.exr")]) == 0
    assert "channel(s) Z are in only one side" in capsys.readouterr().err
    # a fade to a colour keeps the picture's depth
    assert main(["blend", str(tmp_path / "a.####.exr"), "#000000", "-o", str(tmp_path / "k.####.exr")]) == 0
    assert "only one side" not in capsys.readouterr().err
    assert read(tmp_path / "k.1001.exr").channels == ["R", "G", "B", "Z"]


def test_info_folder_lists_sequences_like_lsseq(tmp_path, capsys):
    rng = np.random.default_rng(4)
    for f in (1001, 1002, 1003, 1006, 1007):
        write(Image(rng.random((2, 3, 4)).astype(np.float32), ["R", "G", "B", "A"]), tmp_path / f"plate.{f}.exr")
    for f in (1, 2):
        write(Image(rng.random((2, 3, 3)).astype(np.float32), ["R", "G", "B"], "ACES2065-1"), tmp_path / f"bg_{f:03d}.exr")
    write(Image(rng.random((2, 3, 3)).astype(np.float32)), tmp_path / "hero.exr")
    (tmp_path / "notes.txt").write_text("not an image")
    assert main(["info", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "bg_###.exr  1-2 (2 frames)  R G B  ACES2065-1  3x2",
        "hero.exr  single image  R G B  ACEScg  3x2",
        "plate.####.exr  1001-1007 (5 frames), missing 1004-1005  R G B A  ACEScg  3x2",
    ]
    assert main(["info", str(tmp_path), "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    plate = next(s for s in data["sequences"] if s["pattern"].endswith("plate.####.exr"))
    assert plate["missing"] == "1004-1005" and plate["frames"] == 5 and plate["channels"] == ["R", "G", "B", "A"]


def _chroma_merged(*argv, cwd):
    """Run a command with stdout and stderr in one stream, in the order they were written."""
    env = {**__import__("os").environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "chroma", *argv], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=env)


@pytest.mark.parametrize("argv, last", [
    (["info", "a.exr"], "  a.exr  "),  # the exposure row of the one frame
    (["convert", "a.exr", "-o", "b.exr"], "converted 1 frame(s) to ACEScg"),
    (["grade", "a.exr", "-o", "c.exr", "--exposure", "1"], "graded 1 frame(s)"),
])
def test_nothing_is_printed_after_a_command_ends(tmp_path, argv, last):
    write(Image(np.full((4, 4, 3), 0.18, np.float32)), tmp_path / "a.exr")
    res = _chroma_merged(*argv, cwd=tmp_path)
    assert res.returncode == 0, res.stdout
    assert "nanobind" not in res.stdout and "leaked" not in res.stdout
    assert res.stdout.splitlines()[-1].startswith(last), res.stdout


def test_a_session_with_colour_science_and_torch_ends_quietly():
    """OpenImageIO (a nanobind extension) reported every object of it alive at exit
    ("nanobind: leaked 2 instances!" and 20 more lines) when colour-science, which keeps OIIO
    objects at module level, and torch were loaded beside chroma, as in every render."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    env = {**__import__("os").environ, "PYTHONPATH": str(REPO)}
    code = "import chroma.io, colour, torch; print('done')"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert res.returncode == 0 and res.stdout == "done\n"
    assert res.stderr == ""


def test_models_import_without_torch_refuses_and_caches_nothing(capsys, monkeypatch, tmp_path):
    import importlib.util
    import json

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    monkeypatch.setenv("CHROMA_MODELS", str(tmp_path / "cache"))
    (tmp_path / "w.pt").write_bytes(b"PK not checked without torch")
    (tmp_path / "cfg.json").write_text(json.dumps({"image_size": 64}))
    assert main(["models", "import", str(tmp_path / "w.pt"), "--name", "w", "--config", str(tmp_path / "cfg.json")]) == 2
    err = capsys.readouterr().err
    assert "chroma models: error: checking a checkpoint needs the renderer's extra" in err
    assert not (tmp_path / "cache").exists()
