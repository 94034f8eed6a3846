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
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterable, Sequence

import numpy as np
import PyOpenColorIO as ocio

from chroma import ocio as _ocio
from chroma.errors import ChromaError, ChromaIOError, ChromaValueError
from chroma.image import Image

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


def _csc(src: str, dst: str) -> ocio.ColorSpaceTransform:
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
        return _apply_affine(rgb, m, b)

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


def _apply_affine(rgb: np.ndarray, m: np.ndarray, b: np.ndarray) -> np.ndarray:
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
            object.__setattr__(self, name, wb._check_kelvin(getattr(self, name), name.replace("_", " ")))
        for name in ("from_tint", "to_tint"):
            object.__setattr__(self, name, wb._check_duv(getattr(self, name)))
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
        x = _convert(rgb, ws, cs, config) if cs != ws else rgb
        x = self.cdl_rgb(x)
        return _convert(x, cs, ws, config) if cs != ws else x

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
        return [_csc(ws, cs), self.ocio_cdl(), _csc(cs, ws)]

    def inverse(self) -> "Operation | None":
        if self.style == "asc" or min(self.slope) == 0 or self.saturation == 0:
            return None  # clamping loses information
        return _InverseCDL(self)

    def xml(self, cc_id: str = "chroma_grade", description: str = "") -> str:
        """The ASC ColorCorrection element (ASC CDL v1.2 XML schema)."""
        fmt = lambda v: " ".join(f"{x:.10g}" for x in v)  # noqa: E731
        desc = f"\n        <Description>{_xml_escape(description)}</Description>" if description else ""
        return (
            f'    <ColorCorrection id="{_xml_escape(cc_id)}">\n'
            f"      <SOPNode>{desc}\n"
            f"        <Slope>{fmt(self.slope)}</Slope>\n"
            f"        <Offset>{fmt(self.offset)}</Offset>\n"
            f"        <Power>{fmt(self.power)}</Power>\n"
            f"      </SOPNode>\n"
            f"      <SatNode>\n"
            f"        <Saturation>{self.saturation:.10g}</Saturation>\n"
            f"      </SatNode>\n"
            f"    </ColorCorrection>\n"
        )

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
        x = _convert(rgb, ws, cs, config) if cs != ws else np.asarray(rgb, dtype=np.float32)
        if c.saturation != 1.0:
            luma = x @ np.float32(REC709_LUMA)
            x = luma[..., None] + (x - luma[..., None]) / np.float32(c.saturation)
        inv_p = np.float32(1.0 / np.asarray(c.power))
        x = np.where(x > 0, np.power(np.maximum(x, 0), inv_p), x)
        x = (x - np.float32(c.offset)) / np.float32(c.slope)
        x = x.astype(np.float32)
        return _convert(x, cs, ws, config) if cs != ws else x

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
        return _ocio.apply_cpu(_group_processor(_ocio.config_path(config), self, ws), rgb)

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
        return [t] if cs == ws else [_csc(ws, cs), t, _csc(cs, ws)]

    def apply_rgb(self, rgb: np.ndarray, ws: str, config=None) -> np.ndarray:
        return _ocio.apply_cpu(_group_processor(_ocio.config_path(config), self, ws), rgb)

    def inverse(self) -> "LUT":
        return LUT(self.path, self.colorspace, self.interpolation, not self.inverse_direction)


@functools.lru_cache(maxsize=32)
def _group_processor(config_path: str, op: Operation, ws: str) -> ocio.CPUProcessor:
    cfg = _ocio.get_config(config_path)
    try:
        group = ocio.GroupTransform(op.transforms(ws, config_path))
        return cfg.getProcessor(group).getOptimizedCPUProcessor(ocio.OPTIMIZATION_LOSSLESS)
    except ocio.Exception as exc:
        raise ChromaError(f"OCIO cannot build {op.describe()}: {exc}") from None


@functools.lru_cache(maxsize=64)
def _convert_processor(config_path: str, src: str, dst: str) -> ocio.CPUProcessor:
    try:
        proc = _ocio.get_config(config_path).getProcessor(src, dst)
    except ocio.Exception as exc:
        raise ChromaError(f"OCIO cannot convert {src!r} to {dst!r}: {exc}") from None
    return proc.getOptimizedCPUProcessor(ocio.OPTIMIZATION_LOSSLESS)


