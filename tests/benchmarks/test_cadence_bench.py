"""Cadence: frames per minute against cadence 1 on tiny models, and what a frame between costs.

Measure with ``pytest tests/benchmarks/test_cadence_bench.py --benchmark-enable``; without
it each benchmark runs once as a plain test. The shot benchmark renders a 2D shot of 7
frames with tiny random-weight models through ``chroma render`` at cadence 1 and 3 (frames
per minute in ``benchmark.extra_info``); the in-between benchmarks time one frame between
at Disco Diffusion's default size, 1280x768: 2D (exact flows from the chained matrices,
the shared blend), 3D (flows composed over 3 frames from a depth, bicubic resample,
blend) and Video (four DIS flows between plate frames, the consistency checks, blend).
docs/cadence.md compares them with a diffused frame.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import cast

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("cv2")

from tests.render.conftest import model_cache, tiny_clip_in_cache, tiny_unet_model  # noqa: E402,F401
from tests.render.test_cadence import _shot  # noqa: E402

H, W = 768, 1280
FRAMES = 7


@pytest.mark.parametrize("cadence", [1, 3])
@pytest.mark.usefixtures("tiny_unet_model")
def test_shot_frames_per_minute_tiny_models(benchmark, capsys, cadence: int, request, tmp_path: Path) -> None:
    from chroma.cli import main

    shot = _shot(tmp_path, request.getfixturevalue("tiny_clip_in_cache"), frames=FRAMES, extra=f"cadence = {cadence}")
    out = tmp_path / "out"

    def clear() -> None:
        shutil.rmtree(out, ignore_errors=True)

    def render() -> None:
        assert main(["render", str(shot)]) == 0

    t0 = time.perf_counter()
    benchmark.pedantic(render, setup=clear, rounds=2, iterations=1)
    seconds = benchmark.stats.stats.min if benchmark.stats is not None else (time.perf_counter() - t0)
    benchmark.extra_info["frames_per_minute"] = FRAMES * 60.0 / seconds
    capsys.readouterr()
    assert len(list(out.glob("sh010.*.exr"))) == FRAMES


def _keys() -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(0)
    return (torch.from_numpy(rng.random((1, 3, H, W), dtype=np.float32)),
            torch.from_numpy(rng.random((1, 3, H, W), dtype=np.float32)))


def _loop(mode: str):
    from render.animation import FrameLoop
    from render.renderer import Renderer

    return FrameLoop(cast(Renderer, object()), mode,
                     depth_fn=(lambda image, index: torch.full(image.shape[-2:], 2000.0)) if mode == "3D" else None)


@pytest.mark.parametrize("mode", ["2D", "3D"])
def test_inbetween_1280x768(benchmark, mode: str) -> None:
    from render.animation import LoopState

    a, b = _keys()
    camera = ({"angle": 0.5, "zoom": 1.02, "translation_x": 2.0} if mode == "2D"
              else {"translation_x": 2000.0, "translation_z": 10.0, "rotation_3d_y": 0.3})
    first, second = LoopState(0, a, prev_depth=torch.full((H, W), 2000.0)), LoopState(3, b)
    loop = _loop(mode)
    out = benchmark(loop.between, 1, first, second, [camera] * 3)
    assert out.image.shape == (1, 3, H, W) and out.inbetween == (0, 3)


def test_inbetween_video_1280x768(benchmark) -> None:
    from render.animation import LoopState
    from render.flow import FlowEstimator
    from tests.benchmarks.test_flow_bench import _pair

    p0, p1 = _pair()
    pj = 0.5 * (p0 + p1)
    a, b = _keys()
    loop = _loop("Video")
    estimator = FlowEstimator("dis")
    out = benchmark(loop.between, 1, LoopState(0, a), LoopState(2, b), [], (pj, p0, p1), estimator)
    assert out.image.shape == (1, 3, H, W)
