"""Scale out: frames and shots as tasks on a Dask cluster, edits of shots, OpenCue export.

``--farm local:N`` starts a Dask ``LocalCluster`` of N worker processes on this machine;
``--farm tcp://HOST:8786`` uses a running Dask scheduler (``dask scheduler`` /
``dask worker``, https://distributed.dask.org). Work is cut into tasks by what depends on
what (docs/farm.md):

- frame-independent work (``chroma grade``, ``convert``) runs in chunks of frames;
- a shot whose frames feed each other (animation modes 2D and 3D: every frame starts
  from the previous one warped) is **one** task that renders in order; a lost worker's
  task is run again and resumes from the loop state saved after each frame
  (:class:`chroma.pipeline.ShotRunner`);
- a shot whose frames are independent (modes "None" and "Video": every frame starts from
  noise, the init image or its plate frame) runs in chunks of frames;
- an **edit** (a TOML list of shot files) renders its shots in parallel; each seam's
  OKLab crossfade (:func:`chroma.oklab.crossfade`) is a task that waits for both shots.

Every output is written atomically (to a temporary file, then renamed), so a task run
again never leaves half a frame; a frame this job already finished is not written again.
Render tasks ask for the worker resource ``GPU=1`` (start GPU workers with
``--resources GPU=1``). One progress bar counts frames done over frames asked across
all workers.

Dask is imported only when a farm is used: ``import chroma`` does not import it. The
``farm`` extra installs it: ``pip install "chroma-vfx[farm]"``.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import re
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from chroma.errors import ChromaError

__all__ = [
    "FarmError", "Farm", "connect", "Task", "run_tasks", "grade", "cli_frames", "render_shot", "frames_feed_forward",
    "Edit", "load_edit", "render_edit", "split_shot", "export_opencue", "INSTALL",
]

INSTALL = 'pip install "chroma-vfx[farm]"'
FEED_FORWARD_MODES = ("2D", "3D")  # render/animation.py: only these warp the previous frame into the next


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


# ============================================================================= frame work


def _grade_chunk(items: list[tuple[str, str]], compiled: Any, colorspace: str | None, write_options: dict,
                 job: Job, threads: int) -> list[tuple[str, str]]:
    from chroma.grade.frames import _worker_init, grade_file  # noqa: PLC0415

    if threads:
        _worker_init(threads)
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


# =================================================================================== shots


def frames_feed_forward(shot: Any) -> bool:
    """Whether each frame of ``shot`` starts from the previous one (2D, 3D: warped), so
    the shot must render in order; "None" and "Video" frames are independent."""
    return shot.animation_mode in FEED_FORWARD_MODES


def _runner(shot_path: str, config: Any, overrides: Mapping[str, Any], job: Job, independent: bool) -> Any:
    from chroma.pipeline import ShotRunner  # noqa: PLC0415
    from chroma.shot import load_shot  # noqa: PLC0415

    shot = load_shot(shot_path, config=config)
    shot.render.update(overrides)

    class FarmRunner(ShotRunner):
        def load_state(self, index: int) -> Any:
            if independent:  # nothing flows from frame to frame: an empty state is exact
                from render.animation import LoopState  # noqa: PLC0415

                return LoopState(index=index)
            return super().load_state(index)

        def write_nuke_script(self) -> Any:  # once, by the client, when every task is done
            return None

    runner = FarmRunner(shot, config=config)
    runner.on_frame = lambda r: report(job, str(runner.path(r.index))) if r.path else None
    return runner


def _shot_serial(shot_path: str, config: Any, overrides: Mapping[str, Any], start: int, last: int, write: list[int],
                 replace: list[int], job: Job) -> list:
    """A frame-to-frame shot: one task, in order; run again (a lost worker), it resumes
    after the last state this job saved."""
    from chroma.pipeline import RunPlan  # noqa: PLC0415

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


def _shot_chunk(shot_path: str, config: Any, overrides: Mapping[str, Any], indices: list[int], replace: list[int],
                job: Job) -> list:
    """Frames of a shot whose frames are independent: each from an empty loop state."""
    from chroma.pipeline import RunPlan  # noqa: PLC0415

    runner = _runner(shot_path, config, overrides, job, True)
    for i in indices:
        if done_by(job, runner.path(i)):
            report(job, str(runner.path(i)))
            continue
        clear_partial(runner.path(i))
        rep = [i] if i in replace and runner.path(i).exists() else []
        runner.run(RunPlan(i - 1, i, [i], rep))
    return []


def shot_tasks(shot: Any, shot_path: str, plan: Any, job: Job, config: Any = None, overrides: Mapping[str, Any] | None = None,
               chunk: int | None = None, workers: int = 1, prefix: str = "shot") -> list[Task]:
    """The tasks that render ``plan`` of ``shot``: one in-order task for a frame-to-frame
    shot, chunks of frames otherwise. Each asks for ``GPU=1`` unless the shot's device is the CPU."""
    overrides = dict(overrides or {})
    gpu = str(shot.render.get("device") or "").lower() != "cpu"
    if not plan.write:
        return []
    if frames_feed_forward(shot):
        return [Task(prefix, _shot_serial, (shot_path, config, overrides, plan.start, plan.last, list(plan.write),
                                            list(plan.replace), job), len(plan.write), gpu=gpu)]
    size = chunk or default_chunk(len(plan.write), workers)
    return [Task(f"{prefix}-{i}", _shot_chunk, (shot_path, config, overrides, c, list(plan.replace), job), len(c), gpu=gpu)
            for i, c in enumerate(chunks(list(plan.write), size))]


