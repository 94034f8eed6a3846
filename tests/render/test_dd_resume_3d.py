"""A 3D DD run continued from its PNG: the state holds no depth, the loop estimates it from the PNG.

A DD run's state from :func:`chroma.pipeline.ddresume.write_resume_state` has the previous
frame (DD's 8-bit PNG through the display view) and no ``prev_depth``, so the first resumed
3D frame estimates the previous frame's depth from the PNG (render.animation) where the
uninterrupted run estimated it from the float frame. Here chroma's own tiny-model 3D run
stands in for DD: its frames 0-1 are written as DD writes its PNGs (8-bit by truncation,
``<batch>(<n>)_0000.png``), a copy of the shot continues from frame 1's PNG, and its frames
2-4 are compared with the uninterrupted run's.

The depth estimator is analytic (depth from the frame's brightness, so it sees the 8-bit
rounding): ``depth = 3 + 2 * mean over channels of (x + 1) / 2``, in DD's units.

Bound: the 8-bit PNG moves the previous frame by 0.5 level on average (truncation) and by
under one level everywhere; measured on the resumed frames 2, 3, 4 through the display view,
in 8-bit levels (mean / max, CPU): 0.132 / 3.2, 0.090 / 3.2, 0.072 / 5.3 (held under 0.25 and
8: the rounding fades as frames go on). Frame 0's PNG in the place of frame 1's misses by
64.9 levels on average.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from chroma.pipeline.writer import dd_png_u8
from tests.render.test_shot_runner import SHOT_3D, _shot

_TEXT = SHOT_3D.replace('depth = "plate/plate.####.exr"\ndepth_scale = 0.01', 'state_every = 1')


def _depth(image: torch.Tensor) -> torch.Tensor:
    return 3.0 + 2.0 * image.add(1).div(2).mean(dim=1)


def _levels(exr: Path) -> np.ndarray:
    from chroma.pipeline.frames import display_tensor

    return display_tensor(exr).add(1).div(2).clamp(0, 1).mul(255).numpy()  # float levels, (3, H, W)


def _render(shot_path: Path, resume: bool = False) -> None:
    from chroma.pipeline import ShotRunner
    from chroma.shot import load_shot

    runner = ShotRunner(load_shot(shot_path), depth_estimator=_depth)
    runner.check_models = lambda: None  # type: ignore[method-assign]  # the depth model is the analytic one
    runner.run(runner.plan(resume=resume))


def _continue_from(tmp_path: Path, name: str, clip: str, frames: int, png: int, wrong: bool = False) -> Path:
    """A copy of the shot that goes on after DD-style PNG ``png`` of the uninterrupted run
    (``wrong``: with the frame before it in its place)."""
    from PIL import Image

    from chroma.pipeline.ddresume import write_resume_state
    from chroma.pipeline.statefile import read_state_file
    from chroma.shot import load_shot
    from chroma.shot.dd_frames import frames_of

    dd = tmp_path / f"{name}_dd"
    dd.mkdir()
    (dd / "run(0)_settings.txt").write_text("{}")
    for i in range(png + 1):
        held = read_state_file(tmp_path / "a" / "out" / "sh020.state" /
                               f"state.{i - 1 if wrong and i == png else i:06d}.npz")[1]["prev"]
        Image.fromarray(dd_png_u8(torch.from_numpy(held))).save(dd / f"run(0)_{i:04}.png")
    folder = tmp_path / name
    folder.mkdir()
    shot = _shot(folder, clip, frames=frames, steps=3, text=_TEXT)
    write_resume_state(load_shot(shot), frames_of(dd / "run(0)_settings.txt", dd), png + 1)
    return shot


def test_a_3d_run_continued_from_its_png_gives_the_uninterrupted_frames(tiny_unet_model, tiny_clip_in_cache,
                                                                       tmp_path) -> None:
    frames = 5
    (tmp_path / "a").mkdir()
    _render(_shot(tmp_path / "a", tiny_clip_in_cache, frames=frames, steps=3, text=_TEXT))
    straight = {i: _levels(tmp_path / "a" / "out" / f"sh020.{1001 + i}.exr") for i in range(frames)}

    shot = _continue_from(tmp_path, "b", tiny_clip_in_cache, frames, png=1)
    _render(shot, resume=True)
    written = sorted(p.name for p in (tmp_path / "b" / "out").glob("*.exr"))
    assert written == [f"sh020.{1001 + i}.exr" for i in range(2, frames)], written
    off = []
    for i in range(2, frames):
        d = np.abs(_levels(tmp_path / "b" / "out" / f"sh020.{1001 + i}.exr") - straight[i])
        off.append((round(float(d.mean()), 3), round(float(d.max()), 1)))
    assert all(m < 0.25 and mx < 8 for m, mx in off), off  # measured (CPU) 0.132 / 3.2, 0.090 / 3.2, 0.072 / 5.3

    wrong = _continue_from(tmp_path, "c", tiny_clip_in_cache, frames, png=1, wrong=True)  # frame 0's PNG as 1's
    from chroma.pipeline.statefile import read_state_file

    meta, arrays = read_state_file(tmp_path / "c" / "out" / "sh020.state" / "state.000001.npz")
    assert "prev_depth" not in arrays  # the DD state: no depth, the loop estimates it from the PNG
    _render(wrong, resume=True)
    d = np.abs(_levels(tmp_path / "c" / "out" / "sh020.1003.exr") - straight[2])
    assert float(d.mean()) > 10.0, (float(d.mean()), off)  # measured 64.9
