"""Grade operations on tone and colourfulness: saturation and contrast.

:class:`Saturation` scales colour around the working space's luma (a 3x3 matrix);
:class:`Contrast` is a power curve around a pivot, in stops.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import PyOpenColorIO as ocio

from chroma import colorimetry
from chroma.errors import ChromaValueError
from chroma.grade.operations.base import Affine, Operation, finite_number, matrix_transform


@dataclass(frozen=True)
class Saturation(Operation):
    """Saturation around the working space's luminance: ``Y + s * (rgb - Y)``.

    Y uses the space's own luminance weights (ACEScg: 0.2722 R + 0.6741 G + 0.0537 B).

    Attributes
    ----------
    saturation : float
        ``s`` >= 0: 0 is greyscale, 1 leaves colours as they are.

    Raises
    ------
    chroma.errors.ChromaValueError
        When ``saturation`` is negative or not finite.
    """

    saturation: float
    kind: ClassVar[str] = "saturation"

    def __post_init__(self) -> None:
        s = finite_number(self.saturation, "saturation")
        if s < 0:
            raise ChromaValueError(f"saturation {s:g} is negative; 0 is greyscale, 1 leaves colours as they are")
        object.__setattr__(self, "saturation", s)

    def affine(self, ws: str, config: str | os.PathLike | None = None) -> Affine:
        """The saturation as ``M @ rgb + b``: ``M = (1 - s) 1 w^T + s I``, ``b = 0``.

        ``w`` are the working space's luminance weights (:func:`chroma.colorimetry.luminance_weights`).

        Parameters
        ----------
        ws : str
            The grade's working colour space (scene-linear, canonical name).
        config : str or os.PathLike or None, optional
            OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

        Returns
        -------
        tuple of numpy.ndarray
            ``(M, b)``: the 3x3 matrix (on column vectors) and the offset (3,), float64.
        """
        w = np.asarray(colorimetry.luminance_weights(ws, config), dtype=np.float64)
        s = self.saturation
        return (1.0 - s) * np.outer(np.ones(3), w) + s * np.eye(3), np.zeros(3)

    def inverse(self) -> "Saturation | None":
        """The inverse saturation, ``1 / s``.

        Returns
        -------
        Saturation or None
            ``Saturation(1 / s)``; None for ``s = 0`` (greyscale cannot be undone).
        """
        return Saturation(1.0 / self.saturation) if self.saturation > 0 else None


@dataclass(frozen=True)
class Contrast(Operation):
    """Contrast around ``pivot`` in stops: ``pivot * (x / pivot) ** contrast`` per channel.

    Log2 distances from the pivot scale by ``contrast``; x <= 0 passes through.

    Attributes
    ----------
    contrast : float
        The scale of log2 distances from the pivot, > 0; 1 leaves the image as it is.
    pivot : float, optional
        The scene-linear value left unchanged, > 0; default 0.18 (mid-grey).

    Raises
    ------
    chroma.errors.ChromaValueError
        When ``contrast`` or ``pivot`` is not a positive finite number.
    """

    contrast: float
    pivot: float = 0.18
    kind: ClassVar[str] = "contrast"

    def __post_init__(self) -> None:
        c = finite_number(self.contrast, "contrast")
        p = finite_number(self.pivot, "contrast pivot")
        if c <= 0:
            raise ChromaValueError(f"contrast {c:g} must be positive (1 leaves the image as it is)")
        if p <= 0:
            raise ChromaValueError(f"contrast pivot {p:g} must be a positive scene-linear value (mid-grey is 0.18)")
        object.__setattr__(self, "contrast", c)
        object.__setattr__(self, "pivot", p)

    def apply_rgb(self, rgb: np.ndarray, ws: str, config: str | os.PathLike | None = None) -> np.ndarray:
        """Apply the contrast per channel; values <= 0 pass through.

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
        x = np.asarray(rgb, dtype=np.float32)
        p = np.float32(self.pivot)
        pos = x > 0
        out = x.copy()
        out[pos] = p * np.power(x[pos] / p, np.float32(self.contrast))
        return out

    def transforms(self, ws: str, config: str | os.PathLike | None = None) -> list[ocio.Transform]:
        """The contrast as OCIO transforms: divide by the pivot, power, multiply back.

        The ExponentTransform passes negatives through (``NEGATIVE_PASS_THRU``), as :meth:`apply_rgb`.

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
        exp = ocio.ExponentTransform(value=[self.contrast] * 3 + [1.0], negativeStyle=ocio.NEGATIVE_PASS_THRU)
        return [matrix_transform(np.eye(3) / self.pivot), exp, matrix_transform(np.eye(3) * self.pivot)]

    def inverse(self) -> "Contrast":
        """The inverse contrast around the same pivot.

        Returns
        -------
        Contrast
            ``Contrast(1 / contrast, pivot)``.
        """
        return Contrast(1.0 / self.contrast, self.pivot)
