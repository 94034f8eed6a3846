"""The frame loop (render.animation) against Disco Diffusion's animation rules.

A stand-in renderer makes every frame a known function of its init, so the frames the
loop produces can be compared with a literal transcription of Disco Diffusion v5's
procedure (disco.py: the 2D/3D branch, turbo with its preroll and blend factor, the
video-input branch) written here with ``torch.roll`` for whole-pixel moves.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from render.animation import FrameInput, FrameLoop, LoopState, skip_steps_for
from render.renderer import RenderSettings
from tests.render.helpers import StandInStep


class StandIn:
    """``frame = 0.5 * init + seed / 100`` (zeros without an init); records each call."""

    def __init__(self):
        self.calls: list[dict] = []

    def sample(self, prompts, seed, init, image_prompts, settings, transform=None):
        self.calls.append({"seed": seed, "init_scale": settings.init_scale, "skip_steps": settings.skip_steps,
                           "init": None if init is None else init.clone()})
        base = torch.zeros(1, 3, 4, 6) if init is None else init
        yield StandInStep(False, base, clip_loss=0.5)
        yield StandInStep(True, 0.5 * base + seed / 100.0)


SETTINGS = RenderSettings(width_height=(64, 64), steps=10, skip_steps=2, init_scale=7.0, clip_models=(),
                          clip_guidance_scale=0)


def frame(i: int, init=None) -> FrameInput:
    return FrameInput(index=i, seed=100 + i, prompts=["x"], settings=SETTINGS, camera={"translation_x": 1.0},
                      frames_scale=1500.0, frames_skip_steps="60%", init=init)


def run(loop: FrameLoop, n: int, inits=None) -> list:
    state, out = LoopState(), []
    for i in range(n):
        result, state = loop.step(frame(i, None if inits is None else inits[i]), state)
        out.append(result)
    return out


def test_2d_each_frame_starts_from_the_previous_one_moved() -> None:
    r = StandIn()
    frames = run(FrameLoop(r, "2D"), 4)
    prev = None
    for i, f in enumerate(frames):
        if i == 0:
            expected = torch.zeros(1, 3, 4, 6) + 1.00
            assert r.calls[0]["init"] is None and r.calls[0]["init_scale"] == 7.0 and r.calls[0]["skip_steps"] == 2
        else:
            moved = torch.roll(prev, 1, dims=-1)  # translation_x = 1 px, wrap-around border
            torch.testing.assert_close(r.calls[i]["init"], moved, rtol=0, atol=1e-6)
            assert r.calls[i]["init_scale"] == 1500.0 and r.calls[i]["skip_steps"] == 6  # floor(10 * 0.6)
            expected = 0.5 * moved + (100 + i) / 100.0
        torch.testing.assert_close(f.image, expected, rtol=0, atol=1e-6)
        assert r.calls[i]["seed"] == 100 + i
        prev = f.image


def test_turbo_follows_disco_diffusions_rules() -> None:
    r = StandIn()
    loop = FrameLoop(r, "2D", turbo_mode=True, turbo_steps=3, turbo_preroll=2)
    frames = run(loop, 9)
    # Disco Diffusion, transcribed: prevFrameScaled = warp(prev); at the preroll frame,
    # old = prevFrameScaled; after it, old = warp(old), then frames with frame % steps != 0
    # are blended (w = (frame % steps + 1) / steps) and feed the *unblended* warp on; the
    # others diffuse and set old = prevFrameScaled, and every diffused frame after frame 0
    # is written as cv2.addWeighted(new, 1/steps, prevFrameScaled, 1 - 1/steps) while the
    # unblended one feeds the next.
    prev = old = None
    diffused = []
    for i in range(9):
        if i == 0:
            out = torch.zeros(1, 3, 4, 6) + 1.00
            diffused.append(i)
            prev = out
            torch.testing.assert_close(frames[i].image, out, rtol=0, atol=1e-6)
            continue
        new = torch.roll(prev, 1, dims=-1)
        if i == 2:
            old = new
        elif i > 2:
            old = torch.roll(old, 1, dims=-1)
            if i % 3 != 0:
                w = (i % 3 + 1) / 3
                out = w * new + (1 - w) * old
                torch.testing.assert_close(frames[i].image, out, rtol=0, atol=1e-6)
                assert frames[i].turbo
                prev = new
                continue
            old = new
        out = 0.5 * new + (100 + i) / 100.0
        diffused.append(i)
        torch.testing.assert_close(frames[i].image, out / 3 + new * (2 / 3), rtol=0, atol=1e-6)
        assert not frames[i].turbo
        prev = out
    assert [c["seed"] - 100 for c in r.calls] == diffused == [0, 1, 2, 3, 6]


def test_video_mode_inits_every_frame_from_the_plate() -> None:
    r = StandIn()
    plates = [torch.full((1, 3, 4, 6), 0.1 * i) for i in range(3)]
    frames = run(FrameLoop(r, "Video"), 3, plates)
    for i, f in enumerate(frames):
        torch.testing.assert_close(r.calls[i]["init"], plates[i])
        assert r.calls[i]["init_scale"] == 1500.0 and r.calls[i]["skip_steps"] == 6  # frame 0 too, as DD
        torch.testing.assert_close(f.image, 0.5 * plates[i] + (100 + i) / 100.0)


def test_state_round_trips_bit_exactly_and_must_be_the_previous_frames() -> None:
    r = StandIn()
    loop = FrameLoop(r, "2D", turbo_mode=True, turbo_steps=2, turbo_preroll=1)
    state = LoopState()
    for i in range(3):
        _, state = loop.step(frame(i), state)
    back = LoopState.from_arrays({k: np.array(v) for k, v in state.to_arrays().items()})
    assert back.index == 2 and torch.equal(back.prev, state.prev) and torch.equal(back.old, state.old)
    with pytest.raises(Exception, match="needs the state after frame 4"):
        loop.step(frame(5), back)


def test_skip_steps_for_disco_percentages() -> None:
    assert skip_steps_for("60%", 250) == 150
    assert skip_steps_for("65%", 3) == 1  # floor
    assert skip_steps_for(12.4, 250) == 12


class Mirrors:
    """Runs the loop's ``transform`` over 8 steps of a left-right ramp, as a sampler would."""

    def sample(self, prompts, seed, init, image_prompts, settings, transform=None):
        x = torch.arange(6.0).expand(1, 3, 4, 6).clone()
        for k in range(settings.steps - settings.skip_steps):
            x = x if transform is None else transform(k, x)
        yield StandInStep(True, x)


