"""Nuke scripts (``.nk``) beside a rendered sequence: a Read node, a Viewer, the project range.

A ``.nk`` file is Nuke's TCL-like serialisation: ``NodeClass { knob value ... }`` blocks
in order, each node taking the one before it as input unless ``inputs 0``. The knobs
written here are the documented ones of Nuke's Root, Read, AudioRead and Viewer nodes
(Foundry, *Nuke Reference Guide*, "Read", "AudioRead", "Viewer", "Project Settings"):

- Read: ``file`` (the sequence with ``####`` padding, as Nuke writes it), ``format``,
  ``first``/``last`` (the frames read), ``origfirst``/``origlast`` (the sequence's own
  range), ``origset true``, ``colorspace`` (the OCIO colour space the frames were written
  in, so Nuke does not guess one), ``raw false`` (colour management on), ``on_error``.
- Root: ``first_frame``, ``last_frame``, ``fps``, ``format``, ``colorManagement OCIO``,
  and, to pin the OCIO config the frames were written with (so the ``colorspace`` names
  of the Read mean what chroma meant whatever config the artist's Nuke defaults to),
  ``OCIO_config custom`` with ``customOCIOConfigPath`` (the Root's "Color" tab:
  "OpenColorIO config" set to "custom", then the config's path). ``$OCIO``, when set
  where Nuke starts, still overrides them, as Nuke documents.
- VectorBlur (when the frames carry motion vectors, :mod:`chroma.pipeline.motion`), after
  the Read: ``channels rgba``, ``uv forward`` (the layer of Nuke's ``forward.u``/``forward.v``
  motion vectors, pixels per frame, the vectors VectorBlur documents), ``disable true``
  (motion blur is the artist's choice), and a ``label`` saying what it does.
- AudioRead: ``file``, ``filebegintime`` (the part of the file used, seconds: from the
  shot's audio offset to the end) and ``begintime`` (where that part sits in Nuke's time,
  seconds: from the first frame), so the song plays in sync; the song of a music video,
  when the shot names one.

Only scripts chroma wrote (their first line says so) are ever replaced.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["read_script", "is_ours", "audio_duration", "MARKER"]

MARKER = "#! chroma generated"


def _quote(text: str) -> str:
    """A knob value in Nuke's syntax: braces around anything with spaces or specials."""
    if text and all(c.isalnum() or c in "._-/#%:" for c in text):
        return text
    escaped = text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
    return "{" + escaped + "}"


