"""Deprecated names: the old name keeps working for one release and warns.

Use :func:`deprecated_alias` when a public function is renamed or merged into another:
the old name stays importable, calls the new function and emits a
:class:`DeprecationWarning` that names the replacement.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def warn_deprecated(old: str, new: str, stacklevel: int = 3) -> None:
    """Emit a :class:`DeprecationWarning` saying that ``old`` is deprecated in favour of ``new``.

    Parameters
    ----------
    old, new
        Qualified names (``"chroma.oklab.kelvin_color"``) of the old and the new spelling.
    stacklevel
        Passed to :func:`warnings.warn`; 3 points at the caller of the deprecated function.
    """
    warnings.warn(f"{old} is deprecated and will be removed in the next release; use {new}",
                  DeprecationWarning, stacklevel=stacklevel)


def deprecated_alias(func: F, old: str, new: str) -> F:
    """A wrapper of ``func`` under its old name ``old`` that warns, pointing at ``new``.

    Parameters
    ----------
    func
        The function that now does the work.
    old, new
        Qualified names of the deprecated and the current spelling, for the warning.

    Returns
    -------
    callable
        ``func`` wrapped: same arguments, same result, plus a :class:`DeprecationWarning`.
    """

    @functools.wraps(func)
    def alias(*args: Any, **kwargs: Any) -> Any:
        warn_deprecated(old, new)
        return func(*args, **kwargs)

    alias.__name__ = old.rsplit(".", 1)[-1]
    alias.__qualname__ = alias.__name__
    alias.__doc__ = f"Deprecated alias of :func:`{new}` (kept for one release).\n"
    return alias  # type: ignore[return-value]


__all__ = ["deprecated_alias", "warn_deprecated"]
