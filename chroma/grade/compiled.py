"""A grade compiled for given input/output colour spaces.

Consecutive affine steps (exposure, white balance, saturation, linear colour-space
conversions) are fused into ONE 3x3 matrix plus offset, applied once; the result is
picklable for worker processes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import PyOpenColorIO as ocio

from chroma import ocio as _ocio
from chroma.caches import register_cache
from chroma.grade.operations import Affine, Operation, apply_affine, convert_exact


class SourceGrade(Protocol):
    """What a compiled grade keeps of the grade it was compiled from (a :class:`chroma.grade.Grade`).

    Declared here, not imported, so that :mod:`chroma.grade.core` (which compiles) and this
    module (the compiled form) import in one direction only.
    """

    def compile(self, src: str | None = None, dst: str | None = None) -> CompiledGrade:
        """Compile the grade again, for other colour spaces.

        Parameters
        ----------
        src : str or None, optional
            Colour space of the pixels given to the compiled grade.
        dst : str or None, optional
            Colour space of the result.

        Returns
        -------
        CompiledGrade
            The grade bound to ``src`` and ``dst``.
        """

    def to_json(self) -> str:
        """The grade as compact JSON, as stored in image metadata.

        Returns
        -------
        str
            The JSON text.
        """


@dataclass
class Stage:
    """One step of a compiled grade: an affine map, an operation, or an OCIO conversion."""

    affine: Affine | None = None
    op: Operation | None = None
    convert: tuple[str, str] | None = None


@dataclass
class CompiledGrade:
    """A grade bound to input/output colour spaces, with affine runs fused into one matrix.

    Picklable (matrices are precomputed), so worker processes need no colour-science.
    """

    src: str
    dst: str
    ws: str
    config: str | None
    stages: list[Stage] = field(default_factory=list)
    grade: SourceGrade | None = None

    def apply_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """Apply the compiled grade to RGB pixels.

        Parameters
        ----------
        rgb : numpy.ndarray
            Pixels (..., 3) in ``src``; scene-linear or as ``src`` encodes them.

        Returns
        -------
        numpy.ndarray
            The graded float32 pixels (..., 3) in ``dst``; never the input array itself.
        """
        x = np.asarray(rgb, dtype=np.float32)
        for st in self.stages:
            if st.affine is not None:
                x = apply_affine(x, *st.affine)
            elif st.convert is not None:
                x = convert_exact(x, st.convert[0], st.convert[1], self.config)
            elif st.op is not None:
                x = st.op.apply_rgb(x, self.ws, self.config)
        return np.array(x, dtype=np.float32, copy=True) if x is rgb else x.astype(np.float32, copy=False)


@register_cache
@functools.lru_cache(maxsize=64)
def linear_conversion(config_path: str, src: str, dst: str) -> Affine | None:
    """The OCIO conversion ``src -> dst`` as ``(M, b)`` when it is affine, else None.

    ``y = M @ x + b`` in float64. Read from the ops OCIO builds for it (``Processor.createGroupTransform()``, which resolves
    every op to the forward direction): the conversion is affine exactly when every op is a
    ``MatrixTransform``; their 4x4 matrices and offsets are composed in float64.

    Parameters
    ----------
    config_path : str
        OCIO config path (:func:`chroma.ocio.config_path`).
    src : str
        Canonical name of the source colour space.
    dst : str
        Canonical name of the destination colour space.

    Returns
    -------
    tuple of numpy.ndarray or None
        ``(M, b)``: the 3x3 matrix and the offset (3,), float64; None when an op of the
        conversion is not a forward 3x3 matrix (a log curve, a LUT...).

    References
    ----------
    OpenColorIO documentation, ``Processor.createGroupTransform`` and ``MatrixTransform``,
    https://opencolorio.readthedocs.io
    """
    if src == dst:
        return np.eye(3), np.zeros(3)
    cfg = _ocio.get_config(config_path)
    m, b = np.eye(3), np.zeros(3)
    for t in cfg.getProcessor(src, dst).createGroupTransform():
        if not isinstance(t, ocio.MatrixTransform):
            return None
        m44 = np.asarray(t.getMatrix(), np.float64).reshape(4, 4)
        off = np.asarray(t.getOffset(), np.float64)
        if not np.allclose(m44[3], [0, 0, 0, 1]) or not np.allclose(m44[:3, 3], 0):
            return None  # alpha mixes into colour: not a 3x3 map
        if t.getDirection() != ocio.TRANSFORM_DIR_FORWARD:
            return None  # OCIO resolves directions into forward ops here; anything else takes the exact path
        mt, bt = m44[:3, :3], off[:3]
        m, b = mt @ m, mt @ b + bt
    return m, b
