"""Running frame-independent work: one call per frame, on this machine or on a farm.

``chroma grade``, ``convert`` and ``blend`` (a crossfade) do the same thing to every frame
of a plan, and no frame needs another, so they all run the same way: a *work* function is
called once per (frame, input, output) triple, by an *executor* that decides where.
:class:`LocalFrames` runs here (in this process on ``jobs`` threads, or in ``jobs`` spawned
worker processes that end with their parent); ``chroma.farm.FarmFrames`` runs chunks of
frames as tasks on Dask workers. Either way a frame that fails is reported as the
exception it raised (its message for a :class:`~chroma.errors.ChromaError`, else its type
and message), and the other frames still finish.

A shot whose frames feed each other is not frame-independent: it runs through
:class:`chroma.pipeline.ShotRunner`, not through this module.

The work is pickled to the workers, so it is a module-level function or a picklable
object (:class:`FileCall` binds the options of a function of ``(input, output)``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence

from chroma.errors import ChromaError

FrameTriple = tuple[Any, str, str]
"""One frame of a plan: (frame number or None, input path, output path)."""

Failure = tuple[str, str]
"""A frame that failed: (its input path, or its output path when it has no input; the reason)."""


class FrameWork(Protocol):
    """What runs once per frame: writes the frame's output, or raises."""

    def __call__(self, frame: int | None, path: str, target: str) -> object:
        """Do the work of one frame.

        Parameters
        ----------
        frame : int or None
            The frame number; None for a single image.
        path : str
            The input path ("" when the frame has no input file).
        target : str
            The output path.

        Returns
        -------
        object
            Anything; the executors ignore it.
        """


class FrameExecutor(Protocol):
    """Where frames run: :class:`LocalFrames` here, ``chroma.farm.FarmFrames`` on a farm."""

    def run(self, work: FrameWork, plan: Sequence[FrameTriple], on_done: Callable[[str], None] | None = None,
            on_fail: Callable[[str, str], None] | None = None) -> list[Failure]:
        """Run ``work`` on every frame of ``plan``; the failures.

        Parameters
        ----------
        work : FrameWork
            The per-frame function (picklable).
        plan : Sequence[FrameTriple]
            (frame, input path, output path) per frame.
        on_done : Callable[[str], None] or None, optional
            ``on_done(key)`` per frame written (or per frame, when ``on_fail`` is None).
        on_fail : Callable[[str, str], None] or None, optional
            ``on_fail(key, reason)`` per frame that failed.

        Returns
        -------
        list of Failure
            (key, reason) of every frame that failed; the key is the input path, or the
            output path of a frame without an input.
        """


@dataclass(frozen=True)
class FileCall:
    """A function of ``(input, output, **options)`` as per-frame work, with its options bound.

    Attributes
    ----------
    fn : Callable[..., object]
        A module-level function (picklable), e.g. :func:`chroma.io.convert_file` or
        :func:`chroma.grade.grade_file`.
    options : Mapping[str, Any]
        Its keyword arguments after the two paths.
    """

    fn: Callable[..., object]
    options: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, frame: int | None, path: str, target: str) -> object:
        """Call ``fn(path, target, **options)``.

        Parameters
        ----------
        frame : int or None
            The frame number (unused: the paths name the frame).
        path : str
            The input path.
        target : str
            The output path.

        Returns
        -------
        object
            What ``fn`` returned.
        """
        return self.fn(path, target, **self.options)


def failure_key(path: str, target: str) -> str:
    """The name a frame's failure is reported under: its input path, else its output path.

    Parameters
    ----------
    path : str
        The input path ("" when none).
    target : str
        The output path.

    Returns
    -------
    str
        ``path`` or, when empty, ``target``.
    """
    return path or target


def failure_reason(exc: BaseException) -> str:
    """How a frame's exception is reported: a user error's message, else ``Type: message``.

    Parameters
    ----------
    exc : BaseException
        What the work raised.

    Returns
    -------
    str
        ``str(exc)`` for a :class:`~chroma.errors.ChromaError`, else the exception's type
        name and message.
    """
    return str(exc) if isinstance(exc, ChromaError) else f"{type(exc).__name__}: {exc}"


