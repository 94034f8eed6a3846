"""GPU throughput of animated shots at Disco Diffusion's defaults (skipped without CUDA).

Frames per minute and peak GPU memory for a 2D and a 3D shot through the frame loop
(render.animation.FrameLoop) at 1280x768, 250 steps, ``frames_skip_steps = "60%"`` (so
100 sampled steps per frame after the first, as Disco Diffusion), the secondary model
and three CLIP models (ViT-B-32, ViT-B-16, RN50), random weights. The 3D shot estimates
depth for every frame with DPT-Large (Disco Diffusion's default MiDaS), random weights
at its published size. Frame 0 (250 steps from noise) is left out of the timing.

Run:  pytest tests/benchmarks/test_shot_gpu.py --benchmark-enable -s
      (CHROMA_BENCH_SHOT_FRAMES=N times N frames after frame 0; default 2)
"""

from __future__ import annotations

import os
import time

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("open_clip")

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="GPU shot throughput: needs CUDA"),
]

FRAMES = int(os.environ.get("CHROMA_BENCH_SHOT_FRAMES", "2"))


def _dpt_large_random():
    transformers = pytest.importorskip("transformers")
    from render.depth import Preprocess, TransformersDepthEstimator
    from render.models import REGISTRY

    config = dict(REGISTRY["dpt_large"].config)  # the published layout (343M parameters)
    pre = config.pop("preprocess", None)
    cfg = transformers.AutoConfig.for_model(config.pop("model_type", "dpt"), **config)
    torch.manual_seed(0)
    model = transformers.AutoModelForDepthEstimation.from_config(cfg).to("cuda")
    return TransformersDepthEstimator(model, Preprocess.from_dict(pre), dtype=torch.float16)


def _shot_frames(mode: str, benchmark) -> None:
    from render.animation import FrameInput, FrameLoop, LoopState
    from tests.benchmarks.test_render_gpu import _build

    renderer = _build(init_loss="mse")  # LPIPS needs its published VGG16 weights; MSE costs the same order
    depth_fn = None
    if mode == "3D":
        estimator = _dpt_large_random()
        depth_fn = lambda image, index: estimator(image)[0].clamp_min(0.05)  # noqa: E731
    loop = FrameLoop(renderer, mode, depth_fn=depth_fn)
    camera = {"zoom": 1.02, "angle": 0.5, "translation_z": 10.0, "rotation_3d_y": 0.3}
    settings = renderer.settings

    def frame(i: int) -> FrameInput:
        return FrameInput(index=i, seed=i, prompts=["a lighthouse in a storm, matte painting:1"], settings=settings,
                          camera=camera, frames_scale=1500.0, frames_skip_steps="60%")

    state = LoopState()
    _, state = loop.step(frame(0), state)  # from noise: not timed
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for i in range(1, 1 + FRAMES):
        _, state = loop.step(frame(i), state)
    torch.cuda.synchronize()
    per_frame = (time.perf_counter() - t0) / FRAMES
    peak = torch.cuda.max_memory_allocated()
    benchmark.extra_info.update(mode=mode, seconds_per_frame=per_frame, frames_per_minute=60.0 / per_frame,
                                peak_memory_gib=peak / 1024**3, device=torch.cuda.get_device_name())
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    print(f"\n{mode}: {60.0 / per_frame:.2f} frames/min ({per_frame:.1f} s/frame, 100 steps), "
          f"peak {peak / 1024**3:.2f} GiB on {torch.cuda.get_device_name()}")


def test_shot_2d_dd_defaults(benchmark) -> None:
    _shot_frames("2D", benchmark)


def test_shot_3d_dd_defaults(benchmark) -> None:
    _shot_frames("3D", benchmark)
