"""Errors a user can cause.

Every error that stems from user input (a bad path, an unknown colour space, a malformed
frame set...) is a :class:`ChromaError` subclass whose message says what was wrong and
what to do. The CLI prints the message on one line and exits with status 2.
"""

from __future__ import annotations

import difflib
from typing import Iterable


class ChromaError(Exception):
    """Base class for errors caused by user input."""


class ChromaIOError(ChromaError):
    """A file could not be read or written."""


class ColorSpaceError(ChromaError):
    """An unknown or unusable OCIO colour space, display, view or look."""


class SequenceError(ChromaError):
    """A malformed sequence pattern or frame set, or a sequence that is not on disk."""


class ChromaValueError(ChromaError, ValueError):
    """A parameter outside its valid domain."""


class SceneLinearError(ColorSpaceError, ChromaValueError):
    """A colour space that is not scene-linear where a scene-linear one is needed.

    One error for this one mistake (raised by :func:`chroma.ocio.require_scene_linear`). It is
    a :class:`ColorSpaceError`; it also derives from :class:`ChromaValueError` for one release
    because some checks raised that before (catch ``ColorSpaceError``).
    """


def closest(name: str, choices: Iterable[str], n: int = 5) -> str:
    """
    Return a human hint listing the names in ``choices`` closest to ``name``.

    Parameters
    ----------
    name : str
        What the user typed.
    choices : iterable of str
        The valid names.
    n : int, default 5
        Most names to list.

    Returns
    -------
    str
        ``"did you mean: 'a', 'b'?"`` (close matches by difflib, else names containing
        ``name``), or ``""`` when nothing is close.
    """
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.3)
    if not hits:
        hits = [c for c in lowered if name.lower() in c][:n]
    if not hits:
        return ""
    return "did you mean: " + ", ".join(repr(lowered[h]) for h in hits) + "?"
