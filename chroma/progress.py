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
"""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm


class Progress:
    """``with Progress(total, "grading") as bar: ... bar.update()``.

    Parameters
    ----------
    total : number of units (frames, steps).
    label : text before the bar.
    stream : where the bar is drawn (default stderr).
    enabled : True to draw, False never; None (default) draws only when ``stream`` is a
        terminal and there is more than one unit.
    position : 0 for the main bar, 1 for a bar nested under it.
    leave : keep the finished bar on screen (default: for the main bar only).
    unit : what is counted, shown in the rate (default "frame").
    """

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None, enabled: bool | None = None,
                 *, position: int = 0, leave: bool | None = None, unit: str = "frame"):
        self.total = max(int(total), 0)
        self.label = label
        self.stream = stream or sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty()) and self.total > 1
        self.enabled = bool(enabled)
        self.position = position
        self.done = 0
        self._bar = tqdm(
            total=self.total, desc=label, file=self.stream, disable=not self.enabled, position=position,
            leave=(position == 0) if leave is None else leave, unit=unit, dynamic_ncols=True,
            mininterval=0.1,
        )

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        """Count ``n`` more units done."""
        self.done = min(self.done + n, self.total)
        self._bar.update(n)

    def write(self, message: str, file: TextIO | None = None) -> None:
        """Print ``message`` on its own line above the bar (to ``file``, default stdout),
        without breaking the bar; works when the bar is disabled too."""
        tqdm.write(message, file=file or sys.stdout)

    def set_postfix(self, text: str) -> None:
        """Show ``text`` after the counts (e.g. the current frame)."""
        self._bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        self._bar.close()
