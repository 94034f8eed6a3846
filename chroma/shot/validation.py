"""Validation of shot files: messages ``file:line: section.key: what``, and the checks of single values.

:class:`_Checker` formats every refusal with the key's line from the TOML parser
(:class:`~chroma.shot.positions.TomlPositions`); the functions below check one value each
(a _int number, a _float number, a _choice, a _schedule...) and raise through it.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from chroma.errors import ChromaError
from chroma.shot.errors import ShotError
from chroma.shot.positions import TomlPositions

__all__ = []

#: The keys at the top of a shot file, before any table.
_TOP = ("max_frames", "seed", "seed_rule", "animation_mode", "interp_spline", "init_image")

#: The tables of a shot file.
_SECTIONS = ("output", "render", "animation", "prompts", "image_prompts", "audio", "guard", "coherence")


class _Checker:
    """Makes the ``file:line: section.key: what`` errors of one shot text."""

    def __init__(self, path: Path | None, text: str):
        self.where = str(path) if path else "shot"
        self.positions = TomlPositions(text)

    def fail(self, section: str | None, key: str | None, message: str) -> ShotError:
        line = self.positions.line(section, key)
        name = ".".join(p for p in (section, key) if p) or "shot"
        loc = f"{self.where}:{line}" if line else self.where
        return ShotError(f"{loc}: {name}: {message}")

    def unknown(self, section: str | None, keys: Mapping[str, Any], known: tuple[str, ...] | list[str]) -> None:
        for key in keys:
            if key in known:
                continue
            if section is not None and key in (*_TOP, *_SECTIONS):
                where = f"its own [{key}] table" if key in _SECTIONS else "the top of the file, before any [table]"
                raise self.fail(section, key, f"is not a key of [{section}]: in TOML every key after a [table] "
                                f"header belongs to that table; move it to {where}")
            hint = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
            raise self.fail(section, key, "unknown key" + (f"; did you mean {hint[0]!r}?" if hint else
                                                          f"; see docs/shots.md for the keys of [{section or 'top level'}]"))


def _resolve(base: Path, path: str) -> str:
    p = Path(os.path.expanduser(path))
    return str(p if p.is_absolute() else base / p)


def _int(chk: _Checker, sec: str | None, key: str, value: Any, minimum: int | None = None, required: bool = False) -> int:
    if value is None and required:
        raise chk.fail(sec, key, "is required (the number of frames in the shot)")
    if isinstance(value, bool) or not isinstance(value, int):
        raise chk.fail(sec, key, f"must be a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise chk.fail(sec, key, f"must be at least {minimum}, got {value}")
    return value


def _float(chk: _Checker, sec: str | None, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise chk.fail(sec, key, f"must be a finite number, got {value!r}")
    return float(value)


def _choice(chk: _Checker, sec: str | None, key: str, value: Any, choices: tuple[str, ...]) -> str:
    for c in choices:
        if isinstance(value, str) and value.strip().lower() == c.lower():
            return c
    raise chk.fail(sec, key, f"must be one of {', '.join(choices)}, got {value!r}")


def _fraction(chk: _Checker, sec: str, key: str, value: Any) -> float:
    v = _float(chk, sec, key, value)
    if not 0.0 <= v <= 1.0:
        raise chk.fail(sec, key, f"must be in [0, 1], got {value!r}")
    return v


def _schedule(chk: _Checker, sec: str, key: str, value: Any, max_frames: int, spline: str, seed: int) -> np.ndarray:
    from render.errors import ScheduleError
    from render.keyframes import evaluate

    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise chk.fail(sec, key, f"must be a number or a keyframe string like \"0: (1.02), 120: (1.05)\", got {value!r}")
    try:
        values = evaluate(value, max_frames, spline, seed=seed, name=key)
    except ScheduleError as e:
        msg = str(e)
        raise chk.fail(sec, key, msg[len(key) + 2:] if msg.startswith(f"{key}: ") else msg) from None
    if not np.all(np.isfinite(values)):
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        raise chk.fail(sec, key, f"is not a finite number at frame {bad}")
    return np.asarray(values, dtype=np.float64)


def _check_sequence(chk: _Checker, key: str, pattern: str, base: Path) -> None:
    from chroma import sequence

    try:
        pat = sequence.parse_pattern(_resolve(base, pattern))
    except ChromaError as e:
        raise chk.fail("animation", key, str(e)) from None
    if not pat.is_sequence:
        raise chk.fail("animation", key, f"{pattern!r} must be a sequence pattern like plate.####.exr "
                       "(its frames are numbered like the output's)")


def _frame_keys(chk: _Checker, sec: str, key: str | None, table: Mapping[str, Any], max_frames: int) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for k, v in table.items():
        if not re.fullmatch(r"\s*\d+\s*", str(k)):
            where = (sec, key) if key else (sec, str(k))
            raise chk.fail(*where, f"{sec} must be keyed by frame number (0 = [...], 120 = [...]), got the key {k!r}")
        frame = int(k)
        if frame >= max_frames:
            raise chk.fail(sec, key or str(k), f"key {frame} is beyond max_frames {max_frames} (frames 0-{max_frames - 1})")
        out[frame] = v
    return dict(sorted(out.items()))
