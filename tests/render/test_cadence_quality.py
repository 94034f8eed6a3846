"""Cadence in-betweens on real content against the truth (#24 item 2, docs/cadence.md).

A photograph (``skimage.data.astronaut``, bundled with scikit-image) is moved by known
cameras, so every frame has a ground truth: 2D frames are the photograph resampled once
(bicubic, OpenCV) by the product of the frames' :func:`render.camera.matrix_2d`; 3D frames
look at the photograph as a plane at constant depth from a camera translating in x and
y, which moves every pixel by the same offset (:func:`render.motion.forward_3d` of a
constant depth gives it; the truth is the photograph shifted by it, bicubic); "3D zoom"
frames look at it from a camera moving forward (``translation_z``) and sideways, whose
motion on a plane facing it is a scale about the centre plus a shift, written out here
from Disco Diffusion's pinhole model (render/camera.py's docstring) independently of
render.motion (the truth is the photograph resampled once by it, bicubic). The truth
at the key frames stands in for the diffused frames (a stand-in renderer returns it), and
the frames between are made three ways, each through its real code: (a) cadence
(:meth:`render.animation.FrameLoop.between`), (b) Disco Diffusion's turbo with the same
spacing (:class:`render.animation.FrameLoop` with ``turbo_mode``), (c) a plain crossfade
of the two keys. PSNR (peak 1) of the frames between against the truth; the table in
docs/cadence.md is :func:`table`'s output.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pytest
import torch

from render.animation import FrameInput, FrameLoop, LoopState
from render.renderer import RenderSettings
from tests.render.helpers import StandInStep

if TYPE_CHECKING:
    from render.renderer import Renderer

W, H, FRAMES = 160, 96, 17
SETTINGS = RenderSettings(width_height=(64, 64), steps=10, skip_steps=2, clip_models=(), clip_guidance_scale=0)
CAM_2D = {"angle": 0.6, "zoom": 1.012, "translation_x": 1.5, "translation_y": -0.8}  # per frame
CAM_3D = {"translation_x": 2700.0, "translation_y": -1400.0}  # about 1.5 and 0.8 px per frame
DEPTH = 2000.0
CAM_3D_ZOOM = {"translation_z": 1.55, "translation_x": 1.36}  # about 1% zoom and 1 px per frame
DEPTH_ZOOM = 1.5


def _photo() -> np.ndarray:
    from skimage import data

    return data.astronaut().astype(np.float32) / 255.0  # 512 x 512 RGB


@functools.cache
def truth_2d() -> np.ndarray:
    import cv2

    from render.motion import chain_2d

    photo = _photo()
    ox, oy = (photo.shape[1] - W) / 2, (photo.shape[0] - H) / 2
    out = []
    for j in range(FRAMES):
        inv = np.linalg.inv(chain_2d([CAM_2D] * j, W, H))  # frame j's pixels -> frame 0's
        src = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]]) @ inv
        out.append(cv2.warpAffine(photo, src[:2], (W, H), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP))
    return np.stack(out)


@functools.cache
def truth_3d() -> np.ndarray:
    import cv2

    from render.motion import forward_3d

    shift = forward_3d(np.full((H, W), DEPTH, np.float32), CAM_3D)
    assert np.ptp(shift[..., 0]) < 1e-3 and np.ptp(shift[..., 1]) < 1e-3  # a plane facing the camera: one offset
    dx, dy = float(shift[0, 0, 0]), float(shift[0, 0, 1])
    photo = _photo()
    ox, oy = (photo.shape[1] - W) / 2, (photo.shape[0] - H) / 2
    return np.stack([cv2.warpAffine(photo, np.array([[1, 0, ox - j * dx], [0, 1, oy - j * dy]]), (W, H),
                                    flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP) for j in range(FRAMES)])


@functools.cache
def truth_3d_zoom() -> np.ndarray:
    """A point at corner-aligned NDC x (pixel p: x = -1 + 2p / (W - 1)) and depth d, seen by
    a camera moved by T = (-tx, ty, -tz) / 200 (DD's row vectors, no rotation), projects to
    f (x - tx/200) / (d - tz/200) instead of f x / d (f = 1 / tan(fov / 2), fov 40); the
    offset, in grid units of W / 2 pixels, is linear in x: per frame the map is the affine
    ``p -> p + (W / 2) (c x(p) + e)`` in x (``c x(p)`` in y), the plane staying at depth d."""
    import cv2

    f = 1.0 / np.tan(np.radians(40.0) / 2)
    d, tz, tx = DEPTH_ZOOM, CAM_3D_ZOOM["translation_z"] / 200, CAM_3D_ZOOM["translation_x"] / 200
    c, e = f * (1 / (d - tz) - 1 / d), -f * tx / (d - tz)

    def step(n: int, e: float) -> np.ndarray:  # pixel -> pixel, one frame, along an axis of n pixels
        return np.array([[1 + c * n / (n - 1), (n / 2) * (e - c)], [0, 1]])

    sx, sy = step(W, e), step(H, 0.0)
    frame = np.array([[sx[0, 0], 0, sx[0, 1]], [0, sy[0, 0], sy[0, 1]], [0, 0, 1]])
    photo = _photo()
    ox, oy = (photo.shape[1] - W) / 2, (photo.shape[0] - H) / 2
    out = []
    for j in range(FRAMES):
        src = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]]) @ np.linalg.inv(np.linalg.matrix_power(frame, j))
        out.append(cv2.warpAffine(photo, src[:2], (W, H), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP))
    return np.stack(out)


class Truth:
    """A renderer that "diffuses" frame i into the truth's frame i (seed = 100 + i)."""

    def __init__(self, frames: np.ndarray) -> None:
        self.frames = frames

    def sample(self, prompts, seed, init, image_prompts, settings, transform=None):
        yield StandInStep(True, _tensor(self.frames[seed - 100]))


def _tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)[None].float()


