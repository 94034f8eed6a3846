"""Continuing a stopped Disco Diffusion run: the loop state after DD's last frame, from its PNG.

:mod:`chroma.shot.dd_frames` finds the run and where it goes on; this module saves the state
that ``chroma render SHOT --resume`` continues from, in the shot's state folder (the
pipeline's :class:`chroma.pipeline.store.LocalStateStore`), so the import needs no other hook.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from chroma.errors import ChromaValueError

if TYPE_CHECKING:
    from chroma.shot import Shot
    from chroma.shot.dd_frames import DDRun

__all__ = ["write_resume_state"]


def write_resume_state(shot: Shot, run: DDRun, frame: int, config: str | os.PathLike[str] | None = None) -> Path:
    """Save the loop state "after frame ``frame - 1``" from DD's PNG, so ``chroma render --resume`` goes on.

    The state is the one chroma saves after every frame (:class:`render.animation.LoopState`):
    the previous frame is DD's PNG of frame ``frame - 1`` read through the shot's display
    view at the render size, as plates are. ``chroma render SHOT --resume`` then renders
    frames ``frame..`` as DD's ``resume_run`` would (the PNG warped as the next frame's
    init, DD's seeds ``seed + i``), writing EXRs. Turbo's older warped frame is left out:
    DD's ``resume_run`` does not read its ``oldFrameScaled.png`` either (it copies the
    previous PNG over it), and the aligned start frame is diffused, which replaces the
    older frame before any frame blends it (tests/render/test_dd_resume_turbo.py).

    Parameters
    ----------
    shot : chroma.shot.Shot
        The imported shot (its output decides where states live).
    run : DDRun
        The DD run.
    frame : int
        The first frame to render (:meth:`DDRun.resume_frame`), at least 1.
    config : str or os.PathLike or None, optional
        The OCIO config for the display view (default: chroma's).

    Returns
    -------
    pathlib.Path
        The state file written.

    Raises
    ------
    chroma.errors.ChromaValueError
        ``frame`` is not after a written frame.
    """
    from chroma.pipeline.frames import display_tensor
    from chroma.pipeline.layout import ShotLayout
    from chroma.pipeline.store import LocalStateStore
    from render.animation import LoopState
    from render.settings import RenderSettings

    if not 1 <= frame <= run.next_frame:
        raise ChromaValueError(f"frame {frame} does not follow a written frame of {run.batch_name}({run.batch_num}) "
                               f"(0-{run.last})")
    w, h = shot.render.get("width_height", RenderSettings.width_height)
    out = shot.output
    prev = display_tensor(str(run.frames[frame - 1]), out.display, out.view, config, size=(int(w), int(h)))[None]
    layout = ShotLayout(out)
    store = LocalStateStore(layout, shot.max_frames, shot.animation.state_every, shot.animation.cadence)
    meta = {"frame": out.first_frame + frame - 1, "settings_hash": shot.settings_hash(frame - 1), "watch": {},
            "dd_frame": str(run.frames[frame - 1].name)}
    store.save(LoopState(index=frame - 1, prev=prev.float()), meta)
    return store.path(frame - 1)
