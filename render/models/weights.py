"""Reading checkpoint files: plain weights only, never code.

The readers here take a file and give its tensors (``torch.load(..., weights_only=True)``,
or safetensors for the depth family); they know nothing of the cache, so the loaders
(:mod:`render.models.loading`, :mod:`render.models.depth`) and the import checks
(:mod:`render.models.checks`) share them without importing each other.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from render.errors import ChecksumError, ModelError, UnsafeCheckpointError
from render.models.registry import cache_dir, cached_sha256, sha256_file

__all__ = ["error_detail", "load_depth_weights", "load_state_dict"]


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


def load_depth_weights(path: str | Path) -> dict[str, Any]:
    """A depth model's state_dict from a ``.bin``/``.pt`` (torch) or safetensors file.

    The format is recognised by the first bytes (a zip or a pickle: torch, read with
    ``weights_only=True``; anything else: safetensors), whatever the file is called.

    Parameters
    ----------
    path : str or pathlib.Path
        The weights file.

    Returns
    -------
    dict of str to Any
        Parameter name to tensor.

    Raises
    ------
    render.errors.UnsafeCheckpointError
        If the file is neither a loadable torch checkpoint nor a safetensors file.
    render.errors.ModelError
        If ``safetensors`` is not installed.
    """
    p = Path(path)
    with open(p, "rb") as f:
        head = f.read(2)
    if head in (b"PK", b"\x80\x02") or head[:1] == b"\x80":  # torch zip, or a legacy pickle
        return load_state_dict(p)
    try:
        from safetensors.torch import load_file
    except ModuleNotFoundError:  # pragma: no cover - safetensors comes with transformers
        raise ModelError("reading safetensors needs the depth extra: pip install 'chroma-vfx[depth]'") from None
    try:
        return load_file(str(p))
    except Exception as e:  # safetensors raises its own error types
        raise UnsafeCheckpointError(
            f"{p} is neither a torch checkpoint nor a safetensors file ({type(e).__name__}: {e}); re-fetch or re-import it"
        ) from None