def _array(t: torch.Tensor) -> np.ndarray:
    return t[0].permute(1, 2, 0).numpy()


def _frame(i: int, camera: dict) -> FrameInput:
    return FrameInput(index=i, seed=100 + i, prompts=["x"], settings=SETTINGS, camera=camera)


def _loop(mode: str, frames: np.ndarray, depth_value: float = DEPTH, **kw: Any) -> FrameLoop:
    depth = (lambda image, index: torch.full(image.shape[-2:], depth_value)) if mode == "3D" else None
    return FrameLoop(cast("Renderer", Truth(frames)), mode, depth_fn=depth, **kw)


def cadence_frames(mode: str, frames: np.ndarray, n: int, camera: dict, depth: float = DEPTH) -> dict[int, np.ndarray]:
    from render.cadence import key_frames

    loop, out = _loop(mode, frames, depth), {}
    keys = key_frames(len(frames), n)
    _, state = loop.step(_frame(0, camera), LoopState())
    for k0, k1 in zip(keys, keys[1:]):
        cams = [camera] * (k1 - k0)
        _, after = loop.step(_frame(k1, camera), state, cameras=cams)
        for j in range(k0 + 1, k1):
            out[j] = _array(loop.between(j, state, after, cams).image)
        state = after
    return out


def turbo_frames(mode: str, frames: np.ndarray, n: int, camera: dict, depth: float = DEPTH) -> dict[int, np.ndarray]:
    loop = _loop(mode, frames, depth, turbo_mode=True, turbo_steps=n, turbo_preroll=1)
    state, out = LoopState(), {}
    for i in range(len(frames)):
        result, state = loop.step(_frame(i, camera), state)
        if result.turbo:
            out[i] = _array(result.image)
    return out


def crossfade_frames(frames: np.ndarray, n: int) -> dict[int, np.ndarray]:
    from render.cadence import key_frames, previous_key

    keys = key_frames(len(frames), n)
    out = {}
    for j in range(len(frames)):
        if j not in keys:
            k0 = previous_key(j, len(frames), n)
            k1 = keys[keys.index(k0) + 1]
            t = (j - k0) / (k1 - k0)
            out[j] = (1 - t) * frames[k0] + t * frames[k1]
    return out


def psnr(frames: dict[int, np.ndarray], truth: np.ndarray, only: set[int]) -> float:
    mse = np.mean([np.mean((frames[j] - truth[j]) ** 2) for j in sorted(only)])
    return float(10 * np.log10(1.0 / mse))


CASES = {  # camera name: (animation mode, truth, camera, depth)
    "2D": ("2D", truth_2d, CAM_2D, DEPTH),
    "3D": ("3D", truth_3d, CAM_3D, DEPTH),
    "3D zoom": ("3D", truth_3d_zoom, CAM_3D_ZOOM, DEPTH_ZOOM),
}


def measure(case: str, n: int) -> dict[str, float]:
    mode, make_truth, camera, depth = CASES[case]
    truth = make_truth()
    cad, turbo, fade = (cadence_frames(mode, truth, n, camera, depth), turbo_frames(mode, truth, n, camera, depth),
                        crossfade_frames(truth, n))
    # compared where all three make a frame between: after turbo's first (tracking) segment
    common = {j for j in cad if j in turbo and j in fade and j > n}
    assert len(common) >= 2 * (n - 1)
    return {"cadence": psnr(cad, truth, common), "turbo": psnr(turbo, truth, common),
            "crossfade": psnr(fade, truth, common)}


def table() -> str:
    """The markdown table of docs/cadence.md."""
    rows = ["| camera | cadence | in-betweens (a) | DD turbo (b) | crossfade (c) |", "|---|---|---|---|---|"]
    for case in CASES:
        for n in (2, 3, 4):
            m = measure(case, n)
            rows.append(f"| {case} | {n} | {m['cadence']:.1f} dB | {m['turbo']:.1f} dB | {m['crossfade']:.1f} dB |")
    return "\n".join(rows)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("n", [2, 3, 4])
def test_in_betweens_beat_crossfade_by_10_db_and_beat_turbo(case: str, n: int) -> None:
    m = measure(case, n)
    assert m["cadence"] >= m["crossfade"] + 10.0, m
    assert m["cadence"] > m["turbo"], m


if __name__ == "__main__":  # python -m tests.render.test_cadence_quality: the table for docs/cadence.md
    print(table())
