"""The exact motion of chroma's 2D and 3D cameras, per pixel, as flows and Nuke vectors.

chroma made every camera move of a 2D or 3D shot, so it knows where each pixel goes; this
module turns a frame's camera (the ``FrameInput.camera`` mapping of
:mod:`render.animation`) into flow fields in :mod:`render.flow`'s conventions: ``(H, W, 2)``
float32, pixels, x to the right, y **down**, pixel centres at integer positions.

For frame ``i``:

- **backward** ``b_i(x)``: where the content at ``x`` was in frame ``i - 1``, minus ``x``,
  so ``warp(frame[i - 1], b_i)`` is frame ``i``'s warped init (:func:`render.flow.warp`).
  2D: ``M_i^-1 x - x`` (``M_i`` = :func:`render.camera.matrix_2d` of frame ``i``'s
  camera; :func:`render.camera.warp_2d` reads the previous frame at ``M_i^-1 x``). 3D:
  ``-offset_3d(depth[i - 1], camera_i)`` in pixels, the very positions
  :func:`render.camera.warp_3d` reads.
- **forward** ``f_i(x)``: where the content at ``x`` goes in frame ``i + 1``, minus ``x``.
  2D: ``M_{i+1} x - x``. 3D: the inverse of frame ``i + 1``'s warp, the ``f`` with
  ``f(x) = offset_3d(depth[i], camera_{i+1})(x + f(x))`` in pixels (:func:`forward_3d`),
  so the two agree as the frames do.

Nuke's ``forward`` and ``backward`` layers hold the same vectors with y **up**
(:func:`nuke_layers`); Foundry's VectorGenerator documents them as the offsets that warp
the next (forward) or previous (backward) frame onto the current one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from render.errors import SettingsError
from render.settings import AnimationSettings

__all__ = [
    "NUKE_CHANNELS",
    "backward_2d",
    "backward_3d",
    "chain_2d",
    "compose",
    "flow_from_matrix",
    "forward_2d",
    "forward_3d",
    "matrix_for",
    "nuke_layers",
    "occluded",
    "out_of_frame",
]

#: The EXR channels of :func:`nuke_layers`, in the order they are written.
NUKE_CHANNELS = ("forward.u", "forward.v", "backward.u", "backward.v")

Flow = npt.NDArray[np.float32]
_REST = AnimationSettings.schedule_defaults()  # a camera at rest: zoom 1, no move, DD's lens


def _camera(camera: Mapping[str, float]) -> dict[str, float]:
    return {**_REST, **camera}  # a missing key: no move on its axis (as render.animation)


def matrix_for(camera: Mapping[str, float], width: int, height: int) -> npt.NDArray[np.float64]:
    """The 2D move of a frame's camera as a 3x3 matrix (output from input pixel positions).

    Parameters
    ----------
    camera : Mapping[str, float]
        ``angle`` (degrees), ``zoom``, ``translation_x``, ``translation_y`` (pixels); a
        missing key means no move.
    width, height : int
        Frame size in pixels.

    Returns
    -------
    numpy.ndarray
        ``(3, 3)`` float64, :func:`render.camera.matrix_2d`.
    """
    from render.camera import matrix_2d

    c = _camera(camera)
    m = matrix_2d(c["angle"], c["zoom"], c["translation_x"], c["translation_y"], width, height)
    return np.asarray(m[0].numpy(), dtype=np.float64)


def flow_from_matrix(matrix: npt.NDArray[np.floating], width: int, height: int) -> Flow:
    """The flow ``x -> M x - x`` of a 3x3 matrix over a frame's pixel centres.

    Parameters
    ----------
    matrix : numpy.ndarray
        ``(3, 3)``, acting on ``(x, y, 1)`` pixel positions (homogeneous; divided by the
        third coordinate).
    width, height : int
        Frame size in pixels.

    Returns
    -------
    numpy.ndarray
        ``(height, width, 2)`` float32, computed in float64.

    Raises
    ------
    render.errors.SettingsError
        A matrix that is not 3x3 or not finite.
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (3, 3) or not np.isfinite(m).all():
        raise SettingsError(f"a 2D move needs a finite 3x3 matrix, got shape {m.shape}")
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    wz = m[2, 0] * x + m[2, 1] * y + m[2, 2]
    u = (m[0, 0] * x + m[0, 1] * y + m[0, 2]) / wz - x
    v = (m[1, 0] * x + m[1, 1] * y + m[1, 2]) / wz - y
    return np.stack([u, v], axis=2).astype(np.float32)


