"""Spherical-harmonic ambient light from a latitude-longitude HDRI.

An environment's diffuse (ambient) light is captured in 9 real spherical-harmonic (SH)
coefficients per channel, orders l = 0, 1, 2: the irradiance representation of
Ramamoorthi & Hanrahan 2001, "An Efficient Representation for Irradiance Environment
Maps" (SIGGRAPH 2001), used by real-time and offline renderers alike.

Conventions (see docs/ambient.md). World axes: right-handed, **+Y up**. A lat-long image
maps to directions exactly as OpenImageIO's ``environment()`` lookup with ``y`` up
(``vector_to_latlong`` in ``texturesys``) and OpenEXR's ``LatLongMap``::

    u = (column + 0.5) / width,  v = (row + 0.5) / height        (row 0 at the top)
    longitude = 2 pi (0.5 - u),  latitude = pi (0.5 - v)
    d = (sin(lon) cos(lat), sin(lat), cos(lon) cos(lat))

so the image centre (u = 0.5) looks down **+Z**, u = 0.25 is +X, u = 0.75 is -X, the
seam (u = 0 or 1) is -Z, and the top row is +Y (zenith).

Basis: the real SH of Sloan, "Stupid Spherical Harmonics (SH) Tricks" (GDC 2008,
appendix A2) without the Condon-Shortley sign, index ``k = l (l + 1) + m``, written as
polynomials of the unit direction (x, y, z) in chroma's world axes::

    Y0 = 0.282095                    Y4 = 1.092548 x y
    Y1 = 0.488603 y                  Y5 = 1.092548 y z
    Y2 = 0.488603 z                  Y6 = 0.315392 (3 z^2 - 1)
    Y3 = 0.488603 x                  Y7 = 1.092548 x z
                                     Y8 = 0.546274 (x^2 - y^2)

(the same table as three.js ``SphericalHarmonics3``). Coefficients are radiance
integrals ``c_k = integral L(d) Y_k(d) dw`` over the sphere, in the HDRI's units
(scene-linear radiance) times steradians.

Projection is exact for the piecewise-constant image: each pixel is the spherical
rectangle it covers, and the basis is integrated over it in closed form (the solid angle
of a pixel is ``dphi (sin(lat0) - sin(lat1))``). Projection exploits separability: every
monomial of degree <= 2 in (x, y, z) is a function of latitude times a function of
longitude, so the whole projection is one float32 matrix product over rows followed by
a small one over columns.
"""

from __future__ import annotations

import functools
import json
import math
import os
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from chroma.whitebalance import Locus

import numpy as np
import numpy.typing as npt

from chroma.errors import ChromaValueError
from chroma.image import Image

# --------------------------------------------------------------------------- constants

#: Normalisation constants of the real SH basis (Ramamoorthi & Hanrahan 2001, eq. 3).
K0 = 0.5 * math.sqrt(1.0 / math.pi)  # 0.282095
K1 = math.sqrt(3.0 / (4.0 * math.pi))  # 0.488603
K2 = 0.5 * math.sqrt(15.0 / math.pi)  # 1.092548
K3 = 0.25 * math.sqrt(5.0 / math.pi)  # 0.315392
K4 = 0.25 * math.sqrt(15.0 / math.pi)  # 0.546274

#: Cosine-lobe convolution constants A_l (Ramamoorthi & Hanrahan 2001, eq. 8-9).
A_L = (math.pi, 2.0 * math.pi / 3.0, math.pi / 4.0)

#: The band l of each coefficient index k = l (l + 1) + m.
BAND = np.array([0, 1, 1, 1, 2, 2, 2, 2, 2])

#: Worst absolute error of order-2 irradiance against the exact clamped cosine for a
#: single directional (point) source of normal irradiance E: 0.09375 E, at grazing
#: incidence (n . s = 0); +0.0625 E facing the source, -0.0396 E at n . s = -0.53.
POINT_SOURCE_MAX_ERROR = 0.09375

WINDOWS = ("hanning", "lanczos")


def n_coefficients(order: int) -> int:
    """
    Return the number of SH coefficients up to an order.

    Parameters
    ----------
    order : int
        The highest band l.

    Returns
    -------
    int
        (order + 1)^2.
    """
    return (int(order) + 1) ** 2


def _check_order(order: int) -> int:
    if order not in (0, 1, 2):
        raise ChromaValueError(f"SH order must be 0, 1 or 2 (got {order!r}); 2 gives the 9 coefficients renderers use")
    return int(order)


# -------------------------------------------------------------------------- directions


def latlong_directions(width: int, height: int, dtype: npt.DTypeLike = np.float64) -> np.ndarray:
    """
    Return the unit world direction of every lat-long pixel centre.

    The mapping is OpenImageIO's ``environment()`` y-up lat-long (module docstring).

    Parameters
    ----------
    width, height : int
        Size of the lat-long image, pixels.
    dtype : numpy.dtype, default numpy.float64
        Type of the result (computed in float64).

    Returns
    -------
    numpy.ndarray
        Directions (x, y, z), shape (height, width, 3).
    """
    u = (np.arange(width, dtype=np.float64) + 0.5) / width
    v = (np.arange(height, dtype=np.float64) + 0.5) / height
    lon = 2.0 * np.pi * (0.5 - u)
    lat = np.pi * (0.5 - v)
    cl = np.cos(lat)[:, None]
    d = np.empty((height, width, 3), dtype=np.float64)
    d[..., 0] = np.sin(lon)[None, :] * cl
    d[..., 1] = np.sin(lat)[:, None]
    d[..., 2] = np.cos(lon)[None, :] * cl
    return d.astype(dtype, copy=False)


