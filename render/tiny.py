"""Tiny random-weight models, built on the spot: a UNet and a CLIP that render on a CPU in seconds.

They run the real renderer -- sampler, CLIP guidance, cutouts, the animation loop -- with
weights that were never trained, so the pictures they make mean nothing (coloured noise
that the camera moves); they need no download and no network. ``chroma demo`` uses them
to show a shot end to end on any machine; the real models come with
``chroma models fetch`` (docs/render.md).

Both are seeded, so the same call builds the same weights every time, without touching
the caller's random stream.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import torch

from render.clip import ClipModel, load_clip
from render.renderer import Renderer, RenderSettings
from render.unet import UNetConfig, UNetModel

__all__ = ["TINY_UNET", "TINY_UNET_NAME", "TINY_CLIP_NAME", "TINY_CLIP_CONFIG", "tiny_unet", "tiny_clip_spec",
           "tiny_clip", "tiny_renderer"]

#: The tiny UNet: guided diffusion's architecture (``render.unet``) at 32 channels, three
#: levels, one residual block each, self-attention at 1/4 of the frame size; 6 output
#: channels (epsilon and the learned variance), as the real models. About 1.0 M parameters.
TINY_UNET = UNetConfig(image_size=64, model_channels=32, num_res_blocks=1, attention_resolutions=(4,),
                       channel_mult=(1, 1, 2), num_heads=2, num_head_channels=-1)

#: The name a tiny UNet goes by in frame metadata (it is not in the model registry).
TINY_UNET_NAME = "tiny-random-unet"

#: The tiny CLIP architecture's open_clip name (registered on first use by :func:`tiny_clip_spec`).
TINY_CLIP_NAME = "chroma-tiny-random"

#: Its open_clip config: a one-layer ViT (32x32 input, 8x8 patches) and a one-layer text
#: transformer, both 32 wide, with CLIP's own tokenizer and vocabulary.
TINY_CLIP_CONFIG: dict[str, Any] = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


def tiny_unet(seed: int = 0) -> UNetModel:
    """Build the tiny UNet (:data:`TINY_UNET`) with random weights.

    Parameters
    ----------
    seed : int, optional
        The seed of its weights. Default 0.

    Returns
    -------
    render.unet.UNetModel
        The model, in eval mode, on the CPU.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return UNetModel(TINY_UNET).eval()


def tiny_clip_spec() -> str:
    """Register the tiny CLIP architecture with open_clip (once per process); return its spec.

    open_clip reads architectures from JSON files: the config is written to a temporary
    folder, registered with ``open_clip.add_model_config`` and the folder removed (open_clip
    keeps the config it read).

    Returns
    -------
    str
        ``"chroma-tiny-random::random"``, a spec for :func:`render.clip.load_clip` and
        ``RenderSettings.clip_models``.
    """
    import open_clip

    if TINY_CLIP_NAME not in open_clip.list_models():
        with tempfile.TemporaryDirectory(prefix="chroma-tiny-clip-") as folder:
            path = Path(folder) / f"{TINY_CLIP_NAME}.json"
            path.write_text(json.dumps(TINY_CLIP_CONFIG), encoding="utf-8")
            open_clip.add_model_config(path)
    return f"{TINY_CLIP_NAME}::random"


def tiny_clip(device: torch.device | str = "cpu") -> ClipModel:
    """Build the tiny CLIP (:data:`TINY_CLIP_CONFIG`) with random weights (seed 0).

    Parameters
    ----------
    device : torch.device or str, optional
        Where to put it. Default ``"cpu"``.

    Returns
    -------
    render.clip.ClipModel
        The model with CLIP's tokenizer, frozen.
    """
    import logging

    spec = tiny_clip_spec()
    quiet = _DropRandomWeightsWarning()
    root = logging.getLogger()  # open_clip says "No pretrained weights loaded" on the root logger
    root.addFilter(quiet)
    try:
        return load_clip(spec, device)
    finally:
        root.removeFilter(quiet)


class _DropRandomWeightsWarning:
    """A logging filter for open_clip's warning that the weights are random: here they are on purpose."""

    def filter(self, record: Any) -> bool:
        return "No pretrained weights loaded" not in record.getMessage()


def tiny_renderer(settings: RenderSettings | None = None, seed: int = 0) -> Renderer:
    """Build a :class:`render.Renderer` on the tiny random models.

    Parameters
    ----------
    settings : RenderSettings or None, optional
        The render settings (their ``diffusion_model`` and ``clip_models`` are only
        names here; the models are the tiny ones). Default None: DD's defaults, without
        the secondary model, at 128x128.
    seed : int, optional
        The seed of the UNet's weights. Default 0.

    Returns
    -------
    render.Renderer
        The renderer, on the settings' device.
    """
    if settings is None:
        settings = RenderSettings(width_height=(128, 128), use_secondary_model=False,
                                  diffusion_model=TINY_UNET_NAME, clip_models=(tiny_clip_spec(),))
    return Renderer(settings, unet=tiny_unet(seed), clip_models=[tiny_clip()])
