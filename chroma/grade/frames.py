"""Grading files and frame sequences.

One frame (read, grade, write atomically), many frames across worker processes (spawned;
the workers get a pre-compiled grade and need no colour-science), and
:func:`grade_sequence`, the API behind ``chroma grade IN -o OUT``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from chroma import ocio as _ocio
from chroma.errors import ChromaError
from chroma.grade.compiled import CompiledGrade
from chroma.grade.core import Grade

FrameTriple = tuple[Any, str, str]
"""One frame of a plan: (frame number or None, input path, output path)."""


def grade_file(src_path: str, dst_path: str, grade: Grade | CompiledGrade, colorspace: str | None = None,
               write_options: dict[str, Any] | None = None) -> str:
    """Read ``src_path``, grade it and write ``dst_path`` atomically.

    Channels other than R, G, B pass through; the input's metadata is kept and the grade is
    added under ``chroma/grade``. ``grade`` may be pre-compiled (the CLI compiles once and
    sends it to worker processes); a compiled grade bound to other colour spaces than this
    file's is compiled again for them.

    Parameters
    ----------
    src_path : str
        The image to read.
    dst_path : str
        The image to write.
    grade : Grade or CompiledGrade
        The grade, applied in its scene-linear working space.
    colorspace : str or None, optional
        Output colour space; default None: the input's.
    write_options : dict or None, optional
        Keyword arguments for :func:`chroma.io.write`; its ``config`` is also the OCIO
        config the file is read with. Default None.

    Returns
    -------
    str
        ``dst_path``.

    Raises
    ------
    chroma.errors.ChromaError
        When the input cannot be read, the colour space is unknown or the output cannot
        be written.
    """
    from chroma import io

    opts = dict(write_options or {})
    cfg = opts.get("config")
    img = io.read(src_path, config=cfg)
    if isinstance(grade, CompiledGrade):
        compiled, source = grade, grade.grade
        assert source is not None, "Grade.compile keeps the grade it compiled"
        dst = colorspace and _ocio.resolve_colorspace(colorspace, cfg) or img.colorspace
        if compiled.src != img.colorspace or compiled.dst != dst:
            compiled = source.compile(img.colorspace, dst)
        out = img.with_rgb(compiled.apply_rgb(img.rgb), compiled.dst)
        out.metadata["chroma/grade"] = source.to_json()
    else:
        out = grade.apply(img, colorspace)
    io.write(out, dst_path, **opts)
    return dst_path


def file_colorspace(path: str, config: str | os.PathLike[str] | None = None) -> str | None:
    """The colour space :func:`chroma.io.read` would give ``path``, from its header only.

    Parameters
    ----------
    path : str
        An image file.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    str or None
        The config's name of the file's colour space; None when the file cannot be opened
        or names no colour space chroma knows.
    """
    import OpenImageIO as oiio

    from chroma import io

    inp = oiio.ImageInput.open(path)
    if inp is None:
        oiio.geterror()  # retrieve it: read() reports the problem in chroma's words
        return None
    try:
        meta = {a.name: io.attribute_value(a) for a in inp.spec().extra_attribs}
    finally:
        inp.close()
    try:
        return io.colorspace_from_metadata(meta, config) or _ocio.colorspace_from_path(path, config)
    except ChromaError:
        return None


def worker_init(threads: int) -> tuple[int, int, int | None]:
    """Give this process ``threads`` threads for OIIO (decode/encode), OpenEXR and OCIO.

    Parameters
    ----------
    threads : int
        Threads per library; values below 1 count as 1.

    Returns
    -------
    tuple of (int, int, int or None)
        The previous OIIO ``threads``, OIIO ``exr_threads`` and OCIO thread settings, for
        :func:`_restore_threads`.
    """
    import OpenImageIO as oiio

    from chroma import ocio as _ocio

    old = (oiio.get_int_attribute("threads"), oiio.get_int_attribute("exr_threads"))
    oiio.attribute("threads", max(1, threads))
    oiio.attribute("exr_threads", max(1, threads))
    return (*old, _ocio.set_threads(threads))


class _ParentDied(BaseException):
    """Raised in a pool worker by the signal that says its parent process has ended."""


_busy = False
"""True while this pool worker grades a frame (the signal then unwinds it, removing its temp file)."""


def _on_parent_death(signum: int, frame: Any) -> None:
    """Signal handler of a pool worker whose parent died: end now, or unwind the frame in hand first.

    While a frame is graded, the exception unwinds it (removing its temporary file) and
    :func:`_grade_in_worker` ends the process; a timer ends it anyway 5 s later, should the
    exception land where the pool catches it (then the worker would wait for work forever).
    """
    if _busy:
        import threading

        threading.Timer(5.0, os._exit, (128 + signum,)).start()
        raise _ParentDied
    os._exit(128 + signum)


def _watch_parent(parent: int, interval: float) -> None:
    """Poll the parent's pid; when this process is re-parented, send ourselves the end signal."""
    import signal
    import time

    while os.getppid() == parent:
        time.sleep(interval)
    os.kill(os.getpid(), signal.SIGTERM)


