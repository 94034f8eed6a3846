"""CLIP models through open_clip, named ``name::pretrained``, and prompt embeddings.

CLIP (Radford et al., *Learning Transferable Visual Models From Natural Language
Supervision*, arXiv:2103.00020) embeds images and texts in one space; guidance pulls the
image's embedding towards the prompts' (section 2.3). Models come from open_clip
(Ilharco et al., https://github.com/mlfoundations/open_clip) by spec:

- ``"ViT-B-32::openai"`` -- architecture ``ViT-B-32`` with the ``openai`` weights
  (downloaded and cached by open_clip on first use);
- ``"ViT-B-16"`` -- same as ``ViT-B-16::openai``;
- ``"RN50::/path/to/weights.pt"`` -- weights from a local file (air-gapped studios);
- ``"NAME::random"`` -- random weights, the same each time (seed 0; speed tests and
  tests; meaningless images).

Any architecture open_clip knows may be used, including ones registered at runtime with
``open_clip.add_model_config`` and the configs (open_clip's JSON format) placed in the
model cache's ``open_clip/`` folder, which are registered on first load.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Sequence

import torch
import torch.nn.functional as F

from render.errors import ModelError, SettingsError

__all__ = ["ClipModel", "parse_clip_spec", "load_clip", "fold_batch_norms", "pool_one_query"]

_DEFAULT_PRETRAINED = "openai"


def parse_clip_spec(spec: str) -> tuple[str, str | None]:
    """Split a CLIP spec ``"name::pretrained"`` into architecture and weights.

    Parameters
    ----------
    spec : str
        ``"NAME::PRETRAINED"`` (spaces around the parts ignored); no ``::`` means
        ``openai`` weights.

    Returns
    -------
    name : str
        The open_clip architecture, e.g. ``"ViT-B-32"``.
    pretrained : str or None
        The open_clip weights tag or a file path; None for ``random`` or ``none``
        (any case).

    Raises
    ------
    render.errors.SettingsError
        If ``spec`` is not a non-empty string or a part is empty.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise SettingsError(f"a CLIP model is named like 'ViT-B-32::openai', got {spec!r}")
    name, sep, pretrained = spec.strip().partition("::")
    name = name.strip()
    pretrained = pretrained.strip() if sep else _DEFAULT_PRETRAINED
    if not name or (sep and not pretrained):
        raise SettingsError(f"bad CLIP model {spec!r}: write it as 'NAME::PRETRAINED', e.g. 'ViT-B-32::openai'")
    return name, (None if pretrained.lower() in ("random", "none") else pretrained)


