"""Render settings: Disco Diffusion v5's names and defaults, typed, and importable without torch.

:class:`RenderSettings` is the one place the renderer's settings and their defaults are written;
``chroma`` validates shot files and imports Disco Diffusion settings against its fields without
importing torch (only :meth:`RenderSettings.diffusion` and :meth:`RenderSettings.guidance_config`,
which construction calls to validate, load the torch-backed parts).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from render.errors import SettingsError

if TYPE_CHECKING:
    from render.diffusion import GaussianDiffusion
    from render.guidance import GuidanceConfig
    from render.schedules import ScheduleLike

__all__ = ["SIZE_MULTIPLE", "RenderSettings", "round_size"]

SIZE_MULTIPLE = 64


def round_size(width: int, height: int, multiple: int = SIZE_MULTIPLE) -> tuple[int, int]:
    """Round an image size to the nearest multiples of ``multiple``, at least one each.

    The UNet halves the image several times, so Disco Diffusion renders at multiples of
    64 pixels.

    Parameters
    ----------
    width : int
        Width in pixels.
    height : int
        Height in pixels.
    multiple : int, optional
        The step in pixels. Default 64 (:data:`SIZE_MULTIPLE`).

    Returns
    -------
    tuple of int
        ``(width, height)`` in pixels, each ``max(multiple, round(v / multiple) *
        multiple)`` (Python's ``round``: halves to even).

    References
    ----------
    Disco Diffusion v5.x ``disco.py``: ``side_x = (width_height[0] // 64) * 64``, which
    rounds down; this rounds to the nearest.
    """
    w, h = (max(multiple, int(round(v / multiple)) * multiple) for v in (width, height))
    return w, h


@dataclass
class RenderSettings:
    """Render settings with Disco Diffusion v5's names and defaults.

    The fields fall in four groups: sampling (``width_height`` to ``batch_size``), models
    (``diffusion_model`` to ``clip_models``), guidance (``clip_guidance_scale`` to
    ``augmentations``, passed on as :class:`render.guidance.GuidanceConfig`) and speed on
    a GPU (``device`` to ``compile``). The settings are validated when they are built
    (and again by :meth:`replace`).

    Attributes
    ----------
    width_height : tuple of int
        Output ``(width, height)`` in pixels, rounded to the nearest multiples of 64 by
        :func:`round_size` (with a ``UserWarning`` when that changes it). Default
        ``(1280, 768)``.
    steps : int
        Number of sampling steps: the process is respaced as ``"ddim<steps>"`` over
        ``diffusion_steps`` timesteps. Ignored when ``timestep_respacing`` is given.
        Default 250.
    skip_steps : int
        How many of the highest-noise respaced steps to leave out, in ``[0, number of
        steps)``. With an init image, sampling starts from it noised to the first step
        taken; without one, from pure noise when 0, else from zeros noised to that
        step. Default 10.
    diffusion_sampling_mode : str
        ``"ddim"`` (Song et al. 2021) or ``"plms"`` (Liu et al. 2022). Default ``"ddim"``.
    eta : float
        DDIM stochasticity: 0 deterministic, 1 the DDPM posterior's variance (DDIM
        only). Default 0.8.
    plms_order : int
        Order of the PLMS multistep, 1 to 4. Default 2.
    noise_schedule : str
        The beta schedule, ``"linear"`` (Ho et al. 2020) or ``"cosine"`` (Nichol &
        Dhariwal 2021). Default ``"linear"``.
    diffusion_steps : int or None
        Length of the original process in timesteps. Default None: ``(1000 // steps) *
        steps`` for ``steps < 1000``, else ``steps``, as Disco Diffusion; 1000 with
        ``timestep_respacing``.
    timestep_respacing : str or None
        Any respacing spec of :func:`render.diffusion.space_timesteps` (``"250"``,
        ``"ddim50"``, ``"10,10,5"``), which then sets the step count. Default None: from
        ``steps``.
    clip_denoised : bool
        Clamp each x0 estimate to [-1, 1] while sampling. Default False.
    batch_size : int
        Images rendered together, at least 1. Default 1.
    diffusion_model : str
        Registry name of the UNet checkpoint (render.models). Default
        ``"512x512_diffusion_uncond_finetune_008100"``.
    use_secondary_model : bool
        Estimate x0 for guidance with Disco Diffusion's small secondary model instead
        of the UNet (cheaper: no backward pass through the UNet). Default True.
    secondary_model : str
        Registry name of the secondary model. Default ``"secondary_model_imagenet_2"``.
    clip_models : tuple of str
        CLIP models as ``"name::pretrained"`` open_clip specs (render.clip). Default
        ``("ViT-B-32::openai", "ViT-B-16::openai", "RN50::openai")``.
    clip_guidance_scale : float
        Weight of the CLIP loss; 0 turns CLIP guidance off and loads no CLIP model.
        Default 5000.
    tv_scale : float
        Weight of the total-variation loss. Default 0.
    range_scale : float
        Weight of the loss on the x0 estimate outside [-1, 1]; has no effect in
        ``guidance_mode = "dd"`` (see render.guidance). Default 150.
    sat_scale : float
        Weight of the saturation loss (the blended image outside [-1, 1]). Default 0.
    init_scale : float
        Weight of the distance from the init image (``init_loss``); used only with an
        init image. Default 1000.
    cutn_batches : int
        Batches of cutouts per CLIP model and step, each with its own cutouts and
        augmentation draw, at least 1. Default 4.
    cut_overview : ScheduleLike
        Overview cutouts per batch, one value per original timestep from the
        high-noise end (render.schedules; a string, number or sequence). Default
        ``"[12]*400+[4]*600"``.
    cut_innercut : ScheduleLike
        Inner cutouts per batch, as ``cut_overview``. Default ``"[4]*400+[12]*600"``.
    cut_ic_pow : ScheduleLike
        Inner-cut size power (larger: smaller cuts), see
        :func:`render.cutouts.make_cutouts`. Default ``"[1]*1000"``.
    cut_icgray_p : ScheduleLike
        Grey fraction of the inner cuts, see :func:`render.cutouts.inner_grey_count`.
        Default ``"[0.2]*400+[0]*600"``.
    skip_augs : bool
        Show CLIP the cutouts without the augmentation chain. Default False.
    clamp_grad : bool
        Scale the guidance gradient down to an RMS of at most ``clamp_max``. Default
        True.
    clamp_max : float
        That bound on the RMS of the gradient over the whole batch, positive. Default
        0.05.
    guidance_mode : str
        ``"dd"``, Disco Diffusion's gradient (its ``range_scale`` has no effect), or
        ``"chroma"``, in which the range loss acts through the x0 estimate (see
        render.guidance). Default ``"dd"``.
    init_loss : str
        Distance from the init image: ``"lpips"`` (as DD; needs the LPIPS weights in
        the model cache) or ``"mse"``. Default ``"lpips"``.
    augmentations : str
        The cutout augmentation chain, a key of :data:`render.cutouts.AUGMENTS`:
        ``"still"`` or ``"animation"`` (flip probability 0.4 and hue 0.3, as DD's 2D/3D
        modes; shot files pick it for 2D/3D). Default ``"still"``.
    device : str or None
        Torch device name. Default None: ``"cuda"`` when available, else ``"cpu"``.
    precision : str
        Autocast dtype of the UNet, CLIP and the secondary model: ``"auto"`` (bf16
        where supported, else fp16, on CUDA; fp32 elsewhere), ``"fp32"``, ``"fp16"``
        or ``"bf16"``. Default ``"auto"``.
    channels_last : bool
        Keep the UNet and the secondary model in channels-last memory format (faster
        convolutions on CUDA and on the CPU). Default True.
    gradient_checkpointing : bool
        Recompute UNet activations in the backward pass: less memory, more time, when
        guidance differentiates through the UNet. Default False.
    compile : bool
        Run the UNet through ``torch.compile``. Default False.

    Raises
    ------
    render.errors.SettingsError
        A field outside its domain: ``width_height`` not two positive integers,
        ``steps < 1``, ``skip_steps`` out of range, an unknown sampling mode, noise
        schedule, respacing, precision, guidance mode, init loss or augmentation chain,
        ``batch_size`` or ``cutn_batches`` below 1, ``clamp_max <= 0``, or no CLIP model
        while ``clip_guidance_scale`` is not 0.
    render.errors.ScheduleError
        A cut schedule that cannot be parsed.

    References
    ----------
    Disco Diffusion v5.x ``disco.py`` (settings cells and ``do_run``).

    Ho, J., Jain, A. & Abbeel, P. (2020). Denoising Diffusion Probabilistic Models.
    NeurIPS (arXiv:2006.11239).

    Song, J., Meng, C. & Ermon, S. (2021). Denoising Diffusion Implicit Models. ICLR
    (arXiv:2010.02502).

    Liu, L. et al. (2022). Pseudo Numerical Methods for Diffusion Models on Manifolds.
    ICLR (arXiv:2202.09778).

    Nichol, A. & Dhariwal, P. (2021). Improved Denoising Diffusion Probabilistic Models.
    ICML (arXiv:2102.09672).
    """

    width_height: tuple[int, int] = (1280, 768)
    steps: int = 250
    skip_steps: int = 10
    diffusion_sampling_mode: str = "ddim"
    eta: float = 0.8
    plms_order: int = 2
    noise_schedule: str = "linear"
    diffusion_steps: int | None = None
    timestep_respacing: str | None = None
    clip_denoised: bool = False
    batch_size: int = 1

    diffusion_model: str = "512x512_diffusion_uncond_finetune_008100"
    use_secondary_model: bool = True
    secondary_model: str = "secondary_model_imagenet_2"
    clip_models: tuple[str, ...] = ("ViT-B-32::openai", "ViT-B-16::openai", "RN50::openai")

    clip_guidance_scale: float = 5000.0
    tv_scale: float = 0.0
    range_scale: float = 150.0
    sat_scale: float = 0.0
    init_scale: float = 1000.0
    cutn_batches: int = 4
    cut_overview: ScheduleLike = "[12]*400+[4]*600"
    cut_innercut: ScheduleLike = "[4]*400+[12]*600"
    cut_ic_pow: ScheduleLike = "[1]*1000"
    cut_icgray_p: ScheduleLike = "[0.2]*400+[0]*600"
    skip_augs: bool = False
    clamp_grad: bool = True
    clamp_max: float = 0.05
    guidance_mode: str = "dd"
    init_loss: str = "lpips"
    augmentations: str = "still"

    device: str | None = None
    precision: str = "auto"
    channels_last: bool = True
    gradient_checkpointing: bool = False
    compile: bool = False

    def __post_init__(self) -> None:
        try:
            w, h = (int(v) for v in self.width_height)
        except (TypeError, ValueError):
            raise SettingsError(f"width_height must be two integers [width, height], got {self.width_height!r}") from None
        if w <= 0 or h <= 0:
            raise SettingsError(f"width_height must be positive, got {self.width_height!r}")
        rw, rh = round_size(w, h)
        if (rw, rh) != (w, h):
            warnings.warn(
                f"width_height {w}x{h} is not a multiple of {SIZE_MULTIPLE}; rendering at {rw}x{rh}",
                UserWarning,
                stacklevel=3,
            )
        self.width_height = (rw, rh)
        self.clip_models = tuple(self.clip_models)
        if self.steps < 1:
            raise SettingsError(f"steps must be at least 1, got {self.steps}")
        n = self.diffusion().num_timesteps  # validates the respacing too
        if not 0 <= self.skip_steps < n:
            raise SettingsError(f"skip_steps must be in [0, {n}) for {n} sampling steps, got {self.skip_steps}")
        if self.diffusion_sampling_mode not in ("ddim", "plms"):
            raise SettingsError(f"diffusion_sampling_mode must be 'ddim' or 'plms', got {self.diffusion_sampling_mode!r}")
        if self.batch_size < 1:
            raise SettingsError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.cutn_batches < 1:
            raise SettingsError(f"cutn_batches must be at least 1, got {self.cutn_batches}")
        if self.precision not in ("auto", "fp32", "fp16", "bf16"):
            raise SettingsError(f"precision must be auto, fp32, fp16 or bf16, got {self.precision!r}")
        if self.clamp_max <= 0:
            raise SettingsError(f"clamp_max must be positive, got {self.clamp_max}")
        if not self.clip_models and self.clip_guidance_scale:
            raise SettingsError("clip_models is empty; name at least one, e.g. 'ViT-B-32::openai', or set clip_guidance_scale=0")
        self.guidance_config()  # validates the cut schedules, guidance_mode and init_loss early

    @property
    def width(self) -> int:
        """Output width in pixels.

        Returns
        -------
        int
            ``width_height[0]``, a multiple of 64.
        """
        return self.width_height[0]

    @property
    def height(self) -> int:
        """Output height in pixels.

        Returns
        -------
        int
            ``width_height[1]``, a multiple of 64.
        """
        return self.width_height[1]

    def replace(self, **changes: Any) -> "RenderSettings":
        """A copy with some fields changed, validated again.

        Parameters
        ----------
        **changes : Any
            New values of fields, by name.

        Returns
        -------
        RenderSettings
            The new settings; ``self`` is unchanged.

        Raises
        ------
        render.errors.SettingsError
            A new value outside its domain (see :class:`RenderSettings`).
        TypeError
            A name that is not a field.
        """
        return dataclasses.replace(self, **changes)

    def diffusion(self) -> GaussianDiffusion:
        """The respaced diffusion process these settings sample with.

        Returns
        -------
        GaussianDiffusion
            ``noise_schedule`` over ``diffusion_steps`` timesteps, respaced by
            ``timestep_respacing`` or else ``"ddim<steps>"`` (Disco Diffusion's choice);
            a new object on each call.

        Raises
        ------
        render.errors.SettingsError
            An unknown noise schedule, or a respacing that the process cannot give.
        """
        from render.diffusion import GaussianDiffusion

        if self.timestep_respacing:
            return GaussianDiffusion.from_spec(self.timestep_respacing, self.noise_schedule, self.diffusion_steps or 1000)
        steps = self.steps
        diffusion_steps = self.diffusion_steps or ((1000 // steps) * steps if steps < 1000 else steps)
        return GaussianDiffusion.from_spec(f"ddim{steps}", self.noise_schedule, diffusion_steps)

    def guidance_config(self) -> GuidanceConfig:
        """The guidance fields, with the cut schedules parsed.

        Returns
        -------
        GuidanceConfig
            The guidance settings for :class:`render.guidance.Guide`; the schedules
            hold one value per original timestep (1000).

        Raises
        ------
        render.errors.ScheduleError
            A cut schedule that cannot be parsed.
        render.errors.SettingsError
            An unknown ``guidance_mode``, ``init_loss`` or ``augmentations``.
        """
        from render.guidance import GuidanceConfig
        from render.schedules import parse_schedule

        return GuidanceConfig(
            clip_guidance_scale=self.clip_guidance_scale,
            tv_scale=self.tv_scale,
            range_scale=self.range_scale,
            sat_scale=self.sat_scale,
            init_scale=self.init_scale,
            cutn_batches=self.cutn_batches,
            cut_overview=parse_schedule(self.cut_overview, name="cut_overview"),
            cut_innercut=parse_schedule(self.cut_innercut, name="cut_innercut"),
            cut_ic_pow=parse_schedule(self.cut_ic_pow, name="cut_ic_pow"),
            cut_icgray_p=parse_schedule(self.cut_icgray_p, name="cut_icgray_p"),
            skip_augs=self.skip_augs,
            clamp_grad=self.clamp_grad,
            clamp_max=self.clamp_max,
            guidance_mode=self.guidance_mode,
            init_loss=self.init_loss,
            augmentations=self.augmentations,
        )
