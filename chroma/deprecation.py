"""Deprecated names: the old name keeps working for one release and warns.

Use :func:`deprecated_alias` when a public function is renamed or merged into another:
the old name stays importable, calls the new function and emits a
:class:`DeprecationWarning` that names the replacement.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])


def warn_deprecated(old: str, new: str, stacklevel: int = 3) -> None:
    """Emit a :class:`DeprecationWarning` saying that ``old`` is deprecated in favour of ``new``.

    Parameters
    ----------
    old : str
        Qualified name of the old spelling (``"chroma.oklab.kelvin_color"``).
    new : str
        Qualified name of the new spelling.
    stacklevel : int, optional
        Passed to :func:`warnings.warn`; 3 (default) points at the caller of the
        deprecated function.
    """
    warnings.warn(f"{old} is deprecated and will be removed in the next release; use {new}",
                  DeprecationWarning, stacklevel=stacklevel)


def deprecated_alias(func: F, old: str, new: str) -> F:
    """Wrap ``func`` under its old name ``old`` so that calls warn, pointing at ``new``.

    Parameters
    ----------
    func : Callable
        The function that now does the work.
    old : str
        Qualified name of the deprecated spelling, for the warning.
    new : str
        Qualified name of the current spelling, for the warning.

    Returns
    -------
    Callable
        ``func`` wrapped: same arguments, same result, plus a :class:`DeprecationWarning`.
    """

    @functools.wraps(func)
    def _alias(*args: Any, **kwargs: Any) -> Any:  # named and documented below
        warn_deprecated(old, new)
        return func(*args, **kwargs)

    _alias.__name__ = old.rsplit(".", 1)[-1]
    _alias.__qualname__ = _alias.__name__
    _alias.__doc__ = f"Deprecated alias of :func:`{new}` (kept for one release).\n"
    return cast(F, _alias)  # same signature as func: functools.wraps keeps it


__all__ = ["deprecated_alias", "warn_deprecated"]
