"""Frame-independent work on a farm: the farm's :class:`~chroma.framerun.FrameExecutor`.

``chroma grade``, ``convert`` and ``blend`` (a crossfade) hand their per-frame library
function (:func:`chroma.grade.grade_work`, :func:`chroma.io.convert_file`,
:class:`chroma.oklab.job.FadeFrame`) to :class:`FarmFrames`, which runs it on chunks of frames
as Dask tasks. A frame's exception comes back as its failure (the message of a
:class:`~chroma.errors.ChromaError`, else the exception's type and message); a task run
again (its worker died) skips the frames this job already wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

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
from chroma.framerun import Failure, FrameTriple, FrameWork, failure_key, failure_reason, set_threads

if TYPE_CHECKING:
    from chroma.grade import Grade


def _frames_chunk(work: FrameWork, items: list[FrameTriple], job: Job, threads: int) -> list[Failure]:
    """One task: ``work`` on each frame of a chunk not yet written by this job."""
    if threads:
        set_threads(threads)
    failures = []
    for frame, path, target in items:
        if not done_by(job, target):
            clear_partial(target)
            try:
                work(frame, path, target)
            except Exception as exc:  # the frame's failure, as the exception it raised
                failures.append((failure_key(path, target), failure_reason(exc)))
        report(job, target)
    return failures


@dataclass
class FarmFrames:
    """Run frames on a Dask farm, in chunks: a :class:`~chroma.framerun.FrameExecutor`.

    Attributes
    ----------
    farm : Farm or str
        An open farm or a ``--farm`` spec (``local:N``, ``tcp://HOST:8786``).
    chunk : int or None
        Frames per task; default None: about four tasks per worker.
    label : str
        The progress bar's label (default ``"frames"``).
    name : str
        The tasks' key prefix (default ``"frames"``).
    quiet : bool
        No progress bar and no farm line (default False).
    """

    farm: Farm | str
    chunk: int | None = None
    label: str = "frames"
    name: str = "frames"
    quiet: bool = False

    def run(self, work: FrameWork, plan: Sequence[FrameTriple], on_done: Callable[[str], None] | None = None,
            on_fail: Callable[[str, str], None] | None = None) -> list[Failure]:
        """Run ``work`` on every frame of ``plan`` on the farm; the failures.

        Parameters
        ----------
        work : FrameWork
            The per-frame library function (pickled to the workers).
        plan : Sequence[FrameTriple]
            (frame, input path, output path) per frame.
        on_done : Callable[[str], None] or None, optional
            ``on_done(key)`` per frame written, told when the run ends (or per frame, when
            ``on_fail`` is None).
        on_fail : Callable[[str, str], None] or None, optional
            ``on_fail(key, reason)`` per frame that failed, told when the run ends.

        Returns
        -------
        list of Failure
            (input path, or output path without an input; reason) of every frame that
            failed, and (task, reason) of a task that failed whole.

        Raises
        ------
        FarmError
            The farm cannot be reached or Dask is not installed.
        """
        if not plan:
            return []
        job = Job.start()
        with using(self.farm) as farm:
            tasks = chunk_tasks(self.name, _frames_chunk, list(plan),
                                lambda c: (work, c, job, farm.threads_per_worker()), self.chunk, farm.workers)
            failures = run_tasks(farm, tasks, self.label, job, self.quiet)
        failed = {key for key, _ in failures}
        for key, why in failures:
            if on_fail:
                on_fail(key, why)
        if on_done:
            for _frame, path, target in plan:
                key = failure_key(path, target)
                if key not in failed or on_fail is None:
                    on_done(key)
        return failures


def grade(farm: "Farm | str", plan: Sequence[tuple[Any, str, str]], grade: Grade, colorspace: str | None = None,
          write_options: dict[str, Any] | None = None, chunk: int | None = None,
          quiet: bool = False) -> list[tuple[str, str]]:
    """Grade every (frame, input, output) of ``plan`` on the farm, in chunks of frames.

    :func:`chroma.grade.grade_frames` on :class:`FarmFrames`: the same compiled grade as a
    local run (so the files are bit-identical), compiled once on the client from the first
    existing input's colour space to ``colorspace``, and sent to the workers.

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
    from chroma.grade import grade_frames

    return grade_frames(plan, grade, colorspace, write_options,
                        executor=FarmFrames(farm, chunk, "grading", "grade", quiet))


def _command_chunk(argv: list[str], items: list[tuple[int, str]], job: Job) -> list[tuple[str, str]]:
    """Run ``chroma ARGV --frames F --overwrite`` as a process per frame, as an OpenCue node does."""
    import subprocess
    import sys

    failures = []
    for frame, target in items:
        if not done_by(job, target):
            clear_partial(target)
            done = subprocess.run([sys.executable, "-m", "chroma", *argv, "--frames", str(frame), "--overwrite"],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                lines = (done.stderr or done.stdout).strip().splitlines()
                failures.append((target, lines[-1] if lines else f"exit {done.returncode}"))
        report(job, target)
    return failures


def cli_frames(farm: "Farm | str", argv: Sequence[str], plan: Sequence[tuple[Any, str, str]], label: str,
               chunk: int | None = None, quiet: bool = False) -> list[tuple[str, str]]:
    """Run the chroma command ``argv`` frame by frame on the farm (deprecated).

    Deprecated: run the command's library function with :class:`FarmFrames` (``chroma
    grade``, ``convert`` and ``blend`` do). Each task runs ``python -m chroma ARGV
    --frames F --overwrite`` as a process for each frame of its chunk, the way an OpenCue
    node runs it; ``--farm``, ``--chunk``, ``--frames``, ``--jobs``, ``--overwrite`` and
    ``--skip-existing`` are taken out of ``argv`` first.

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
    from chroma.deprecation import warn_deprecated

    warn_deprecated("chroma.farm.cli_frames", "chroma.farm.FarmFrames")
    if any(f is None for f, _p, _t in plan):
        raise FarmError("--farm runs the frames of a sequence (IN like plate.####.exr); run a single image without it")
    argv = strip_options(argv, ("--farm", "--chunk", "--frames", "--jobs"), ("--overwrite", "--skip-existing"))
    job = Job.start()
    items = [(f, t) for f, _p, t in plan]
    with using(farm) as farm:
        tasks = chunk_tasks(argv[0], _command_chunk, items, lambda c: (list(argv), c, job), chunk, farm.workers)
        return run_tasks(farm, tasks, label, job, quiet)
