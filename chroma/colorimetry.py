"""Colorimetry of OCIO colour spaces: primaries, white points, RGB <-> XYZ matrices.

What colour science says about a config's colour spaces, as opposed to what OCIO does with
them (:mod:`chroma.ocio`: config resolution, processors, conversions):

* :data:`CHROMATICITIES` and :func:`chromaticities`: the EXR ``chromaticities`` (primaries
  and white, CIE 1931 xy) of the spaces chroma knows, from their standards;
* :func:`normalised_primary_matrix` (SMPTE RP 177) and :func:`rgb_to_xyz_matrix`: RGB -> XYZ
  in the space's own white or adapted to D65 (Bradford, derived with colour-science);
* :func:`luminance_weights`: the Y row of that matrix;
* :func:`colorspace_from_chromaticities`: the colour space an EXR's chromaticities name;
* :func:`linear_to_xyz_d65_matrix` and :func:`rgb_to_rgb`: linear colours between linear
  spaces through CIE XYZ D65, for OCIO's scene-linear spaces and the two tokens
  :data:`XYZ` and :data:`LINEAR_SRGB` (used by OKLab and white balance alike).

Matrices are derived once per config and colour space and cached; the caches are registered
with :mod:`chroma.caches`, so :func:`chroma.ocio.clear_caches` forgets them with the configs.
Every name here is also importable from :mod:`chroma.ocio`, where it lived before.

References
----------
SMPTE RP 177-1993, *Derivation of Basic Television Color Equations*; SMPTE ST 2065-1 (ACES,
AP0); SMPTE S-2014-004 (ACEScg, AP1); ITU-R BT.709-6; ITU-R BT.2020-2; CIE 015:2018,
*Colorimetry*, 4th ed.; K. M. Lam, "Metamerism and colour constancy", 1985 (Bradford).
"""

from __future__ import annotations

import functools
import os
from typing import Any, Iterable

import numpy as np

from chroma import ocio as _ocio
from chroma.caches import register_cache
from chroma.colour_science import colour
from chroma.deprecation import deprecated_alias
from chroma.errors import ChromaValueError, ColorSpaceError

# EXR ``chromaticities`` (Rx Ry Gx Gy Bx By Wx Wy) of the config's colour spaces, from
# their standards: AP0 SMPTE ST 2065-1; AP1 SMPTE S-2014-004; Rec.709/sRGB ITU-R BT.709-6 /
# IEC 61966-2-1; P3-D65 SMPTE EG 432-1; BT.2020 ITU-R BT.2020-2; Adobe RGB (1998); camera
# gamuts from their makers' white papers. Kept as literals so that writing an EXR needs no
# colour-science import (0.5 s); tests/test_ocio.py checks every row against colour-science.
_AP0 = (0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.077, 0.32168, 0.33767)
_AP1 = (0.713, 0.293, 0.165, 0.83, 0.128, 0.044, 0.32168, 0.33767)
_REC709 = (0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329)
_P3D65 = (0.68, 0.32, 0.265, 0.69, 0.15, 0.06, 0.3127, 0.329)
_REC2020 = (0.708, 0.292, 0.17, 0.797, 0.131, 0.046, 0.3127, 0.329)
CHROMATICITIES: dict[str, tuple[str, tuple[float, ...]]] = {
    # OCIO colour space: (colour-science RGB colourspace name, chromaticities)
    "ACES2065-1": ("ACES2065-1", _AP0),
    "ACEScg": ("ACEScg", _AP1),
    "ACEScct": ("ACEScct", _AP1),
    "ACEScc": ("ACEScc", _AP1),
    "sRGB Encoded AP1": ("ACEScg", _AP1),
    "Gamma 2.2 Encoded AP1": ("ACEScg", _AP1),
    "Linear Rec.709 (sRGB)": ("sRGB", _REC709),
    "sRGB Encoded Rec.709 (sRGB)": ("sRGB", _REC709),
    "Linear P3-D65": ("P3-D65", _P3D65),
    "sRGB Encoded P3-D65": ("P3-D65", _P3D65),
    "Linear Rec.2020": ("ITU-R BT.2020", _REC2020),
    "Linear AdobeRGB": ("Adobe RGB (1998)", (0.64, 0.33, 0.21, 0.71, 0.15, 0.06, 0.3127, 0.329)),
    "Linear ARRI Wide Gamut 3": ("ARRI Wide Gamut 3", (0.684, 0.313, 0.221, 0.848, 0.0861, -0.102, 0.3127, 0.329)),
    "Linear ARRI Wide Gamut 4": ("ARRI Wide Gamut 4", (0.7347, 0.2653, 0.1424, 0.8576, 0.0991, -0.0308, 0.3127, 0.329)),
    "Linear S-Gamut3": ("S-Gamut3", (0.73, 0.28, 0.14, 0.855, 0.1, -0.05, 0.3127, 0.329)),
    "Linear S-Gamut3.Cine": ("S-Gamut3.Cine", (0.766, 0.275, 0.225, 0.8, 0.089, -0.087, 0.3127, 0.329)),
    "Linear V-Gamut": ("V-Gamut", (0.73, 0.28, 0.165, 0.84, 0.1, -0.03, 0.3127, 0.329)),
    "Linear REDWideGamutRGB": ("REDWideGamutRGB", (0.780308, 0.304253, 0.121595, 1.493994, 0.095612, -0.084589, 0.3127, 0.329)),
}