def backward_2d(camera: Mapping[str, float], width: int, height: int) -> Flow:
    """Frame ``i``'s backward motion in 2D: ``M_i^-1 x - x``.

    Parameters
    ----------
    camera : Mapping[str, float]
        Frame ``i``'s camera (the move from frame ``i - 1``).
    width, height : int
        Frame size in pixels.

    Returns
    -------
    numpy.ndarray
        ``(height, width, 2)`` float32 pixels, y down.

    Raises
    ------
    render.errors.SettingsError
        A move that cannot be inverted (zoom 0).
    """
    m = matrix_for(camera, width, height)
    if abs(np.linalg.det(m)) == 0.0:
        raise SettingsError("a 2D move with zoom 0 has no inverse")
    return flow_from_matrix(np.linalg.inv(m), width, height)


def forward_2d(next_camera: Mapping[str, float], width: int, height: int) -> Flow:
    """Frame ``i``'s forward motion in 2D: ``M_{i+1} x - x``.

    Parameters
    ----------
    next_camera : Mapping[str, float]
        Frame ``i + 1``'s camera.
    width, height : int
        Frame size in pixels.

    Returns
    -------
    numpy.ndarray
        ``(height, width, 2)`` float32 pixels, y down.
    """
    return flow_from_matrix(matrix_for(next_camera, width, height), width, height)


def chain_2d(cameras: Sequence[Mapping[str, float]], width: int, height: int) -> npt.NDArray[np.float64]:
    """The 2D move over several frames: ``M_k ... M_{j+1}`` for the cameras of frames ``j+1..k``.

    Parameters
    ----------
    cameras : Sequence[Mapping[str, float]]
        The cameras of frames ``j + 1`` to ``k``, in order (empty: the identity).
    width, height : int
        Frame size in pixels.

    Returns
    -------
    numpy.ndarray
        ``(3, 3)`` float64: frame ``j``'s pixel positions to frame ``k``'s. The flow from
        frame ``k`` back to frame ``j`` is ``flow_from_matrix(inv(chain))``; from ``j`` on to
        ``k``, ``flow_from_matrix(chain)``.
    """
    out = np.eye(3)
    for camera in cameras:
        out = matrix_for(camera, width, height) @ out
    return out


def _offset_pixels(depth: npt.NDArray[np.floating], camera: Mapping[str, float]) -> Flow:
    import torch

    from render.camera import offset_3d

    d = np.asarray(depth, dtype=np.float32)
    if d.ndim != 2:
        raise SettingsError(f"depth must be an (H, W) array, got shape {d.shape}")
    h, w = d.shape
    c = _camera(camera)
    off = offset_3d(torch.from_numpy(np.ascontiguousarray(d))[None],
                    (c["translation_x"], c["translation_y"], c["translation_z"]),
                    (c["rotation_3d_x"], c["rotation_3d_y"], c["rotation_3d_z"]),
                    c["fov"], c["near_plane"], c["far_plane"])[0].double().numpy()
    # grid_sample's units (align_corners=False): one unit is w / 2 pixels in x, h / 2 in y
    return (off * np.array([w / 2.0, h / 2.0])).astype(np.float32)


def backward_3d(previous_depth: npt.NDArray[np.floating], camera: Mapping[str, float]) -> Flow:
    """Frame ``i``'s backward motion in 3D: where :func:`render.camera.warp_3d` read frame ``i - 1``.

    Parameters
    ----------
    previous_depth : numpy.ndarray
        ``(H, W)`` depth of frame ``i - 1`` in Disco Diffusion's units.
    camera : Mapping[str, float]
        Frame ``i``'s camera (``translation_x/y/z``, ``rotation_3d_x/y/z``, ``fov``, planes).

    Returns
    -------
    numpy.ndarray
        ``(H, W, 2)`` float32 pixels, y down.

    Raises
    ------
    render.errors.SettingsError
        A depth that is not 2D, or a lens out of range.
    """
    return -_offset_pixels(previous_depth, camera)


def forward_3d(depth: npt.NDArray[np.floating], next_camera: Mapping[str, float],
               tolerance: float = 1e-4, max_iterations: int = 50) -> Flow:
    """Frame ``i``'s forward motion in 3D: where the next frame's warp puts each pixel's content.

    Frame ``i + 1``'s init reads frame ``i`` at ``y - offset(y)`` (:func:`backward_3d` with
    frame ``i``'s depth), so the content at ``x`` lands at the ``y`` with
    ``y - offset(y) = x``: ``f(x) = offset(x + f(x))``, solved by fixed-point iteration
    from the projected motion of the point at ``x`` (``offset(x)``, bilinear between pixel
    centres). This is the exact inverse of the warp chroma applies, so forward and
    backward vectors agree to the tolerance (Disco Diffusion's warp inverts the points'
    projected motion only to first order: on zoom-like moves the two differ by up to a
    third of the motion). Where the next frame's warp folds (it reads one place twice:
    content it covers), the iteration settles on one of the places.

    Parameters
    ----------
    depth : numpy.ndarray
        ``(H, W)`` depth of frame ``i`` in Disco Diffusion's units.
    next_camera : Mapping[str, float]
        Frame ``i + 1``'s camera.
    tolerance : float, optional
        Stop when no vector changes by more than this many pixels. Default 1e-4.
    max_iterations : int, optional
        At most this many iterations. Default 50.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 2)`` float32 pixels, y down.

    Raises
    ------
    render.errors.SettingsError
        A depth that is not 2D, or a lens out of range.
    """
    from render.flow import warp

    offset = _offset_pixels(depth, next_camera)
    f = offset
    for _ in range(max_iterations):  # cv2.remap: fast, positions rounded to 1/32 pixel
        nxt = warp(offset, f, border="replicate")
        done = float(np.abs(nxt - f).max(initial=0.0)) <= tolerance
        f = nxt
        if done:
            break
    for _ in range(2):  # then at the exact positions, so the 1/32 pixel rounding does not stay in
        f = _bilinear(offset, f)
    return np.asarray(f, dtype=np.float32)


