"""chroma's CLIP-guided diffusion core (torch + open_clip; no colour management).

Quick start::

    import render
    settings = render.RenderSettings(width_height=(1280, 768), steps=250)
    for step in render.Renderer(settings).sample(["a lighthouse in a storm:1"], seed=7):
        if step.final:
            frame = step.image            # (1, 3, 768, 1280) tensor in [-1, 1]

Submodules load lazily: ``render.errors`` and ``render.models`` (list/fetch/import/verify)
work without importing torch; the networks and the renderer import it on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from render.errors import RenderError

__all__ = ["RenderError", "Renderer", "RenderSettings", "RenderStep", "models", "errors"]

_LAZY = {
    "Renderer": ("render.renderer", "Renderer"),
    "RenderSettings": ("render.renderer", "RenderSettings"),
    "RenderStep": ("render.renderer", "RenderStep"),
}

if TYPE_CHECKING:  # pragma: no cover
    from render.renderer import Renderer, RenderSettings, RenderStep


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    try:
        return importlib.import_module(f"render.{name}")
    except ModuleNotFoundError as e:
        if e.name == f"render.{name}":
            raise AttributeError(f"module 'render' has no attribute {name!r}") from None
        raise
