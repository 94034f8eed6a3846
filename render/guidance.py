"""CLIP guidance: cutouts, losses and the conditioning function.

At each step the sampler asks for ``grad = -d loss / d x_t`` (Dhariwal & Nichol,
arXiv:2105.05233, algorithm 2, with ``log p(y|x) ~ -loss``). The loss is computed on an
estimate of the clean image, blended with the noisy one as Disco Diffusion v5 does:

    x0_hat = secondary(x_t).pred   or   the UNet's x0 from eps (DDPM eq. 4 solved for x0)
    fac    = sqrt(1 - abar_t)
    x_in   = fac * x0_hat + (1 - fac) * x_t

and is the sum of

- the CLIP loss: for every CLIP model and every cutout of ``x_in``, the squared
  great-circle distance between the cutout's embedding and each prompt embedding,
  ``2 arcsin(|u - v| / 2)^2`` for unit ``u, v`` (spherical distance), weighted by the
  normalised prompt weights, averaged over cutouts, summed over images, times
  ``clip_guidance_scale`` (averaged over ``cutn_batches``);
- ``tv_scale`` x total variation of ``x_in`` (Rudin, Osher & Fatemi 1992; squared
  differences of neighbours, mean per image);
- ``range_scale`` x mean squared excess of ``x0_hat`` outside [-1, 1] (differentiated
  through the x0 estimator; Disco Diffusion v5 took this gradient with respect to
  ``x_in``, where it is zero, so its range loss had no effect);
- ``sat_scale`` x mean absolute excess of ``x_in`` outside [-1, 1];
- ``init_scale`` x mean squared difference between ``x_in`` and the init image
  (Disco Diffusion uses LPIPS here; we use MSE to avoid an extra download).

The gradient is optionally rescaled so its RMS is at most ``clamp_max`` (``clamp_grad``).
A non-finite gradient is reported (logged, and flagged in the step output by the
sampler) and that step's guidance is skipped.

Cutouts (Disco Diffusion's "Dango" cutouts): ``overview`` whole-frame views (the frame
padded to a square: plain, greyscale, mirrored, greyscale mirrored, then plain again)
and ``innercut`` random square crops whose side is
``min_size + (max_size - min_size) * u ** cut_ic_pow`` (u uniform in [0, 1]); the first
``round(cut_icgray_p * innercut)`` crops are greyscale. All are resized to the CLIP input
size and, unless ``skip_augs``, augmented (flip, small rotation/translation, grey, colour
jitter, noise). Counts and parameters come from per-step schedules (render.schedules).
"""

from __future__ import annotations

import contextlib
import logging
import math
from dataclasses import dataclass
from typing import Any, Sequence

import torch
import torch.nn.functional as F

from render.clip import ClipModel
from render.diffusion import GaussianDiffusion, ModelFn
from render.schedules import Schedule
from render.secondary import alpha_sigma_to_t

__all__ = [
    "spherical_dist_loss",
    "tv_loss",
    "range_loss",
    "sat_loss",
    "init_loss",
    "make_cutouts",
    "ClipTarget",
    "GuidanceConfig",
    "Guide",
]

log = logging.getLogger("render.guidance")

_LUMA = (0.299, 0.587, 0.114)  # Rec.601 luma, as torchvision's Grayscale


