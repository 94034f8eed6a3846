"""The frame-to-frame loop of an animation, on display-referred tensors (no colour management).

Disco Diffusion v5's animation procedure, frame by frame (``frame_num`` = ``index``):

- **frame 0** (and every frame of mode ``"None"``) renders from noise, or from the shot's
  init image with the settings' own ``init_scale`` and ``skip_steps``;
- **2D / 3D**, after frame 0: the previous frame is moved by this frame's camera
  (:func:`render.camera.warp_2d`, or :func:`render.camera.warp_3d` with the depth of the
  previous frame) and becomes the init image, with ``init_scale = frames_scale`` and
  ``skip_steps = frames_skip_steps`` (Disco Diffusion's ``"N%"`` form: ``floor(steps *
  (N / 100))``, :func:`render.settings.skip_steps_for`);
- **Video**: every frame's init is the plate's frame, with ``init_scale = frames_scale``
  (Disco Diffusion's ``video_init_frames_scale``) and the skip of ``frames_skip_steps``
  (Disco Diffusion's ``calc_frames_skip_steps``), frame 0 included. With the optical-flow
  warp (``flow_warp``, Disco Diffusion 5.7's ``video_init_flow_warp``), frame 0 starts
  from its plate frame with the settings' own ``skip_steps`` (Disco Diffusion's
  ``video_init_skip_steps``) and every later frame from :func:`video_flow_init`:
  ``plate[i] * (1 - blend) + warp(previous frame, flow21) * blend``, ``flow21`` the flow
  from plate frame ``i`` to plate frame ``i - 1`` at the render size (the frame's
  ``flow``, :func:`render.flow.estimate_flow`);
- **turbo** (2D and 3D): after ``turbo_preroll`` frames only every ``turbo_steps``-th frame
  is diffused; the frames between are a blend of the warped last diffused frame and the
  warped frame before it, ``w * new + (1 - w) * old`` with ``w = (index % turbo_steps + 1)
  / turbo_steps``, exactly as Disco Diffusion's 3D turbo (which reads the frame number, not
  the frames since the preroll); every diffused frame after frame 0 (the preroll ones too)
  is written blended with the warped previous frame, ``new / turbo_steps + warped * (1 -
  1 / turbo_steps)`` (:func:`turbo_blend`); the unblended frames feed the next, as in
  Disco Diffusion. Disco Diffusion allows turbo only in 3D; 2D turbo is chroma's
  extension, under the same rules;
- **symmetry**: mirror halves of the sample at the steps ``transformation_percent`` names
  (:func:`render.camera.symmetry_steps`), under DDIM only: Disco Diffusion passes its
  symmetry transformation to ``ddim_sample_loop_progressive`` alone, so under PLMS the
  symmetry settings do nothing (:func:`render.settings.symmetry_note` says so).

The loop's state (:class:`LoopState`: the previous frame as the loop holds it, float32,
the turbo buffer, the previous frame's depth) is everything a frame depends on besides
its own settings and seed, so a run saved after any frame continues bit-identically
(on the same device and thread count): each frame seeds its own generators.
Unlike Disco Diffusion, the previous frame is not rounded through an 8-bit PNG.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np
import torch

from render.errors import SettingsError
from render.settings import AnimationSettings, skip_steps_for

if TYPE_CHECKING:  # pragma: no cover
    from render.renderer import Renderer, RenderSettings, RenderStep

__all__ = ["FrameInput", "FrameResult", "LoopState", "FrameLoop", "skip_steps_for", "turbo_blend", "video_flow_init"]

DepthFn = Callable[[torch.Tensor, int], torch.Tensor]
# The defaults of the loop's settings and a camera at rest: AnimationSettings' (render.settings).
_DEFAULTS = AnimationSettings()
_REST = AnimationSettings.schedule_defaults()


@dataclass
class FrameInput:
    """One frame's inputs, as the shot runner evaluates them.

    Attributes
    ----------
    index : int
        Frame of the shot (0-based).
    seed : int
        This frame's seed.
    prompts : Sequence[str]
        ``"text:weight"`` strings.
    settings : RenderSettings
        This frame's :class:`render.RenderSettings` (models unchanged).
    camera : Mapping[str, float]
        ``angle`` (degrees), ``zoom`` (factor), ``translation_x/y`` (pixels in 2D, DD's
        3D units in 3D), ``translation_z``, ``rotation_3d_x/y/z`` (degrees), ``fov``
        (degrees), ``near_plane``, ``far_plane``; a missing key means no move on its
        axis (zoom 1), and DD's defaults for the lens (fov 40, planes 200 and 10000).
    frames_scale : float
        Init weight for frames built on an init (DD's ``frames_scale``). Default 1500.
    frames_skip_steps : float or str
        Skip for frames built on an init: a step count or ``"N%"`` (see
        :func:`skip_steps_for`). Default ``"60%"``.
    image_prompts : Sequence[Any]
        ``(tensor (3, H, W) in [-1, 1], weight)`` pairs. Default none.
    init : torch.Tensor or None
        Frame 0's init image, or the plate's frame in Video mode, ``(1, 3, H, W)`` in
        [-1, 1]. Default None.
    init_filter : Callable[[torch.Tensor], torch.Tensor] or None
        ``init_filter(init) -> init`` applied to the init the frame is diffused from
        (the warped previous frame, the plate, the init image), after the camera and
        before sampling; the shot runner's collapse guard blends noise in with it.
        Default None.
    flow : numpy.ndarray or None
        Video with the flow warp, after frame 0: ``(H, W, 2)`` float32, the optical flow
        from the plate's frame ``index`` to its frame ``index - 1`` at the render size,
        in pixels (Disco Diffusion's ``flow21``; :mod:`render.flow` conventions). Default
        None.
    flow_reliable : numpy.ndarray or None
        ``(H, W)`` bool, where ``flow`` passes the forward-backward check
        (:func:`render.flow.consistency_mask`); elsewhere the frame starts from the
        plate. Default None: every pixel.
    """

    index: int
    seed: int
    prompts: Sequence[str]
    settings: RenderSettings
    camera: Mapping[str, float] = field(default_factory=dict)
    frames_scale: float = _REST["frames_scale"]
    frames_skip_steps: float | str = _DEFAULTS.frames_skip_steps
    image_prompts: Sequence[Any] = ()
    init: torch.Tensor | None = None
    init_filter: Callable[[torch.Tensor], torch.Tensor] | None = None
    flow: np.ndarray | None = None
    flow_reliable: np.ndarray | None = None


@dataclass
class FrameResult:
    """A finished frame.

    Attributes
    ----------
    index : int
        Frame of the shot (0-based).
    image : torch.Tensor
        The frame to write, ``(1, 3, H, W)`` float32 in [-1, 1], on the CPU. With turbo,
        after frame 0, what Disco Diffusion writes: a diffused frame blended with the
        warped previous frame (:func:`turbo_blend`), a frame between a blend of two warps;
        the frame that feeds the next is the state's ``prev``.
    depth : torch.Tensor or None
        ``(H, W)`` depth in Disco Diffusion's depth units when the shot is 3D (the depth
        of the state's ``prev``), else None.
    turbo : bool
        True when the frame was blended by turbo, not diffused.
    clip_loss : float or None
        The CLIP loss of the last guided step that reported one.
    steps : int
        Steps sampled (respaced steps minus skip_steps; 0 for turbo frames).
    init_scale : float or None
        The init_scale used.
    skip_steps : int or None
        The skip_steps used.
    inbetween : tuple of (int, int) or None
        Cadence: the key frames (shot indices) a frame between was blended from, not
        diffused (:meth:`FrameLoop.between`); None for a frame the loop rendered.
    """

    index: int
    image: torch.Tensor
    depth: torch.Tensor | None = None
    turbo: bool = False
    clip_loss: float | None = None
    steps: int = 0
    init_scale: float | None = None
    skip_steps: int | None = None
    inbetween: tuple[int, int] | None = None


@dataclass
class LoopState:
    """What the next frame needs from the past: saved after every frame to resume exactly.

    Attributes
    ----------
    index : int
        The last frame finished (-1: none).
    prev : torch.Tensor or None
        That frame as the loop holds it, ``(1, 3, H, W)`` float32 in [-1, 1]: under turbo
        the unblended frame (the diffused one, or a frame between's newer warp), not the
        one written.
    old : torch.Tensor or None
        Turbo: the older warped frame it blends from.
    prev_depth : torch.Tensor or None
        3D: the depth of ``prev``, ``(H, W)`` in Disco Diffusion's depth units.
    """

    index: int = -1
    prev: torch.Tensor | None = None
    old: torch.Tensor | None = None
    prev_depth: torch.Tensor | None = None

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The state as numpy arrays, for ``numpy.savez``.

        Returns
        -------
        dict of str to numpy.ndarray
            ``"index"`` (int64 scalar) and whichever of ``"prev"``, ``"old"`` and
            ``"prev_depth"`` are set, bit-exact copies of the tensors.
        """
        out = {"index": np.array(self.index, dtype=np.int64)}
        for name in ("prev", "old", "prev_depth"):
            t = getattr(self, name)
            if t is not None:
                out[name] = t.detach().cpu().numpy()
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> "LoopState":
        """Read back the arrays of :meth:`to_arrays`.

        Parameters
        ----------
        arrays : Mapping[str, numpy.ndarray]
            ``"index"`` and optionally ``"prev"``, ``"old"``, ``"prev_depth"`` (e.g. an
            ``numpy.load`` of a saved state).

        Returns
        -------
        LoopState
            The state, tensors as float32 on the CPU.
        """
        tensors = {k: torch.from_numpy(np.array(arrays[k], dtype=np.float32)) for k in ("prev", "old", "prev_depth")
                   if k in arrays}
        return cls(index=int(arrays["index"]), **tensors)


def turbo_blend(diffused: torch.Tensor, warped: torch.Tensor, turbo_steps: int) -> torch.Tensor:
    """The frame turbo writes for a diffused frame: ``(1 / turbo_steps)`` of it over the warped previous frame.

    With turbo on, Disco Diffusion writes every diffused frame after frame 0 (the preroll
    frames too) blended with the previous frame as warped for it, the diffusion's init
    before any noise: ``cv2.addWeighted(new, 1 / turbo_steps, warped, 1 - 1 / turbo_steps,
    0)``, i.e. ``new * (1 / turbo_steps) + warped * (1 - 1 / turbo_steps)``. The unblended
    frame feeds the next one. Disco Diffusion blends 8-bit PNGs and rounds the sum to 8
    bits; this blends the float frames the loop holds.

    Parameters
    ----------
    diffused : torch.Tensor
        The frame the sampler made, ``(1, 3, H, W)`` in [-1, 1].
    warped : torch.Tensor
        The previous frame moved by this frame's camera, same shape.
    turbo_steps : int
        Turbo's period, frames, at least 1 (1 writes ``diffused`` as it is).

    Returns
    -------
    torch.Tensor
        The frame to write, same shape and dtype as ``diffused``.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``, ``do_run``: the 3D branch's ``if turbo_mode and
    frame_num > 0`` after the last sampling step (``blend_factor = 1 / int(turbo_steps)``).
    """
    blend_factor = 1 / int(turbo_steps)
    return diffused * blend_factor + warped * (1 - blend_factor)


def _hwc01(t: torch.Tensor) -> np.ndarray:
    """``(1, 3, H, W)`` in [-1, 1] -> ``(H, W, 3)`` float32 in [0, 1] (nominally), on the CPU."""
    return ((t[0].detach().float().cpu().permute(1, 2, 0).numpy() + 1.0) / 2.0).astype(np.float32)


def video_flow_init(
    plate: torch.Tensor,
    previous: torch.Tensor,
    flow: np.ndarray,
    blend: float,
    reliable: np.ndarray | None = None,
) -> torch.Tensor:
    """Disco Diffusion 5.7's init of a video frame after frame 0: the plate blended with the warped previous frame.

    ``plate * (1 - blend) + warp(previous, flow) * blend``, by :func:`render.flow.flow_blend`
    on the frames mapped to [0, 1], so that what the warp samples outside the frame is
    black, as Disco Diffusion's ``cv2.remap`` of 8-bit frames gives (its zero border).
    Disco Diffusion blends the previous frame's 8-bit PNG and truncates the blend to 8
    bits; this blends the float frames.

    Parameters
    ----------
    plate : torch.Tensor
        The plate's frame ``i``, ``(1, 3, H, W)`` in [-1, 1].
    previous : torch.Tensor
        The previous frame as the loop holds it, same shape.
    flow : numpy.ndarray
        ``(H, W, 2)`` flow from plate frame ``i`` to plate frame ``i - 1``, pixels
        (Disco Diffusion's ``flow21``).
    blend : float
        The warped frame's weight, in [0, 1] (``video_init_flow_blend``).
    reliable : numpy.ndarray or None, optional
        ``(H, W)`` bool; where False, the plate. Default None: every pixel.

    Returns
    -------
    torch.Tensor
        The init, ``(1, 3, H, W)`` float32 in [-1, 1], on ``plate``'s device.

    Raises
    ------
    render.errors.SettingsError
        Frames or a flow of other sizes.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``: ``do_run``'s ``video_init_flow_warp`` branch and
    the ``warp`` of the ``FlowFns1`` cell.
    """
    from render.flow import flow_blend

    out = flow_blend(_hwc01(plate), _hwc01(previous), flow, blend, reliable)
    return (torch.from_numpy(out).permute(2, 0, 1)[None] * 2.0 - 1.0).to(plate.device)


class FrameLoop:
    """Renders the frames of a shot one after another with one :class:`render.Renderer`.

    Parameters
    ----------
    renderer : Renderer
        The renderer (models loaded once for the whole shot).
    mode : str, optional
        ``"None"``, ``"2D"`` (the default), ``"3D"`` or ``"Video"`` (DD's
        ``animation_mode``).
    border : str, optional
        2D border: ``"wrap"`` (Disco Diffusion, the default), ``"border"``, ``"reflect"``
        (see :func:`render.camera.warp_2d`).
    padding_mode : str, optional
        3D padding, ``grid_sample``'s (DD's ``padding_mode``). Default ``"border"``.
    sampling_mode : str, optional
        3D interpolation, ``grid_sample``'s (DD's ``sampling_mode``). Default
        ``"bicubic"``.
    turbo_mode : bool, optional
        Disco Diffusion's turbo (2D and 3D only). Default False.
    turbo_steps : int, optional
        Diffuse every ``turbo_steps``-th frame, in frames. Default 3.
    turbo_preroll : int, optional
        Frames diffused before turbo starts. Default 10.
    horizontal_symmetry : bool, optional
        DD's ``use_horizontal_symmetry``; under DDIM only, as in DD (a frame sampled
        with PLMS is not mirrored). Default False.
    vertical_symmetry : bool, optional
        DD's ``use_vertical_symmetry``; under DDIM only. Default False.
    transformation_percent : Sequence[float], optional
        Fractions of the run, in [0, 1], before which symmetry is applied
        (:func:`render.camera.symmetry_steps`). Default ``(0.09,)``.
    depth_fn : DepthFn or None, optional
        ``depth_fn(image, index) -> (H, W)`` depth of frame ``index`` in DD's depth
        units (3D): a depth estimator, or the plate's Z channel. Default None.
    flow_warp : bool, optional
        Video: Disco Diffusion 5.7's optical-flow warp (``video_init_flow_warp``);
        every frame after 0 then needs its ``FrameInput.flow``. Default False here, so
        a loop given plates alone inits every frame from them; shots default to
        Disco Diffusion's on (:class:`render.settings.AnimationSettings`).
    flow_blend : float, optional
        The warped previous frame's weight, in [0, 1] (``video_init_flow_blend``).
        Default 0.999.

    Raises
    ------
    render.errors.SettingsError
        If ``mode`` is unknown, or 3D without ``depth_fn``.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``, ``do_run`` (animation modes, turbo, symmetry).
    """

    def __init__(
        self,
        renderer: Renderer,
        mode: str = "2D",
        *,
        border: str = _DEFAULTS.border,
        padding_mode: str = _DEFAULTS.padding_mode,
        sampling_mode: str = _DEFAULTS.sampling_mode,
        turbo_mode: bool = _DEFAULTS.turbo_mode,
        turbo_steps: int = _DEFAULTS.turbo_steps,
        turbo_preroll: int = _DEFAULTS.turbo_preroll,
        horizontal_symmetry: bool = _DEFAULTS.use_horizontal_symmetry,
        vertical_symmetry: bool = _DEFAULTS.use_vertical_symmetry,
        transformation_percent: Sequence[float] = _DEFAULTS.transformation_percent,
        depth_fn: DepthFn | None = None,
        flow_warp: bool = False,
        flow_blend: float = _DEFAULTS.video_init_flow_blend,
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
        self.flow_warp = bool(flow_warp) and mode == "Video"
        self.flow_blend = float(flow_blend)

    # -- camera ----------------------------------------------------------------------
    def _depth(self, image: torch.Tensor, index: int) -> torch.Tensor:
        assert self.depth_fn is not None
        return self.depth_fn(image, index).float()

    def _warp(self, image: torch.Tensor, camera: Mapping[str, float], depth: torch.Tensor | None) -> torch.Tensor:
        from render import camera as cam

        with torch.no_grad():
            c = {**_REST, **camera}  # a missing key: no move on its axis, DD's lens
            if self.mode == "2D":
                return cam.warp_2d(image, c["angle"], c["zoom"], c["translation_x"], c["translation_y"],
                                   border=self.border)
            assert depth is not None  # 3D: step() always passes the previous frame's depth
            return cam.warp_3d(
                image, depth,
                translation=(c["translation_x"], c["translation_y"], c["translation_z"]),
                rotation=(c["rotation_3d_x"], c["rotation_3d_y"], c["rotation_3d_z"]),
                fov=c["fov"], near=c["near_plane"], far=c["far_plane"],
                padding_mode=self.padding_mode, sampling_mode=self.sampling_mode,
            )

    def _symmetry(self, total: int, sampler: str) -> Callable[[int, torch.Tensor], torch.Tensor] | None:
        if not (self.hsym or self.vsym) or sampler != "ddim":  # DD hands the transform to its DDIM loop only
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
        on_step: Callable[[RenderStep], None] | None = None,
        *,
        cameras: Sequence[Mapping[str, float]] | None = None,
    ) -> tuple[FrameResult, LoopState]:
        """Render one frame from the state after the previous one.

        Parameters
        ----------
        frame : FrameInput
            The frame's inputs; ``frame.index`` must be ``state.index + 1``.
        state : LoopState
            The state after the previous frame (``LoopState()`` before frame 0). Not
            modified.
        on_step : Callable[[RenderStep], None] or None, optional
            Called with every sampling step (progress, previews). Default None.
        cameras : Sequence[Mapping[str, float]] or None, optional
            Cadence (:mod:`render.cadence`): ``state`` is the previous key frame's and
            these are the cameras of frames ``state.index + 1 .. frame.index``; in 2D/3D
            the previous key is moved over all of them in one resample
            (:func:`render.cadence.key_init`). Not with turbo. Default None: ``state``
            is the previous frame's.

        Returns
        -------
        result : FrameResult
            The finished frame.
        state : LoopState
            The state after this frame.

        Raises
        ------
        render.errors.SettingsError
            If ``frame`` does not follow ``state``, a Video frame has no init, or a
            flow-warped Video frame after frame 0 has no flow.
        """
        gap = 1 if cameras is None else len(cameras)
        if frame.index != state.index + gap or gap < 1 or (gap > 1 and self.turbo):
            raise SettingsError(f"frame {frame.index} needs the state after frame {frame.index - gap}, "
                                f"got the state after frame {state.index}" + (" (cadence is not for turbo)"
                                                                              if gap > 1 and self.turbo else ""))
        s = frame.settings
        init = frame.init
        init_scale, skip_steps = s.init_scale, s.skip_steps
        new_state = LoopState(index=frame.index, old=state.old, prev_depth=None)
        moving = self.mode in ("2D", "3D") and state.prev is not None
        warped: torch.Tensor | None = None
        if moving:
            assert state.prev is not None
            depth = None
            if self.mode == "3D":
                depth = state.prev_depth if state.prev_depth is not None else self._depth(state.prev, frame.index - 1)
            if gap > 1:
                from render.cadence import key_init

                warped = key_init(self.mode, state.prev, cameras or (), depth=depth, border=self.border,
                                  sampling_mode=self.sampling_mode, padding_mode=self.padding_mode)
            else:
                warped = self._warp(state.prev, frame.camera, depth)
            if self.turbo and frame.index >= self.turbo_preroll:
                if frame.index == self.turbo_preroll or state.old is None:
                    # DD starts tracking the older frame at the preroll frame; with turbo_preroll 0
                    # frame 0 has no warp to track (DD then reads an oldFrameScaled.png it never
                    # wrote), so tracking starts at frame 1, as with turbo_preroll 1.
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
            init_scale = float(frame.frames_scale)  # DD's video_init_frames_scale, frame 0 too
            skip_steps = skip_steps_for(frame.frames_skip_steps, steps)  # DD's calc_frames_skip_steps
            if self.flow_warp and frame.index == 0:
                skip_steps = s.skip_steps  # DD: frame 0 of a flow warp skips video_init_skip_steps
            elif self.flow_warp:
                if frame.flow is None or state.prev is None:
                    raise SettingsError(f"frame {frame.index}: the video flow warp needs the flow from plate frame "
                                        f"{frame.index} to {frame.index - 1} and the previous frame")
                init = video_flow_init(init, state.prev, frame.flow, self.flow_blend, frame.flow_reliable)
        run_settings = s.replace(init_scale=init_scale, skip_steps=skip_steps) if (
            init_scale != s.init_scale or skip_steps != s.skip_steps) else s
        total = steps - run_settings.skip_steps
        if frame.init_filter is not None and init is not None:
            init = frame.init_filter(init)
        image, loss = None, None
        for st in self.renderer.sample(list(frame.prompts), seed=frame.seed, init=init,
                                       image_prompts=list(frame.image_prompts), settings=run_settings,
                                       transform=self._symmetry(total, run_settings.diffusion_sampling_mode)):
            if st.final:
                image = st.image
            elif st.clip_loss is not None:
                loss = float(st.clip_loss)
            if on_step is not None:
                on_step(st)
        assert image is not None
        image = image[:1].detach().float().cpu()
        new_state.prev = image  # the unblended frame feeds the next, as in Disco Diffusion
        if self.mode == "3D":
            new_state.prev_depth = self._depth(image, frame.index)
        written = image
        if self.turbo and warped is not None:  # every diffused frame after frame 0, preroll included
            written = turbo_blend(image, warped.float().cpu(), self.turbo_steps)
        result = FrameResult(frame.index, written, new_state.prev_depth, False, loss, total, float(init_scale),
                             int(run_settings.skip_steps))
        return result, new_state

    def between(self, index: int, first: LoopState, second: LoopState, cameras: Sequence[Mapping[str, float]],
                plates: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                estimator: Any = None) -> FrameResult:
        """A frame between two key frames, from both (cadence, :mod:`render.cadence`).

        Parameters
        ----------
        index : int
            Shot index of the frame, ``first.index < index < second.index``.
        first, second : LoopState
            The states after the two keys (their ``prev``; 3D: ``first.prev_depth``).
        cameras : Sequence[Mapping[str, float]]
            2D/3D: the cameras of frames ``first.index + 1 .. second.index``.
        plates : tuple of numpy.ndarray or None, optional
            Video: the plate's frames ``index``, ``first.index``, ``second.index``,
            ``(H, W, 3)`` display-referred in [0, 1]. Default None.
        estimator : render.flow.FlowEstimator or None, optional
            Video: the flow between plate frames. Default None.

        Returns
        -------
        FrameResult
            ``inbetween = (first.index, second.index)``, no steps; 3D: the first key's
            depth carried to the frame.

        Raises
        ------
        render.errors.SettingsError
            A frame not between the keys, keys without frames, the wrong number of
            cameras, or a Video frame without plates and estimator.
        """
        from render import cadence

        k0, k1 = first.index, second.index
        if not k0 < index < k1 or first.prev is None or second.prev is None:
            raise SettingsError(f"frame {index} is not between rendered key frames {k0} and {k1}")
        m, t = index - k0, (index - k0) / (k1 - k0)
        _, _, h, w = first.prev.shape
        depth = None
        if self.mode == "Video":
            if plates is None or estimator is None:
                raise SettingsError(f"frame {index}: a Video in-between needs the plate's frames and a flow estimator")
            fa, fb, va, vb = cadence.flows_video(estimator, *plates)
        else:
            if len(cameras) != k1 - k0:
                raise SettingsError(f"frames {k0 + 1}-{k1} need {k1 - k0} cameras, got {len(cameras)}")
            if self.mode == "2D":
                from render.motion import out_of_frame

                fa, fb = cadence.flows_2d(cameras, m, w, h)
                va, vb = ~out_of_frame(fa), ~out_of_frame(fb)
            elif self.mode == "3D":
                d0 = first.prev_depth if first.prev_depth is not None else self._depth(first.prev, k0)
                fa, fb, bad_a, bad_b, d_m = cadence.flows_3d(d0.detach().float().cpu().numpy(), cameras, m)
                va, vb = ~bad_a, ~bad_b
                depth = torch.from_numpy(d_m)
            else:
                raise SettingsError(f"animation_mode {self.mode!r} has no frames between key frames")
        a, b = first.prev, second.prev
        if self.mode == "3D":  # resampled as warp_3d resamples (sampling_mode, bicubic by default), then blended
            a = cadence.resample(a.float().cpu(), fa, self.sampling_mode, self.padding_mode)
            b = cadence.resample(b.float().cpu(), fb, self.sampling_mode, self.padding_mode)
            fa = fb = np.zeros_like(fa)
        image = cadence.inbetween_frame(a, b, t, fa, fb, va, vb)
        return FrameResult(index, image, depth, inbetween=(k0, k1))

    @staticmethod
    def renderer_steps(settings: RenderSettings) -> int:
        """The number of sampling steps a frame's settings take.

        Parameters
        ----------
        settings : RenderSettings
            The frame's settings.

        Returns
        -------
        int
            Respaced steps, before ``skip_steps``.
        """
        return int(settings.diffusion().num_timesteps)
