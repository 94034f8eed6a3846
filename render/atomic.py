"""Atomic file writes: a temporary file beside the target, renamed over it when complete.

The one rule for temporary names in chroma and render (``chroma.io`` re-exports these, as
``render`` must not import ``chroma``; this module needs only the standard library, so
``import chroma`` stays light): the temporary file of ``<folder>/<name><suffix>`` is

    ``<folder>/.<name><suffix>.chroma-tmp-<host>-<pid>-<token><suffix>``

- in the target's folder, so :func:`os.replace` is a rename on one filesystem (atomic by
  POSIX ``rename(2)``, and on Windows ``MoveFileEx`` with ``MOVEFILE_REPLACE_EXISTING``);
- hidden (leading dot) and ending in the target's suffix, so writers that pick the format
  from the extension (OpenImageIO, matplotlib) still do;
- unique across hosts and processes: the host name (two farm machines writing to one
  network share may well run the same pid), the process id, and a random token
  (:func:`secrets.token_hex`, 32 bits: two threads of one process differ too);
- found by a glob on ``.<name><suffix>.chroma-tmp-*`` (what a farm's retry clears before it
  writes the frame again).

References
----------
POSIX.1-2017, ``rename()``: "If the link named by the new argument exists, it shall be
removed and old renamed to new ... the link named by new shall remain visible to other
threads throughout the renaming operation".
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
from pathlib import Path
from typing import Iterator

__all__ = ["TEMP_MARK", "temp_path_for", "atomic_path"]

#: What every temporary name holds between the target's name and the writer's identity.
TEMP_MARK = ".chroma-tmp-"

_HOST_CHARS = re.compile(r"[^A-Za-z0-9.-]")
_HOST_MAX = 32  # characters of the host name kept, so the name stays far below 255 bytes


def _host() -> str:
    """This machine's name, in characters safe in a file name on every filesystem."""
    return _HOST_CHARS.sub("_", socket.gethostname())[:_HOST_MAX] or "host"


def temp_path_for(target: str | os.PathLike[str]) -> Path:
    """The temporary name under which ``target`` is written before it is renamed into place.

    Nothing is created; the name is new with near certainty (host, pid and 32 random bits),
    so two writers of one target never share a temporary file, on one machine or on two
    machines writing one network folder.

    Parameters
    ----------
    target : str or os.PathLike
        The file to be written.

    Returns
    -------
    pathlib.Path
        ``.<name>.chroma-tmp-<host>-<pid>-<token><suffix>`` in ``target``'s folder, where
        ``<host>`` is :func:`socket.gethostname` (other than letters, digits, ``.`` and
        ``-`` as ``_``, at most 32 characters), ``<pid>`` :func:`os.getpid` and
        ``<token>`` 8 random hex digits.

    Examples
    --------
    >>> p = temp_path_for("/shots/sh010/frame.1001.exr")
    >>> p.parent.as_posix(), p.name.startswith(".frame.1001.exr.chroma-tmp-"), p.suffix
    ('/shots/sh010', True, '.exr')
    """
    target = Path(target)
    who = f"{_host()}-{os.getpid()}-{secrets.token_hex(4)}"
    return target.parent / f".{target.name}{TEMP_MARK}{who}{target.suffix}"


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``target`` that becomes ``target`` when the block succeeds.

    The one atomic write of chroma and render: write the file at the yielded path
    (:func:`temp_path_for`); on leaving the block without an error it is renamed over
    ``target`` (:func:`os.replace`), so a reader never sees a half-written file. On any
    error (an exception, Ctrl-C) the temporary file is removed, if it was made, and
    ``target`` is left as it was.

    Parameters
    ----------
    target : str or os.PathLike
        The file to write; its folder must exist.

    Yields
    ------
    pathlib.Path
        The temporary path, not yet created (the writer creates it, with the process's
        umask as for any new file).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "notes.txt") as tmp:
    ...     _ = tmp.write_text("whole or nothing")
    >>> sorted(p.name for p in folder.iterdir())
    ['notes.txt']
    """
    target = Path(target)
    tmp = temp_path_for(target)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
