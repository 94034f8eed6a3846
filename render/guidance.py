"""CLIP guidance: losses and the conditioning function (Disco Diffusion v5's ``cond_fn``).

At each step the sampler asks for ``grad = -d loss / d x_t`` (Dhariwal & Nichol,
arXiv:2105.05233, algorithm 2, with ``log p(y|x) ~ -loss``). The loss is computed on an
estimate of the clean image, blended with the noisy one as Disco Diffusion v5 does:

    x0_hat = secondary(x_t).pred   or   the UNet's x0 from eps (DDPM eq. 4 solved for x0)
    fac    = sqrt(1 - abar_t)
    x_in   = fac * x0_hat + (1 - fac) * x_t

and is the sum of

- the CLIP loss: for every CLIP model and every cutout of ``x_in`` (render.cutouts), the
  squared great-circle distance between the cutout's embedding and each prompt
  embedding, ``2 arcsin(|u - v| / 2)^2`` for unit ``u, v`` (spherical distance), weighted
  by the normalised prompt weights, averaged over cutouts, summed over images, times
  ``clip_guidance_scale``, averaged over ``cutn_batches``;
- ``tv_scale`` x total variation of ``x_in`` (squared differences of neighbours, edges
  replicated, mean per image; Mahendran & Vedaldi 2015);
- ``range_scale`` x mean squared excess of ``x0_hat`` outside [-1, 1];
- ``sat_scale`` x mean absolute excess of ``x_in`` outside [-1, 1];
- ``init_scale`` x the distance of ``x_in`` from the init image: LPIPS (render.perceptual,
  as DD) or mean squared error (``init_loss = "mse"``, no extra weights).

The gradient is optionally rescaled so its RMS over the batch is at most ``clamp_max``
(``clamp_grad``). A non-finite gradient is reported (logged, and flagged in the step
output by the sampler) and that step's guidance skipped (DD zeroes it silently: the same
step).

Two modes (``guidance_mode``):

- ``"dd"`` (default) is Disco Diffusion v5's gradient, quirks included, proven against
  ``guidance_golden.pt`` (cosine > 0.9999, relative L2 < 1e-4 on every case). Its range
  loss is differentiated with respect to ``x_in``, which it does not depend on, so
  ``range_scale`` has no effect (the loss is still reported); its saturation loss is the
  mean over the whole batch, so its pull on each image shrinks as ``batch_size`` grows.
- ``"chroma"`` differentiates the range loss through the x0 estimator, so
  ``range_scale`` really keeps the estimate within [-1, 1], and takes the saturation loss
  per image (independent of ``batch_size``). Everything else is as in ``"dd"``.

In both, prompts are embedded as parsed text (DD embedded the raw ``"text:weight"``
string). On a GPU, all cutouts of all ``cutn_batches`` of one CLIP model go through one
CLIP call (each batch keeps its own cutouts and augmentation draw, so the gradient is
DD's sum of per-batch gradients); ``Guide(clip_batch=...)`` bounds the cutouts per call.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from render.clip import ClipModel
from render.cutouts import AUGMENTS, augment, make_cutouts
from render.diffusion import GaussianDiffusion, ModelFn
from render.schedules import Schedule
from render.secondary import alpha_sigma_to_t

__all__ = [
    "spherical_dist_loss",
    "tv_loss",
    "range_loss",
    "sat_loss",
    "init_loss",
    "GUIDANCE_MODES",
    "INIT_LOSSES",
    "ClipTarget",
    "GuidanceConfig",
    "Guide",
]

log = logging.getLogger("render.guidance")

#: guidance_mode values: DD's gradient, or DD's with the range loss made to work.
GUIDANCE_MODES = ("dd", "chroma")
#: init_loss values: LPIPS (as DD; needs the VGG16 backbone in the model cache) or MSE.
INIT_LOSSES = ("lpips", "mse")


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
    """Mean absolute distance of ``x`` outside [-1, 1], per image (N,).

    Disco Diffusion takes the mean over the whole batch instead (``sat_loss(x).mean()``).
    """
    return (x - x.clamp(-1, 1)).abs().mean(dim=(1, 2, 3))


def init_loss(x: torch.Tensor, init: torch.Tensor) -> torch.Tensor:
    """Mean squared difference from the init image, per image (N,) (``init_loss = "mse"``)."""
    return (x - init).pow(2).mean(dim=(1, 2, 3))


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
    defaults; this class has none of its own so that they live in one place, but for
    ``augmentations`` (the chain of render.cutouts.AUGMENTS: ``"still"``, or
    ``"animation"`` for DD's 2D/3D animation modes).
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
    guidance_mode: str
    init_loss: str
    augmentations: str = "still"

    def __post_init__(self) -> None:
        from render.errors import SettingsError

        if self.guidance_mode not in GUIDANCE_MODES:
            raise SettingsError(f"guidance_mode must be one of {', '.join(GUIDANCE_MODES)}, got {self.guidance_mode!r}")
        if self.init_loss not in INIT_LOSSES:
            raise SettingsError(f"init_loss must be one of {', '.join(INIT_LOSSES)}, got {self.init_loss!r}")
        if self.augmentations not in AUGMENTS:
            raise SettingsError(f"augmentations must be one of {', '.join(AUGMENTS)}, got {self.augmentations!r}")


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
        generator: RNG for cutouts and augmentation parameters (on the CPU).
        device_generator: RNG on the device for augmentation noise (None: global RNG).
        autocast_dtype: run CLIP and the secondary model under autocast in this dtype
            (None: full precision).
        lpips: the LPIPS module for ``init_loss = "lpips"`` (None: loaded from the model
            cache when first needed, render.perceptual.load_lpips).
        clip_batch: at most this many cutouts per CLIP call, rounded down to whole cutn
            batches (None: on a GPU all ``cutn_batches`` of a model in one call, on the
            CPU one batch per call, the faster there).
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
        lpips: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        clip_batch: int | None = None,
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
        self.lpips = lpips
        self.clip_batch = clip_batch
        self.history: list[GuideRecord] = []
        if init is not None and config.init_scale and config.init_loss == "lpips" and lpips is None:
            from render.perceptual import load_lpips

            self.lpips = load_lpips(init.device)  # fails now, with how to fetch it, if missing

    def _autocast(self, device: torch.device) -> contextlib.AbstractContextManager[Any]:
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device.type, dtype=self.autocast_dtype)

    def x0_estimate(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The denoised estimate used for guidance (differentiable in ``x``)."""
        d = self.diffusion
        if self.secondary is not None:
            alpha = d.coef("sqrt_alphas_cumprod", t, 1)
            sigma = d.coef("sqrt_one_minus_alphas_cumprod", t, 1)
            cos_t = alpha_sigma_to_t(alpha, sigma)
            with self._autocast(x.device):
                return self.secondary(x, cos_t).pred.float()
        assert self.unet is not None
        return d.p_mean_variance(self.unet, x, t)["pred_xstart"].float()

    def _cutouts(self, x01: torch.Tensor, size: int, timestep: int) -> torch.Tensor:
        """One cutn batch: DD's cutouts of ``x01`` (in [0, 1]), augmented unless skip_augs."""
        cfg = self.config
        cuts = make_cutouts(
            x01, size, cfg.cut_overview.int_at(timestep), cfg.cut_innercut.int_at(timestep),
            cfg.cut_ic_pow.at(timestep), cfg.cut_icgray_p.at(timestep), generator=self.generator,
        )
        if not cfg.skip_augs and cuts.shape[0]:
            cuts, _ = augment(cuts, AUGMENTS[cfg.augmentations], self.generator, self.device_generator)
        return cuts

    def _batches_per_call(self, k: int, n: int, device: torch.device) -> int:
        """How many cutn batches go through CLIP together (see ``clip_batch``)."""
        batches = max(self.config.cutn_batches, 1)
        if self.clip_batch:
            return min(max(self.clip_batch // (k * n), 1), batches)
        # measured with RN50 on the CPU (one thread, 64 cutouts forward and backward):
        # 20-21 s in one call, 17-19 s in calls of 16; on a GPU one call saves launches
        return batches if device.type == "cuda" else 1

    def clip_grad(self, x_in: torch.Tensor, timestep: int) -> tuple[torch.Tensor, float]:
        """d(CLIP loss x clip_guidance_scale)/d x_in, averaged over cutn batches, and the
        logged loss.

        Each call of CLIP is differentiated at once, so only its activations are held.
        The logged value is DD's: per model and cutn batch, the weighted spherical
        distance summed over prompts and images, averaged over cutouts, not scaled; here
        averaged over the batches and summed over models.
        """
        cfg = self.config
        n = x_in.shape[0]
        batches = max(cfg.cutn_batches, 1)
        k = cfg.cut_overview.int_at(timestep) + cfg.cut_innercut.int_at(timestep)
        grad = torch.zeros_like(x_in)
        logged = 0.0
        if not cfg.clip_guidance_scale or k <= 0 or not self.targets:
            return grad, logged
        per_call = self._batches_per_call(k, n, x_in.device)
        for target in self.targets:
            done = 0
            while done < batches:
                m = min(per_call, batches - done)
                xi = x_in.detach().requires_grad_()
                x01 = xi.add(1).div(2)
                cuts = torch.cat([self._cutouts(x01, target.clip.input_size, timestep) for _ in range(m)])
                with self._autocast(xi.device):
                    emb = target.clip.encode_image(cuts).float()
                dists = spherical_dist_loss(emb[:, None], target.embeds[None])
                losses = (dists.view(m, k, n, -1) * target.weights).sum(-1).mean(1)  # (m, n)
                logged += float(losses.detach().sum()) / batches
                (g,) = torch.autograd.grad(losses.sum() * (cfg.clip_guidance_scale / batches), xi)
                grad = grad + g
                done += m
        return grad, logged

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``-d loss / d x`` at respaced index ``t``; non-finite if the loss blew up."""
        cfg = self.config
        d = self.diffusion
        dd = cfg.guidance_mode == "dd"
        timestep = int(d.model_time(t[:1])[0])  # 0..999 scale, what schedules index
        with torch.enable_grad():
            x = x.detach().requires_grad_()
            pred = self.x0_estimate(x, t)
            fac = d.coef("sqrt_one_minus_alphas_cumprod", t, x.ndim)
            x_in = pred * fac + x * (1 - fac)
            # the losses on x_in are differentiated to a detached copy first (DD's x_in_grad),
            # then carried to x_t by one vector-Jacobian product through the x0 estimator
            x_in_grad, clip_logged = self.clip_grad(x_in.detach(), timestep)
            xi = x_in.detach().requires_grad_()
            other = xi.new_zeros(())
            if cfg.tv_scale:
                other = other + tv_loss(xi).sum() * cfg.tv_scale
            if cfg.sat_scale:
                sat = sat_loss(xi)
                other = other + (sat.mean() if dd else sat.sum()) * cfg.sat_scale
            if self.init is not None and cfg.init_scale:
                init = self.init.to(xi)
                if cfg.init_loss == "lpips":
                    from render.perceptual import lpips_distance

                    assert self.lpips is not None
                    dist = lpips_distance(self.lpips, xi, init)
                else:
                    dist = init_loss(xi, init)
                other = other + dist.sum() * cfg.init_scale
            if other.requires_grad:
                (g,) = torch.autograd.grad(other, xi)
                x_in_grad = x_in_grad + g
            outputs, grad_outputs = [x_in], [x_in_grad]
            range_value = 0.0
            if cfg.range_scale:
                range_term = range_loss(pred).sum() * cfg.range_scale
                range_value = float(range_term.detach())
                if not dd:  # through the x0 estimate; in DD its gradient is zero
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
        self.history.append(GuideRecord(timestep, clip_logged, float(other.detach()) + range_value, not finite))
        return grad
