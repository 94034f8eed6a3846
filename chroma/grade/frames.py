"""Grading files and frame sequences: one frame (read, grade, write atomically), and many
frames across worker processes (spawned; the workers get a pre-compiled grade and need no
colour-science)."""

from __future__ import annotations

import os
from typing import Any, Sequence

from chroma import ocio as _ocio
from chroma.errors import ChromaError
from chroma.grade.compiled import CompiledGrade
from chroma.grade.core import Grade


def grade_file(src_path: str, dst_path: str, grade: "Grade | CompiledGrade", colorspace: str | None = None,
               write_options: dict | None = None) -> str:
    """Read ``src_path``, grade it, write ``dst_path`` (atomically); returns ``dst_path``.

    Channels other than R, G, B pass through; the input's metadata is kept and the grade is
    added under ``chroma/grade``. ``grade`` may be pre-compiled (the CLI compiles once and
    sends it to worker processes).
    """
    from chroma import io  # noqa: PLC0415

    opts = dict(write_options or {})
    cfg = opts.get("config")
    img = io.read(src_path, config=cfg)
    if isinstance(grade, CompiledGrade):
        compiled = grade
        dst = colorspace and _ocio.resolve_colorspace(colorspace, cfg) or img.colorspace
        if compiled.src != img.colorspace or compiled.dst != dst:
            compiled = compiled.grade.compile(img.colorspace, dst)  # type: ignore[union-attr]
        out = img.with_rgb(compiled.apply_rgb(img.rgb), compiled.dst)
        out.metadata["chroma/grade"] = compiled.grade.to_json()  # type: ignore[union-attr]
    else:
        out = grade.apply(img, colorspace)
    io.write(out, dst_path, **opts)
    return dst_path


def file_colorspace(path: str, config=None) -> str | None:
    """The colour space chroma.io.read would give ``path``, from its header only (or None)."""
    import OpenImageIO as oiio  # noqa: PLC0415

    from chroma import io  # noqa: PLC0415

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
    """Give this process ``threads`` threads for OIIO (decode/encode), OpenEXR and OCIO;
    returns the previous settings for :func:`_restore_threads`."""
    import OpenImageIO as oiio  # noqa: PLC0415

    from chroma import ocio as _ocio  # noqa: PLC0415

    old = (oiio.get_int_attribute("threads"), oiio.get_int_attribute("exr_threads"))
    oiio.attribute("threads", max(1, threads))
    oiio.attribute("exr_threads", max(1, threads))
    return (*old, _ocio.set_threads(threads))


def _restore_threads(old: tuple[int, int, int | None]) -> None:
    import OpenImageIO as oiio  # noqa: PLC0415

    from chroma import ocio as _ocio  # noqa: PLC0415

    oiio.attribute("threads", old[0])
    oiio.attribute("exr_threads", old[1])
    _ocio.set_threads(old[2])


def grade_frames(plan: Sequence[tuple[Any, str, str]], grade: "Grade", colorspace: str | None = None,
                 write_options: dict | None = None, jobs: int | None = None, on_done=None,
                 on_fail=None) -> list[tuple[str, str]]:
    """Grade every (frame, input, output) of ``plan`` on ``jobs`` cores (default: all): with
    several frames, ``jobs`` processes grade a frame each on their share of the cores (frames
    are independent, so this scales better than threads inside one frame); one frame, or
    ``jobs=1``, runs in this process on ``jobs`` threads. A frame that fails (missing, corrupt, unwritable) is recorded and the others
    still finish. Returns [(input, reason)] of failures; ``on_done(input)`` is called per frame
    written, or for every frame when ``on_fail`` is None; ``on_fail(input, reason)`` per frame
    that failed."""

    def fail(path: str, why: str) -> None:
        failures.append((path, why))
        if on_fail:
            on_fail(path, why)
        elif on_done:
            on_done(path)

    jobs = max(1, int(jobs or os.cpu_count() or 1))
    failures: list[tuple[str, str]] = []
    compiled: CompiledGrade | None = None
    if plan:
        first = next((p for _, p, _ in plan if os.path.exists(p)), None)
        src = first and file_colorspace(first, (write_options or {}).get("config"))
        compiled = grade.compile(src or grade.colorspace, colorspace or src or grade.colorspace)
    if jobs == 1 or len(plan) <= 1:
        # --jobs is the number of cores to use: one frame at a time on `jobs` threads
        old = worker_init(jobs)
        try:
            for _frame, path, target in plan:
                try:
                    grade_file(path, target, compiled or grade, colorspace, write_options)
                except ChromaError as exc:
                    fail(path, str(exc))
                    continue
                if on_done:
                    on_done(path)
        finally:
            _restore_threads(old)
        return failures
    import multiprocessing as mp  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: PLC0415

    threads = max(1, (os.cpu_count() or 1) // jobs)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn"),
                             initializer=worker_init, initargs=(threads,)) as pool:
        futures = {pool.submit(grade_file, path, target, compiled, colorspace, write_options): path
                   for _frame, path, target in plan}
        try:
            for fut in as_completed(futures):
                path = futures[fut]
                try:
                    fut.result()
                except ChromaError as exc:
                    fail(path, str(exc))
                    continue
                except Exception as exc:  # a crashed worker: report the frame, keep going
                    fail(path, f"{type(exc).__name__}: {exc}")
                    continue
                if on_done:
                    on_done(path)
        except KeyboardInterrupt:
            for fut in futures:
                fut.cancel()
            raise
    return failures
