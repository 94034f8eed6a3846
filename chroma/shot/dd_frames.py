"""A Disco Diffusion run's folder: its settings file, its frames, and where to continue it.

Disco Diffusion (DD) v5.x writes a run ``<batch_name>(<n>)`` into one folder: the settings
as ``<batch_name>(<n>)_settings.txt`` and frame ``i`` as ``<batch_name>(<n>)_<i:04>.png``.
When a session dies, the frames written so far stay. :func:`scan_dd_folder` finds the run
(one settings file, its frames 0..K without gaps) and :class:`DDRun` says where an
uninterrupted run goes on (:func:`chroma.pipeline.ddresume.write_resume_state` saves the
state to continue from): frame ``K + 1`` from frame ``K``'s PNG, with seed
``seed + K + 1`` (DD's per-frame rule, ``seed + frame``).

DD's own ``resume_run`` restarts at the PNG count too, but it takes the settings' seed
again and steps it once before the first resumed frame, so its frames after a resume are
seeded ``seed + 1, seed + 2...`` rather than ``seed + K + 1...``: the resumed frames are not
the ones the run would have made. chroma numbers them as the uninterrupted run does.

References: Disco Diffusion v5.x ``disco.py`` (``save_settings``, the frame file names of
``do_run``, the ``resume_run`` cell).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chroma.errors import ChromaIOError, ChromaValueError

if TYPE_CHECKING:
    pass

__all__ = ["DDRun", "scan_dd_folder", "settings_file", "frames_of"]

_SETTINGS = re.compile(r"^(?P<batch>.+)\((?P<num>\d+)\)_settings\.txt$")


@dataclass(frozen=True)
class DDRun:
    """A DD run found in a folder: its settings file and the frames it wrote.

    Attributes
    ----------
    settings : pathlib.Path
        ``<batch_name>(<n>)_settings.txt``.
    batch_name : str
        The batch name, as in the file names.
    batch_num : int
        DD's run number ``n``.
    frames : tuple of pathlib.Path
        Frames ``0..last`` in order (``<batch_name>(<n>)_<i:04>.png``).
    """

    settings: Path
    batch_name: str
    batch_num: int
    frames: tuple[Path, ...]

    @property
    def last(self) -> int:
        """The index of the last frame written (-1 when none was).

        Returns
        -------
        int
            ``len(frames) - 1``.
        """
        return len(self.frames) - 1

    @property
    def next_frame(self) -> int:
        """The first frame still to render, as DD's ``resume_run`` counts it (the PNG count).

        Returns
        -------
        int
            ``last + 1``.
        """
        return len(self.frames)

    def resume_frame(self, mode: str, turbo_mode: bool, turbo_steps: int, turbo_preroll: int) -> int:
        """The frame DD 5.7's ``resume_run`` continues at, its turbo alignment included.

        With turbo on (any mode but Video Input), past the preroll, DD moves the start back
        to a multiple of ``turbo_steps`` so a diffused frame starts the run again; the frames
        after it are rendered again from the PNG before it.

        Parameters
        ----------
        mode : str
            The shot's animation mode (``"None"``, ``"2D"``, ``"3D"``, ``"Video"``).
        turbo_mode : bool
            DD's ``turbo_mode``.
        turbo_steps : int
            DD's ``turbo_steps`` (at least 1).
        turbo_preroll : int
            DD's ``turbo_preroll``.

        Returns
        -------
        int
            :attr:`next_frame`, or the multiple of ``turbo_steps`` below it.
        """
        start = self.next_frame
        if mode != "Video" and turbo_mode and start > turbo_preroll and start % turbo_steps:
            start -= start % turbo_steps
        return start

    def seed_of(self, seed: int, frame: int) -> int:
        """Frame ``frame``'s seed as an uninterrupted DD run numbers it: ``seed + frame``.

        Parameters
        ----------
        seed : int
            The settings' ``seed``.
        frame : int
            The frame index (0 is the run's first frame).

        Returns
        -------
        int
            ``seed + frame`` (DD's own resume would give ``seed + 1`` to its first
            resumed frame; see the module's notes).
        """
        return seed + frame

    def frame_pattern(self) -> str:
        """The run's frames as a chroma sequence pattern, ``<batch>(<n>)_####.png``.

        Returns
        -------
        str
            The pattern, in the frames' folder.
        """
        return str(self.settings.parent / f"{self.batch_name}({self.batch_num})_####.png")


def settings_file(folder: Path) -> Path:
    """The one DD settings file in ``folder`` (``<batch_name>(<n>)_settings.txt``).

    Parameters
    ----------
    folder : pathlib.Path
        The run's folder.

    Returns
    -------
    pathlib.Path
        The settings file.

    Raises
    ------
    chroma.errors.ChromaIOError
        The folder does not exist, holds no settings file, or several (name one).
    """
    if not folder.is_dir():
        raise ChromaIOError(f"{str(folder)!r} is not a folder")
    found = sorted(p for p in folder.iterdir() if _SETTINGS.match(p.name))
    if not found:
        raise ChromaIOError(f"{str(folder)!r} holds no Disco Diffusion settings file (<batch_name>(<n>)_settings.txt)")
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise ChromaIOError(f"{str(folder)!r} holds several Disco Diffusion runs ({names}); name the settings file "
                            "and pass the folder with --from-frames")
    return found[0]


def frames_of(settings: Path, folder: Path) -> DDRun:
    """The frames a DD run wrote into ``folder``, for its settings file.

    Parameters
    ----------
    settings : pathlib.Path
        The run's ``<batch_name>(<n>)_settings.txt`` (its name gives the frames' names).
    folder : pathlib.Path
        Where the frames are.

    Returns
    -------
    DDRun
        The run, with frames ``0..K``.

    Raises
    ------
    chroma.errors.ChromaValueError
        The settings file is not named as DD names it, or frames are missing before the
        last one (DD's resume counts the PNGs, so a gap would misplace every later frame).
    chroma.errors.ChromaIOError
        ``folder`` is not a folder.
    """
    m = _SETTINGS.match(settings.name)
    if m is None:
        raise ChromaValueError(f"{settings.name!r} is not named as Disco Diffusion names its settings "
                               "(<batch_name>(<n>)_settings.txt); the frames cannot be matched to it")
    if not folder.is_dir():
        raise ChromaIOError(f"{str(folder)!r} is not a folder")
    batch, num = m["batch"], int(m["num"])
    frame_re = re.compile(re.escape(f"{batch}({num})_") + r"(\d{4,})\.png$")
    found = {int(g[1]): p for p in folder.iterdir() if (g := frame_re.match(p.name))}
    if found:
        missing = sorted(set(range(max(found) + 1)) - set(found))
        if missing:
            raise ChromaValueError(f"frames of {batch}({num}) are missing in {str(folder)!r}: "
                                   f"{', '.join(f'{i:04}' for i in missing[:5])}{'...' if len(missing) > 5 else ''} "
                                   "(DD continues after the number of PNGs; fill or remove the gap)")
    frames = tuple(found[i] for i in sorted(found))
    return DDRun(settings=settings, batch_name=batch, batch_num=num, frames=frames)


def scan_dd_folder(folder: Path) -> DDRun:
    """The DD run in ``folder``: its one settings file and its frames.

    Parameters
    ----------
    folder : pathlib.Path
        A DD batch folder holding one run's settings file and PNGs.

    Returns
    -------
    DDRun
        The run.

    Raises
    ------
    chroma.errors.ChromaIOError
        No settings file, or several.
    chroma.errors.ChromaValueError
        Frames missing before the last one.
    """
    return frames_of(settings_file(folder), folder)
