"""The Python API: ``Renderer(settings).sample(prompts, seed, init=None)``.

Disco Diffusion v5's procedure rebuilt on this package's parts: a guided-diffusion UNet
samples with DDIM (or PLMS) over ``steps`` respaced steps, and at every step CLIP guidance
(render.guidance) shifts the score towards the prompts. Settings keep Disco Diffusion's
names and defaults (:class:`RenderSettings`), and its random stream too (:func:`dd_generators`):
on the CPU a frame equals DD v5.7's for the same seed, models and settings to
floating-point noise.

The renderer yields display-referred frames, tensors in [-1, 1] in the models' own
sRGB-like encoding, (N, 3, H, W); colour management is the caller's job (``chroma``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol, Sequence, runtime_checkable

import torch
import torch.nn.functional as F

from render import models as _models
from render.clip import ClipModel, load_clip
from render.diffusion import GaussianDiffusion
from render.errors import SettingsError
from render.guidance import ClipTarget, Guide
from render.perlin import perlin_init
from render.prompts import Prompt, normalize_weights, parse_prompt
from render.settings import RenderSettings, round_size

__all__ = ["FUZZY_COPIES", "RenderSettings", "RenderStep", "Renderer", "dd_generators", "fuzzy_embeddings", "round_size"]


def dd_generators(seed: int, device: torch.device) -> tuple[torch.Generator, torch.Generator]:
    """Disco Diffusion's random stream for one frame: ``torch.manual_seed(seed)``'s generators.

    DD seeds torch's global generators once per frame and draws everything from them in
    its order: the image prompts' cutouts, the start noise, then per step the cutouts'
    sizes and offsets, the augmentations' parameters and their pixel noise, and the DDIM
    noise. Where DD calls ``torch.rand``/``randint``/``randperm`` or
    ``torch.empty(1).uniform_`` it draws from the CPU generator; where it calls
    ``torch.randn(..., device=device)`` or ``torch.randn_like`` of a tensor on the device
    it draws from the device's. On the CPU both are the one CPU generator, so one stream
    interleaves every draw; on CUDA the CPU and CUDA generators are split the same way,
    so a DD run on the same kind of GPU draws the same numbers.

    Parameters
    ----------
    seed : int
        The frame's seed (DD's ``seed``, which its animation loop raises by one per
        frame).
    device : torch.device
        Where the renderer runs.

    Returns
    -------
    cpu : torch.Generator
        The CPU generator, seeded with ``seed``: the cutouts' and augmentations' random
        parameters.
    device_generator : torch.Generator
        The generator of ``device``, seeded with ``seed``: the noise (start, DDIM, the
        augmentations' pixel noise); ``cpu`` itself when ``device`` is the CPU.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``, ``do_run`` (``torch.manual_seed(seed)``) and
    ``MakeCutoutsDango.forward``; guided-diffusion ``ddim_sample_loop_progressive`` and
    ``ddim_sample`` (``th.randn``, ``th.randn_like``).
    """
    cpu = torch.Generator().manual_seed(int(seed))
    if device.type == "cpu":
        return cpu, cpu
    return cpu, torch.Generator(device=device).manual_seed(int(seed))

#: How many noisy copies of each prompt's embedding Disco Diffusion's ``fuzzy_prompt`` makes.
FUZZY_COPIES = 25


def fuzzy_embeddings(embed: torch.Tensor, rand_mag: float, generator: torch.Generator) -> torch.Tensor:
    """Disco Diffusion's fuzzy prompt: :data:`FUZZY_COPIES` noisy copies of one prompt's embeddings.

    Each copy is ``clamp(embed + rand_mag * n, 0, 1)``, ``n`` standard normal of
    ``embed``'s shape drawn on the CPU from ``generator`` (DD calls
    ``torch.randn(embed.shape)`` and moves it to the GPU), copy after copy.

    Parameters
    ----------
    embed : torch.Tensor
        ``(M, D)`` embeddings of one prompt (``M = 1`` for a text, one per view for an
        image prompt).
    rand_mag : float
        The noise's standard deviation (DD's ``rand_mag``).
    generator : torch.Generator
        The CPU generator of the frame's random stream (:func:`dd_generators`).

    Returns
    -------
    torch.Tensor
        ``(FUZZY_COPIES * M, D)`` float32 on ``embed``'s device, the copies in the order
        drawn.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``, ``do_run`` (``if args.fuzzy_prompt``).
    """
    copies = [
        (embed + torch.randn(embed.shape, generator=generator).to(embed.device) * rand_mag).clamp(0, 1)
        for _ in range(FUZZY_COPIES)
    ]
    return torch.cat(copies).float()


@dataclass
class RenderStep:
    """One step of :meth:`Renderer.sample`.

    Attributes
    ----------
    step : int
        1-based count of the steps taken; the final frame repeats ``total``.
    total : int
        Steps in all: the respaced steps less ``skip_steps``.
    timestep : int
        The original diffusion timestep of this step, in ``[0, diffusion_steps)``.
    image : torch.Tensor
        ``(N, 3, H, W)`` in [-1, 1] model space (clamped), detached, on the renderer's
        device: the UNet's x0 estimate at this step before guidance (a preview) or,
        when ``final``, the finished frame.
    final : bool
        This is the finished frame. Default False.
    clip_loss : float or None
        The CLIP loss the guide measured at this step, as Disco Diffusion logs it: the
        weighted spherical distance, unscaled, summed over prompts and images, averaged
        over cutouts and cutn batches, summed over the CLIP models (0 when
        ``clip_guidance_scale`` is 0); None when the renderer has no CLIP model, and for
        the final frame. Default None.
    guidance_skipped : bool
        The guidance gradient was not finite and this step ran unguided. Default False.
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


