"""Disco Diffusion's secondary model: published layout and forward golden."""

from __future__ import annotations

import math

import torch

from render.secondary import SecondaryDiffusionImageNet2, alpha_sigma_to_t, t_to_alpha_sigma


def test_layout_matches_published(layouts: dict) -> None:
    entry = layouts["secondary_model_imagenet_2"]
    with torch.device("meta"):
        model = SecondaryDiffusionImageNet2(entry["config"]["base_channels"])
    ours = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    assert ours == [(k, list(s)) for k, s in entry["params"]]
    assert sum(v.numel() for v in model.state_dict().values()) == entry["num_params"]


def test_forward_matches_golden(load_reference) -> None:
    g = load_reference("secondary_golden.pt")
    model = SecondaryDiffusionImageNet2(g["config"]["base_channels"]).eval()
    model.load_state_dict(g["state_dict"], strict=True)
    with torch.no_grad():
        out = model(g["x"], g["t"])
    for name in ("v", "pred", "eps"):
        ref = g[name]
        torch.testing.assert_close(getattr(out, name), ref, rtol=1e-5, atol=1e-5 * ref.abs().max().item(), msg=name)


def test_alpha_sigma_round_trip() -> None:
    t = torch.tensor([0.0, 0.25, 0.5, 0.99])
    alpha, sigma = t_to_alpha_sigma(t)
    torch.testing.assert_close(alpha**2 + sigma**2, torch.ones(4))
    torch.testing.assert_close(alpha_sigma_to_t(alpha, sigma), t)
    assert abs(alpha[2].item() - math.sqrt(0.5)) < 1e-6
