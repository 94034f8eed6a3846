"""Rendered frames -> scene-linear -> EXR (DESIGN.md: "The data that flows").

The renderer yields display-referred frames (values in [-1, 1], the models' own sRGB-like
encoding). :func:`frame_to_scene_linear` maps them to [0, 1] display code values and
through the *inverse* of an OCIO display/view into the working space, so a frame that is
viewed through that same view in Nuke looks as the model drew it.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np

from chroma import ocio as _ocio
from chroma.errors import ChromaValueError
from chroma.image import DEFAULT_COLORSPACE, Image


def _to_hwc(frame: Any) -> np.ndarray:
    """(3, H, W) or (1, 3, H, W) torch tensor / numpy array, or (H, W, 3) -> float32 HxWx3."""
    if hasattr(frame, "detach"):  # a torch tensor, without importing torch here
        frame = frame.detach().float().cpu().numpy()
    arr = np.asarray(frame, dtype=np.float32)
    if arr.ndim == 4:
        if arr.shape[0] != 1:
            raise ChromaValueError(f"expected one frame, got a batch of {arr.shape[0]}; pass them one at a time")
        arr = arr[0]
    if arr.ndim != 3:
        raise ChromaValueError(f"a frame must be 3 x H x W or H x W x 3, got shape {arr.shape}")
    if arr.shape[0] == 3 and arr.shape[2] != 3:
        arr = np.transpose(arr, (1, 2, 0))
    if arr.shape[2] != 3:
        raise ChromaValueError(f"a frame must have 3 colour channels, got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def frame_to_scene_linear(
    frame: Any,
    colorspace: str = DEFAULT_COLORSPACE,
    display: str | None = None,
    view: str | None = None,
    config: str | os.PathLike | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Image:
    """A rendered frame in [-1, 1] as a scene-linear :class:`Image` in ``colorspace``.

    ``display``/``view`` default to the config's default (sRGB, ACES 2.0 SDR 100 nits in
    the bundled config); the inverse of that view is applied. Values outside [-1, 1] are
    clipped first (the display encoding has no meaning beyond it).
    """
    hwc = _to_hwc(frame)
    code = np.clip((hwc + 1.0) * 0.5, 0.0, 1.0)
    cfg = _ocio.get_config(config)
    display = display or cfg.getDefaultDisplay()
    view = view or _ocio.default_view(display, colorspace, config)
    linear = _ocio.display_view(code, colorspace, display, view, inverse=True, config=config)
    meta = {"chroma/source_display": display, "chroma/source_view": view}
    meta.update({k if k.startswith("chroma/") else f"chroma/{k}": v for k, v in (metadata or {}).items()})
    return Image(linear, ["R", "G", "B"], _ocio.resolve_colorspace(colorspace, config), meta)
