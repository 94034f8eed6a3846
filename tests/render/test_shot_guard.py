"""End to end on CPU with tiny random-weight models: a shot with the collapse guard
(renoise) and colour coherence renders, is written with its metadata and log, resumes
to the frames of an uninterrupted run bit for bit, and its report builds; a guard that
stops ends the run with exit 3 and a state that --resume continues."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from chroma.cli import main

av = pytest.importorskip("av")

SHOT = """\
max_frames = {frames}
seed = 3
animation_mode = "2D"

[output]
pattern = "out/sh040.####.exr"
fps = 8

[render]
diffusion_model = "tiny-unet"
use_secondary_model = false
clip_models = ["{clip}"]
steps = 4
skip_steps = 0
width_height = [64, 64]
cutn_batches = 1
cut_overview = "[2]*1000"
cut_innercut = "[0]*1000"
init_loss = "mse"                # LPIPS (the default, as DD) needs the VGG16 weights

[animation]
zoom = 1.02
frames_skip_steps = "50%"
frames_scale = 500
state_every = 1

[guard]
action = "{action}"
warmup = 2
frames = 1
lightness_ratio = 10      # every frame is "low": the guard fires as soon as the warm-up is over
chroma_ratio = 10
detail_ratio = 10
renoise_frames = 2
renoise_noise = 0.3

[coherence]
reference = 0
strength = "0: (1), {last}: (0.5)"

[prompts]
0 = ["a canyon:1"]
"""


def _shot(folder: Path, clip: str, frames: int = 6, action: str = "renoise") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "sh040.toml"
    path.write_text(SHOT.format(frames=frames, clip=clip, action=action, last=frames - 1))
    return path


def _pixels(folder: Path, n: int) -> list[np.ndarray]:
    from chroma import read

    return [read(folder / "out" / f"sh040.{1001 + i}.exr").pixels for i in range(n)]


def test_guard_and_coherence_render_resume_identically_and_report(capsys, tiny_unet_model, tiny_clip_in_cache,
                                                                  tmp_path) -> None:
    from chroma import read

    a = _shot(tmp_path / "a", tiny_clip_in_cache)
    assert main(["render", str(a)]) == 0
    out = capsys.readouterr().out
    # frame 2 is the first after the warm-up: it fires; 3 and 4 are renoised; 5 fires again
    assert re.search(r"^frame 1003 .*guard FIRED \(renoise: lightness", out, re.M), out
    assert re.search(r"^frame 1004 .*renoise 1\.00.*drift", out, re.M)
    log = [json.loads(x) for x in (tmp_path / "a" / "out" / "sh040.state" / "log.jsonl").read_text().splitlines()]
    assert [r["guard"]["fired"] for r in log] == [False, False, True, False, False, True]
    assert [r["guard"]["renoise"] for r in log] == [0, 0, 0, 1.0, 0.5, 0]
    assert log[3]["coherence"]["strength"] == pytest.approx(0.7) and log[3]["coherence"]["drift_after"] < 0.02
    meta = read(tmp_path / "a" / "out" / "sh040.1003.exr").metadata
    assert json.loads(meta["chroma/guard"])["fired"] and json.loads(meta["chroma/guard"])["action"] == "renoise"
    assert json.loads(meta["chroma/coherence"])["reference"] == 0

    # the same shot interrupted after frame 1003 (state saved), then --resume: the same frames bit for bit
    b = _shot(tmp_path / "b", tiny_clip_in_cache)
    assert main(["render", str(b), "--frames", "1001-1003"]) == 0
    assert main(["render", str(b), "--resume"]) == 0
    capsys.readouterr()
    for i, (pa, pb) in enumerate(zip(_pixels(tmp_path / "a", 6), _pixels(tmp_path / "b", 6))):
        assert np.array_equal(pa, pb), f"frame {1001 + i} differs after the resume"

    # the guard over the written EXRs (read back through their view) measures what it measured live
    assert main(["shot", "guard", str(tmp_path / "a" / "out" / "sh040.####.exr"), "--json"]) == 0
    scanned = json.loads(capsys.readouterr().out)["frames"]["1001"]  # frame 0: the reference, not changed
    for k in ("lightness_spread", "chroma_spread", "detail", "mean_L"):
        assert scanned[k] == pytest.approx(log[0]["guard"][k], abs=2e-3), k

    assert main(["shot", "report", str(tmp_path / "a" / "out")]) == 0
    rep = tmp_path / "a" / "out" / "report"
    with av.open(str(rep / "sh040.mp4")) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]
    assert len(frames) == 6 and frames[0].shape == (64, 64, 3)
    assert read(rep / "sh040.plots.png").rgb.std() > 0.05 and read(rep / "sh040.contact.png").rgb.std() > 0.05


def test_stop_ends_the_run_with_the_state_saved_and_resume_continues(capsys, tiny_unet_model, tiny_clip_in_cache,
                                                                     tmp_path) -> None:
    shot = _shot(tmp_path / "c", tiny_clip_in_cache, frames=5, action="stop")
    assert main(["render", str(shot)]) == 3
    err = capsys.readouterr().err
    assert "collapse guard stopped the shot after frame 1003" in err and "--resume" in err
    assert len(err.strip().splitlines()) == 1
    out = tmp_path / "c" / "out"
    assert sorted(p.name for p in out.glob("sh040.*.exr")) == [f"sh040.{n}.exr" for n in (1001, 1002, 1003)]
    assert (out / "sh040.state" / "state.000002.npz").is_file()
    # the user turns the guard to warn and continues: the rest of the shot, from the saved state
    shot.write_text(shot.read_text().replace('action = "stop"', 'action = "warn"'))
    assert main(["render", str(shot), "--resume"]) == 2  # the states were saved with action = "stop"
    assert "--settings-changed" in capsys.readouterr().err
    assert main(["render", str(shot), "--resume", "--settings-changed"]) == 0
    assert len(list(out.glob("sh040.*.exr"))) == 5
    # and those frames are the ones an uninterrupted warn run draws (stop and warn do not touch pixels)
    d = _shot(tmp_path / "d", tiny_clip_in_cache, frames=5, action="warn")
    assert main(["render", str(d)]) == 0
    for i, (pc, pd) in enumerate(zip(_pixels(tmp_path / "c", 5), _pixels(tmp_path / "d", 5))):
        assert np.array_equal(pc, pd), f"frame {1001 + i}"