def direction_to_latlong(directions: np.ndarray) -> np.ndarray:
    """
    Return the lat-long image position of directions.

    The inverse of :func:`latlong_directions`: OIIO's ``vector_to_latlong`` with y up,
    ``u = atan2(-x, z) / 2pi + 0.5``.

    Parameters
    ----------
    directions : numpy.ndarray
        Unit directions, shape (..., 3).

    Returns
    -------
    numpy.ndarray
        The (u, v) in [0, 1] (v = 0 at the top row), shape (..., 2), float64.
    """
    d = np.asarray(directions, dtype=np.float64)
    u = np.arctan2(-d[..., 0], d[..., 2]) / (2.0 * np.pi) + 0.5
    v = 0.5 - np.arctan2(d[..., 1], np.hypot(d[..., 0], d[..., 2])) / np.pi
    return np.stack([u, v], axis=-1)


def latlong_solid_angles(width: int, height: int) -> np.ndarray:
    """
    Return the exact solid angle of one pixel in each row of a lat-long image.

    Parameters
    ----------
    width, height : int
        Size of the lat-long image, pixels.

    Returns
    -------
    numpy.ndarray
        Steradians per pixel, shape (height,): ``(2 pi / width) (sin(lat_top) -
        sin(lat_bottom))``; the whole image sums to 4 pi.
    """
    lat = np.pi * (0.5 - np.arange(height + 1, dtype=np.float64) / height)
    mu = np.sin(lat)
    mu[0], mu[-1] = 1.0, -1.0
    return (2.0 * np.pi / width) * (mu[:-1] - mu[1:])


def basis(directions: np.ndarray, order: int = 2) -> np.ndarray:
    """
    Return the real SH basis functions at unit directions.

    Parameters
    ----------
    directions : numpy.ndarray
        Unit directions in chroma's world axes (+Y up), shape (..., 3).
    order : int, default 2
        Highest band: 0, 1 or 2.

    Returns
    -------
    numpy.ndarray
        Y_k(d), shape (..., (order + 1)^2), float64, index k = l (l + 1) + m.

    Raises
    ------
    chroma.errors.ChromaValueError
        For an order other than 0, 1 or 2.

    References
    ----------
    .. [1] Sloan, P.-P. (2008). "Stupid Spherical Harmonics (SH) Tricks". Game
       Developers Conference, appendix A2 (without the Condon-Shortley sign).
    """
    order = _check_order(order)
    d = np.asarray(directions, dtype=np.float64)
    x, y, z = d[..., 0], d[..., 1], d[..., 2]
    out = np.empty(d.shape[:-1] + (n_coefficients(order),), dtype=np.float64)
    out[..., 0] = K0
    if order >= 1:
        out[..., 1] = K1 * y
        out[..., 2] = K1 * z
        out[..., 3] = K1 * x
    if order >= 2:
        out[..., 4] = K2 * x * y
        out[..., 5] = K2 * y * z
        out[..., 6] = K3 * (3.0 * z * z - 1.0)
        out[..., 7] = K2 * x * z
        out[..., 8] = K4 * (x * x - y * y)
    return out


def equirect(fn: Callable[[np.ndarray], np.ndarray], width: int, height: int) -> np.ndarray:
    """
    Return a lat-long image of a function of direction, sampled at pixel centres.

    Handy to build analytic environments.

    Parameters
    ----------
    fn : callable
        Maps unit directions (height, width, 3) to values (height, width, C).
    width, height : int
        Size of the image, pixels.

    Returns
    -------
    numpy.ndarray
        The image, shape (height, width, C), float32.
    """
    return np.asarray(fn(latlong_directions(width, height)), dtype=np.float32)


# -------------------------------------------------------------------------- projection


@functools.lru_cache(maxsize=8)
def _row_weights(height: int) -> np.ndarray:
    """(6, height) float32: integral over each pixel row of the latitude factors
    [1, cos lat, sin lat, cos^2, cos sin, sin^2] with respect to mu = sin(lat)
    (dw = dmu dlon), in closed form."""
    lat = np.pi * (0.5 - np.arange(height + 1, dtype=np.float64) / height)
    mu = np.sin(lat)
    c = np.cos(lat)
    mu[0], mu[-1], c[0], c[-1] = 1.0, -1.0, 0.0, 0.0
    prims = [
        mu,  # 1
        0.5 * (mu * c + lat),  # cos lat = sqrt(1 - mu^2)
        0.5 * mu * mu,  # mu
        mu - mu**3 / 3.0,  # cos^2 = 1 - mu^2
        -(c**3) / 3.0,  # cos * mu
        mu**3 / 3.0,  # mu^2
    ]
    w = np.stack([p[:-1] - p[1:] for p in prims])  # rows run top (mu = 1) to bottom
    w.setflags(write=False)
    return w.astype(np.float32)


@functools.lru_cache(maxsize=8)
def _column_weights(width: int) -> np.ndarray:
    """(6, width) float64: integral over each pixel column of the longitude factors
    [1, sin, cos, sin^2, cos^2, sin cos] (longitude decreases with the column)."""
    phi = 2.0 * np.pi * (0.5 - np.arange(width + 1, dtype=np.float64) / width)
    s2 = np.sin(2.0 * phi)
    prims = [
        phi,
        -np.cos(phi),
        np.sin(phi),
        0.5 * phi - 0.25 * s2,
        0.5 * phi + 0.25 * s2,
        0.5 * np.sin(phi) ** 2,
    ]
    w = np.stack([p[:-1] - p[1:] for p in prims])
    w.setflags(write=False)
    return w


