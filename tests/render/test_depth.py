"""Depth for 3D moves (render.depth, render.models.depth) on a tiny random DPT built here.

The estimator is checked against the model's own forward pass on inputs prepared here
independently (torch's interpolate, the MiDaS/DD recipe written out), and DD's
normalisation against its literal formula; the size rule against transformers' own.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

transformers = pytest.importorskip("transformers", reason="the 'depth' extra (transformers) is not installed")

from render import models  # noqa: E402
from render.depth import (  # noqa: E402
    DepthEstimator,
    Preprocess,
    TransformersDepthEstimator,
    blend_depth,
    depth_from_z,
    load_depth_estimator,
    midas_to_dd,
    resize_shape,
)
from render.errors import ChecksumError, ModelError, ModelNotFoundError, SettingsError, UnsafeCheckpointError  # noqa: E402

TINY = dict(
    hidden_size=32, num_hidden_layers=4, num_attention_heads=2, intermediate_size=37, image_size=32, patch_size=16,
    backbone_out_indices=[0, 1, 2, 3], neck_hidden_sizes=[8, 16, 32, 32], fusion_hidden_size=16,
    initializer_range=0.2,  # large random weights: predictions of order 100 that vary with the input
)
NET = 64  # network input side used by the tests (the published models take 384)


@pytest.fixture(scope="module")
def tiny_saved(tmp_path_factory) -> tuple[Path, torch.nn.Module]:
    """A randomly initialised DPTForDepthEstimation, saved the way the hub's files are."""
    torch.manual_seed(0)
    model = transformers.DPTForDepthEstimation(transformers.DPTConfig(**TINY)).eval()
    folder = tmp_path_factory.mktemp("tiny_dpt")
    model.save_pretrained(folder)
    return folder, model


@pytest.fixture()
def tiny_cached(tiny_saved, model_cache) -> tuple[str, torch.nn.Module]:
    """The tiny model imported into a private model cache as a custom depth model."""
    folder, model = tiny_saved
    config = json.loads((folder / "config.json").read_text())
    config["preprocess"] = {"size": [NET, NET]}
    models.import_(folder / "model.safetensors", name="tiny-dpt", config=config, family="depth")
    return "tiny-dpt", model


def image(n: int, h: int, w: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, h, w, generator=g) * 2 - 1


def test_estimator_is_the_model_forward_with_dd_normalisation(tiny_cached):
    name, model = tiny_cached
    est = load_depth_estimator(name)
    assert isinstance(est, DepthEstimator)
    img = image(2, 45, 77)
    depth = est(img)
    assert depth.shape == (2, 45, 77) and depth.dtype == torch.float32 and bool(torch.isfinite(depth).all())
    # independently: [-1, 1] -> [0, 1], bicubic to the square network size, (x - 0.5) / 0.5,
    # the model, bicubic back to the image, DD's (50 - p) / 19
    x01 = (img + 1) / 2
    px = (F.interpolate(x01, size=(NET, NET), mode="bicubic", align_corners=False) - 0.5) / 0.5
    with torch.no_grad():
        raw = model(pixel_values=px).predicted_depth
    assert raw.shape == (2, NET, NET)  # patch 16, as the published models: output at input size
    raw = F.interpolate(raw[:, None], size=(45, 77), mode="bicubic", align_corners=False)[:, 0]
    expected = (50 - raw) / 19
    torch.testing.assert_close(depth, expected, rtol=1e-6, atol=1e-5)
    assert raw.std().item() > 1.0  # the prediction depends on the image: the check has teeth


def test_at_network_size_the_model_sees_the_image_itself(tiny_cached):
    """mean = std = 0.5 on [0, 1] is the renderer's [-1, 1] encoding: no resize, no change."""
    name, model = tiny_cached
    img = image(1, NET, NET, seed=1)
    with torch.no_grad():
        raw = model(pixel_values=img).predicted_depth
    depth = load_depth_estimator(name)(img)
    torch.testing.assert_close(depth, (50 - raw) / 19, rtol=1e-6, atol=1e-5)
    # MiDaS predictions are non-negative (ReLU head), so DD depth is at most 50 / 19
    assert raw.min().item() >= 0 and depth.max().item() <= 50 / 19 and raw.std().item() > 1.0


def test_weights_with_missing_parameters(tiny_saved, model_cache, tmp_path):
    from safetensors.torch import save_file

    folder, model = tiny_saved
    partial = {k: v.contiguous() for k, v in model.state_dict().items() if not k.startswith("head.")}
    save_file(partial, str(tmp_path / "partial.safetensors"))
    config = json.loads((folder / "config.json").read_text())
    with pytest.raises(ModelError, match="missing"):  # refused at import, nothing cached (#21 item 10)
        models.import_(tmp_path / "partial.safetensors", name="partial", config=config, family="depth")
    with pytest.raises(ModelError, match="unknown model 'partial'"):
        load_depth_estimator("partial")


def test_bin_weights_load_too(tiny_saved, model_cache, tmp_path):
    """The hub's pytorch_model.bin (torch.save of the state_dict) works as well as safetensors."""
    folder, model = tiny_saved
    path = tmp_path / "pytorch_model.bin"
    torch.save(model.state_dict(), path)
    config = json.loads((folder / "config.json").read_text()) | {"preprocess": {"size": NET}}
    models.import_(path, name="tiny-bin", config=config, family="depth")
    img = image(1, 40, 40, seed=2)
    ref = TransformersDepthEstimator(model, Preprocess(size=(NET, NET)))(img)
    torch.testing.assert_close(load_depth_estimator("tiny-bin")(img), ref, rtol=0, atol=0)


