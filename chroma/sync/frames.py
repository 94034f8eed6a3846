"""Times to frame indices, exactly: ``frame = floor((t - offset) * fps + 1/2)``."""

from __future__ import annotations

import math
import re
from fractions import Fraction

from chroma.errors import ChromaValueError
from chroma.sync.errors import SyncError

_NTSC = {"23.976": 24, "23.98": 24, "29.97": 30, "47.952": 48, "59.94": 60, "119.88": 120}


def parse_fps(value: str | float | int | Fraction) -> Fraction:
    """Frames per second as an exact fraction.

    ``"24"`` -> 24; ``"29.97"`` or ``29.97`` -> 30000/1001 (likewise 23.976, 47.952, 59.94,
    119.88: the NTSC rates N*1000/1001); ``"30000/1001"`` as written; other decimals as
    written (``"12.5"`` -> 25/2).

    Parameters
    ----------
    value : str, float, int or fractions.Fraction
        Frames per second as the user wrote it; a Fraction is taken as it is.

    Returns
    -------
    fractions.Fraction
        Frames per second, exact.

    Raises
    ------
    ChromaValueError
        Not a positive number.
    """
    if isinstance(value, Fraction):
        fps = value
    else:
        text = str(value).strip()
        if isinstance(value, float) and not value.is_integer():
            text = f"{value:.6g}"
        try:
            if text in _NTSC:
                fps = Fraction(_NTSC[text] * 1000, 1001)
            else:
                fps = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise ChromaValueError(f"fps {value!r} is not a number; give e.g. 24, 25, 29.97 or 30000/1001") from None
    if fps <= 0:
        raise ChromaValueError(f"fps must be positive, got {value!r}")
    return fps


def frame_at(seconds: Fraction | float | str, fps: Fraction, offset: Fraction | float | str = 0) -> int:
    """Frame index of a time: ``floor((seconds - offset) * fps + 1/2)`` (halves round up).

    Parameters
    ----------
    seconds : fractions.Fraction, float or str
        Time in the song, seconds (a float is taken at its exact binary value; a str as
        :class:`fractions.Fraction` reads it).
    fps : fractions.Fraction
        Frames per second (see :func:`parse_fps`).
    offset : fractions.Fraction, float or str, optional
        Seconds of audio at frame 0 (default 0).

    Returns
    -------
    int
        The 0-based frame index; negative before frame 0.
    """
    x = (Fraction(seconds) - Fraction(offset)) * Fraction(fps)
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
