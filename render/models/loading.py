"""Loading checkpoints: sha256 first, then ``torch.load(weights_only=True)`` only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from render.errors import ModelError
from render.models.registry import (
    ModelInfo,
    cached_sha256,
    check_sha256,
    get_info,
)
from render.models.store import model_path
from render.models.weights import error_detail, load_state_dict

if TYPE_CHECKING:  # pragma: no cover
    from render.secondary import SecondaryDiffusionImageNet2
    from render.unet import UNetModel


# -- loading -----------------------------------------------------------------------------
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


def _load_into(model: Any, sd: Mapping[str, Any], info: ModelInfo) -> None:
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        raise ModelError(
            f"the weights of {info.name!r} do not fit its configured architecture ({error_detail(e)}); "
            "for a custom model, re-import it with the right --config"
        ) from None

