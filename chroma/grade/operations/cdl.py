"""The ASC CDL as a grade operation: slope, offset, power and saturation.

:class:`CDL` is read from .cc/.cdl/.ccc files and has an inverse.

References
----------
ASC Color Decision List (ASC CDL) Transfer Functions and Interchange Syntax, v1.2 (2009):
slope/offset/power/saturation, clamping, XML schema. ITU-R BT.709-6, Table 3 item 3.3: the
Rec.709 luma the CDL saturation uses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import PyOpenColorIO as ocio

from chroma import ocio as _ocio
from chroma.errors import ChromaIOError, ChromaValueError
from chroma.grade.operations.base import (
    Affine,
    Operation,
    colorspace_transform,
    convert_exact,
    finite_number,
    rgb_triple,
)

#: Rec.709 luma weights the ASC CDL v1.2 saturation uses (ITU-R BT.709-6, Table 3 item 3.3).
REC709_LUMA = (0.2126, 0.7152, 0.0722)


@dataclass(frozen=True)
class CDL(Operation):
    """ASC CDL v1.2: ``out = (in * slope + offset) ** power``, then saturation with Rec.709 luma.

    ``style="asc"`` clamps to [0, 1] after SOP and after saturation, as the spec does
    (negatives are clamped to 0 before the power); ``"no_clamp"`` is OCIO's default
    (negatives bypass the power, nothing is clamped).

    Attributes
    ----------
    slope : tuple of float, optional
        Per-channel slope R, G, B, >= 0; default (1, 1, 1). Also "R,G,B" text or one number.
    offset : tuple of float, optional
        Per-channel offset, in the CDL space's code values; default (0, 0, 0).
    power : tuple of float, optional
        Per-channel power, > 0; default (1, 1, 1).
    saturation : float, optional
        ASC saturation around Rec.709 luma, >= 0; default 1.
    style : {"asc", "no_clamp"}, optional
        Clamping; default ``"asc"``.
    colorspace : str, optional
        Colour space the CDL applies in; default ``"color_timing"`` (the config's role,
        ACEScct); ``""`` for the grade's working space.

    Raises
    ------
    chroma.errors.ChromaValueError
        When a value is not finite, a slope negative, a power or saturation out of range, or
        the style unknown.

    References
    ----------
    ASC CDL v1.2 (2009); ITU-R BT.709-6 Table 3 item 3.3 (luma 0.2126, 0.7152, 0.0722).
    """

    slope: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    power: tuple[float, float, float] = (1.0, 1.0, 1.0)
    saturation: float = 1.0
    style: str = "asc"
    colorspace: str = "color_timing"
    kind: ClassVar[str] = "cdl"

    def __post_init__(self) -> None:
        slope = rgb_triple(self.slope, "CDL slope")
        offset = rgb_triple(self.offset, "CDL offset")
        power = rgb_triple(self.power, "CDL power")
        sat = finite_number(self.saturation, "CDL saturation")
        if min(slope) < 0:
            raise ChromaValueError(f"CDL slope {slope} has a negative value; the ASC CDL slope is >= 0")
        if min(power) <= 0:
            raise ChromaValueError(f"CDL power {power} must be > 0 per channel")
        if sat < 0:
            raise ChromaValueError(f"CDL saturation {sat:g} must be >= 0")
        if self.style not in ("asc", "no_clamp"):
            raise ChromaValueError(f"CDL style must be 'asc' (the spec's clamping) or 'no_clamp', not {self.style!r}")
        object.__setattr__(self, "slope", slope)
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "power", power)
        object.__setattr__(self, "saturation", sat)
        object.__setattr__(self, "colorspace", self.colorspace or "")

    def applied_in(self, ws: str, config: str | os.PathLike | None = None) -> str:
        """The colour space the CDL's maths runs in.

        Parameters
        ----------
        ws : str
            The grade's working colour space (scene-linear, canonical name).
        config : str or os.PathLike or None, optional
            OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

        Returns
        -------
        str
            The CDL's own ``colorspace`` (resolved to its canonical name) when it names
            one, else ``ws``.
        """
        return _ocio.resolve_colorspace(self.colorspace, config) if self.colorspace else ws

    def affine(self, ws: str, config: str | os.PathLike | None = None) -> Affine | None:
        """The CDL as ``M @ rgb + b``, when it is affine.

        Only a no-clamp CDL with power 1 applied in the working space is affine:
        ``M = S diag(slope)``, ``b = S offset``, S the Rec.709-luma saturation matrix.

        Parameters
        ----------
        ws : str
            The grade's working colour space (scene-linear, canonical name).
        config : str or os.PathLike or None, optional
            OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

        Returns
        -------
        tuple of numpy.ndarray or None
            ``(M, b)``, float64; None for any other CDL.
        """
        if self.style != "no_clamp" or self.power != (1.0, 1.0, 1.0) or self.applied_in(ws, config) != ws:
            return None
        s = self.saturation
        sat = (1.0 - s) * np.outer(np.ones(3), REC709_LUMA) + s * np.eye(3)
        return sat @ np.diag(self.slope), sat @ np.asarray(self.offset)

    def cdl_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """Apply the CDL to RGB already in the CDL's colour space.

        Parameters
        ----------
        rgb : numpy.ndarray
            Pixels (..., 3), code values of the CDL's colour space (ACEScct by default).

        Returns
        -------
        numpy.ndarray
            New float32 pixels (..., 3) in the same space; in [0, 1] with ``style="asc"``.
        """
        x = np.asarray(rgb, dtype=np.float32) * np.asarray(self.slope, np.float32) + np.asarray(self.offset, np.float32)
        power = np.asarray(self.power, np.float32)
        if self.style == "asc":
            x = np.clip(x, 0.0, 1.0)
            x = np.power(x, power)
        elif self.power != (1.0, 1.0, 1.0):
            x = np.where(x > 0, np.power(np.maximum(x, 0), power), x)
        if self.saturation != 1.0:
            luma = x @ np.asarray(REC709_LUMA, np.float32)
            x = luma[..., None] + np.float32(self.saturation) * (x - luma[..., None])
        if self.style == "asc":
            x = np.clip(x, 0.0, 1.0)
        return x.astype(np.float32, copy=False)

    def apply_rgb(self, rgb: np.ndarray, ws: str, config: str | os.PathLike | None = None) -> np.ndarray:
        """Apply the CDL to working-space pixels, converting to its colour space and back.

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
        cs = self.applied_in(ws, config)
        x = convert_exact(rgb, ws, cs, config) if cs != ws else rgb
        x = self.cdl_rgb(x)
        return convert_exact(x, cs, ws, config) if cs != ws else x

    def ocio_cdl(self) -> ocio.CDLTransform:
        """The CDL as an OCIO CDLTransform (slope, offset, power, saturation, style).

        Returns
        -------
        PyOpenColorIO.CDLTransform
            ``CDL_ASC`` style for ``"asc"``, ``CDL_NO_CLAMP`` for ``"no_clamp"``.
        """
        t = ocio.CDLTransform()
        t.setSlope(list(self.slope))
        t.setOffset(list(self.offset))
        t.setPower(list(self.power))
        t.setSat(self.saturation)
        t.setStyle(ocio.CDL_ASC if self.style == "asc" else ocio.CDL_NO_CLAMP)
        return t

    def transforms(self, ws: str, config: str | os.PathLike | None = None) -> list[ocio.Transform]:
        """The CDL as OCIO transforms, with the conversions to its colour space and back.

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
        cs = self.applied_in(ws, config)
        if cs == ws:
            return [self.ocio_cdl()]
        return [colorspace_transform(ws, cs), self.ocio_cdl(), colorspace_transform(cs, ws)]

    def inverse(self) -> "Operation | None":
        """The inverse CDL, where one exists.

        Returns
        -------
        Operation or None
            The inverse of a no-clamp CDL; None for an ASC-clamped CDL, a zero slope or saturation 0 (they lose information).
        """
        if self.style == "asc" or min(self.slope) == 0 or self.saturation == 0:
            return None  # clamping loses information
        return _InverseCDL(self)

    def xml(self, cc_id: str = "chroma_grade", description: str = "", fmt: str = "ColorCorrection") -> str:
        """ASC CDL v1.2 XML of this CDL, written by OCIO (``GroupTransform.write``).

        Parameters
        ----------
        cc_id : str, optional
            The ColorCorrection's ``id``; default ``"chroma_grade"``.
        description : str, optional
            Its SOPNode Description (OCIO escapes XML characters); default none.
        fmt : str, optional
            OCIO's format name: ``"ColorCorrection"`` (.cc, default), ``"ColorDecisionList"``
            (.cdl) or ``"ColorCorrectionCollection"`` (.ccc).

        Returns
        -------
        str
            The XML document.

        Raises
        ------
        chroma.errors.ChromaValueError
            When OCIO cannot write the CDL in ``fmt``.

        References
        ----------
        ASC CDL v1.2, XML interchange schema.
        """
        t = self.ocio_cdl()
        t.setID(cc_id)
        if description:
            t.setFirstSOPDescription(description)
        try:
            return ocio.GroupTransform([t]).write(formatName=fmt, config=ocio.Config.CreateRaw())
        except ocio.Exception as exc:
            raise ChromaValueError(f"OCIO cannot write the CDL as {fmt!r}: {exc}") from None

    @classmethod
    def from_file(cls, path: str | os.PathLike, cc_id: str = "", style: str = "asc",
                  colorspace: str = "color_timing") -> "CDL":
        """Read a .cc, .cdl or .ccc file with OCIO.

        Parameters
        ----------
        path : str or os.PathLike
            The CDL file.
        cc_id : str, optional
            The id of the correction to read; default ``""``: the first.
        style : {"asc", "no_clamp"}, optional
            Clamping of the CDL; default ``"asc"``.
        colorspace : str, optional
            Colour space it applies in; default ``"color_timing"``.

        Returns
        -------
        CDL
            The correction's slope, offset, power and saturation.

        Raises
        ------
        chroma.errors.ChromaIOError
            When the file does not exist or OCIO cannot read it.
        """
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise ChromaIOError(f"CDL file {path!r} does not exist")
        try:
            t = ocio.CDLTransform.CreateFromFile(path, cc_id)
        except Exception as exc:
            raise ChromaIOError(f"cannot read CDL {path!r}: {exc}") from None
        return cls(tuple(t.getSlope()), tuple(t.getOffset()), tuple(t.getPower()), float(t.getSat()),
                   style, colorspace)


@dataclass(frozen=True)
class _InverseCDL(Operation):
    """Inverse of a no-clamp CDL (saturation^-1, power^-1, then (x - offset) / slope)."""

    cdl: CDL
    kind: ClassVar[str] = "cdl_inverse"

    def apply_rgb(self, rgb: np.ndarray, ws: str, config: str | os.PathLike | None = None) -> np.ndarray:
        c = self.cdl
        cs = c.applied_in(ws, config)
        x = convert_exact(rgb, ws, cs, config) if cs != ws else np.asarray(rgb, dtype=np.float32)
        if c.saturation != 1.0:
            luma = x @ np.asarray(REC709_LUMA, np.float32)
            x = luma[..., None] + (x - luma[..., None]) / np.float32(c.saturation)
        inv_p = np.float32(1.0 / np.asarray(c.power))
        x = np.where(x > 0, np.power(np.maximum(x, 0), inv_p), x)
        x = (x - np.asarray(c.offset, np.float32)) / np.asarray(c.slope, np.float32)
        x = x.astype(np.float32)
        return convert_exact(x, cs, ws, config) if cs != ws else x

    def transforms(self, ws: str, config: str | os.PathLike | None = None) -> list[ocio.Transform]:
        ts = self.cdl.transforms(ws, config)
        group = ocio.GroupTransform(ts)
        group.setDirection(ocio.TRANSFORM_DIR_INVERSE)
        return [group]

    def inverse(self) -> CDL:
        return self.cdl

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, **{k: v for k, v in self.cdl.to_dict().items() if k != "type"}}
