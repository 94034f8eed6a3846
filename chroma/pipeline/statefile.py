"""Loop state files: a ``.npz`` compressed losslessly.

A state file is a zip of ``.npy`` arrays, readable by ``numpy.load``. The loop's state
is float32 pictures with full mantissas (the frame as the sampler left it), which deflate
barely shrinks: the low mantissa bytes are noise. Stored as byte planes (all first bytes
of the floats, then all second bytes...; the "shuffle" filter of HDF5 and Blosc), the
sign/exponent and high mantissa planes become long runs that deflate packs well.
Measured on a 1280x768 frame (a natural picture, bicubic resize, 2% noise; 11,796,992
bytes raw): ``numpy.savez_compressed`` 10,126,030 bytes in 1.14 s; byte planes + deflate
level 1 8,877,881 bytes in 0.61 s (level 6: 8,762,803 in 0.81 s; xz preset 1: 8,518,908
in 11 s). Blosc and numcodecs are not dependencies, so the planes are made with numpy here
(three lines). The planes are a reordering of the bytes: reading gives back every bit,
NaN payloads and -0.0 included.

A float array ``name`` is stored as the ``uint8`` array ``name`` of shape
``(itemsize, size)``; the JSON ``meta`` entry records its dtype and shape under
``"planes"``. Arrays of other types are stored as they are; so are all arrays of state
files written before the planes (no ``"planes"`` in their meta), which still load.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

__all__ = ["DEFLATE_LEVEL", "read_state_file", "write_state_file"]

DEFLATE_LEVEL = 1  # level 6 is 1.3% smaller and 1.3x slower (measured above)


def _to_planes(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return np.ascontiguousarray(a.view(np.uint8).reshape(-1, a.dtype.itemsize).T)


def _from_planes(planes: np.ndarray, dtype: str, shape: list[int]) -> np.ndarray:
    return np.ascontiguousarray(planes.T).view(np.dtype(dtype)).reshape(shape)


def write_state_file(fh: IO[bytes], meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Write a state file: ``meta`` as JSON and ``arrays``, float ones as byte planes, deflated.

    Parameters
    ----------
    fh : binary file
        Where to write (opened ``"wb"``).
    meta : Mapping[str, Any]
        JSON-ready facts (non-JSON values are written with ``str``); ``"planes"`` is added.
    arrays : Mapping[str, numpy.ndarray]
        The arrays, by name (not ``"meta"``).
    """
    planes: dict[str, Any] = {}
    stored: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        a = np.asarray(value)
        if a.dtype.kind == "f" and a.ndim > 0:
            planes[name] = [a.dtype.str, list(a.shape)]
            a = _to_planes(a)
        stored[name] = a
    text = json.dumps({**dict(meta), "planes": planes}, default=str)
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=DEFLATE_LEVEL) as zf:
        for name, a in {"meta": np.array(text), **stored}.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, a, allow_pickle=False)


def read_state_file(path: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a state file in full (every member read, so its zip checksum is verified).

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file.

    Returns
    -------
    meta : dict
        The JSON facts (empty when the file has none).
    arrays : dict of str to numpy.ndarray
        The arrays as they were written, bit for bit.

    Raises
    ------
    OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error
        The file is missing, truncated or not a state file.
    """
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays.pop("meta"))) if "meta" in arrays else {}
    if not isinstance(meta, dict):
        raise ValueError("its meta is not a JSON object")
    for name, (dtype, shape) in (meta.get("planes") or {}).items():
        arrays[name] = _from_planes(arrays[name], dtype, shape)
    return meta, arrays
