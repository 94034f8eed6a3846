"""The ``[animation]`` table, read into :class:`render.settings.AnimationSettings`.

Types, defaults, units and allowed values are the dataclass's; this module reads the
table, evaluates the per-frame settings for every frame of the shot and checks what needs
the file system (the plate and depth sequences, resolved against the shot's folder).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from chroma.shot.validation import _check_sequence, _Checker, _resolve, _schedule
from render.settings import AnimationSettings, SettingError

__all__ = ["ANIMATION_SCHEDULES", "ANIMATION_FIXED", "ANIMATION_KEYS"]

#: The [animation] settings that take a value per frame, with their defaults (a camera at rest).
ANIMATION_SCHEDULES: dict[str, float] = AnimationSettings.schedule_defaults()
#: The [animation] settings that hold for the whole shot, with their defaults.
ANIMATION_FIXED: dict[str, Any] = {f.name: getattr(AnimationSettings(), f.name)
                                   for f in dataclasses.fields(AnimationSettings) if f.name not in ANIMATION_SCHEDULES}
#: Every key of [animation].
ANIMATION_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(AnimationSettings))


def _animation(chk: _Checker, sec: dict, max_frames: int, spline: str, seed: int, mode: str,
               base: Path) -> tuple[AnimationSettings, dict[str, np.ndarray]]:
    """Read ``[animation]``: the settings (paths resolved) and every per-frame value, checked."""
    chk.unknown("animation", sec, ANIMATION_KEYS)
    try:
        settings = AnimationSettings.from_values(sec)
    except SettingError as e:
        raise chk.fail("animation", e.key, e.problem) from None
    schedules = {name: _schedule(chk, "animation", name, getattr(settings, name), max_frames, spline, seed)
                 for name in AnimationSettings.PER_FRAME}
    if settings.skip_percent is None:  # step counts, per frame
        schedules["frames_skip_steps"] = _schedule(chk, "animation", "frames_skip_steps", settings.frames_skip_steps,
                                                   max_frames, spline, seed)
    try:
        AnimationSettings.check_schedules(schedules)
    except SettingError as e:
        raise chk.fail("animation", e.key, e.problem) from None
    if settings.cadence > 1 and mode == "None":
        raise chk.fail("animation", "cadence", f"{settings.cadence} in a shot with animation_mode = \"None\", whose "
                       "frames do not follow each other; set cadence = 1 or choose 2D, 3D or Video")
    if mode == "Video":
        if not settings.video_init_path:
            raise chk.fail("animation", "video_init_path", "a Video shot needs the plate: video_init_path = \"plate.####.exr\"")
        _check_sequence(chk, "video_init_path", settings.video_init_path, base)
    if not settings.estimated_depth:
        _check_sequence(chk, "depth", settings.depth, base)
    plate = _resolve(base, settings.video_init_path) if settings.video_init_path else ""
    depth = settings.depth if settings.estimated_depth else _resolve(base, settings.depth)
    return dataclasses.replace(settings, video_init_path=plate, depth=depth), schedules
