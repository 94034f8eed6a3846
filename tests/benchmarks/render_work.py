"""Work in one guided step at Disco Diffusion's defaults, counted on the meta device.

Counts floating-point operations (torch.utils.flop_counter: 2 per multiply-add, matmuls
and convolutions) for the parts of one guided DDIM step with the secondary model:

- the UNet forward (no gradient; the secondary model supplies the x0 estimate; without
  it, see :func:`step_flops`),
- the secondary model forward + backward (the guidance gradient flows through it),
- per CLIP model and cutout batch: the image encoder forward + backward on the cutouts.

Nothing is computed (meta tensors), so it runs in seconds on any machine. The GPU
throughput suite divides this by the measured time for the achieved TFLOP/s.

Run:  python tests/benchmarks/render_work.py [WIDTH HEIGHT]
"""

from __future__ import annotations

import logging
import sys

CLIP_MODELS = ("ViT-B-32", "ViT-B-16", "RN50")
CUTS_PER_BATCH = 16  # Disco Diffusion's schedules: overview + inner cuts = 16 at every step
CUTN_BATCHES = 4


def step_flops(width: int = 1280, height: int = 768, use_secondary_model: bool = True,
               gradient_checkpointing: bool = False) -> dict[str, float]:
    """FLOPs of each part of one guided step, and ``"total"``.

    Without the secondary model the guidance runs its own UNet forward and the gradient
    flows back through it (to the input; weights frozen), beside the sampler's forward;
    checkpointing adds one more forward, recomputed in the backward pass.
    """
    import open_clip
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from render.models import REGISTRY
    from render.secondary import SecondaryDiffusionImageNet2
    from render.unet import UNetConfig, UNetModel

    def count(fn) -> float:
        with FlopCounterMode(display=False) as fc:
            fn()
        return float(fc.get_total_flops())

    with torch.device("meta"):
        unet = UNetModel(UNetConfig.from_published(REGISTRY["512x512_diffusion_uncond_finetune_008100"].config)).eval()
        secondary = SecondaryDiffusionImageNet2(64)
    logging.getLogger().setLevel(logging.ERROR)  # open_clip warns that random weights are random
    x = torch.empty(1, 3, height, width, device="meta")
    t = torch.empty(1, device="meta")

    def unet_forward() -> None:
        with torch.no_grad():
            unet(x, t)

    def secondary_forward_backward() -> None:
        xi = x.clone().requires_grad_()
        secondary(xi, t).pred.sum().backward()

    def unet_forward_backward() -> None:
        unet.requires_grad_(False)
        xi = x.clone().requires_grad_()
        unet(xi, t).sum().backward()

    if use_secondary_model:
        parts = {"UNet forward": count(unet_forward), "secondary forward+backward": count(secondary_forward_backward)}
    else:
        parts = {"UNet forward (sampler)": count(unet_forward),
                 "UNet forward+backward (guidance)": count(unet_forward_backward)}
        if gradient_checkpointing:
            parts["UNet forward, recomputed (checkpointing)"] = count(unet_forward)
    for name in CLIP_MODELS:
        model = open_clip.create_model(name, pretrained=None, device="meta").requires_grad_(False)
        size = model.visual.image_size
        size = size[0] if isinstance(size, (tuple, list)) else size

        def clip_forward_backward(model=model, size=size) -> None:
            cuts = torch.empty(CUTS_PER_BATCH, 3, size, size, device="meta", requires_grad=True)
            model.encode_image(cuts).sum().backward()

        parts[f"{name} forward+backward, {CUTN_BATCHES}x{CUTS_PER_BATCH} cuts"] = CUTN_BATCHES * count(clip_forward_backward)
    parts["total"] = sum(parts.values())
    return parts


def main(argv: list[str]) -> None:
    width, height = (int(argv[0]), int(argv[1])) if len(argv) == 2 else (1280, 768)
    parts = step_flops(width, height)
    total = parts["total"]
    print(f"one guided step at {width}x{height} (Disco Diffusion defaults, secondary model):")
    for name, flops in parts.items():
        print(f"  {name:44s} {flops / 1e12:8.2f} TFLOP  {100 * flops / total:5.1f}%")


if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    main(sys.argv[1:])


def zero_residual_outputs(model) -> None:
    """guided-diffusion's initialisation: the last layer of each residual branch starts at
    zero, so a randomly initialised UNet's activations stay finite (speed benchmarks)."""
    import torch

    from render.unet import AttentionBlock, ResBlock

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, ResBlock):
                m.out_layers[-1].weight.zero_()
                m.out_layers[-1].bias.zero_()
            elif isinstance(m, AttentionBlock):
                m.proj_out.weight.zero_()
                m.proj_out.bias.zero_()
