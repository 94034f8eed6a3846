"""OKLab and OKLCh conversions between linear spaces.

See the package docstring (:mod:`chroma.oklab`) for which of Ottosson's matrices is used
where, and the references.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Literal

import numpy as np

from chroma.caches import register_cache
from chroma.colorimetry import LINEAR_SRGB, XYZ, linear_space, linear_to_xyz_d65_matrix, srgb_to_xyz_matrix
from chroma.colorimetry import rgb_to_rgb as rgb_to_rgb  # here too, where OKLab's users import it
from chroma.colour_science import colour
from chroma.deprecation import deprecated_alias
from chroma.errors import ChromaValueError

Space = Literal["oklab", "oklch", "linear", "srgb"]
HueMethod = Literal["shorter", "longer", "increasing", "decreasing"]
SPACES = ("oklab", "oklch", "linear", "srgb")
HUE_METHODS = ("shorter", "longer", "increasing", "decreasing")


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


@functools.cache
def _ottosson() -> tuple[np.ndarray, np.ndarray]:
    """Ottosson's published M1 (XYZ -> LMS) and M2 (LMS' -> Lab), from colour-science."""
    m = colour().models.oklab
    return np.array(m.MATRIX_1_XYZ_TO_LMS, np.float64), np.array(m.MATRIX_2_LMS_TO_LAB, np.float64)


rgb_to_xyz_matrix = deprecated_alias(linear_to_xyz_d65_matrix, "chroma.oklab.rgb_to_xyz_matrix",
                                     "chroma.ocio.rgb_to_xyz_matrix(colorspace, config, white='D65')")


@register_cache
@functools.lru_cache(maxsize=64)
def _lms_matrices(kind: str, name: str, config_path: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(to_lms, from_lms) float64 for a linear space."""
    m1, _ = _ottosson()
    if kind == "xyz":
        to = m1
    elif kind == "srgb":
        to = _SRGB_TO_LMS
    else:
        to = _SRGB_TO_LMS @ np.linalg.inv(srgb_to_xyz_matrix()) @ linear_to_xyz_d65_matrix(name, config_path)
    return to, np.linalg.inv(to)


@register_cache
@functools.lru_cache(maxsize=64)
def _f32(key: tuple) -> tuple[np.ndarray, ...]:
    to, frm = _lms_matrices(*key)
    _, m2 = _ottosson()
    return tuple(np.ascontiguousarray(m.T, np.float32) for m in (to, frm, m2, np.linalg.inv(m2)))


def _key(colorspace: str, config: Any) -> tuple:
    kind, name = linear_space(colorspace, config)
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
    """OKLab (L, a, b) of linear colours: ``Lab = M2 @ cbrt(M1 @ rgb)``.

    Parameters
    ----------
    rgb : array_like
        (..., 3) linear values in ``colorspace``. Values above 1.0 and negative values are
        fine (the cube root is sign-preserving).
    colorspace : str, optional
        An OCIO scene-linear space (default ``"ACEScg"``), ``"XYZ"`` for CIE XYZ D65, or
        ``"linear-sRGB"``; see :mod:`chroma.oklab` for which M1 is used where.
    config : str, os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    numpy.ndarray
        (..., 3) OKLab: L in [0, 1] for diffuse white 0 to 1 (L = 1 for white), a and b
        unbounded; float32 (float64 if ``rgb`` is float64).

    Raises
    ------
    ChromaValueError
        Colours without 3 components in the last axis.
    ColorSpaceError
        An unknown colour space, or one that is not scene-linear.

    References
    ----------
    B. Ottosson, "A perceptual color space for image processing", 2020,
    https://bottosson.github.io/posts/oklab/ (M1, M2 and the updated linear sRGB -> LMS
    matrix of its reference code).

    Examples
    --------
    >>> to_oklab(np.array([1.0, 1.0, 1.0]), "linear-sRGB").round(4)  # white: L = 1
    array([ 1.,  0.,  0.])
    >>> to_oklab(np.array([[0.18, 0.18, 0.18], [1.0, 0.0, 0.0]]), "ACEScg").round(3)[:, 0]  # L
    array([ 0.565,  0.692])
    >>> to_oklab(np.zeros((2, 4, 3), np.float32)).dtype
    dtype('float32')
    """
    arr = _array(rgb)
    to, _, m2, _ = _mats(arr, colorspace, config)
    lms = arr @ to
    np.cbrt(lms, out=lms)
    return lms @ m2


