"""Shots and edits on a farm, and splitting a long shot into an edit.

A frame-to-frame shot is one resumable task, a shot of independent frames runs in
chunks, an edit renders its shots in parallel with OKLab crossfades at the seams.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Union, cast

from chroma.errors import ChromaError
from chroma.farm.cluster import (
    Farm,
    FarmError,
    Job,
    Task,
    chunk_tasks,
    clear_partial,
    done_by,
    report,
    run_tasks,
    using,
)

if TYPE_CHECKING:
    from chroma.oklab.convert import Space
    from chroma.pipeline import RunPlan
    from chroma.shot import OutputSpec, Shot

#: an OCIO config as chroma takes it: a path, a name, or None for chroma's default
Config = Union[str, "os.PathLike[str]", None]

FEED_FORWARD_MODES = ("2D", "3D")  # render/animation.py: only these warp the previous frame into the next


def frames_feed_forward(shot: Shot) -> bool:
    """Tell whether each frame of ``shot`` starts from the previous one, warped.

    Modes 2D and 3D feed forward, so the shot must render in order; "None" and "Video"
    frames are independent.

    Parameters
    ----------
    shot : chroma.shot.Shot
        A loaded shot.

    Returns
    -------
    bool
        True for animation modes 2D and 3D.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``: in 2D/3D each frame's init is the previous frame
    warped; "Video" inits from the video's frames; "None" from noise or the init image.
    """
    return shot.animation_mode in FEED_FORWARD_MODES


def _runner(shot_path: str, config: Config, overrides: Mapping[str, Any], job: Job, independent: bool) -> Any:
    from chroma.pipeline import ShotRunner
    from chroma.shot import load_shot

    shot = load_shot(shot_path, config=config)
    shot.render.update(overrides)

    class FarmRunner(ShotRunner):
        def load_state(self, index: int) -> Any:
            if independent:  # nothing flows from frame to frame: an empty state is exact
                from render.animation import LoopState

                return LoopState(index=index)
            return super().load_state(index)

        def write_nuke_script(self) -> Any:  # once, by the client, when every task is done
            return None

    runner = FarmRunner(shot, config=config)
    runner.on_frame = lambda r: report(job, str(runner.path(r.index))) if r.path else None
    return runner


def _shot_serial(shot_path: str, config: Config, overrides: Mapping[str, Any], start: int, last: int, write: list[int],
                 replace: list[int], job: Job) -> list:
    """A frame-to-frame shot: one task, in order; run again (a lost worker), it resumes
    after the last state this job saved."""
    from chroma.pipeline import RunPlan

    runner = _runner(shot_path, config, overrides, job, False)
    ours = [s for s in runner.saved_states() if start < s <= last and done_by(job, runner.state_path(s))]
    if ours:
        start = max(ours)
        for i in write:
            if i <= start:
                report(job, str(runner.path(i)))
    write = [i for i in write if i > start]
    replace = [i for i in replace if i in write and runner.path(i).exists() and not done_by(job, runner.path(i))]
    if write:
        for i in write:
            clear_partial(runner.path(i))
        runner.run(RunPlan(start, last, write, replace))
    return []


def render_frames(shot_path: str, config: Config, overrides: Mapping[str, Any], indices: list[int], replace: list[int],
                job: Job) -> list:
    """Render frames of a shot whose frames are independent, each from an empty loop state.

    The farm task of a "None" or "Video" shot (and what ``chroma farm task SHOT --frames``
    runs on an OpenCue node). A frame this job already wrote is reported and skipped; a
    partial temporary file of a killed writer is removed first.

    Parameters
    ----------
    shot_path : str
        The shot file.
    config : str or None
        The OCIO config (path or name), None for chroma's default.
    overrides : Mapping[str, Any]
        Render settings replacing the shot's (``device``, ``precision``...).
    indices : list[int]
        0-based frame indices of the shot to render.
    replace : list[int]
        Of those, the indices whose existing files move to ``retained/`` (``--overwrite``).
    job : Job
        The run these frames belong to (progress topic and start time).

    Returns
    -------
    list
        Always empty: failures are raised, as :func:`run_tasks` expects.
    """
    from chroma.pipeline import RunPlan

    runner = _runner(shot_path, config, overrides, job, True)
    for i in indices:
        if done_by(job, runner.path(i)):
            report(job, str(runner.path(i)))
            continue
        clear_partial(runner.path(i))
        rep = [i] if i in replace and runner.path(i).exists() else []
        runner.run(RunPlan(i - 1, i, [i], rep))
    return []


def shot_tasks(shot: Shot, shot_path: str, plan: RunPlan, job: Job, config: Config = None,
               overrides: Mapping[str, Any] | None = None, chunk: int | None = None, workers: int = 1,
               prefix: str = "shot") -> list[Task]:
    """Build the tasks that render ``plan`` of ``shot``.

    One in-order task for a frame-to-frame shot, chunks of frames otherwise. Each asks
    for the worker resource ``GPU=1`` unless the shot's device is the CPU.

    Parameters
    ----------
    shot : chroma.shot.Shot
        The loaded shot.
    shot_path : str
        Its file (the workers load it again).
    plan : chroma.pipeline.RunPlan
        Which frames to render and write (:meth:`chroma.pipeline.ShotRunner.plan`).
    job : Job
        The run the tasks report to.
    config : str, os.PathLike or None, optional
        The OCIO config; None for chroma's default.
    overrides : Mapping[str, Any] or None, optional
        Render settings replacing the shot's (``device``, ``precision``).
    chunk : int or None, optional
        Frames per task of an independent-frame shot; default about four per worker.
    workers : int, optional
        Workers of the farm (default 1), for the default chunk.
    prefix : str, optional
        The tasks' key prefix (default ``"shot"``).

    Returns
    -------
    list[Task]
        The tasks; empty when the plan writes nothing.
    """
    overrides = dict(overrides or {})
    gpu = str(shot.render.get("device") or "").lower() != "cpu"
    if not plan.write:
        return []
    if frames_feed_forward(shot):
        return [Task(prefix, _shot_serial, (shot_path, config, overrides, plan.start, plan.last, list(plan.write),
                                            list(plan.replace), job), len(plan.write), gpu=gpu)]
    return chunk_tasks(prefix, render_frames, list(plan.write),
                       lambda c: (shot_path, config, overrides, c, list(plan.replace), job), chunk, workers, gpu=gpu)


def _check_render() -> None:
    try:
        import render  # noqa: F401
    except ImportError as exc:
        raise ChromaError(f"the renderer is not installed ({exc.name or exc}); install it with: "
                          'pip install "chroma-vfx[render]"') from None


def render_shot(farm: "Farm | str", shot_path: str | os.PathLike, config: Config = None, frames: str | None = None,
                resume: bool = False, overwrite: bool = False, overrides: Mapping[str, Any] | None = None,
                chunk: int | None = None, quiet: bool = False, notes: bool = True) -> list[tuple[str, str]]:
    """Render a shot on a farm (``chroma render SHOT.toml --farm ...``).

    Plan on the client (every refusal before any work), check the models, render on the
    farm, then write the Nuke script.

    Parameters
    ----------
    farm : Farm or str
        An open farm or a ``--farm`` spec.
    shot_path : str or os.PathLike
        The shot file.
    config : str, os.PathLike or None, optional
        The OCIO config; None for chroma's default.
    frames : str or None, optional
        Frames to render (file numbers, ``1001-1010``), as
        :meth:`chroma.pipeline.ShotRunner.plan`; None for all.
    resume : bool, optional
        Continue after the last saved state (default False).
    overwrite : bool, optional
        Render again; old frames move to ``retained/`` (default False).
    overrides : Mapping[str, Any] or None, optional
        Render settings replacing the shot's (``device``, ``precision``).
    chunk : int or None, optional
        Frames per task when the shot's frames are independent.
    quiet : bool, optional
        No progress bar (default False).
    notes : bool, optional
        Print the plan's notes (default True; the CLI has printed them already).

    Returns
    -------
    list[tuple[str, str]]
        (task key or path, reason) of every failure.

    Raises
    ------
    chroma.errors.ChromaError
        The shot is invalid, the renderer is not installed, the plan is refused, or a
        model is missing.
    """
    from chroma.pipeline import ShotRunner
    from chroma.shot import load_shot

    shot_path = os.path.abspath(shot_path)
    shot = load_shot(shot_path, config=config)
    _check_render()
    shot.render.update(overrides or {})
    runner = ShotRunner(shot, config=config)
    plan = runner.plan(frames, resume=resume, overwrite=overwrite)
    for note in plan.notes if notes else ():
        print(f"chroma render: note: {note}", file=sys.stderr)
    if not plan.write:
        return []
    runner.check_models()
    job = Job.start()
    runner.out_dir.mkdir(parents=True, exist_ok=True)
    with using(farm) as farm:
        tasks = shot_tasks(shot, shot_path, plan, job, config, overrides, chunk, farm.workers)
        failures = run_tasks(farm, tasks, "frames", job, quiet)
    runner.write_nuke_script()
    return failures


# ==================================================================================== edits


@dataclass(frozen=True)
class EditShot:
    """One shot of an edit.

    Attributes
    ----------
    path : str
        The shot file (absolute).
    crossfade : int
        Frames of the crossfade into this shot from the previous one (0 for the first).
    """

    path: str
    crossfade: int


@dataclass
class Edit:
    """An edit file: shots in order, crossfades at the seams, the conformed sequence.

    ``starts[i]`` is shot i's first frame in the edit (0-based): each shot overlaps the
    previous one by its crossfade.

    Attributes
    ----------
    path : pathlib.Path
        The edit file (absolute).
    output : str
        The edit's sequence pattern (absolute).
    first_frame : int
        The frame number of the edit's first frame.
    shots : list[EditShot]
        The shots in order.
    lengths : list[int]
        Each shot's ``max_frames``.
    curve : str
        The crossfade curve (:func:`chroma.oklab.crossfade_weights`).
    space : {"oklab", "oklch", "linear", "srgb"}
        The space the crossfades blend in.
    dtype : str
        The EXR pixel type of the crossfade frames (``half``, ``float``).
    compression : str
        The EXR compression of the crossfade frames.
    """

    path: Path
    output: str
    first_frame: int
    shots: list[EditShot]
    lengths: list[int]
    curve: str = "smooth"
    space: Space = "oklab"
    dtype: str = "half"
    compression: str = "zip"

    @property
    def starts(self) -> list[int]:
        """Each shot's first frame in the edit, 0-based (shots overlap by their crossfades).

        Returns
        -------
        list[int]
            Frame offsets from the edit's first frame.
        """
        out = [0]
        for i in range(1, len(self.shots)):
            out.append(out[-1] + self.lengths[i - 1] - self.shots[i].crossfade)
        return out

    @property
    def length(self) -> int:
        """The edit's length.

        Returns
        -------
        int
            Frames from the first shot's first frame to the last shot's last.
        """
        return self.starts[-1] + self.lengths[-1]

    def seam_frames(self, i: int) -> list[int]:
        """Give the edit's frame numbers of the crossfade into shot ``i``.

        Parameters
        ----------
        i : int
            The shot, 0-based (>= 1: shot 0 has no crossfade in).

        Returns
        -------
        list[int]
            Frame numbers (with ``first_frame``), empty for a cut.
        """
        s = self.starts[i]
        return [self.first_frame + s + k for k in range(self.shots[i].crossfade)]


def load_edit(path: str | os.PathLike, config: Config = None) -> Edit:
    """Read and check an edit file (format in docs/farm.md).

    Every shot is loaded and the crossfades checked against the shots' lengths. An edit
    looks like this::

        output = "edit/edit.####.exr"   # the conformed cut
        first_frame = 1001
        crossfade = 12                  # frames at every seam (default 0: a cut)
        curve = "smooth"                # chroma.oklab.crossfade's curves
        space = "oklab"                 # oklab, oklch, linear, srgb
        [[shots]]
        file = "sh010.toml"
        [[shots]]
        file = "sh020.toml"
        crossfade = 8                   # this seam's length, into this shot

    Parameters
    ----------
    path : str or os.PathLike
        The edit file; shot files and ``output`` are relative to its folder.
    config : str, os.PathLike or None, optional
        The OCIO config the shots are checked with; None for chroma's default.

    Returns
    -------
    Edit
        The checked edit.

    Raises
    ------
    FarmError
        Unreadable or invalid TOML, no ``[[shots]]``, an unknown key, no ``output`` or
        one without a frame token, a shot without ``file``, an unknown space, or a
        crossfade that does not fit its shots.
    chroma.errors.ChromaError
        A shot file is invalid, or the curve is unknown.
    """
    from chroma import sequence
    from chroma.shot import load_shot

    path = Path(path).resolve()
    data = read_job(path)
    if not is_edit(data):
        raise FarmError(f"{path}: an edit lists its shots as [[shots]] tables with file = \"sh010.toml\"")
    known = {"output", "first_frame", "crossfade", "curve", "space", "dtype", "compression", "shots"}
    extra = sorted(set(data) - known)
    if extra:
        raise FarmError(f"{path}: unknown key {extra[0]!r}; an edit has {', '.join(sorted(known))}")
    if "output" not in data:
        raise FarmError(f"{path}: give output = \"edit/edit.####.exr\", the conformed sequence")
    out = data["output"] if os.path.isabs(data["output"]) else str(path.parent / data["output"])
    if not sequence.parse_pattern(out).is_sequence:
        raise FarmError(f"{path}: output {data['output']!r} needs a frame token, e.g. edit.####.exr")
    default_fade = int(data.get("crossfade", 0))
    shots: list[EditShot] = []
    lengths: list[int] = []
    outputs: list[OutputSpec] = []
    for i, entry in enumerate(data["shots"]):
        if "file" not in entry:
            raise FarmError(f"{path}: shot {i + 1} has no file = \"...\"")
        file = str((path.parent / entry["file"]).resolve())
        shot = load_shot(file, config=config)
        fade = 0 if i == 0 else int(entry.get("crossfade", default_fade))
        if fade < 0 or (i and fade > min(lengths[-1], shot.max_frames)):
            raise FarmError(f"{path}: shot {i + 1} ({entry['file']}): a crossfade of {fade} frames does not fit "
                            f"shots of {lengths[-1] if i else 0} and {shot.max_frames} frames")
        shots.append(EditShot(file, fade))
        lengths.append(shot.max_frames)
        outputs.append(shot.output)
    for i, n in enumerate(lengths):
        tail = shots[i + 1].crossfade if i + 1 < len(shots) else 0
        if shots[i].crossfade + tail > n:
            raise FarmError(f"{path}: shot {i + 1} has {n} frames, fewer than its two crossfades "
                            f"({shots[i].crossfade} + {tail}); shorten them")
    first_frame = int(data.get("first_frame", 1001))
    _check_edit_output(path, str(data["output"]), out, first_frame, shots, lengths, outputs)
    from chroma.oklab.convert import SPACES
    from chroma.oklab.frames import crossfade_weights

    curve = str(data.get("curve", "smooth"))
    crossfade_weights(2, curve)  # an unknown curve fails here
    space = str(data.get("space", "oklab"))
    if space not in SPACES:  # and an unknown space here, before any render
        raise FarmError(f"{path}: space {space!r} is not one of {', '.join(SPACES)}")
    return Edit(path, out, first_frame, shots, lengths, curve, cast("Space", space),
                str(data.get("dtype", "half")), str(data.get("compression", "zip")))


def _check_edit_output(path: Path, spelled: str, out: str, first_frame: int, shots: list[EditShot], lengths: list[int],
                       outputs: list[OutputSpec]) -> None:
    """Refuse an edit whose frames would replace its shots' frames, shot files or itself,
    or two of whose shots write the same frames.

    The edit's frames go through the one output check (:func:`chroma.io.check_outputs`,
    same file by any spelling) with every shot's frames as inputs, before any work: a
    conform would copy a frame onto itself and a crossfade would find its input replaced.
    The shots' frames go through it together: two renders would write the same files.
    """
    from chroma import sequence
    from chroma.errors import ChromaIOError
    from chroma.io import check_outputs

    frames = [[o.path(k) for k in range(n)] for o, n in zip(outputs, lengths)]
    files = [str(path), *(es.path for es in shots)]
    try:
        check_outputs([f for fs in frames for f in fs], files, overwrite=True, create_folders=True, dry_run=True)
    except ChromaIOError as exc:
        for j in range(1, len(shots)):
            for i in range(j):
                try:
                    check_outputs(frames[i] + frames[j], files, overwrite=True, create_folders=True, dry_run=True)
                except ChromaIOError:
                    raise FarmError(f"{path}: shots {i + 1} ({Path(shots[i].path).name}) and {j + 1} "
                                    f"({Path(shots[j].path).name}) write the same frames ({exc}); give each shot "
                                    "its own output pattern") from None
        raise FarmError(f"{path}: {exc}") from None

    starts = [0]
    for i in range(1, len(shots)):
        starts.append(starts[-1] + lengths[i - 1] - shots[i].crossfade)
    pattern = sequence.parse_pattern(out)
    targets = [pattern.path(first_frame + k) for k in range(starts[-1] + lengths[-1])]

    def check(inputs: list[str]) -> None:
        check_outputs(targets, inputs, overwrite=True, create_folders=True, dry_run=True)

    try:
        check([*files, *(f for fs in frames for f in fs)])
    except ChromaIOError as exc:
        for i, (es, o, fs) in enumerate(zip(shots, outputs, frames)):
            try:
                check([es.path, *fs])
            except ChromaIOError:
                raise FarmError(f"{path}: the edit's output {spelled!r} writes over shot {i + 1} "
                                f"({Path(es.path).name}, output {o.pattern!r}): {exc}; give the edit an "
                                "output of its own, e.g. \"edit/edit.####.exr\"") from None
        raise FarmError(f"{path}: {exc}") from None


def read_job(path: str | os.PathLike) -> dict[str, Any]:
    """Read a job file (an edit or a shot) as TOML.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    dict[str, Any]
        The parsed file (:func:`is_edit` tells an edit from a shot).

    Raises
    ------
    FarmError
        The file cannot be read or is not valid TOML.
    """
    from chroma.shot import tomlreader

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise FarmError(f"cannot read the job file {os.fspath(path)!r}: {why}") from None
    try:
        return tomlreader.loads(text)
    except tomlreader.TOMLDecodeError as exc:
        raise FarmError(f"{os.fspath(path)}: not valid TOML: {exc}") from None


def is_edit(data: Mapping[str, Any]) -> bool:
    """Tell whether parsed TOML is an edit (a ``[[shots]]`` array) rather than a shot.

    Parameters
    ----------
    data : Mapping[str, Any]
        The parsed file.

    Returns
    -------
    bool
        True when ``shots`` is a non-empty array of tables.
    """
    shots = data.get("shots")
    return isinstance(shots, list) and all(isinstance(s, Mapping) for s in shots) and bool(shots)


def _atomic_copy(src: str, dst: str) -> None:
    from chroma.io import atomic_path

    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def conform(edit_path: str, i: int, job: Job | None = None, config: Config = None) -> list:
    """Copy shot ``i``'s frames outside its seams into the edit's sequence.

    The farm task of a conform layer (``chroma farm task EDIT --conform I``). Each copy
    is atomic; a frame this job already wrote is skipped.

    Parameters
    ----------
    edit_path : str
        The edit file.
    i : int
        The shot, 0-based.
    job : Job or None, optional
        The run to report to and to skip frames of; None copies every frame.
    config : str, os.PathLike or None, optional
        The OCIO config; None for chroma's default.

    Returns
    -------
    list
        Always empty: failures are raised.

    Raises
    ------
    FarmError
        ``i`` is not a shot of the edit.
    chroma.errors.ChromaError
        The edit or a shot is invalid.
    """
    from chroma import sequence
    from chroma.shot import load_shot

    edit = load_edit(edit_path, config)
    if not 0 <= i < len(edit.shots):
        raise FarmError(f"{edit.path}: no shot {i}; its shots are 0 to {len(edit.shots) - 1} (0-based)")
    shot = load_shot(edit.shots[i].path, config=config)
    out = sequence.parse_pattern(edit.output)
    head = edit.shots[i].crossfade
    tail = edit.shots[i + 1].crossfade if i + 1 < len(edit.shots) else 0
    Path(out.path(edit.first_frame)).parent.mkdir(parents=True, exist_ok=True)
    for k in range(head, shot.max_frames - tail):
        dst = out.path(edit.first_frame + edit.starts[i] + k)
        if job is None or not done_by(job, dst):
            _atomic_copy(shot.output.path(k), dst)
        if job is not None:
            report(job, dst)
    return []


def seam(edit_path: str, i: int, job: Job | None = None, config: Config = None) -> list:
    """Write the crossfade into shot ``i`` of an edit.

    The previous shot's last frames blend into this shot's first
    (:func:`chroma.oklab.mix_images` at :func:`chroma.oklab.crossfade_weights` over the
    seam), written to the edit's frames. The farm task of a crossfade layer
    (``chroma farm task EDIT --seam I``). Each frame's header names both shots and the
    blend weight (:func:`seam_metadata`).

    Parameters
    ----------
    edit_path : str
        The edit file.
    i : int
        The shot faded into, 0-based, at least 1.
    job : Job or None, optional
        The run to report the frames to.
    config : str, os.PathLike or None, optional
        The OCIO config; None for chroma's default.

    Returns
    -------
    list
        Always empty: failures are raised.

    Raises
    ------
    FarmError
        ``i`` is not a seam of the edit.
    chroma.errors.ChromaError
        The edit or a shot is invalid, a frame cannot be read, or an output is refused
        (:func:`chroma.io.check_outputs`).
    """
    from chroma import io, ocio, oklab, sequence
    from chroma.shot import load_shot

    edit = load_edit(edit_path, config)
    if not 1 <= i < len(edit.shots):
        raise FarmError(f"{edit.path}: no seam {i}; the seams are 1 to {len(edit.shots) - 1} "
                        f"(into shots 2 to {len(edit.shots)})" if len(edit.shots) > 1 else
                        f"{edit.path}: one shot, no seam")
    a, b = (load_shot(edit.shots[j].path, config=config) for j in (i - 1, i))
    frames = edit.seam_frames(i)
    if not frames:
        return []
    out = sequence.parse_pattern(edit.output)
    n = len(frames)
    pairs = [(a.output.path(a.max_frames - n + k), b.output.path(k)) for k in range(n)]
    targets = [out.path(f) for f in frames]
    io.check_outputs(targets, [p for pair in pairs for p in pair], overwrite=True, create_folders=True)
    weights = oklab.crossfade_weights(n, edit.curve)
    cs = ocio.resolve_colorspace("ACEScg", config)
    for k, (f, (pa, pb), target) in enumerate(zip(frames, pairs, targets)):
        ia, ib = io.read(pa, config=config), io.read(pb, config=config)
        img = oklab.mix_images(ia, ib, float(weights[k]), edit.space, colorspace=cs, config=config)
        sides = ((edit.shots[i - 1].path, pa, a.output.first_frame + a.max_frames - n + k, ia.metadata),
                 (edit.shots[i].path, pb, b.output.first_frame + k, ib.metadata))
        img.metadata = seam_metadata(img.metadata, sides, f, float(weights[k]), edit.curve)
        io.write(img, target, dtype=cast(Any, edit.dtype), compression=edit.compression, config=config)
        if job is not None:
            report(job, target)
    return []


SeamSide = tuple[str, str, int, Mapping[str, Any]]


def seam_metadata(blended: Mapping[str, Any], sides: tuple[SeamSide, SeamSide], frame: int, weight: float,
                  curve: str) -> dict[str, Any]:
    """The header of a seam frame: both shots, their frames and the blend weight.

    Each side's ``chroma/`` attributes (shot, frame, prompts, seed, settings...) move
    under ``chroma/seam/a/`` and ``chroma/seam/b/``, so no top-level attribute claims
    the frame is one shot's; ``chroma/seam`` says it in one line.

    Parameters
    ----------
    blended : Mapping[str, Any]
        The blended image's metadata (:func:`chroma.oklab.mix_images`: shot A's plus
        ``chroma/blend/*``).
    sides : tuple of two (str, str, int, Mapping[str, Any])
        Shot A and shot B, each as (shot file, frame file, frame number in the shot's
        sequence, the frame's header).
    frame : int
        The edit's frame number.
    weight : float
        The blend weight: 0 is all of shot A, 1 all of shot B.
    curve : str
        The crossfade curve (:func:`chroma.oklab.crossfade_weights`).

    Returns
    -------
    dict[str, Any]
        The header attributes.
    """
    meta = {k: v for k, v in blended.items() if not k.startswith("chroma/") or k.startswith("chroma/blend/")}
    for tag, (shot, file, number, header) in zip("ab", sides):
        meta.update({f"chroma/seam/{tag}/{k[7:]}": v for k, v in header.items()
                     if k.startswith("chroma/") and not k.startswith(("chroma/blend/", "chroma/seam"))})
        meta.update({f"chroma/seam/{tag}/shot": shot, f"chroma/seam/{tag}/frame": number,
                     f"chroma/seam/{tag}/file": file, f"chroma/blend/{tag}": file})
    (sa, _, fa, _), (sb, _, fb, _) = sides
    meta.update({
        "chroma/frame": frame, "chroma/blend/t": weight, "chroma/blend/curve": curve, "chroma/seam/weight": weight,
        "chroma/seam": f"{Path(sa).name} frame {fa} x {1 - weight:.6g} + {Path(sb).name} frame {fb} x {weight:.6g}",
    })
    return meta


def edit_tasks(edit: Edit, job: Job, config: Config = None, resume: bool = False, overwrite: bool = False,
               chunk: int | None = None, workers: int = 1) -> list[Task]:
    """Build the tasks of an edit.

    Each shot's render tasks (planned here, refusals first), a conform task per shot
    after them, and a crossfade task per seam after both of its shots.

    Parameters
    ----------
    edit : Edit
        The loaded edit.
    job : Job
        The run the tasks report to.
    config : str, os.PathLike or None, optional
        The OCIO config; None for chroma's default.
    resume : bool, optional
        Continue each shot after its last saved state (default False).
    overwrite : bool, optional
        Render again; old frames move to ``retained/`` (default False).
    chunk : int or None, optional
        Frames per task of independent-frame shots.
    workers : int, optional
        Workers of the farm (default 1), for the default chunk.

    Returns
    -------
    list[Task]
        The tasks, with their dependencies.
    """
    from chroma.pipeline import ShotRunner
    from chroma.shot import load_shot

    tasks: list[Task] = []
    renders: list[list[str]] = []
    for i, es in enumerate(edit.shots):
        shot = load_shot(es.path, config=config)
        runner = ShotRunner(shot, config=config)
        plan = runner.plan(None, resume=resume, overwrite=overwrite)
        runner.out_dir.mkdir(parents=True, exist_ok=True)
        ts = shot_tasks(shot, es.path, plan, job, config, None, chunk, workers, prefix=f"shot{i + 1:02d}")
        tasks += ts
        renders.append([t.key for t in ts])
    for i, es in enumerate(edit.shots):
        tail = edit.shots[i + 1].crossfade if i + 1 < len(edit.shots) else 0
        tasks.append(Task(f"conform{i + 1:02d}", conform, (str(edit.path), i, job, config),
                          edit.lengths[i] - es.crossfade - tail, renders[i]))
        if i:
            tasks.append(Task(f"crossfade{i:02d}-{i + 1:02d}", seam, (str(edit.path), i, job, config), es.crossfade,
                              renders[i - 1] + renders[i]))
    return tasks


def render_edit(farm: "Farm | str", edit_path: str | os.PathLike, config: Config = None, resume: bool = False,
                overwrite: bool = False, chunk: int | None = None, quiet: bool = False) -> list[tuple[str, str]]:
    """Render an edit on the farm: shots in parallel, then the conform and the crossfades.

    The models of every shot are checked first; each shot's Nuke script is written at
    the end.

    Parameters
    ----------
    farm : Farm or str
        An open farm or a ``--farm`` spec.
    edit_path : str or os.PathLike
        The edit file.
    config : str, os.PathLike or None, optional
        The OCIO config; None for chroma's default.
    resume : bool, optional
        Continue each shot after its last saved state (default False).
    overwrite : bool, optional
        Render again; old frames move to ``retained/`` (default False).
    chunk : int or None, optional
        Frames per task of independent-frame shots.
    quiet : bool, optional
        No progress bar (default False).

    Returns
    -------
    list[tuple[str, str]]
        (task key or path, reason) of every failure.

    Raises
    ------
    FarmError
        The edit file is invalid.
    chroma.errors.ChromaError
        The renderer is not installed or a model is missing.
    """
    from chroma.pipeline import ShotRunner
    from chroma.shot import load_shot

    edit = load_edit(edit_path, config)
    _check_render()
    for es in edit.shots:
        ShotRunner(load_shot(es.path, config=config), config=config).check_models()
    job = Job.start()
    with using(farm) as farm:
        tasks = edit_tasks(edit, job, config, resume, overwrite, chunk, farm.workers)
        failures = run_tasks(farm, tasks, "frames", job, quiet)
    for es in edit.shots:
        ShotRunner(load_shot(es.path, config=config), config=config).write_nuke_script()
    return failures


# ================================================================================ splitting


def _shift_keys(table: Mapping[str, Any], s: int, e: int) -> dict[str, Any]:
    """Re-key a frame-keyed table (string keys) to a part of frames ``s`` .. ``e - 1``.

    The key held at ``s`` becomes key 0; keys inside the part shift by ``-s``.
    """
    keys = sorted(int(k) for k in table)
    held = [k for k in keys if k <= s]
    out: dict[str, Any] = {}
    if held:
        out["0"] = table[str(held[-1])]
    for k in keys:
        if s < k < e:
            out[str(k - s)] = table[str(k)]
    return out


def split_shot(shot_path: str | os.PathLike, max_frames: int, at: Iterable[int] = (), crossfade: int = 0,
               config: Config = None, overwrite: bool = False,
               overwrite_hint: str = "pass overwrite=True to replace it") -> Path:
    """Split a long shot into shots of at most ``max_frames`` frames and write an edit of them.

    Cuts fall on the frame indices in ``at`` where they can (section or line boundaries
    from ``chroma sync``), else every ``max_frames - crossfade`` frames. Consecutive parts
    overlap by ``crossfade`` frames: the edit crossfades them (a frame-to-frame shot
    restarts at each part, so a seam needs a dissolve). Each part keeps the shot's settings
    with every keyframed schedule written out frame by frame (the values equal the
    original's), prompts re-keyed to the part, the seed advanced by the part's start
    (Disco Diffusion's ``seed + frame``), ``first_frame`` and the audio offset shifted.

    Parameters
    ----------
    shot_path : str or os.PathLike
        The shot file.
    max_frames : int
        The longest part, in frames.
    at : Iterable[int], optional
        Preferred cut points, 0-based frame indices of the shot (default none).
    crossfade : int, optional
        Frames of overlap at each seam, below ``max_frames`` (default 0: cuts).
    config : str, os.PathLike or None, optional
        The OCIO config the shot is checked with; None for chroma's default.
    overwrite : bool, optional
        Replace part and edit files that exist (default False); the shot file itself is
        never replaced.
    overwrite_hint : str, optional
        How to allow replacing, in the caller's words (``--overwrite`` for the CLI).

    Returns
    -------
    pathlib.Path
        The edit file written beside the shot (``<stem>.edit.toml``); parts are
        ``<stem>_p01.toml``... beside it, writing ``<pattern stem>_p01.####.exr``...

    Raises
    ------
    FarmError
        ``crossfade`` negative or not below ``max_frames``, or ``max_frames`` below 1.
    chroma.errors.ChromaIOError
        A file to write is the shot file (by any spelling), or exists without
        ``overwrite`` (:func:`chroma.io.check_outputs`); nothing is written then.
    chroma.errors.ChromaError
        The shot file is invalid.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``: frame ``i`` of an animation uses ``seed + i``
    unless the seed is fixed.
    """
    from chroma.io import check_outputs, write_text
    from chroma.shot import dump_shot, load_shot

    shot_path = Path(shot_path).resolve()
    shot = load_shot(shot_path, config=config)
    if max_frames < 1:
        raise FarmError(f"split: the longest part must be at least 1 frame, not {max_frames}")
    if crossfade < 0 or max_frames <= crossfade:
        raise FarmError(f"split: max_frames ({max_frames}) must exceed the crossfade ({crossfade})")
    parts = _part_bounds(shot.max_frames, max_frames, at, crossfade)
    raw = read_job(shot_path)
    stem = shot_path.stem
    files: dict[Path, str] = {}
    edit_shots = []
    for p, (s, e) in enumerate(parts, 1):
        d = _part_settings(raw, shot, p, s, e)
        part = shot_path.with_name(f"{stem}_p{p:02d}.toml")
        files[part] = dump_shot(d, f"part {p} of {shot_path.name}: frames {s}-{e - 1} (chroma.farm.split_shot)")
        edit_shots.append({"file": part.name, "crossfade": crossfade if p > 1 else 0})
    edit_path = shot_path.with_name(f"{stem}.edit.toml")
    files[edit_path] = _edit_text(shot_path, shot, raw["output"]["pattern"], edit_shots, crossfade)
    check_outputs(list(files), [shot_path], overwrite=overwrite, images=False, overwrite_hint=overwrite_hint)
    for file, text in files.items():
        write_text(file, text)
    return edit_path


def _part_bounds(n: int, max_frames: int, at: Iterable[int], crossfade: int) -> list[tuple[int, int]]:
    """(start, end) frame indices of each part: cuts at the last preferred point that fits, else at the longest."""
    cuts = sorted({int(c) for c in at if 0 < int(c) < n})
    parts: list[tuple[int, int]] = []
    s = 0
    while n - s > max_frames:
        fits = [c for c in cuts if s < c and c + crossfade - s <= max_frames]
        b = fits[-1] if fits else s + max_frames - crossfade
        parts.append((s, b + crossfade))
        s = b
    parts.append((s, n))
    return parts


def _part_settings(raw: dict[str, Any], shot: Shot, p: int, s: int, e: int) -> dict[str, Any]:
    """The shot's settings for part ``p`` (frames ``s`` .. ``e - 1``): schedules written out, keys re-keyed."""
    n = shot.max_frames
    d = copy.deepcopy(raw)
    d["max_frames"] = e - s
    if shot.frame_seed(1) != shot.seed or n == 1:  # dd: seed + index
        d["seed"] = shot.seed + s
    if s > 0:
        d.pop("init_image", None)
    outp = d.setdefault("output", {})
    outp["pattern"] = re.sub(r"([._-]?)(#+|%0?\d*d|@+)", rf"_p{p:02d}\1\2", raw["output"]["pattern"], count=1)
    outp["first_frame"] = shot.output.first_frame + s
    for section in ("render", "animation"):
        sec = d.get(section, {})
        for name, values in shot.schedules.items():
            if isinstance(sec.get(name), str) and ":" in sec[name]:
                sec[name] = ", ".join(f"{k}: ({float(values[s + k])!r})" for k in range(e - s))
        for name, value in list(sec.items()):
            if isinstance(value, Mapping) and all(str(k).lstrip("-").isdigit() for k in value):
                sec[name] = _shift_keys({str(k): v for k, v in value.items()}, s, e)
    for table in ("prompts", "image_prompts"):
        if table in d:
            d[table] = _shift_keys({str(k): v for k, v in d[table].items()}, s, e)
    if "audio" in d:
        d["audio"]["offset"] = float(d["audio"].get("offset", 0.0)) + s / float(shot.output.fps)
    return d


def _edit_text(shot_path: Path, shot: Shot, pattern: str, edit_shots: list[dict[str, Any]], crossfade: int) -> str:
    """The text of ``<stem>.edit.toml`` listing the parts."""
    import tomlkit

    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"{shot_path.name} in {len(edit_shots)} parts (chroma.farm.split_shot)"))
    doc.add("output", re.sub(r"([._-]?)(#+|%0?\d*d|@+)", r"_edit\1\2", pattern, count=1))
    doc.add("first_frame", shot.output.first_frame)
    doc.add("crossfade", crossfade)
    aot = tomlkit.aot()
    for es in edit_shots:
        aot.append(tomlkit.item(es))
    doc.add("shots", aot)
    return tomlkit.dumps(doc)
