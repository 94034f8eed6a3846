"""The collapse guard and coherence inside the frame loop (chroma.watch around
render.animation.FrameLoop), with a toy renderer that collapses the way animations do:
it blurs its init, and paints fresh texture only when given enough steps to repaint."""

from __future__ import annotations

import numpy as np
import torch

from chroma.coherence import Coherence, CoherenceSettings
from chroma.guard import CollapseGuard, GuardSettings, frame_measures
from chroma.watch import ShotWatch, to_code
from render.animation import FrameInput, FrameLoop, LoopState
from render.renderer import RenderSettings
from tests import guard_sequences as seqs
from tests.render.helpers import StandInStep


def _tensor(code: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(code.transpose(2, 0, 1) * 2 - 1))[None].float()


class BlurToInit:
    """frame = (1 - w) flatten(blur(init)) + w texture(seed), w = clip(2 (1 - skip/steps) - 1, 0, 1),
    flatten(x) = mean + 0.75 (x - mean): with 60% of the steps skipped it only blurs and
    flattens (the spread dies away), with 30% it repaints 40% fresh texture. Records the
    skip, scale and init of every call."""

    def __init__(self):
        self.calls: list[dict] = []

    def sample(self, prompts, seed, init, image_prompts, settings, transform=None):
        steps = settings.diffusion().num_timesteps
        self.calls.append({"skip": settings.skip_steps, "scale": settings.init_scale,
                           "init": None if init is None else init.clone()})
        fresh = _tensor(seqs.texture(seed, 24, scales=(1, 3)))
        if init is None:
            out = fresh
        else:
            blurred = init
            for _ in range(2):  # a 3-tap binomial blur, wrapped
                blurred = (torch.roll(blurred, 1, -1) + 2 * blurred + torch.roll(blurred, -1, -1)) / 4
                blurred = (torch.roll(blurred, 1, -2) + 2 * blurred + torch.roll(blurred, -1, -2)) / 4
            blurred = blurred.mean(dim=(-2, -1), keepdim=True) + 0.75 * (blurred - blurred.mean(dim=(-2, -1), keepdim=True))
            w = float(np.clip(2 * (1 - settings.skip_steps / steps) - 1, 0, 1))
            out = (1 - w) * blurred + w * fresh
        yield StandInStep(False, out, clip_loss=0.5)
        yield StandInStep(True, out)


SETTINGS = RenderSettings(width_height=(64, 64), steps=10, skip_steps=0, init_scale=0, clip_models=(),
                          clip_guidance_scale=0)


def _run(watch: ShotWatch, n: int, renderer=None, start=None):
    renderer = renderer or BlurToInit()
    loop = FrameLoop(renderer, "2D")
    state, frames, records, saved = LoopState(), [], [], {}
    if start is not None:
        index, arrays, meta = start
        state = LoopState.from_arrays(arrays)
        watch.restore(meta, arrays)
    for i in range(state.index + 1, n):
        f = FrameInput(index=i, seed=50 + i, prompts=["x"], settings=SETTINGS, frames_scale=1000.0,
                       frames_skip_steps="60%")
        result, state = loop.step(watch.before(f), state)
        result, state, record = watch.after(result, state)
        frames.append(result.image.clone())
        records.append(record)
        meta, arrays = watch.to_state()
        saved[i] = (i, {**state.to_arrays(), **{k: v.copy() for k, v in arrays.items()}}, meta)
    return frames, records, renderer, saved


def _spread(t: torch.Tensor) -> float:
    return frame_measures(to_code(t))["lightness_spread"]