@dataclass
class ClipModel:
    """An open_clip model ready for guidance.

    Attributes
    ----------
    spec : str
        The ``name::pretrained`` it was loaded from.
    model : Any
        The open_clip module (eval mode, frozen, batch norms folded).
    tokenizer : Any
        The open_clip tokenizer for the model.
    input_size : int
        The square input resolution of the image tower, in pixels.
    mean, std : torch.Tensor
        The image normalisation of [0, 1] RGB, ``(1, 3, 1, 1)`` float32 tensors.

    References
    ----------
    Radford et al. 2021, *Learning Transferable Visual Models From Natural Language
    Supervision*, arXiv:2103.00020.
    """

    spec: str
    model: Any
    tokenizer: Any
    input_size: int
    mean: torch.Tensor
    std: torch.Tensor

    @property
    def device(self) -> torch.device:
        """The device of the model's weights.

        Returns
        -------
        torch.device
            The device of the model's first parameter.
        """
        return next(self.model.parameters()).device

    def to(self, device: torch.device | str) -> "ClipModel":
        """Move the model (and normalisation constants) to ``device``.

        Parameters
        ----------
        device : torch.device or str
            The device, e.g. ``"cuda"``.

        Returns
        -------
        ClipModel
            This model, moved.
        """
        self.model.to(device)
        self.mean = self.mean.to(device)
        self.std = self.std.to(device)
        return self

    def encode_text(self, texts: Sequence[str]) -> torch.Tensor:
        """Embed texts with the text tower, without gradients.

        Parameters
        ----------
        texts : Sequence[str]
            The texts; the tokenizer truncates each to the model's context (77 tokens
            for the OpenAI models).

        Returns
        -------
        torch.Tensor
            ``(len(texts), D)`` float32 embeddings, not normalised.
        """
        tokens = self.tokenizer(list(texts)).to(self.device)
        with torch.no_grad():
            return self.model.encode_text(tokens).float()

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """Embed images with the image tower (differentiable).

        The normalised input goes in channels-last: the convolutions (ResNet towers, a
        ViT's patch embedding) run faster on it, 6-20% on the CPU here (see
        :func:`fold_batch_norms`).

        Parameters
        ----------
        images : torch.Tensor
            ``(N, 3, S, S)`` RGB in [0, 1], ``S`` = :attr:`input_size` pixels.

        Returns
        -------
        torch.Tensor
            ``(N, D)`` float32 embeddings, not normalised.
        """
        x = (images - self.mean.to(images.dtype)) / self.std.to(images.dtype)
        return self.model.encode_image(x.contiguous(memory_format=torch.channels_last)).float()

    def embed_image_prompt(self, image: torch.Tensor, cuts: int = 16, generator: torch.Generator | None = None) -> torch.Tensor:
        """Embeddings of an image prompt: the whole image plus random square crops.

        Each view is resized bilinearly (antialiased) to :attr:`input_size`; a crop's
        side is drawn uniformly from ``max(min(H, W) // 4, 1)`` to ``min(H, W)`` pixels
        and its position uniformly inside the image. Each embedding is a target for
        guidance.

        Parameters
        ----------
        image : torch.Tensor
            ``(1, 3, H, W)`` RGB in [0, 1].
        cuts : int, optional
            Number of random crops. Default 16.
        generator : torch.Generator or None, optional
            RNG for the crops (CPU). Default None: torch's global RNG.

        Returns
        -------
        torch.Tensor
            ``(1 + cuts, D)`` float32 embeddings (the whole image first), without
            gradients.
        """
        _, _, h, w = image.shape
        side = min(h, w)
        crops = [F.interpolate(image, size=(self.input_size, self.input_size), mode="bilinear", antialias=True, align_corners=False)]
        for _ in range(cuts):
            size = int(torch.randint(max(side // 4, 1), side + 1, (), generator=generator))
            oy = int(torch.randint(0, h - size + 1, (), generator=generator))
            ox = int(torch.randint(0, w - size + 1, (), generator=generator))
            crop = image[:, :, oy : oy + size, ox : ox + size]
            crops.append(F.interpolate(crop, size=(self.input_size, self.input_size), mode="bilinear", antialias=True, align_corners=False))
        with torch.no_grad():
            return self.encode_image(torch.cat(crops).to(self.device))


def fold_batch_norms(module: torch.nn.Module) -> int:
    """Fold every frozen ``BatchNorm2d`` into the convolution before it, in place.

    In eval mode a batch norm is the affine map ``(y - mean) / sqrt(var + eps) * w + b``,
    which the preceding convolution can absorb (``torch.nn.utils.fusion``): the same
    function to float rounding, without the normalisation's forward and backward passes.
    Measured on the CPU (one thread, 16 cutouts through RN50, forward and backward): 6.4 s
    as loaded, 5.0 s on channels-last input, 4.1 s folded and channels-last. Pairs are
    found by name as open_clip's ResNets register them: ``convN``/``bnN`` and, in
    downsampling branches, a convolution ``k`` followed by its norm ``k + 1``. ViTs have
    none (nothing changes).

    Parameters
    ----------
    module : torch.nn.Module
        The network (e.g. an open_clip ``model.visual``), modified in place.

    Returns
    -------
    int
        The number of norms folded (0 for a ViT).
    """
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    pairs: list[tuple[torch.nn.Module, str, str, torch.nn.Conv2d, torch.nn.BatchNorm2d]] = []
    for parent in module.modules():
        children = dict(parent.named_children())
        for name, conv in children.items():
            if not isinstance(conv, torch.nn.Conv2d):
                continue
            bn_name = "bn" + name[4:] if name.startswith("conv") else str(int(name) + 1) if name.isdigit() else None
            if not bn_name:
                continue
            bn = children.get(bn_name)
            if isinstance(bn, torch.nn.BatchNorm2d) and bn.num_features == conv.out_channels and not bn.training:
                pairs.append((parent, name, bn_name, conv, bn))
    for parent, name, bn_name, conv, bn in pairs:
        fused = fuse_conv_bn_eval(conv, bn).requires_grad_(False)
        setattr(parent, name, fused)
        setattr(parent, bn_name, torch.nn.Identity())
    return len(pairs)


def _attention_pool_one_query(self: Any, x: torch.Tensor) -> torch.Tensor:
    """CLIP's ``AttentionPool2d.forward`` with the one query it keeps (see :func:`pool_one_query`)."""
    tokens = x.flatten(2).permute(2, 0, 1)  # NCHW -> (HW)NC
    tokens = torch.cat([tokens.mean(dim=0, keepdim=True), tokens], dim=0)
    tokens = tokens + self.positional_embedding[:, None, :].to(tokens.dtype)
    out, _ = F.multi_head_attention_forward(
        query=tokens[:1], key=tokens, value=tokens, embed_dim_to_check=tokens.shape[-1], num_heads=self.num_heads,
        q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight,
        in_proj_weight=None, in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
        bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0, out_proj_weight=self.c_proj.weight,
        out_proj_bias=self.c_proj.bias, use_separate_proj_weight=True, training=self.training, need_weights=False,
    )
    return out[0]


def pool_one_query(module: torch.nn.Module) -> int:
    """Make CLIP ResNets' attention pools compute only the query they return, in place.

    The pool of a CLIP ResNet (Radford et al. 2021, section 2.4) attends from every
    token to every token, then keeps the output of the first (the mean token) alone. The
    other queries, their projections and output projections are discarded work: here the
    first token alone queries all the keys and values, the same function (attention is
    independent per query) to float rounding. Measured on the CPU (one thread, 16 cutouts
    through RN50, forward and backward) the projections were 9% of the tower's time and
    the pool's query and output projections two thirds of that. Pools are found as open_clip
    registers them (``attnpool`` with ``q_proj``/``k_proj``/``v_proj``/``c_proj``); ViTs have
    none (nothing changes).

    Parameters
    ----------
    module : torch.nn.Module
        A model (or its ``visual`` tower), changed in place.

    Returns
    -------
    int
        The number of pools changed.

    References
    ----------
    Radford, A. et al. (2021). Learning Transferable Visual Models From Natural Language
    Supervision. ICML (arXiv:2103.00020), section 2.4.
    """
    import types

    count = 0
    for child in module.modules():
        if all(hasattr(child, a) for a in ("q_proj", "k_proj", "v_proj", "c_proj", "positional_embedding", "num_heads")):
            child.forward = types.MethodType(_attention_pool_one_query, child)
            count += 1
    return count


_REGISTERED: set[str] = set()


def _register_cached_configs(open_clip: Any) -> None:
    """Register the architectures in ``<model cache>/open_clip/*.json`` (open_clip's config
    format) once per process: a studio's own CLIP architectures, usable by name."""
    from render.models import cache_dir

    folder = cache_dir() / "open_clip"
    if folder.is_dir() and str(folder) not in _REGISTERED:
        open_clip.add_model_config(folder)
        _REGISTERED.add(str(folder))


def load_clip(spec: str, device: torch.device | str = "cpu", cache_dir: str | None = None) -> ClipModel:
    """Load a CLIP model by ``name::pretrained`` through open_clip.

    Parameters
    ----------
    spec : str
        ``"NAME::PRETRAINED"``, see the module docstring and :func:`parse_clip_spec`.
    device : torch.device or str, optional
        Where to put it. Default ``"cpu"``.
    cache_dir : str or None, optional
        The download cache open_clip uses. Default None: its own.

    Returns
    -------
    ClipModel
        The model (eval mode, frozen, batch norms folded) with its tokenizer, input
        size and normalisation from open_clip's preprocess config.

    Raises
    ------
    render.errors.SettingsError
        A malformed ``spec``.
    render.errors.ModelError
        Unknown architecture (with close matches), or weights that cannot be downloaded
        or read (the message says how to provide them locally).
    """
    import open_clip

    name, pretrained = parse_clip_spec(spec)
    _register_cached_configs(open_clip)
    known = open_clip.list_models()
    if name not in known:
        import difflib

        hint = difflib.get_close_matches(name, known, n=5, cutoff=0.4)
        raise ModelError(
            f"unknown CLIP architecture {name!r}"
            + (f"; did you mean: {', '.join(hint)}?" if hint else "")
            + " (e.g. ViT-B-32::openai, ViT-B-16::openai, RN50::openai)"
        )
    try:
        if pretrained is None:
            # random weights, the same for a name every time (seed 0), without touching the caller's RNG
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                model = open_clip.create_model(name, pretrained=None, device="cpu").to(device)
        else:
            model = open_clip.create_model(name, pretrained=pretrained, device=device, cache_dir=cache_dir)
    except Exception as e:  # download, missing file, bad tag: all user-fixable
        where = pretrained if pretrained and os.path.sep in pretrained else f"the {pretrained!r} weights"
        raise ModelError(
            f"cannot load CLIP model {spec!r}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}. "
            f"open_clip downloads {where} on first use; without network, download the weights elsewhere and "
            f"name the file: '{name}::/path/to/weights.pt'"
        ) from None
    model.eval().requires_grad_(False)
    fold_batch_norms(model.visual)  # ResNet towers: same function, faster (see fold_batch_norms)
    pool_one_query(model.visual)  # and their attention pools (see pool_one_query)
    cfg = open_clip.get_model_preprocess_cfg(model)
    size = cfg.get("size", 224)
    size = int(size[0] if isinstance(size, (tuple, list)) else size)
    mean = torch.tensor(cfg.get("mean", open_clip.OPENAI_DATASET_MEAN), dtype=torch.float32, device=device).view(1, 3, 1, 1)
    std = torch.tensor(cfg.get("std", open_clip.OPENAI_DATASET_STD), dtype=torch.float32, device=device).view(1, 3, 1, 1)
    tokenizer = open_clip.get_tokenizer(name)
    return ClipModel(spec, model, tokenizer, size, mean, std)
