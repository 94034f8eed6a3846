"""White balance in Kelvin and tint.

Chromaticity of a white, chromatic adaptation between two whites as a 3x3 matrix in the
working space, and white estimation from an image.

Notes
-----
* **Kelvin** is a correlated colour temperature (CCT), 1000 K to 25000 K.
* **Tint** (``duv``) is the signed distance in CIE 1960 UCS (u, v) from the locus point, along
  the normal of the Planckian locus at that temperature (positive: above the locus, towards
  green; negative: towards magenta), as ANSI C78.377 and Ohno (2014) define Duv.
* **Locus**: ``"planckian"`` is the blackbody locus (Planck's law with the CIE 1931 2 degree
  observer, computed by colour-science, Ohno 2014 for the normal); ``"daylight"`` is the CIE
  daylight locus (CIE 015:2018, eq. 4.7-4.8; defined 4000 K to 25000 K), on which D65 is
  6504 K; ``"auto"`` uses the Planckian locus below 4000 K and the daylight locus from 4000 K
  up, the way tungsten and daylight whites are usually meant.
* :func:`xy_to_kelvin` returns the standard CCT and Duv relative to the Planckian locus
  (Ohno 2014). :func:`estimate_white` returns (kelvin, tint) on the ``auto`` locus by default,
  so ``kelvin_to_xy(*estimate_white(img))`` gives back the estimated white exactly.

References
----------
CIE 015:2018 *Colorimetry*, 4th ed.; Y. Ohno, "Practical Use and Calculation of CCT and Duv",
LEUKOS 10(1), 2014 (colour-science's method "Ohno 2013"); C. Li et al., "Comprehensive color
solutions: CAM16, CAT16 and CAM16-UCS", Color Res. Appl. 42(6), 2017; K. M. Lam, "Metamerism
and colour constancy" (Bradford), 1985; CIE 159:2004 (CAT02).
"""

from __future__ import annotations

import functools
import math
import os
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from chroma import colorimetry as _colorimetry
from chroma import ocio as _ocio
from chroma.caches import register_cache
from chroma.colour_science import colour
from chroma.deprecation import deprecated_alias
from chroma.errors import ChromaValueError
from chroma.image import Image

KELVIN_MIN, KELVIN_MAX = 1000.0, 25000.0
DAYLIGHT_MIN = 4000.0
#: The CCT of CIE standard illuminant D65 on the daylight locus (CIE 015:2018).
D65_KELVIN = 6504.0
#: Largest |Duv| accepted: ANSI C78.377 whites sit within +/-0.006; 0.05 is far off-white.
DUV_MAX = 0.05

Locus = Literal["auto", "planckian", "daylight"]
FloatArray = NDArray[np.float64]

# chroma's names (case-insensitive, spaces/underscores/dashes ignored) -> colour-science CATs
_CAT_NAMES = {
    "cat16": "CAT16",
    "bradford": "Bradford",
    "cat02": "CAT02",
    "vonkries": "Von Kries",
    "xyzscaling": "XYZ Scaling",
    "sharp": "Sharp",
    "cmccat2000": "CMCCAT2000",
}


def check_kelvin(kelvin: float, what: str = "colour temperature") -> float:
    """``kelvin`` as a float, or an error saying why it is not a usable colour temperature.

    chroma's one Kelvin range check (white balance, grades, lights, skies).

    Parameters
    ----------
    kelvin : float
        Correlated colour temperature in kelvin (K).
    what : str, optional
        What the number is, for the message (``"from kelvin"``, ``"blackbody temperature"``);
        default ``"colour temperature"``.

    Returns
    -------
    float
        The temperature, within :data:`KELVIN_MIN` to :data:`KELVIN_MAX` (1000-25000 K).

    Raises
    ------
    chroma.errors.ChromaValueError
        Not a number, NaN, negative, or outside 1000-25000 K.

    Examples
    --------
    >>> check_kelvin("3200")
    3200.0
    >>> check_kelvin(40000)
    Traceback (most recent call last):
        ...
    chroma.errors.ChromaValueError: colour temperature 40000 K is outside 1000 K to 25000 K ...
    """
    try:
        k = float(kelvin)
    except (TypeError, ValueError):
        raise ChromaValueError(f"{what} must be a number of kelvin (1000-25000 K), not {kelvin!r}") from None
    if math.isnan(k):
        raise ChromaValueError(f"{what} is NaN; give a temperature in Kelvin (1000 to 25000)")
    if k < 0:
        raise ChromaValueError(f"{what} {k:g} K is negative; Kelvin starts at 0 (give 1000 to 25000)")
    if not KELVIN_MIN <= k <= KELVIN_MAX:
        raise ChromaValueError(
            f"{what} {k:g} K is outside {KELVIN_MIN:.0f} K to {KELVIN_MAX:.0f} K "
            "(candle ~1900 K, tungsten 3200 K, daylight 5600-6500 K, blue sky ~10000 K)"
        )
    return k


