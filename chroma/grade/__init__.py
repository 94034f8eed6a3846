"""Grades: an ordered, serialisable list of colour operations, applied as a pure function
on float32 pixels, and exported as an OCIO transform, an ASC CDL (.cc/.cdl) or a baked .cube.

Operations act on RGB of the grade's working colour space (scene-linear ACEScg by default,
the config's ``scene_linear`` role):

* :class:`Exposure` - stops, ``x * 2**stops``.
* :class:`WhiteBalance` - from a white in Kelvin/tint to another (chromatic adaptation,
  CAT16 by default, see :mod:`chroma.whitebalance`).
* :class:`CDL` - ASC CDL slope/offset/power/saturation (ASC CDL v1.2). By default it is
  applied in the config's ``color_timing`` space (ACEScct) with the spec's clamping
  (``style="asc"``: values clamped to [0, 1] after SOP and after saturation, so negatives never
  reach the power), the way ACES pipelines exchange CDLs; ``style="no_clamp"`` is OCIO's
  default (negatives bypass the power). Saturation uses Rec.709 luma, as the spec says.
* :class:`Contrast` - ``pivot * (x / pivot) ** contrast`` per channel: contrast around a pivot
  in stops (log2 slope), mid-grey 0.18 by default; x <= 0 passes through.
* :class:`Saturation` - ``Y + s * (rgb - Y)`` with the working space's own luma weights.
* :class:`Look` - an OCIO look of the config.
* :class:`LUT` - a LUT file OCIO reads (.cube, .spi3d, .clf...), optionally in another space.

Consecutive affine operations (exposure, white balance, saturation, linear colour-space
changes) are composed into ONE 3x3 matrix plus offset and applied once.

The package: operations (:mod:`chroma.grade.operations`), compiling a grade with its affine
fusion (:mod:`chroma.grade.compiled`), the :class:`Grade` with its serialisation and exports
(:mod:`chroma.grade.core`), grading files and frame sequences (:mod:`chroma.grade.frames`).
"""

from chroma.grade.compiled import CompiledGrade
from chroma.grade.core import Grade, GradeWarning, LutError
from chroma.grade.frames import (
    SequenceGrade,
    SequenceResult,
    compile_for,
    grade_file,
    grade_frames,
    grade_sequence,
    grade_work,
    matched_exposure,
    prepare_sequence,
    warn_if_identity,
)
from chroma.grade.frames import file_colorspace as file_colorspace
from chroma.grade.operations import (
    CDL,
    LUT,
    OPERATIONS,
    REC709_LUMA,
    Contrast,
    Exposure,
    Look,
    Operation,
    Saturation,
    WhiteBalance,
    operation_from_dict,
)
from chroma.grade.operations import (
    Affine as Affine,
)

__all__ = [
    "Grade", "CompiledGrade", "Operation", "Exposure", "WhiteBalance", "CDL", "Contrast", "Saturation",
    "Look", "LUT", "OPERATIONS", "operation_from_dict", "REC709_LUMA", "grade_file", "grade_frames",
    "GradeWarning", "LutError", "grade_sequence", "prepare_sequence", "matched_exposure", "warn_if_identity",
    "SequenceGrade", "SequenceResult", "grade_work", "compile_for",
]
