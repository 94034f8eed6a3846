"""Cadence: diffuse only the key frames, write the frames between from both neighbouring keys.

With ``cadence = N`` (``[animation] cadence``) a shot's **key frames** are every frame whose
index is a multiple of ``N``, and its last frame (:func:`key_frames`). Only key frames are
diffused. A key frame's init is the previous key frame moved by the camera over all the
frames between:

- **2D**: one resample with the product of the frames' matrices
  (:func:`render.motion.chain_2d`, :func:`render.camera.warp_matrix_2d`, the shot's
  ``border``, wrap by default), not one per frame;
- **3D**: the backward flows of the frames between (:func:`render.motion.backward_3d`)
  composed into one flow (:func:`render.motion.compose`), each frame's depth being the
  previous key's depth carried along the flow so far, then one resample with the shot's
  ``sampling_mode`` and ``padding_mode`` (``grid_sample``, as
  :func:`render.camera.warp_3d`). The depth model runs on diffused frames only, so this
  costs no depth estimate per frame between; the carried depth keeps each point's depth
  value (an approximation under ``translation_z``, exact for moves parallel to the image);
- **Video**: the plate, as every Video frame (with the flow warp, the previous key warped
  along the composed plate flows, :func:`chain_flows`).

A frame ``j`` between keys ``k0 < j < k1`` is :func:`render.inbetween.inbetween` of the two
keys at ``t = (j - k0) / (k1 - k0)``, with the flows from ``j``'s pixels to each key
(2D: exact, from the chained matrices; 3D: composed :mod:`render.motion` flows with
``k0``'s depth carried, each key resampled along its flow as ``warp_3d`` resamples,
bicubic by default, before the blend; Video: estimated between the plate's frames with
:class:`render.flow.FlowEstimator`) and each side valid where its flow stays in the frame
(:func:`render.motion.out_of_frame`) and, for estimated flows, passes the
forward-backward check (:func:`render.flow.consistency_mask`). Unlike Disco Diffusion's
turbo, which blends the last two diffused frames warped forward (both in the past, so
what the camera reveals is invented twice over), both sides are used, each only where it
sees the pixel, and each frame is resampled once from a diffused frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import torch

from render.errors import SettingsError

if TYPE_CHECKING:  # pragma: no cover
    from render.flow import FlowEstimator

__all__ = ["chain_flows", "flows_2d", "flows_3d", "flows_video", "inbetween_frame", "is_key", "key_frames",
           "key_init", "next_key", "previous_key", "resample"]

Flow = npt.NDArray[np.float32]
Camera = Mapping[str, float]


def _check(cadence: int, max_frames: int) -> None:
    if int(cadence) < 1 or int(max_frames) < 1:
        raise SettingsError(f"cadence must be at least 1 and a shot at least 1 frame, got {cadence} and {max_frames}")


def is_key(index: int, max_frames: int, cadence: int) -> bool:
    """Say whether a frame is diffused under a cadence.

    Parameters
    ----------
    index : int
        Shot index (0-based).
    max_frames : int
        The shot's length, frames.
    cadence : int
        Diffuse every ``cadence``-th frame, at least 1.

    Returns
    -------
    bool
        True for multiples of ``cadence`` and for the last frame.

    Raises
    ------
    render.errors.SettingsError
        A cadence or length below 1.
    """
    _check(cadence, max_frames)
    return index % cadence == 0 or index == max_frames - 1


def key_frames(max_frames: int, cadence: int) -> list[int]:
    """List a shot's key frames.

    Parameters
    ----------
    max_frames : int
        The shot's length, frames.
    cadence : int
        At least 1.

    Returns
    -------
    list of int
        Every multiple of ``cadence`` below ``max_frames``, and ``max_frames - 1``.

    Raises
    ------
    render.errors.SettingsError
        A cadence or length below 1.
    """
    _check(cadence, max_frames)
    return sorted({*range(0, max_frames, cadence), max_frames - 1})


def previous_key(index: int, max_frames: int, cadence: int) -> int:
    """The key frame at or before a frame.

    Parameters
    ----------
    index : int
        Shot index, in ``[0, max_frames)``.
    max_frames : int
        The shot's length.
    cadence : int
        At least 1.

    Returns
    -------
    int
        ``index`` if it is a key, else the multiple of ``cadence`` below it.

    Raises
    ------
    render.errors.SettingsError
        A cadence or length below 1.
    """
    _check(cadence, max_frames)
    return index if is_key(index, max_frames, cadence) else index - index % cadence


def next_key(index: int, max_frames: int, cadence: int) -> int:
    """The key frame at or after a frame.

    Parameters
    ----------
    index : int
        Shot index, in ``[0, max_frames)``.
    max_frames : int
        The shot's length.
    cadence : int
        At least 1.

    Returns
    -------
    int
        ``index`` if it is a key, else the next multiple of ``cadence`` or the last frame.

    Raises
    ------
    render.errors.SettingsError
        A cadence or length below 1.
    """
    _check(cadence, max_frames)
    if is_key(index, max_frames, cadence):
        return index
    return min(index - index % cadence + cadence, max_frames - 1)


# -- flows --------------------------------------------------------------------------------
def flows_2d(cameras: Sequence[Camera], m: int, width: int, height: int) -> tuple[Flow, Flow]:
    """Exact flows from an in-between of a 2D shot to its two keys.

    Parameters
    ----------
    cameras : Sequence[Mapping[str, float]]
        The cameras of frames ``k0 + 1 .. k1``.
    m : int
        The in-between is frame ``k0 + m``, ``0 < m < len(cameras)``.
    width, height : int
        Frame size, pixels.

    Returns
    -------
    flow_a : numpy.ndarray
        ``(H, W, 2)`` float32 pixels from frame ``k0 + m`` to ``k0``.
    flow_b : numpy.ndarray
        The same to ``k1``.
    """
    from render.motion import chain_2d, flow_from_matrix

    to_j = chain_2d(cameras[:m], width, height)  # k0 -> j
    to_b = chain_2d(cameras[m:], width, height)  # j -> k1
    return flow_from_matrix(np.linalg.inv(to_j), width, height), flow_from_matrix(to_b, width, height)


def _invalid_along(step: Flow, rest_invalid: npt.NDArray[np.bool_] | None) -> npt.NDArray[np.bool_]:
    """Out of frame after ``step`` or, read through it, invalid further on."""
    from render.flow import warp
    from render.motion import out_of_frame

    bad = out_of_frame(step)
    if rest_invalid is not None:
        bad |= warp(rest_invalid.astype(np.float32), step, border="replicate") > 0
    return bad


Bool = npt.NDArray[np.bool_]


def _backward_chain(depth: npt.NDArray[np.floating], cameras: Sequence[Camera]) -> list[tuple[Flow, Bool, Flow]]:
    """For m = 0..len(cameras): the flow from frame k0+m to k0, where it is invalid, and k0's depth carried to k0+m."""
    from render.flow import warp
    from render.motion import backward_3d, compose

    d0 = np.asarray(depth, dtype=np.float32)
    h, w = d0.shape
    out = [(np.zeros((h, w, 2), np.float32), np.zeros((h, w), bool), d0)]
    for cam in cameras:
        flow, bad, d = out[-1]
        step = backward_3d(d, cam)  # frame k0+m -> k0+m-1, read with that frame's (carried) depth
        total = compose(step, flow)
        bad_new = _invalid_along(step, bad)
        out.append((total, bad_new, warp(d0, total, border="replicate")))
    return out


