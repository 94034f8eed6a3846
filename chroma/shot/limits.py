"""The limits of a shot: frames, seeds, the rendered size and the device memory a frame needs.

Each limit refuses what can never render (docs/shots.md, "Limits") before anything loads.
"""

from __future__ import annotations

from typing import Any, Mapping

from render.settings import SIZE_MULTIPLE, RenderSettings, round_size

__all__ = ["MAX_FRAMES", "SEED_MIN", "SEED_MAX", "SIZE_MULTIPLE", "MAX_FRAME_BYTES", "rendered_size", "frame_memory"]

# The most frames a shot may have. Schedules are evaluated for every frame up front (a
# float64 array per schedulable setting), so an absurd max_frames would exhaust memory in
# validation; 1,000,000 frames is 11.6 hours at 24 fps, far beyond any shot, and
# validates in about 1 s and 0.3 GB (docs/shots.md, "Limits").
MAX_FRAMES = 1_000_000

# The seeds a frame may render with: the range of torch.Generator.manual_seed, which the
# renderer seeds with every frame's seed (render.renderer.Renderer.sample). Disco
# Diffusion draws random.randint(0, 2**32); a negative seed is taken modulo 2**64 by torch.
SEED_MIN = -(2**63)

SEED_MAX = 2**64 - 1


# The most device memory a frame may need (a lower bound, :func:`frame_memory`): the largest
# single accelerator sold when this was written, NVIDIA B200 (192 GB).
MAX_FRAME_BYTES = 192 * 10**9


def rendered_size(width: int, height: int) -> tuple[int, int]:
    """Give the size the renderer renders a ``width_height`` at.

    The renderer rounds each side to the nearest multiple of 64, at least 64
    (:func:`render.settings.round_size`, which imports no torch).
    Disco Diffusion rounds down instead (``side_x = (width_height[0] // 64) * 64``).

    Parameters
    ----------
    width : int
        Width in pixels.
    height : int
        Height in pixels.

    Returns
    -------
    tuple of int
        ``(width, height)`` in pixels, multiples of 64.
    """
    return round_size(width, height, SIZE_MULTIPLE)


def frame_memory(width: int, height: int, diffusion_model: str = RenderSettings.diffusion_model,
                 batch_size: int = RenderSettings.batch_size) -> int:
    """Give a lower bound of the device memory one frame needs, in bytes.

    Counted from the UNet's published hyper-parameters (``render.models.registry``):
    the feature maps its finest level keeps for the decoder's skip connections,
    ``(num_res_blocks + 1) * channels * width * height`` values, and the attention
    scores of its finest attention level, ``(width * height / ds**2) ** 2`` values for one
    head, both in half precision (2 bytes), times ``batch_size``. The weights, CLIP, the
    cutouts and the gradients come on top (a 1280x768 frame of the 512x512 model needs
    0.78 GB by this bound, besides 2.2 GB of weights). It is meant to refuse what can
    never fit (docs/shots.md, "Limits"), not to predict a render's use.

    Parameters
    ----------
    width : int
        Rendered width in pixels.
    height : int
        Rendered height in pixels.
    diffusion_model : str, optional
        The diffusion model's name (an unknown name counts as the 512x512 model).
    batch_size : int, optional
        Images per frame. Default 1.

    Returns
    -------
    int
        Bytes, at least.

    References
    ----------
    Dhariwal, P. & Nichol, A. (2021). Diffusion Models Beat GANs on Image Synthesis,
    guided-diffusion ``unet.py`` (skip connections ``hs``, ``QKVAttention``) and
    ``script_util.py`` (``channel_mult`` 0.5 at the finest level of the 512 model).
    """
    config: Mapping[str, Any] = {"image_size": 512, "num_channels": 256, "num_res_blocks": 2,
                                 "attention_resolutions": "32, 16, 8", "channel_mult": ""}
    try:
        from render.models.registry import get_info

        config = get_info(diffusion_model).config or config
    except Exception:  # an unknown or custom model without a published config
        pass
    image_size = int(config.get("image_size", 512))
    mult = _numbers(config.get("channel_mult", ""))
    first = mult[0] if mult else (0.5 if image_size == 512 else 1.0)
    channels = int(config.get("num_channels", config.get("model_channels", 128))) * first
    sizes = [int(x) for x in _numbers(config.get("attention_resolutions", "16, 8"))]
    ds = min((image_size // r for r in sizes), default=image_size)
    pixels = width * height
    skips = (int(config.get("num_res_blocks", 2)) + 1) * channels * pixels
    tokens = pixels / ds**2
    return int(2 * batch_size * (skips + tokens**2))


def _numbers(value: Any) -> list[float]:
    """A config's list of numbers as guided-diffusion writes it (``"1,1,2"``, ``"32, 16, 8"``) or as a list."""
    if isinstance(value, (list, tuple)):
        return [float(v) for v in value]
    return [float(x) for x in str(value).strip(" ()[]").split(",") if x.strip()]
