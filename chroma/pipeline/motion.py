"""The motion vectors a shot's frames carry: Nuke's ``forward`` and ``backward`` layers and ``occlusion``.

Every frame of a 2D, 3D or Video shot (``[output] motion_vectors = true``, the default)
is written with five float32 channels (:data:`MOTION_CHANNELS`): ``forward.u``,
``forward.v``, ``backward.u``, ``backward.v`` in pixels per frame, ``u`` to the right
and ``v`` **up** (Nuke's orientation, :func:`render.motion.nuke_layers`), and
``occlusion``, 1 where the frame shows what the previous frame did not.

- **backward** of frame ``i``: where each pixel's content was in frame ``i - 1``, minus
  its position; ``forward``: where it goes in frame ``i + 1``. Foundry's words: the
  offsets that warp the previous (backward) or the next (forward) frame onto this one.
- **2D / 3D**: the camera's exact motion (:mod:`render.motion`), the very positions the
  warp of frame ``i``'s init reads (2D: frame ``i``'s affine move; 3D: the depth of
  frame ``i - 1`` and frame ``i``'s camera). The forward vectors of frame ``i`` use frame
  ``i + 1``'s camera and frame ``i``'s depth; those of the shot's last frame use the
  camera schedule one frame past the end (keyframes hold their last value; an
  expression in ``t`` is evaluated there; one that reads ``max_f`` holds the last
  frame's camera). Turbo frames between diffused frames have the same camera vectors.
- **Video**: the plate's optical flows (:class:`chroma.pipeline.flows.PlateFlows`, the
  flow warp's cache): backward = plate ``i`` to ``i - 1``, forward = plate ``i`` to
  ``i + 1`` (zeros at the last frame when the plate has no next frame), occlusion where
  the pair fails the forward-backward check (:func:`render.flow.consistency_mask`).
- **Frame 0** has no previous frame: backward zeros and occlusion 1 everywhere.
- 2D/3D occlusion (:func:`render.motion.occluded`): where the backward vector leaves
  the frame, or where going back to frame ``i - 1`` and forward again misses by more
  than half a pixel (3D: depth edges the move uncovers).

A shot in mode ``"None"`` (no motion) writes no vectors.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

    from chroma.pipeline.flows import PlateFlows
    from chroma.shot import Shot
    from render.animation import LoopState

__all__ = ["MOTION_CHANNELS", "ShotMotion", "shot_motion"]

#: The EXR channels of the vectors, in the order they are written.
MOTION_CHANNELS = ("forward.u", "forward.v", "backward.u", "backward.v", "occlusion")


class ShotMotion:
    """Give each frame of a shot its motion channels.

    Parameters
    ----------
    shot : chroma.shot.Shot
        The shot (its mode, camera schedules and size).
    flows : Callable[[], chroma.pipeline.flows.PlateFlows] or None, optional
        Video: the plate's flows (asked on first use; the inputs' cache). Default None.
    depth_fn : Callable[[torch.Tensor, int], torch.Tensor] or None, optional
        3D: the frame loop's depth (``depth_fn(image, index) -> (H, W)``), for a state
        that has no previous depth (after a Disco Diffusion import). Default None.
    plate_exists : Callable[[int], bool] or None, optional
        Video: whether the plate has a frame for a shot index (the last frame's forward
        vectors). Default None: every index.
    """

    def __init__(self, shot: Shot, flows: Callable[[], PlateFlows] | None = None,
                 depth_fn: Callable[[torch.Tensor, int], torch.Tensor] | None = None,
                 plate_exists: Callable[[int], bool] | None = None):
        self.shot = shot
        self.flows = flows
        self.depth_fn = depth_fn
        self.plate_exists = plate_exists
        self._after_last: dict[str, float] | None = None
        self._forward_3d: tuple[int, np.ndarray, np.ndarray] | None = None  # (index, depth, forward) of the last 3D frame

    def camera(self, index: int) -> dict[str, float]:
        """Return a frame's camera as the frame loop gets it, past the last frame too.

        Parameters
        ----------
        index : int
            Shot index, ``0 .. max_frames`` (``max_frames``: one frame past the end).

        Returns
        -------
        dict of str to float
            The camera keys and the lens (:attr:`render.animation.FrameInput.camera`).
        """
        from chroma.shot import CAMERA_SETTINGS as keys

        shot = self.shot
        if index < shot.max_frames:
            return {k: float(shot.schedules[k][index]) for k in keys}
        if self._after_last is None:
            self._after_last = {k: _after_last(shot, k) for k in keys}
        return dict(self._after_last)

    def prepare(self, state: LoopState) -> LoopState:
        """Give a 3D state the previous frame's depth it lacks, so the step and the vectors share it.

        The frame loop computes a missing ``prev_depth`` with the same ``depth_fn`` (after a
        Disco Diffusion import), so the frame renders bit-identically either way.

        Parameters
        ----------
        state : render.animation.LoopState
            The state before the frame.

        Returns
        -------
        render.animation.LoopState
            ``state`` itself, or a copy with ``prev_depth`` set.
        """
        if (self.shot.animation_mode != "3D" or state.prev is None or state.prev_depth is not None
                or self.depth_fn is None):
            return state
        return dataclasses.replace(state, prev_depth=self.depth_fn(state.prev, state.index).float())

    def channels(self, index: int, before: LoopState, after: LoopState) -> dict[str, np.ndarray] | None:
        """Compute a frame's motion channels.

        Parameters
        ----------
        index : int
            Shot index of the frame.
        before : render.animation.LoopState
            The state the frame was rendered from (after :meth:`prepare`).
        after : render.animation.LoopState
            The state after the frame (3D: its ``prev_depth`` is the frame's depth).

        Returns
        -------
        dict of str to numpy.ndarray or None
            :data:`MOTION_CHANNELS`, each ``(H, W)`` float32; None for a shot without
            motion (mode ``"None"``) or with ``motion_vectors = false``.

        Raises
        ------
        render.errors.SettingsError
            A camera the vectors cannot be made of (as the warp would refuse it).
        """
        from render import motion

        shot = self.shot
        mode = shot.animation_mode
        if not shot.output.motion_vectors or mode not in ("2D", "3D", "Video"):
            return None
        if after.prev is None:
            raise ValueError("a frame's vectors need the loop state after it")
        h, w = (int(n) for n in after.prev.shape[-2:])  # the render size (the renderer may round the shot's)
        backward = previous_forward = None
        if mode == "Video":
            return self._video(index, w, h)
        if mode == "2D":
            forward = motion.forward_2d(self.camera(index + 1), w, h)
            if index > 0:
                backward = motion.backward_2d(self.camera(index), w, h)
                previous_forward = motion.forward_2d(self.camera(index), w, h)
        else:
            if after.prev_depth is None:
                raise ValueError("a 3D frame's vectors need its depth (the loop state after it)")
            depth = after.prev_depth.detach().float().cpu().numpy()
            forward = motion.forward_3d(depth, self.camera(index + 1))
            if index > 0 and before.prev_depth is not None:
                previous = before.prev_depth.detach().float().cpu().numpy()
                backward = motion.backward_3d(previous, self.camera(index))
                cached = self._forward_3d
                if cached is not None and cached[0] == index - 1 and np.array_equal(cached[1], previous):
                    previous_forward = cached[2]  # the previous frame's own forward vectors: the same sum
                else:
                    previous_forward = motion.forward_3d(previous, self.camera(index))
            self._forward_3d = (index, depth, forward)
        return _channels(forward, backward, None if backward is None else motion.occluded(backward, previous_forward))

    def _video(self, index: int, w: int, h: int) -> dict[str, np.ndarray]:
        from render.flow import consistency_mask

        if self.flows is None:
            raise ValueError("a Video shot's vectors need the plate's flows")
        flows = self.flows()
        has_next = index + 1 < self.shot.max_frames or (self.plate_exists is None or self.plate_exists(index + 1))
        forward = flows.flow12(index + 1) if has_next else None
        backward = occlusion = None
        if index > 0:
            backward = flows.flow21(index)
            occlusion = (~consistency_mask(backward, flows.flow12(index))).astype(np.float32)
        if forward is None:
            ref = backward if backward is not None else np.zeros((h, w, 2), np.float32)
            forward = np.zeros_like(ref)
        return _channels(forward, backward, occlusion)


def _channels(forward: np.ndarray, backward: np.ndarray | None, occlusion: np.ndarray | None) -> dict[str, np.ndarray]:
    """Nuke's layers and ``occlusion``; frame 0 (no backward): zeros and occlusion 1."""
    from render.motion import nuke_layers

    if backward is None:
        backward = np.zeros_like(forward)
        occlusion = np.ones(forward.shape[:2], np.float32)
    assert occlusion is not None
    out = nuke_layers(forward, backward)
    out["occlusion"] = np.asarray(occlusion, dtype=np.float32)
    return {k: np.ascontiguousarray(out[k], dtype=np.float32) for k in MOTION_CHANNELS}


def _after_last(shot: Shot, key: str) -> float:
    """A camera setting one frame past the shot's end: its schedule evaluated there when that
    leaves the shot's own frames unchanged (keyframes hold, expressions in ``t`` go on), else
    the last frame's value (an expression that reads ``max_f``, or an imported list)."""
    from render.keyframes import evaluate

    values = shot.schedules[key]
    n = shot.max_frames
    spec = getattr(shot.animation, key, None)
    try:
        more = evaluate(spec, n + 1, shot.interp_spline, seed=shot.seed, name=key)
    except Exception:  # a schedule evaluate cannot extend: hold the last frame's value
        return float(values[-1])
    if more.shape == (n + 1,) and np.allclose(more[:n], values, rtol=0, atol=1e-12) and np.isfinite(more[n]):
        return float(more[n])
    return float(values[-1])


def shot_motion(shot: Shot, flows: Callable[[], PlateFlows] | None = None,
                depth_fn: Callable[[torch.Tensor, int], torch.Tensor] | None = None,
                plate_path: Callable[[int], str] | None = None) -> ShotMotion | None:
    """Build the motion seam a shot asks for.

    Parameters
    ----------
    shot : chroma.shot.Shot
        The shot.
    flows : Callable[[], chroma.pipeline.flows.PlateFlows] or None, optional
        Video: the plate's flows (:meth:`chroma.pipeline.inputs.ShotInputs.flows`).
    depth_fn : Callable[[torch.Tensor, int], torch.Tensor] or None, optional
        3D: the frame loop's depth.
    plate_path : Callable[[int], str] or None, optional
        Video: the plate's file of a shot index.

    Returns
    -------
    ShotMotion or None
        None when the shot writes no vectors (``motion_vectors = false``, or mode
        ``"None"``).
    """
    if not shot.output.motion_vectors or shot.animation_mode not in ("2D", "3D", "Video"):
        return None
    exists = None if plate_path is None else (lambda i: os.path.isfile(plate_path(i)))
    return ShotMotion(shot, flows, depth_fn, exists)

