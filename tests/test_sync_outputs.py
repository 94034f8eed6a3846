"""``chroma sync`` never loses work: outputs are checked against inputs before any work
(issue 21 item 3), ``--merge-into`` keeps a numbered backup and ``--dry-run`` writes
nothing (item 5).

The dry run's diff is checked with GNU ``patch`` (an independent tool): applied to the
shot as it was, it must give what the real run writes.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess

import pytest

from chroma import sync
from chroma.cli import main

pytest.importorskip("tomlkit")

LRC = "[ar:Test Band]\n[00:01.00]first line\n[00:03.00]second line\n[00:05.00]\n"

SHOT = """# sh010, by hand
max_frames = 150
animation_mode = "2D"

[output]
pattern = "out/sh010.####.exr"
fps = 24

[prompts]  # hand-written
0 = ["a lighthouse in a storm:2"]
72 = ["a lighthouse at dawn"]
"""


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def song(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "song.lrc").write_text(LRC)
    (tmp_path / "sh010.toml").write_text(SHOT)
    return tmp_path


def _no_work(monkeypatch):
    """Fail the test if sync reads the lyrics or the audio: refusals come first."""
    def boom(*_a, **_k):
        raise AssertionError("sync did work before refusing an output")

    monkeypatch.setattr(sync, "read_lyrics", boom)
    monkeypatch.setattr(sync, "analyze_audio", boom)


# ----------------------------------------------------------------- item 3: outputs vs inputs


@pytest.mark.parametrize("spelling", ["song.lrc", "./song.lrc", "sub/../song.lrc", "link.lrc"])
def test_output_that_is_the_lyrics_is_refused_even_with_overwrite(song, capsys, monkeypatch, spelling):
    (song / "sub").mkdir()
    os.symlink(song / "song.lrc", song / "link.lrc")
    _no_work(monkeypatch)
    code, _, err = run(capsys, "sync", "--lyrics", "song.lrc", "--fps", "24", "-o", spelling, "--overwrite")
    assert code == 2 and "would replace an input" in err, err
    assert (song / "song.lrc").read_text() == LRC


def test_output_or_plot_that_is_the_audio_is_refused(song, capsys, monkeypatch):
    (song / "song.wav").write_bytes(b"RIFF....WAVE")  # never read: the check comes first
    _no_work(monkeypatch)
    code, _, err = run(capsys, "sync", "--audio", "song.wav", "--fps", "24", "-o", "song.wav", "--overwrite")
    assert code == 2 and "would replace an input" in err
    (song / "song.svg").write_bytes(b"<svg/>")
    code, _, err = run(capsys, "sync", "--lyrics", "song.svg", "--fps", "24", "--plot", "song.svg", "--overwrite")
    assert code == 2 and "would replace an input" in err
    assert (song / "song.wav").read_bytes() == b"RIFF....WAVE" and (song / "song.svg").read_bytes() == b"<svg/>"


def test_merge_target_that_is_an_input_is_refused(song, capsys, monkeypatch):
    _no_work(monkeypatch)
    code, _, err = run(capsys, "sync", "--lyrics", "song.lrc", "--fps", "24", "--merge-into", "./song.lrc")
    assert code == 2 and "would replace an input" in err
    assert (song / "song.lrc").read_text() == LRC


def test_plot_that_is_the_shot_or_exists_is_refused(song, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    _no_work(monkeypatch)
    code, _, err = run(capsys, "sync", "--lyrics", "song.lrc", "--fps", "24", "-o", "a.svg", "--plot", "./a.svg")
    assert code == 2 and "same file" in err
    (song / "old.png").write_bytes(b"keep me")
    code, _, err = run(capsys, "sync", "--lyrics", "song.lrc", "--fps", "24", "--plot", "old.png")
    assert code == 2 and "--overwrite" in err
    assert (song / "old.png").read_bytes() == b"keep me"
    code, _, err = run(capsys, "sync", "--lyrics", "song.lrc", "--fps", "24", "--plot", "sync.xyz")
    assert code == 2 and "sync.png" in err  # a type matplotlib cannot write: before any work, no traceback


@pytest.mark.parametrize("name", ["sh020.edit.toml", "sh020_p02.toml"])
def test_split_files_are_checked_before_any_work(song, capsys, monkeypatch, name):
    (song / name).write_text("# by hand\n")
    _no_work(monkeypatch)
    code, _, err = run(capsys, "sync", "--lyrics", "song.lrc", "--fps", "24", "-o", "sh020.toml", "--split", "48")
    assert code == 2 and name in err
    assert not (song / "sh020.toml").exists() and (song / name).read_text() == "# by hand\n"


# --------------------------------------------------------- item 5: backups and --dry-run


def test_merge_keeps_numbered_backups_and_never_replaces_one(song, capsys):
    code, out, err = run(capsys, "sync", "--lyrics", "song.lrc", "--fps", "24", "--merge-into", "sh010.toml")
    assert code == 0, err
    assert (song / "sh010.toml.bak").read_text() == SHOT
    assert "note: kept the shot as it was in sh010.toml.bak" in out
    first = (song / "sh010.toml").read_text()
    assert first != SHOT and '24 = ["first line"]' not in first and '0 = ["first line"]' in first
    # a second merge with another template: the first backup stays, the next number is taken
    code, out, err = run(capsys, "sync", "--lyrics", "song.lrc", "--fps", "24", "--template", "{line}, by {artist}",
                         "--merge-into", "sh010.toml")
    assert code == 0, err
    assert (song / "sh010.toml.bak").read_text() == SHOT
    assert (song / "sh010.toml.bak.1").read_text() == first
    assert "sh010.toml.bak.1" in out
    # an unchanged result writes nothing and keeps no backup
    code, out, _ = run(capsys, "sync", "--lyrics", "song.lrc", "--fps", "24", "--template", "{line}, by {artist}",
                       "--merge-into", "sh010.toml")
    assert code == 0 and "unchanged" in out and not (song / "sh010.toml.bak.2").exists()
    code, out, _ = run(capsys, "sync", "--lyrics", "song.lrc", "--fps", "24", "--template", "{line}, by {artist}",
                       "--merge-into", "sh010.toml", "--dry-run")
    assert code == 0 and "sh010.toml would not change" in out and "---" not in out
    assert out.rstrip().endswith("dry run: nothing written")


def test_keep_backup_takes_the_next_free_number(tmp_path):
    shot = tmp_path / "sh010.toml"
    shot.write_text("new\n")
    (tmp_path / "sh010.toml.bak").write_text("oldest\n")
    (tmp_path / "sh010.toml.bak.1").write_text("older\n")
    assert sync.backup_path(shot) == tmp_path / "sh010.toml.bak.2"
    bak = sync.keep_backup(shot)
    assert bak == tmp_path / "sh010.toml.bak.2" and bak.read_text() == "new\n"
    assert (tmp_path / "sh010.toml.bak").read_text() == "oldest\n"
    assert (tmp_path / "sh010.toml.bak.1").read_text() == "older\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sh010.toml", "sh010.toml.bak", "sh010.toml.bak.1",
                                                         "sh010.toml.bak.2"]  # no temporary file left


def test_keep_backup_without_hard_links_and_a_backup_that_appears_meanwhile(tmp_path, monkeypatch):
    shot = tmp_path / "sh010.toml"
    shot.write_text("new\n")
    real_link = os.link

    def link_once_taken(src, dst):  # another process writes sh010.toml.bak first
        if str(dst).endswith(".bak"):
            (tmp_path / "sh010.toml.bak").write_text("theirs\n")
            raise FileExistsError(errno.EEXIST, "exists", str(dst))
        return real_link(src, dst)

    monkeypatch.setattr(os, "link", link_once_taken)
    assert sync.keep_backup(shot).name == "sh010.toml.bak.1"
    assert (tmp_path / "sh010.toml.bak").read_text() == "theirs\n"

    def no_links(src, dst):
        raise OSError(errno.EPERM, "hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    assert sync.keep_backup(shot).read_text() == "new\n"
    assert (tmp_path / "sh010.toml.bak.2").is_file()


def test_a_backup_that_cannot_be_written_leaves_the_shot_alone(song, capsys, monkeypatch):
    def fail(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copy2", fail)
    code, _, err = run(capsys, "sync", "--lyrics", "song.lrc", "--fps", "24", "--merge-into", "sh010.toml")
    assert code == 2 and "backup" in err and "not changed" in err and "Traceback" not in err
    assert (song / "sh010.toml").read_text() == SHOT
    assert sorted(p.name for p in song.iterdir()) == ["sh010.toml", "song.lrc"]


def test_dry_run_prints_a_diff_that_patch_applies_and_writes_nothing(song, capsys):
    if shutil.which("patch") is None:
        pytest.skip("GNU patch is not installed")
    pytest.importorskip("matplotlib")
    argv = ["sync", "--lyrics", "song.lrc", "--fps", "24", "--template", "{line}, by {artist}",
            "--merge-into", "sh010.toml", "--plot", "sync.png"]
    before = sorted(p.name for p in song.iterdir())
    code, out, err = run(capsys, *argv, "--dry-run")
    assert code == 0, err
    assert sorted(p.name for p in song.iterdir()) == before and (song / "sh010.toml").read_text() == SHOT
    # line 2 is sung at 3 s = frame 72 at 24 fps, where the hand-written dawn prompt stood
    assert "--- sh010.toml" in out and '-72 = ["a lighthouse at dawn"]' in out
    assert '+72 = ["second line, by Test Band"]' in out and '+0 = ["first line, by Test Band"]' in out
    assert "dry run: nothing written" in out and "sh010.toml.bak" in out and "draw sync.png" in out
    diff = out[out.index("--- sh010.toml"):out.index("dry run:")]
    work = song / "patched"
    work.mkdir()
    (work / "sh010.toml").write_text(SHOT)
    subprocess.run(["patch", "-s", "-p0"], input=diff, text=True, cwd=work, check=True)
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    assert (work / "sh010.toml").read_text() == (song / "sh010.toml").read_text()


def test_dry_run_of_a_new_shot_shows_it_and_what_would_be_refused(song, capsys):
    code, out, err = run(capsys, "sync", "--lyrics", "song.lrc", "--fps", "24", "-o", "new.toml", "--dry-run")
    assert code == 0, err
    assert "--- /dev/null" in out and "+++ new.toml" in out and '+0 = ["first line"]' in out
    assert not (song / "new.toml").exists()
    code, out, err = run(capsys, "sync", "--lyrics", "song.lrc", "--fps", "24", "-o", "sh010.toml", "--dry-run")
    assert code == 0, err
    assert "the real run would refuse: sh010.toml exists" in out
    assert (song / "sh010.toml").read_text() == SHOT