def end_with_parent(parent: int | None = None, interval: float = 1.0) -> str:
    """Make this (worker) process end when its parent process ends, however the parent died.

    A worker of a process pool otherwise outlives a parent killed by SIGKILL (or the OOM
    killer): it waits for work forever. On Linux the kernel sends this process SIGTERM when
    the parent dies (``prctl(PR_SET_PDEATHSIG)``, prctl(2)); elsewhere a daemon thread polls
    :func:`os.getppid` every ``interval`` seconds and sends the SIGTERM itself (on POSIX
    systems an orphan is re-parented, so its parent pid changes; Windows keeps the old pid,
    and there the thread never fires). The SIGTERM handler ends the process at once when it
    is idle; a frame being graded is unwound first (so :func:`chroma.io.atomic_path`
    removes its temporary file), then the pool's task wrapper ends the process. Call it
    first thing in the worker, from the main thread.

    Parameters
    ----------
    parent : int or None, optional
        The pid the parent had when it started this worker; default None: the current
        parent. If the parent has already gone, the process ends at once.
    interval : float, optional
        Seconds between checks of the fallback thread; default 1.0.

    Returns
    -------
    str
        How the death is noticed: ``"prctl"`` or ``"thread"``.
    """
    import signal
    import sys
    import threading

    parent = os.getppid() if parent is None else parent
    signal.signal(signal.SIGTERM, _on_parent_death)
    how = "thread"
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1  # <linux/prctl.h>
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0) == 0:
                how = "prctl"
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # died before the signal was armed
        os._exit(128 + signal.SIGTERM)
    if how == "thread":
        threading.Thread(target=_watch_parent, args=(parent, interval), daemon=True,
                         name="chroma-end-with-parent").start()
    return how


def _pool_worker_init(threads: int, parent: int) -> None:
    """Initializer of :func:`_grade_in_processes`' workers: end with the parent, set threads."""
    end_with_parent(parent)
    worker_init(threads)


def _grade_in_worker(src_path: str, dst_path: str, grade: CompiledGrade, colorspace: str | None,
                     write_options: dict[str, Any] | None) -> str:
    """:func:`grade_file` in a pool worker; ends the process once a parent's death unwinds it."""
    global _busy
    _busy = True
    try:
        return grade_file(src_path, dst_path, grade, colorspace, write_options)
    except _ParentDied:
        os._exit(143)
    finally:
        _busy = False


def _restore_threads(old: tuple[int, int, int | None]) -> None:
    import OpenImageIO as oiio

    from chroma import ocio as _ocio

    oiio.attribute("threads", old[0])
    oiio.attribute("exr_threads", old[1])
    _ocio.set_threads(old[2])


