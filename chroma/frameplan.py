"""Frame planning: which frames a job reads and writes, checked before any work.

:func:`plan_frames` is the one planner of the frame jobs: the CLI's per-frame commands
(convert, grade, farm tasks, through ``chroma.cli``'s ``plan_frame_job``), the API's
:func:`chroma.grade.grade_sequence` plans and :func:`chroma.oklab.crossfade`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Sequence

from chroma.errors import ChromaIOError, ChromaValueError, SequenceError

if TYPE_CHECKING:
    from chroma.sequence import FrameSet, Pattern

@dataclass
class PlannedFrames:
    """What :func:`plan_frames` decided: the frames to process and where each one goes.

    Attributes
    ----------
    sources : list of chroma.sequence.Pattern
        The inputs read frame by frame (sequence patterns, or the one plain file).
    frames : list of int or None
        The frames to process, in order (None: a plain input file without a frame number).
    targets : list of str
        The output path of each of ``frames``.
    missing : chroma.sequence.FrameSet
        Requested frames that are not on disk (kept aside by a per-frame job).
    skipped : list of str
        Outputs that exist and were left out (``skip_existing``).
    refused : list of str
        Outputs a real run would refuse (``dry_run`` only).
    folders : list of str
        Output folders created (or, with ``dry_run``, to create).
    """

    sources: list[Pattern]
    frames: list[int | None]
    targets: list[str]
    missing: FrameSet
    skipped: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)

    def items(self) -> list[tuple[int | None, str, str]]:
        """The (frame, input path, output path) triples of the first source.

        Returns
        -------
        list of tuple
            One ``(frame, input, output)`` per planned frame; the input is ``""`` when
            there is no source read frame by frame.
        """
        src = self.sources[0] if self.sources else None
        return [(f, src.path(f) if src is not None else "", t) for f, t in zip(self.frames, self.targets)]


def common_frames(patterns: Iterable[Pattern]) -> list[int]:
    """The frames that every one of ``patterns`` has on disk.

    Parameters
    ----------
    patterns : iterable of chroma.sequence.Pattern
        Sequence patterns (``plate.####.exr``).

    Returns
    -------
    list of int
        The frames on disk in all of them, sorted; empty when there are none (or no pattern).
    """
    from chroma import sequence

    found = [set(sequence.discover(p).frames) for p in patterns]
    return sorted(set.intersection(*found)) if found else []


def plan_frames(
    sources: str | os.PathLike | Sequence[str | os.PathLike],
    output: str | os.PathLike,
    frames: str | Iterable[int] | None = None,
    *,
    every_frame: bool = False,
    overwrite: bool = False,
    skip_existing: bool = False,
    dry_run: bool = False,
    create_folders: bool = False,
    reads: Iterable[str | os.PathLike] = (),
    overwrite_hint: str = "pass overwrite=True to replace it",
) -> PlannedFrames:
    """Pair the frames of a job's inputs with output paths, refusing surprises before any work.

    Two policies for requested frames that are not on disk:

    * a per-frame job (``every_frame=False``: convert, grade) reads one input, a plain file
      or a sequence (:func:`chroma.sequence.select`); requested frames not on disk are kept
      aside in ``missing`` while the others are processed (a mostly missing request is
      refused at once);
    * a crossfade (``every_frame=True``) reads several sequences at once: every requested
      frame must be in every one of them, and without ``frames`` the frames they all have
      on disk (:func:`common_frames`) are used.

    Every output then goes through :func:`chroma.io.check_outputs`: an output that would
    replace an input (by any spelling) is refused, as are outputs that exist unless
    ``overwrite`` (with ``skip_existing`` they are left out instead).

    Parameters
    ----------
    sources : str, os.PathLike or sequence of them
        The input(s) read frame by frame: one sequence pattern (``plate.####.exr``) or
        plain file, or (``every_frame``) any number of sequence patterns.
    output : str or os.PathLike
        Output pattern (``out.####.exr``), or one file for a single frame.
    frames : str, iterable of int or None, optional
        Frame set (``1001-1024``); default: the frames on disk.
    every_frame : bool, optional
        The crossfade policy above (default False: the per-frame job's).
    overwrite : bool, optional
        Replace outputs that exist (never an input). Default False.
    skip_existing : bool, optional
        Leave out outputs that exist. Default False.
    dry_run : bool, optional
        Create nothing; list outputs a real run would refuse in ``refused``. Default False.
    create_folders : bool, optional
        Create missing output folders (else a missing folder is an error). Default False.
    reads : iterable of str or os.PathLike, optional
        Other files the job reads (a held still, a grade file, a LUT): never replaced.
    overwrite_hint : str, optional
        How to allow replacing, in the caller's words (API or CLI).

    Returns
    -------
    PlannedFrames
        The frames, their outputs, and what was left out.

    Raises
    ------
    SequenceError
        No frames on disk, frames a crossfade input lacks, more than
        ``MAX_CROSSFADE_FRAMES`` crossfade frames, several frames for a single output file,
        or an output pattern that the input's frames cannot fill.
    ChromaValueError
        A crossfade without ``frames`` and without a sequence input.
    ChromaIOError
        An output that would replace an input, or outputs that exist (see above).
    """
    from chroma import io, sequence

    listed = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    srcs = [sequence.parse_pattern(s) for s in listed]
    out_pat = sequence.parse_pattern(output)
    if every_frame:
        frame_list: list[int | None] = list(_frames_every_source_has(srcs, frames))
        missing = sequence.FrameSet()
        if len(frame_list) > 1 and not out_pat.is_sequence:
            raise SequenceError(f"{len(frame_list)} frames but the output {os.fspath(output)!r} is one file: "
                                         "give a pattern like fade.####.exr")
    else:
        frame_list, missing = _frames_of_one_source(srcs, frames, out_pat)
    targets = [out_pat.path(f) if out_pat.is_sequence else os.fspath(output) for f in frame_list]
    read = [s.path(f) for s in srcs for f in frame_list] + [os.fspath(r) for r in reads]
    check = io.check_outputs([t for t in targets if t], [r for r in read if r], overwrite=overwrite,
                             skip_existing=skip_existing, create_folders=create_folders, dry_run=dry_run,
                             images=True, overwrite_hint=overwrite_hint)
    keep = set(check.targets)
    chosen = [(f, t) for f, t in zip(frame_list, targets) if t in keep]
    return PlannedFrames(srcs, [f for f, _ in chosen], [t for _, t in chosen], missing,
                         check.skipped, check.refused, check.folders)


MAX_CROSSFADE_FRAMES = 100_000  # more is a typo'd range, not a shot


def _frames_every_source_has(seqs: list[Pattern], frames: str | Iterable[int] | None) -> list[int]:
    """The crossfade policy of :func:`plan_frames`: frames every sequence has on disk."""
    from chroma import sequence

    if frames is None:
        if not seqs:
            raise ChromaValueError("no sequence among the inputs: give the frames to write (e.g. 1001-1024)")
        common = common_frames(seqs)
        if not common:
            raise SequenceError(
                "the input sequences have no frames in common on disk"
                if len(seqs) > 1 else f"no files match {seqs[0].text!r}"
            )
        return common
    wanted = sequence.frame_set(frames)  # ranges: a typo'd range costs nothing
    for p in seqs:
        on_disk = sequence.discover(p).frames
        present = [f for f in on_disk if f in wanted]
        if len(present) < len(wanted):
            lacks = wanted.without(present)
            has = f"; it has {sequence.format_frames(on_disk)}" if on_disk else ""
            raise SequenceError(f"{p.text!r} lacks frames {lacks} ({len(lacks):,} of {len(wanted):,}){has}")
    if len(wanted) > MAX_CROSSFADE_FRAMES:
        raise SequenceError(f"a crossfade of {len(wanted):,} frames ({wanted}): check the frame range")
    return list(wanted)


def _frames_of_one_source(srcs: list[Pattern], frames: str | Iterable[int] | None,
                          out_pat: Pattern) -> tuple[list[int | None], FrameSet]:
    """The per-frame job policy of :func:`plan_frames`: (frames on disk, requested frames missing)."""
    from chroma import sequence

    if len(srcs) != 1:
        raise ChromaValueError(f"a per-frame job reads one input (a file or a sequence pattern), got {len(srcs)}")
    in_pat = srcs[0]
    sel = sequence.select(in_pat.text, frames)
    pairs = sel.items
    if (len(pairs) > 1 or sel.missing) and not out_pat.is_sequence:
        raise SequenceError(
            f"{sel.requested} input frames but the output {out_pat.text!r} is a single file: "
            "give a pattern like out.####.exr"
        )
    if out_pat.is_sequence and not in_pat.is_sequence and pairs[0][0] is None:
        raise SequenceError(
            f"the input {in_pat.text!r} has no frame number, so the output pattern {out_pat.text!r} cannot be filled"
        )
    if in_pat.is_sequence and out_pat.is_sequence and _same_files(in_pat, out_pat):
        raise ChromaIOError(f"the output {out_pat.text!r} would replace an input: it is the sequence "
                            f"{in_pat.text!r}; write elsewhere")
    return [f for f, _ in pairs], sel.missing


def _same_files(a: Pattern, b: Pattern) -> bool:
    """Whether two patterns name the same files (``####``, ``%04d``, ``@@@@``; any spelling
    of the folder), checked on the patterns so frames not yet on disk count too."""
    def key(p: Pattern) -> tuple[str, str, str, int]:
        folder = os.path.normcase(os.path.realpath(os.path.dirname(p.prefix) or "."))
        return folder, os.path.basename(p.prefix), p.suffix, max(p.padding, 1)

    return key(a) == key(b)


