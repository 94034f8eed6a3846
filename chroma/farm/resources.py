"""The GPU memory a render node needs for a shot, estimated from its render settings.

OpenCue reserves ``gpu_memory`` for each task of a GPU layer and books it only on a
host with that much free; a flat figure either wastes cards or lets a render run out of
memory. The estimate (docs/farm.md, "GPU memory") is::

    need = MARGIN x (weights + activations) + CUDA_OVERHEAD

- **weights**: every model the shot loads, at ``BYTES_PER_PARAM`` (the renderer keeps
  weights in float32; autocast casts them per operation): the diffusion UNet, the
  secondary model (``use_secondary_model``), each CLIP model (image and text towers), the
  LPIPS VGG16 (``init_loss = "lpips"``) and the depth model of a 3D shot. Parameter
  counts: the model registry's (:mod:`render.models.registry`) and open_clip's
  (``docs/model_profile.csv``, equal to the built models').
- **activations**: the largest of the step's phases, each a peak of the tensors a pass
  keeps alive, in float32 (under fp16 autocast the need is lower: the estimate errs
  high), for ``P = width x height`` pixels (DD's multiples of 64) times ``batch_size``:

  - the sampling step's UNet forward without gradients, ``a P + c P^2``;
  - the guidance: the x0 estimate's graph (the secondary model's forward and backward,
    else the UNet's, ``a P + c P^2``), held while the larger of one CLIP call (on a GPU
    every cutn batch goes through CLIP at once: the most cutouts of the cut schedules,
    ``(overview + innercut) x cutn_batches``, times the bytes per cutout of the largest
    CLIP model) and the LPIPS pass (bytes per pixel) runs.

The constants are measured, not guessed: the peak bytes of the live tensors while the
real architectures run on PyTorch's ``meta`` device (shapes and dtypes, no memory or
arithmetic, the tensors a GPU would hold), at 512x512 and 1280x768; the UNet's
quadratic term is its attention. ``tests/render/test_farm_resources.py`` measures them
again and checks every constant here.

Measured on the CPU, not on a GPU: CUDA's own workspaces (cuBLAS, cuDNN, the caching
allocator's rounding) are covered by ``CUDA_OVERHEAD`` and ``MARGIN``, which are
allowances, not measurements. This module imports neither torch nor the models.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

#: Bytes of one gibibyte.
GIB = 1 << 30

#: Bytes per weight: the renderer holds its models in float32.
BYTES_PER_PARAM = 4

#: The CUDA context, cuBLAS/cuDNN workspaces and the allocator's reserve: an allowance.
CUDA_OVERHEAD = GIB

#: Headroom over the measured tensors for the caching allocator's fragmentation: an allowance.
MARGIN = 1.1

#: Activation peaks of each UNet as ``(a, c)`` pairs, bytes ``a P + c P^2`` for ``P`` pixels:
#: the forward without gradients (the sampling step), then the forward and backward (the
#: x0 estimate without the secondary model). Fitted through the peaks measured at 512x512
#: and 1280x768 (tests/render/test_farm_resources.py).
UNET_ACTIVATIONS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "512x512_diffusion_uncond_finetune_008100": ((6272.0, 0.0), (47741.7, 0.00276894)),
    "256x256_diffusion_uncond": ((4480.0, 0.015625), (77300.6, 0.044311)),
    "portrait_generator_v001": ((3136.0, 0.0), (23870.9, 0.0013024)),
    "pixel_art_diffusion_hard_256": ((4096.0, 0.0), (32694.1, 0.00030892)),
    "pixel_art_diffusion_soft_256": ((4096.0, 0.0), (32694.1, 0.00030892)),
}

#: The UNet whose constants stand in for a model not measured (a custom import): the
#: largest per pixel of those above.
UNET_FALLBACK = "256x256_diffusion_uncond"

#: Bytes per pixel of the secondary model's forward and backward (base_channels 64).
SECONDARY_BYTES_PER_PIXEL = 3004.0

#: Bytes per pixel of the LPIPS pass: VGG16's features of the frame (forward and
#: backward) and of the init image (forward).
LPIPS_BYTES_PER_PIXEL = 1458.0

#: CLIP models by open_clip architecture: (parameters in millions, image and text towers;
#: input size in pixels; bytes per cutout of the image tower's forward and backward).
CLIP: dict[str, tuple[float, int, float]] = {
    "ViT-B-32": (151.28, 224, 23261204.0),
    "ViT-B-16": (149.62, 224, 108329516.0),
    "RN50": (102.01, 224, 100547072.0),
    "RN101": (119.69, 224, 141595136.0),
    "RN50x4": (178.30, 288, 275541120.0),
    "RN50x16": (290.98, 384, 814105728.0),
    "RN50x64": (623.26, 448, 1887589124.0),
    "ViT-L-14": (427.62, 224, 389984140.0),
    "ViT-L-14-336": (427.94, 336, 1166333956.0),
}

#: The CLIP model whose figures stand in for an architecture not listed: the largest.
CLIP_FALLBACK = "RN50x64"

#: The settings the estimate reads; a shot that does not set one takes the renderer's default.
ESTIMATE_KEYS = ("width_height", "batch_size", "diffusion_model", "use_secondary_model", "secondary_model",
                 "clip_models", "cutn_batches", "cut_overview", "cut_innercut", "init_loss")


def render_defaults() -> dict[str, Any]:
    """Return the renderer's defaults of the settings the estimate reads.

    Read from :class:`render.settings.RenderSettings` (importable without torch), so they
    are never re-stated here.

    Returns
    -------
    dict[str, Any]
        Setting name -> the renderer's default, for :data:`ESTIMATE_KEYS`.
    """
    import dataclasses

    from render.settings import RenderSettings

    fields = {f.name: f for f in dataclasses.fields(RenderSettings)}
    return {k: fields[k].default for k in ESTIMATE_KEYS}


@dataclass
class GpuEstimate:
    """The GPU memory a shot's render needs, and what it is made of.

    Attributes
    ----------
    bytes : int
        The estimate, margin and overhead included.
    parts : dict[str, int]
        Bytes of each part before the margin: ``weights``, ``activations`` and the
        phases compared (``unet forward``, ``guidance``), ``overhead``.
    notes : list[str]
        Models whose figures stood in for one not measured.
    """

    bytes: int
    parts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def gigabytes(self) -> int:
        """The estimate in whole gibibytes, rounded up.

        Returns
        -------
        int
            ``ceil(bytes / 2**30)``.
        """
        return max(1, math.ceil(self.bytes / GIB))

    @property
    def opencue(self) -> str:
        """The estimate as OpenCue's ``gpu_memory`` takes it.

        Cuebot reads an integer before ``g`` as gibibytes (``JobSpec.convertMemoryInput``).

        Returns
        -------
        str
            E.g. ``"16g"``.
        """
        return f"{self.gigabytes}g"


def unet_activation_bytes(model: str, pixels: int, grad: bool) -> float:
    """Give the activation peak of a diffusion UNet at ``pixels`` pixels.

    Parameters
    ----------
    model : str
        The registry name; one not measured counts as :data:`UNET_FALLBACK`.
    pixels : int
        Width x height (times the batch size).
    grad : bool
        True for a forward and backward pass, False for a forward without gradients.

    Returns
    -------
    float
        Bytes, ``a P + c P^2`` (:data:`UNET_ACTIVATIONS`).
    """
    a, c = UNET_ACTIVATIONS.get(model, UNET_ACTIVATIONS[UNET_FALLBACK])[int(grad)]
    return a * pixels + c * pixels * pixels


def _params(name: str, fallback: str) -> int:
    """A registry model's parameter count (``fallback``'s for a model the registry lacks)."""
    from render.models.registry import REGISTRY

    info = REGISTRY.get(name) or REGISTRY[fallback]
    return int(info.num_params or 0)


def _most_cuts(settings: Mapping[str, Any]) -> int:
    """The most cutouts of one CLIP call: (overview + innercut) at its largest over the
    1000 timesteps, times cutn_batches (a GPU runs every batch in one call)."""
    from render.schedules import parse_schedule

    over = parse_schedule(settings["cut_overview"], 1000, "cut_overview").values
    inner = parse_schedule(settings["cut_innercut"], 1000, "cut_innercut").values
    per_batch = max(int(o) + int(i) for o, i in zip(over, inner))
    return per_batch * max(1, int(settings["cutn_batches"]))


def estimate_gpu_memory(render: Mapping[str, Any], animation_mode: str = "None",
                        animation: Mapping[str, Any] | None = None) -> GpuEstimate:
    """Estimate the GPU memory a render with these settings needs (module docstring).

    Parameters
    ----------
    render : Mapping[str, Any]
        The shot's ``[render]`` settings (:attr:`chroma.shot.Shot.render`); what it does
        not set takes the renderer's default (:func:`render_defaults`).
    animation_mode : str, optional
        The shot's animation mode; "3D" adds the depth model (default "None").
    animation : Mapping[str, Any] or None, optional
        The shot's ``[animation]`` settings (``depth``, ``depth_model``), for 3D.

    Returns
    -------
    GpuEstimate
        The estimate and its parts.

    Raises
    ------
    render.errors.ScheduleError
        A cut schedule that cannot be read.
    """
    s = {**render_defaults(), **{k: v for k, v in render.items() if v is not None}}
    w, h = (int(v) // 64 * 64 for v in s["width_height"])  # Disco Diffusion's side_x = (w // 64) * 64
    pixels = max(w, 64) * max(h, 64) * max(1, int(s["batch_size"]))
    notes: list[str] = []
    unet = str(s["diffusion_model"])
    if unet not in UNET_ACTIVATIONS:
        notes.append(f"{unet}: not measured; the figures of {UNET_FALLBACK}")
    params = _params(unet, UNET_FALLBACK)
    clip_cut = 0.0
    models = s["clip_models"]
    for spec in [models] if isinstance(models, str) else models:
        arch = str(spec).split("::", 1)[0].removesuffix("-quickgelu")
        if arch not in CLIP:
            notes.append(f"{arch}: not measured; the figures of {CLIP_FALLBACK}")
        mparams, _size, per_cut = CLIP.get(arch, CLIP[CLIP_FALLBACK])
        params += round(mparams * 1e6)
        clip_cut = max(clip_cut, per_cut)
    lpips = str(s["init_loss"]).lower() == "lpips"
    if lpips:
        params += _params("vgg16_imagenet", "vgg16_imagenet")
    if s["use_secondary_model"]:
        params += _params(str(s["secondary_model"]), "secondary_model_imagenet_2")
        x0 = SECONDARY_BYTES_PER_PIXEL * pixels
    else:
        x0 = unet_activation_bytes(unet, pixels, True)
    anim = animation or {}
    if animation_mode == "3D" and str(anim.get("depth", "estimate")) == "estimate":
        params += _params(str(anim.get("depth_model") or "dpt_large"), "dpt_large")
    cuts = _most_cuts(s) * max(1, int(s["batch_size"]))
    forward = unet_activation_bytes(unet, pixels, False)
    guidance = x0 + max(cuts * clip_cut, LPIPS_BYTES_PER_PIXEL * pixels if lpips else 0.0)
    weights = params * BYTES_PER_PARAM
    activations = max(forward, guidance)
    total = MARGIN * (weights + activations) + CUDA_OVERHEAD
    parts = {"weights": weights, "activations": round(activations), "unet forward": round(forward),
             "guidance": round(guidance), "overhead": CUDA_OVERHEAD}
    return GpuEstimate(math.ceil(total), parts, notes)