def read_script(
    pattern: str,
    first: int,
    last: int,
    colorspace: str,
    size: tuple[int, int],
    fps: float,
    audio: tuple[str, float, float | None] | None = None,
    ocio_config: str | os.PathLike | None = None,
    vector_blur: bool = False,
) -> str:
    """Write the text of a Nuke script reading ``pattern`` frames ``first``-``last``.

    A Root (frame range, fps, format, OCIO colour management), a Read node (``file``,
    ``format``, ``first``/``last``, ``origfirst``/``origlast``, ``colorspace``, ``raw``
    false, ``on_error`` checkerboard), a Viewer, and an AudioRead node when ``audio`` is
    given.

    Parameters
    ----------
    pattern : str
        Absolute sequence path with ``#`` padding (``/shots/sh010.####.exr``).
    first : int
        The first frame number on disk.
    last : int
        The last frame number on disk.
    colorspace : str
        The OCIO colour space the EXRs are in (``ACEScg``).
    size : tuple[int, int]
        (width, height) in pixels.
    fps : float
        Frames per second.
    audio : tuple[str, float, float or None] or None, optional
        (path, offset in seconds of audio at the first frame, the file's duration in
        seconds or None), for an AudioRead node (without a duration only ``file`` is set).
    ocio_config : str or os.PathLike or None, optional
        The OCIO config the frames were written with, pinned in the Root
        (``OCIO_config custom``, ``customOCIOConfigPath``): a file (made absolute) or an
        ``ocio://`` built-in config name. None leaves Nuke's own choice.
    vector_blur : bool, optional
        The frames carry the ``forward`` motion layer: a VectorBlur node on it follows the
        Read, disabled. Default False.

    Returns
    -------
    str
        The script, starting with :data:`MARKER`.

    References
    ----------
    Foundry, Nuke Reference Guide: Root node knobs (``colorManagement``, ``OCIO_config``,
    ``customOCIOConfigPath``); Read node knobs (``file``, ``first``, ``last``,
    ``origfirst``, ``origlast``, ``colorspace``, ``raw``, ``on_error``) and AudioRead
    (``filebegintime``, ``begintime``); VectorBlur (``channels``, ``uv``); the ``.nk``
    script syntax.
    """
    w, h = size
    fmt = _quote(f"{w} {h} 0 0 {w} {h} 1 chroma_{w}x{h}")
    path = pattern.replace(os.sep, "/")
    lines = [
        MARKER,
        "Root {",
        " inputs 0",
        f" first_frame {first}",
        f" last_frame {last}",
        f" fps {fps:g}",
        f" format {fmt}",
        " colorManagement OCIO",
    ]
    if ocio_config is not None:
        where = str(ocio_config)
        if not where.startswith("ocio://"):
            where = os.path.abspath(where)
        lines += [" OCIO_config custom", f" customOCIOConfigPath {_quote(where.replace(os.sep, '/'))}"]
    lines += [
        "}",
        "Read {",
        " inputs 0",
        f" file {_quote(path)}",
        f" format {fmt}",
        f" first {first}",
        f" last {last}",
        f" origfirst {first}",
        f" origlast {last}",
        " origset true",
        f" colorspace {_quote(colorspace)}",
        " raw false",
        " on_error checkerboard",
        " name Read1",
        " xpos 0",
        " ypos 0",
        "}",
    ]
    if vector_blur:
        lines += [
            "VectorBlur2 {",
            " channels rgba",
            " uv forward",
            " disable true",
            " name VectorBlur1",
            " label " + _quote("motion blur from chroma's forward vectors (enable to use)"),
            " xpos 0",
            " ypos 60",
            "}",
        ]
    lines += [
        "Viewer {",
        f" frame_range {first}-{last}",
        f" fps {fps:g}",
        " name Viewer1",
        " xpos 0",
        " ypos 120",
        "}",
    ]
    if audio is not None:
        song, offset, duration = audio
        lines += ["AudioRead {", " inputs 0", f" file {_quote(song.replace(os.sep, '/'))}"]
        if duration is not None:
            start = first / fps
            lines += [f" filebegintime {{{offset:g} {duration:g}}}",
                      f" begintime {{{start:g} {start + duration - offset:g}}}"]
        lines += [
            " name AudioRead1",
            " xpos 200",
            " ypos 0",
            "}",
        ]
    return "\n".join(lines) + "\n"


def audio_duration(path: str | os.PathLike) -> float | None:
    """Give the length of an audio file.

    WAV through the standard library, other formats through soundfile when installed.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.

    Returns
    -------
    float or None
        Seconds; None when it cannot be read.
    """
    import wave

    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() / float(w.getframerate())
    except (OSError, EOFError, wave.Error):
        pass
    try:
        import soundfile

        return float(soundfile.info(str(path)).duration)
    except Exception:  # not installed, or not a sound file
        return None


def is_ours(path: str | os.PathLike) -> bool:
    """Tell whether ``path`` is a script chroma wrote (its first line is :data:`MARKER`).

    Parameters
    ----------
    path : str or os.PathLike
        A Nuke script.

    Returns
    -------
    bool
        False also when it cannot be read.
    """
    try:
        with open(Path(path), encoding="utf-8", errors="replace") as fh:
            return fh.readline().rstrip("\n") == MARKER
    except OSError:
        return False