def _convert(rgb: np.ndarray, src: str, dst: str, config=None) -> np.ndarray:
    """OCIO colour-space conversion with exact maths (OCIO's default optimisation uses fast
    approximate log/exp/pow, ~1e-4 relative error; a grade aims to match its exact form)."""
    if src == dst:
        return np.array(rgb, dtype=np.float32, copy=True)
    return _ocio.apply_cpu(_convert_processor(_ocio.config_path(config), src, dst), rgb)


OPERATIONS: dict[str, type[Operation]] = {
    cls.kind: cls for cls in (Exposure, WhiteBalance, CDL, Contrast, Saturation, Look, LUT)
}


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


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


# ----------------------------------------------------------------------------- compiled


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


# --------------------------------------------------------------------------------- grade


class Grade:
    """An ordered list of operations in a working colour space; ``apply`` is pure.

    >>> g = Grade([Exposure(1.5), WhiteBalance(3200, 6504)])
    >>> out = g.apply(image)                      # a new chroma.Image
    >>> g.to_toml(); Grade.from_toml(text)        # round trip
    >>> g.to_ocio()                               # OCIO GroupTransform, same pixels
    """

    def __init__(self, operations: Iterable[Operation] = (), colorspace: str = "scene_linear",
                 config: str | os.PathLike | None = None) -> None:
        ops = list(operations)
        for op in ops:
            if not isinstance(op, Operation):
                raise ChromaValueError(f"{op!r} is not a grade operation (use chroma.grade.Exposure, CDL, ...)")
        self.operations: list[Operation] = ops
        self.config = None if config is None else os.fspath(config)
        self.colorspace = _ocio.resolve_colorspace(colorspace, self.config)
        if not _ocio.is_scene_linear(self.colorspace, self.config):
            raise ChromaValueError(
                f"a grade's working colour space must be scene-linear; {self.colorspace!r} is not"
            )

    def __repr__(self) -> str:
        return f"Grade([{', '.join(op.describe() for op in self.operations)}], colorspace={self.colorspace!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Grade) and self.to_dict() == other.to_dict()

    def __len__(self) -> int:
        return len(self.operations)

    def then(self, *ops: Operation) -> "Grade":
        """A new grade with ``ops`` appended."""
        return Grade([*self.operations, *ops], self.colorspace, self.config)

    # ---------------------------------------------------------------- applying

    def compile(self, src: str | None = None, dst: str | None = None) -> CompiledGrade:
        """Bind to input and output colour spaces (default: the working space) and fuse
        consecutive affine steps (conversions included) into one matrix + offset."""
        cfg = self.config
        path = _ocio.config_path(cfg)
        ws = self.colorspace
        src = _ocio.resolve_colorspace(src, cfg) if src else ws
        dst = _ocio.resolve_colorspace(dst, cfg) if dst else ws
        raw: list[_Stage] = []
        conv_in = _linear_conversion(path, src, ws)
        raw.append(_Stage(affine=conv_in) if conv_in else _Stage(convert=(src, ws)))
        for op in self.operations:
            aff = op.affine(ws, cfg)
            raw.append(_Stage(affine=aff) if aff is not None else _Stage(op=op))
        conv_out = _linear_conversion(path, ws, dst)
        raw.append(_Stage(affine=conv_out) if conv_out else _Stage(convert=(ws, dst)))
        stages: list[_Stage] = []
        for st in raw:
            if st.affine is not None and stages and stages[-1].affine is not None:
                m0, b0 = stages[-1].affine
                m1, b1 = st.affine
                stages[-1] = _Stage(affine=(m1 @ m0, m1 @ b0 + b1))
            else:
                stages.append(st)
        stages = [s for s in stages if not (s.affine is not None and np.allclose(s.affine[0], np.eye(3), rtol=0, atol=1e-12)
                                            and not np.any(s.affine[1]))]
        return CompiledGrade(src, dst, ws, cfg, stages, self)

    def apply_rgb(self, rgb: np.ndarray, src: str | None = None, dst: str | None = None) -> np.ndarray:
        """Apply to (..., 3) float32 RGB in ``src`` (default: the working space); returns RGB
        in ``dst`` (default: ``src``)."""
        return self.compile(src, dst or src).apply_rgb(rgb)

    def apply(self, image: Image, colorspace: str | None = None) -> Image:
        """The graded image: colour channels graded (from the image's colour space, result in
        ``colorspace`` or the image's own), every other channel (A, Z, layers) and the
        metadata kept, the grade recorded under ``chroma/grade``."""
        if not isinstance(image, Image):
            raise ChromaValueError(f"Grade.apply takes a chroma.Image, not {type(image).__name__}")
        dst = colorspace or image.colorspace
        compiled = self.compile(image.colorspace, dst)
        out = image.with_rgb(compiled.apply_rgb(image.rgb), compiled.dst)
        out.metadata["chroma/grade"] = self.to_json()
        return out

    # --------------------------------------------------------------- inverse

    def inverse(self) -> "Grade":
        """The inverse grade; raises ChromaValueError when an operation has none (a clamping
        CDL, saturation 0, a LUT OCIO cannot invert...)."""
        inv = []
        for op in reversed(self.operations):
            i = op.inverse()
            if i is None:
                raise ChromaValueError(f"{op.describe()} has no inverse")
            inv.append(i)
        return Grade(inv, self.colorspace, self.config)

    # --------------------------------------------------------------- exports

    def to_ocio(self, src: str | None = None, dst: str | None = None) -> ocio.GroupTransform:
        """An OCIO GroupTransform giving the same pixels: [src -> working] + operations +
        [working -> dst] (conversions only where the spaces differ)."""
        cfg = self.config
        ws = self.colorspace
        group = ocio.GroupTransform()
        if src and _ocio.resolve_colorspace(src, cfg) != ws:
            group.appendTransform(_csc(_ocio.resolve_colorspace(src, cfg), ws))
        for op in self.operations:
            for t in op.transforms(ws, cfg):
                group.appendTransform(t)
        if dst and _ocio.resolve_colorspace(dst, cfg) != ws:
            group.appendTransform(_csc(ws, _ocio.resolve_colorspace(dst, cfg)))
        return group

    def ocio_processor(self, src: str | None = None, dst: str | None = None,
                       optimization: "ocio.OptimizationFlags" = ocio.OPTIMIZATION_LOSSLESS) -> ocio.CPUProcessor:
        """CPU processor of :meth:`to_ocio` (exact maths by default; pass
        ``ocio.OPTIMIZATION_DEFAULT`` for OCIO's fast approximate log/exp/pow)."""
        cfg = _ocio.get_config(self.config)
        try:
            return cfg.getProcessor(self.to_ocio(src, dst)).getOptimizedCPUProcessor(optimization)
        except ocio.Exception as exc:
            raise ChromaError(f"OCIO cannot build this grade: {exc}") from None

    def write_ocio(self, path: str | os.PathLike, src: str | None = None, dst: str | None = None) -> Path:
        """Write the grade as an OCIO CTF (Color Transform Format) file, self-contained
        (colour-space conversions are baked into its ops by OCIO)."""
        path = Path(path)
        cfg = _ocio.get_config(self.config)
        proc = cfg.getProcessor(self.to_ocio(src, dst))
        fmt = "Color Transform Format" if path.suffix.lower() == ".ctf" else "Academy/ASC Common LUT Format"
        _atomic_text(path, proc.createGroupTransform().write(formatName=fmt, config=cfg))
        return path

    def to_cdl(self) -> CDL:
        """The grade as ONE ASC CDL when it is CDL-expressible: a single CDL, optionally after
        exposure operations when the CDL is applied in the working space (they fold into slope).
        Otherwise raises ChromaValueError saying why."""
        cdls = [op for op in self.operations if isinstance(op, CDL)]
        others = [op for op in self.operations if not isinstance(op, (CDL, Exposure))]
        if others or len(cdls) > 1:
            raise ChromaValueError(
                "this grade is not expressible as one ASC CDL (it has "
                + ", ".join(sorted({op.kind for op in others} | ({"several CDLs"} if len(cdls) > 1 else set())))
                + "); export it with --bake-lut or as an OCIO transform instead"
            )
        if not cdls:
            gain = 2.0 ** sum(op.stops for op in self.operations)  # type: ignore[attr-defined]
            return CDL((gain,) * 3, style="no_clamp", colorspace="")
        cdl = cdls[0]
        idx = self.operations.index(cdl)
        after = [op for op in self.operations[idx + 1:] if isinstance(op, Exposure)]
        before = self.operations[:idx]
        if after:
            raise ChromaValueError("an exposure after the CDL cannot fold into it; put exposure first")
        if before:
            if cdl._space(self.colorspace, self.config) != self.colorspace:
                raise ChromaValueError(
                    f"exposure before a CDL applied in {cdl.colorspace!r} does not fold into it; "
                    "apply the CDL in the working space (colorspace='') or drop the exposure"
                )
            gain = 2.0 ** sum(op.stops for op in before)  # type: ignore[attr-defined]
            cdl = dataclasses.replace(cdl, slope=tuple(s * gain for s in cdl.slope))
        return cdl

    def write_cdl(self, path: str | os.PathLike, cc_id: str | None = None) -> Path:
        """Write the grade as ASC CDL XML: ``.cc`` (one ColorCorrection), ``.cdl``
        (ColorDecisionList) or ``.ccc`` (ColorCorrectionCollection). The colour space the CDL
        applies in is stated in its Description."""
        path = Path(path)
        cdl = self.to_cdl()
        cc_id = cc_id or path.stem
        space = cdl._space(self.colorspace, self.config)
        desc = f"chroma grade; apply in {space}; style {cdl.style}"
        cc = cdl.xml(cc_id, desc)
        ext = path.suffix.lower()
        ns = 'xmlns="urn:ASC:CDL:v1.2"'
        if ext == ".cc":
            text = '<?xml version="1.0" encoding="UTF-8"?>\n' + cc.replace("    <ColorCorrection", f"<ColorCorrection {ns}", 1) \
                .replace("\n    ", "\n").replace("\n  ", "\n  ")
        elif ext == ".cdl":
            text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ColorDecisionList {ns}>\n  <ColorDecision>\n'
                    + cc + "  </ColorDecision>\n</ColorDecisionList>\n")
        elif ext == ".ccc":
            text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ColorCorrectionCollection {ns}>\n'
                    + cc + "</ColorCorrectionCollection>\n")
        else:
            raise ChromaValueError(f"a CDL file ends in .cc, .cdl or .ccc, not {path.name!r}")
        _atomic_text(path, text)
        return path

    def bake_lut(self, path: str | os.PathLike, *, shaper: str = "ACEScct", size: int = 65) -> Path:
        """Bake the grade into a .cube 3D LUT over a log shaper, with OCIO's Baker.

        The LUT's input and output are ``shaper``-encoded (ACEScct by default: the scene-linear
        range -0.0069 to 222.9 in [0, 1], about 0.28 stops between nodes of a 65-cube), so for
        scene-linear input it is applied as ``working -> shaper``, the cube, ``shaper ->
        working`` (:meth:`baked_lut_transform` builds that OCIO group; in Nuke an
        OCIOColorSpace ACEScg->ACEScct, a Vectorfield, and back). OCIO's own in-file shaper
        (Resolve .cube) samples its 1D shaper uniformly in linear light, which loses whole stops
        in the shadows, so chroma keeps the shaper outside the file. See docs/grade.md for the
        measured accuracy."""
        path = Path(path)
        if not 2 <= int(size) <= 129:
            raise ChromaValueError(f"cube size {size} is outside 2-129 (65 is usual)")
        if not path.parent.is_dir():
            raise ChromaIOError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} does not exist")
        cfg = ocio.Config.CreateFromFile(_ocio.config_path(self.config))  # an editable copy
        ws = self.colorspace
        shaper_cs = _ocio.resolve_colorspace(shaper, self.config)
        ref = cfg.getCanonicalName("aces_interchange") or "ACES2065-1"
        group = ocio.GroupTransform([_csc(ref, shaper_cs), _csc(shaper_cs, ws)])
        for t in self.to_ocio():
            group.appendTransform(t)
        group.appendTransform(_csc(ws, shaper_cs))
        graded = ocio.ColorSpace(name="chroma_graded_bake")
        graded.setTransform(group, ocio.COLORSPACE_DIR_FROM_REFERENCE)
        cfg.addColorSpace(graded)
        baker = ocio.Baker()
        baker.setConfig(cfg)
        baker.setFormat("iridas_cube")
        baker.setInputSpace(shaper_cs)
        baker.setTargetSpace("chroma_graded_bake")
        baker.setCubeSize(int(size))
        try:
            text = baker.bake()
        except ocio.Exception as exc:
            raise ChromaError(f"OCIO could not bake this grade: {exc}") from None
        header = (f"# chroma grade baked by OCIO {ocio.__version__}: {self!r}\n"
                  f"# input and output: {shaper_cs}-encoded {ws}; for scene-linear {ws}: "
                  f"{ws} -> {shaper_cs}, this LUT, {shaper_cs} -> {ws}\n")
        _atomic_text(path, header + text)
        # OCIO caches LUT files and processors by path: a rewritten file must be re-read
        ocio.ClearAllCaches()
        _ocio.get_config(self.config).clearProcessorCache()
        _group_processor.cache_clear()
        return path

    def baked_lut_transform(self, path: str | os.PathLike, shaper: str = "ACEScct") -> ocio.GroupTransform:
        """The OCIO transform that applies a LUT from :meth:`bake_lut` to working-space pixels."""
        ws = self.colorspace
        shaper_cs = _ocio.resolve_colorspace(shaper, self.config)
        ft = ocio.FileTransform(src=os.fspath(path), interpolation=ocio.INTERP_TETRAHEDRAL)
        return ocio.GroupTransform([_csc(ws, shaper_cs), ft, _csc(shaper_cs, ws)])

    # --------------------------------------------------------------- serialisation

    def to_dict(self) -> dict[str, Any]:
        return {"colorspace": self.colorspace, "operations": [op.to_dict() for op in self.operations]}

    @classmethod
    def from_dict(cls, d: dict[str, Any], config=None, base: Path | None = None) -> "Grade":
        if not isinstance(d, dict):
            raise ChromaValueError("a grade is a table with 'colorspace' and 'operations'")
        ops = d.get("operations", d.get("operation", []))
        if not isinstance(ops, list):
            raise ChromaValueError("a grade's operations must be a list")
        return cls([operation_from_dict(o, base) for o in ops], d.get("colorspace", "scene_linear"), config)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, config=None) -> "Grade":
        try:
            return cls.from_dict(json.loads(text), config)
        except json.JSONDecodeError as exc:
            raise ChromaValueError(f"not a grade in JSON: {exc}") from None

    def to_toml(self) -> str:
        """TOML text: ``colorspace`` and one ``[[operation]]`` table per operation, in order."""
        lines = ["# chroma grade: operations apply in order, in the working colour space", f"colorspace = {_toml(self.colorspace)}", ""]
        for op in self.operations:
            lines.append("[[operation]]")
            for k, v in op.to_dict().items():
                lines.append(f"{k} = {_toml(v)}")
            lines.append("")
        return "\n".join(lines)

    @classmethod
    def from_toml(cls, text: str, config=None, base: Path | None = None) -> "Grade":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ChromaValueError(f"not a valid grade TOML: {exc}") from None
        return cls.from_dict(data, config, base)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the grade as TOML (``.toml``) or JSON (``.json``)."""
        path = Path(path)
        if not path.parent.is_dir():
            raise ChromaIOError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} does not exist")
        text = json.dumps(self.to_dict(), indent=2) + "\n" if path.suffix.lower() == ".json" else self.to_toml()
        _atomic_text(path, text)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, config=None) -> "Grade":
        """Read a grade saved with :meth:`save` (TOML or JSON); LUT paths are relative to it."""
        path = Path(path)
        if not path.is_file():
            raise ChromaIOError(f"grade file {str(path)!r} does not exist")
        text = path.read_text()
        if path.suffix.lower() == ".json":
            try:
                return cls.from_dict(json.loads(text), config, path.parent)
            except json.JSONDecodeError as exc:
                raise ChromaValueError(f"{str(path)!r} is not valid JSON: {exc}") from None
        return cls.from_toml(text, config, path.parent)

    def describe(self) -> str:
        if not self.operations:
            return f"(no operations; working space {self.colorspace})"
        return "\n".join(f"{i + 1}. {op.describe()}" for i, op in enumerate(self.operations)) + f"\n(working space {self.colorspace})"


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return json.dumps(str(v))


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.parent / f".{path.name}.chroma-tmp-{os.getpid()}"
    tmp.write_text(text)
    os.replace(tmp, path)



# ------------------------------------------------------------------------ files and frames


def grade_file(src_path: str, dst_path: str, grade: "Grade | CompiledGrade", colorspace: str | None = None,
               write_options: dict | None = None) -> str:
    """Read ``src_path``, grade it, write ``dst_path`` (atomically); returns ``dst_path``.

    Channels other than R, G, B pass through; the input's metadata is kept and the grade is
    added under ``chroma/grade``. ``grade`` may be pre-compiled (the CLI compiles once and
    sends it to worker processes).
    """
    from chroma import io  # noqa: PLC0415

    opts = dict(write_options or {})
    cfg = opts.get("config")
    img = io.read(src_path, config=cfg)
    if isinstance(grade, CompiledGrade):
        compiled = grade
        dst = colorspace and _ocio.resolve_colorspace(colorspace, cfg) or img.colorspace
        if compiled.src != img.colorspace or compiled.dst != dst:
            compiled = compiled.grade.compile(img.colorspace, dst)  # type: ignore[union-attr]
        out = img.with_rgb(compiled.apply_rgb(img.rgb), compiled.dst)
        out.metadata["chroma/grade"] = compiled.grade.to_json()  # type: ignore[union-attr]
    else:
        out = grade.apply(img, colorspace)
    io.write(out, dst_path, **opts)
    return dst_path


def file_colorspace(path: str, config=None) -> str | None:
    """The colour space chroma.io.read would give ``path``, from its header only (or None)."""
    import OpenImageIO as oiio  # noqa: PLC0415

    from chroma import io  # noqa: PLC0415

    inp = oiio.ImageInput.open(path)
    if inp is None:
        return None
    try:
        meta = {a.name: io._value(a) for a in inp.spec().extra_attribs}
    finally:
        inp.close()
    try:
        return io._colorspace_from_metadata(meta, config) or _ocio.colorspace_from_path(path, config)
    except ChromaError:
        return None


def _worker_init(threads: int) -> None:
    import OpenImageIO as oiio  # noqa: PLC0415

    oiio.attribute("threads", max(1, threads))
    oiio.attribute("exr_threads", max(1, threads))


def grade_frames(plan: Sequence[tuple[Any, str, str]], grade: "Grade", colorspace: str | None = None,
                 write_options: dict | None = None, jobs: int | None = None, on_done=None) -> list[tuple[str, str]]:
    """Grade every (frame, input, output) of ``plan``; frames run in ``jobs`` processes (default:
    all cores). A frame that fails (missing, corrupt, unwritable) is recorded and the others
    still finish. Returns [(input, reason)] of failures; ``on_done(input)`` is called per frame."""
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    failures: list[tuple[str, str]] = []
    compiled: CompiledGrade | None = None
    if plan:
        first = next((p for _, p, _ in plan if os.path.exists(p)), None)
        src = first and file_colorspace(first, (write_options or {}).get("config"))
        compiled = grade.compile(src or grade.colorspace, colorspace or src or grade.colorspace)
    if jobs == 1 or len(plan) <= 1:
        for _frame, path, target in plan:
            try:
                grade_file(path, target, compiled or grade, colorspace, write_options)
            except ChromaError as exc:
                failures.append((path, str(exc)))
            if on_done:
                on_done(path)
        return failures
    import multiprocessing as mp  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: PLC0415

    threads = max(1, (os.cpu_count() or 1) // jobs)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn"),
                             initializer=_worker_init, initargs=(threads,)) as pool:
        futures = {pool.submit(grade_file, path, target, compiled, colorspace, write_options): path
                   for _frame, path, target in plan}
        try:
            for fut in as_completed(futures):
                path = futures[fut]
                try:
                    fut.result()
                except ChromaError as exc:
                    failures.append((path, str(exc)))
                except Exception as exc:  # a crashed worker: report the frame, keep going
                    failures.append((path, f"{type(exc).__name__}: {exc}"))
                if on_done:
                    on_done(path)
        except KeyboardInterrupt:
            for fut in futures:
                fut.cancel()
            raise
    return failures

__all__ = [
    "Grade", "CompiledGrade", "Operation", "Exposure", "WhiteBalance", "CDL", "Contrast", "Saturation",
    "Look", "LUT", "OPERATIONS", "operation_from_dict", "REC709_LUMA", "grade_file", "grade_frames",
]
