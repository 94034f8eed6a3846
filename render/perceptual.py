"""LPIPS, the perceptual distance Disco Diffusion uses for ``init_scale`` and ``frames_scale``.

LPIPS (Zhang et al., *The Unreasonable Effectiveness of Deep Features as a Perceptual
Metric*, CVPR 2018, arXiv:1801.03924) compares two images through the feature maps of an
ImageNet network: each layer's features are unit-normalised along channels, their squared
difference weighted per channel by a learned linear layer, averaged over space, and the
layers summed. Disco Diffusion v5 uses the ``lpips`` package's ``LPIPS(net='vgg')``
(version 0.1) on images in [-1, 1]; so does :func:`load_lpips`.

The package carries its small linear layers, but fetches the VGG16 ImageNet backbone
(torchvision's ``vgg16-397923af.pth``, 528 MiB) from the network when built. Here the
backbone is a checkpoint of the model cache like the diffusion models, registered as
``vgg16_imagenet`` (``chroma models fetch vgg16_imagenet``, or ``chroma models import
vgg16-397923af.pth`` on an air-gapped machine; sha256 checked, loaded with
``weights_only=True``); the package is only asked for a randomly initialised trunk, which
never downloads anything.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Mapping

import torch

__all__ = ["LPIPS_BACKBONE", "build_lpips", "load_lpips", "lpips_distance"]

#: The registry name of the LPIPS backbone (render.models).
LPIPS_BACKBONE = "vgg16_imagenet"

# torchvision's vgg16.features indices held by the lpips package's five slices
_SLICES = ((1, range(0, 4)), (2, range(4, 9)), (3, range(9, 16)), (4, range(16, 23)), (5, range(23, 30)))

_LOADED: dict[str, Any] = {}
_BUILD_LOCK = threading.Lock()


def _vgg16_features_only(*args: Any, **kwargs: Any) -> Any:
    """torchvision's VGG16 without its classifier: an object with ``features``."""
    from types import SimpleNamespace

    from torchvision.models.vgg import cfgs, make_layers

    return SimpleNamespace(features=make_layers(cfgs["D"], batch_norm=False))


def build_lpips(backbone: Mapping[str, torch.Tensor] | None = None, seed: int = 0) -> torch.nn.Module:
    """The ``lpips`` package's ``LPIPS(net='vgg')``, its trunk loaded from ``backbone``.

    Parameters
    ----------
    backbone : Mapping[str, torch.Tensor] or None, optional
        A torchvision VGG16 state_dict (``features.N.weight`` ...; the classifier is
        ignored). Default None: a randomly initialised trunk (tests).
    seed : int, optional
        Seed of the random initialisation (the caller's RNG is left untouched); the
        package's linear layers are its own published weights either way. Default 0.

    Returns
    -------
    torch.nn.Module
        The module, frozen, in eval mode, on the CPU: ``module(a, b)`` gives
        ``(N, 1, 1, 1)`` distances of images in [-1, 1].

    Raises
    ------
    render.errors.ModelError
        If ``backbone`` lacks VGG16's feature layers.

    References
    ----------
    Zhang, Isola, Efros, Shechtman & Wang 2018, *The Unreasonable Effectiveness of Deep
    Features as a Perceptual Metric*, arXiv:1801.03924; the ``lpips`` package 0.1.
    """
    import warnings
    from unittest import mock

    import lpips

    # The package builds a whole torchvision VGG16 and keeps only its `features`; the
    # classifier's 124M parameters took 4.2 s to initialise here, for nothing. Hand it
    # the feature layers alone (torchvision's own make_layers, configuration "D").
    with _BUILD_LOCK, torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        torch.manual_seed(seed)
        warnings.simplefilter("ignore")  # torchvision's deprecation of `pretrained=`
        with mock.patch.object(lpips.pretrained_networks.tv, "vgg16", _vgg16_features_only):
            model = lpips.LPIPS(net="vgg", pnet_rand=True, verbose=False)
    if backbone is not None:
        mapped = {}
        for slice_no, indices in _SLICES:
            for i in indices:
                for kind in ("weight", "bias"):
                    key = f"features.{i}.{kind}"
                    if key in backbone:
                        mapped[f"slice{slice_no}.{i}.{kind}"] = backbone[key]
        expected = set(model.net.state_dict())
        if set(mapped) != expected:
            from render.errors import ModelError

            raise ModelError(
                f"the LPIPS backbone is not torchvision's VGG16 (missing {sorted(expected - set(mapped))[:3]}); "
                f"fetch the published file with `chroma models fetch {LPIPS_BACKBONE}`"
            )
        model.net.load_state_dict(mapped, strict=True)
    return model.eval().requires_grad_(False)


def load_lpips(device: torch.device | str = "cpu") -> torch.nn.Module:
    """LPIPS with the cached VGG16 backbone (sha256 checked), kept loaded per device.

    Parameters
    ----------
    device : torch.device or str, optional
        Where to run it. Default ``"cpu"``.

    Returns
    -------
    torch.nn.Module
        The module of :func:`build_lpips`, the same object on later calls for the same
        device.

    Raises
    ------
    render.errors.ModelNotFoundError
        The backbone is not in the model cache (the message says where it is expected
        and how to fetch or import it).
    render.errors.ChecksumError
        The cached backbone differs from the published digest.
    """
    from render import models

    key = str(torch.device(device))
    if key not in _LOADED:
        info = models.get_info(LPIPS_BACKBONE)
        path = models.model_path(LPIPS_BACKBONE)
        sd = models.load_state_dict(path, expected_sha256=info.sha256)
        _LOADED[key] = build_lpips(sd).to(device)
    return _LOADED[key]


def lpips_distance(
    model: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor
) -> torch.Tensor:
    """LPIPS distance per image.

    Parameters
    ----------
    model : Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
        An LPIPS module (:func:`load_lpips`) or any callable with its signature,
        giving ``(N, ...)`` distances.
    x : torch.Tensor
        ``(N, 3, H, W)`` images in [-1, 1]; the distance is differentiable in ``x``.
    y : torch.Tensor
        The reference images, ``(N, 3, H, W)`` or broadcastable, in [-1, 1]; moved to
        ``x``'s device and dtype.

    Returns
    -------
    torch.Tensor
        ``(N,)`` distances (the model's output summed per image).
    """
    return model(x, y.to(x)).view(x.shape[0], -1).sum(1)
