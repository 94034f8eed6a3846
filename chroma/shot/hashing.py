"""The hash of everything that decides a frame's pixels (``chroma/settings_hash``)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import TYPE_CHECKING, Any, Mapping, Protocol

if TYPE_CHECKING:
    from render.settings import AnimationSettings

__all__ = ["ADDED_SETTINGS", "FrameSettings", "animation_record", "settings_hash"]

#: ``[animation]`` settings added after the hashed table was fixed: hashed only away from their defaults.
ADDED_SETTINGS = frozenset(("video_init_flow_warp", "video_init_flow_blend", "video_init_check_consistency",
                            "flow_model", "cadence", "flow_size"))


class FrameSettings(Protocol):
    """What a frame's hash reads of it (:class:`chroma.shot.FrameSpec` has it)."""

    @property
    def render(self) -> Mapping[str, Any]:
        """The frame's render settings."""

    @property
    def values(self) -> Mapping[str, float]:
        """Every schedulable setting's value at the frame."""

    @property
    def seed(self) -> int:
        """The frame's seed."""

    @property
    def prompts(self) -> tuple[str, ...]:
        """The prompts in force."""

    @property
    def image_prompts(self) -> tuple[str, ...]:
        """The image prompts in force."""


def animation_record(animation: AnimationSettings) -> dict[str, Any]:
    """Give the settings of ``[animation]`` that hold for the whole shot, as plain JSON values.

    The per-frame settings are left out (their values at the frame are hashed instead);
    ``frames_skip_steps`` is its ``"N%"``, or None when it is a schedule of step counts.
    This is the table earlier versions hashed, so a frame's hash is unchanged: the
    settings added since (:data:`ADDED_SETTINGS`, the video flow warp's) are left out
    where they hold their defaults.

    Parameters
    ----------
    animation : render.settings.AnimationSettings
        The shot's settings.

    Returns
    -------
    dict[str, Any]
        Setting name -> value (a list for ``transformation_percent``).
    """
    record = {f.name: getattr(animation, f.name) for f in dataclasses.fields(animation)
              if f.name not in animation.PER_FRAME
              and not (f.name in ADDED_SETTINGS and getattr(animation, f.name) == f.default)}
    record["frames_skip_steps"] = animation.frames_skip_steps if animation.skip_percent is not None else None
    record["transformation_percent"] = [float(x) for x in animation.transformation_percent]
    return record


def settings_hash(frame: FrameSettings, mode: str, animation: AnimationSettings, guard: Mapping[str, Any] | None,
                  coherence: Mapping[str, Any] | None) -> str:
    """Hash everything that decides a frame's pixels.

    Parameters
    ----------
    frame : FrameSettings
        The frame (a :class:`chroma.shot.FrameSpec`): render settings, schedule values,
        seed, prompts.
    mode : str
        The animation mode.
    animation : render.settings.AnimationSettings
        The shot's animation settings (:func:`animation_record` of them is hashed).
    guard : Mapping[str, Any] or None
        The ``[guard]`` table as the file gives it (None: absent).
    coherence : Mapping[str, Any] or None
        The ``[coherence]`` table as the file gives it (None: absent).

    Returns
    -------
    str
        The SHA-256 (64 hex digits) of those settings as sorted JSON.
    """
    blob = json.dumps({"render": frame.render, "values": frame.values, "seed": frame.seed, "prompts": frame.prompts,
                       "image_prompts": frame.image_prompts, "mode": mode, "animation": animation_record(animation),
                       "guard": guard, "coherence": coherence}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()
