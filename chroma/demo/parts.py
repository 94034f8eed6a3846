"""The demo's parts: a registry, the output check they share, and the run over all of them.

Each feature adds a part: a function ``part(folder, overwrite) -> list[Path]`` registered
with :func:`part`. Parts run in registration order, each in its own sub-folder of OUTDIR.
A part that cannot run here (an extra is not installed) raises :class:`PartSkipped`; the
others still run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

from chroma.errors import ChromaError, ChromaIOError

#: A demo part: ``part(folder, overwrite) -> files written``.
Part = Callable[[Path, bool], list[Path]]
#: The registered parts by name, in registration order.
PARTS: dict[str, Part] = {}
#: Where :func:`say` sends a part's remarks: the ``report`` of the :func:`run` under way.
_SAY: list[Callable[[str], None]] = [print]


class PartSkipped(ChromaError):
    """A demo part that cannot run on this install; the message says what to install."""


def part(name: str) -> Callable[[Part], Part]:
    """
    Return a decorator that registers a demo part writing into ``OUTDIR/name``.

    Parameters
    ----------
    name : str
        The part's sub-folder of OUTDIR.

    Returns
    -------
    callable
        Registers ``fn(folder, overwrite) -> list of paths`` in :data:`PARTS` and returns it.
    """

    def _register(fn: Part) -> Part:
        PARTS[name] = fn
        return fn

    return _register


def run(outdir: str | os.PathLike[str], overwrite: bool = False,
        report: Callable[[str], None] = print, skip: Iterable[str] = ()) -> list[Path]:
    """
    Run every demo part into a folder, each in its own sub-folder.

    Parameters
    ----------
    outdir : str or os.PathLike
        The folder, created if missing (its parent must exist).
    overwrite : bool, default False
        Replace files of an earlier demo (else they are refused).
    report : callable, default print
        Called with each written file, indented (a frame sequence as one line: its
        pattern and frame range), a part's remarks (:func:`say`) and why a part was
        skipped (one line each).
    skip : iterable of str, default ()
        Names of parts not to run (e.g. ``"shot"``).

    Returns
    -------
    list of pathlib.Path
        Every file written.

    Raises
    ------
    chroma.errors.ChromaIOError
        For an ``outdir`` that is a file or whose parent does not exist, or a file of an
        earlier demo without ``overwrite``.
    chroma.errors.ChromaValueError
        For a name in ``skip`` that is not a part.
    """
    from chroma.errors import ChromaValueError

    unknown = sorted(set(skip) - set(PARTS))
    if unknown:
        raise ChromaValueError(f"no demo part {unknown[0]!r}; the parts are {', '.join(PARTS)}")
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise ChromaIOError(f"{str(outdir)!r} exists and is not a folder")
    if not outdir.parent.exists():
        raise ChromaIOError(f"folder {str(outdir.parent)!r} does not exist; create it first")
    outdir.mkdir(exist_ok=True)
    written: list[Path] = []
    for name, fn in PARTS.items():
        if name in skip:
            continue
        sub = outdir / name
        sub.mkdir(exist_ok=True)
        _SAY.append(report)
        try:
            files = fn(sub, overwrite)
        except PartSkipped as e:
            report(f"{name}: skipped: {e}")
            if not any(sub.iterdir()):
                sub.rmdir()
            continue
        finally:
            _SAY.pop()
        for line in file_lines(files):
            report(f"  {line}")
        written.extend(files)
    return written


def say(text: str) -> None:
    """
    Say a remark of a part (what it left out, where to look) through the run's ``report``.

    Parameters
    ----------
    text : str
        The remark (one line); printed when no :func:`run` is under way.
    """
    _SAY[-1](text)


def file_lines(files: Iterable[Path]) -> list[str]:
    """
    Describe written files in a few lines: one per file, one per run of a frame sequence.

    Parameters
    ----------
    files : iterable of pathlib.Path
        The files, in the order written.

    Returns
    -------
    list of str
        A file's path, or for consecutive frames of one sequence its pattern and frames
        (``shot/frames/demo.####.exr (frames 1001-1024)``, :func:`chroma.sequence.format_frames`).
    """
    from chroma.sequence import format_frames, pattern_from_frame_path

    lines: list[str] = []
    run: list[tuple[Path, str, int]] = []  # (file, pattern, frame) of the sequence being gathered

    def flush() -> None:
        """Say the gathered run: its pattern and frames, or the one file."""
        if len(run) > 1:
            lines.append(f"{run[0][1]} (frames {format_frames([frame for _, _, frame in run])})")
        elif run:
            lines.append(str(run[0][0]))
        run.clear()

    for f in files:
        found = pattern_from_frame_path(f)
        if found is None:
            flush()
            lines.append(str(f))
            continue
        if run and found[0].text != run[0][1]:
            flush()
        run.append((f, found[0].text, found[1]))
    flush()
    return lines


def guard(path: Path, overwrite: bool) -> Path:
    """
    Return a demo file's path, refusing to replace an existing file unless asked.

    Parameters
    ----------
    path : pathlib.Path
        The file a part is about to write.
    overwrite : bool
        Whether an existing file may be replaced.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    chroma.errors.ChromaIOError
        For an existing file without ``overwrite``.
    """
    if path.exists() and not overwrite:
        raise ChromaIOError(f"{str(path)!r} exists from an earlier demo; pass --overwrite or use another OUTDIR")
    return path
