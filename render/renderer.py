"""The Python API: ``Renderer(settings).sample(prompts, seed, init=None)``.

Disco Diffusion v5's procedure rebuilt on this package's parts: a guided-diffusion UNet
samples with DDIM (or PLMS) over ``steps`` respaced steps, and at every step CLIP guidance
(render.guidance) shifts the score towards the prompts. Settings keep Disco Diffusion's
names and defaults (:class:`RenderSettings`).

The renderer yields display-referred frames, tensors in [-1, 1] in the models' own
sRGB-like encoding, (N, 3, H, W); colour management is the caller's job (``chroma``).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import torch
import torch.nn.functional as F

from render import models as _models
from render.clip import ClipModel, load_clip
from render.diffusion import GaussianDiffusion
from render.errors import SettingsError
from render.guidance import ClipTarget, GuidanceConfig, Guide
from render.prompts import Prompt, normalize_weights, parse_prompt
from render.schedules import parse_schedule

__all__ = ["RenderSettings", "RenderStep", "Renderer", "round_size"]

SIZE_MULTIPLE = 64


def round_size(width: int, height: int, multiple: int = SIZE_MULTIPLE) -> tuple[int, int]:
    """Round width and height to the nearest multiple of ``multiple`` (at least one)."""
    return tuple(max(multiple, int(round(v / multiple)) * multiple) for v in (width, height))  # type: ignore[return-value]


@dataclass
class RenderSettings:
    """Render settings with Disco Diffusion v5's names and defaults.

    Sampling: ``width_height`` (rounded to multiples of 64, with a warning), ``steps``
    (respaced as ``ddim<steps>`` over ``diffusion_steps``, by default
    ``(1000 // steps) * steps`` as in Disco Diffusion; or any ``timestep_respacing``
    such as ``"250"`` or ``"10,10,5"`` over 1000 steps, which then sets the step count),
    ``skip_steps``,
    ``diffusion_sampling_mode`` (``"ddim"`` or ``"plms"``), ``eta`` (DDIM noise),
    ``noise_schedule``, ``clip_denoised``, ``batch_size``.

    Models: ``diffusion_model`` (a registry name, see render.models),
    ``use_secondary_model`` / ``secondary_model``, ``clip_models`` (``name::pretrained``).

    Guidance: ``clip_guidance_scale``, ``tv_scale``, ``range_scale``, ``sat_scale``,
    ``init_scale`` (distance by ``init_loss``: ``"lpips"`` as DD, or ``"mse"``),
    ``cutn_batches``, ``cut_overview``, ``cut_innercut``, ``cut_ic_pow``,
    ``cut_icgray_p`` (schedule strings or numbers), ``skip_augs``, ``clamp_grad``,
    ``clamp_max``; ``guidance_mode``: ``"dd"`` (Disco Diffusion's gradient, whose
    ``range_scale`` has no effect) or ``"chroma"`` (the range loss acts through the x0
    estimate), see render.guidance; ``augmentations``: DD's cutout augmentation chain,
    ``"still"`` or ``"animation"`` (flip 0.4, hue 0.3, as DD's 2D/3D modes; shot files
    pick it for 2D/3D).

    Speed (GPU): ``device`` (None: CUDA if available), ``precision`` (``"auto"``: bf16
    where supported else fp16 on CUDA, fp32 on CPU; or ``"fp32"``, ``"fp16"``,
    ``"bf16"``), ``channels_last``, ``gradient_checkpointing`` (memory for speed when
    guidance differentiates through the UNet), ``compile`` (``torch.compile`` the UNet).
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
    cut_overview: Any = "[12]*400+[4]*600"
    cut_innercut: Any = "[4]*400+[12]*600"
    cut_ic_pow: Any = "[1]*1000"
    cut_icgray_p: Any = "[0.2]*400+[0]*600"
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
        """Output width in pixels (a multiple of 64)."""
        return self.width_height[0]

    @property
    def height(self) -> int:
        """Output height in pixels (a multiple of 64)."""
        return self.width_height[1]

    def replace(self, **changes: Any) -> "RenderSettings":
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def diffusion(self) -> GaussianDiffusion:
        """The respaced diffusion process these settings sample with."""
        if self.timestep_respacing:
            return GaussianDiffusion.from_spec(self.timestep_respacing, self.noise_schedule, self.diffusion_steps or 1000)
        steps = self.steps
        diffusion_steps = self.diffusion_steps or ((1000 // steps) * steps if steps < 1000 else steps)
        return GaussianDiffusion.from_spec(f"ddim{steps}", self.noise_schedule, diffusion_steps)

    def guidance_config(self) -> GuidanceConfig:
        """The guidance part, with schedules parsed."""
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


@dataclass
class RenderStep:
    """One yielded step.

    Attributes:
        step: 1-based count of steps taken; ``total`` steps in all.
        timestep: the original diffusion timestep of this step.
        image: (N, 3, H, W) in [-1, 1], detached: the current x0 estimate (preview) or,
            when ``final``, the finished frame.
        final: this is the finished frame.
        clip_loss: the CLIP loss measured at this step (None without guidance).
        guidance_skipped: the guidance gradient was not finite and was skipped.
    """

    step: int
    total: int
    timestep: int
    image: torch.Tensor
    final: bool = False
    clip_loss: float | None = None
    guidance_skipped: bool = False


def _pick_device(name: str | None) -> torch.device:
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    if precision == "fp32":
        return None
    if precision == "fp16":
        return torch.float16
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return None


class Renderer:
    """CLIP-guided diffusion renderer (Disco Diffusion v5 style).

    Checkpoints are looked up in the model cache (render.models) when the renderer is
    built: a missing one raises :class:`render.errors.ModelNotFoundError` saying which
    file, where, and how to get it -- before anything heavy is loaded.

    Args:
        settings: the settings (default: :class:`RenderSettings`()).
        unet, secondary, clip_models: already built models to use instead of loading
            them from the cache (tests, notebooks that keep models warm).
    """

    def __init__(
        self,
        settings: RenderSettings | None = None,
        *,
        unet: torch.nn.Module | None = None,
        secondary: torch.nn.Module | None = None,
        clip_models: Sequence[ClipModel] | None = None,
    ):
        s = settings or RenderSettings()
        self.settings = s
        self.device = _pick_device(s.device)
        self.autocast_dtype = _autocast_dtype(s.precision, self.device)
        # fail fast, before loading anything, if a checkpoint is missing
        if unet is None:
            _models.model_path(s.diffusion_model)
        if s.use_secondary_model and secondary is None:
            _models.model_path(s.secondary_model)
        if unet is None:
            unet = _models.load_unet(s.diffusion_model, use_checkpoint=s.gradient_checkpointing)
        elif s.gradient_checkpointing and hasattr(unet, "use_checkpoint"):
            unet.use_checkpoint = True
        if s.use_secondary_model and secondary is None:
            secondary = _models.load_secondary(s.secondary_model)
        if not s.use_secondary_model:
            secondary = None
        if clip_models is None:
            clip_models = [load_clip(spec, self.device) for spec in s.clip_models] if s.clip_guidance_scale else []
        # channels-last: on CUDA for the tensor cores; on the CPU oneDNN's convolutions are
        # faster in it too (UNet forward 730 -> 584 ms, secondary forward + backward 427 -> 343 ms
        # at 128x128, one thread; tests/benchmarks/test_guidance_bench.py)
        memory = torch.channels_last if s.channels_last else torch.contiguous_format
        self.unet = unet.to(self.device, memory_format=memory).eval().requires_grad_(False)
        self.secondary = (
            secondary.to(self.device, memory_format=memory).eval().requires_grad_(False) if secondary is not None else None
        )
        self.clip_models = [c.to(self.device) for c in clip_models]
        self._memory = memory
        self._unet_call: Any = torch.compile(self.unet) if s.compile else self.unet
        self.diffusion = s.diffusion()
        self._text_cache: dict[tuple[int, tuple[str, ...]], torch.Tensor] = {}

    # Settings that decide which models are loaded and how: one value for the renderer's life.
    MODEL_FIELDS = ("diffusion_model", "use_secondary_model", "secondary_model", "clip_models", "device", "precision",
                    "channels_last", "gradient_checkpointing", "compile", "width_height", "batch_size")

    def check_settings(self, settings: RenderSettings) -> None:
        """Refuse per-call settings that would need other models (see :attr:`MODEL_FIELDS`).

        Everything else (guidance scales, cut schedules, skip steps, step counts, eta) may
        change from one :meth:`sample` call to the next without reloading anything.
        """
        for name in self.MODEL_FIELDS:
            if getattr(settings, name) != getattr(self.settings, name):
                raise SettingsError(
                    f"{name} cannot change between frames ({getattr(self.settings, name)!r} -> "
                    f"{getattr(settings, name)!r}): it decides the models loaded; render another shot"
                )

    def _diffusion_for(self, settings: RenderSettings) -> GaussianDiffusion:
        same = ("steps", "timestep_respacing", "diffusion_steps", "noise_schedule")
        if all(getattr(settings, n) == getattr(self.settings, n) for n in same):
            return self.diffusion
        return settings.diffusion()

    def _encode_text(self, index: int, clip: ClipModel, texts: tuple[str, ...]) -> torch.Tensor:
        """Text embeddings, computed once per model and prompt set (a shot's frames share them)."""
        key = (index, texts)
        if key not in self._text_cache:
            self._text_cache[key] = clip.encode_text(list(texts))
        return self._text_cache[key]

    # -- model wrapper ---------------------------------------------------------------
    def _model_fn(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        x_in = x.contiguous(memory_format=self._memory)
        if self.autocast_dtype is None:
            return self._unet_call(x_in, t).float()
        with torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype):
            return self._unet_call(x_in, t).float()

    # -- prompts ---------------------------------------------------------------------
    def _targets(
        self, prompts: Sequence[str | Prompt], image_prompts: Sequence[Any], generator: torch.Generator
    ) -> list[ClipTarget]:
        parsed = [p if isinstance(p, Prompt) else parse_prompt(p) for p in prompts]
        images: list[tuple[torch.Tensor, float]] = []
        for ip in image_prompts:
            if isinstance(ip, tuple):
                img, w = ip
            else:
                img, w = ip, 1.0
            img = torch.as_tensor(img, dtype=torch.float32)
            if img.ndim == 3:
                img = img[None]
            if img.ndim != 4 or img.shape[1] != 3:
                raise SettingsError(f"an image prompt must be a (3, H, W) tensor in [-1, 1], got shape {tuple(img.shape)}")
            images.append((img.add(1).div(2).clamp(0, 1), float(w)))
        if not parsed and not images:
            raise SettingsError("no prompt given; pass at least one text prompt such as 'a misty forest:1'")
        # weights are checked once for all prompts, then spread over each image's crops
        normalize_weights([p.weight for p in parsed] + [w for _, w in images])
        targets = []
        for index, clip in enumerate(self.clip_models):
            embeds, weights = [], []
            if parsed:
                embeds.append(self._encode_text(index, clip, tuple(p.value for p in parsed)))
                weights += [p.weight for p in parsed]
            for img, w in images:
                e = clip.embed_image_prompt(img.to(self.device), generator=generator)
                embeds.append(e)
                weights += [w / e.shape[0]] * e.shape[0]
            norm = normalize_weights(weights)
            targets.append(
                ClipTarget(clip, torch.cat(embeds).float(), torch.tensor(norm, dtype=torch.float32, device=self.device))
            )
        return targets

    def _prepare_init(self, init: torch.Tensor, s: RenderSettings) -> torch.Tensor:
        init = torch.as_tensor(init, dtype=torch.float32)
        if init.ndim == 3:
            init = init[None]
        if init.ndim != 4 or init.shape[1] != 3:
            raise SettingsError(f"the init image must be a (3, H, W) or (N, 3, H, W) tensor in [-1, 1], got {tuple(init.shape)}")
        if init.shape[-2:] != (s.height, s.width):
            init = F.interpolate(init, size=(s.height, s.width), mode="bilinear", align_corners=False, antialias=True)
        if init.shape[0] not in (1, s.batch_size):
            raise SettingsError(f"the init image batch ({init.shape[0]}) must be 1 or batch_size ({s.batch_size})")
        return init.expand(s.batch_size, -1, -1, -1).to(self.device)

    # -- sampling --------------------------------------------------------------------
    def sample(
        self,
        prompts: str | Sequence[str | Prompt],
        seed: int = 0,
        init: torch.Tensor | None = None,
        image_prompts: Sequence[Any] = (),
        settings: RenderSettings | None = None,
        transform: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
    ) -> Iterator[RenderStep]:
        """Render, yielding a preview per step and then the final frame.

        Args:
            prompts: ``"text:weight"`` strings (DD notation; negative weights allowed,
                weights normalised by |sum|, a zero sum is refused).
            seed: RNG seed; the same seed gives the same frame on the same device.
            init: an init image, (3, H, W) or (N, 3, H, W) in [-1, 1]; resized to the
                output size. Sampling starts from it noised to the first step taken
                (after ``skip_steps``), and ``init_scale`` pulls towards it.
            image_prompts: images, (3, H, W) in [-1, 1], or ``(image, weight)`` pairs.
            settings: settings for this call only (an animation's per-frame values);
                the models stay loaded, so fields that choose models may not change
                (:meth:`check_settings`).
            transform: ``transform(k, x) -> x`` on the sample before step ``k`` (symmetry).

        Yields:
            :class:`RenderStep` per step (``image`` = current x0 estimate), then one
            with ``final=True`` (``image`` = the frame), all on the renderer's device.
        """
        s = self.settings if settings is None else settings
        if settings is not None:
            self.check_settings(settings)
        diffusion = self._diffusion_for(s)
        if isinstance(prompts, str):
            prompts = [prompts]
        cpu_gen = torch.Generator().manual_seed(int(seed))
        dev_gen = torch.Generator(device=self.device).manual_seed(int(seed))
        targets = self._targets(list(prompts), list(image_prompts), cpu_gen) if self.clip_models else []
        init_t = self._prepare_init(init, s) if init is not None else None
        guide = None
        if targets or (init_t is not None and s.init_scale) or s.range_scale or s.tv_scale or s.sat_scale:
            guide = Guide(
                diffusion,
                self._model_fn,
                self.secondary,
                targets,
                s.guidance_config(),
                init=init_t,
                generator=cpu_gen,
                device_generator=dev_gen,
                autocast_dtype=self.autocast_dtype,
            )
        shape = (s.batch_size, 3, s.height, s.width)
        noise = torch.randn(shape, generator=dev_gen, device=self.device)
        total = diffusion.num_timesteps - s.skip_steps
        last = None
        for i, out in enumerate(
            diffusion.sample_loop(
                self._model_fn,
                shape,
                method=s.diffusion_sampling_mode,
                noise=noise,
                init_image=init_t,
                skip_steps=s.skip_steps,
                cond_fn=guide,
                eta=s.eta,
                order=s.plms_order,
                clip_denoised=s.clip_denoised,
                generator=dev_gen,
                device=self.device,
                transform=transform,
            )
        ):
            loss = None
            if guide is not None and guide.history:
                loss = guide.history[-1].clip_loss if targets else None
            last = out
            yield RenderStep(
                i + 1, total, out.timestep, out.pred_xstart.detach().clamp(-1, 1), False, loss, out.guidance_skipped
            )
        assert last is not None
        yield RenderStep(total, total, last.timestep, last.sample.detach().clamp(-1, 1), True, None, False)

    def render(self, prompts: str | Sequence[str | Prompt], seed: int = 0, init: torch.Tensor | None = None, **kw: Any) -> torch.Tensor:
        """Run :meth:`sample` to the end and return the final frame (N, 3, H, W) in [-1, 1]."""
        frame = None
        for step in self.sample(prompts, seed, init, **kw):
            if step.final:
                frame = step.image
        assert frame is not None
        return frame
