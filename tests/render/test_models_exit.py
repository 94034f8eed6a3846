"""A render ends on its own last line: nothing on stderr after it (#21 item 16).

OpenImageIO is a nanobind extension; every object of it alive when its module is torn down
at exit was reported ("nanobind: leaked 2 instances!", "leaked type ...", about 21 lines)
after every render, burying the Ctrl-C "continue with" line. The models are the tiny
random-weight ones of the other render tests, in a model cache of the test's own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SHOT = """\
max_frames = {frames}
seed = 2934575631  # a Disco Diffusion seed beyond int32 (#21 item 1)
animation_mode = "2D"

[output]
pattern = "out/sh030.####.exr"
first_frame = 1001

[render]
diffusion_model = "tiny-unet"
use_secondary_model = false
init_loss = "mse"
clip_models = ["{clip}"]
steps = {steps}
skip_steps = 0
width_height = [64, 64]
cutn_batches = 1
cut_overview = "[2]*1000"
cut_innercut = "[1]*1000"

[animation]
zoom = "0: (1.05)"

[prompts]
0 = ["a lighthouse in a storm"]
"""


def _start(tmp_path: Path, model_cache: Path, clip: str, frames: int, steps: int) -> subprocess.Popen:
    shot = tmp_path / "sh030.toml"
    shot.write_text(SHOT.format(frames=frames, clip=clip, steps=steps))
    env = {**os.environ, "PYTHONPATH": str(REPO), "CHROMA_MODELS": str(model_cache), "PYTHONUNBUFFERED": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "chroma", "render", str(shot), "--quiet"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_render_prints_nothing_after_its_last_line(tiny_unet_model, tiny_clip_in_cache, model_cache,
                                                     tmp_path) -> None:
    proc = _start(tmp_path, model_cache, tiny_clip_in_cache, frames=2, steps=2)
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, output
    assert "nanobind" not in output and "leaked" not in output, output
    assert output.splitlines()[-1].startswith("rendered frames 1001-1002"), output
    from chroma import read

    assert [read(tmp_path / "out" / f"sh030.{f}.exr").metadata["chroma/seed"] for f in (1001, 1002)] == [
        2934575631, 2934575632]


def test_ctrl_c_leaves_the_continue_line_last(tiny_unet_model, tiny_clip_in_cache, model_cache, tmp_path) -> None:
    proc = _start(tmp_path, model_cache, tiny_clip_in_cache, frames=40, steps=2)
    first = tmp_path / "out" / "sh030.1001.exr"
    deadline = time.monotonic() + 240
    while not first.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output
    assert "nanobind" not in output and "leaked" not in output, output
    last = output.splitlines()[-1]
    assert last.startswith("chroma render: interrupted") and last.endswith(" --resume"), output