def test_inference_dtype_converts_the_model(tiny_saved):
    _, model = tiny_saved
    import copy

    est = TransformersDepthEstimator(copy.deepcopy(model), Preprocess(size=(NET, NET)), dtype=torch.float64)
    img = image(1, 40, 40, seed=3)
    ref = TransformersDepthEstimator(model, Preprocess(size=(NET, NET)))(img)
    out = est(img)
    assert out.dtype == torch.float32 and next(est.model.parameters()).dtype == torch.float64
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)


def test_default_preprocess_is_square_384():
    assert resize_shape(768, 1280, Preprocess()) == (384, 384)
    # DD's own MiDaS transform ("minimal", aspect kept): 1280x768 frames at 640x384
    assert resize_shape(768, 1280, Preprocess(keep_aspect_ratio=True)) == (384, 640)


@pytest.mark.parametrize("hw", [(768, 1280), (45, 77), (512, 512), (1080, 1920), (100, 37)])
@pytest.mark.parametrize("keep,multiple", [(True, 32), (False, 32), (True, 14)])
def test_resize_rule_is_transformers(hw, keep, multiple):
    dpt_proc = pytest.importorskip("transformers.models.dpt.image_processing_dpt")
    ref = dpt_proc.get_resize_output_image_size(torch.zeros(3, *hw), (384, 384), keep, multiple)
    assert resize_shape(*hw, Preprocess(keep_aspect_ratio=keep, ensure_multiple_of=multiple)) == (ref.height, ref.width)


# -- loading errors ------------------------------------------------------------------------------
def test_missing_model_says_how_to_get_it(model_cache):
    with pytest.raises(ModelNotFoundError) as e:
        load_depth_estimator("dpt_hybrid_midas")
    msg = str(e.value)
    assert "huggingface.co/Intel/dpt-hybrid-midas" in msg and "chroma models import" in msg and "dpt_hybrid_midas" in msg


def test_dd_midas_depth_model_names_find_the_entries():
    assert models.get_info("dpt_hybrid").name == "dpt_hybrid_midas"  # DD's midas_depth_model
    assert models.get_info("dpt_large").name == "dpt_large"


def test_not_a_depth_model(model_cache):
    with pytest.raises(ModelError, match="not a depth model"):
        load_depth_estimator("secondary_model_imagenet_2")


def test_tampered_weights_are_refused(tiny_cached):
    name, _ = tiny_cached
    path = models.cache_dir() / models.get_info(name).filename
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError):
        load_depth_estimator(name)


def test_weights_of_another_architecture(tiny_saved, model_cache):
    folder, _ = tiny_saved
    config = json.loads((folder / "config.json").read_text()) | {"hidden_size": 48, "intermediate_size": 40}
    with pytest.raises(ModelError, match="does not fit the depth layout"):  # refused at import (#21 item 10)
        models.import_(folder / "model.safetensors", name="wrong", config=config, family="depth")
    with pytest.raises(ModelError, match="unknown model 'wrong'"):
        load_depth_estimator("wrong")


def test_garbage_file_is_not_loaded(model_cache, tmp_path, tiny_saved):
    folder, _ = tiny_saved
    bad = tmp_path / "junk.safetensors"
    bad.write_bytes(b"this is not a checkpoint at all" * 4)
    with pytest.raises(UnsafeCheckpointError):  # refused at import, never loaded (#21 item 10)
        models.import_(bad, name="junk", config=json.loads((folder / "config.json").read_text()), family="depth")
    with pytest.raises(ModelError, match="unknown model 'junk'"):
        load_depth_estimator("junk")


def test_published_entries_build_in_transformers():
    """The registry configs describe the published layouts: the DPT-Large and DPT-Hybrid
    architectures (ViT-L/16, 24 layers; BiT + ViT-B/16), with the parameter counts listed."""
    for name, hybrid, layers in (("dpt_large", False, 24), ("dpt_hybrid_midas", True, 12)):
        info = models.get_info(name)
        assert info.family == "depth" and not info.urls
        cfg = dict(info.config)
        cfg.pop("model_type")
        config = transformers.DPTConfig(**cfg)
        assert config.is_hybrid is hybrid and config.num_hidden_layers == layers
        with torch.device("meta"):
            model = transformers.DPTForDepthEstimation(config)
        assert sum(p.numel() for p in model.parameters()) == info.num_params


# -- depth from a plate, blending ------------------------------------------------------------------
def test_depth_from_z():
    z = torch.tensor([[2.0, 4.0], [8.0, 0.5]], dtype=torch.float64)
    out = depth_from_z(z, 0.25)
    assert out.dtype == torch.float32 and out.tolist() == [[0.5, 1.0], [2.0, 0.125]]
    assert depth_from_z(z).tolist() == z.tolist()
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(SettingsError, match="depth_scale"):
            depth_from_z(z, bad)


def test_midas_to_dd_and_blend():
    p = torch.tensor([50.0, 12.0, 0.0])
    assert midas_to_dd(p).tolist() == pytest.approx([0.0, 2.0, 50 / 19])
    a, b = torch.tensor([1.0, 2.0]), torch.tensor([3.0, 5.0])
    assert blend_depth(a, b, 0.3).tolist() == pytest.approx([0.3 * 1 + 0.7 * 3, 0.3 * 2 + 0.7 * 5])
    assert torch.equal(blend_depth(a, b, 1.0), a)
    with pytest.raises(SettingsError, match="midas_weight"):
        blend_depth(a, b, 1.5)


def test_any_callable_is_an_estimator():
    assert isinstance(lambda img: img[:, 0], DepthEstimator)
