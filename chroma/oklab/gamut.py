"""CSS Color 4 gamut mapping in OKLCh, and display encoding of linear colours.

Gamut mapping reduces OKLCh chroma at constant lightness and hue, never clipping channels
beyond the JND.

Reference: W3C, CSS Color Module Level 4, 13.2, https://www.w3.org/TR/css-color-4/
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from chroma.oklab.convert import (
    GAMUT_EPSILON,
    JND,
    LINEAR_SRGB,
    _array,
    delta_e_ok,
    from_oklab,
    oklab_to_oklch,
    rgb_to_rgb,
    srgb_encode,
    to_oklab,
)


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
    restore_hue: bool = False,
) -> np.ndarray:
    """Bring linear colours into a gamut by reducing OKLCh chroma at constant lightness and hue.

    CSS Color 4, 13.2.2 "binary search gamut mapping with local MINDE", vectorised over
    pixels, in its steps: colours already in gamut are returned unchanged; L >= 1 is
    white and L <= 0 black; a colour whose clip lies within the deltaEOK ``jnd`` is that
    clip; the others are searched by bisection on chroma until clipping the
    reduced colour changes it by less than ``jnd``, and the result is that clipped colour,
    so every channel is in range and it lies within the JND of the reduced colour. This is
    the CSS algorithm step for step (tested against an independent implementation written
    from the spec).

    Parameters
    ----------
    rgb : array_like
        (..., 3) linear colours in ``colorspace``.
    colorspace : str, optional
        Linear space whose gamut is meant (OCIO name, ``"XYZ"`` or ``"linear-sRGB"``, the
        default).
    upper : float or None, optional
        The gamut is every channel in [0, ``upper``] (default 1.0: a display-referred gamut
        such as linear sRGB for an sRGB PNG) or, with None, every channel >= 0 (a
        scene-linear working space: values above 1.0 are light, not out of gamut, and the
        L >= 1 -> white rule does not apply).
    config : str, os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).
    jnd : float, optional
        The deltaEOK just-noticeable difference, CSS's 0.02.
    epsilon : float, optional
        Binary search tolerance on OKLCh chroma, CSS's 0.0001.
    restore_hue : bool, optional
        Off by default; not CSS. The final clip can turn hue by up to atan(JND / C), tens of
        degrees for weak colours; this step keeps the clipped colour's lightness and chroma,
        puts back the original hue (degrees) and reduces chroma to the gamut boundary there.
        Its result can differ from the CSS one by more than the JND (up to ~0.1 deltaEOK
        measured), in exchange for the hue.

    Returns
    -------
    numpy.ndarray
        The mapped colours, of the input's shape and dtype (float32 or float64).

    Raises
    ------
    ChromaValueError
        ``rgb`` without 3 components in its last axis.
    ColorSpaceError
        ``colorspace`` unknown to the OCIO config, or not scene-linear.

    References
    ----------
    W3C, CSS Color Module Level 4, 13.2.2 "Binary Search Gamut Mapping with Local MINDE"
    and 13.3 deltaEOK, https://www.w3.org/TR/css-color-4/ ; B. Ottosson, "A perceptual
    color space for image processing", 2020, https://bottosson.github.io/posts/oklab/

    Examples
    --------
    >>> gamut_map(np.array([0.5, 0.2, 0.1])).round(4)  # in gamut: unchanged
    array([ 0.5,  0.2,  0.1])
    >>> out = gamut_map(np.array([1.2, 0.1, -0.05]))  # out of sRGB: chroma reduced
    >>> bool(np.all((out >= 0) & (out <= 1))), out.round(3)
    (True, array([ 1.   ,  0.138,  0.   ]))
    """
    arr = _array(rgb)
    flat = arr.reshape(-1, 3)
    out = flat.copy()
    bad = _outside(flat, upper)
    if not bad.any():
        return out.reshape(arr.shape)
    sub = flat[bad].astype(np.float64)
    lab = to_oklab(sub, colorspace, config)
    res, todo, ends = _ends_and_near(sub, lab, upper, jnd, colorspace, config)
    idx = np.nonzero(todo)[0]
    if idx.size:
        search = _ChromaSearch(lab[idx], _clip(sub[idx], upper), upper, jnd, epsilon, colorspace, config)
        res[idx] = search.run()
    if restore_hue:
        res = _restore_hue(res, lab, ends, colorspace, upper, config)
    out[bad] = res.astype(out.dtype)
    return out.reshape(arr.shape)


def _ends_and_near(sub: np.ndarray, lab: np.ndarray, upper: float | None, jnd: float, colorspace: str,
                   config: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cases CSS settles before the search: L >= 1 is white (``upper`` only), L <= 0
    black, and a colour whose clip is within the JND is that clip. Returns (results so far,
    colours left to search, the white/black ones)."""
    L = lab[:, 0]
    res = np.zeros_like(sub)
    ends = L <= 0.0
    if upper is not None:
        white = L >= 1.0
        res[white] = upper
        ends |= white
    todo = ~ends
    clipped = _clip(sub, upper)
    near = todo & (delta_e_ok(to_oklab(clipped, colorspace, config), lab) < jnd)
    res[near] = clipped[near]
    return res, todo & ~near, ends


