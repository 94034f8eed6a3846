"""Where a shot's files go: the EXR sequence, previews, retained frames, the state folder.

One shot writes, beside its sequence ``<stem>.####.exr``: ``preview/`` (display-referred
pictures), ``retained/`` (frames a run replaced), ``<stem>.state/`` (the loop state after
each frame, the lock, ``log.jsonl``) and ``<stem>.nk`` (docs/shots.md, "Rendering").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chroma.sequence import Pattern
    from chroma.shot import OutputSpec

__all__ = ["LOG_NAME", "PREVIEW", "RETAINED", "STATE_SUFFIX", "ShotLayout"]

STATE_SUFFIX = ".state"
RETAINED = "retained"
PREVIEW = "preview"
LOG_NAME = "log.jsonl"


class ShotLayout:
    """The files of one shot's output, from its ``[output]`` settings.

    Parameters
    ----------
    output : chroma.shot.OutputSpec
        The shot's ``[output]`` (pattern, first frame, preview format).

    Attributes
    ----------
    output : chroma.shot.OutputSpec
        As given.
    pattern : chroma.sequence.Pattern
        The parsed output pattern.
    out_dir : pathlib.Path
        The folder of the sequence.
    stem : str
        The sequence's name without frame number and separators: ``sh010`` for
        ``sh010.####.exr``, ``"frames"`` when the name is only a frame token.
    state_dir : pathlib.Path
        ``<stem>.state`` in the output folder.
    """

    def __init__(self, output: OutputSpec):
        from chroma import sequence

        self.output = output
        self.pattern: Pattern = sequence.parse_pattern(output.pattern)
        self.out_dir = Path(self.pattern.path(output.first_frame)).parent
        self.stem = os.path.basename(self.pattern.prefix).rstrip("._-") or "frames"
        self.state_dir = self.out_dir / f"{self.stem}{STATE_SUFFIX}"

    def path(self, index: int) -> Path:
        """Return the EXR of a shot frame.

        Parameters
        ----------
        index : int
            Shot index (0 = the first frame, file number ``first_frame``).

        Returns
        -------
        pathlib.Path
            The output pattern filled with the file frame number.
        """
        return Path(self.output.path(index))

    def preview_path(self, index: int) -> Path:
        """Return the display-referred preview of a shot frame.

        Parameters
        ----------
        index : int
            Shot index.

        Returns
        -------
        pathlib.Path
            ``preview/<name>.png`` (or ``.jpg``) beside the sequence.
        """
        ext = "jpg" if self.output.preview == "jpg" else "png"
        return self.out_dir / PREVIEW / f"{self.path(index).stem}.{ext}"

    def dd_png_path(self, index: int) -> Path | None:
        """Return the DD-named 8-bit PNG of a shot frame (``[output] dd_png``), if asked for.

        Parameters
        ----------
        index : int
            Shot index (DD's frame number: DD numbers from 0 whatever ``first_frame``).

        Returns
        -------
        pathlib.Path or None
            ``<batch_name>(<n>)_<index:04>.png`` beside the sequence; None without ``dd_png``.
        """
        name = self.output.dd_png
        return self.out_dir / f"{name}_{index:04}.png" if name else None

    def state_path(self, index: int) -> Path:
        """Return the file the loop state after a frame is saved to.

        Parameters
        ----------
        index : int
            Shot index.

        Returns
        -------
        pathlib.Path
            ``<stem>.state/state.NNNNNN.npz``.
        """
        return self.state_dir / f"state.{index:06d}.npz"

    def log_path(self) -> Path:
        """Return the run log, a JSON line per frame rendered.

        Returns
        -------
        pathlib.Path
            ``<stem>.state/log.jsonl``.
        """
        return self.state_dir / LOG_NAME

    def nuke_script_path(self) -> Path:
        """Return the Nuke script written beside the sequence.

        Returns
        -------
        pathlib.Path
            ``<stem>.nk`` in the output folder.
        """
        return self.out_dir / f"{self.stem}.nk"
