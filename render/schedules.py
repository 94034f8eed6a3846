"""Per-step schedule strings, parsed safely (never ``eval``).

Disco Diffusion v5 gives cutout settings as Python list expressions evaluated with
``eval``, e.g. ``cut_overview = "[12]*400+[4]*600"``: one value per original timestep,
read from the high-noise end (entry ``i`` applies at timestep ``999 - i``). We accept the
same notation with a small grammar and reject anything else::

    schedule := term ('+' term)*
    term     := list ('*' count)? | number
    list     := '[' number (',' number)* ','? ']'
    number   := int or float literal (sign, decimals and exponent allowed); True/False
    count    := non-negative integer

A bare number (``"4"`` or ``4``) means that value at every step.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence, Union

from render.errors import ScheduleError

__all__ = ["Schedule", "parse_schedule", "ScheduleLike"]

ScheduleLike = Union[str, int, float, Sequence[float], "Schedule"]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<bool>True|False)|(?P<op>[\[\],*+]))"
)
_MAX_ENTRIES = 1_000_000
_EXAMPLE = "e.g. '[12]*400+[4]*600' or '[0.2]*400+[0]*600' or a single number"


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].lstrip()[:20]
            raise ScheduleError(f"unexpected {bad!r}; only numbers, [ ], *, + and commas are allowed ({_EXAMPLE})")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


def _number(kind: str, value: str, text: str) -> float:
    if kind == "bool":
        return 1.0 if value == "True" else 0.0
    if kind == "end":
        raise ScheduleError(f"the schedule ends where a number was expected ({_EXAMPLE})")
    if kind != "num":
        raise ScheduleError(f"expected a number, got {value!r} ({_EXAMPLE})")
    v = float(value)
    if not math.isfinite(v):
        raise ScheduleError(f"{value!r} is not finite")
    return v


def _parse(text: str) -> list[float]:
    tokens = _tokenize(text)
    if not tokens:
        raise ScheduleError(f"the schedule is empty ({_EXAMPLE})")
    out: list[float] = []
    i = 0

    def peek() -> tuple[str, str]:
        return tokens[i] if i < len(tokens) else ("end", "")

    while True:
        kind, value = peek()
        if value == "[":
            i += 1
            items: list[float] = []
            while True:
                k, v = peek()
                if v == "]" and items:
                    i += 1
                    break
                items.append(_number(k, v, text))
                i += 1
                k, v = peek()
                if v == ",":
                    i += 1
                    if peek()[1] == "]":
                        i += 1
                        break
                elif v != "]":
                    raise ScheduleError(f"expected ',' or ']' after a list item ({_EXAMPLE})")
            if peek()[1] == "*":
                i += 1
                k, v = peek()
                if k != "num" or not re.fullmatch(r"\d+", v):
                    raise ScheduleError("a list must be repeated by a whole count, e.g. [4]*600")
                i += 1
                if int(v) * len(items) + len(out) > _MAX_ENTRIES:
                    raise ScheduleError(f"the schedule is longer than {_MAX_ENTRIES} entries")
                items = items * int(v)
            out.extend(items)
        else:
            out.append(_number(kind, value, text))
            i += 1
        kind, value = peek()
        if kind == "end":
            return out
        if value != "+":
            raise ScheduleError(f"expected '+' between terms, got {value!r} ({_EXAMPLE})")
        i += 1


@dataclass(frozen=True)
class Schedule:
    """A value per original timestep; ``values[i]`` applies at timestep ``T - 1 - i``.

    Attributes
    ----------
    values : tuple of float
        One value per original timestep, from the high-noise end.
    """

    values: tuple[float, ...]

    def at(self, timestep: int) -> float:
        """The value at an original timestep.

        Parameters
        ----------
        timestep : int
            Original timestep, 0 (clean end) to ``T - 1`` (pure noise); values outside
            are clamped to the ends.

        Returns
        -------
        float
            ``values[T - 1 - timestep]``.
        """
        n = len(self.values)
        idx = min(max(n - 1 - int(timestep), 0), n - 1)
        return self.values[idx]

    def int_at(self, timestep: int) -> int:
        """The value at an original timestep, rounded to an integer (for cut counts).

        Parameters
        ----------
        timestep : int
            Original timestep, see :meth:`at`.

        Returns
        -------
        int
            ``round(at(timestep))`` (half to even).
        """
        return int(round(self.at(timestep)))

    def __len__(self) -> int:
        return len(self.values)


def parse_schedule(spec: ScheduleLike, length: int = 1000, name: str = "schedule") -> Schedule:
    """Parse a Disco-Diffusion-style schedule into a :class:`Schedule` of ``length`` values.

    Parameters
    ----------
    spec : ScheduleLike
        A schedule string (see the module docstring), a number (constant), a sequence
        of ``length`` numbers, or a :class:`Schedule`.
    length : int, optional
        The number of original timesteps. Default 1000.
    name : str, optional
        The setting's name, for error messages. Default ``"schedule"``.

    Returns
    -------
    Schedule
        ``length`` finite values, from the high-noise end.

    Raises
    ------
    render.errors.ScheduleError
        The string is not in the grammar (``__import__('os')`` and any other Python
        are refused), does not have ``length`` entries, or holds a value that is not
        finite.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``: ``cut_overview``, ``cut_innercut``,
    ``cut_icgray_p`` (evaluated there with ``eval``).
    """
    if isinstance(spec, Schedule):
        values = list(spec.values)
    elif isinstance(spec, bool):
        values = [float(spec)] * length
    elif isinstance(spec, (int, float)):
        values = [float(spec)] * length
    elif isinstance(spec, str):
        try:
            values = _parse(spec)
        except ScheduleError as e:
            raise ScheduleError(f"{name} {spec!r}: {e}") from None
        if len(values) == 1 and not spec.strip().startswith("["):
            values = values * length
    else:
        try:
            values = [float(v) for v in spec]
        except (TypeError, ValueError):
            raise ScheduleError(f"{name}: expected a schedule string, a number or a list of numbers, got {spec!r}") from None
    if len(values) != length:
        raise ScheduleError(
            f"{name}: the schedule has {len(values)} entries but needs {length} (one per timestep), "
            f"e.g. '[12]*400+[4]*600'"
        )
    if any(not math.isfinite(v) for v in values):
        raise ScheduleError(f"{name}: schedule values must be finite numbers")
    return Schedule(tuple(values))
