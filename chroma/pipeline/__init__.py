"""Rendered frames -> scene-linear -> EXR (DESIGN.md: "The data that flows").

The renderer yields display-referred frames (values in [-1, 1], the models' own sRGB-like
encoding); this package turns them into scene-linear images and files:

- :mod:`chroma.pipeline.frames`: :func:`frame_to_scene_linear` (the inverse of an OCIO
  display view) and its inverse :func:`display_tensor`;
- :mod:`chroma.pipeline.still`: :func:`render_still`, one frame to an EXR whose header
  renders it again (``chroma render -o``);
- :mod:`chroma.pipeline.runner`: :class:`ShotRunner`, a shot to an EXR sequence,
  resumably (``chroma render SHOT.toml``);
- :mod:`chroma.pipeline.statefile`: the loop's state files, compressed losslessly;
- :mod:`chroma.pipeline.lock`: :class:`ShotLock`, one render of a shot at a time.
"""

from chroma.pipeline.frames import display_tensor, frame_to_scene_linear
from chroma.pipeline.lock import ShotLock, ShotLockedError
from chroma.pipeline.runner import PREVIEW, RETAINED, STATE_SUFFIX, FrameReport, RunPlan, ShotRunner
from chroma.pipeline.still import (
    RENDER_SETTINGS_KEY,
    StillResult,
    device_name,
    find_settings_path,
    image_prompt_files,
    load_render_settings,
    render_still,
    require_renderer,
)

__all__ = [
    "PREVIEW", "RENDER_SETTINGS_KEY", "RETAINED", "STATE_SUFFIX", "FrameReport", "RunPlan", "ShotLock",
    "ShotLockedError", "ShotRunner",
    "StillResult", "device_name", "display_tensor", "find_settings_path", "frame_to_scene_linear",
    "image_prompt_files", "load_render_settings", "render_still", "require_renderer",
]