def _monomial_moments(rgb: np.ndarray) -> dict[str, np.ndarray]:
    """Integrals of the image (piecewise constant per pixel) times each monomial of degree
    <= 2 in (x, y, z) over the sphere, each shape (channels,) float64."""
    h, w, ch = rgb.shape
    dtype = np.float64 if rgb.dtype == np.float64 else np.float32
    flat = np.ascontiguousarray(rgb, dtype=dtype).reshape(h, w * ch)
    rows = _row_weights(h).astype(dtype, copy=False) @ flat  # (6, w*ch): BLAS
    rows = rows.astype(np.float64).reshape(6, w, ch)
    m = np.einsum("gw,awc->agc", _column_weights(w), rows)  # (lat fn, lon fn, ch)
    return {
        "1": m[0, 0], "x": m[1, 1], "y": m[2, 0], "z": m[1, 2],
        "xy": m[4, 1], "yz": m[4, 2], "xz": m[3, 5],
        "xx": m[3, 3], "yy": m[5, 0], "zz": m[3, 4],
    }


def hdri_rgb(hdri: Image | np.ndarray, config: str | os.PathLike[str] | None = None) -> tuple[np.ndarray, str | None]:
    """
    Return the scene-linear RGB pixels of a lat-long HDRI and their colour space.

    Parameters
    ----------
    hdri : chroma.Image or numpy.ndarray
        An image (converted to its scene-linear space if needed) or a float array of
        shape (height, width), (height, width, 1) or (height, width, 3 or more).
    config : str or os.PathLike, optional
        OCIO config; default ``$OCIO``, else chroma's bundled config.

    Returns
    -------
    rgb : numpy.ndarray
        Scene-linear float RGB, shape (height, width, 3).
    colorspace : str or None
        The colour space of an Image; None for a bare array.

    Raises
    ------
    chroma.errors.ChromaValueError
        For an array of another shape or of integers.
    """
    if isinstance(hdri, Image):
        from chroma import stops

        rgb, cs = stops.scene_linear_rgb(hdri, config)
        return rgb, cs
    arr = np.asarray(hdri)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) and arr.shape[2] < 3:
        raise ChromaValueError(f"an HDRI must be height x width x RGB(A) pixels, got shape {arr.shape}")
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    if not np.issubdtype(arr.dtype, np.floating):
        raise ChromaValueError(f"an HDRI must hold scene-linear float pixels, got {arr.dtype}")
    return arr[:, :, :3], None


def project(
    hdri: Image | np.ndarray,
    order: int = 2,
    colorspace: str | None = None,
    config: str | os.PathLike | None = None,
) -> "SH":
    """
    Project a lat-long scene-linear HDRI onto real spherical harmonics.

    Parameters
    ----------
    hdri : chroma.Image or numpy.ndarray
        An image (converted to scene-linear if needed) or a float array (height, width,
        3) of radiance. Any size; 2:1 is expected (a ChromaWarning otherwise).
    order : int, default 2
        Highest band: 0, 1 or 2 (1, 4 or 9 coefficients per channel).
    colorspace : str, optional
        Colour space of the coefficients; default the image's own scene-linear space
        (ACEScg for arrays). Projection is linear, so converting the coefficients equals
        converting every pixel first.
    config : str or os.PathLike, optional
        OCIO config; default ``$OCIO``, else chroma's bundled config.

    Returns
    -------
    SH
        Coefficients ``c_k = integral L Y_k dw`` (radiance x steradian), exact for the
        piecewise-constant image (each pixel integrated over its spherical rectangle).

    Raises
    ------
    chroma.errors.ChromaValueError
        For an order other than 0-2, an image under 2x2 pixels or NaN/Inf pixels.

    References
    ----------
    .. [1] Ramamoorthi, R., & Hanrahan, P. (2001). "An Efficient Representation for
       Irradiance Environment Maps". SIGGRAPH 2001, eq. 10 (with exact solid angles).
    """
    order = _check_order(order)
    rgb, cs = hdri_rgb(hdri, config)
    h, w = rgb.shape[:2]
    if h < 2 or w < 2:
        raise ChromaValueError(f"an HDRI of {w}x{h} pixels is too small to project; give a lat-long image")
    if abs(w / h - 2.0) > 0.02:
        from chroma.io import ChromaWarning

        warnings.warn(
            f"the HDRI is {w}x{h}, not 2:1: is it a lat-long (equirectangular) image? "
            "Projecting it as one anyway", ChromaWarning, stacklevel=2,
        )
    m = _monomial_moments(rgb)
    if not all(np.all(np.isfinite(v)) for v in m.values()):
        bad = int(np.count_nonzero(~np.isfinite(rgb)))
        raise ChromaValueError(
            f"the HDRI has {bad} NaN/Inf values; fix or clamp them first "
            "(e.g. oiiotool in.exr --fixnan box3 -o fixed.exr)"
        )
    c = np.empty((9, rgb.shape[2]), dtype=np.float64)
    c[0] = K0 * m["1"]
    c[1] = K1 * m["y"]
    c[2] = K1 * m["z"]
    c[3] = K1 * m["x"]
    c[4] = K2 * m["xy"]
    c[5] = K2 * m["yz"]
    c[6] = K3 * (3.0 * m["zz"] - m["1"])
    c[7] = K2 * m["xz"]
    c[8] = K4 * (m["xx"] - m["yy"])
    sh = SH(c[: n_coefficients(order)], cs or "ACEScg")
    if colorspace is not None:
        sh = sh.to_colorspace(colorspace, config)
    return sh


