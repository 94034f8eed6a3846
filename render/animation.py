"""The frame-to-frame loop of an animation, on display-referred tensors (no colour management).

Disco Diffusion v5's animation procedure, frame by frame (``frame_num`` = ``index``):

- **frame 0** (and every frame of mode ``"None"``) renders from noise, or from the shot's
  init image with the settings' own ``init_scale`` and ``skip_steps``;
- **2D / 3D**, after frame 0: the previous frame is moved by this frame's camera
  (:func:`render.camera.warp_2d`, or :func:`render.camera.warp_3d` with the depth of the
  previous frame) and becomes the init image, with ``init_scale = frames_scale`` and
  ``skip_steps = frames_skip_steps`` (Disco Diffusion's ``"60%"`` form: ``floor(steps *
  0.60)``);
- **Video**: every frame's init is the plate's frame, with ``frames_scale`` and
  ``frames_skip_steps`` (Disco Diffusion's video-input rule, frame 0 included);
- **turbo** (2D and 3D): after ``turbo_preroll`` frames only every ``turbo_steps``-th frame
  is diffused; the frames between are a blend of the warped last diffused frame and the
  warped frame before it, ``w * new + (1 - w) * old`` with ``w = (index % turbo_steps + 1)
  / turbo_steps``, exactly as Disco Diffusion's 3D turbo (which reads the frame number, not
  the frames since the preroll);
- **symmetry**: mirror halves of the sample at the steps ``transformation_percent`` names
  (:func:`render.camera.symmetry_steps`).

The loop's state (:class:`LoopState`: the previous frame as the loop holds it, float32,
the turbo buffer, the previous frame's depth) is everything a frame depends on besides
its own settings and seed, so a run saved after any frame continues bit-identically
(on the same device and thread count): each frame seeds its own generators.
Unlike Disco Diffusion, the previous frame is not rounded through an 8-bit PNG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

from render.errors import SettingsError

__all__ = ["FrameInput", "FrameResult", "LoopState", "FrameLoop", "skip_steps_for"]

DepthFn = Callable[[torch.Tensor, int], torch.Tensor]


def skip_steps_for(frames_skip_steps: float | str, steps: int) -> int:
    """Disco Diffusion's ``calc_frames_skip_steps``: ``"60%"`` of ``steps`` (floored), or a count."""
    if isinstance(frames_skip_steps, str):
        text = frames_skip_steps.strip()
        if not text.endswith("%"):
            raise SettingsError(f"frames_skip_steps {frames_skip_steps!r}: write a percentage like '60%' or a step count")
        return int(math.floor(steps * float(text[:-1]) / 100.0))
    return int(round(frames_skip_steps))


@dataclass
class FrameInput:
    """One frame's inputs, as the shot runner evaluates them.

    Attributes:
        index: frame of the shot (0-based).
        seed: this frame's seed.
        prompts: ``"text:weight"`` strings; image_prompts: ``(tensor (3,H,W) in [-1,1], weight)``.
        settings: this frame's :class:`render.RenderSettings` (models unchanged).
        camera: ``angle, zoom, translation_x/y/z, rotation_3d_x/y/z, fov, near_plane, far_plane``.
        frames_scale, frames_skip_steps: init weight and skip for frames built on an init
            (``frames_skip_steps``: a step count or ``"N%"``).
        init: frame 0's init image, or the plate's frame in Video mode, (1, 3, H, W) in [-1, 1].
        init_filter: ``init_filter(init) -> init`` applied to the init the frame is diffused
            from (the warped previous frame, the plate, the init image), after the camera
            and before sampling; the shot runner's collapse guard blends noise in with it.
    """

    index: int
    seed: int
    prompts: Sequence[str]
    settings: Any
    camera: Mapping[str, float] = field(default_factory=dict)
    frames_scale: float = 1500.0
    frames_skip_steps: float | str = "60%"
    image_prompts: Sequence[Any] = ()
    init: torch.Tensor | None = None
    init_filter: Callable[[torch.Tensor], torch.Tensor] | None = None


@dataclass
class FrameResult:
    """A finished frame: ``image`` (1, 3, H, W) in [-1, 1] on the CPU, float32.

    ``depth`` (H, W), in Disco Diffusion's depth units, when the shot is 3D; ``turbo``
    when the frame was blended, not diffused; ``clip_loss``: the last guided step's CLIP
    loss; ``steps``: steps sampled; ``init_scale``/``skip_steps`` as used.
    """

    index: int
    image: torch.Tensor
    depth: torch.Tensor | None = None
    turbo: bool = False
    clip_loss: float | None = None
    steps: int = 0
    init_scale: float | None = None
    skip_steps: int | None = None


