"""Checking a checkpoint file before it enters the cache: plain weights, the family's layout.

``chroma models import`` copies a file into the cache; what the file holds was only found
out when a render loaded it (a text file gave a ``KeyError`` traceback, a wrong shape a
failed render). :func:`check_checkpoint` runs the loader's own checks at import instead:

1. the file is read with ``torch.load(..., weights_only=True)`` (safetensors too for the
   depth family), so a pickle that would run code is refused, never executed, and a
   text, truncated or corrupt file is refused with the reason;
2. the entry's config builds its network (on PyTorch's ``meta`` device: shapes only, no
   memory, no computation), so a config that does not describe a model is refused;
3. the file's parameter names and shapes are compared with that network's, as
   ``load_state_dict`` compares them when the model loads: every name and shape for the
   diffusion UNet and the secondary model (``strict=True``), the feature layers the LPIPS
   trunk takes from torchvision's VGG16, and every parameter of a depth model (extra
   entries are ignored there, as its loader does).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from render.errors import ModelError
from render.models.registry import ModelInfo

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["Layout", "check_checkpoint", "expected_layout", "layout_problems", "raft_layout"]

#: Parameter name -> shape, in the order of the network's ``state_dict``.
Layout = dict[str, tuple[int, ...]]

_LISTED = 3  # names quoted per kind of problem in a message


def _shapes(module: torch.nn.Module) -> Layout:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def _unet(config: Mapping[str, Any]) -> Layout:
    import torch

    from render.unet import UNetConfig, UNetModel

    with torch.device("meta"):
        return _shapes(UNetModel(UNetConfig.from_published(config)))


def _secondary(config: Mapping[str, Any]) -> Layout:
    import torch

    from render.secondary import SecondaryDiffusionImageNet2

    with torch.device("meta"):
        return _shapes(SecondaryDiffusionImageNet2(int(config.get("base_channels", 64))))


def _lpips(config: Mapping[str, Any]) -> Layout:
    import torch
    from torchvision.models.vgg import cfgs, make_layers

    with torch.device("meta"):
        features = make_layers(cfgs["D"], batch_norm=False)  # torchvision's VGG16 trunk
    return {f"features.{k}": s for k, s in _shapes(features).items()}


def _depth(config: Mapping[str, Any]) -> Layout:
    import torch

    try:
        import transformers
    except ModuleNotFoundError:
        raise ModelError(
            "checking a depth model needs the optional extra 'depth' (Hugging Face transformers): "
            "pip install 'chroma-vfx[depth]'"
        ) from None
    from render.depth_preprocess import Preprocess

    cfg = dict(config)
    Preprocess.from_dict(cfg.pop("preprocess", None))
    model_type = cfg.pop("model_type", "dpt")
    with torch.device("meta"):
        model = transformers.AutoModelForDepthEstimation.from_config(
            transformers.AutoConfig.for_model(model_type, **cfg)
        )
    return _shapes(model)


def raft_layout() -> Layout:
    """Parameter names and shapes of torchvision's ``raft_large`` (built on ``meta``).

    What a ``"flow"`` family checkpoint must hold (:mod:`render.flow` loads it).

    Returns
    -------
    dict of str to tuple of int
        Parameter name to shape, in ``state_dict`` order.
    """
    import torch
    from torchvision.models.optical_flow import raft_large

    with torch.device("meta"):
        return _shapes(raft_large(weights=None))


def _flow(config: Mapping[str, Any]) -> Layout:
    return raft_layout()


_BUILDERS = {"unet": _unet, "secondary": _secondary, "lpips": _lpips, "depth": _depth, "flow": _flow}
# Families whose loader takes the file with strict=True: a name the network lacks is refused.
_STRICT = ("unet", "secondary", "flow")


def expected_layout(info: ModelInfo) -> tuple[Layout, bool]:
    """The parameter names and shapes a checkpoint of ``info`` must hold.

    The network is built from ``info.config`` on PyTorch's ``meta`` device (shapes only).

    Parameters
    ----------
    info : ModelInfo
        A registry entry (published or custom): its family and config.

    Returns
    -------
    layout : Layout
        Parameter name to shape.
    strict : bool
        True when the loader refuses names the network lacks (UNet, secondary); False
        when it ignores them (the LPIPS trunk takes VGG16's feature layers and leaves its
        classifier; a depth model loads with ``strict=False``).

    Raises
    ------
    render.errors.ModelError
        An unknown family, or a config that does not build the family's network (the
        message quotes why); a depth model without the ``depth`` extra.
    """
    build = _BUILDERS.get(info.family)
    if build is None:
        raise ModelError(f"unknown model family {info.family!r}; choose one of {', '.join(_BUILDERS)}")
    try:
        layout = build(info.config)
    except ModelError:
        raise
    except Exception as e:  # a config is user input: any failure to build is its fault
        from render.models.weights import error_detail

        raise ModelError(
            f"the config of {info.name!r} does not describe a {info.family} model "
            f"({type(e).__name__}: {error_detail(e, 200)}); give the architecture the file was trained with (--config)"
        ) from None
    return layout, info.family in _STRICT


def layout_problems(state_dict: Mapping[str, Any], layout: Layout, strict: bool = True) -> list[str]:
    """What keeps ``state_dict`` from loading into a network of ``layout``.

    Parameters
    ----------
    state_dict : Mapping[str, Any]
        Parameter name to tensor (anything with a ``shape``).
    layout : Layout
        The network's parameter names and shapes (:func:`expected_layout`).
    strict : bool, optional
        Count names the network lacks as a problem (default True).

    Returns
    -------
    list of str
        Short phrases (missing names, unexpected names, shapes that differ), each naming
        at most three parameters; empty when the file fits.
    """
    missing = [k for k in layout if k not in state_dict]
    unexpected = [k for k in state_dict if k not in layout] if strict else []
    wrong = [(k, tuple(state_dict[k].shape), s) for k, s in layout.items()
             if k in state_dict and tuple(state_dict[k].shape) != s]
    problems = []
    for what, names in (("missing", missing), ("unexpected", unexpected)):
        if names:
            more = " ..." if len(names) > _LISTED else ""
            problems.append(f"{len(names)} {what} ({', '.join(names[:_LISTED])}{more})")
    if wrong:
        shown = ", ".join(f"{k} is {list(got)} not {list(want)}" for k, got, want in wrong[:_LISTED])
        problems.append(f"{len(wrong)} of another shape ({shown}{' ...' if len(wrong) > _LISTED else ''})")
    return problems


def check_checkpoint(path: str | Path, info: ModelInfo) -> None:
    """Refuse a checkpoint file that the renderer could not load as ``info``.

    Reads the file as plain weights only (nothing in it runs), builds the family's network
    from ``info.config`` on the ``meta`` device and compares names and shapes
    (:func:`expected_layout`, :func:`layout_problems`).

    Parameters
    ----------
    path : str or pathlib.Path
        The checkpoint file.
    info : ModelInfo
        The entry it is imported as (family and config).

    Raises
    ------
    render.errors.UnsafeCheckpointError
        The file holds objects other than tensors (a pickle that could run code), or is
        not a readable checkpoint (text, truncated, corrupt).
    render.errors.ModelError
        torch is not installed, the config does not build the family's network, or the
        file's parameters do not fit it.
    """
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise ModelError(
            "checking a checkpoint needs the renderer's extra (torch): pip install \"chroma-vfx[render]\"; "
            "nothing was imported"
        )
    layout, strict = expected_layout(info)  # a bad config is refused before the file is read
    if info.family == "depth":
        from render.models.weights import load_depth_weights

        state_dict = load_depth_weights(path)
    else:
        from render.models.weights import load_state_dict

        state_dict = load_state_dict(path)
    problems = layout_problems(state_dict, layout, strict)
    if problems:
        raise ModelError(
            f"{path} does not fit the {info.family} layout of {info.name!r}: {'; '.join(problems)}. "
            "It is another model or a damaged file; nothing was imported"
            + (" (give its architecture with --config)" if info.custom else "")
        )
