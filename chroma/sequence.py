"""Sequence path patterns and frame sets (the one module that owns them).

Patterns, as oiiotool and Nuke write them:

* ``plate.####.exr``: each ``#`` is one digit of zero padding (``####`` = 4 digits). A
  lone ``#`` is oiiotool's shorthand for 4 digits.
* ``plate.@@@@.exr``: each ``@`` is one digit (``@`` alone = 1 digit, i.e. unpadded).
* ``plate.%04d.exr``: printf style; ``%d`` is unpadded.
* ``plate.1001.exr``: a literal frame; :func:`pattern_from_frame_path` finds its sequence.

Frames wider than the padding are written in full (frame 12345 in ``####`` is ``12345``),
as every tool does. Negative frames are written with a leading minus.

Frame sets: ``1001-1100`` (inclusive), ``1001-1100x2`` (every 2nd frame), ``1,5,7-9`` and
any comma-separated mix. Frames are returned sorted and unique.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from chroma.errors import SequenceError

_TOKEN = re.compile(r"%0?(\d*)d|#+|@+")
_RANGE = re.compile(r"^\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*(?:[x:]\s*(\d+))?)?\s*$")


# ------------------------------------------------------------------------- frame sets


def parse_frames(text: str | int | Iterable[int]) -> list[int]:
    """Parse a frame set (``1001-1100``, ``1001-1100x2``, ``1,5,7-9``) into sorted frames.

    Raises :class:`SequenceError` for an empty or malformed set.
    """
    if isinstance(text, int):
        return [text]
    if not isinstance(text, str):
        frames = sorted({int(f) for f in text})
        if not frames:
            raise SequenceError("the frame set is empty: give at least one frame, e.g. 1001-1100")
        return frames
    if not text.strip():
        raise SequenceError("the frame set is empty: give frames like 1001-1100, 1001-1100x2 or 1,5,7-9")
    frames: set[int] = set()
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
        frames.update(range(first, last + 1, step))
    return sorted(frames)


def format_frames(frames: Iterable[int]) -> str:
    """Compact text for a set of frames: ``1001-1005,1007,1010-1020x2``."""
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
        return self.padding >= 0

    def path(self, frame: int | None = None) -> str:
        """The file path of ``frame`` (a plain file's path when not a sequence)."""
        if not self.is_sequence:
            return self.text
        if frame is None:
            raise SequenceError(f"{self.text!r} is a sequence pattern: a frame number is needed")
        sign = "-" if frame < 0 else ""
        return f"{self.prefix}{sign}{abs(frame):0{self.padding}d}{self.suffix}"

    def hashes(self) -> str:
        """The pattern written with ``#`` padding (Nuke/oiiotool style)."""
        if not self.is_sequence:
            return self.text
        return f"{self.prefix}{'#' * max(self.padding, 1)}{self.suffix}"

    def frame_of(self, path: str | os.PathLike) -> int | None:
        """The frame number of ``path`` if it belongs to this sequence, else None."""
        name = os.path.basename(os.fspath(path))
        m = self._name_regex().match(name)
        if not m:
            return None
        return int(m.group(1))

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
    """Parse a path pattern (``####``, ``@``, ``%04d``); a path without a token is a plain file."""
    text = os.fspath(text)
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
    """For a literal frame path like ``plate.1001.exr``: its sequence pattern and frame."""
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
        return self.frames[0] if self.frames else None

    @property
    def last(self) -> int | None:
        return self.frames[-1] if self.frames else None

    @property
    def missing(self) -> list[int]:
        """Frames inside first..last that are not on disk."""
        if not self.frames:
            return []
        have = set(self.frames)
        return [f for f in range(self.frames[0], self.frames[-1] + 1) if f not in have]

    def paths(self) -> list[str]:
        return [self.pattern.path(f) for f in self.frames]

    def __iter__(self) -> Iterator[tuple[int, str]]:
        for f in self.frames:
            yield f, self.pattern.path(f)

    def __len__(self) -> int:
        return len(self.frames)

    def describe(self) -> str:
        if not self.frames:
            return f"{self.pattern.hashes()}: no frames"
        text = f"{self.pattern.hashes()}: {len(self.frames)} frames {self.first}-{self.last}"
        if self.missing:
            text += f", missing {format_frames(self.missing)}"
        return text


def discover(pattern: str | os.PathLike | Pattern) -> Sequence:
    """Find the frames of ``pattern`` on disk (sorted), with the range and missing frames."""
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


def expand(pattern: str | os.PathLike, frames: str | Iterable[int] | None = None) -> list[tuple[int | None, str]]:
    """The (frame, path) pairs a command should process.

    * A plain file: ``[(frame or None, path)]``; it must exist. ``frames`` is not allowed.
    * A pattern with ``frames``: those frames (files may be missing: callers report them).
    * A pattern without ``frames``: the frames found on disk; none found is an error.
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
        return [(found[1] if found else None, pat.text)]
    if frames is not None:
        return [(f, pat.path(f)) for f in parse_frames(frames)]
    seq = discover(pat)
    if not seq.frames:
        raise SequenceError(
            f"no files match {pat.text!r} (looked for {os.path.basename(pat.path(1001))} and the like "
            f"in {os.path.dirname(pat.prefix) or '.'!r})"
        )
    return list(seq)
