"""``chroma farm`` with malformed arguments (one line, exit 2, never a traceback) and the
files it writes (``split``'s parts and edit, ``export``'s job) through the one output
check: nothing replaced without --overwrite, never its input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chroma.cli import main

SHOT = """\
max_frames = 30
seed = 4
animation_mode = "2D"

[output]
pattern = "out/long.####.exr"

[render]
device = "cpu"

[animation]
zoom = "0: (1.0), 29: (1.1)"

[prompts]
0 = ["a lighthouse:1"]
"""


@pytest.fixture()
def shot(tmp_path) -> Path:
    path = tmp_path / "long.toml"
    path.write_text(SHOT)
    (tmp_path / "bad.toml").write_text("x = [\n")
    return path


def _run(argv: list[str]) -> int:
    """``chroma ARGV``'s exit status (argparse's refusals exit through SystemExit)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize("argv, says", [
    (["split", "{shot}", "--max-frames", "12", "--at", "1,x"], "'x' is not a frame index"),
    (["split", "{shot}", "--max-frames", "12", "--at", "1.5"], "frame indices"),
    (["split", "{shot}", "--max-frames", "12", "--at", ","], "frame indices"),
    (["split", "{shot}", "--max-frames", "0"], "at least 1"),
    (["split", "{shot}", "--max-frames", "ten"], "at least 1"),
    (["split", "{shot}", "--max-frames", "12", "--crossfade", "-1"], "0 or more"),
    (["split", "{shot}", "--max-frames", "12", "--crossfade", "12"], "must exceed the crossfade"),
    (["render", "{dir}/missing.toml"], "cannot read the job file"),
    (["render", "{dir}/bad.toml"], "not valid TOML"),
    (["render", "{shot}", "--chunk", "0"], "at least 1"),
    (["export", "{dir}/missing.toml", "--opencue", "{dir}/j.outline"], "cannot read the job file"),
    (["export", "{dir}/bad.toml", "--opencue", "{dir}/j.outline"], "not valid TOML"),
    (["export", "{shot}", "--opencue", "{dir}/j.outline", "--chunk", "-2"], "at least 1"),
    (["export", "{shot}", "--opencue", "{dir}/j.outline", "--name", "my job"], "OpenCue names"),
    (["export", "{shot}", "--opencue", "{dir}/j.outline", "--shot", "s1"], "OpenCue names"),
    (["export", "{shot}", "--opencue", "{dir}/j.outline", "--env", "NOVALUE"], "NAME=VALUE"),
    (["task", "{dir}/missing.toml", "--seam", "1"], "cannot read the job file"),
])
def test_malformed_farm_arguments_are_one_line_errors(shot, capsys, argv, says) -> None:
    argv = ["farm", *(a.format(shot=shot, dir=shot.parent) for a in argv)]
    assert _run(argv) == 2
    assert says in _one_line_error(capsys)
    assert not (shot.parent / "j.outline").exists() and not list(shot.parent.glob("long_p*.toml"))


# --------------------------------------------------------------------------------- split


def _written(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("long*.toml"))}


def test_split_at_cut_points_given_as_a_list(shot, capsys) -> None:
    assert main(["farm", "split", str(shot), "--max-frames", "12", "--at", "10, 20"]) == 0
    assert "3 parts" in capsys.readouterr().out
    assert sorted(_written(shot.parent)) == ["long.edit.toml", "long.toml", "long_p01.toml", "long_p02.toml",
                                             "long_p03.toml"]


def test_split_replaces_its_files_only_with_overwrite(shot, capsys) -> None:
    assert main(["farm", "split", str(shot), "--max-frames", "12", "--at", "10,20"]) == 0
    capsys.readouterr()
    first = _written(shot.parent)
    (shot.parent / "long_p02.toml").write_text("# hand edits\n" + (shot.parent / "long_p02.toml").read_text())
    edited = _written(shot.parent)
    # a second split (other cuts) refuses before writing anything: the hand edits stay
    assert main(["farm", "split", str(shot), "--max-frames", "15"]) == 2
    err = _one_line_error(capsys)
    assert "long_p01.toml" in err and "exists" in err and "--overwrite" in err
    assert _written(shot.parent) == edited
    assert main(["farm", "split", str(shot), "--max-frames", "12", "--at", "10,20", "--overwrite"]) == 0
    assert _written(shot.parent) == first


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
@pytest.mark.parametrize("name", ["long_p01.toml", "long.edit.toml"])
def test_split_never_replaces_its_shot_by_any_spelling(shot, capsys, link, name) -> None:
    (os.symlink if link == "symlink" else os.link)(shot, shot.parent / name)  # the same file by another name
    before = shot.read_bytes()
    assert main(["farm", "split", str(shot), "--max-frames", "12", "--overwrite"]) == 2
    err = _one_line_error(capsys)
    assert name in err and "input" in err
    assert shot.read_bytes() == before
    assert sorted(p.name for p in shot.parent.glob("long*.toml")) == sorted({"long.toml", name})


# -------------------------------------------------------------------------------- export


def test_export_replaces_a_job_file_only_with_overwrite_and_never_its_input(shot, capsys) -> None:
    job = shot.parent / "job.outline"
    argv = ["farm", "export", str(shot), "--opencue", str(job), "--user", "alice"]
    assert main(argv) == 0
    first = job.read_bytes()
    job.write_text("kept")
    assert main(argv) == 2
    assert "--overwrite" in _one_line_error(capsys) and job.read_text() == "kept"
    assert main([*argv, "--overwrite"]) == 0 and job.read_bytes() == first
    before = shot.read_bytes()
    assert main(["farm", "export", str(shot), "--opencue", str(shot), "--overwrite"]) == 2
    assert "input" in _one_line_error(capsys) and shot.read_bytes() == before