# -------------------------------------------------------------------------- evaluation


def window(order: int = 2, kind: str | None = "hanning", width: float | None = None) -> np.ndarray:
    """
    Return per-band window factors against ringing (the Gibbs phenomenon).

    Windowing trades sharpness for less ringing in *radiance*: for a point source the
    order-2 radiance's negative lobe is -20 % of its peak unwindowed, -6.7 % with Hanning,
    -9.6 % with Lanczos. It costs irradiance accuracy (Hanning: 0.70 instead of 1.06 facing
    a point source), so leave diffuse lighting unwindowed (docs/ambient.md).

    Parameters
    ----------
    order : int, default 2
        Highest band: 0, 1 or 2.
    kind : {"hanning", "lanczos", "none"} or None, default "hanning"
        ``hanning``: ``w_l = (1 + cos(pi l / width)) / 2`` for l < width, else 0.
        ``lanczos``: ``w_l = sinc(l / width)``. ``None`` or ``"none"``: all ones.
    width : float, optional
        Window width in bands, > 0; default order + 1.

    Returns
    -------
    numpy.ndarray
        The factors w_l, shape (order + 1,).

    Raises
    ------
    chroma.errors.ChromaValueError
        For an unknown kind, a bad order or a width <= 0.

    References
    ----------
    .. [1] Sloan, P.-P. (2008). "Stupid Spherical Harmonics (SH) Tricks". Game
       Developers Conference, section on windowing.
    """
    order = _check_order(order)
    l = np.arange(order + 1, dtype=np.float64)  # noqa: E741 - the SH band index is l in the literature
    if kind is None or kind == "none":
        return np.ones(order + 1)
    width = float(order + 1 if width is None else width)
    if width <= 0:
        raise ChromaValueError(f"window width must be positive (got {width})")
    if kind == "hanning":
        return np.where(l < width, 0.5 * (1.0 + np.cos(np.pi * l / width)), 0.0)
    if kind == "lanczos":
        return np.sinc(l / width)
    raise ChromaValueError(f"unknown SH window {kind!r}; use one of {', '.join(WINDOWS)} or None")


def _pad9(coeffs: np.ndarray) -> np.ndarray:
    c = np.zeros((9, coeffs.shape[1]), dtype=np.float64)
    c[: coeffs.shape[0]] = coeffs
    return c


def _monomial_coefficients(coeffs9: np.ndarray) -> np.ndarray:
    """(10, channels) float64 weights of the monomials [x^2, y^2, z^2, xy, yz, xz, x, y, z, 1]
    with ``sum_k coeffs9[k] Y_k(n)`` equal to their weighted sum for unit n: the quadratic
    form of Ramamoorthi & Hanrahan 2001, eq. 12."""
    c = coeffs9
    return np.stack([
        K4 * c[8], -K4 * c[8], 3.0 * K3 * c[6],
        K2 * c[4], K2 * c[5], K2 * c[7],
        K1 * c[3], K1 * c[1], K1 * c[2],
        K0 * c[0] - K3 * c[6],
    ])


_CHUNK = 1 << 14  # rows per block: keeps the monomial block in cache (measured best here)


def _evaluate(coeffs: np.ndarray, normals: np.ndarray, band_scale: np.ndarray, normalise: bool) -> np.ndarray:
    n = np.asarray(normals)
    if n.shape[-1:] != (3,):
        raise ChromaValueError(f"normals must be an array of shape (..., 3), got shape {n.shape}")
    if not np.issubdtype(n.dtype, np.number):
        raise ChromaValueError(f"normals must be numbers, got {n.dtype}")
    shape = n.shape[:-1]
    flat = n.reshape(-1, 3)
    c = _pad9(coeffs)
    c[: coeffs.shape[0]] *= band_scale[BAND[: coeffs.shape[0]], None]
    C = _monomial_coefficients(c).astype(np.float32)
    out = np.empty((flat.shape[0], c.shape[1]), dtype=np.float32)
    P = np.empty((min(_CHUNK, max(flat.shape[0], 1)), 10), dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, flat.shape[0], _CHUNK):
            b = flat[start : start + _CHUNK].astype(np.float32, copy=False)
            k = b.shape[0]
            p = P[:k]
            x, y, z = p[:, 6], p[:, 7], p[:, 8]
            p[:, 6:9] = b
            if normalise:
                inv = 1.0 / np.sqrt(x * x + y * y + z * z)
                zero = ~np.isfinite(inv)
                inv[zero] = 0.0
                p[:, 6:9] *= inv[:, None]
            np.multiply(x, x, out=p[:, 0])
            np.multiply(y, y, out=p[:, 1])
            np.multiply(z, z, out=p[:, 2])
            np.multiply(x, y, out=p[:, 3])
            np.multiply(y, z, out=p[:, 4])
            np.multiply(x, z, out=p[:, 5])
            p[:, 9] = 1.0
            o = out[start : start + k]
            np.matmul(p, C, out=o)
            if normalise and zero.any():
                o[zero] = 0.0
    return out.reshape(shape + (c.shape[1],))


