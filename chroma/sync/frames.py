"""Times to frame indices, exactly: ``frame = floor((t - offset) * fps + 1/2)``."""

from __future__ import annotations

import math
import re
from fractions import Fraction

from chroma.fps import parse_fps
from chroma.sync.errors import SyncError

__all__ = ["format_clock", "frame_at", "parse_fps", "parse_time"]  # parse_fps: chroma.fps


def frame_at(seconds: Fraction | float | str, fps: Fraction | float | str, offset: Fraction | float | str = 0) -> int:
    """Frame index of a time: ``floor((seconds - offset) * fps + 1/2)`` (halves round up).

    Parameters
    ----------
    seconds : fractions.Fraction, float or str
        Time in the song, seconds (a float is taken at its exact binary value; a str as
        :class:`fractions.Fraction` reads it).
    fps : fractions.Fraction, float or str
        Frames per second, read by :func:`chroma.fps.parse_fps` (29.97 is 30000/1001).
    offset : fractions.Fraction, float or str, optional
        Seconds of audio at frame 0 (default 0).

    Returns
    -------
    int
        The 0-based frame index; negative before frame 0.
    """
    x = (Fraction(seconds) - Fraction(offset)) * parse_fps(fps)
    return math.floor(x + Fraction(1, 2))


_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d+)?)$|^(\d+(?:\.\d+)?)$")


def parse_time(text: str) -> Fraction:
    """Seconds from ``"83.45"``, ``"1:23.45"`` or ``"0:01:23.45"`` (exact).

    Parameters
    ----------
    text : str
        Seconds, ``m:ss[.xx]`` or ``h:mm:ss[.xx]``.

    Returns
    -------
    fractions.Fraction
        Seconds, exact.

    Raises
    ------
    SyncError
        Not a time.
    """
    m = _CLOCK.match(text.strip())
    if not m:
        raise SyncError(f"{text!r} is not a time; write seconds (83.45) or minutes:seconds (1:23.45)")
    if m.group(4) is not None:
        return Fraction(m.group(4))
    hours = int(m.group(1) or 0)
    return hours * 3600 + int(m.group(2)) * 60 + Fraction(m.group(3))


def format_clock(seconds: Fraction | float) -> str:
    """Format a time as ``mm:ss.ss`` (minutes not wrapped at the hour) for summaries.

    Parameters
    ----------
    seconds : fractions.Fraction or float
        Seconds of song; a negative time gets a leading ``-``.

    Returns
    -------
    str
        E.g. ``"01:23.45"`` for 83.45 s, ``"-00:00.50"`` for -0.5 s.
    """
    s = float(seconds)
    sign = "-" if s < 0 else ""
    m, r = divmod(abs(s), 60)
    return f"{sign}{int(m):02d}:{r:05.2f}"
