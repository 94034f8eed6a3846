"""Rendered frames -> scene-linear -> EXR (DESIGN.md: "The data that flows").

The renderer yields display-referred frames (values in [-1, 1], the models' own sRGB-like
encoding); this package turns them into scene-linear images and files:

- :mod:`chroma.pipeline.frames`: :func:`frame_to_scene_linear` (the inverse of an OCIO
  display view) and its inverse :func:`display_tensor`;
- :mod:`chroma.pipeline.still`: :func:`render_still`, one frame to an EXR whose header
  renders it again (``chroma render -o``);
- :mod:`chroma.pipeline.runner`: :class:`ShotRunner`, a shot to an EXR sequence,
  resumably (``chroma render SHOT.toml``), composed of the seams below
  (docs/architecture.md):
- :mod:`chroma.pipeline.plan`: the planner, which frames from which saved state;
- :mod:`chroma.pipeline.store`: the state store (loop states, the lock, the run log);
- :mod:`chroma.pipeline.inputs`: plates, depth, image prompts as the models see them;
- :mod:`chroma.pipeline.writer`: the frame writer (EXR, metadata, preview, ``retained/``);
- :mod:`chroma.pipeline.nukescript`: the ``.nk`` beside the sequence;
- :mod:`chroma.pipeline.loop`: the loop that sequences them, and the stop policy;
- :mod:`chroma.pipeline.layout`, :mod:`~chroma.pipeline.runlog`,
  :mod:`~chroma.pipeline.models`, :mod:`~chroma.pipeline.platematch`,
  :mod:`~chroma.pipeline.audio`: the shot's files, the run log, the checkpoints, the
  match to the plate, the audio the ``.nk`` plays;
- :mod:`chroma.pipeline.statefile`: the loop's state files, compressed losslessly;
- :mod:`chroma.pipeline.lock`: :class:`ShotLock`, one render of a shot at a time.
"""

from chroma.pipeline.frames import display_tensor, frame_to_scene_linear
from chroma.pipeline.layout import PREVIEW, RETAINED, STATE_SUFFIX, ShotLayout
from chroma.pipeline.lock import ShotLock, ShotLockedError
from chroma.pipeline.loop import RunProgress, StopPolicy
from chroma.pipeline.nukescript import ScriptWriter
from chroma.pipeline.plan import RunPlan
from chroma.pipeline.runlog import FrameReport
from chroma.pipeline.runner import ShotRunner
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
from chroma.pipeline.store import LocalStateStore, SavedState, StateStore
from chroma.pipeline.writer import FrameWriter

__all__ = [
    "PREVIEW", "RENDER_SETTINGS_KEY", "RETAINED", "STATE_SUFFIX", "FrameReport", "FrameWriter", "LocalStateStore",
    "RunPlan", "RunProgress", "SavedState", "ScriptWriter", "ShotLayout", "ShotLock", "ShotLockedError", "ShotRunner",
    "StateStore", "StopPolicy",
    "StillResult", "device_name", "display_tensor", "find_settings_path", "frame_to_scene_linear",
    "image_prompt_files", "load_render_settings", "render_still", "require_renderer",
]
