"""Errors a user can cause in the renderer.

Every error that stems from user input (a bad setting, a malformed schedule string, a
prompt whose weights sum to zero, a checkpoint that is missing or fails its checksum)
is a :class:`RenderError` subclass whose message says what was wrong and what to do.
The ``chroma`` CLI catches :class:`RenderError`, prints the message on one line and exits
with status 2. This module imports nothing heavy (no torch), so a caller can catch the
error type without paying for the renderer.
"""

from __future__ import annotations


class RenderError(Exception):
    """Base class for renderer errors caused by user input or the user's environment."""


class SettingsError(RenderError, ValueError):
    """A render setting outside its valid domain."""


class ScheduleError(SettingsError):
    """A per-step schedule string that is not in a supported form."""


class KeyframeError(ScheduleError):
    """A per-frame keyframe schedule (number, DD keyframes, Deforum math) that cannot be evaluated."""


class PromptError(SettingsError):
    """A prompt that cannot be parsed or whose weights cannot be normalised."""


class ModelError(RenderError):
    """A checkpoint that is unknown, missing, corrupt or unsafe to load."""


class ModelNotFoundError(ModelError, FileNotFoundError):
    """A checkpoint that is not in the cache (and was not fetched or imported)."""


class ChecksumError(ModelError):
    """A checkpoint whose sha256 differs from the registry's."""


class UnsafeCheckpointError(ModelError):
    """A checkpoint file that is not plain weights (refused by ``weights_only`` loading)."""


class DownloadError(ModelError):
    """A checkpoint download that failed."""


__all__ = [
    "RenderError",
    "SettingsError",
    "ScheduleError",
    "KeyframeError",
    "PromptError",
    "ModelError",
    "ModelNotFoundError",
    "ChecksumError",
    "UnsafeCheckpointError",
    "DownloadError",
]
