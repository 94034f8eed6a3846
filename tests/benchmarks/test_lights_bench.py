"""Benchmarks: all metrics of one light, and a 24-patch chart.

Measure for real with:
    pytest tests/benchmarks/test_lights_bench.py --benchmark-enable
(the default run has --benchmark-disable: each benchmark runs once as a plain test).
"""

from __future__ import annotations

import numpy as np
import pytest

from chroma import lights
from chroma.charts import render_chart
from chroma.lights import Light


@pytest.fixture(scope="module")
def fl2():
    light = Light.illuminant("FL2")
    light.metrics()  # warm colour-science's lazy imports and tables
    return light


def test_all_metrics_one_light_uncached(benchmark, fl2):
    """CCT/Duv + CRI (Ra, R1-R14) + TM-30 (Rf, Rg) + LER, bypassing the cache."""
    m = benchmark(lights.compute_metrics, fl2.values)
    assert round(m.cri_ra) == 64


def test_metrics_cached(benchmark, fl2):
    m = benchmark(fl2.metrics)
    assert round(m.cri_ra) == 64


def test_peer_colour_cri_alone(benchmark, fl2):
    """Peer: colour-science's CIE 13.3 CRI alone on the same spectrum."""
    from chroma.colour_science import colour

    c = colour()
    sd = c.SpectralDistribution(fl2.values, lights.WAVELENGTHS)
    assert round(benchmark(c.colour_rendering_index, sd)) == 64


def test_light_rgb(benchmark, fl2):
    rgb = benchmark(fl2.rgb)
    assert rgb.shape == (3,)


def test_chart_24_patches(benchmark, fl2):
    """Spectral render of the 24 patches + CIEDE2000 against the CIE 13.3 reference."""
    res = benchmark(render_chart, fl2)
    assert res.rgb.shape == (24, 3) and np.all(res.delta_e > 0)


def test_phosphor_white_solve(benchmark):
    values, _ = benchmark(lights.pc_white.__wrapped__, 5600.0, 110.0)
    assert values.shape == (471,)
