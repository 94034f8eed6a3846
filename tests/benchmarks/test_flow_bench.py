"""Optical flow and warping per frame at Disco Diffusion's default size (1280x768).

Measure with ``pytest tests/benchmarks/test_flow_bench.py --benchmark-enable``; without it
each benchmark runs once as a plain test (checking the flow found the frame's motion).
DIS runs on the CPU; RAFT (``raft_large`` at DD's 20 iterations, randomly initialised:
the weights do not change its cost) only on CUDA, and skips without a GPU.
"""

from __future__ import annotations

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from render.flow import FlowEstimator, estimate_flow, warp  # noqa: E402

H, W = 768, 1280
SHIFT = (3.0, -2.0)


def _pair() -> tuple[np.ndarray, np.ndarray]:
    """A smooth-noise RGB frame and the same frame moved by SHIFT pixels, float32 in [0, 1]."""
    rng = np.random.default_rng(0)
    noise = cv2.GaussianBlur(rng.random((H + 16, W + 16, 3)).astype(np.float32), (0, 0), 3)
    noise = (noise - noise.min()) / (noise.max() - noise.min())
    dx, dy = int(SHIFT[0]), int(SHIFT[1])
    a = noise[8:8 + H, 8:8 + W]
    b = noise[8 - dy:8 - dy + H, 8 - dx:8 - dx + W]  # b(x) = a(x - shift)
    return np.ascontiguousarray(a), np.ascontiguousarray(b)


@pytest.mark.parametrize("preset", ["ultrafast", "fast", "medium"])
def test_dis_flow_1280x768(benchmark, preset: str) -> None:
    a, b = _pair()
    flow = benchmark(estimate_flow, a, b, "dis", preset=preset)
    assert np.abs(np.median(flow[64:-64, 64:-64].reshape(-1, 2), axis=0) - SHIFT).max() < 0.1


def test_warp_1280x768(benchmark) -> None:
    a, b = _pair()
    flow = np.broadcast_to(np.array(SHIFT, np.float32), (H, W, 2)).copy()
    out = benchmark(warp, b, flow)
    assert np.abs(out[16:-16, 16:-16] - a[16:-16, 16:-16]).max() < 1e-5


def test_dis_flow_and_warp_1280x768(benchmark) -> None:
    """What a video frame costs: the flow at the render size, then the warp."""
    a, b = _pair()
    estimator = FlowEstimator("dis")
    out = benchmark(lambda: warp(b, estimator(a, b)))
    assert np.abs(out[64:-64, 64:-64] - a[64:-64, 64:-64]).mean() < 0.01


def raft_on_cuda(a: np.ndarray, b: np.ndarray) -> tuple:
    """torch, a random-weight ``raft_large`` on CUDA and two frames as its [-1, 1] inputs; skips without CUDA."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    from torchvision.models.optical_flow import raft_large

    model = raft_large(weights=None).eval().requires_grad_(False).cuda()
    ta, tb = (torch.from_numpy(x * 2 - 1).permute(2, 0, 1)[None].cuda() for x in (a, b))
    return torch, model, ta, tb


def test_raft_flow_1280x768_cuda(benchmark) -> None:
    torch, model, ta, tb = raft_on_cuda(*_pair())

    def run() -> object:
        with torch.no_grad():
            flow = model(ta, tb, num_flow_updates=20)[-1]
        torch.cuda.synchronize()
        return flow

    run()  # cuDNN autotuning and allocations out of the timing
    assert tuple(benchmark(run).shape) == (1, 2, H, W)
