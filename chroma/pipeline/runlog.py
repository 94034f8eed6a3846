"""The run log: what happened to each frame of a run, one JSON line per frame.

Every frame a run renders appends a :class:`FrameReport` to ``<stem>.state/log.jsonl``
after its state is saved (:mod:`chroma.report` reads it back).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from typing import Any

__all__ = ["FrameReport", "append_report"]


@dataclass
class FrameReport:
    """What happened to one frame of a run (also a line of the state folder's ``log.jsonl``).

    Attributes
    ----------
    index : int
        Shot index (0 = the first frame).
    file_frame : int
        The frame number in the file name.
    path : str or None
        The EXR written (None: rendered only to reach a later frame).
    seconds : float
        Wall time of the frame, in seconds.
    clip_loss : float or None
        The last CLIP loss (None on turbo frames).
    turbo : bool
        Whether the frame was a turbo frame (warped, not sampled).
    prompt_key : int
        The keyframe of the prompts in force (shot index).
    retained : str or None
        Where the frame it replaced was moved.
    guard : dict or None
        The collapse guard's state and measures (:mod:`chroma.guard`).
    coherence : dict or None
        What colour coherence did (:mod:`chroma.coherence`).
    summary : str
        The watch's few words for the progress line.
    """

    index: int
    file_frame: int
    path: str | None
    seconds: float
    clip_loss: float | None
    turbo: bool
    prompt_key: int
    retained: str | None = None
    guard: dict[str, Any] | None = None
    coherence: dict[str, Any] | None = None
    summary: str = ""


def append_report(path: str | os.PathLike[str], report: FrameReport) -> None:
    """Append one frame's report to a run log as a JSON line.

    Parameters
    ----------
    path : str or os.PathLike
        The log (``<stem>.state/log.jsonl``); its folder exists.
    report : FrameReport
        The frame's report.
    """
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(dataclasses.asdict(report)) + "\n")
