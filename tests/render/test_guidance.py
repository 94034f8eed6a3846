"""Guidance: losses, cutouts, the conditioning function (NaN handling, clamping)."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from render.cutouts import make_cutouts
from render.diffusion import GaussianDiffusion
from render.guidance import (
    ClipTarget,
    GuidanceConfig,
    Guide,
    range_loss,
    sat_loss,
    spherical_dist_loss,
    tv_loss,
)
from render.renderer import RenderSettings
from render.schedules import parse_schedule


def test_spherical_distance_known_values() -> None:
    e = torch.eye(3)
    # orthogonal unit vectors: chord sqrt(2), angle pi/2 -> 2 * (pi/4)^2
    assert spherical_dist_loss(e[0], e[1]).item() == pytest.approx(2 * (math.pi / 4) ** 2, rel=1e-6)
    # same direction (any length): 0; opposite: 2 * (pi/2)^2
    assert spherical_dist_loss(e[0] * 3, e[0]).item() == pytest.approx(0.0, abs=1e-6)
    assert spherical_dist_loss(e[0], -e[0]).item() == pytest.approx(2 * (math.pi / 2) ** 2, rel=1e-6)


def test_tv_range_sat_losses() -> None:
    x = torch.zeros(1, 1, 2, 2)
    x[0, 0, 0, 1] = 1.0  # one bright pixel top right
    # differences: right of (0,0) is 1, down of (0,1) is -1, replicate pad elsewhere: 2 / 4
    assert tv_loss(x).item() == pytest.approx(0.5)
    y = torch.tensor([-3.0, -1.0, 0.5, 2.0]).view(1, 1, 2, 2)
    assert range_loss(y).item() == pytest.approx((4 + 1) / 4)
    assert sat_loss(y).item() == pytest.approx((2 + 1) / 4)


class _Linear(torch.nn.Module):
    """A stand-in model: eps = 0.5 * x (and a zero variance channel block)."""

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return torch.cat([0.5 * x, torch.zeros_like(x)], 1)


def _config(**kw) -> GuidanceConfig:
    base = dict(
        clip_guidance_scale=1000.0, range_scale=0.0, init_scale=0.0, cutn_batches=1,
        cut_overview=parse_schedule(1), cut_innercut=parse_schedule(2), skip_augs=True, clamp_grad=False,
    )
    base.update(kw)
    return dataclasses.replace(RenderSettings().guidance_config(), **base)


def test_guide_gradient_lowers_the_clip_loss(tiny_clip) -> None:
    d = GaussianDiffusion.from_spec("ddim10")
    target = ClipTarget(tiny_clip, tiny_clip.encode_text(["a red barn"]), torch.tensor([1.0]))
    guide = Guide(d, _Linear(), None, [target], _config(), generator=torch.Generator().manual_seed(0))
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    t = torch.tensor([3])
    grad = guide(x, t)
    assert grad.shape == x.shape and torch.isfinite(grad).all()

    def clip_loss(img: torch.Tensor) -> float:
        cuts = make_cutouts(img.add(1).div(2), 32, 1, 0)
        with torch.no_grad():
            return spherical_dist_loss(tiny_clip.encode_image(cuts), target.embeds).item()

    # grad = -dL/dx: a small step along it lowers the loss of the guided estimate
    fac = d.coef("sqrt_one_minus_alphas_cumprod", t, 4)
    x0 = d.predict_xstart_from_eps(x, t, 0.5 * x)
    before = clip_loss(x0 * fac + x * (1 - fac))
    x2 = x + 1e-3 * grad / grad.abs().max()
    x02 = d.predict_xstart_from_eps(x2, t, 0.5 * x2)
    after = clip_loss(x02 * fac + x2 * (1 - fac))
    assert after < before


def test_clamp_grad_limits_the_rms(tiny_clip) -> None:
    d = GaussianDiffusion.from_spec("ddim10")
    target = ClipTarget(tiny_clip, tiny_clip.encode_text(["a red barn"]), torch.tensor([1.0]))
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    guide = Guide(d, _Linear(), None, [target], _config(clamp_grad=True, clamp_max=1e-4),
                  generator=torch.Generator().manual_seed(0))
    grad = guide(x, torch.tensor([5]))
    assert grad.square().mean().sqrt().item() == pytest.approx(1e-4, rel=1e-4)


def test_nan_loss_is_reported_and_the_step_skipped(tiny_clip, caplog) -> None:
    d = GaussianDiffusion.from_spec("ddim10")
    bad = ClipTarget(tiny_clip, torch.full((1, 32), float("nan")), torch.tensor([1.0]))
    guide = Guide(d, _Linear(), None, [bad], _config(), generator=torch.Generator().manual_seed(0))
    with caplog.at_level("WARNING", logger="render.guidance"):
        with pytest.warns(RuntimeWarning, match="not finite"):
            outs = list(d.sample_loop(_Linear(), (1, 3, 64, 64), cond_fn=guide,
                                      generator=torch.Generator().manual_seed(0)))
    assert all(o.guidance_skipped for o in outs)
    assert all(torch.isfinite(o.sample).all() for o in outs)
    assert all(r.skipped for r in guide.history)
    assert "not finite" in caplog.text