@dataclass
class LoopState:
    """What the next frame needs from the past: saved after every frame to resume exactly."""

    index: int = -1                         # the last frame finished (-1: none)
    prev: torch.Tensor | None = None        # that frame as the loop holds it, (1, 3, H, W) float32
    old: torch.Tensor | None = None         # turbo: the older warped frame it blends from
    prev_depth: torch.Tensor | None = None  # 3D: the depth of ``prev``

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The state as numpy arrays (bit-exact float32), for ``numpy.savez``."""
        out = {"index": np.array(self.index, dtype=np.int64)}
        for name in ("prev", "old", "prev_depth"):
            t = getattr(self, name)
            if t is not None:
                out[name] = t.detach().cpu().numpy()
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> "LoopState":
        """:meth:`to_arrays` read back."""
        tensors = {k: torch.from_numpy(np.array(arrays[k], dtype=np.float32)) for k in ("prev", "old", "prev_depth")
                   if k in arrays}
        return cls(index=int(arrays["index"]), **tensors)


class FrameLoop:
    """Renders the frames of a shot one after another with one :class:`render.Renderer`.

    Args:
        renderer: the renderer (models loaded once for the whole shot).
        mode: ``"None"``, ``"2D"``, ``"3D"`` or ``"Video"``.
        border: 2D border (``"wrap"`` as Disco Diffusion, ``"border"``, ``"reflect"``).
        padding_mode, sampling_mode: 3D resampling (Disco Diffusion's names).
        turbo_mode, turbo_steps, turbo_preroll: Disco Diffusion's turbo.
        horizontal_symmetry, vertical_symmetry, transformation_percent: symmetry.
        depth_fn: ``depth_fn(image, index) -> (H, W)`` depth of frame ``index`` (3D): a
            depth estimator, or the plate's Z channel.
    """

    def __init__(
        self,
        renderer: Any,
        mode: str = "2D",
        *,
        border: str = "wrap",
        padding_mode: str = "border",
        sampling_mode: str = "bicubic",
        turbo_mode: bool = False,
        turbo_steps: int = 3,
        turbo_preroll: int = 10,
        horizontal_symmetry: bool = False,
        vertical_symmetry: bool = False,
        transformation_percent: Sequence[float] = (0.09,),
        depth_fn: DepthFn | None = None,
    ):
        if mode not in ("None", "2D", "3D", "Video"):
            raise SettingsError(f"animation_mode must be None, 2D, 3D or Video, got {mode!r}")
        if mode == "3D" and depth_fn is None:
            raise SettingsError("a 3D animation needs depth: a depth estimator or a plate with a Z channel")
        self.renderer = renderer
        self.mode = mode
        self.border = border
        self.padding_mode = padding_mode
        self.sampling_mode = sampling_mode
        self.turbo = turbo_mode and mode in ("2D", "3D")
        self.turbo_steps = int(turbo_steps)
        self.turbo_preroll = int(turbo_preroll)
        self.hsym, self.vsym = horizontal_symmetry, vertical_symmetry
        self.transformation_percent = tuple(transformation_percent)
        self.depth_fn = depth_fn

    # -- camera ----------------------------------------------------------------------
    def _depth(self, image: torch.Tensor, index: int) -> torch.Tensor:
        assert self.depth_fn is not None
        return self.depth_fn(image, index).float()

    def _warp(self, image: torch.Tensor, camera: Mapping[str, float], depth: torch.Tensor | None) -> torch.Tensor:
        from render import camera as cam

        with torch.no_grad():
            if self.mode == "2D":
                return cam.warp_2d(image, camera.get("angle", 0.0), camera.get("zoom", 1.0),
                                   camera.get("translation_x", 0.0), camera.get("translation_y", 0.0),
                                   border=self.border)
            return cam.warp_3d(
                image, depth,
                translation=(camera.get("translation_x", 0.0), camera.get("translation_y", 0.0),
                             camera.get("translation_z", 0.0)),
                rotation=(camera.get("rotation_3d_x", 0.0), camera.get("rotation_3d_y", 0.0),
                          camera.get("rotation_3d_z", 0.0)),
                fov=camera.get("fov", 40.0), near=camera.get("near_plane", 200.0), far=camera.get("far_plane", 10000.0),
                padding_mode=self.padding_mode, sampling_mode=self.sampling_mode,
            )

    def _symmetry(self, total: int) -> Callable[[int, torch.Tensor], torch.Tensor] | None:
        if not (self.hsym or self.vsym):
            return None
        from render import camera as cam

        indices = cam.symmetry_steps(self.transformation_percent, total)  # respaced indices, run high to low

        def transform(k: int, x: torch.Tensor) -> torch.Tensor:
            return cam.apply_symmetry(x, self.hsym, self.vsym) if (total - 1 - k) in indices else x

        return transform

    # -- one frame ---------------------------------------------------------------------
    def step(
        self,
        frame: FrameInput,
        state: LoopState,
        on_step: Callable[[Any], None] | None = None,
    ) -> tuple[FrameResult, LoopState]:
        """Render ``frame`` from ``state`` (the previous frame's); returns the frame and the new state.

        ``on_step(render_step)`` is called for every sampling step (progress, previews).
        """
        if frame.index != state.index + 1:
            raise SettingsError(f"frame {frame.index} needs the state after frame {frame.index - 1}, "
                                f"got the state after frame {state.index}")
        s = frame.settings
        init = frame.init
        init_scale, skip_steps = s.init_scale, s.skip_steps
        new_state = LoopState(index=frame.index, old=state.old, prev_depth=None)
        moving = self.mode in ("2D", "3D") and state.prev is not None
        if moving:
            assert state.prev is not None
            depth = None
            if self.mode == "3D":
                depth = state.prev_depth if state.prev_depth is not None else self._depth(state.prev, frame.index - 1)
            warped = self._warp(state.prev, frame.camera, depth)
            if self.turbo and frame.index >= self.turbo_preroll:
                if frame.index == self.turbo_preroll:
                    new_state.old = warped
                else:
                    assert state.old is not None
                    old_depth = self._depth(state.old, frame.index - 1) if self.mode == "3D" else None
                    old = self._warp(state.old, frame.camera, old_depth)
                    if frame.index % self.turbo_steps != 0:
                        w = ((frame.index % self.turbo_steps) + 1) / self.turbo_steps
                        blended = w * warped + (1.0 - w) * old
                        new_state.old = old
                        new_state.prev = warped  # Disco Diffusion feeds the unblended warp on
                        if self.mode == "3D":
                            new_state.prev_depth = self._depth(warped, frame.index)
                        out_depth = new_state.prev_depth
                        return FrameResult(frame.index, blended.float().cpu(), out_depth, turbo=True), new_state
                    new_state.old = warped
            init = warped
        steps = self.renderer_steps(s)  # the respaced count; skip_steps does not change it
        if moving or self.mode == "Video":
            if init is None:
                raise SettingsError(f"frame {frame.index}: Video mode needs the plate's frame as init")
            init_scale = float(frame.frames_scale)
            skip_steps = skip_steps_for(frame.frames_skip_steps, steps)
        run_settings = s.replace(init_scale=init_scale, skip_steps=skip_steps) if (
            init_scale != s.init_scale or skip_steps != s.skip_steps) else s
        total = steps - run_settings.skip_steps
        if frame.init_filter is not None and init is not None:
            init = frame.init_filter(init)
        image, loss = None, None
        for st in self.renderer.sample(list(frame.prompts), seed=frame.seed, init=init,
                                       image_prompts=list(frame.image_prompts), settings=run_settings,
                                       transform=self._symmetry(total)):
            if st.final:
                image = st.image
            elif st.clip_loss is not None:
                loss = float(st.clip_loss)
            if on_step is not None:
                on_step(st)
        assert image is not None
        image = image[:1].detach().float().cpu()
        new_state.prev = image
        if self.mode == "3D":
            new_state.prev_depth = self._depth(image, frame.index)
        result = FrameResult(frame.index, image, new_state.prev_depth, False, loss, total, float(init_scale),
                             int(run_settings.skip_steps))
        return result, new_state

    @staticmethod
    def renderer_steps(settings: Any) -> int:
        """The number of sampling steps ``settings`` take (after respacing)."""
        return int(settings.diffusion().num_timesteps)
