"""Loading checkpoints: sha256 first, then ``torch.load(weights_only=True)`` only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from render.errors import ChecksumError, ModelError, UnsafeCheckpointError
from render.models.registry import (
    ModelInfo,
    cache_dir,
    cached_sha256,
    check_sha256,
    get_info,
    sha256_file,
)
from render.models.store import model_path

if TYPE_CHECKING:  # pragma: no cover
    from render.secondary import SecondaryDiffusionImageNet2
    from render.unet import UNetModel


# -- loading -----------------------------------------------------------------------------
def load_state_dict(path: str | os.PathLike[str], expected_sha256: str | None = None) -> dict[str, Any]:
    """Load a plain state_dict with ``torch.load(weights_only=True)`` onto the CPU.

    Zip checkpoints are memory-mapped; a checkpoint that wraps its weights as
    ``{"state_dict": {...}}`` is unwrapped.

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint.
    expected_sha256 : str or None, optional
        Hex digest checked before loading (remembered beside files in the cache).
        Default None: not checked.

    Returns
    -------
    dict of str to Any
        Parameter name to ``torch.Tensor``.

    Raises
    ------
    render.errors.ChecksumError
        Digest mismatch.
    render.errors.UnsafeCheckpointError
        The file holds objects other than tensors and plain containers (a pickle that
        could run code), or is not a checkpoint at all.
    """
    import pickle

    import torch

    p = Path(path)
    if expected_sha256:
        digest = cached_sha256(p) if p.parent == cache_dir() else sha256_file(p)
        if digest != expected_sha256:
            raise ChecksumError(
                f"{p} does not match its sha256 (expected {expected_sha256}, got {digest}); "
                "re-fetch or re-import the file"
            )
    try:
        try:
            sd = torch.load(p, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as e:  # legacy (non-zip) files cannot be memory-mapped
            if "mmap" not in str(e):
                raise
            sd = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UnsafeCheckpointError(
            f"{p} is not a plain-weights checkpoint and was refused (weights_only loading: {first}). "
            "Only state_dicts saved with torch.save(model.state_dict()) are accepted"
        ) from None
    except Exception as e:  # the pickle reader fails on text or damage with any error type (KeyError...)
        raise UnsafeCheckpointError(
            f"{p} cannot be read as a torch checkpoint ({type(e).__name__}: {error_detail(e, 200)}); "
            "it is not a file saved with torch.save, or it is truncated or damaged"
        ) from None
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise UnsafeCheckpointError(f"{p} does not hold a state_dict (a mapping of names to tensors)")
    return sd


def _load_verified(name: str) -> tuple[ModelInfo, dict[str, Any]]:
    info = get_info(name)
    path = model_path(info.name)
    digest = cached_sha256(path)
    check_sha256(info, path, digest or "")
    return info, load_state_dict(path)


def load_unet(name: str, use_checkpoint: bool = False) -> UNetModel:
    """Build the registered UNet ``name`` and load its verified weights (CPU, float32).

    Parameters
    ----------
    name : str
        Registry name of a ``"unet"`` family entry.
    use_checkpoint : bool, optional
        Gradient checkpointing per block (see :class:`render.unet.UNetModel`). Default
        False.

    Returns
    -------
    render.unet.UNetModel
        The network in eval mode, gradients off.

    Raises
    ------
    render.errors.ModelNotFoundError
        Not cached (message says where and how to get it).
    render.errors.ChecksumError
        The cached file differs from the published digest.
    render.errors.ModelError
        Not a UNet entry, or the weights do not fit the registered architecture.
    """
    from render.unet import UNetConfig, UNetModel

    info, sd = _load_verified(name)
    if info.family != "unet":
        raise ModelError(f"{info.name!r} is a {info.family} model, not a diffusion UNet")
    model = UNetModel(UNetConfig.from_published(info.config), use_checkpoint=use_checkpoint)
    _load_into(model, sd, info)
    return model.eval().requires_grad_(False)


def load_secondary(name: str = "secondary_model_imagenet_2") -> SecondaryDiffusionImageNet2:
    """Build Disco Diffusion's secondary model and load its verified weights.

    Parameters
    ----------
    name : str, optional
        Registry name of a ``"secondary"`` family entry. Default
        ``"secondary_model_imagenet_2"``.

    Returns
    -------
    render.secondary.SecondaryDiffusionImageNet2
        The network on the CPU in eval mode, gradients off.

    Raises
    ------
    render.errors.ModelNotFoundError
        Not cached.
    render.errors.ChecksumError
        The cached file differs from the published digest.
    render.errors.ModelError
        Not a secondary entry, or the weights do not fit.
    """
    from render.secondary import SecondaryDiffusionImageNet2

    info, sd = _load_verified(name)
    if info.family != "secondary":
        raise ModelError(f"{info.name!r} is a {info.family} model, not the secondary model")
    model = SecondaryDiffusionImageNet2(int(info.config.get("base_channels", 64)))
    _load_into(model, sd, info)
    return model.eval().requires_grad_(False)


def error_detail(error: BaseException, limit: int = 300) -> str:
    """Shorten an error's text for a one-line message: white space folded, at most ``limit`` characters.

    PyTorch's ``load_state_dict`` lists every mismatched tensor over many lines; a
    :class:`~render.errors.ModelError` quotes the start of that list.

    Parameters
    ----------
    error : BaseException
        The error whose text is quoted.
    limit : int, optional
        Characters kept (default 300); a longer text is cut there and ends in ``" ..."``.

    Returns
    -------
    str
        The text on one line.
    """
    detail = " ".join(str(error).split())
    return detail if len(detail) < limit else detail[:limit] + " ..."


def _load_into(model: Any, sd: Mapping[str, Any], info: ModelInfo) -> None:
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        raise ModelError(
            f"the weights of {info.name!r} do not fit its configured architecture ({error_detail(e)}); "
            "for a custom model, re-import it with the right --config"
        ) from None

