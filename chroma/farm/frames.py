"""Frame-independent commands on a farm: ``chroma grade`` (the compiled grade sent to the
workers) and any command run frame by frame (``chroma convert``)."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any, Sequence

from chroma.errors import ChromaError
from chroma.farm.cluster import (
    Farm,
    FarmError,
    Job,
    Task,
    chunks,
    clear_partial,
    default_chunk,
    done_by,
    report,
    run_tasks,
    strip_options,
    using,
)


def _grade_chunk(items: list[tuple[str, str]], compiled: Any, colorspace: str | None, write_options: dict,
                 job: Job, threads: int) -> list[tuple[str, str]]:
    from chroma.grade.frames import grade_file, worker_init  # noqa: PLC0415

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


def grade(farm: "Farm | str", plan: Sequence[tuple[Any, str, str]], grade: Any, colorspace: str | None = None,
          write_options: dict | None = None, chunk: int | None = None, quiet: bool = False) -> list[tuple[str, str]]:
    """Grade every (frame, input, output) of ``plan`` on the farm, in chunks of frames.

    The same compiled grade as :func:`chroma.grade.grade_frames` (so the files are
    bit-identical to a local run). Returns [(input, reason)] of failures.
    """
    from chroma.grade.frames import file_colorspace  # noqa: PLC0415

    if not plan:
        return []
    first = next((p for _, p, _ in plan if os.path.exists(p)), None)
    src = first and file_colorspace(first, (write_options or {}).get("config"))
    compiled = grade.compile(src or grade.colorspace, colorspace or src or grade.colorspace)
    job = Job(uuid.uuid4().hex[:12], time.time())
    items = [(p, t) for _, p, t in plan]
    with using(farm) as farm:
        size = chunk or default_chunk(len(items), farm.workers)
        tasks = [Task(f"grade-{i}", _grade_chunk, (c, compiled, colorspace, dict(write_options or {}), job,
                                                  farm.threads_per_worker()), len(c))
                 for i, c in enumerate(chunks(items, size))]
        return run_tasks(farm, tasks, "grading", job, quiet)


def _cli_chunk(argv: list[str], items: list[tuple[int, str]], job: Job) -> list[tuple[str, str]]:
    """Run a chroma command on one frame at a time (``--frames F --overwrite``)."""
    import contextlib  # noqa: PLC0415
    import io as _io  # noqa: PLC0415

    from chroma.cli import main  # noqa: PLC0415

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
    """Run the chroma command ``argv`` (without ``--farm``) frame by frame on the farm:
    each task runs it with ``--frames F --overwrite`` for the frames of its chunk, the way
    an OpenCue node runs it. For commands whose frames are independent (convert)."""
    if any(f is None for f, _p, _t in plan):
        raise FarmError("--farm runs the frames of a sequence (IN like plate.####.exr); run a single image without it")
    argv = strip_options(argv, ("--farm", "--chunk", "--frames", "--jobs"), ("--overwrite", "--skip-existing"))
    job = Job(uuid.uuid4().hex[:12], time.time())
    items = [(f, t) for f, _p, t in plan]
    with using(farm) as farm:
        size = chunk or default_chunk(len(items), farm.workers)
        tasks = [Task(f"{argv[0]}-{i}", _cli_chunk, (list(argv), c, job), len(c)) for i, c in enumerate(chunks(items, size))]
        return run_tasks(farm, tasks, label, job, quiet)


