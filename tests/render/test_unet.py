"""UNet: published layouts (every family, on the meta device) and forward goldens."""

from __future__ import annotations

import pytest
import torch

from render.unet import UNetConfig, UNetModel, timestep_embedding

UNET_FAMILIES = [
    "512x512_diffusion_uncond_finetune_008100",
    "256x256_diffusion_uncond",
    "portrait_generator_v001",
    "pixel_art_diffusion_256 (KaliYuga family)",
]


@pytest.mark.parametrize("family", UNET_FAMILIES)
def test_layout_matches_published(layouts: dict, family: str) -> None:
    entry = layouts[family]
    with torch.device("meta"):
        model = UNetModel(UNetConfig.from_published(entry["config"]))
    ours = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    published = [(k, list(s)) for k, s in entry["params"]]
    assert len(ours) == len(published)
    assert ours == published  # same keys, same order, same shapes
    assert sum(v.numel() for v in model.state_dict().values()) == entry["num_params"]


def test_every_unet_family_in_the_layouts_is_covered(layouts: dict) -> None:
    assert {k for k in layouts if "secondary" not in k} == set(UNET_FAMILIES)


def test_registry_configs_build_the_published_layouts(layouts: dict) -> None:
    from render.models import REGISTRY

    by_params = {v["num_params"]: v for v in layouts.values()}
    for info in REGISTRY.values():
        if info.family != "unet":
            continue
        with torch.device("meta"):
            model = UNetModel(UNetConfig.from_published(info.config))
        published = by_params[info.num_params]
        assert [(k, list(v.shape)) for k, v in model.state_dict().items()] == [
            (k, list(s)) for k, s in published["params"]
        ], info.name


@pytest.mark.parametrize("name", ["scale_shift_updown_headchannels", "plain_heads1"])
def test_forward_matches_golden(load_reference, name: str) -> None:
    golden = load_reference("unet_tiny_golden.pt")[name]
    model = UNetModel(UNetConfig.from_dict(golden["config"])).eval()
    model.load_state_dict(golden["state_dict"], strict=True)
    with torch.no_grad():
        out = model(golden["x"], golden["t"])
    torch.testing.assert_close(out, golden["out"], rtol=1e-5, atol=1e-5 * golden["out"].abs().max().item())


def test_channels_last_and_checkpointing_do_not_change_the_function(load_reference) -> None:
    golden = load_reference("unet_tiny_golden.pt")["scale_shift_updown_headchannels"]
    model = UNetModel(UNetConfig.from_dict(golden["config"]), use_checkpoint=True)
    model.load_state_dict(golden["state_dict"])
    model = model.to(memory_format=torch.channels_last)
    x = golden["x"].clone().contiguous(memory_format=torch.channels_last).requires_grad_()
    out = model(x, golden["t"])
    torch.testing.assert_close(out.detach(), golden["out"], rtol=1e-5, atol=1e-5 * golden["out"].abs().max().item())
    out.square().mean().backward()  # checkpointed backward runs
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_timestep_embedding_is_cos_then_sin() -> None:
    emb = timestep_embedding(torch.tensor([0.0, 10.0]), 6)
    assert emb.shape == (2, 6)
    torch.testing.assert_close(emb[0], torch.tensor([1.0, 1, 1, 0, 0, 0]))
    # the first frequency is 1: cos(10), sin(10)
    assert emb[1, 0].item() == pytest.approx(torch.cos(torch.tensor(10.0)).item(), abs=1e-6)
    assert emb[1, 3].item() == pytest.approx(torch.sin(torch.tensor(10.0)).item(), abs=1e-6)


def test_image_size_not_a_multiple_is_a_render_error() -> None:
    from render.errors import RenderError

    model = UNetModel(UNetConfig(image_size=32, model_channels=32, num_res_blocks=1, attention_resolutions=(),
                                 channel_mult=(1, 2), num_heads=1, num_head_channels=-1))
    with pytest.raises(RenderError, match="multiple of 2"):
        model(torch.zeros(1, 3, 33, 32), torch.zeros(1))


@pytest.mark.parametrize(
    ("name", "size", "published_gflops"),
    [("256x256_diffusion_uncond", 256, 1120), ("512x512_diffusion_uncond_finetune_008100", 512, 1983)],
)
def test_forward_cost_matches_the_published_adm_figures(name: str, size: int, published_gflops: float) -> None:
    """Peebles & Xie, *Scalable Diffusion Models with Transformers* (arXiv:2212.09748),
    Tables 4 and 5, give ADM's forward cost as 1120 (256x256) and 1983 (512x512) Gflops,
    counted as multiply-adds. Counted here on the meta device (nothing computed)."""
    from torch.utils.flop_counter import FlopCounterMode

    from render.models import REGISTRY

    with torch.device("meta"):
        model = UNetModel(UNetConfig.from_published(REGISTRY[name].config)).eval()
    x, t = torch.empty(1, 3, size, size, device="meta"), torch.empty(1, device="meta")
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x, t)
    macs = counter.get_total_flops() / 2
    assert macs / 1e9 == pytest.approx(published_gflops, rel=5e-3)
