"""Loading checkpoints: sha256 first, then ``torch.load(weights_only=True)`` only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from render.errors import ChecksumError, ModelError, UnsafeCheckpointError
from render.models.registry import (
    ModelInfo,
    _cached_sha256,
    _check_sha,
    cache_dir,
    get_info,
    sha256_file,
)
from render.models.store import model_path


# -- loading -----------------------------------------------------------------------------
def load_state_dict(path: str | os.PathLike[str], expected_sha256: str | None = None) -> dict[str, Any]:
    """Load a plain state_dict with ``torch.load(weights_only=True)`` onto the CPU.

    Args:
        path: the checkpoint.
        expected_sha256: checked first if given.

    Raises:
        ChecksumError: digest mismatch.
        UnsafeCheckpointError: the file holds objects other than tensors and plain
            containers (a pickle that could run code), or is not a checkpoint at all.
    """
    import pickle

    import torch

    p = Path(path)
    if expected_sha256:
        digest = _cached_sha256(p) if p.parent == cache_dir() else sha256_file(p)
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
    except (RuntimeError, EOFError, OSError, ValueError) as e:
        raise UnsafeCheckpointError(f"{p} cannot be read as a torch checkpoint ({e}); re-fetch or re-import it") from None
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise UnsafeCheckpointError(f"{p} does not hold a state_dict (a mapping of names to tensors)")
    return sd


def _load_verified(name: str) -> tuple[ModelInfo, dict[str, Any]]:
    info = get_info(name)
    path = model_path(info.name)
    digest = _cached_sha256(path)
    _check_sha(info, path, digest or "")
    return info, load_state_dict(path)


def load_unet(name: str, use_checkpoint: bool = False) -> Any:
    """Build the registered UNet ``name`` and load its verified weights (CPU, float32).

    Raises:
        ModelNotFoundError: not cached (message says where and how to get it).
        ModelError: the weights do not fit the registered architecture.
    """
    from render.unet import UNetConfig, UNetModel

    info, sd = _load_verified(name)
    if info.family != "unet":
        raise ModelError(f"{info.name!r} is a {info.family} model, not a diffusion UNet")
    model = UNetModel(UNetConfig.from_published(info.config), use_checkpoint=use_checkpoint)
    _load_into(model, sd, info)
    return model.eval().requires_grad_(False)


def load_secondary(name: str = "secondary_model_imagenet_2") -> Any:
    """Build Disco Diffusion's secondary model and load its verified weights."""
    from render.secondary import SecondaryDiffusionImageNet2

    info, sd = _load_verified(name)
    if info.family != "secondary":
        raise ModelError(f"{info.name!r} is a {info.family} model, not the secondary model")
    model = SecondaryDiffusionImageNet2(int(info.config.get("base_channels", 64)))
    _load_into(model, sd, info)
    return model.eval().requires_grad_(False)


def _load_into(model: Any, sd: Mapping[str, Any], info: ModelInfo) -> None:
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        detail = " ".join(str(e).split())
        detail = detail if len(detail) < 300 else detail[:300] + " ..."
        raise ModelError(
            f"the weights of {info.name!r} do not fit its configured architecture ({detail}); "
            "for a custom model, re-import it with the right --config"
        ) from None

