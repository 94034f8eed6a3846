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