def _bilinear(field: Flow, flow: npt.NDArray[np.floating]) -> Flow:
    """``field(x + flow(x))``, bilinear at the exact positions, edge-replicated (scipy)."""
    from scipy.ndimage import map_coordinates

    h, w = flow.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    coords = np.stack([y + flow[..., 1], x + flow[..., 0]])
    return np.stack([map_coordinates(field[..., k].astype(np.float64), coords, order=1, mode="nearest")
                     for k in range(2)], axis=2).astype(np.float32)


def compose(first: npt.NDArray[np.floating], second: npt.NDArray[np.floating]) -> Flow:
    """Two flows one after the other: ``x -> x + first(x) -> + second(x + first(x))``.

    Parameters
    ----------
    first : numpy.ndarray
        ``(H, W, 2)`` flow from frame A to frame B.
    second : numpy.ndarray
        ``(H, W, 2)`` flow from frame B to frame C.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 2)`` float32, the flow from A to C (``second`` sampled bilinearly,
        edge-replicated outside the frame).
    """
    from render.flow import warp

    f = np.asarray(first, dtype=np.float32)
    return f + warp(np.asarray(second, dtype=np.float32), f, border="replicate")


def out_of_frame(flow: npt.NDArray[np.floating]) -> npt.NDArray[np.bool_]:
    """Where a flow leads outside the frame (no content there to read).

    Parameters
    ----------
    flow : numpy.ndarray
        ``(H, W, 2)`` pixels.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool, True where ``x + flow(x)`` is beyond the outermost pixel centres.
    """
    from render.flow import in_frame

    return ~in_frame(flow)


def occluded(backward: npt.NDArray[np.floating], previous_forward: npt.NDArray[np.floating] | None = None,
             tolerance: float = 0.5) -> npt.NDArray[np.float32]:
    """Frame ``i``'s ``occlusion`` channel: 1 where its content was not in frame ``i - 1``.

    A pixel is occluded when its backward vector leads outside frame ``i - 1``, or (given
    frame ``i - 1``'s forward vectors) when going back and forth does not return within
    ``tolerance`` pixels (:func:`render.flow.consistency_mask` with ``alpha1 = 0``): content
    that the move disoccluded.

    Parameters
    ----------
    backward : numpy.ndarray
        ``(H, W, 2)`` frame ``i``'s backward flow.
    previous_forward : numpy.ndarray or None, optional
        ``(H, W, 2)`` frame ``i - 1``'s forward flow. Default None: the frame-edge test only.
    tolerance : float, optional
        Pixels. Default 0.5.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` float32, 1.0 occluded, 0.0 seen in frame ``i - 1``.
    """
    mask = out_of_frame(backward)
    if previous_forward is not None:
        from render.flow import consistency_mask

        mask |= ~consistency_mask(backward, previous_forward, alpha1=0.0, alpha2=tolerance**2)
    return mask.astype(np.float32)


def nuke_layers(forward: npt.NDArray[np.floating] | None, backward: npt.NDArray[np.floating] | None) -> dict[str, Flow]:
    """Nuke's ``forward`` and ``backward`` motion layers from flows (y down to y up).

    Parameters
    ----------
    forward, backward : numpy.ndarray or None
        ``(H, W, 2)`` flows in pixels, y down; None leaves that layer out.

    Returns
    -------
    dict of str to numpy.ndarray
        ``"forward.u"``, ``"forward.v"``, ``"backward.u"``, ``"backward.v"`` (those given),
        each ``(H, W)`` float32 pixels per frame: ``u`` to the right, ``v`` **up** (Nuke's
        y axis), so ``v = -flow[..., 1]``.
    """
    out: dict[str, Flow] = {}
    for name, flow in (("forward", forward), ("backward", backward)):
        if flow is not None:
            f = np.asarray(flow, dtype=np.float32)
            out[f"{name}.u"] = np.ascontiguousarray(f[..., 0])
            out[f"{name}.v"] = np.ascontiguousarray(-f[..., 1])
    return out
