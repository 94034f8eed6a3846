"""Sequence path patterns and frame sets (the one module that owns them).

Patterns, as oiiotool and Nuke write them:

* ``plate.####.exr``: each ``#`` is one digit of zero padding (``####`` = 4 digits). A
  lone ``#`` is oiiotool's shorthand for 4 digits.
* ``plate.@@@@.exr``: each ``@`` is one digit (``@`` alone = 1 digit, i.e. unpadded).
* ``plate.%04d.exr``: printf style; ``%d`` is unpadded.
* ``plate.1001.exr``: a literal frame; :func:`pattern_from_frame_path` finds its sequence.

A path that exists as a file is that file, whatever characters its name holds: an input
named ``hash#1.exr`` or ``take_@2.exr`` is read as it is. The tokens above mean frames
only in a path that is not an existing file (a pattern, or an output to create).

Frames wider than the padding are written in full (frame 12345 in ``####`` is ``12345``),
as every tool does. Negative frames are written with a leading minus.

Frame sets: ``1001-1100`` (inclusive), ``1001-1100x2`` (every 2nd frame), ``1,5,7-9`` and
any comma-separated mix. Frames are returned sorted and unique.
"""

from __future__ import annotations

import bisect
import heapq
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from chroma.errors import SequenceError

_TOKEN = re.compile(r"%0?(\d*)d|#+|@+")
_RANGE = re.compile(r"^\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*(?:[x:]\s*(\d+))?)?\s*$")


# ------------------------------------------------------------------------- frame sets


MAX_SPAN = 10**9  # frames a frame set may span: beyond any shot, and still counted in a blink


