"""Our guided step and Disco Diffusion's, alternating, in process CPU time (docs/render.md).

pytest-benchmark times wall clock, which drifts on a shared machine; this script times
the two steps of tests/benchmarks/test_guidance_bench.py (same weights, same workload)
in alternation, on a fixed number of torch threads, and prints each pair's ratio and the
medians. Run from the repository root, with the peer as for the benchmark:

    CHROMA_DD_PEER=/tmp/dd-peer python tests/benchmarks/guidance_pairs.py [PAIRS] [THREADS]

``CHROMA_BENCH_CUTN_BATCHES`` (1; DD's default is 4) and ``CHROMA_BENCH_PRECISION``
(``auto``: fp32 on the CPU; ``bf16``) choose the workload, as for the benchmark.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


class _Capture:
    """Stands in for pytest-benchmark's fixture: keeps the step instead of timing it."""

    def __init__(self) -> None:
        self.extra_info: dict[str, Any] = {}
        self.step: Callable[[], Any] | None = None

    def pedantic(self, step: Callable[[], Any], **_: Any) -> Any:
        self.step = step
        return step()


def main(pairs: int = 4, threads: int = 1) -> None:
    import torch

    torch.set_num_threads(threads)
    import tests.benchmarks.test_guidance_bench as bench

    models = bench.build_models()
    ours, peer = _Capture(), _Capture()
    bench.test_guided_step_ours(ours, models)
    bench.test_guided_step_disco_diffusion(peer, models)  # skips (raises) without CHROMA_DD_PEER
    assert ours.step is not None and peer.step is not None
    times: dict[str, list[float]] = {"ours": [], "dd": []}
    for i in range(pairs):
        for name, cap in (("ours", ours), ("dd", peer)):
            t0 = time.process_time()
            cap.step()  # type: ignore[misc]
            times[name].append(time.process_time() - t0)
        print(f"pair {i}: ours {times['ours'][-1]:.2f} s, DD {times['dd'][-1]:.2f} s, "
              f"ratio {times['dd'][-1] / times['ours'][-1]:.2f}x", flush=True)
    mo, md = statistics.median(times["ours"]), statistics.median(times["dd"])
    print(f"median ({threads} thread(s), {bench.DD_SETTINGS['cutn_batches']} cutn batch(es), {bench.PRECISION}): "
          f"ours {mo:.2f} s, DD {md:.2f} s, ratio {md / mo:.2f}x")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
