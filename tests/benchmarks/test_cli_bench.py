"""Issue 13 benchmark: ``chroma --help`` starts in under 0.2 s.

The help only parses arguments: no torch, colour-science, OpenImageIO or OCIO is imported
(``tests/test_cli.py::test_help_imports_no_heavy_library`` checks that). The peer is the bare
interpreter, ``python -c pass``: the difference between the two is chroma's own start-up
cost, which is what the target is about.
Run: pytest tests/benchmarks/test_cli_bench.py --benchmark-enable
"""

import subprocess
import sys

import pytest

BENCH = dict(rounds=10, iterations=1, warmup_rounds=1)


@pytest.mark.benchmark(group="cli-start")
def test_chroma_help(benchmark):
    cmd = [sys.executable, "-m", "chroma", "--help"]
    res = benchmark.pedantic(lambda: subprocess.run(cmd, check=True, capture_output=True, text=True), **BENCH)
    assert res.stdout.startswith("usage: chroma")


@pytest.mark.benchmark(group="cli-start")
def test_python_pass_peer(benchmark):
    cmd = [sys.executable, "-c", "pass"]
    res = benchmark.pedantic(lambda: subprocess.run(cmd, check=True, capture_output=True), **BENCH)
    assert res.returncode == 0
