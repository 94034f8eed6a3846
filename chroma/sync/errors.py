"""Errors of ``chroma.sync`` and the import of the optional packages of its extra."""

from __future__ import annotations

from types import ModuleType

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


def require_module(module: str) -> ModuleType:
    """Import a package of the ``sync`` extra, or say in one line how to install it.

    ``chroma sync`` imports its optional packages (librosa, soundfile, srt, tomlkit,
    matplotlib) only inside the functions that use them, so ``import chroma`` stays light;
    each of those functions gets its package through this one call.

    Parameters
    ----------
    module : str
        The dotted module name, e.g. ``"librosa"`` or ``"matplotlib.pyplot"``.

    Returns
    -------
    types.ModuleType
        The imported module.

    Raises
    ------
    SyncDependencyError
        The package is not installed; the message names it and gives the
        ``pip install 'chroma-vfx[sync]'`` line.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise SyncDependencyError(
            f"chroma sync needs the Python package {module.split('.')[0]!r} (the 'sync' extra): {SYNC_EXTRA}"
        ) from exc
