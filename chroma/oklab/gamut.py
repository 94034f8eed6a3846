"""CSS Color 4 gamut mapping in OKLCh (reduce chroma at constant lightness and hue) and
display encoding of linear colours.

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
    """Bring linear colours into the gamut of ``colorspace`` by reducing OKLCh chroma at
    constant lightness and hue: CSS Color 4, 13.2 "binary search gamut mapping with local
    MINDE" [2], vectorised over pixels.

    The gamut is every channel in [0, ``upper``] (``upper=1.0``: a display-referred
    gamut such as linear sRGB for an sRGB PNG) or, with ``upper=None``, every channel
    >= 0 (a scene-linear working space: values above 1.0 are light, not out of gamut, and
    the L >= 1 -> white rule does not apply). Colours already in gamut are returned
    unchanged. The search stops where clipping the reduced colour changes it by less than
    the deltaEOK ``jnd`` (0.02); the result is that clipped colour, so every channel is in
    range and it lies within the JND of the reduced colour. Channels are never clipped
    outside that JND. This is the CSS algorithm step for step, so results match a CSS
    implementation (tested against one written from the spec).

    ``restore_hue=True`` (off by default; not CSS) adds one step: the final clip can turn
    hue by up to atan(JND / C), tens of degrees for weak colours; the option keeps the
    clipped colour's lightness and chroma, puts back the original hue and reduces chroma
    to the gamut boundary there. Its result can differ from the CSS one by more than the
    JND (up to ~0.1 deltaEOK measured), in exchange for the hue.

    Returns an array of the input's shape and dtype (float32 or float64).

    References: [2] W3C, CSS Color Module Level 4, 13.2.2 "Binary Search Gamut Mapping
    with Local MINDE".
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
        last_clip = clipped0[idx].copy()  # CSS: the last clipped colour computed is the answer

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
            last_clip[r_idx] = clipped
            e = delta_e_ok(to_oklab(clipped, colorspace, config), cur_lab[rest])
            close = e < jnd
            fin = close & (jnd - e < epsilon)
            final[r_idx[fin]] = clipped[fin]
            done[r_idx[fin]] = True
            mid = close & ~fin
            lo_in[r_idx[mid]] = False
            lo[r_idx[mid]] = r_ch[mid]
            hi[r_idx[~close]] = r_ch[~close]
        # Not finished inside the loop: CSS returns the last clipped colour it computed
        rest = np.nonzero(~done)[0]
        final[rest] = last_clip[rest]
        res[idx] = final
    if restore_hue:
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
