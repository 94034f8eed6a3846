"""Shots and edits as farm tasks: what each worker runs, and what the client plans.

A frame-to-frame shot (2D, 3D) is one resumable task that renders in order; a shot of
independent frames ("None", "Video") runs in chunks of frames; an edit renders its shots
in parallel, then conforms them and crossfades the seams (:mod:`chroma.farm.seams`).
Workers render through :class:`chroma.pipeline.ShotRunner` with the farm's state store
(:class:`chroma.farm.state.FarmStateStore`); the client plans, checks the models and
writes the Nuke scripts.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Mapping

from chroma.errors import ChromaError
from chroma.farm.cluster import (
    Farm,
    Job,
    Task,
    chunk_tasks,
    clear_partial,
    done_by,
    report,
    run_tasks,
    using,
)
from chroma.farm.edit import Config, Edit, load_edit
from chroma.farm.seams import conform, seam

if TYPE_CHECKING:
    from chroma.pipeline import RunPlan, ShotRunner
    from chroma.shot import Shot

__all__ = ["FEED_FORWARD_MODES", "edit_tasks", "frames_feed_forward", "render_edit", "render_frames", "render_shot",
           "shot_tasks"]

FEED_FORWARD_MODES = ("2D", "3D")  # the modes whose camera warps the previous frame (Video: Shot.feeds_forward)


def frames_feed_forward(shot: Shot) -> bool:
    """Tell whether each frame of ``shot`` starts from the previous one, warped.

    Modes 2D and 3D feed forward, and so does Video with the optical-flow warp (DD 5.7's
    default), so the shot must render in order; "None" frames and Video frames without the
    flow warp are independent.

    Parameters
    ----------
    shot : chroma.shot.Shot
        A loaded shot.

    Returns
    -------
    bool
        :attr:`chroma.shot.Shot.feeds_forward`: True in 2D and 3D, and in Video with
        ``video_init_flow_warp``.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``: in 2D/3D each frame's init is the previous frame
    warped; "Video" inits from the video's frames (DD 5.7: blended with the previous frame
    warped along the plate's flow); "None" from noise or the init image.
    """
    return shot.feeds_forward


def _runner(shot_path: str, config: Config, overrides: Mapping[str, Any], job: Job, independent: bool) -> ShotRunner:
    """A worker's runner: the farm's state store, no Nuke script (the client writes it once
    every task is done), each frame written reported to the job."""
    from chroma.farm.state import FarmStateStore
    from chroma.pipeline import LocalStateStore, ShotLayout, ShotRunner
    from chroma.pipeline.nukescript import NoNukeScript
    from chroma.shot import load_shot

    shot = load_shot(shot_path, config=config)
    shot.render.update(overrides)
    local = LocalStateStore(ShotLayout(shot.output), shot.max_frames, shot.animation.state_every, shot.animation.cadence)
    runner = ShotRunner(shot, config=config, store=FarmStateStore(local, independent), nuke=NoNukeScript())
    runner.on_frame = lambda r: report(job, str(runner.path(r.index))) if r.path else None
    return runner


def _shot_serial(shot_path: str, config: Config, overrides: Mapping[str, Any], start: int, last: int, write: list[int],
                 replace: list[int], job: Job) -> list[tuple[str, str]]:
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
                job: Job) -> list[tuple[str, str]]:
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
    list of (str, str)
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