def chromaticities(colorspace: str, config: str | os.PathLike | None = None) -> tuple[float, ...] | None:
    """EXR ``chromaticities`` (Rx Ry Gx Gy Bx By Wx Wy) of a colour space.

    Primaries and whitepoints from the standards (ACES: SMPTE ST 2065-1 / S-2014-004; sRGB:
    IEC 61966-2-1; BT.2020...), kept as literals (:data:`CHROMATICITIES`) and checked against
    colour-science's definitions by the tests.

    Parameters
    ----------
    colorspace : str
        Colour space name, alias or role.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: ``$OCIO``, else chroma's bundled config.

    Returns
    -------
    tuple of float or None
        The eight values; None when chroma does not know the space's primaries.

    Raises
    ------
    chroma.errors.ColorSpaceError
        When the colour space is unknown to the config.

    Examples
    --------
    >>> chromaticities("ACEScg")
    (0.713, 0.293, 0.165, 0.83, 0.128, 0.044, 0.32168, 0.33767)
    >>> chromaticities("lin_srgb")
    (0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329)
    """
    entry = CHROMATICITIES.get(_ocio.resolve_colorspace(colorspace, config))
    return None if entry is None else entry[1]


def normalised_primary_matrix(chroma: Iterable[float]) -> np.ndarray:
    """The RGB -> XYZ matrix of given primaries and white, with the white at Y = 1.

    Parameters
    ----------
    chroma : iterable of float
        ``(Rx, Ry, Gx, Gy, Bx, By, Wx, Wy)``, CIE 1931 xy.

    Returns
    -------
    numpy.ndarray
        The normalised primary matrix, (3, 3) float64: ``XYZ = M @ rgb``.

    References
    ----------
    SMPTE RP 177-1993, section 3.3.

    Examples
    --------
    >>> normalised_primary_matrix(CHROMATICITIES["Linear Rec.709 (sRGB)"][1]).round(4)
    array([[ 0.4124,  0.3576,  0.1805],
           [ 0.2126,  0.7152,  0.0722],
           [ 0.0193,  0.1192,  0.9505]])
    """
    c = np.asarray(list(chroma), dtype=np.float64)
    xy = c[:6].reshape(3, 2)
    p = np.stack([xy[:, 0] / xy[:, 1], np.ones(3), (1 - xy[:, 0] - xy[:, 1]) / xy[:, 1]])
    wx, wy = c[6], c[7]
    w = np.array([wx / wy, 1.0, (1 - wx - wy) / wy])
    return p * np.linalg.solve(p, w)


def colorspace_from_chromaticities(chroma: Iterable[float], tolerance: float = 2e-3) -> str | None:
    """The scene-linear colour space whose primaries and white match ``chroma``.

    Checked against ACEScg (AP1), ACES2065-1 (AP0), Linear Rec.709, Linear P3-D65 and
    Linear Rec.2020.

    Parameters
    ----------
    chroma : iterable of float
        EXR ``chromaticities``: ``(Rx, Ry, Gx, Gy, Bx, By, Wx, Wy)``.
    tolerance : float, optional
        Largest difference per value, in xy units; default 2e-3.

    Returns
    -------
    str or None
        The colour space name; None when the values are not 8 or match none.

    Examples
    --------
    >>> colorspace_from_chromaticities((0.713, 0.293, 0.165, 0.83, 0.128, 0.044, 0.32168, 0.33767))
    'ACEScg'
    >>> colorspace_from_chromaticities((0.7, 0.3, 0.2, 0.7, 0.1, 0.1, 0.3, 0.3)) is None
    True
    """
    values = np.asarray(list(chroma), dtype=np.float64)
    if values.shape != (8,):
        return None
    for name in ("ACEScg", "ACES2065-1", "Linear Rec.709 (sRGB)", "Linear P3-D65", "Linear Rec.2020"):
        ref = np.asarray(CHROMATICITIES[name][1])
        if np.max(np.abs(ref - values)) <= tolerance:
            return name
    return None


