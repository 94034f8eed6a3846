"""The planner: which frames a run renders and writes, and from which saved state.

Decided before any model loads, so every refusal comes first. The decisions are pure
functions of facts passed in (the frames asked, the saved states and whether each is
whole, the outputs that exist): :func:`wanted_frames`, :func:`choose_start` and
:func:`finish_plan`. :func:`plan_shot` gathers those facts from the disk and runs the
checks that read it (the output folder writable, no output replacing an input, every
plate and depth frame present) in between.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from chroma.pipeline.layout import PREVIEW, RETAINED

if TYPE_CHECKING:
    from chroma.pipeline.layout import ShotLayout
    from chroma.pipeline.store import StateStore
    from chroma.shot import Shot

__all__ = ["RunPlan", "check_not_inputs", "check_settings", "check_writable", "choose_start", "finish_plan",
           "plan_shot", "same_settings", "wanted_frames"]


@dataclass
class RunPlan:
    """Which frames a run renders and writes, decided before any model loads.

    ``start`` is the saved state the run continues from (-1: from the first frame);
    frames ``start + 1 .. last`` are rendered, those in ``write`` are written (the others
    are rendered only to reach the first frame asked for), ``replace`` lists outputs that
    exist and will be moved to ``retained/`` first.

    Attributes
    ----------
    start : int
        Shot index of the state continued from (-1: none).
    last : int
        The last shot index rendered.
    write : list of int
        Shot indices written.
    replace : list of int
        Shot indices whose existing outputs move to ``retained/``.
    notes : list of str
        What the user should know about the plan.
    """

    start: int
    last: int
    write: list[int]
    replace: list[int]
    notes: list[str] = field(default_factory=list)

    @property
    def render(self) -> range:
        """Shot indices rendered: after ``start`` up to ``last``.

        Returns
        -------
        range
            ``start + 1 .. last`` (shot indices, 0 = the first frame).
        """
        return range(self.start + 1, self.last + 1)


def wanted_frames(frames: str | None, first_frame: int, max_frames: int) -> list[int]:
    """Turn a frame set in file numbers into the shot indices asked for.

    Parameters
    ----------
    frames : str or None
        Frame set in file numbers (``1010-1020``); None for every frame.
    first_frame : int
        The file number of shot index 0.
    max_frames : int
        The shot's length.

    Returns
    -------
    list of int
        Shot indices, ascending, without repeats.

    Raises
    ------
    chroma.shot.ShotError
        ``frames`` malformed or outside the shot.
    """
    from chroma import sequence
    from chroma.errors import SequenceError
    from chroma.shot import ShotError

    if frames is None:
        return list(range(max_frames))
    try:
        wanted = sorted(set(sequence.parse_frames(frames)))
    except SequenceError as e:
        raise ShotError(f"--frames {frames!r}: {e}") from None
    outside = [f for f in wanted if not first_frame <= f < first_frame + max_frames]
    if outside:
        raise ShotError(f"--frames {frames!r}: frame {outside[0]} is outside the shot "
                        f"({first_frame}-{first_frame + max_frames - 1})")
    return [f - first_frame for f in wanted]


def _usable_state(candidates: Iterable[int], problem: Callable[[int], str | None], state_file: Callable[[int], Path],
                  first_frame: int, notes: list[str]) -> int:
    """The newest of ``candidates`` whose state is whole (-1: none); each damaged one is
    named in ``notes`` with what to do."""
    for index in sorted(candidates, reverse=True):
        why = problem(index)
        if why is None:
            return index
        notes.append(f"the saved state {str(state_file(index))!r} (after frame {first_frame + index}) is damaged "
                     f"({why}); starting from an earlier state instead. It is replaced when that frame renders "
                     "again; delete it if it stays in the way")
    return -1


def choose_start(targets: list[int], states: list[int], resume: bool, problem: Callable[[int], str | None],
                 state_file: Callable[[int], Path], first_frame: int) -> tuple[int, list[int], list[str]]:
    """Choose the saved state a run continues from.

    With ``resume``, the newest whole state, and the targets after it; otherwise the
    newest whole state before the first target. Every saved state stays valid with
    ``overwrite``: frames before the range do not change, and the states at or after its
    first frame are replaced as those frames render again.

    Parameters
    ----------
    targets : list of int
        Shot indices asked for, ascending (:func:`wanted_frames`).
    states : list of int
        Shot indices with a saved state, ascending.
    resume : bool
        Continue after the last saved state.
    problem : Callable[[int], str or None]
        What is wrong with a saved state (None: whole); asked newest first, only until one
        is whole.
    state_file : Callable[[int], pathlib.Path]
        The file of a saved state (named in the notes).
    first_frame : int
        The file number of shot index 0 (for the notes).

    Returns
    -------
    start : int
        The state continued from (-1: the first frame).
    targets : list of int
        The targets still to render (all of them unless ``resume``).
    notes : list of str
        What the user should know.
    """
    notes: list[str] = []
    if resume:
        done = _usable_state(states, problem, state_file, first_frame, notes)
        if done < 0:
            notes.append("no saved state: starting from the first frame")
        return done, [i for i in targets if i > done], notes
    start = _usable_state([s for s in states if s < targets[0]], problem, state_file, first_frame, notes)
    if start < targets[0] - 1:
        notes.append(f"rendering frames {first_frame + start + 1}-{first_frame + targets[0] - 1} again (not written) "
                     f"to reach frame {first_frame + targets[0]}" + (f" from the state saved after frame "
                                                                      f"{first_frame + start}" if start >= 0 else ""))
    return start, targets, notes


def same_settings(saved: str | None, current: str) -> bool:
    """Say whether a state's saved settings hash is the shot's current one for its frame.

    Parameters
    ----------
    saved : str or None
        The hash saved with the state (None: a state without one, taken as the same).
    current : str
        :meth:`chroma.shot.Shot.settings_hash` of the frame now (64 hex digits).

    Returns
    -------
    bool
        True when they agree: equal, or ``saved`` is the 16-digit prefix earlier versions
        wrote.
    """
    if saved is None:
        return True
    if len(saved) == 16:
        return current[:16] == saved
    return saved == current


def check_settings(start: int, states: list[int], saved_hash: Callable[[int], str | None],
                   current_hash: Callable[[int], str], first_frame: int, max_frames: int) -> None:
    """Refuse to continue from a state made with other settings than the shot's now.

    Every saved state up to ``start`` (the one continued from) is compared with the
    shot's hash of its frame (:func:`same_settings`); the earliest that differs is named,
    with the command that renders again from the newest state before it.

    Parameters
    ----------
    start : int
        The state continued from (-1: none, nothing to compare).
    states : list of int
        Shot indices with a saved state, ascending.
    saved_hash : Callable[[int], str or None]
        The hash saved with a state (:meth:`chroma.pipeline.store.StateStore.settings_hash`).
    current_hash : Callable[[int], str]
        The shot's hash of a frame now (:meth:`chroma.shot.Shot.settings_hash`).
    first_frame : int
        The file number of shot index 0 (for the message).
    max_frames : int
        The shot's length (for the message).

    Raises
    ------
    chroma.shot.ShotError
        A state up to ``start`` was saved with other settings.
    """
    from chroma.shot import ShotError

    if start < 0:
        return
    checked = [i for i in states if i <= start]
    for n, index in enumerate(checked):
        if same_settings(saved_hash(index), current_hash(index)):
            continue
        since = checked[n - 1] + 1 if n else 0
        last = first_frame + max_frames - 1
        raise ShotError(f"the shot's settings changed since the state after frame {first_frame + index} was saved "
                        "(its settings hash differs), so continuing from it would mix frames of two settings; "
                        f"render again from frame {first_frame + since} with --frames {first_frame + since}-{last} "
                        "--overwrite, or pass --settings-changed to continue with the new settings on purpose")


def finish_plan(start: int, targets: list[int], existing: list[int], resume: bool, overwrite: bool, notes: list[str],
                first_output: str) -> RunPlan:
    """Make the plan, refusing to replace frames that exist unless asked.

    Parameters
    ----------
    start : int
        The state continued from (:func:`choose_start`).
    targets : list of int
        Shot indices to write, ascending, not empty.
    existing : list of int
        Those of ``targets`` whose output exists.
    resume : bool
        Continue after the last saved state (existing frames after it are unfinished).
    overwrite : bool
        Render existing outputs again, keeping the old files in ``retained/``.
    notes : list of str
        Notes so far; the plan's notes start with them.
    first_output : str
        The file of ``existing[0]`` (for the message).

    Returns
    -------
    RunPlan
        The plan.

    Raises
    ------
    ChromaIOError
        Outputs exist without ``resume`` or ``overwrite``.
    """
    from chroma.errors import ChromaIOError

    if existing and not overwrite and not resume:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise ChromaIOError(
            f"{first_output!r}{more} exists; pass --resume to continue the shot, or --overwrite "
            f"to render again (the old frames move to {RETAINED}/)"
        )
    notes = list(notes)
    if resume and existing:
        notes.append(f"{len(existing)} frame(s) after the last saved state exist but were not finished; "
                     f"rendering them again (the old files move to {RETAINED}/)")
    return RunPlan(start, targets[-1], targets, existing, notes)


def plan_shot(shot: Shot, layout: ShotLayout, store: StateStore, frames: str | None = None, resume: bool = False,
              overwrite: bool = False, settings_changed: bool = False) -> RunPlan:
    """Plan a run of a shot from what is on disk; refuses surprises before any work.

    - no option: every frame; refused if any output exists.
    - ``resume``: continue after the last saved state (frames already finished stay).
    - ``frames``: a frame set in file numbers (``1010-1020``); rendered from the nearest
      saved state before it (frames between are rendered again, not written).
    - ``overwrite``: existing outputs in the range are moved to ``retained/`` and
      rendered again.

    Parameters
    ----------
    shot : chroma.shot.Shot
        The validated shot.
    layout : chroma.pipeline.layout.ShotLayout
        Its files.
    store : chroma.pipeline.store.StateStore
        Its saved states.
    frames : str or None, optional
        Frame set in file numbers; None for every frame.
    resume : bool, optional
        Continue after the last saved state. Default False.
    overwrite : bool, optional
        Render existing outputs again, keeping the old files in ``retained/``.
    settings_changed : bool, optional
        Continue from saved states made with other settings, on purpose (after the
        collapse guard stopped a shot, say); otherwise they are refused
        (:func:`check_settings`). Default False.

    Returns
    -------
    RunPlan
        The frames to render and write, and notes for the user.

    Raises
    ------
    chroma.shot.ShotError
        ``frames`` malformed or outside the shot; a plate or depth frame missing; a saved
        state continued from made with other settings (without ``settings_changed``).
    ChromaIOError
        Outputs exist (without ``resume`` or ``overwrite``), would replace an input, or
        cannot be written.
    """
    first = shot.output.first_frame
    targets = wanted_frames(frames, first, shot.max_frames)
    states = store.saved()
    cadence = shot.animation.cadence
    if cadence > 1:  # states are saved after key frames only; a segment starts from one (render.cadence)
        from render.cadence import is_key

        states = [s for s in states if is_key(s, shot.max_frames, cadence)]
    check_writable(layout)
    start, targets, notes = choose_start(targets, states, resume, store.problem, layout.state_path, first)
    if not targets:
        return RunPlan(start, start, [], [], [f"all {shot.max_frames} frames are done"])
    if not settings_changed:
        check_settings(start, states, store.settings_hash, shot.settings_hash, first, shot.max_frames)
    last = targets[-1]
    if cadence > 1:
        from render.cadence import next_key

        last = next_key(last, shot.max_frames, cadence)  # the frames between need the key after them
    check_not_inputs(shot, layout, targets)
    shot.check_inputs(range(start + 1, last + 1))  # plates and depth of every frame rendered, before models load
    existing = [i for i in targets if _outputs(layout, i)]  # the EXR, or a DD-named PNG (DD's own among them)
    plan = finish_plan(start, targets, existing, resume, overwrite, notes,
                       str(_outputs(layout, existing[0])[0]) if existing else "")
    if last > plan.last:
        plan.last = last
        plan.notes.append(f"rendering on to key frame {first + last} (not written) for the frames before it")
    return plan


def _outputs(layout: ShotLayout, index: int) -> list[Path]:
    """The files of a frame that exist: its EXR and its DD-named PNG (``[output] dd_png``)."""
    return [p for p in (layout.path(index), layout.dd_png_path(index)) if p is not None and p.exists()]


def check_writable(layout: ShotLayout) -> None:
    """Refuse an output folder that cannot be made or written.

    Read-only, on a read-only file system, or under a file; the same for the state,
    preview and retained folders where they exist.

    Parameters
    ----------
    layout : chroma.pipeline.layout.ShotLayout
        The shot's files.

    Raises
    ------
    ChromaIOError
        A folder cannot be made or written; the message says which and what to do.
    """
    from chroma.errors import ChromaIOError

    out_dir = layout.out_dir
    for folder in (out_dir, layout.state_dir, out_dir / PREVIEW, out_dir / RETAINED):
        if folder != out_dir and not folder.exists():
            continue  # made inside out_dir, checked first
        here = folder.absolute()
        while not here.exists() and here != here.parent:
            here = here.parent
        if not here.is_dir():
            raise ChromaIOError(f"the output folder {str(folder)!r} cannot be made: {str(here)!r} is a file; "
                                "change [output] pattern")
        if not os.access(here, os.W_OK | os.X_OK):
            what = "the output folder" if here == folder.absolute() else f"the folder {str(folder)!r} would go in"
            raise ChromaIOError(f"{what} {str(here)!r} is not writable; make it writable or change [output] "
                                "pattern")


def check_not_inputs(shot: Shot, layout: ShotLayout, targets: list[int]) -> None:
    """Refuse a shot whose output would replace one of its inputs.

    The plate, the depth sequence, the init image, an image prompt, by any spelling
    (:func:`chroma.io.same_file`).

    Parameters
    ----------
    shot : chroma.shot.Shot
        The shot.
    layout : chroma.pipeline.layout.ShotLayout
        Its files.
    targets : list of int
        Shot indices to be written.

    Raises
    ------
    ChromaIOError
        An output is an input.
    """
    from chroma import io, sequence
    from chroma.errors import ChromaIOError
    from render.prompts import parse_prompt

    a = shot.animation
    singles = [shot.resolve(shot.init_image)] if shot.init_image else []
    for entries in shot.image_prompts.values():
        singles += [shot.resolve(parse_prompt(e, "image").value) for e in entries]
    per_frame = [sequence.parse_pattern(p) for p in (a.video_init_path, a.depth if a.depth != "estimate"
                                                      else "") if p]
    for i in targets:
        out = layout.path(i)
        if not out.exists():  # then no existing input can be this file
            continue
        frame = shot.output.first_frame + i
        for src in [*singles, *(pat.path(frame) for pat in per_frame)]:
            if os.path.exists(src) and io.same_file(out, src):
                raise ChromaIOError(f"the output {str(out)!r} is the input {src!r}; write the shot elsewhere")
