"""Turbo writes what Disco Diffusion writes (render.animation, #23 item 2).

Disco Diffusion v5.7 (disco.py, ``do_run``, 3D branch), with ``turbo_mode`` on, writes
every diffused frame after frame 0, the preroll frames included, as
``cv2.addWeighted(new, 1 / turbo_steps, prevFrameScaled, 1 - 1 / turbo_steps, 0)``
(``prevFrameScaled``: the previous frame warped for this one), while the unblended frame
(``prevFrame.png``) is what the next frame warps. The checks: the blend against OpenCV's
``addWeighted``; the loop against the blend, with a stand-in renderer whose output is a
known function of its init; and the loop against Disco Diffusion's own run
(``tests/data/reference/loop_golden.npz``, case ``turbo``) with Disco Diffusion's final
samples replayed, which leaves out the random stream (a separate part of #23).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pytest
import torch

from render.animation import FrameInput, FrameLoop, LoopState, turbo_blend
from render.renderer import RenderSettings
from tests.render.helpers import StandInStep

if TYPE_CHECKING:
    from render.renderer import Renderer

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "reference" / "loop_golden.npz"
SETTINGS = RenderSettings(width_height=(64, 64), steps=10, skip_steps=2, init_scale=7.0, clip_models=(),
                          clip_guidance_scale=0)


class StandIn:
    """``frame = 0.5 * init + seed / 100`` (zeros without an init); records every init it gets."""

    def __init__(self) -> None:
        self.inits: dict[int, torch.Tensor | None] = {}
        self.outs: dict[int, torch.Tensor] = {}

    def sample(self, prompts, seed, init, image_prompts, settings, transform=None):
        base = torch.zeros(1, 3, 4, 6) if init is None else init
        out = 0.5 * base + seed / 100.0
        self.inits[seed - 100] = None if init is None else init.clone()
        self.outs[seed - 100] = out.clone()
        yield StandInStep(True, out)


def make_loop(renderer: object, mode: str, **kw: Any) -> FrameLoop:
    """A loop on a stand-in that has the one method the loop calls, ``sample``."""
    return FrameLoop(cast("Renderer", renderer), mode, **kw)


def frame(i: int, camera: dict | None = None, init_filter=None) -> FrameInput:
    return FrameInput(index=i, seed=100 + i, prompts=["x"], settings=SETTINGS,
                      camera={"translation_x": 1.0} if camera is None else camera,
                      frames_scale=1500.0, frames_skip_steps="60%", init_filter=init_filter)


def run(loop: FrameLoop, n: int, **kw) -> list:
    state, out = LoopState(), []
    for i in range(n):
        result, state = loop.step(frame(i, **kw), state)
        out.append(result)
    return out


def test_the_blend_is_opencvs_add_weighted() -> None:
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(3)
    new, warped = rng.uniform(-1, 1, (2, 1, 3, 5, 7)).astype(np.float32)
    for steps in (1, 2, 3, 5):
        expected = cv2.addWeighted(new[0], 1 / steps, warped[0], 1 - 1 / steps, 0.0)
        got = turbo_blend(torch.from_numpy(new), torch.from_numpy(warped), steps)
        np.testing.assert_allclose(got[0].numpy(), expected, rtol=0, atol=1e-6)


def test_diffused_frames_are_written_blended_and_the_unblended_feeds_the_next() -> None:
    r = StandIn()
    frames = run(make_loop(r, "2D", turbo_mode=True, turbo_steps=3, turbo_preroll=2), 8)
    assert sorted(r.outs) == [0, 1, 2, 3, 6]  # 0, the preroll 1-2, then the multiples of 3
    torch.testing.assert_close(frames[0].image, r.outs[0], rtol=0, atol=0)  # frame 0: as diffused
    for i in (1, 2, 3, 6):
        warped = r.inits[i]  # the previous frame warped for this one (no init filter here)
        assert warped is not None and not frames[i].turbo
        torch.testing.assert_close(frames[i].image, r.outs[i] / 3 + warped * (2 / 3), rtol=0, atol=1e-6)
        assert not torch.allclose(frames[i].image, r.outs[i])
    for i in (0, 1, 2):  # the next frame starts from the unblended frame, moved 1 px
        torch.testing.assert_close(r.inits[i + 1], torch.roll(r.outs[i], 1, dims=-1), rtol=0, atol=1e-6)


def test_the_blend_takes_the_warp_not_the_filtered_init() -> None:
    r = StandIn()
    frames = run(make_loop(r, "2D", turbo_mode=True, turbo_steps=2, turbo_preroll=1), 3,
                 init_filter=lambda x: x + 0.25)
    for i in (1, 2):
        warped = torch.roll(r.outs[i - 1], 1, dims=-1)
        torch.testing.assert_close(r.inits[i], warped + 0.25, rtol=0, atol=1e-6)
        torch.testing.assert_close(frames[i].image, r.outs[i] / 2 + warped / 2, rtol=0, atol=1e-6)


def test_3d_turbo_blends_alike_and_keeps_the_unblended_frames_depth() -> None:
    r = StandIn()
    seen: list[torch.Tensor] = []

    def depth(image: torch.Tensor, index: int) -> torch.Tensor:
        seen.append(image)
        return torch.ones(image.shape[-2:]) + image.mean()

    loop = make_loop(r, "3D", turbo_mode=True, turbo_steps=2, turbo_preroll=1, depth_fn=depth)
    state = LoopState()
    for i in range(3):
        result, state = loop.step(frame(i, camera={}), state)
        if i:
            warped = r.inits[i]
            assert warped is not None
            torch.testing.assert_close(result.image, r.outs[i] / 2 + warped / 2, rtol=0, atol=1e-6)
        assert state.prev is not None and torch.equal(state.prev, r.outs[i]) and result.depth is state.prev_depth
        assert seen[-1] is state.prev


def test_turbo_preroll_0_starts_as_preroll_1() -> None:
    # Disco Diffusion reads an oldFrameScaled.png it never wrote at frame 1 with preroll 0;
    # chroma starts tracking there, as with preroll 1, instead of failing.
    zero, one = StandIn(), StandIn()
    a = run(make_loop(zero, "2D", turbo_mode=True, turbo_steps=3, turbo_preroll=0), 7)
    b = run(make_loop(one, "2D", turbo_mode=True, turbo_steps=3, turbo_preroll=1), 7)
    assert sorted(zero.outs) == sorted(one.outs) == [0, 1, 3, 6]
    for x, y in zip(a, b):
        assert x.turbo == y.turbo and torch.equal(x.image, y.image)


def test_a_resumed_turbo_run_writes_the_same_frames() -> None:
    loop = make_loop(StandIn(), "2D", turbo_mode=True, turbo_steps=3, turbo_preroll=1)
    straight = run(loop, 8)
    state = LoopState()
    for i in range(4):
        _, state = loop.step(frame(i), state)
    state = LoopState.from_arrays({k: np.array(v) for k, v in state.to_arrays().items()})
    for i in range(4, 8):
        result, state = loop.step(frame(i), state)
        assert torch.equal(result.image, straight[i].image)


class Replay:
    """Gives Disco Diffusion's final sample of each diffused frame, in turn, as DD's renderer would."""

    def __init__(self, samples: np.ndarray) -> None:
        self.samples = samples
        self.calls: list[tuple[int, int, bool]] = []

    def sample(self, prompts, seed, init, image_prompts, settings, transform=None):
        k = len(self.calls)
        self.calls.append((seed, settings.skip_steps, init is not None))
        yield StandInStep(True, torch.from_numpy(self.samples[k][None]).clamp(-1, 1))


def to_png_levels(image: torch.Tensor) -> np.ndarray:
    """DD's ``TF.to_pil_image(x.add(1).div(2).clamp(0, 1))``: 8-bit by truncation, H x W x RGB."""
    return image[0].add(1).div(2).clamp(0, 1).mul(255).byte().permute(1, 2, 0).numpy()


