"""The ColorChecker rendered under a light, spectrally.

Each patch is ``light spectrum x patch reflectance -> XYZ -> working space`` on the
1 nm, 360-830 nm grid of :mod:`chroma.lights` (CIE 15:2004 §7.1, object colours:
``X = k sum(S R xbar)``, ``k = 1 / sum(S ybar)``, so a perfect white diffuser has Y = 1
at intensity 0 stops). Reflectances are colour-science's ISO 17321-1 ColorChecker set
(24 patches, 380-780 nm at 5 nm, extrapolated as CIE 15:2004 §7.2.2.1 says).

The camera is either white-balanced to the light (``white_balance=True``: CAT16, a
von Kries transform in the CAT16 cone space, Li et al. 2017 "Comprehensive colour
solutions: CAM16, CAT16 and CAM16-UCS", from the light's white to the working space's
white, full adaptation) or not (the light's colour shows, exactly as
:meth:`chroma.lights.Light.rgb`: XYZ read as OCIO's ``CIE XYZ-D65`` interchange).

Each patch also gets its CIEDE2000 difference (CIE 142:2001) against the same chart under
the CIE 13.3 reference illuminant of the light's CCT (Planckian below 5000 K, CIE daylight
above). Both charts are adapted with CAT16 to D65 and compared in CIELAB (D65): the
difference is the light's colour rendering, not its colour.
"""

from __future__ import annotations

import functools
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from chroma.colour_science import colour
from chroma.deprecation import deprecated_alias
from chroma.errors import ChromaIOError, ChromaValueError
from chroma.image import Image
from chroma.lights import WAVELENGTHS, Light, cmfs, reference_light, scene_linear_matrices

#: colour-science's ColorChecker reflectance sets (24 patches each).
CHARTS = ("ISO 17321-1", "BabelColor Average", "ColorChecker N Ohta")
DEFAULT_CHART = "ISO 17321-1"
COLUMNS, ROWS = 6, 4
#: Border colour between patches: scene-linear 0.02 (about -3.2 stops below mid-grey).
BORDER_VALUE = 0.02


@functools.cache
def reflectances(chart: str = DEFAULT_CHART) -> tuple[tuple[str, ...], np.ndarray]:
    """
    Return the patch names and spectral reflectances of a ColorChecker set.

    Parameters
    ----------
    chart : str, default "ISO 17321-1"
        One of :data:`CHARTS` (colour-science's ColorChecker reflectance sets).

    Returns
    -------
    names : tuple of str
        The 24 patch names, row-major (dark skin ... black).
    values : numpy.ndarray
        Read-only reflectances in [0, 1] on :data:`chroma.lights.WAVELENGTHS`, shape
        (24, 471); the 380-780 nm data extrapolated with its end values.

    Raises
    ------
    chroma.errors.ChromaValueError
        For an unknown chart; the message lists the closest names.

    References
    ----------
    .. [1] ISO 17321-1:2012, "Graphic technology and photography - Colour
       characterisation of digital still cameras (DSCs)".
    """
    c = colour()
    if chart not in CHARTS:
        from chroma.errors import closest

        hint = closest(chart, CHARTS)
        raise ChromaValueError(f"unknown chart {chart!r}" + (f"; {hint}" if hint else "") + f" (known: {', '.join(CHARTS)})")
    sds = c.characterisation.SDS_COLOURCHECKERS[chart]
    shape = c.SpectralShape(float(WAVELENGTHS[0]), float(WAVELENGTHS[-1]), 1.0)
    names = tuple(sds.keys())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = np.stack([np.asarray(sd.copy().align(shape).values, np.float64) for sd in sds.values()])
    values = np.clip(values, 0.0, None)
    values.setflags(write=False)
    return names, values


