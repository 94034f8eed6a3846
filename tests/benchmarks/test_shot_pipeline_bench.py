"""A 1280x768 2D shot through the whole ShotRunner pipeline, with a stand-in for the diffusion
step: where a frame's time goes besides the model, and the bytes it leaves on disk.

Everything a real run does per frame runs here (the 2D warp of the previous frame, the
inverse display view to ACEScg, the EXR with its metadata, the PNG preview, the loop state,
the collapse guard, colour coherence, the log line, the Nuke script at the start and the
end); only ``Renderer.sample`` is replaced by a deterministic picture (a seeded texture
blended into the warped previous frame, full float32 mantissas as a sampler leaves them).

The frame count comes from ``CHROMA_BENCH_FRAMES`` (default 6, so the default test run,
which runs every benchmark once, stays short). Issue #21's shot has 4,530 frames::

    CHROMA_BENCH_FRAMES=4530 pytest tests/benchmarks/test_shot_pipeline_bench.py -s

(about 2.5 hours and 25 GB on two cores; a few hundred frames give the per-frame figures).
The table printed (``-s``) and ``benchmark.extra_info`` hold seconds per frame per part and
bytes per frame; docs/shots.md has the measured figures.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

W, H = 1280, 768
FRAMES = int(os.environ.get("CHROMA_BENCH_FRAMES", "6"))

SHOT = """\
max_frames = {frames}
seed = 2934575
animation_mode = "2D"

[output]
pattern = "out/bench.####.exr"
first_frame = 1001
fps = 24

[render]
width_height = [{w}, {h}]
steps = 10
skip_steps = 0
use_secondary_model = false
init_loss = "mse"
clip_models = []
clip_guidance_scale = 0

[animation]
zoom = "0: (1.02)"
angle = "0: (0.5*sin(t/10))"
translation_x = "0: (1)"
frames_skip_steps = "60%"

[guard]
action = "warn"

[coherence]
reference = 0
mode = "stats"

