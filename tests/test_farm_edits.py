"""Edits without the renderer: an edit's output that is one of its shots' (refused before
any work), and the seam frames' headers (both shots, the weight), from shot frames made
here as a render would write them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from chroma import Image, read, write
from chroma.cli import main

SHOT = """\
max_frames = {frames}
seed = {seed}
animation_mode = "2D"

[output]
pattern = "{pattern}"
first_frame = 1001

[render]
device = "cpu"

[prompts]
0 = ["{prompt}:1"]
"""

EDIT = """\
output = "{output}"
first_frame = 1001
crossfade = {fade}
curve = "{curve}"
[[shots]]
file = "sh010.toml"
[[shots]]
file = "sh020.toml"
"""


def _edit(folder: Path, output: str = "cut/cut.####.exr", fade: int = 3, curve: str = "linear",
          frames: tuple[int, int] = (5, 4)) -> Path:
    """Two shot files (5 and 4 frames), their frames on disk with a render's header, an edit of them."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for name, n, seed, prompt in (("sh010", frames[0], 11, "a lighthouse"), ("sh020", frames[1], 21, "a red barn")):
        (folder / f"{name}.toml").write_text(SHOT.format(frames=n, seed=seed, prompt=prompt, pattern=f"out/{name}.####.exr"))
        (folder / "out").mkdir(exist_ok=True)
        for k in range(n):
            meta = {"chroma/shot": str(folder / f"{name}.toml"), "chroma/frame": 1001 + k, "chroma/shot_frame": k,
                    "chroma/prompts": f"{prompt}:1", "chroma/seed": seed + k}
            px = rng.uniform(0.05, 0.8, (8, 8, 3)).astype(np.float32)
            write(Image(px, ["R", "G", "B"], "ACEScg", meta), folder / "out" / f"{name}.{1001 + k}.exr")
    edit = folder / "edit.toml"
    edit.write_text(EDIT.format(output=output, fade=fade, curve=curve))
    return edit


# ------------------------------------------------------------- an edit over its own shots


@pytest.mark.parametrize("spelling", ["out/sh010.####.exr", "./out/../out/sh020.%04d.exr", "link/sh010.####.exr"])
def test_an_edit_whose_output_is_a_shots_output_is_refused_before_any_work(tmp_path, capsys, spelling) -> None:
    edit = _edit(tmp_path, output=spelling)
    os.symlink(tmp_path / "out", tmp_path / "link")  # the same folder by another name
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").iterdir()}
    for argv in (["farm", "render", str(edit), "--farm", "local:1"],
                 ["farm", "export", str(edit), "--opencue", str(tmp_path / "job.outline")],
                 ["farm", "task", str(edit), "--seam", "1"], ["farm", "task", str(edit), "--conform", "0"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err
        shot = "sh020" if "sh020" in spelling else "sh010"
        assert f"the edit's output {spelling!r} writes over shot" in err and f"{shot}.toml" in err, err  # names both
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").iterdir()} == before  # nothing written
    assert not [p for p in tmp_path.rglob("*") if "seams" in p.name or "chroma-tmp" in p.name]
    assert not (tmp_path / "job.outline").exists()


def test_an_edit_with_its_own_output_loads(tmp_path) -> None:
    from chroma.farm import load_edit

    edit = load_edit(_edit(tmp_path, output="out/cut.####.exr"))  # the shots' folder, its own names
    assert edit.output == str(tmp_path / "out" / "cut.####.exr") and edit.length == 6


# ------------------------------------------------------------------------- seam headers


def test_a_seam_frame_names_both_shots_their_frames_and_the_weight(tmp_path, capsys) -> None:
    from chroma.oklab import mix_images

    edit = _edit(tmp_path, fade=3, curve="linear")
    assert main(["farm", "task", str(edit), "--seam", "1"]) == 0
    # shot A (5 frames) ends with 1003-1005, shot B starts with 1001-1003; the edit's seam is 1003-1005
    weights = [0.0, 0.5, 1.0]  # linear over three frames: (k / 2)
    for k, f in enumerate((1003, 1004, 1005)):
        img = read(tmp_path / "cut" / f"cut.{f}.exr")
        m = img.metadata
        a, b = tmp_path / "out" / f"sh010.{1003 + k}.exr", tmp_path / "out" / f"sh020.{1001 + k}.exr"
        assert m["chroma/seam/a/shot"] == str(tmp_path / "sh010.toml") and m["chroma/seam/b/shot"] == str(tmp_path / "sh020.toml")
        assert int(m["chroma/seam/a/frame"]) == 1003 + k and int(m["chroma/seam/b/frame"]) == 1001 + k
        assert m["chroma/seam/a/file"] == str(a) and m["chroma/seam/b/file"] == str(b)
        assert float(m["chroma/seam/weight"]) == weights[k] and float(m["chroma/blend/t"]) == weights[k]
        assert m["chroma/seam/a/prompts"] == "a lighthouse:1" and m["chroma/seam/b/prompts"] == "a red barn:1"
        assert int(m["chroma/seam/a/seed"]) == 11 + 2 + k and int(m["chroma/seam/b/seed"]) == 21 + k
        assert int(m["chroma/frame"]) == f
        assert "sh010.toml" in m["chroma/seam"] and "sh020.toml" in m["chroma/seam"]
        # no top-level attribute says the frame is shot A's alone
        for key in ("chroma/shot", "chroma/prompts", "chroma/seed", "chroma/shot_frame"):
            assert key not in m, key
        want = mix_images(read(a), read(b), weights[k], "oklab", colorspace="ACEScg").pixels
        assert np.array_equal(img.pixels, want.astype(np.float16).astype(np.float32))
    assert not [p for p in tmp_path.rglob("*") if "seams" in p.name]  # no staging folder left


def test_a_seam_that_is_not_in_the_edit_is_a_user_error(tmp_path, capsys) -> None:
    edit = _edit(tmp_path)
    for flag, value in (("--seam", "0"), ("--seam", "2"), ("--seam", "-1"), ("--conform", "2"), ("--conform", "-1")):
        assert main(["farm", "task", str(edit), flag, value]) == 2, (flag, value)
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert not (tmp_path / "cut").exists()


@pytest.mark.parametrize("case", ["same pattern", "same shot twice"])
def test_an_edit_whose_shots_write_the_same_frames_is_refused(tmp_path, capsys, case) -> None:
    edit = _edit(tmp_path)
    if case == "same pattern":  # sh020 writes into sh010's frames, spelled another way
        (tmp_path / "sh020.toml").write_text((tmp_path / "sh020.toml").read_text()
                                             .replace("out/sh020.####.exr", "./out/sh010.%04d.exr"))
    else:
        edit.write_text(edit.read_text().replace('file = "sh020.toml"', 'file = "sh010.toml"'))
    assert main(["farm", "render", str(edit), "--farm", "local:1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "shots 1 (sh010.toml) and 2" in err and "same frames" in err, err