# ------------------------------------------------------------------------------ threads

def set_threads(threads: int) -> tuple[int, int, int | None]:
    """Give this process ``threads`` threads for OIIO (decode/encode), OpenEXR and OCIO.

    Parameters
    ----------
    threads : int
        Threads per library; values below 1 count as 1.

    Returns
    -------
    tuple of (int, int, int or None)
        The previous OIIO ``threads``, OIIO ``exr_threads`` and OCIO thread settings, for
        :func:`restore_threads`.
    """
    import OpenImageIO as oiio

    from chroma import ocio

    old = (oiio.get_int_attribute("threads"), oiio.get_int_attribute("exr_threads"))
    oiio.attribute("threads", max(1, threads))
    oiio.attribute("exr_threads", max(1, threads))
    return (*old, ocio.set_threads(threads))


def restore_threads(old: tuple[int, int, int | None]) -> None:
    """Put back the thread settings :func:`set_threads` returned.

    Parameters
    ----------
    old : tuple of (int, int, int or None)
        OIIO ``threads``, OIIO ``exr_threads`` and the OCIO setting.
    """
    import OpenImageIO as oiio

    from chroma import ocio

    oiio.attribute("threads", old[0])
    oiio.attribute("exr_threads", old[1])
    ocio.set_threads(old[2])


# ------------------------------------------------------------ workers that end with us

class _ParentDied(BaseException):
    """Raised in a pool worker by the signal that says its parent process has ended."""


_busy = False
"""True while this pool worker runs a frame (the signal then unwinds it, removing its temp file)."""


def _on_parent_death(signum: int, frame: Any) -> None:
    """Signal handler of a pool worker whose parent died: end now, or unwind the frame in hand first.

    While a frame runs, the exception unwinds it (removing its temporary file) and
    :func:`_run_in_worker` ends the process; a timer ends it anyway 5 s later, should the
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
    is idle; a frame in hand is unwound first (so :func:`chroma.io.atomic_path` removes
    its temporary file), then the pool's task wrapper ends the process. Call it first thing
    in the worker, from the main thread.

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
    """Initializer of :class:`LocalFrames`' workers: end with the parent, set threads."""
    end_with_parent(parent)
    set_threads(threads)


def _run_in_worker(work: FrameWork, frame: int | None, path: str, target: str) -> None:
    """``work`` on one frame in a pool worker; ends the process once a parent's death unwinds it."""
    global _busy
    _busy = True
    try:
        work(frame, path, target)
    except _ParentDied:
        os._exit(143)
    finally:
        _busy = False


# ---------------------------------------------------------------------------- executor

class _Report:
    """The failures of a frame run, and the callbacks told about each frame."""

    def __init__(self, on_done: Callable[[str], None] | None, on_fail: Callable[[str, str], None] | None) -> None:
        self.failures: list[Failure] = []
        self.on_done = on_done
        self.on_fail = on_fail

    def done(self, key: str) -> None:
        if self.on_done:
            self.on_done(key)

    def fail(self, key: str, why: str) -> None:
        self.failures.append((key, why))
        if self.on_fail:
            self.on_fail(key, why)
        elif self.on_done:
            self.on_done(key)


