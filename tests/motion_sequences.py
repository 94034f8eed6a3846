"""Real photographs moved by a known camera: frames with an exact ground truth at any time.

Frame ``k`` (any real ``k``) of a sequence is a photograph from ``skimage.data`` scaled by
``ZOOM ** k`` about its centre and moved by ``k * PAN`` pixels (``cv2.warpAffine``,
bicubic), cropped to ``size`` about the centre. Time ``k + 0.5`` is the exact picture
halfway between frames ``k`` and ``k + 1``, so a held-back frame is the truth for an
in-between. :func:`exact_flow` is the analytic flow between two times.
"""

from __future__ import annotations

import numpy as np

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
PAN = (3.0, -2.0)   #: pixels per frame (x right, y down)
ZOOM = 1.01         #: scale per frame (1% zoom in)


def photo(name: str) -> np.ndarray:
    """A ``skimage.data`` photograph as float32 RGB in [0, 1] (display-referred sRGB)."""
    from skimage import data

    return np.asarray(getattr(data, name)(), dtype=np.float32) / 255.0


def _affine(k: float, src_hw: tuple[int, int], size: tuple[int, int]) -> tuple[float, np.ndarray]:
    h_src, w_src = src_hw
    w, h = size
    s = ZOOM**k
    return s, np.array([w / 2 - s * w_src / 2 + PAN[0] * k, h / 2 - s * h_src / 2 + PAN[1] * k])


def frames(name: str, times: list[float], size: tuple[int, int] = (320, 224)) -> list[np.ndarray]:
    """The photograph ``name`` at ``times`` (frame numbers, any real), ``(H, W, 3)`` float32 in [0, 1]."""
    import cv2

    src = photo(name)
    out = []
    for k in times:
        s, c = _affine(k, src.shape[:2], size)
        m = np.array([[s, 0.0, c[0]], [0.0, s, c[1]]])
        out.append(np.clip(cv2.warpAffine(src, m, size, flags=cv2.INTER_CUBIC), 0.0, 1.0).astype(np.float32))
    return out


def exact_flow(name: str, k_from: float, k_to: float, size: tuple[int, int] = (320, 224)) -> np.ndarray:
    """The exact flow from the frame at ``k_from`` to the frame at ``k_to`` (render.flow conventions)."""
    src_hw = photo(name).shape[:2]
    sa, ca = _affine(k_from, src_hw, size)
    sb, cb = _affine(k_to, src_hw, size)
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    u = np.stack([x, y], axis=2)
    return ((sb / sa) * (u - ca) + cb - u).astype(np.float32)


def psnr(x: np.ndarray, truth: np.ndarray, peak: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB over every pixel and channel."""
    mse = float(np.mean((np.asarray(x, np.float64) - np.asarray(truth, np.float64)) ** 2))
    return 10.0 * np.log10(peak**2 / mse)
