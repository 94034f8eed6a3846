"""Grade operations: exposure, white balance, saturation, contrast, ASC CDL, OCIO looks and
LUT files, each a frozen dataclass that applies to float32 RGB of the grade's working space,
gives the equivalent OCIO transforms, its inverse, and its dict form.

References: ASC CDL v1.2 (slope/offset/power/saturation, clamping, XML schema); ITU-R
BT.709-6 Table 3 item 3.3 (the Rec.709 luma the CDL saturation uses); chromatic adaptation
in :mod:`chroma.whitebalance` (CAT16 by default).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import PyOpenColorIO as ocio

from chroma import ocio as _ocio
from chroma.errors import ChromaError, ChromaIOError, ChromaValueError

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
    return out  # type: ignore[return-value]


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
    """OCIO ColorSpaceTransform ``src -> dst`` (canonical names), for building grade groups."""
    return ocio.ColorSpaceTransform(src=src, dst=dst)


class Operation:
    """Base of grade operations: a frozen dataclass with a ``kind`` name."""

    kind: ClassVar[str] = ""

    def affine(self, ws: str, config=None) -> Affine | None:
        """(M, b) when the operation is ``M @ rgb + b`` in the working space, else None."""
        return None

    def apply_rgb(self, rgb: np.ndarray, ws: str, config=None) -> np.ndarray:
        """Apply to (..., 3) float32 RGB of working space ``ws``; returns a new array."""
        m, b = self.affine(ws, config)  # type: ignore[misc]
        return apply_affine(rgb, m, b)

    def transforms(self, ws: str, config=None) -> list[ocio.Transform]:
        """OCIO transforms (working space in, working space out) that give the same pixels."""
        m, b = self.affine(ws, config)  # type: ignore[misc]
        return [_matrix_transform(m, b)]

    def inverse(self) -> "Operation | None":
        """The inverse operation, or None when there is none."""
        return None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.kind}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if v is None:
                continue
            d[f.name] = list(v) if isinstance(v, tuple) else v
        return d

    def describe(self) -> str:
        args = ", ".join(
            f"{k}={v}" for k, v in self.to_dict().items() if k != "type"
        )
        return f"{self.kind}({args})"


def apply_affine(rgb: np.ndarray, m: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``rgb @ m.T + b`` in float32 for (..., 3) pixels: an affine grade step."""
    rgb = np.asarray(rgb, dtype=np.float32)
    out = rgb @ np.asarray(m, dtype=np.float32).T
    if np.any(b):
        out += np.asarray(b, dtype=np.float32)
    return out


@dataclass(frozen=True)
class Exposure(Operation):
    """Exposure change in stops: ``rgb * 2**stops`` (+1 doubles the light)."""

    stops: float
    kind: ClassVar[str] = "exposure"

    def __post_init__(self) -> None:
        s = _finite(self.stops, "exposure (stops)")
        if abs(s) > 64:
            raise ChromaValueError(f"exposure {s:g} stops is beyond +/-64 stops; did you mean a multiplier?")
        object.__setattr__(self, "stops", s)

    def affine(self, ws: str, config=None) -> Affine:
        return np.eye(3) * 2.0 ** self.stops, np.zeros(3)

    def inverse(self) -> "Exposure":
        return Exposure(-self.stops)


@dataclass(frozen=True)
class WhiteBalance(Operation):
    """White balance from the white (from_kelvin, from_tint) to (to_kelvin, to_tint).

    A neutral lit by the ``from`` white becomes the ``to`` white (chromatic adaptation,
    ``method`` CAT16/Bradford/CAT02/von Kries). Kelvin 1000-25000; tint is Duv (+ green).
    To make a grey card neutral in ACEScg set ``to_kelvin`` to the ACES white (~6000 K, see
    :func:`chroma.whitebalance.colorspace_white_xy`); the default 6504 K is D65.
    """

    from_kelvin: float
    to_kelvin: float = 6504.0
    from_tint: float = 0.0
    to_tint: float = 0.0
    method: str = "CAT16"
    locus: str = "auto"
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

    def affine(self, ws: str, config=None) -> Affine:
        from chroma import whitebalance as wb

        m = wb.white_balance_matrix(self.from_kelvin, self.to_kelvin, self.from_tint, self.to_tint,
                                    ws, self.method, self.locus, config)
        return np.array(m), np.zeros(3)

    def inverse(self) -> "WhiteBalance":
        return WhiteBalance(self.to_kelvin, self.from_kelvin, self.to_tint, self.from_tint, self.method, self.locus)


