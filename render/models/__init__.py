"""Registry of diffusion checkpoints: names, URLs, sha256, the cache, fetch/import/verify.

The published checkpoints are plain ``state_dict`` files written by ``torch.save``. They
live in one cache folder:

1. ``$CHROMA_MODELS`` if set;
2. otherwise the platform cache: ``$XDG_CACHE_HOME/chroma/models`` or
   ``~/.cache/chroma/models`` (Linux), ``~/Library/Caches/chroma/models`` (macOS),
   ``%LOCALAPPDATA%\\chroma\\models`` (Windows).

:func:`fetch` downloads, resumes an interrupted download (HTTP ``Range``; ``file://``
URLs resume too) and checks the sha256. :func:`import_` copies a file that was carried
over by hand (air-gapped studios) and checks it. Both report their bytes to a
:class:`ByteProgress` callback when given one (render draws no bar; ``chroma models``
passes ``chroma.progress.Progress.update_to``). Loading always
goes through ``torch.load(..., weights_only=True)`` after the sha256 check, so a file
holding anything but tensors is refused rather than executed.

Every function here is plain Python that a CLI can call; torch is imported only when a
checkpoint is loaded.
"""

from render.models.depth import load_depth_model
from render.models.loading import load_secondary, load_state_dict, load_unet
from render.models.registry import REGISTRY, ByteProgress, ModelInfo, cache_dir, get_info, sha256_file
from render.models.store import (
    ModelStatus,
    fetch,
    import_,
    list_models,
    model_path,
    verify,
)

__all__ = [
    "ByteProgress",
    "ModelInfo",
    "ModelStatus",
    "REGISTRY",
    "cache_dir",
    "get_info",
    "list_models",
    "fetch",
    "import_",
    "verify",
    "model_path",
    "sha256_file",
    "load_state_dict",
    "load_unet",
    "load_secondary",
    "load_depth_model",
]
