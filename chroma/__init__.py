"""chroma: a colour-science-first toolkit for VFX.

The Python API mirrors the ``chroma`` command line::

    import chroma
    img = chroma.read("plate.1001.exr")            # chroma.Image, scene-linear ACEScg
    chroma.write(img, "out.1001.exr", compression="piz")

Names are imported lazily, so ``import chroma`` stays fast and never imports torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from chroma.errors import ChromaError

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "Image": "chroma.image",
    "read": "chroma.io",
    "write": "chroma.io",
    "write_display": "chroma.io",
    "ChromaWarning": "chroma.io",
    "ocio": "chroma.ocio",
    "colorimetry": "chroma.colorimetry",
    "sequence": "chroma.sequence",
    "info": "chroma.info",
    "stops": "chroma.stops",
    "whitebalance": "chroma.whitebalance",
    "grade": "chroma.grade",
    "Grade": "chroma.grade",
    "Light": "chroma.lights",
    "lights": "chroma.lights",
    "charts": "chroma.charts",
    "ambient": "chroma.ambient",
    "oklab": "chroma.oklab",
}

__all__ = ["ChromaError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chroma' has no attribute {name!r}")
    mod = importlib.import_module(module)
    value = mod if module.endswith("." + name) else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