def rgb_to_xyz_matrix(
    colorspace: str = "ACEScg", config: str | os.PathLike | None = None, white: str = "native",
) -> np.ndarray:
    """The 3x3 float64 matrix from a linear colour space's RGB to CIE XYZ (column vectors).

    For spaces with published primaries (:data:`CHROMATICITIES`: ACEScg per SMPTE
    S-2014-004, Rec.709, Rec.2020, P3...) the matrix is derived from the primaries rather
    than a rounded published matrix. Other spaces of the config are measured through OCIO:
    the unit primaries sent to its ``cie_xyz_d65_interchange`` role (so already in D65,
    adapted as the config adapts; ``white`` changes nothing for them).

    Parameters
    ----------
    colorspace : str, optional
        A linear colour space of the config (name, alias or role); default ``"ACEScg"``.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: ``$OCIO``, else chroma's bundled config.
    white : {"native", "D65"}, optional
        The adaptation, explicit: ``"native"`` (default) gives XYZ in the space's own white,
        i.e. the normalised primary matrix (SMPTE RP 177): R=G=B=1 maps to the space's white
        (ACEScg: the ACES white, x 0.32168 y 0.33767). ``"D65"`` follows it with a Bradford
        adaptation (Lam 1985) from that white to D65 (CIE 015:2018, x 0.3127 y 0.3290), which
        is how the ACES OCIO configs relate ACEScg to ``CIE XYZ-D65``, and what OKLab
        (Ottosson 2020, defined on D65 XYZ) needs. The two differ by up to 0.083 for ACEScg.

    Returns
    -------
    numpy.ndarray
        (3, 3) float64, read-only: ``XYZ = M @ rgb`` (Y = 1 for the white at unit level).

    Raises
    ------
    chroma.errors.ChromaValueError
        ``white`` is neither ``"native"`` nor ``"D65"``.
    chroma.errors.ColorSpaceError
        Unknown colour space, or a config without ``cie_xyz_d65_interchange`` for a space
        chroma has no primaries for.

    References
    ----------
    SMPTE RP 177-1993; SMPTE S-2014-004 (ACEScg); CIE 015:2018; K. M. Lam, 1985 (Bradford).

    Examples
    --------
    >>> rgb_to_xyz_matrix("ACEScg").round(4)
    array([[ 0.6625,  0.134 ,  0.1562],
           [ 0.2722,  0.6741,  0.0537],
           [-0.0056,  0.0041,  1.0103]])
    >>> (rgb_to_xyz_matrix("ACEScg", white="D65") @ np.ones(3)).round(4)  # the D65 white
    array([ 0.9505,  1.    ,  1.0891])
    """
    name = _ocio.resolve_colorspace(colorspace, config)
    if white == "D65":
        return _xyz_d65(_ocio.config_path(config), name)
    if white != "native":
        raise ChromaValueError(f"white must be 'native' (the space's own white) or 'D65', not {white!r}")
    entry = CHROMATICITIES.get(name)
    if entry is not None and _ocio.is_scene_linear(name, config):
        return _npm(entry[1])
    return _npm_ocio(_ocio.config_path(config), name)


