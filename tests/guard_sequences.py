"""Synthetic display-referred sequences for the collapse guard and coherence tests.

Frames are H x W x 3 display code values in [0, 1]: smooth coloured noise at several
scales (a stand-in for painted frames), faded, zoomed, darkened or replaced.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def texture(seed: int, size: int = 48, scales=(2, 5, 12), palette=None, amplitude: float = 0.18) -> np.ndarray:
    """Coloured multi-scale noise around ``palette`` (random per seed), wrapped at the edges."""
    rng = np.random.default_rng(seed)
    out = np.zeros((size, size, 3))
    for s in scales:
        out += ndimage.gaussian_filter(rng.standard_normal((size, size, 3)), (s, s, 0), mode="wrap") * s
    out = (out - out.mean((0, 1))) / out.std()
    pal = np.asarray(palette) if palette is not None else rng.uniform(0.3, 0.7, 3)
    return np.clip(pal + amplitude * out, 0, 1).astype(np.float32)


def fade(n: int = 40, start: int = 12, end: int = 30, colour=(0.85, 0.45, 0.15), size: int = 48) -> list:
    """A drifting texture that fades linearly to one flat ``colour`` from ``start``; solid from ``end``."""
    tex = texture(1, size)
    out = []
    for i in range(n):
        t = float(np.clip((i - start) / (end - start), 0, 1))
        out.append(((1 - t) * np.roll(tex, i, axis=1) + t * np.asarray(colour)).astype(np.float32))
    return out


def varied(n: int = 40, size: int = 48, gain: float = 1.0) -> list:
    """A new texture and palette every frame (times ``gain``: < 1 is a dark sequence)."""
    return [(texture(100 + i, size) * gain).astype(np.float32) for i in range(n)]


def zoom(n: int = 60, size: int = 48, rate: float = 1.02) -> list:
    """A camera zooming into a large texture by ``rate`` per frame (3.3x over 60 frames)."""
    big = texture(7, 480, scales=(3, 10, 30, 80))
    out = []
    for i in range(n):
        crop = 480 / rate ** i
        coords = (480 - crop) / 2 + (np.arange(size) + 0.5) * crop / size - 0.5
        yy, xx = np.meshgrid(coords, coords, indexing="ij")
        out.append(np.stack([ndimage.map_coordinates(big[..., k], [yy, xx], order=1, mode="wrap")
                             for k in range(3)], -1).astype(np.float32))
    return out


def darken(n: int = 40, size: int = 48, to: float = 0.2) -> list:
    """A detailed frame whose code values go down to ``to`` times (about 5 stops darker)."""
    tex = texture(3, size)
    return [(tex * (1 - (1 - to) * i / (n - 1))).astype(np.float32) for i in range(n)]


def shading(kind: str, size: int = 48) -> np.ndarray:
    """A smooth lightness field in linear light, H x W in (0, 1]: ``"ramp"`` or ``"vignette"``.

    ``ramp`` goes linearly from 0.1 at the left edge to 1 at the right (about 3.3 stops);
    ``vignette`` is ``1 - 1.8 r**2`` with r the distance from the centre in frame widths
    (0.1 in the corners).
    """
    x = (np.arange(size) + 0.5) / size
    if kind == "ramp":
        return np.broadcast_to(0.1 + 0.9 * x, (size, size)).copy()
    yy, xx = np.meshgrid(x - 0.5, x - 0.5, indexing="ij")
    return 1.0 - 1.8 * (xx ** 2 + yy ** 2)


def shaded_fade(kind: str, n: int = 40, start: int = 12, end: int = 30, colour=(0.85, 0.45, 0.15),
                size: int = 48) -> list:
    """Like :func:`fade`, but to one hue lit by :func:`shading` (a gradient or a vignette).

    The end frame is ``colour`` (display code values) decoded to linear light, multiplied
    per pixel by the shading and encoded again (sRGB, IEC 61966-2-1, by colour-science):
    one chromaticity everywhere, the lightness spread of the shading.
    """
    import colour as cs

    lit = cs.cctf_decoding(np.asarray(colour, np.float64), "sRGB") * shading(kind, size)[..., None]
    target = np.clip(cs.cctf_encoding(lit, "sRGB"), 0, 1)
    tex = texture(1, size)
    out = []
    for i in range(n):
        t = float(np.clip((i - start) / (end - start), 0, 1))
        out.append(((1 - t) * np.roll(tex, i, axis=1) + t * target).astype(np.float32))
    return out