def _check_render() -> None:
    try:
        import render  # noqa: F401,PLC0415
    except ImportError as exc:
        raise ChromaError(f"the renderer is not installed ({exc.name or exc}); install it with: "
                          'pip install "chroma-vfx[render]"') from None


def render_shot(farm: "Farm | str", shot_path: str | os.PathLike, config: Any = None, frames: str | None = None,
                resume: bool = False, overwrite: bool = False, overrides: Mapping[str, Any] | None = None,
                chunk: int | None = None, quiet: bool = False) -> list[tuple[str, str]]:
    """``chroma render SHOT.toml --farm ...``: plan on the client (every refusal before any
    work), render on the farm, write the Nuke script. Returns failures."""
    from chroma.pipeline import ShotRunner  # noqa: PLC0415
    from chroma.shot import load_shot  # noqa: PLC0415

    shot_path = os.path.abspath(shot_path)
    shot = load_shot(shot_path, config=config)
    _check_render()
    shot.render.update(overrides or {})
    runner = ShotRunner(shot, config=config)
    plan = runner.plan(frames, resume=resume, overwrite=overwrite)
    for note in plan.notes:
        print(f"chroma render: note: {note}", file=sys.stderr)
    if not plan.write:
        return []
    runner.check_models()
    job = Job(uuid.uuid4().hex[:12], time.time())
    runner.out_dir.mkdir(parents=True, exist_ok=True)
    with using(farm) as farm:
        tasks = shot_tasks(shot, shot_path, plan, job, config, overrides, chunk, farm.workers)
        failures = run_tasks(farm, tasks, "frames", job, quiet)
    runner.write_nuke_script()
    return failures


# ==================================================================================== edits


@dataclass(frozen=True)
class EditShot:
    path: str            # the shot file (absolute)
    crossfade: int       # frames of the crossfade into this shot from the previous one (0 for the first)


@dataclass
class Edit:
    """An edit file: shots in order, crossfades at the seams, the conformed sequence.

    ``starts[i]`` is shot i's first frame in the edit (0-based): each shot overlaps the
    previous one by its crossfade."""

    path: Path
    output: str          # the edit's sequence pattern (absolute)
    first_frame: int
    shots: list[EditShot]
    lengths: list[int]
    curve: str = "smooth"
    space: str = "oklab"
    dtype: str = "half"
    compression: str = "zip"

    @property
    def starts(self) -> list[int]:
        out = [0]
        for i in range(1, len(self.shots)):
            out.append(out[-1] + self.lengths[i - 1] - self.shots[i].crossfade)
        return out

    @property
    def length(self) -> int:
        return self.starts[-1] + self.lengths[-1]

    def seam_frames(self, i: int) -> list[int]:
        """Edit frame numbers of the crossfade into shot ``i`` (i >= 1)."""
        s = self.starts[i]
        return [self.first_frame + s + k for k in range(self.shots[i].crossfade)]