def grade_frames(plan: Sequence[tuple[Any, str, str]], grade: Grade, colorspace: str | None = None,
                 write_options: dict[str, Any] | None = None, jobs: int | None = None,
                 on_done: Callable[[str], None] | None = None,
                 on_fail: Callable[[str, str], None] | None = None) -> list[tuple[str, str]]:
    """Grade every (frame, input, output) of ``plan`` on ``jobs`` cores.

    With several frames, ``jobs`` processes grade a frame each on their share of the cores
    (frames are independent, so this scales better than threads inside one frame); one
    frame, or ``jobs=1``, runs in this process on ``jobs`` threads. The grade is compiled
    once, for the colour space of the first input on disk. A frame that fails (missing,
    corrupt, unwritable) is recorded and the others still finish.

    Parameters
    ----------
    plan : sequence of (frame, str, str)
        (frame, input path, output path) triples.
    grade : Grade
        The grade to apply.
    colorspace : str or None, optional
        Output colour space; default None: each input's.
    write_options : dict or None, optional
        Keyword arguments for :func:`chroma.io.write`; default None.
    jobs : int or None, optional
        Cores to use: processes for several frames, threads for one. Default None: all.
    on_done : callable or None, optional
        ``on_done(input_path)`` per frame written, or for every frame when ``on_fail`` is
        None.
    on_fail : callable or None, optional
        ``on_fail(input_path, reason)`` per frame that failed.

    Returns
    -------
    list of (str, str)
        (input path, reason) of every frame that failed.
    """

    jobs = max(1, int(jobs or os.cpu_count() or 1))
    report = _Report(on_done, on_fail)
    if not plan:
        return report.failures
    first = next((p for _, p, _ in plan if os.path.exists(p)), None)
    src = first and file_colorspace(first, (write_options or {}).get("config"))
    compiled = grade.compile(src or grade.colorspace, colorspace or src or grade.colorspace)
    if jobs == 1 or len(plan) <= 1:
        _grade_here(plan, compiled, colorspace, write_options, jobs, report)
    else:
        _grade_in_processes(plan, compiled, colorspace, write_options, jobs, report)
    return report.failures


class _Report:
    """The failures of a frame run, and the callbacks told about each frame."""

    def __init__(self, on_done: Callable[[str], None] | None, on_fail: Callable[[str, str], None] | None) -> None:
        self.failures: list[tuple[str, str]] = []
        self.on_done = on_done
        self.on_fail = on_fail

    def done(self, path: str) -> None:
        if self.on_done:
            self.on_done(path)

    def fail(self, path: str, why: str) -> None:
        self.failures.append((path, why))
        if self.on_fail:
            self.on_fail(path, why)
        elif self.on_done:
            self.on_done(path)


def _grade_here(plan: Sequence[FrameTriple], compiled: CompiledGrade, colorspace: str | None,
                write_options: dict[str, Any] | None, jobs: int, report: _Report) -> None:
    """One frame at a time in this process, on ``jobs`` threads (--jobs is the cores to use)."""
    old = worker_init(jobs)
    try:
        for _frame, path, target in plan:
            try:
                grade_file(path, target, compiled, colorspace, write_options)
            except ChromaError as exc:
                report.fail(path, str(exc))
                continue
            report.done(path)
    finally:
        _restore_threads(old)


