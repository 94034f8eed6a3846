"""Grade operations, one module per family.

The families: exposure and white balance, saturation and contrast, the ASC CDL, OCIO
looks and LUTs.

Each is a frozen dataclass that applies to float32 RGB of the grade's scene-linear working
space, gives the equivalent OCIO transforms, its inverse, and its dict form
(:class:`~chroma.grade.operations.base.Operation`).

- :mod:`~chroma.grade.operations.base`: :class:`Operation`, affine maps, exact conversions;
- :mod:`~chroma.grade.operations.light`: :class:`Exposure` (stops), :class:`WhiteBalance`
  (Kelvin, tint);
- :mod:`~chroma.grade.operations.tone`: :class:`Saturation`, :class:`Contrast`;
- :mod:`~chroma.grade.operations.cdl`: :class:`CDL` (ASC CDL v1.2) and :data:`REC709_LUMA`;
- :mod:`~chroma.grade.operations.looks`: :class:`Look` (OCIO looks), :class:`LUT` (LUT files);
- :mod:`~chroma.grade.operations.registry`: :data:`OPERATIONS`, :func:`operation_from_dict`.

Every name stays importable from here and from :mod:`chroma.grade`.
"""

from chroma.grade.operations.base import Affine, Operation, apply_affine, colorspace_transform, convert_exact
from chroma.grade.operations.cdl import CDL, REC709_LUMA
from chroma.grade.operations.light import Exposure, WhiteBalance
from chroma.grade.operations.looks import LUT, Look
from chroma.grade.operations.registry import OPERATIONS, operation_from_dict
from chroma.grade.operations.tone import Contrast, Saturation

__all__ = [
    "Affine", "Operation", "apply_affine", "colorspace_transform", "convert_exact", "Exposure", "WhiteBalance",
    "Saturation", "Contrast", "CDL", "REC709_LUMA", "Look", "LUT", "OPERATIONS", "operation_from_dict",
]
