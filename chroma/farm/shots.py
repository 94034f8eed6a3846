"""Shots and edits on a farm, and splitting a long shot into an edit (the names in one place).

The code lives in modules of one concept each:

- :mod:`chroma.farm.edit`: the edit format (:class:`Edit`, :func:`load_edit`,
  :func:`read_job`, :func:`is_edit`);
- :mod:`chroma.farm.tasks`: the task graph of shots and edits (:func:`shot_tasks`,
  :func:`edit_tasks`, :func:`render_shot`, :func:`render_edit`, :func:`render_frames`);
- :mod:`chroma.farm.split`: :func:`split_shot`;
- :mod:`chroma.farm.seams`: the conform and the crossfades (:func:`conform`,
  :func:`seam`, :func:`seam_metadata`);
- :mod:`chroma.farm.state`: the workers' state store (:class:`FarmStateStore`).
"""

from __future__ import annotations

from chroma.farm.edit import Config, Edit, EditShot, is_edit, load_edit, read_job
from chroma.farm.seams import SeamSide, conform, seam, seam_metadata
from chroma.farm.split import split_shot
from chroma.farm.state import FarmStateStore
from chroma.farm.tasks import (
    FEED_FORWARD_MODES,
    edit_tasks,
    frames_feed_forward,
    render_edit,
    render_frames,
    render_shot,
    shot_tasks,
)

__all__ = [
    "FEED_FORWARD_MODES", "Config", "Edit", "EditShot", "FarmStateStore", "SeamSide", "conform", "edit_tasks",
    "frames_feed_forward", "is_edit", "load_edit", "read_job", "render_edit", "render_frames", "render_shot", "seam",
    "seam_metadata", "shot_tasks", "split_shot",
]
