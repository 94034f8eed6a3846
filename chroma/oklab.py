"""OKLab and OKLCh: conversions, perceptual blends, gradients and crossfades.

Blending in sRGB-encoded values darkens and muddies mixes; blending in linear light is
physically right (it is what a lens or a dissolve of light does) but perceptually uneven;
OKLab (Ottosson 2020) gives even steps of lightness, chroma and hue. chroma offers all of
them side by side: ``space="oklab" | "oklch" | "linear" | "srgb"``.

Which of Ottosson's matrices is used where (both are his, published in [1]):

* **XYZ input** (:func:`xyz_to_oklab`, colour space ``"XYZ"``): the published ``M1``
  (CIE XYZ D65 -> LMS), the one the article's XYZ test table was made with and the one
  colour-science implements (``colour.XYZ_to_Oklab``). With it the D65 white
  (0.9505, 1, 1.089) lands at a = -2.6e-4, b = -1.1e-4, not exactly on the neutral axis.
* **RGB input** (linear sRGB and every scene-linear working space): the later,
  higher-precision linear-sRGB -> LMS matrix of the article's reference code (2021
  update), which maps sRGB white to L = M = S exactly. A working space goes through it as
  ``M_srgb_lms @ M_xyz_to_srgb @ M_working_to_xyz_d65`` (the XYZ -> linear sRGB matrix
  derived from the Rec.709 primaries and the D65 chromaticity 0.3127, 0.3290; the
  working space adapted to D65 with Bradford, as the ACES OCIO config's
  ``ACEScg -> CIE XYZ-D65`` does), composed once: a neutral of any working space is
  exactly neutral in OKLab, which the achromatic-hue rules of OKLCh blending rely on.
  The two routes differ by up to ~3e-4 in a and b.

An image conversion is one 3x3 matmul + cube root + one 3x3 matmul in float32.

References:
    [1] B. Ottosson, "A perceptual color space for image processing", 2020,
        https://bottosson.github.io/posts/oklab/ (M1, M2, the XYZ -> Oklab test table,
        and the updated linear sRGB -> LMS matrix of its reference code).
    [2] W3C, CSS Color Module Level 4, https://www.w3.org/TR/css-color-4/ : 12.4 hue
        interpolation (shorter/longer/increasing/decreasing), 12.3 premultiplied
        interpolation, 4.4 powerless (achromatic) hue, 13.2 gamut mapping (binary search
        on OKLCh chroma, deltaEOK JND 0.02, epsilon 0.0001), 13.3 deltaEOK.
    [3] IEC 61966-2-1:1999, sRGB transfer function.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Sequence

import numpy as np

from chroma._colour import colour
from chroma.errors import ChromaValueError, ColorSpaceError, closest

Space = Literal["oklab", "oklch", "linear", "srgb"]
HueMethod = Literal["shorter", "longer", "increasing", "decreasing"]
SPACES = ("oklab", "oklch", "linear", "srgb")
HUE_METHODS = ("shorter", "longer", "increasing", "decreasing")

XYZ = "XYZ"  #: colour-space token: CIE XYZ, D65 white, Y = 1 for diffuse white
LINEAR_SRGB = "linear-sRGB"  #: colour-space token: linear Rec.709 primaries, D65

JND = 0.02  #: CSS Color 4 gamut mapping: deltaEOK just-noticeable difference
GAMUT_EPSILON = 1e-4  #: CSS Color 4 gamut mapping: binary search tolerance on chroma
ACHROMATIC = 1e-5  #: OKLCh chroma (relative to max(L, 1)) under which hue is powerless
MID_GREY = 0.18
BLACK_STOPS = -20.0  #: exposure given to black (Y <= 0) by luminance-preserving blends

# Ottosson [1], reference code (2021 update): linear sRGB -> LMS. Not in colour-science.
_SRGB_TO_LMS = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)


# ------------------------------------------------------------------------------ matrices


@functools.lru_cache(maxsize=None)
def _ottosson() -> tuple[np.ndarray, np.ndarray]:
    """Ottosson's published M1 (XYZ -> LMS) and M2 (LMS' -> Lab), from colour-science."""
    m = colour().models.oklab
    return np.array(m.MATRIX_1_XYZ_TO_LMS, np.float64), np.array(m.MATRIX_2_LMS_TO_LAB, np.float64)


@functools.lru_cache(maxsize=None)
def _d65_xy() -> np.ndarray:
    return np.asarray(colour().CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"], np.float64)


@functools.lru_cache(maxsize=None)
def _srgb_to_xyz() -> np.ndarray:
    """Linear sRGB -> XYZ derived from the Rec.709 primaries and D65 xy (0.3127, 0.3290)."""
    c = colour()
    return np.asarray(c.normalised_primary_matrix(c.RGB_COLOURSPACES["sRGB"].primaries, _d65_xy()), np.float64)


def _kind(colorspace: str, config: Any) -> tuple[str, str]:
    """('xyz' | 'srgb' | 'ocio', canonical name) of a linear colour space."""
    low = str(colorspace).lower().replace("_", "-")
    if low in ("xyz", "cie-xyz", "xyz-d65", "cie-xyz-d65"):
        return "xyz", XYZ
    if low in ("linear-srgb", "srgb-linear", "lin-srgb", "linear-rec709"):
        return "srgb", LINEAR_SRGB
    from chroma import ocio

    name = ocio.resolve_colorspace(colorspace, config)
    cfg = ocio.get_config(config)
    xyz_cs = cfg.getColorSpace("cie_xyz_d65_interchange")
    if xyz_cs is not None and name == xyz_cs.getName():
        return "xyz", name
    return "ocio", name


@functools.lru_cache(maxsize=64)
def _working_to_xyz(name: str, config_path: str) -> np.ndarray:
    from chroma import ocio

    if not ocio.is_scene_linear(name, config_path):
        raise ColorSpaceError(
            f"{name!r} is not scene-linear; OKLab conversions need a linear working space "
            "(e.g. ACEScg, 'Linear Rec.709 (sRGB)'): convert the pixels first"
        )
    chroma_xy = ocio.chromaticities(name, config_path)
    c = colour()
    if chroma_xy is not None:
        primaries = np.reshape(chroma_xy[:6], (3, 2))
        white = np.asarray(chroma_xy[6:], np.float64)
        npm = np.asarray(c.normalised_primary_matrix(primaries, white), np.float64)
        if np.allclose(white, _d65_xy(), atol=1e-6):
            return npm
        cat = c.adaptation.matrix_chromatic_adaptation_VonKries(
            c.xy_to_XYZ(white), c.xy_to_XYZ(_d65_xy()), transform="Bradford"
        )
        return np.asarray(cat, np.float64) @ npm
    return _ocio_to_xyz(name, config_path)


def _ocio_to_xyz(name: str, config_path: str) -> np.ndarray:
    """The matrix the config itself gives (its own chromatic adaptation) from ``name`` to
    its ``cie_xyz_d65_interchange`` role: used for spaces whose primaries chroma does not
    know."""
    from chroma import ocio

    cfg = ocio.get_config(config_path)
    xyz_cs = cfg.getColorSpace("cie_xyz_d65_interchange")
    if xyz_cs is None:
        raise ColorSpaceError(
            f"cannot relate {name!r} to CIE XYZ: the config has no cie_xyz_d65_interchange role"
        )
    proc = cfg.getProcessor(name, xyz_cs.getName()).getDefaultCPUProcessor()
    eye = np.eye(3, dtype=np.float32)
    return ocio.apply_cpu(proc, eye).astype(np.float64).T


def rgb_to_xyz_matrix(colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """3x3 matrix from a linear colour space to CIE XYZ with a D65 white (float64).

    OCIO colour spaces with known primaries are derived with colour-science (normalised
    primary matrix, SMPTE RP 177) and adapted to D65 (xy 0.3127, 0.3290) with Bradford,
    as the ACES OCIO config's ``ACEScg -> CIE XYZ-D65`` does; others are read from the
    config's ``cie_xyz_d65_interchange`` role. Acts on column vectors: ``XYZ = M @ rgb``.
    """
    kind, name = _kind(colorspace, config)
    if kind == "xyz":
        return np.eye(3)
    if kind == "srgb":
        return _srgb_to_xyz().copy()
    from chroma import ocio

    return _working_to_xyz(name, ocio.config_path(config)).copy()


@functools.lru_cache(maxsize=64)
def _lms_matrices(kind: str, name: str, config_path: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(to_lms, from_lms) float64 for a linear space."""
    m1, _ = _ottosson()
    if kind == "xyz":
        to = m1
    elif kind == "srgb":
        to = _SRGB_TO_LMS
    else:
        to = _SRGB_TO_LMS @ np.linalg.inv(_srgb_to_xyz()) @ _working_to_xyz(name, config_path)
    return to, np.linalg.inv(to)


