"""A grade compiled for given input/output colour spaces: consecutive affine steps
(exposure, white balance, saturation, linear colour-space conversions) fused into ONE 3x3
matrix plus offset, applied once; picklable for worker processes."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from chroma import ocio as _ocio
from chroma.grade.operations import Affine, Operation, _apply_affine, _convert

if TYPE_CHECKING:
    from chroma.grade.core import Grade


@dataclass
class _Stage:
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
    stages: list[_Stage] = field(default_factory=list)
    grade: "Grade | None" = None

    def apply_rgb(self, rgb: np.ndarray) -> np.ndarray:
        x = np.asarray(rgb, dtype=np.float32)
        for st in self.stages:
            if st.affine is not None:
                x = _apply_affine(x, *st.affine)
            elif st.convert is not None:
                x = _convert(x, st.convert[0], st.convert[1], self.config)
            else:
                x = st.op.apply_rgb(x, self.ws, self.config)  # type: ignore[union-attr]
        return np.array(x, dtype=np.float32, copy=True) if x is rgb else x.astype(np.float32, copy=False)


@functools.lru_cache(maxsize=64)
def _linear_conversion(config_path: str, src: str, dst: str) -> Affine | None:
    """The OCIO conversion src -> dst as (M, b) when it is affine (probed numerically), else None."""
    if src == dst:
        return np.eye(3), np.zeros(3)
    cpu = _ocio.processor(src, dst, config_path)
    rng = np.random.default_rng(0)
    probe = np.concatenate([np.zeros((1, 3)), np.eye(3), rng.uniform(-2, 60, (16, 3))]).astype(np.float32)
    out = _ocio.apply_cpu(cpu, probe).astype(np.float64)
    b = out[0]
    m = (out[1:4] - b).T
    pred = probe[4:].astype(np.float64) @ m.T + b
    if np.allclose(pred, out[4:], rtol=1e-5, atol=1e-5):
        return m, b
    return None
