"""Writing a shot as TOML text."""

from __future__ import annotations

from typing import Any, Mapping

from chroma.errors import ChromaValueError

__all__ = ["dump_shot"]


def _no_null(value: Any, where: str) -> None:
    """Refuse a None anywhere in ``value`` (TOML has no null), naming its key."""
    if value is None:
        raise ChromaValueError(f"{where} is null, which a shot file cannot hold; leave the key out for its default")
    if isinstance(value, Mapping):
        for k, v in value.items():
            _no_null(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, (list, tuple)):
        for v in value:
            _no_null(v, where)


def dump_shot(data: Mapping[str, Any], header: str = "") -> str:
    """Write a shot dict (the schema of docs/shots.md) as TOML text.

    Top-level keys first, then the tables; keys of the frame-keyed tables are written
    bare (``0 = [...]``).

    Parameters
    ----------
    data : Mapping[str, Any]
        The shot as parsed TOML (tuples are written as arrays).
    header : str, optional
        Comment lines at the top.

    Returns
    -------
    str
        The TOML text.

    Raises
    ------
    chroma.errors.ChromaValueError
        A value TOML cannot hold (None: TOML has no null), naming its key.
    """
    import tomlkit

    _no_null(dict(data), "")

    doc = tomlkit.document()
    if header:
        for line in header.splitlines():
            doc.add(tomlkit.comment(line))
    for key, value in data.items():
        if not isinstance(value, Mapping):
            doc.add(key, value)
    for key, value in data.items():
        if isinstance(value, Mapping):
            table = tomlkit.table()
            for k, v in value.items():
                table.add(str(k), dict(v) if isinstance(v, Mapping) else (list(v) if isinstance(v, tuple) else v))
            doc.add(key, table)
    return tomlkit.dumps(doc)
