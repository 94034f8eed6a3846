"""In-betweens per 1280x768 frame (Disco Diffusion's default size), issue #24 item 4.

Measure with ``pytest tests/benchmarks/test_inbetween_bench.py --benchmark-enable``; without
it each benchmark runs once as a plain test. On the CPU: DIS flow both ways, then the
in-between itself (intermediate flows, occlusion weights, warp and blend), and the peer, a
plain DIS half-flow warp (one flow, one warp). RAFT both ways (random-weight ``raft_large``
at 20 iterations: the weights do not change its cost) only on CUDA.
"""

from __future__ import annotations

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from render.flow import FlowEstimator, warp  # noqa: E402
from render.inbetween import inbetween, intermediate_flows, occlusion_weights  # noqa: E402

H, W = 768, 1280


def _pair() -> tuple[np.ndarray, np.ndarray]:
    """A smooth-noise RGB frame and the same frame moved (3, -2) px and zoomed 1%, float32 in [0, 1]."""
    rng = np.random.default_rng(0)
    noise = cv2.GaussianBlur(rng.random((H, W, 3)).astype(np.float32), (0, 0), 3)
    noise = (noise - noise.min()) / (noise.max() - noise.min())
    m = np.array([[1.01, 0, 3 - 0.005 * W], [0, 1.01, -2 - 0.005 * H]])
    return noise, cv2.warpAffine(noise, m, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def test_dis_flows_both_ways_1280x768(benchmark) -> None:
    a, b = _pair()
    flows = FlowEstimator("dis")
    fab, fba = benchmark(lambda: (flows(a, b), flows(b, a)))
    assert np.abs(np.median((fab + warp(fba, fab))[64:-64, 64:-64].reshape(-1, 2), axis=0)).max() < 0.1


def test_inbetween_1280x768(benchmark) -> None:
    """Intermediate flows + occlusion weights + warp and blend of 4 channels (RGBA), flows given."""
    a, b = _pair()
    flows = FlowEstimator("dis")
    fab, fba = flows(a, b), flows(b, a)
    rgba_a = np.concatenate([a, np.ones((H, W, 1), np.float32)], axis=2)
    rgba_b = np.concatenate([b, np.ones((H, W, 1), np.float32)], axis=2)

    def run() -> np.ndarray:
        ta, tb = intermediate_flows(fab, fba, 0.5)
        va, vb = occlusion_weights(fab, fba, ta, tb)
        return inbetween(rgba_a, rgba_b, ta, tb, 0.5, va, vb)

    out = benchmark(run)
    assert out.shape == (H, W, 4) and np.isfinite(out).all()


def test_dis_half_flow_warp_1280x768(benchmark) -> None:
    """The peer: one DIS flow and one warp halfway along it."""
    a, b = _pair()
    flows = FlowEstimator("dis")
    out = benchmark(lambda: warp(a, -0.5 * flows(a, b)))
    assert out.shape == a.shape


def test_raft_flows_both_ways_1280x768_cuda(benchmark) -> None:
    from tests.benchmarks.test_flow_bench import raft_on_cuda

    torch, model, ta, tb = raft_on_cuda(*_pair())

    def run() -> object:
        with torch.no_grad():
            flow = model(torch.cat([ta, tb]), torch.cat([tb, ta]), num_flow_updates=20)[-1]
        torch.cuda.synchronize()
        return flow

    run()  # cuDNN autotuning and allocations out of the timing
    assert tuple(benchmark(run).shape) == (2, 2, H, W)