@dataclass(frozen=True)
class Saturation(Operation):
    """Saturation around the working space's luminance: ``Y + s * (rgb - Y)``, Y from the
    space's own primaries (ACEScg: 0.2722 R + 0.6741 G + 0.0537 B). 0 is greyscale."""

    saturation: float
    kind: ClassVar[str] = "saturation"

    def __post_init__(self) -> None:
        s = _finite(self.saturation, "saturation")
        if s < 0:
            raise ChromaValueError(f"saturation {s:g} is negative; 0 is greyscale, 1 leaves colours as they are")
        object.__setattr__(self, "saturation", s)

    def affine(self, ws: str, config=None) -> Affine:
        w = np.asarray(_ocio.luminance_weights(ws, config), dtype=np.float64)
        s = self.saturation
        return (1.0 - s) * np.outer(np.ones(3), w) + s * np.eye(3), np.zeros(3)

    def inverse(self) -> "Saturation | None":
        return Saturation(1.0 / self.saturation) if self.saturation > 0 else None


@dataclass(frozen=True)
class Contrast(Operation):
    """Contrast around ``pivot`` in stops: ``pivot * (x / pivot) ** contrast`` per channel,
    i.e. log2 distances from the pivot scale by ``contrast``; x <= 0 passes through."""

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

    def apply_rgb(self, rgb: np.ndarray, ws: str, config=None) -> np.ndarray:
        x = np.asarray(rgb, dtype=np.float32)
        p = np.float32(self.pivot)
        pos = x > 0
        out = x.copy()
        out[pos] = p * np.power(x[pos] / p, np.float32(self.contrast))
        return out

    def transforms(self, ws: str, config=None) -> list[ocio.Transform]:
        exp = ocio.ExponentTransform(value=[self.contrast] * 3 + [1.0], negativeStyle=ocio.NEGATIVE_PASS_THRU)
        return [_matrix_transform(np.eye(3) / self.pivot), exp, _matrix_transform(np.eye(3) * self.pivot)]

    def inverse(self) -> "Contrast":
        return Contrast(1.0 / self.contrast, self.pivot)


