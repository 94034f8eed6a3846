"""``chroma render SHOT.toml`` end to end on CPU with tiny random-weight models: EXR
sequences with AP1 chromaticities and the frame metadata, previews, the Nuke script, a
real SIGKILL and ``--resume`` giving the frames of an uninterrupted run bit for bit,
``--frames`` re-rendering exactly the range asked, and a 3D shot on a Z-carrying plate."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from chroma.cli import main
from tests.test_nuke import check_pinned_script

REPO = Path(__file__).resolve().parents[2]
AP1 = (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767)  # S-2014-004, ACEScg primaries + white

# The [render] table of every test shot: tiny random-weight models, a few steps, 64x64.
TINY_RENDER = """\
[render]
diffusion_model = "tiny-unet"
use_secondary_model = false
init_loss = "mse"                # LPIPS (the default, as DD) needs the VGG16 weights
clip_models = ["{clip}"]
steps = {steps}
skip_steps = 0
width_height = [64, 64]
cutn_batches = 1
cut_overview = "[2]*1000"
cut_innercut = "[1]*1000"
"""

SHOT_2D = """\
max_frames = {frames}
seed = 11
animation_mode = "2D"

[output]
pattern = "out/sh010.####.exr"
first_frame = 1001
fps = 24

{render}clip_guidance_scale = "0: (5000), {last}: (2000)"

[animation]
zoom = "0: (1.05)"
angle = "0: (2*sin(t/3))"
translation_x = "0: (0), {last}: (4)"
frames_skip_steps = "50%"
frames_scale = 500

[prompts]
0 = ["a lighthouse in a storm:2", "blurry:-0.5"]
2 = ["a lighthouse at dawn:1"]
"""


def _shot(tmp_path: Path, clip: str, frames: int = 6, steps: int = 4, text: str = SHOT_2D) -> Path:
    path = tmp_path / "sh010.toml"
    render = TINY_RENDER.format(clip=clip, steps=steps)
    path.write_text(text.format(frames=frames, render=render, last=frames - 1))
    return path


def _pixels(path: Path) -> np.ndarray:
    from chroma import read

    return read(path).pixels


def test_2d_shot_writes_a_sequence_nuke_reads(capsys, tiny_unet_model, tiny_clip_in_cache, tmp_path) -> None:
    import OpenEXR

    shot = _shot(tmp_path, tiny_clip_in_cache)
    code = main(["render", str(shot)])
    out, err = capsys.readouterr()
    assert code == 0, err
    frames = sorted((tmp_path / "out").glob("sh010.*.exr"))
    assert [f.name for f in frames] == [f"sh010.{n}.exr" for n in range(1001, 1007)]
    assert len(re.findall(r"^frame 10\d\d \[prompts@100[13]\] loss", out, re.M)) == 6
    for i, f in enumerate(frames):
        with OpenEXR.File(str(f)) as exr:
            header = exr.header()
            np.testing.assert_allclose(np.array(header["chromaticities"], dtype=float), AP1, atol=1e-4)
            assert header["compression"] == OpenEXR.ZIP_COMPRESSION
            assert exr.channels()["RGB"].pixels.dtype == np.float16
            meta = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in header.items()}
        assert int(meta["chroma/frame"]) == 1001 + i and int(meta["chroma/seed"]) == 11 + i
        assert meta["chroma/prompts"] == ("a lighthouse in a storm:2 | blurry:-0.5" if i < 2 else "a lighthouse at dawn:1")
        schedule = json.loads(meta["chroma/schedule"])
        assert schedule["translation_x"] == pytest.approx(4 * i / 5)
        assert schedule["angle"] == pytest.approx(2 * np.sin(i / 3))
        assert schedule["clip_guidance_scale"] == pytest.approx(5000 - 600 * i)
        assert re.fullmatch(r"[0-9a-f]{64}", meta["chroma/settings_hash"])
        assert json.loads(meta["chroma/models"]) == {"tiny-unet": json.loads(meta["chroma/models"])["tiny-unet"],
                                                     tiny_clip_in_cache: "open_clip"}
        assert meta["chroma/version"]
        assert (tmp_path / "out" / "preview" / f"sh010.{1001 + i}.png").is_file()
    # the hashes differ where the schedules do
    assert len({_hash(f) for f in frames}) == 6
    nk = (tmp_path / "out" / "sh010.nk").read_text()
    check_pinned_script(nk, str(tmp_path / "out" / "sh010.####.exr"), 1001, 1006, _config())


def _config() -> str:
    """The OCIO config the frames were written with, as the Nuke script's Root names it."""
    from chroma import ocio

    return os.path.abspath(ocio.config_path()).replace(os.sep, "/")