def _rgb_to_xyz_d65_matrix(colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    return rgb_to_xyz_matrix(colorspace, config, white="D65")


@register_cache
@functools.lru_cache(maxsize=32)
def _xyz_d65(path: str, name: str) -> np.ndarray:
    npm = rgb_to_xyz_matrix(name, path, "native")
    entry = CHROMATICITIES.get(name)
    d65 = np.array([0.3127, 0.3290])
    if entry is None or np.allclose(entry[1][6:], d65, atol=1e-6):
        return npm
    from chroma.colour_science import colour

    c = colour()
    cat = c.adaptation.matrix_chromatic_adaptation_VonKries(
        c.xy_to_XYZ(np.asarray(entry[1][6:])), c.xy_to_XYZ(d65), transform="Bradford"
    )
    m = np.asarray(cat, np.float64) @ npm
    m.setflags(write=False)
    return m


def luminance_weights(colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """Y weights of a linear colour space: the Y row of :func:`rgb_to_xyz_matrix`.

    ACEScg: 0.2722, 0.6741, 0.0537.

    Parameters
    ----------
    colorspace : str, optional
        A linear colour space; default ``"ACEScg"``.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: ``$OCIO``, else chroma's bundled config.

    Returns
    -------
    numpy.ndarray
        (3,) float64 weights of R, G, B; they sum to 1.

    References
    ----------
    SMPTE RP 177-1993.

    Examples
    --------
    >>> luminance_weights("ACEScg").round(4)
    array([ 0.2722,  0.6741,  0.0537])
    >>> luminance_weights("Linear Rec.709 (sRGB)").round(4)
    array([ 0.2126,  0.7152,  0.0722])
    """
    return rgb_to_xyz_matrix(colorspace, config)[1]


rgb_to_xyz_d65_matrix = deprecated_alias(
    _rgb_to_xyz_d65_matrix, "chroma.ocio.rgb_to_xyz_d65_matrix", "chroma.ocio.rgb_to_xyz_matrix(..., white='D65')"
)


@register_cache
@functools.cache
def _npm(chroma: tuple[float, ...]) -> np.ndarray:
    m = normalised_primary_matrix(chroma)
    m.setflags(write=False)
    return m


@register_cache
@functools.lru_cache(maxsize=32)
def _npm_ocio(path: str, colorspace: str) -> np.ndarray:
    cfg = _ocio.get_config(path)
    xyz = cfg.getColorSpace("cie_xyz_d65_interchange")
    if xyz is None:
        raise ColorSpaceError(
            f"config {path!r} has no cie_xyz_d65_interchange role; cannot derive {colorspace!r}'s primaries"
        )
    cpu = cfg.getProcessor(colorspace, xyz.getName()).getDefaultCPUProcessor()
    rows = _ocio.apply_cpu(cpu, np.eye(3, dtype=np.float32)).astype(np.float64)  # row i: XYZ of primary i
    m = rows.T.copy()
    m.setflags(write=False)
    return m


__all__ = [
    "CHROMATICITIES", "chromaticities", "normalised_primary_matrix", "colorspace_from_chromaticities",
    "rgb_to_xyz_matrix", "luminance_weights", "XYZ", "LINEAR_SRGB", "srgb_to_xyz_matrix", "linear_space",
    "linear_to_xyz_d65_matrix", "rgb_to_rgb",
]


# -- linear colours between linear spaces, through CIE XYZ D65 -------------------------------
XYZ = "XYZ"  #: colour-space token: CIE XYZ, D65 white, Y = 1 for diffuse white
LINEAR_SRGB = "linear-sRGB"  #: colour-space token: linear Rec.709 primaries, D65


@functools.cache
def _d65_xy() -> np.ndarray:
    return np.asarray(colour().CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"], np.float64)


@functools.cache
def srgb_to_xyz_matrix() -> np.ndarray:
    """Linear sRGB -> CIE XYZ, from the Rec.709 primaries and the D65 xy (0.3127, 0.3290).

    Returns
    -------
    numpy.ndarray
        (3, 3) float64, derived with colour-science's ``normalised_primary_matrix`` (cached:
        do not modify it).

    References
    ----------
    ITU-R BT.709-6; IEC 61966-2-1; SMPTE RP 177-1993.

    Examples
    --------
    >>> srgb_to_xyz_matrix()[1].round(4)  # the Y row: Rec.709's luma weights
    array([ 0.2126,  0.7152,  0.0722])
    """
    c = colour()
    return np.asarray(c.normalised_primary_matrix(c.RGB_COLOURSPACES["sRGB"].primaries, _d65_xy()), np.float64)


def linear_space(colorspace: str, config: str | os.PathLike | None = None) -> tuple[str, str]:
    """Say what kind of linear colour space a name is, and its canonical name.

    Parameters
    ----------
    colorspace : str
        ``"XYZ"`` (or ``"CIE-XYZ"``, ``"XYZ-D65"``), ``"linear-sRGB"`` (or ``"sRGB-linear"``,
        ``"lin-sRGB"``, ``"linear-Rec709"``), or an OCIO colour space name or alias.
    config : str or os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    kind : {"xyz", "srgb", "ocio"}
        The config's CIE XYZ D65 interchange space counts as ``"xyz"``.
    name : str
        :data:`XYZ`, :data:`LINEAR_SRGB` or the OCIO name.

    Raises
    ------
    chroma.errors.ColorSpaceError
        An unknown name.

    Examples
    --------
    >>> linear_space("lin_rec709")
    ('ocio', 'Linear Rec.709 (sRGB)')
    >>> linear_space("XYZ")
    ('xyz', 'XYZ')
    """
    low = str(colorspace).lower().replace("_", "-")
    if low in ("xyz", "cie-xyz", "xyz-d65", "cie-xyz-d65"):
        return "xyz", XYZ
    if low in ("linear-srgb", "srgb-linear", "lin-srgb", "linear-rec709"):
        return "srgb", LINEAR_SRGB
    name = _ocio.resolve_colorspace(colorspace, config)
    xyz_cs = _ocio.get_config(config).getColorSpace("cie_xyz_d65_interchange")
    if xyz_cs is not None and name == xyz_cs.getName():
        return "xyz", name
    return "ocio", name


@register_cache
@functools.lru_cache(maxsize=64)
def _working_to_xyz(name: str, config_path: str) -> np.ndarray:
    _ocio.require_scene_linear(name, config_path, "OKLab")
    return np.array(rgb_to_xyz_matrix(name, config_path, white="D65"), np.float64)


def linear_to_xyz_d65_matrix(colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """Linear RGB -> CIE XYZ D65 of a linear space, OKLab's tokens included.

    OCIO spaces: :func:`rgb_to_xyz_matrix` with ``white="D65"`` (Bradford from the space's
    white, as the ACES OCIO configs relate colours).

    Parameters
    ----------
    colorspace : str, optional
        A name :func:`linear_space` knows; OCIO spaces must be scene-linear. Default
        ``"ACEScg"``.
    config : str or os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    numpy.ndarray
        (3, 3) float64, a copy.

    Raises
    ------
    chroma.errors.ColorSpaceError
        An unknown space, or one that is not scene-linear.

    Examples
    --------
    >>> linear_to_xyz_d65_matrix("ACEScg")[1].round(4)  # ACEScg's luminance, white adapted to D65
    array([ 0.2677,  0.6743,  0.058 ])
    """
    kind, name = linear_space(colorspace, config)
    if kind == "xyz":
        return np.eye(3)
    if kind == "srgb":
        return srgb_to_xyz_matrix().copy()
    return _working_to_xyz(name, _ocio.config_path(config)).copy()


def rgb_to_rgb(rgb: Any, src: str, dst: str, config: str | os.PathLike | None = None) -> np.ndarray:
    """Convert linear colours between two linear spaces through CIE XYZ D65.

    Parameters
    ----------
    rgb : array_like
        (..., 3) linear values in ``src``.
    src, dst : str
        Linear spaces: ``"XYZ"``, ``"linear-sRGB"`` or OCIO scene-linear names (adapted to
        D65 with Bradford, as the ACES OCIO config does).
    config : str, os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    numpy.ndarray
        (..., 3) linear values in ``dst``; the input's float dtype (float32 unless float64).

    Raises
    ------
    ChromaValueError
        ``rgb`` whose last axis is not 3 long.
    ColorSpaceError
        ``src`` or ``dst`` unknown, or not scene-linear.

    Examples
    --------
    >>> rgb_to_rgb(np.array([1.0, 1.0, 1.0]), "linear-sRGB", "ACEScg").round(4)  # D65 white in ACEScg
    array([ 1.,  1.,  1.])
    >>> rgb_to_rgb(np.array([0.18, 0.18, 0.18]), "ACEScg", "ACEScg")
    array([ 0.18,  0.18,  0.18])
    """
    arr = np.asarray(rgb)
    if arr.dtype != np.float64:
        arr = arr.astype(np.float32, copy=False)
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ChromaValueError(f"expected colours with 3 components in the last axis, got shape {arr.shape}")
    m = np.linalg.inv(linear_to_xyz_d65_matrix(dst, config)) @ linear_to_xyz_d65_matrix(src, config)
    return arr @ m.T.astype(arr.dtype)
