"""``chroma render SHOT.toml`` on a terminal: a "loading models" line with sizes, one frames
bar and one steps bar with totals and ETA, the steps bar counted again for every frame."""

from __future__ import annotations

import io
import re
import sys

from chroma.cli import main
from tests.render.test_shot_runner import _shot


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bars_count_each_frame_s_steps_with_totals_and_eta(capsys, monkeypatch, tiny_unet_model, tiny_clip_in_cache,
                                                           model_cache, tmp_path) -> None:
    shot = _shot(tmp_path, tiny_clip_in_cache, frames=4, steps=4)  # frames_skip_steps 50%: 4 steps, then 2 each
    from chroma.progress import Progress

    counts: list[tuple[str, int, int]] = []  # (bar, count, total) after every update, as tqdm holds them
    update = Progress.update

    def counted(self, n: int = 1) -> None:
        update(self, n)
        counts.append((self.label, self._bar.n, self._bar.total))

    monkeypatch.setattr(Progress, "update", counted)
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["render", str(shot)]) == 0
    err = term.getvalue()
    from render import models

    size = models.model_path("tiny-unet").stat().st_size
    out = capsys.readouterr().out  # the progress lines: stdout, with the line of each frame
    m = re.search(r"^loading models: tiny-unet \((\d+\.\d) (kB|MB)\), "
                  + re.escape(f"{tiny_clip_in_cache} (random weights)") + "$", out, re.M)
    assert m, out
    assert float(m.group(1)) == round(size / {"kB": 1e3, "MB": 1e6}[m.group(2)], 1)
    steps = [(n, total) for label, n, total in counts if label == "steps"]
    # 4 steps for the first frame, 2 for each warped one (frames_skip_steps 50%): counted from 1
    # again for every frame, never 3/2 or 5/4
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)] + [(1, 2), (2, 2)] * 3, steps
    assert [(n, total) for label, n, total in counts if label == "frames"] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    frames = re.findall(r"frames: *\d+%\|[^|]*\| *(\d+)/(\d+) \[\d\d:\d\d<\d\d:\d\d", err)  # done/total [elapsed<ETA
    assert frames and frames[-1] == ("4", "4") and all(total == "4" for _, total in frames)
    assert len(re.findall(r"^frame 100\d ", out, re.M)) == 4
