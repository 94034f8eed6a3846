"""CPU timings of the renderer's tests' tiny models (skipped without the render extra).

They replace the wall-time asserts that tests/render/test_renderer.py used to make
(< 30 s for the tiny guided render, < 5 s to report a missing checkpoint): timings are
measured here with pytest-benchmark (``--benchmark-enable``), never asserted.
"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
open_clip = pytest.importorskip("open_clip")

from tests.render.conftest import TINY_CLIP, TINY_CLIP_CONFIG  # noqa: E402
from tests.render.helpers import TINY_UNET  # noqa: E402


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    from render.clip import load_clip
    from render.unet import UNetModel

    path = tmp_path_factory.mktemp("clip_cfg") / f"{TINY_CLIP}.json"
    path.write_text(json.dumps(TINY_CLIP_CONFIG))
    open_clip.add_model_config(path)
    torch.manual_seed(0)
    return UNetModel(TINY_UNET).eval(), load_clip(f"{TINY_CLIP}::random")


def test_tiny_guided_render_cpu(benchmark, tiny_models):
    """8 guided steps at 64x64 with the tiny UNet and CLIP (test_guided_render_end_to_end)."""
    from render.renderer import Renderer, RenderSettings

    unet, clip = tiny_models
    settings = RenderSettings(
        width_height=(64, 64), steps=8, skip_steps=0, use_secondary_model=False, clip_models=("tiny",),
        clip_guidance_scale=1000.0, cutn_batches=1, cut_overview="[1]*1000", cut_innercut="[0]*1000",
        skip_augs=True, clamp_grad=False, range_scale=0.0, eta=0.0, init_scale=0.0, device="cpu",
    )
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        frame = benchmark(lambda: Renderer(settings, unet=unet, clip_models=[clip]).render("a red barn", seed=3))
    finally:
        torch.set_num_threads(before)
    assert frame.shape == (1, 3, 64, 64)


def test_missing_checkpoint_report(benchmark, tmp_path, monkeypatch):
    """Time to report a missing checkpoint (test_missing_checkpoint_fails_fast_with_the_fix)."""
    import render
    from render.errors import ModelNotFoundError

    monkeypatch.setenv("CHROMA_MODELS", str(tmp_path / "models"))

    def attempt():
        try:
            render.Renderer(render.RenderSettings())
        except ModelNotFoundError as exc:
            return exc
        return None

    assert isinstance(benchmark(attempt), ModelNotFoundError)
