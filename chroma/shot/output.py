"""The ``[output]`` table: where and how a shot's frames are written."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from chroma.errors import ChromaError, ChromaValueError
from chroma.shot.validation import _Checker, _choice, _int, _resolve

__all__ = ["OUTPUT_DEFAULTS", "OutputSpec", "dd_run_name"]

OUTPUT_DEFAULTS: dict[str, Any] = {
    "pattern": None, "first_frame": 1001, "fps": 24, "colorspace": "ACEScg", "compression": "zip",
    "dtype": "half", "display": "", "view": "", "preview": "png", "match_plate": False,
    "motion_vectors": True, "dd_png": False,
}

#: A Disco Diffusion run's name as it starts its frames' files: ``<batch_name>(<n>)``
_DD_RUN = re.compile(r"^[^/\\]+\(\d+\)$")


@dataclass(frozen=True)


class OutputSpec:
    """Where and how frames are written (``[output]``).

    Attributes
    ----------
    pattern : str
        The sequence, absolute, with a frame token (``####``, ``%04d``, ``@``).
    first_frame : int
        The file frame number of the shot's frame 0.
    fps : fractions.Fraction
        Frames per second, exact (29.97 is 30000/1001).
    colorspace : str
        The OCIO colour space the EXRs are written in.
    compression : str
        The EXR compression.
    dtype : str
        The EXR pixel type (``half``, ``float``).
    display : str or None
        The OCIO display of the previews (None: the config's default).
    view : str or None
        The OCIO view of the previews.
    preview : str
        ``png``, ``jpg`` or ``none``.
    match_plate : bool
        Write frames at the plate's size and metadata.
    motion_vectors : bool
        Write the motion of every 2D, 3D and Video frame as Nuke's ``forward`` and
        ``backward`` layers and an ``occlusion`` channel (:mod:`chroma.pipeline.motion`).
    dd_png : str
        Also write each frame as Disco Diffusion's 8-bit PNG ``<dd_png>_<index:04>.png``
        beside the EXRs; ``dd_png`` is DD's run name ``<batch_name>(<n>)``. Empty: none.
    """

    pattern: str
    first_frame: int = 1001
    fps: Fraction = Fraction(24)
    colorspace: str = "ACEScg"
    compression: str = "zip"
    dtype: str = "half"
    display: str | None = None
    view: str | None = None
    preview: str = "png"
    match_plate: bool = False
    motion_vectors: bool = True
    dd_png: str = ""

    def path(self, index: int) -> str:
        """Give the EXR path of a frame.

        Parameters
        ----------
        index : int
            The frame, 0-based in the shot.

        Returns
        -------
        str
            The file of frame number ``first_frame + index``.
        """
        from chroma import sequence

        return sequence.parse_pattern(self.pattern).path(self.first_frame + index)


def _fps(chk: _Checker, value: Any) -> Fraction:
    from chroma.fps import parse_fps

    try:
        return parse_fps(value)
    except ChromaValueError as e:
        raise chk.fail("output", "fps", f"{e} (got {value!r})") from None


def _output(chk: _Checker, sec: dict, base: Path, config: str | os.PathLike | None) -> OutputSpec:
    from chroma import ocio, sequence

    chk.unknown("output", sec, tuple(OUTPUT_DEFAULTS))
    values = {**OUTPUT_DEFAULTS, **sec}
    pattern = values["pattern"]
    if not isinstance(pattern, str) or not pattern:
        raise chk.fail("output", "pattern", "give the frames' path pattern, e.g. pattern = \"out/sh010.####.exr\"")
    try:
        pat = sequence.parse_pattern(pattern)
    except ChromaError as e:
        raise chk.fail("output", "pattern", str(e)) from None
    if not pat.is_sequence:
        raise chk.fail("output", "pattern", f"{pattern!r} has no frame number; write it like out/sh010.####.exr")
    if not pattern.lower().endswith(".exr"):
        raise chk.fail("output", "pattern", f"{pattern!r} is not an EXR sequence; frames are written as EXR (.exr)")
    first = _int(chk, "output", "first_frame", values["first_frame"], minimum=0)
    fps = _fps(chk, values["fps"])
    try:
        colorspace = ocio.resolve_colorspace(str(values["colorspace"]), config)
    except ChromaError as e:
        raise chk.fail("output", "colorspace", str(e)) from None
    from chroma.io import COMPRESSIONS

    compression = str(values["compression"]).lower()
    if compression not in COMPRESSIONS:
        raise chk.fail("output", "compression", f"unknown EXR compression {values['compression']!r}; choose one of "
                       f"{', '.join(COMPRESSIONS)}")
    dtype = _choice(chk, "output", "dtype", values["dtype"], ("half", "float"))
    preview = _choice(chk, "output", "preview", values["preview"], ("png", "jpg", "none"))
    display = values["display"] or None
    view = values["view"] or None
    if display is not None and display not in ocio.list_displays(config):
        raise chk.fail("output", "display", f"no display {display!r} in the OCIO config; see chroma info --colorspaces")
    if view is not None and view not in ocio.list_views(display, config):
        raise chk.fail("output", "view", f"no view {view!r} for that display; see chroma info --colorspaces")
    if not isinstance(values["match_plate"], bool):
        raise chk.fail("output", "match_plate", "must be true or false")
    if not isinstance(values["motion_vectors"], bool):
        raise chk.fail("output", "motion_vectors", "must be true or false (write the motion vectors or not)")
    return OutputSpec(_resolve(base, pattern), first, fps, colorspace, compression, dtype, display, view, preview,
                      values["match_plate"], values["motion_vectors"], _dd_png(chk, values["dd_png"], pat.prefix))


def dd_run_name(value: bool | str, prefix: str) -> str:
    """The DD run name DD-named PNGs take: ``value``, or for ``True`` the sequence's name with ``(0)``.

    Parameters
    ----------
    value : bool or str
        ``[output] dd_png`` (or ``chroma render --dd-png``): False, True or ``<batch_name>(<n>)``.
    prefix : str
        The output pattern's part before the frame number (``out/sh010.`` gives ``sh010(0)``).

    Returns
    -------
    str
        ``<batch_name>(<n>)``; empty for False.

    Raises
    ------
    chroma.errors.ChromaValueError
        A string that is not ``<batch_name>(<n>)`` (a folder in it, no run number).
    """
    if value is False:
        return ""
    if value is True:
        return f"{os.path.basename(prefix).rstrip('._-') or 'frames'}(0)"
    if not isinstance(value, str) or not _DD_RUN.match(value):
        raise ChromaValueError(f"{value!r} is not a Disco Diffusion run name; write it as DD names its files, "
                               "<batch_name>(<n>), e.g. \"TimeToDisco(0)\", or true")
    return value


def _dd_png(chk: _Checker, value: Any, prefix: str) -> str:
    try:
        return dd_run_name(value, prefix)
    except ChromaValueError as e:
        raise chk.fail("output", "dd_png", str(e)) from None
