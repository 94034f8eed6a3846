"""Issue 2 benchmark: read + write of a 3840x2160 half EXR, chroma vs oiiotool.

Target: chroma's overhead over ``oiiotool in.exr -o out.exr`` within 20%.
Run: pytest tests/benchmarks/test_io_bench.py --benchmark-enable
"""

import subprocess
import sys

import pytest

from chroma import read, write
from tests.benchmarks.conftest import oiiotool


@pytest.mark.benchmark(group="exr-read-write-uhd-half")
def test_chroma_read_write(benchmark, uhd_half_exr, tmp_path):
    out = tmp_path / "chroma.exr"

    def run():
        write(read(uhd_half_exr), out)

    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
    assert out.exists()


@pytest.mark.benchmark(group="exr-read-write-uhd-half")
def test_chroma_cli_convert(benchmark, uhd_half_exr, tmp_path):
    out = tmp_path / "cli.exr"
    cmd = [sys.executable, "-m", "chroma", "convert", str(uhd_half_exr), "-o", str(out), "--overwrite"]
    benchmark.pedantic(lambda: subprocess.run(cmd, check=True, capture_output=True), rounds=5, iterations=1, warmup_rounds=1)


@pytest.mark.benchmark(group="exr-read-write-uhd-half")
def test_oiiotool_read_write(benchmark, uhd_half_exr, tmp_path):
    out = tmp_path / "oiio.exr"
    cmd = [oiiotool(), str(uhd_half_exr), "-o", str(out)]
    benchmark.pedantic(lambda: subprocess.run(cmd, check=True, capture_output=True), rounds=5, iterations=1, warmup_rounds=1)
