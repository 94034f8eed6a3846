"""Shot files: an animated render described in TOML, validated, its schedules per frame.

A shot file (``shot.toml``, documented key by key in ``docs/shots.md``) holds what Disco
Diffusion keeps in its notebook cells for an animation: the output sequence, the render
settings by their Disco Diffusion names, ``max_frames``, the seed, prompts keyed by frame,
the animation mode and its camera schedules. :func:`load_shot` reads and validates it
all before anything heavy loads; every error names the key and the line of the file.

The schema is the renderer's: ``[render]`` is :class:`render.settings.RenderSettings`,
``[animation]`` is :class:`render.settings.AnimationSettings` (types, defaults, units,
allowed values); this package reads TOML into them and adds what needs the whole shot.
Schedulable settings (the camera keys, ``frames_scale``, ``frames_skip_steps``, the
guidance scales...) take a number, Disco Diffusion's keyframe strings
(``"0: (1.02), 120: (1.05)"``, interpolated with ``interp_spline``) or Deforum's strings
with math in ``t``, ``max_f`` and ``s`` (evaluated by :mod:`render.keyframes`, never with
``eval``). Prompts and per-timestep cut schedules are keyed by frame and held until the
next key. ``Shot.frame(i)`` gives everything that applies to frame ``i``.

Frame indices count from 0 (the shot's first frame, as Disco Diffusion counts them); the
file of frame ``i`` is numbered ``first_frame + i`` (1001 by default, as VFX sequences).

Modules, one concept each: :mod:`~chroma.shot.parse` (TOML in, a :class:`Shot` out),
:mod:`~chroma.shot.validation` (``file:line: key: what`` messages, single-value checks)
with :mod:`~chroma.shot.positions` (key lines from the TOML parser), one module per
table (:mod:`~chroma.shot.output`, :mod:`~chroma.shot.render_table`,
:mod:`~chroma.shot.animation_table`, :mod:`~chroma.shot.prompts`,
:mod:`~chroma.shot.collapse`), :mod:`~chroma.shot.model` (the shot and its frames),
:mod:`~chroma.shot.hashing` (a frame's settings hash), :mod:`~chroma.shot.modes`,
:mod:`~chroma.shot.limits`, :mod:`~chroma.shot.writing` (``dump_shot``) and
:mod:`~chroma.shot.dd_import` (Disco Diffusion and Deforum settings in; ``chroma.shot_import``
is its old name). Names with a leading underscore are shared between these modules only.
"""

from __future__ import annotations

from chroma.shot.animation_table import ANIMATION_FIXED, ANIMATION_KEYS, ANIMATION_SCHEDULES
from chroma.shot.collapse import COHERENCE_DEFAULTS, GUARD_DEFAULTS
from chroma.shot.errors import ShotError
from chroma.shot.limits import (
    MAX_FRAME_BYTES,
    MAX_FRAMES,
    SEED_MAX,
    SEED_MIN,
    SIZE_MULTIPLE,
    frame_memory,
    rendered_size,
)
from chroma.shot.model import FrameSpec, Shot
from chroma.shot.modes import (
    ANIMATION_MODES,
    CAMERA_KEYS,
    CAMERA_SETTINGS,
    MODE_CAMERA_KEYS,
    SEED_RULES,
    SPLINES,
    inactive_keys,
)
from chroma.shot.output import OUTPUT_DEFAULTS, OutputSpec
from chroma.shot.parse import load_shot, parse_shot, tomlreader
from chroma.shot.render_table import RENDER_KEYED, RENDER_SCHEDULES, render_setting_types, type_error
from chroma.shot.writing import dump_shot

__all__ = [
    "ShotError", "Shot", "OutputSpec", "FrameSpec", "load_shot", "parse_shot", "dump_shot",
    "CAMERA_KEYS", "CAMERA_SETTINGS", "ANIMATION_MODES", "ANIMATION_SCHEDULES", "ANIMATION_FIXED", "ANIMATION_KEYS", "MODE_CAMERA_KEYS",
    "inactive_keys", "MAX_FRAMES", "SEED_MIN", "SEED_MAX", "SIZE_MULTIPLE", "MAX_FRAME_BYTES", "SPLINES", "SEED_RULES",
    "frame_memory", "render_setting_types", "rendered_size", "type_error", "RENDER_SCHEDULES", "RENDER_KEYED",
    "OUTPUT_DEFAULTS", "GUARD_DEFAULTS", "COHERENCE_DEFAULTS", "tomlreader",
]