def test_turbo_writes_disco_diffusions_frames_from_its_samples() -> None:
    # The golden's `turbo` case: DD's 3D turbo branch with DD's 2D warp (zoom 1.05, angle 2),
    # turbo_steps 2, turbo_preroll 1, 10 steps, frames_skip_steps 50%, seed 7. DD blends
    # 8-bit PNGs and warps the 8-bit previous frame; chroma works in float: the written
    # frames agree within one 8-bit level at every pixel (measured: max 1, mean 0.27-0.39).
    # Writing the unblended frames instead misses by 44-47 levels on average.
    z = np.load(GOLDEN)
    dd_frames = z["turbo/frames_u8"]
    r = Replay(z["turbo/final_sample"])
    loop = make_loop(r, "2D", turbo_mode=True, turbo_steps=2, turbo_preroll=1)
    settings = RenderSettings(width_height=(64, 64), steps=10, skip_steps=0, clip_models=(), clip_guidance_scale=0)
    state, turbo = LoopState(), []
    for i in range(len(dd_frames)):
        result, state = loop.step(FrameInput(i, 7 + i, ["x"], settings, camera={"angle": 2.0, "zoom": 1.05},
                                             frames_scale=1500.0, frames_skip_steps="50%"), state)
        turbo.append(result.turbo)
        diff = np.abs(to_png_levels(result.image).astype(np.int16) - dd_frames[i].astype(np.int16))
        assert diff.max() <= 1 and diff.mean() < 0.5, (i, diff.max(), diff.mean())
    diffused = [i for i, t in enumerate(turbo) if not t]
    assert diffused == [0, 1, 2, 4] and len(diffused) == len(z["turbo/final_sample"])
    assert [c[0] - 7 for c in r.calls] == diffused
    assert [c[1] for c in r.calls] == list(z["turbo/skip_steps"])
    assert [c[2] for c in r.calls] == list(z["turbo/has_init"])