@pytest.mark.parametrize("sampler", ["ddim", "plms"])
def test_symmetry_acts_under_ddim_only_as_disco_diffusion(sampler: str) -> None:
    # DD hands symmetry_transformation_fn to ddim_sample_loop_progressive alone; its PLMS
    # call takes no transformation.
    loop = FrameLoop(Mirrors(), "None", horizontal_symmetry=True, transformation_percent=(0.5,))
    settings = SETTINGS.replace(diffusion_sampling_mode=sampler)
    result, _ = loop.step(FrameInput(index=0, seed=1, prompts=["x"], settings=settings), LoopState())
    ramp = torch.arange(6.0).expand(1, 3, 4, 6)
    mirrored = torch.tensor([0.0, 1.0, 2.0, 2.0, 1.0, 0.0]).expand(1, 3, 4, 6)  # left half onto the right
    torch.testing.assert_close(result.image, mirrored if sampler == "ddim" else ramp, rtol=0, atol=0)


def test_symmetry_note_says_when_symmetry_does_nothing() -> None:
    from render.settings import AnimationSettings, symmetry_note

    both = AnimationSettings(use_horizontal_symmetry=True, use_vertical_symmetry=True)
    note = symmetry_note(both, "plms")
    assert note is not None and "use_horizontal_symmetry and use_vertical_symmetry do nothing" in note
    assert "'plms'" in note and "ddim" in note
    assert symmetry_note(AnimationSettings(use_vertical_symmetry=True), "plms").startswith("use_vertical_symmetry does")
    assert symmetry_note(both, "ddim") is None and symmetry_note(AnimationSettings(), "plms") is None
