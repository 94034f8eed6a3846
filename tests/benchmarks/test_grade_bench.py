"""Benchmarks for `chroma grade` (issue 3). Measure for real with:

    pytest tests/benchmarks/test_grade_bench.py --benchmark-enable

- 3840x2160 half EXR, exposure + white balance + ACEScg -> ACES2065-1, file to file:
  chroma vs oiiotool (--mulc, --ccmatrix, --colorconvert with chroma's bundled config),
  measured in the same run.
- a 24-frame 1920x1080 sequence with --jobs 1 vs --jobs 2.
With --benchmark-disable (the default run) each runs once on small frames, as a test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chroma import Image, write
from chroma import ocio as O
from chroma.cli import main
from chroma.grade import Exposure, Grade, WhiteBalance, grade_file

OIIOTOOL = shutil.which("oiiotool") or str(Path(sys.executable).parent / "oiiotool")
STOPS, FROM_K, TO_K = 1.5, 3200.0, 6504.0


def _frame(path, w, h, seed=0):
    rng = np.random.default_rng(seed)
    px = rng.lognormal(-1.7, 1.0, (h, w, 3)).astype(np.float32)
    write(Image(px, ["R", "G", "B"], "ACEScg"), path)


@pytest.fixture(scope="module")
def uhd(tmp_path_factory, request):
    d = tmp_path_factory.mktemp("grade_bench")
    big = request.config.getoption("benchmark_enable", False)
    w, h = (3840, 2160) if big else (960, 540)
    _frame(d / "uhd.exr", w, h)
    return d


def test_chroma_grade_uhd(benchmark, uhd):
    g = Grade([Exposure(STOPS), WhiteBalance(FROM_K, TO_K)])
    opts = dict(dtype="half", compression="zip", overwrite=True)
    benchmark.pedantic(grade_file, args=(str(uhd / "uhd.exr"), str(uhd / "chroma_out.exr"), g, "ACES2065-1", opts),
                       rounds=3, iterations=1, warmup_rounds=1)
    assert (uhd / "chroma_out.exr").exists()


@pytest.mark.skipif(not os.path.exists(OIIOTOOL), reason="oiiotool not installed")
def test_oiiotool_grade_uhd(benchmark, uhd):
    m = np.asarray(WhiteBalance(FROM_K, TO_K).affine("ACEScg")[0])
    # oiiotool --ccmatrix takes a row-vector matrix (rgb @ M): pass the transpose, 4x4 rows
    m44 = np.eye(4)
    m44[:3, :3] = m.T
    k = 2 ** STOPS
    cmd = [OIIOTOOL, "--colorconfig", O.config_path(), str(uhd / "uhd.exr"), "--mulc", f"{k},{k},{k}",
           "--ccmatrix", ",".join(f"{v:.9g}" for v in m44.ravel()), "--colorconvert", "ACEScg", "ACES2065-1",
           "-d", "half", "--compression", "zip", "-o", str(uhd / "oiio_out.exr")]
    benchmark.pedantic(subprocess.run, args=(cmd,), kwargs=dict(check=True), rounds=3, iterations=1, warmup_rounds=1)
    # same pixels as chroma (half precision)
    from chroma import read

    a = read(uhd / "oiio_out.exr").pixels
    b = read(uhd / "chroma_out.exr").pixels if (uhd / "chroma_out.exr").exists() else None
    if b is not None:
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=1e-4)


@pytest.fixture(scope="module")
def seq(tmp_path_factory, request):
    d = tmp_path_factory.mktemp("grade_seq")
    big = request.config.getoption("benchmark_enable", False)
    n, (w, h) = (24, (1920, 1080)) if big else (4, (320, 180))
    for f in range(1001, 1001 + n):
        _frame(d / f"plate.{f}.exr", w, h, f)
    (d / "out1").mkdir()
    (d / "out2").mkdir()
    return d


@pytest.mark.parametrize("jobs", [1, 2])
def test_sequence_jobs(benchmark, seq, jobs):
    argv = ["grade", str(seq / "plate.####.exr"), "-o", str(seq / f"out{jobs}" / "g.####.exr"), "--exposure", str(STOPS),
            "--white-balance", f"{FROM_K:g}:{TO_K:g}", "--colorspace", "ACES2065-1", "--jobs", str(jobs), "--overwrite"]
    rc = benchmark.pedantic(main, args=(argv,), rounds=2, iterations=1)
    assert rc == 0
