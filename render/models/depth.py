"""Loading the depth models of the registry (family ``"depth"``) with ``transformers``.

A depth entry's ``config`` holds the ``transformers`` configuration (``model_type`` plus the
arguments of its config class, i.e. the model's ``config.json``) and optionally
``preprocess``: how images are shown to it (:class:`render.depth.Preprocess`; default:
DD's MiDaS transform). The cached file is the weights alone, in either format the hub
publishes: ``pytorch_model.bin`` (read with ``torch.load(weights_only=True)``) or
``model.safetensors`` (read with ``safetensors``, which cannot run code). Both are
recognised by their first bytes, whatever the file is called. The sha256 is checked
first where the registry has one, as for every checkpoint.
"""

from __future__ import annotations

from typing import Any

from render.errors import ModelError
from render.models.registry import cached_sha256, check_sha256, get_info
from render.models.store import model_path
from render.models.weights import error_detail, load_depth_weights

__all__ = ["load_depth_model", "load_depth_weights"]


def load_depth_model(name: str) -> tuple[Any, dict[str, Any] | None]:
    """Build the registered depth model ``name`` and load its verified weights (CPU, eval).

    Parameters
    ----------
    name : str
        Registry name of a ``"depth"`` family entry, e.g. ``"dpt_hybrid_midas"``.

    Returns
    -------
    model : Any
        A ``transformers`` depth-estimation model (e.g. ``DPTForDepthEstimation``) in
        eval mode, gradients off, on the CPU.
    preprocess : dict of str to Any, or None
        The entry's ``preprocess`` settings (:meth:`render.depth.Preprocess.from_dict`),
        or None for DD's MiDaS defaults.

    Raises
    ------
    render.errors.ModelNotFoundError
        Not cached (the message says how to fetch or import it).
    render.errors.ChecksumError
        The cached file differs from the published digest.
    render.errors.ModelError
        Not a depth model, ``transformers`` missing, or weights that do not fit.
    """
    info = get_info(name)
    if info.family != "depth":
        raise ModelError(f"{info.name!r} is a {info.family} model, not a depth model (try dpt_hybrid_midas)")
    path = model_path(info.name)  # raises with the download/import instructions
    check_sha256(info, path, cached_sha256(path) or "")
    try:
        import transformers
    except ModuleNotFoundError:
        raise ModelError(
            "depth estimation needs the optional extra 'depth' (Hugging Face transformers): "
            "pip install 'chroma-vfx[depth]'"
        ) from None
    config = dict(info.config)
    preprocess = config.pop("preprocess", None)
    model_type = config.pop("model_type", "dpt")
    try:
        cfg = transformers.AutoConfig.for_model(model_type, **config)
        model = transformers.AutoModelForDepthEstimation.from_config(cfg)
    except (ValueError, KeyError, TypeError) as e:
        raise ModelError(f"the configuration of depth model {info.name!r} is not usable by transformers ({e})") from None
    sd = load_depth_weights(path)
    try:
        result = model.load_state_dict(sd, strict=False)
    except RuntimeError as e:  # shape mismatches
        raise ModelError(
            f"the weights of {info.name!r} do not fit its configuration ({error_detail(e)}); "
            "for a custom model, re-import it with its own config.json (--config)"
        ) from None
    if result.missing_keys:
        listed = ", ".join(result.missing_keys[:5]) + (" ..." if len(result.missing_keys) > 5 else "")
        raise ModelError(
            f"the weights of {info.name!r} ({path}) do not fit its configuration: {len(result.missing_keys)} "
            f"parameters missing ({listed}); for a custom model, re-import it with its own config.json (--config)"
        )
    return model.eval().requires_grad_(False), preprocess
