"""The ``[guard]`` and ``[coherence]`` tables (docs/shots.md, "Collapse and coherence")."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chroma.shot.validation import _Checker, _choice, _float, _fraction, _int, _resolve, _schedule

if TYPE_CHECKING:
    from chroma.coherence import CoherenceSettings
    from chroma.guard import GuardSettings
    from render.settings import AnimationSettings

__all__ = ["GUARD_DEFAULTS", "COHERENCE_DEFAULTS"]

# [guard] and [coherence] (chroma.guard, chroma.coherence; docs/shots.md "Collapse and coherence")
GUARD_DEFAULTS: dict[str, Any] = {
    "enabled": True, "action": "warn", "warmup": 8, "frames": 3, "lightness_ratio": 0.35, "chroma_ratio": 0.35,
    "detail_ratio": 0.35, "renoise_frames": 5, "strength": 1.0, "renoise_skip": 0.5, "renoise_scale": 0.5,
    "renoise_noise": 0.0,
}

COHERENCE_DEFAULTS: dict[str, Any] = {"reference": 0, "mode": "stats", "strength": 1.0, "max_gain": 4.0}


def _guard(chk: _Checker, sec: dict, max_frames: int, spline: str, seed: int) -> GuardSettings | None:
    from chroma.guard import ACTIONS, GuardSettings

    chk.unknown("guard", sec, tuple(GUARD_DEFAULTS))
    v = {**GUARD_DEFAULTS, **sec}
    if not isinstance(v["enabled"], bool):
        raise chk.fail("guard", "enabled", "must be true or false")
    if not v["enabled"]:
        return None
    action = _choice(chk, "guard", "action", v["action"], ACTIONS)
    ints = {k: _int(chk, "guard", k, v[k], minimum=1) for k in ("warmup", "frames", "renoise_frames")}
    ratios = {m: _float(chk, "guard", f"{m}_ratio", v[f"{m}_ratio"]) for m in ("lightness", "chroma", "detail")}
    for m, r in ratios.items():
        if r < 0:
            raise chk.fail("guard", f"{m}_ratio", f"must not be negative (0 leaves the measure out), got {r:g}")
    strength = _schedule(chk, "guard", "strength", v["strength"], max_frames, spline, seed)
    if np.any(strength < 0) or np.any(strength > 1):
        raise chk.fail("guard", "strength", "must stay in [0, 1] at every frame")
    return GuardSettings(action=action, ratios=ratios, strength=tuple(float(x) for x in strength),
                         warmup=ints["warmup"], frames=ints["frames"], renoise_frames=ints["renoise_frames"],
                         renoise_skip=_fraction(chk, "guard", "renoise_skip", v["renoise_skip"]),
                         renoise_scale=_fraction(chk, "guard", "renoise_scale", v["renoise_scale"]),
                         renoise_noise=_fraction(chk, "guard", "renoise_noise", v["renoise_noise"]))


def _coherence(chk: _Checker, sec: dict | None, max_frames: int, spline: str, seed: int, mode: str,
               animation: AnimationSettings, base: Path) -> CoherenceSettings | None:
    from chroma.coherence import MODES, CoherenceSettings

    if sec is None:
        return None
    chk.unknown("coherence", sec, tuple(COHERENCE_DEFAULTS))
    v = {**COHERENCE_DEFAULTS, **sec}
    ref = v["reference"]
    if isinstance(ref, bool) or not isinstance(ref, (int, str)):
        raise chk.fail("coherence", "reference", f"give a frame index (0), \"plate\" or a palette image path, got {ref!r}")
    if isinstance(ref, int):
        if not 0 <= ref < max_frames:
            raise chk.fail("coherence", "reference", f"frame {ref} is outside the shot (0-{max_frames - 1})")
    elif ref == "plate":
        if not animation.video_init_path:
            raise chk.fail("coherence", "reference", "\"plate\" needs a plate: animation_mode = \"Video\" with "
                           "[animation] video_init_path")
    elif not os.path.isfile(_resolve(base, ref)):
        raise chk.fail("coherence", "reference", f"palette image {ref!r} does not exist")
    strength = _schedule(chk, "coherence", "strength", v["strength"], max_frames, spline, seed)
    if np.any(strength < 0) or np.any(strength > 1):
        raise chk.fail("coherence", "strength", "must stay in [0, 1] at every frame")
    max_gain = _float(chk, "coherence", "max_gain", v["max_gain"])
    if max_gain < 1:
        raise chk.fail("coherence", "max_gain", f"must be at least 1, got {max_gain:g}")
    return CoherenceSettings(reference=ref, mode=_choice(chk, "coherence", "mode", v["mode"], MODES),
                             strength=tuple(float(x) for x in strength), max_gain=max_gain)