def _normalise_flag(normalise: bool, normalize: bool | None, where: str) -> bool:
    if normalize is None:
        return normalise
    from chroma.deprecation import warn_deprecated

    warn_deprecated(f"{where}(normalize=...)", f"{where}(normalise=...)", stacklevel=4)
    return normalize


def radiance(sh: SH, normals: np.ndarray, *, window_kind: str | None = None, normalise: bool = True,
             normalize: bool | None = None) -> np.ndarray:
    """
    Return the band-limited radiance ``L(d) = sum_k c_k Y_k(d)`` in directions.

    Vectorised: a 1920x1080 map of directions in one call.

    Parameters
    ----------
    sh : SH
        The environment's coefficients.
    normals : numpy.ndarray
        Directions, shape (..., 3); zero-length ones give 0.
    window_kind : {"hanning", "lanczos"}, optional
        Window the bands against ringing (:func:`window`); default none.
    normalise : bool, default True
        Normalise the directions first.
    normalize : bool, optional
        Deprecated spelling of ``normalise`` (warns).

    Returns
    -------
    numpy.ndarray
        Radiance per channel in the SH's units, shape (..., channels), float32.

    Raises
    ------
    chroma.errors.ChromaValueError
        For directions whose last axis is not 3, or that are not numbers.

    References
    ----------
    .. [1] Ramamoorthi, R., & Hanrahan, P. (2001). "An Efficient Representation for
       Irradiance Environment Maps". SIGGRAPH 2001.
    """
    scale = window(sh.order, window_kind) if window_kind else np.ones(sh.order + 1)
    flag = _normalise_flag(normalise, normalize, "chroma.ambient.radiance")
    return _evaluate(sh.coefficients, normals, np.pad(scale, (0, 2 - sh.order)), flag)


def irradiance(sh: SH, normals: np.ndarray, *, window_kind: str | None = None, normalise: bool = True,
               normalize: bool | None = None) -> np.ndarray:
    """
    Return the irradiance ``E(n) = sum_k A_l c_k Y_k(n)`` for surface normals.

    The environment convolved with the clamped cosine lobe, A_0 = pi, A_1 = 2 pi / 3,
    A_2 = pi / 4. A Lambertian surface of albedo rho reflects ``rho / pi * E``. For a
    constant environment of radiance L, E = pi L for every normal. For a single
    directional source the order-2 result deviates from the exact clamped cosine by at
    most :data:`POINT_SOURCE_MAX_ERROR` (9.4 %) of its normal irradiance.

    Parameters
    ----------
    sh : SH
        The environment's coefficients.
    normals : numpy.ndarray
        Surface normals, shape (..., 3); zero-length ones (background) give 0.
    window_kind : {"hanning", "lanczos"}, optional
        Window the bands against ringing (:func:`window`); default none.
    normalise : bool, default True
        Normalise the normals first.
    normalize : bool, optional
        Deprecated spelling of ``normalise`` (warns).

    Returns
    -------
    numpy.ndarray
        Irradiance per channel (the SH's radiance units x steradian), shape
        (..., channels), float32.

    Raises
    ------
    chroma.errors.ChromaValueError
        For normals whose last axis is not 3, or that are not numbers.

    References
    ----------
    .. [1] Ramamoorthi, R., & Hanrahan, P. (2001). "An Efficient Representation for
       Irradiance Environment Maps". SIGGRAPH 2001, eq. 7-9.
    """
    scale = np.array(A_L[: sh.order + 1]) * (window(sh.order, window_kind) if window_kind else 1.0)
    flag = _normalise_flag(normalise, normalize, "chroma.ambient.irradiance")
    return _evaluate(sh.coefficients, normals, np.pad(scale, (0, 2 - sh.order)), flag)


# ---------------------------------------------------------------------------- rotation


