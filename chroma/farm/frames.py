"""Frame-independent commands on a farm.

``chroma grade`` sends the compiled grade to the workers; any other command whose frames
are independent (``chroma convert``) runs frame by frame.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Sequence

from chroma.errors import ChromaError
from chroma.farm.cluster import (
    Farm,
    FarmError,
    Job,
    chunk_tasks,
    clear_partial,
    done_by,
    report,
    run_tasks,
    strip_options,
    using,
)

if TYPE_CHECKING:
    from chroma.grade import Grade


def _grade_chunk(items: list[tuple[str, str]], compiled: Any, colorspace: str | None, write_options: dict,
                 job: Job, threads: int) -> list[tuple[str, str]]:
    from chroma.grade.frames import grade_file, worker_init

    if threads:
        worker_init(threads)
    failures = []
    for path, target in items:
        if not done_by(job, target):
            clear_partial(target)
            try:
                grade_file(path, target, compiled, colorspace, write_options)
            except ChromaError as exc:
                failures.append((path, str(exc)))
        report(job, target)
    return failures


def grade(farm: "Farm | str", plan: Sequence[tuple[Any, str, str]], grade: Grade, colorspace: str | None = None,
          write_options: dict[str, Any] | None = None, chunk: int | None = None,
          quiet: bool = False) -> list[tuple[str, str]]:
    """Grade every (frame, input, output) of ``plan`` on the farm, in chunks of frames.

    The same compiled grade as :func:`chroma.grade.grade_frames` (so the files are
    bit-identical to a local run): compiled once on the client from the first existing
    input's colour space to ``colorspace``, and sent to the workers.

    Parameters
    ----------
    farm : Farm or str
        An open farm or a ``--farm`` spec.
    plan : Sequence[tuple[Any, str, str]]
        (frame number or None, input path, output path) per frame.
    grade : chroma.grade.Grade
        The grade to apply.
    colorspace : str or None, optional
        The output's OCIO colour space; default the input's (or the grade's).
    write_options : dict[str, Any] or None, optional
        Options of :func:`chroma.io.write` (``dtype``, ``compression``, ``config``...).
    chunk : int or None, optional
        Frames per task; default about four tasks per worker.
    quiet : bool, optional
        No progress bar (default False).

    Returns
    -------
    list[tuple[str, str]]
        (input path, reason) of every frame that failed.
    """
    from chroma.grade.frames import file_colorspace

    if not plan:
        return []
    first = next((p for _, p, _ in plan if os.path.exists(p)), None)
    src = first and file_colorspace(first, (write_options or {}).get("config"))
    compiled = grade.compile(src or grade.colorspace, colorspace or src or grade.colorspace)
    job = Job.start()
    items = [(p, t) for _, p, t in plan]
    with using(farm) as farm:
        tasks = chunk_tasks("grade", _grade_chunk, items, lambda c: (c, compiled, colorspace, dict(write_options or {}),
                                                                   job, farm.threads_per_worker()), chunk, farm.workers)
        return run_tasks(farm, tasks, "grading", job, quiet)


def _cli_chunk(argv: list[str], items: list[tuple[int, str]], job: Job) -> list[tuple[str, str]]:
    """Run a chroma command on one frame at a time (``--frames F --overwrite``)."""
    import contextlib
    import io as _io

    from chroma.cli import main

    failures = []
    for frame, target in items:
        if not done_by(job, target):
            clear_partial(target)
            out = _io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                code = main([*argv, "--frames", str(frame), "--overwrite"])
            if code != 0:
                failures.append((target, out.getvalue().strip().splitlines()[-1] if out.getvalue().strip() else f"exit {code}"))
        report(job, target)
    return failures


def cli_frames(farm: "Farm | str", argv: Sequence[str], plan: Sequence[tuple[Any, str, str]], label: str,
               chunk: int | None = None, quiet: bool = False) -> list[tuple[str, str]]:
    """Run the chroma command ``argv`` frame by frame on the farm.

    Each task runs it with ``--frames F --overwrite`` for the frames of its chunk, the way
    an OpenCue node runs it; ``--farm``, ``--chunk``, ``--frames``, ``--jobs``,
    ``--overwrite`` and ``--skip-existing`` are taken out of ``argv`` first. For commands
    whose frames are independent (``convert``).

    Parameters
    ----------
    farm : Farm or str
        An open farm or a ``--farm`` spec.
    argv : Sequence[str]
        The command line after ``chroma`` (``["convert", "in.####.exr", ...]``).
    plan : Sequence[tuple[Any, str, str]]
        (frame number, input path, output path) per frame of a sequence.
    label : str
        The progress bar's label.
    chunk : int or None, optional
        Frames per task; default about four tasks per worker.
    quiet : bool, optional
        No progress bar (default False).

    Returns
    -------
    list[tuple[str, str]]
        (output path, last line the command printed) of every frame that failed.

    Raises
    ------
    FarmError
        The plan is a single image (no frame numbers).
    """
    if any(f is None for f, _p, _t in plan):
        raise FarmError("--farm runs the frames of a sequence (IN like plate.####.exr); run a single image without it")
    argv = strip_options(argv, ("--farm", "--chunk", "--frames", "--jobs"), ("--overwrite", "--skip-existing"))
    job = Job.start()
    items = [(f, t) for f, _p, t in plan]
    with using(farm) as farm:
        tasks = chunk_tasks(argv[0], _cli_chunk, items, lambda c: (list(argv), c, job), chunk, farm.workers)
        return run_tasks(farm, tasks, label, job, quiet)


