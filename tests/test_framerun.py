"""chroma.framerun: frame-independent work on LocalFrames (this process, or spawned workers),
failures as the exceptions the work raised; the farm's executor is in tests/test_farm.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chroma import framerun
from chroma.errors import ChromaIOError


def _plan(tmp_path: Path, frames: range, missing: int) -> list[tuple[int, str, str]]:
    plan = []
    for f in frames:
        src = tmp_path / f"in.{f}.txt"
        if f != missing:
            src.write_text(f"frame {f}")
        plan.append((f, str(src), str(tmp_path / f"out.{f}.txt")))
    return plan


def test_worker_processes_report_any_exception_as_the_frame_s_failure(tmp_path: Path) -> None:
    plan = _plan(tmp_path, range(1, 5), missing=3)
    done: list[str] = []
    failures = framerun.run_frames(framerun.FileCall(shutil.copyfile), plan, framerun.LocalFrames(jobs=2),
                                   on_done=done.append, on_fail=lambda key, why: None)
    assert [key for key, _ in failures] == [plan[2][1]]
    assert failures[0][1].startswith("FileNotFoundError: ")  # the type and message, from the worker
    assert sorted(done) == sorted(p for _, p, _ in plan if p != plan[2][1])
    assert [Path(t).read_text() for _, _, t in plan if Path(t).exists()] == ["frame 1", "frame 2", "frame 4"]


def _chroma_copy(path: str, target: str) -> None:
    if not Path(path).exists():
        raise ChromaIOError(f"{path}: no such frame")
    shutil.copyfile(path, target)


def test_in_this_process_a_chroma_error_is_a_failure_and_others_stop_the_run(tmp_path: Path) -> None:
    plan = _plan(tmp_path, range(1, 4), missing=2)
    failed: list[tuple[str, str]] = []
    failures = framerun.run_frames(framerun.FileCall(_chroma_copy), plan, framerun.LocalFrames(jobs=1, threads=False),
                                   on_fail=lambda k, why: failed.append((k, why)))
    assert failures == failed == [(plan[1][1], f"{plan[1][1]}: no such frame")]
    assert Path(plan[2][2]).exists()  # the frame after the failure still ran
    with pytest.raises(FileNotFoundError):
        framerun.run_frames(framerun.FileCall(shutil.copyfile), plan, framerun.LocalFrames(jobs=1, threads=False))


def test_a_frame_without_an_input_is_reported_by_its_output() -> None:
    assert framerun.failure_key("", "fade.1001.exr") == "fade.1001.exr"
    assert framerun.failure_key("a.1001.exr", "b.1001.exr") == "a.1001.exr"
    assert framerun.failure_reason(ChromaIOError("cannot read a.exr")) == "cannot read a.exr"
    assert framerun.failure_reason(KeyError("R")) == "KeyError: 'R'"
