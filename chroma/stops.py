"""Exposure in stops: intensity = 2**stops, exposure matching, and image exposure statistics.

A stop is a doubling of light. Exposure statistics report luminance relative to 18%
mid-grey: ``log2(Y / 0.18)``, so mid-grey is 0 stops and 1.0 (diffuse white) is +2.47.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from chroma import colorimetry as _colorimetry
from chroma import ocio as _ocio
from chroma.deprecation import deprecated_alias
from chroma.errors import ChromaValueError
from chroma.image import Image

MID_GREY = 0.18


@dataclass
class ExposureStats:
    """Luminance statistics of an image, in stops relative to mid-grey (0.18).

    Attributes
    ----------
    min_stops : float or None
        Darkest valid pixel, ``log2(Y / 0.18)`` in stops; None without valid pixels.
    median_stops : float or None
        Median over the valid pixels, in stops.
    max_stops : float or None
        Brightest valid pixel, in stops.
    valid_pixels : int
        Pixels with finite, positive luminance.
    nonpositive_pixels : int
        Pixels with finite luminance <= 0 (no exposure).
    nan_values : int
        NaN values over every channel.
    inf_values : int
        +/-Inf values over every channel.

    Examples
    --------
    >>> stats = exposure_stats(Image(np.full((2, 2, 3), 0.18, np.float32), colorspace="ACEScg"))
    >>> round(stats.median_stops, 4), stats.valid_pixels  # mid-grey is 0 stops
    (0.0, 4)
    """

    min_stops: float | None
    median_stops: float | None
    max_stops: float | None
    valid_pixels: int
    nonpositive_pixels: int
    nan_values: int
    inf_values: int

    def to_dict(self) -> dict[str, object]:
        """The fields as a JSON-ready dict.

        Returns
        -------
        dict
            Field name -> value.
        """
        return asdict(self)

    as_dict = deprecated_alias(to_dict, "ExposureStats.as_dict", "ExposureStats.to_dict")


def scene_linear_rgb(image: Image, config: str | os.PathLike | None = None) -> tuple[np.ndarray, str]:
    """The image's colour as scene-linear RGB.

    As is when its colour space is scene-linear, else converted to the config's
    ``scene_linear`` role (ACEScg in chroma's bundled config).

    Parameters
    ----------
    image : chroma.Image
        The image.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    rgb : numpy.ndarray
        Scene-linear pixels (..., 3).
    colorspace : str
        Canonical name of their colour space.

    Examples
    --------
    >>> srgb = Image(np.full((1, 1, 3), 0.5, np.float32), colorspace="sRGB Encoded Rec.709 (sRGB)")
    >>> rgb, colorspace = scene_linear_rgb(srgb)
    >>> colorspace, rgb.round(4)
    ('ACEScg', array([[[ 0.214,  0.214,  0.214]]], dtype=float32))
    """
    cs = image.colorspace
    if _ocio.is_scene_linear(cs, config):
        return image.rgb, _ocio.resolve_colorspace(cs, config)
    target = _ocio.resolve_colorspace("scene_linear", config)
    return _ocio.convert(image.rgb, cs, target, config), target


def luminance(rgb: np.ndarray, colorspace: str = "ACEScg", config: str | os.PathLike | None = None) -> np.ndarray:
    """Relative luminance Y of scene-linear RGB, with the colour space's own Y weights.

    Parameters
    ----------
    rgb : numpy.ndarray
        Scene-linear pixels (..., 3) in ``colorspace``.
    colorspace : str, optional
        Their colour space; default ``"ACEScg"``.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    numpy.ndarray
        Y (...), float32, relative (1.0 = the space's white at unit level).

    Raises
    ------
    chroma.errors.ChromaValueError
        ``rgb`` without 3 values in its last axis.

    References
    ----------
    SMPTE RP 177-1993: the Y row of the normalised primary matrix.

    Examples
    --------
    >>> round(float(luminance(np.array([1.0, 1.0, 1.0]))), 6)  # white: Y = 1
    1.0
    >>> luminance(np.array([[0.0, 1.0, 0.0], [0.18, 0.18, 0.18]])).round(4)
    array([ 0.6741,  0.18  ], dtype=float32)
    """
    arr = np.asarray(rgb, dtype=np.float32)
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ChromaValueError(f"luminance needs RGB: 3 values in the last axis, got shape {arr.shape}")
    weights = _colorimetry.luminance_weights(colorspace, config).astype(np.float32)
    return arr @ weights


def exposure_stats(image: Image, config: str | os.PathLike | None = None) -> ExposureStats:
    """Min, median and max exposure of an image's luminance, in stops relative to 0.18.

    Pixels with non-finite or non-positive luminance have no exposure and are counted
    separately; NaN/Inf counts are over every channel. Non-scene-linear images are converted
    to the ``scene_linear`` role first.

    Parameters
    ----------
    image : chroma.Image
        The image.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    ExposureStats
        The statistics, in stops (``log2(Y / 0.18)``).

    Examples
    --------
    >>> pixels = np.array([[[0.18] * 3, [0.72] * 3], [[0.0] * 3, [np.nan] * 3]], np.float32)
    >>> stats = exposure_stats(Image(pixels, colorspace="ACEScg"))
    >>> round(stats.min_stops, 4), round(stats.max_stops, 4), stats.nonpositive_pixels, stats.nan_values
    (0.0, 2.0, 1, 3)
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


# ------------------------------------------------------------------- stops <-> intensity

#: Floor a negative intensity (scalar or array, any dtype) is clamped to before ``log2``:
#: 1e-323 is the float64 subnormal 2**-1073, so ``log2`` stays finite: -1073 stops.
SCALAR_FLOOR = 1e-323

_Number = float | int | np.floating | np.integer


def exposure_to_intensity(stops: "_Number | ArrayLike") -> "float | np.ndarray":
    """Linear intensity multiplier of an exposure change in stops: ``2 ** stops``.

    A stop is a doubling of light (ISO 2720 / APEX exposure values): +1 stop -> x2,
    +2 -> x4, 0 -> x1, -1 -> x0.5. NaN stays NaN; an overflowing scalar gives ``inf``.

    Parameters
    ----------
    stops : float or array_like
        Exposure change in stops.

    Returns
    -------
    float or numpy.ndarray
        The multiplier: a Python float for a scalar; for an array, an array of the input's
        float dtype (float64 for integer input).

    References
    ----------
    ISO 2720:1974, APEX exposure values.

    Examples
    --------
    >>> exposure_to_intensity(2)
    4.0
    >>> exposure_to_intensity(np.array([-1.0, 0.0, 1.0]))
    array([ 0.5,  1. ,  2. ])
    """
    if np.ndim(stops) == 0 and not isinstance(stops, np.ndarray):
        value = float(np.asarray(stops).item())
        try:
            return float(2.0 ** value)
        except OverflowError:
            return math.inf
    arr = np.asarray(stops)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    with np.errstate(over="ignore"):
        return np.exp2(arr)


def intensity_to_exposure(
    intensity: "_Number | ArrayLike", *, zero: Literal["inf", "raise"] = "inf"
) -> "float | np.ndarray":
    """Exposure in stops of a linear intensity multiplier: ``log2(intensity)``.

    Computed in float64 for every container (a Python or NumPy scalar gives a float, an array
    of any float or int dtype a float64 array), so one intensity has one answer.

    Guardrails (an intensity of 0 has no exposure; a negative one is not light):

    * a scalar 0 raises :class:`~chroma.errors.ChromaValueError`;
    * an array with zeros returns ``-inf`` there (``zero="inf"``, default) or raises
      (``zero="raise"``);
    * negative intensities are clamped to :data:`SCALAR_FLOOR` (1e-323, the float64
      guardrail) with a :class:`~chroma.io.ChromaWarning` (never silently): ``log2(1e-323)``
      = -1073 stops, whatever the container;
    * NaN and +/-Inf pass through (NaN -> NaN, +Inf -> +Inf, -Inf is negative: clamped) with
      a ``ChromaWarning`` naming how many.

    Parameters
    ----------
    intensity : float or array_like
        Linear intensity multiplier (1.0 = no change).
    zero : {"inf", "raise"}, optional
        What zeros in an array give: ``-inf`` (default) or an error.

    Returns
    -------
    float or numpy.ndarray
        Exposure in stops; float64.

    Raises
    ------
    chroma.errors.ChromaValueError
        For a scalar 0, zeros with ``zero="raise"``, or an unknown ``zero``.

    Examples
    --------
    >>> round(intensity_to_exposure(0.1), 6)
    -3.321928
    """
    if zero not in ("inf", "raise"):
        raise ChromaValueError(f"zero must be 'inf' or 'raise', not {zero!r}")
    if np.ndim(intensity) == 0 and not isinstance(intensity, np.ndarray):
        value = float(np.asarray(intensity).item())
        if value == 0.0:
            raise ChromaValueError(
                "an intensity of 0 has no exposure (log2(0) is -infinity); "
                "give a positive intensity"
            )
        if not math.isfinite(value):
            _warn(f"non-finite intensity {value!r}: its exposure is not a number of stops")
        if value < 0.0:
            _warn(f"negative intensity {value:g} clamped to {SCALAR_FLOOR!r} before log2")
            value = SCALAR_FLOOR
        return math.log2(value) if math.isfinite(value) else (math.nan if math.isnan(value) else math.inf)
    arr = np.asarray(intensity, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        _warn(f"{int(bad.sum())} non-finite intensities (NaN or Inf): their exposure is not a number of stops")
    zeros = arr == 0
    if zero == "raise" and zeros.any():
        raise ChromaValueError(
            f"{int(zeros.sum())} intensities are 0 and have no exposure; "
            "pass zero='inf' to get -inf there, or mask them out"
        )
    negative = arr < 0
    if negative.any():
        _warn(f"{int(negative.sum())} negative intensities clamped to {SCALAR_FLOOR!r} before log2")
        arr = np.where(negative, SCALAR_FLOOR, arr)
    with np.errstate(divide="ignore"):
        return np.log2(arr)


def _warn(message: str) -> None:
    from chroma.io import ChromaWarning

    warnings.warn(message, ChromaWarning, stacklevel=3)


# --------------------------------------------------------------------- exposure matching


def log_luminance(image: Image, config: str | os.PathLike | None = None) -> np.ndarray:
    """The log2 relative luminance of an image's valid pixels (finite, Y > 0).

    Luminance uses the working space's own Y weights (its normalised primary matrix,
    SMPTE RP 177); non-scene-linear images are converted to the config's scene_linear
    role first.

    Parameters
    ----------
    image : chroma.Image
        The image.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    numpy.ndarray
        ``log2(Y)`` of the valid pixels, float64, flat (one value per pixel).

    Examples
    --------
    >>> log_luminance(Image(np.array([[[0.5] * 3, [2.0] * 3, [0.0] * 3]], np.float32), colorspace="ACEScg"))
    array([-1.,  1.])
    """
    rgb, cs = scene_linear_rgb(image, config)
    y = luminance(rgb, cs, config).ravel()
    valid = np.isfinite(y) & (y > np.finfo(np.float32).tiny)
    return np.log2(y[valid].astype(np.float64))


def match_exposure(image: Image, reference: Image, config: str | os.PathLike | None = None) -> float:
    """Stops to add to ``image`` so its exposure matches ``reference``'s.

    The exposure of each image is the median of log2 luminance over its valid pixels
    (finite, luminance > 0): black pixels, NaN/Inf and negative values are left out, and
    the median ignores the highlights (speculars, clipped sky) and the deep shadows that
    skew a mean. The result ``s`` satisfies ``median(log2 Y(image * 2**s)) ==
    median(log2 Y(reference))``.

    Parameters
    ----------
    image : chroma.Image
        The image to adjust.
    reference : chroma.Image
        The image whose exposure to match.
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    float
        The exposure change, in stops.

    Raises
    ------
    chroma.errors.ChromaValueError
        When either image has no pixel with positive, finite luminance.

    Examples
    --------
    >>> plate = Image(np.full((2, 2, 3), 0.18, np.float32), colorspace="ACEScg")
    >>> render = Image(np.full((2, 2, 3), 0.045, np.float32), colorspace="ACEScg")
    >>> round(match_exposure(render, plate), 6)  # two stops under
    2.0
    """
    a = log_luminance(image, config)
    b = log_luminance(reference, config)
    for name, v in (("image", a), ("reference", b)):
        if v.size == 0:
            raise ChromaValueError(
                f"the {name} has no pixel with positive, finite luminance; its exposure is undefined"
            )
    return float(np.median(b) - np.median(a))