def _grade_in_processes(plan: Sequence[FrameTriple], compiled: CompiledGrade, colorspace: str | None,
                        write_options: dict[str, Any] | None, jobs: int, report: _Report) -> None:
    """A frame per spawned process, ``jobs`` processes sharing the cores."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    threads = max(1, (os.cpu_count() or 1) // jobs)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn"),
                             initializer=_pool_worker_init, initargs=(threads, os.getpid())) as pool:
        futures = {pool.submit(_grade_in_worker, path, target, compiled, colorspace, write_options): path
                   for _frame, path, target in plan}
        try:
            for fut in as_completed(futures):
                path = futures[fut]
                try:
                    fut.result()
                except ChromaError as exc:
                    report.fail(path, str(exc))
                    continue
                except Exception as exc:  # a crashed worker: report the frame, keep going
                    report.fail(path, f"{type(exc).__name__}: {exc}")
                    continue
                report.done(path)
        except KeyboardInterrupt:
            for fut in futures:
                fut.cancel()
            raise


# ------------------------------------------------------------------------- sequences

@dataclass
class SequenceGrade:
    """A grade ready to apply over a plan of frames (see :func:`prepare_sequence`).

    Attributes
    ----------
    plan : sequence of (frame, str, str)
        The (frame, input path, output path) triples to grade, in order.
    grade : Grade
        The grade applied to every frame, including the exposure that
        ``match_exposure`` added.
    colorspace : str or None
        The output colour space, resolved to the config's name; None writes each
        frame in its input's colour space.
    exposure_shift : float or None
        Stops added to match the reference's exposure (rounded to 1e-6 stops), or
        None when no reference was given.
    """

    plan: Sequence[FrameTriple]
    grade: Grade
    colorspace: str | None = None
    exposure_shift: float | None = None

    def run(self, write_options: dict[str, Any] | None = None, jobs: int | None = None, *,
            farm: Any = None, chunk: int | None = None,
            on_done: Callable[[str], None] | None = None,
            on_fail: Callable[[str, str], None] | None = None) -> SequenceResult:
        """Grade every frame of the plan and write it.

        Frames are graded by :func:`grade_frames` on this machine or, with ``farm``,
        by :func:`chroma.farm.grade` in chunks on Dask workers (bit-identical files).
        A frame that fails (missing, corrupt, unwritable) is recorded and the others
        still finish.

        Parameters
        ----------
        write_options : dict or None, optional
            Keyword arguments for :func:`chroma.io.write` (``dtype``, ``compression``,
            ``config``...). Default None: chroma.io's defaults.
        jobs : int or None, optional
            Frames graded in parallel processes on this machine. Default None: all
            cores.
        farm : chroma.farm.Farm or str or None, optional
            A farm or its scheduler address; default None grades on this machine.
        chunk : int or None, optional
            Frames per farm task, with ``farm`` only. Default None: about 4 tasks per
            worker.
        on_done : callable or None, optional
            ``on_done(input_path)`` after each frame written (local runs only).
        on_fail : callable or None, optional
            ``on_fail(input_path, reason)`` after each frame that failed (local runs
            only).

        Returns
        -------
        SequenceResult
            The grade, the output colour space, the frames written and the failures.
        """
        if farm is not None:
            from chroma import farm as _farm

            failures = _farm.grade(farm, self.plan, self.grade, self.colorspace, write_options, chunk)
        else:
            failures = grade_frames(self.plan, self.grade, self.colorspace, write_options, jobs,
                                    on_done=on_done, on_fail=on_fail)
        return SequenceResult(self.grade, self.colorspace, self.exposure_shift, len(self.plan), failures)


@dataclass
class SequenceResult:
    """What :func:`grade_sequence` (or :meth:`SequenceGrade.run`) did.

    Attributes
    ----------
    grade : Grade
        The grade applied to every frame (with the matched exposure, if any).
    colorspace : str or None
        The output colour space; None when each frame kept its input's.
    exposure_shift : float or None
        Stops added by ``match_exposure``; None without a reference.
    total : int
        Frames in the plan, in frames.
    failures : list of (str, str)
        (input path, reason) of every frame that failed.
    """

    grade: Grade
    colorspace: str | None
    exposure_shift: float | None
    total: int
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def written(self) -> int:
        """Frames graded and written: the plan's frames less the failed ones.

        Returns
        -------
        int
            The number of frames written, in frames.
        """
        return self.total - len(self.failures)


def matched_exposure(grade: Grade, paths: Iterable[str], reference: str,
                     config: str | os.PathLike[str] | None = None) -> tuple[Grade, float]:
    """The grade followed by the exposure that matches a reference image's.

    The first of ``paths`` on disk is read, graded, and measured against the reference
    by :func:`chroma.stops.match_exposure` (median log2 luminance); the difference,
    rounded to 1e-6 stops, is appended as an :class:`~chroma.grade.Exposure`.

    Parameters
    ----------
    grade : Grade
        The grade before matching.
    paths : iterable of str
        Input frames; the first that exists is measured.
    reference : str
        Path of the reference image whose exposure the graded frames should have.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    grade : Grade
        ``grade`` followed by ``Exposure(shift)``.
    shift : float
        The stops added (rounded to 1e-6 stops).

    Raises
    ------
    chroma.errors.ChromaError
        When no input frame exists to measure.
    chroma.errors.ChromaValueError
        When either image has no pixel with positive, finite luminance.
    chroma.errors.ChromaIOError
        When the reference or the frame cannot be read.
    """
    from chroma import io, stops
    from chroma.grade.operations import Exposure

    ref = io.read(reference, config=config)
    first = next((p for p in paths if os.path.exists(p)), None)
    if first is None:
        raise ChromaError("--match-exposure needs at least one input frame to measure")
    shift = round(stops.match_exposure(grade.apply(io.read(first, config=config)), ref, config), 6)
    return grade.then(Exposure(shift)), shift


def warn_if_identity(grade: Grade, colorspace: str | None = None) -> bool:
    """Warn when grading would copy the input unchanged.

    Parameters
    ----------
    grade : Grade
        The grade to check.
    colorspace : str or None, optional
        The output colour space asked for; default None keeps each input's, so a grade
        with no operation is an identity copy.

    Returns
    -------
    bool
        True when the grade has no operation and no output colour space was asked for
        (a :class:`UserWarning` was issued).
    """
    if grade.operations or colorspace:
        return False
    warnings.warn("the grade has no operation: the output is an identity copy of the input "
                  "(give --exposure, --white-balance, --cdl, ... or --grade FILE)", stacklevel=2)
    return True


def prepare_sequence(plan: Sequence[FrameTriple], grade: Grade, colorspace: str | None = None, *,
                     match_exposure: str | None = None,
                     config: str | os.PathLike[str] | None = None) -> SequenceGrade:
    """Get a grade ready for a plan of frames: the output space resolved, the exposure matched.

    Parameters
    ----------
    plan : sequence of (frame, str, str)
        (frame, input path, output path) triples, e.g. ``chroma.frameplan.plan_frames(...).items()``.
    grade : Grade
        The grade to apply.
    colorspace : str or None, optional
        Output colour space (any name or alias the config knows); default None writes
        each frame in its input's colour space.
    match_exposure : str or None, optional
        Path of a reference image: :func:`matched_exposure` appends the stops that bring
        the first frame's median luminance to the reference's. Default None: no match.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    SequenceGrade
        The plan, the final grade, the resolved output colour space and the stops added.

    Raises
    ------
    chroma.errors.ChromaError
        When ``colorspace`` is unknown to the config, or ``match_exposure`` has no frame
        to measure (see :func:`matched_exposure`).
    """
    space = _ocio.resolve_colorspace(colorspace, config) if colorspace else None
    shift = None
    if match_exposure:
        grade, shift = matched_exposure(grade, [p for _, p, _ in plan], match_exposure, config)
    return SequenceGrade(plan, grade, space, shift)


def grade_sequence(plan: Sequence[FrameTriple], grade: Grade, colorspace: str | None = None, *,
                   match_exposure: str | None = None, write_options: dict[str, Any] | None = None,
                   jobs: int | None = None, farm: Any = None, chunk: int | None = None,
                   on_done: Callable[[str], None] | None = None,
                   on_fail: Callable[[str, str], None] | None = None) -> SequenceResult:
    """Grade a plan of frames: what ``chroma grade IN -o OUT`` does, callable from a pipeline.

    :func:`prepare_sequence` (output space, exposure match), then a warning when the
    grade would copy the input unchanged (:func:`warn_if_identity`), then
    :meth:`SequenceGrade.run`. Every frame is read, graded in the scene-linear working
    space, converted to ``colorspace`` (default: its input's) and written atomically;
    channels other than R, G, B pass through and the grade is added to the metadata
    under ``chroma/grade``.

    Parameters
    ----------
    plan : sequence of (frame, str, str)
        (frame, input path, output path) triples, e.g. ``chroma.frameplan.plan_frames(IN, OUT).items()``
        (which also refuses outputs that would replace an input or an existing file).
    grade : Grade
        The grade to apply.
    colorspace : str or None, optional
        Output colour space; default None keeps each input's.
    match_exposure : str or None, optional
        Path of a reference image whose median luminance the graded frames should have
        (see :func:`matched_exposure`); default None.
    write_options : dict or None, optional
        Keyword arguments for :func:`chroma.io.write`; its ``config`` is also the OCIO
        config used here. Default None.
    jobs : int or None, optional
        Frames graded in parallel processes; default None: all cores.
    farm : chroma.farm.Farm or str or None, optional
        Grade on a Dask farm instead of this machine; default None.
    chunk : int or None, optional
        Frames per farm task; default None.
    on_done : callable or None, optional
        ``on_done(input_path)`` after each frame written (local runs).
    on_fail : callable or None, optional
        ``on_fail(input_path, reason)`` after each frame that failed (local runs).

    Returns
    -------
    SequenceResult
        The grade applied, the output colour space, the stops matched, and the failures.

    Raises
    ------
    chroma.errors.ChromaError
        When ``colorspace`` is unknown or the exposure cannot be matched; a frame that
        fails is recorded in the result instead.

    Examples
    --------
    >>> from chroma import grade as G
    >>> plan = [(1001, "plate.1001.exr", "graded/plate.1001.exr")]
    >>> result = G.grade_sequence(plan, G.Grade([G.Exposure(1.0)]), jobs=1)  # doctest: +SKIP
    >>> result.written, result.failures  # doctest: +SKIP
    (1, [])
    """
    config = (write_options or {}).get("config")
    job = prepare_sequence(plan, grade, colorspace, match_exposure=match_exposure, config=config)
    warn_if_identity(job.grade, colorspace)
    return job.run(write_options, jobs, farm=farm, chunk=chunk, on_done=on_done, on_fail=on_fail)
