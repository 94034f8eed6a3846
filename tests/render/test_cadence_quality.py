"""Cadence in-betweens on real content against the truth (#24 item 2, docs/cadence.md).

A photograph (``skimage.data.astronaut``, bundled with scikit-image) is moved by known
cameras, so every frame has a ground truth: 2D frames are the photograph resampled once
(bicubic, OpenCV) by the product of the frames' :func:`render.camera.matrix_2d`; 3D frames
look at the photograph as a plane at constant depth from a camera translating in x and
y, which moves every pixel by the same offset (:func:`render.motion.forward_3d` of a
constant depth gives it; the truth is the photograph shifted by it, bicubic). The truth
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


def _loop(mode: str, frames: np.ndarray, **kw: Any) -> FrameLoop:
    depth = (lambda image, index: torch.full(image.shape[-2:], DEPTH)) if mode == "3D" else None
    return FrameLoop(cast("Renderer", Truth(frames)), mode, depth_fn=depth, **kw)


def cadence_frames(mode: str, frames: np.ndarray, n: int, camera: dict) -> dict[int, np.ndarray]:
    from render.cadence import key_frames

    loop, out = _loop(mode, frames), {}
    keys = key_frames(len(frames), n)
    _, state = loop.step(_frame(0, camera), LoopState())
    for k0, k1 in zip(keys, keys[1:]):
        cams = [camera] * (k1 - k0)
        _, after = loop.step(_frame(k1, camera), state, cameras=cams)
        for j in range(k0 + 1, k1):
            out[j] = _array(loop.between(j, state, after, cams).image)
        state = after
    return out


def turbo_frames(mode: str, frames: np.ndarray, n: int, camera: dict) -> dict[int, np.ndarray]:
    loop, state, out = _loop(mode, frames, turbo_mode=True, turbo_steps=n, turbo_preroll=1), LoopState(), {}
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


def measure(mode: str, n: int) -> dict[str, float]:
    truth = truth_2d() if mode == "2D" else truth_3d()
    camera = CAM_2D if mode == "2D" else CAM_3D
    cad, turbo, fade = (cadence_frames(mode, truth, n, camera), turbo_frames(mode, truth, n, camera),
                        crossfade_frames(truth, n))
    # compared where all three make a frame between: after turbo's first (tracking) segment
    common = {j for j in cad if j in turbo and j in fade and j > n}
    assert len(common) >= 2 * (n - 1)
    return {"cadence": psnr(cad, truth, common), "turbo": psnr(turbo, truth, common),
            "crossfade": psnr(fade, truth, common)}


def table() -> str:
    """The markdown table of docs/cadence.md."""
    rows = ["| camera | cadence | in-betweens (a) | DD turbo (b) | crossfade (c) |", "|---|---|---|---|---|"]
    for mode in ("2D", "3D"):
        for n in (2, 3, 4):
            m = measure(mode, n)
            rows.append(f"| {mode} | {n} | {m['cadence']:.1f} dB | {m['turbo']:.1f} dB | {m['crossfade']:.1f} dB |")
    return "\n".join(rows)


@pytest.mark.parametrize("mode", ["2D", "3D"])
@pytest.mark.parametrize("n", [2, 3, 4])
def test_in_betweens_beat_crossfade_by_10_db_and_beat_turbo(mode: str, n: int) -> None:
    m = measure(mode, n)
    assert m["cadence"] >= m["crossfade"] + 10.0, m
    assert m["cadence"] > m["turbo"], m


if __name__ == "__main__":  # python -m tests.render.test_cadence_quality: the table for docs/cadence.md
    print(table())
