"""Lazy, quiet access to colour-science (imported on first use: it takes ~0.5 s)."""

from __future__ import annotations

import functools
import warnings


@functools.cache
def colour():
    """The ``colour`` module, imported once with its optional-dependency warnings hidden."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import colour as _colour

        _colour.utilities.filter_warnings(colour_usage_warnings=True, python_warnings=False)
    return _colour
