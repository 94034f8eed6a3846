"""The shot runner's seams on their own: the pure planner, the loop's order of work and
its stop policy, the farm's state store. Expected values are worked out by hand from
the rules in docs/shots.md ("Long runs that survive")."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from chroma.errors import ChromaIOError
from chroma.pipeline.loop import GuardStop, RunProgress, ShotLoop
from chroma.pipeline.plan import RunPlan, choose_start, finish_plan, wanted_frames
from chroma.pipeline.runlog import FrameReport


def _file(i: int) -> Path:
    return Path(f"s/state.{i:06d}.npz")


def test_wanted_frames_are_shot_indices_of_the_file_numbers() -> None:
    from chroma.shot import ShotError

    assert wanted_frames(None, 1001, 4) == [0, 1, 2, 3]
    assert wanted_frames("1005,1003-1004,1003", 1001, 10) == [2, 3, 4]
    with pytest.raises(ShotError, match="frame 1011 is outside the shot \\(1001-1010\\)"):
        wanted_frames("1009-1011", 1001, 10)


def test_choose_start_skips_a_damaged_state_for_the_newest_whole_one_before_the_range() -> None:
    asked: list[int] = []

    def problem(i: int) -> str | None:
        asked.append(i)
        return "BadZipFile: truncated" if i == 6 else None

    start, targets, notes = choose_start([7, 8], [0, 3, 6, 9], False, problem, _file, 1001)
    assert (start, targets) == (3, [7, 8])
    assert asked == [6, 3]  # newest first, only until one is whole; 9 is after the range
    assert "state.000006.npz" in notes[0] and "after frame 1007" in notes[0] and "truncated" in notes[0]
    # frames 4..6 (files 1005-1007) rendered again from the state after index 3 (file 1004)
    assert notes[1] == ("rendering frames 1005-1007 again (not written) to reach frame 1008 "
                        "from the state saved after frame 1004")


def test_choose_start_with_resume_continues_after_the_last_whole_state() -> None:
    assert choose_start(list(range(10)), [0, 5], True, lambda i: None, _file, 1) == (5, [6, 7, 8, 9], [])
    assert choose_start([0, 1], [], True, lambda i: None, _file, 1) == (
        -1, [0, 1], ["no saved state: starting from the first frame"])
    # the state just before the range: nothing rendered again, no note
    assert choose_start([4, 5], [3], False, lambda i: None, _file, 1) == (3, [4, 5], [])


def test_finish_plan_refuses_existing_frames_unless_asked() -> None:
    with pytest.raises(ChromaIOError, match="'out.0003.exr' \\(and 1 more\\) exists; pass --resume"):
        finish_plan(-1, [2, 3, 4], [2, 4], False, False, [], "out.0003.exr")
    plan = finish_plan(-1, [2, 3, 4], [2, 4], False, True, ["n"], "out.0003.exr")
    assert (plan.start, plan.last, plan.write, plan.replace, plan.notes) == (-1, 4, [2, 3, 4], [2, 4], ["n"])
    assert list(plan.render) == [0, 1, 2, 3, 4]
    resumed = finish_plan(1, [2, 3], [2], True, False, [], "x")
    assert resumed.replace == [2] and "1 frame(s) after the last saved state exist" in resumed.notes[0]


class _Events:
    """Fakes of every seam, recording what the loop asks of them, in order."""

    def __init__(self, existing: set[int]):
        self.log: list[tuple[str, int]] = []
        self.existing = existing

    # the shot
    def frame(self, i: int) -> SimpleNamespace:
        return SimpleNamespace(index=i, file_frame=101 + i, render={}, prompt_key=0)

    def settings_hash(self, i: int) -> str:
        return f"h{i}"

    # the layout
    def path(self, i: int) -> SimpleNamespace:
        return SimpleNamespace(exists=lambda: i in self.existing)

    # the inputs, the frame loop, the watch
    def frame_input(self, spec: SimpleNamespace, settings: object) -> SimpleNamespace:
        self.log.append(("inputs", spec.index))
        return SimpleNamespace(index=spec.index)

    def step(self, frame: SimpleNamespace, state: SimpleNamespace, on_step: object) -> tuple:
        assert state.index == frame.index - 1  # the state after the previous frame
        self.log.append(("step", frame.index))
        return SimpleNamespace(clip_loss=0.5, turbo=False, index=frame.index), SimpleNamespace(index=frame.index)

    stop_event = None

    def before(self, frame: SimpleNamespace) -> SimpleNamespace:
        return frame

    def after(self, result: SimpleNamespace, state: SimpleNamespace) -> tuple:
        return result, state, {"summary": "ok"}

    def to_state(self) -> tuple[dict, dict]:
        return {"g": 1}, {}

    # the writer
    def retain(self, i: int) -> str:
        self.log.append(("retain", i))
        return f"retained/{i}"

    def write(self, spec: SimpleNamespace, result: object, settings: object, digest: str, record: object,
              motion: object = None) -> str:
        assert digest == f"h{spec.index}"
        self.log.append(("write", spec.index))
        return f"out/{spec.index}"

    # the store
    def save(self, state: SimpleNamespace, meta: dict, extra: dict) -> None:
        assert meta == {"frame": 101 + state.index, "settings_hash": f"h{state.index}", "watch": {"g": 1}}
        self.log.append(("save", state.index))

    def lock(self) -> None:
        raise AssertionError("the loop never takes the lock")

    def log_report(self, report: FrameReport) -> None:
        self.log.append(("log", report.index))


class _StopAfter:
    def __init__(self, index: int):
        self.index = index

    def stop(self, watch: object, report: FrameReport) -> str | None:
        return f"stopped at {report.file_frame}" if report.index == self.index else None


def _loop(ev: _Events, stop: object, progress: RunProgress, reports: list) -> ShotLoop:
    store = SimpleNamespace(save=ev.save, log=ev.log_report, lock=ev.lock)
    return ShotLoop(ev, ev, ev, ev, ev, ev, store, progress, stop, on_frame=reports.append)  # type: ignore[arg-type]


def test_the_loop_writes_then_saves_then_logs_each_frame_and_stops_when_the_policy_says() -> None:
    ev = _Events(existing={3})
    progress = RunProgress()
    seen: list[FrameReport] = []
    reports = _loop(ev, _StopAfter(3), progress, seen).run(RunPlan(-1, 5, [2, 3, 4, 5], [2, 3]), SimpleNamespace(index=-1))
    assert ev.log == [
        ("inputs", 0), ("step", 0), ("save", 0), ("log", 0),   # rendered only to reach frame 2
        ("inputs", 1), ("step", 1), ("save", 1), ("log", 1),
        ("inputs", 2), ("step", 2), ("write", 2), ("save", 2), ("log", 2),  # to replace, but gone since the plan
        ("inputs", 3), ("step", 3), ("retain", 3), ("write", 3), ("save", 3), ("log", 3),  # it exists
    ]  # frames 4 and 5 are never reached: the policy stopped the run after frame 3
    assert [r.index for r in reports] == [0, 1, 2, 3] and seen == reports
    assert [r.path for r in reports] == [None, None, "out/2", "out/3"]
    assert reports[3].retained == "retained/3" and reports[3].file_frame == 104
    assert (progress.written, progress.last_done, progress.stopped) == ([2, 3], 3, "stopped at 104")


def test_the_guard_stop_policy_reads_the_watchs_stop_event() -> None:
    report = FrameReport(4, 1005, None, 0.0, None, False, 0)
    assert GuardStop().stop(SimpleNamespace(stop_event=None), report) is None  # type: ignore[arg-type]
    event = SimpleNamespace(reason=lambda: "frames collapsed")
    assert GuardStop().stop(SimpleNamespace(stop_event=event), report) == (  # type: ignore[arg-type]
        "the collapse guard stopped the shot after frame 1005: frames collapsed")


def test_the_farm_store_gives_independent_frames_an_empty_state_without_reading_one() -> None:
    from chroma.farm.state import FarmStateStore
    from chroma.pipeline.store import SavedState

    def refuse(index: int) -> SavedState:
        raise AssertionError("an independent frame reads no state file")

    local = SimpleNamespace(load=refuse, saved=lambda: [1, 2], problem=lambda i: f"p{i}")
    saved = FarmStateStore(local, independent=True).load(5)  # type: ignore[arg-type]
    assert saved.state.index == 5 and saved.state.prev is None and (saved.watch_meta, saved.watch_arrays) == ({}, {})
    assert FarmStateStore(local, True).saved() == [1, 2] and FarmStateStore(local, True).problem(3) == "p3"  # type: ignore[arg-type]
    sentinel = SavedState(saved.state, {"w": 1}, {})
    local.load = lambda index: sentinel
    assert FarmStateStore(local, independent=False).load(5) is sentinel  # type: ignore[arg-type]
