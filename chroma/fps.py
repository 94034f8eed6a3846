"""Frame rates, exactly: one parser for every command and file that names an fps.

A frame rate is a :class:`fractions.Fraction`. The NTSC rates are ``N * 1000 / 1001``
(SMPTE ST 12-1): 23.976 (also written 23.98) is 24000/1001, 29.97 is 30000/1001,
47.952 (47.95) is 48000/1001, 59.94 is 60000/1001, 119.88 is 120000/1001. Any other
decimal is taken as written (``12.5`` -> 25/2), and ``"30000/1001"`` as the fraction it
names, so a shot file, ``chroma sync --fps`` and a Disco Diffusion import agree on every
rate.
"""

from __future__ import annotations

import math
from fractions import Fraction

from chroma.errors import ChromaValueError

__all__ = ["NTSC_RATES", "parse_fps"]

NTSC_RATES: dict[str, Fraction] = {
    text: Fraction(base * 1000, 1001)
    for base, spellings in ((24, ("23.976", "23.98")), (30, ("29.97",)), (48, ("47.952", "47.95")),
                            (60, ("59.94",)), (120, ("119.88",)))
    for text in spellings
}
"""The NTSC rates as users write them, each ``N * 1000 / 1001`` frames per second."""


def parse_fps(value: str | float | int | Fraction) -> Fraction:
    """Return frames per second as an exact fraction.

    Parameters
    ----------
    value : str, float, int or fractions.Fraction
        As the user wrote it: ``24``, ``"29.97"``, ``59.94``, ``"30000/1001"``; a Fraction
        is taken as it is.

    Returns
    -------
    fractions.Fraction
        Frames per second: an NTSC rate (:data:`NTSC_RATES`) as ``N * 1000 / 1001``, any
        other value exactly as written.

    Raises
    ------
    ChromaValueError
        Not a positive, finite number.

    Examples
    --------
    >>> parse_fps("59.94"), parse_fps(23.98), parse_fps("30000/1001"), parse_fps(12.5)
    (Fraction(60000, 1001), Fraction(24000, 1001), Fraction(30000, 1001), Fraction(25, 2))
    """
    if isinstance(value, bool):
        raise ChromaValueError(f"fps {value!r} is not a number; give e.g. 24, 25, 29.97 or 30000/1001")
    if isinstance(value, Fraction):
        fps = value
    else:
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ChromaValueError(f"fps must be a finite number, got {value!r}")
            text = repr(value) if value.is_integer() else f"{value:.6g}"
        else:
            text = str(value).strip()
        try:
            fps = NTSC_RATES[text] if text in NTSC_RATES else Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise ChromaValueError(f"fps {value!r} is not a number; give e.g. 24, 25, 29.97 or 30000/1001") from None
    if fps <= 0:
        raise ChromaValueError(f"fps must be positive, got {value!r}")
    return fps