def load_edit(path: str | os.PathLike, config: Any = None) -> Edit:
    """Read and check an edit file (format in docs/farm.md)::

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
    """
    from chroma import sequence  # noqa: PLC0415
    from chroma.shot import _toml, load_shot  # noqa: PLC0415

    path = Path(path).resolve()
    try:
        data = _toml.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FarmError(f"edit file {str(path)!r}: {exc.strerror or exc}") from None
    except _toml.TOMLDecodeError as exc:
        raise FarmError(f"{path}: not valid TOML: {exc}") from None
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
    shots, lengths = [], []
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
    for i, n in enumerate(lengths):
        tail = shots[i + 1].crossfade if i + 1 < len(shots) else 0
        if shots[i].crossfade + tail > n:
            raise FarmError(f"{path}: shot {i + 1} has {n} frames, fewer than its two crossfades "
                            f"({shots[i].crossfade} + {tail}); shorten them")
    from chroma.oklab.frames import crossfade_weights  # noqa: PLC0415

    curve = str(data.get("curve", "smooth"))
    crossfade_weights(2, curve)  # an unknown curve fails here
    return Edit(path, out, int(data.get("first_frame", 1001)), shots, lengths, curve, str(data.get("space", "oklab")),
                str(data.get("dtype", "half")), str(data.get("compression", "zip")))


def is_edit(data: Mapping[str, Any]) -> bool:
    """Whether parsed TOML is an edit (a ``[[shots]]`` array) rather than a shot."""
    shots = data.get("shots")
    return isinstance(shots, list) and all(isinstance(s, Mapping) for s in shots) and bool(shots)


def _atomic_copy(src: str, dst: str) -> None:
    tmp = Path(dst).with_name(f".{Path(dst).name}.chroma-tmp-{os.getpid()}{Path(dst).suffix}")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def conform(edit_path: str, i: int, job: Job | None = None, config: Any = None) -> list:
    """Copy shot ``i``'s frames outside its seams into the edit's sequence."""
    from chroma import sequence  # noqa: PLC0415
    from chroma.shot import load_shot  # noqa: PLC0415

    edit = load_edit(edit_path, config)
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


def seam(edit_path: str, i: int, job: Job | None = None, config: Any = None) -> list:
    """The crossfade into shot ``i`` (``i >= 1``): :func:`chroma.oklab.crossfade` of the
    previous shot's last frames into this shot's first, renumbered to the edit's frames
    (through links in a hidden folder beside the edit's sequence)."""
    from chroma import oklab, sequence  # noqa: PLC0415
    from chroma.shot import load_shot  # noqa: PLC0415

    edit = load_edit(edit_path, config)
    a, b = (load_shot(edit.shots[j].path, config=config) for j in (i - 1, i))
    frames = edit.seam_frames(i)
    if not frames:
        return []
    out = sequence.parse_pattern(edit.output)
    stage = Path(out.path(edit.first_frame)).parent / f".{Path(out.prefix).name.rstrip('._-') or 'edit'}.seams" / f"seam{i:02d}"
    stage.mkdir(parents=True, exist_ok=True)
    n = len(frames)
    for tag, shot, first in (("a", a, a.max_frames - n), ("b", b, 0)):
        for k, f in enumerate(frames):
            link = stage / f"{tag}.{f:04d}.exr"
            link.unlink(missing_ok=True)
            src = os.path.abspath(shot.output.path(first + k))
            try:
                os.symlink(src, link)
            except OSError:  # no symlinks here: a copy
                shutil.copyfile(src, link)
    oklab.crossfade(str(stage / "a.####.exr"), str(stage / "b.####.exr"), edit.output, frames, edit.space, edit.curve,
                    overwrite=True, write_options={"dtype": edit.dtype, "compression": edit.compression},
                    progress=False, config=config)
    if job is not None:
        for f in frames:
            report(job, out.path(f))
    return []


def edit_tasks(edit: Edit, job: Job, config: Any = None, resume: bool = False, overwrite: bool = False,
               chunk: int | None = None, workers: int = 1, only: str | None = None) -> list[Task]:
    """Tasks of an edit: each shot's render tasks, a conform task per shot after them, and
    a crossfade task per seam after both of its shots."""
    from chroma.pipeline import ShotRunner  # noqa: PLC0415
    from chroma.shot import load_shot  # noqa: PLC0415

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


