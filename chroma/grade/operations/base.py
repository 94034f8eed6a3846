"""The base of grade operations: :class:`Operation`, affine maps and exact conversions.

Affine maps are ``M @ rgb + b``; the exact OCIO conversions are the ones the operations
share.

An operation is a frozen dataclass that applies to float32 RGB of the grade's scene-linear
working space, gives the equivalent OCIO transforms, its inverse, and its dict form. The
operations themselves live by family: :mod:`~chroma.grade.operations.light` (exposure,
white balance), :mod:`~chroma.grade.operations.tone` (saturation, contrast),
:mod:`~chroma.grade.operations.cdl` (ASC CDL), :mod:`~chroma.grade.operations.looks`
(OCIO looks, LUTs).

References
----------
OpenColorIO documentation (https://opencolorio.readthedocs.io): MatrixTransform,
ColorSpaceTransform, exact (unoptimised) processors.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import PyOpenColorIO as ocio

from chroma import ocio as _ocio
from chroma.errors import ChromaValueError

Affine = tuple[np.ndarray, np.ndarray]  # (3x3 matrix on column vectors, offset(3,))


def rgb_triple(value: Any, name: str) -> tuple[float, float, float]:
    """Three finite numbers R, G, B from a tuple, ``"R,G,B"`` text or one number for all three.

    Parameters
    ----------
    value : Any
        A sequence of three numbers, text such as ``"1.1,1,0.9"`` (commas or spaces), or one
        number.
    name : str
        The parameter's name, for the error message.

    Returns
    -------
    tuple of float
        (R, G, B).

    Raises
    ------
    chroma.errors.ChromaValueError
        Not three numbers, or one of them not finite.
    """
    if isinstance(value, str):
        value = [v for v in value.replace(" ", ",").split(",") if v]
    if isinstance(value, (int, float)):
        value = (value, value, value)
    try:
        out = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise ChromaValueError(f"{name} must be three numbers R,G,B (e.g. 1.1,1.0,0.9), not {value!r}") from None
    if len(out) != 3 or not all(math.isfinite(v) for v in out):
        raise ChromaValueError(f"{name} must be three finite numbers R,G,B, not {value!r}")
    return out[0], out[1], out[2]


def finite_number(value: Any, name: str) -> float:
    """A finite float from ``value``.

    Parameters
    ----------
    value : Any
        A number or its text.
    name : str
        The parameter's name, for the error message.

    Returns
    -------
    float
        The value.

    Raises
    ------
    chroma.errors.ChromaValueError
        Not a number, or not finite.
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ChromaValueError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(v):
        raise ChromaValueError(f"{name} must be finite, not {value!r}")
    return v


def matrix_transform(m: np.ndarray, b: np.ndarray | None = None) -> ocio.MatrixTransform:
    """The OCIO MatrixTransform of ``M @ rgb + b`` (alpha untouched).

    Parameters
    ----------
    m : numpy.ndarray
        3x3 matrix on column vectors.
    b : numpy.ndarray or None, optional
        Offset (3,); default None: no offset.

    Returns
    -------
    PyOpenColorIO.MatrixTransform
        The 4x4 transform.
    """
    m44 = np.eye(4)
    m44[:3, :3] = m
    off = [0.0, 0.0, 0.0, 0.0]
    if b is not None:
        off[:3] = [float(v) for v in b]
    return ocio.MatrixTransform(matrix=[float(v) for v in m44.ravel()], offset=off)


def colorspace_transform(src: str, dst: str) -> ocio.ColorSpaceTransform:
    """The OCIO ColorSpaceTransform ``src -> dst``, for building grade groups.

    Parameters
    ----------
    src : str
        Canonical name of the source colour space.
    dst : str
        Canonical name of the destination colour space.

    Returns
    -------
    PyOpenColorIO.ColorSpaceTransform
        The transform.
    """
    return ocio.ColorSpaceTransform(src=src, dst=dst)


