"""``chroma demo OUTDIR``: the embedded, offline default job.

Each feature adds a part: a function ``part(outdir, overwrite) -> list[Path]`` registered
with :func:`part` (:mod:`chroma.demo.parts`). Parts run in registration order, each in its
own sub-folder: the colour tools (:mod:`chroma.demo.colour`: scene, lights, ambient,
blend), then a shot rendered end to end by the real pipeline with tiny random-weight
models (:mod:`chroma.demo.shot`; needs the ``render`` extra, skipped with a note without it).
"""

from __future__ import annotations

from chroma.demo.colour import DEMO_LIGHTS, SCENE_FRAMES, SCENE_SIZE, scene_frame  # registers the colour parts
from chroma.demo.parts import PARTS, Part, PartSkipped, file_lines, guard, part, run, say
from chroma.demo.shot import SHOT_FRAMES, SHOT_SIZE, render_shot, shot_text  # registers the shot, last

__all__ = ["PARTS", "Part", "PartSkipped", "file_lines", "guard", "part", "run", "say", "DEMO_LIGHTS",
           "SCENE_FRAMES", "SCENE_SIZE", "scene_frame", "SHOT_FRAMES", "SHOT_SIZE", "render_shot", "shot_text"]
