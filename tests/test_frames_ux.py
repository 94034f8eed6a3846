"""Long and large jobs: frame sets stay ranges, missing frames are compact, a mostly
missing request is refused at once; one exit-code rule; progress, summaries, --dry-run and
Ctrl-C say what happened."""

from __future__ import annotations

import io as _io
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chroma import Image, sequence, write
from chroma.cli import main
from chroma.errors import SequenceError


@pytest.fixture
def plate(tmp_path, monkeypatch):
    """p.1001-1004 on disk (small), cwd = tmp_path."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(5)
    for f in range(1001, 1005):
        write(Image(rng.random((4, 6, 3)).astype(np.float32)), tmp_path / f"p.{f}.exr")
    return tmp_path


# ----------------------------------------------------------------------- frame sets


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-50, 300), st.integers(0, 80), st.integers(1, 7)), min_size=1, max_size=5),
       st.lists(st.integers(-60, 400), max_size=20))
def test_frame_set_matches_a_plain_set(parts, holes):
    text = ",".join(f"{a}-{a + n}x{s}" for a, n, s in parts)
    brute = set()
    for a, n, s in parts:
        brute |= set(range(a, a + n + 1, s))
    fs = sequence.frame_set(text)
    assert len(fs) == len(brute)
    assert list(fs) == sorted(brute)
    assert all((f in fs) == (f in brute) for f in range(-60, 400))
    rest = fs.without(holes)
    assert sorted(set(rest)) == sorted(brute - set(holes))
    assert sequence.parse_frames(str(fs)) == sorted(brute)  # the compact text round-trips


def test_a_typo_d_range_costs_nothing():
    tracemalloc.start()
    fs = sequence.frame_set("1001-100000000")
    n = len(fs)
    rest = fs.without([1001, 1002, 1005])
    text = str(rest)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 100_000_000 - 1000
    assert text == "1003-1004,1006-100000000"
    assert peak < 1_000_000  # a list of these frames would take gigabytes
    with pytest.raises(SequenceError, match="check the range"):
        sequence.frame_set("1-99999999999")


@pytest.mark.parametrize("cmd", [
    ["grade", "p.####.exr", "-o", "g/p.####.exr", "--exposure", "1"],
    ["convert", "p.####.exr", "-o", "c/p.####.exr"],
    ["info", "p.####.exr"],
])
@pytest.mark.parametrize("frames", ["1001-10000000", "1001-100000000", "1001-20000", "1001-1010"])
def test_mostly_missing_request_is_refused_at_once(plate, capsys, cmd, frames):
    tracemalloc.start()
    code = main(cmd + ["--frames", frames])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "only 4 are on disk (1001-1004)" in err
    assert peak < 50_000_000
    assert not (plate / "g").exists() and not (plate / "c").exists()  # refused before any work


def test_some_missing_frames_are_one_compact_line_and_exit_1(plate, capsys):
    code = main(["grade", "p.####.exr", "-o", "g/p.####.exr", "--exposure", "1", "--frames", "1001-1006", "--jobs", "1"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "graded 4 frame(s), 2 missing: 1005-1006" in out
    assert err.count("1005") == 1 and "does not exist" not in err
    code = main(["grade", "p.####.exr", "-o", "g/p.####.exr", "--exposure", "1", "--frames", "1001-1006",
                 "--skip-existing"])
    assert code == 1
    assert "graded 0 frame(s), skipped 4 existing, 2 missing: 1005-1006" in capsys.readouterr().out


# ----------------------------------------------------------------------- exit codes


@pytest.mark.parametrize("bad", ["folder", "text", "truncated"])
@pytest.mark.parametrize("cmd", [
    ["info", "{bad}"],
    ["convert", "{bad}", "-o", "o.exr"],
    ["grade", "{bad}", "-o", "o.exr", "--exposure", "1"],
    ["ambient", "{bad}"],
    ["blend", "{bad}", "p.1001.exr", "-o", "o.exr"],
])
def test_a_single_file_mistake_exits_2_in_one_line(plate, capsys, cmd, bad):
    (plate / "adir.exr").mkdir()
    (plate / "notes.exr").write_text("hello\n")
    good = (plate / "p.1001.exr").read_bytes()
    (plate / "cut.exr").write_bytes(good[: len(good) // 2])
    path = {"folder": "adir.exr", "text": "notes.exr", "truncated": "cut.exr"}[bad]
    if cmd[0] == "info" and bad == "folder":
        return  # info describes a folder (the sequences in it)
    code = main([a.format(bad=path) for a in cmd])
    out, err = capsys.readouterr()
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"chroma {cmd[0]}: error:") and path in lines[0], err
    assert "pending error" not in err and not (plate / "o.exr").exists()


def test_a_sequence_with_a_bad_frame_exits_1_after_the_others(plate, capsys):
    (plate / "p.1003.exr").write_text("not an image")
    for cmd in (["convert", "p.####.exr", "-o", "c/p.####.exr"],
                ["grade", "p.####.exr", "-o", "g/p.####.exr", "--exposure", "1", "--jobs", "1"],
                ["info", "p.####.exr"]):
        assert main(cmd) == 1
        assert "p.1003.exr" in capsys.readouterr().err
    assert sorted(p.name for p in (plate / "c").iterdir()) == ["p.1001.exr", "p.1002.exr", "p.1004.exr"]


# ----------------------------------------------------------------- progress, dry run, Ctrl-C


class _Tty(_io.StringIO):
    def isatty(self):
        return True


def test_progress_draws_through_tqdm_on_a_terminal_only():
    from chroma.progress import Progress

    tty = _Tty()
    with Progress(4, "grading", stream=tty) as bar:
        for _ in range(4):
            bar.update()
    assert "grading" in tty.getvalue() and "4/4" in tty.getvalue()
    piped = _io.StringIO()
    with Progress(4, "grading", stream=piped) as bar:
        bar.update(4)
    assert piped.getvalue() == ""
    quiet = _Tty()
    with Progress(4, "grading", stream=quiet, enabled=False) as bar:
        bar.update(4)
    assert quiet.getvalue() == ""
    nested = _Tty()
    with Progress(2, "frames", stream=nested) as shot:
        with Progress(3, "steps", stream=nested, position=1) as steps:
            steps.update(3)
        shot.update(2)
    assert "steps" in nested.getvalue() and "frames" in nested.getvalue()


def test_quiet_flag_on_every_command(capsys):
    from chroma.cli import COMMANDS, build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in COMMANDS:
        assert any("--quiet" in a.option_strings for a in sub.choices[name]._actions), name


def test_dry_run_lists_what_the_real_run_would_refuse(plate, capsys):
    assert main(["grade", "p.####.exr", "-o", "g/p.####.exr", "--exposure", "1", "--frames", "1001-1002"]) == 0
    capsys.readouterr()
    assert main(["grade", "p.####.exr", "-o", "g/p.####.exr", "--exposure", "1", "--dry-run",
                 "--bake-lut", "new/l.cube"]) == 0
    out, err = capsys.readouterr()
    assert "the real run would refuse:" in out and "g/p.1001.exr" in out and "g/p.1002.exr" in out
    assert "g/p.1003.exr exists" not in out
    assert "would create the output folder new" in err and not (plate / "new").exists()


def test_ctrl_c_says_what_was_written_and_how_to_go_on(plate, capsys, monkeypatch):
    from chroma import io

    real = io.write
    calls = []

    def write_then_interrupt(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(io, "write", write_then_interrupt)
    code = main(["convert", "p.####.exr", "-o", "c/p.####.exr"])
    err = capsys.readouterr().err
    assert code == 130
    assert "interrupted: 2 of 4 frame(s) written, 2 left" in err and "--skip-existing" in err
    monkeypatch.setattr(io, "write", real)
    assert main(["convert", "p.####.exr", "-o", "c/p.####.exr", "--skip-existing"]) == 0
    assert "converted 2 frame(s) to ACEScg, skipped 2 existing" in capsys.readouterr().out


def test_crossfade_with_a_bad_frame_exits_1_after_the_others(plate, capsys):
    (plate / "p.1003.exr").write_text("not an image")
    assert main(["blend", "p.####.exr", "#000000", "-o", "f/f.####.exr"]) == 1
    out, err = capsys.readouterr()
    assert "wrote 3 frame(s)" in out and "1 failed" in out and "f.1003.exr" in err
    assert sorted(p.name for p in (plate / "f").iterdir()) == ["f.1001.exr", "f.1002.exr", "f.1004.exr"]
