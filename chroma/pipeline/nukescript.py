"""The Nuke script beside a shot's sequence, written when a run starts and when it ends.

``<stem>.nk`` reads the frames on disk and those the run in progress is to write, so a
crash hours into a run still leaves a script (:func:`chroma.nuke.read_script`: a Read on
the sequence in its colour space, the OCIO config pinned, a disabled VectorBlur on the
frames' motion vectors when they carry them, a Viewer, the shot's audio).
A script chroma did not write is never replaced.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from chroma.pipeline.audio import nuke_audio

if TYPE_CHECKING:
    from chroma.pipeline.layout import ShotLayout
    from chroma.shot import Shot

__all__ = ["NoNukeScript", "NukeScriptWriter", "ScriptWriter"]


class ScriptWriter(Protocol):
    """Writes the script that reads a shot's frames."""

    def write(self, coming: Iterable[int] = ()) -> Path | None:
        """Write the script for the frames on disk and ``coming``.

        Parameters
        ----------
        coming : Iterable[int], optional
            Shot indices about to be written.

        Returns
        -------
        pathlib.Path or None
            The script; None when none was written.
        """


class NukeScriptWriter:
    """Write ``<stem>.nk``: a Read node on the shot's frames and a Viewer.

    Parameters
    ----------
    shot : chroma.shot.Shot
        The shot.
    layout : chroma.pipeline.layout.ShotLayout
        Its files.
    config : str or os.PathLike or None
        The OCIO config the frames are written with (pinned in the Root).
    size : Callable[[], tuple[int, int]]
        The frame size (width, height) in pixels, asked when the script is written.
    """

    def __init__(self, shot: Shot, layout: ShotLayout, config: str | os.PathLike[str] | None,
                 size: Callable[[], tuple[int, int]]):
        self.shot = shot
        self.layout = layout
        self.config = config
        self.size = size

    def write(self, coming: Iterable[int] = ()) -> Path | None:
        """Write the script on the frames on disk and ``coming``.

        Parameters
        ----------
        coming : Iterable[int], optional
            Shot indices about to be written (default none).

        Returns
        -------
        pathlib.Path or None
            The script, or None when there are no frames or a foreign script is in the way
            (a warning says so).
        """
        from chroma import nuke, ocio
        from chroma.io import write_text

        shot = self.shot
        present = sorted({i for i in range(shot.max_frames) if self.layout.path(i).exists()} | set(coming))
        if not present:
            return None
        path = self.layout.nuke_script_path()
        if path.exists() and not nuke.is_ours(path):
            import warnings

            warnings.warn(f"{path} exists and was not written by chroma; left as it is", UserWarning, stacklevel=3)
            return None
        first = shot.output.first_frame
        w, h = self.size()
        text = nuke.read_script(
            self.layout.pattern.hashes(), first + present[0], first + present[-1], shot.output.colorspace,
            (w, h), float(shot.output.fps), audio=nuke_audio(shot), ocio_config=ocio.config_path(self.config),
            vector_blur=shot.output.motion_vectors and shot.animation_mode in ("2D", "3D", "Video"),
        )
        return Path(write_text(path, text))


class NoNukeScript:
    """Write no script: a farm worker renders part of a shot, the client writes the script."""

    def write(self, coming: Iterable[int] = ()) -> Path | None:
        """Write nothing.

        Parameters
        ----------
        coming : Iterable[int], optional
            Ignored.

        Returns
        -------
        None
            Always.
        """
        return None
