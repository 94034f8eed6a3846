"""Shared fixtures for the renderer tests.

Reference data (goldens computed with the published implementations) lives in
``<repo root>/../shared/reference``; CI clones the repository with ``shared/`` beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (REPO_ROOT / ".." / "shared" / "reference").resolve()

# A tiny open_clip architecture (random weights, no download): registered at runtime.
TINY_CLIP = "chroma-test-tiny"
TINY_CLIP_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Run the tiny test models on one thread.

    Their ops are too small to gain from intra-op threads, and on a loaded 2-core
    machine OpenMP's spin-waiting made a 64x64 UNet forward 20x slower (0.7 s vs 30 ms).
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def reference() -> Path:
    """The reference folder; tests that need it skip (with the reason) where it is absent."""
    if not REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE} (clone the repo with shared/ beside it)")
    return REFERENCE


@pytest.fixture(scope="session")
def load_reference(reference: Path):
    """``load_reference(name)``: a reference ``.pt`` file, loaded with ``weights_only=True``."""
    import torch

    cache: dict = {}

    def load(name: str):
        if name not in cache:
            cache[name] = torch.load(reference / name, weights_only=True)
        return cache[name]

    return load


@pytest.fixture(scope="session")
def layouts(reference: Path) -> dict:
    return json.loads((reference / "checkpoint_layouts.json").read_text())


@pytest.fixture(scope="session")
def tiny_clip_name(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Register the tiny open_clip config once per session; returns its name."""
    import open_clip

    folder = tmp_path_factory.mktemp("open_clip_cfg")
    path = folder / f"{TINY_CLIP}.json"
    path.write_text(json.dumps(TINY_CLIP_CONFIG))
    open_clip.add_model_config(path)
    return TINY_CLIP


@pytest.fixture(scope="session")
def tiny_clip(tiny_clip_name: str):
    import torch

    from render.clip import load_clip

    torch.manual_seed(0)
    return load_clip(f"{tiny_clip_name}::random")


@pytest.fixture()
def model_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty model cache (CHROMA_MODELS) private to the test."""
    cache = tmp_path / "models"
    monkeypatch.setenv("CHROMA_MODELS", str(cache))
    return cache


TINY_UNET_CFG = {"image_size": 64, "num_channels": 32, "num_res_blocks": 1, "num_heads": 1, "num_head_channels": -1,
                 "attention_resolutions": "16", "channel_mult": "1,2", "resblock_updown": False,
                 "use_scale_shift_norm": False, "learn_sigma": True}


@pytest.fixture()
def tiny_unet_model(capsys, model_cache, tmp_path) -> str:
    """A tiny UNet imported into the (private) model cache as 'tiny-unet' (through the CLI,
    as a studio imports a checkpoint)."""
    import torch

    from chroma.cli import main
    from render.unet import UNetConfig, UNetModel

    torch.manual_seed(0)
    ckpt = tmp_path / "tiny_unet.pt"
    torch.save(UNetModel(UNetConfig.from_published(TINY_UNET_CFG)).state_dict(), ckpt)
    (tmp_path / "tiny.json").write_text(json.dumps(TINY_UNET_CFG))
    code = main(["models", "import", str(ckpt), "--name", "tiny-unet", "--config", str(tmp_path / "tiny.json")])
    err = capsys.readouterr().err
    assert code == 0, err
    return "tiny-unet"


@pytest.fixture()
def tiny_clip_in_cache(model_cache: Path) -> str:
    """The tiny CLIP architecture as a config in the model cache's open_clip/ folder, where
    any process (a subprocess render too) finds it; returns the spec with random weights."""
    folder = model_cache / "open_clip"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{TINY_CLIP}.json").write_text(json.dumps(TINY_CLIP_CONFIG))
    return f"{TINY_CLIP}::random"
