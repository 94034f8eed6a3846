"""GPU throughput of the renderer at Disco Diffusion's defaults (skipped without CUDA).

What is measured: seconds per guided sampling step and peak GPU memory at 1280x768 with
the 512x512 UNet family, the secondary model and three CLIP models (ViT-B-32, ViT-B-16,
RN50), cutn_batches=4 and 16 cutouts per batch -- Disco Diffusion v5's default
workload. Weights are random (speed does not depend on their values); the UNet uses
guided-diffusion's own initialisation (the last conv of every residual branch at zero)
so activations stay finite and every step really runs its guidance.

Targets: at least 3x Disco Diffusion's published ~2 s/step on an RTX 3080 (so at most
0.67 s/step) and a peak under 12 GB.

Run:  pytest tests/benchmarks/test_render_gpu.py --benchmark-enable
      (add CHROMA_BENCH_COMPILE=1 to include the torch.compile variant)
"""

from __future__ import annotations

import os
import time

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("open_clip")

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="GPU throughput suite: needs CUDA"),
]

DD_SECONDS_PER_STEP = 2.0  # Disco Diffusion v5 defaults, RTX 3080 (published reference)
TARGET_SECONDS_PER_STEP = DD_SECONDS_PER_STEP / 3
PEAK_MEMORY_LIMIT = 12 * 1024**3
WARMUP_STEPS, TIMED_STEPS = 3, 10


def _build(**overrides):
    from render.clip import load_clip
    from render.models import REGISTRY
    from render.renderer import Renderer, RenderSettings
    from render.secondary import SecondaryDiffusionImageNet2
    from render.unet import UNetConfig, UNetModel
    from tests.benchmarks.render_work import zero_residual_outputs

    torch.manual_seed(0)
    settings = RenderSettings(width_height=(1280, 768), device="cuda", **overrides)
    with torch.device("cuda"):
        unet = UNetModel(UNetConfig.from_published(REGISTRY["512x512_diffusion_uncond_finetune_008100"].config),
                         use_checkpoint=settings.gradient_checkpointing)
        secondary = SecondaryDiffusionImageNet2(64) if settings.use_secondary_model else None
    zero_residual_outputs(unet)
    clips = [load_clip(f"{name}::random", "cuda") for name in ("ViT-B-32", "ViT-B-16", "RN50")]
    return Renderer(settings, unet=unet, secondary=secondary, clip_models=clips)


def _measure(renderer, benchmark) -> tuple[float, int]:
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    steps = renderer.sample(["a lighthouse in a storm, matte painting:1", "blurry:-0.2"], seed=0)
    for _ in range(WARMUP_STEPS):
        next(steps)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    skipped = 0
    for _ in range(TIMED_STEPS):
        skipped += next(steps).guidance_skipped
    torch.cuda.synchronize()
    per_step = (time.perf_counter() - t0) / TIMED_STEPS

    def one_step():
        out = next(steps)
        torch.cuda.synchronize()
        return out

    benchmark.pedantic(one_step, rounds=5, iterations=1)
    peak = torch.cuda.max_memory_allocated()
    from tests.benchmarks.render_work import step_flops

    s = renderer.settings
    flops = step_flops(*s.width_height, s.use_secondary_model, s.gradient_checkpointing)["total"]
    benchmark.extra_info.update(
        seconds_per_step=per_step,
        speedup_vs_disco_diffusion_3080=DD_SECONDS_PER_STEP / per_step,
        peak_memory_gib=peak / 1024**3,
        achieved_tflops=flops / per_step / 1e12,  # counted work (render_work.py) over measured time
        device=torch.cuda.get_device_name(),
    )
    print(f"\n{flops / 1e12:.1f} TFLOP/step counted -> {flops / per_step / 1e12:.0f} TFLOP/s achieved")
    assert skipped == 0, "guidance was skipped (non-finite gradient): the timing would not be representative"
    return per_step, peak


def test_guided_step_dd_defaults(benchmark) -> None:
    """The default path: secondary model, bf16/fp16 autocast, channels-last, SDPA."""
    per_step, peak = _measure(_build(), benchmark)
    print(f"\n{per_step:.3f} s/step, peak {peak / 1024**3:.2f} GiB on {torch.cuda.get_device_name()}")
    assert per_step <= TARGET_SECONDS_PER_STEP, f"{per_step:.3f} s/step > target {TARGET_SECONDS_PER_STEP:.3f}"
    assert peak < PEAK_MEMORY_LIMIT, f"peak {peak / 1024**3:.2f} GiB >= 12 GiB"


def test_guided_step_fp32(benchmark) -> None:
    """Full precision for comparison (no target)."""
    per_step, peak = _measure(_build(precision="fp32"), benchmark)
    print(f"\nfp32: {per_step:.3f} s/step, peak {peak / 1024**3:.2f} GiB")


def test_guided_step_unet_x0_with_checkpointing(benchmark) -> None:
    """No secondary model: guidance differentiates through the UNet (gradient checkpointing on)."""
    per_step, peak = _measure(_build(use_secondary_model=False, gradient_checkpointing=True), benchmark)
    print(f"\nUNet x0 + checkpointing: {per_step:.3f} s/step, peak {peak / 1024**3:.2f} GiB")


@pytest.mark.skipif(not os.environ.get("CHROMA_BENCH_COMPILE"), reason="set CHROMA_BENCH_COMPILE=1 (compiling takes minutes)")
def test_guided_step_compiled(benchmark) -> None:
    per_step, peak = _measure(_build(compile=True), benchmark)
    print(f"\ncompiled: {per_step:.3f} s/step, peak {peak / 1024**3:.2f} GiB")
    assert per_step <= TARGET_SECONDS_PER_STEP