@functools.lru_cache(maxsize=64)
def _f32(key: tuple) -> tuple[np.ndarray, ...]:
    to, frm = _lms_matrices(*key)
    _, m2 = _ottosson()
    return tuple(np.ascontiguousarray(m.T, np.float32) for m in (to, frm, m2, np.linalg.inv(m2)))


def _key(colorspace: str, config: Any) -> tuple:
    kind, name = _kind(colorspace, config)
    if kind == "ocio":
        from chroma import ocio

        return (kind, name, ocio.config_path(config))
    return (kind, name, None)


# ---------------------------------------------------------------------------- conversions


def _array(values: Any) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype != np.float64:
        arr = arr.astype(np.float32, copy=False)
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ChromaValueError(f"expected colours with 3 components in the last axis, got shape {arr.shape}")
    return arr


def _mats(arr: np.ndarray, colorspace: str, config: Any) -> tuple[np.ndarray, ...]:
    key = _key(colorspace, config)
    if arr.dtype == np.float64:
        to, frm = _lms_matrices(*key)
        _, m2 = _ottosson()
        return to.T, frm.T, m2.T, np.linalg.inv(m2).T
    return _f32(key)


def to_oklab(rgb: Any, colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """OKLab (L, a, b) of linear colours: ``Lab = M2 @ cbrt(M1 @ rgb)`` [1].

    Args:
        rgb: (..., 3) linear values in ``colorspace`` (an OCIO scene-linear space,
            ``"XYZ"`` for CIE XYZ D65, or ``"linear-sRGB"``). Values above 1.0 and negative
            values are fine (the cube root is sign-preserving).
        colorspace: see the module docstring for which M1 is used where.
    Returns:
        (..., 3) OKLab, L = 1 for diffuse white; float32 (float64 if ``rgb`` is float64).
    """
    arr = _array(rgb)
    to, _, m2, _ = _mats(arr, colorspace, config)
    lms = arr @ to
    np.cbrt(lms, out=lms)
    return lms @ m2


def from_oklab(lab: Any, colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """Linear colours in ``colorspace`` from OKLab: the exact inverse of :func:`to_oklab`."""
    arr = _array(lab)
    _, frm, _, m2i = _mats(arr, colorspace, config)
    lms = arr @ m2i
    lms = lms * lms * lms
    return lms @ frm


def xyz_to_oklab(xyz: Any) -> np.ndarray:
    """OKLab of CIE XYZ (D65 white, Y = 1) with Ottosson's published M1 and M2 [1]."""
    return to_oklab(xyz, XYZ)


def oklab_to_xyz(lab: Any) -> np.ndarray:
    """CIE XYZ (D65) of OKLab; inverse of :func:`xyz_to_oklab`."""
    return from_oklab(lab, XYZ)


def linear_srgb_to_oklab(rgb: Any) -> np.ndarray:
    """OKLab of linear sRGB (Rec.709 primaries, D65) with Ottosson's sRGB -> LMS matrix [1]."""
    return to_oklab(rgb, LINEAR_SRGB)


def oklab_to_linear_srgb(lab: Any) -> np.ndarray:
    """Linear sRGB of OKLab; inverse of :func:`linear_srgb_to_oklab`."""
    return from_oklab(lab, LINEAR_SRGB)


def oklab_to_oklch(lab: Any) -> np.ndarray:
    """OKLCh (L, C, h) of OKLab: C = hypot(a, b), h = atan2(b, a) in degrees [0, 360) [2].

    The hue of an achromatic colour (C ~ 0) is powerless; it is returned as computed
    (finite) and :func:`mix` ignores it, as CSS Color 4 section 4.4 defines.
    """
    arr = _array(lab)
    out = np.empty_like(arr)
    out[..., 0] = arr[..., 0]
    out[..., 1] = np.hypot(arr[..., 1], arr[..., 2])
    out[..., 2] = np.mod(np.degrees(np.arctan2(arr[..., 2], arr[..., 1])), 360.0)
    return out


def oklch_to_oklab(lch: Any) -> np.ndarray:
    """OKLab of OKLCh (hue in degrees)."""
    arr = _array(lch)
    out = np.empty_like(arr)
    h = np.radians(arr[..., 2])
    out[..., 0] = arr[..., 0]
    out[..., 1] = arr[..., 1] * np.cos(h)
    out[..., 2] = arr[..., 1] * np.sin(h)
    return out


def rgb_to_rgb(rgb: Any, src: str, dst: str, config: str | os.PathLike | None = None) -> np.ndarray:
    """Convert linear colours between two linear spaces (``"XYZ"``, ``"linear-sRGB"``, OCIO names)."""
    arr = _array(rgb)
    m = np.linalg.inv(rgb_to_xyz_matrix(dst, config)) @ rgb_to_xyz_matrix(src, config)
    return arr @ m.T.astype(arr.dtype)


def srgb_encode(linear: Any) -> np.ndarray:
    """sRGB transfer function (IEC 61966-2-1), extended to negatives by odd symmetry and
    above 1.0 by the same power segment (as CSS Color 4's extended sRGB)."""
    x = np.asarray(linear)
    x = x if x.dtype == np.float64 else x.astype(np.float32)
    a = np.abs(x)
    y = np.where(a <= 0.0031308, 12.92 * a, 1.055 * np.power(a, 1 / 2.4, dtype=x.dtype) - 0.055)
    return (np.sign(x) * y).astype(x.dtype)


def srgb_decode(encoded: Any) -> np.ndarray:
    """Inverse of :func:`srgb_encode` (IEC 61966-2-1 EOTF, extended)."""
    x = np.asarray(encoded)
    x = x if x.dtype == np.float64 else x.astype(np.float32)
    a = np.abs(x)
    y = np.where(a <= 0.04045, a / 12.92, np.power((a + 0.055) / 1.055, 2.4, dtype=x.dtype))
    return (np.sign(x) * y).astype(x.dtype)


def delta_e_ok(lab1: Any, lab2: Any) -> np.ndarray:
    """deltaEOK: Euclidean distance in OKLab (CSS Color 4, 13.3)."""
    d = np.asarray(lab1) - np.asarray(lab2)
    return np.sqrt(np.sum(d * d, axis=-1))


# ------------------------------------------------------------------------- gamut mapping


def _outside(rgb: np.ndarray, upper: float | None) -> np.ndarray:
    bad = np.any(rgb < 0.0, axis=-1)
    if upper is not None:
        bad |= np.any(rgb > upper, axis=-1)
    return bad


def _clip(rgb: np.ndarray, upper: float | None) -> np.ndarray:
    return np.maximum(rgb, 0.0) if upper is None else np.clip(rgb, 0.0, upper)


def gamut_map(
    rgb: Any,
    colorspace: str = LINEAR_SRGB,
    *,
    upper: float | None = 1.0,
    config: str | os.PathLike | None = None,
    jnd: float = JND,
    epsilon: float = GAMUT_EPSILON,
) -> np.ndarray:
    """Bring linear colours into the gamut of ``colorspace`` by reducing OKLCh chroma at
    constant lightness and hue: CSS Color 4, 13.2 "binary search gamut mapping with local
    MINDE" [2], vectorised over pixels.

    The gamut is every channel in [0, ``upper``] (``upper=1.0``: a display-referred
    gamut such as linear sRGB for an sRGB PNG) or, with ``upper=None``, every channel
    >= 0 (a scene-linear working space: values above 1.0 are light, not out of gamut, and
    the L >= 1 -> white rule does not apply). Colours already in gamut are returned
    unchanged. The search stops where clipping the reduced colour changes it by less than
    the deltaEOK ``jnd`` (0.02); the result is that clipped colour, so every channel is in
    range, and hue and lightness move by less than the JND. Channels are never clipped
    outside that JND.

    Returns an array of the input's shape and dtype (float32 or float64).
    """
    arr = _array(rgb)
    flat = arr.reshape(-1, 3)
    out = flat.copy()
    bad = _outside(flat, upper)
    if not bad.any():
        return out.reshape(arr.shape)
    sub = flat[bad].astype(np.float64)
    lab = to_oklab(sub, colorspace, config)
    L = lab[:, 0]
    res = np.zeros_like(sub)
    todo = np.ones(len(sub), bool)
    if upper is not None:
        white = L >= 1.0
        res[white] = upper
        todo &= ~white
    black = L <= 0.0
    res[black] = 0.0
    todo &= ~black
    clipped0 = _clip(sub, upper)
    near = todo & (delta_e_ok(to_oklab(clipped0, colorspace, config), lab) < jnd)
    res[near] = clipped0[near]
    todo &= ~near
    idx = np.nonzero(todo)[0]
    if idx.size:
        Ls = L[idx]
        h = np.arctan2(lab[idx, 2], lab[idx, 1])
        cos_h, sin_h = np.cos(h), np.sin(h)
        lo = np.zeros(idx.size)
        hi = np.hypot(lab[idx, 1], lab[idx, 2])
        lo_in = np.ones(idx.size, bool)
        done = np.zeros(idx.size, bool)
        final = np.zeros((idx.size, 3))

        def at(sel: np.ndarray, chroma: np.ndarray) -> np.ndarray:
            return np.stack([Ls[sel], chroma * cos_h[sel], chroma * sin_h[sel]], axis=-1)

        for _ in range(64):
            act = np.nonzero(~done & (hi - lo > epsilon))[0]
            if act.size == 0:
                break
            ch = 0.5 * (lo[act] + hi[act])
            cur_lab = at(act, ch)
            cur = from_oklab(cur_lab, colorspace, config)
            inside = lo_in[act] & ~_outside(cur, upper)
            lo[act[inside]] = ch[inside]
            rest = ~inside
            r_idx, r_ch = act[rest], ch[rest]
            clipped = _clip(cur[rest], upper)
            e = delta_e_ok(to_oklab(clipped, colorspace, config), cur_lab[rest])
            close = e < jnd
            fin = close & (jnd - e < epsilon)
            final[r_idx[fin]] = clipped[fin]
            done[r_idx[fin]] = True
            mid = close & ~fin
            lo_in[r_idx[mid]] = False
            lo[r_idx[mid]] = r_ch[mid]
            hi[r_idx[~close]] = r_ch[~close]
        # Not finished inside the loop: the colour at the last accepted chroma, clipped
        # (it is in gamut, or within the JND of its clip).
        rest = np.nonzero(~done)[0]
        if rest.size:
            final[rest] = _clip(from_oklab(at(rest, lo[rest]), colorspace, config), upper)
        res[idx] = final
    res = _restore_hue(res, lab, black | (white if upper is not None else False), colorspace, upper, config)
    out[bad] = res.astype(out.dtype)
    return out.reshape(arr.shape)


def _restore_hue(res: np.ndarray, lab: np.ndarray, skip: np.ndarray, colorspace: str,
                 upper: float | None, config: Any, tolerance_deg: float = 0.05) -> np.ndarray:
    """Put back the hue that the final clip of the CSS algorithm moved (up to
    atan(JND / C), tens of degrees for weak colours): keep the clipped colour's lightness
    and chroma, restore the original hue, and reduce chroma at that lightness and hue to
    the gamut boundary (bisection, 30 steps). The result differs from the CSS one by less
    than the JND and keeps the original hue."""
    got = oklab_to_oklch(to_oklab(res, colorspace, config))
    h0 = np.degrees(np.arctan2(lab[:, 2], lab[:, 1]))
    dh = np.abs(np.mod(got[:, 2] - h0 + 180.0, 360.0) - 180.0)
    fix = np.nonzero(~skip & (got[:, 1] > 1e-6) & (dh > tolerance_deg))[0]
    if fix.size == 0:
        return res
    L = got[fix, 0]
    h = np.radians(h0[fix])
    cos_h, sin_h = np.cos(h), np.sin(h)
    lo, hi = np.zeros(fix.size), got[fix, 1].copy()

    def at(chroma: np.ndarray, sel: slice | np.ndarray = slice(None)) -> np.ndarray:
        return from_oklab(np.stack([L[sel], chroma * cos_h[sel], chroma * sin_h[sel]], axis=-1), colorspace, config)

    for _ in range(30):
        mid = 0.5 * (lo + hi)
        inside = ~_outside(at(mid), upper)
        lo = np.where(inside, mid, lo)
        hi = np.where(inside, hi, mid)
    res = res.copy()
    res[fix] = _clip(at(lo), upper)  # clips float noise only: at(lo) is in gamut
    return res


def to_display(rgb: Any, colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """sRGB-encoded display values in [0, 1] of linear colours (diffuse white 1.0 -> 1.0):
    converted to linear sRGB, gamut mapped as CSS Color 4 does (:func:`gamut_map`), then
    encoded with the sRGB transfer function (IEC 61966-2-1). No tone mapping: this shows
    colours as they are (swatches, gradients, blend figures); for scene-referred images
    use an OCIO display view (``chroma.io.write_display``)."""
    lin = rgb_to_rgb(rgb, colorspace, LINEAR_SRGB, config)
    return np.clip(srgb_encode(gamut_map(lin, LINEAR_SRGB, upper=1.0)), 0.0, 1.0)


# ------------------------------------------------------------------------------- colours


def parse_color(text: Any, colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """A colour as linear RGB (3,) float64 in ``colorspace``.

    Accepts ``"#ff00ff"`` / ``"#f0f"`` (sRGB-encoded display values, IEC 61966-2-1,
    decoded to linear Rec.709 and converted), ``"r,g,b"`` (linear values already in
    ``colorspace``), ``"3200K"`` (a white of that correlated colour temperature at
    luminance Y = 1.0: Planckian below 4000 K, CIE daylight from 4000 K, via
    ``chroma.whitebalance.kelvin_to_xy``), or a sequence of three numbers.
    """
    if not isinstance(text, str):
        arr = np.asarray(text, dtype=np.float64)
        if arr.shape != (3,) or not np.all(np.isfinite(arr)):
            raise ChromaValueError(f"a colour needs three finite numbers, got {text!r}")
        return arr
    s = text.strip()
    hexpart = s[1:] if s.startswith("#") else s
    if (s.startswith("#") and len(hexpart) in (3, 6)) or (len(hexpart) == 6 and not s.startswith("#")):
        if all(ch in "0123456789abcdefABCDEF" for ch in hexpart):
            if len(hexpart) == 3:
                hexpart = "".join(ch * 2 for ch in hexpart)
            enc = np.array([int(hexpart[i : i + 2], 16) / 255.0 for i in (0, 2, 4)])
            return rgb_to_rgb(srgb_decode(enc), LINEAR_SRGB, colorspace, config)
        if s.startswith("#"):
            raise ChromaValueError(f"{text!r} is not a hex colour: use #rrggbb or #rgb (e.g. #ff8000)")
    if s[-1:] in ("K", "k") and _is_number(s[:-1]):
        return kelvin_color(float(s[:-1]), colorspace, config)
    if "," in s:
        parts = [p.strip() for p in s.split(",")]
        if len(parts) == 3 and all(_is_number(p) for p in parts):
            return np.array([float(p) for p in parts])
        raise ChromaValueError(f"{text!r} is not a colour: write r,g,b as three numbers (e.g. 0.18,0.1,0.05)")
    raise ChromaValueError(
        f"{text!r} is not a colour: use hex (#ff8000), r,g,b in the working space (0.5,0.2,0.1) "
        "or Kelvin (3200K)"
    )


def looks_like_color(text: str) -> bool:
    """True when ``text`` is written like a colour (hex, r,g,b or Kelvin), right or not."""
    s = text.strip()
    return (
        s.startswith("#")
        or (s[-1:] in ("K", "k") and _is_number(s[:-1]))
        or ("," in s and not os.path.exists(s))
        or (len(s) == 6 and all(ch in "0123456789abcdefABCDEF" for ch in s) and not os.path.exists(s))
    )


def _is_number(s: str) -> bool:
    try:
        return np.isfinite(float(s))
    except ValueError:
        return False


def _kelvin_to_xy(kelvin: float) -> np.ndarray:
    from chroma.whitebalance import kelvin_to_xy  # Planckian below 4000 K, daylight above

    return np.asarray(kelvin_to_xy(kelvin), np.float64)


def kelvin_color(kelvin: float, colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """Linear RGB (3,) in ``colorspace`` of a white of ``kelvin`` at luminance Y = 1.0."""
    xy = _kelvin_to_xy(kelvin)
    xyz = np.array([xy[0] / xy[1], 1.0, (1.0 - xy[0] - xy[1]) / xy[1]])
    return rgb_to_rgb(xyz, XYZ, colorspace, config)


# ---------------------------------------------------------------------------------- blends


def _check(space: str, hue: str) -> None:
    if space not in SPACES:
        hint = closest(str(space), SPACES)
        raise ChromaValueError(f"unknown blend space {space!r}; choose {', '.join(SPACES)}" + (f" ({hint})" if hint else ""))
    if hue not in HUE_METHODS:
        raise ChromaValueError(f"unknown hue interpolation {hue!r}; choose {', '.join(HUE_METHODS)}")


def _colours(x: Any, colorspace: str, config: Any) -> np.ndarray:
    if isinstance(x, str):
        return parse_color(x, colorspace, config)
    arr = np.asarray(x)
    if arr.dtype != np.float64:
        arr = arr.astype(np.float32, copy=False)
    if arr.ndim == 0 or arr.shape[-1] not in (3, 4):
        raise ChromaValueError(f"colours need 3 (RGB) or 4 (RGBA) components in the last axis, got shape {arr.shape}")
    return arr


def _to_coords(rgb: np.ndarray, space: str, colorspace: str, config: Any) -> np.ndarray:
    if space == "oklab":
        return to_oklab(rgb, colorspace, config)
    if space == "oklch":
        return oklab_to_oklch(to_oklab(rgb, colorspace, config))
    if space == "srgb":
        return srgb_encode(rgb_to_rgb(rgb, colorspace, LINEAR_SRGB, config))
    return np.array(rgb, copy=True)


def _from_coords(c: np.ndarray, space: str, colorspace: str, config: Any) -> np.ndarray:
    if space == "oklab":
        return from_oklab(c, colorspace, config)
    if space == "oklch":
        return from_oklab(oklch_to_oklab(c), colorspace, config)
    if space == "srgb":
        return rgb_to_rgb(srgb_decode(c), LINEAR_SRGB, colorspace, config)
    return c


def _fix_hues(h1: np.ndarray, h2: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """CSS Color 4, 12.4: adjust hues (degrees, [0, 360)) for the interpolation method."""
    d = h2 - h1
    if method == "shorter":
        h1 = np.where(d > 180.0, h1 + 360.0, h1)
        h2 = np.where(d < -180.0, h2 + 360.0, h2)
    elif method == "longer":
        h1 = np.where((d > 0.0) & (d < 180.0), h1 + 360.0, h1)
        h2 = np.where((d > -180.0) & (d <= 0.0), h2 + 360.0, h2)
    elif method == "increasing":
        h2 = np.where(d < 0.0, h2 + 360.0, h2)
    else:  # decreasing
        h1 = np.where(d > 0.0, h1 + 360.0, h1)
    return h1, h2


def luminance_weights(colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """Y weights of a linear space (OCIO spaces: ``chroma.ocio.luminance_weights``)."""
    kind, name = _kind(colorspace, config)
    if kind == "xyz":
        return np.array([0.0, 1.0, 0.0])
    if kind == "srgb":
        return _srgb_to_xyz()[1].copy()
    from chroma import ocio

    return np.asarray(ocio.luminance_weights(name, config), np.float64)


def _normalise(c: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(colour scaled to luminance 0.18, its exposure in stops relative to 0.18)."""
    y = c @ w.astype(c.dtype)
    dark = ~(y > MID_GREY * 2.0**BLACK_STOPS)
    ye = np.where(dark, MID_GREY, y)
    cn = c * (MID_GREY / ye)[..., None]
    cn[dark] = MID_GREY / float(np.sum(w))
    stops = np.where(dark, BLACK_STOPS, np.log2(ye / MID_GREY))
    return cn, stops.astype(c.dtype)


def mix(
    a: Any,
    b: Any,
    t: Any,
    space: Space = "oklab",
    *,
    hue: HueMethod = "shorter",
    colorspace: str = "ACEScg",
    premultiplied: bool = True,
    preserve_luminance: bool = False,
    config: str | os.PathLike | None = None,
) -> np.ndarray:
    """Blend colours or images: ``(1 - t) * a + t * b`` with the sums taken in ``space``.

    Args:
        a, b: (..., 3) linear RGB or (..., 4) RGBA in ``colorspace`` (arrays broadcast, so a
            colour blends with an image), or colour strings (see :func:`parse_color`).
        t: blend weight, 0 gives ``a``, 1 gives ``b``: a number, or an array shaped like the
            colours without their last axis (optionally with a trailing 1), e.g. a matte.
        space: ``"oklab"`` (perceptually even, Ottosson 2020), ``"oklch"`` (polar OKLab,
            hue interpolated with ``hue``), ``"linear"`` (linear light in ``colorspace``, what
            a dissolve of light does), ``"srgb"`` (sRGB-encoded Rec.709 values, what most
            2D software does; extended beyond [0, 1]).
        hue: OKLCh hue interpolation, CSS Color 4 12.4: shorter, longer, increasing,
            decreasing. The hue of an achromatic colour is powerless (CSS Color 4 4.4): the
            other colour's hue is used, so grey to red stays on red's hue.
        premultiplied: RGBA colours are premultiplied (associated alpha, the EXR
            convention; output likewise). The blend follows CSS Color 4 12.3: colour
            coordinates (not hue) are weighted by alpha, interpolated, and divided by the
            interpolated alpha, so a transparent colour contributes no colour.
        preserve_luminance: for scene-linear HDR values: each colour is scaled to a common
            exposure (luminance 0.18) and blended in ``space``, while its exposure in stops
            (log2(Y / 0.18)) is interpolated linearly and restored, so values above 1.0
            blend as exposures do (a 2-stop and a 6-stop light meet at 4 stops). Black
            (Y <= 0) counts as -20 stops.
    Returns:
        Blended values in ``colorspace``, float32 (float64 if an input is float64).
        Out-of-gamut results are left as they are: see :func:`gamut_map`.
    """
    _check(space, hue)
    a = _colours(a, colorspace, config)
    b = _colours(b, colorspace, config)
    dtype = np.float64 if np.float64 in (a.dtype, b.dtype) else np.float32
    a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
    if a.shape[-1] != b.shape[-1]:  # RGB with RGBA: RGB is opaque
        a, b = (_opaque(a) if a.shape[-1] == 3 else a), (_opaque(b) if b.shape[-1] == 3 else b)
    t = np.asarray(t, dtype=dtype)
    if not np.all(np.isfinite(t)):
        raise ChromaValueError("blend weight t must be finite")
    if t.ndim == 0 or not (t.ndim >= 2 and t.shape[-1] == 1):
        t = t[..., None]
    try:
        lead = np.broadcast_shapes(a.shape[:-1], b.shape[:-1], t.shape[:-1])
    except ValueError:
        raise ChromaValueError(
            f"cannot blend shapes {a.shape} and {b.shape} with weights of shape {t.shape[:-1]}"
        ) from None
    nch = a.shape[-1]
    a, b, t = (np.broadcast_to(x, lead + (x.shape[-1],)) for x in (a, b, t))
    has_alpha = nch == 4
    ca, cb = a[..., :3], b[..., :3]
    if has_alpha:
        aa, ab = a[..., 3:], b[..., 3:]
        if premultiplied:
            ca, cb = _unpremultiply(ca, aa), _unpremultiply(cb, ab)
    if preserve_luminance:
        w = luminance_weights(colorspace, config)
        ca, sa = _normalise(np.asarray(ca, dtype), w)
        cb, sb = _normalise(np.asarray(cb, dtype), w)
    pa = _to_coords(ca, space, colorspace, config)
    pb = _to_coords(cb, space, colorspace, config)
    if preserve_luminance:
        pa = np.concatenate([pa, sa[..., None]], axis=-1)
        pb = np.concatenate([pb, sb[..., None]], axis=-1)
    if space == "oklch":
        ach_a = pa[..., 1] <= ACHROMATIC * np.maximum(np.abs(pa[..., 0]), 1.0)
        ach_b = pb[..., 1] <= ACHROMATIC * np.maximum(np.abs(pb[..., 0]), 1.0)
        ha = np.where(ach_a, pb[..., 2], pa[..., 2])
        hb = np.where(ach_b, ha, pb[..., 2])
        pa[..., 2], pb[..., 2] = _fix_hues(ha, hb, hue)
    keep = [i for i in range(pa.shape[-1]) if not (space == "oklch" and i == 2)]
    if has_alpha:
        pa[..., keep] *= aa
        pb[..., keep] *= ab
        alpha = aa + (ab - aa) * t
    out = pa + (pb - pa) * t
    if has_alpha:
        inv = np.divide(1.0, alpha, out=np.zeros_like(alpha), where=alpha > 0)
        out[..., keep] *= inv
    if space == "oklch":
        out[..., 2] = np.mod(out[..., 2], 360.0)
    rgb = _from_coords(np.ascontiguousarray(out[..., :3]), space, colorspace, config)
    if preserve_luminance:
        y = rgb @ w.astype(dtype)
        target = MID_GREY * np.exp2(out[..., 3])
        rgb = rgb * np.divide(target, y, out=np.zeros_like(y), where=y > 0)[..., None]
    if has_alpha:
        if premultiplied:
            rgb = rgb * alpha
        rgb = np.concatenate([rgb, alpha], axis=-1)
    return np.asarray(rgb, dtype)


def _opaque(c: np.ndarray) -> np.ndarray:
    return np.concatenate([c, np.ones(c.shape[:-1] + (1,), c.dtype)], axis=-1)


def _unpremultiply(c: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return np.divide(c, alpha, out=np.zeros(np.broadcast_shapes(c.shape, alpha.shape), c.dtype), where=alpha > 0)


def _apply_gamut(rgb: np.ndarray, gamut: str | None, colorspace: str, config: Any) -> np.ndarray:
    """``gamut``: None (as is), "working" (channels >= 0 in the working space) or "srgb"
    (inside the linear sRGB [0, 1] cube, expressed in the working space)."""
    if gamut is None:
        return rgb
    if gamut not in ("working", "srgb"):
        raise ChromaValueError(f"unknown gamut {gamut!r}; choose working, srgb or None")
    colour_part = rgb[..., :3]
    alpha = rgb[..., 3:] if rgb.shape[-1] == 4 else None
    if alpha is not None:
        colour_part = _unpremultiply(colour_part, alpha)
    if gamut == "working":
        mapped = gamut_map(colour_part, colorspace, upper=None, config=config)
    else:
        lin = rgb_to_rgb(colour_part, colorspace, LINEAR_SRGB, config)
        mapped = rgb_to_rgb(gamut_map(lin, LINEAR_SRGB, upper=1.0), LINEAR_SRGB, colorspace, config)
    if alpha is not None:
        return np.concatenate([mapped * alpha, alpha], axis=-1)
    return mapped


def gradient(
    colors: Sequence[Any],
    steps: int,
    space: Space = "oklab",
    *,
    hue: HueMethod = "shorter",
    colorspace: str = "ACEScg",
    preserve_luminance: bool = False,
    gamut: Literal["working", "srgb"] | None = None,
    config: str | os.PathLike | None = None,
) -> np.ndarray:
    """``steps`` colours evenly spaced through ``colors`` (two or more stops, evenly placed),
    blended in ``space`` with :func:`mix`. Returns (steps, 3 or 4) in ``colorspace``.

    ``gamut``: None (default, exact blends), ``"working"`` (no negative channels in the
    working space) or ``"srgb"`` (inside the sRGB display gamut), mapped by reducing OKLCh
    chroma at constant lightness and hue (:func:`gamut_map`), never by clipping channels.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ChromaValueError(f"a gradient needs at least 2 steps, got {steps!r}")
    if isinstance(colors, (str, bytes)) or len(colors) < 2:
        raise ChromaValueError("a gradient needs at least two colours")
    cols = [_colours(c, colorspace, config) for c in colors]
    if any(c.ndim != 1 for c in cols):
        raise ChromaValueError("gradient colours must be single colours (3 or 4 numbers each)")
    if len({c.shape[-1] for c in cols}) > 1:
        cols = [_opaque(c) if c.shape[-1] == 3 else c for c in cols]
    stops = np.stack(cols).astype(np.float64)
    n = len(stops) - 1
    u = np.linspace(0.0, 1.0, int(steps)) * n
    k = np.minimum(np.floor(u).astype(int), n - 1)
    out = mix(stops[k], stops[k + 1], u - k, space, hue=hue, colorspace=colorspace,
              preserve_luminance=preserve_luminance, config=config)
    return _apply_gamut(out, gamut, colorspace, config)


# ------------------------------------------------------------------- images and sequences

CURVES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda u: u,
    "smooth": lambda u: u * u * (3.0 - 2.0 * u),  # smoothstep
    "ease-in": lambda u: u * u,
    "ease-out": lambda u: 1.0 - (1.0 - u) ** 2,
    "ease-in-out": lambda u: np.where(u < 0.5, 4.0 * u**3, 1.0 - (-2.0 * u + 2.0) ** 3 / 2.0),
}


def crossfade_weights(count: int, curve: str = "smooth") -> np.ndarray:
    """Blend weights of a ``count``-frame crossfade: ``curve(i / (count - 1))``, from 0 (all
    A) on the first frame to 1 (all B) on the last; a single frame gets 0.5.

    Curves: linear, smooth (smoothstep 3u^2 - 2u^3), ease-in (u^2), ease-out, ease-in-out
    (cubic)."""
    if curve not in CURVES:
        hint = closest(str(curve), CURVES)
        raise ChromaValueError(f"unknown crossfade curve {curve!r}; choose {', '.join(CURVES)}" + (f" ({hint})" if hint else ""))
    if count < 1:
        raise ChromaValueError("a crossfade needs at least one frame")
    if count == 1:
        return np.array([0.5])
    return np.asarray(CURVES[curve](np.linspace(0.0, 1.0, count)), np.float64)


def mix_images(
    a: Any,
    b: Any,
    t: Any,
    space: Space = "oklab",
    *,
    hue: HueMethod = "shorter",
    colorspace: str = "ACEScg",
    preserve_luminance: bool = False,
    gamut: Literal["working", "srgb"] | None = "working",
    config: str | os.PathLike | None = None,
) -> "Image":
    """Blend two :class:`chroma.Image` (or an image and a colour) with :func:`mix`.

    Both are converted to ``colorspace`` (scene-linear working space) with OCIO. Alpha
    (``A``) is premultiplied, as in EXR; an image without alpha is opaque. Other channels
    both images have (depth, AOVs) are mixed linearly; the others are dropped. Results
    are gamut mapped (``gamut``, default: no negative working-space channels).
    """
    from chroma import ocio
    from chroma.image import Image

    images = [x for x in (a, b) if isinstance(x, Image)]
    if not images:
        raise ChromaValueError("mix_images needs at least one image (the other may be a colour)")
    cs = ocio.resolve_colorspace(colorspace, config)
    shape = (images[0].height, images[0].width)
    for im in images:
        if (im.height, im.width) != shape:
            raise ChromaValueError(
                f"images differ in size ({images[0].width}x{images[0].height} and {im.width}x{im.height}); "
                "resize one first"
            )

    def layers(x: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if isinstance(x, Image):
            rgb = ocio.convert(x.rgb, x.colorspace, cs, config)
            extra = {c: x.pixels[:, :, i] for i, c in enumerate(x.channels) if c not in ("R", "G", "B", "Y")}
            alpha = extra.pop("A", None)
            rgba = np.concatenate([rgb, (np.ones(shape, np.float32) if alpha is None else alpha)[:, :, None]], axis=2)
            return rgba, extra
        col = _colours(x, cs, config).astype(np.float32)
        if col.ndim != 1:
            raise ChromaValueError("the non-image side of an image blend must be a single colour")
        return (_opaque(col) if col.shape[-1] == 3 else col) * np.ones(shape + (1,), np.float32), {}

    (pa, ea), (pb, eb) = layers(a), layers(b)
    any_alpha = any("A" in im.channels for im in images)
    out = mix(pa, pb, t, space, hue=hue, colorspace=cs, preserve_luminance=preserve_luminance, config=config)
    out = _apply_gamut(out, gamut, cs, config)
    channels = ["R", "G", "B"] + (["A"] if any_alpha else [])
    planes = [out[:, :, i] for i in range(len(channels))]
    tt = np.asarray(t, np.float32)
    tt = tt[..., 0] if tt.ndim == 3 else tt
    for name in [c for c in ea if c in eb]:
        channels.append(name)
        planes.append(ea[name] + (eb[name] - ea[name]) * tt)
    meta = dict(images[0].metadata)
    meta.update({"chroma/blend/space": space, "chroma/blend/hue": hue})
    if np.ndim(t) == 0:
        meta["chroma/blend/t"] = float(t)
    return Image(np.stack(planes, axis=2).astype(np.float32), channels, cs, meta)


def _source(x: Any, colorspace: str, config: Any) -> tuple[str, Any]:
    """('image', Image) | ('colour', rgb) | ('file', path) | ('sequence', Pattern)."""
    from chroma import sequence
    from chroma.image import Image

    if isinstance(x, Image):
        return "image", x
    if not isinstance(x, (str, os.PathLike)):
        return "colour", _colours(x, colorspace, config)
    text = os.fspath(x)
    if looks_like_color(text):
        return "colour", parse_color(text, colorspace, config)
    pat = sequence.parse_pattern(text)
    if pat.is_sequence:
        return "sequence", pat
    if not os.path.exists(text):
        raise ChromaValueError(f"{text!r} is neither a colour nor an existing image or sequence pattern")
    return "file", text


def crossfade(
    a: Any,
    b: Any,
    output: str | os.PathLike,
    frames: str | Iterable[int] | None = None,
    space: Space = "oklab",
    curve: str = "smooth",
    *,
    hue: HueMethod = "shorter",
    colorspace: str = "ACEScg",
    preserve_luminance: bool = False,
    gamut: Literal["working", "srgb"] | None = "working",
    overwrite: bool = False,
    write_options: dict | None = None,
    progress: bool | None = None,
    config: str | os.PathLike | None = None,
) -> list[Path]:
    """Crossfade A into B over a frame set, writing EXR (or any OIIO format) frames.

    Args:
        a, b: sequence patterns (``plate.####.exr``), still images (held), colours (a fade
            to or from a colour), or :class:`chroma.Image`; at least one must be a picture.
        output: output pattern (``fade.####.exr``); a single file for a single frame.
        frames: frame set (``1001-1024``); default: the frames on disk of the sequence
            input(s) (those both have). Frame ``f`` of a sequence input is read for output
            frame ``f``.
        space, hue, preserve_luminance: as :func:`mix`.
        curve: weight over the frames, :func:`crossfade_weights` (first frame all A, last
            all B).
        gamut: as :func:`mix_images`. write_options: keywords for :func:`chroma.io.write`
            (dtype, compression, on_invalid...).
    Returns:
        The paths written. Each frame's header carries ``chroma/blend/*`` (space, hue, t,
        curve) and the two sources.
    Raises:
        ChromaError: bad input, missing input frames, or outputs that exist without
            ``overwrite`` -- all checked before any frame is written.
    """
    from chroma import io, ocio, sequence
    from chroma.errors import ChromaIOError, SequenceError
    from chroma.progress import Progress

    _check(space, hue)
    weights_check = crossfade_weights(1, curve)  # validates the curve name early
    del weights_check
    cs = ocio.resolve_colorspace(colorspace, config)
    srcs = [_source(x, cs, config) for x in (a, b)]
    if all(kind == "colour" for kind, _ in srcs):
        raise ChromaValueError("a crossfade needs at least one image or sequence (both sides are colours)")
    seqs = [v for kind, v in srcs if kind == "sequence"]
    if frames is None:
        if not seqs:
            raise ChromaValueError("no sequence among the inputs: give the frames to write (e.g. 1001-1024)")
        found = [set(sequence.discover(p).frames) for p in seqs]
        common = sorted(set.intersection(*found))
        if not common:
            raise SequenceError(
                "the input sequences have no frames in common on disk"
                if len(seqs) > 1 else f"no files match {seqs[0].text!r}"
            )
        frame_list = common
    else:
        frame_list = sequence.parse_frames(frames)
    for p in seqs:
        missing = [f for f in frame_list if not os.path.exists(p.path(f))]
        if missing:
            raise SequenceError(f"{p.text!r} lacks frames {sequence.format_frames(missing)}; give --frames it has")
    out_pat = sequence.parse_pattern(output)
    if len(frame_list) > 1 and not out_pat.is_sequence:
        raise SequenceError(f"{len(frame_list)} frames but the output {os.fspath(output)!r} is one file: give a pattern like fade.####.exr")
    targets = [out_pat.path(f) if out_pat.is_sequence else os.fspath(output) for f in frame_list]
    folder = Path(targets[0]).parent
    if not folder.is_dir():
        raise ChromaIOError(f"output folder {str(folder)!r} does not exist; create it first")
    inputs = {os.path.abspath(v.path(f)) for v in seqs for f in frame_list}
    inputs |= {os.path.abspath(v) for kind, v in srcs if kind == "file"}
    for tgt in targets:
        if os.path.abspath(tgt) in inputs:
            raise ChromaIOError(f"the output {tgt!r} would replace an input; write elsewhere")
    existing = [tgt for tgt in targets if os.path.exists(tgt)]
    if existing and not overwrite:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise ChromaIOError(f"{existing[0]!r}{more} exists; pass overwrite=True (CLI: --overwrite) to replace")

    stills: dict[int, Any] = {}

    def load(i: int, frame: int) -> Any:
        kind, v = srcs[i]
        if kind == "sequence":
            return io.read(v.path(frame), config=config)
        if kind == "file":
            if i not in stills:
                stills[i] = io.read(v, config=config)
            return stills[i]
        return v

    weights = crossfade_weights(len(frame_list), curve)
    names = [(v.text if kind == "sequence" else str(v) if kind == "file" else
              "colour " + ",".join(f"{c:.6g}" for c in np.ravel(v)) if kind == "colour" else "image")
             for kind, v in srcs]
    opts = dict(write_options or {})
    opts["overwrite"] = True
    opts.setdefault("config", config)
    written: list[Path] = []
    with Progress(len(frame_list), "crossfade", enabled=progress) as bar:
        for frame, tgt, w in zip(frame_list, targets, weights):
            img = mix_images(load(0, frame), load(1, frame), float(w), space, hue=hue, colorspace=cs,
                             preserve_luminance=preserve_luminance, gamut=gamut, config=config)
            img.metadata["chroma/frame"] = frame
            meta = {"blend/curve": curve, "blend/a": names[0], "blend/b": names[1]}
            written.append(io.write(img, tgt, metadata=meta, **opts))
            bar.update()
    return written


# ------------------------------------------------------------------------ compare figure


def compare_strips(
    a: Any,
    b: Any,
    width: int = 512,
    height: int = 150,
    spaces: Sequence[str] = ("oklab", "linear", "srgb"),
    *,
    hue: HueMethod = "shorter",
    colorspace: str = "ACEScg",
    config: str | os.PathLike | None = None,
) -> np.ndarray:
    """The same A -> B gradient blended in each of ``spaces``, as horizontal strips stacked
    top to bottom (first space on top): (height, width, 3) sRGB-encoded display values in
    [0, 1] (:func:`to_display`: gamut mapped, no tone mapping)."""
    if width < 2 or height < len(spaces):
        raise ChromaValueError(f"a compare figure needs width >= 2 and height >= {len(spaces)}")
    edges = np.linspace(0, height, len(spaces) + 1).round().astype(int)
    out = np.zeros((height, width, 3), np.float32)
    for i, space in enumerate(spaces):
        row = gradient([a, b], width, space, hue=hue, colorspace=colorspace, config=config)
        out[edges[i] : edges[i + 1]] = to_display(row[:, :3], colorspace, config)[None]
    return out


def write_compare(
    a: Any,
    b: Any,
    path: str | os.PathLike,
    width: int = 512,
    height: int = 150,
    spaces: Sequence[str] = ("oklab", "linear", "srgb"),
    *,
    hue: HueMethod = "shorter",
    colorspace: str = "ACEScg",
    overwrite: bool = False,
    labels: bool = True,
    config: str | os.PathLike | None = None,
) -> Path:
    """Write :func:`compare_strips` as a display-referred image (PNG): one strip per blend
    space, labelled with its name when a font is available (OIIO ``render_text``); the
    strip order is also in the ``ImageDescription`` header."""
    from chroma import io
    from chroma.errors import ChromaIOError
    from chroma.image import Image

    path = Path(path)
    if path.suffix.lower() == ".exr":
        raise ChromaValueError("the compare figure is display-referred: write a .png (or .jpg/.tif), not EXR")
    if path.exists() and not overwrite:
        raise ChromaIOError(f"{str(path)!r} exists; pass --overwrite to replace it")
    px = compare_strips(a, b, width, height, spaces, hue=hue, colorspace=colorspace, config=config)
    if labels:
        px = _label(px, spaces)
    desc = "chroma blend --compare, strips top to bottom: " + ", ".join(spaces)
    img = Image(px, ["R", "G", "B"], "sRGB Encoded Rec.709 (sRGB)", {"ImageDescription": desc})
    return io.write(img, path, overwrite=True, config=config)


def _label(px: np.ndarray, spaces: Sequence[str]) -> np.ndarray:
    try:
        import OpenImageIO as oiio

        h, w = px.shape[:2]
        buf = oiio.ImageBuf(np.ascontiguousarray(px))
        edges = np.linspace(0, h, len(spaces) + 1).round().astype(int)
        size = int(max(9, min(16, (edges[1] - edges[0]) * 0.35)))
        for i, name in enumerate(spaces):
            y = int(edges[i] + size + 3)
            oiio.ImageBufAlgo.render_text(buf, 7, y + 1, name, size, "", (0.0, 0.0, 0.0))
            if not oiio.ImageBufAlgo.render_text(buf, 6, y, name, size, "", (1.0, 1.0, 1.0)):
                return px  # no font: labels live in the header and docs
        return np.asarray(buf.get_pixels(oiio.FLOAT), np.float32).reshape(px.shape)
    except Exception:  # noqa: BLE001 - labels are a nicety, never a failure
        return px
