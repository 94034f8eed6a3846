"""The shot's audio as a Nuke script plays it: the file, its offset and its length.

A music video's shot names its song (``[audio] file`` and ``offset``, seconds into the
song at the shot's first frame); the ``.nk`` beside the sequence reads it with an
AudioRead node (:func:`chroma.nuke.read_script`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chroma.shot import Shot

__all__ = ["NukeAudio", "nuke_audio"]

#: (audio file, offset in seconds, the file's duration in seconds or None when unknown)
NukeAudio = tuple[str, float, "float | None"]


def nuke_audio(shot: Shot) -> NukeAudio | None:
    """Return the audio a shot's Nuke script plays.

    Parameters
    ----------
    shot : chroma.shot.Shot
        The shot.

    Returns
    -------
    NukeAudio or None
        (file, offset in seconds, duration in seconds or None), or None when the shot
        has no ``[audio]``.
    """
    from chroma.nuke import audio_duration

    a = shot.audio
    if not a:
        return None
    path = shot.resolve(a["file"])
    return path, float(a["offset"]), audio_duration(path)
