"""Errors of ``chroma.sync`` and the import of the optional packages of its extra."""

from __future__ import annotations

from chroma.errors import ChromaError

SYNC_EXTRA = "pip install 'chroma-vfx[sync]'"


class SyncError(ChromaError):
    """A user error in ``chroma sync`` (bad option, inconsistent shot)."""


class LyricsError(SyncError):
    """A lyrics file that cannot be read; the message names the line."""


class AudioError(SyncError):
    """An audio file that cannot be read or analysed."""


class SyncDependencyError(SyncError):
    """A package of the ``sync`` extra is not installed."""


def _need(module: str):
    """Import a package of the sync extra or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise SyncDependencyError(
            f"chroma sync needs the Python package {module.split('.')[0]!r} (the 'sync' extra): {SYNC_EXTRA}"
        ) from exc
