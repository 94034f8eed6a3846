"""Camera moves between animation frames: Disco Diffusion v5's 2D and 3D warps, and symmetry.

Pure torch functions on batches of images ``(N, C, H, W)`` (any range: the warps are
linear), on any device, without gradients. Every per-frame parameter may be a Python
number or a ``(N,)`` tensor/array (one value per sample).

2D (:func:`warp_2d`)
    Disco Diffusion builds ``M = R @ T`` with ``T = [[1, 0, tx], [0, 1, ty], [0, 0, 1]]``
    (``tx``, ``ty`` in pixels, as float32) and ``R`` = OpenCV's
    ``getRotationMatrix2D(center=(w // 2, h // 2), angle, zoom)``::

        alpha = zoom cos(angle), beta = zoom sin(angle)        (angle in degrees, CCW)
        R = [[ alpha, beta, (1 - alpha) cx - beta cy],
             [-beta,  alpha, beta cx + (1 - alpha) cy],
             [ 0,     0,     1                      ]]

    and resamples with ``cv2.warpPerspective(img, M, (w, h), borderMode=BORDER_WRAP)``:
    output pixel ``(x, y)`` (pixel centres at integer coordinates) reads the input at
    ``M^-1 (x, y, 1)`` with bilinear weights, each of the four taps wrapped around the
    image. Here the coordinates are computed in float64 and the taps gathered in torch;
    OpenCV is not needed. Older OpenCV builds round the source position to 1/32 pixel
    before interpolating; the project's reference (``warp_golden.npz``) interpolates at
    the exact position, as this module does.

3D (:func:`warp_3d`)
    ``disco_xform_utils.transform_image_3d`` with pytorch3d's conventions (written out
    here, no pytorch3d): a pixel at ``(x, y)`` in ``[-1, 1]`` (``linspace`` over width and
    height, i.e. corner-aligned) with depth ``z`` is the 3D point ``(x, y, z)``. Points are
    row vectors; a camera with rotation ``R`` and translation ``T`` maps a point ``p`` to
    view space as ``p R + T`` (Hartley-Zisserman, as pytorch3d), then projects it with
    pytorch3d's ``FoVPerspectiveCameras`` matrix (see :func:`fov_perspective_matrix`) and
    divides by the view-space ``z``. The old camera is ``R = I, T = 0``; the new one has
    ``R = euler_angles_to_matrix(radians(rotation), "XYZ")`` and
    ``T = (-tx, ty, -tz) / 200`` (DD's ``TRANSLATION_SCALE``). The image is resampled by
    ``grid_sample(align_corners=False)`` at the identity grid minus the projected offset
    ``new_xy - old_xy``. Only the x and y rows of the projection matter, so ``near`` and
    ``far`` do not change the result (they set the projected z, which is not used).

Symmetry (:func:`apply_symmetry`, :func:`symmetry_steps`)
    DD's ``symmetry_transformation_fn`` mirrors the left half onto the right (horizontal)
    and/or the top half onto the bottom (vertical) of the *noisy sample* ``x_t``, inside the
    sampling loop, before the steps that :func:`symmetry_steps` lists (its DDIM loop only).

References
----------
- Disco Diffusion v5.x, ``disco.py`` (``do_run``: the 2D warp; ``do_3d_step``;
  ``symmetry_transformation_fn``) and ``disco_xform_utils.py`` (``transform_image_3d``),
  github.com/alembics/disco-diffusion.
- kostarion/guided-diffusion, ``ddim_sample_loop_progressive`` (``transformation_steps``).
- OpenCV, ``getRotationMatrix2D`` and ``warpPerspective`` documentation (imgproc,
  geometric transformations).
- pytorch3d (as vendored by DD in ``py3d_tools.py``): ``euler_angles_to_matrix``,
  ``FoVPerspectiveCameras.compute_projection_matrix``, ``get_world_to_view_transform``.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F

from render.errors import SettingsError

__all__ = [
    "TRANSLATION_SCALE",
    "BORDER_MODES",
    "PADDING_MODES",
    "SAMPLING_MODES",
    "warp_2d",
    "warp_matrix_2d",
    "matrix_2d",
    "warp_3d",
    "offset_3d",
    "euler_angles_to_matrix",
    "fov_perspective_matrix",
    "apply_symmetry",
    "symmetry_steps",
]

#: DD's scale from its 3D translation units to pytorch3d world units (``1 / 200``).
TRANSLATION_SCALE = 1.0 / 200.0
#: 2D border handling: ``wrap`` (DD, ``cv2.BORDER_WRAP``), ``border`` (replicate the edge
#: pixel, ``cv2.BORDER_REPLICATE``), ``reflect`` (mirror about the edge pixel's centre,
#: ``cv2.BORDER_REFLECT_101``, numpy's ``"reflect"``).
BORDER_MODES = ("wrap", "border", "reflect")
#: 3D padding modes (``torch.nn.functional.grid_sample``'s).
PADDING_MODES = ("border", "reflection", "zeros")
#: 3D resampling modes (``grid_sample``'s).
SAMPLING_MODES = ("bicubic", "bilinear", "nearest")

Param = Union[float, int, np.ndarray, torch.Tensor, Sequence[float]]


# -- helpers -----------------------------------------------------------------------------
def _check_image(image: torch.Tensor) -> tuple[int, int, int, int]:
    if not isinstance(image, torch.Tensor) or image.dim() != 4:
        shape = tuple(image.shape) if hasattr(image, "shape") else type(image).__name__
        raise ValueError(f"image must be a (N, C, H, W) tensor, got {shape}")
    if not image.is_floating_point():
        raise ValueError(f"image must be a floating-point tensor, got {image.dtype}")
    n, c, h, w = image.shape
    return n, c, h, w


def _per_sample(value: Param, n: int, name: str, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``value`` as a CPU tensor of shape ``(n,)``: a scalar is repeated, a ``(n,)`` kept."""
    t = torch.as_tensor(np.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value, dtype=np.float64))
    if t.dim() == 0:
        return t.to(dtype).expand(n).clone()
    t = t.reshape(-1)
    if t.numel() == 1:
        return t.to(dtype).expand(n).clone()
    if t.numel() != n:
        raise ValueError(f"{name} must be a number or hold one value per sample ({n}), got {t.numel()} values")
    return t.to(dtype)


