"""Lazy, quiet access to colour-science (imported on first use: it takes ~0.5 s).

``import chroma`` never imports colour-science; the modules that use it call
:func:`colour` inside their functions.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any


@functools.cache
def colour() -> Any:
    """The ``colour`` module, imported once with its optional-dependency warnings hidden.

    Returns
    -------
    module
        The ``colour`` package (colour-science).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import colour as _colour

        _colour.utilities.filter_warnings(colour_usage_warnings=True, python_warnings=False)
    return _colour
