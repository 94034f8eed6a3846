"""Matching a plate's ambient light to an HDRI's: white balance and exposure as a Grade."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from chroma.ambient.sh import SH
from chroma.deprecation import deprecated_alias
from chroma.errors import ChromaValueError
from chroma.image import Image

if TYPE_CHECKING:
    from chroma.grade import Grade

# ------------------------------------------------------------------------------ matching


@dataclass(frozen=True)
class AmbientMatch:
    """
    What :func:`measure_ambient` found, and :func:`match_ambient` turns into a Grade.

    Attributes
    ----------
    from_kelvin, from_tint : float
        The image's ambient white: Kelvin and tint (Duv) on chroma's ``auto`` locus, as
        ``grade.WhiteBalance`` reads them.
    to_kelvin, to_tint : float
        The HDRI's ambient white, the same way.
    stops : float
        Exposure applied after the white balance, stops.
    colorspace : str
        The scene-linear working space the white balance acts in (ACEScg by default).
    """

    from_kelvin: float
    from_tint: float
    to_kelvin: float
    to_tint: float
    stops: float
    colorspace: str = "ACEScg"

    def to_dict(self) -> dict[str, Any]:
        """
        Return the fields as a JSON-ready dict.

        Returns
        -------
        dict
            Field name to value.
        """
        return dict(self.__dict__)

    as_dict = deprecated_alias(to_dict, "AmbientMatch.as_dict", "AmbientMatch.to_dict")


def measure_ambient(image: Image, sh: SH, albedo: float = 0.18, method: str = "CAT16",
                    config: str | os.PathLike[str] | None = None) -> AmbientMatch:
    """
    Return the white balance and exposure that bring an image's ambient to the HDRI's.

    White: the image's grey-world white (``whitebalance.estimate_white``) is balanced to
    the SH's ambient white (the chromaticity of its mean radiance). Exposure: after that
    white balance, the image's grey-world mean luminance is matched to
    ``albedo * Y(mean radiance)``: a Lambertian surface of albedo rho, averaged over all
    orientations, reflects rho * L_mean (its irradiance averages pi L_mean), so an 18 %
    grey world lit by the HDRI averages 0.18 L_mean.

    Parameters
    ----------
    image : chroma.Image
        The plate, any colour space (converted to scene-linear).
    sh : SH
        The HDRI's ambient light (:func:`chroma.ambient.project`).
    albedo : float, default 0.18
        Mean reflectance assumed of the plate's scene, (0, 1].
    method : str, default "CAT16"
        Chromatic adaptation transform of the white balance.
    config : str or os.PathLike, optional
        OCIO config; default ``$OCIO``, else chroma's bundled config.

    Returns
    -------
    AmbientMatch
        Kelvin and tint of both whites and the exposure in stops.

    Raises
    ------
    chroma.errors.ChromaValueError
        For arguments of the wrong type, an albedo outside (0, 1], or an image or HDRI
        without positive light.
    chroma.errors.ColorSpaceError
        For an unknown colour space.

    References
    ----------
    .. [1] Buchsbaum, G. (1980). "A spatial processor model for object colour
       perception". Journal of the Franklin Institute, 310(1), 1-26.
    """
    from chroma import colorimetry, ocio, stops, whitebalance

    if not isinstance(image, Image):
        raise ChromaValueError("match_ambient needs a chroma.Image (read it with chroma.read)")
    if not isinstance(sh, SH):
        raise ChromaValueError("match_ambient needs the HDRI's SH (chroma.ambient.project(hdri))")
    if not (0 < albedo <= 1):
        raise ChromaValueError(f"albedo must be in (0, 1] (got {albedo})")
    rgb, cs = stops.scene_linear_rgb(image, config)
    flat = rgb.reshape(-1, 3)
    valid = np.all(np.isfinite(flat), axis=1) & np.all(flat > 0, axis=1)
    if not valid.any():
        raise ChromaValueError("the image has no pixel with positive, finite R, G and B; cannot measure its ambient")
    src_k, src_t = whitebalance.estimate_white(image, "grey_world", locus="auto", config=config)
    target = sh if ocio.resolve_colorspace(sh.colorspace, config) == cs else sh.to_colorspace(cs, config)
    dst_k, dst_t = target.ambient_white("auto", config)
    wb = whitebalance.white_balance_matrix(src_k, dst_k, src_t, dst_t, cs, method, config=config)
    y = stops.luminance(flat[valid] @ wb.T.astype(np.float32), cs, config).astype(np.float64)
    y = y[y <= np.quantile(y, 0.995)] if y.size > 1 else y  # as estimate_white: no speculars
    w = np.asarray(colorimetry.luminance_weights(cs, config), np.float64)
    y_ref = albedo * float(w @ target.mean_radiance)
    y_img = float(y.mean())
    if y_img <= 0 or y_ref <= 0:
        raise ChromaValueError("the image or the HDRI has no positive mean luminance; cannot match exposure")
    return AmbientMatch(src_k, src_t, dst_k, dst_t, math.log2(y_ref / y_img), cs)


def match_ambient(image: Image, sh: SH, albedo: float = 0.18, method: str = "CAT16",
                  config: str | os.PathLike[str] | None = None) -> Grade:
    """
    Return the Grade that brings an image's ambient light to the HDRI's.

    A ``WhiteBalance`` (the image's grey-world white to the HDRI's ambient white) then an
    ``Exposure`` in stops, the numbers of :func:`measure_ambient`. Save it (``to_toml``),
    export it to Nuke, or apply it to a sequence (``chroma grade``).

    Parameters
    ----------
    image : chroma.Image
        The plate, any colour space (converted to scene-linear).
    sh : SH
        The HDRI's ambient light (:func:`chroma.ambient.project`).
    albedo : float, default 0.18
        Mean reflectance assumed of the plate's scene, (0, 1].
    method : str, default "CAT16"
        Chromatic adaptation transform of the white balance.
    config : str or os.PathLike, optional
        OCIO config; default ``$OCIO``, else chroma's bundled config.

    Returns
    -------
    chroma.Grade
        The two operations, in the image's scene-linear working space.

    Raises
    ------
    chroma.errors.ChromaValueError
        As :func:`measure_ambient`.
    """
    from chroma import grade as _grade

    m = measure_ambient(image, sh, albedo, method, config)
    ops = [
        _grade.WhiteBalance(from_kelvin=m.from_kelvin, to_kelvin=m.to_kelvin,
                            from_tint=m.from_tint, to_tint=m.to_tint, method=method),
        _grade.Exposure(m.stops),
    ]
    return _grade.Grade(ops, colorspace=m.colorspace, config=config)


ambient_match = deprecated_alias(measure_ambient, "chroma.ambient.ambient_match", "chroma.ambient.measure_ambient")
