"""render.motion against motion written out here from the cameras' definitions.

(a) The vectors of a plane under known 2D cameras (OpenCV's ``getRotationMatrix2D`` and
DD's translation, built by OpenCV itself) and 3D cameras (the pinhole model of
render/camera.py's docstring: corner-aligned NDC points ``(x, y, depth)``, pytorch3d's
row-vector ``p R + T`` with ``R`` = Rx Ry Rz, and the FoV matrix's ``x / (tan(fov/2) z)``,
written in numpy float64 below) to 1e-3 px. (b) Warping a textured image by the backward
vectors reproduces the camera's own warp, and forward then backward comes back. (c) Nuke's
``v`` is up.

Measured here (128x96 texture in [0, 1], one frame of each move):
- 2D: ``render.flow.warp(prev, backward)`` (bilinear, cv2.remap) vs ``warp_2d``: max 3e-6;
- 3D bilinear ``warp_3d``: max 4e-6; 3D bicubic (DD's default): max 0.09, mean 0.013
  (the bicubic kernel against the bilinear remap, not the vectors);
- forward-backward round trip ``|f(x) + b(x + f(x))|``: 2D max 1.4e-3 px (remap's 1/32 px
  positions); 3D at most 7e-3 px (rotation_3d_y -2 on the tilted plane), 2.2e-3 px for
  the combined move below. The 3D forward vectors are the inverse of the next frame's
  warp (a fixed point); the points' projected motion itself would miss by up to a third
  of the motion on zoom-like moves (translation_z 15 on the tilted plane: 4.76 px of
  14.3), because Disco Diffusion's warp reads frame i-1 at ``x - offset(x)``, the offset
  of the point frame i-1 shows at frame i's pixel, which inverts that motion only to
  first order.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from render import camera as cam
from render import flow, motion

H, W = 96, 128
YY, XX = np.mgrid[0:H, 0:W].astype(np.float64)
REST = {"angle": 0.0, "zoom": 1.0, "translation_x": 0.0, "translation_y": 0.0, "translation_z": 0.0,
        "rotation_3d_x": 0.0, "rotation_3d_y": 0.0, "rotation_3d_z": 0.0, "fov": 40.0, "near_plane": 200.0,
        "far_plane": 10000.0}


# -- the expected motion, written out independently ---------------------------------------
def _matrix_2d(angle: float, zoom: float, tx: float, ty: float) -> np.ndarray:
    """DD's M = R @ T, R from OpenCV itself."""
    cv2 = pytest.importorskip("cv2")
    r = np.vstack([cv2.getRotationMatrix2D((W // 2, H // 2), angle, zoom), [0.0, 0.0, 1.0]])
    t = np.array([[1.0, 0.0, np.float32(tx)], [0.0, 1.0, np.float32(ty)], [0.0, 0.0, 1.0]])
    return r @ t


def _apply(m: np.ndarray) -> np.ndarray:
    u = m[0, 0] * XX + m[0, 1] * YY + m[0, 2] - XX
    v = m[1, 0] * XX + m[1, 1] * YY + m[1, 2] - YY
    return np.stack([u, v], axis=2)


def _rotation(rx: float, ry: float, rz: float) -> np.ndarray:
    """pytorch3d's euler_angles_to_matrix(radians, "XYZ") = Rx @ Ry @ Rz."""
    a, b, c = (math.radians(v) for v in (rx, ry, rz))
    x = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    y = np.array([[math.cos(b), 0, math.sin(b)], [0, 1, 0], [-math.sin(b), 0, math.cos(b)]])
    z = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    return x @ y @ z


def _offset_3d(depth: np.ndarray, camera: dict, px: np.ndarray = XX, py: np.ndarray = YY) -> np.ndarray:
    """The pixel motion of the point shown at pixel position (px, py) (default: the pixel
    centres): projected by the moved camera minus the old one."""
    c = {**REST, **camera}
    nx = -1.0 + 2.0 * px / (W - 1)  # corner-aligned NDC, as DD's linspace
    ny = -1.0 + 2.0 * py / (H - 1)
    pts = np.stack([nx, ny, depth.astype(np.float64)], axis=2)
    t = np.array([-c["translation_x"], c["translation_y"], -c["translation_z"]]) / 200.0
    view = pts @ _rotation(c["rotation_3d_x"], c["rotation_3d_y"], c["rotation_3d_z"]) + t  # row vectors
    f = 1.0 / math.tan(math.radians(c["fov"]) / 2)  # FoVPerspectiveCameras, aspect 1
    new = np.stack([f * view[..., 0] / view[..., 2], f * view[..., 1] / view[..., 2]], axis=2)
    old = np.stack([f * nx / depth, f * ny / depth], axis=2)
    return (new - old) * np.array([W / 2.0, H / 2.0])  # grid_sample units (align_corners=False) to pixels


def _texture() -> np.ndarray:
    rng = np.random.default_rng(3)
    img = np.zeros((H, W, 3))
    for ch in range(3):
        for _ in range(6):
            fx, fy, ph = rng.uniform(0.02, 0.12), rng.uniform(0.02, 0.12), rng.uniform(0, 6)
            img[..., ch] += np.sin(2 * np.pi * (fx * XX + fy * YY) + ph) / 6
    return (0.5 + img).astype(np.float32)


def _tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img).permute(2, 0, 1)[None]


def _image(t: torch.Tensor) -> np.ndarray:
    return t[0].permute(1, 2, 0).numpy()


def _flat(px: np.ndarray, py: np.ndarray) -> np.ndarray:
    return np.full(np.shape(px), 1.3)


def _tilted(px: np.ndarray, py: np.ndarray) -> np.ndarray:
    return 1.0 + 0.6 * px / (W - 1) + 0.3 * py / (H - 1)  # depth varies across the plane


FLAT = _flat(XX, YY)
TILTED = _tilted(XX, YY)
PLANES = {id(FLAT): _flat, id(TILTED): _tilted}  # the planes' depth at any position

CAMERAS_2D = [
    {"angle": 5.0},
    {"zoom": 1.07},
    {"zoom": 0.93},
    {"translation_x": 3.25, "translation_y": -2.5},
    {"angle": -2.0, "zoom": 1.03, "translation_x": -1.5, "translation_y": 4.0},
]
CAMERAS_3D = [
    {"translation_x": 8.0},
    {"translation_y": -6.0},
    {"translation_z": 15.0},
    {"rotation_3d_x": 1.5},
    {"rotation_3d_y": -2.0},
    {"rotation_3d_z": 3.0},
    {"translation_x": 6.0, "translation_y": -4.0, "translation_z": 10.0, "rotation_3d_x": 0.8,
     "rotation_3d_y": -1.2, "rotation_3d_z": 1.5, "fov": 55.0},
]


# -- (a) the vectors equal the analytic motion ----------------------------------------------
@pytest.mark.parametrize("camera", CAMERAS_2D)
def test_2d_vectors_equal_the_affine_motion(camera: dict) -> None:
    c = {**REST, **camera}
    m = _matrix_2d(c["angle"], c["zoom"], c["translation_x"], c["translation_y"])
    np.testing.assert_allclose(motion.forward_2d(camera, W, H), _apply(m), atol=1e-3, rtol=0)
    np.testing.assert_allclose(motion.backward_2d(camera, W, H), _apply(np.linalg.inv(m)), atol=1e-3, rtol=0)


def test_2d_translation_and_zoom_by_hand() -> None:
    """Literal cases: a translation moves every pixel by itself; zoom 1.1 moves the corner
    pixel (0, 0) away from the centre (64, 48) by 10 %."""
    f = motion.forward_2d({"translation_x": 3.0, "translation_y": -2.0}, W, H)
    np.testing.assert_allclose(f[..., 0], 3.0, atol=1e-6)
    np.testing.assert_allclose(f[..., 1], -2.0, atol=1e-6)
    f = motion.forward_2d({"zoom": 1.1}, W, H)
    np.testing.assert_allclose(f[0, 0], [-6.4, -4.8], atol=1e-4)
    np.testing.assert_allclose(f[48, 64], [0.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("depth", [FLAT, TILTED], ids=["flat", "tilted"])
@pytest.mark.parametrize("camera", CAMERAS_3D)
def test_3d_vectors_equal_the_pinhole_projection(camera: dict, depth: np.ndarray) -> None:
    """Backward: the next frame reads at ``x - offset(x)``. Forward: the content at ``x`` lands
    at ``y = x + f(x)`` where that read comes back to ``x``: ``f(x) = offset(y)``, with the
    offset of the plane's point at the (between-pixel) position ``y``."""
    expected = _offset_3d(depth, camera)
    np.testing.assert_allclose(motion.backward_3d(depth, camera), -expected, atol=1e-3, rtol=0)
    f = motion.forward_3d(depth, camera).astype(np.float64)
    px, py = XX + f[..., 0], YY + f[..., 1]
    inside = (px >= 0) & (px <= W - 1) & (py >= 0) & (py <= H - 1)
    landed = _offset_3d(PLANES[id(depth)](px, py), camera, px, py)
    assert inside.mean() > 0.7  # translation_z 15 leaves 73% of the frame inside
    np.testing.assert_allclose(f[inside], landed[inside], atol=1e-3, rtol=0)


def test_3d_translation_by_hand() -> None:
    """At depth 1, translation_x 10 moves every point by -10/200 world units: ``-10 W / (400
    tan 20deg)`` = -4.3959 px at W = 128 / 2 ... here W = 128: -8.7918 px; y does not move."""
    f = motion.forward_3d(np.ones((H, W)), {"translation_x": 10.0})
    np.testing.assert_allclose(f[..., 0], -10 * W / (400 * math.tan(math.radians(20))), atol=1e-3)
    np.testing.assert_allclose(f[..., 1], 0.0, atol=1e-4)


# -- (b) warping by the vectors reproduces the camera's warp --------------------------------
@pytest.mark.parametrize("camera", CAMERAS_2D)
def test_warping_by_the_2d_backward_vectors_gives_the_next_frame(camera: dict) -> None:
    prev = _texture()
    c = {**REST, **camera}
    nxt = _image(cam.warp_2d(_tensor(prev), c["angle"], c["zoom"], c["translation_x"], c["translation_y"]))
    back = motion.backward_2d(camera, W, H)
    seen = ~motion.out_of_frame(back)  # the wrapped border has nothing the vectors can point at
    assert seen.mean() > 0.8
    assert np.abs(flow.warp(prev, back) - nxt)[seen].max() < 1e-4  # measured 3e-6
    forward = motion.forward_2d(camera, W, H)  # frame i-1's forward = frame i's camera
    trip = forward + flow.warp(back, forward, border="replicate")
    assert np.abs(trip)[~motion.out_of_frame(forward)].max() < 3e-3  # measured 1.4e-3 (remap's 1/32 px)


@pytest.mark.parametrize("sampling, bound", [("bilinear", 1e-4), ("bicubic", 0.15)])
@pytest.mark.parametrize("depth", [FLAT, TILTED], ids=["flat", "tilted"])
def test_warping_by_the_3d_backward_vectors_gives_the_next_frame(depth: np.ndarray, sampling: str,
                                                                 bound: float) -> None:
    prev = _texture()
    camera = CAMERAS_3D[-1]
    c = {**REST, **camera}
    nxt = _image(cam.warp_3d(_tensor(prev), torch.from_numpy(depth.astype(np.float32)),
                             (c["translation_x"], c["translation_y"], c["translation_z"]),
                             (c["rotation_3d_x"], c["rotation_3d_y"], c["rotation_3d_z"]), fov=c["fov"],
                             padding_mode="border", sampling_mode=sampling))
    back = motion.backward_3d(depth, camera)
    seen = ~motion.out_of_frame(back)
    err = np.abs(flow.warp(prev, back, border="replicate") - nxt)[seen]
    assert err.max() < bound  # bilinear: the same positions (4e-6); bicubic: the kernels differ (0.09)
    forward = motion.forward_3d(depth, camera)
    trip = np.hypot(*np.moveaxis(forward + flow.warp(back, forward, border="replicate"), 2, 0))
    assert trip[~motion.out_of_frame(forward)].max() < 1e-2  # measured 0 and 2.2e-3 px of 9 px


def _smooth() -> np.ndarray:
    """A texture smooth enough that two bilinear resamplings stay within a few 1e-4 of it."""
    return np.stack([0.5 + 0.2 * np.sin(2 * np.pi * (0.013 * XX + 0.021 * YY) + k)
                     + 0.2 * np.cos(2 * np.pi * (0.017 * XX - 0.011 * YY) + 2 * k) for k in range(3)],
                    axis=2).astype(np.float32)


@pytest.mark.parametrize("depth", [None, FLAT, TILTED], ids=["2d", "3d-flat", "3d-tilted"])
@pytest.mark.parametrize("k", range(5))
def test_warping_the_next_frame_by_the_forward_vectors_gives_the_previous_frame(depth, k: int) -> None:
    """Frame i made from frame i-1 by the camera; frame i-1's forward vectors say where its
    pixels went, so reading frame i there gives frame i-1 back, away from the frame edge
    (two bilinear resamplings: measured max 2.1e-3, mean 6e-4; vectors a quarter pixel off
    give a mean of 6e-3)."""
    from scipy.ndimage import binary_erosion

    prev = _smooth()
    if depth is None:
        camera = CAMERAS_2D[k]
        c = {**REST, **camera}
        nxt = _image(cam.warp_2d(_tensor(prev), c["angle"], c["zoom"], c["translation_x"], c["translation_y"]))
        forward = motion.forward_2d(camera, W, H)
    else:
        camera = CAMERAS_3D[k + 2]
        c = {**REST, **camera}
        nxt = _image(cam.warp_3d(_tensor(prev), torch.from_numpy(depth.astype(np.float32)),
                                 (c["translation_x"], c["translation_y"], c["translation_z"]),
                                 (c["rotation_3d_x"], c["rotation_3d_y"], c["rotation_3d_z"]), fov=c["fov"],
                                 sampling_mode="bilinear"))
        forward = motion.forward_3d(depth, camera)
    inside = binary_erosion(~motion.out_of_frame(forward), iterations=2)  # taps on the wrapped/padded edge differ
    assert inside.mean() > 0.6  # translation_z 15 pushes a quarter of the frame out
    err = np.abs(flow.warp(nxt, forward, border="replicate") - prev)[inside]
    assert err.max() < 4e-3 and err.mean() < 1.5e-3


def test_occlusion_marks_what_came_in_from_outside_the_frame() -> None:
    back = motion.backward_2d({"translation_x": 5.0}, W, H)  # the picture moves right: 5 new columns at the left
    occ = motion.occluded(back, motion.forward_2d({"translation_x": 5.0}, W, H))
    assert occ[:, :5].min() == 1.0 and occ[:, 5:].max() == 0.0


# -- (c) Nuke's orientation -------------------------------------------------------------------
def test_nuke_v_is_up() -> None:
    """translation_y -3 moves the picture 3 px up (warp_2d: positive y moves it down): the
    forward vectors of the frame before say v = +3, the backward of the frame after v = -3."""
    camera = {"translation_y": -3.0}
    layers = motion.nuke_layers(motion.forward_2d(camera, W, H), motion.backward_2d(camera, W, H))
    assert set(layers) == set(motion.NUKE_CHANNELS)
    np.testing.assert_allclose(layers["forward.v"], 3.0, atol=1e-6)
    np.testing.assert_allclose(layers["backward.v"], -3.0, atol=1e-6)
    np.testing.assert_allclose(layers["forward.u"], 0.0, atol=1e-6)
    assert all(v.dtype == np.float32 and v.shape == (H, W) for v in layers.values())
    # and a picture warped by warp_2d really moved up: a bright row goes from 40 to 37
    img = np.zeros((H, W, 1), np.float32)
    img[40] = 1.0
    moved = _image(cam.warp_2d(_tensor(img), translation_y=-3.0, border="border"))
    assert int(np.argmax(moved[:, 10, 0])) == 37