@dataclass(frozen=True)
class CDL(Operation):
    """ASC CDL (v1.2): ``out = (in * slope + offset) ** power``, then saturation with Rec.709
    luma. ``style="asc"`` clamps to [0, 1] after SOP and after saturation, as the spec does
    (negatives are clamped to 0 before the power); ``"no_clamp"`` is OCIO's default
    (negatives bypass the power, nothing is clamped). Applied in ``colorspace`` (default the
    config's ``color_timing`` role, ACEScct; ``""`` for the grade's working space)."""

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

    def _space(self, ws: str, config=None) -> str:
        return _ocio.resolve_colorspace(self.colorspace, config) if self.colorspace else ws

    def affine(self, ws: str, config=None) -> Affine | None:
        if self.style != "no_clamp" or self.power != (1.0, 1.0, 1.0) or self._space(ws, config) != ws:
            return None
        s = self.saturation
        sat = (1.0 - s) * np.outer(np.ones(3), REC709_LUMA) + s * np.eye(3)
        return sat @ np.diag(self.slope), sat @ np.asarray(self.offset)

    def cdl_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """The CDL on (..., 3) RGB already in the CDL's colour space (float32)."""
        x = np.asarray(rgb, dtype=np.float32) * np.float32(self.slope) + np.float32(self.offset)
        power = np.float32(self.power)
        if self.style == "asc":
            x = np.clip(x, 0.0, 1.0)
            x = np.power(x, power)
        elif self.power != (1.0, 1.0, 1.0):
            x = np.where(x > 0, np.power(np.maximum(x, 0), power), x)
        if self.saturation != 1.0:
            luma = x @ np.float32(REC709_LUMA)
            x = luma[..., None] + np.float32(self.saturation) * (x - luma[..., None])
        if self.style == "asc":
            x = np.clip(x, 0.0, 1.0)
        return x.astype(np.float32, copy=False)

    def apply_rgb(self, rgb: np.ndarray, ws: str, config=None) -> np.ndarray:
        cs = self._space(ws, config)
        x = convert_exact(rgb, ws, cs, config) if cs != ws else rgb
        x = self.cdl_rgb(x)
        return convert_exact(x, cs, ws, config) if cs != ws else x

    def ocio_cdl(self) -> ocio.CDLTransform:
        t = ocio.CDLTransform()
        t.setSlope(list(self.slope))
        t.setOffset(list(self.offset))
        t.setPower(list(self.power))
        t.setSat(self.saturation)
        t.setStyle(ocio.CDL_ASC if self.style == "asc" else ocio.CDL_NO_CLAMP)
        return t

    def transforms(self, ws: str, config=None) -> list[ocio.Transform]:
        cs = self._space(ws, config)
        if cs == ws:
            return [self.ocio_cdl()]
        return [colorspace_transform(ws, cs), self.ocio_cdl(), colorspace_transform(cs, ws)]

    def inverse(self) -> "Operation | None":
        if self.style == "asc" or min(self.slope) == 0 or self.saturation == 0:
            return None  # clamping loses information
        return _InverseCDL(self)

    def xml(self, cc_id: str = "chroma_grade", description: str = "", fmt: str = "ColorCorrection") -> str:
        """ASC CDL v1.2 XML of this CDL, written by OCIO (``GroupTransform.write``).

        Parameters
        ----------
        cc_id
            The ColorCorrection's ``id``.
        description
            Its SOPNode Description (OCIO escapes XML characters).
        fmt
            OCIO's format name: ``"ColorCorrection"`` (.cc), ``"ColorDecisionList"`` (.cdl)
            or ``"ColorCorrectionCollection"`` (.ccc).
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
        """Read a .cc, .cdl or .ccc file (the first correction, or the one with ``cc_id``)."""
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

    def apply_rgb(self, rgb: np.ndarray, ws: str, config=None) -> np.ndarray:
        c = self.cdl
        cs = c._space(ws, config)
        x = convert_exact(rgb, ws, cs, config) if cs != ws else np.asarray(rgb, dtype=np.float32)
        if c.saturation != 1.0:
            luma = x @ np.float32(REC709_LUMA)
            x = luma[..., None] + (x - luma[..., None]) / np.float32(c.saturation)
        inv_p = np.float32(1.0 / np.asarray(c.power))
        x = np.where(x > 0, np.power(np.maximum(x, 0), inv_p), x)
        x = (x - np.float32(c.offset)) / np.float32(c.slope)
        x = x.astype(np.float32)
        return convert_exact(x, cs, ws, config) if cs != ws else x

    def transforms(self, ws: str, config=None) -> list[ocio.Transform]:
        ts = self.cdl.transforms(ws, config)
        group = ocio.GroupTransform(ts)
        group.setDirection(ocio.TRANSFORM_DIR_INVERSE)
        return [group]

    def inverse(self) -> CDL:
        return self.cdl

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, **{k: v for k, v in self.cdl.to_dict().items() if k != "type"}}


@dataclass(frozen=True)
class Look(Operation):
    """An OCIO look of the config (e.g. ``chroma_warm``), applied in the working space."""

    name: str
    inverse_direction: bool = False
    kind: ClassVar[str] = "look"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ChromaValueError("a look needs a name (run 'chroma info --colorspaces' to list them)")

    def _check(self, config) -> None:
        cfg = _ocio.get_config(config)
        for token in [t.strip().lstrip("+-") for t in self.name.split(",") if t.strip()]:
            if cfg.getLook(token) is None:
                from chroma.errors import ColorSpaceError, closest

                hint = closest(token, cfg.getLookNames())
                raise ColorSpaceError(f"unknown look {token!r}" + (f"; {hint}" if hint else ""))

    def apply_rgb(self, rgb: np.ndarray, ws: str, config=None) -> np.ndarray:
        return _ocio.apply_cpu(group_processor(_ocio.config_path(config), self, ws), rgb)

    def transforms(self, ws: str, config=None) -> list[ocio.Transform]:
        self._check(config)
        t = ocio.LookTransform(src=ws, dst=ws, looks=self.name)
        if self.inverse_direction:
            t.setDirection(ocio.TRANSFORM_DIR_INVERSE)
        return [t]

    def inverse(self) -> "Look":
        return Look(self.name, not self.inverse_direction)


_INTERP = {
    "best": ocio.INTERP_BEST, "tetrahedral": ocio.INTERP_TETRAHEDRAL,
    "linear": ocio.INTERP_LINEAR, "nearest": ocio.INTERP_NEAREST,
}


@dataclass(frozen=True)
class LUT(Operation):
    """A LUT file OCIO reads (.cube, .spi1d, .spi3d, .clf, .csp...), applied in ``colorspace``
    (default: the grade's working space; a .cube made for ACEScct input wants "ACEScct")."""

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

    def transforms(self, ws: str, config=None) -> list[ocio.Transform]:
        t = ocio.FileTransform(src=self.path, interpolation=_INTERP[self.interpolation])
        if self.inverse_direction:
            t.setDirection(ocio.TRANSFORM_DIR_INVERSE)
        cs = _ocio.resolve_colorspace(self.colorspace, config) if self.colorspace else ws
        return [t] if cs == ws else [colorspace_transform(ws, cs), t, colorspace_transform(cs, ws)]

    def apply_rgb(self, rgb: np.ndarray, ws: str, config=None) -> np.ndarray:
        return _ocio.apply_cpu(group_processor(_ocio.config_path(config), self, ws), rgb)

    def inverse(self) -> "LUT":
        return LUT(self.path, self.colorspace, self.interpolation, not self.inverse_direction)


@functools.lru_cache(maxsize=32)
def group_processor(config_path: str, op: Operation, ws: str) -> ocio.CPUProcessor:
    """Cached exact (lossless) CPU processor of one operation's OCIO transforms in working space ``ws``."""
    cfg = _ocio.get_config(config_path)
    try:
        group = ocio.GroupTransform(op.transforms(ws, config_path))
        return cfg.getProcessor(group).getOptimizedCPUProcessor(ocio.OPTIMIZATION_LOSSLESS)
    except ocio.Exception as exc:
        raise ChromaError(f"OCIO cannot build {op.describe()}: {exc}") from None


def convert_exact(rgb: np.ndarray, src: str, dst: str, config=None) -> np.ndarray:
    """OCIO colour-space conversion with exact maths (OCIO's default optimisation uses fast
    approximate log/exp/pow, ~1e-4 relative error; a grade aims to match its exact form)."""
    if src == dst:
        return np.array(rgb, dtype=np.float32, copy=True)
    return _ocio.apply_cpu(_ocio.processor(src, dst, config, exact=True), rgb)


OPERATIONS: dict[str, type[Operation]] = {
    cls.kind: cls for cls in (Exposure, WhiteBalance, CDL, Contrast, Saturation, Look, LUT)
}


def operation_from_dict(d: dict[str, Any], base: Path | None = None) -> Operation:
    """An operation from its dict form (``{"type": "exposure", "stops": 1.0}``)."""
    d = dict(d)
    kind = d.pop("type", None)
    if kind == "cdl_inverse":
        return _InverseCDL(CDL(**d))
    cls = OPERATIONS.get(kind)  # type: ignore[arg-type]
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