@dataclass(frozen=True)
class Operation:
    """Base of grade operations: a frozen dataclass with a ``kind`` name.

    A subclass defines :meth:`affine` when it is ``M @ rgb + b`` in the working space (then
    :meth:`apply_rgb` and :meth:`transforms` follow from it), or overrides both.
    """

    kind: ClassVar[str] = ""

    def affine(self, ws: str, config: str | os.PathLike | None = None) -> Affine | None:
        """The operation as ``M @ rgb + b`` in the working space, when it is affine.

        Parameters
        ----------
        ws : str
            The grade's working colour space (scene-linear, canonical name).
        config : str or os.PathLike or None, optional
            OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

        Returns
        -------
        tuple of numpy.ndarray or None
            ``(M, b)``: the 3x3 matrix and the offset (3,), float64; None when the operation is
            not affine (the base class: None).
        """
        return None

    def apply_rgb(self, rgb: np.ndarray, ws: str, config: str | os.PathLike | None = None) -> np.ndarray:
        """Apply the operation to working-space RGB pixels.

        The base class applies :meth:`affine`.

        Parameters
        ----------
        rgb : numpy.ndarray
            Pixels (..., 3) in ``ws``, float32.
        ws : str
            The grade's working colour space (scene-linear, canonical name).
        config : str or os.PathLike or None, optional
            OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

        Returns
        -------
        numpy.ndarray
            New float32 pixels (..., 3) in ``ws``.
        """
        return apply_affine(rgb, *self._affine_or_raise(ws, config))

    def transforms(self, ws: str, config: str | os.PathLike | None = None) -> list[ocio.Transform]:
        """OCIO transforms that give the same pixels as :meth:`apply_rgb`.

        The base class gives one MatrixTransform of :meth:`affine`.

        Parameters
        ----------
        ws : str
            The grade's working colour space (scene-linear, canonical name).
        config : str or os.PathLike or None, optional
            OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

        Returns
        -------
        list of PyOpenColorIO.Transform
            Transforms from ``ws`` to ``ws``, in order.
        """
        return [matrix_transform(*self._affine_or_raise(ws, config))]

    def _affine_or_raise(self, ws: str, config: str | os.PathLike | None) -> Affine:
        aff = self.affine(ws, config)
        if aff is None:  # a subclass that is not affine overrides apply_rgb and transforms
            raise NotImplementedError(f"{type(self).__name__} is not affine and must define apply_rgb/transforms")
        return aff

    def inverse(self) -> "Operation | None":
        """The inverse operation.

        Returns
        -------
        Operation or None
            The operation that undoes this one; None when there is none (the base class).
        """
        return None

    def to_dict(self) -> dict[str, Any]:
        """The operation as plain data: ``{"type": kind, field: value, ...}``.

        Tuples become lists and None fields are left out, so the dict is JSON and TOML ready.

        Returns
        -------
        dict
            The dict :func:`operation_from_dict` reads back.
        """
        d: dict[str, Any] = {"type": self.kind}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is None:
                continue
            d[f.name] = list(v) if isinstance(v, tuple) else v
        return d

    def describe(self) -> str:
        """The operation in one line, e.g. ``exposure(stops=1.5)``.

        Returns
        -------
        str
            The kind and its fields.
        """
        args = ", ".join(
            f"{k}={v}" for k, v in self.to_dict().items() if k != "type"
        )
        return f"{self.kind}({args})"


def apply_affine(rgb: np.ndarray, m: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Apply an affine grade step ``rgb @ m.T + b`` in float32.

    Parameters
    ----------
    rgb : numpy.ndarray
        Pixels (..., 3).
    m : numpy.ndarray
        3x3 matrix on column vectors.
    b : numpy.ndarray
        Offset (3,); all zeros skips the addition.

    Returns
    -------
    numpy.ndarray
        New float32 pixels (..., 3).
    """
    rgb = np.asarray(rgb, dtype=np.float32)
    out = rgb @ np.asarray(m, dtype=np.float32).T
    if np.any(b):
        out += np.asarray(b, dtype=np.float32)
    return out



def convert_exact(rgb: np.ndarray, src: str, dst: str, config: str | os.PathLike | None = None) -> np.ndarray:
    """OCIO colour-space conversion with exact maths.

    OCIO's default optimisation uses fast approximate log/exp/pow (about 1e-4 relative
    error); a grade aims to match its exact form.

    Parameters
    ----------
    rgb : numpy.ndarray
        Pixels (..., 3) in ``src``.
    src : str
        Source colour space.
    dst : str
        Destination colour space.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    numpy.ndarray
        New float32 pixels (..., 3) in ``dst`` (a copy when ``src == dst``).
    """
    if src == dst:
        return np.array(rgb, dtype=np.float32, copy=True)
    return _ocio.apply_cpu(_ocio.processor(src, dst, config, exact=True), rgb)
