"""Grade operations on the light: its level and its colour.

:class:`Exposure` changes the level in stops; :class:`WhiteBalance` takes a white in
Kelvin and tint to another.

Both are 3x3 matrices in the working space, so a grade fuses them with its other affine
steps into one matrix (:mod:`chroma.grade.compiled`).

References
----------
Chromatic adaptation: :mod:`chroma.whitebalance` (CAT16 by default); C. Li et al., CAT16,
Color Res. Appl. 42(6), 2017.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from chroma.errors import ChromaValueError
from chroma.grade.operations.base import Affine, Operation, finite_number

if TYPE_CHECKING:
    from chroma.whitebalance import Locus


@dataclass(frozen=True)
class Exposure(Operation):
    """Exposure change in stops: ``rgb * 2**stops`` (+1 doubles the light).

    Attributes
    ----------
    stops : float
        Exposure change in stops, within +/-64.

    Raises
    ------
    chroma.errors.ChromaValueError
        When ``stops`` is not a finite number within +/-64.
    """

    stops: float
    kind: ClassVar[str] = "exposure"

    def __post_init__(self) -> None:
        s = finite_number(self.stops, "exposure (stops)")
        if abs(s) > 64:
            raise ChromaValueError(f"exposure {s:g} stops is beyond +/-64 stops; did you mean a multiplier?")
        object.__setattr__(self, "stops", s)

    def affine(self, ws: str, config: str | os.PathLike | None = None) -> Affine:
        """The exposure as ``M @ rgb + b``: ``M = 2**stops * I``, ``b = 0``.

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
        return np.eye(3) * 2.0 ** self.stops, np.zeros(3)

    def inverse(self) -> "Exposure":
        """The opposite exposure.

        Returns
        -------
        Exposure
            ``Exposure(-stops)``.
        """
        return Exposure(-self.stops)


@dataclass(frozen=True)
class WhiteBalance(Operation):
    """White balance from the white (from_kelvin, from_tint) to (to_kelvin, to_tint).

    A neutral lit by the ``from`` white becomes the ``to`` white: a von Kries chromatic
    adaptation with the ``method`` cone space, as a 3x3 matrix in the working space
    (:func:`chroma.whitebalance.white_balance_matrix`). To make a grey card neutral in ACEScg
    set ``to_kelvin`` to the ACES white (~6000 K, see
    :func:`chroma.whitebalance.colorspace_white_xy`); the default 6504 K is D65.

    Attributes
    ----------
    from_kelvin : float
        Correlated colour temperature of the white to correct, 1000 K to 25000 K.
    to_kelvin : float, optional
        The white it becomes, in Kelvin; default 6504 K (D65 on the daylight locus).
    from_tint : float, optional
        Duv of the ``from`` white (CIE 1960 UCS, + green, - magenta), within +/-0.05; default 0.
    to_tint : float, optional
        Duv of the ``to`` white; default 0.
    method : str, optional
        Chromatic adaptation transform: ``"CAT16"`` (default), ``"Bradford"``, ``"CAT02"``,
        ``"von Kries"`` (case-insensitive).
    locus : {"auto", "planckian", "daylight"}, optional
        Locus the Kelvin values are on; default ``"auto"``: Planckian below 4000 K, CIE
        daylight from 4000 K.

    Raises
    ------
    chroma.errors.ChromaValueError
        When a Kelvin value, a tint, the method or the locus is out of range or unknown.

    References
    ----------
    CIE 015:2018 *Colorimetry* (daylight locus); Y. Ohno, "Practical Use and Calculation of
    CCT and Duv", LEUKOS 10(1), 2014 (colour-science's "Ohno 2013"); C. Li et al., CAT16,
    Color Res. Appl. 42(6), 2017; CIE 159:2004 (CAT02); K. M. Lam, 1985 (Bradford).
    """

    from_kelvin: float
    to_kelvin: float = 6504.0
    from_tint: float = 0.0
    to_tint: float = 0.0
    method: str = "CAT16"
    locus: Locus = "auto"
    kind: ClassVar[str] = "white_balance"

    def __post_init__(self) -> None:
        from chroma import whitebalance as wb

        for name in ("from_kelvin", "to_kelvin"):
            object.__setattr__(self, name, wb.check_kelvin(getattr(self, name), name.replace("_", " ")))
        for name in ("from_tint", "to_tint"):
            object.__setattr__(self, name, wb.check_duv(getattr(self, name)))
        object.__setattr__(self, "method", wb.cat_name(self.method))
        wb.kelvin_to_xy(self.from_kelvin, self.from_tint, self.locus)  # validates locus and range
        wb.kelvin_to_xy(self.to_kelvin, self.to_tint, self.locus)

    def affine(self, ws: str, config: str | os.PathLike | None = None) -> Affine:
        """The white balance as ``M @ rgb + b``: the adaptation matrix, ``b = 0``.

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
        from chroma import whitebalance as wb

        m = wb.white_balance_matrix(self.from_kelvin, self.to_kelvin, self.from_tint, self.to_tint,
                                    ws, self.method, self.locus, config)
        return np.array(m), np.zeros(3)

    def inverse(self) -> "WhiteBalance":
        """The white balance back from the ``to`` white to the ``from`` white.

        Returns
        -------
        WhiteBalance
            The same method and locus, the whites swapped.
        """
        return WhiteBalance(self.to_kelvin, self.from_kelvin, self.to_tint, self.from_tint, self.method, self.locus)