[prompts]
0 = ["a lighthouse in a storm:2"]
{late} = ["a lighthouse at dawn:1"]
"""


class StandInRenderer:
    """The diffusion step's stand-in: ``0.7 init + 0.3 texture(seed)`` (the texture alone
    for the first frame), deterministic per seed; records its own seconds."""

    def __init__(self, settings: Any):
        self.settings = settings
        self.device = torch.device("cpu")
        self.seconds = 0.0

    def sample(self, prompts, seed, init, image_prompts, settings, transform=None):
        from tests.render.helpers import StandInStep

        t0 = time.perf_counter()
        g = torch.Generator().manual_seed(int(seed) % 2**63)
        h, w = settings.width_height[1], settings.width_height[0]
        yy = torch.linspace(0, 6.28, h)[:, None]
        xx = torch.linspace(0, 6.28, w)[None, :]
        base = torch.stack([torch.sin(3 * xx + c + seed % 7) * torch.cos(2 * yy - c) for c in range(3)])[None]
        texture = (0.7 * base + 0.1 * torch.randn((1, 3, h, w), generator=g)).clamp(-1, 1)
        image = texture if init is None else (0.7 * init + 0.3 * texture).clamp(-1, 1)
        self.seconds += time.perf_counter() - t0
        yield StandInStep(True, image.float(), total=1)


def _timed(monkeypatch: pytest.MonkeyPatch, where: Any, name: str, part: str, totals: dict[str, float],
           active: list[str]) -> None:
    """Time calls of ``where.name`` into ``totals[part]``; a call inside another timed part
    (the preview's own file write) counts for the outer part only."""
    original = getattr(where, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if active:
            return original(*args, **kwargs)
        active.append(part)
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[part] += time.perf_counter() - t0
            active.pop()

    monkeypatch.setattr(where, name, wrapper)


def _bytes(folder: Path, pattern: str) -> int:
    return sum(p.stat().st_size for p in folder.glob(pattern) if p.is_file())


@pytest.mark.benchmark(group="shot-pipeline-1280x768")
def test_bench_shot_pipeline(benchmark, monkeypatch, tmp_path) -> None:
    import chroma.io
    import chroma.pipeline.writer as writer_module
    from chroma.coherence import Coherence
    from chroma.guard import CollapseGuard
    from chroma.pipeline import LocalStateStore, ShotRunner
    from chroma.pipeline.nukescript import NukeScriptWriter
    from render.animation import FrameLoop
    from render.renderer import RenderSettings

    shot_file = tmp_path / "bench.toml"
    shot_file.write_text(SHOT.format(frames=FRAMES, w=W, h=H, late=max(1, FRAMES // 2)))
    totals: dict[str, float] = defaultdict(float)
    parts = [  # (object, attribute, part): what each part of a frame's overhead is
        (FrameLoop, "_warp", "warp (2D camera)"),
        (writer_module, "frame_to_scene_linear", "OCIO (inverse view to ACEScg)"),
        (chroma.io, "write", "I/O (EXR write)"),
        (chroma.io, "write_display", "previews (view + PNG)"),
        (LocalStateStore, "save", "state (compress + fsync)"),
        (CollapseGuard, "observe", "guard"),
        (Coherence, "apply", "coherence"),
        (NukeScriptWriter, "write", "Nuke script"),
    ]
    active: list[str] = []
    for where, name, part in parts:
        _timed(monkeypatch, where, name, part, totals, active)

    def run() -> tuple[ShotRunner, StandInRenderer, float]:
        out = tmp_path / "out"
        if out.exists():
            import shutil

            shutil.rmtree(out)
        totals.clear()
        runner = ShotRunner.from_file(shot_file)
        fake = StandInRenderer(RenderSettings(**runner.shot.frame(0).render))
        runner._renderer = fake
        t0 = time.perf_counter()
        runner.run(runner.plan())
        return runner, fake, time.perf_counter() - t0

    runner, fake, wall = benchmark.pedantic(run, rounds=1, iterations=1)
    assert len(runner.written) == FRAMES
    out = tmp_path / "out"
    states = sorted((out / "bench.state").glob("state.*.npz"))
    per_frame = {part: totals[part] / FRAMES for _, _, part in parts}
    overhead = (wall - fake.seconds) / FRAMES
    per_frame["other (schedules, metadata, log, warp inputs)"] = overhead - sum(per_frame.values())
    sizes = {
        "EXR (half, zip)": _bytes(out, "bench.*.exr") / FRAMES,
        "preview (PNG)": _bytes(out / "preview", "*.png") / FRAMES,
        "states kept, per frame": _bytes(out / "bench.state", "state.*.npz") / FRAMES,
        "log.jsonl": _bytes(out / "bench.state", "log.jsonl") / FRAMES,
    }
    state_bytes = _bytes(out / "bench.state", "state.*.npz") / max(len(states), 1)
    import zipfile

    with zipfile.ZipFile(states[-1]) as zf:  # what a state holds: the frame, the coherence reference...
        members = {info.filename: (info.file_size, info.compress_size) for info in zf.infolist()}
    lines = [f"{FRAMES} frames {W}x{H} 2D; stand-in diffusion {fake.seconds / FRAMES:.3f} s/frame (left out)",
             f"pipeline overhead {overhead:.3f} s/frame:"]
    lines += [f"  {part:48s} {sec:7.3f} s" for part, sec in per_frame.items()]
    lines += ["bytes on disk per frame:"] + [f"  {k:48s} {v:12,.0f}" for k, v in sizes.items()]
    lines += [f"  {'total':48s} {sum(sizes.values()):12,.0f}",
              f"one state: {state_bytes:,.0f} bytes ({len(states)} kept; raw float32 frame {W * H * 3 * 4:,} bytes)"]
    lines += [f"  {name:48s} {raw:12,} raw -> {packed:12,}" for name, (raw, packed) in members.items()]
    print("\n" + "\n".join(lines))
    benchmark.extra_info.update({"frames": FRAMES, "seconds_per_frame": per_frame, "overhead_per_frame": overhead,
                                 "bytes_per_frame": sizes, "bytes_per_state": state_bytes, "state_members": members})
    assert all(v >= 0 for k, v in per_frame.items() if not k.startswith("other"))
    assert state_bytes > 0