def check_duv(duv: float) -> float:
    """``duv`` (a tint) as a float within +/- :data:`DUV_MAX`.

    Parameters
    ----------
    duv : float
        Tint: CIE 1960 UCS distance from the locus (+ green, - magenta).

    Returns
    -------
    float
        The tint, within +/-0.05.

    Raises
    ------
    chroma.errors.ChromaValueError
        Not a finite number, or further than 0.05 from the locus.

    Examples
    --------
    >>> check_duv(0.003)
    0.003
    """
    try:
        d = float(duv)
    except (TypeError, ValueError):
        raise ChromaValueError(f"tint (Duv) must be a number, not {duv!r}") from None
    if not math.isfinite(d) or abs(d) > DUV_MAX:
        raise ChromaValueError(
            f"tint (Duv) {d:g} is outside +/-{DUV_MAX}; typical whites are within +/-0.006"
        )
    return d


def _check_locus(locus: str) -> None:
    if locus not in ("auto", "planckian", "daylight"):
        raise ChromaValueError(f"locus must be 'auto', 'planckian' or 'daylight', not {locus!r}")


def _kelvin_array(kelvin: ArrayLike) -> FloatArray:
    """``kelvin`` as float64, every value checked by :func:`check_kelvin` (its message)."""
    try:
        k = np.asarray(kelvin, dtype=np.float64)
    except (TypeError, ValueError):
        check_kelvin(kelvin)  # type: ignore[arg-type]  # raises the message for a non-number
        raise
    bad = ~((k >= KELVIN_MIN) & (k <= KELVIN_MAX))  # NaN is bad too
    if bad.any():
        check_kelvin(float(k[bad].flat[0]))
    return k


def _duv_array(duv: ArrayLike) -> FloatArray:
    """``duv`` as float64, every value checked by :func:`check_duv` (its message)."""
    try:
        d = np.asarray(duv, dtype=np.float64)
    except (TypeError, ValueError):
        check_duv(duv)  # type: ignore[arg-type]  # raises the message for a non-number
        raise
    bad = ~(np.abs(d) <= DUV_MAX)
    if bad.any():
        check_duv(float(d[bad].flat[0]))
    return d