@dataclass(frozen=True)
class LocalFrames:
    """Run frames on this machine: ``jobs`` spawned processes, or this process for one job.

    With several frames and ``jobs`` above 1, ``jobs`` worker processes run a frame each on
    their share of the cores (frames are independent, so this scales better than threads
    inside one frame); the workers end with this process, however it ends
    (:func:`end_with_parent`). One frame, or ``jobs=1``, runs in this process. Here a
    :class:`~chroma.errors.ChromaError` is a failed frame and any other exception stops the
    run; in a worker any exception is a failed frame (a crashed worker too).

    Attributes
    ----------
    jobs : int or None
        Cores to use: processes for several frames, threads for one; None: all cores.
    threads : bool
        Set the OIIO/OpenEXR/OCIO threads of the process running a frame to its share of
        the cores (default True); False leaves this process's settings alone.
    """

    jobs: int | None = None
    threads: bool = True

    def run(self, work: FrameWork, plan: Sequence[FrameTriple], on_done: Callable[[str], None] | None = None,
            on_fail: Callable[[str, str], None] | None = None) -> list[Failure]:
        """Run ``work`` on every frame of ``plan``; the failures.

        Parameters
        ----------
        work : FrameWork
            The per-frame function (picklable when ``jobs`` is above 1).
        plan : Sequence[FrameTriple]
            (frame, input path, output path) per frame.
        on_done : Callable[[str], None] or None, optional
            ``on_done(key)`` per frame written (or per frame, when ``on_fail`` is None).
        on_fail : Callable[[str, str], None] or None, optional
            ``on_fail(key, reason)`` per frame that failed.

        Returns
        -------
        list of Failure
            (input path, or output path without an input; reason) of every frame that failed.
        """
        jobs = max(1, int(self.jobs or os.cpu_count() or 1))
        report = _Report(on_done, on_fail)
        if not plan:
            return report.failures
        if jobs == 1 or len(plan) <= 1:
            self._here(work, plan, jobs, report)
        else:
            self._in_processes(work, plan, jobs, report)
        return report.failures

    def _here(self, work: FrameWork, plan: Sequence[FrameTriple], jobs: int, report: _Report) -> None:
        """One frame at a time in this process, on ``jobs`` threads (--jobs is the cores to use)."""
        old = set_threads(jobs) if self.threads else None
        try:
            for frame, path, target in plan:
                try:
                    work(frame, path, target)
                except ChromaError as exc:
                    report.fail(failure_key(path, target), failure_reason(exc))
                    continue
                report.done(failure_key(path, target))
        finally:
            if old is not None:
                restore_threads(old)

    def _in_processes(self, work: FrameWork, plan: Sequence[FrameTriple], jobs: int, report: _Report) -> None:
        """A frame per spawned process, ``jobs`` processes sharing the cores."""
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        threads = max(1, (os.cpu_count() or 1) // jobs)
        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn"),
                                 initializer=_pool_worker_init, initargs=(threads, os.getpid())) as pool:
            futures = {pool.submit(_run_in_worker, work, frame, path, target): failure_key(path, target)
                       for frame, path, target in plan}
            try:
                for fut in as_completed(futures):
                    key = futures[fut]
                    try:
                        fut.result()
                    except Exception as exc:  # a failed frame or a crashed worker: report it, keep going
                        report.fail(key, failure_reason(exc))
                        continue
                    report.done(key)
            except KeyboardInterrupt:
                for fut in futures:
                    fut.cancel()
                raise


def run_frames(work: FrameWork, plan: Sequence[FrameTriple], executor: FrameExecutor | None = None, *,
               on_done: Callable[[str], None] | None = None,
               on_fail: Callable[[str, str], None] | None = None) -> list[Failure]:
    """Run frame-independent ``work`` on every frame of ``plan``, here or on a farm.

    Parameters
    ----------
    work : FrameWork
        The per-frame function (picklable for worker processes and farms).
    plan : Sequence[FrameTriple]
        (frame, input path, output path) per frame.
    executor : FrameExecutor or None, optional
        Where the frames run; default None: :class:`LocalFrames` on all cores.
    on_done : Callable[[str], None] or None, optional
        ``on_done(key)`` per frame written (or per frame, when ``on_fail`` is None).
    on_fail : Callable[[str, str], None] or None, optional
        ``on_fail(key, reason)`` per frame that failed.

    Returns
    -------
    list of Failure
        (input path, or output path without an input; reason) of every frame that failed.

    Examples
    --------
    >>> from chroma import framerun
    >>> from chroma.errors import ChromaError
    >>> def touch(frame, path, target):
    ...     if frame == 2:
    ...         raise ChromaError("no frame 2 on disk")
    >>> framerun.run_frames(touch, [(1, "a.1.exr", "b.1.exr"), (2, "a.2.exr", "b.2.exr")],
    ...                     framerun.LocalFrames(jobs=1, threads=False))
    [('a.2.exr', 'no frame 2 on disk')]
    """
    return (executor or LocalFrames()).run(work, plan, on_done, on_fail)
