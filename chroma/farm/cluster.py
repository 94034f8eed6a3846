"""Farms (a Dask LocalCluster or a running scheduler), tasks with dependencies, one
progress bar across workers, and what makes a task safe to run again."""

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

INSTALL = 'pip install "chroma-vfx[farm]"'


class FarmError(ChromaError):
    """A farm that cannot be used as asked (not installed, unreachable, a bad spec)."""


def _distributed() -> Any:
    try:
        import distributed  # noqa: PLC0415
    except ImportError:
        raise FarmError(f"--farm needs Dask's distributed scheduler, which is not installed; install it with: {INSTALL}") from None
    return distributed


# =================================================================================== farms


class Farm:
    """A Dask client on a local cluster (``local:N``) or a running scheduler (``tcp://HOST:PORT``).

    Use as a context manager; a local cluster is shut down on exit.

    Args:
        spec: ``local:N`` (N worker processes, one thread each, each offering ``GPU=1``)
            or a scheduler address ``tcp://HOST:PORT``.
        env: environment variables for local workers (e.g. ``OMP_NUM_THREADS``).
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
        """The Dask dashboard's address (None when the scheduler serves none: it needs bokeh)."""
        try:
            services = self.client.scheduler_info().get("services", {})
        except Exception:  # noqa: BLE001 - a nicety
            return None
        return self.client.dashboard_link if "dashboard" in services else None

    def threads_per_worker(self) -> int:
        """Threads each local worker may give OIIO/OCIO (all cores shared out); 0 = leave as is."""
        return max(1, (os.cpu_count() or 1) // self.workers) if self.cluster is not None else 0

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> "Farm":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(spec: "str | Farm", env: Mapping[str, str] | None = None) -> Farm:
    """A :class:`Farm` from ``--farm``'s value (a Farm is returned as it is)."""
    return spec if isinstance(spec, Farm) else Farm(spec, env)


@contextlib.contextmanager
def using(spec: "str | Farm") -> Iterator[Farm]:
    """A farm for one job: one made from a spec is closed after it; a Farm given stays open."""
    if isinstance(spec, Farm):
        yield spec
        return
    with Farm(spec) as farm:
        yield farm


# =================================================================================== tasks


@dataclass
class Task:
    """One unit of work: ``fn(*args)`` on a worker, after the tasks named in ``after``.

    ``frames`` is how many frames it produces (the progress bar's share); ``gpu`` asks for
    the worker resource ``GPU=1``."""

    key: str
    fn: Callable[..., Any]
    args: tuple = ()
    frames: int = 0
    after: list[str] = field(default_factory=list)
    gpu: bool = False


@dataclass(frozen=True)
class Job:
    """What every task of a run shares: an id (the progress topic) and its start time
    (outputs newer than it were written by this job and are not written again)."""

    id: str
    started: float


def _call(fn: Callable[..., Any], args: tuple, *_after: Any) -> Any:
    return fn(*args)


def report(job: Job, item: str) -> None:
    """Tell the client that ``item`` (an output path) is done (from inside a task)."""
    try:
        from distributed import get_worker  # noqa: PLC0415

        get_worker().log_event(f"chroma-{job.id}", item)
    except (ImportError, ValueError):  # not on a Dask worker (a local run)
        pass


def done_by(job: Job, path: str | os.PathLike) -> bool:
    """Whether ``path`` was already written during ``job`` (a task run again skips it)."""
    try:
        return os.stat(path).st_mtime >= job.started
    except OSError:
        return False


def clear_partial(path: str | os.PathLike) -> None:
    """Remove temporary files a killed writer left beside ``path`` (chroma.io writes to
    ``.NAME.chroma-tmp-PID.ext`` and renames)."""
    p = Path(path)
    for tmp in p.parent.glob(f".{p.name}.chroma-tmp-*"):
        tmp.unlink(missing_ok=True)


def run_tasks(farm: "Farm | str", tasks: Sequence[Task], label: str = "frames", job: Job | None = None,
              quiet: bool = False) -> list[tuple[str, str]]:
    """Submit ``tasks`` (dependencies first or not: they are wired by key) and wait.

    One bar counts frames done (reported by the tasks with :func:`report`) over the
    frames asked. A task that raises a :class:`ChromaError` (or any error) is recorded and
    the others finish. A task whose worker dies is run again by Dask on another worker.

    Returns:
        [(task key or path, reason)] of failures, plus those each task returned itself.
    """
    from chroma.progress import Progress

    if not isinstance(farm, Farm):
        with using(farm) as f:
            return run_tasks(f, tasks, label, job, quiet)
    distributed = _distributed()
    job = job or Job(uuid.uuid4().hex[:12], time.time())
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
                except Exception as exc:  # noqa: BLE001 - a task that crashed: report it, keep going
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
    """``items`` in consecutive chunks of ``size`` (the last may be shorter)."""
    size = max(1, int(size))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def default_chunk(n: int, workers: int) -> int:
    """About four chunks per worker (load balance vs per-task overhead), at least one frame."""
    return max(1, -(-n // max(1, 4 * workers)))


def strip_options(argv: Sequence[str], drop_value: Iterable[str], drop_flag: Iterable[str]) -> list[str]:
    """``argv`` without the options in ``drop_value`` (with their value) and ``drop_flag``."""
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


