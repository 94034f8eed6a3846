"""The watch's per-frame cost on a Disco Diffusion-sized frame (1280 x 768): the guard's
measures and coherence (stats, histogram). No target in the issue; it should stay a
small fraction of a diffused frame (tens of seconds on a GPU). Measure with
``pytest tests/benchmarks/test_guard_bench.py --benchmark-enable``."""

import numpy as np
import pytest

from chroma.coherence import match_frame
from chroma.guard import display_to_oklab, frame_measures

W, H = 1280, 768


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    f = rng.random((H, W, 3)).astype(np.float32)
    ref = display_to_oklab(rng.random((H, W, 3)).astype(np.float32))
    return f, ref


@pytest.mark.benchmark(group="watch-1280x768")
def test_bench_guard_measures(benchmark, frames):
    m = benchmark.pedantic(frame_measures, args=(frames[0],), rounds=3, iterations=1)
    assert 0.1 < m["lightness_spread"] < 0.3  # uniform random code values: a wide spread


@pytest.mark.benchmark(group="watch-1280x768")
@pytest.mark.parametrize("mode", ["stats", "histogram"])
def test_bench_coherence(benchmark, frames, mode):
    out = benchmark.pedantic(match_frame, args=(frames[0], frames[1], 1.0, mode), rounds=3, iterations=1)
    assert out.shape == (H, W, 3)
