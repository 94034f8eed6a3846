"""Disco Diffusion 5.7's Video Input mode as chroma runs it: the optical-flow warp wired into the frame loop
and the shot's inputs (flows cached beside the state), frame 0's skip, the seeds.

The expected inits are computed here from disco.py's own lines with OpenCV directly
(``warp_flow``: ``cv2.remap(img, x + flow, INTER_LINEAR)``, zero border, on [0, 1] frames;
``frame2 * (1 - blend) + warped * blend``), not with render.flow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

cv2 = pytest.importorskip("cv2")

from render.animation import FrameInput, FrameLoop, LoopState  # noqa: E402
from render.renderer import RenderSettings  # noqa: E402
from tests.render.helpers import StandInStep  # noqa: E402

H, W = 16, 24


class StandIn:
    """``frame = 0.5 * init + seed / 1000``; records each call."""

    def __init__(self):
        self.calls: list[dict] = []

    def sample(self, prompts, seed, init, image_prompts, settings, transform=None):
        self.calls.append({"seed": seed, "init_scale": settings.init_scale, "skip_steps": settings.skip_steps,
                           "init": init.clone()})
        yield StandInStep(True, 0.5 * init + seed / 1000.0)


SETTINGS = RenderSettings(width_height=(64, 64), steps=10, skip_steps=2, init_scale=7.0, clip_models=(),
                          clip_guidance_scale=0)


def _dd_init(plate: torch.Tensor, previous: torch.Tensor, flow: np.ndarray, blend: float) -> torch.Tensor:
    """disco.py's warp(), on [0, 1] float frames: remap with x + flow (zero border), then the blend."""
    def hwc(t):
        return ((t[0].permute(1, 2, 0).numpy() + 1) / 2).astype(np.float32)

    map_x = (flow[..., 0] + np.arange(W, dtype=np.float32)[None, :]).astype(np.float32)
    map_y = (flow[..., 1] + np.arange(H, dtype=np.float32)[:, None]).astype(np.float32)
    warped = cv2.remap(hwc(previous), map_x, map_y, cv2.INTER_LINEAR)
    out = hwc(plate) * (1 - blend) + warped * blend
    return torch.from_numpy(out).permute(2, 0, 1)[None] * 2 - 1


