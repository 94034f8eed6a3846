"""chroma: a colour-science-first toolkit for VFX."""

from chroma.errors import ChromaError

__version__ = "0.1.0"
__all__ = ["ChromaError", "__version__"]
