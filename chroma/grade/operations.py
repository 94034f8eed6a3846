"""Grade operations: exposure, white balance, saturation, contrast, ASC CDL, OCIO looks, LUTs.

Each is a frozen dataclass that applies to float32 RGB of the grade's scene-linear working
space, gives the equivalent OCIO transforms, its inverse, and its dict form.

References
----------
ASC Color Decision List (ASC CDL) Transfer Functions and Interchange Syntax, v1.2 (2009):
slope/offset/power/saturation, clamping, XML schema. ITU-R BT.709-6, Table 3 item 3.3: the
Rec.709 luma the CDL saturation uses. Chromatic adaptation: :mod:`chroma.whitebalance`
(CAT16 by default). OpenColorIO documentation (https://opencolorio.readthedocs.io).
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import PyOpenColorIO as ocio

from chroma import ocio as _ocio
from chroma.errors import ChromaIOError, ChromaValueError

if TYPE_CHECKING:
    from chroma.whitebalance import Locus

#: Rec.709 luma weights the ASC CDL v1.2 saturation uses (ITU-R BT.709-6, Table 3 item 3.3).
REC709_LUMA = (0.2126, 0.7152, 0.0722)

Affine = tuple[np.ndarray, np.ndarray]  # (3x3 matrix on column vectors, offset(3,))


def _triple(value: Any, name: str) -> tuple[float, float, float]:
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


def _finite(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ChromaValueError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(v):
        raise ChromaValueError(f"{name} must be finite, not {value!r}")
    return v


def _matrix_transform(m: np.ndarray, b: np.ndarray | None = None) -> ocio.MatrixTransform:
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
        return [_matrix_transform(*self._affine_or_raise(ws, config))]

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
        s = _finite(self.stops, "exposure (stops)")
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
        s = _finite(self.saturation, "saturation")
        if s < 0:
            raise ChromaValueError(f"saturation {s:g} is negative; 0 is greyscale, 1 leaves colours as they are")
        object.__setattr__(self, "saturation", s)

    def affine(self, ws: str, config: str | os.PathLike | None = None) -> Affine:
        """The saturation as ``M @ rgb + b``: ``M = (1 - s) 1 w^T + s I``, ``b = 0``.

        ``w`` are the working space's luminance weights (:func:`chroma.ocio.luminance_weights`).

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
        w = np.asarray(_ocio.luminance_weights(ws, config), dtype=np.float64)
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
        c = _finite(self.contrast, "contrast")
        p = _finite(self.pivot, "contrast pivot")
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
        return [_matrix_transform(np.eye(3) / self.pivot), exp, _matrix_transform(np.eye(3) * self.pivot)]

    def inverse(self) -> "Contrast":
        """The inverse contrast around the same pivot.

        Returns
        -------
        Contrast
            ``Contrast(1 / contrast, pivot)``.
        """
        return Contrast(1.0 / self.contrast, self.pivot)


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
        slope = _triple(self.slope, "CDL slope")
        offset = _triple(self.offset, "CDL offset")
        power = _triple(self.power, "CDL power")
        sat = _finite(self.saturation, "CDL saturation")
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


OPERATIONS: dict[str, type[Operation]] = {
    cls.kind: cls for cls in (Exposure, WhiteBalance, CDL, Contrast, Saturation, Look, LUT)
}


def operation_from_dict(d: dict[str, Any], base: Path | None = None) -> Operation:
    """An operation from its dict form (``{"type": "exposure", "stops": 1.0}``).

    Parameters
    ----------
    d : dict
        ``type`` (an :data:`OPERATIONS` key or ``"cdl_inverse"``) and the operation's fields.
    base : pathlib.Path or None, optional
        Folder a relative LUT path is relative to; default None: the current folder.

    Returns
    -------
    Operation
        The operation.

    Raises
    ------
    chroma.errors.ChromaValueError
        When the type or a field is unknown or a value is invalid.
    """
    d = dict(d)
    kind = d.pop("type", None)
    if kind == "cdl_inverse":
        return _InverseCDL(CDL(**d))
    cls = OPERATIONS.get(str(kind))
    if cls is None:
        from chroma.errors import closest

        hint = closest(str(kind), OPERATIONS)
        raise ChromaValueError(f"unknown grade operation type {kind!r}" + (f"; {hint}" if hint else "")
                               + f" (known: {', '.join(OPERATIONS)})")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(d) - names
    if unknown:
        raise ChromaValueError(f"{kind} has no field(s) {', '.join(sorted(unknown))} (fields: {', '.join(sorted(names))})")
    if cls is LUT and base is not None and not os.path.isabs(d.get("path", "")):
        d["path"] = str(base / d["path"])
    try:
        return cls(**d)
    except TypeError as exc:
        raise ChromaValueError(f"bad {kind} operation: {exc}") from None
