"""The guided-diffusion UNet, laid out so that the published checkpoints load unchanged.

The network is the "ADM" UNet of Dhariwal & Nichol, *Diffusion Models Beat GANs on Image
Synthesis* (NeurIPS 2021, arXiv:2105.05233), section 3 and appendix: a UNet of residual
blocks (optionally with adaptive group normalisation, "scale-shift norm", and with
residual up/down-sampling blocks, after BigGAN), multi-head self-attention at chosen
resolutions, a sinusoidal timestep embedding (Vaswani et al. 2017, section 3.5) and a
learned output variance (Nichol & Dhariwal, *Improved DDPM*, arXiv:2102.09672, eq. 15).

The module tree (``input_blocks.N.M``, ``in_layers``, ``emb_layers``, ``out_layers``,
``skip_connection``, ``qkv``, ``proj_out``, ``op``, ``conv``...) mirrors the published
state_dict keys, so ``load_state_dict(published, strict=True)`` succeeds; the tests check
the key set and shapes of every family against ``checkpoint_layouts.json``.

Speed features (all optional and numerically equivalent in float32): attention through
:func:`torch.nn.functional.scaled_dot_product_attention`, channels-last memory format,
gradient checkpointing per block, bf16/fp16 autocast (group norms and the timestep
embedding stay in float32).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, cast

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from render.errors import SettingsError

__all__ = [
    "UNetConfig",
    "UNetModel",
    "timestep_embedding",
    "default_channel_mult",
]


def default_channel_mult(image_size: int) -> tuple[float, ...]:
    """Per-level channel multipliers that guided-diffusion uses for ``image_size``.

    These are the defaults of the published checkpoints (``channel_mult=""``).

    Parameters
    ----------
    image_size : int
        Training resolution of the model, in pixels: 32, 64, 128, 256 or 512.

    Returns
    -------
    tuple of float
        One multiplier of ``model_channels`` per resolution level, finest first.

    Raises
    ------
    render.errors.SettingsError
        If ``image_size`` has no published default.

    References
    ----------
    Dhariwal & Nichol 2021, guided-diffusion ``script_util.py``, ``create_model``.
    """
    table = {
        512: (0.5, 1, 1, 2, 2, 4, 4),
        256: (1, 1, 2, 2, 4, 4),
        128: (1, 1, 2, 3, 4),
        64: (1, 2, 3, 4),
        32: (1, 2, 2, 2),
    }
    if image_size not in table:
        raise SettingsError(
            f"no default channel_mult for image_size {image_size}; "
            f"give channel_mult explicitly (known sizes: {sorted(table)})"
        )
    return table[image_size]


@dataclass(frozen=True)
class UNetConfig:
    """Hyper-parameters of a guided-diffusion UNet.

    ``attention_resolutions`` holds downsample *rates* (``ds``), not image sizes; build
    from a published config (image sizes, strings) with :meth:`from_published`.

    Attributes
    ----------
    image_size : int
        Training resolution, in pixels. Default 256.
    in_channels : int
        Input channels (3: RGB in [-1, 1]). Default 3.
    model_channels : int
        Base width, multiplied per level by ``channel_mult``. Default 256.
    out_channels : int
        Output channels: 3 (eps) or 6 (eps and the variance interpolation). Default 6.
    num_res_blocks : int
        Residual blocks per level. Default 2.
    attention_resolutions : tuple of int
        Downsample rates (1, 2, 4, ...) at which self-attention is inserted. Default
        ``(8, 16, 32)``.
    dropout : float
        Dropout probability in the residual blocks. Default 0.
    channel_mult : tuple of float
        Width multiplier per level, finest first. Default ``(1, 1, 2, 2, 4, 4)``.
    num_heads : int
        Attention heads, used when ``num_head_channels`` is -1. Default 4.
    num_head_channels : int
        Channels per attention head; -1 to fix the head count instead. Default 64.
    num_heads_upsample : int
        Heads in the upsampling path; -1 for ``num_heads``. Default -1.
    use_scale_shift_norm : bool
        Condition the residual blocks by adaptive group norm. Default True.
    resblock_updown : bool
        Resample with residual blocks instead of plain (conv) resampling. Default True.
    use_new_attention_order : bool
        Split ``qkv`` as ``[q | k | v]`` over all heads instead of per head. Default
        False.
    conv_resample : bool
        Use a 3x3 conv in plain up/down-sampling. Default True.
    num_classes : int or None
        Class count of a class-conditional model; must be None here. Default None.
    """

    image_size: int = 256
    in_channels: int = 3
    model_channels: int = 256
    out_channels: int = 6
    num_res_blocks: int = 2
    attention_resolutions: tuple[int, ...] = (8, 16, 32)
    dropout: float = 0.0
    channel_mult: tuple[float, ...] = (1, 1, 2, 2, 4, 4)
    num_heads: int = 4
    num_head_channels: int = 64
    num_heads_upsample: int = -1
    use_scale_shift_norm: bool = True
    resblock_updown: bool = True
    use_new_attention_order: bool = False
    conv_resample: bool = True
    num_classes: int | None = None

    @classmethod
    def from_published(cls, cfg: Mapping[str, Any]) -> "UNetConfig":
        """Build from a published ``model_and_diffusion_defaults``-style dict.

        Parameters
        ----------
        cfg : Mapping[str, Any]
            Must hold ``image_size`` (pixels). Accepts ``num_channels`` (or
            ``model_channels``, default 128), ``attention_resolutions`` as a comma
            string of image sizes (``"32, 16, 8"``, converted to rates
            ``ds = image_size // res``) or a sequence of rates, ``channel_mult`` as
            ``""`` (:func:`default_channel_mult`), a comma string or a sequence,
            ``learn_sigma`` (default True: 6 output channels) and the other field names
            with guided-diffusion's defaults (``resblock_updown`` False,
            ``num_head_channels`` -1) -- as in the checkpoint layouts.

        Returns
        -------
        UNetConfig
            The configuration.

        Raises
        ------
        render.errors.SettingsError
            If ``channel_mult`` is empty and ``image_size`` has no published default.
        """
        image_size = int(cfg["image_size"])
        ch = int(cfg.get("num_channels", cfg.get("model_channels", 128)))
        att = cfg.get("attention_resolutions", "16,8")
        if isinstance(att, str):
            sizes = [int(s) for s in att.split(",") if s.strip()]
            rates = tuple(image_size // s for s in sizes)
        else:  # already rates
            rates = tuple(int(s) for s in att)
        mult = cfg.get("channel_mult", "")
        if isinstance(mult, str):
            mult_t = (
                default_channel_mult(image_size)
                if not mult.strip()
                else tuple(float(m) if "." in m else int(m) for m in mult.split(","))
            )
        else:
            mult_t = tuple(mult)
        learn_sigma = bool(cfg.get("learn_sigma", True))
        out_channels = int(cfg.get("out_channels", 6 if learn_sigma else 3))
        return cls(
            image_size=image_size,
            in_channels=int(cfg.get("in_channels", 3)),
            model_channels=ch,
            out_channels=out_channels,
            num_res_blocks=int(cfg.get("num_res_blocks", 2)),
            attention_resolutions=rates,
            dropout=float(cfg.get("dropout", 0.0)),
            channel_mult=mult_t,
            num_heads=int(cfg.get("num_heads", 4)),
            num_head_channels=int(cfg.get("num_head_channels", -1)),
            num_heads_upsample=int(cfg.get("num_heads_upsample", -1)),
            use_scale_shift_norm=bool(cfg.get("use_scale_shift_norm", True)),
            resblock_updown=bool(cfg.get("resblock_updown", False)),
            use_new_attention_order=bool(cfg.get("use_new_attention_order", False)),
            num_classes=cfg.get("num_classes"),
        )

    @classmethod
    def from_dict(cls, cfg: Mapping[str, Any]) -> "UNetConfig":
        """Build from a dict of this class's own field names.

        Parameters
        ----------
        cfg : Mapping[str, Any]
            Field values by name; unknown keys are ignored, missing ones take the
            defaults, and list values of ``attention_resolutions`` and
            ``channel_mult`` become tuples.

        Returns
        -------
        UNetConfig
            The configuration.
        """
        names = set(cls.__dataclass_fields__)
        kw = {k: v for k, v in cfg.items() if k in names}
        for key in ("attention_resolutions", "channel_mult"):
            if key in kw:
                kw[key] = tuple(kw[key])
        return cls(**kw)


def timestep_embedding(timesteps: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal timestep embedding, ``[cos | sin]``.

    Frequencies ``max_period ** (-i / (dim // 2))`` for ``i < dim // 2``; an odd ``dim``
    gets a trailing zero column.

    Parameters
    ----------
    timesteps : torch.Tensor
        ``(N,)`` timesteps, possibly fractional, on the scale the model was trained on
        (0..1000).
    dim : int
        Embedding width.
    max_period : float, optional
        The longest wavelength, in timesteps. Default 10000.

    Returns
    -------
    torch.Tensor
        ``(N, dim)`` float32 embedding.

    References
    ----------
    Vaswani et al. 2017, *Attention Is All You Need*, arXiv:1706.03762, section 3.5;
    guided-diffusion ``nn.py``, ``timestep_embedding``.
    """
    half = dim // 2
    freqs = torch.exp(
        -math.log(max_period) * torch.arange(half, dtype=torch.float32, device=timesteps.device) / half
    )
    args = timesteps[:, None].float() * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


