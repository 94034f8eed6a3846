"""Loop state files: compressed losslessly (every bit back, NaN payloads and -0.0 too),
smaller than numpy's own savez and savez_compressed, and old uncompressed files still load."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from chroma.pipeline.statefile import read_state_file, write_state_file

SHOT = """\
max_frames = 4
animation_mode = "2D"

[output]
pattern = "out/sh010.####.exr"

[render]
width_height = [64, 64]

[prompts]
0 = ["a lighthouse:1"]
"""


def _frame(seed: int) -> np.ndarray:
    """A smooth picture with fine noise in [-1, 1], float32 with full mantissas (as the sampler leaves a frame)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:96, 0:160].astype(np.float32)
    base = np.stack([np.sin(xx / 17 + c) * np.cos(yy / 23 - c) for c in range(3)])[None] * 0.8
    return np.clip(base + rng.normal(0, 0.02, base.shape), -1, 1).astype(np.float32)


def test_state_files_round_trip_every_bit_and_are_smaller(tmp_path: Path) -> None:
    prev = _frame(0)
    special = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -3.4e38], np.float32)
    payload_nan = np.array([0x7FC12345, 0xFFA00001], np.uint32).view(np.float32)  # NaNs with payloads
    prev.reshape(-1)[:10] = np.concatenate([special, payload_nan])
    arrays: dict[str, Any] = {"index": np.array(7, np.int64), "prev": prev, "old": _frame(1).astype(np.float64),
              "empty": np.zeros((0,), np.float32), "counts": np.arange(5, dtype=np.int32)}
    ours = io.BytesIO()
    write_state_file(ours, {"frame": 1008, "note": Path("x")}, arrays)
    ours.seek(0)
    meta, back = read_state_file(ours)
    assert meta["frame"] == 1008 and meta["note"] == "x"
    assert set(back) == set(arrays)
    for name, a in arrays.items():
        assert back[name].dtype == a.dtype and back[name].shape == a.shape, name
        assert back[name].tobytes() == a.tobytes(), name  # every bit
    plain, compressed = io.BytesIO(), io.BytesIO()
    np.savez(plain, **arrays)
    np.savez_compressed(compressed, **arrays)
    size = len(ours.getvalue())
    assert size < 0.95 * len(compressed.getvalue()) < 0.95 * len(plain.getvalue())


def test_the_runner_saves_compressed_states_and_loads_old_ones(tmp_path: Path) -> None:
    """ShotRunner.save_state writes the compressed form, load_state gives the float32 frame
    back bit for bit, and a state written as numpy's plain npz (before compression) still loads."""
    import json

    from chroma.pipeline import ShotRunner
    from render.animation import LoopState

    shot = tmp_path / "sh010.toml"
    shot.write_text(SHOT)
    runner = ShotRunner.from_file(shot)
    import torch

    prev = torch.from_numpy(_frame(2))
    runner.save_state(LoopState(index=1, prev=prev), {"frame": 1002})
    path = runner.state_path(1)
    assert path.stat().st_size < 0.95 * prev.numel() * 4
    assert runner.state_problem(1) is None
    loaded = runner.load_state(1)
    assert loaded.index == 1 and loaded.prev is not None
    assert np.array_equal(loaded.prev.numpy().view(np.uint32), prev.numpy().view(np.uint32))
    np.savez(runner.state_path(2), meta=np.array(json.dumps({"frame": 1003})), index=np.array(2), prev=_frame(3))
    assert runner.state_problem(2) is None
    assert np.array_equal(runner.load_state(2).prev.numpy(), _frame(3))
