"""Progress bars for long work (frames of a sequence, steps of a render), through tqdm.

A bar shows done/total, rate and ETA on stderr when stderr is a terminal; piped, in logs
and CI, or with ``enabled=False`` (the CLI's ``--quiet``) it draws nothing, and
:meth:`Progress.write` still prints its lines. A second bar can be nested under the first
(``position=1``), e.g. the steps of each frame of a shot::

    with Progress(len(frames), "frames") as shot:
        for frame in frames:
            with Progress(steps, "steps", position=1, leave=False) as bar:
                for _ in range(steps):
                    bar.update()
            shot.write(f"wrote {frame}")
            shot.update()

Work reported as "so much of so much" (bytes of a download, a copy, a hash) drives a bar
through :meth:`Progress.update_to`, whose signature is the renderer's byte-progress callback
(``render.models.registry.ByteProgress``: ``fn(done_bytes, total_bytes_or_None)``), so the
CLI hands ``bar.update_to`` to ``render.models.fetch``; ``render`` never imports chroma and
draws no bar of its own::

    with Progress(None, "fetch unet", unit="B", unit_scale=True) as bar:
        models.fetch("unet", progress=bar.update_to)
"""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm


class Progress:
    """A tqdm progress bar: ``with Progress(total, "grading") as bar: ... bar.update()``.

    Parameters
    ----------
    total : int or None
        Number of units (frames, steps, bytes); negative counts as 0; None when not yet
        known (a download before its length arrives, see :meth:`update_to`).
    label : str, optional
        Text before the bar.
    stream : TextIO or None, optional
        Where the bar is drawn (default stderr).
    enabled : bool or None, optional
        True to draw, False never; None (default) draws only when ``stream`` is a
        terminal and there is more than one unit (or their number is not known).
    position : int, optional
        0 for the main bar (default), 1 for a bar nested under it.
    leave : bool or None, optional
        Keep the finished bar on screen (default: for the main bar only).
    unit : str, optional
        What is counted, shown in the rate (default ``"frame"``; ``"B"`` for bytes).
    unit_scale : bool, optional
        Show counts with SI prefixes (``12.3MB``), for bytes. Default False.

    References
    ----------
    tqdm (https://tqdm.github.io): ``tqdm``, ``tqdm.write``.
    """

    def __init__(self, total: int | None, label: str = "", stream: TextIO | None = None,
                 enabled: bool | None = None, *, position: int = 0, leave: bool | None = None,
                 unit: str = "frame", unit_scale: bool = False):
        self.total: int | None = None if total is None else max(int(total), 0)
        self.label = label
        self.stream = stream or sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty()) and (self.total is None or self.total > 1)
        self.enabled = bool(enabled)
        self.position = position
        self.done = 0
        self._bar = tqdm(
            total=self.total, desc=label, file=self.stream, disable=not self.enabled, position=position,
            leave=(position == 0) if leave is None else leave, unit=unit, unit_scale=unit_scale,
            dynamic_ncols=True, mininterval=0.1,
        )

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        """Count ``n`` more units done.

        Parameters
        ----------
        n : int, optional
            Units just finished (default 1).
        """
        self.done = self.done + n if self.total is None else min(self.done + n, self.total)
        self._bar.update(n)

    def update_to(self, done: int, total: int | None = None) -> None:
        """Move the bar to ``done`` units of ``total``: the renderer's byte-progress callback.

        A ``total`` that differs from the bar's (a download's length, known once it
        starts) becomes the bar's; a ``done`` below the count (a new pass over a file)
        moves the bar back.

        Parameters
        ----------
        done : int
            Units done so far (bytes read, written or hashed).
        total : int or None, optional
            Units in all, or None (default) to keep the bar's total.
        """
        if total is not None and total != self.total:
            self.total = max(int(total), 0)
            self._bar.total = self.total
        self.update(int(done) - self.done)

    def reset(self, total: int | None) -> None:
        """Start counting again from 0 towards a new ``total`` (the steps bar, each frame).

        Parameters
        ----------
        total : int or None
            Units of the new round; negative counts as 0; None when not known.
        """
        self.total = None if total is None else max(int(total), 0)
        self.done = 0
        self._bar.reset(total=self.total)

    def write(self, message: str, file: TextIO | None = None) -> None:
        """Print ``message`` on its own line above the bar, without breaking the bar.

        Works when the bar is disabled too.

        Parameters
        ----------
        message : str
            The line.
        file : TextIO or None, optional
            Where to print it (default stdout).
        """
        tqdm.write(message, file=file or sys.stdout)

    def set_postfix(self, text: str) -> None:
        """Show ``text`` after the counts (e.g. the current frame).

        Parameters
        ----------
        text : str
            The text; shown at the bar's next refresh.
        """
        self._bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        """Finish the bar (left on screen or cleared as ``leave`` says)."""
        self._bar.close()