def rotation_matrix(yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """
    Return the rotation matrix of yaw, pitch and roll angles.

    ``R = Ry(yaw) @ Rx(pitch) @ Rz(roll)``: roll about +Z first, then pitch about +X, then
    yaw about +Y (Nuke's default ZXY rotation order), each right-handed. Positive yaw
    turns +Z towards +X: the lat-long image slides left by yaw / 360 of its width.

    Parameters
    ----------
    yaw, pitch, roll : float, default 0
        Angles in degrees.

    Returns
    -------
    numpy.ndarray
        3x3 rotation acting on column direction vectors.
    """
    y, p, r = (math.radians(float(a)) for a in (yaw, pitch, roll))
    cy, sy, cp, sp, cr, sr = math.cos(y), math.sin(y), math.cos(p), math.sin(p), math.cos(r), math.sin(r)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return ry @ rx @ rz


@functools.lru_cache(maxsize=1)
def _fit_directions() -> tuple[np.ndarray, np.ndarray]:
    """64 Fibonacci-sphere directions and the pseudo-inverse of the basis there."""
    n = 64
    i = np.arange(n) + 0.5
    y = 1.0 - 2.0 * i / n
    r = np.sqrt(1.0 - y * y)
    phi = np.pi * (3.0 - math.sqrt(5.0)) * i
    d = np.stack([r * np.cos(phi), y, r * np.sin(phi)], axis=1)
    return d, np.linalg.pinv(basis(d, 2))


def sh_rotation(rotation: np.ndarray) -> np.ndarray:
    """
    Return the matrix that rotates order-2 SH coefficients.

    A rotated environment is ``L'(d) = L(R^-1 d)``. Its coefficients are found by least
    squares on 64 sample directions: ``Y(d_i) c' = Y(R^-1 d_i) c``, which is exact (to
    rounding) because band-limited functions stay band-limited under rotation. The
    result is block diagonal (1, 3x3, 5x5).

    Parameters
    ----------
    rotation : numpy.ndarray
        Orthonormal 3x3 rotation R acting on column direction vectors.

    Returns
    -------
    numpy.ndarray
        9x9 matrix M with ``c' = M @ c``.

    Raises
    ------
    chroma.errors.ChromaValueError
        For a matrix that is not an orthonormal 3x3.

    References
    ----------
    .. [1] Sloan, P.-P. (2008). "Stupid Spherical Harmonics (SH) Tricks". Game
       Developers Conference (rotation; the closed forms of Ivanic & Ruedenberg 1996).
    """
    R = np.asarray(rotation, dtype=np.float64)
    if R.shape != (3, 3) or not np.allclose(R @ R.T, np.eye(3), atol=1e-6):
        raise ChromaValueError("a rotation must be an orthonormal 3x3 matrix")
    d, pinv = _fit_directions()
    M = pinv @ basis(d @ R, 2)  # rows of d @ R are R^T d = R^-1 d
    M[np.abs(M) < 1e-13] = 0.0
    return M


# ---------------------------------------------------------------------------- colour


def _rgb_to_xyz(colorspace: str, config: str | os.PathLike[str] | None = None) -> np.ndarray:
    """RGB -> XYZ normalised primary matrix (SMPTE RP 177) of a scene-linear space: chroma's
    one source of it, ``colorimetry.rgb_to_xyz_matrix``."""
    from chroma import colorimetry

    return colorimetry.rgb_to_xyz_matrix(colorspace, config)


def rgb_to_xy(rgb: np.ndarray, colorspace: str = "ACEScg", config: str | os.PathLike[str] | None = None) -> np.ndarray:
    """
    Return the CIE 1931 xy chromaticity of a linear RGB triple.

    Absolute colorimetry through the colour space's normalised primary matrix, no
    chromatic adaptation.

    Parameters
    ----------
    rgb : numpy.ndarray
        Scene-linear R, G, B, shape (3,).
    colorspace : str, default "ACEScg"
        The scene-linear colour space of ``rgb``.
    config : str or os.PathLike, optional
        OCIO config; default ``$OCIO``, else chroma's bundled config.

    Returns
    -------
    numpy.ndarray
        The x, y, shape (2,).

    Raises
    ------
    chroma.errors.ChromaValueError
        For a black or negative colour, which has no chromaticity.

    References
    ----------
    .. [1] SMPTE RP 177-1993, "Derivation of Basic Television Color Equations".
    """
    xyz = _rgb_to_xyz(colorspace, config) @ np.asarray(rgb, np.float64)
    s = xyz.sum()
    if not np.isfinite(s) or s <= 0 or xyz[1] <= 0:
        raise ChromaValueError(f"the colour {np.round(rgb, 6).tolist()} has no chromaticity (it is black or negative)")
    return xyz[:2] / s


# -------------------------------------------------------------------------- the SH type


@dataclass
class SH:
    """
    Order-0 to order-2 real SH coefficients of an environment's radiance.

    Attributes
    ----------
    coefficients : numpy.ndarray
        Float64 array ((order + 1)^2, channels): ``c_k = integral L Y_k dw`` per channel
        (radiance x steradian), index k = l (l + 1) + m (module docstring).
    colorspace : str
        The scene-linear colour space of the channels (ACEScg by default).
    metadata : dict
        Free-form notes carried along by the transforms.

    Raises
    ------
    chroma.errors.ChromaValueError
        For coefficients that are not 1, 4 or 9 rows by at least one channel.

    References
    ----------
    .. [1] Ramamoorthi, R., & Hanrahan, P. (2001). "An Efficient Representation for
       Irradiance Environment Maps". SIGGRAPH 2001.
    """

    coefficients: np.ndarray
    colorspace: str = "ACEScg"
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        c = np.array(self.coefficients, dtype=np.float64)
        if c.ndim != 2 or c.shape[0] not in (1, 4, 9) or c.shape[1] < 1:
            raise ChromaValueError(f"SH coefficients must be 1, 4 or 9 rows x channels, got shape {c.shape}")
        self.coefficients = c

    @property
    def order(self) -> int:
        """
        Highest band of the coefficients.

        Returns
        -------
        int
            0, 1 or 2 (1, 4 or 9 coefficients).
        """
        return {1: 0, 4: 1, 9: 2}[self.coefficients.shape[0]]

    # evaluation
    def radiance(self, directions: np.ndarray, window_kind: str | None = None) -> np.ndarray:
        """
        Return the band-limited radiance in directions (:func:`radiance`).

        Parameters
        ----------
        directions : numpy.ndarray
            Directions, shape (..., 3), normalised here; zero-length ones give 0.
        window_kind : {"hanning", "lanczos"}, optional
            Window the bands against ringing; default none.

        Returns
        -------
        numpy.ndarray
            Radiance, shape (..., channels), float32.
        """
        return radiance(self, directions, window_kind=window_kind)

    def irradiance(self, normals: np.ndarray, window_kind: str | None = None) -> np.ndarray:
        """
        Return the irradiance for surface normals (:func:`irradiance`).

        Parameters
        ----------
        normals : numpy.ndarray
            Surface normals, shape (..., 3), normalised here; zero-length ones give 0.
        window_kind : {"hanning", "lanczos"}, optional
            Window the bands against ringing; default none.

        Returns
        -------
        numpy.ndarray
            Irradiance, shape (..., channels), float32.
        """
        return irradiance(self, normals, window_kind=window_kind)

    # transforms (each returns a new SH)
    def truncated(self, order: int) -> SH:
        """
        Return the coefficients up to a lower order.

        Parameters
        ----------
        order : int
            0, 1 or 2, at most this SH's order.

        Returns
        -------
        SH
            A new SH with (order + 1)^2 coefficients.

        Raises
        ------
        chroma.errors.ChromaValueError
            For an order above this SH's or outside 0-2.
        """
        order = _check_order(order)
        if order > self.order:
            raise ChromaValueError(f"cannot raise an order-{self.order} SH to order {order}; project again")
        return SH(self.coefficients[: n_coefficients(order)].copy(), self.colorspace, dict(self.metadata))

    def rotated(self, yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> SH:
        """
        Return the environment rotated by yaw, pitch and roll.

        Equal to projecting the rotated HDRI, to rounding.

        Parameters
        ----------
        yaw, pitch, roll : float, default 0
            Angles in degrees, Nuke's ZXY order (:func:`rotation_matrix`).

        Returns
        -------
        SH
            The rotated coefficients.
        """
        return self.rotated_by(rotation_matrix(yaw, pitch, roll))

    def rotated_by(self, rotation: np.ndarray) -> SH:
        """
        Return the environment rotated by a 3x3 rotation matrix (:func:`sh_rotation`).

        Parameters
        ----------
        rotation : numpy.ndarray
            Orthonormal 3x3 rotation acting on column direction vectors.

        Returns
        -------
        SH
            The rotated coefficients.

        Raises
        ------
        chroma.errors.ChromaValueError
            For a matrix that is not an orthonormal 3x3.
        """
        n = self.coefficients.shape[0]
        M = sh_rotation(rotation)[:n, :n]
        return SH(M @ self.coefficients, self.colorspace, dict(self.metadata))

    def windowed(self, kind: str = "hanning", width: float | None = None) -> SH:
        """
        Return the coefficients scaled by a per-band window against ringing (:func:`window`).

        Parameters
        ----------
        kind : {"hanning", "lanczos"}, default "hanning"
            The window.
        width : float, optional
            Window width in bands; default order + 1.

        Returns
        -------
        SH
            The windowed coefficients.

        Raises
        ------
        chroma.errors.ChromaValueError
            For an unknown kind or a width <= 0.
        """
        w = window(self.order, kind, width)
        return SH(self.coefficients * w[BAND[: self.coefficients.shape[0]], None], self.colorspace, dict(self.metadata))

    def to_colorspace(self, colorspace: str, config: str | os.PathLike[str] | None = None) -> SH:
        """
        Return the coefficients in another scene-linear colour space.

        Projection is linear, so converting the coefficients equals converting every pixel
        of the HDRI first.

        Parameters
        ----------
        colorspace : str
            The scene-linear colour space to convert to.
        config : str or os.PathLike, optional
            OCIO config; default ``$OCIO``, else chroma's bundled config.

        Returns
        -------
        SH
            The converted coefficients.

        Raises
        ------
        chroma.errors.ColorSpaceError
            For an unknown or non-scene-linear colour space.
        """
        from chroma import ocio

        dst = ocio.resolve_colorspace(colorspace, config)
        src = ocio.resolve_colorspace(self.colorspace, config)
        if dst == src:
            return SH(self.coefficients.copy(), dst, dict(self.metadata))
        for name in (src, dst):
            ocio.require_scene_linear(name, config, "converting SH coefficients")
        # the conversion is a 3x3 matrix: recover it from the unit primaries in float64
        m = ocio.convert(np.eye(3, dtype=np.float32), src, dst, config).astype(np.float64)  # rows: images of R, G, B
        return SH(self.coefficients @ m, dst, dict(self.metadata))

    # summaries
    @property
    def mean_radiance(self) -> np.ndarray:
        """
        Mean radiance over the sphere, the DC term ``c_0 Y_0``.

        Returns
        -------
        numpy.ndarray
            Radiance per channel, shape (channels,).
        """
        return self.coefficients[0] * K0

    def luminance_weights(self) -> np.ndarray:
        """
        Return the luminance (Y) weights of R, G, B in the SH's colour space.

        Returns
        -------
        numpy.ndarray
            Shape (3,), float64, from :func:`chroma.colorimetry.luminance_weights`.
        """
        from chroma import colorimetry

        return np.asarray(colorimetry.luminance_weights(self.colorspace), np.float64)

    def dominant_direction(self) -> np.ndarray:
        """
        Return the direction of the dominant light.

        The luminance-weighted band-1 coefficients (c_3, c_1, c_2) = (x, y, z).

        Returns
        -------
        numpy.ndarray
            Unit world direction, shape (3,); (0, 1, 0) (up) when the environment has no
            band-1 part.

        References
        ----------
        .. [1] Sloan, P.-P. (2008). "Stupid Spherical Harmonics (SH) Tricks". Game
           Developers Conference, "extracting the dominant direction".
        """
        if self.order < 1:
            return np.array([0.0, 1.0, 0.0])
        w = self.luminance_weights()
        lum = self.coefficients[1:4] @ w
        d = np.array([lum[2], lum[0], lum[1]])
        n = np.linalg.norm(d)
        # below 1e-6 of the DC term the band-1 part is projection rounding, not a light
        if not n > 1e-6 * abs(float(self.coefficients[0] @ w)):
            return np.array([0.0, 1.0, 0.0])
        return d / n

    def dominant_light(self) -> tuple[np.ndarray, np.ndarray]:
        """
        Return the directional light that best explains the directional irradiance.

        The colour is the light's normal irradiance E (per channel): the least-squares fit
        of ``E Y_k(d)`` to the l = 1, 2 coefficients weighted by A_l^2 (so it reproduces the
        diffuse shading), ``E = sum A_l^2 c_k Y_k(d) / sum A_l^2 Y_k(d)^2``.

        Returns
        -------
        direction : numpy.ndarray
            Unit world direction, shape (3,) (:meth:`dominant_direction`).
        colour : numpy.ndarray
            Normal irradiance per channel, shape (channels,); zeros for order 0.

        References
        ----------
        .. [1] Sloan, P.-P. (2008). "Stupid Spherical Harmonics (SH) Tricks". Game
           Developers Conference.
        """
        d = self.dominant_direction()
        if self.order < 1:
            return d, np.zeros(self.coefficients.shape[1])
        n = self.coefficients.shape[0]
        y = basis(d, self.order)[1:n]
        a2 = np.array(A_L)[BAND[1:n]] ** 2
        colour = (a2 * y) @ self.coefficients[1:n] / np.sum(a2 * y * y)
        return d, colour

    def ambient_white(self, locus: Locus = "planckian",
                      config: str | os.PathLike[str] | None = None) -> tuple[float, float]:
        """
        Return the CCT and Duv of the ambient colour (the mean radiance over the sphere).

        Parameters
        ----------
        locus : {"planckian", "auto", "daylight"}, default "planckian"
            ``"planckian"`` is the standard CCT/Duv (Ohno 2013); ``"auto"`` is chroma's
            white-balance convention (daylight locus from 4000 K), which the Grade's
            ``WhiteBalance`` reads (:func:`chroma.whitebalance.xy_to_kelvin`).
        config : str or os.PathLike, optional
            OCIO config; default ``$OCIO``, else chroma's bundled config.

        Returns
        -------
        kelvin : float
            Correlated colour temperature, Kelvin.
        duv : float
            Signed distance from the locus in the CIE 1960 UCS.

        Raises
        ------
        chroma.errors.ChromaValueError
            For a black or negative mean radiance.

        References
        ----------
        .. [1] Ohno, Y. (2014). "Practical use and calculation of CCT and Duv". LEUKOS,
           10(1), 47-55.
        """
        from chroma import whitebalance

        kelvin, tint = whitebalance.xy_to_kelvin(rgb_to_xy(self.mean_radiance, self.colorspace, config), locus)
        return float(kelvin), float(tint)

    def to_dict(self) -> dict[str, Any]:
        """
        Return the JSON-ready description that ``chroma ambient --json`` prints.

        Returns
        -------
        dict
            ``colorspace``, ``order``, ``basis``, ``coefficients``, ``mean_radiance``,
            ``dominant_direction``, ``dominant_latlong_uv``, ``dominant_color``,
            ``ambient_kelvin`` (K, or None) and ``ambient_duv`` (or None).
        """
        d, col = self.dominant_light()
        try:
            k, duv = self.ambient_white()
        except ChromaValueError:
            k, duv = None, None
        u, v = direction_to_latlong(d)
        return {
            "colorspace": self.colorspace,
            "order": self.order,
            "basis": "real SH, Sloan 2008 A2 without Condon-Shortley sign; +Y up, lat-long centre +Z (OIIO)",
            "coefficients": self.coefficients.round(9).tolist(),
            "mean_radiance": self.mean_radiance.round(9).tolist(),
            "dominant_direction": d.round(6).tolist(),
            "dominant_latlong_uv": [round(float(u), 6), round(float(v), 6)],
            "dominant_color": col.round(9).tolist(),
            "ambient_kelvin": None if k is None or not np.isfinite(k) else round(k, 1),
            "ambient_duv": None if duv is None or not np.isfinite(duv) else round(duv, 5),
        }

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """
        Return :meth:`to_dict` as JSON text, and write it to a file if asked.

        Parameters
        ----------
        path : str or os.PathLike, optional
            File to write the text to, replaced atomically (:func:`chroma.io.write_text`).

        Returns
        -------
        str
            The JSON text, indented by 2.

        Raises
        ------
        chroma.errors.ChromaIOError
            For a file that cannot be written.
        """
        text = json.dumps(self.to_dict(), indent=2)
        if path is not None:
            from chroma.io import write_text

            write_text(path, text + "\n")
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SH:
        """
        Return the SH described by a :meth:`to_dict` mapping.

        Parameters
        ----------
        data : dict
            At least ``coefficients`` (1, 4 or 9 rows x channels); ``colorspace`` defaults
            to ACEScg.

        Returns
        -------
        SH
            The coefficients.

        Raises
        ------
        chroma.errors.ChromaValueError
            For a mapping without usable coefficients.
        """
        try:
            return cls(np.asarray(data["coefficients"], np.float64), data.get("colorspace", "ACEScg"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ChromaValueError(f"not an SH description ({exc}); expected {{'coefficients': 9x3, ...}}") from None
