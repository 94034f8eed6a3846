"""ShotRunner's plan and the state folder: ``--frames --overwrite`` from the nearest saved
state, checks made before any model loads (unwritable output folder, damaged state files),
and the lock that keeps two renders of one shot apart."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from chroma.cli import main
from tests.render.test_shot_runner import SHOT_2D, _pixels, _shot


def _shot_every(tmp_path: Path, clip: str, frames: int, every: int) -> Path:
    text = SHOT_2D.replace("frames_scale = 500", f"frames_scale = 500\nstate_every = {every}")
    return _shot(tmp_path, clip, frames=frames, steps=3, text=text)


def test_frames_overwrite_starts_from_the_nearest_saved_state(capsys, tiny_unet_model, tiny_clip_in_cache,
                                                              tmp_path) -> None:
    """Redoing frames late in a shot renders from the last state saved before them, not from
    frame 0, and gives the frames of a fresh render bit for bit."""
    from chroma.pipeline import ShotRunner

    shot = _shot_every(tmp_path, tiny_clip_in_cache, frames=10, every=3)
    assert main(["render", str(shot)]) == 0
    capsys.readouterr()
    out = tmp_path / "out"
    fresh = {n: _pixels(out / f"sh010.{n}.exr") for n in range(1001, 1011)}
    runner = ShotRunner.from_file(shot)
    assert runner.saved_states() == [0, 3, 6, 9]  # every third state and the latest
    plan = runner.plan("1009-1010", overwrite=True)
    assert (plan.start, list(plan.render), plan.write, plan.replace) == (6, [7, 8, 9], [8, 9], [8, 9])

    assert main(["render", str(shot), "--frames", "1009-1010", "--overwrite"]) == 0
    text = capsys.readouterr().out
    rendered = [int(n) for n in re.findall(r"^frame (\d+) ", text, re.M)]
    assert rendered == [1008, 1009, 1010]  # from the state saved after 1007, not from 1001
    assert re.search(r"^frame 1008 .*not written", text, re.M)
    for n in (1009, 1010):
        assert np.array_equal(_pixels(out / f"sh010.{n}.exr"), fresh[n]), f"frame {n} differs from a fresh render"
        assert np.array_equal(_pixels(out / "retained" / f"sh010.{n}.exr"), fresh[n])
