"""Continuing a DD turbo run: DD's ``oldFrameScaled.png`` cannot change a resumed frame (#23).

Disco Diffusion v5.7's ``resume_run`` (disco.py, ``do_run``, 3D branch) never reads the
``oldFrameScaled.png`` of the session that died: at the resumed frame, past
``turbo_preroll``, it copies the previous frame's PNG over it
(``shutil.copyfile(img_filepath, 'oldFrameScaled.png')``), and it starts at a multiple of
``turbo_steps`` (:meth:`chroma.shot.dd_frames.DDRun.resume_frame`), a diffused frame, where
the older warped frame is replaced by the newly warped one before any frame blends it. So
the older frame a resumed state holds (the file, the PNG, or none, as chroma's import
leaves it) changes nothing: checked with a stand-in renderer (``frame = 0.5 * init +
seed / 100``) whose frames depend on every init, with ``turbo_steps = 3`` so that the
frames between blend the older warp with weight 1/3 and 2/3 (at ``turbo_steps = 2``, the
golden's, the one frame between weighs it 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from chroma.shot.dd_frames import DDRun
from render.animation import LoopState
from tests.render.test_turbo import StandIn, frame, make_loop, run


@pytest.mark.parametrize("written", [5, 6, 7, 10])
def test_the_older_warped_frame_of_a_resumed_state_changes_no_frame(written: int) -> None:
    steps, preroll, n = 3, 1, 14
    dd = DDRun(Path("x(0)_settings.txt"), "x", 0, tuple(Path(f"x(0)_{i:04}.png") for i in range(written)))
    start = dd.resume_frame("3D", True, steps, preroll)
    assert start % steps == 0 and start > preroll  # DD's alignment: a diffused frame
    loop = make_loop(StandIn(), "2D", turbo_mode=True, turbo_steps=steps, turbo_preroll=preroll)
    straight = run(loop, n)
    state = LoopState()
    for i in range(start):
        _, state = loop.step(frame(i), state)
    assert state.old is not None and state.prev is not None
    g = torch.Generator().manual_seed(written)
    olds = {"as saved": state.old, "none (chroma's import)": None, "the previous PNG (DD's copy)": state.prev,
            "anything": torch.rand(state.prev.shape, generator=g) * 2 - 1}
    for what, old in olds.items():
        s = LoopState(index=state.index, prev=state.prev, old=old)
        for i in range(start, n):
            result, s = loop.step(frame(i), s)
            assert torch.equal(result.image, straight[i].image), (what, i)


def test_a_resume_at_a_frame_between_would_read_it() -> None:
    """The check can fail: started at a frame between (not DD's alignment), the older frame shows."""
    loop = make_loop(StandIn(), "2D", turbo_mode=True, turbo_steps=3, turbo_preroll=1)
    state = LoopState()
    for i in range(4):
        _, state = loop.step(frame(i), state)
    a, _ = loop.step(frame(4), state)
    b, _ = loop.step(frame(4), LoopState(index=state.index, prev=state.prev, old=-torch.ones_like(state.prev)))
    assert a.turbo and float((a.image - b.image).abs().max()) > 0.1
    assert np.isfinite(a.image.numpy()).all()