class GroupNorm32(nn.GroupNorm):
    """Group normalisation (32 groups) computed in float32 whatever the input dtype."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` in float32 and return it in its own dtype.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, C, ...)`` activations, any float dtype.

        Returns
        -------
        torch.Tensor
            Group-normalised ``x``, scaled and shifted by the learned affine, in
            ``x``'s dtype.
        """
        # (the meta device has no autocast: FLOP counts and layout checks build models there)
        with torch.autocast(device_type="cpu" if x.device.type == "meta" else x.device.type, enabled=False):
            return F.group_norm(
                x.float(), self.num_groups, self.weight.float(), self.bias.float(), self.eps
            ).to(x.dtype)


def _norm(channels: int) -> GroupNorm32:
    return GroupNorm32(32, channels)


class Upsample(nn.Module):
    """Nearest-neighbour 2x upsampling, optionally followed by a 3x3 conv (key ``conv``).

    Parameters
    ----------
    channels : int
        Input channels.
    use_conv : bool
        Follow the upsampling by a 3x3 conv.
    out_channels : int or None, optional
        Output channels of the conv. Default None: ``channels``.
    """

    def __init__(self, channels: int, use_conv: bool, out_channels: int | None = None):
        super().__init__()
        out_channels = out_channels or channels
        self.use_conv = use_conv
        if use_conv:
            self.conv = nn.Conv2d(channels, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Upsample ``x`` by 2 in height and width.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, C, H, W)`` activations.

        Returns
        -------
        torch.Tensor
            ``(N, C', 2H, 2W)``.
        """
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.conv(x) if self.use_conv else x


class Downsample(nn.Module):
    """2x downsampling: a strided 3x3 conv (key ``op``) or 2x2 average pooling.

    Parameters
    ----------
    channels : int
        Input channels.
    use_conv : bool
        Downsample with a stride-2 3x3 conv instead of average pooling.
    out_channels : int or None, optional
        Output channels of the conv. Default None: ``channels``.
    """

    def __init__(self, channels: int, use_conv: bool, out_channels: int | None = None):
        super().__init__()
        out_channels = out_channels or channels
        if use_conv:
            self.op: nn.Module = nn.Conv2d(channels, out_channels, 3, stride=2, padding=1)
        else:
            self.op = nn.AvgPool2d(kernel_size=2, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Downsample ``x`` by 2 in height and width.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, C, H, W)`` activations, H and W even.

        Returns
        -------
        torch.Tensor
            ``(N, C', H/2, W/2)``.
        """
        return self.op(x)


class ResBlock(nn.Module):
    """Residual block conditioned on the timestep embedding.

    With ``use_scale_shift_norm`` the embedding gives a per-channel scale and shift
    applied after the second group norm, ``h = norm(h) * (1 + scale) + shift``
    (adaptive group normalisation, Dhariwal & Nichol 2021, section 3); otherwise it is
    added before it. With ``up``/``down`` the block resamples both paths (BigGAN-style).

    Parameters
    ----------
    channels : int
        Input channels.
    emb_channels : int
        Width of the timestep embedding.
    dropout : float
        Dropout probability before the second conv.
    out_channels : int or None, optional
        Output channels. Default None: ``channels``.
    use_scale_shift_norm : bool, optional
        Condition by adaptive group norm. Default False.
    up : bool, optional
        Upsample by 2 (nearest) inside the block. Default False.
    down : bool, optional
        Downsample by 2 (average pooling) inside the block. Default False.

    References
    ----------
    Dhariwal & Nichol 2021, arXiv:2105.05233, section 3; Brock, Donahue & Simonyan 2019,
    *Large Scale GAN Training for High Fidelity Natural Image Synthesis* (BigGAN).
    """

    def __init__(
        self,
        channels: int,
        emb_channels: int,
        dropout: float,
        out_channels: int | None = None,
        use_scale_shift_norm: bool = False,
        up: bool = False,
        down: bool = False,
    ):
        super().__init__()
        out_channels = out_channels or channels
        self.use_scale_shift_norm = use_scale_shift_norm
        self.in_layers = nn.Sequential(
            _norm(channels), nn.SiLU(), nn.Conv2d(channels, out_channels, 3, padding=1)
        )
        self.updown = up or down
        if up:
            self.h_upd: nn.Module = Upsample(channels, False)
            self.x_upd: nn.Module = Upsample(channels, False)
        elif down:
            self.h_upd = Downsample(channels, False)
            self.x_upd = Downsample(channels, False)
        else:
            self.h_upd = self.x_upd = nn.Identity()
        self.emb_layers = nn.Sequential(
            nn.SiLU(),
            nn.Linear(emb_channels, 2 * out_channels if use_scale_shift_norm else out_channels),
        )
        self.out_layers = nn.Sequential(
            _norm(out_channels),
            nn.SiLU(),
            nn.Dropout(p=dropout),
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
        )
        if out_channels == channels:
            self.skip_connection: nn.Module = nn.Identity()
        else:
            self.skip_connection = nn.Conv2d(channels, out_channels, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        """Apply the block to ``x`` conditioned on ``emb``.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, channels, H, W)`` activations.
        emb : torch.Tensor
            ``(N, emb_channels)`` timestep embedding.

        Returns
        -------
        torch.Tensor
            ``(N, out_channels, H', W')``, H' and W' resampled by ``up``/``down``.
        """
        if self.updown:
            h = self.in_layers[1](self.in_layers[0](x))
            h = self.h_upd(h)
            x = self.x_upd(x)
            h = self.in_layers[2](h)
        else:
            h = self.in_layers(x)
        emb_out = self.emb_layers(emb).to(h.dtype)[:, :, None, None]
        if self.use_scale_shift_norm:
            scale, shift = emb_out.chunk(2, dim=1)
            h = self.out_layers[0](h) * (1 + scale) + shift
            for layer in self.out_layers[1:]:
                h = layer(h)
        else:
            h = self.out_layers(h + emb_out)
        return self.skip_connection(x) + h


class AttentionBlock(nn.Module):
    """Multi-head self-attention over all spatial positions (Vaswani et al. 2017, eq. 1).

    The number of heads is given by count (``num_heads``) or by width
    (``num_head_channels``: heads = channels // num_head_channels). The fused ``qkv``
    projection keeps the published channel order: per head ``[q | k | v]`` ("legacy"
    order), or ``[q(all heads) | k | v]`` with ``use_new_attention_order``.
    Attention itself runs through ``F.scaled_dot_product_attention`` (flash or
    memory-efficient kernels on GPU); the scale is the usual ``1/sqrt(head width)``.

    Parameters
    ----------
    channels : int
        Input and output channels.
    num_heads : int, optional
        Head count, used when ``num_head_channels`` is -1. Default 1.
    num_head_channels : int, optional
        Channels per head; -1 to use ``num_heads``. Default -1.
    use_new_attention_order : bool, optional
        Split ``qkv`` as ``[q | k | v]`` over all heads. Default False.

    Raises
    ------
    render.errors.SettingsError
        If ``channels`` is not a multiple of ``num_head_channels``.

    References
    ----------
    Vaswani et al. 2017, *Attention Is All You Need*, arXiv:1706.03762, eq. 1.
    """

    def __init__(
        self,
        channels: int,
        num_heads: int = 1,
        num_head_channels: int = -1,
        use_new_attention_order: bool = False,
    ):
        super().__init__()
        if num_head_channels == -1:
            self.num_heads = num_heads
        else:
            if channels % num_head_channels:
                raise SettingsError(
                    f"attention width {channels} is not a multiple of num_head_channels "
                    f"{num_head_channels}"
                )
            self.num_heads = channels // num_head_channels
        self.new_order = use_new_attention_order
        self.norm = _norm(channels)
        self.qkv = nn.Conv1d(channels, channels * 3, 1)
        self.proj_out = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Add the self-attention of ``x`` over its spatial positions to ``x``.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, C, ...)`` activations.

        Returns
        -------
        torch.Tensor
            ``x + proj_out(attention(norm(x)))``, shaped like ``x``.
        """
        b, c, *spatial = x.shape
        x = x.reshape(b, c, -1)
        length = x.shape[-1]
        qkv = self.qkv(self.norm(x))
        heads = self.num_heads
        ch = c // heads
        if self.new_order:
            q, k, v = (t.reshape(b, heads, ch, length) for t in qkv.chunk(3, dim=1))
        else:
            q, k, v = qkv.reshape(b, heads, 3 * ch, length).split(ch, dim=2)
        # (b, heads, length, ch) for SDPA
        a = F.scaled_dot_product_attention(
            q.transpose(-1, -2), k.transpose(-1, -2), v.transpose(-1, -2)
        )
        a = a.transpose(-1, -2).reshape(b, c, length)
        h = self.proj_out(a)
        return (x + h).reshape(b, c, *spatial)


class TimestepEmbedSequential(nn.ModuleList):
    """A sequence of layers; those that take the timestep embedding receive it.

    A module list with a forward (not an ``nn.Sequential``, whose ``forward`` takes one
    input); its state_dict keys are the same ``N.weight``... as a Sequential's.

    Parameters
    ----------
    *layers : torch.nn.Module
        The layers, in order; :class:`ResBlock` layers are called with ``(x, emb)``,
        the others with ``x``.
    """

    def __init__(self, *layers: nn.Module) -> None:
        super().__init__(layers)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        """Run the layers in turn, giving ``emb`` to the residual blocks.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, C, H, W)`` activations.
        emb : torch.Tensor
            ``(N, E)`` timestep embedding.

        Returns
        -------
        torch.Tensor
            The last layer's output.
        """
        for layer in self:
            x = layer(x, emb) if isinstance(layer, ResBlock) else layer(x)
        return x


class UNetModel(nn.Module):
    """The guided-diffusion UNet (Dhariwal & Nichol 2021), unconditional.

    ``forward(x, timesteps)`` maps a noisy image ``x`` (N, C, H, W), H and W multiples
    of ``2 ** (len(channel_mult) - 1)``, and timesteps (N,) on the 0..1000 scale to
    (N, out_channels, H, W): eps (channels 0..2) and, with learned sigma, the variance
    interpolation ``v`` in [-1, 1] (channels 3..5; Nichol & Dhariwal 2021, eq. 15).

    Parameters
    ----------
    config : UNetConfig
        The hyper-parameters.
    use_checkpoint : bool, optional
        Recompute each block in the backward pass instead of storing its activations
        (saves memory when guidance differentiates through the UNet; no effect under
        ``torch.no_grad``). Default False.

    Raises
    ------
    render.errors.SettingsError
        If ``config.num_classes`` is set (class-conditional models are not supported).

    References
    ----------
    Dhariwal & Nichol 2021, *Diffusion Models Beat GANs on Image Synthesis*,
    arXiv:2105.05233, section 3 and appendix; Nichol & Dhariwal 2021, arXiv:2102.09672,
    eq. 15.
    """

    def __init__(self, config: UNetConfig, use_checkpoint: bool = False):
        super().__init__()
        if config.num_classes is not None:
            raise SettingsError(
                "class-conditional UNets (num_classes) are not supported by this renderer; "
                "use an unconditional checkpoint"
            )
        self.config = config
        self.use_checkpoint = use_checkpoint
        mc = config.model_channels
        ted = mc * 4
        heads_up = config.num_heads if config.num_heads_upsample == -1 else config.num_heads_upsample
        self.time_embed = nn.Sequential(nn.Linear(mc, ted), nn.SiLU(), nn.Linear(ted, ted))

        ch = input_ch = int(config.channel_mult[0] * mc)
        self.input_blocks = nn.ModuleList(
            [TimestepEmbedSequential(nn.Conv2d(config.in_channels, ch, 3, padding=1))]
        )
        chans = [ch]
        ds = 1
        attn = set(config.attention_resolutions)

        def attention(c: int, n_heads: int) -> AttentionBlock:
            return AttentionBlock(c, n_heads, config.num_head_channels, config.use_new_attention_order)

        def resblock(c_in: int, c_out: int, **kw: bool) -> ResBlock:
            return ResBlock(c_in, ted, config.dropout, c_out, config.use_scale_shift_norm, **kw)

        for level, mult in enumerate(config.channel_mult):
            for _ in range(config.num_res_blocks):
                out = int(mult * mc)
                layers: list[nn.Module] = [resblock(ch, out)]
                ch = out
                if ds in attn:
                    layers.append(attention(ch, config.num_heads))
                self.input_blocks.append(TimestepEmbedSequential(*layers))
                chans.append(ch)
            if level != len(config.channel_mult) - 1:
                down: nn.Module = (
                    resblock(ch, ch, down=True)
                    if config.resblock_updown
                    else Downsample(ch, config.conv_resample)
                )
                self.input_blocks.append(TimestepEmbedSequential(down))
                chans.append(ch)
                ds *= 2

        self.middle_block = TimestepEmbedSequential(
            resblock(ch, ch), attention(ch, config.num_heads), resblock(ch, ch)
        )

        self.output_blocks = nn.ModuleList()
        for level, mult in list(enumerate(config.channel_mult))[::-1]:
            for i in range(config.num_res_blocks + 1):
                skip = chans.pop()
                out = int(mc * mult)
                layers = [resblock(ch + skip, out)]
                ch = out
                if ds in attn:
                    layers.append(attention(ch, heads_up))
                if level and i == config.num_res_blocks:
                    layers.append(
                        resblock(ch, ch, up=True)
                        if config.resblock_updown
                        else Upsample(ch, config.conv_resample)
                    )
                    ds //= 2
                self.output_blocks.append(TimestepEmbedSequential(*layers))

        self.out = nn.Sequential(_norm(ch), nn.SiLU(), nn.Conv2d(input_ch, config.out_channels, 3, padding=1))

    @property
    def downsample_factor(self) -> int:
        """The factor, in pixels, that H and W must be multiples of.

        Returns
        -------
        int
            ``2 ** (len(channel_mult) - 1)``.
        """
        return 2 ** (len(self.config.channel_mult) - 1)

    def _run(self, block: nn.Module, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        if self.use_checkpoint and torch.is_grad_enabled() and h.requires_grad:
            return checkpoint(block, h, emb, use_reentrant=False)
        return block(h, emb)

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        """Predict eps (and the variance interpolation) for ``x`` at ``timesteps``.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, C, H, W)`` noisy image in model space (about [-1, 1]), H and W in
            pixels, multiples of :attr:`downsample_factor`.
        timesteps : torch.Tensor
            ``(N,)`` timesteps on the 0..1000 scale (see
            :meth:`render.diffusion.GaussianDiffusion.model_time`).

        Returns
        -------
        torch.Tensor
            ``(N, out_channels, H, W)`` in ``x``'s dtype: eps, then (learned sigma)
            ``v`` in [-1, 1].

        Raises
        ------
        render.errors.SettingsError
            If H or W is not a multiple of :attr:`downsample_factor`.
        """
        f = self.downsample_factor
        if x.shape[-1] % f or x.shape[-2] % f:
            raise SettingsError(
                f"image size {tuple(x.shape[-2:])} is not a multiple of {f}; "
                f"round width and height to multiples of {f}"
            )
        emb = self.time_embed(
            timestep_embedding(timesteps.to(x.device), self.config.model_channels).to(
                cast(nn.Linear, self.time_embed[0]).weight.dtype
            )
        )
        hs = []
        h = x
        for block in self.input_blocks:
            h = self._run(block, h, emb)
            hs.append(h)
        h = self._run(self.middle_block, h, emb)
        for block in self.output_blocks:
            h = torch.cat([h, hs.pop()], dim=1)
            h = self._run(block, h, emb)
        return self.out(h).to(x.dtype)


def build_unet(config: UNetConfig | Mapping[str, Any], **kwargs: Any) -> UNetModel:
    """Build a :class:`UNetModel` from a config object or a published config dict.

    Parameters
    ----------
    config : UNetConfig or Mapping[str, Any]
        The hyper-parameters, or a published config read by
        :meth:`UNetConfig.from_published`.
    **kwargs : Any
        Passed to :class:`UNetModel` (``use_checkpoint``).

    Returns
    -------
    UNetModel
        The network, randomly initialised (load a checkpoint into it).

    Raises
    ------
    render.errors.SettingsError
        If the configuration is not supported.
    """
    if not isinstance(config, UNetConfig):
        config = UNetConfig.from_published(config)
    return UNetModel(config, **kwargs)
