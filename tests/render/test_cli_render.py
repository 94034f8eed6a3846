"""``chroma models`` and ``chroma render`` (the CLI stays torch-free until it renders)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


def test_render_tiny_models_to_scene_linear_exr(capsys, model_cache, tmp_path, tiny_clip_name) -> None:
    from chroma import read
    from render.unet import UNetConfig, UNetModel

    cfg = {"image_size": 64, "num_channels": 32, "num_res_blocks": 1, "num_heads": 1, "num_head_channels": -1,
           "attention_resolutions": "16", "channel_mult": "1,2", "resblock_updown": False,
           "use_scale_shift_norm": False, "learn_sigma": True}
    torch.manual_seed(0)
    ckpt = tmp_path / "tiny_unet.pt"
    torch.save(UNetModel(UNetConfig.from_published(cfg)).state_dict(), ckpt)
    (tmp_path / "tiny.json").write_text(json.dumps(cfg))
    code, _, err = run(capsys, "models", "import", str(ckpt), "--name", "tiny-unet", "--config", str(tmp_path / "tiny.json"))
    assert code == 0, err
    out_path = tmp_path / "frame.exr"
    argv = ["render", "--prompt", "a red barn:1", "--prompt", "fog:-0.3", "--steps", "3", "--skip-steps", "0",
            "--width", "64", "--height", "64", "--seed", "1", "--model", "tiny-unet", "--no-secondary",
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
