"""Exposure in stops: intensity = 2**stops, and image exposure statistics.

A stop is a doubling of light. Exposure statistics report luminance relative to 18%
mid-grey: ``log2(Y / 0.18)``, so mid-grey is 0 stops and 1.0 (diffuse white) is +2.47.
"""

from __future__ import annotations

from dataclasses import dataclass, asdict

import numpy as np

from chroma import ocio as _ocio
from chroma.image import Image

MID_GREY = 0.18


@dataclass
class ExposureStats:
    """Luminance statistics of an image in stops relative to mid-grey (0.18)."""

    min_stops: float | None
    median_stops: float | None
    max_stops: float | None
    valid_pixels: int
    nonpositive_pixels: int
    nan_values: int
    inf_values: int

    def as_dict(self) -> dict:
        return asdict(self)


def scene_linear_rgb(image: Image, config=None) -> tuple[np.ndarray, str]:
    """The image's colour as scene-linear RGB: as is when its space is scene-linear,
    else converted to the config's ``scene_linear`` role. Returns (rgb, colorspace)."""
    cs = image.colorspace
    if _ocio.is_scene_linear(cs, config):
        return image.rgb, _ocio.resolve_colorspace(cs, config)
    target = _ocio.resolve_colorspace("scene_linear", config)
    return _ocio.convert(image.rgb, cs, target, config), target


def luminance(rgb: np.ndarray, colorspace: str = "ACEScg", config=None) -> np.ndarray:
    """Relative luminance Y of scene-linear ``rgb`` with the colour space's own Y weights."""
    weights = _ocio.luminance_weights(colorspace, config).astype(np.float32)
    return np.asarray(rgb, dtype=np.float32) @ weights


def exposure_stats(image: Image, config=None) -> ExposureStats:
    """Min/median/max exposure of the image's luminance, in stops relative to 0.18.

    Pixels with non-finite or non-positive luminance have no exposure and are counted
    separately; NaN/Inf counts are over every channel.
    """
    px = image.pixels
    nan = int(np.count_nonzero(np.isnan(px)))
    inf = int(np.count_nonzero(np.isinf(px)))
    rgb, cs = scene_linear_rgb(image, config)
    y = luminance(rgb, cs, config).ravel()
    finite = np.isfinite(y)
    valid = finite & (y > 0)
    nonpositive = int(np.count_nonzero(finite & (y <= 0)))
    if not valid.any():
        return ExposureStats(None, None, None, 0, nonpositive, nan, inf)
    stops = np.log2(y[valid].astype(np.float64) / MID_GREY)
    return ExposureStats(
        float(stops.min()), float(np.median(stops)), float(stops.max()),
        int(valid.sum()), nonpositive, nan, inf,
    )
