"""Render and animation settings: Disco Diffusion v5's names and defaults, typed, importable without torch.

:class:`RenderSettings` (one frame's sampling, models and guidance) and
:class:`AnimationSettings` (a shot's ``[animation]`` table: camera schedules, the rules of
frames built on the previous one, turbo, symmetry, plates and depth) are the one place those
settings, their defaults, units and allowed values are written. ``chroma`` validates shot
files and imports Disco Diffusion settings against their fields without importing torch
(only :meth:`RenderSettings.diffusion` and :meth:`RenderSettings.guidance_config`, which
construction calls to validate, load the torch-backed parts).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Union

from render.errors import SettingsError

if TYPE_CHECKING:
    from render.diffusion import GaussianDiffusion
    from render.guidance import GuidanceConfig
    from render.schedules import ScheduleLike

__all__ = ["SIZE_MULTIPLE", "RenderSettings", "round_size", "AnimationSettings", "SettingError", "ScheduleValue",
           "SAMPLING_MODES", "PRECISIONS", "skip_percent", "skip_steps_for", "symmetry_note"]

SIZE_MULTIPLE = 64
#: The samplers of ``RenderSettings.diffusion_sampling_mode``.
SAMPLING_MODES = ("ddim", "plms")
#: The autocast choices of ``RenderSettings.precision``.
PRECISIONS = ("auto", "fp32", "fp16", "bf16")


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
        render.guidance). In ``"dd"`` CLIP also embeds each text prompt's whole
        ``"text:weight"`` string, as DD does; ``"chroma"`` embeds the text alone.
        Default ``"dd"``.
    init_loss : str
        Distance from the init image: ``"lpips"`` (as DD; needs the LPIPS weights in
        the model cache) or ``"mse"``. Default ``"lpips"``.
    augmentations : str
        The cutout augmentation chain, a key of :data:`render.cutouts.AUGMENTS`:
        ``"still"``, ``"animation"`` (flip probability 0.4 and hue 0.3, as DD's 2D/3D
        modes; shot files pick it for 2D/3D) or ``"video"`` (DD's Video Input chain,
        :func:`render.cutouts.augment_video`; shot files pick it for Video). Default
        ``"still"``.
    fuzzy_prompt : bool
        Disco Diffusion's fuzzy prompts: each prompt's embedding (each image prompt's
        embeddings too) is replaced by 25 noisy copies,
        ``clamp(e + rand_mag * n, 0, 1)`` with ``n`` standard normal drawn from the CPU
        generator after the seed and before the start noise, each with the prompt's
        weight, as DD v5.7's ``do_run``. Default False.
    rand_mag : float
        The standard deviation of that noise, finite and not negative. Default 0.05
        (DD's).
    perlin_init : bool
        Disco Diffusion's Perlin init: every frame starts from Perlin noise instead of
        its init image (warped frames included), drawn from the frame's device
        generator after the prompts and before the start noise, twice as DD draws it
        (:func:`render.perlin.perlin_init`). Default False.
    perlin_mode : str
        ``"mixed"`` (the coarse noise in colour, the fine one grey), ``"color"`` or
        ``"gray"``. Default ``"mixed"``.
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
    fuzzy_prompt: bool = False
    rand_mag: float = 0.05
    perlin_init: bool = False
    perlin_mode: str = "mixed"

    device: str | None = None
    precision: str = "auto"
    channels_last: bool = True
    gradient_checkpointing: bool = False
    compile: bool = False

    #: The least value of the integer settings that have one (a shot checks them at every frame).
    MINIMUMS: ClassVar[dict[str, int]] = {"steps": 1, "batch_size": 1, "cutn_batches": 1}

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
        for name, low in self.MINIMUMS.items():
            if getattr(self, name) < low:
                raise SettingsError(f"{name} must be at least {low}, got {getattr(self, name)}")
        n = self.diffusion().num_timesteps  # validates the respacing too
        if not 0 <= self.skip_steps < n:
            raise SettingsError(f"skip_steps must be in [0, {n}) for {n} sampling steps, got {self.skip_steps}")
        if self.diffusion_sampling_mode not in SAMPLING_MODES:
            raise SettingsError(f"diffusion_sampling_mode must be 'ddim' or 'plms', got {self.diffusion_sampling_mode!r}")
        if self.precision not in PRECISIONS:
            raise SettingsError(f"precision must be auto, fp32, fp16 or bf16, got {self.precision!r}")
        if self.clamp_max <= 0:
            raise SettingsError(f"clamp_max must be positive, got {self.clamp_max}")
        if not (math.isfinite(self.rand_mag) and self.rand_mag >= 0):
            raise SettingsError(f"rand_mag must be a finite number of at least 0, got {self.rand_mag}")
        if self.perlin_mode not in ("mixed", "color", "gray"):
            raise SettingsError(f"perlin_mode must be mixed, color or gray, got {self.perlin_mode!r}")
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


# ----------------------------------------------------------------------------- animation

#: A per-frame setting as a shot file writes it: a number for every frame, or a keyframe
#: string (Disco Diffusion's ``"0: (1.02), 120: (1.05)"`` or Deforum's math in ``t``),
#: evaluated per frame by :func:`render.keyframes.evaluate`.
ScheduleValue = Union[float, str]


class SettingError(SettingsError):
    """A setting outside its domain, naming the setting.

    Parameters
    ----------
    key : str
        The setting's name (``"turbo_steps"``).
    problem : str
        What is wrong, from ``must``: ``"must be at least 1, got 0"``.

    Attributes
    ----------
    key : str
        The setting's name.
    problem : str
        What is wrong, without the name.
    """

    def __init__(self, key: str, problem: str):
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def skip_percent(frames_skip_steps: ScheduleValue) -> float | None:
    """Read ``frames_skip_steps`` as a percentage of the steps, the one place ``"N%"`` is parsed.

    Parameters
    ----------
    frames_skip_steps : float or str
        ``"60%"`` (spaces allowed), a step count, or a keyframe string of step counts.

    Returns
    -------
    float or None
        The percentage (60.0 for ``"60%"``), in [0, 100); None for a step count or a
        keyframe string.

    Raises
    ------
    SettingError
        A percentage that is not a number in [0, 100).
    """
    if not isinstance(frames_skip_steps, str) or not frames_skip_steps.strip().endswith("%"):
        return None
    try:
        pct = float(frames_skip_steps.strip()[:-1])
    except ValueError:
        pct = math.nan
    if not 0 <= pct < 100:
        raise SettingError("frames_skip_steps", f"a percentage must be in [0, 100), got {frames_skip_steps!r}")
    return pct


def skip_steps_for(frames_skip_steps: ScheduleValue, steps: int) -> int:
    """Give the skip_steps of a frame built on an init, from a percentage or a count.

    Parameters
    ----------
    frames_skip_steps : float or str
        ``"N%"``: ``floor(steps * (N / 100))`` in float64, Disco Diffusion's
        ``calc_frames_skip_steps`` to the operation (the ratio ``N / 100`` is rounded to
        a double first, so 90 steps at 70% skip 62, not the 63 of ``steps * N / 100``);
        a number: a step count, rounded half to even.
    steps : int
        Sampling steps of the frame (after respacing; Disco Diffusion's ``steps``).

    Returns
    -------
    int
        Steps to skip, in respaced steps.

    Raises
    ------
    render.errors.SettingsError
        If a string is not a percentage in [0, 100).

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``: ``skip_step_ratio = int(frames_skip_steps.rstrip("%"))
    / 100`` then ``calc_frames_skip_steps = math.floor(steps * skip_step_ratio)``. Disco
    Diffusion takes whole percentages only; a fraction (``"62.5%"``) goes through the same
    two operations.
    """
    pct = skip_percent(frames_skip_steps)
    if pct is not None:
        ratio = pct / 100  # Disco Diffusion's skip_step_ratio, a double: the order of operations decides the floor
        return math.floor(steps * ratio)
    if isinstance(frames_skip_steps, str):
        raise SettingsError(f"frames_skip_steps {frames_skip_steps!r}: write a percentage like '60%' or a step count")
    return int(round(frames_skip_steps))


def _setting(default: Any, *, choices: tuple[str, ...] = (), minimum: float | None = None,
             maximum: float | None = None) -> Any:
    """A field of :class:`AnimationSettings` with its allowed values (the validation table)."""
    return field(default=default, metadata={"choices": choices, "minimum": minimum, "maximum": maximum})


_SCHEDULE_HINT = 'a number or a keyframe string like "0: (1.02), 120: (1.05)"'


@dataclass(frozen=True)
class AnimationSettings:
    """A shot's animation settings (its ``[animation]`` table), Disco Diffusion v5's names and defaults.

    The per-frame settings take a number or a keyframe string (:data:`ScheduleValue`) and
    hold it as written; their values per frame are evaluated by
    :func:`render.keyframes.evaluate` and checked by :meth:`check_schedules`. The other
    settings hold for the whole shot. Each is validated when the settings are built (names
    in messages are the fields'); :meth:`from_values` reads them as a TOML or JSON table
    gives them. Which camera keys act in which ``animation_mode`` is ``chroma.shot``'s
    ``MODE_CAMERA_KEYS``.

    Attributes
    ----------
    angle : float or str
        Per frame. 2D: rotation, degrees per frame, counter-clockwise. Default 0.
    zoom : float or str
        Per frame. 2D: scale per frame, a factor above 0 (1 = none). Default 1.
    translation_x : float or str
        Per frame. 2D: pixels per frame; 3D: Disco Diffusion's units. Default 0.
    translation_y : float or str
        Per frame. As ``translation_x``, vertically. Default 0.
    translation_z : float or str
        Per frame. 3D: camera move along its axis, Disco Diffusion's units. Default 0.
    rotation_3d_x : float or str
        Per frame. 3D: camera rotation about x, degrees per frame. Default 0.
    rotation_3d_y : float or str
        Per frame. 3D: about y, degrees per frame. Default 0.
    rotation_3d_z : float or str
        Per frame. 3D: about z, degrees per frame. Default 0.
    fov : float or str
        Per frame. 3D: field of view, degrees, in (0, 180). Default 40.
    near_plane : float or str
        Per frame. 3D: near clipping plane, depth units, above 0 and below
        ``far_plane``. Default 200.
    far_plane : float or str
        Per frame. 3D: far clipping plane, depth units. Default 10000.
    frames_scale : float or str
        Per frame. ``init_scale`` of every frame built on the previous one (and in Video
        mode of every frame, frame 0 too: Disco Diffusion's ``video_init_frames_scale``).
        Default 1500.
    frames_skip_steps : float or str
        ``skip_steps`` of those frames: ``"N%"`` of the frame's steps, N in [0, 100)
        (:func:`skip_steps_for`), or a per-frame schedule of step counts, at least 0. In
        Video mode too, as Disco Diffusion 5.7, which computes the video frames' skip
        (``calc_frames_skip_steps``) from ``frames_skip_steps``, not from
        ``video_init_frames_skip_steps``. Default ``"60%"``.
    border : str
        2D warp border: ``"wrap"`` (Disco Diffusion), ``"border"`` or ``"reflect"``.
        Default ``"wrap"``.
    padding_mode : str
        3D resampling padding: ``"border"``, ``"reflection"`` or ``"zeros"``. Default
        ``"border"``.
    sampling_mode : str
        3D resampling: ``"bicubic"``, ``"bilinear"`` or ``"nearest"``. Default
        ``"bicubic"``.
    turbo_mode : bool
        2D/3D: diffuse every ``turbo_steps``-th frame after ``turbo_preroll``, blend the
        frames between; diffused frames after frame 0 are written blended with the
        warped previous frame (``render.animation.turbo_blend``), as Disco Diffusion
        writes them (in 3D only: 2D turbo is chroma's extension). Default False.
    turbo_steps : int
        Turbo's period, frames, at least 1. Default 3.
    turbo_preroll : int
        Frames diffused before turbo starts, at least 0 (0 runs as 1). Default 10.
    cadence : int
        2D/3D/Video: diffuse only the key frames, every ``cadence``-th frame (and the
        shot's last), and write the frames between from the two neighbouring key frames
        warped along the known motion (the camera in 2D/3D, the plate's optical flow in
        Video) and blended by what each can see (:mod:`render.cadence`), frames, at
        least 1 (1: every frame diffused). Not with ``turbo_mode``, not in mode
        ``"None"``. chroma's; Disco Diffusion has none (Deforum's ``diffusion_cadence``
        is turbo). Default 1.
    use_horizontal_symmetry : bool
        Mirror the left half onto the right at ``transformation_percent``, under
        ``diffusion_sampling_mode = "ddim"`` only, as Disco Diffusion
        (:func:`symmetry_note`). Default False.
    use_vertical_symmetry : bool
        Mirror the top half onto the bottom, under DDIM only. Default False.
    transformation_percent : tuple of float
        Fractions of each frame's steps, each in [0, 1], at which symmetry acts.
        Default ``(0.09,)``.
    video_init_path : str
        Video: the plate, a sequence numbered like the output (``"plate/plate.####.exr"``).
        Default ``""`` (none).
    video_init_seed_continuity : bool
        Video: the same seed for every frame, ``seed`` (Disco Diffusion's rule; without
        it frame ``i`` takes ``seed + i + 1``). Default False.
    video_init_flow_warp : bool
        Video: Disco Diffusion 5.7's optical-flow warp. Frame 0 starts from the plate
        with the render's ``skip_steps``; every later frame from ``plate[i] * (1 -
        blend) + warp(previous frame, flow from plate[i] to plate[i - 1]) * blend``
        (:func:`render.flow.flow_blend`, the flow at the render size) with the skip of
        ``frames_skip_steps``. Off: every frame starts from its plate frame with that
        skip. Default True, as Disco Diffusion 5.7.
    video_init_flow_blend : float
        Video: the warped previous frame's weight in that blend, in [0, 1] (0: the
        plate alone, 1: the warped frame alone). Default 0.999, as Disco Diffusion.
    video_init_check_consistency : bool
        Video: where the flow fails the forward-backward check
        (:func:`render.flow.consistency_mask`), the plate instead of the blend; chroma's
        extension of Disco Diffusion's "TBD" option. Default False (Disco Diffusion's).
    flow_model : str
        Video: the optical flow, ``"auto"`` (RAFT where its weights are in the model
        cache, else OpenCV's DIS, with a note), ``"dis"`` or ``"raft"`` (torchvision's
        ``raft_large``, Disco Diffusion's model; refused without its weights)
        (:func:`render.flow.resolve_method`). Default ``"auto"``.
    flow_size : tuple of int
        Video with the flow warp: ``(width, height)`` in pixels the flow is estimated at,
        then resized to the render size with its vectors scaled, as Disco Diffusion 5.7
        estimates it at its unrounded ``width_height`` before the sides are rounded down
        to multiples of 64 (``chroma shot import`` writes it when they were). Default
        ``()``: the render size.
    depth : str
        3D depth: ``"estimate"`` (a depth model) or a sequence with a Z channel, numbered
        like the output. Default ``"estimate"``.
    depth_model : str
        The depth estimator's registry name (Disco Diffusion's ``midas_depth_model``).
        Default ``"dpt_large"``.
    depth_scale : float
        The depth sequence's Z -> Disco Diffusion's depth units, a factor. Default 1.
    state_every : int
        Keep the loop state of every ``state_every``-th frame (and always the latest),
        frames, at least 1. Default 10.

    Raises
    ------
    SettingError
        A value of the wrong type or outside its domain, naming the field.

    References
    ----------
    Disco Diffusion v5.x ``disco.py`` (animation settings cell and ``do_run``).
    """

    angle: ScheduleValue = 0.0
    zoom: ScheduleValue = 1.0
    translation_x: ScheduleValue = 0.0
    translation_y: ScheduleValue = 0.0
    translation_z: ScheduleValue = 0.0
    rotation_3d_x: ScheduleValue = 0.0
    rotation_3d_y: ScheduleValue = 0.0
    rotation_3d_z: ScheduleValue = 0.0
    fov: ScheduleValue = 40.0
    near_plane: ScheduleValue = 200.0
    far_plane: ScheduleValue = 10000.0
    frames_scale: ScheduleValue = 1500.0
    frames_skip_steps: ScheduleValue = "60%"
    border: str = _setting("wrap", choices=("wrap", "border", "reflect"))
    padding_mode: str = _setting("border", choices=("border", "reflection", "zeros"))
    sampling_mode: str = _setting("bicubic", choices=("bicubic", "bilinear", "nearest"))
    turbo_mode: bool = False
    turbo_steps: int = _setting(3, minimum=1)
    turbo_preroll: int = _setting(10, minimum=0)
    cadence: int = _setting(1, minimum=1)
    use_horizontal_symmetry: bool = False
    use_vertical_symmetry: bool = False
    transformation_percent: tuple[float, ...] = (0.09,)
    video_init_path: str = ""
    video_init_seed_continuity: bool = False
    video_init_flow_warp: bool = True
    video_init_flow_blend: float = _setting(0.999, minimum=0, maximum=1)
    video_init_check_consistency: bool = False
    flow_model: str = _setting("auto", choices=("auto", "dis", "raft"))
    flow_size: tuple[int, ...] = ()
    depth: str = "estimate"
    depth_model: str = "dpt_large"
    depth_scale: float = 1.0
    state_every: int = _setting(10, minimum=1)

    #: The settings that take a value per frame (``frames_skip_steps`` may, too, as step counts).
    PER_FRAME: ClassVar[tuple[str, ...]] = ("angle", "zoom", "translation_x", "translation_y", "translation_z",
                                            "rotation_3d_x", "rotation_3d_y", "rotation_3d_z", "fov", "near_plane",
                                            "far_plane", "frames_scale")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            problem = _problem(getattr(self, f.name), str(f.type), f.metadata)
            if problem:
                raise SettingError(f.name, problem)
        skip_percent(self.frames_skip_steps)
        if self.cadence > 1 and self.turbo_mode:
            raise SettingError("cadence", f"{self.cadence} with turbo_mode = true: choose one (cadence blends both "
                               "neighbouring key frames, turbo the two last; docs/cadence.md)")

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> AnimationSettings:
        """Build the settings from a table as TOML or JSON gives it, the rest at their defaults.

        Choices are matched case-insensitively, a list becomes a tuple, a single number
        of ``transformation_percent`` a tuple of one, and a percentage is written ``"N%"``.

        Parameters
        ----------
        values : Mapping[str, Any]
            Setting name -> value.

        Returns
        -------
        AnimationSettings
            The validated settings.

        Raises
        ------
        SettingError
            An unknown name, or a value of the wrong type or outside its domain.
        """
        fields = {f.name: f for f in dataclasses.fields(cls)}
        out: dict[str, Any] = {}
        for name, value in values.items():
            f = fields.get(name)
            if f is None:
                raise SettingError(name, "is not an animation setting")
            choices = f.metadata.get("choices", ())
            if choices and isinstance(value, str):
                value = next((c for c in choices if c.lower() == value.strip().lower()), value)
            elif name == "transformation_percent" and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = (value,)
            elif f.type == "float" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            elif name == "frames_skip_steps":
                pct = skip_percent(value)
                value = value if pct is None else f"{pct:g}%"
            out[name] = tuple(value) if isinstance(value, list) else value
        return cls(**out)

    @classmethod
    def schedule_defaults(cls) -> dict[str, float]:
        """Give the per-frame settings' defaults, a camera at rest.

        Returns
        -------
        dict[str, float]
            Name -> default, in :attr:`PER_FRAME` order.
        """
        defaults = cls()
        return {name: float(getattr(defaults, name)) for name in cls.PER_FRAME}

    @property
    def estimated_depth(self) -> bool:
        """Say whether 3D depth comes from a depth model, not a sequence.

        Returns
        -------
        bool
            True when ``depth`` is ``"estimate"``.
        """
        return self.depth == "estimate"

    @property
    def skip_percent(self) -> float | None:
        """Give ``frames_skip_steps`` as a percentage of the steps.

        Returns
        -------
        float or None
            60.0 for ``"60%"``; None when it is a schedule of step counts.
        """
        return skip_percent(self.frames_skip_steps)

    def __getitem__(self, name: str) -> Any:
        """Read a setting by name, as the dict that ``chroma.shot.Shot.animation`` was (deprecated).

        Parameters
        ----------
        name : str
            The setting.

        Returns
        -------
        Any
            Its value; ``frames_skip_steps`` is None when it is a schedule of step counts,
            as that dict held it.

        Raises
        ------
        KeyError
            ``name`` is not a setting.
        """
        warnings.warn("mapping access to the animation settings is deprecated and will be removed in the next "
                      "release; read the attribute (shot.animation.border)", DeprecationWarning, stacklevel=2)
        if name not in {f.name for f in dataclasses.fields(self)}:
            raise KeyError(name)
        if name == "frames_skip_steps" and self.skip_percent is None:
            return None
        return getattr(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        """Read a setting by name, or ``default`` (deprecated, as :meth:`__getitem__`).

        Parameters
        ----------
        name : str
            The setting.
        default : Any, optional
            Returned when ``name`` is not a setting. Default None.

        Returns
        -------
        Any
            The value, or ``default``.
        """
        try:
            return self[name]
        except KeyError:
            return default

    @staticmethod
    def check_schedules(values: Mapping[str, Any]) -> None:
        """Check the per-frame values of the settings against their domains.

        Parameters
        ----------
        values : Mapping[str, array_like]
            Setting name -> its value at every frame (those present are checked):
            ``zoom`` above 0, ``fov`` in (0, 180), ``near_plane`` above 0 and below
            ``far_plane``, ``frames_skip_steps`` (step counts) at least 0.

        Raises
        ------
        SettingError
            The first setting outside its domain at some frame.
        """
        import numpy as np

        v = {k: np.asarray(x, dtype=np.float64) for k, x in values.items()}
        if "zoom" in v and np.any(v["zoom"] <= 0):
            raise SettingError("zoom", f"must be positive (1 = no zoom), got {v['zoom'].min():g}")
        if "fov" in v and (np.any(v["fov"] <= 0) or np.any(v["fov"] >= 180)):
            raise SettingError("fov", "must be in (0, 180) degrees")
        if "near_plane" in v and "far_plane" in v and (
                np.any(v["near_plane"] >= v["far_plane"]) or np.any(v["near_plane"] <= 0)):
            raise SettingError("near_plane", "must be positive and below far_plane")
        if "frames_skip_steps" in v and np.any(v["frames_skip_steps"] < 0):
            raise SettingError("frames_skip_steps", "step counts must not be negative")


def symmetry_note(animation: AnimationSettings, diffusion_sampling_mode: str) -> str | None:
    """Say when the symmetry settings do nothing: under any sampler but DDIM, as in Disco Diffusion.

    Disco Diffusion passes its symmetry transformation (``symmetry_transformation_fn``,
    ``transformation_percent``) to ``ddim_sample_loop_progressive`` alone; its PLMS call
    takes none, so ``use_horizontal_symmetry`` and ``use_vertical_symmetry`` do nothing
    under PLMS. :class:`render.animation.FrameLoop` does the same.

    Parameters
    ----------
    animation : AnimationSettings
        The shot's animation settings.
    diffusion_sampling_mode : str
        The sampler, :attr:`RenderSettings.diffusion_sampling_mode` (``"ddim"`` or
        ``"plms"``).

    Returns
    -------
    str or None
        A one-line note for the user when symmetry is asked for under another sampler
        than DDIM; None otherwise.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``, ``do_run``: the two ``sample_fn`` calls.
    """
    asked = [name for name in ("use_horizontal_symmetry", "use_vertical_symmetry") if getattr(animation, name)]
    if not asked or diffusion_sampling_mode == "ddim":
        return None
    return (f"{' and '.join(asked)} {'does' if len(asked) == 1 else 'do'} nothing under diffusion_sampling_mode "
            f"{diffusion_sampling_mode!r}: Disco Diffusion mirrors the sample in its DDIM sampler only "
            "(set diffusion_sampling_mode = \"ddim\" for symmetry)")


def _problem(value: Any, annotation: str, metadata: Mapping[str, Any]) -> str | None:
    """What is wrong with a value of an :class:`AnimationSettings` field (None: nothing)."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation == "ScheduleValue":
        return None if number or isinstance(value, str) else f"must be {_SCHEDULE_HINT}, got {value!r}"
    if annotation == "bool":
        return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
    if annotation == "int":
        if not number or not isinstance(value, int):
            return f"must be a whole number, got {value!r}"
        low = metadata.get("minimum")
        return f"must be at least {low}, got {value}" if low is not None and value < low else None
    if annotation == "float":
        if not number or not math.isfinite(value):
            return f"must be a finite number, got {value!r}"
        low, high = metadata.get("minimum"), metadata.get("maximum")
        if low is not None and value < low:
            return f"must be at least {low:g}" + (f" and at most {high:g}" if high is not None else "") + f", got {value!r}"
        if high is not None and value > high:
            return f"must be at most {high:g}" + (f" and at least {low:g}" if low is not None else "") + f", got {value!r}"
        return None
    if annotation == "tuple[int, ...]":
        ok = isinstance(value, tuple) and (not value or (len(value) == 2 and all(
            isinstance(x, int) and not isinstance(x, bool) and x >= 8 for x in value)))
        shown = list(value) if isinstance(value, tuple) else value
        return None if ok else f"must be [width, height] in pixels (at least 8 each), or [] for the render size, got {shown!r}"
    if annotation == "tuple[float, ...]":
        ok = isinstance(value, tuple) and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 1 for x in value)
        return None if ok else "must be a list of fractions in [0, 1], e.g. [0.09]"
    if not isinstance(value, str):
        return f"must be a string, got {value!r}"
    choices = metadata.get("choices", ())
    return f"must be one of {', '.join(choices)}, got {value!r}" if choices and value not in choices else None