def from_oklab(lab: Any, colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """Linear colours in ``colorspace`` from OKLab: the exact inverse of :func:`to_oklab`.

    Parameters
    ----------
    lab : array_like
        (..., 3) OKLab (L in [0, 1] for diffuse black to white, a, b).
    colorspace : str, optional
        Target linear space: OCIO scene-linear name (default ``"ACEScg"``), ``"XYZ"`` or
        ``"linear-sRGB"``.
    config : str, os.PathLike or None, optional
        The OCIO config of an OCIO ``colorspace`` (None: ``$OCIO``, else the bundled one).

    Returns
    -------
    numpy.ndarray
        (..., 3) linear values in ``colorspace`` (float64 for float64 ``lab``, else float32).

    Raises
    ------
    ChromaValueError
        ``lab`` without 3 components in its last axis.
    ColorSpaceError
        ``colorspace`` unknown, or not scene-linear.

    References
    ----------
    B. Ottosson, "A perceptual color space for image processing", 2020,
    https://bottosson.github.io/posts/oklab/

    Examples
    --------
    >>> from_oklab(np.array([1.0, 0.0, 0.0]), "linear-sRGB").round(4)
    array([ 1.,  1.,  1.])
    >>> rgb = np.array([0.2, 0.5, 0.8])
    >>> np.allclose(from_oklab(to_oklab(rgb, "ACEScg"), "ACEScg"), rgb, atol=1e-12)
    True
    """
    arr = _array(lab)
    _, frm, _, m2i = _mats(arr, colorspace, config)
    lms = arr @ m2i
    lms = lms * lms * lms
    return lms @ frm


def xyz_to_oklab(xyz: Any) -> np.ndarray:
    """OKLab of CIE XYZ (D65 white, Y = 1) with Ottosson's published M1 and M2.

    Parameters
    ----------
    xyz : array_like
        (..., 3) CIE XYZ, D65 white, Y = 1 for diffuse white.

    Returns
    -------
    numpy.ndarray
        (..., 3) OKLab (L in [0, 1] for Y in [0, 1] on the neutral axis).

    References
    ----------
    B. Ottosson, "A perceptual color space for image processing", 2020,
    https://bottosson.github.io/posts/oklab/ (M1, M2, the XYZ -> Oklab test table).

    Examples
    --------
    >>> xyz_to_oklab(np.array([1.0, 0.0, 0.0])).round(3)  # Ottosson's table of XYZ -> OKLab
    array([ 0.45 ,  1.236, -0.019])
    >>> xyz_to_oklab(np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])).round(3)
    array([[ 0.922, -0.671,  0.263],
           [ 0.153, -1.415, -0.449]])
    """
    return to_oklab(xyz, XYZ)


def oklab_to_xyz(lab: Any) -> np.ndarray:
    """CIE XYZ (D65) of OKLab; inverse of :func:`xyz_to_oklab`.

    Parameters
    ----------
    lab : array_like
        (..., 3) OKLab: L in [0, 1] from black to diffuse white, a and b near 0 for
        neutrals.

    Returns
    -------
    numpy.ndarray
        (..., 3) CIE XYZ with the D65 white and Y = 1 for diffuse white, through the
        inverses of Ottosson's M2 and M1.

    References
    ----------
    B. Ottosson, "A perceptual color space for image processing", 2020,
    https://bottosson.github.io/posts/oklab/ (M1 and M2, inverted here).

    Examples
    --------
    >>> oklab_to_xyz(np.array([1.0, 0.0, 0.0])).round(4)  # the D65 white, Y = 1
    array([ 0.9505,  1.    ,  1.0883])
    """
    return from_oklab(lab, XYZ)


def linear_srgb_to_oklab(rgb: Any) -> np.ndarray:
    """OKLab of linear sRGB (Rec.709 primaries, D65) with Ottosson's sRGB -> LMS matrix.

    Parameters
    ----------
    rgb : array_like
        (..., 3) linear sRGB, 1.0 = diffuse white.

    Returns
    -------
    numpy.ndarray
        (..., 3) OKLab; sRGB white is L = 1, a = b = 0 exactly.

    References
    ----------
    B. Ottosson, "A perceptual color space for image processing", 2020,
    https://bottosson.github.io/posts/oklab/ (the updated matrix of its reference code, 2021).

    Examples
    --------
    >>> linear_srgb_to_oklab(np.array([1.0, 0.0, 0.0])).round(4)  # sRGB red
    array([ 0.628 ,  0.2249,  0.1258])
    """
    return to_oklab(rgb, LINEAR_SRGB)


def oklab_to_linear_srgb(lab: Any) -> np.ndarray:
    """Linear sRGB of OKLab; inverse of :func:`linear_srgb_to_oklab`.

    Parameters
    ----------
    lab : array_like
        (..., 3) OKLab (L = 1, a = b = 0 is sRGB white).

    Returns
    -------
    numpy.ndarray
        (..., 3) linear sRGB (Rec.709 primaries, D65 white, 1.0 = diffuse white); colours
        outside sRGB come out below 0 or above 1 (see :func:`chroma.oklab.gamut_map`).

    References
    ----------
    Ottosson 2020, https://bottosson.github.io/posts/oklab/ : the inverse of the linear
    sRGB -> LMS matrix of the article's reference code.

    Examples
    --------
    >>> oklab_to_linear_srgb(np.array([1.0, 0.0, 0.0])).round(4)  # L = 1: the white
    array([ 1.,  1.,  1.])
    >>> oklab_to_linear_srgb(np.array([0.628, 0.2249, 0.1258])).round(3)[0]  # back to sRGB red
    1.0
    """
    return from_oklab(lab, LINEAR_SRGB)


def oklab_to_oklch(lab: Any) -> np.ndarray:
    """OKLCh (L, C, h) of OKLab: C = hypot(a, b), h = atan2(b, a) in degrees, wrapped to [0, 360].

    ``colour.Oklab_to_Oklch`` computes the same; this numpy version is kept because it runs
    per pixel and ``import chroma`` must not import colour-science (the tests check it
    equal to colour-science's). The hue of an achromatic colour (C ~ 0) is powerless; it
    is returned as computed (finite) and :func:`mix` ignores it, as CSS Color 4 section
    4.4 defines.

    Parameters
    ----------
    lab : array_like
        (..., 3) OKLab (L in [0, 1], a, b).

    Returns
    -------
    numpy.ndarray
        (..., 3) OKLCh: L unchanged, chroma C >= 0, hue h in degrees in [0, 360] (360 only
        where a hue a hair below 0 rounds up, as in colour-science); the input's float dtype.

    References
    ----------
    W3C, CSS Color Module Level 4, "Specifying Oklab and OkLCh" and 4.4 (powerless hue),
    https://www.w3.org/TR/css-color-4/ ;
    B. Ottosson, "A perceptual color space for image processing", 2020,
    https://bottosson.github.io/posts/oklab/

    Examples
    --------
    >>> oklab_to_oklch(np.array([0.7, 0.1, 0.1])).round(4)  # hue in degrees
    array([  0.7   ,   0.1414,  45.    ])
    >>> oklab_to_oklch(np.array([0.5, 0.0, 0.0]))  # achromatic: hue 0
    array([ 0.5,  0. ,  0. ])
    """
    arr = _array(lab)
    out = np.empty_like(arr)
    out[..., 0] = arr[..., 0]
    out[..., 1] = np.hypot(arr[..., 1], arr[..., 2])
    out[..., 2] = np.mod(np.degrees(np.arctan2(arr[..., 2], arr[..., 1])), 360.0)
    return out


def oklch_to_oklab(lch: Any) -> np.ndarray:
    """OKLab of OKLCh: a = C cos(h), b = C sin(h), hue in degrees.

    ``colour.Oklch_to_Oklab`` computes the same; this numpy version is kept because it runs
    per pixel and ``import chroma`` must not import colour-science (the tests check it
    equal to colour-science's).

    Parameters
    ----------
    lch : array_like
        (..., 3) OKLCh: L in [0, 1], chroma C, hue h in degrees (any value; 360 wraps).

    Returns
    -------
    numpy.ndarray
        (..., 3) OKLab; the input's float dtype.

    References
    ----------
    W3C, CSS Color Module Level 4, "Specifying Oklab and OkLCh",
    https://www.w3.org/TR/css-color-4/ ;
    B. Ottosson, "A perceptual color space for image processing", 2020,
    https://bottosson.github.io/posts/oklab/

    Examples
    --------
    >>> oklch_to_oklab(np.array([0.7, 0.1, 90.0])).round(4)
    array([ 0.7,  0. ,  0.1])
    """
    arr = _array(lch)
    out = np.empty_like(arr)
    h = np.radians(arr[..., 2])
    out[..., 0] = arr[..., 0]
    out[..., 1] = arr[..., 1] * np.cos(h)
    out[..., 2] = arr[..., 1] * np.sin(h)
    return out


def srgb_encode(linear: Any) -> np.ndarray:
    """Encode linear values with the sRGB transfer function (IEC 61966-2-1), extended.

    Extended to negatives by odd symmetry and above 1.0 by the same power segment, as CSS
    Color 4's extended sRGB.

    Parameters
    ----------
    linear : array_like
        Linear sRGB values (1.0 = diffuse white), any shape.

    Returns
    -------
    numpy.ndarray
        The sRGB-encoded values ([0, 1] for [0, 1] input); float32 unless float64.

    References
    ----------
    IEC 61966-2-1:1999; W3C, CSS Color Module Level 4, extended sRGB.

    Examples
    --------
    >>> srgb_encode(np.array([0.0, 0.0031308, 0.18, 1.0])).round(4)
    array([ 0.    ,  0.0404,  0.4614,  1.    ])
    >>> srgb_encode(np.array([-0.18, 2.0])).round(4)  # extended: odd below 0, the power above 1
    array([-0.4614,  1.3533])
    """
    x = np.asarray(linear)
    x = x if x.dtype == np.float64 else x.astype(np.float32)
    a = np.abs(x)
    y = np.where(a <= 0.0031308, 12.92 * a, 1.055 * np.power(a, 1 / 2.4, dtype=x.dtype) - 0.055)
    return (np.sign(x) * y).astype(x.dtype)


def srgb_decode(encoded: Any) -> np.ndarray:
    """Decode sRGB-encoded values to linear: the inverse of :func:`srgb_encode`.

    Parameters
    ----------
    encoded : array_like
        The sRGB-encoded values (display values, [0, 1] in gamut), any shape.

    Returns
    -------
    numpy.ndarray
        Linear sRGB values (1.0 = diffuse white); float32 unless float64.

    References
    ----------
    IEC 61966-2-1:1999 (the EOTF), extended to negatives and above 1.0 as CSS Color 4.

    Examples
    --------
    >>> srgb_decode(np.array([0.0, 0.5, 1.0])).round(4)
    array([ 0.   ,  0.214,  1.   ])
    """
    x = np.asarray(encoded)
    x = x if x.dtype == np.float64 else x.astype(np.float32)
    a = np.abs(x)
    y = np.where(a <= 0.04045, a / 12.92, np.power((a + 0.055) / 1.055, 2.4, dtype=x.dtype))
    return (np.sign(x) * y).astype(x.dtype)


def delta_e_ok(lab1: Any, lab2: Any) -> np.ndarray:
    """The deltaEOK colour difference: Euclidean distance in OKLab.

    Parameters
    ----------
    lab1, lab2 : array_like
        (..., 3) OKLab colours (broadcast together).

    Returns
    -------
    numpy.ndarray
        (...) distances in OKLab units (CSS's just-noticeable difference is 0.02); float32
        (float64 if both inputs are float64).

    Raises
    ------
    ChromaValueError
        Colours without 3 components in the last axis.

    References
    ----------
    W3C, CSS Color Module Level 4, 13.3 "Color difference: deltaEOK".

    Examples
    --------
    >>> round(float(delta_e_ok(np.array([0.7, 0.1, 0.0]), np.array([0.7, 0.0, 0.0]))), 6)
    0.1
    >>> delta_e_ok(np.zeros((2, 3)), np.array([0.3, 0.0, 0.4]))
    array([ 0.5,  0.5])
    """
    d = _array(lab1) - _array(lab2)
    return np.sqrt(np.sum(d * d, axis=-1))
