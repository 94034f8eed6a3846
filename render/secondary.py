"""Disco Diffusion's secondary model: a small, fast x0 estimator for guidance.

Disco Diffusion v5 (Katherine Crowson's secondary model, ``SecondaryDiffusionImageNet2``)
trains a small UNet of plain 3x3 conv + ReLU blocks on the *cosine* noise schedule with
the v-objective (Salimans & Ho, *Progressive Distillation*, arXiv:2202.00512, section 4):
with ``alpha = cos(pi t / 2)``, ``sigma = sin(pi t / 2)`` and ``x_t = alpha x0 + sigma
eps``, the network predicts ``v = alpha eps - sigma x0``, from which

    pred (x0) = alpha x_t - sigma v,      eps = sigma x_t + alpha v.

The renderer uses ``pred`` as the denoised estimate whose CLIP loss is differentiated,
which avoids back-propagating through the large UNet. Time enters through random
Fourier features (Tancik et al. 2020) broadcast to image planes.

The module tree mirrors the published state_dict (``timestep_embed.weight``,
``net.N.0.weight``, ``net.2.main.N...``) so that ``secondary_model_imagenet_2.pth``
loads with ``strict=True``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "SecondaryDiffusionImageNet2",
    "SecondaryOutput",
    "alpha_sigma_to_t",
    "t_to_alpha_sigma",
]


@dataclass
class SecondaryOutput:
    """The secondary model's outputs, each shaped like its input ``(N, 3, H, W)``.

    Attributes
    ----------
    v : torch.Tensor
        The predicted velocity ``alpha eps - sigma x0``.
    pred : torch.Tensor
        The x0 estimate ``alpha x_t - sigma v``, in [-1, 1] model space (unclamped).
    eps : torch.Tensor
        The noise estimate ``sigma x_t + alpha v``.
    """

    v: torch.Tensor
    pred: torch.Tensor
    eps: torch.Tensor


def t_to_alpha_sigma(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosine-schedule signal and noise levels ``(cos(pi t/2), sin(pi t/2))``.

    Parameters
    ----------
    t : torch.Tensor
        Continuous time in [0, 1] (0: clean, 1: pure noise), any shape.

    Returns
    -------
    alpha : torch.Tensor
        Signal level ``cos(pi t / 2)``, shaped like ``t``.
    sigma : torch.Tensor
        Noise level ``sin(pi t / 2)``, shaped like ``t``.

    References
    ----------
    Salimans & Ho 2022, *Progressive Distillation for Fast Sampling of Diffusion
    Models*, arXiv:2202.00512, section 4.
    """
    return torch.cos(t * math.pi / 2), torch.sin(t * math.pi / 2)


def alpha_sigma_to_t(alpha: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`t_to_alpha_sigma`: ``t = atan2(sigma, alpha) * 2 / pi``.

    Maps a DDPM timestep's ``(sqrt(alpha_bar), sqrt(1 - alpha_bar))`` to the secondary
    model's continuous time.

    Parameters
    ----------
    alpha : torch.Tensor
        Signal level, e.g. ``sqrt(alpha_bar_t)``.
    sigma : torch.Tensor
        Noise level, e.g. ``sqrt(1 - alpha_bar_t)``, broadcastable with ``alpha``.

    Returns
    -------
    torch.Tensor
        Continuous time in [0, 1] for non-negative levels.
    """
    return torch.atan2(sigma, alpha) * 2 / math.pi


class FourierFeatures(nn.Module):
    """Random Fourier features ``[cos(2 pi x W^T), sin(2 pi x W^T)]``.

    Parameters
    ----------
    in_features : int
        Width of the input.
    out_features : int
        Width of the output (even: half cosines, half sines).
    std : float, optional
        Standard deviation of the random frequencies ``W`` (replaced by a loaded
        checkpoint). Default 1.

    References
    ----------
    Tancik et al. 2020, *Fourier Features Let Networks Learn High Frequency Functions in
    Low Dimensional Domains*, arXiv:2006.10739.
    """

    def __init__(self, in_features: int, out_features: int, std: float = 1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features // 2, in_features) * std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Embed ``x``.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, in_features)``.

        Returns
        -------
        torch.Tensor
            ``(N, out_features)``.
        """
        f = 2 * math.pi * x @ self.weight.T
        return torch.cat([f.cos(), f.sin()], dim=-1)


def _conv_block(c_in: int, c_out: int) -> nn.Sequential:
    # key layout: ``<name>.0.weight`` (conv) then a parameter-free ReLU
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU())


