"""A shot's inputs as the models see them: init image, plates, image prompts, depth.

Images are read through OCIO into the renderer's display-referred encoding
(:func:`chroma.pipeline.frames.display_tensor`, ``(3, H, W)`` in [-1, 1] at the render
size); image prompts are read once per run, the depth sequence one frame at a time.
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
    """

    def __init__(self, shot: Shot, config: str | os.PathLike[str] | None, size: tuple[int, int]):
        self.shot = shot
        self.config = config
        self.size = size
        self._prompts: dict[str, torch.Tensor] = {}
        self._depth: tuple[str, torch.Tensor] | None = None
        self._init0: torch.Tensor | None = None

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
            init = self.display(self.plate_path(index))[None]
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
            Seed, prompts, camera, init weights, image prompts and init.
        """
        from chroma.shot import CAMERA_KEYS
        from render.animation import FrameInput

        return FrameInput(
            index=spec.index, seed=spec.seed, prompts=spec.prompts, settings=settings,
            camera={k: spec.values[k] for k in (*CAMERA_KEYS, "fov", "near_plane", "far_plane")},
            frames_scale=spec.values["frames_scale"],
            frames_skip_steps=spec.frames_skip_steps,
            image_prompts=self.image_prompts(spec), init=self.init(spec.index),
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