def _coord_dtype(device: torch.device) -> torch.dtype:
    # Apple's MPS has no float64; everything else computes source positions in float64.
    return torch.float32 if device.type == "mps" else torch.float64


def _fold(pos: torch.Tensor, size: int, mode: str, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Bilinear weight and first tap of source positions folded into the image by ``mode``.

    Folding the continuous position equals folding each of the two taps: ``wrap`` is
    periodic with period ``size``; ``border`` clamps to ``[0, size - 1]`` (both taps then
    read the edge pixel); ``reflect`` mirrors about the edge pixels' centres (period
    ``2 (size - 1)``). Returns ``(frac, tap0)`` with ``tap0`` an integer-valued float in
    ``[0, size - 1]``; the second tap ``tap0 + 1`` may be ``size`` (the padding line).
    """
    if mode == "wrap":
        pos = pos - size * torch.floor(pos / size)
    elif mode == "border" or size == 1:
        pos = pos.clamp(0, size - 1)
    else:  # reflect
        period = 2 * (size - 1)
        pos = pos - period * torch.floor(pos / period)
        pos = torch.where(pos > size - 1, period - pos, pos)
    # wrap: a position just below 0 can round up to exactly ``size``; its tap is the last
    # pixel with weight 1 on the padding line (= pixel 0)
    tap0 = torch.floor(pos).clamp_(max=size - 1)
    return (pos - tap0).to(dtype).unsqueeze(1), tap0


# -- 2D ----------------------------------------------------------------------------------
def matrix_2d(
    angle: Param, zoom: Param, translation_x: Param, translation_y: Param, width: int, height: int, n: int = 1
) -> torch.Tensor:
    """DD's 2D transformation matrix ``M = R @ T`` (output from input pixel positions).

    Parameters
    ----------
    angle : number or (N,)
        Rotation in degrees, counter-clockwise on screen (OpenCV's convention).
    zoom : number or (N,)
        Scale about the centre (``> 1`` zooms in).
    translation_x, translation_y : number or (N,)
        Translation in pixels (applied before the rotation and zoom, as DD). Cast to
        float32 first, as DD's ``np.float32`` matrix does.
    width, height : int
        Image size in pixels; the centre is ``(width // 2, height // 2)``.
    n : int, optional
        Batch size that scalar parameters are repeated to. Default 1.

    Returns
    -------
    torch.Tensor
        ``(N, 3, 3)`` float64 on the CPU.

    Raises
    ------
    ValueError
        If a parameter holds neither one value nor ``n`` values.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``, ``do_run`` (2D animation); OpenCV
    ``getRotationMatrix2D``.
    """
    a = torch.deg2rad(_per_sample(angle, n, "angle"))
    s = _per_sample(zoom, n, "zoom")
    tx = _per_sample(translation_x, n, "translation_x", torch.float32).double()
    ty = _per_sample(translation_y, n, "translation_y", torch.float32).double()
    cx, cy = float(width // 2), float(height // 2)
    alpha, beta = s * torch.cos(a), s * torch.sin(a)
    zero, one = torch.zeros_like(a), torch.ones_like(a)
    rot = torch.stack(
        [
            torch.stack([alpha, beta, (1 - alpha) * cx - beta * cy], -1),
            torch.stack([-beta, alpha, beta * cx + (1 - alpha) * cy], -1),
            torch.stack([zero, zero, one], -1),
        ],
        -2,
    )
    trans = torch.stack(
        [torch.stack([one, zero, tx], -1), torch.stack([zero, one, ty], -1), torch.stack([zero, zero, one], -1)], -2
    )
    return rot @ trans


@torch.no_grad()
def warp_2d(
    image: torch.Tensor,
    angle: Param = 0.0,
    zoom: Param = 1.0,
    translation_x: Param = 0.0,
    translation_y: Param = 0.0,
    border: str = "wrap",
) -> torch.Tensor:
    """Disco Diffusion's 2D camera move: translate, then rotate and zoom about the centre.

    The centre is pixel ``(w // 2, h // 2)``; the image is resampled bilinearly as
    ``cv2.warpPerspective`` does (see the module docstring).

    Parameters
    ----------
    image : torch.Tensor
        ``(N, C, H, W)`` floating point, any range (the warp is linear).
    angle : number or (N,), optional
        Degrees, counter-clockwise. Default 0.
    zoom : number or (N,), optional
        Scale factor (DD's ``zoom``; 1 = none). Default 1.
    translation_x, translation_y : number or (N,), optional
        Pixels; positive x moves the picture right, positive y down. Default 0.
    border : {"wrap", "border", "reflect"}, optional
        How taps outside the image read: ``wrap`` (DD: ``cv2.BORDER_WRAP``, the
        default), ``border`` (edge pixels repeated), ``reflect`` (mirrored about the
        edge pixel).

    Returns
    -------
    torch.Tensor
        Same shape, dtype and device as ``image``. Identity parameters return the input
        values exactly (the source positions are then the integer pixel positions).

    Raises
    ------
    render.errors.SettingsError
        Unknown ``border``, non-finite parameters, or a ``zoom`` of 0 (the move cannot
        be inverted).
    ValueError
        If ``image`` is not a floating-point ``(N, C, H, W)`` tensor, or a parameter
        holds neither one value nor N values.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``, ``do_run``; OpenCV ``warpPerspective``
    (``BORDER_WRAP``, ``BORDER_REPLICATE``, ``BORDER_REFLECT_101``).
    """
    if border not in BORDER_MODES:
        raise SettingsError(f"unknown 2D border mode {border!r}; use one of {', '.join(BORDER_MODES)}")
    n, c, h, w = _check_image(image)
    return warp_matrix_2d(image, matrix_2d(angle, zoom, translation_x, translation_y, w, h, n), border)


@torch.no_grad()
def warp_matrix_2d(image: torch.Tensor, matrix: torch.Tensor | np.ndarray, border: str = "wrap") -> torch.Tensor:
    """Resample an image by any affine move given as a matrix, as :func:`warp_2d` does.

    :func:`warp_2d` is this with :func:`matrix_2d`; a move over several frames (the
    product of their matrices, :func:`render.motion.chain_2d`) is one resample here
    instead of one per frame.

    Parameters
    ----------
    image : torch.Tensor
        ``(N, C, H, W)`` floating point, any range.
    matrix : torch.Tensor or numpy.ndarray
        ``(3, 3)`` or ``(N, 3, 3)`` affine matrix, output from input pixel positions
        (the bottom row ``0 0 1``; it is not read).
    border : {"wrap", "border", "reflect"}, optional
        As :func:`warp_2d`. Default ``"wrap"``.

    Returns
    -------
    torch.Tensor
        Same shape, dtype and device as ``image``.

    Raises
    ------
    render.errors.SettingsError
        Unknown ``border``, or a matrix that is not finite or cannot be inverted.
    ValueError
        If ``image`` is not a floating-point ``(N, C, H, W)`` tensor.
    """
    if border not in BORDER_MODES:
        raise SettingsError(f"unknown 2D border mode {border!r}; use one of {', '.join(BORDER_MODES)}")
    n, c, h, w = _check_image(image)
    m = torch.as_tensor(matrix, dtype=torch.float64)
    m = m.expand(n, 3, 3) if m.dim() == 2 else m
    dev = image.device
    cdt = _coord_dtype(dev)
    # warpPerspective reads the input at M^-1 (x, y, 1) (it inverts M unless WARP_INVERSE_MAP).
    # M is affine, so its inverse is written out: [[A^-1, -A^-1 t], [0, 0, 1]] (no division
    # by the third coordinate, which is exactly 1).
    a, b, tx = m[:, 0, 0], m[:, 0, 1], m[:, 0, 2]
    cc, d, ty = m[:, 1, 0], m[:, 1, 1], m[:, 1, 2]
    det = a * d - b * cc
    if not bool(torch.isfinite(m).all()) or bool((det == 0).any()):
        raise SettingsError("2D move parameters must be finite and zoom must not be 0 (the move cannot be inverted)")
    ia, ib, ic, id_ = d / det, -b / det, -cc / det, a / det
    inv = torch.stack([ia, ib, -(ia * tx + ib * ty), ic, id_, -(ic * tx + id_ * ty)], -1).to(device=dev, dtype=cdt)
    xs = torch.arange(w, device=dev, dtype=cdt).view(1, 1, w)
    ys = torch.arange(h, device=dev, dtype=cdt).view(1, h, 1)
    def _col(i: int) -> torch.Tensor:
        return inv[:, i].view(n, 1, 1)

    sx = (_col(0) * xs + _col(2)) + _col(1) * ys  # (N, H, W) source positions, pixels
    sy = (_col(3) * xs + _col(5)) + _col(4) * ys
    fx, x0 = _fold(sx, w, border, image.dtype)
    fy, y0 = _fold(sy, h, border, image.dtype)
    # One extra column and row hold the second tap of positions in the last pixel: the first
    # column/row for wrap (positions between the last pixel and the wrap-around), the edge
    # otherwise (there the position is at most the last pixel, so that tap has weight 0).
    padded = F.pad(image, (0, 1, 0, 1), mode="circular" if border == "wrap" else "replicate")
    w1 = w + 1
    flat = padded.reshape(n, c, (h + 1) * w1)
    idx = (y0 * w1 + x0).long().view(n, h * w)  # exact: integers below 2**53

    def _tap(offset: int) -> torch.Tensor:
        src = flat[:, :, offset:]
        return torch.stack([src[i].index_select(1, idx[i]) for i in range(n)]).view(n, c, h, w)

    # a + f (b - a): exactly a where f = 0 (integer source positions), so identity is exact
    top = _tap(0)
    top = top + fx * (_tap(1) - top)
    bottom = _tap(w1)
    bottom = bottom + fx * (_tap(w1 + 1) - bottom)
    return top + fy * (bottom - top)


# -- 3D ----------------------------------------------------------------------------------
def euler_angles_to_matrix(angles: torch.Tensor, convention: str = "XYZ") -> torch.Tensor:
    """Rotation matrices from Euler angles, pytorch3d's convention.

    ``R = R_a(angles[..., 0]) @ R_b(angles[..., 1]) @ R_c(angles[..., 2])`` for the
    convention ``"abc"``, with the column-vector rotations about the fixed axes::

        R_X(t) = [[1, 0, 0], [0, cos t, -sin t], [0, sin t, cos t]]
        R_Y(t) = [[cos t, 0, sin t], [0, 1, 0], [-sin t, 0, cos t]]
        R_Z(t) = [[cos t, -sin t, 0], [sin t, cos t, 0], [0, 0, 1]]

    Parameters
    ----------
    angles : torch.Tensor
        ``(..., 3)`` radians.
    convention : str, optional
        Three letters from X, Y, Z, no two neighbours equal (DD uses ``"XYZ"``, the
        default).

    Returns
    -------
    torch.Tensor
        ``(..., 3, 3)``, same dtype and device.

    Raises
    ------
    ValueError
        If ``angles`` is not ``(..., 3)`` or ``convention`` is invalid.

    References
    ----------
    pytorch3d ``transforms/rotation_conversions.py``, ``euler_angles_to_matrix`` (as
    vendored by Disco Diffusion in ``py3d_tools.py``).
    """
    if angles.dim() == 0 or angles.shape[-1] != 3:
        raise ValueError(f"angles must have shape (..., 3), got {tuple(angles.shape)}")
    if len(convention) != 3 or any(ch not in "XYZ" for ch in convention) or convention[1] in (convention[0], convention[2]):
        raise ValueError(f"invalid Euler convention {convention!r}")

    def _axis(letter: str, t: torch.Tensor) -> torch.Tensor:
        co, si = torch.cos(t), torch.sin(t)
        one, zero = torch.ones_like(t), torch.zeros_like(t)
        flat = {
            "X": (one, zero, zero, zero, co, -si, zero, si, co),
            "Y": (co, zero, si, zero, one, zero, -si, zero, co),
            "Z": (co, -si, zero, si, co, zero, zero, zero, one),
        }[letter]
        return torch.stack(flat, -1).reshape(t.shape + (3, 3))

    mats = [_axis(ch, t) for ch, t in zip(convention, torch.unbind(angles, -1))]
    return (mats[0] @ mats[1]) @ mats[2]


def fov_perspective_matrix(
    fov: torch.Tensor, near: torch.Tensor, far: torch.Tensor, aspect_ratio: float = 1.0
) -> torch.Tensor:
    """The projection matrix ``K`` of pytorch3d's ``FoVPerspectiveCameras`` (column-vector form).

    With ``t = tan(fov / 2)`` (``fov`` in degrees, converted in float32 as pytorch3d does)::

        K = [[1 / (t aspect), 0,     0,                   0                     ],
             [0,              1 / t, 0,                   0                     ],
             [0,              0,     far / (far - near), -far near / (far - near)],
             [0,              0,     1,                   0                     ]]

    i.e. a right-handed camera looking down +z; after division by the view-space z,
    x and y land in NDC ``[-1, 1]`` at the edges of the field of view and z in ``[0, 1]``
    between the planes.

    Parameters
    ----------
    fov, near, far : torch.Tensor
        ``(N,)``: vertical field of view in degrees, near and far plane distances in
        world units.
    aspect_ratio : float, optional
        Pixel aspect (DD: 1, the default).

    Returns
    -------
    torch.Tensor
        ``(N, 4, 4)``, the dtype and device of ``fov``.

    References
    ----------
    pytorch3d ``renderer/cameras.py``, ``FoVPerspectiveCameras.compute_projection_matrix``.
    """
    fov_rad = fov * (math.pi / 180.0)
    max_y = torch.tan(fov_rad / 2) * near
    min_y = -max_y
    max_x = max_y * aspect_ratio
    min_x = -max_x
    k = torch.zeros(fov.shape + (4, 4), dtype=fov.dtype, device=fov.device)
    k[..., 0, 0] = 2.0 * near / (max_x - min_x)
    k[..., 1, 1] = 2.0 * near / (max_y - min_y)
    k[..., 0, 2] = (max_x + min_x) / (max_x - min_x)
    k[..., 1, 2] = (max_y + min_y) / (max_y - min_y)
    k[..., 3, 2] = 1.0
    k[..., 2, 2] = far / (far - near)
    k[..., 2, 3] = -(far * near) / (far - near)
    return k


def _xyz(value: Param | Sequence[Param], n: int, name: str) -> torch.Tensor:
    """A 3-vector per sample: ``(3,)``/``(N, 3)`` arrays or three numbers/``(N,)`` values."""
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 2:
        arr = torch.as_tensor(np.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value, dtype=np.float64))
        if arr.shape != (n, 3):
            raise ValueError(f"{name} must have shape (3,) or ({n}, 3), got {tuple(arr.shape)}")
        return arr
    parts: list[Param]
    if isinstance(value, torch.Tensor):
        parts = list(value.unbind(0))
    elif isinstance(value, (int, float)):
        raise TypeError(f"{name} must hold three components (x, y, z), got the single number {value!r}")
    else:
        parts = list(value)
    if len(parts) != 3:
        raise ValueError(f"{name} must hold three components (x, y, z), got {len(parts)}")
    return torch.stack([_per_sample(p, n, f"{name}[{i}]") for i, p in enumerate(parts)], -1)


@torch.no_grad()
def warp_3d(
    image: torch.Tensor,
    depth: torch.Tensor,
    translation: Param | Sequence[Param] = (0.0, 0.0, 0.0),
    rotation: Param | Sequence[Param] = (0.0, 0.0, 0.0),
    fov: Param = 40.0,
    near: Param = 200.0,
    far: Param = 10000.0,
    padding_mode: str = "border",
    sampling_mode: str = "bicubic",
) -> torch.Tensor:
    """Disco Diffusion's 3D camera move: reproject every pixel by its depth, then resample.

    Parameters
    ----------
    image : torch.Tensor
        ``(N, C, H, W)`` floating point, any range.
    depth : torch.Tensor
        ``(N, H, W)``, ``(N, 1, H, W)`` or ``(H, W)`` (shared by the batch), in DD's depth
        units (MiDaS-derived ``(50 - prediction) / 19``, about 0.5 near to 2.6 far; see
        :mod:`render.depth`). Should be positive: DD divides by it. Where the projection is
        undefined (depth 0) the pixel keeps its place instead of becoming NaN.
    translation : (tx, ty, tz), optional
        DD's ``translation_x/y/z`` (each a number or ``(N,)``; or an ``(N, 3)`` array), in
        DD's 3D units: the camera moves by ``(-tx, ty, -tz) / 200`` world units (x and z
        negated as DD). Positive ``tz`` moves the camera forward (into the picture).
        Default ``(0, 0, 0)``.
    rotation : (rx, ry, rz), optional
        DD's ``rotation_3d_x/y/z`` in degrees, Euler ``"XYZ"``
        (:func:`euler_angles_to_matrix`). Default ``(0, 0, 0)``.
    fov : number or (N,), optional
        Field of view in degrees, in (0, 180) (DD's ``fov``, default 40).
    near, far : number or (N,), optional
        DD's ``near_plane``/``far_plane`` (defaults 200 and 10000); they set only the
        projected z, which the warp does not use, so they do not change the result
        (checked: ``0 < near < far``).
    padding_mode : {"border", "reflection", "zeros"}, optional
        ``grid_sample``'s padding (DD's ``padding_mode``). Default ``"border"``.
    sampling_mode : {"bicubic", "bilinear", "nearest"}, optional
        ``grid_sample``'s interpolation (DD's ``sampling_mode``). Default ``"bicubic"``.

    Returns
    -------
    torch.Tensor
        Same shape, dtype and device as ``image``. A sample whose move displaces no pixel
        (identity parameters) is returned exactly as given (``grid_sample`` at the pixel
        centres would differ by float rounding, about 3e-6).

    Raises
    ------
    render.errors.SettingsError
        Unknown mode, or planes/fov out of range.
    ValueError
        If ``image`` is not a floating-point ``(N, C, H, W)`` tensor, ``depth`` does not
        match it, or a parameter has the wrong number of values.

    Notes
    -----
    DD's own path also adds ``1/512 - 1e-4`` before resampling and quantises to 8 bits
    (its PNG round trip); that belongs to DD's file handling and is left out here.

    References
    ----------
    Disco Diffusion v5.x ``disco_xform_utils.py``, ``transform_image_3d``, and
    ``disco.py``, ``do_3d_step``; pytorch3d ``FoVPerspectiveCameras``.
    """
    if padding_mode not in PADDING_MODES:
        raise SettingsError(f"unknown 3D padding_mode {padding_mode!r}; use one of {', '.join(PADDING_MODES)}")
    if sampling_mode not in SAMPLING_MODES:
        raise SettingsError(f"unknown 3D sampling_mode {sampling_mode!r}; use one of {', '.join(SAMPLING_MODES)}")
    n, c, h, w = _check_image(image)
    dev = image.device
    if depth.dim() == 4 and depth.shape[1] == 1:
        depth = depth[:, 0]
    if depth.dim() == 2:
        depth = depth.unsqueeze(0).expand(n, h, w)
    if tuple(depth.shape) != (n, h, w):
        raise ValueError(f"depth must have shape ({n}, {h}, {w}) or ({h}, {w}), got {tuple(depth.shape)}")
    offset = offset_3d(depth, translation, rotation, fov, near, far, dev)
    f32 = torch.float32

    identity = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=f32, device=dev).expand(n, 2, 3)
    grid = F.affine_grid(identity, [n, 1, h, w], align_corners=False) - offset
    out = F.grid_sample(image, grid.to(image.dtype), mode=sampling_mode, padding_mode=padding_mode, align_corners=False)
    moved = (offset != 0).reshape(n, -1).any(1)
    if not bool(moved.all()):
        out = torch.where(moved.view(n, 1, 1, 1), out, image)
    return out



@torch.no_grad()
def offset_3d(
    depth: torch.Tensor,
    translation: Param | Sequence[Param] = (0.0, 0.0, 0.0),
    rotation: Param | Sequence[Param] = (0.0, 0.0, 0.0),
    fov: Param = 40.0,
    near: Param = 200.0,
    far: Param = 10000.0,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """The screen offset Disco Diffusion's 3D move gives every pixel, ``new_xy - old_xy``.

    The point a pixel shows (its ``[-1, 1]`` position and its depth, see the module
    docstring) projected by the moved camera minus projected by the old one. It is the
    forward motion of that point in ``grid_sample``'s normalised units (``align_corners=False``:
    one unit is ``width / 2`` pixels in x and ``height / 2`` in y, y down); :func:`warp_3d`
    reads the image at the identity grid *minus* it.

    Parameters
    ----------
    depth : torch.Tensor
        ``(N, H, W)`` depth in DD's units (see :func:`warp_3d`).
    translation, rotation, fov, near, far : see :func:`warp_3d`
        The move and the lens.
    device : torch.device or str or None, optional
        Where to compute (default: the depth's device).

    Returns
    -------
    torch.Tensor
        ``(N, H, W, 2)`` float32, x then y; 0 where the projection is undefined (depth 0).

    Raises
    ------
    render.errors.SettingsError
        Planes or fov out of range.
    ValueError
        A parameter with the wrong number of values.
    """
    n, h, w = depth.shape
    dev = torch.device(device) if device is not None else depth.device
    fov_t = _per_sample(fov, n, "fov")
    near_t = _per_sample(near, n, "near")
    far_t = _per_sample(far, n, "far")
    if bool(((fov_t <= 0) | (fov_t >= 180)).any()):
        raise SettingsError(f"fov must be in (0, 180) degrees, got {fov_t.tolist()}")
    if bool(((near_t <= 0) | (far_t <= near_t)).any()):
        raise SettingsError("the planes must satisfy 0 < near_plane < far_plane (DD's defaults: 200 and 10000)")

    f32 = torch.float32
    # DD: translate_xyz = [-tx, ty, -tz] * TRANSLATION_SCALE in Python floats, then float32.
    t = _xyz(translation, n, "translation") * TRANSLATION_SCALE
    t = (t * torch.tensor([-1.0, 1.0, -1.0], dtype=torch.float64)).to(f32)
    # DD: math.radians in Python floats, then a float32 tensor.
    r = euler_angles_to_matrix(torch.deg2rad(_xyz(rotation, n, "rotation")).to(f32), "XYZ")
    k_t = fov_perspective_matrix(fov_t.to(f32), near_t.to(f32), far_t.to(f32)).transpose(-1, -2)

    # Row-vector 4x4 transforms, composed as pytorch3d does: world->view (R then T), then K^T.
    rot4 = torch.eye(4, dtype=f32).repeat(n, 1, 1)
    rot4[:, :3, :3] = r
    trans4 = torch.eye(4, dtype=f32).repeat(n, 1, 1)
    trans4[:, 3, :3] = t
    m_new = ((rot4 @ trans4) @ k_t).to(dev)
    m_old = k_t.to(dev)  # the old camera: R = I, T = 0

    ys = torch.linspace(-1.0, 1.0, h, dtype=f32, device=dev)
    xs = torch.linspace(-1.0, 1.0, w, dtype=f32, device=dev)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    pts = torch.stack(
        [gx.expand(n, h, w), gy.expand(n, h, w), depth.to(device=dev, dtype=f32), torch.ones(n, h, w, dtype=f32, device=dev)],
        -1,
    ).reshape(n, h * w, 4)
    old = torch.bmm(pts, m_old)
    new = torch.bmm(pts, m_new)
    offset = (new[..., :2] / new[..., 3:] - old[..., :2] / old[..., 3:]).reshape(n, h, w, 2)
    # Depth 0 (or a point landing on the new camera's plane) has no projection: DD would
    # feed inf/NaN to grid_sample (NaN pixels with bicubic); such a pixel keeps its place.
    return torch.where(torch.isfinite(offset), offset, torch.zeros_like(offset))


# -- symmetry ----------------------------------------------------------------------------
def apply_symmetry(x: torch.Tensor, horizontal: bool, vertical: bool) -> torch.Tensor:
    """DD's symmetry: mirror the left half onto the right and/or the top half onto the bottom.

    Parameters
    ----------
    x : torch.Tensor
        ``(..., H, W)``; DD applies it to the noisy sample ``x_t`` in the sampling loop.
    horizontal : bool
        DD's ``use_horizontal_symmetry``: columns ``[0, W // 2)`` copied, flipped, onto the
        right half (a mirror about the vertical centre line).
    vertical : bool
        DD's ``use_vertical_symmetry``: rows ``[0, H // 2)`` copied, flipped, onto the
        bottom half. Horizontal is applied first, as DD.

    Returns
    -------
    torch.Tensor
        Same shape. For even sizes this is DD's result exactly; for an odd size DD's
        concatenation would drop a line, so the centre line is kept where it is.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``, ``symmetry_transformation_fn``.
    """
    if horizontal:
        w = x.shape[-1]
        half = x[..., : w // 2]
        x = torch.cat([half, x[..., w // 2 : w - w // 2], torch.flip(half, [-1])], -1)
    if vertical:
        h = x.shape[-2]
        half = x[..., : h // 2, :]
        x = torch.cat([half, x[..., h // 2 : h - h // 2, :], torch.flip(half, [-2])], -2)
    return x


def symmetry_steps(transformation_percent: Iterable[float], total_steps: int) -> set[int]:
    """The sampler indices before which DD applies :func:`apply_symmetry`.

    DD's sampler (kostarion's guided-diffusion ``ddim_sample_loop_progressive``) runs the
    respaced indices ``i = total_steps - 1, ..., 1, 0`` and transforms ``x`` just before
    the step with index ``i`` when ``i`` is in ``{int(total_steps * (1 - p)) for p in
    transformation_percent}``. ``total_steps`` is the number of steps actually run:
    DD's ``steps`` minus ``skip_steps``. DD does this in its DDIM loop only (its PLMS
    loop has no transformation hook).

    Parameters
    ----------
    transformation_percent : iterable of float
        Fractions of the run in ``[0, 1]`` (DD's default ``[0.09]``). ``0`` never fires
        (the index would be ``total_steps``).
    total_steps : int
        Steps the sampler runs for this frame.

    Returns
    -------
    set of int
        Respaced indices (the ``index`` that :meth:`render.diffusion.GaussianDiffusion.
        sample_loop` yields), e.g. ``{227}`` for ``[0.09]`` and 250 steps, i.e. before the
        23rd step.

    Raises
    ------
    render.errors.SettingsError
        A fraction outside ``[0, 1]`` or a negative ``total_steps``.

    References
    ----------
    Disco Diffusion v5.x ``disco.py`` (``symmetry_transformation_fn``,
    ``transformation_percent``); kostarion/guided-diffusion ``gaussian_diffusion.py``,
    ``ddim_sample_loop_progressive``.
    """
    if total_steps < 0:
        raise SettingsError(f"total_steps must be >= 0, got {total_steps}")
    out = set()
    for p in transformation_percent:
        p = float(p)
        if not 0.0 <= p <= 1.0:
            raise SettingsError(
                f"transformation_percent values are fractions of the run in [0, 1], got {p}; e.g. [0.09]"
            )
        i = int(total_steps * (1 - p))
        if i < total_steps:
            out.add(i)
    return out
