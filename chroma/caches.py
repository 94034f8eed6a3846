"""The registry of caches that hold values derived from an OCIO config.

Modules that cache something computed from a config (loaded configs, processors, RGB <-> XYZ
matrices, white-balance and OKLab matrices...) register the cache here once, at import;
:func:`chroma.ocio.clear_caches` clears every registered cache, so that after ``$OCIO``
changes or a config file is rewritten no module keeps a value of the old config.

A cache is anything with a ``cache_clear()`` method (what :func:`functools.lru_cache` and
:func:`functools.cache` give) or a ``clear()`` method (a dict).
"""

from __future__ import annotations

import threading
from typing import Protocol, TypeVar, runtime_checkable


@runtime_checkable
class LruCache(Protocol):
    """A function cache as :func:`functools.lru_cache` makes it."""

    def cache_clear(self) -> None:
        """Forget every cached value."""


@runtime_checkable
class Clearable(Protocol):
    """A mapping cache (a dict) that is cleared in place."""

    def clear(self) -> None:
        """Forget every entry."""


C = TypeVar("C", bound="LruCache | Clearable")

_lock = threading.Lock()
_registry: list[LruCache | Clearable] = []


def register_cache(cache: C) -> C:
    """Register a cache of config-derived values, to be cleared with the configs.

    Usable as a decorator over :func:`functools.lru_cache`::

        @register_cache
        @functools.lru_cache(maxsize=64)
        def _matrix(config_path: str, colorspace: str) -> np.ndarray: ...

    Parameters
    ----------
    cache : LruCache or Clearable
        A function wrapped by :func:`functools.lru_cache` / :func:`functools.cache`, or a
        dict (anything with ``cache_clear()`` or ``clear()``).

    Returns
    -------
    LruCache or Clearable
        ``cache`` itself, unchanged.

    Raises
    ------
    TypeError
        When ``cache`` has neither ``cache_clear()`` nor ``clear()``.
    """
    if not isinstance(cache, (LruCache, Clearable)):
        raise TypeError(f"{cache!r} is not a cache: it has neither cache_clear() nor clear()")
    with _lock:
        if not any(c is cache for c in _registry):
            _registry.append(cache)
    return cache


def registered_caches() -> tuple[LruCache | Clearable, ...]:
    """The registered caches, in the order they were registered.

    Returns
    -------
    tuple of LruCache or Clearable
        Every cache :func:`register_cache` was given (each once).
    """
    with _lock:
        return tuple(_registry)


def clear_registered_caches() -> None:
    """Clear every registered cache (:func:`chroma.ocio.clear_caches` calls this)."""
    for cache in registered_caches():
        if isinstance(cache, LruCache):
            cache.cache_clear()
        else:
            cache.clear()


__all__ = ["register_cache", "registered_caches", "clear_registered_caches", "LruCache", "Clearable"]
