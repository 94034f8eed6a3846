"""``chroma models`` and ``chroma render`` (the CLI stays torch-free until it renders)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from chroma.cli import main
from render import models

REPO = Path(__file__).resolve().parents[2]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_list(capsys, model_cache) -> None:
    code, out, _ = run(capsys, "models", "list")
    assert code == 0
    assert f"cache: {model_cache}" in out
    for name in models.REGISTRY:
        assert name in out
    code, out, _ = run(capsys, "models", "list", "--json")
    data = json.loads(out)
    assert {m["name"] for m in data["models"]} >= set(models.REGISTRY)
    assert not any(m["cached"] for m in data["models"])


def test_models_list_does_not_import_torch(model_cache) -> None:
    code = "import sys; from chroma.cli import main; rc = main(['models', 'list']); print(rc, 'torch' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(REPO), "CHROMA_MODELS": str(model_cache)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip().splitlines()[-1] == "0 False"


def test_render_without_checkpoint_prints_one_line_and_exits_2(capsys, model_cache, tmp_path) -> None:
    code, out, err = run(capsys, "render", "--prompt", "a red barn:1", "-o", str(tmp_path / "out.exr"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("chroma render: error: checkpoint 512x512_diffusion_uncond_finetune_008100.pt")
    assert str(model_cache / "512x512_diffusion_uncond_finetune_008100.pt") in line
    assert "chroma models fetch 512x512_diffusion_uncond_finetune_008100" in line
    assert "chroma models import PATH" in line
    assert not (tmp_path / "out.exr").exists()


def test_models_fetch_import_verify(capsys, model_cache, tmp_path, monkeypatch) -> None:
    src = tmp_path / "tiny.pt"
    torch.save({"w": torch.arange(4.0)}, src)
    digest = models.sha256_file(src)
    info = models.ModelInfo("tiny-test", "secondary", "tiny.pt", (src.as_uri(),), digest, {}, None, "test")
    monkeypatch.setitem(models.REGISTRY, "tiny-test", info)
    code, out, _ = run(capsys, "models", "fetch", "tiny-test")
    assert code == 0 and "sha256 verified" in out
    code, out, _ = run(capsys, "models", "verify", "tiny-test")
    assert code == 0 and "tiny-test: ok" in out
    (model_cache / "tiny.pt").write_bytes(b"corrupt")
    code, out, _ = run(capsys, "models", "verify")
    assert code == 1 and "tiny-test: MISMATCH" in out
    code, out, _ = run(capsys, "models", "import", str(src))  # found by file name
    assert code == 0 and str(model_cache / "tiny.pt") in out
    code, _, err = run(capsys, "models", "fetch", "no-such-model")
    assert code == 2 and "unknown model 'no-such-model'" in err


def test_render_tiny_models_to_scene_linear_exr(capsys, tiny_unet_model, tmp_path, tiny_clip_name) -> None:
    from chroma import read

    out_path = tmp_path / "frame.exr"
    argv = ["render", "--prompt", "a red barn:1", "--prompt", "fog:-0.3", "--steps", "3", "--skip-steps", "0",
            "--width", "64", "--height", "64", "--seed", "1", "--model", tiny_unet_model, "--no-secondary",
            "--clip-models", f"{tiny_clip_name}::random", "-o", str(out_path)]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "rendered 64x64" in out
    img = read(out_path)
    assert img.pixels.shape == (64, 64, 3)
    assert img.colorspace == "ACEScg"
    assert img.metadata.get("chroma/prompts") == "a red barn:1 | fog:-0.3"
    assert (img.pixels == img.pixels).all()  # no NaN
    code, _, err = run(capsys, *argv)  # refuses to replace without --overwrite, before rendering
    assert code == 2 and "--overwrite" in err


def test_render_from_a_disco_settings_file_then_again_from_the_frame(capsys, tiny_unet_model, tmp_path,
                                                                      tiny_clip_name) -> None:
    from chroma import read

    dd = {  # Disco Diffusion's settings.txt shape, with the animation entries it always carries
        "text_prompts": {"0": ["a red barn:1", "fog:-0.3"], "50": ["later prompt"]}, "image_prompts": {},
        "width": 64, "height": 64, "steps": 3, "diffusion_steps": 999, "skip_steps": 0, "seed": 5,
        "diffusion_model": tiny_unet_model, "use_secondary_model": False, "clip_models": [f"{tiny_clip_name}::random"],
        "cutn_batches": 1, "eta": 0.5, "key_frames": True, "zoom": "0: (1)", "batch_name": "TimeToDisco",
        "init_image": None,
    }
    settings = tmp_path / "TimeToDisco(0)_settings.txt"
    settings.write_text(json.dumps(dd))
    first = tmp_path / "first.exr"
    code, out, err = run(capsys, "render", "--settings", str(settings), "-o", str(first))
    assert code == 0, err
    assert "frame 0" in err and "key_frames" in err and "zoom" in err  # told what was not used
    record = json.loads(read(first).metadata["chroma/render_settings"])
    assert record["seed"] == 5 and record["eta"] == 0.5 and record["text_prompts"] == {"0": ["a red barn:1", "fog:-0.3"]}
    assert record["width_height"] == [64, 64] and record["rendered_on"] == "cpu"

    again = tmp_path / "again.exr"
    code, _, err = run(capsys, "render", "--settings", str(first), "-o", str(again))
    assert code == 0, err
    assert (read(again).pixels == read(first).pixels).all()  # the frame's header reproduces it
    other = tmp_path / "other.exr"
    code, _, err = run(capsys, "render", "--settings", str(first), "--seed", "6", "--set", "eta=0.0", "-o", str(other))
    assert code == 0, err
    record = json.loads(read(other).metadata["chroma/render_settings"])
    assert (record["seed"], record["eta"]) == (6, 0.0)
    assert not (read(other).pixels == read(first).pixels).all()


def test_image_prompt_and_display_referred_init(capsys, tiny_unet_model, tmp_path, tiny_clip_name) -> None:
    import numpy as np
    import OpenImageIO as oiio

    from chroma import read
    from chroma.pipeline import display_tensor

    rgb = np.random.default_rng(0).integers(0, 256, (64, 64, 3)).astype(np.uint8)
    ref = tmp_path / "ref.png"
    buf = oiio.ImageBuf(oiio.ImageSpec(64, 64, 3, "uint8"))
    buf.set_pixels(oiio.ROI(), rgb)
    assert buf.write(str(ref))
    # an sRGB PNG is display code values already: used as it is (x/255 * 2 - 1)
    t = display_tensor(str(ref))
    np.testing.assert_allclose(t.permute(1, 2, 0).numpy(), rgb / 255.0 * 2 - 1, atol=2e-4)

    out = tmp_path / "out.exr"
    code, _, err = run(capsys, "render", "--prompt", "a red barn", "--image-prompt", f"{ref}:0.5", "--init", str(ref),
                       "--steps", "3", "--skip-steps", "1", "--width", "64", "--height", "64", "--model", tiny_unet_model,
                       "--no-secondary", "--clip-models", f"{tiny_clip_name}::random", "--set", "cutn_batches=1",
                       "--set", "init_loss=mse", "-o", str(out))  # LPIPS (the default) needs VGG16 weights
    assert code == 0, err
    record = json.loads(read(out).metadata["chroma/render_settings"])
    assert record["image_prompts"] == {"0": [f"{ref}:0.5"]} and record["init_image"] == str(ref)
    assert record["cutn_batches"] == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--prompt", "x", "--set", "cutn_batchs=2"], "did you mean cutn_batches"),
        (["--prompt", "x", "--set", "cutn_batches"], "NAME=VALUE"),
        ([], "no prompt"),
        (["--settings", "missing.txt"], "does not exist"),
        (["--prompt", "x", "--image-prompt", "nowhere.png"], "does not exist"),
        (["--prompt", "x", "--set", "steps=0"], "steps must be at least 1"),
    ],
)
def test_render_user_errors_are_one_line(capsys, model_cache, tmp_path, monkeypatch, extra, message) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "render", *extra, "-o", str(tmp_path / "o.exr"))
    assert code == 2, err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o.exr").exists()


def test_settings_from_an_exr_without_a_record(capsys, model_cache, tmp_path, make_image) -> None:
    from chroma import write

    plain = write(make_image(8, 8, ("R", "G", "B")), tmp_path / "plain.exr")
    code, _, err = run(capsys, "render", "--settings", str(plain), "-o", str(tmp_path / "o.exr"))
    assert code == 2 and "holds no render settings" in err
