"""Music to keyframes: synced lyrics (LRC, SRT) and audio (beats, loudness) -> a shot.

The pieces are pure functions over small dataclasses; ``chroma sync`` (``chroma/cli/sync.py``)
strings them together. Optional packages (the ``sync`` extra: librosa, soundfile, srt,
tomlkit, matplotlib) are imported inside the functions that need them, so ``import
chroma`` stays light.

Times and frames
----------------
A time ``t`` (seconds of song) lands on the shot's frame index (0 = the shot's first
frame, as in the shot's ``[prompts]`` table)::

    frame = round((t - offset) * fps)        halves round up: floor(x + 1/2)

with ``offset`` the seconds of audio at frame 0 (the shot's ``[audio] offset``). The
arithmetic is exact (``fractions.Fraction``): LRC and SRT times are decimal, and fps is a
fraction read by :func:`chroma.fps.parse_fps` (the parser shot files use), so 29.97 means
30000/1001 (also 23.976 and 23.98, 47.952 and 47.95, 59.94, 119.88 -> N*1000/1001).

LRC
---
``[mm:ss]``, ``[mm:ss.xx]`` and ``[mm:ss.xxx]`` tags at the start of a line (several tags
give the same text at several times); metadata tags ``[ar:]``, ``[ti:]``, ``[al:]``,
``[au:]``, ``[by:]``, ``[length:]`` ...; ``[offset:+/-ms]`` with the LRC meaning: *a
positive offset makes the lyrics appear sooner*, so a tag at ``t`` is sung at
``t - offset/1000`` (https://en.wikipedia.org/wiki/LRC_(file_format)). A time tag with no
text ends the previous line (an instrumental gap). Lines may come in any order; they are
sorted by time. Enhanced-LRC word tags ``<mm:ss.xx>`` inside a line are removed. Lines
without a leading ``[`` are ignored, as players do. Malformed tags raise
:class:`LyricsError` naming the line.

Schedules
---------
Curves are per-frame arrays; :func:`to_keyframes` writes them as Disco Diffusion keyframe
strings ``"0: (1.0), 12: (1.05), ..."`` keeping only the frames where the curve bends
(within ``tolerance``), so DD's Linear interpolation between the keys gives back the curve
at every frame.
"""

from chroma.sync.audio import AudioAnalysis, analyze_audio, fit_tempo, load_audio
from chroma.sync.curves import (
    ANIMATION_KEYS,
    KEYS_2D_ONLY,
    KEYS_3D_ONLY,
    beat_pulses,
    fold,
    loudness_curve,
    rest_value,
    setting_path,
    to_keyframes,
)
from chroma.sync.errors import SYNC_EXTRA, AudioError, LyricsError, SyncDependencyError, SyncError, require_module
from chroma.sync.frames import format_clock, frame_at, parse_fps, parse_time
from chroma.sync.lyrics import (
    LyricLine,
    Lyrics,
    PromptPlan,
    Section,
    lyrics_to_prompts,
    parse_lrc,
    parse_section,
    parse_srt,
    read_lyrics,
)
from chroma.sync.plot import plot
from chroma.sync.shotfile import backup_path, check_mode, keep_backup, shot_mode, shot_text

__all__ = [
    "SyncError", "LyricsError", "AudioError", "SyncDependencyError", "SYNC_EXTRA", "require_module",
    "LyricLine", "Lyrics", "Section", "PromptPlan", "AudioAnalysis",
    "parse_fps", "parse_time", "frame_at", "format_clock", "fit_tempo", "parse_lrc", "parse_srt", "read_lyrics",
    "parse_section", "lyrics_to_prompts", "load_audio", "analyze_audio",
    "beat_pulses", "loudness_curve", "fold", "to_keyframes", "rest_value", "setting_path",
    "ANIMATION_KEYS", "KEYS_2D_ONLY", "KEYS_3D_ONLY", "shot_text", "shot_mode", "check_mode",
    "backup_path", "keep_backup", "plot",
]