class SkipBlock(nn.Module):
    """``cat([main(x), x], dim=1)``: one UNet level with its skip connection.

    Parameters
    ----------
    *main : torch.nn.Module
        The layers of the level, run in order (key ``main.N``).
    """

    def __init__(self, *main: nn.Module):
        super().__init__()
        self.main = nn.Sequential(*main)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the level and concatenate its input.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, C, H, W)``.

        Returns
        -------
        torch.Tensor
            ``(N, C_main + C, H, W)``.
        """
        return torch.cat([self.main(x), x], dim=1)


class _Down(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 2)


class _Up(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


class SecondaryDiffusionImageNet2(nn.Module):
    """Disco Diffusion's ``SecondaryDiffusionImageNet2`` (published with ``base_channels=64``).

    Five nested levels with widths ``c * (1, 2, 2, 4, 4, 8)``; input H and W must be
    multiples of 32 pixels. ``forward(x, t)`` takes ``t`` in [0, 1] (cosine-schedule
    time).

    Parameters
    ----------
    base_channels : int, optional
        Width ``c`` of the outermost level. Default 64 (the published checkpoint).

    References
    ----------
    Disco Diffusion v5.x ``disco.py``, ``SecondaryDiffusionImageNet2`` (Katherine
    Crowson); Salimans & Ho 2022, arXiv:2202.00512.
    """

    def __init__(self, base_channels: int = 64):
        super().__init__()
        c = base_channels
        cs = [c, c * 2, c * 2, c * 4, c * 4, c * 8]
        self.timestep_embed = FourierFeatures(1, 16)
        down, up = _Down(), _Up()

        def level(i: int, inner: list[nn.Module]) -> SkipBlock:
            # level i goes cs[i-1] -> cs[i], holds `inner`, and comes back to cs[i-1]
            return SkipBlock(
                down,
                _conv_block(cs[i - 1], cs[i]),
                _conv_block(cs[i], cs[i]),
                *inner,
                _conv_block(cs[i] * 2, cs[i]),
                _conv_block(cs[i], cs[i - 1]),
                up,
            )

        innermost = SkipBlock(
            down,
            _conv_block(cs[4], cs[5]),
            _conv_block(cs[5], cs[5]),
            _conv_block(cs[5], cs[5]),
            _conv_block(cs[5], cs[4]),
            up,
        )
        inner: nn.Module = innermost
        for i in (4, 3, 2, 1):
            inner = level(i, [inner])
        self.net = nn.Sequential(
            _conv_block(3 + 16, cs[0]),
            _conv_block(cs[0], cs[0]),
            inner,
            _conv_block(cs[0] * 2, cs[0]),
            nn.Conv2d(cs[0], 3, 3, padding=1),
        )

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> SecondaryOutput:
        """Predict ``v`` for ``x`` at cosine time ``t`` and derive x0 and eps.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, 3, H, W)`` noisy image in [-1, 1] model space, H and W multiples of
            32 pixels.
        t : torch.Tensor
            ``(N,)`` cosine-schedule time in [0, 1] (:func:`alpha_sigma_to_t`).

        Returns
        -------
        SecondaryOutput
            ``v``, ``pred`` (x0) and ``eps``, in ``x``'s dtype.
        """
        t = t.to(x.dtype)
        emb = self.timestep_embed(t[:, None]).to(x.dtype)
        planes = emb[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        v = self.net(torch.cat([x, planes], dim=1))
        alpha, sigma = (a[:, None, None, None] for a in t_to_alpha_sigma(t))
        pred = x * alpha - v * sigma
        eps = x * sigma + v * alpha
        return SecondaryOutput(v=v, pred=pred, eps=eps)
