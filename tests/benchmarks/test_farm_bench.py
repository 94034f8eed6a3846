"""``chroma grade`` over a sequence: ``--farm local:2`` vs ``--jobs 2`` vs oiiotool, in
the same run (figures in docs/farm.md). Measure with:

    CHROMA_FARM_BENCH_FRAMES=48 CHROMA_FARM_BENCH_SIZE=2048x1080 \\
        pytest tests/benchmarks/test_farm_bench.py --benchmark-enable

As a plain test (the default run) it grades 4 frames of 256x128 once per way.
The farm's figure includes starting the local cluster (two worker processes), as a user
of ``--farm local:2`` pays it.
"""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

from chroma import Image, read, write
from chroma import ocio as O
from chroma.cli import main
from chroma.grade import WhiteBalance
from tests.benchmarks.conftest import oiiotool

STOPS, FROM_K, TO_K = 1.5, 3200.0, 6504.0
FRAMES = int(os.environ.get("CHROMA_FARM_BENCH_FRAMES", "4"))
W, H = (int(v) for v in os.environ.get("CHROMA_FARM_BENCH_SIZE", "256x128").lower().split("x"))
FIRST = 1001


@pytest.fixture(scope="module")
def plates(tmp_path_factory):
    d = tmp_path_factory.mktemp("farm_bench")
    rng = np.random.default_rng(5)
    for f in range(FIRST, FIRST + FRAMES):
        px = rng.lognormal(-1.7, 1.0, (H, W, 3)).astype(np.float32)
        write(Image(px, ["R", "G", "B"], "ACEScg"), d / f"plate.{f}.exr")
    for sub in ("jobs", "farm", "oiio"):
        (d / sub).mkdir()
    return d


def _argv(d, out, *extra):
    return ["grade", str(d / "plate.####.exr"), "-o", str(d / out / "g.####.exr"), "--exposure", str(STOPS),
            "--white-balance", f"{FROM_K:g}:{TO_K:g}", "--colorspace", "ACES2065-1", "--overwrite", *extra]


def test_grade_jobs_2(benchmark, plates):
    rc = benchmark.pedantic(main, args=(_argv(plates, "jobs", "--jobs", "2"),), rounds=1, iterations=1)
    assert rc == 0


def test_grade_farm_local_2(benchmark, plates):
    pytest.importorskip("distributed")
    rc = benchmark.pedantic(main, args=(_argv(plates, "farm", "--farm", "local:2"),), rounds=1, iterations=1)
    assert rc == 0
    if (plates / "jobs" / f"g.{FIRST}.exr").exists():  # the same files as --jobs 2
        for f in range(FIRST, FIRST + FRAMES):
            assert np.array_equal(read(plates / "jobs" / f"g.{f}.exr").pixels, read(plates / "farm" / f"g.{f}.exr").pixels)


@pytest.mark.skipif(not os.path.exists(oiiotool()), reason="oiiotool not installed")
def test_grade_oiiotool_2(benchmark, plates):
    """oiiotool over the sequence with the same grade (exposure, a CAT16 matrix, OCIO), its
    own frame loop (``--frames``, ``#`` patterns) on 2 threads."""
    m = np.asarray(WhiteBalance(FROM_K, TO_K).affine("ACEScg")[0])
    m44 = np.eye(4)
    m44[:3, :3] = m.T  # oiiotool --ccmatrix multiplies row vectors
    k = 2 ** STOPS
    cmd = [oiiotool(), "--threads", "2", "--colorconfig", O.config_path(), "--frames", f"{FIRST}-{FIRST + FRAMES - 1}",
           str(plates / "plate.#.exr"), "--mulc", f"{k},{k},{k}", "--ccmatrix", ",".join(f"{v:.9g}" for v in m44.ravel()),
           "--colorconvert", "ACEScg", "ACES2065-1", "-d", "half", "--compression", "zip",
           "-o", str(plates / "oiio" / "g.#.exr")]
    benchmark.pedantic(subprocess.run, args=(cmd,), kwargs=dict(check=True), rounds=1, iterations=1)
    a = read(plates / "oiio" / f"g.{FIRST}.exr").pixels
    if (plates / "jobs" / f"g.{FIRST}.exr").exists():
        np.testing.assert_allclose(a, read(plates / "jobs" / f"g.{FIRST}.exr").pixels, rtol=2e-3, atol=1e-4)