def render_edit(farm: "Farm | str", edit_path: str | os.PathLike, config: Any = None, resume: bool = False,
                overwrite: bool = False, chunk: int | None = None, quiet: bool = False) -> list[tuple[str, str]]:
    """Render an edit on the farm: shots in parallel, then the conform and the crossfades.
    Returns failures."""
    from chroma.pipeline import ShotRunner  # noqa: PLC0415
    from chroma.shot import load_shot  # noqa: PLC0415

    edit = load_edit(edit_path, config)
    _check_render()
    for es in edit.shots:
        ShotRunner(load_shot(es.path, config=config), config=config).check_models()
    job = Job(uuid.uuid4().hex[:12], time.time())
    with using(farm) as farm:
        tasks = edit_tasks(edit, job, config, resume, overwrite, chunk, farm.workers)
        failures = run_tasks(farm, tasks, "frames", job, quiet)
    for es in edit.shots:
        ShotRunner(load_shot(es.path, config=config), config=config).write_nuke_script()
    return failures


# ================================================================================ splitting


def _shift_keys(table: Mapping[str, Any], s: int, e: int) -> dict[str, Any]:
    keys = sorted(int(k) for k in table)
    held = [k for k in keys if k <= s]
    out: dict[str, Any] = {}
    if held:
        out["0"] = table[str(held[-1])] if str(held[-1]) in table else table[held[-1]]
    for k in keys:
        if s < k < e:
            out[str(k - s)] = table[str(k)] if str(k) in table else table[k]
    return out


def split_shot(shot_path: str | os.PathLike, max_frames: int, at: Iterable[int] = (), crossfade: int = 0,
               config: Any = None) -> Path:
    """Split a long shot into shots of at most ``max_frames`` frames and write an edit of them.

    Cuts fall on the frame indices in ``at`` where they can (section or line boundaries
    from ``chroma sync``), else every ``max_frames - crossfade`` frames. Consecutive parts
    overlap by ``crossfade`` frames: the edit crossfades them (a frame-to-frame shot
    restarts at each part, so a seam needs a dissolve). Each part keeps the shot's settings
    with every keyframed schedule written out frame by frame (the values equal the
    original's), prompts re-keyed to the part, the seed advanced by the part's start
    (Disco Diffusion's ``seed + frame``), ``first_frame`` and the audio offset shifted.

    Args:
        shot_path: the shot file. max_frames: the longest part, in frames.
        at: preferred cut points, 0-based frame indices of the shot.
        crossfade: frames of overlap at each seam (< max_frames).
    Returns:
        The edit file written beside the shot (``<stem>.edit.toml``); parts are
        ``<stem>_p01.toml``... beside it, writing ``<pattern stem>_p01.####.exr``...
    """
    from chroma.shot import CAMERA_KEYS, _toml, dump_shot, load_shot  # noqa: F401,PLC0415

    shot_path = Path(shot_path).resolve()
    shot = load_shot(shot_path, config=config)
    if crossfade < 0 or max_frames <= crossfade:
        raise FarmError(f"split: max_frames ({max_frames}) must exceed the crossfade ({crossfade})")
    n = shot.max_frames
    cuts = sorted({int(c) for c in at if 0 < int(c) < n})
    parts: list[tuple[int, int]] = []
    s = 0
    while n - s > max_frames:
        fits = [c for c in cuts if s < c and c + crossfade - s <= max_frames]
        b = fits[-1] if fits else s + max_frames - crossfade
        parts.append((s, b + crossfade))
        s = b
    parts.append((s, n))
    raw = _toml.loads(shot_path.read_text(encoding="utf-8"))
    stem = shot_path.stem
    edit_shots = []
    for p, (s, e) in enumerate(parts, 1):
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
        part = shot_path.with_name(f"{stem}_p{p:02d}.toml")
        part.write_text(dump_shot(d, f"part {p} of {shot_path.name}: frames {s}-{e - 1} (chroma.farm.split_shot)"),
                        encoding="utf-8")
        edit_shots.append({"file": part.name, "crossfade": crossfade if p > 1 else 0})
    import tomlkit  # noqa: PLC0415

    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"{shot_path.name} in {len(parts)} parts (chroma.farm.split_shot)"))
    doc.add("output", re.sub(r"([._-]?)(#+|%0?\d*d|@+)", r"_edit\1\2", raw["output"]["pattern"], count=1))
    doc.add("first_frame", shot.output.first_frame)
    doc.add("crossfade", crossfade)
    aot = tomlkit.aot()
    for es in edit_shots:
        aot.append(tomlkit.item(es))
    doc.add("shots", aot)
    edit_path = shot_path.with_name(f"{stem}.edit.toml")
    edit_path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return edit_path


