"""The grade operations by kind name, and an operation read back from its dict form.

:data:`OPERATIONS` maps each kind to its class; :func:`operation_from_dict` reads the form
grade files (TOML, JSON) store.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from chroma.errors import ChromaValueError
from chroma.grade.operations.base import Operation
from chroma.grade.operations.cdl import CDL, _InverseCDL
from chroma.grade.operations.light import Exposure, WhiteBalance
from chroma.grade.operations.looks import LUT, Look
from chroma.grade.operations.tone import Contrast, Saturation

OPERATIONS: dict[str, type[Operation]] = {
    cls.kind: cls for cls in (Exposure, WhiteBalance, CDL, Contrast, Saturation, Look, LUT)
}


def operation_from_dict(d: dict[str, Any], base: Path | None = None) -> Operation:
    """An operation from its dict form (``{"type": "exposure", "stops": 1.0}``).

    Parameters
    ----------
    d : dict
        ``type`` (an :data:`OPERATIONS` key or ``"cdl_inverse"``) and the operation's fields.
    base : pathlib.Path or None, optional
        Folder a relative LUT path is relative to; default None: the current folder.

    Returns
    -------
    Operation
        The operation.

    Raises
    ------
    chroma.errors.ChromaValueError
        When the type or a field is unknown or a value is invalid.
    """
    d = dict(d)
    kind = d.pop("type", None)
    if kind == "cdl_inverse":
        return _InverseCDL(CDL(**d))
    cls = OPERATIONS.get(str(kind))
    if cls is None:
        from chroma.errors import closest

        hint = closest(str(kind), OPERATIONS)
        raise ChromaValueError(f"unknown grade operation type {kind!r}" + (f"; {hint}" if hint else "")
                               + f" (known: {', '.join(OPERATIONS)})")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(d) - names
    if unknown:
        raise ChromaValueError(f"{kind} has no field(s) {', '.join(sorted(unknown))} (fields: {', '.join(sorted(names))})")
    if cls is LUT and base is not None and not os.path.isabs(d.get("path", "")):
        d["path"] = str(base / d["path"])
    try:
        return cls(**d)
    except TypeError as exc:
        raise ChromaValueError(f"bad {kind} operation: {exc}") from None
