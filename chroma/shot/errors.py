"""The error a shot file that cannot be rendered raises."""

from __future__ import annotations

from chroma.errors import ChromaError

__all__ = ["ShotError"]


class ShotError(ChromaError, ValueError):
    """A shot file that cannot be rendered as written (the message names key and line)."""