def _hash(path: Path) -> str:
    from chroma import read

    return read(path).metadata["chroma/settings_hash"]


def _env(model_cache: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "CHROMA_MODELS": str(model_cache), "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1"}


def _render(shot: Path, env: dict, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chroma", "render", str(shot), *extra], env=env,
                          capture_output=True, text=True, timeout=600)


def test_sigkill_then_resume_gives_the_uninterrupted_frames(tiny_unet_model, tiny_clip_in_cache, model_cache,
                                                           tmp_path) -> None:
    env = _env(model_cache)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    frames = 7
    full = _render(_shot(a, tiny_clip_in_cache, frames=frames, steps=6), env)
    assert full.returncode == 0, full.stderr

    shot_b = _shot(b, tiny_clip_in_cache, frames=frames, steps=6)
    proc = subprocess.Popen([sys.executable, "-m", "chroma", "render", str(shot_b)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    state3 = b / "out" / "sh010.state" / "state.000002.npz"  # saved after the third frame
    deadline = time.monotonic() + 300
    while not state3.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the render finished before it could be killed"
    written = sorted((b / "out").glob("sh010.*.exr"))
    assert 3 <= len(written) < frames

    again = _render(shot_b, env)  # without --resume: refused, nothing touched
    assert again.returncode == 2 and "--resume" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    resumed = _render(shot_b, env, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    for n in range(1001, 1001 + frames):
        pa, pb = _pixels(a / "out" / f"sh010.{n}.exr"), _pixels(b / "out" / f"sh010.{n}.exr")
        assert np.array_equal(pa, pb), f"frame {n} differs after the resume"
    from chroma.pipeline.statefile import read_state_file

    _, sa = read_state_file(a / "out" / "sh010.state" / f"state.{frames - 1:06d}.npz")
    _, sb = read_state_file(b / "out" / "sh010.state" / f"state.{frames - 1:06d}.npz")
    assert sa["prev"].dtype == np.float32 and sa["prev"].shape == (1, 3, 64, 64)
    assert np.array_equal(sa["prev"].view(np.uint32), sb["prev"].view(np.uint32))  # the loop's frame, bit for bit
    done = _render(shot_b, env, "--resume")
    assert done.returncode == 0 and "all 7 frames are done" in done.stderr


def test_frames_rerenders_exactly_the_range(capsys, tiny_unet_model, tiny_clip_in_cache, tmp_path) -> None:
    shot = _shot(tmp_path, tiny_clip_in_cache, frames=5, steps=3)
    assert main(["render", str(shot)]) == 0
    capsys.readouterr()
    out = tmp_path / "out"
    before = {p.name: (p.stat().st_mtime_ns, _pixels(p)) for p in out.glob("sh010.*.exr")}
    previews = {p.name: p.read_bytes() for p in (out / "preview").glob("sh010.*.png")}
    assert main(["render", str(shot), "--frames", "1003-1004"]) == 2  # exists: refused without --overwrite
    assert "--overwrite" in capsys.readouterr().err
    assert main(["render", str(shot), "--frames", "1003-1004", "--overwrite"]) == 0
    text = capsys.readouterr().out
    assert re.search(r"^frame 1002 .*not written", text, re.M)  # rendered again from the state of 1001
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("sh010.*.exr")}
    changed = sorted(n for n in after if after[n] != before[n][0])
    assert changed == ["sh010.1003.exr", "sh010.1004.exr"]
    assert sorted(p.name for p in (out / "retained").glob("*.exr")) == ["sh010.1003.exr", "sh010.1004.exr"]
    for name in changed:  # the same frames again (deterministic on the CPU); the old ones kept
        assert np.array_equal(_pixels(out / name), before[name][1])
        assert np.array_equal(_pixels(out / "retained" / name), before[name][1])
    # the old previews went with their frames, the new ones took their place
    assert sorted(p.name for p in (out / "retained" / "preview").iterdir()) == ["sh010.1003.png", "sh010.1004.png"]
    for name in ("sh010.1003.png", "sh010.1004.png"):
        assert (out / "retained" / "preview" / name).read_bytes() == previews[name]
        assert (out / "preview" / name).is_file()
    assert main(["render", str(shot), "--frames", "1003", "--overwrite"]) == 0  # again: numbered alike
    assert (out / "retained" / "sh010.1003.1.exr").is_file() and (out / "retained" / "preview" / "sh010.1003.1.png").is_file()


SHOT_3D = """\
max_frames = {frames}
seed = 5
animation_mode = "3D"

[output]
pattern = "out/sh020.####.exr"

{render}
[animation]
translation_x = 3
translation_z = "0: (0), {last}: (6)"
rotation_3d_y = 0.5
frames_skip_steps = "50%"
depth = "plate/plate.####.exr"
depth_scale = 0.01

[prompts]
0 = ["a canyon:1"]
"""


def test_3d_shot_on_a_plate_with_depth(capsys, tiny_unet_model, tiny_clip_in_cache, tmp_path) -> None:
    from chroma import Image, read, write

    (tmp_path / "plate").mkdir()
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    for i in range(4):
        z = 150.0 + xx + 10 * i  # depth in scene units (cm): a slanted wall moving away
        rgb = np.stack([xx / 64, yy / 64, np.full_like(xx, 0.2)], axis=2)
        write(Image(np.concatenate([rgb, z[:, :, None]], axis=2), ["R", "G", "B", "Z"], "ACEScg", {}),
              tmp_path / "plate" / f"plate.{1001 + i}.exr", dtype="float")
    shot = _shot(tmp_path, tiny_clip_in_cache, frames=4, steps=3, text=SHOT_3D)
    code = main(["render", str(shot)])
    _, err = capsys.readouterr()
    assert code == 0, err
    for i in range(4):
        img = read(tmp_path / "out" / f"sh020.{1001 + i}.exr")
        assert img.channels[:4] == ["R", "G", "B", "Z"]  # then the motion vectors (tests/render/test_motion.py)
        z = img.pixels[:, :, 3]
        np.testing.assert_allclose(z, 150.0 + xx + 10 * i, rtol=1e-3)  # the plate's own Z, through half
        assert np.isfinite(img.pixels).all()
    check_pinned_script((tmp_path / "out" / "sh020.nk").read_text(), str(tmp_path / "out" / "sh020.####.exr"),
                        1001, 1004, _config())


SHOT_VIDEO = """\
max_frames = {frames}
seed = 9
animation_mode = "Video"

[output]
pattern = "out/sh030.####.exr"
match_plate = true
preview = "jpg"

{render}
[animation]
video_init_path = "plate/plate.####.exr"
video_init_seed_continuity = true
video_init_flow_warp = false
frames_skip_steps = "60%"

[prompts]
0 = ["a street at night:1"]
"""


def test_video_shot_inits_from_the_plate_and_matches_it(capsys, tiny_unet_model, tiny_clip_in_cache, tmp_path) -> None:
    from chroma import Image, read, stops, whitebalance, write

    (tmp_path / "plate").mkdir()
    rng = np.random.default_rng(3)
    for i in range(3):  # a warm, dim plate (scene-linear ACEScg)
        rgb = (rng.random((48, 80, 3)) * np.array([0.30, 0.18, 0.08]) + 0.01).astype(np.float32)
        write(Image(rgb, ["R", "G", "B"], "ACEScg", {}), tmp_path / "plate" / f"plate.{1001 + i}.exr")
    shot = _shot(tmp_path, tiny_clip_in_cache, frames=3, steps=5, text=SHOT_VIDEO)
    code = main(["render", str(shot)])
    _, err = capsys.readouterr()
    assert code == 0, err
    for i in range(3):
        out = read(tmp_path / "out" / f"sh030.{1001 + i}.exr")
        plate = read(tmp_path / "plate" / f"plate.{1001 + i}.exr")
        assert int(out.metadata["chroma/seed"]) == 9  # seed continuity
        assert "stops" in out.metadata["chroma/plate_match"]
        # matched: the same median exposure (to half precision), balanced to the plate's
        # grey-world white (the estimate leaves out pixels with a channel <= 0, which the
        # balance itself moves, so the white after it agrees to a few mired, not exactly)
        assert abs(stops.match_exposure(out, plate)) < 0.01
        k_pl, t_pl = whitebalance.estimate_white(plate)
        m = re.fullmatch(r"([+-][\d.]+) stops, (\d+)K/([+-][\d.]+) -> (\d+)K/([+-][\d.]+)",
                         out.metadata["chroma/plate_match"])
        assert m and int(m.group(4)) == round(k_pl) and float(m.group(5)) == pytest.approx(t_pl, abs=1e-4)
        k_out, _ = whitebalance.estimate_white(out)
        assert abs(1e6 / k_out - 1e6 / k_pl) < 15
        assert (tmp_path / "out" / "preview" / f"sh030.{1001 + i}.jpg").is_file()


def test_a_missing_checkpoint_is_reported_before_anything_renders(capsys, tiny_unet_model, tiny_clip_in_cache,
                                                                  tmp_path) -> None:
    shot = _shot(tmp_path, tiny_clip_in_cache)
    shot.write_text(shot.read_text().replace('init_loss = "mse"', 'init_loss = "lpips"'))
    code = main(["render", str(shot)])
    _, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "vgg16" in err.lower() and "chroma models fetch" in err and "chroma models import" in err
    assert not (tmp_path / "out").exists()  # nothing made before the check


def test_3d_shot_with_estimated_depth(capsys, tiny_unet_model, tiny_clip_in_cache, tmp_path) -> None:
    """A depth model imported as a studio would (chroma models import --family depth), used
    for every frame; its estimate is the frame's Z: Disco Diffusion's (50 - prediction) / 19."""
    transformers = pytest.importorskip("transformers")
    import torch

    from chroma import read

    cfg = dict(hidden_size=32, num_hidden_layers=4, num_attention_heads=2, intermediate_size=37, image_size=32,
               patch_size=16, backbone_out_indices=[0, 1, 2, 3], neck_hidden_sizes=[8, 16, 32, 32],
               fusion_hidden_size=16)
    torch.manual_seed(0)
    model = transformers.DPTForDepthEstimation(transformers.DPTConfig(**cfg)).eval()
    model.save_pretrained(tmp_path / "dpt")
    config = json.loads((tmp_path / "dpt" / "config.json").read_text())
    config["preprocess"] = {"size": [64, 64]}
    (tmp_path / "dpt_config.json").write_text(json.dumps(config))
    assert main(["models", "import", str(tmp_path / "dpt" / "model.safetensors"), "--name", "tiny-dpt",
                 "--family", "depth", "--config", str(tmp_path / "dpt_config.json")]) == 0
    text = SHOT_3D.replace('depth = "plate/plate.####.exr"\ndepth_scale = 0.01',
                           'depth_model = "tiny-dpt"\nstate_every = 1  # keep every frame as the loop held it')
    shot = _shot(tmp_path, tiny_clip_in_cache, frames=3, steps=3, text=text)
    code = main(["render", str(shot)])
    _, err = capsys.readouterr()
    assert code == 0, err
    from chroma.pipeline.statefile import read_state_file
    from render.depth import load_depth_estimator

    estimator = load_depth_estimator("tiny-dpt")
    for i in range(3):
        img = read(tmp_path / "out" / f"sh020.{1001 + i}.exr")
        assert img.channels[:4] == ["R", "G", "B", "Z"]
        held = read_state_file(tmp_path / "out" / "sh020.state" / f"state.{i:06d}.npz")[1]["prev"]
        raw = estimator.predict(torch.from_numpy(held))[0].numpy()
        # the written Z is the DD mapping of the model's prediction on the frame itself (half)
        np.testing.assert_allclose(img.pixels[:, :, 3], (50.0 - raw) / 19.0, rtol=1e-3, atol=1e-3)


def test_a_shot_never_writes_over_its_plate(capsys, model_cache, tmp_path) -> None:
    from chroma import Image, write

    (tmp_path / "plate").mkdir()
    for i in range(2):
        write(Image(np.full((8, 8, 3), 0.2, np.float32), ["R", "G", "B"], "ACEScg", {}),
              tmp_path / "plate" / f"sh030.{1001 + i}.exr")
    (tmp_path / "out").symlink_to(tmp_path / "plate")  # the same folder by another name
    text = SHOT_VIDEO.replace('video_init_path = "plate/plate.####.exr"', 'video_init_path = "plate/sh030.####.exr"')
    shot = _shot(tmp_path, "RN50::random", frames=2, steps=3, text=text)
    before = (tmp_path / "plate" / "sh030.1001.exr").read_bytes()
    code = main(["render", str(shot), "--overwrite"])
    _, err = capsys.readouterr()
    assert code == 2 and "is the input" in err and len(err.strip().splitlines()) == 1, err
    assert (tmp_path / "plate" / "sh030.1001.exr").read_bytes() == before
    assert not (tmp_path / "out" / "retained").exists()