def flows_3d(depth: npt.NDArray[np.floating], cameras: Sequence[Camera],
             m: int) -> tuple[Flow, Flow, Bool, Bool, npt.NDArray[np.float32]]:
    """Flows from an in-between of a 3D shot to its two keys, from the first key's depth.

    The flow to ``k0`` composes the backward flows of frames ``k0 + m .. k0 + 1``, each
    with ``k0``'s depth carried to its frame; the flow to ``k1`` composes the forward
    flows of frames ``k0 + m .. k1 - 1`` (:func:`render.motion.forward_3d`) likewise.

    Parameters
    ----------
    depth : numpy.ndarray
        ``(H, W)`` depth of key ``k0``, Disco Diffusion's units.
    cameras : Sequence[Mapping[str, float]]
        The cameras of frames ``k0 + 1 .. k1``.
    m : int
        The in-between is frame ``k0 + m``, ``0 < m < len(cameras)``.

    Returns
    -------
    flow_a, flow_b : numpy.ndarray
        ``(H, W, 2)`` float32 pixels from frame ``k0 + m`` to ``k0`` and to ``k1``.
    invalid_a, invalid_b : numpy.ndarray
        ``(H, W)`` bool, where the flow leaves the frame on the way.
    depth_m : numpy.ndarray
        ``(H, W)`` float32, ``k0``'s depth carried to frame ``k0 + m``.
    """
    from render.motion import compose, forward_3d

    chain = _backward_chain(depth, cameras[:-1])  # frames k0 .. k1 - 1: flows to k0 and carried depths
    flow_a, bad_a, d_m = chain[m]
    flow_b: Flow | None = None
    bad_b: npt.NDArray[np.bool_] | None = None
    for i in range(len(cameras) - 1, m - 1, -1):  # g_i = compose(forward_i, g_{i+1}), frames k1-1 .. k0+m
        step = forward_3d(chain[i][2], cameras[i])  # frame k0+i -> k0+i+1 (camera of frame k0+i+1)
        bad_b = _invalid_along(step, bad_b)
        flow_b = step if flow_b is None else compose(step, flow_b)
    assert flow_b is not None and bad_b is not None
    return flow_a, flow_b, bad_a, bad_b, d_m


