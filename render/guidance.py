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

    Parameters
    ----------
    x, y : torch.Tensor
        Embeddings, broadcast against each other; the last dimension is the embedding
        (not necessarily unit length: both are normalised first).

    Returns
    -------
    torch.Tensor
        The distances, the broadcast shape without the last dimension: twice the squared
        half-angle in radians (0 for equal directions, pi^2 / 2 for opposite ones).

    References
    ----------
    Crowson, K. (2021). CLIP guided diffusion; Disco Diffusion v5 ``spherical_dist_loss``.
    """
    x = F.normalize(x, dim=-1)
    y = F.normalize(y, dim=-1)
    return (x - y).norm(dim=-1).div(2).clamp(max=1).arcsin().pow(2).mul(2)


def tv_loss(x: torch.Tensor) -> torch.Tensor:
    """Total variation per image: the mean of squared right and down neighbour differences.

    Parameters
    ----------
    x : torch.Tensor
        Images (N, C, H, W); the last row and column are replicated, so edges add nothing.

    Returns
    -------
    torch.Tensor
        (N,), in squared image units.

    References
    ----------
    Mahendran, A. & Vedaldi, A. (2015). Understanding Deep Image Representations by
    Inverting Them. CVPR.
    """
    x = F.pad(x, (0, 1, 0, 1), mode="replicate")
    dx = x[..., :-1, 1:] - x[..., :-1, :-1]
    dy = x[..., 1:, :-1] - x[..., :-1, :-1]
    return (dx.pow(2) + dy.pow(2)).mean(dim=(1, 2, 3))


def range_loss(x: torch.Tensor) -> torch.Tensor:
    """Mean squared distance of ``x`` outside [-1, 1], per image.

    Parameters
    ----------
    x : torch.Tensor
        Images (N, C, H, W) in model space.

    Returns
    -------
    torch.Tensor
        (N,); zero for images within [-1, 1].
    """
    return (x - x.clamp(-1, 1)).pow(2).mean(dim=(1, 2, 3))


def sat_loss(x: torch.Tensor) -> torch.Tensor:
    """Mean absolute distance of ``x`` outside [-1, 1], per image.

    Disco Diffusion takes the mean over the whole batch instead (``sat_loss(x).mean()``).

    Parameters
    ----------
    x : torch.Tensor
        Images (N, C, H, W) in model space.

    Returns
    -------
    torch.Tensor
        (N,); zero for images within [-1, 1].
    """
    return (x - x.clamp(-1, 1)).abs().mean(dim=(1, 2, 3))


def init_loss(x: torch.Tensor, init: torch.Tensor) -> torch.Tensor:
    """Mean squared difference from the init image, per image (``init_loss = "mse"``).

    Parameters
    ----------
    x : torch.Tensor
        Images (N, C, H, W) in model space.
    init : torch.Tensor
        The init image, broadcast against ``x``.

    Returns
    -------
    torch.Tensor
        (N,), in squared model-space units.
    """
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

    Parameters
    ----------
    diffusion : GaussianDiffusion
        The (respaced) diffusion process.
    unet : callable or None
        The diffusion model ``(x, t) -> output``, used for the x0 estimate when
        ``secondary`` is None.
    secondary : torch.nn.Module or None
        Disco Diffusion's secondary model, or None.
    targets : sequence of ClipTarget
        CLIP models with their prompt embeddings.
    config : GuidanceConfig
        The guidance settings.
    init : torch.Tensor, optional
        The init image in [-1, 1] for the init loss.
    generator : torch.Generator, optional
        RNG for cutouts and augmentation parameters (on the CPU); None: the global RNG.
    device_generator : torch.Generator, optional
        RNG on the device for the augmentation noise; None: the global RNG. Disco
        Diffusion's stream is ``render.renderer.dd_generators``: on the CPU the same
        generator as ``generator``.
    autocast_dtype : torch.dtype, optional
        Run CLIP and the secondary model under autocast in this dtype; None: full
        precision.
    lpips : callable, optional
        The LPIPS module for ``init_loss = "lpips"``; None: loaded from the model cache
        when first needed (render.perceptual.load_lpips).
    clip_batch : int, optional
        At most this many cutouts per CLIP call, rounded down to whole cutn batches;
        None: on a GPU all ``cutn_batches`` of a model in one call, on the CPU one batch
        per call (the faster there).

    Raises
    ------
    ValueError
        Neither the secondary model nor the UNet is given.
    render.errors.ModelNotFoundError
        LPIPS is needed and its weights are not in the model cache.
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
        """The denoised estimate used for guidance (differentiable in ``x``).

        Parameters
        ----------
        x : torch.Tensor
            The noisy sample x_t (N, 3, H, W), model space.
        t : torch.Tensor
            Respaced timestep indices (N,).

        Returns
        -------
        torch.Tensor
            The x0 estimate in model space, float32: the secondary model's ``pred`` at DD's cosine time
            ``atan2(sigma, alpha) * 2 / pi``, or the UNet's ``pred_xstart``.
        """
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
        """The CLIP loss's gradient at ``x_in``, averaged over the cutn batches.

        Each call of CLIP is differentiated at once, so only its activations are held.

        Parameters
        ----------
        x_in : torch.Tensor
            The blended estimate (N, 3, H, W), model space (detached).
        timestep : int
            The original timestep (0..999), which indexes the cut schedules.

        Returns
        -------
        grad : torch.Tensor
            ``d(CLIP loss x clip_guidance_scale) / d x_in``.
        logged : float
            Disco Diffusion's logged value: per model and cutn batch, the weighted
            spherical distance summed over prompts and images and averaged over cutouts,
            unscaled; here averaged over the batches and summed over the models.
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

    def other_losses(self, x_in: torch.Tensor) -> tuple[torch.Tensor | None, float]:
        """The gradient of the total-variation, saturation and init losses at ``x_in``.

        Parameters
        ----------
        x_in : torch.Tensor
            The blended estimate (N, 3, H, W) in model space [-1, 1] (detached).

        Returns
        -------
        grad : torch.Tensor or None
            ``d(tv + sat + init losses, each times its scale) / d x_in``; None when every
            scale is zero (or there is no init image).
        value : float
            The scaled losses summed, for the log.
        """
        cfg = self.config
        xi = x_in.detach().requires_grad_()
        other = xi.new_zeros(())
        if cfg.tv_scale:
            other = other + tv_loss(xi).sum() * cfg.tv_scale
        if cfg.sat_scale:
            sat = sat_loss(xi)
            # DD takes the mean over the whole batch; "chroma" mode per image
            other = other + (sat.mean() if cfg.guidance_mode == "dd" else sat.sum()) * cfg.sat_scale
        if self.init is not None and cfg.init_scale:
            other = other + self._init_distance(xi).sum() * cfg.init_scale
        if not other.requires_grad:
            return None, float(other)
        (grad,) = torch.autograd.grad(other, xi)
        return grad, float(other.detach())

    def _init_distance(self, xi: torch.Tensor) -> torch.Tensor:
        """Per-image distance of ``xi`` from the init image (LPIPS or MSE, ``init_loss``)."""
        assert self.init is not None
        init = self.init.to(xi)
        if self.config.init_loss == "mse":
            return init_loss(xi, init)
        from render.perceptual import lpips_distance

        assert self.lpips is not None
        return lpips_distance(self.lpips, xi, init)

    def clamp(self, grad: torch.Tensor) -> torch.Tensor:
        """Scale ``grad`` so that its RMS over the batch is at most ``clamp_max`` (``clamp_grad``).

        Parameters
        ----------
        grad : torch.Tensor
            The guidance gradient, finite.

        Returns
        -------
        torch.Tensor
            ``grad`` unchanged when ``clamp_grad`` is off or its RMS is within bounds, else
            rescaled to RMS ``clamp_max`` (Disco Diffusion v5's ``clamp_grad``).
        """
        if not self.config.clamp_grad:
            return grad
        magnitude = grad.square().mean().sqrt()
        if float(magnitude) <= 0:
            return grad
        return grad * magnitude.clamp(max=self.config.clamp_max) / magnitude

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The guidance gradient ``-d loss / d x_t`` at respaced index ``t``.

        Parameters
        ----------
        x : torch.Tensor
            The noisy sample x_t (N, 3, H, W), model space.
        t : torch.Tensor
            Respaced timestep indices (N,).

        Returns
        -------
        torch.Tensor
            The gradient (clamped per ``clamp_grad``), or NaN everywhere when the loss
            was not finite (the step is then logged and recorded as skipped).
        """
        cfg = self.config
        d = self.diffusion
        timestep = int(d.model_time(t[:1])[0])  # 0..999 scale, what schedules index
        with torch.enable_grad():
            x = x.detach().requires_grad_()
            pred = self.x0_estimate(x, t)
            fac = d.coef("sqrt_one_minus_alphas_cumprod", t, x.ndim)
            x_in = pred * fac + x * (1 - fac)
            # the losses on x_in are differentiated to a detached copy first (DD's x_in_grad),
            # then carried to x_t by one vector-Jacobian product through the x0 estimator
            x_in_grad, clip_logged = self.clip_grad(x_in.detach(), timestep)
            other_grad, other_value = self.other_losses(x_in)
            if other_grad is not None:
                x_in_grad = x_in_grad + other_grad
            outputs, grad_outputs = [x_in], [x_in_grad]
            range_value = 0.0
            if cfg.range_scale:
                range_term = range_loss(pred).sum() * cfg.range_scale
                range_value = float(range_term.detach())
                if cfg.guidance_mode != "dd":  # through the x0 estimate; in DD its gradient is zero
                    outputs.append(range_term)
                    grad_outputs.append(torch.ones_like(range_term))
            grad = torch.full_like(x, float("nan"))
            finite = bool(torch.isfinite(x_in_grad).all())
            if finite:
                (vjp,) = torch.autograd.grad(outputs, x, grad_outputs)
                grad = -vjp
                finite = bool(torch.isfinite(grad).all())
        if finite:
            grad = self.clamp(grad)
        else:
            log.warning("guidance gradient is not finite at timestep %d; skipping guidance for this step", timestep)
        self.history.append(GuideRecord(timestep, clip_logged, other_value + range_value, not finite))
        return grad