# ================================================================================= OpenCue


@dataclass
class CueLayer:
    """One OpenCue layer: a shell command run per chunk of ``range``.

    ``#FRAME_START#``/``#FRAME_END#``/``#IFRAME#`` in the command are OpenCue's tokens,
    replaced on the render node by the chunk's first and last frame and the frame."""

    name: str
    command: list[str]
    range: str
    chunk: int = 1
    after: list[str] = field(default_factory=list)
    gpus: int = 0
    cores: float = 1.0


def _cmd(args: Sequence[str]) -> str:
    import shlex  # noqa: PLC0415

    return " ".join(a if a.startswith("#") and a.endswith("#") else shlex.quote(a) for a in args)


def edit_layers(path: str | os.PathLike, config: Any = None, chunk: int | None = None, chroma: str = "chroma") -> list[CueLayer]:
    """OpenCue layers for a shot file or an edit file: a layer per shot (one task for a
    frame-to-frame shot, chunked otherwise), a conform layer per shot and a crossfade layer
    per seam depending on both shots' layers."""
    from chroma.shot import _toml, load_shot  # noqa: PLC0415

    path = Path(path).resolve()
    data = _toml.loads(path.read_text(encoding="utf-8"))
    cfg = ["--config", str(config)] if config else []
    if is_edit(data):
        edit = load_edit(path, config)
        files = [es.path for es in edit.shots]
    else:
        edit, files = None, [str(path)]
    layers: list[CueLayer] = []
    for i, file in enumerate(files):
        shot = load_shot(file, config=config)
        first = shot.output.first_frame
        rng = f"{first}-{first + shot.max_frames - 1}"
        gpus = 0 if str(shot.render.get("device") or "").lower() == "cpu" else 1
        name = f"shot{i + 1:02d}_{Path(file).stem}"
        if frames_feed_forward(shot):  # one task renders every frame in order; a retry resumes
            layers.append(CueLayer(name, [chroma, "render", file, "--resume", *cfg], rng, shot.max_frames, gpus=gpus))
        else:
            size = chunk or max(1, min(10, shot.max_frames))
            layers.append(CueLayer(name, [chroma, "farm", "task", file, "--frames", "#FRAME_START#-#FRAME_END#", *cfg],
                                   rng, size, gpus=gpus))
    if edit is not None:
        for i in range(len(files)):
            layers.append(CueLayer(f"conform{i + 1:02d}", [chroma, "farm", "task", str(edit.path), "--conform", str(i), *cfg],
                                   "1-1", 1, [layers[i].name]))
            if i:
                layers.append(CueLayer(f"crossfade{i:02d}_{i + 1:02d}",
                                       [chroma, "farm", "task", str(edit.path), "--seam", str(i), *cfg], "1-1", 1,
                                       [layers[i - 1].name, layers[i].name]))
    return layers


def command_layer(argv: Sequence[str], frames: Sequence[int], chunk: int, name: str | None = None,
                  chroma: str = "chroma") -> CueLayer:
    """A layer running a chroma command (``grade``, ``convert``...) over ``frames`` in
    chunks: the node runs it with ``--frames #FRAME_START#-#FRAME_END# --overwrite``."""
    from chroma import sequence  # noqa: PLC0415

    argv = strip_options(argv, ("--farm", "--chunk", "--frames", "--jobs"), ("--overwrite", "--skip-existing"))
    jobs = ["--jobs", "1"] if argv and argv[0] == "grade" else []  # a node's cores go to one frame at a time
    cmd = [chroma, *argv, *jobs, "--frames", "#FRAME_START#-#FRAME_END#", "--overwrite"]
    return CueLayer(name or argv[0], cmd, sequence.format_frames(list(frames)).replace(" ", ""), max(1, chunk))