# -- losses ---------------------------------------------------------------------------
def spherical_dist_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Squared great-circle distance between directions: ``2 arcsin(|x^ - y^| / 2)^2``.

    ``x`` and ``y`` broadcast against each other; the last dimension is the embedding.
    """
    x = F.normalize(x, dim=-1)
    y = F.normalize(y, dim=-1)
    return (x - y).norm(dim=-1).div(2).clamp(max=1).arcsin().pow(2).mul(2)


def tv_loss(x: torch.Tensor) -> torch.Tensor:
    """Total variation per image: mean of squared right and down neighbour differences
    (edges replicated), (N,)."""
    x = F.pad(x, (0, 1, 0, 1), mode="replicate")
    dx = x[..., :-1, 1:] - x[..., :-1, :-1]
    dy = x[..., 1:, :-1] - x[..., :-1, :-1]
    return (dx.pow(2) + dy.pow(2)).mean(dim=(1, 2, 3))


def range_loss(x: torch.Tensor) -> torch.Tensor:
    """Mean squared distance of ``x`` outside [-1, 1], per image (N,)."""
    return (x - x.clamp(-1, 1)).pow(2).mean(dim=(1, 2, 3))


def sat_loss(x: torch.Tensor) -> torch.Tensor:
    """Mean absolute distance of ``x`` outside [-1, 1], per image (N,)."""
    return (x - x.clamp(-1, 1)).abs().mean(dim=(1, 2, 3))


def init_loss(x: torch.Tensor, init: torch.Tensor) -> torch.Tensor:
    """Mean squared difference from the init image, per image (N,)."""
    return (x - init).pow(2).mean(dim=(1, 2, 3))


# -- cutouts --------------------------------------------------------------------------
def _grey(x: torch.Tensor) -> torch.Tensor:
    w = torch.tensor(_LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * w).sum(dim=1, keepdim=True).expand_as(x)


def _resize(x: torch.Tensor, size: int) -> torch.Tensor:
    if x.shape[-2:] == (size, size):
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


def _augment(x: torch.Tensor, gen: torch.Generator | None, noise_gen: torch.Generator | None) -> torch.Tensor:
    """Differentiable random augmentations, one draw per cutout (rows of ``x``).

    ``gen`` (CPU) draws the per-cutout parameters; ``noise_gen`` (on ``x``'s device,
    or None for the global RNG) draws the pixel noise.
    """
    n = x.shape[0]
    dev, dt = x.device, x.dtype
    # all per-cutout parameters in one draw and one host-to-device copy
    u = torch.rand((8, n), generator=gen).to(dev, dt)
    # horizontal flip (p = 0.5), rotation +-10 degrees, translation +-5 %: one affine warp
    flip = torch.where(u[0] < 0.5, -1.0, 1.0).to(dt)
    ang = (u[1] * 2 - 1) * math.radians(10)
    tx, ty = (u[2] * 2 - 1) * 0.1, (u[3] * 2 - 1) * 0.1
    cos, sin = torch.cos(ang), torch.sin(ang)
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, tx], -1), torch.stack([sin * flip, cos, ty], -1)], dim=1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # random grey (p = 0.1)
    g = (u[4] < 0.1).to(dt).view(n, 1, 1, 1)
    x = x * (1 - g) + _grey(x) * g
    # colour jitter: brightness, contrast, saturation +-10 %
    b, c, s = (1 + (u[i] * 2 - 1).view(n, 1, 1, 1) * 0.1 for i in (5, 6, 7))
    x = x * b
    m = _grey(x).mean(dim=(1, 2, 3), keepdim=True)
    x = (x - m) * c + m
    gx = _grey(x)
    x = (x - gx) * s + gx
    # a little noise
    noise = torch.randn(x.shape, generator=noise_gen, device=dev, dtype=dt)
    return x + noise * 0.01


def make_cutouts(
    x: torch.Tensor,
    cut_size: int,
    overview: int,
    innercut: int,
    ic_size_pow: float = 1.0,
    ic_grey_p: float = 0.0,
    augment: bool = True,
    generator: torch.Generator | None = None,
    noise_generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Cutouts of images ``x`` (N, 3, H, W) in [0, 1]; see the module docstring.

    ``generator`` (a CPU generator) draws crop geometry and augmentation parameters;
    ``noise_generator`` (on ``x``'s device) draws augmentation noise.

    Returns:
        (K * N, 3, cut_size, cut_size), cutout-major: rows ``k*N .. k*N+N-1`` are cutout
        ``k`` of every image (one crop geometry per cutout, shared by the batch).
    """
    n, _, h, w = x.shape
    cuts: list[torch.Tensor] = []
    if overview > 0:
        side = max(h, w)
        py, px = side - h, side - w
        square = F.pad(x, (px // 2, px - px // 2, py // 2, py - py // 2), value=0.0)
        base = _resize(square, cut_size)
        variants = [base, _grey(base), base.flip(-1), _grey(base.flip(-1))]
        for i in range(overview):
            cuts.append(variants[i] if i < 4 and overview <= 4 else base)
    if innercut > 0:
        max_size = min(h, w)
        min_size = min(h, w, cut_size)
        n_grey = int(round(ic_grey_p * innercut))
        for i in range(innercut):
            u = float(torch.rand((), generator=generator))
            size = int(u**ic_size_pow * (max_size - min_size) + min_size)
            oy = int(torch.randint(0, h - size + 1, (), generator=generator))
            ox = int(torch.randint(0, w - size + 1, (), generator=generator))
            cut = _resize(x[:, :, oy : oy + size, ox : ox + size], cut_size)
            cuts.append(_grey(cut) if i < n_grey else cut)
    if not cuts:
        return x.new_zeros((0, 3, cut_size, cut_size))
    out = torch.cat(cuts)
    return _augment(out, generator, noise_generator) if augment else out


# -- the conditioning function ------------------------------------------------------------
@dataclass
class ClipTarget:
    """A CLIP model with its prompt embeddings (K, D) and normalised weights (K,)."""

    clip: ClipModel
    embeds: torch.Tensor
    weights: torch.Tensor


@dataclass
class GuidanceConfig:
    """The guidance settings, schedules parsed (Disco Diffusion's names).

    Built by :meth:`render.renderer.RenderSettings.guidance_config`, which holds the
    defaults; this class has none of its own so that they live in one place.
    """

    clip_guidance_scale: float
    tv_scale: float
    range_scale: float
    sat_scale: float
    init_scale: float
    cutn_batches: int
    cut_overview: Schedule
    cut_innercut: Schedule
    cut_ic_pow: Schedule
    cut_icgray_p: Schedule
    skip_augs: bool
    clamp_grad: bool
    clamp_max: float


@dataclass
class GuideRecord:
    """What one call of the guide measured (losses as floats, summed over the batch)."""

    timestep: int
    clip_loss: float
    other_loss: float
    skipped: bool


class Guide:
    """The conditioning function ``cond_fn(x_t, t_index) -> grad`` for the sampler.

    Args:
        diffusion: the (respaced) diffusion process.
        unet: the diffusion model (used for the x0 estimate when ``secondary`` is None).
        secondary: Disco Diffusion's secondary model, or None.
        targets: CLIP models with prompt embeddings.
        config: guidance settings.
        init: the init image in [-1, 1] for the init loss, or None.
        generator: RNG for cutouts and augmentations (on the CPU).
        device_generator: RNG on the device for augmentation noise (None: global RNG).
        autocast_dtype: run CLIP and the secondary model under autocast in this dtype
            (None: full precision).
    """

    def __init__(
        self,
        diffusion: GaussianDiffusion,
        unet: ModelFn | None,
        secondary: Any | None,
        targets: Sequence[ClipTarget],
        config: GuidanceConfig,
        init: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        device_generator: torch.Generator | None = None,
        autocast_dtype: torch.dtype | None = None,
    ):
        if secondary is None and unet is None:
            raise ValueError("the guide needs the secondary model or the UNet for its x0 estimate")
        self.diffusion = diffusion
        self.unet = unet
        self.secondary = secondary
        self.targets = list(targets)
        self.config = config
        self.init = init
        self.generator = generator
        self.device_generator = device_generator
        self.autocast_dtype = autocast_dtype
        self.history: list[GuideRecord] = []

    def _autocast(self, device: torch.device) -> contextlib.AbstractContextManager[Any]:
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device.type, dtype=self.autocast_dtype)

    def x0_estimate(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The denoised estimate used for guidance (differentiable in ``x``)."""
        d = self.diffusion
        if self.secondary is not None:
            alpha = d._coef("sqrt_alphas_cumprod", t, 1)
            sigma = d._coef("sqrt_one_minus_alphas_cumprod", t, 1)
            cos_t = alpha_sigma_to_t(alpha, sigma)
            with self._autocast(x.device):
                return self.secondary(x, cos_t).pred.float()
        assert self.unet is not None
        return d.p_mean_variance(self.unet, x, t)["pred_xstart"].float()

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``-d loss / d x`` at respaced index ``t``; non-finite if the loss blew up."""
        cfg = self.config
        d = self.diffusion
        timestep = int(d.model_time(t[:1])[0])  # 0..999 scale, what schedules index
        n = x.shape[0]
        with torch.enable_grad():
            x = x.detach().requires_grad_()
            pred = self.x0_estimate(x, t)
            fac = d._coef("sqrt_one_minus_alphas_cumprod", t, x.ndim)
            x_in = pred * fac + x * (1 - fac)
            x_in_grad = torch.zeros_like(x_in)
            clip_total = x.new_zeros(())
            overview = cfg.cut_overview.int_at(timestep)
            inner = cfg.cut_innercut.int_at(timestep)
            if cfg.clip_guidance_scale and (overview + inner) > 0:
                for target in self.targets:
                    for _ in range(max(cfg.cutn_batches, 1)):
                        with self._autocast(x.device):
                            cuts = make_cutouts(
                                x_in.add(1).div(2),
                                target.clip.input_size,
                                overview,
                                inner,
                                cfg.cut_ic_pow.at(timestep),
                                cfg.cut_icgray_p.at(timestep),
                                augment=not cfg.skip_augs,
                                generator=self.generator,
                                noise_generator=self.device_generator,
                            )
                            emb = target.clip.encode_image(cuts).float()
                        dists = spherical_dist_loss(emb[:, None], target.embeds[None])
                        dists = dists.view(overview + inner, n, -1)
                        losses = (dists * target.weights).sum(2).mean(0)
                        clip_total = clip_total + losses.detach().sum() / max(cfg.cutn_batches, 1)
                        (g,) = torch.autograd.grad(losses.sum() * cfg.clip_guidance_scale, x_in)
                        x_in_grad = x_in_grad + g / max(cfg.cutn_batches, 1)
            loss = x_in.new_zeros(())
            if cfg.tv_scale:
                loss = loss + tv_loss(x_in).sum() * cfg.tv_scale
            if cfg.sat_scale:
                loss = loss + sat_loss(x_in).sum() * cfg.sat_scale
            if self.init is not None and cfg.init_scale:
                loss = loss + init_loss(x_in, self.init.to(x_in)).sum() * cfg.init_scale
            if loss.requires_grad:
                (g,) = torch.autograd.grad(loss, x_in, retain_graph=True)
                x_in_grad = x_in_grad + g
            # the range loss acts on the x0 estimate itself, so its gradient reaches x
            # through the estimator (not through x_in, where it would vanish)
            outputs, grad_outputs = [x_in], [x_in_grad]
            if cfg.range_scale:
                range_term = range_loss(pred).sum() * cfg.range_scale
                loss = loss + range_term.detach()
                outputs.append(range_term)
                grad_outputs.append(torch.ones_like(range_term))
            finite = bool(torch.isfinite(x_in_grad).all())
            if finite:
                (grad,) = torch.autograd.grad(outputs, x, grad_outputs)
                grad = -grad
                finite = bool(torch.isfinite(grad).all())
            else:
                grad = torch.full_like(x, float("nan"))
        if not finite:
            log.warning("guidance gradient is not finite at timestep %d; skipping guidance for this step", timestep)
        elif cfg.clamp_grad:
            magnitude = grad.square().mean().sqrt()
            if float(magnitude) > 0:
                grad = grad * magnitude.clamp(max=cfg.clamp_max) / magnitude
        self.history.append(GuideRecord(timestep, float(clip_total), float(loss.detach()), not finite))
        return grad
