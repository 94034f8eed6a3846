"""Gaussian diffusion: beta schedules, timestep respacing, and a table of guided samplers.

The samplers are k-diffusion's way: one small function per sampler, all of one signature
(:class:`Sampler`), each naming its paper and equation, gathered by name in
:data:`SAMPLERS` (``"ddim"``: :func:`ddim_step`, ``"plms"``: :func:`plms_step`).
:meth:`GaussianDiffusion.sample_loop` looks the sampler up there and only sequences the
steps; a new sampler is one function and one entry.

References
----------
- Ho, Jain & Abbeel, *Denoising Diffusion Probabilistic Models* (DDPM), arXiv:2006.11239:
  forward process ``q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I)`` (eq. 4), the
  posterior ``q(x_{t-1} | x_t, x_0)`` (eqs. 6-7) and the linear beta schedule (section 4).
- Nichol & Dhariwal, *Improved DDPM*, arXiv:2102.09672: the cosine schedule (eq. 17), the
  learned-range variance ``exp(v log beta_t + (1 - v) log beta~_t)`` (eq. 15) and
  timestep respacing (section 4).
- Song, Meng & Ermon, *Denoising Diffusion Implicit Models* (DDIM), arXiv:2010.02502,
  eq. 12 (the update) and eq. 16 (``sigma_t(eta)``).
- Liu et al., *Pseudo Numerical Methods for Diffusion Models* (PNDM/PLMS),
  arXiv:2202.09778, section 3: a linear multistep update on eps (order 2 here: Adams-
  Bashforth ``(3 e_t - e_{t-1}) / 2``) started with a pseudo improved-Euler step.
- Dhariwal & Nichol, *Diffusion Models Beat GANs*, arXiv:2105.05233, section 4.2 and
  algorithm 2: guidance applied to the score, ``eps' = eps - sqrt(1 - abar_t) grad``.

Conventions: schedule arrays are float64 (numpy); coefficients are gathered per step and
used in float32, as the published implementation does. Timesteps inside the sampler are
*respaced indices* ``0..K-1``; the model receives ``timestep_map[index]`` (the original
timestep), scaled to the 0..1000 range when ``rescale_timesteps`` is set.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable, Iterator, NamedTuple, Protocol, Sequence

import numpy as np
import torch

from render.errors import SettingsError

__all__ = [
    "linear_beta_schedule",
    "cosine_beta_schedule",
    "named_beta_schedule",
    "space_timesteps",
    "GaussianDiffusion",
    "StepOutput",
    "Sampler",
    "SamplerOptions",
    "SamplerStep",
    "SAMPLERS",
    "sampler",
    "ddim_step",
    "plms_step",
    "ModelFn",
    "CondFn",
]

#: ``model(x, t_model) -> (N, 2C, H, W)`` tensor: eps and the variance interpolation.
ModelFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
#: ``cond_fn(x, t_index) -> grad`` of the log-likelihood of the condition wrt ``x``.
CondFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def linear_beta_schedule(num_timesteps: int = 1000) -> np.ndarray:
    """Linear betas from 1e-4 to 0.02 for 1000 steps, scaled for other lengths.

    Both ends are multiplied by ``1000 / num_timesteps``, so a shorter process reaches
    about the same total noise, as guided-diffusion's ``get_named_beta_schedule`` does.

    Parameters
    ----------
    num_timesteps : int, optional
        Length ``T`` of the process, in timesteps. Default 1000.

    Returns
    -------
    numpy.ndarray
        ``(T,)`` float64 betas, the per-step noise variances, evenly spaced.

    References
    ----------
    Ho, Jain & Abbeel 2020, *Denoising Diffusion Probabilistic Models*, arXiv:2006.11239,
    section 4.
    """
    scale = 1000 / num_timesteps
    return np.linspace(scale * 0.0001, scale * 0.02, num_timesteps, dtype=np.float64)


def cosine_beta_schedule(num_timesteps: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """Betas of the cosine schedule ``abar(t) = cos(((t/T + s)/(1 + s)) pi/2)^2``.

    ``beta_t = 1 - abar((t+1)/T) / abar(t/T)``, clipped to ``max_beta``.

    Parameters
    ----------
    num_timesteps : int, optional
        Length ``T`` of the process, in timesteps. Default 1000.
    s : float, optional
        Offset that keeps ``beta`` from being tiny near ``t = 0``, as a fraction of the
        process. Default 0.008.
    max_beta : float, optional
        Upper clip of each beta, avoiding the singularity at ``t = T``. Default 0.999.

    Returns
    -------
    numpy.ndarray
        ``(T,)`` float64 betas.

    References
    ----------
    Nichol & Dhariwal 2021, *Improved Denoising Diffusion Probabilistic Models*,
    arXiv:2102.09672, eq. 17 and section 3.2.
    """

    def _abar(u: float) -> float:
        return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2

    betas = [
        min(1 - _abar((i + 1) / num_timesteps) / _abar(i / num_timesteps), max_beta)
        for i in range(num_timesteps)
    ]
    return np.array(betas, dtype=np.float64)


def named_beta_schedule(name: str, num_timesteps: int = 1000) -> np.ndarray:
    """The betas of a schedule chosen by name.

    Parameters
    ----------
    name : str
        ``"linear"`` (:func:`linear_beta_schedule`) or ``"cosine"``
        (:func:`cosine_beta_schedule`).
    num_timesteps : int, optional
        Length ``T`` of the process, in timesteps. Default 1000.

    Returns
    -------
    numpy.ndarray
        ``(T,)`` float64 betas.

    Raises
    ------
    render.errors.SettingsError
        If ``name`` is neither ``"linear"`` nor ``"cosine"``.
    """
    if name == "linear":
        return linear_beta_schedule(num_timesteps)
    if name == "cosine":
        return cosine_beta_schedule(num_timesteps)
    raise SettingsError(f"unknown beta schedule {name!r}; use 'linear' or 'cosine'")


def space_timesteps(num_timesteps: int, spec: str | int | Sequence[int]) -> list[int]:
    """The original timesteps kept by a respacing spec.

    Parameters
    ----------
    num_timesteps : int
        Length ``T`` of the original process, in timesteps (1000 for the published
        checkpoints).
    spec : str or int or Sequence[int]
        ``"ddimN"``: the smallest even stride ``s`` giving exactly N steps
        ``0, s, 2s, ...``. ``"250"``, ``250``, ``"10,10,5"`` or ``[10, 10, 5]``: the
        process is cut into as many equal sections as there are counts (the first
        ``T mod k`` one step longer) and each section keeps its count of steps, evenly
        spaced from its start to its end and rounded (Python's round-half-to-even).

    Returns
    -------
    list of int
        The kept original timesteps, sorted and distinct, in ``[0, T)``.

    Raises
    ------
    render.errors.SettingsError
        If ``spec`` cannot be parsed, a count is negative, a section is shorter than its
        count, or no stride gives exactly N DDIM steps.

    References
    ----------
    Nichol & Dhariwal 2021, *Improved Denoising Diffusion Probabilistic Models*,
    arXiv:2102.09672, section 4 (``space_timesteps`` in guided-diffusion's
    ``respace.py``).
    """
    if isinstance(spec, int):
        counts = [spec]
    elif isinstance(spec, str):
        text = spec.strip()
        if text.startswith("ddim"):
            try:
                want = int(text[4:])
            except ValueError:
                raise SettingsError(f"bad respacing {spec!r}: 'ddim' must be followed by a step count, e.g. 'ddim50'") from None
            for step in range(1, num_timesteps):
                if len(range(0, num_timesteps, step)) == want:
                    return list(range(0, num_timesteps, step))
            raise SettingsError(
                f"cannot make exactly {want} evenly strided DDIM steps out of {num_timesteps}; "
                "pick another count (e.g. 25, 50, 100, 250) or a plain count like '50'"
            )
        try:
            counts = [int(c) for c in text.split(",")]
        except ValueError:
            raise SettingsError(
                f"bad respacing {spec!r}: use a step count ('250'), 'ddimN' or section counts ('10,10,5')"
            ) from None
    else:
        counts = [int(c) for c in spec]
    if not counts or any(c < 0 for c in counts):
        raise SettingsError(f"bad respacing {spec!r}: counts must be non-negative")
    size_per, extra = divmod(num_timesteps, len(counts))
    start = 0
    kept: list[int] = []
    for i, count in enumerate(counts):
        size = size_per + (1 if i < extra else 0)
        if size < count:
            raise SettingsError(f"cannot take {count} steps from a section of {size} (respacing {spec!r})")
        stride = 1.0 if count <= 1 else (size - 1) / (count - 1)
        pos = 0.0
        for _ in range(count):
            kept.append(start + round(pos))
            pos += stride
        start += size
    return sorted(set(kept))


@dataclass(frozen=True)
class SamplerOptions:
    """The settings of a sampling run that every sampler of :data:`SAMPLERS` receives.

    A sampler reads the fields it needs and ignores the others (DDIM has no ``order``,
    PLMS no ``eta``).

    Attributes
    ----------
    cond_fn : CondFn or None
        Guidance gradient, see :meth:`GaussianDiffusion.condition_score`. Default None:
        unguided.
    eta : float
        DDIM stochasticity, 0 (deterministic) to 1 (DDPM-like). Default 0.
    order : int
        PLMS (Adams-Bashforth) order, 1 to 4. Default 2.
    clip_denoised : bool
        Clamp each x0 estimate to [-1, 1]. Default False.
    generator : torch.Generator or None
        RNG of the noise a step draws (DDIM draws it at every step, as guided-diffusion
        does, and adds it when ``eta > 0``). Default None: torch's global RNG.
    """

    cond_fn: CondFn | None = None
    eta: float = 0.0
    order: int = 2
    clip_denoised: bool = False
    generator: torch.Generator | None = None


class SamplerStep(NamedTuple):
    """What one sampler step returns (a tuple: ``x, x0, skipped = step(...)``).

    Attributes
    ----------
    sample : torch.Tensor
        ``x_{t-1}``, ``(N, C, H, W)`` in model space.
    pred_xstart : torch.Tensor
        The model's x0 estimate at ``x_t`` before guidance.
    guidance_skipped : bool
        True when a guidance gradient of this step was not finite.
    """

    sample: torch.Tensor
    pred_xstart: torch.Tensor
    guidance_skipped: bool


class Sampler(Protocol):
    """The one signature of every sampler in :data:`SAMPLERS`: one step ``x_t -> x_{t-1}``.

    A sampler is a function of the process, the model, the sample and its respaced
    timesteps, the run's :class:`SamplerOptions` and a ``history`` list it may keep
    between steps (PLMS's past eps; the loop starts it empty and passes the same list to
    every step of a run).
    """

    def __call__(
        self,
        diffusion: "GaussianDiffusion",
        model: ModelFn,
        x: torch.Tensor,
        t: torch.Tensor,
        options: SamplerOptions,
        history: list[torch.Tensor],
    ) -> SamplerStep:
        """Take one step.

        Parameters
        ----------
        diffusion : GaussianDiffusion
            The (respaced) process: its schedule and model helpers.
        model : ModelFn
            ``model(x, t_model)``.
        x : torch.Tensor
            ``x_t``, ``(N, C, H, W)`` in model space.
        t : torch.Tensor
            ``(N,)`` long tensor of respaced step indices.
        options : SamplerOptions
            The run's settings.
        history : list of torch.Tensor
            The sampler's state between steps, updated in place.

        Returns
        -------
        SamplerStep
            ``(sample, pred_xstart, guidance_skipped)``.
        """
        ...


@dataclass
class StepOutput:
    """One sampling step, as :meth:`GaussianDiffusion.sample_loop` yields it.

    Attributes
    ----------
    index : int
        The respaced step index ``0..K-1`` just taken (counting down to 0).
    timestep : int
        The original timestep of ``index``, in ``[0, T)``.
    sample : torch.Tensor
        The new sample ``x_{t-1}``, ``(N, C, H, W)`` in model space (about [-1, 1]).
    pred_xstart : torch.Tensor
        The model's estimate of ``x_0`` at this step before guidance, ``(N, C, H, W)``
        in [-1, 1] model space (clamped only when ``clip_denoised``).
    guidance_skipped : bool
        True when this step's guidance was skipped because its gradient was not finite.
    """

    index: int
    timestep: int
    sample: torch.Tensor
    pred_xstart: torch.Tensor
    guidance_skipped: bool = False


class GaussianDiffusion:
    """A (possibly respaced) Gaussian diffusion process, sampled by the table's samplers.

    Build with :meth:`from_spec` for the renderer's usual case: a named 1000-step schedule
    respaced by a spec such as ``"ddim50"``. Respacing keeps ``abar`` at the kept steps
    and recomputes ``beta_i = 1 - abar_i / abar_{i-1}`` (Improved DDPM, section 4).
    The schedule arrays (``betas``, ``alphas_cumprod``, ``alphas_cumprod_prev``,
    ``sqrt_alphas_cumprod``, ``sqrt_one_minus_alphas_cumprod``,
    ``sqrt_recip_alphas_cumprod``, ``sqrt_recipm1_alphas_cumprod``,
    ``posterior_variance``, ``posterior_log_variance_clipped``,
    ``posterior_mean_coef1``, ``posterior_mean_coef2``) are float64 numpy attributes of
    length ``K``, indexed by respaced step; :meth:`coef` gathers them at timesteps.

    Parameters
    ----------
    betas : numpy.ndarray
        ``(T,)`` betas of the original process, each in (0, 1].
    use_timesteps : Sequence[int] or None, optional
        The kept original timesteps, in ``[0, T)`` (see :func:`space_timesteps`).
        Default None: all ``T``.
    rescale_timesteps : bool, optional
        Give the model ``t * 1000 / T`` instead of ``t``. Default True.

    Raises
    ------
    render.errors.SettingsError
        If ``betas`` is not 1-D in (0, 1] or a kept timestep lies outside ``[0, T)``.

    References
    ----------
    Ho, Jain & Abbeel 2020, arXiv:2006.11239, eqs. 4, 6-7; Nichol & Dhariwal 2021,
    arXiv:2102.09672, section 4.
    """

    def __init__(
        self,
        betas: np.ndarray,
        use_timesteps: Sequence[int] | None = None,
        rescale_timesteps: bool = True,
    ):
        betas = np.asarray(betas, dtype=np.float64)
        if betas.ndim != 1 or not ((betas > 0) & (betas <= 1)).all():
            raise SettingsError("betas must be a 1-D array in (0, 1]")
        self.original_num_steps = len(betas)
        self.rescale_timesteps = rescale_timesteps
        base_abar = np.cumprod(1.0 - betas)
        if use_timesteps is None:
            kept = list(range(len(betas)))
            new_betas = betas
        else:
            kept = sorted(set(int(t) for t in use_timesteps))
            if not kept or kept[0] < 0 or kept[-1] >= len(betas):
                raise SettingsError("kept timesteps must lie in [0, T)")
            last = 1.0
            nb = []
            for t in kept:
                nb.append(1.0 - base_abar[t] / last)
                last = base_abar[t]
            new_betas = np.array(nb, dtype=np.float64)
        self.timestep_map = np.array(kept, dtype=np.int64)
        self.betas = new_betas
        self.num_timesteps = len(new_betas)

        alphas = 1.0 - new_betas
        self.alphas_cumprod = np.cumprod(alphas)
        self.alphas_cumprod_prev = np.append(1.0, self.alphas_cumprod[:-1])
        self.sqrt_alphas_cumprod = np.sqrt(self.alphas_cumprod)
        self.sqrt_one_minus_alphas_cumprod = np.sqrt(1.0 - self.alphas_cumprod)
        self.sqrt_recip_alphas_cumprod = np.sqrt(1.0 / self.alphas_cumprod)
        self.sqrt_recipm1_alphas_cumprod = np.sqrt(1.0 / self.alphas_cumprod - 1)
        # posterior q(x_{t-1} | x_t, x_0), DDPM eqs. 6-7
        self.posterior_variance = new_betas * (1.0 - self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        pv1 = self.posterior_variance[1] if self.num_timesteps > 1 else self.posterior_variance[0]
        self.posterior_log_variance_clipped = np.log(np.append(pv1, self.posterior_variance[1:]))
        self.posterior_mean_coef1 = new_betas * np.sqrt(self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_mean_coef2 = (1.0 - self.alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - self.alphas_cumprod)
        self._cache: dict[tuple[str, torch.device], torch.Tensor] = {}

    @classmethod
    def from_spec(
        cls,
        spec: str | int | Sequence[int] = "ddim50",
        schedule: str = "linear",
        num_timesteps: int = 1000,
        rescale_timesteps: bool = True,
    ) -> "GaussianDiffusion":
        """A named schedule of ``num_timesteps`` steps, respaced by ``spec``.

        Parameters
        ----------
        spec : str or int or Sequence[int], optional
            Respacing spec, see :func:`space_timesteps`. Default ``"ddim50"``.
        schedule : str, optional
            ``"linear"`` or ``"cosine"``, see :func:`named_beta_schedule`. Default
            ``"linear"``.
        num_timesteps : int, optional
            Length ``T`` of the original process, in timesteps. Default 1000.
        rescale_timesteps : bool, optional
            Give the model timesteps on the 0..1000 scale. Default True.

        Returns
        -------
        GaussianDiffusion
            The respaced process.

        Raises
        ------
        render.errors.SettingsError
            If ``schedule`` or ``spec`` is invalid.
        """
        betas = named_beta_schedule(schedule, num_timesteps)
        return cls(betas, space_timesteps(num_timesteps, spec), rescale_timesteps)

    # -- helpers --------------------------------------------------------------------
    def coef(self, name: str, t: torch.Tensor, ndim: int) -> torch.Tensor:
        """A schedule array gathered at timesteps, shaped to broadcast against a batch.

        This is guided-diffusion's ``_extract_into_tensor``: ``getattr(self, name)[t]``,
        as float32 on ``t``'s device, with trailing singleton axes added so that it
        has ``ndim`` dimensions and multiplies a ``(N, C, H, W)`` batch per sample. The
        float64 array is copied to each device once and cached.

        Parameters
        ----------
        name : str
            Name of a schedule attribute, e.g. ``"alphas_cumprod"``,
            ``"sqrt_one_minus_alphas_cumprod"`` or ``"posterior_mean_coef1"`` (see the
            class docstring).
        t : torch.Tensor
            ``(N,)`` long tensor of respaced step indices in ``[0, K)``.
        ndim : int
            Number of dimensions of the tensor the result multiplies (4 for images,
            1 to keep ``(N,)``).

        Returns
        -------
        torch.Tensor
            A float32 tensor of shape ``(N, 1, ..., 1)`` with ``ndim`` dimensions.

        References
        ----------
        Nichol & Dhariwal 2021, guided-diffusion ``gaussian_diffusion.py``,
        ``_extract_into_tensor``.
        """
        key = (name, t.device)
        arr = self._cache.get(key)
        if arr is None:
            arr = torch.from_numpy(getattr(self, name)).to(t.device)
            self._cache[key] = arr
        out = arr[t].float()
        return out.reshape(out.shape + (1,) * (ndim - out.ndim))

    def model_time(self, t: torch.Tensor) -> torch.Tensor:
        """The timestep the network sees for respaced indices ``t``.

        Parameters
        ----------
        t : torch.Tensor
            ``(N,)`` long tensor of respaced step indices in ``[0, K)``.

        Returns
        -------
        torch.Tensor
            ``(N,)`` original timesteps: float32 times ``1000 / T`` when
            ``rescale_timesteps``, else int64 on the ``0..T-1`` scale.
        """
        mapped = torch.as_tensor(self.timestep_map, device=t.device)[t]
        if self.rescale_timesteps:
            return mapped.float() * (1000.0 / self.original_num_steps)
        return mapped

    def original_timestep(self, index: int) -> int:
        """The original (un-respaced) timestep of a respaced index.

        Parameters
        ----------
        index : int
            Respaced step index in ``[0, K)``.

        Returns
        -------
        int
            Original timestep in ``[0, T)``.
        """
        return int(self.timestep_map[index])

    def q_sample(self, x_start: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Noise a clean sample to timestep ``t``: ``sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise``.

        Parameters
        ----------
        x_start : torch.Tensor
            ``x_0``, ``(N, C, H, W)`` in [-1, 1] model space.
        t : torch.Tensor
            ``(N,)`` long tensor of respaced step indices.
        noise : torch.Tensor
            Standard normal noise shaped like ``x_start``.

        Returns
        -------
        torch.Tensor
            A sample of ``q(x_t | x_0)``, shaped like ``x_start``.

        References
        ----------
        Ho, Jain & Abbeel 2020, arXiv:2006.11239, eq. 4.
        """
        return (
            self.coef("sqrt_alphas_cumprod", t, x_start.ndim) * x_start
            + self.coef("sqrt_one_minus_alphas_cumprod", t, x_start.ndim) * noise
        )

    def predict_xstart_from_eps(self, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """The ``x_0`` implied by a noise estimate: ``x_t / sqrt(abar_t) - sqrt(1/abar_t - 1) eps``.

        Parameters
        ----------
        x_t : torch.Tensor
            Noisy sample ``(N, C, H, W)`` in model space.
        t : torch.Tensor
            ``(N,)`` long tensor of respaced step indices.
        eps : torch.Tensor
            Noise estimate shaped like ``x_t``.

        Returns
        -------
        torch.Tensor
            ``x_0`` estimate in model space (unclamped), shaped like ``x_t``.

        References
        ----------
        Ho, Jain & Abbeel 2020, arXiv:2006.11239, eq. 4 solved for ``x_0``.
        """
        return (
            self.coef("sqrt_recip_alphas_cumprod", t, x_t.ndim) * x_t
            - self.coef("sqrt_recipm1_alphas_cumprod", t, x_t.ndim) * eps
        )

    def predict_eps_from_xstart(self, x_t: torch.Tensor, t: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        """The noise implied by an ``x_0`` estimate, the inverse of :meth:`predict_xstart_from_eps`.

        Parameters
        ----------
        x_t : torch.Tensor
            Noisy sample ``(N, C, H, W)`` in model space.
        t : torch.Tensor
            ``(N,)`` long tensor of respaced step indices.
        x0 : torch.Tensor
            ``x_0`` estimate shaped like ``x_t``, in model space.

        Returns
        -------
        torch.Tensor
            ``eps = (x_t / sqrt(abar_t) - x_0) / sqrt(1/abar_t - 1)``, shaped like ``x_t``.
        """
        return (self.coef("sqrt_recip_alphas_cumprod", t, x_t.ndim) * x_t - x0) / self.coef(
            "sqrt_recipm1_alphas_cumprod", t, x_t.ndim
        )

    def q_posterior_mean(self, x_start: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Mean of the posterior ``q(x_{t-1} | x_t, x_0)``.

        Parameters
        ----------
        x_start : torch.Tensor
            ``x_0`` (estimate), ``(N, C, H, W)`` in model space.
        x_t : torch.Tensor
            Noisy sample shaped like ``x_start``.
        t : torch.Tensor
            ``(N,)`` long tensor of respaced step indices.

        Returns
        -------
        torch.Tensor
            ``posterior_mean_coef1 * x_0 + posterior_mean_coef2 * x_t``.

        References
        ----------
        Ho, Jain & Abbeel 2020, arXiv:2006.11239, eq. 7.
        """
        return (
            self.coef("posterior_mean_coef1", t, x_t.ndim) * x_start
            + self.coef("posterior_mean_coef2", t, x_t.ndim) * x_t
        )

    def p_mean_variance(
        self,
        model: ModelFn,
        x: torch.Tensor,
        t: torch.Tensor,
        clip_denoised: bool = False,
    ) -> dict[str, torch.Tensor]:
        """Run the model: eps, the x0 estimate, the posterior mean and learned variance.

        The model's channels ``C..2C`` hold ``v`` in [-1, 1], interpolating the log
        variance between ``beta~_t`` and ``beta_t``; a model with only ``C`` output
        channels gives no variance.

        Parameters
        ----------
        model : ModelFn
            ``model(x, t_model)``, called with :meth:`model_time` of ``t``.
        x : torch.Tensor
            Noisy sample ``(N, C, H, W)`` in model space.
        t : torch.Tensor
            ``(N,)`` long tensor of respaced step indices.
        clip_denoised : bool, optional
            Clamp the ``x_0`` estimate to [-1, 1]. Default False.

        Returns
        -------
        dict of str to torch.Tensor
            ``"eps"``, ``"pred_xstart"`` (x0 in model space), ``"mean"`` (posterior
            mean) and, when the model learns sigma, ``"log_variance"`` and
            ``"variance"``.

        References
        ----------
        Nichol & Dhariwal 2021, arXiv:2102.09672, eq. 15.
        """
        c = x.shape[1]
        out = model(x, self.model_time(t))
        eps = out[:, :c]
        result: dict[str, torch.Tensor] = {"eps": eps}
        if out.shape[1] == 2 * c:
            frac = (out[:, c:] + 1) / 2
            min_log = self.coef("posterior_log_variance_clipped", t, x.ndim)
            max_log = torch.log(self.coef("betas", t, x.ndim))
            log_var = frac * max_log + (1 - frac) * min_log
            result["log_variance"] = log_var
            result["variance"] = torch.exp(log_var)
        x0 = self.predict_xstart_from_eps(x, t, eps)
        if clip_denoised:
            x0 = x0.clamp(-1, 1)
        result["pred_xstart"] = x0
        result["mean"] = self.q_posterior_mean(x0, x, t)
        return result

    def condition_score(
        self, cond_fn: CondFn, out: dict[str, torch.Tensor], x: torch.Tensor, t: torch.Tensor
    ) -> tuple[dict[str, torch.Tensor], bool]:
        """Shift the score by the conditioning gradient.

        ``eps' = eps - sqrt(1 - abar_t) * cond_fn(x, t)``, with ``eps`` re-derived from
        ``out["pred_xstart"]``; x0 and the mean are re-derived from ``eps'``. If the
        gradient is not finite the step's guidance is skipped (a ``RuntimeWarning`` is
        issued) and ``(out, True)`` is returned, so a NaN never turns into a silent
        black frame.

        Parameters
        ----------
        cond_fn : CondFn
            ``cond_fn(x, t)``, the gradient of the condition's log-likelihood wrt ``x``.
        out : dict of str to torch.Tensor
            The output of :meth:`p_mean_variance` at ``(x, t)``.
        x : torch.Tensor
            Noisy sample ``(N, C, H, W)`` in model space.
        t : torch.Tensor
            ``(N,)`` long tensor of respaced step indices.

        Returns
        -------
        new : dict of str to torch.Tensor
            A copy of ``out`` with ``"eps"``, ``"pred_xstart"`` and ``"mean"``
            replaced, or ``out`` itself when guidance was skipped.
        skipped : bool
            True when the gradient was not finite.

        References
        ----------
        Dhariwal & Nichol 2021, *Diffusion Models Beat GANs on Image Synthesis*,
        arXiv:2105.05233, section 4.2 and algorithm 2.
        """
        grad = cond_fn(x, t)
        if not torch.isfinite(grad).all():
            warnings.warn(
                f"guidance gradient is not finite at timestep {self.original_timestep(int(t[0]))}; "
                "skipping guidance for this step (lower clip_guidance_scale or enable clamp_grad)",
                RuntimeWarning,
                stacklevel=2,
            )
            return out, True
        abar = self.coef("alphas_cumprod", t, x.ndim)
        eps = self.predict_eps_from_xstart(x, t, out["pred_xstart"])
        eps = eps - torch.sqrt(1 - abar) * grad.to(eps.dtype)
        new = dict(out)
        new["eps"] = eps
        new["pred_xstart"] = self.predict_xstart_from_eps(x, t, eps)
        new["mean"] = self.q_posterior_mean(new["pred_xstart"], x, t)
        return new, False

    def guided_eps(
        self, model: ModelFn, x: torch.Tensor, t: torch.Tensor, cond_fn: CondFn | None, clip_denoised: bool = False
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor], bool]:
        """The model's (guided) noise estimate at ``(x, t)``, as every sampler starts a step.

        The model runs without gradients (:meth:`p_mean_variance`); with ``cond_fn`` the
        score is shifted (:meth:`condition_score`) and eps re-derived from the guided x0.

        Parameters
        ----------
        model : ModelFn
            ``model(x, t_model)``.
        x : torch.Tensor
            ``x_t``, ``(N, C, H, W)`` in model space.
        t : torch.Tensor
            ``(N,)`` long tensor of respaced step indices.
        cond_fn : CondFn or None
            Guidance gradient, or None for none.
        clip_denoised : bool, optional
            Clamp the x0 estimate to [-1, 1]. Default False.

        Returns
        -------
        eps : torch.Tensor
            The guided noise estimate, shaped like ``x``.
        out : dict of str to torch.Tensor
            :meth:`p_mean_variance`'s output after guidance.
        orig : dict of str to torch.Tensor
            :meth:`p_mean_variance`'s output before guidance.
        guidance_skipped : bool
            True when the guidance gradient was not finite (see :meth:`condition_score`).

        References
        ----------
        Dhariwal & Nichol 2021, arXiv:2105.05233, algorithm 2.
        """
        with torch.no_grad():
            orig = self.p_mean_variance(model, x, t, clip_denoised)
        skipped = False
        out = orig
        if cond_fn is not None:
            out, skipped = self.condition_score(cond_fn, orig, x, t)
        eps = self.predict_eps_from_xstart(x, t, out["pred_xstart"])
        return eps, out, orig, skipped

    # -- the table's samplers, one step at a time, with keyword options -----------------
    def ddim_step(
        self,
        model: ModelFn,
        x: torch.Tensor,
        t: torch.Tensor,
        cond_fn: CondFn | None = None,
        eta: float = 0.0,
        clip_denoised: bool = False,
        generator: torch.Generator | None = None,
    ) -> SamplerStep:
        """One DDIM step ``x_t -> x_{t-1}``: :func:`ddim_step` of this process.

        Parameters
        ----------
        model : ModelFn
            ``model(x, t_model)``.
        x : torch.Tensor
            ``x_t``, ``(N, C, H, W)`` in model space.
        t : torch.Tensor
            ``(N,)`` long tensor of respaced step indices.
        cond_fn : CondFn or None, optional
            Guidance gradient, see :meth:`condition_score`. Default None: unguided.
        eta : float, optional
            Stochasticity, 0 (deterministic DDIM) to 1 (DDPM-like). Default 0.
        clip_denoised : bool, optional
            Clamp the x0 estimate to [-1, 1]. Default False.
        generator : torch.Generator or None, optional
            RNG for the noise when ``eta > 0``. Default None: torch's global RNG.

        Returns
        -------
        SamplerStep
            ``(sample, pred_xstart, guidance_skipped)``.

        References
        ----------
        Song, Meng & Ermon 2021, arXiv:2010.02502, eqs. 12 and 16.
        """
        options = SamplerOptions(cond_fn=cond_fn, eta=eta, clip_denoised=clip_denoised, generator=generator)
        return SAMPLERS["ddim"](self, model, x, t, options, [])

    def plms_step(
        self,
        model: ModelFn,
        x: torch.Tensor,
        t: torch.Tensor,
        old_eps: list[torch.Tensor],
        cond_fn: CondFn | None = None,
        order: int = 2,
        clip_denoised: bool = False,
    ) -> SamplerStep:
        """One PLMS step, updating ``old_eps`` in place: :func:`plms_step` of this process.

        Parameters
        ----------
        model : ModelFn
            ``model(x, t_model)``.
        x : torch.Tensor
            ``x_t``, ``(N, C, H, W)`` in model space.
        t : torch.Tensor
            ``(N,)`` long tensor of respaced step indices.
        old_eps : list of torch.Tensor
            The eps of previous steps, oldest first; start with an empty list.
        cond_fn : CondFn or None, optional
            Guidance gradient, see :meth:`condition_score`. Default None: unguided.
        order : int, optional
            Adams-Bashforth order, 1 to 4. Default 2.
        clip_denoised : bool, optional
            Clamp the x0 estimate to [-1, 1]. Default False.

        Returns
        -------
        SamplerStep
            ``(sample, pred_xstart, guidance_skipped)``.

        Raises
        ------
        render.errors.SettingsError
            If ``order`` is not 1, 2, 3 or 4.

        References
        ----------
        Liu, Ren, Lin & Zhao 2022, arXiv:2202.09778, section 3.
        """
        options = SamplerOptions(cond_fn=cond_fn, order=order, clip_denoised=clip_denoised)
        return SAMPLERS["plms"](self, model, x, t, options, old_eps)

    def sample_loop(
        self,
        model: ModelFn,
        shape: Sequence[int],
        method: str = "ddim",
        noise: torch.Tensor | None = None,
        init_image: torch.Tensor | None = None,
        skip_steps: int = 0,
        cond_fn: CondFn | None = None,
        eta: float = 0.0,
        order: int = 2,
        clip_denoised: bool = False,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        transform: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
    ) -> Iterator[StepOutput]:
        """Sample from pure noise (or a noised init image), yielding every step.

        Parameters
        ----------
        model : ModelFn
            ``model(x, t_model)``, see :data:`ModelFn`.
        shape : Sequence[int]
            ``(N, C, H, W)``: batch, channels, height and width in pixels.
        method : str, optional
            A key of :data:`SAMPLERS`: ``"ddim"`` or ``"plms"``. Default ``"ddim"``.
        noise : torch.Tensor or None, optional
            The starting noise, shaped ``shape``. Default None: drawn from
            ``generator``.
        init_image : torch.Tensor or None, optional
            An image in [-1, 1] model space to start from: it is noised to the first
            step taken, ``q(x_t | init)`` with the same ``noise`` (SDEdit-style). With
            ``skip_steps`` and no init image, the start is ``q(x_t | 0)``: noise scaled
            to that level. Default None.
        skip_steps : int, optional
            How many of the highest respaced steps to leave out, in ``[0, K)``.
            Default 0.
        cond_fn : CondFn or None, optional
            Conditioning gradient, see :data:`CondFn`. Default None: unguided.
        eta : float, optional
            DDIM stochasticity (0: deterministic). Default 0.
        order : int, optional
            PLMS order, 1 to 4. Default 2.
        clip_denoised : bool, optional
            Clamp each x0 estimate to [-1, 1]. Default False.
        generator : torch.Generator or None, optional
            RNG for the noise (determinism for a given seed). Default None.
        device : torch.device or str or None, optional
            Device of the noise and timesteps. Default None: ``noise``'s device, or the
            CPU.
        transform : Callable[[int, torch.Tensor], torch.Tensor] or None, optional
            ``transform(k, x) -> x`` applied to the sample before step ``k`` (0-based
            count of the steps taken), e.g. Disco Diffusion's symmetry; it returns
            ``x`` itself where it does nothing. Default None.

        Yields
        ------
        StepOutput
            Each step, from respaced index ``K - 1 - skip_steps`` down to 0.

        Raises
        ------
        render.errors.SettingsError
            If ``method`` is unknown or ``skip_steps`` is outside ``[0, K)`` (raised on
            the first ``next``).
        """
        step = sampler(method)
        if not 0 <= skip_steps < self.num_timesteps:
            raise SettingsError(
                f"skip_steps={skip_steps} must be in [0, {self.num_timesteps}) for {self.num_timesteps} steps"
            )
        dev = torch.device(device) if device is not None else (noise.device if noise is not None else torch.device("cpu"))
        if noise is None:
            noise = torch.randn(tuple(shape), generator=generator, device=dev)
        x = noise
        if skip_steps and init_image is None:
            init_image = torch.zeros_like(x)
        indices = list(range(self.num_timesteps - skip_steps))[::-1]
        if init_image is not None:
            t0 = torch.full((shape[0],), indices[0], device=dev, dtype=torch.long)
            x = self.q_sample(init_image.to(x), t0, noise)
        options = SamplerOptions(cond_fn=cond_fn, eta=eta, order=order, clip_denoised=clip_denoised, generator=generator)
        history: list[torch.Tensor] = []
        for k, i in enumerate(indices):
            if transform is not None:
                x = transform(k, x)
            t = torch.full((shape[0],), i, device=dev, dtype=torch.long)
            x, x0, skipped = step(self, model, x, t, options, history)
            yield StepOutput(i, self.original_timestep(i), x, x0, skipped)


# -- the samplers: one function each, one signature (:class:`Sampler`) -----------------------
def ddim_step(
    diffusion: GaussianDiffusion,
    model: ModelFn,
    x: torch.Tensor,
    t: torch.Tensor,
    options: SamplerOptions,
    history: list[torch.Tensor],
) -> SamplerStep:
    """One DDIM step ``x_t -> x_{t-1}`` (Song et al. 2021, eq. 12).

    ``x_{t-1} = sqrt(abar_{t-1}) x0 + sqrt(1 - abar_{t-1} - sigma^2) eps + sigma z``
    with ``sigma = eta sqrt((1 - abar_{t-1}) / (1 - abar_t)) sqrt(1 - abar_t / abar_{t-1})``
    (eq. 16), from the guided eps and x0; no noise is added at ``t = 0``. DDIM keeps no
    history.

    Parameters
    ----------
    diffusion : GaussianDiffusion
        The (respaced) process.
    model : ModelFn
        ``model(x, t_model)``.
    x : torch.Tensor
        ``x_t``, ``(N, C, H, W)`` in model space.
    t : torch.Tensor
        ``(N,)`` long tensor of respaced step indices.
    options : SamplerOptions
        ``cond_fn``, ``eta``, ``clip_denoised`` and ``generator`` are read. The noise
        is drawn from ``generator`` at every step, as guided-diffusion's ``ddim_sample``
        draws it (``th.randn_like``), and added only when ``eta > 0`` and ``t > 0``; so
        the draws that follow (the next step's cutouts) are DD's whatever ``eta``.
    history : list of torch.Tensor
        Unused (the table's one signature).

    Returns
    -------
    SamplerStep
        ``x_{t-1}``, the x0 estimate before guidance, and whether guidance was skipped.

    References
    ----------
    Song, Meng & Ermon 2021, *Denoising Diffusion Implicit Models*, arXiv:2010.02502,
    eqs. 12 and 16.
    """
    eps, out, orig, skipped = diffusion.guided_eps(model, x, t, options.cond_fn, options.clip_denoised)
    abar = diffusion.coef("alphas_cumprod", t, x.ndim)
    abar_prev = diffusion.coef("alphas_cumprod_prev", t, x.ndim)
    eta = options.eta
    sigma = eta * torch.sqrt((1 - abar_prev) / (1 - abar)) * torch.sqrt(1 - abar / abar_prev)
    mean = out["pred_xstart"] * torch.sqrt(abar_prev) + torch.sqrt(1 - abar_prev - sigma**2) * eps
    nonzero = (t != 0).float().reshape(-1, *([1] * (x.ndim - 1)))
    # drawn whatever eta, as guided-diffusion's ddim_sample: the stream stays Disco Diffusion's
    noise = torch.randn(x.shape, generator=options.generator, device=x.device, dtype=x.dtype)
    if eta:
        mean = mean + nonzero * sigma * noise
    return SamplerStep(mean, orig["pred_xstart"], skipped)


def plms_step(
    diffusion: GaussianDiffusion,
    model: ModelFn,
    x: torch.Tensor,
    t: torch.Tensor,
    options: SamplerOptions,
    history: list[torch.Tensor],
) -> SamplerStep:
    """One PLMS step ``x_t -> x_{t-1}`` (Liu et al. 2022, PNDM's pseudo linear multistep).

    With no history yet (and ``order > 1``) it takes a pseudo improved-Euler step: eps at
    ``x_t`` and at the DDIM prediction for ``t-1`` are averaged. Otherwise eps is
    extrapolated with Adams-Bashforth of ``min(order, history)``: ``(3 e_t - e_{t-1})/2``
    for order 2, up to order 4. The combined eps moves ``x_t`` along the DDIM (eta=0)
    path; at ``t = 0`` the (guided) x0 estimate is returned instead.

    Parameters
    ----------
    diffusion : GaussianDiffusion
        The (respaced) process.
    model : ModelFn
        ``model(x, t_model)``.
    x : torch.Tensor
        ``x_t``, ``(N, C, H, W)`` in model space.
    t : torch.Tensor
        ``(N,)`` long tensor of respaced step indices.
    options : SamplerOptions
        ``cond_fn``, ``order`` and ``clip_denoised`` are read.
    history : list of torch.Tensor
        The eps of previous steps, oldest first; appended to and trimmed to
        ``order - 1`` entries. Start a run with an empty list.

    Returns
    -------
    SamplerStep
        ``x_{t-1}``, the x0 estimate before guidance, and whether a guidance gradient of
        this step was not finite.

    Raises
    ------
    render.errors.SettingsError
        If ``options.order`` is not 1, 2, 3 or 4.

    References
    ----------
    Liu, Ren, Lin & Zhao 2022, *Pseudo Numerical Methods for Diffusion Models on
    Manifolds*, arXiv:2202.09778, section 3 (eqs. 11-13, algorithm 2).
    """
    order, cond_fn, clip = options.order, options.cond_fn, options.clip_denoised
    if order not in (1, 2, 3, 4):
        raise SettingsError(f"PLMS order must be 1..4, got {order}")
    abar_prev = diffusion.coef("alphas_cumprod_prev", t, x.ndim)
    eps, out, orig, skipped = diffusion.guided_eps(model, x, t, cond_fn, clip)
    if order > 1 and not history:
        history.append(eps)
        mean = out["pred_xstart"] * torch.sqrt(abar_prev) + torch.sqrt(1 - abar_prev) * eps
        eps2, _, _, skipped2 = diffusion.guided_eps(model, mean, (t - 1).clamp(min=0), cond_fn, clip)
        skipped = skipped or skipped2
        eps_prime = (eps + eps2) / 2
    else:
        history.append(eps)
        eps_prime = _adams_bashforth(history, min(order, len(history)))
    pred = diffusion.predict_xstart_from_eps(x, t, eps_prime)
    mean = pred * torch.sqrt(abar_prev) + torch.sqrt(1 - abar_prev) * eps_prime
    if len(history) >= order:
        history.pop(0)
    nonzero = (t != 0).float().reshape(-1, *([1] * (x.ndim - 1)))
    sample = mean * nonzero + out["pred_xstart"] * (1 - nonzero)
    return SamplerStep(sample, orig["pred_xstart"], skipped)


def _adams_bashforth(e: list[torch.Tensor], n: int) -> torch.Tensor:
    """Adams-Bashforth extrapolation of order ``n`` (1-4) from the last ``n`` eps of ``e``."""
    if n == 1:
        return e[-1]
    if n == 2:
        return (3 * e[-1] - e[-2]) / 2
    if n == 3:
        return (23 * e[-1] - 16 * e[-2] + 5 * e[-3]) / 12
    return (55 * e[-1] - 59 * e[-2] + 37 * e[-3] - 9 * e[-4]) / 24


#: The samplers by name (``RenderSettings.diffusion_sampling_mode``, ``chroma render
#: --sampler``): one function each, all of the :class:`Sampler` signature.
SAMPLERS: dict[str, Sampler] = {
    "ddim": ddim_step,
    "plms": plms_step,
}


def sampler(name: str) -> Sampler:
    """The sampler of :data:`SAMPLERS` called ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`SAMPLERS`, e.g. ``"ddim"``.

    Returns
    -------
    Sampler
        Its step function.

    Raises
    ------
    render.errors.SettingsError
        If ``name`` is not in the table; the message lists its keys.
    """
    try:
        return SAMPLERS[name]
    except (KeyError, TypeError):
        raise SettingsError(f"unknown sampling method {name!r}; use one of: {', '.join(SAMPLERS)}") from None