def patch_xyz(light_values: np.ndarray, refl: np.ndarray) -> np.ndarray:
    """
    Return the XYZ of reflectances under a light, a perfect white diffuser at Y = 1.

    Parameters
    ----------
    light_values : numpy.ndarray
        Relative spectral power of the light on :data:`chroma.lights.WAVELENGTHS`, (471,).
    refl : numpy.ndarray
        Spectral reflectances in [0, 1] on the same grid, shape (n, 471).

    Returns
    -------
    numpy.ndarray
        CIE 1931 XYZ, shape (n, 3) (1 nm summation, ``k = 1 / sum(S ybar)``).

    References
    ----------
    .. [1] CIE 15:2004, "Colorimetry", 3rd ed., eq. 7.1-7.3.
    """
    s = np.asarray(light_values, np.float64)
    k = 1.0 / float(s @ cmfs()[:, 1])
    return (np.asarray(refl, np.float64) * s) @ cmfs() * k


def _cat16(src_white: np.ndarray, dst_white: np.ndarray) -> np.ndarray:
    return np.asarray(
        colour().adaptation.matrix_chromatic_adaptation_VonKries(src_white, dst_white, transform="CAT16"),
        np.float64,
    )


@functools.cache
def _d65_xyz() -> np.ndarray:
    c = colour()
    return c.xy_to_XYZ(c.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"])


def _lab_d65(xyz: np.ndarray, white: np.ndarray) -> np.ndarray:
    c = colour()
    adapted = xyz @ _cat16(white, _d65_xyz()).T
    return c.XYZ_to_Lab(adapted, c.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"])


@dataclass
class ChartResult:
    """
    A chart rendered under a light.

    Attributes
    ----------
    light : chroma.Light
        The light.
    names : tuple of str
        Patch names, row-major (6 columns x 4 rows).
    rgb : numpy.ndarray
        (n, 3) float32 scene-linear RGB in ``colorspace``, scaled by the light's intensity.
    xyz : numpy.ndarray
        (n, 3) CIE XYZ under the light (a white diffuser has Y = 1 at 0 stops).
    delta_e : numpy.ndarray
        (n,) CIEDE2000 against the CIE 13.3 reference illuminant (``reference``).
    colorspace : str
        The scene-linear colour space of ``rgb``.
    white_balanced : bool
        Whether the camera was white-balanced to the light (CAT16).
    reference : str
        Name of the CIE 13.3 reference illuminant.
    chart : str
        The reflectance set, or ``"custom"``.
    """

    light: Light
    names: tuple[str, ...]
    rgb: np.ndarray
    xyz: np.ndarray
    delta_e: np.ndarray
    colorspace: str
    white_balanced: bool
    reference: str
    chart: str

    def to_dict(self) -> dict[str, Any]:
        """
        Return the result as a JSON-ready dict.

        Returns
        -------
        dict
            ``light``, ``chart``, ``colorspace``, ``white_balanced``, ``reference``,
            ``delta_e2000_mean``, ``delta_e2000_max`` and ``patches`` (name, rgb, xyz and
            delta_e2000 of each).
        """
        return {
            "light": self.light.name, "chart": self.chart, "colorspace": self.colorspace,
            "white_balanced": self.white_balanced, "reference": self.reference,
            "delta_e2000_mean": float(self.delta_e.mean()), "delta_e2000_max": float(self.delta_e.max()),
            "patches": [
                {"name": n, "rgb": [float(x) for x in rgb], "xyz": [float(x) for x in xyz], "delta_e2000": float(de)}
                for n, rgb, xyz, de in zip(self.names, self.rgb, self.xyz, self.delta_e)
            ],
        }

    as_dict = deprecated_alias(to_dict, "ChartResult.as_dict", "ChartResult.to_dict")

    def image(self, patch: int = 64, border: int = 4) -> Image:
        """
        Return the chart as an Image, with labels and differences in the metadata.

        Parameters
        ----------
        patch : int, default 64
            Patch size, pixels, >= 1.
        border : int, default 4
            Border width, pixels, >= 0 (scene-linear :data:`BORDER_VALUE`).

        Returns
        -------
        chroma.Image
            RGB in ``colorspace``: 6 x 4 patches, ``chroma/chart/...`` metadata.

        Raises
        ------
        chroma.errors.ChromaValueError
            For a patch under 1 pixel or a negative border.
        """
        if patch < 1 or border < 0:
            raise ChromaValueError(f"patch size must be >= 1 px and border >= 0 px, got {patch} and {border}")
        w = COLUMNS * patch + (COLUMNS + 1) * border
        h = ROWS * patch + (ROWS + 1) * border
        px = np.full((h, w, 3), BORDER_VALUE, np.float32)
        for i, rgb in enumerate(self.rgb):
            r, c = divmod(i, COLUMNS)
            y0 = border + r * (patch + border)
            x0 = border + c * (patch + border)
            px[y0 : y0 + patch, x0 : x0 + patch] = rgb
        meta = {
            "chroma/chart/light": self.light.name,
            "chroma/chart/chart": self.chart,
            "chroma/chart/layout": f"{COLUMNS}x{ROWS} row-major, patch {patch} px, border {border} px",
            "chroma/chart/labels": json.dumps(list(self.names)),
            "chroma/chart/white_balanced": int(self.white_balanced),
            "chroma/chart/reference": self.reference,
            "chroma/chart/delta_e2000": [round(float(x), 4) for x in self.delta_e],
            "chroma/chart/delta_e2000_mean": float(self.delta_e.mean()),
            "chroma/light/stops": float(self.light.stops),
        }
        return Image(px, ["R", "G", "B"], self.colorspace, meta)


def _chart_samples(
    chart: str, samples: tuple[Sequence[str], np.ndarray] | None,
) -> tuple[tuple[str, ...], np.ndarray, str]:
    """(names, reflectances (n, 471), chart name) of a named chart or of custom samples."""
    if samples is None:
        names, refl = reflectances(chart)
        return names, refl, chart
    names, refl = tuple(samples[0]), np.asarray(samples[1], np.float64)
    if refl.ndim != 2 or refl.shape != (len(names), WAVELENGTHS.size):
        raise ChromaValueError(
            f"samples must be (names, reflectances of shape (n, {WAVELENGTHS.size})) on 360-830 nm at 1 nm"
        )
    return names, refl, "custom"


def render_chart(
    light: Light,
    *,
    colorspace: str = "ACEScg",
    white_balance: bool = True,
    chart: str = DEFAULT_CHART,
    samples: tuple[Sequence[str], np.ndarray] | None = None,
    config: str | os.PathLike[str] | None = None,
) -> ChartResult:
    """
    Render the 24 ColorChecker patches under a light, spectrally.

    RGB is scaled by the light's intensity (2**stops). The CIEDE2000 differences are
    against the CIE 13.3 reference illuminant of the light's CCT (see the module docs).

    Parameters
    ----------
    light : chroma.Light
        The light.
    colorspace : str, default "ACEScg"
        Scene-linear working space of the RGB.
    white_balance : bool, default True
        True: CAT16 (full adaptation) from the light's white to the working space's
        white, so neutral patches come out neutral. False: XYZ read as D65-referred
        (OCIO's ``CIE XYZ-D65`` interchange), so a white diffuser equals ``light.rgb()``.
    chart : str, default "ISO 17321-1"
        One of :data:`CHARTS`.
    samples : tuple, optional
        Other reflectances instead of a chart: (names, (n, 471) array on
        :data:`chroma.lights.WAVELENGTHS`).
    config : str or os.PathLike, optional
        OCIO config; default ``$OCIO``, else chroma's bundled config.

    Returns
    -------
    ChartResult
        RGB, XYZ and CIEDE2000 of each patch.

    Raises
    ------
    chroma.errors.ChromaValueError
        For something other than a Light, an unknown chart or mis-shaped samples.
    chroma.errors.ColorSpaceError
        For an unknown or non-scene-linear colour space.

    References
    ----------
    .. [1] Li, C. et al. (2017). "Comprehensive colour solutions: CAM16, CAT16, and
       CAM16-UCS". Color Research & Application, 42(6), 703-718.
    .. [2] CIE 142:2001, "Improvement to industrial colour-difference evaluation"
       (CIEDE2000).
    .. [3] CIE 13.3-1995, "Method of measuring and specifying colour rendering
       properties of light sources" (reference illuminants).
    """
    if not isinstance(light, Light):
        raise ChromaValueError(f"render_chart needs a chroma.Light, got {type(light).__name__}")
    from chroma import ocio

    cs = ocio.resolve_colorspace(colorspace, config)
    m_d65, m_npm, space_white, weights = scene_linear_matrices(cs, None if config is None else str(config))
    names, refl, chart = _chart_samples(chart, samples)
    xyz = patch_xyz(light.values, refl)
    light_white = light.xyz()
    if white_balance:
        rgb = xyz @ (m_npm @ _cat16(light_white, space_white)).T
    else:
        rgb = xyz @ m_d65.T
        # the same luminance normalisation as Light.rgb(): a white diffuser has luminance 1
        rgb = rgb / float(weights @ (m_d65 @ light_white))
    rgb = (rgb * light.intensity).astype(np.float32)

    ref, delta_e = _delta_e_to_reference(light, refl, xyz)
    return ChartResult(light, names, rgb, xyz, delta_e, cs, bool(white_balance), ref.name, chart)


def _delta_e_to_reference(light: Light, refl: np.ndarray, xyz: np.ndarray) -> tuple[Light, np.ndarray]:
    """The CIE 13.3 reference light of ``light``'s CCT and each patch's CIEDE2000 against it
    (both charts adapted with CAT16 to D65, compared in CIELAB D65)."""
    ref = reference_light(light.cct)
    ref_xyz = patch_xyz(ref.values, refl)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lab_test = _lab_d65(xyz, light.xyz())
        lab_ref = _lab_d65(ref_xyz, ref.xyz())
        delta_e = np.asarray(colour().delta_E(lab_test, lab_ref, method="CIE 2000"), np.float64)
    return ref, delta_e


def write_chart(
    result: ChartResult,
    path: str | os.PathLike | None = None,
    preview: str | os.PathLike | None = None,
    *,
    patch: int = 64,
    border: int = 4,
    overwrite: bool = False,
    config: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """
    Write a chart as a scene-linear EXR and/or a display preview.

    Parameters
    ----------
    result : ChartResult
        The rendered chart.
    path : str or os.PathLike, optional
        The ``.exr`` to write (half float, scene-linear).
    preview : str or os.PathLike, optional
        An image (PNG...) through the config's default display and view.
    patch : int, default 64
        Patch size, pixels.
    border : int, default 4
        Border width, pixels.
    overwrite : bool, default False
        Replace existing files (else they are refused).
    config : str or os.PathLike, optional
        OCIO config; default ``$OCIO``, else chroma's bundled config.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    chroma.errors.ChromaValueError
        For no path at all, or a ``path`` that is not ``.exr``.
    chroma.errors.ChromaIOError
        For an existing file without ``overwrite``, or a write that fails.
    """
    from chroma import io

    targets = [p for p in (path, preview) if p is not None]
    if not targets:
        raise ChromaValueError("give an EXR path and/or a preview path to write the chart to")
    for p in targets:
        if os.path.exists(p) and not overwrite:
            raise ChromaIOError(f"{os.fspath(p)!r} exists; pass --overwrite (overwrite=True) to replace it")
    img = result.image(patch, border)
    written = []
    if path is not None:
        if not os.fspath(path).lower().endswith(".exr"):
            raise ChromaValueError(f"the chart is scene-linear: write it as .exr, not {os.fspath(path)!r} (use a preview for PNG)")
        written.append(io.write(img, path, dtype="half", config=config))
    if preview is not None:
        written.append(io.write_display(img, preview, config=config))
    return written


__all__ = ["ChartResult", "render_chart", "write_chart", "reflectances", "patch_xyz", "CHARTS", "DEFAULT_CHART"]
