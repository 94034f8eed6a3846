"""The farm's state store: the shot's local store, seen from a worker.

A worker renders with :class:`chroma.pipeline.ShotRunner` on the shot's own state folder
(the farm's machines share it). Where a shot's frames feed each other (2D, 3D) a task
resumes from the saved states as a local run does; where they are independent ("None",
"Video" without the flow warp), nothing flows from frame to frame, so each frame starts from an empty state
(exact, and no state file is read).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from chroma.pipeline.lock import ShotLock
from chroma.pipeline.runlog import FrameReport
from chroma.pipeline.store import JSONMeta, SavedState, StateStore

if TYPE_CHECKING:
    from render.animation import LoopState

__all__ = ["FarmStateStore"]


class FarmStateStore:
    """A :class:`chroma.pipeline.store.StateStore` for farm workers.

    Parameters
    ----------
    store : chroma.pipeline.store.StateStore
        The shot's store (a :class:`~chroma.pipeline.store.LocalStateStore` on its state
        folder); everything but loading goes to it.
    independent : bool
        The shot's frames are independent: every frame loads an empty state.
    """

    def __init__(self, store: StateStore, independent: bool):
        self.store = store
        self.independent = independent

    def saved(self) -> list[int]:
        """List the frames whose loop state is saved.

        Returns
        -------
        list of int
            Shot indices, ascending.
        """
        return self.store.saved()

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
        return self.store.problem(index)

    def settings_hash(self, index: int) -> str | None:
        """Give the settings hash saved with a state (the shot's store's).

        Parameters
        ----------
        index : int
            Shot index of the state.

        Returns
        -------
        str or None
            The hash; None when the state has none.
        """
        return self.store.settings_hash(index)

    def load(self, index: int) -> SavedState:
        """Load the state after a frame; for independent frames, an empty one.

        Parameters
        ----------
        index : int
            Shot index; -1 for the state before the first frame.

        Returns
        -------
        SavedState
            The state to continue from; for independent frames ``LoopState(index=index)``
            and no watch state.
        """
        if self.independent:  # nothing flows from frame to frame: an empty state is exact
            from render.animation import LoopState

            return SavedState(LoopState(index=index), {}, {})
        return self.store.load(index)

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
        self.store.save(state, meta, extra)

    def lock(self) -> ShotLock:
        """Return the lock on the shot's state folder (the client holds it for the run).

        Returns
        -------
        ShotLock
            The shot's lock.
        """
        return self.store.lock()

    def log(self, report: FrameReport) -> None:
        """Append a frame's report to the run log.

        Parameters
        ----------
        report : FrameReport
            The frame's report.
        """
        self.store.log(report)