class FrameSet:
    """A set of frames kept as ranges (``range`` objects), never as a list.

    ``1001-100000000`` costs a few bytes: membership is O(number of ranges), iteration is
    lazy (sorted, unique) and ``len`` is exact without listing the frames.

    Parameters
    ----------
    ranges : Iterable[range], optional
        The frames, as ranges (empty ones are dropped); they may overlap.
    """

    def __init__(self, ranges: Iterable[range] = ()):
        self.ranges: tuple[range, ...] = tuple(
            sorted((r for r in ranges if len(r)), key=lambda r: (r.start, r.step, r.stop))
        )

    @property
    def first(self) -> int | None:
        """The lowest frame (None for an empty set).

        Returns
        -------
        int or None
            The lowest frame (None for an empty set).
        """
        return min((r.start for r in self.ranges), default=None)

    @property
    def last(self) -> int | None:
        """The highest frame (None for an empty set).

        Returns
        -------
        int or None
            The highest frame (None for an empty set).
        """
        return max((r[-1] for r in self.ranges), default=None)

    def __contains__(self, frame: object) -> bool:
        return any(frame in r for r in self.ranges)

    def __iter__(self) -> Iterator[int]:
        previous = None
        for f in heapq.merge(*self.ranges):
            if f != previous:
                yield f
                previous = f

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def __len__(self) -> int:
        rs = self.ranges
        if all(a[-1] < b.start for a, b in zip(rs, rs[1:])):
            return sum(len(r) for r in rs)  # disjoint: the common case
        if all(r.step == 1 for r in rs):  # merge intervals
            total, end = 0, None
            for r in rs:
                lo = r.start if end is None else max(r.start, end)
                if r.stop > lo:
                    total += r.stop - lo
                end = r.stop if end is None else max(end, r.stop)
            return total
        first, last = min(r.start for r in rs), max(r[-1] for r in rs)  # rs is not empty here
        total, chunk = 0, 1 << 22
        for lo in range(first, last + 1, chunk):  # overlapping steps: count in bounded chunks
            hi = min(lo + chunk, last + 1)
            mask = np.zeros(hi - lo, bool)
            for r in rs:
                k = max(0, -(-(lo - r.start) // r.step))
                start, stop = r.start + k * r.step, min(hi, r.stop)
                if start < stop:
                    mask[start - lo : stop - lo : r.step] = True
            total += int(mask.sum())
        return total

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrameSet):
            return list(self) == list(other)
        if isinstance(other, (list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    def without(self, frames: Iterable[int]) -> "FrameSet":
        """Return this set less some frames, still as ranges.

        Parameters
        ----------
        frames : Iterable[int]
            The frames to remove (few: e.g. the frames on disk).

        Returns
        -------
        FrameSet
            The frames of this set that are not in ``frames``.
        """
        holes = sorted(set(frames))
        out: list[range] = []
        for r in self.ranges:
            start = r.start
            for h in holes[bisect.bisect_left(holes, r.start) : bisect.bisect_right(holes, r[-1])]:
                if (h - r.start) % r.step:
                    continue
                out.append(range(start, h, r.step))
                start = h + r.step
            out.append(range(start, r.stop, r.step))
        return FrameSet(out)

    def __str__(self) -> str:
        if sum(len(r) for r in self.ranges) <= 100_000:
            return format_frames(self)
        return ",".join(_format_range(r) for r in self.ranges)

    def __repr__(self) -> str:
        return f"FrameSet({str(self)!r})"


def _format_range(r: range) -> str:
    if len(r) == 1:
        return str(r.start)
    return f"{r.start}-{r[-1]}" + (f"x{r.step}" if r.step != 1 else "")


def frame_set(text: str | int | Iterable[int] | FrameSet) -> FrameSet:
    """Parse a frame set into a :class:`FrameSet` of ranges.

    ``1001-1100`` is inclusive, ``1001-1100x2`` takes every 2nd frame, ``1,5,7-9`` mixes
    them; kept as ranges, so a typo like ``1001-100000000`` costs nothing.

    Parameters
    ----------
    text : str or int or Iterable[int] or FrameSet
        The frame set as text, one frame, frame numbers, or a :class:`FrameSet` (returned
        as it is).

    Returns
    -------
    FrameSet
        The frames.

    Raises
    ------
    SequenceError
        An empty or malformed set, or one that spans more than :data:`MAX_SPAN` frames.
    """
    if isinstance(text, FrameSet):
        return text
    if isinstance(text, int):
        return FrameSet([range(text, text + 1)])
    if not isinstance(text, str):
        frames = sorted({int(f) for f in text})
        if not frames:
            raise SequenceError("the frame set is empty: give at least one frame, e.g. 1001-1100")
        return FrameSet(range(f, f + 1) for f in frames)
    if not text.strip():
        raise SequenceError("the frame set is empty: give frames like 1001-1100, 1001-1100x2 or 1,5,7-9")
    ranges: list[range] = []
    for part in text.split(","):
        if not part.strip():
            raise SequenceError(f"empty item in frame set {text!r} (stray comma?)")
        m = _RANGE.match(part)
        if not m:
            raise SequenceError(
                f"cannot read {part.strip()!r} in frame set {text!r}: "
                "use N, A-B or A-BxSTEP, separated by commas (e.g. 1001-1100x2,1200)"
            )
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) is not None else first
        step = int(m.group(3)) if m.group(3) is not None else 1
        if step < 1:
            raise SequenceError(f"frame step must be at least 1 in {part.strip()!r}")
        if last < first:
            raise SequenceError(
                f"frame range {part.strip()!r} runs backwards: write it as {last}-{first}"
            )
        ranges.append(range(first, last + 1, step))
    lo, hi = min(r.start for r in ranges), max(r[-1] for r in ranges)  # every range holds a frame
    if hi - lo >= MAX_SPAN:
        raise SequenceError(f"frame set {text!r} spans {hi - lo + 1:,} frames; check the range")
    return FrameSet(ranges)


def parse_frames(text: str | int | Iterable[int]) -> list[int]:
    """Parse a frame set (``1001-1100``, ``1001-1100x2``, ``1,5,7-9``) into sorted frames.

    A list: for small sets only. Work on sequences uses :func:`frame_set` (ranges) and
    :func:`select` (what is on disk).

    Parameters
    ----------
    text : str or int or Iterable[int]
        The frame set (see :func:`frame_set`).

    Returns
    -------
    list of int
        The frames, sorted and unique.

    Raises
    ------
    SequenceError
        An empty or malformed set.
    """
    return list(frame_set(text))


def format_frames(frames: Iterable[int]) -> str:
    """Write frames as compact text: ``1001-1005,1007,1010-1020x2``.

    Parameters
    ----------
    frames : Iterable[int]
        Frame numbers, in any order (repeats count once).

    Returns
    -------
    str
        Comma-separated frames and ranges (``A-B``, ``A-BxSTEP``); empty for no frames.
    """
    fs = sorted(set(frames))
    if not fs:
        return ""
    parts: list[str] = []
    i = 0
    while i < len(fs):
        j = i
        if i + 1 < len(fs):
            step = fs[i + 1] - fs[i]
            while j + 1 < len(fs) and fs[j + 1] - fs[j] == step:
                j += 1
            if j - i >= 2 or (j - i == 1 and step == 1):
                parts.append(f"{fs[i]}-{fs[j]}" + (f"x{step}" if step != 1 else ""))
                i = j + 1
                continue
        parts.append(str(fs[i]))
        i += 1
    return ",".join(parts)


# --------------------------------------------------------------------------- patterns


@dataclass(frozen=True)
class Pattern:
    """A sequence path pattern: ``prefix`` + frame (zero-padded to ``padding``) + ``suffix``.

    A pattern without a frame token (a plain file) has ``padding`` = -1.
    """

    text: str
    prefix: str
    suffix: str
    padding: int

    @property
    def is_sequence(self) -> bool:
        """Whether the pattern has a frame token (False for a plain file).

        Returns
        -------
        bool
            Whether the pattern has a frame token (False for a plain file).
        """
        return self.padding >= 0

    def path(self, frame: int | None = None) -> str:
        """Return the file path of a frame.

        Parameters
        ----------
        frame : int or None, optional
            The frame number (needed for a sequence; ignored for a plain file).

        Returns
        -------
        str
            The path, the frame zero-padded to ``padding`` digits (a plain file's own path).

        Raises
        ------
        SequenceError
            No frame given for a sequence pattern.
        """
        if not self.is_sequence:
            return self.text
        if frame is None:
            raise SequenceError(f"{self.text!r} is a sequence pattern: a frame number is needed")
        sign = "-" if frame < 0 else ""
        return f"{self.prefix}{sign}{abs(frame):0{self.padding}d}{self.suffix}"

    def hashes(self) -> str:
        """Return the pattern written with ``#`` padding (Nuke/oiiotool style).

        Returns
        -------
        str
            ``plate.####.exr`` for any spelling of a 4-digit pattern; a plain file's path.
        """
        if not self.is_sequence:
            return self.text
        return f"{self.prefix}{'#' * max(self.padding, 1)}{self.suffix}"

    def _name_regex(self) -> re.Pattern:
        pre = re.escape(os.path.basename(self.prefix))
        suf = re.escape(self.suffix)
        if self.padding <= 1:
            num = r"-?\d+"  # unpadded: any number of digits
        else:
            # exactly `padding` digits, or more digits without a leading zero
            num = rf"-?(?:\d{{{self.padding}}}|[1-9]\d{{{self.padding},}})"
        return re.compile(rf"^{pre}({num}){suf}$")

    def __str__(self) -> str:
        return self.text


def parse_pattern(text: str | os.PathLike) -> Pattern:
    """Parse a path pattern (``####``, ``@``, ``%04d``); a path without a token is a plain file.

    A path that exists as a file is a plain file too, whatever its name holds
    (``hash#1.exr``): tokens are read only in a path that is not an existing file.

    Parameters
    ----------
    text : str or os.PathLike
        The path, with at most one frame token in its file name.

    Returns
    -------
    Pattern
        The pattern (``padding`` -1 for a plain file).

    Raises
    ------
    SequenceError
        More than one frame token (in a path that is not an existing file).
    """
    text = os.fspath(text)
    if os.path.isfile(text):
        return Pattern(text, text, "", -1)
    name = os.path.basename(text)
    matches = list(_TOKEN.finditer(name))
    if not matches:
        return Pattern(text, text, "", -1)
    if len(matches) > 1:
        raise SequenceError(
            f"pattern {text!r} has {len(matches)} frame tokens; use exactly one (e.g. plate.####.exr)"
        )
    m = matches[0]
    token = m.group(0)
    if token.startswith("%"):
        padding = int(m.group(1)) if m.group(1) else 0
    elif token.startswith("#"):
        padding = 4 if len(token) == 1 else len(token)
    else:
        padding = len(token)
    start = len(text) - len(name) + m.start()
    end = len(text) - len(name) + m.end()
    return Pattern(text, text[:start], text[end:], padding)


_FRAME_IN_NAME = re.compile(r"^(.*?[._-])(-?\d+)(\.[^.]+)$")


def pattern_from_frame_path(path: str | os.PathLike) -> tuple[Pattern, int] | None:
    """Find the sequence pattern and frame number of a literal frame path like ``plate.1001.exr``.

    Parameters
    ----------
    path : str or os.PathLike
        A file path whose name ends in ``<sep><digits>.<ext>`` (sep one of ``._-``).

    Returns
    -------
    tuple of (Pattern, int) or None
        The pattern (padding from the digits) and the frame; None when the name holds no
        frame number.
    """
    text = os.fspath(path)
    directory, name = os.path.split(text)
    m = _FRAME_IN_NAME.match(name)
    if not m:
        return None
    digits = m.group(2).lstrip("-")
    padding = len(digits) if digits.startswith("0") or len(digits) > 1 else 1
    prefix = os.path.join(directory, m.group(1)) if directory else m.group(1)
    pat_text = f"{prefix}{'#' * padding}{m.group(3)}"
    return Pattern(pat_text, prefix, m.group(3), padding), int(m.group(2))


# -------------------------------------------------------------------------- discovery


@dataclass
class Sequence:
    """A pattern and the frames of it found on disk."""

    pattern: Pattern
    frames: list[int] = field(default_factory=list)

    @property
    def first(self) -> int | None:
        """The first frame on disk (None when there is none).

        Returns
        -------
        int or None
            The first frame on disk (None when there is none).
        """
        return self.frames[0] if self.frames else None

    @property
    def last(self) -> int | None:
        """The last frame on disk (None when there is none).

        Returns
        -------
        int or None
            The last frame on disk (None when there is none).
        """
        return self.frames[-1] if self.frames else None

    @property
    def missing(self) -> list[int]:
        """Frames inside first..last that are not on disk.

        Returns
        -------
        list of int
            Frames inside first..last that are not on disk.
        """
        if not self.frames:
            return []
        have = set(self.frames)
        return [f for f in range(self.frames[0], self.frames[-1] + 1) if f not in have]

    def paths(self) -> list[str]:
        """Return the paths of the frames on disk, in frame order.

        Returns
        -------
        list of str
            One path per frame.
        """
        return [self.pattern.path(f) for f in self.frames]

    def __iter__(self) -> Iterator[tuple[int, str]]:
        for f in self.frames:
            yield f, self.pattern.path(f)

    def __len__(self) -> int:
        return len(self.frames)

    def describe(self) -> str:
        """Describe the sequence in one line: pattern, frame count, range and holes.

        Returns
        -------
        str
            E.g. ``plate.####.exr: 4 frames 1001-1005, missing 1003``.
        """
        if not self.frames:
            return f"{self.pattern.hashes()}: no frames"
        text = f"{self.pattern.hashes()}: {len(self.frames)} frames {self.first}-{self.last}"
        if self.missing:
            text += f", missing {format_frames(self.missing)}"
        return text


def discover(pattern: str | os.PathLike | Pattern) -> Sequence:
    """Find the frames of a pattern on disk.

    Parameters
    ----------
    pattern : str or os.PathLike or Pattern
        A pattern, or a frame path (``plate.1001.exr``: its sequence is searched).

    Returns
    -------
    Sequence
        The pattern and its frames on disk, sorted (none for a plain file that is not a
        frame).

    Raises
    ------
    SequenceError
        The pattern's folder does not exist or is not a folder.
    """
    pat = pattern if isinstance(pattern, Pattern) else parse_pattern(pattern)
    if not pat.is_sequence:
        found = pattern_from_frame_path(pat.text)
        if found is None:
            return Sequence(pat, [])
        pat = found[0]
    directory = os.path.dirname(pat.prefix) or "."
    regex = pat._name_regex()
    frames: list[int] = []
    try:
        with os.scandir(directory) as it:
            for entry in it:
                m = regex.match(entry.name)
                if m and entry.is_file():
                    frames.append(int(m.group(1)))
    except FileNotFoundError:
        raise SequenceError(f"folder {directory!r} of pattern {pat.text!r} does not exist") from None
    except NotADirectoryError:
        raise SequenceError(f"{directory!r} in pattern {pat.text!r} is not a folder") from None
    return Sequence(pat, sorted(set(frames)))


IMAGE_EXTENSIONS = {".exr", ".dpx", ".tif", ".tiff", ".png", ".jpg", ".jpeg", ".cin", ".hdr", ".tga", ".sxr", ".mxr"}


def scan(folder: str | os.PathLike) -> list[Sequence]:
    """List the image sequences and single images in a folder (not recursive), as ``lsseq`` does.

    Files named ``name.1001.exr`` are grouped by pattern (a frame number alone stays a single
    image); hidden files and non-image extensions are left out.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder.

    Returns
    -------
    list of Sequence
        Sorted by pattern; a single image has an empty ``frames``.

    Raises
    ------
    SequenceError
        The folder does not exist.
    """
    folder = os.fspath(folder)
    groups: dict[Pattern, list[int]] = {}
    singles: list[str] = []
    try:
        names = sorted(e.name for e in os.scandir(folder) if e.is_file() and not e.name.startswith("."))
    except FileNotFoundError:
        raise SequenceError(f"folder {folder!r} does not exist") from None
    for name in names:
        if os.path.splitext(name)[1].lower() not in IMAGE_EXTENSIONS:
            continue
        found = pattern_from_frame_path(os.path.join(folder, name))
        if found is None:
            singles.append(name)
            continue
        groups.setdefault(found[0], []).append(found[1])
    out = []
    for pat, frames in groups.items():
        if len(frames) == 1:
            singles.append(os.path.basename(pat.path(frames[0])))
        else:
            out.append(Sequence(pat, sorted(frames)))
    out += [Sequence(Pattern(os.path.join(folder, n), os.path.join(folder, n), "", -1), []) for n in singles]
    return sorted(out, key=lambda s: s.pattern.text)


@dataclass
class Selection:
    """The frames of a request that are on disk, and those asked for that are not."""

    pattern: Pattern
    items: list[tuple[int | None, str]]
    missing: FrameSet = field(default_factory=FrameSet)

    @property
    def requested(self) -> int:
        """Frames asked for: those on disk plus those missing.

        Returns
        -------
        int
            Frames asked for: those on disk plus those missing.
        """
        return len(self.items) + len(self.missing)


def select(pattern: str | os.PathLike, frames: str | Iterable[int] | FrameSet | None = None) -> Selection:
    """Select the (frame, path) pairs a command should process, and the requested frames absent.

    * A plain file: it must exist; ``frames`` is not allowed.
    * A pattern without ``frames``: the frames found on disk; none found is an error.
    * A pattern with ``frames``: those of them on disk; the others are ``missing`` (kept
      as ranges: a typo'd ``1001-100000000`` costs nothing). A request that is mostly
      missing frames (more absent than present) is refused at once, naming the frames
      that exist.

    Parameters
    ----------
    pattern : str or os.PathLike
        A pattern (``plate.####.exr``) or a plain file.
    frames : str or Iterable[int] or FrameSet or None, optional
        The frames asked for (see :func:`frame_set`); None for all on disk.

    Returns
    -------
    Selection
        The pairs on disk (frame None for a file without a number) and the missing frames.

    Raises
    ------
    SequenceError
        A missing file, ``frames`` with a plain file, no match, or a mostly-missing request.
    """
    pat = parse_pattern(pattern)
    if not pat.is_sequence:
        if frames is not None:
            raise SequenceError(
                f"--frames needs a sequence pattern (like plate.####.exr), not the file {pat.text!r}"
            )
        if not Path(pat.text).exists():
            raise SequenceError(f"{pat.text!r} does not exist")
        found = pattern_from_frame_path(pat.text)
        return Selection(pat, [(found[1] if found else None, pat.text)])
    wanted = frame_set(frames) if frames is not None else None
    seq = discover(pat)
    if wanted is None:
        if not seq.frames:
            raise SequenceError(
                f"no files match {pat.text!r} (looked for {os.path.basename(pat.path(1001))} and the like "
                f"in {os.path.dirname(pat.prefix) or '.'!r})"
            )
        return Selection(pat, list(seq))
    present = [f for f in seq.frames if f in wanted]
    on_disk = f"; on disk: {format_frames(seq.frames)}" if seq.frames else ""
    if not present:
        raise SequenceError(f"none of frames {wanted} of {pat.text!r} are on disk{on_disk}")
    asked = len(wanted)
    if asked - len(present) > len(present):
        raise SequenceError(
            f"frames {wanted} ask for {asked:,} frames of {pat.text!r} but only {len(present)} are on disk "
            f"({format_frames(present)}); ask for frames that exist{on_disk}"
        )
    return Selection(pat, [(f, pat.path(f)) for f in present], wanted.without(present))


def expand(pattern: str | os.PathLike, frames: str | Iterable[int] | None = None) -> list[tuple[int | None, str]]:
    """Return the (frame, path) pairs on disk that a command should process.

    :func:`select`'s ``items``; use :func:`select` to learn which requested frames are
    missing.

    Parameters
    ----------
    pattern : str or os.PathLike
        A pattern or a plain file.
    frames : str or Iterable[int] or None, optional
        The frames asked for; None for all on disk.

    Returns
    -------
    list of tuple of (int or None, str)
        Frame and path pairs, in frame order.

    Raises
    ------
    SequenceError
        As :func:`select`.
    """
    return select(pattern, frames).items
