"""The state store: the loop's state after each frame, the lock and the run log.

A run saves the loop's state (:class:`render.animation.LoopState`, with the watch's
state beside it) after every frame, so an interrupted run resumes bit-identically from
the last one (docs/shots.md, "Resuming"). :class:`StateStore` is what the shot loop and
the planner need of a store; :class:`LocalStateStore` keeps the states in the shot's
``<stem>.state`` folder (:mod:`chroma.pipeline.statefile`, atomic, compressed
losslessly). The farm's store for independent frames is
:class:`chroma.farm.state.FarmStateStore`.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np

from chroma.pipeline.lock import ShotLock
from chroma.pipeline.runlog import FrameReport, append_report
from chroma.pipeline.statefile import read_state_file, write_state_file

if TYPE_CHECKING:
    from chroma.pipeline.layout import ShotLayout
    from render.animation import LoopState

__all__ = ["JSONMeta", "LocalStateStore", "SavedState", "StateStore"]

#: JSON-ready facts saved beside a state (file frame, settings hash, the watch's state)
JSONMeta = Mapping[str, object]


class SavedState(NamedTuple):
    """A loop state as loaded, with the watch's saved state.

    Attributes
    ----------
    state : render.animation.LoopState
        The loop state to continue from.
    watch_meta : dict
        The watch's JSON state (:meth:`chroma.watch.ShotWatch.to_state`), empty when none.
    watch_arrays : dict of str to numpy.ndarray
        The arrays saved with the state (the watch's among them).
    """

    state: LoopState
    watch_meta: dict[str, object]
    watch_arrays: dict[str, np.ndarray]


class StateStore(Protocol):
    """Where a shot's loop states, lock and run log live."""

    def saved(self) -> list[int]:
        """List the frames whose loop state is saved.

        Returns
        -------
        list of int
            Shot indices, ascending.
        """

    def problem(self, index: int) -> str | None:
        """Say what is wrong with a saved state.

        Parameters
        ----------
        index : int
            Shot index of the state.

        Returns
        -------
        str or None
            What is wrong; None when it can be resumed from.
        """

    def settings_hash(self, index: int) -> str | None:
        """Give the settings hash saved with a state (:meth:`chroma.shot.Shot.settings_hash`).

        Parameters
        ----------
        index : int
            Shot index of the state.

        Returns
        -------
        str or None
            The hash in its meta; None when it has none.
        """

    def load(self, index: int) -> SavedState:
        """Load the state saved after a frame.

        Parameters
        ----------
        index : int
            Shot index; -1 for the state before the first frame.

        Returns
        -------
        SavedState
            The loop state and the watch's.
        """

    def save(self, state: LoopState, meta: JSONMeta, extra: Mapping[str, np.ndarray] | None = None) -> None:
        """Save the state after frame ``state.index`` and prune older ones.

        Parameters
        ----------
        state : render.animation.LoopState
            The state after the frame.
        meta : Mapping[str, object]
            JSON-ready facts saved beside it.
        extra : Mapping[str, numpy.ndarray] or None, optional
            More arrays to save (the watch's).
        """

    def lock(self) -> ShotLock:
        """Return the lock on the store (not yet taken).

        Returns
        -------
        ShotLock
            One run at a time holds it.
        """

    def log(self, report: FrameReport) -> None:
        """Append a frame's report to the run log.

        Parameters
        ----------
        report : FrameReport
            The frame's report.
        """


class LocalStateStore:
    """The loop states of a shot in its ``<stem>.state`` folder.

    Parameters
    ----------
    layout : chroma.pipeline.layout.ShotLayout
        The shot's files (the state folder and file names).
    max_frames : int
        The shot's length: states of later frames (a longer earlier version) are ignored.
    state_every : int
        Keep every ``state_every``-th state and the latest (``[animation] state_every``).
    cadence : int, optional
        ``[animation] cadence``: states exist after key frames only (multiples of it), so the
        state kept in each run of ``state_every`` frames is its first key's. Default 1.
    """

    def __init__(self, layout: ShotLayout, max_frames: int, state_every: int, cadence: int = 1):
        self.layout = layout
        self.max_frames = max_frames
        self.state_every = state_every
        self.cadence = cadence

    def path(self, index: int) -> Path:
        """Return the file of the state after a frame.

        Parameters
        ----------
        index : int
            Shot index.

        Returns
        -------
        pathlib.Path
            ``<stem>.state/state.NNNNNN.npz``.
        """
        return self.layout.state_path(index)

    def saved(self) -> list[int]:
        """List the frames whose loop state is saved.

        Returns
        -------
        list of int
            Shot indices, ascending.
        """
        folder = self.layout.state_dir
        if not folder.is_dir():
            return []
        out = []
        for p in folder.glob("state.*.npz"):
            try:
                out.append(int(p.name.split(".")[1]))
            except (IndexError, ValueError):
                continue
        return sorted(i for i in out if i < self.max_frames)

    def problem(self, index: int) -> str | None:
        """Check a saved state file in full (every array read, zip checksums verified).

        Parameters
        ----------
        index : int
            Shot index of the state.

        Returns
        -------
        str or None
            What is wrong with it (truncated, not a state, another frame's), or None when it
            can be resumed from.
        """
        try:
            meta, arrays = read_state_file(self.path(index))
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
            return f"{type(e).__name__}: {e}"
        missing = [k for k in ("index",) if k not in arrays] + ([] if meta else ["meta"])
        if missing:
            return f"no {', '.join(missing)} in it"
        try:
            saved = int(arrays["index"])
        except (TypeError, ValueError) as e:
            return f"unreadable: {e}"
        if saved != index:
            return f"it holds the state after shot frame {saved}"
        for name in ("prev", "old"):
            if name in arrays and (arrays[name].ndim != 4 or arrays[name].shape[:2] != (1, 3)):
                return f"{name} has the shape {arrays[name].shape}, not (1, 3, H, W)"
        return None

    def settings_hash(self, index: int) -> str | None:
        """Give the settings hash saved with a state; only its meta is read (not its arrays).

        Parameters
        ----------
        index : int
            Shot index of the state.

        Returns
        -------
        str or None
            ``settings_hash`` of its meta (64 hex digits; 16 in states of earlier versions);
            None when the state has none or its meta cannot be read (:meth:`problem` says why).
        """
        import json

        try:
            with np.load(self.path(index), allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error):
            return None
        digest = meta.get("settings_hash") if isinstance(meta, dict) else None
        return digest if isinstance(digest, str) else None

    def load(self, index: int) -> SavedState:
        """Load the loop state saved after a frame, with the watch's saved state.

        Parameters
        ----------
        index : int
            Shot index; -1 for the state before the first frame.

        Returns
        -------
        SavedState
            The state to continue from (empty for -1).

        Raises
        ------
        ChromaIOError
            The state file is damaged (:meth:`problem`).
        """
        from chroma.errors import ChromaIOError
        from render.animation import LoopState

        if index < 0:
            return SavedState(LoopState(), {}, {})
        problem = self.problem(index)  # checked in the plan; again here, after the models loaded
        if problem is not None:
            raise ChromaIOError(f"the saved state {str(self.path(index))!r} is damaged ({problem}); delete it "
                                "and run again (the plan then starts from an earlier state)")
        meta, arrays = read_state_file(self.path(index))
        watch = meta.get("watch") or {}
        return SavedState(LoopState.from_arrays(arrays), dict(watch), arrays)

    def save(self, state: LoopState, meta: JSONMeta, extra: Mapping[str, np.ndarray] | None = None) -> None:
        """Write the loop state after a frame atomically, then prune the older ones.

        Compressed losslessly (:mod:`chroma.pipeline.statefile`). Every ``state_every``-th
        state and the latest are kept (with a cadence, the first key state of every
        ``state_every`` frames: ``index % state_every < cadence``).

        Parameters
        ----------
        state : render.animation.LoopState
            The state after frame ``state.index``.
        meta : Mapping[str, object]
            JSON-ready facts saved beside it (file frame, settings hash, the watch's state).
        extra : Mapping[str, numpy.ndarray] or None, optional
            More arrays to save (the watch's).
        """
        from chroma.io import atomic_path

        self.layout.state_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.path(state.index)) as tmp, open(tmp, "wb") as fh:
            write_state_file(fh, meta, {**state.to_arrays(), **(extra or {})})  # lossless, ~25% smaller
            fh.flush()
            os.fsync(fh.fileno())  # on disk before it replaces the previous state
        for old in self.saved():
            if old < state.index and old % self.state_every >= self.cadence:
                self.path(old).unlink(missing_ok=True)

    def lock(self) -> ShotLock:
        """Return the lock on the state folder (not yet taken): one render of the shot at a time.

        Returns
        -------
        ShotLock
            The lock on ``<stem>.state/lock``.
        """
        return ShotLock(self.layout.state_dir)

    def log(self, report: FrameReport) -> None:
        """Append a frame's report to ``<stem>.state/log.jsonl``.

        Parameters
        ----------
        report : FrameReport
            The frame's report.
        """
        append_report(self.layout.log_path(), report)