def _planck_uv_normal(kelvin: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(u, v) of the Planckian locus at ``kelvin`` and its unit normal (Ohno 2013), (..., 2) each.

    One temperature is cached (colour-science integrates Planck's law over the CMFS each
    call: ~0.4 ms, where a grade or a colour string asks for the same few whites again)."""
    if kelvin.ndim == 0:
        return _planck_uv_normal_at(float(kelvin))
    return _planck_uv_normal_of(kelvin)


@functools.lru_cache(maxsize=4096)
def _planck_uv_normal_at(kelvin: float) -> tuple[FloatArray, FloatArray]:
    uv0, n = _planck_uv_normal_of(np.asarray(kelvin, dtype=np.float64))
    uv0.setflags(write=False)
    n.setflags(write=False)
    return uv0, n


def _planck_uv_normal_of(kelvin: FloatArray) -> tuple[FloatArray, FloatArray]:
    c = colour()
    zero = np.zeros_like(kelvin)
    uv0 = np.asarray(c.temperature.CCT_to_uv_Ohno2013(np.stack([kelvin, zero], axis=-1)), dtype=np.float64)
    uv1 = np.asarray(c.temperature.CCT_to_uv_Ohno2013(np.stack([kelvin, zero + 1.0], axis=-1)), dtype=np.float64)
    n = uv1 - uv0
    n /= np.hypot(n[..., 0], n[..., 1])[..., np.newaxis]
    return uv0, n


def _kelvin_to_xy(kelvin: FloatArray, duv: FloatArray, locus: str) -> FloatArray:
    """xy of (kelvin, duv) on ``locus`` ("auto" per value), no checks; broadcast shapes."""
    c = colour()
    kelvin, duv = np.broadcast_arrays(kelvin, duv)
    uv0, n = _planck_uv_normal(kelvin)
    daylight = np.full(kelvin.shape, locus == "daylight") | ((kelvin >= DAYLIGHT_MIN) & (locus == "auto"))
    if daylight.any():
        xy_d = np.asarray(c.temperature.CCT_to_xy_CIE_D(np.where(daylight, kelvin, D65_KELVIN)), dtype=np.float64)
        uv0 = np.where(daylight[..., np.newaxis], np.asarray(c.xy_to_UCS_uv(xy_d), dtype=np.float64), uv0)
    uv = uv0 + duv[..., np.newaxis] * n
    return np.asarray(c.UCS_uv_to_xy(uv), dtype=np.float64)


def kelvin_to_xy(kelvin: ArrayLike, duv: ArrayLike = 0.0, locus: Locus = "auto") -> FloatArray:
    """CIE 1931 xy chromaticity of a white given in Kelvin and tint (Duv).

    ``kelvin_to_xy(6504)`` is D65 (0.3127, 0.3291); ``kelvin_to_xy(2856)`` is illuminant A
    (0.4476, 0.4074). Vectorised as colour-science's ``CCT_to_xy_Ohno2013``: ``kelvin`` and
    ``duv`` broadcast together, any shape, float64 whatever their dtype.

    Parameters
    ----------
    kelvin : array_like
        Correlated colour temperature, 1000 K to 25000 K; a number or an array of any shape.
    duv : array_like, optional
        Tint, CIE 1960 (u, v) distance along the Planckian normal (+ green, - magenta);
        default 0. Broadcast against ``kelvin``.
    locus : {"auto", "planckian", "daylight"}, optional
        ``"auto"`` (default: Planckian below 4000 K, CIE daylight from 4000 K, per value),
        ``"planckian"`` or ``"daylight"`` (4000 K to 25000 K, CIE 015:2018 eq. 4.7-4.8).

    Returns
    -------
    numpy.ndarray
        ``(x, y)`` in the last axis: shape ``broadcast(kelvin, duv).shape + (2,)`` ((2,) for
        numbers), float64.

    Raises
    ------
    chroma.errors.ChromaValueError
        A Kelvin value NaN, negative or outside 1000-25000 K; |Duv| > 0.05; the daylight
        locus below 4000 K; a tint that leaves the chromaticity diagram (the message names
        the first such value).

    References
    ----------
    CIE 015:2018, eq. 4.7-4.8; Ohno 2014, LEUKOS 10(1) (``CCT_to_uv_Ohno2013`` in colour-science).

    Examples
    --------
    >>> kelvin_to_xy(6504).round(4)
    array([ 0.3127,  0.3291])
    >>> kelvin_to_xy([2856, 5000, 6504], locus="planckian").round(4)
    array([[ 0.4475,  0.4074],
           [ 0.3451,  0.3516],
           [ 0.3135,  0.3236]])
    >>> kelvin_to_xy(3200, duv=[-0.002, 0.0, 0.002]).shape
    (3, 2)
    """
    _check_locus(locus)
    k = _kelvin_array(kelvin)
    d = _duv_array(duv)
    if locus == "daylight" and (k < DAYLIGHT_MIN).any():
        raise ChromaValueError(
            f"the CIE daylight locus is defined from {DAYLIGHT_MIN:.0f} K to 25000 K, not "
            f"{float(k[k < DAYLIGHT_MIN].flat[0]):g} K; use locus='planckian' (or 'auto')"
        )
    xy = _kelvin_to_xy(k, d, locus)
    outside = (xy[..., 0] + xy[..., 1] >= 1.0) | (xy[..., 1] <= 0)
    if outside.any():
        kb, db = (float(v[outside].flat[0]) for v in np.broadcast_arrays(k, d))
        raise ChromaValueError(f"{kb:g} K with tint {db:g} lies outside the colours that exist; use a smaller tint")
    return xy


def _check_xy(xy: ArrayLike) -> FloatArray:
    """One CIE xy chromaticity, shape (2,)."""
    arr = np.asarray(xy, dtype=np.float64)
    if arr.shape != (2,) or not np.all(np.isfinite(arr)) or arr[1] <= 0 or arr[0] < 0 or arr.sum() > 1:
        raise ChromaValueError(f"{xy!r} is not a CIE xy chromaticity (two finite numbers, y > 0, x + y <= 1)")
    return arr


def _xy_array(xy: ArrayLike) -> FloatArray:
    """Chromaticities (..., 2) as float64, each checked as :func:`_check_xy` checks one."""
    try:
        arr = np.asarray(xy, dtype=np.float64)
    except (TypeError, ValueError):
        return _check_xy(xy)  # raises its message
    if arr.ndim == 0 or arr.shape[-1] != 2:
        return _check_xy(xy)  # raises its message
    ok = np.all(np.isfinite(arr), axis=-1) & (arr[..., 1] > 0) & (arr[..., 0] >= 0) & (arr.sum(axis=-1) <= 1)
    if not ok.all():
        _check_xy(arr[~ok][0])  # raises, naming the first bad chromaticity
    return arr


@overload
def xy_to_kelvin(  # numpydoc ignore=GL08
    xy: tuple[float, float] | list[float], locus: Locus = "planckian",
) -> tuple[float, float]: ...


@overload
def xy_to_kelvin(  # numpydoc ignore=GL08
    xy: ArrayLike, locus: Locus = "planckian",
) -> tuple[FloatArray | float, FloatArray | float]: ...


def xy_to_kelvin(xy: ArrayLike, locus: Locus = "planckian") -> tuple[FloatArray | float, FloatArray | float]:
    """Correlated colour temperature (K) and tint of chromaticities.

    With ``locus="planckian"`` (default) this is the standard CCT and Duv of Ohno (2014)
    (colour-science's ``uv_to_CCT_Ohno2013``): D65 -> (6504 K, +0.0032), illuminant A ->
    (2856 K, 0). With ``"daylight"`` or ``"auto"`` the tint is relative to that locus, the
    exact inverse of :func:`kelvin_to_xy` with the same locus (solved by Newton iteration from
    Ohno's estimate). Vectorised over any leading shape, as colour-science's
    ``xy_to_CCT_Ohno2013``; one chromaticity gives two numbers.

    Parameters
    ----------
    xy : array_like
        CIE 1931 ``(x, y)`` in the last axis: shape (2,) or (..., 2); computed in float64.
    locus : {"auto", "planckian", "daylight"}, optional
        Locus the tint is measured from; default ``"planckian"``.

    Returns
    -------
    kelvin : float or numpy.ndarray
        Correlated colour temperature, in Kelvin: a float for one chromaticity, else float64
        of shape ``xy.shape[:-1]``.
    tint : float or numpy.ndarray
        Duv from ``locus``, the same type and shape.

    Raises
    ------
    chroma.errors.ChromaValueError
        Not chromaticities, a CCT outside 1000-25000 K, or below 4000 K on the daylight locus
        (the message names the first such chromaticity).

    References
    ----------
    Y. Ohno, "Practical Use and Calculation of CCT and Duv", LEUKOS 10(1), 2014.

    Examples
    --------
    >>> kelvin, tint = xy_to_kelvin((0.3127, 0.3290))
    >>> round(kelvin), round(tint, 4)
    (6504, 0.0032)
    >>> kelvin, tint = xy_to_kelvin([[0.3127, 0.3290], [0.44757, 0.40745]])
    >>> kelvin.round(), tint.round(4)
    (array([ 6504.,  2856.]), array([ 0.0032,  0.    ]))
    """
    arr = _xy_array(xy)
    shape = arr.shape[:-1]
    arr = arr.reshape(-1, 2)  # one row per chromaticity
    c = colour()
    uv = np.asarray(c.xy_to_UCS_uv(arr), dtype=np.float64)
    cct_duv = np.asarray(c.temperature.uv_to_CCT_Ohno2013(uv, start=KELVIN_MIN - 100), dtype=np.float64)
    cct, duv = cct_duv[:, 0], cct_duv[:, 1].copy()
    bad = ~((cct >= KELVIN_MIN - 0.5) & (cct <= KELVIN_MAX + 0.5))  # NaN is bad too
    if bad.any():
        x, y = arr[bad][0]
        raise ChromaValueError(
            f"chromaticity ({x:.4f}, {y:.4f}) has a CCT of {float(cct[bad].flat[0]):.0f} K, outside 1000-25000 K"
        )
    _check_locus(locus)
    cct = np.clip(cct, KELVIN_MIN, KELVIN_MAX)
    daylight = np.full(cct.shape, locus == "daylight") | ((cct >= DAYLIGHT_MIN) & (locus == "auto"))
    low = daylight & (cct < DAYLIGHT_MIN)
    if low.any():
        x, y = arr[low][0]
        raise ChromaValueError(
            f"chromaticity ({x:.4f}, {y:.4f}) has a CCT of {float(cct[low].flat[0]):.0f} K, below the "
            "daylight locus (4000 K+); use locus='planckian'"
        )
    if daylight.any():
        cct[daylight], duv[daylight] = _invert_daylight(uv[daylight], cct[daylight], duv[daylight])
    if not shape:
        return float(cct[0]), float(duv[0])
    return cct.reshape(shape), duv.reshape(shape)


def _invert_daylight(uv: FloatArray, kelvin: FloatArray, duv: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Solve kelvin_to_xy(k, d, "daylight") == uv for (k, d) by Newton's method, per row of (n, 2).

    Each chromaticity stops at its own convergence (|residual| < 1e-12 in u and v), so one
    chromaticity gives the same result alone or among others.
    """
    c = colour()

    def f(k: FloatArray, d: FloatArray, target: FloatArray) -> FloatArray:
        k = np.minimum(np.maximum(k, DAYLIGHT_MIN), KELVIN_MAX)
        return np.asarray(c.xy_to_UCS_uv(_kelvin_to_xy(k, d, "daylight")), dtype=np.float64) - target

    k, d = kelvin.copy(), duv - _daylight_duv(kelvin)
    active = np.ones(k.shape, dtype=bool)
    for _ in range(20):
        ka, da, ua = k[active], d[active], uv[active]
        r = f(ka, da, ua)
        done = np.max(np.abs(r), axis=-1) < 1e-12
        if done.all():
            break
        idx = np.flatnonzero(active)[~done]
        ka, da, ua, r = ka[~done], da[~done], ua[~done], r[~done]
        hk = np.maximum(ka * 1e-5, 1e-3) * np.where(ka > KELVIN_MAX / 2, -1.0, 1.0)
        jac = np.stack([(f(ka + hk, da, ua) - r) / hk[:, np.newaxis], (f(ka, da + 1e-6, ua) - r) / 1e-6], axis=-1)
        step = np.linalg.solve(jac, -r[..., np.newaxis])[..., 0]
        k[idx], d[idx] = ka + step[:, 0], da + step[:, 1]
        active[np.flatnonzero(active)[done]] = False
    return k, d


def _daylight_duv(kelvin: FloatArray) -> FloatArray:
    """Duv (from the Planckian locus) of the CIE daylight locus at ``kelvin``; 0 below 4000 K."""
    c = colour()
    day = kelvin >= DAYLIGHT_MIN
    out = np.zeros_like(kelvin)
    if day.any():
        uv = c.xy_to_UCS_uv(c.temperature.CCT_to_xy_CIE_D(kelvin[day]))
        out[day] = np.asarray(c.temperature.uv_to_CCT_Ohno2013(uv), dtype=np.float64)[..., 1]
    return out


# ------------------------------------------------------------------- chromatic adaptation


def cat_name(method: str) -> str:
    """The colour-science name of a chromatic adaptation transform, given as chroma accepts it.

    Parameters
    ----------
    method : str
        ``CAT16``, ``Bradford``, ``CAT02``, ``von Kries``, ``XYZ Scaling``, ``Sharp`` or
        ``CMCCAT2000``, case-insensitive; spaces, underscores and dashes ignored.

    Returns
    -------
    str
        The name colour-science's ``matrix_chromatic_adaptation_VonKries`` takes.

    Raises
    ------
    chroma.errors.ChromaValueError
        When the method is unknown.

    Examples
    --------
    >>> cat_name("von kries")
    'Von Kries'
    >>> cat_name("cat-16")
    'CAT16'
    """
    key = str(method).lower().replace(" ", "").replace("_", "").replace("-", "")
    if key not in _CAT_NAMES:
        from chroma.errors import closest

        hint = closest(str(method), ["CAT16", "Bradford", "CAT02", "von Kries", "XYZ Scaling", "Sharp", "CMCCAT2000"])
        raise ChromaValueError(
            f"unknown chromatic adaptation method {method!r}" + (f"; {hint}" if hint else "")
            + " (choose CAT16, Bradford, CAT02 or von Kries)"
        )
    return _CAT_NAMES[key]


def _npm(colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """RGB -> XYZ in the space's own white, for a scene-linear space (white balance needs one)."""
    name = _ocio.require_scene_linear(colorspace, config, "white balance")
    return _colorimetry.rgb_to_xyz_matrix(name, config, white="native")


rgb_to_xyz_matrix = deprecated_alias(_npm, "chroma.whitebalance.rgb_to_xyz_matrix",
                                     "chroma.ocio.rgb_to_xyz_matrix(colorspace, config, white='native')")


def adaptation_matrix(
    src_xy: ArrayLike, dst_xy: ArrayLike, colorspace: str = "ACEScg", method: str = "CAT16",
    config: str | os.PathLike | None = None,
) -> np.ndarray:
    """The 3x3 chromatic adaptation matrix acting on RGB column vectors of ``colorspace``.

    ``M = NPM^-1 . CAT(src -> dst) . NPM`` where NPM is the space's RGB -> XYZ matrix and CAT
    the von Kries-type adaptation (full adaptation, D = 1) in the cone space of ``method``:
    CAT16 (Li et al. 2017, default), Bradford (Lam 1985), CAT02 (CIE 159:2004) or von Kries
    (Hunt-Pointer-Estevez). A colour seen under the white ``src_xy`` is mapped to its
    corresponding colour under ``dst_xy``: the src white itself becomes the dst white, so
    when ``dst_xy`` is the working space's white a neutral under ``src_xy`` becomes R=G=B.
    Use as ``rgb @ M.T`` for (..., 3) pixel arrays.

    Parameters
    ----------
    src_xy : array_like
        CIE 1931 xy of the white to adapt from.
    dst_xy : array_like
        CIE 1931 xy of the white to adapt to.
    colorspace : str, optional
        Scene-linear RGB space the matrix acts in; default ``"ACEScg"``.
    method : str, optional
        Adaptation transform (see :func:`cat_name`); default ``"CAT16"``.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    numpy.ndarray
        The matrix, (3, 3) float64, read-only.

    Raises
    ------
    chroma.errors.ChromaValueError
        When a white is not a chromaticity or the method is unknown.
    chroma.errors.SceneLinearError
        When ``colorspace`` is not scene-linear.

    References
    ----------
    C. Li et al., Color Res. Appl. 42(6), 2017 (CAT16); K. M. Lam, 1985 (Bradford);
    CIE 159:2004 (CAT02); colour-science ``matrix_chromatic_adaptation_VonKries``.

    Examples
    --------
    >>> m = adaptation_matrix(kelvin_to_xy(3200), colorspace_white_xy("ACEScg"), "ACEScg", "CAT16")
    >>> tungsten = kelvin_to_light_rgb(3200)  # a 3200 K light in ACEScg
    >>> tungsten.round(4), (m @ tungsten).round(4)  # neutralised: R = G = B
    (array([ 1.3113,  0.9185,  0.4444]), array([ 1.,  1.,  1.]))
    """
    src = _check_xy(src_xy)
    dst = _check_xy(dst_xy)
    # Keyed by the resolved config path, not ``config``: None means "$OCIO now", which may change.
    path = _ocio.config_path(config)
    return _adaptation(tuple(src), tuple(dst), cat_name(method), _ocio.resolve_colorspace(colorspace, config), path)


@register_cache
@functools.lru_cache(maxsize=256)
def _adaptation(src: tuple[float, ...], dst: tuple[float, ...], cat: str, colorspace: str,
                config: str) -> np.ndarray:
    c = colour()
    npm = _npm(colorspace, config)
    # No short-cut for equal whites: the full product is the identity to ~1e-15 there, and
    # computing it keeps the "same white is identity" tests a check of the adaptation itself.
    xyz_s = c.xy_to_XYZ(np.asarray(src))
    xyz_d = c.xy_to_XYZ(np.asarray(dst))
    cat_m = c.adaptation.matrix_chromatic_adaptation_VonKries(xyz_s, xyz_d, transform=cat)
    m = np.linalg.inv(npm) @ np.asarray(cat_m, dtype=np.float64) @ npm
    m.setflags(write=False)
    return m


def white_balance_matrix(
    from_kelvin: float, to_kelvin: float = D65_KELVIN, from_tint: float = 0.0, to_tint: float = 0.0,
    colorspace: str = "ACEScg", method: str = "CAT16", locus: Locus = "auto", config: str | os.PathLike | None = None,
) -> np.ndarray:
    """The adaptation matrix from the white (from_kelvin, from_tint) to (to_kelvin, to_tint).

    The whites come from :func:`kelvin_to_xy`; the matrix from :func:`adaptation_matrix`.
    Same Kelvin and tint give the identity.

    Parameters
    ----------
    from_kelvin : float
        The white to correct, 1000-25000 K.
    to_kelvin : float, optional
        The white it becomes, in Kelvin; default 6504 K (D65).
    from_tint : float, optional
        Duv of the ``from`` white; default 0.
    to_tint : float, optional
        Duv of the ``to`` white; default 0.
    colorspace : str, optional
        Scene-linear RGB space the matrix acts in; default ``"ACEScg"``.
    method : str, optional
        Adaptation transform (see :func:`cat_name`); default ``"CAT16"``.
    locus : {"auto", "planckian", "daylight"}, optional
        Locus of both whites; default ``"auto"``.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    numpy.ndarray
        The matrix, (3, 3) float64, on RGB column vectors.

    Raises
    ------
    chroma.errors.ChromaValueError
        When a Kelvin value, tint, method or locus is out of range or unknown.

    Examples
    --------
    >>> np.allclose(white_balance_matrix(5600, 5600), np.eye(3))  # same white: identity
    True
    >>> m = white_balance_matrix(3200)  # a tungsten white becomes D65
    >>> (m @ kelvin_to_light_rgb(3200)).round(4), kelvin_to_light_rgb(6504).round(4)
    (array([ 0.9771,  1.003 ,  1.0785]), array([ 0.9771,  1.003 ,  1.0785]))
    """
    src = kelvin_to_xy(from_kelvin, from_tint, locus)
    dst = kelvin_to_xy(to_kelvin, to_tint, locus)
    return adaptation_matrix(src, dst, colorspace, method, config)


def kelvin_to_light_rgb(
    kelvin: float, duv: float = 0.0, colorspace: str = "ACEScg", luminance: float = 1.0, config: str | os.PathLike | None = None,
) -> np.ndarray:
    """The light's own colour: linear RGB of a white of ``kelvin``/``duv``, no adaptation.

    Absolute colorimetry: the chromaticity :func:`kelvin_to_xy` (``auto`` locus) at relative
    luminance Y = ``luminance``, through the space's own normalised primary matrix (SMPTE RP
    177). Use it for what a light contributes to a scene rendered in ``colorspace`` (a
    tungsten sky, a sun): 6504 K in ACEScg is (0.977, 1.003, 1.079), bluer than the ACES
    white (~6000 K), which is R=G=B.

    Parameters
    ----------
    kelvin : float
        Correlated colour temperature, 1000-25000 K.
    duv : float, optional
        Tint (CIE 1960 UCS distance from the locus, + green); default 0.
    colorspace : str, optional
        Scene-linear colour space of the result; default ``"ACEScg"``.
    luminance : float, optional
        Relative luminance Y of the result; default 1.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    numpy.ndarray
        Scene-linear RGB, shape (3,), float64.

    References
    ----------
    SMPTE RP 177-1993; CIE 015:2018.

    Examples
    --------
    >>> kelvin_to_light_rgb(6504).round(3)
    array([ 0.977,  1.003,  1.078])
    >>> kelvin_to_light_rgb(3200, luminance=2.0).round(3)
    array([ 2.623,  1.837,  0.889])
    """
    x, y = kelvin_to_xy(kelvin, duv)
    xyz = np.array([x / y, 1.0, (1.0 - x - y) / y]) * luminance
    return np.linalg.solve(_colorimetry.rgb_to_xyz_matrix(colorspace, config, white="native"), xyz)


def kelvin_to_balanced_rgb(kelvin: float, colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """A white balanced to the working white: linear RGB of ``kelvin`` seen by a viewer adapted to D65.

    The chromaticity :func:`kelvin_to_xy` (``auto`` locus) at luminance Y = 1, taken as
    D65-relative XYZ and brought into ``colorspace`` with the Bradford adaptation from D65 to
    the space's white (:func:`chroma.colorimetry.rgb_to_xyz_matrix` with ``white="D65"``), as OKLab
    and the ACES OCIO configs relate colours: 6504 K (D65) is neutral, R=G=B (0.9997, 1.0002,
    0.9993 in ACEScg), lower temperatures are warm, higher cool. Use it for colour swatches
    and gradients (``"3200K"`` in :func:`chroma.oklab.parse_color`); for a light's physical
    colour use :func:`kelvin_to_light_rgb`.

    Parameters
    ----------
    kelvin : float
        Correlated colour temperature, 1000-25000 K.
    colorspace : str, optional
        Linear colour space (OCIO name, or OKLab's ``"XYZ"`` / ``"linear-sRGB"``); default
        ``"ACEScg"``.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    numpy.ndarray
        Linear RGB, shape (3,), float64.

    References
    ----------
    K. M. Lam, 1985 (Bradford); CIE 015:2018.

    Examples
    --------
    >>> kelvin_to_balanced_rgb(6504).round(3)
    array([ 1.   ,  1.   ,  0.999])
    >>> kelvin_to_balanced_rgb(3200).round(3)
    array([ 1.339,  0.916,  0.413])
    """
    x, y = kelvin_to_xy(kelvin)
    xyz = np.array([x / y, 1.0, (1.0 - x - y) / y])
    return _colorimetry.rgb_to_rgb(xyz, _colorimetry.XYZ, colorspace, config)


def colorspace_white_xy(colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """The CIE 1931 xy of the white (R=G=B) of a scene-linear colour space.

    ACEScg's is the ACES white, about D60 (0.32168, 0.33767).

    Parameters
    ----------
    colorspace : str, optional
        Scene-linear colour space; default ``"ACEScg"``.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    numpy.ndarray
        ``(x, y)``, shape (2,), float64.

    Raises
    ------
    chroma.errors.SceneLinearError
        When ``colorspace`` is not scene-linear.

    Examples
    --------
    >>> colorspace_white_xy("ACEScg").round(5)
    array([ 0.32168,  0.33767])
    >>> colorspace_white_xy("Linear Rec.709 (sRGB)").round(4)
    array([ 0.3127,  0.329 ])
    """
    xyz = _npm(colorspace, config) @ np.ones(3)
    return xyz[:2] / xyz.sum()


# ------------------------------------------------------------------------ white estimation


def estimate_white(
    image: Image, method: Literal["grey_world", "brightest"] = "grey_world",
    locus: Locus = "auto", config: str | os.PathLike | None = None,
) -> tuple[float, float]:
    """Estimate the white the image was lit by, as (kelvin, tint).

    Methods (pixels with non-finite or non-positive values are ignored):

    * ``"grey_world"``: the scene averages to grey (Buchsbaum 1980): the mean RGB of the
      valid pixels, with the brightest 0.5% (speculars, clipped sources) left out.
    * ``"brightest"``: the brightest patch is white (the white-patch / max-RGB idea, Land
      1977): the mean RGB of the pixels between the 97th and 99.5th luminance percentiles,
      so a few clipped or specular pixels do not decide it.

    The RGB is converted to XYZ with the working space's primaries, then to (kelvin, tint)
    on ``locus`` (see :func:`xy_to_kelvin`); ``WhiteBalance(from_kelvin=kelvin,
    from_tint=tint)`` then neutralises it.

    Parameters
    ----------
    image : chroma.Image
        The image; non-scene-linear images are converted to the ``scene_linear`` role.
    method : {"grey_world", "brightest"}, optional
        Estimation method; default ``"grey_world"``.
    locus : {"auto", "planckian", "daylight"}, optional
        Locus the tint is measured from; default ``"auto"``.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    kelvin : float
        Correlated colour temperature of the estimated white, in Kelvin.
    tint : float
        Its Duv.

    Raises
    ------
    chroma.errors.ChromaValueError
        When the method is unknown, no pixel has positive finite RGB, or the white's CCT is
        outside 1000-25000 K.

    References
    ----------
    G. Buchsbaum, "A spatial processor model for object colour perception", J. Franklin
    Inst. 310(1), 1980; E. H. Land, "The Retinex Theory of Color Vision", Sci. Am. 237(6), 1977.

    Examples
    --------
    >>> from chroma.image import Image
    >>> grey = np.ones((4, 4, 3), np.float32) * kelvin_to_light_rgb(3200).astype(np.float32)
    >>> kelvin, tint = estimate_white(Image(grey, colorspace="ACEScg"))
    >>> round(kelvin), abs(tint) < 1e-4
    (3200, True)
    """
    from chroma.stops import luminance, scene_linear_rgb

    if method not in ("grey_world", "brightest"):
        raise ChromaValueError(f"white estimation method must be 'grey_world' or 'brightest', not {method!r}")
    rgb, cs = scene_linear_rgb(image, config)
    rgb = rgb.reshape(-1, 3)
    valid = np.all(np.isfinite(rgb), axis=1) & np.all(rgb > 0, axis=1)
    rgb = rgb[valid].astype(np.float64)
    if rgb.shape[0] == 0:
        raise ChromaValueError("the image has no pixel with positive, finite R, G and B; cannot estimate its white")
    y = luminance(rgb, cs, config).astype(np.float64)
    if method == "grey_world":
        keep = y <= np.quantile(y, 0.995)
    else:
        lo, hi = np.quantile(y, [0.97, 0.995])
        keep = (y >= lo) & (y <= hi)
    if not keep.any():
        keep = np.ones_like(y, dtype=bool)
    mean = rgb[keep].mean(axis=0)
    xyz = _npm(cs, config) @ mean
    xy = xyz[:2] / xyz.sum()
    return xy_to_kelvin(xy, locus)


__all__ = [
    "kelvin_to_xy", "xy_to_kelvin", "adaptation_matrix", "white_balance_matrix", "estimate_white",
    "colorspace_white_xy", "check_kelvin", "check_duv", "kelvin_to_light_rgb", "kelvin_to_balanced_rgb",
    "cat_name", "D65_KELVIN", "KELVIN_MIN", "KELVIN_MAX",
]
