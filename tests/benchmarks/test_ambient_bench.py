"""Issue 5 benchmarks: SH projection of a 4096x2048 float HDRI and irradiance for a
1920x1080 normal map. Target: under 0.25 s each on 2 cores.
Run: pytest tests/benchmarks/test_ambient_bench.py --benchmark-enable
"""

import numpy as np
import pytest

from chroma import ambient


@pytest.fixture(scope="module")
def hdri_4k():
    rng = np.random.default_rng(7)
    return (rng.random((2048, 4096, 3), dtype=np.float32) * 4.0).astype(np.float32)


@pytest.fixture(scope="module")
def normal_map_hd():
    rng = np.random.default_rng(8)
    n = rng.normal(size=(1080, 1920, 3)).astype(np.float32)
    return n / np.linalg.norm(n, axis=2, keepdims=True)


@pytest.mark.benchmark(group="ambient")
def test_project_4096x2048(benchmark, hdri_4k):
    sh = benchmark.pedantic(ambient.project, args=(hdri_4k,), rounds=5, iterations=1, warmup_rounds=1)
    assert sh.coefficients.shape == (9, 3)
    assert sh.mean_radiance == pytest.approx([2.0, 2.0, 2.0], rel=1e-3)


@pytest.mark.benchmark(group="ambient")
def test_irradiance_1920x1080(benchmark, hdri_4k, normal_map_hd):
    sh = ambient.project(hdri_4k)
    e = benchmark.pedantic(sh.irradiance, args=(normal_map_hd,), rounds=5, iterations=1, warmup_rounds=1)
    assert e.shape == (1080, 1920, 3)
    assert np.allclose(e, 2.0 * np.pi, rtol=0.02)  # a (nearly) uniform environment
