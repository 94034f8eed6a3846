"""The lock on a shot's state folder: one render of a shot at a time.

A run holds ``<stem>.state/lock`` while it renders: a small JSON file with the process id,
the host name and the start time, created with ``O_CREAT | O_EXCL`` (atomic: of two runs
starting at once exactly one creates it). A second run finds it and stops with a message
naming who holds it. A lock left by a process that died without releasing it (SIGKILL, a
power cut) is *stale* when it names this host and a process that is no longer running
(or a process id since reused by a newer process, where psutil is installed); the next
run takes it over and says so. A lock from another host cannot be checked from here and
counts as held. The lock is released when the run ends, by an exception or Ctrl-C too.
"""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from chroma.errors import ChromaIOError
from chroma.io import temp_path_for

__all__ = ["LOCK_NAME", "ShotLock", "ShotLockedError"]

LOCK_NAME = "lock"
_UNWRITTEN_GRACE_S = 10.0  # a lock file still empty after this long was left by a process killed while writing it


class ShotLockedError(ChromaIOError):
    """Another run holds the shot's state folder."""


def _pid_running(pid: int, since: float | None) -> bool:
    """Whether process ``pid`` of this host runs and is older than the lock (``since``, epoch seconds)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        pass
    try:
        import psutil
    except ImportError:
        return True
    try:
        started = psutil.Process(pid).create_time()
    except psutil.Error:
        return False
    return since is None or started <= since + 1.0  # a newer process under a reused pid is not the holder


class ShotLock:
    """The lock on a state folder, held by one run at a time.

    Use as a context manager (``with ShotLock(folder) as lock: ...``) or with
    :meth:`acquire` and :meth:`release`.

    Parameters
    ----------
    folder : str or os.PathLike
        The shot's state folder (made when missing).

    Attributes
    ----------
    path : pathlib.Path
        The lock file, ``folder/lock``.
    note : str or None
        Set when a stale lock was taken over: what it was (for the user).
    """

    def __init__(self, folder: str | os.PathLike):
        self.path = Path(folder) / LOCK_NAME
        self.note: str | None = None
        self._mine: dict | None = None

    def holder(self) -> dict | None:
        """Read the lock file.

        Returns
        -------
        dict or None
            ``{"pid", "host", "since", "started"}`` of the run holding it; ``{}`` for a lock
            file that cannot be read as one; None when there is no lock.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError:
            return {}
        try:
            info = json.loads(text)
        except ValueError:
            return {}
        return info if isinstance(info, dict) and isinstance(info.get("pid"), int) else {}

    def _stale(self, info: dict) -> bool:
        if not info:  # empty or unreadable: stale once older than a write takes
            try:
                return time.time() - self.path.stat().st_mtime > _UNWRITTEN_GRACE_S
            except OSError:
                return True
        if info.get("host") != socket.gethostname():
            return False
        return not _pid_running(int(info["pid"]), info.get("started"))

    def _describe(self, info: dict) -> str:
        if not info:
            return f"an unreadable lock {str(self.path)!r}"
        return f"pid {info['pid']} on {info.get('host', '?')} since {info.get('since', '?')}"

    def acquire(self) -> ShotLock:
        """Take the lock, or take over a stale one (:attr:`note` says so).

        Returns
        -------
        ShotLock
            This lock, now held.

        Raises
        ------
        ShotLockedError
            Another running process holds it (its pid, host and start time in the message).
        ChromaIOError
            The state folder cannot be written.
        """
        now = time.time()
        mine = {"pid": os.getpid(), "host": socket.gethostname(), "started": now,
                "since": datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="seconds")}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ChromaIOError(f"cannot make the state folder {str(self.path.parent)!r}: {e.strerror}") from None
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                held = self.holder()
                if held is None:  # released meanwhile
                    continue
                if not self._stale(held):
                    raise ShotLockedError(
                        f"another render of this shot is running ({self._describe(held)}; lock {str(self.path)!r}); "
                        "wait for it to end, or, if it is not running any more, delete the lock file") from None
                self._take_over(held)
                continue
            except OSError as e:
                raise ChromaIOError(f"cannot write the lock {str(self.path)!r}: {e.strerror}") from None
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(mine))
                fh.flush()
                os.fsync(fh.fileno())
            self._mine = mine
            return self
        raise ShotLockedError(f"could not take the lock {str(self.path)!r}: other runs keep taking it; try again")

    def _take_over(self, stale: dict) -> None:
        """Move a stale lock aside (atomically: of two runs taking it over, one moves it)."""
        aside = temp_path_for(self.path.with_name(f"{LOCK_NAME}.stale"))  # host + pid + token: unique on a shared folder
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:
            return
        moved = self._read(aside)
        if moved != stale:  # another run took it over meanwhile and its lock was moved: put it back
            try:
                os.link(aside, self.path)
            except FileExistsError:
                pass
            aside.unlink(missing_ok=True)
            return
        aside.unlink(missing_ok=True)
        self.note = (f"took over the lock of a render that is no longer running ({self._describe(stale)})"
                     if stale else f"replaced {self._describe(stale)} left by a killed run")

    @staticmethod
    def _read(path: Path) -> dict | None:
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return info if isinstance(info, dict) and isinstance(info.get("pid"), int) else {}

    def release(self) -> None:
        """Remove the lock if this process still holds it (safe to call twice)."""
        if self._mine is None:
            return
        if self.holder() == self._mine:
            self.path.unlink(missing_ok=True)
        self._mine = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock.

        Returns
        -------
        bool
            True between :meth:`acquire` and :meth:`release`.
        """
        return self._mine is not None

    def __enter__(self) -> ShotLock:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
