"""Farms, tasks with dependencies, one progress bar across workers, safe re-runs.

A farm is a Dask ``LocalCluster`` or a running Dask scheduler (Dask distributed,
https://distributed.dask.org); a task is safe to run again because outputs are written
atomically and a task skips what its job already wrote.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from chroma.errors import ChromaError
from chroma.io import TEMP_MARK

INSTALL = 'pip install "chroma-vfx[farm]"'


class FarmError(ChromaError):
    """A farm that cannot be used as asked (not installed, unreachable, a bad spec)."""


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise FarmError(f"--farm needs Dask's distributed scheduler, which is not installed; install it with: {INSTALL}") from None
    return distributed


# =================================================================================== farms


class Farm:
    """A Dask client on a local cluster (``local:N``) or a running scheduler (``tcp://HOST:PORT``).

    Use as a context manager; a local cluster is shut down on exit.

    Parameters
    ----------
    spec : str
        ``local:N`` (N worker processes, one thread each, each offering the resource
        ``GPU=1``; ``local`` alone: one per CPU core) or a scheduler address
        ``tcp://HOST:PORT`` (also ``tls``, ``ucx``, ``ws``, ``wss``).
    env : Mapping[str, str] or None, optional
        Environment variables for local workers (e.g. ``OMP_NUM_THREADS``).

    Raises
    ------
    FarmError
        Dask's distributed is not installed, no scheduler answers at the address within
        10 s, or the spec is neither form.

    References
    ----------
    Dask distributed: ``LocalCluster``, ``Client``, worker resources
    (https://distributed.dask.org/en/stable/resources.html).
    """

    def __init__(self, spec: str, env: Mapping[str, str] | None = None):
        distributed = _distributed()
        self.spec = spec
        self.cluster = None
        m = re.fullmatch(r"local(?::(\d+))?", spec.strip())
        if m:
            n = int(m.group(1) or os.cpu_count() or 1)
            if n < 1:
                raise FarmError(f"--farm {spec!r}: give at least one worker (local:2)")
            self.workers = n
            for name in ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.core",
                         "distributed.worker", "distributed.http.proxy"):
                logging.getLogger(name).setLevel(logging.ERROR)  # the cluster lives in this process: keep it quiet
            self.cluster = distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                resources={"GPU": 1}, env=dict(env or {}), silence_logs=40,
            )
            self.client = distributed.Client(self.cluster)
        elif re.fullmatch(r"(tcp|tls|ucx|ws|wss)://[^\s]+", spec.strip()):
            try:
                self.client = distributed.Client(spec.strip(), timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise FarmError(f"--farm {spec!r}: no Dask scheduler answers there ({exc}); start one with "
                                "'dask scheduler' and workers with 'dask worker ADDRESS'") from None
            self.workers = len(self.client.scheduler_info().get("workers", {})) or 1
        else:
            raise FarmError(f"--farm {spec!r}: give local:N (N worker processes here) or a scheduler "
                            "address like tcp://HOST:8786")

    @property
    def dashboard(self) -> str | None:
        """The Dask dashboard's address.

        Returns
        -------
        str or None
            The dashboard's URL; None when the scheduler serves none (it needs bokeh).
        """
        try:
            services = self.client.scheduler_info().get("services", {})
        except Exception:
            return None
        return self.client.dashboard_link if "dashboard" in services else None

    def threads_per_worker(self) -> int:
        """Give the threads each local worker may give OIIO/OCIO (all cores shared out).

        Returns
        -------
        int
            ``cpu_count // workers`` (at least 1) on a local cluster; 0 (leave the
            libraries' own setting) on a remote scheduler.
        """
        return max(1, (os.cpu_count() or 1) // self.workers) if self.cluster is not None else 0

    def close(self) -> None:
        """Close the client, and shut down the local cluster if this farm started one."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> "Farm":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(spec: "str | Farm", env: Mapping[str, str] | None = None) -> Farm:
    """Connect to a farm from ``--farm``'s value.

    Parameters
    ----------
    spec : str or Farm
        As :class:`Farm` takes it; a Farm is returned as it is.
    env : Mapping[str, str] or None, optional
        Environment variables for local workers.

    Returns
    -------
    Farm
        The open farm; the caller closes it.
    """
    return spec if isinstance(spec, Farm) else Farm(spec, env)


@contextlib.contextmanager
def using(spec: "str | Farm") -> Iterator[Farm]:
    """Give a farm for one job: one made from a spec is closed after it; a Farm given stays open.

    Parameters
    ----------
    spec : str or Farm
        As :class:`Farm` takes it, or an open Farm.

    Yields
    ------
    Farm
        The farm to submit to.
    """
    if isinstance(spec, Farm):
        yield spec
        return
    with Farm(spec) as farm:
        yield farm


# =================================================================================== tasks


@dataclass
class Task:
    """One unit of work: ``fn(*args)`` on a worker, after the tasks named in ``after``.

    Attributes
    ----------
    key : str
        A name unique in the job (the Dask key is ``KEY-JOBID``).
    fn : Callable[..., Any]
        What runs on the worker; returns a list of (item, reason) failures or anything else.
    args : tuple
        Its positional arguments (pickled to the worker).
    frames : int
        How many frames it produces (the progress bar's share).
    after : list[str]
        Keys of the tasks that must finish first.
    gpu : bool
        Ask for the worker resource ``GPU=1``.
    """

    key: str
    fn: Callable[..., Any]
    args: tuple = ()
    frames: int = 0
    after: list[str] = field(default_factory=list)
    gpu: bool = False


@dataclass(frozen=True)
class Job:
    """What every task of a run shares: an id and its start time.

    Attributes
    ----------
    id : str
        The run's id (the progress topic is ``chroma-ID``).
    started : float
        Seconds since the epoch when the run started: outputs modified at or after it
        were written by this job and are not written again.
    """

    id: str
    started: float

    @classmethod
    def start(cls) -> "Job":
        """Start a new run: a random id of 12 hex digits, started now.

        Returns
        -------
        Job
            The run, ``started`` the current time in seconds since the epoch.
        """
        return cls(uuid.uuid4().hex[:12], time.time())


def _call(fn: Callable[..., Any], args: tuple, *_after: Any) -> Any:
    return fn(*args)


def report(job: Job, item: str) -> None:
    """Tell the client that ``item`` (an output path) is done (from inside a task).

    Logs a Dask event on the job's topic; the client counts each item once. Outside a
    Dask worker (a local run) it does nothing.

    Parameters
    ----------
    job : Job
        The run.
    item : str
        The output path just written (or found written).
    """
    try:
        from distributed import get_worker

        get_worker().log_event(f"chroma-{job.id}", item)
    except (ImportError, ValueError):  # not on a Dask worker (a local run)
        pass


def done_by(job: Job, path: str | os.PathLike) -> bool:
    """Tell whether ``path`` was already written during ``job`` (a task run again skips it).

    Parameters
    ----------
    job : Job
        The run.
    path : str or os.PathLike
        An output file.

    Returns
    -------
    bool
        True when the file exists and its modification time is at or after ``job.started``.
    """
    try:
        return os.stat(path).st_mtime >= job.started
    except OSError:
        return False


def clear_partial(path: str | os.PathLike) -> None:
    """Remove temporary files a killed writer left beside ``path``.

    chroma.io writes to ``.NAME.chroma-tmp-HOST-PID-TOKEN.ext`` beside the target
    (:func:`chroma.io.temp_path_for`) and renames.

    Parameters
    ----------
    path : str or os.PathLike
        The output file about to be written.
    """
    p = Path(path)
    for tmp in p.parent.glob(f".{p.name}{TEMP_MARK}*"):
        tmp.unlink(missing_ok=True)


def run_tasks(farm: "Farm | str", tasks: Sequence[Task], label: str = "frames", job: Job | None = None,
              quiet: bool = False) -> list[tuple[str, str]]:
    """Submit ``tasks`` (dependencies first or not: they are wired by key) and wait.

    One bar counts frames done (reported by the tasks with :func:`report`) over the
    frames asked. A task that raises a :class:`ChromaError` (or any error) is recorded and
    the others finish. A task whose worker dies is run again by Dask on another worker
    (``retries=1``). Ctrl-C cancels every task.

    Parameters
    ----------
    farm : Farm or str
        An open farm, or a spec (then a farm is made for this call and closed after).
    tasks : Sequence[Task]
        The tasks; ``after`` keys must name tasks in the list.
    label : str, optional
        The progress bar's label (default ``"frames"``).
    job : Job or None, optional
        The run the tasks report to; default a new one started now.
    quiet : bool, optional
        No progress bar and no farm line (default False).

    Returns
    -------
    list[tuple[str, str]]
        (task key or path, reason) of every failure, plus those each task returned itself.

    Raises
    ------
    FarmError
        A task waits for a key not in the job, or for itself; the farm cannot be reached.
    """
    from chroma.progress import Progress

    if not isinstance(farm, Farm):
        with using(farm) as f:
            return run_tasks(f, tasks, label, job, quiet)
    distributed = _distributed()
    job = job or Job.start()
    total = sum(t.frames for t in tasks)
    seen: set[str] = set()
    failures: list[tuple[str, str]] = []
    if not quiet:
        where = f"dashboard {farm.dashboard}" if farm.dashboard else "no dashboard (pip install bokeh on the scheduler)"
        print(f"chroma farm: {len(farm.client.scheduler_info().get('workers', {}))} worker(s) at "
              f"{farm.client.scheduler.address}; {where}", file=sys.stderr)
    with Progress(total, label, enabled=None if not quiet else False) as bar:

        def on_event(event: Any) -> None:
            item = event[1] if isinstance(event, tuple) else event
            if item not in seen:
                seen.add(item)
                bar.update()

        topic = f"chroma-{job.id}"
        farm.client.subscribe_topic(topic, on_event)
        futures: dict[str, Any] = {}
        for t in _ordered(tasks):
            deps = [futures[k] for k in t.after]
            futures[t.key] = farm.client.submit(_call, t.fn, t.args, *deps, key=f"{t.key}-{job.id}", pure=False,
                                                resources={"GPU": 1} if t.gpu else None, retries=1)
        try:
            for fut in distributed.as_completed(list(futures.values())):
                key = fut.key.rsplit("-", 1)[0] if isinstance(fut.key, str) else str(fut.key)
                try:
                    result = fut.result()
                except ChromaError as exc:
                    failures.append((key, str(exc)))
                    continue
                except Exception as exc:
                    failures.append((key, f"{type(exc).__name__}: {exc}"))
                    continue
                if isinstance(result, list):
                    failures.extend(result)
        except KeyboardInterrupt:
            farm.client.cancel(list(futures.values()))
            raise
        finally:
            time.sleep(0.05)  # the last events
            farm.client.unsubscribe_topic(topic)
    return failures


def _ordered(tasks: Sequence[Task]) -> list[Task]:
    by_key = {t.key: t for t in tasks}
    out: list[Task] = []
    state: dict[str, int] = {}

    def visit(t: Task) -> None:
        if state.get(t.key) == 2:
            return
        if state.get(t.key) == 1:
            raise FarmError(f"task {t.key} depends on itself")
        state[t.key] = 1
        for k in t.after:
            if k not in by_key:
                raise FarmError(f"task {t.key} waits for {k!r}, which is not in the job")
            visit(by_key[k])
        state[t.key] = 2
        out.append(t)

    for t in tasks:
        visit(t)
    return out


def chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    """Cut ``items`` into consecutive chunks of ``size`` (the last may be shorter).

    Parameters
    ----------
    items : Sequence[Any]
        What to cut (frames, paths).
    size : int
        Items per chunk; below 1 counts as 1.

    Returns
    -------
    list[list[Any]]
        The chunks, in order.
    """
    size = max(1, int(size))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def default_chunk(n: int, workers: int) -> int:
    """Give the chunk size that makes about four chunks per worker.

    Four per worker balances the load against the per-task overhead.

    Parameters
    ----------
    n : int
        Frames to share out.
    workers : int
        Workers of the farm (below 1 counts as 1).

    Returns
    -------
    int
        Frames per chunk, ``ceil(n / (4 * workers))``, at least 1.
    """
    return max(1, -(-n // max(1, 4 * workers)))


def chunk_tasks(prefix: str, fn: Callable[..., Any], items: Sequence[Any], args: Callable[[list[Any]], tuple],
                chunk: int | None, workers: int, gpu: bool = False) -> list[Task]:
    """Cut ``items`` into chunks and make one task per chunk, keyed ``PREFIX-I``.

    Parameters
    ----------
    prefix : str
        The tasks' key prefix; chunk ``i`` (0-based) is ``f"{prefix}-{i}"``.
    fn : Callable[..., Any]
        What each task runs.
    items : Sequence[Any]
        What to share out (frames, paths), in order.
    args : Callable[[list], tuple]
        Builds a task's positional arguments from its chunk (called once per chunk).
    chunk : int or None
        Items per task; None for :func:`default_chunk` of ``workers``.
    workers : int
        Workers of the farm, for the default chunk.
    gpu : bool, optional
        Ask each task for the worker resource ``GPU=1`` (default False).

    Returns
    -------
    list[Task]
        One task per chunk, in order; ``frames`` is the chunk's length.
    """
    size = chunk or default_chunk(len(items), workers)
    return [Task(f"{prefix}-{i}", fn, args(c), len(c), gpu=gpu) for i, c in enumerate(chunks(items, size))]


def strip_options(argv: Sequence[str], drop_value: Iterable[str], drop_flag: Iterable[str]) -> list[str]:
    """Remove options from a command line.

    Parameters
    ----------
    argv : Sequence[str]
        The command line (without the program name).
    drop_value : Iterable[str]
        Options that take a value (``--farm X`` or ``--farm=X``): removed with it.
    drop_flag : Iterable[str]
        Flags without a value: removed.

    Returns
    -------
    list[str]
        ``argv`` without them, in order.
    """
    dv, df = set(drop_value), set(drop_flag)
    out: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        name = a.split("=", 1)[0]
        if name in dv:
            skip = "=" not in a
            continue
        if a in df:
            continue
        out.append(a)
    return out