class _ChromaSearch:
    """CSS Color 4 13.2.2: binary search on OKLCh chroma at constant L and h, with local
    MINDE (stop where the clipped colour is within the JND), for many colours at once."""

    def __init__(self, lab: np.ndarray, clipped: np.ndarray, upper: float | None, jnd: float, epsilon: float,
                 colorspace: str, config: Any) -> None:
        self.L = lab[:, 0]
        h = np.arctan2(lab[:, 2], lab[:, 1])
        self.cos_h, self.sin_h = np.cos(h), np.sin(h)
        n = len(lab)
        self.lo, self.hi = np.zeros(n), np.hypot(lab[:, 1], lab[:, 2])
        self.lo_in = np.ones(n, bool)
        self.done = np.zeros(n, bool)
        self.final = np.zeros((n, 3))
        self.last_clip = clipped.copy()  # CSS: the last clipped colour computed is the answer
        self.upper, self.jnd, self.epsilon = upper, jnd, epsilon
        self.colorspace, self.config = colorspace, config

    def run(self, max_steps: int = 64) -> np.ndarray:
        """Search until every colour is settled (or ``max_steps``); the mapped colours (n, 3)."""
        for _ in range(max_steps):
            act = np.nonzero(~self.done & (self.hi - self.lo > self.epsilon))[0]
            if act.size == 0:
                break
            self._step(act)
        # Not finished inside the loop: CSS returns the last clipped colour it computed
        rest = np.nonzero(~self.done)[0]
        self.final[rest] = self.last_clip[rest]
        return self.final

    def _step(self, act: np.ndarray) -> None:
        """One bisection of the chroma interval of the colours ``act``."""
        ch = 0.5 * (self.lo[act] + self.hi[act])
        cur_lab = np.stack([self.L[act], ch * self.cos_h[act], ch * self.sin_h[act]], axis=-1)
        cur = from_oklab(cur_lab, self.colorspace, self.config)
        inside = self.lo_in[act] & ~_outside(cur, self.upper)
        self.lo[act[inside]] = ch[inside]
        rest = ~inside
        r_idx, r_ch = act[rest], ch[rest]
        clipped = _clip(cur[rest], self.upper)
        self.last_clip[r_idx] = clipped
        e = delta_e_ok(to_oklab(clipped, self.colorspace, self.config), cur_lab[rest])
        close = e < self.jnd
        fin = close & (self.jnd - e < self.epsilon)
        self.final[r_idx[fin]] = clipped[fin]
        self.done[r_idx[fin]] = True
        mid = close & ~fin
        self.lo_in[r_idx[mid]] = False
        self.lo[r_idx[mid]] = r_ch[mid]
        self.hi[r_idx[~close]] = r_ch[~close]


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
    """Display values (sRGB-encoded, in [0, 1]) of linear colours; diffuse white 1.0 -> 1.0.

    Converted to linear sRGB, gamut mapped as CSS Color 4 does (:func:`gamut_map`), then
    encoded with the sRGB transfer function (IEC 61966-2-1). No tone mapping: this shows
    colours as they are (swatches, gradients, blend figures); for scene-referred images
    use an OCIO display view (``chroma.io.write_display``).

    Parameters
    ----------
    rgb : array_like
        (..., 3) linear colours in ``colorspace``.
    colorspace : str, optional
        Their linear space (OCIO name, ``"XYZ"`` or ``"linear-sRGB"``; default ``"ACEScg"``).
    config : str, os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    numpy.ndarray
        (..., 3) sRGB-encoded display values in [0, 1].

    References
    ----------
    IEC 61966-2-1:1999 (sRGB); W3C, CSS Color Module Level 4, 13.2.

    Examples
    --------
    >>> to_display(np.array([0.18, 0.18, 0.18]), "linear-sRGB").round(4)
    array([ 0.4614,  0.4614,  0.4614])
    >>> to_display(np.array([[1.0, 1.0, 1.0], [2.0, 0.0, 0.0]]), "ACEScg").round(3)
    array([[ 1.   ,  1.   ,  1.   ],
           [ 1.   ,  0.744,  0.717]])
    """
    lin = rgb_to_rgb(rgb, colorspace, LINEAR_SRGB, config)
    return np.clip(srgb_encode(gamut_map(lin, LINEAR_SRGB, upper=1.0)), 0.0, 1.0)