def flows_video(estimator: FlowEstimator, plate_j: npt.NDArray[np.floating], plate_a: npt.NDArray[np.floating],
                plate_b: npt.NDArray[np.floating]) -> tuple[Flow, Flow, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Estimated flows from an in-between of a Video shot to its keys, with where they hold.

    Parameters
    ----------
    estimator : render.flow.FlowEstimator
        The shot's flow (``flow_model``).
    plate_j, plate_a, plate_b : numpy.ndarray
        ``(H, W, 3)`` display-referred plate frames in [0, 1] of the in-between and the two
        keys.

    Returns
    -------
    flow_a, flow_b : numpy.ndarray
        ``(H, W, 2)`` float32 pixels from frame ``j`` to key ``k0`` and to ``k1``.
    valid_a, valid_b : numpy.ndarray
        ``(H, W)`` bool: in the frame and through the forward-backward check
        (:func:`render.flow.consistency_mask`, Sundaram et al. 2010).
    """
    from render.flow import consistency_mask

    fa, fb = estimator(plate_j, plate_a), estimator(plate_j, plate_b)
    return fa, fb, consistency_mask(fa, estimator(plate_a, plate_j)), consistency_mask(fb, estimator(plate_b, plate_j))


def chain_flows(flows: Sequence[Flow], reliable: Sequence[Bool | None] | None = None) -> tuple[Flow, Bool | None]:
    """Compose a run of ``flow21`` flows (frame ``i`` to ``i - 1``) into one, newest first.

    Parameters
    ----------
    flows : Sequence[numpy.ndarray]
        ``[flow(k1 -> k1 - 1), ..., flow(k0 + 1 -> k0)]``, each ``(H, W, 2)``.
    reliable : Sequence[numpy.ndarray or None] or None, optional
        Where each holds (same order); None: not checked.

    Returns
    -------
    flow : numpy.ndarray
        ``(H, W, 2)`` float32 from frame ``k1`` to ``k0``.
    reliable : numpy.ndarray or None
        ``(H, W)`` bool, where every step holds along the way; None when not given.
    """
    from render.flow import warp
    from render.motion import compose

    if not flows:
        raise SettingsError("chain_flows needs at least one flow")
    total = np.asarray(flows[-1], dtype=np.float32)
    rel = None if reliable is None or reliable[-1] is None else np.asarray(reliable[-1], bool)
    for i in range(len(flows) - 2, -1, -1):
        step = np.asarray(flows[i], dtype=np.float32)
        total = compose(step, total)
        if rel is not None and reliable is not None and reliable[i] is not None:
            rel = np.asarray(reliable[i], bool) & (warp(rel.astype(np.float32), step, border="replicate") >= 1.0)
    return total, rel


# -- frames -------------------------------------------------------------------------------
def _hwc(t: torch.Tensor) -> npt.NDArray[np.float32]:
    return np.ascontiguousarray(t[0].detach().float().cpu().permute(1, 2, 0).numpy())


def _nchw(a: npt.NDArray[np.floating]) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).permute(2, 0, 1)[None]


def resample(image: torch.Tensor, flow: Flow, sampling_mode: str = "bicubic", padding_mode: str = "border") -> torch.Tensor:
    """Backward warp ``image(x + flow(x))`` by ``grid_sample``, as :func:`render.camera.warp_3d` resamples.

    Parameters
    ----------
    image : torch.Tensor
        ``(N, C, H, W)`` floating point.
    flow : numpy.ndarray
        ``(H, W, 2)`` pixels, :mod:`render.flow` conventions.
    sampling_mode : {"bicubic", "bilinear", "nearest"}, optional
        ``grid_sample``'s ``mode``. Default ``"bicubic"``.
    padding_mode : {"border", "reflection", "zeros"}, optional
        ``grid_sample``'s padding. Default ``"border"``.

    Returns
    -------
    torch.Tensor
        ``image``'s shape, dtype and device (``align_corners=False``: pixel centres at
        ``(2 x + 1) / W - 1``).
    """
    import torch.nn.functional as F

    _, _, h, w = image.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    gx = (2.0 * (x + flow[..., 0]) + 1.0) / w - 1.0
    gy = (2.0 * (y + flow[..., 1]) + 1.0) / h - 1.0
    grid = torch.from_numpy(np.stack([gx, gy], axis=2)[None]).to(image.device, image.dtype)
    return F.grid_sample(image, grid, mode=sampling_mode, padding_mode=padding_mode, align_corners=False)


def key_init(mode: str, previous: torch.Tensor, cameras: Sequence[Camera], *, depth: torch.Tensor | None = None,
             border: str = "wrap", sampling_mode: str = "bicubic", padding_mode: str = "border") -> torch.Tensor:
    """The previous key frame moved by the camera over every frame up to the next key, in one resample.

    Parameters
    ----------
    mode : {"2D", "3D"}
        The animation mode.
    previous : torch.Tensor
        Key ``k0`` as the loop holds it, ``(1, C, H, W)``.
    cameras : Sequence[Mapping[str, float]]
        The cameras of frames ``k0 + 1 .. k1``.
    depth : torch.Tensor or None, optional
        3D: ``(H, W)`` depth of ``k0``. Default None.
    border : str, optional
        2D border (:func:`render.camera.warp_2d`). Default ``"wrap"``.
    sampling_mode, padding_mode : str, optional
        3D resampling (:func:`render.camera.warp_3d`). Defaults ``"bicubic"``, ``"border"``.

    Returns
    -------
    torch.Tensor
        ``previous``'s shape, dtype and device: key ``k1``'s init.

    Raises
    ------
    render.errors.SettingsError
        Another mode, or 3D without depth.
    """
    _, _, h, w = previous.shape
    if mode == "2D":
        from render.camera import warp_matrix_2d
        from render.motion import chain_2d

        return warp_matrix_2d(previous, chain_2d(cameras, w, h), border)
    if mode != "3D" or depth is None:
        raise SettingsError(f"a key frame's init moves by the camera in 2D and 3D (with depth), not in {mode!r}")
    flow = _backward_chain(depth.detach().float().cpu().numpy(), cameras)[-1][0]
    with torch.no_grad():
        return resample(previous, flow, sampling_mode, padding_mode)


def inbetween_frame(a: torch.Tensor, b: torch.Tensor, t: float, flow_a: Flow, flow_b: Flow,
                    valid_a: npt.NDArray[np.bool_] | None, valid_b: npt.NDArray[np.bool_] | None) -> torch.Tensor:
    """:func:`render.inbetween.inbetween` on the loop's tensors.

    Parameters
    ----------
    a, b : torch.Tensor
        Keys ``k0`` and ``k1``, ``(1, C, H, W)`` (any range: the blend is linear).
    t : float
        ``(j - k0) / (k1 - k0)``, in (0, 1).
    flow_a, flow_b : numpy.ndarray
        ``(H, W, 2)`` pixels from frame ``j`` to each key.
    valid_a, valid_b : numpy.ndarray or None
        ``(H, W)`` where each side sees the pixel; None: everywhere.

    Returns
    -------
    torch.Tensor
        ``(1, C, H, W)`` float32 on the CPU.
    """
    from render.inbetween import inbetween

    return _nchw(inbetween(_hwc(a), _hwc(b), flow_a, flow_b, t, valid_a, valid_b))
