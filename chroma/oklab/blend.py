"""Colours (hex, r,g,b, Kelvin), blends in OKLab / OKLCh / linear / sRGB, and gradients.

References: B. Ottosson (2020), https://bottosson.github.io/posts/oklab/ ; W3C CSS Color 4,
4.4 (powerless hue), 12.3 (premultiplied interpolation), 12.4 (hue interpolation).
"""

from __future__ import annotations

import os
from typing import Any, Literal, Sequence, TypedDict

import numpy as np

from chroma.colorimetry import linear_space, srgb_to_xyz_matrix
from chroma.deprecation import deprecated_alias
from chroma.errors import ChromaValueError, closest
from chroma.oklab.convert import (
    ACHROMATIC,
    BLACK_STOPS,
    HUE_METHODS,
    LINEAR_SRGB,
    MID_GREY,
    SPACES,
    HueMethod,
    Space,
    from_oklab,
    oklab_to_oklch,
    oklch_to_oklab,
    rgb_to_rgb,
    srgb_decode,
    srgb_encode,
    to_oklab,
)
from chroma.oklab.gamut import gamut_map


def parse_color(text: Any, colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """A colour written as text (or three numbers), as linear RGB in ``colorspace``.

    Accepts ``"#ff00ff"`` / ``"#f0f"`` (sRGB-encoded display values, IEC 61966-2-1,
    decoded to linear Rec.709 and converted), ``"r,g,b"`` (linear values already in
    ``colorspace``), ``"3200K"`` (a white of that correlated colour temperature at
    luminance Y = 1.0, balanced to the working white:
    :func:`chroma.whitebalance.kelvin_to_balanced_rgb`), or a sequence of three numbers.

    Parameters
    ----------
    text : str or array_like
        The colour: hex, ``r,g,b``, Kelvin (``3200K``) or three finite numbers.
    colorspace : str, optional
        Scene-linear working space of the result (OCIO name, ``"XYZ"`` or
        ``"linear-sRGB"``; default ``"ACEScg"``).
    config : str, os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    numpy.ndarray
        (3,) float64 linear RGB in ``colorspace`` (diffuse white 1.0).

    Raises
    ------
    ChromaValueError
        Text that is not a colour in one of these forms.

    References
    ----------
    IEC 61966-2-1:1999, sRGB transfer function.

    Examples
    --------
    >>> parse_color("#ffffff", "linear-sRGB")
    array([ 1.,  1.,  1.])
    >>> parse_color("0.18, 0.18, 0.18")
    array([ 0.18,  0.18,  0.18])
    >>> parse_color("6504K", "linear-sRGB").round(3)  # D65: white
    array([ 0.999,  1.   ,  0.999])
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
        return _kelvin_color(float(s[:-1]), colorspace, config)
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
    """Whether ``text`` is written like a colour (hex, r,g,b or Kelvin), right or not.

    Parameters
    ----------
    text : str
        A command-line operand: a colour, or a file or sequence pattern.

    Returns
    -------
    bool
        True for ``#...``, ``...K`` with a number, text with a comma or six hex digits
        that is not an existing path.

    Examples
    --------
    >>> looks_like_color("#ff8800"), looks_like_color("3200K"), looks_like_color("plate.exr")
    (True, True, False)
    """
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


def _kelvin_color(kelvin: float, colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    from chroma.whitebalance import kelvin_to_balanced_rgb

    return kelvin_to_balanced_rgb(kelvin, colorspace, config)


kelvin_color = deprecated_alias(_kelvin_color, "chroma.oklab.kelvin_color", "chroma.whitebalance.kelvin_to_balanced_rgb")


# ---------------------------------------------------------------------------------- blends


class BlendOptions(TypedDict, total=False):
    """The keywords of a blend that :func:`mix_images` passes on to :func:`mix`.

    Attributes
    ----------
    hue : {"shorter", "longer", "increasing", "decreasing"}
        OKLCh hue interpolation (CSS Color 4, 12.4); default ``"shorter"``.
    colorspace : str
        Scene-linear working space (OCIO name, ``"XYZ"`` or ``"linear-sRGB"``); default
        ``"ACEScg"``.
    preserve_luminance : bool
        Blend at a common exposure and interpolate the exposure in stops; default False.
    config : str, os.PathLike or None
        OCIO config (default: ``$OCIO``, else chroma's bundled config).

    Examples
    --------
    >>> options = BlendOptions(hue="longer", colorspace="linear-sRGB")  # a dict
    >>> mix(np.zeros(3), np.ones(3), 0.5, "oklab", **options).round(4)
    array([ 0.125,  0.125,  0.125])
    """

    hue: HueMethod
    colorspace: str
    preserve_luminance: bool
    config: str | os.PathLike | None


def check_blend(space: str, hue: str) -> None:
    """Check that ``space`` is a blend space and ``hue`` a hue interpolation method.

    Parameters
    ----------
    space : str
        One of :data:`SPACES` (``"oklab"``, ``"oklch"``, ``"linear"``, ``"srgb"``).
    hue : str
        One of :data:`HUE_METHODS` (``"shorter"``, ``"longer"``, ``"increasing"``,
        ``"decreasing"``).

    Raises
    ------
    ChromaValueError
        An unknown space or hue method (with the closest names).

    Examples
    --------
    >>> check_blend("oklch", "longer")
    >>> check_blend("oklabb", "shorter")
    Traceback (most recent call last):
        ...
    chroma.errors.ChromaValueError: unknown blend space 'oklabb'; choose oklab, oklch, linear, ...
    """
    if space not in SPACES:
        hint = closest(str(space), SPACES)
        raise ChromaValueError(f"unknown blend space {space!r}; choose {', '.join(SPACES)}" + (f" ({hint})" if hint else ""))
    if hue not in HUE_METHODS:
        raise ChromaValueError(f"unknown hue interpolation {hue!r}; choose {', '.join(HUE_METHODS)}")


def as_colours(x: Any, colorspace: str, config: str | os.PathLike | None) -> np.ndarray:
    """Colours as an array, from an array or a colour string (:func:`parse_color`).

    Parameters
    ----------
    x : str or array_like
        A colour string, or (..., 3) RGB / (..., 4) RGBA linear values in ``colorspace``.
    colorspace : str
        Scene-linear working space of a colour string's result.
    config : str, os.PathLike or None
        OCIO config (None: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    numpy.ndarray
        (..., 3 or 4) float32 (float64 kept as float64).

    Raises
    ------
    ChromaValueError
        A string that is not a colour, or an array whose last axis is not 3 or 4.

    Examples
    --------
    >>> as_colours("#ffffff", "linear-sRGB", None)
    array([ 1.,  1.,  1.])
    >>> as_colours([[0, 0, 0, 1]], "ACEScg", None)
    array([[ 0.,  0.,  0.,  1.]], dtype=float32)
    """
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


def _luminance_weights(colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """Y weights of a linear space, also for OKLab's own names ``"XYZ"`` and ``"linear-sRGB"``
    (OCIO spaces: :func:`chroma.colorimetry.luminance_weights`, the one public function)."""
    kind, name = linear_space(colorspace, config)
    if kind == "xyz":
        return np.array([0.0, 1.0, 0.0])
    if kind == "srgb":
        return srgb_to_xyz_matrix()[1].copy()
    from chroma import colorimetry

    return np.asarray(colorimetry.luminance_weights(name, config), np.float64)


luminance_weights = deprecated_alias(_luminance_weights, "chroma.oklab.luminance_weights",
                                     "chroma.ocio.luminance_weights")


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

    The steps: the inputs are broadcast together (RGB beside RGBA counts as opaque),
    un-premultiplied, optionally brought to a common exposure, converted to ``space``
    (powerless hues fixed, CSS Color 4 4.4), interpolated with premultiplied alpha
    (CSS Color 4 12.3), and converted back.

    Parameters
    ----------
    a, b : str or array_like
        (..., 3) linear RGB or (..., 4) RGBA in ``colorspace`` (arrays broadcast, so a
        colour blends with an image), or colour strings (see :func:`parse_color`).
    t : float or array_like
        Blend weight, 0 gives ``a``, 1 gives ``b``: a number, or an array shaped like the
        colours without their last axis (optionally with a trailing 1), e.g. a matte.
    space : {"oklab", "oklch", "linear", "srgb"}, optional
        ``"oklab"`` (default; perceptually even, Ottosson 2020), ``"oklch"`` (polar OKLab,
        hue interpolated with ``hue``), ``"linear"`` (linear light in ``colorspace``, what
        a dissolve of light does), ``"srgb"`` (sRGB-encoded Rec.709 values, what most 2D
        software does; extended beyond [0, 1]).
    hue : {"shorter", "longer", "increasing", "decreasing"}, optional
        OKLCh hue interpolation, CSS Color 4 12.4 (default ``"shorter"``). The hue of an
        achromatic colour is powerless (CSS Color 4 4.4): the other colour's hue (degrees)
        is used, so grey to red stays on red's hue.
    colorspace : str, optional
        Scene-linear working space of ``a``, ``b`` and the result (OCIO name, ``"XYZ"`` or
        ``"linear-sRGB"``; default ``"ACEScg"``).
    premultiplied : bool, optional
        RGBA colours are premultiplied (associated alpha, the EXR convention; output
        likewise; default True). The blend follows CSS Color 4 12.3: colour coordinates
        (not hue) are weighted by alpha, interpolated, and divided by the interpolated
        alpha, so a transparent colour contributes no colour.
    preserve_luminance : bool, optional
        For scene-linear HDR values (default False): each colour is scaled to a common
        exposure (luminance 0.18) and blended in ``space``, while its exposure in stops
        (log2(Y / 0.18)) is interpolated linearly and restored, so values above 1.0 blend
        as exposures do (a 2-stop and a 6-stop light meet at 4 stops). Black (Y <= 0)
        counts as -20 stops.
    config : str, os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    numpy.ndarray
        Blended values in ``colorspace`` (..., 3 or 4), float32 (float64 if an input is
        float64). Out-of-gamut results are left as they are: see :func:`gamut_map`.

    Raises
    ------
    ChromaValueError
        An unknown space or hue method, a bad colour, a non-finite ``t``, or shapes that
        do not broadcast.

    References
    ----------
    B. Ottosson, "A perceptual color space for image processing", 2020,
    https://bottosson.github.io/posts/oklab/ ; W3C, CSS Color Module Level 4, 4.4
    (powerless hue), 12.3 (premultiplied interpolation), 12.4 (hue interpolation).

    Examples
    --------
    >>> black, white = np.zeros(3), np.ones(3)
    >>> mix(black, white, 0.5, "linear", colorspace="linear-sRGB")
    array([ 0.5,  0.5,  0.5])
    >>> mix(black, white, 0.5, "oklab", colorspace="linear-sRGB").round(4)  # L = 0.5: a darker grey
    array([ 0.125,  0.125,  0.125])
    >>> mix(np.array([1.0, 0.0, 0.0, 1.0]), np.zeros(4), 0.5, "linear")  # premultiplied RGBA
    array([ 0.5,  0. ,  0. ,  0.5])
    """
    check_blend(space, hue)
    a, b, t, dtype = _broadcast(a, b, t, colorspace, config)
    alphas = (a[..., 3:], b[..., 3:]) if a.shape[-1] == 4 else None
    ca, cb = a[..., :3], b[..., :3]
    if alphas is not None and premultiplied:
        ca, cb = _unpremultiply(ca, alphas[0]), _unpremultiply(cb, alphas[1])
    w = _luminance_weights(colorspace, config) if preserve_luminance else None
    pa = _coords_with_stops(np.asarray(ca, dtype), space, colorspace, config, w)
    pb = _coords_with_stops(np.asarray(cb, dtype), space, colorspace, config, w)
    if space == "oklch":
        _set_hues(pa, pb, hue)
    out, alpha = _interpolate(pa, pb, t, alphas, space)
    rgb = _from_coords(np.ascontiguousarray(out[..., :3]), space, colorspace, config)
    if w is not None:
        y = rgb @ w.astype(dtype)
        target = MID_GREY * np.exp2(out[..., 3])
        rgb = rgb * np.divide(target, y, out=np.zeros_like(y), where=y > 0)[..., None]
    if alpha is not None:
        if premultiplied:
            rgb = rgb * alpha
        rgb = np.concatenate([rgb, alpha], axis=-1)
    return np.asarray(rgb, dtype)


def _broadcast(a: Any, b: Any, t: Any, colorspace: str,
               config: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, type[np.floating]]:
    """``a``, ``b`` (same channels: RGB beside RGBA is opaque) and ``t`` (..., 1), broadcast
    to one shape, and the result dtype (float64 if an input is, else float32)."""
    a = as_colours(a, colorspace, config)
    b = as_colours(b, colorspace, config)
    dtype: type[np.floating] = np.float64 if np.float64 in (a.dtype, b.dtype) else np.float32
    a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
    if a.shape[-1] != b.shape[-1]:  # RGB with RGBA: RGB is opaque
        a, b = (add_opaque_alpha(a) if a.shape[-1] == 3 else a), (add_opaque_alpha(b) if b.shape[-1] == 3 else b)
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
    a, b, t = (np.broadcast_to(x, lead + (x.shape[-1],)) for x in (a, b, t))
    return a, b, t, dtype


def _coords_with_stops(c: np.ndarray, space: str, colorspace: str, config: Any, w: np.ndarray | None) -> np.ndarray:
    """Coordinates of ``c`` in ``space``; with luminance weights ``w`` (preserve_luminance),
    of ``c`` at exposure 0.18, with its exposure in stops appended as a fourth coordinate."""
    if w is None:
        return _to_coords(c, space, colorspace, config)
    cn, stops = _normalise(c, w)
    return np.concatenate([_to_coords(cn, space, colorspace, config), stops[..., None]], axis=-1)


def _set_hues(pa: np.ndarray, pb: np.ndarray, method: str) -> None:
    """OKLCh hues (in place): a powerless (achromatic) hue takes the other colour's
    (CSS Color 4 4.4), then both are fixed for the interpolation ``method`` (12.4)."""
    ach_a = pa[..., 1] <= ACHROMATIC * np.maximum(np.abs(pa[..., 0]), 1.0)
    ach_b = pb[..., 1] <= ACHROMATIC * np.maximum(np.abs(pb[..., 0]), 1.0)
    ha = np.where(ach_a, pb[..., 2], pa[..., 2])
    hb = np.where(ach_b, ha, pb[..., 2])
    pa[..., 2], pb[..., 2] = _fix_hues(ha, hb, method)


def _interpolate(pa: np.ndarray, pb: np.ndarray, t: np.ndarray,
                 alphas: tuple[np.ndarray, np.ndarray] | None, space: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(coordinates, alpha) at ``t``: with alpha, premultiplied interpolation (CSS Color 4
    12.3; an OKLCh hue is not weighted); an OKLCh hue is brought back to [0, 360)."""
    keep = [i for i in range(pa.shape[-1]) if not (space == "oklch" and i == 2)]
    alpha = None
    if alphas is not None:
        aa, ab = alphas
        pa[..., keep] *= aa
        pb[..., keep] *= ab
        alpha = aa + (ab - aa) * t
    out = pa + (pb - pa) * t
    if alpha is not None:
        inv = np.divide(1.0, alpha, out=np.zeros_like(alpha), where=alpha > 0)
        out[..., keep] *= inv
    if space == "oklch":
        out[..., 2] = np.mod(out[..., 2], 360.0)
    return out, alpha


def add_opaque_alpha(c: np.ndarray) -> np.ndarray:
    """RGB with an opaque alpha channel appended.

    Parameters
    ----------
    c : numpy.ndarray
        (..., 3) RGB values.

    Returns
    -------
    numpy.ndarray
        (..., 4) RGBA of ``c``'s dtype, alpha 1.

    Examples
    --------
    >>> add_opaque_alpha(np.array([[0.2, 0.3, 0.4]]))
    array([[ 0.2,  0.3,  0.4,  1. ]])
    """
    return np.concatenate([c, np.ones(c.shape[:-1] + (1,), c.dtype)], axis=-1)


def _unpremultiply(c: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return np.divide(c, alpha, out=np.zeros(np.broadcast_shapes(c.shape, alpha.shape), c.dtype), where=alpha > 0)


def apply_gamut(rgb: np.ndarray, gamut: str | None, colorspace: str, config: str | os.PathLike | None) -> np.ndarray:
    """Bring blended colours into a gamut with :func:`gamut_map` (CSS Color 4), never by clipping.

    Parameters
    ----------
    rgb : numpy.ndarray
        (..., 3) linear RGB or (..., 4) premultiplied RGBA in ``colorspace``.
    gamut : {"working", "srgb"} or None
        None (as is), ``"working"`` (channels >= 0 in the working space) or ``"srgb"``
        (inside the linear sRGB [0, 1] cube, expressed in the working space).
    colorspace : str
        Scene-linear working space of ``rgb``.
    config : str, os.PathLike or None
        OCIO config (None: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    numpy.ndarray
        ``rgb`` mapped (alpha kept, colour re-premultiplied), same shape.

    Raises
    ------
    ChromaValueError
        An unknown ``gamut``.

    References
    ----------
    W3C, CSS Color Module Level 4, 13.2 (gamut mapping).

    Examples
    --------
    >>> apply_gamut(np.array([-0.1, 0.5, 0.5]), None, "ACEScg", None)  # None: as is
    array([-0.1,  0.5,  0.5])
    >>> out = apply_gamut(np.array([1.2, 0.1, -0.05]), "srgb", "linear-sRGB", None)
    >>> bool(np.all((out > -1e-12) & (out < 1 + 1e-12))), round(float(out[1]), 3)  # in the cube
    (True, 0.138)
    """
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
    """``steps`` colours evenly spaced through ``colors``, blended in ``space`` with :func:`mix`.

    Parameters
    ----------
    colors : sequence
        Two or more colour stops, evenly placed (strings for :func:`parse_color`, or
        3 or 4 linear values in ``colorspace``).
    steps : int
        Colours in the gradient, at least 2 (the first and last are the end stops).
    space : {"oklab", "oklch", "linear", "srgb"}, optional
        Blend space, as :func:`mix` (default ``"oklab"``).
    hue : {"shorter", "longer", "increasing", "decreasing"}, optional
        OKLCh hue interpolation, as :func:`mix`.
    colorspace : str, optional
        Scene-linear working space of the stops and the result (default ``"ACEScg"``).
    preserve_luminance : bool, optional
        Interpolate exposure in stops, as :func:`mix` (default False).
    gamut : {"working", "srgb"} or None, optional
        None (default, exact blends), ``"working"`` (no negative channels in the working
        space) or ``"srgb"`` (inside the sRGB display gamut), mapped by reducing OKLCh
        chroma at constant lightness and hue (:func:`gamut_map`), never by clipping.
    config : str, os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    numpy.ndarray
        (steps, 3 or 4) float64 linear values in ``colorspace``.

    Raises
    ------
    ChromaValueError
        Fewer than 2 steps or 2 stops, a stop that is not a single colour, or a bad
        space, hue method or gamut.

    References
    ----------
    B. Ottosson, "A perceptual color space for image processing", 2020,
    https://bottosson.github.io/posts/oklab/ ; W3C, CSS Color Module Level 4, 12.4 and 13.2.

    Examples
    --------
    >>> g = gradient([np.zeros(3), np.ones(3)], 5, "oklab", colorspace="linear-sRGB")
    >>> g.shape, g[0], g[-1]
    ((5, 3), array([ 0.,  0.,  0.]), array([ 1.,  1.,  1.]))
    >>> to_oklab(g, "linear-sRGB")[:, 0].round(4)  # even steps of OKLab lightness
    array([ 0.  ,  0.25,  0.5 ,  0.75,  1.  ])
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ChromaValueError(f"a gradient needs at least 2 steps, got {steps!r}")
    if isinstance(colors, (str, bytes)) or len(colors) < 2:
        raise ChromaValueError("a gradient needs at least two colours")
    cols = [as_colours(c, colorspace, config) for c in colors]
    if any(c.ndim != 1 for c in cols):
        raise ChromaValueError("gradient colours must be single colours (3 or 4 numbers each)")
    if len({c.shape[-1] for c in cols}) > 1:
        cols = [add_opaque_alpha(c) if c.shape[-1] == 3 else c for c in cols]
    stops = np.stack(cols).astype(np.float64)
    n = len(stops) - 1
    u = np.linspace(0.0, 1.0, int(steps)) * n
    k = np.minimum(np.floor(u).astype(int), n - 1)
    out = mix(stops[k], stops[k + 1], u - k, space, hue=hue, colorspace=colorspace,
              preserve_luminance=preserve_luminance, config=config)
    return apply_gamut(out, gamut, colorspace, config)