@runtime_checkable
class _Checkpointed(Protocol):
    """A model with a gradient checkpointing flag (render.unet.UNetModel's ``use_checkpoint``).

    ``isinstance(m, _Checkpointed)`` holds when ``m`` has a ``use_checkpoint`` attribute;
    it tells the type checker the flag is a plain attribute (torch types
    ``Module.__setattr__`` for tensors and modules only).
    """

    use_checkpoint: bool


class Renderer:
    """CLIP-guided diffusion renderer (Disco Diffusion v5 style).

    The models are loaded (or taken as given), moved to the device and frozen once, when
    the renderer is built; :meth:`sample` then renders any number of frames with them.
    Checkpoints are looked up in the model cache (render.models) first: a missing one
    raises :class:`render.errors.ModelNotFoundError` saying which file, where, and how
    to get it, before anything heavy is loaded.

    Parameters
    ----------
    settings : RenderSettings or None, optional
        The settings. Default None: ``RenderSettings()``, Disco Diffusion's defaults.
    unet : torch.nn.Module or None, optional
        An already built diffusion UNet, ``unet(x, t) -> output`` (e.g.
        :class:`render.unet.UNetModel`), used instead of loading ``diffusion_model``;
        with ``gradient_checkpointing`` its ``use_checkpoint`` flag, if it has one, is
        set. Default None: loaded from the model cache.
    secondary : torch.nn.Module or None, optional
        An already built secondary model, used instead of loading ``secondary_model``;
        dropped when ``use_secondary_model`` is False. Default None: loaded from the
        model cache when ``use_secondary_model``.
    clip_models : Sequence[ClipModel] or None, optional
        Already built CLIP models, used instead of loading ``clip_models`` (even when
        ``clip_guidance_scale`` is 0). Default None: loaded through open_clip, or none
        when ``clip_guidance_scale`` is 0.

    Attributes
    ----------
    settings : RenderSettings
        The settings the renderer was built with (the default for :meth:`sample`).
    device : torch.device
        Where the models run and the frames are made.
    autocast_dtype : torch.dtype or None
        The autocast dtype chosen by ``precision`` (None: full float32).
    unet : torch.nn.Module
        The UNet, on ``device``, in eval mode, gradients off, in the memory format
        ``channels_last`` chooses. Given modules are moved and frozen in place.
    secondary : torch.nn.Module or None
        The secondary model, as ``unet``; None when not used.
    clip_models : list of ClipModel
        The CLIP models on ``device``.
    diffusion : GaussianDiffusion
        The respaced process of ``settings``.
    MODEL_FIELDS : tuple of str
        The settings that decide which models are loaded and how; they cannot change
        between :meth:`sample` calls (:meth:`check_settings`).

    Raises
    ------
    render.errors.ModelNotFoundError
        A checkpoint the settings need is not in the model cache.
    render.errors.ModelError
        An unknown model name, a checkpoint that fails its checksum
        (:class:`render.errors.ChecksumError`) or does not fit its architecture, or CLIP
        weights that open_clip cannot load.
    render.errors.SettingsError
        A malformed CLIP spec.
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
        elif s.gradient_checkpointing and isinstance(unet, _Checkpointed):
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
        # (two .to calls: torch's stubs type Module.to with a device or a memory format, not both)
        self.unet = unet.to(self.device).to(memory_format=memory).eval().requires_grad_(False)
        self.secondary = (
            secondary.to(self.device).to(memory_format=memory).eval().requires_grad_(False)
            if secondary is not None
            else None
        )
        self.clip_models = [c.to(self.device) for c in clip_models]
        self._memory = memory
        self._unet_call: Any = torch.compile(self.unet) if s.compile else self.unet
        self.diffusion = s.diffusion()
        self._text_cache: dict[tuple[int, tuple[str, ...]], torch.Tensor] = {}

    # Settings that decide which models are loaded and how: one value for the renderer's life.
    MODEL_FIELDS: tuple[str, ...] = (
        "diffusion_model", "use_secondary_model", "secondary_model", "clip_models", "device", "precision",
        "channels_last", "gradient_checkpointing", "compile", "width_height", "batch_size",
    )

    def check_settings(self, settings: RenderSettings) -> None:
        """Refuse per-call settings that would need other models.

        The fields in :attr:`MODEL_FIELDS` must equal the renderer's own settings;
        everything else (guidance scales, cut schedules, skip steps, step counts, eta)
        may change from one :meth:`sample` call to the next without reloading anything.

        Parameters
        ----------
        settings : RenderSettings
            The settings proposed for one call.

        Raises
        ------
        render.errors.SettingsError
            A field of :attr:`MODEL_FIELDS` differs (the message names it and both
            values).
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
        self,
        prompts: Sequence[str | Prompt],
        image_prompts: Sequence[torch.Tensor | tuple[torch.Tensor, float]],
        generator: torch.Generator,
        dd_text: bool = True,
        rand_mag: float | None = None,
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
            # with rand_mag (fuzzy_prompt) each prompt's embeddings become DD's noisy copies,
            # drawn prompt by prompt in DD's order: the texts, then each image after its crops
            if parsed:
                texts = self._encode_text(index, clip, tuple(p.dd_text if dd_text else p.value for p in parsed))
                for row, p in zip(texts, parsed):
                    e = row[None] if rand_mag is None else fuzzy_embeddings(row[None], rand_mag, generator)
                    embeds.append(e)
                    weights += [p.weight] * e.shape[0]
            for img, w in images:
                e = clip.embed_image_prompt(img.to(self.device), generator=generator)
                views = e.shape[0]
                if rand_mag is not None:
                    e = fuzzy_embeddings(e, rand_mag, generator)
                embeds.append(e)
                weights += [w / views] * e.shape[0]
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
        image_prompts: Sequence[torch.Tensor | tuple[torch.Tensor, float]] = (),
        settings: RenderSettings | None = None,
        transform: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
    ) -> Iterator[RenderStep]:
        """Render, yielding a preview per step and then the final frame.

        DDIM (or PLMS) sampling of the respaced process from Gaussian noise, or from the
        noised init image, with the CLIP guidance gradient of render.guidance added to
        the score at every step (classifier guidance, Dhariwal & Nichol 2021, as Disco
        Diffusion v5 does it). The generator does its work lazily: nothing is computed
        until the first step is asked for, and errors in the arguments are raised then.

        Parameters
        ----------
        prompts : str or Sequence[str or Prompt]
            Text prompts, ``"text:weight"`` strings in Disco Diffusion's notation or
            parsed :class:`render.prompts.Prompt` objects; one string is one prompt.
            With ``guidance_mode = "dd"`` CLIP embeds the whole string as written,
            ``":weight"`` included, as Disco Diffusion does (its quirk; a Prompt's
            :attr:`~render.prompts.Prompt.dd_text`); ``"chroma"`` embeds the text alone.
            Negative weights are allowed; the weights of text and image prompts together
            are divided by ``|sum|``, and a sum of (almost) zero is refused.
        seed : int, optional
            Seed of Disco Diffusion's random stream (:func:`dd_generators`): the
            noise, the cutouts and the augmentations are drawn in DD's order, so on the
            CPU a frame equals DD's for the same seed, models and settings to
            floating-point noise (``tests/render/test_dd_loop_golden.py``), and on CUDA
            DD's split of CPU and CUDA draws is kept. The same seed gives the same frame
            on the same device and settings. Default 0.
        init : torch.Tensor or None, optional
            An init image, ``(3, H, W)`` or ``(N, 3, H, W)`` with N 1 or ``batch_size``,
            in [-1, 1] model space; resized (bilinear, antialiased) to the output size.
            Sampling starts from it noised to the first step taken (after
            ``skip_steps``), and ``init_scale`` pulls towards it. With ``perlin_init``
            DD's Perlin noise replaces it (:mod:`render.perlin`). Default None.
        image_prompts : Sequence[torch.Tensor or tuple of (torch.Tensor, float)], optional
            Image prompts, ``(3, H, W)`` (or ``(1, 3, H, W)``) in [-1, 1], each alone
            (weight 1) or as an ``(image, weight)`` pair; each is embedded as the whole
            image plus 16 random crops (:meth:`render.clip.ClipModel.embed_image_prompt`)
            sharing its weight. Default none.
        settings : RenderSettings or None, optional
            Settings for this call only (an animation's per-frame values); the models
            stay loaded, so the fields that choose them may not change
            (:meth:`check_settings`). Default None: the renderer's settings.
        transform : Callable[[int, torch.Tensor], torch.Tensor] or None, optional
            ``transform(k, x) -> x`` applied to the sample before step ``k`` (0-based
            count of the steps taken), e.g. Disco Diffusion's symmetry. Default None.

        Yields
        ------
        RenderStep
            One per step taken, ``image`` the UNet's x0 estimate at that step (a
            preview), then one with ``final=True`` whose ``image`` is the frame, all
            ``(batch_size, 3, height, width)`` in [-1, 1] on the renderer's device. The
            frame is what Disco Diffusion saves: the last step's x0 estimate before
            guidance (its ``sample["pred_xstart"]``), not the guided last sample.

        Raises
        ------
        render.errors.SettingsError
            ``settings`` change a model field, an init image or image prompt of the
            wrong shape, an init batch that is neither 1 nor ``batch_size``, or no
            prompt at all while the renderer has CLIP models.
        render.errors.PromptError
            A malformed prompt, or weights that sum to (almost) zero.
        render.errors.ModelNotFoundError
            ``init_scale`` with ``init_loss = "lpips"`` and the LPIPS weights are not in
            the model cache.

        References
        ----------
        Disco Diffusion v5.x ``disco.py``, ``do_run`` and ``cond_fn``.

        Song, J., Meng, C. & Ermon, S. (2021). Denoising Diffusion Implicit Models. ICLR
        (arXiv:2010.02502).

        Dhariwal, P. & Nichol, A. (2021). Diffusion Models Beat GANs on Image Synthesis.
        NeurIPS (arXiv:2105.05233), algorithm 2.
        """
        s = self.settings if settings is None else settings
        if settings is not None:
            self.check_settings(settings)
        diffusion = self._diffusion_for(s)
        if isinstance(prompts, str):
            prompts = [prompts]
        cpu_gen, dev_gen = dd_generators(int(seed), self.device)
        dd_text = s.guidance_mode == "dd"  # DD embeds the whole "text:weight" string
        fuzz = s.rand_mag if s.fuzzy_prompt else None
        targets = self._targets(list(prompts), list(image_prompts), cpu_gen, dd_text, fuzz) if self.clip_models else []
        if s.perlin_init:  # DD makes it after the prompts and again just before sampling, and uses the second
            perlin_init(s.perlin_mode, (s.height, s.width), dev_gen, self.device)
            init = perlin_init(s.perlin_mode, (s.height, s.width), dev_gen, self.device)
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
        # DD saves the last step's sample["pred_xstart"], the x0 estimate before guidance
        # (kostarion's guided-diffusion returns out_orig's), not the guided sample
        yield RenderStep(total, total, last.timestep, last.pred_xstart.detach().clamp(-1, 1), True, None, False)

    def render(
        self, prompts: str | Sequence[str | Prompt], seed: int = 0, init: torch.Tensor | None = None, **kw: Any
    ) -> torch.Tensor:
        """Run :meth:`sample` to the end and return the final frame.

        Parameters
        ----------
        prompts : str or Sequence[str or Prompt]
            Text prompts, see :meth:`sample`.
        seed : int, optional
            RNG seed, see :meth:`sample`. Default 0.
        init : torch.Tensor or None, optional
            An init image in [-1, 1], see :meth:`sample`. Default None.
        **kw : Any
            Further arguments of :meth:`sample` (``image_prompts``, ``settings``,
            ``transform``).

        Returns
        -------
        torch.Tensor
            The frame, ``(batch_size, 3, height, width)`` in [-1, 1] model space, on the
            renderer's device.

        Raises
        ------
        render.errors.RenderError
            As :meth:`sample`.
        """
        frame = None
        for step in self.sample(prompts, seed, init, **kw):
            if step.final:
                frame = step.image
        assert frame is not None
        return frame

