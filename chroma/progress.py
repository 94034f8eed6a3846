"""A small progress bar for long work (frames of a sequence), on stderr.

Drawn only when stderr is a terminal (or when forced); in logs and CI it prints nothing
but what the caller reports itself.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``with Progress(total, "grading") as bar: ... bar.update()``."""

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None, enabled: bool | None = None):
        self.total = max(int(total), 0)
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = (self.stream.isatty() if enabled is None else enabled) and self.total > 1
        self.done = 0
        self._start = time.monotonic()
        self._last_draw = 0.0

    def __enter__(self) -> "Progress":
        self._draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()

    def update(self, n: int = 1) -> None:
        self.done = min(self.done + n, self.total)
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1 and self.done < self.total:
            return
        self._last_draw = now
        width = 30
        frac = self.done / self.total if self.total else 1.0
        filled = int(round(frac * width))
        elapsed = now - self._start
        eta = (elapsed / self.done * (self.total - self.done)) if self.done else 0.0
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(
            f"\r{self.label} [{bar}] {self.done}/{self.total} {elapsed:5.1f}s"
            + (f" eta {eta:5.1f}s" if self.done and self.done < self.total else "         ")
        )
        self.stream.flush()
