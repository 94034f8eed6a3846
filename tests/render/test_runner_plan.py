"""ShotRunner's plan and the state folder: ``--frames --overwrite`` from the nearest saved
state, checks made before any model loads (unwritable output folder, damaged state files),
and the lock that keeps two renders of one shot apart."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from chroma.cli import main
from tests.render.test_shot_runner import SHOT_2D, _pixels, _shot


def _shot_every(tmp_path: Path, clip: str, frames: int, every: int) -> Path:
    text = SHOT_2D.replace("frames_scale = 500", f"frames_scale = 500\nstate_every = {every}")
    return _shot(tmp_path, clip, frames=frames, steps=3, text=text)


def test_frames_overwrite_starts_from_the_nearest_saved_state(capsys, tiny_unet_model, tiny_clip_in_cache,
                                                              tmp_path) -> None:
    """Redoing frames late in a shot renders from the last state saved before them, not from
    frame 0, and gives the frames of a fresh render bit for bit."""
    from chroma.pipeline import ShotRunner

    shot = _shot_every(tmp_path, tiny_clip_in_cache, frames=10, every=3)
    assert main(["render", str(shot)]) == 0
    capsys.readouterr()
    out = tmp_path / "out"
    fresh = {n: _pixels(out / f"sh010.{n}.exr") for n in range(1001, 1011)}
    runner = ShotRunner.from_file(shot)
    assert runner.saved_states() == [0, 3, 6, 9]  # every third state and the latest
    plan = runner.plan("1009-1010", overwrite=True)
    assert (plan.start, list(plan.render), plan.write, plan.replace) == (6, [7, 8, 9], [8, 9], [8, 9])

    assert main(["render", str(shot), "--frames", "1009-1010", "--overwrite"]) == 0
    text = capsys.readouterr().out
    rendered = [int(n) for n in re.findall(r"^frame (\d+) ", text, re.M)]
    assert rendered == [1008, 1009, 1010]  # from the state saved after 1007, not from 1001
    assert re.search(r"^frame 1008 .*not written", text, re.M)
    for n in (1009, 1010):
        assert np.array_equal(_pixels(out / f"sh010.{n}.exr"), fresh[n]), f"frame {n} differs from a fresh render"
        assert np.array_equal(_pixels(out / "retained" / f"sh010.{n}.exr"), fresh[n])


def test_a_second_render_of_a_running_shot_exits_2_naming_the_first(tiny_unet_model, tiny_clip_in_cache,
                                                                      model_cache, tmp_path) -> None:
    """One process holds the shot's lock (as a render in progress does); ``chroma render`` of
    the same shot in a second process exits 2 with one line naming pid, host and start,
    before writing anything."""
    import socket
    import subprocess
    import sys

    from chroma.pipeline import ShotRunner
    from tests.render.test_shot_runner import _env

    shot = _shot(tmp_path, tiny_clip_in_cache, frames=3, steps=2)
    runner = ShotRunner.from_file(shot)
    with runner.lock() as lock:
        held = lock.holder()
        assert held is not None and held["pid"] == os.getpid() and held["host"] == socket.gethostname()
        second = subprocess.run([sys.executable, "-m", "chroma", "render", str(shot)], env=_env(model_cache),
                                capture_output=True, text=True, timeout=300)
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and f"pid {os.getpid()} on {socket.gethostname()} since {held['since']}" in lines[0]
        assert not list((tmp_path / "out").glob("sh010.*.exr"))
    assert not lock.path.exists()  # released


def test_a_stale_lock_is_taken_over_and_every_lock_is_released(capsys, monkeypatch, tiny_unet_model,
                                                               tiny_clip_in_cache, tmp_path) -> None:
    """A lock of a process that died (same host, pid gone) is taken over with a note; the
    lock is released after a normal end, Ctrl-C and an error."""
    import json
    import socket
    import subprocess
    import sys

    from chroma.pipeline import ShotRunner
    from chroma.shot import ShotError

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    shot = _shot(tmp_path, tiny_clip_in_cache, frames=3, steps=2)
    lock = ShotRunner.from_file(shot).lock().path
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "since": "2026-01-01T00:00:00+00:00",
                                "started": 0.0}))
    assert main(["render", str(shot)]) == 0
    err = capsys.readouterr().err
    assert f"took over the lock of a render that is no longer running (pid {dead.pid} on" in err
    assert not lock.exists()

    def interrupted(self, plan):
        assert self.lock().holder()["pid"] == os.getpid()  # held while rendering
        raise KeyboardInterrupt

    monkeypatch.setattr(ShotRunner, "run", interrupted)
    assert main(["render", str(shot), "--overwrite"]) == 130
    assert not lock.exists()

    def failing(self, plan):
        raise ShotError("frame 1001: broken")

    monkeypatch.setattr(ShotRunner, "run", failing)
    assert main(["render", str(shot), "--overwrite"]) == 2
    assert not lock.exists()
    with pytest.raises(RuntimeError):
        with ShotRunner.from_file(shot).lock():
            raise RuntimeError("boom")
    assert not lock.exists()


def test_a_damaged_state_is_found_in_the_plan_and_resume_falls_back(capsys, tiny_unet_model, tiny_clip_in_cache,
                                                                     tmp_path) -> None:
    """A truncated state file (BadZipFile) and one without its keys are found by the plan,
    before any model loads: --resume starts from the last whole state with a one-line note
    naming the file, and gives the frames of the uninterrupted run."""
    from chroma.pipeline import ShotRunner

    shot = _shot_every(tmp_path, tiny_clip_in_cache, frames=5, every=1)
    assert main(["render", str(shot)]) == 0
    capsys.readouterr()
    out = tmp_path / "out"
    fresh = {n: _pixels(out / f"sh010.{n}.exr") for n in range(1001, 1006)}
    runner = ShotRunner.from_file(shot)
    truncated = runner.state_path(4)
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    np.savez(runner.state_path(3), prev=np.zeros((1, 3, 64, 64), np.float32))  # a state without index and meta

    def no_models(self):
        raise AssertionError("a model was loaded while planning")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ShotRunner, "renderer", no_models)
        plan = runner.plan(resume=True)
    assert (plan.start, plan.write, plan.replace) == (2, [3, 4], [3, 4])
    assert len(plan.notes) == 3 and all("\n" not in n for n in plan.notes)  # and the frames done again
    assert str(truncated) in plan.notes[0] and "BadZipFile" in plan.notes[0]
    assert str(runner.state_path(3)) in plan.notes[1] and "no index, meta" in plan.notes[1]

    assert main(["render", str(shot), "--resume"]) == 0
    err = capsys.readouterr().err
    assert f"note: the saved state {str(truncated)!r} (after frame 1005) is damaged" in err
    for n in (1004, 1005):
        assert np.array_equal(_pixels(out / f"sh010.{n}.exr"), fresh[n])
    assert runner.state_problem(4) is None  # replaced by a whole one as the frame rendered again


def test_an_unwritable_output_folder_is_refused_by_the_plan(tiny_clip_in_cache, tmp_path) -> None:
    """An output folder under a file, or read-only, is refused when planning (exit 2 before
    any model loads), not after the first frame has rendered."""
    import subprocess

    from chroma.errors import ChromaIOError
    from chroma.pipeline import ShotRunner

    shot = _shot(tmp_path, tiny_clip_in_cache, frames=3, steps=2)
    (tmp_path / "blocker").write_text("a file where a folder should be")
    shot.write_text(shot.read_text().replace('pattern = "out/sh010.####.exr"', 'pattern = "blocker/out/sh010.####.exr"'))
    with pytest.raises(ChromaIOError, match="blocker/out' cannot be made: .*blocker' is a file"):
        ShotRunner.from_file(shot).plan()

    shot.write_text(shot.read_text().replace("blocker/out/", "ro/out/"))
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() == 0:  # root writes through permission bits: a read-only file system instead
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(ro)]).returncode != 0:
            pytest.skip("running as root and cannot mount a read-only file system")
    else:
        ro.chmod(0o555)
    try:
        with pytest.raises(ChromaIOError, match="ro' is not writable"):
            ShotRunner.from_file(shot).plan()
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(ro)], check=True)
        else:
            ro.chmod(0o755)
