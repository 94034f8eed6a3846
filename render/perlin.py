"""Disco Diffusion's Perlin-noise init image (``perlin_init``, ``perlin_mode``).

DD v5.7 can start every frame from Perlin noise instead of its init image (Perlin, *An
image synthesizer*, SIGGRAPH 1985): a sum of octaves of gradient noise, each octave twice
as fine as the one before and weighted ``0.5 * 1.5**-i``. Two such images are made, a
coarse one (12 octaves from a 1x1 lattice) and a finer one (8 octaves from 4x4), each
resized to the frame, turned into an 8-bit picture and auto-contrasted; the init is their
mean in [-1, 1]. ``perlin_mode`` picks which are in colour (three independent channels)
and which grey: ``"color"`` both, ``"gray"`` neither, ``"mixed"`` the coarse one.

The lattice gradients are standard normal draws, ``(2, w + 1, h + 1, 1, 1)`` per octave and
channel, from the frame's device generator (DD's ``torch.randn(..., device=device)``),
so they are part of DD's random stream.
"""

from __future__ import annotations

import torch
import torchvision.transforms.functional as TF
from PIL import Image, ImageOps

__all__ = ["PERLIN_MODES", "perlin", "perlin_octaves", "perlin_picture", "perlin_init"]

#: perlin_mode values: both images in colour, both grey, or the coarse one in colour.
PERLIN_MODES = ("mixed", "color", "gray")


def _fade(t: torch.Tensor) -> torch.Tensor:
    """Perlin's cubic fade ``3t^2 - 2t^3``."""
    return 3 * t**2 - 2 * t**3


def perlin(width: int, height: int, scale: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """One octave of gradient noise on a ``width x height`` lattice, ``scale`` samples per cell.

    Parameters
    ----------
    width, height : int
        Lattice cells along the first and second axis.
    scale : int
        Samples per cell along each axis.
    generator : torch.Generator
        Generator of ``device``: the ``(2, width + 1, height + 1, 1, 1)`` gradients.
    device : torch.device
        Where the noise is made.

    Returns
    -------
    torch.Tensor
        ``(width * scale, height * scale)`` float32 noise, 0 at the lattice points.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``, ``perlin``.
    """
    gx, gy = torch.randn(2, width + 1, height + 1, 1, 1, generator=generator, device=device)
    xs = torch.linspace(0, 1, scale + 1)[:-1, None].to(device)
    ys = torch.linspace(0, 1, scale + 1)[None, :-1].to(device)
    wx, wy = 1 - _fade(xs), 1 - _fade(ys)
    dots = wx * wy * (gx[:-1, :-1] * xs + gy[:-1, :-1] * ys)
    dots = dots + (1 - wx) * wy * (-gx[1:, :-1] * (1 - xs) + gy[1:, :-1] * ys)
    dots = dots + wx * (1 - wy) * (gx[:-1, 1:] * xs - gy[:-1, 1:] * (1 - ys))
    dots = dots + (1 - wx) * (1 - wy) * (-gx[1:, 1:] * (1 - xs) - gy[1:, 1:] * (1 - ys))
    return dots.permute(0, 2, 1, 3).contiguous().view(width * scale, height * scale)


def perlin_octaves(
    weights: list[float], width: int, height: int, channels: int, generator: torch.Generator, device: torch.device
) -> torch.Tensor:
    """``0.5`` plus octaves of :func:`perlin`, channel by channel.

    Octave ``i`` has ``width * 2**i`` by ``height * 2**i`` cells of
    ``2**(len(weights) - i)`` samples, so every octave has the same size.

    Parameters
    ----------
    weights : list of float
        The octaves' weights, coarsest first.
    width, height : int
        Lattice cells of the coarsest octave.
    channels : int
        1 (grey) or 3 (colour); each channel draws its own octaves, in order.
    generator : torch.Generator
        Generator of ``device``.
    device : torch.device
        Where the noise is made.

    Returns
    -------
    torch.Tensor
        ``(channels, width * 2**n, height * 2**n)`` float32, ``n = len(weights)``.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``, ``perlin_ms``.
    """
    out = []
    for _ in range(channels):
        total: torch.Tensor | float = 0.5
        scale, w, h = 2 ** len(weights), width, height
        for weight in weights:
            total = total + perlin(w, h, scale, generator, device) * weight
            scale, w, h = scale // 2, w * 2, h * 2
        assert isinstance(total, torch.Tensor)
        out.append(total)
    return torch.stack(out)


def perlin_picture(
    weights: list[float], cells: int, grey: bool, size: tuple[int, int], generator: torch.Generator, device: torch.device
) -> Image.Image:
    """One of DD's Perlin pictures: octaves resized to the frame, 8-bit, auto-contrasted.

    Parameters
    ----------
    weights : list of float
        The octaves' weights, coarsest first.
    cells : int
        Lattice cells of the coarsest octave along each axis.
    grey : bool
        One channel copied to RGB, else three.
    size : tuple of (int, int)
        ``(height, width)`` of the frame in pixels.
    generator : torch.Generator
        Generator of ``device``.
    device : torch.device
        Where the noise is made.

    Returns
    -------
    PIL.Image.Image
        An RGB picture of ``size``: torchvision's bilinear resize (without antialiasing,
        the torchvision default of DD's time for tensors), clamped to [0, 1], truncated
        to 8 bits, then PIL's ``ImageOps.autocontrast`` per channel.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``, ``create_perlin_noise``.
    """
    noise = perlin_octaves(weights, cells, cells, 1 if grey else 3, generator, device)
    noise = TF.resize(noise[None], list(size), antialias=False)[0]
    picture = TF.to_pil_image(noise.clamp(0, 1).cpu())
    return ImageOps.autocontrast(picture.convert("RGB"))


def perlin_init(mode: str, size: tuple[int, int], generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """DD's Perlin init image: the mean of a coarse and a fine Perlin picture, in [-1, 1].

    Parameters
    ----------
    mode : str
        A :data:`PERLIN_MODES` value.
    size : tuple of (int, int)
        ``(height, width)`` of the frame in pixels.
    generator : torch.Generator
        Generator of ``device`` (the frame's device generator).
    device : torch.device
        Where the noise is made.

    Returns
    -------
    torch.Tensor
        ``(1, 3, height, width)`` float32 on ``device``.

    Raises
    ------
    ValueError
        ``mode`` is not one of :data:`PERLIN_MODES`.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``, ``regen_perlin`` and the ``perlin_init`` branch of
    ``do_run``.
    """
    if mode not in PERLIN_MODES:
        raise ValueError(f"perlin_mode must be one of {', '.join(PERLIN_MODES)}, got {mode!r}")
    coarse = perlin_picture([1.5**-i * 0.5 for i in range(12)], 1, mode == "gray", size, generator, device)
    fine = perlin_picture([1.5**-i * 0.5 for i in range(8)], 4, mode != "color", size, generator, device)
    mean = TF.to_tensor(coarse).add(TF.to_tensor(fine)).div(2)
    return mean.to(device)[None].mul(2).sub(1)
