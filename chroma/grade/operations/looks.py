"""Grade operations that only OCIO applies: looks and LUT files.

:class:`Look` is an OCIO look of the config; :class:`LUT` a LUT file OCIO reads (.cube,
.spi3d, .clf...).

References
----------
OpenColorIO documentation (https://opencolorio.readthedocs.io): LookTransform,
FileTransform.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import PyOpenColorIO as ocio

from chroma import ocio as _ocio
from chroma.errors import ChromaIOError, ChromaValueError
from chroma.grade.operations.base import Operation, colorspace_transform


class _ThroughOCIO(Operation):
    """Base of the operations that only OCIO applies (looks, LUTs): :meth:`apply_rgb` runs :meth:`transforms`."""

    def apply_rgb(self, rgb: np.ndarray, ws: str, config: str | os.PathLike | None = None) -> np.ndarray:
        """Apply the operation's OCIO transforms (exact processor, cached).

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
        return _ocio.apply_cpu(_ocio.operation_processor(self, ws, config), rgb)


@dataclass(frozen=True)
class Look(_ThroughOCIO):
    """An OCIO look of the config (e.g. ``chroma_warm``), applied in the working space.

    Attributes
    ----------
    name : str
        Look name, or OCIO's comma-separated list (``+``/``-`` prefixes allowed).
    inverse_direction : bool, optional
        Apply the look inverted; default False.

    Raises
    ------
    chroma.errors.ChromaValueError
        When the name is empty.
    """

    name: str
    inverse_direction: bool = False
    kind: ClassVar[str] = "look"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ChromaValueError("a look needs a name (run 'chroma info --colorspaces' to list them)")

    def _check(self, config: str | os.PathLike | None) -> None:
        cfg = _ocio.get_config(config)
        for token in [t.strip().lstrip("+-") for t in self.name.split(",") if t.strip()]:
            if cfg.getLook(token) is None:
                from chroma.errors import ColorSpaceError, closest

                hint = closest(token, cfg.getLookNames())
                raise ColorSpaceError(f"unknown look {token!r}" + (f"; {hint}" if hint else ""))

    def transforms(self, ws: str, config: str | os.PathLike | None = None) -> list[ocio.Transform]:
        """The look as an OCIO LookTransform from ``ws`` to ``ws``.

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

        Raises
        ------
        chroma.errors.ColorSpaceError
            When the config has no look of that name.
        """
        self._check(config)
        t = ocio.LookTransform(src=ws, dst=ws, looks=self.name)
        if self.inverse_direction:
            t.setDirection(ocio.TRANSFORM_DIR_INVERSE)
        return [t]

    def inverse(self) -> "Look":
        """The look in the other direction.

        Returns
        -------
        Look
            The same look, ``inverse_direction`` flipped.
        """
        return Look(self.name, not self.inverse_direction)


_INTERP = {
    "best": ocio.INTERP_BEST, "tetrahedral": ocio.INTERP_TETRAHEDRAL,
    "linear": ocio.INTERP_LINEAR, "nearest": ocio.INTERP_NEAREST,
}


@dataclass(frozen=True)
class LUT(_ThroughOCIO):
    """A LUT file OCIO reads (.cube, .spi1d, .spi3d, .clf, .csp...), applied in ``colorspace``.

    Attributes
    ----------
    path : str
        The LUT file; stored absolute.
    colorspace : str, optional
        Colour space the LUT expects; default ``""``: the grade's working space (a .cube made
        for ACEScct input wants ``"ACEScct"``).
    interpolation : {"best", "tetrahedral", "linear", "nearest"}, optional
        OCIO interpolation; default ``"best"``.
    inverse_direction : bool, optional
        Apply the LUT inverted; default False.

    Raises
    ------
    chroma.errors.ChromaIOError
        When the file does not exist.
    chroma.errors.ChromaValueError
        When the interpolation is unknown.
    """

    path: str
    colorspace: str = ""
    interpolation: str = "best"
    inverse_direction: bool = False
    kind: ClassVar[str] = "lut"

    def __post_init__(self) -> None:
        p = os.fspath(self.path)
        if not os.path.isfile(p):
            raise ChromaIOError(f"LUT file {p!r} does not exist")
        object.__setattr__(self, "path", os.path.abspath(p))
        if self.interpolation not in _INTERP:
            raise ChromaValueError(f"LUT interpolation must be one of {', '.join(_INTERP)}, not {self.interpolation!r}")

    def transforms(self, ws: str, config: str | os.PathLike | None = None) -> list[ocio.Transform]:
        """The LUT as an OCIO FileTransform, with the conversions to its colour space and back.

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
        t = ocio.FileTransform(src=self.path, interpolation=_INTERP[self.interpolation])
        if self.inverse_direction:
            t.setDirection(ocio.TRANSFORM_DIR_INVERSE)
        cs = _ocio.resolve_colorspace(self.colorspace, config) if self.colorspace else ws
        return [t] if cs == ws else [colorspace_transform(ws, cs), t, colorspace_transform(cs, ws)]

    def inverse(self) -> "LUT":
        """The LUT in the other direction.

        Returns
        -------
        LUT
            The same file, ``inverse_direction`` flipped.
        """
        return LUT(self.path, self.colorspace, self.interpolation, not self.inverse_direction)
