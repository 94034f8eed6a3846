"""The ``[render]`` table: render settings by their Disco Diffusion names, fixed, per frame or keyed by frame.

Types, defaults and choices are :class:`render.settings.RenderSettings`' (read without
importing torch); the checks here are the ones that need the _int shot (every frame of a
_schedule, the frame's device memory).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from chroma.shot.limits import MAX_FRAME_BYTES, SIZE_MULTIPLE, frame_memory, rendered_size
from chroma.shot.validation import _Checker, _frame_keys, _schedule

__all__ = ["RENDER_SCHEDULES", "RENDER_KEYED", "render_setting_types", "type_error"]

# [render] settings that may change per frame (numbers or keyframe strings).
RENDER_SCHEDULES = ("clip_guidance_scale", "tv_scale", "range_scale", "sat_scale", "init_scale", "skip_steps",
                    "eta", "clamp_max", "cutn_batches")

_RENDER_INTEGERS = ("skip_steps", "cutn_batches")

# [render] per-timestep schedules that may also be keyed by frame ({0 = "...", 120 = "..."}).
RENDER_KEYED = ("cut_overview", "cut_innercut", "cut_ic_pow", "cut_icgray_p")


def render_setting_types() -> dict[str, str]:
    """Give the render settings' names and declared types, without importing torch.

    ``render.settings.RenderSettings`` is importable without torch, so ``chroma shot check``
    and ``shot import`` validate ``[render]`` in a fraction of a second instead of the
    2-6 s that importing torch takes.

    Returns
    -------
    dict[str, str]
        Field name -> its annotation as written (``"int"``, ``"tuple[int, int]"``...);
        empty when the render package is not installed.
    """
    import dataclasses

    try:
        from render.settings import RenderSettings
    except ImportError:
        return {}
    return {f.name: str(f.type) for f in dataclasses.fields(RenderSettings)}

_TYPE_WORDS = {"int": "an integer (a whole number)", "float": "a number", "bool": "true or false", "str": "a string",
               "tuple[int, int]": "two integers [width, height]", "tuple[str, ...]": "a list of strings"}


def type_error(value: Any, annotation: str) -> str | None:
    """Say what a render setting wants when ``value`` is not of its declared type.

    Parameters
    ----------
    value : Any
        The value as TOML or JSON gives it.
    annotation : str
        The setting's type as :func:`render_setting_types` gives it (``"int"``,
        ``"float"``, ``"bool"``, ``"str"``, ``"tuple[int, int]"``, ``"tuple[str, ...]"``;
        others are not checked here).

    Returns
    -------
    str or None
        ``"wants an integer (a whole number), got 'ten'"``; None when the value fits.
    """
    kind = annotation.replace(" | None", "").strip()
    ok = True
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "str":
        ok = isinstance(value, str)
    elif kind == "tuple[int, int]":
        ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value)
    elif kind == "tuple[str, ...]":
        ok = isinstance(value, str) or (isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value))
    return None if ok else f"wants {_TYPE_WORDS[kind]}, got {value!r}"


def _typed(chk: _Checker, key: str, value: Any, annotation: str) -> Any:
    """A [render] value of the declared type (``int``, ``float``...), else which type the key wants."""
    problem = type_error(value, annotation)
    if problem:
        raise chk.fail("render", key, problem)
    if isinstance(value, str) and annotation.startswith("tuple[str"):
        return (value,)
    return tuple(value) if isinstance(value, list) else value


def _render(chk: _Checker, sec: dict, max_frames: int, spline: str, seed: int, schedules: dict[str, np.ndarray],
            notes: list[str], renderer_check: bool) -> tuple[dict[str, Any], dict[str, dict[int, Any]]]:
    types = render_setting_types()
    if types:
        chk.unknown("render", sec, list(types))
    fixed: dict[str, Any] = {}
    keyed: dict[str, dict[int, Any]] = {}
    for key, value in sec.items():
        if key in RENDER_SCHEDULES and not isinstance(value, bool):
            schedules[key] = _schedule(chk, "render", key, value, max_frames, spline, seed)
        elif key in RENDER_KEYED and isinstance(value, dict):
            table = _frame_keys(chk, "render", key, value, max_frames)
            if 0 not in table:
                raise chk.fail("render", key, "a table keyed by frame must have a key 0")
            keyed[key] = table
        elif key in types:
            fixed[key] = _typed(chk, key, value, types[key])
        else:
            fixed[key] = tuple(value) if isinstance(value, list) else value
    if types:
        _render_ranges(chk, sec, fixed, keyed, schedules, notes)
    if types and renderer_check:  # validate the settings as RenderSettings would, before any model loads
        from render.errors import RenderError
        from render.renderer import RenderSettings

        frame0 = {**fixed, **{k: (int(round(schedules[k][0])) if k in _RENDER_INTEGERS else float(schedules[k][0]))
                              for k in RENDER_SCHEDULES if k in schedules}}
        frame0.update({k: t[0] for k, t in keyed.items()})
        try:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                settings = RenderSettings(**frame0)
        except (RenderError, TypeError, ValueError) as e:
            msg = str(e)
            bad = next((k for k in sec if re.match(rf"{k}\b", msg)), None) or next(
                (k for k in sec if re.search(rf"\b{k}\b", msg)), None)
            raise chk.fail("render", bad, str(e)) from None
        fixed["width_height"] = tuple(settings.width_height)
    return fixed, keyed


def _render_ranges(chk: _Checker, sec: dict, fixed: dict[str, Any], keyed: dict[str, dict[int, Any]],
                   schedules: dict[str, np.ndarray], notes: list[str]) -> None:
    """The checks of ``RenderSettings`` that need no torch, for every frame; the frame size and its memory."""
    import dataclasses

    from render.errors import RenderError
    from render.schedules import parse_schedule
    from render.settings import PRECISIONS, SAMPLING_MODES, RenderSettings

    value = {**{f.name: f.default for f in dataclasses.fields(RenderSettings)}, **fixed}  # the defaults: RenderSettings'
    for key, low in RenderSettings.MINIMUMS.items():  # RenderSettings' own minimums, at every frame
        if key in schedules and np.any(np.round(schedules[key]) < low):
            raise chk.fail("render", key, f"must be at least {low} at every frame")
        if key not in schedules and value[key] < low:
            raise chk.fail("render", key, f"must be at least {low}, got {value[key]}")
    if "plms_order" in fixed and fixed["plms_order"] < 1:  # the PLMS sampler refuses it (render.diffusion)
        raise chk.fail("render", "plms_order", f"must be at least 1, got {fixed['plms_order']}")
    steps = value["steps"]
    if not fixed.get("timestep_respacing") and "skip_steps" in schedules:
        skip = schedules["skip_steps"]
        bad = np.flatnonzero((np.round(skip) < 0) | (np.round(skip) >= steps))
        if bad.size:
            raise chk.fail("render", "skip_steps", f"must be in [0, {steps}) for {steps} steps, got "
                           f"{skip[bad[0]]:g} at frame {int(bad[0])}")
    if "clamp_max" in schedules and np.any(schedules["clamp_max"] <= 0):
        raise chk.fail("render", "clamp_max", "must be positive at every frame")
    for key, choices in (("diffusion_sampling_mode", SAMPLING_MODES), ("precision", PRECISIONS)):
        if key in fixed and fixed[key] not in choices:
            raise chk.fail("render", key, f"must be one of {', '.join(choices)}, got {fixed[key]!r}")
    if fixed.get("clip_models") == () and ("clip_guidance_scale" not in schedules or np.any(schedules["clip_guidance_scale"])):
        raise chk.fail("render", "clip_models", "is empty; name at least one, e.g. 'ViT-B-32::openai', or set "
                       "clip_guidance_scale = 0")
    for name in RENDER_KEYED:
        for k, v in (keyed[name].items() if name in keyed else ((0, sec[name]),) if name in sec else ()):
            try:
                parse_schedule(v, name=name)
            except (RenderError, TypeError, ValueError) as e:
                raise chk.fail("render", name, f"frame {k}: {e}" if name in keyed else str(e)) from None
    w, h = value["width_height"]
    if w < 1 or h < 1:
        raise chk.fail("render", "width_height", f"must be positive, got {[w, h]}")
    size = rendered_size(w, h)
    if size != (w, h):
        notes.append(f"width_height {w}x{h} is not a multiple of {SIZE_MULTIPLE}: renders at {size[0]}x{size[1]} "
                     f"(the nearest multiples; Disco Diffusion rounds down, to {max(64, w // 64 * 64)}x"
                     f"{max(64, h // 64 * 64)})")
    need = frame_memory(*size, str(value["diffusion_model"]), int(value["batch_size"]))
    if need > MAX_FRAME_BYTES:
        raise chk.fail("render", "width_height", f"{size[0]}x{size[1]} needs at least {need / 1e9:,.0f} GB of device "
                       f"memory per frame, more than any single GPU holds ({MAX_FRAME_BYTES / 1e9:.0f} GB); render "
                       "smaller and upscale (docs/shots.md, 'Limits')")
    fixed["width_height"] = size
