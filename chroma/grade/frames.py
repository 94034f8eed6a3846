"""Grading files and frame sequences.

One frame (read, grade, write atomically), many frames through :mod:`chroma.framerun`
(worker processes here, or a farm's executor; the workers get a pre-compiled grade and
need no colour-science), and :func:`grade_sequence`, the API behind
``chroma grade IN -o OUT``. This module never imports the farm: the caller (the CLI)
chooses where frames run and passes the executor.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from chroma import ocio as _ocio
from chroma.errors import ChromaError
from chroma.framerun import (  # noqa: F401  (end_with_parent: its home was here)
    FileCall,
    FrameExecutor,
    FrameTriple,
    LocalFrames,
    end_with_parent,
    run_frames,
    set_threads,
)
from chroma.grade.compiled import CompiledGrade
from chroma.grade.core import Grade


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


worker_init = set_threads
"""Give this process ``threads`` threads for OIIO, OpenEXR and OCIO (:func:`chroma.framerun.set_threads`)."""


def grade_work(compiled: CompiledGrade, colorspace: str | None = None,
               write_options: dict[str, Any] | None = None) -> FileCall:
    """The per-frame work of grading: :func:`grade_file` with the compiled grade bound.

    Parameters
    ----------
    compiled : CompiledGrade
        The grade, compiled once (:meth:`Grade.compile`); it is pickled to the workers.
    colorspace : str or None, optional
        Output colour space; default None: each input's.
    write_options : dict or None, optional
        Keyword arguments for :func:`chroma.io.write`; default None.

    Returns
    -------
    FileCall
        ``grade_file(input, output, compiled, colorspace, write_options)`` per frame, for
        :func:`chroma.framerun.run_frames`.
    """
    return FileCall(grade_file, {"grade": compiled, "colorspace": colorspace,
                                 "write_options": dict(write_options or {})})


def compile_for(plan: Sequence[FrameTriple], grade: Grade, colorspace: str | None = None,
                config: str | os.PathLike[str] | None = None) -> CompiledGrade:
    """Compile ``grade`` once for a plan: from the first input on disk's colour space to ``colorspace``.

    Parameters
    ----------
    plan : sequence of (frame, str, str)
        (frame, input path, output path) triples.
    grade : Grade
        The grade to compile.
    colorspace : str or None, optional
        Output colour space; default None: the first input's (or the grade's).
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    CompiledGrade
        The grade compiled once; :func:`grade_file` compiles again for a frame in another
        colour space.
    """
    first = next((p for _, p, _ in plan if os.path.exists(p)), None)
    src = first and file_colorspace(first, config)
    return grade.compile(src or grade.colorspace, colorspace or src or grade.colorspace)


def grade_frames(plan: Sequence[tuple[Any, str, str]], grade: Grade, colorspace: str | None = None,
                 write_options: dict[str, Any] | None = None, jobs: int | None = None,
                 on_done: Callable[[str], None] | None = None,
                 on_fail: Callable[[str, str], None] | None = None, *,
                 executor: FrameExecutor | None = None) -> list[tuple[str, str]]:
    """Grade every (frame, input, output) of ``plan`` on ``jobs`` cores (or on ``executor``).

    With several frames, ``jobs`` processes grade a frame each on their share of the cores
    (frames are independent, so this scales better than threads inside one frame); one
    frame, or ``jobs=1``, runs in this process on ``jobs`` threads
    (:class:`chroma.framerun.LocalFrames`). The grade is compiled once, for the colour
    space of the first input on disk (:func:`compile_for`). A frame that fails (missing,
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
    executor : chroma.framerun.FrameExecutor or None, optional
        Where the frames run (e.g. ``chroma.farm.FarmFrames``); default None:
        :class:`chroma.framerun.LocalFrames` of ``jobs``.

    Returns
    -------
    list of (str, str)
        (input path, reason) of every frame that failed.
    """
    if not plan:
        return []
    compiled = compile_for(plan, grade, colorspace, (write_options or {}).get("config"))
    return run_frames(grade_work(compiled, colorspace, write_options), plan, executor or LocalFrames(jobs),
                      on_done=on_done, on_fail=on_fail)


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
            executor: FrameExecutor | None = None, farm: FrameExecutor | None = None,
            chunk: int | None = None, on_done: Callable[[str], None] | None = None,
            on_fail: Callable[[str, str], None] | None = None) -> SequenceResult:
        """Grade every frame of the plan and write it.

        Frames are graded by :func:`grade_frames` on this machine or on ``executor``
        (``chroma.farm.FarmFrames(farm)``: chunks on Dask workers, bit-identical files).
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
        executor : chroma.framerun.FrameExecutor or None, optional
            Where the frames run; default None: :class:`chroma.framerun.LocalFrames`
            of ``jobs``.
        farm : chroma.framerun.FrameExecutor or None, optional
            Deprecated spelling of ``executor``; a farm spec or ``chroma.farm.Farm`` is
            refused (this package does not import the farm): pass
            ``executor=chroma.farm.FarmFrames(farm, chunk)``.
        chunk : int or None, optional
            Unused; kept for callers that passed it with ``farm`` (the chunk belongs to
            ``chroma.farm.FarmFrames``).
        on_done : callable or None, optional
            ``on_done(input_path)`` after each frame written.
        on_fail : callable or None, optional
            ``on_fail(input_path, reason)`` after each frame that failed.

        Returns
        -------
        SequenceResult
            The grade, the output colour space, the frames written and the failures.

        Raises
        ------
        chroma.errors.ChromaError
            ``farm`` is not an executor.
        """
        executor = executor or _executor_of(farm)
        failures = grade_frames(self.plan, self.grade, self.colorspace, write_options, jobs,
                                on_done=on_done, on_fail=on_fail, executor=executor)
        return SequenceResult(self.grade, self.colorspace, self.exposure_shift, len(self.plan), failures)


def _executor_of(farm: object) -> FrameExecutor | None:
    """The old ``farm=`` argument as an executor: None, or an object with ``run``."""
    if farm is None:
        return None
    if callable(getattr(farm, "run", None)):
        from chroma.deprecation import warn_deprecated

        warn_deprecated("chroma.grade.SequenceGrade.run(farm=...)", "executor=...", stacklevel=4)
        return farm  # type: ignore[return-value]
    raise ChromaError("grade on a farm with executor=chroma.farm.FarmFrames(FARM): chroma.grade "
                      "does not import chroma.farm (docs/farm.md)")


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
                   jobs: int | None = None, executor: FrameExecutor | None = None,
                   farm: FrameExecutor | None = None, chunk: int | None = None,
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
    executor : chroma.framerun.FrameExecutor or None, optional
        Where the frames run, e.g. ``chroma.farm.FarmFrames("local:4")`` (chunks of frames
        on Dask workers); default None: this machine, ``jobs`` processes.
    farm : chroma.framerun.FrameExecutor or None, optional
        Deprecated spelling of ``executor`` (see :meth:`SequenceGrade.run`).
    chunk : int or None, optional
        Unused (the chunk belongs to ``chroma.farm.FarmFrames``); default None.
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
        When ``colorspace`` is unknown, the exposure cannot be matched or ``farm`` is not
        an executor; a frame that fails is recorded in the result instead.

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
    return job.run(write_options, jobs, executor=executor, farm=farm, on_done=on_done, on_fail=on_fail)
