"""The renderer on CUDA: the CPU goldens again, plus the mixed-precision fast path.

Skipped without CUDA (CI has none). These check that the GPU path computes the same
functions as the published implementations (fp32, TF32 off), that the bf16/fp16 +
channels-last path stays close to them, and that a frame is reproducible for a seed.
"""

from __future__ import annotations

import pytest
import torch

from render.renderer import Renderer, RenderSettings
from render.secondary import SecondaryDiffusionImageNet2
from render.unet import UNetConfig, UNetModel
from tests.render.helpers import TINY_UNET, sample_golden_case

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
]

CUDA = torch.device("cuda")


@pytest.fixture()
def exact_fp32():
    """fp32 as fp32: TF32 would round matmul/conv inputs to 10 mantissa bits."""
    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


def _unet_from_golden(golden: dict, **kw) -> UNetModel:
    model = UNetModel(UNetConfig.from_dict(golden["config"]), **kw).eval()
    model.load_state_dict(golden["state_dict"], strict=True)
    return model.to(CUDA)


@pytest.mark.parametrize("name", ["scale_shift_updown_headchannels", "plain_heads1"])
def test_unet_forward_matches_golden_on_cuda(load_reference, exact_fp32, name: str) -> None:
    golden = load_reference("unet_tiny_golden.pt")[name]
    model = _unet_from_golden(golden)
    with torch.no_grad():
        out = model(golden["x"].to(CUDA), golden["t"].to(CUDA)).cpu()
    ref = golden["out"]
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4 * ref.abs().max().item())


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_unet_mixed_precision_channels_last_stays_close(load_reference, dtype: torch.dtype) -> None:
    golden = load_reference("unet_tiny_golden.pt")["scale_shift_updown_headchannels"]
    model = _unet_from_golden(golden).to(memory_format=torch.channels_last)
    x = golden["x"].to(CUDA).contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), torch.autocast("cuda", dtype=dtype):
        out = model(x, golden["t"].to(CUDA)).float().cpu()
    ref = golden["out"]
    # bf16 keeps 8 mantissa bits (relative step 2**-8 = 0.4%), fp16 11 bits
    err = (out - ref).abs().max().item() / ref.abs().max().item()
    assert err < (2e-2 if dtype is torch.bfloat16 else 3e-3), err


def test_secondary_forward_matches_golden_on_cuda(load_reference, exact_fp32) -> None:
    g = load_reference("secondary_golden.pt")
    model = SecondaryDiffusionImageNet2(g["config"]["base_channels"]).eval()
    model.load_state_dict(g["state_dict"], strict=True)
    model.to(CUDA)
    with torch.no_grad():
        out = model(g["x"].to(CUDA), g["t"].to(CUDA))
    for name in ("v", "pred", "eps"):
        ref = g[name]
        torch.testing.assert_close(getattr(out, name).cpu(), ref, rtol=1e-4, atol=1e-4 * ref.abs().max().item(), msg=name)


@pytest.mark.parametrize("case", ["ddim50_skip10", "plms25_skip0"])
def test_sampling_loop_matches_golden_on_cuda(load_reference, case: str) -> None:
    golden = load_reference("diffusion_golden.pt")
    g = golden[case]
    steps, skip = int(case[4:6]), int(case.split("skip")[1])
    outs = sample_golden_case(golden, case, CUDA)
    assert len(outs) == steps - skip
    for i, (ours, ref) in enumerate(zip(outs, g["samples"], strict=True)):
        assert ours.sample.device.type == "cuda"
        torch.testing.assert_close(ours.sample.cpu(), ref, rtol=1e-4, atol=1e-5, msg=f"step {i}")


def _renderer(tiny_clip_name: str, **kw) -> Renderer:
    from render.clip import load_clip

    torch.manual_seed(0)
    unet = UNetModel(TINY_UNET)
    secondary = SecondaryDiffusionImageNet2(8)
    clip = load_clip(f"{tiny_clip_name}::random", CUDA)
    base = {
        "width_height": (128, 64), "steps": 8, "skip_steps": 0, "clip_models": ("tiny",), "clip_guidance_scale": 1000.0,
        "cutn_batches": 2, "cut_overview": "[2]*1000", "cut_innercut": "[2]*1000", "eta": 0.8, "device": "cuda",
    }
    base.update(kw)
    return Renderer(RenderSettings(**base), unet=unet, secondary=secondary, clip_models=[clip])


@pytest.mark.parametrize("precision", ["auto", "fp16", "fp32"])
def test_guided_render_on_cuda(tiny_clip_name: str, precision: str) -> None:
    renderer = _renderer(tiny_clip_name, precision=precision, use_secondary_model=False, skip_augs=True)
    steps = list(renderer.sample(["a red barn:1", "fog:-0.3"], seed=5))
    final = steps[-1]
    assert final.final and final.image.shape == (1, 3, 64, 128) and final.image.device.type == "cuda"
    assert torch.isfinite(final.image).all()
    assert not any(s.guidance_skipped for s in steps)
    losses = [s.clip_loss for s in steps[:-1]]
    assert losses[-1] < losses[0], losses  # guidance lowers the CLIP loss on the GPU path too


