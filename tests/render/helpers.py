"""Pieces the renderer tests share: the goldens' stand-in model and guidance, the tiny UNet."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from render.diffusion import GaussianDiffusion, StepOutput
from render.unet import UNetConfig

# A tiny UNet for end-to-end renders (random weights; CPU-fast).
TINY_UNET = UNetConfig(image_size=64, model_channels=32, num_res_blocks=1, attention_resolutions=(4,),
                       channel_mult=(1, 1, 2), num_heads=2, num_head_channels=-1)


def stand_in_model(x: torch.Tensor, t_model: torch.Tensor) -> torch.Tensor:
    """The fixed function that produced the sampling goldens (see the reference README)."""
    s = (t_model / 1000.0).view(-1, 1, 1, 1)
    eps = torch.tanh(0.8 * x + 0.3 * s) + 0.1 * torch.roll(x, shifts=1, dims=-1)
    return torch.cat([eps, torch.sin(x + s)], dim=1)


def sample_golden_case(golden: dict, case: str, device: torch.device | str = "cpu") -> list[StepOutput]:
    """Run the sampling loop of golden ``case`` (e.g. ``"plms25_skip0"``) as the reference did:
    respaced ``ddim<steps>``, rescaled timesteps, eta 0, PLMS order 2, and the reference's
    guidance gradient ``-0.05 x + 0.01 t/1000``."""
    g = golden[case]
    method, steps, skip = case[:4], int(case[4:6]), int(case.split("skip")[1])
    diffusion = GaussianDiffusion.from_spec(f"ddim{steps}", rescale_timesteps=True)

    def cond_fn(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        s = diffusion.model_time(t).view(-1, 1, 1, 1) / 1000.0
        return -0.05 * x + 0.01 * s

    init = g["init_image"].to(device) if g["init_image"] is not None else None
    return list(
        diffusion.sample_loop(
            stand_in_model, g["noise"].shape, method=method, noise=g["noise"].to(device),
            init_image=init, skip_steps=skip, cond_fn=cond_fn, eta=0.0, order=2, device=device,
        )
    )


@dataclass
class StandInStep:
    """What a stand-in renderer yields per step: the fields of render.RenderStep that the
    frame loop reads (tests/render/test_animation.py, test_watch.py)."""

    final: bool
    image: torch.Tensor
    clip_loss: float | None = None
    total: int = 1
    guidance_skipped: bool = False
