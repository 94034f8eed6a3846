"""The plate's optical flows of a flow-warped Video shot, cached beside the loop state.

Disco Diffusion 5.7's video flow warp starts frame ``i`` (after frame 0) from the plate's
frame ``i`` blended with the previous output warped by ``flow21``, the flow from plate
frame ``i`` to plate frame ``i - 1``, estimated at DD's unrounded ``width_height``
(``[animation] flow_size``, default the render size) and used at the render size
(:func:`resize_flow`; docs/flow.md). The flows
depend on the plate alone, so each is estimated once and saved in the state folder,
``<stem>.state/flow/flow21.<file frame>.<key>.npz`` (:func:`render.flow.save_flow`,
lossless): a resumed run reads the flows an earlier run estimated (no estimate again,
and the same bits). ``key`` hashes what decides the flow (method, DIS preset, render
size, and the two plate files' paths, sizes and modification times), so a changed plate
or size is estimated afresh instead of read stale. With ``video_init_check_consistency``
the backward flow (``flow12``, plate frame ``i - 1`` to ``i``) is cached the same way and
:func:`render.flow.consistency_mask` of the pair says where the plate stands in.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from render.flow import FlowEstimator

__all__ = ["FLOW_FOLDER", "PlateFlows", "PlateReader", "resize_flow"]

#: The folder of the cached flows, inside the shot's state folder.
FLOW_FOLDER = "flow"

#: ``reader(index) -> (H, W, 3)`` float32 plate frame in [0, 1] at the render size, display-referred
PlateReader = Callable[[int], np.ndarray]


def _identity(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}:missing"
    return f"{os.path.abspath(path)}:{st.st_size}:{st.st_mtime_ns}"


class PlateFlows:
    """Estimate (or read back) the flows between consecutive plate frames.

    Parameters
    ----------
    plate : PlateReader
        ``plate(index) -> (H, W, 3)`` the plate's frame of shot frame ``index``, float32
        display-referred values in [0, 1], at the render size.
    plate_path : Callable[[int], str]
        ``plate_path(index)``: its file (for the cache key).
    folder : pathlib.Path
        The cache folder (``<stem>.state/flow``); made on the first save.
    file_frame : Callable[[int], int]
        ``file_frame(index)``: the frame number the cache files are named by.
    method : {"auto", "dis", "raft"}, optional
        The flow (``[animation] flow_model``). Default ``"auto"``.
    device : str, optional
        Torch device for RAFT. Default ``"cpu"``.
    consistency : bool, optional
        Also give the forward-backward check (``video_init_check_consistency``).
        Default False.
    flow_plate : PlateReader or None, optional
        The plate's frames at the size the flow is estimated at (``[animation]
        flow_size``, Disco Diffusion's unrounded ``width_height``); the flow is then
        resized to the render size with its vectors scaled (:func:`resize_flow`). Default
        None: estimated on ``plate``'s frames, at the render size.

    Attributes
    ----------
    estimated : int
        Flows estimated by this object (not read from the cache).
    """

    def __init__(self, plate: PlateReader, plate_path: Callable[[int], str], folder: Path,
                 file_frame: Callable[[int], int], method: str = "auto", device: str = "cpu",
                 consistency: bool = False, flow_plate: PlateReader | None = None):
        self.plate = plate
        self.flow_plate = flow_plate
        self.plate_path = plate_path
        self.folder = Path(folder)
        self.file_frame = file_frame
        self.method = method
        self.device = device
        self.consistency = consistency
        self.estimated = 0
        self._estimator: FlowEstimator | None = None

    def estimator(self, size: tuple[int, int] | None = None) -> FlowEstimator:
        """Return the flow estimator, made on first use (RAFT loads at its first pair).

        Parameters
        ----------
        size : tuple of (int, int) or None, optional
            ``(width, height)`` of the plate frames, for the first use: ``"auto"`` takes
            DIS for frames smaller than RAFT takes.

        Returns
        -------
        render.flow.FlowEstimator
            For ``method``.

        Raises
        ------
        render.errors.ModelNotFoundError
            ``"raft"`` without its weights in the model cache.
        """
        if self._estimator is None:
            from render.flow import FlowEstimator

            self._estimator = FlowEstimator(self.method, device=self.device, size=size)
        return self._estimator

    def _path(self, kind: str, index: int, size: tuple[int, int]) -> Path:
        est = self.estimator(size)
        parts = (kind, est.resolved, est.preset, f"{size[0]}x{size[1]}", _identity(self.plate_path(index)),
                 _identity(self.plate_path(index - 1)))
        key = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
        return self.folder / f"{kind}.{self.file_frame(index):06d}.{key}.npz"

    def _flow(self, kind: str, index: int) -> np.ndarray:
        from render.flow import load_flow, save_flow

        reader = self.flow_plate or self.plate
        a, b = reader(index), reader(index - 1)
        if kind == "flow12":
            a, b = b, a
        path = self._path(kind, index, (a.shape[1], a.shape[0]))
        flow = load_flow(path) if path.is_file() else None
        if flow is None or flow.shape[:2] != a.shape[:2]:
            flow = self.estimator()(a, b)
            self.estimated += 1
            self.folder.mkdir(parents=True, exist_ok=True)
            save_flow(path, flow)  # at the size estimated
        if self.flow_plate is None:
            return flow
        h, w = self.plate(index).shape[:2]
        return resize_flow(flow, (w, h))

    def flow21(self, index: int) -> np.ndarray:
        """Give the flow from plate frame ``index`` to ``index - 1`` (estimated once, cached).

        Parameters
        ----------
        index : int
            Shot index, at least 1.

        Returns
        -------
        numpy.ndarray
            ``(H, W, 2)`` float32 pixels (Disco Diffusion's ``flow21``; frame ``index``'s
            backward motion).
        """
        return self._flow("flow21", index)

    def flow12(self, index: int) -> np.ndarray:
        """Give the flow from plate frame ``index - 1`` to ``index`` (estimated once, cached).

        Parameters
        ----------
        index : int
            Shot index, at least 1.

        Returns
        -------
        numpy.ndarray
            ``(H, W, 2)`` float32 pixels (``flow12``; frame ``index - 1``'s forward motion).
        """
        return self._flow("flow12", index)

    def __call__(self, index: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Give the flow of shot frame ``index`` and, with the consistency check, where it holds.

        Parameters
        ----------
        index : int
            Shot index, at least 1.

        Returns
        -------
        flow : numpy.ndarray
            ``(H, W, 2)`` float32, from plate frame ``index`` to ``index - 1``, pixels
            (Disco Diffusion's ``flow21``).
        reliable : numpy.ndarray or None
            ``(H, W)`` bool from :func:`render.flow.consistency_mask`; None without the check.

        Raises
        ------
        ValueError
            ``index`` below 1 (frame 0 has no previous plate frame).
        """
        if index < 1:
            raise ValueError(f"frame {index} has no previous plate frame to flow to")
        flow = self._flow("flow21", index)
        if not self.consistency:
            return flow, None
        from render.flow import consistency_mask

        return flow, consistency_mask(flow, self._flow("flow12", index))


def resize_flow(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a flow to another frame size, its vectors scaled by the size ratio.

    A flow estimated at Disco Diffusion's unrounded ``width_height`` and used at the render
    size (each side rounded down to a multiple of 64): the field is resized bilinearly
    (pixel centres aligned, OpenCV's ``INTER_LINEAR``) and its x vectors scaled by
    ``new_width / width``, its y vectors by ``new_height / height``, so a point that moves
    ``d`` pixels at the flow's size moves ``d * ratio`` at the render size.

    Parameters
    ----------
    flow : numpy.ndarray
        ``(H, W, 2)`` float32, pixels at its own size, channel 0 = x, 1 = y.
    size : tuple of (int, int)
        ``(width, height)`` to resize to, in pixels.

    Returns
    -------
    numpy.ndarray
        ``(height, width, 2)`` float32, pixels at ``size``; ``flow`` itself when the size
        is its own.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``: the flow cells estimate at ``width_height`` and warp
    at the flow's own size before the init is resized to ``side_x, side_y``.
    """
    h, w = flow.shape[:2]
    if (w, h) == tuple(size):
        return flow
    import cv2

    out = cv2.resize(np.ascontiguousarray(flow, dtype=np.float32), tuple(size), interpolation=cv2.INTER_LINEAR)
    out[..., 0] *= size[0] / w
    out[..., 1] *= size[1] / h
    return out
