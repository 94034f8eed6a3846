"""A shot's inputs as the models see them: init image, plates, image prompts, depth.

Images are read through OCIO into the renderer's display-referred encoding
(:func:`chroma.pipeline.frames.display_tensor`, ``(3, H, W)`` in [-1, 1] at the render
size); image prompts are read once per run, the depth sequence one frame at a time,
the plate's last frames are kept for the flow warp. A flow-warped Video shot's flows come
from :class:`chroma.pipeline.flows.PlateFlows`, cached in the state folder.
:meth:`ShotInputs.frame_input` assembles one frame's :class:`render.animation.FrameInput`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from chroma.pipeline.frames import display_tensor

if TYPE_CHECKING:
    import torch

    from chroma.pipeline.flows import PlateFlows
    from chroma.shot import FrameSpec, Shot
    from render.animation import FrameInput
    from render.settings import RenderSettings

__all__ = ["DepthEstimator", "ShotInputs", "estimated_depth", "plate_path"]

#: ``estimator(image (N, 3, H, W) in [-1, 1]) -> (N, H, W)`` depth in Disco Diffusion's units
DepthEstimator = Callable[["torch.Tensor"], "torch.Tensor"]


def plate_path(shot: Shot, index: int) -> str:
    """Name the plate's frame of a shot frame.

    Parameters
    ----------
    shot : chroma.shot.Shot
        The shot.
    index : int
        Shot index.

    Returns
    -------
    str
        ``[animation] video_init_path`` filled with the file frame number.
    """
    from chroma import sequence

    return sequence.parse_pattern(shot.animation.video_init_path).path(shot.output.first_frame + index)


class ShotInputs:
    """Read a shot's input images for the renderer, caching what repeats.

    Parameters
    ----------
    shot : chroma.shot.Shot
        The shot.
    config : str or os.PathLike or None
        The OCIO config; None for chroma's default.
    size : tuple of (int, int)
        The render size, (width, height) in pixels.
    flows : chroma.pipeline.flows.PlateFlows or None, optional
        The plate's flows for a Video shot with ``video_init_flow_warp``. Default None:
        one caching in the shot's state folder (``<stem>.state/flow``), made on first use.
    """

    def __init__(self, shot: Shot, config: str | os.PathLike[str] | None, size: tuple[int, int],
                 flows: PlateFlows | None = None):
        self.shot = shot
        self.config = config
        self.size = size
        self._prompts: dict[str, torch.Tensor] = {}
        self._depth: tuple[str, torch.Tensor] | None = None
        self._init0: torch.Tensor | None = None
        self._plates: dict[int, torch.Tensor] = {}
        self._flows = flows

    @property
    def flow_warp(self) -> bool:
        """Say whether the shot's frames after 0 start from the flow-warped previous frame.

        Returns
        -------
        bool
            A Video shot with ``video_init_flow_warp``.
        """
        return self.shot.animation_mode == "Video" and self.shot.animation.video_init_flow_warp

    def flows(self) -> PlateFlows:
        """Return the plate's flows (made on first use, cached in ``<stem>.state/flow``).

        Returns
        -------
        chroma.pipeline.flows.PlateFlows
            The flows given to the inputs, or one reading the plate through them.
        """
        if self._flows is None:
            from chroma.pipeline.flows import FLOW_FOLDER, PlateFlows
            from chroma.pipeline.layout import ShotLayout

            a = self.shot.animation
            device = self.shot.render_value("device") or _default_device()
            at = tuple(a.flow_size) if a.flow_size and tuple(a.flow_size) != tuple(self.size) else None
            self._flows = PlateFlows(self.plate01, self.plate_path, ShotLayout(self.shot.output).state_dir / FLOW_FOLDER,
                                     lambda i: self.shot.output.first_frame + i, a.flow_model, device,
                                     a.video_init_check_consistency,
                                     (lambda i: self.plate01_at(i, at)) if at else None)  # DD's unrounded size
        return self._flows

    def plate(self, index: int) -> torch.Tensor:
        """Read the plate's frame of a shot frame (the last three read are kept).

        Parameters
        ----------
        index : int
            Shot index.

        Returns
        -------
        torch.Tensor
            ``(3, H, W)`` float32 in [-1, 1] at the render size (:meth:`display`).
        """
        plate = self._plates.pop(index, None)
        if plate is None:
            plate = self.display(self.plate_path(index))
        self._plates[index] = plate  # the most recent last
        for old in list(self._plates)[:-3]:
            del self._plates[old]
        return plate

    def plate01(self, index: int) -> np.ndarray:
        """Read the plate's frame as the flow estimator takes it.

        Parameters
        ----------
        index : int
            Shot index.

        Returns
        -------
        numpy.ndarray
            ``(H, W, 3)`` float32 display-referred values (nominally [0, 1]) at the
            render size.
        """
        t = self.plate(index)
        return np.ascontiguousarray(((t.permute(1, 2, 0).cpu().numpy() + 1.0) / 2.0).astype(np.float32))

    def plate01_at(self, index: int, size: tuple[int, ...]) -> np.ndarray:
        """Read the plate's frame as the flow estimator takes it, at another size (not kept).

        Parameters
        ----------
        index : int
            Shot index.
        size : tuple of int
            ``(width, height)`` in pixels (``[animation] flow_size``).

        Returns
        -------
        numpy.ndarray
            ``(H, W, 3)`` float32 display-referred values (nominally [0, 1]) at ``size``.
        """
        out = self.shot.output
        t = display_tensor(self.plate_path(index), out.display, out.view, self.config,
                           size=(int(size[0]), int(size[1])))
        return np.ascontiguousarray(((t.permute(1, 2, 0).cpu().numpy() + 1.0) / 2.0).astype(np.float32))

    def display(self, path: str) -> torch.Tensor:
        """Read an image as the models see it.

        Parameters
        ----------
        path : str
            The image file.

        Returns
        -------
        torch.Tensor
            ``(3, H, W)`` float32 in [-1, 1], through the shot's display and view, at the
            render size.
        """
        out = self.shot.output
        return display_tensor(path, out.display, out.view, self.config, size=self.size)

    def plate_path(self, index: int) -> str:
        """Name the plate's frame of a shot frame.

        Parameters
        ----------
        index : int
            Shot index.

        Returns
        -------
        str
            ``[animation] video_init_path`` filled with the file frame number.
        """
        return plate_path(self.shot, index)

    def init(self, index: int) -> torch.Tensor | None:
        """Return the init of a frame: the init image for frame 0, the plate in Video mode.

        Parameters
        ----------
        index : int
            Shot index.

        Returns
        -------
        torch.Tensor or None
            ``(1, 3, H, W)`` in [-1, 1], or None (the frame starts from noise or the
            previous frame).
        """
        shot = self.shot
        init = None
        if index == 0 and shot.init_image:
            if self._init0 is None:
                self._init0 = self.display(shot.resolve(shot.init_image))[None]
            init = self._init0
        if shot.animation_mode == "Video":
            init = self.plate(index)[None]
        return init

    def image_prompts(self, spec: FrameSpec) -> list[tuple[torch.Tensor, float]]:
        """Read a frame's image prompts (each file once per run).

        Parameters
        ----------
        spec : chroma.shot.FrameSpec
            The frame.

        Returns
        -------
        list of (torch.Tensor, float)
            ``(image (3, H, W) in [-1, 1], weight)`` pairs.
        """
        from render.prompts import parse_prompt

        out = []
        for entry in spec.image_prompts:
            ip = parse_prompt(entry, "image")
            path = self.shot.resolve(ip.value)
            if path not in self._prompts:
                self._prompts[path] = self.display(path)
            out.append((self._prompts[path], ip.weight))
        return out

    def frame_input(self, spec: FrameSpec, settings: RenderSettings) -> FrameInput:
        """Assemble a frame's inputs for :meth:`render.animation.FrameLoop.step`.

        Parameters
        ----------
        spec : chroma.shot.FrameSpec
            The frame's evaluated settings (:meth:`chroma.shot.Shot.frame`).
        settings : render.settings.RenderSettings
            Its render settings.

        Returns
        -------
        render.animation.FrameInput
            Seed, prompts, camera, init weights, image prompts, init, and after frame 0
            of a flow-warped Video shot the plate's flow (and where it holds).
        """
        from render.animation import FrameInput

        flow = reliable = None
        if self.flow_warp and spec.index > 0:
            flow, reliable = self.flows()(spec.index)
        return FrameInput(
            index=spec.index, seed=spec.seed, prompts=spec.prompts, settings=settings,
            camera=spec.camera,
            frames_scale=spec.values["frames_scale"],
            frames_skip_steps=spec.frames_skip_steps,
            image_prompts=self.image_prompts(spec), init=self.init(spec.index), flow=flow, flow_reliable=reliable,
        )

    def plate_depth(self, image: torch.Tensor, index: int) -> torch.Tensor:
        """Read the depth of a frame from the depth sequence.

        Its Z channel (or its only channel) times ``depth_scale``, in Disco Diffusion's
        depth units, resized bilinearly to the frame. The last frame read is cached.

        Parameters
        ----------
        image : torch.Tensor
            The frame the depth is for, ``(..., H, W)``.
        index : int
            Shot index.

        Returns
        -------
        torch.Tensor
            ``(H, W)`` float32 depth.

        Raises
        ------
        ChromaIOError
            The depth frame is missing or has no Z channel.
        """
        import torch

        from chroma import io, sequence
        from chroma.errors import ChromaIOError

        path = sequence.parse_pattern(self.shot.animation.depth).path(self.shot.output.first_frame + index)
        if self._depth is not None and self._depth[0] == path:
            return self._depth[1]
        if not os.path.isfile(path):
            raise ChromaIOError(f"depth frame {path!r} does not exist (frame {index} of the shot)")
        img = io.read(path, config=self.config)
        if "Z" in img.channels:
            z = img.pixels[:, :, img.index("Z")]
        elif len(img.channels) == 1:
            z = img.pixels[:, :, 0]
        else:
            raise ChromaIOError(f"{path!r} has no Z channel (channels {', '.join(img.channels)}); "
                                "give a depth EXR with a Z channel")
        d = torch.from_numpy(np.ascontiguousarray(z, dtype=np.float32)) * float(self.shot.animation.depth_scale)
        h, w = image.shape[-2:]
        if tuple(d.shape) != (h, w):
            d = torch.nn.functional.interpolate(d[None, None], size=(h, w), mode="bilinear", align_corners=False)[0, 0]
        self._depth = (path, d)
        return d


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def estimated_depth(estimator: DepthEstimator) -> Callable[[torch.Tensor, int], torch.Tensor]:
    """Wrap a depth estimator as the frame loop's ``depth_fn``.

    Parameters
    ----------
    estimator : DepthEstimator
        ``estimator(image (N, 3, H, W)) -> (N, H, W)`` (or ``(H, W)``).

    Returns
    -------
    Callable[[torch.Tensor, int], torch.Tensor]
        ``depth_fn(image, index) -> (H, W)``.
    """
    def depth_fn(image: torch.Tensor, index: int) -> torch.Tensor:
        """Estimate the depth of a frame.

        Parameters
        ----------
        image : torch.Tensor
            The frame, ``(1, 3, H, W)`` in [-1, 1].
        index : int
            Its shot index (unused: the estimator sees only the picture).

        Returns
        -------
        torch.Tensor
            ``(H, W)`` depth.
        """
        d = estimator(image)
        return d[0] if d.ndim == 3 else d

    return depth_fn