def test_renoise_restores_the_spread_then_returns_to_the_shots_values() -> None:
    gs = dict(warmup=3, frames=2, renoise_frames=4, renoise_skip=0.5, renoise_scale=0.5, renoise_noise=0.3)
    warn, wrec, _, _ = _run(ShotWatch(CollapseGuard(GuardSettings(action="warn", **gs))), 16)
    fired = [r["guard"]["fired"] for r in wrec].index(True)
    re_, rrec, r, _ = _run(ShotWatch(CollapseGuard(GuardSettings(action="renoise", **gs))), 16)
    assert [x["guard"]["fired"] for x in rrec].index(True) == fired
    window = range(fired + 1, fired + 5)
    # during the window: fewer skipped steps, a lower init scale, noise in the init; then the shot's own
    assert [r.calls[i]["skip"] for i in window] == [3, 3, 4, 5]  # floor(10 * 0.6 * (1 - 0.5 s)), s = 1, .75, .5, .25
    assert [r.calls[i]["scale"] for i in window] == [500.0, 625.0, 750.0, 875.0]
    back = fired + 5  # the window is over: the shot's own values (until the guard fires again)
    assert r.calls[back]["skip"] == 6 and r.calls[back]["scale"] == 1000.0 and rrec[back]["guard"]["renoise"] == 0
    assert [rrec[i]["guard"]["renoise"] for i in window] == [1.0, 0.75, 0.5, 0.25]
    end = fired + 4
    assert _spread(re_[end]) > 3 * _spread(warn[end]), (_spread(re_[end]), _spread(warn[end]))
    assert _spread(warn[end]) < 0.5 * _spread(warn[1])  # without it, the loop has collapsed


def test_renoise_is_deterministic_and_resumes_identically() -> None:
    def watch():
        return ShotWatch(CollapseGuard(GuardSettings(action="renoise", warmup=3, frames=2, renoise_noise=0.3)),
                         Coherence(CoherenceSettings(reference=1, strength=0.7, max_gain=1.0)))

    full, rec, _, saved = _run(watch(), 14)
    assert any(x["guard"]["fired"] for x in rec)
    again, _, _, _ = _run(watch(), 14)
    assert all(torch.equal(a, b) for a, b in zip(full, again))
    for k in (5, 9):  # resumed from the state saved after frame k (inside and after a renoise window)
        resumed, _, _, _ = _run(watch(), 14, start=saved[k])
        assert all(torch.equal(a, b) for a, b in zip(full[k + 1:], resumed)), k


def test_coherence_acts_in_the_loop_state() -> None:
    r = BlurToInit()
    frames, rec, _, _ = _run(ShotWatch(None, Coherence(CoherenceSettings(reference=0, strength=1.0))), 3, r)
    # the frame written is the matched one, and it is what the next frame's init was built from
    assert torch.equal(r.calls[2]["init"], frames[1])
    assert rec[1]["coherence"]["drift_after"] < 1e-3 < rec[1]["coherence"]["drift"]


def test_from_shot_reads_a_palette_image_and_the_plate_through_the_display() -> None:
    from types import SimpleNamespace

    pal = seqs.texture(70, 24, palette=(0.3, 0.5, 0.6), amplitude=0.04)
    plate = seqs.texture(71, 24, palette=(0.6, 0.45, 0.35), amplitude=0.04)
    read = {"/shot/pal.png": _tensor(pal)[0], "/plate/p.1003.exr": _tensor(plate)[0]}
    frame = _tensor(seqs.texture(72, 24, palette=(0.5, 0.5, 0.5), amplitude=0.04))
    for ref, want in (("pal.png", pal), ("plate", plate)):
        shot = SimpleNamespace(guard=None, coherence=CoherenceSettings(reference=ref),
                               resolve=lambda p: f"/shot/{p}")
        watch = ShotWatch.from_shot(shot, read.__getitem__, lambda i: f"/plate/p.{1001 + i}.exr")
        result = SimpleNamespace(index=2, image=frame.clone())
        result, _, record = watch.after(result, LoopState())
        got, ref_mean = frame_measures(to_code(result.image)), frame_measures(want)
        assert abs(got["mean_a"] - ref_mean["mean_a"]) < 1e-3 and abs(got["mean_L"] - ref_mean["mean_L"]) < 1e-3, ref
        assert record["coherence"]["reference"] == ref and "drift" in record["summary"]