def export_opencue(layers: Sequence[CueLayer], path: str | os.PathLike, job: str = "chroma", show: str = "chroma",
                   shot: str = "shot", user: str | None = None, facility: str = "local") -> Path:
    """Write an OpenCue job specification (the XML cuebot takes, CJSL) for ``layers``.

    With OpenCue's pyoutline installed (``opencue-pyoutline``, in the farm extra) the
    outline is built with it (``outline.Outline`` + ``outline.modules.shell.Shell``
    layers, ``depend_on``) and serialised with ``outline.backend.cue.serialize_simple``;
    otherwise the same document is written directly, following the CJSL DTD that
    pyoutline writes (spec, job, layers of ``cmd``/``range``/``chunk``, ``depends`` of
    type ``LAYER_ON_LAYER``; each layer in OpenCue's ``shell`` service). Submit it with pycue (``opencue.api.launchSpec``) or
    ``cuerun``.
    """
    path = Path(path)
    user = user or os.environ.get("USER", "chroma")
    try:
        text = _serialise_pyoutline(layers, job, show, shot, user, facility)
    except ImportError:
        text = _serialise_cjsl(layers, job, show, shot, user, facility)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _serialise_pyoutline(layers: Sequence[CueLayer], job: str, show: str, shot: str, user: str, facility: str) -> str:
    import outline  # noqa: PLC0415
    import outline.cuerun  # noqa: PLC0415
    import outline.depend  # noqa: PLC0415
    from outline.backend import cue  # noqa: PLC0415
    from outline.modules.shell import Shell  # noqa: PLC0415

    ol = outline.Outline(job, shot=shot, show=show, user=user)
    made: dict[str, Any] = {}
    for lay in layers:
        kw: dict[str, Any] = {"command": _cmd(lay.command), "range": lay.range, "chunk": lay.chunk, "cores": lay.cores}
        if lay.gpus:
            kw["gpus"] = lay.gpus
        sh = Shell(lay.name, **kw)
        ol.add_layer(sh)
        made[lay.name] = sh
    for lay in layers:
        for dep in lay.after:
            made[lay.name].depend_on(made[dep], outline.depend.DependType.LayerOnLayer)
    launcher = outline.cuerun.OutlineLauncher(ol, user=user, show=show, shot=shot, facility=facility, nomail=True)
    return cue.serialize_simple(launcher)


CJSL_VERSION = "1.15"


def _serialise_cjsl(layers: Sequence[CueLayer], job: str, show: str, shot: str, user: str, facility: str) -> str:
    import xml.etree.ElementTree as Et  # noqa: PLC0415

    def sub(parent: Any, tag: str, text: str | None, **attrs: str) -> Any:
        e = Et.SubElement(parent, tag, attrs)
        e.text = text
        return e

    root = Et.Element("spec")
    sub(root, "facility", facility)
    sub(root, "show", show)
    sub(root, "shot", shot)
    sub(root, "user", user)
    sub(root, "uid", str(os.getuid() if hasattr(os, "getuid") else 0))
    j = sub(root, "job", None, name=job)
    sub(j, "paused", "False")
    sub(j, "priority", "1")
    sub(j, "maxretries", "2")
    sub(j, "autoeat", "False")
    Et.SubElement(j, "env")
    ls = Et.SubElement(j, "layers")
    for lay in layers:
        le = sub(ls, "layer", None, name=lay.name, type="Render")
        sub(le, "cmd", _cmd(lay.command))
        sub(le, "range", lay.range)
        sub(le, "chunk", str(lay.chunk))
        sub(le, "cores", f"{float(lay.cores):0.1f}")
        if lay.gpus:
            sub(le, "gpus", str(lay.gpus))
            sub(le, "gpu_memory", "1g")
        Et.SubElement(le, "env")
        services = Et.SubElement(le, "services")
        sub(services, "service", "shell")
        Et.SubElement(le, "outputs")
    deps = Et.SubElement(root, "depends")
    for lay in layers:
        for dep in lay.after:
            d = sub(deps, "depend", None, type="LAYER_ON_LAYER", anyframe="False")
            sub(d, "depjob", job)
            sub(d, "deplayer", lay.name)
            sub(d, "onjob", job)
            sub(d, "onlayer", dep)
    return ('<?xml version="1.0"?><!DOCTYPE spec PUBLIC "SPI Cue  Specification Language" '
            f'"http://localhost:8080/spcue/dtd/cjsl-{CJSL_VERSION}.dtd">' + Et.tostring(root).decode())