def test_same_seed_same_frame_on_cuda(tiny_clip_name: str) -> None:
    """Reproducible for a seed on one device: augmentations, cutouts and eta noise all
    come from the seeded generators, and the GPU kernels used are deterministic."""
    a = _renderer(tiny_clip_name).render("a red barn", seed=11)
    b = _renderer(tiny_clip_name).render("a red barn", seed=11)
    c = _renderer(tiny_clip_name).render("a red barn", seed=12)
    assert torch.equal(a, b), f"max difference {(a - b).abs().max().item():.3g}"
    assert not torch.equal(a, c)


@pytest.mark.parametrize("case_index", range(6))
def test_dd_guidance_gradient_matches_golden_on_cuda(load_reference, exact_fp32, tmp_path, case_index: int) -> None:
    """Disco Diffusion's conditioning gradient (guidance_golden.pt) in "dd" mode on the GPU, fp32."""
    from tests.render.test_guidance_golden import (
        build_golden_clip,
        build_golden_models,
        closeness,
        golden_guide,
    )

    golden = load_reference("guidance_golden.pt")
    case = golden["cases"][case_index]
    clip = build_golden_clip(golden, tmp_path).to(CUDA)
    unet, secondary = (m.to(CUDA) for m in build_golden_models(golden, load_reference))
    guide = golden_guide(case, clip, unet, secondary, device=CUDA)
    grad = guide(case["x_t"].to(CUDA), torch.tensor([case["index"]], device=CUDA)).cpu()
    cos, rel = closeness(grad, case["grad"])
    assert cos > 0.9999 and rel < 1e-4, f"{case['name']}: cosine {cos:.6f}, relative L2 {rel:.2e}"


def test_dd_defaults_guided_render_with_augmentations_on_cuda(tiny_clip_name: str) -> None:
    """DD's default cutout schedules and augmentations (guidance_mode "dd") in bf16/fp16
    autocast: finite, and every step's guidance taken."""
    torch.manual_seed(0)
    unet = UNetModel(TINY_UNET).eval()
    settings = RenderSettings(width_height=(64, 64), steps=6, skip_steps=0, use_secondary_model=False,
                              clip_models=("tiny",), device="cuda", cutn_batches=2)
    from render.clip import load_clip

    clip = load_clip(f"{tiny_clip_name}::random", CUDA)
    steps = list(Renderer(settings, unet=unet, clip_models=[clip]).sample("a red barn", seed=0))
    assert all(not s.guidance_skipped for s in steps)
    assert torch.isfinite(steps[-1].image).all()


# -- #23 on CUDA: Disco Diffusion's split random stream, RAFT ----------------------------------
def test_dd_stream_on_cuda_is_torch_manual_seeds_cpu_and_cuda_generators() -> None:
    """DD seeds torch's global generators (``torch.manual_seed``: the CPU one and every CUDA
    one) and draws the cutouts' parameters on the CPU and the noise on the GPU, interleaved;
    dd_generators must give the same two streams, each in its own order."""
    from render.renderer import dd_generators

    seed = 2934575631  # a DD seed beyond int32
    torch.manual_seed(seed)
    want = [torch.rand(4), torch.randn(2, 3, device=CUDA), torch.randint(0, 50, (3,)), torch.randn(5, device=CUDA)]
    cpu, dev = dd_generators(seed, CUDA)
    got = [torch.rand(4, generator=cpu), torch.randn(2, 3, device=CUDA, generator=dev),
           torch.randint(0, 50, (3,), generator=cpu), torch.randn(5, device=CUDA, generator=dev)]
    assert dev.device.type == "cuda" and cpu.device.type == "cpu"
    for w, g in zip(want, got):
        assert torch.equal(w, g)


def test_raft_on_cuda_estimates_what_it_estimates_on_the_cpu(model_cache, tmp_path, monkeypatch, exact_fp32) -> None:
    """torchvision's raft_large (random weights: the arithmetic, not the training) through
    chroma's FlowEstimator on CUDA and on the CPU: the same flow to 1e-3 px in fp32."""
    from dataclasses import replace

    import numpy as np
    from torchvision.models.optical_flow import raft_large

    from render import flow as fl
    from render import models
    from render.models import registry

    torch.manual_seed(0)
    path = tmp_path / "raft_test.pth"
    torch.save(raft_large(weights=None).state_dict(), path)
    entry = replace(registry.REGISTRY[fl.RAFT_MODEL], filename="raft_test.pth")  # no hub hash to check
    monkeypatch.setitem(registry.REGISTRY, fl.RAFT_MODEL, entry)
    models.import_(path, name=fl.RAFT_MODEL)
    y, x = np.mgrid[0:136, 0:200].astype(np.float32)
    a = 0.5 + 0.25 * np.stack([np.sin(x / 7), np.cos(y / 9), np.sin((x + y) / 11)], axis=2)
    b = np.roll(a, (1, 3), axis=(0, 1))
    flows = {dev: fl.FlowEstimator("raft", device=dev, iterations=4)(a, b) for dev in ("cpu", "cuda")}
    assert np.abs(flows["cpu"] - flows["cuda"]).max() < 1e-3