def _flows(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    return [np.stack([1.5 * np.sin(x / 5 + i) - 2.0 + rng.normal(0, 0.1, (H, W)), 0.7 * np.cos(y / 4 - i)],
                     axis=2).astype(np.float32) for i in range(n)]


def test_each_video_frame_after_0_starts_from_the_plate_blended_with_the_warped_previous_frame() -> None:
    r = StandIn()
    rng = np.random.default_rng(0)
    plates = [torch.from_numpy(rng.uniform(-1, 1, (1, 3, H, W)).astype(np.float32)) for _ in range(4)]
    flows = _flows(4)
    loop = FrameLoop(r, "Video", flow_warp=True, flow_blend=0.9)
    state, prev = LoopState(), None
    for i in range(4):
        f = FrameInput(index=i, seed=10 + i, prompts=["x"], settings=SETTINGS, frames_scale=1500.0,
                       frames_skip_steps="60%", init=plates[i], flow=flows[i] if i else None)
        result, state = loop.step(f, state)
        call = r.calls[i]
        assert call["init_scale"] == 1500.0  # DD's video_init_frames_scale, frame 0 too
        if i == 0:
            torch.testing.assert_close(call["init"], plates[0], rtol=0, atol=0)
            assert call["skip_steps"] == 2  # DD: video_init_skip_steps on frame 0 of a flow warp
        else:
            expected = _dd_init(plates[i], prev, flows[i], 0.9)
            torch.testing.assert_close(call["init"], expected, rtol=0, atol=2e-6)
            assert call["skip_steps"] == 6  # DD's calc_frames_skip_steps, floor(10 * 0.6)
            out_of_frame = (flows[i][..., 0] + np.arange(W)[None, :]) < 0  # cv2's zero border there: black
            assert out_of_frame.any()
        prev = result.image


def test_without_the_flow_warp_every_frame_starts_from_its_plate_with_the_frames_skip() -> None:
    r = StandIn()
    plates = [torch.full((1, 3, H, W), 0.1 * i) for i in range(3)]
    loop = FrameLoop(r, "Video", flow_warp=False)
    state = LoopState()
    for i in range(3):
        _, state = loop.step(FrameInput(index=i, seed=i, prompts=["x"], settings=SETTINGS, init=plates[i],
                                        flow=_flows(1)[0]), state)
        torch.testing.assert_close(r.calls[i]["init"], plates[i], rtol=0, atol=0)
        assert r.calls[i]["skip_steps"] == 6


def test_a_flow_warped_frame_without_its_flow_is_refused() -> None:
    from render.errors import SettingsError

    loop = FrameLoop(StandIn(), "Video", flow_warp=True)
    plate = torch.zeros(1, 3, H, W)
    _, state = loop.step(FrameInput(index=0, seed=0, prompts=["x"], settings=SETTINGS, init=plate), LoopState())
    with pytest.raises(SettingsError, match="needs the flow from plate frame 1 to 0"):
        loop.step(FrameInput(index=1, seed=1, prompts=["x"], settings=SETTINGS, init=plate), state)


def test_the_consistency_check_puts_the_plate_where_the_flow_fails() -> None:
    from render.animation import video_flow_init

    plate = torch.full((1, 3, H, W), 0.25)
    prev = torch.full((1, 3, H, W), -0.5)
    reliable = np.ones((H, W), dtype=bool)
    reliable[:, :5] = False
    out = video_flow_init(plate, prev, np.zeros((H, W, 2), np.float32), 1.0, reliable)
    torch.testing.assert_close(out[..., :5], plate[..., :5])
    torch.testing.assert_close(out[..., 5:], prev[..., 5:])


# -- the shot: inputs, flow cache, resume -------------------------------------------------

SHOT = """\
max_frames = 4
seed = 20
animation_mode = "Video"

[output]
pattern = "out/v.####.exr"

[render]
steps = 10
skip_steps = 3
width_height = [64, 64]
clip_models = []
clip_guidance_scale = 0

[animation]
video_init_path = "plate/p.####.exr"
video_init_flow_blend = 0.8
flow_model = "dis"
{extra}

[prompts]
0 = ["a street:1"]
"""


def _plates(tmp_path: Path, n: int = 4) -> None:
    from chroma import Image, write

    (tmp_path / "plate").mkdir()
    y, x = np.mgrid[0:64, 0:64].astype(np.float32)
    for i in range(n):  # a texture panning 2 px right per frame (scene-linear)
        rgb = 0.18 * (1.2 + np.stack([np.sin((x - 2 * i) / 5), np.cos(y / 6), np.sin((x - 2 * i + y) / 7)], axis=2))
        write(Image(rgb.astype(np.float32), ["R", "G", "B"], "ACEScg", {}), tmp_path / "plate" / f"p.{1001 + i}.exr")


def _run(shot, start: int, state: LoopState, inputs, renderer) -> tuple[list[torch.Tensor], LoopState, dict]:
    from chroma.pipeline.loop import frame_loop, frame_settings

    loop = frame_loop(shot, renderer, None)
    images, saved = [], {}
    for i in range(start, shot.max_frames):
        spec = shot.frame(i)
        result, state = loop.step(inputs.frame_input(spec, frame_settings(spec)), state)
        images.append(result.image)
        saved[i] = {k: v.copy() for k, v in state.to_arrays().items()}
    return images, state, saved


@pytest.mark.parametrize("consistency", [False, True])
def test_a_resumed_flow_warped_shot_reads_the_cached_flows_and_is_bit_identical(tmp_path: Path, consistency) -> None:
    from chroma.pipeline.inputs import ShotInputs
    from chroma.shot import parse_shot
    from render.flow import FlowEstimator

    _plates(tmp_path)
    shot = parse_shot(SHOT.format(extra=f"video_init_check_consistency = {str(consistency).lower()}"),
                      tmp_path / "s.toml")
    assert shot.animation.video_init_flow_warp  # Disco Diffusion 5.7's default
    first = ShotInputs(shot, None, (64, 64))
    images, _, saved = _run(shot, 0, LoopState(), first, StandIn())
    assert first.flows().estimated == 3 * (2 if consistency else 1)
    cached = sorted(p.name for p in (tmp_path / "out" / "v.state" / "flow").iterdir())
    assert len(cached) == 3 * (2 if consistency else 1) and cached[0].startswith("flow")

    # frame 1's flow is the plate's: the pan of 2 px right is a flow of -2 px from frame 1 to frame 0
    flow1, _ = first.flows()(1)
    assert np.median(flow1[16:-16, 16:-16, 0]) == pytest.approx(-2.0, abs=0.15)
    # and frame 1's init is DD's blend of that flow (computed with OpenCV here)
    r = StandIn()
    _run(shot, 0, LoopState(), ShotInputs(shot, None, (64, 64)), r)
    plate1 = ShotInputs(shot, None, (64, 64)).plate(1)[None]
    if not consistency:
        global H, W
        H, W = 64, 64
        try:
            expected = _dd_init(plate1, r.calls[0]["init"] * 0.5 + (shot.frame(0).seed / 1000.0), flow1, 0.8)
        finally:
            H, W = 16, 24
        torch.testing.assert_close(r.calls[1]["init"], expected, rtol=0, atol=2e-6)

    calls = []
    original = FlowEstimator.__call__

    def counting(self, a, b):
        calls.append(1)
        return original(self, a, b)

    FlowEstimator.__call__ = counting
    try:
        resumed_inputs = ShotInputs(shot, None, (64, 64))
        resumed, _, _ = _run(shot, 2, LoopState.from_arrays(saved[1]), resumed_inputs, StandIn())
    finally:
        FlowEstimator.__call__ = original
    assert calls == [] and resumed_inputs.flows().estimated == 0  # read from the state folder
    for a, b in zip(images[2:], resumed):
        assert torch.equal(a, b)


def test_video_seeds_and_skip_follow_disco_diffusion(tmp_path: Path) -> None:
    from chroma.shot import parse_shot

    _plates(tmp_path)
    shot = parse_shot(SHOT.format(extra=""), tmp_path / "s.toml", renderer_check=False)
    # DD's Video Input adds 1 to the seed before every frame, frame 0 too
    assert [shot.frame(i).seed for i in range(4)] == [21, 22, 23, 24]
    still = parse_shot(SHOT.format(extra="").replace('"Video"', '"2D"'), tmp_path / "s.toml", renderer_check=False)
    assert [still.frame(i).seed for i in range(4)] == [20, 21, 22, 23]
    cont = parse_shot(SHOT.format(extra="video_init_seed_continuity = true"), tmp_path / "s.toml",
                      renderer_check=False)
    assert [cont.frame(i).seed for i in range(4)] == [20] * 4
    assert shot.render["augmentations"] == "video"


def test_a_flow_warped_video_shot_feeds_forward(tmp_path: Path) -> None:
    from chroma.shot import parse_shot

    _plates(tmp_path, 1)
    text = SHOT.format(extra="")
    assert parse_shot(text, tmp_path / "s.toml", renderer_check=False).feeds_forward
    off = parse_shot(SHOT.format(extra="video_init_flow_warp = false"), tmp_path / "s.toml", renderer_check=False)
    assert not off.feeds_forward
    assert parse_shot(text.replace('"Video"', '"2D"'), tmp_path / "s.toml", renderer_check=False).feeds_forward


# -- chroma render: a resume through the CLI reads the cached flows and gives the same frames -----

CLI_SHOT = """\
max_frames = 4
seed = 5
animation_mode = "Video"

[output]
pattern = "out/v.####.exr"

[render]
diffusion_model = "tiny-unet"
use_secondary_model = false
init_loss = "mse"
clip_models = ["{clip}"]
steps = 4
skip_steps = 1
width_height = [64, 64]
cutn_batches = 1
cut_overview = "[2]*1000"
cut_innercut = "[1]*1000"

[animation]
video_init_path = "plate/p.####.exr"
flow_model = "dis"
state_every = 1

[prompts]
0 = ["a street at night:1"]
"""


def test_chroma_render_resumes_a_flow_warped_shot_from_the_cached_flows_bit_for_bit(
        tiny_unet_model, tiny_clip_in_cache, tmp_path, capsys) -> None:
    from chroma import read
    from chroma.cli import main
    from render.flow import FlowEstimator

    _plates(tmp_path)
    shot = tmp_path / "v.toml"
    shot.write_text(CLI_SHOT.format(clip=tiny_clip_in_cache))
    assert main(["render", str(shot)]) == 0, capsys.readouterr().err
    out = tmp_path / "out"
    full = {n: read(out / f"v.{n}.exr").pixels.copy() for n in range(1001, 1005)}
    assert int(read(out / "v.1001.exr").metadata["chroma/seed"]) == 6  # DD's video seed, seed + 0 + 1
    assert len(list((out / "v.state" / "flow").glob("flow21.*.npz"))) == 3

    for n in (1003, 1004):  # as if the run had died after frame 1002
        (out / f"v.{n}.exr").unlink()
    for i in (2, 3):
        (out / "v.state" / f"state.{i:06d}.npz").unlink()
    calls = []
    original = FlowEstimator.__call__

    def counting(self, a, b):
        calls.append(1)
        return original(self, a, b)

    FlowEstimator.__call__ = counting
    try:
        assert main(["render", str(shot), "--resume"]) == 0, capsys.readouterr().err
    finally:
        FlowEstimator.__call__ = original
    assert calls == []  # frames 1003 and 1004 read their flows from v.state/flow
    for n in range(1001, 1005):
        assert np.array_equal(read(out / f"v.{n}.exr").pixels, full[n]), f"frame {n} differs after the resume"
