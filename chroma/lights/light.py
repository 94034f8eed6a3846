"""The Light: a relative spectrum, its intensity, its colour and its CIE reference light.

A relative spectrum on chroma's grid plus an intensity in stops (or lux), its colour in a
scene-linear working space, and the CIE 13.3-1995 reference light for a CCT.

XYZ (Y = 1) is taken to RGB the way OCIO's ``CIE XYZ-D65`` interchange space does: as
D65-referred XYZ, with a Bradford adaptation from D65 to the working space's white (the ACES
configs' "AP0 to CIE XYZ-D65" matrix), then normalised to luminance 1 in the working space or
scaled by the light's intensity (see docs/lights.md).
"""

from __future__ import annotations

import functools
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from chroma.caches import register_cache
from chroma.colour_science import colour
from chroma.errors import ChromaIOError, ChromaValueError
from chroma.lights.metrics import LightMetrics, cache_key, cached, cached_metrics, cct_duv
from chroma.lights.spectra import (
    K_M,
    SPECTRAL_RANGE,
    WAVELENGTHS,
    align_spectrum,
    illuminant_key,
    native_samples,
    ohno_led,
    parse_csv,
    parse_peaks,
    pc_white,
    photopic,
    resample_spectrum,
    sampled_xyz,
    spectral_shape,
    spectrum_xyz,
)
from chroma.whitebalance import check_kelvin

#: Illuminance (lux) at which a perfect white diffuser renders at scene-linear 1.0: the
#: exposure reference that turns lux into stops (``stops = log2(lux / REFERENCE_LUX)``).
REFERENCE_LUX = 1000.0


def _intensity_from_stops(stops: float) -> float:
    """2**stops (``chroma.stops.exposure_to_intensity``: a stop doubles light)."""
    from chroma.stops import exposure_to_intensity

    return float(exposure_to_intensity(stops))


def scene_linear_matrices(
    colorspace: str, config: str | os.PathLike[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Return the XYZ and RGB matrices of a scene-linear OCIO colour space.

    Derived once per config and space, from :func:`chroma.colorimetry.rgb_to_xyz_matrix`.

    Parameters
    ----------
    colorspace : str
        A scene-linear colour space (name, alias or role), e.g. ``"ACEScg"``.
    config : str or os.PathLike, optional
        OCIO config; default ``$OCIO``, else chroma's bundled config.

    Returns
    -------
    m_d65 : numpy.ndarray
        3x3, D65-referred XYZ to RGB with a Bradford adaptation from D65 to the space's
        white, as OCIO's ``CIE XYZ-D65`` interchange does (the ACES configs' matrix).
    m_npm : numpy.ndarray
        3x3, XYZ to RGB without adaptation (inverse of the normalised primary matrix).
    white : numpy.ndarray
        XYZ (Y = 1) of the space's white, shape (3,).
    weights : numpy.ndarray
        Luminance (Y) weights of R, G, B in the space, shape (3,).

    Raises
    ------
    chroma.errors.ColorSpaceError
        For an unknown or non-scene-linear colour space.

    References
    ----------
    .. [1] SMPTE RP 177-1993, "Derivation of Basic Television Color Equations".
    """
    from chroma import ocio

    name = ocio.require_scene_linear(colorspace, config, "a light's colour")
    return _matrices(ocio.config_path(config), name)


@register_cache
@functools.lru_cache(maxsize=64)
def _matrices(path: str, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from chroma import colorimetry

    npm = np.asarray(colorimetry.rgb_to_xyz_matrix(name, path, white="native"), dtype=np.float64)
    m_d65 = np.linalg.inv(colorimetry.rgb_to_xyz_matrix(name, path, white="D65"))
    out = (m_d65, np.linalg.inv(npm), npm @ np.ones(3), npm[1].copy())
    for m in out:
        m.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Light:
    """
    A light: a relative spectral power distribution and an intensity.

    Build lights with :meth:`blackbody`, :meth:`illuminant`, :meth:`led`, :meth:`from_csv`
    or :meth:`parse`; give the intensity as ``stops=`` or ``lux=`` (``lux`` is converted to
    stops against ``exposure_lux``, default :data:`REFERENCE_LUX`).

    Attributes
    ----------
    values : numpy.ndarray
        Read-only float64 relative spectral power on :data:`WAVELENGTHS` (360-830 nm at
        1 nm), shape (471,), finite, >= 0 and not all zero.
    name : str
        How the light was made (``blackbody 3200 K``, ``FL2``, ``led pc:5600``...).
    stops : float
        Exposure in stops relative to the reference: intensity = 2**stops, so a perfect
        white diffuser under the light renders at luminance 2**stops. Default 0.
    exposure_lux : float
        Illuminance in lux that renders a white diffuser at 1.0 (0 stops). Default
        :data:`REFERENCE_LUX` (1000 lux).
    native : tuple of numpy.ndarray or None
        (wavelengths nm, values) of tabulated data at its own interval (5 nm CIE tables):
        xy, CCT and Duv are summed there, as CIE 15 does, not on the 1 nm resampling.

    Raises
    ------
    chroma.errors.ChromaValueError
        For a spectrum of another shape, negative, non-finite or all-zero power, or a
        non-finite ``stops`` or non-positive ``exposure_lux``.
    """

    values: np.ndarray
    name: str = "light"
    stops: float = 0.0
    exposure_lux: float = REFERENCE_LUX
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    native: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        v = np.asarray(self.values, dtype=np.float64)
        if v.shape != WAVELENGTHS.shape:
            raise ChromaValueError(
                f"a light's spectrum has {WAVELENGTHS.size} samples (360-830 nm at 1 nm), got shape {v.shape}"
            )
        if not np.all(np.isfinite(v)) or np.any(v < 0) or v.max() <= 0:
            raise ChromaValueError("a light's spectral power must be finite, non-negative and not all zero")
        v = v.copy()
        v.setflags(write=False)
        object.__setattr__(self, "values", v)
        if not math.isfinite(self.stops):
            raise ChromaValueError(f"stops must be a finite number, got {self.stops!r}")
        if not (self.exposure_lux > 0 and math.isfinite(self.exposure_lux)):
            raise ChromaValueError(f"exposure_lux must be a positive number, got {self.exposure_lux!r}")

    # -------------------------------------------------------------- constructors

    @classmethod
    def from_values(cls, wavelengths: Sequence[float] | np.ndarray, power: Sequence[float] | np.ndarray,
                    name: str = "light", *, stops: float | None = None, lux: float | None = None,
                    exposure_lux: float = REFERENCE_LUX) -> Light:
        """
        Return a light from sampled (wavelength, relative power) pairs of any spacing.

        Samples outside 360-830 nm are dropped (with a warning); the rest must cover
        380-780 nm (the range CIE 13.3 and TM-30 evaluate). Uniformly spaced data is
        interpolated with colour-science (Sprague), irregular data linearly; both
        extrapolate the end values.

        Parameters
        ----------
        wavelengths : sequence of float
            Wavelengths, nm.
        power : sequence of float
            Relative spectral power at ``wavelengths``, >= 0 (any scale).
        name : str, default "light"
            The light's name.
        stops : float, optional
            Intensity in stops (default 0: a white diffuser renders at 1.0).
        lux : float, optional
            Intensity as illuminance in lux, instead of ``stops``.
        exposure_lux : float, default 1000
            Illuminance in lux that renders a white diffuser at 1.0.

        Returns
        -------
        Light
            The light on :data:`WAVELENGTHS`.

        Raises
        ------
        chroma.errors.ChromaValueError
            For bad samples (see :func:`chroma.lights.spectra.resample_spectrum`) or both
            ``stops`` and ``lux``.

        References
        ----------
        .. [1] CIE 15:2004, "Colorimetry", 3rd ed., §7.2.1.1 (interpolation) and
           §7.2.2.1 (extrapolation).
        """
        values = resample_spectrum(np.asarray(wavelengths, np.float64), np.asarray(power, np.float64), name)
        return cls._with_intensity(values, name, stops, lux, exposure_lux)

    @classmethod
    def _with_intensity(cls, values: np.ndarray, name: str, stops: float | None, lux: float | None,
                        exposure_lux: float) -> Light:
        return cls(values, name, _stops_from(stops, lux, exposure_lux), exposure_lux)

    @classmethod
    def blackbody(cls, kelvin: float, *, stops: float | None = None, lux: float | None = None,
                  exposure_lux: float = REFERENCE_LUX) -> Light:
        """
        Return a Planckian radiator, e.g. tungsten at 3200 K.

        Parameters
        ----------
        kelvin : float
            Temperature, Kelvin, 1000-25000.
        stops : float, optional
            Intensity in stops (default 0: a white diffuser renders at 1.0).
        lux : float, optional
            Intensity as illuminance in lux, instead of ``stops``.
        exposure_lux : float, default 1000
            Illuminance in lux that renders a white diffuser at 1.0.

        Returns
        -------
        Light
            Named ``"blackbody K K"``.

        Raises
        ------
        chroma.errors.ChromaValueError
            For a temperature outside 1000-25000 K or both ``stops`` and ``lux``.

        References
        ----------
        .. [1] CIE 15:2004, "Colorimetry", 3rd ed.: Planck's law with
           c2 = 1.4388e-2 m K (colour-science's ``sd_blackbody``).
        """
        k = check_kelvin(kelvin, "blackbody temperature")
        values = np.asarray(colour().sd_blackbody(k, spectral_shape()).values, dtype=np.float64)
        return cls._with_intensity(values, f"blackbody {k:g} K", stops, lux, exposure_lux)

    @classmethod
    def illuminant(cls, name: str, *, stops: float | None = None, lux: float | None = None,
                   exposure_lux: float = REFERENCE_LUX) -> Light:
        """
        Return a CIE illuminant or another of colour-science's tabulated lights by name.

        Parameters
        ----------
        name : str
            A, D50, D55, D65, D75, FL1-FL12 (also F1-F12), FL3.1-FL3.15, HP1-HP5,
            LED-B1-B5, LED-BH1, LED-RGB1, LED-V1, LED-V2..., any case.
        stops : float, optional
            Intensity in stops (default 0: a white diffuser renders at 1.0).
        lux : float, optional
            Intensity as illuminance in lux, instead of ``stops``.
        exposure_lux : float, default 1000
            Illuminance in lux that renders a white diffuser at 1.0.

        Returns
        -------
        Light
            Named by colour-science's key; xy and CCT summed at the table's interval.

        Raises
        ------
        chroma.errors.ChromaValueError
            For an unknown name (the message lists the closest ones) or both ``stops``
            and ``lux``.

        References
        ----------
        .. [1] CIE 15:2018, "Colorimetry", 4th ed., Tables 10 and 11 (LED illuminants).
        """
        key = illuminant_key(name)
        sd = colour().SDS_ILLUMINANTS[key]
        return cls(align_spectrum(sd), key, _stops_from(stops, lux, exposure_lux), exposure_lux,
                   native=native_samples(sd))

    @classmethod
    def led(cls, peaks: str | Iterable[Sequence[float]] | None = None, *, cct: float | None = None,
            phosphor_fwhm: float = 110.0, stops: float | None = None, lux: float | None = None,
            exposure_lux: float = REFERENCE_LUX) -> Light:
        """
        Return a parametric LED: emitters of given peaks and widths, or a phosphor white.

        Each emitter has Ohno's LED shape scaled to the given full width at half maximum.
        A phosphor-converted white is a 450 nm blue die (FWHM 20 nm) plus a Gaussian
        phosphor band whose peak and strength put the mix on the Planckian locus at
        ``cct`` (Duv 0; :func:`chroma.lights.spectra.pc_white`).

        Parameters
        ----------
        peaks : str or iterable of sequence of float, optional
            Emitters as ``(peak nm, FWHM nm[, relative power])`` tuples, or the CLI spec
            ``"450:20,530:30:0.8,630:20"`` (``PEAK:FWHM[:POWER]``), or a phosphor white
            ``"pc:CCT[:FWHM]"`` (``"pc:5600"``).
        cct : float, optional
            CCT of a phosphor white, Kelvin, 2000-10000 (instead of ``peaks``).
        phosphor_fwhm : float, default 110
            Full width at half maximum of the phosphor band, nm, 40-200.
        stops : float, optional
            Intensity in stops (default 0: a white diffuser renders at 1.0).
        lux : float, optional
            Intensity as illuminance in lux, instead of ``stops``.
        exposure_lux : float, default 1000
            Illuminance in lux that renders a white diffuser at 1.0.

        Returns
        -------
        Light
            Named ``"led 450:20,..."`` or ``"led pc:CCT"``.

        Raises
        ------
        chroma.errors.ChromaValueError
            For a malformed spec, a peak outside 360-830 nm, a width outside 1-300 nm, a
            non-positive power, both or neither of ``peaks`` and ``cct``, or a phosphor
            white that cannot reach the locus.

        References
        ----------
        .. [1] Ohno, Y. (2005). "Spectral design considerations for white LED color
           rendering". Optical Engineering, 44(11), 111302, eq. 1.
        """
        if isinstance(peaks, str):
            spec = peaks.strip()
            if spec.lower().startswith("pc:"):
                cct, phosphor_fwhm = _phosphor_spec(spec, phosphor_fwhm)
                peaks = None
            else:
                peaks = parse_peaks(spec)
        if cct is not None:
            if peaks is not None:
                raise ChromaValueError("give an LED either peaks or a phosphor-white cct, not both")
            values, name = pc_white(float(cct), float(phosphor_fwhm))
            return cls._with_intensity(values, name, stops, lux, exposure_lux)
        if peaks is None:
            raise ChromaValueError("an LED needs peaks (e.g. '450:20,560:100') or cct= for a phosphor white")
        rows = _led_rows(peaks)
        values = np.zeros_like(WAVELENGTHS)
        for r in rows:
            values = values + (r[2] if len(r) == 3 else 1.0) * ohno_led(r[0], r[1])
        name = "led " + ",".join(":".join(f"{x:g}" for x in r) for r in rows)
        return cls._with_intensity(values, name, stops, lux, exposure_lux)

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str], *, stops: float | None = None, lux: float | None = None,
                 exposure_lux: float = REFERENCE_LUX) -> Light:
        """
        Return a measured spectrum read from a CSV file.

        Rows are ``wavelength_nm, relative_power`` (comma, semicolon, tab or space
        separated; one header line allowed; any spacing), resampled as :meth:`from_values`.

        Parameters
        ----------
        path : str or os.PathLike
            The CSV file (UTF-8, a BOM is allowed).
        stops : float, optional
            Intensity in stops (default 0: a white diffuser renders at 1.0).
        lux : float, optional
            Intensity as illuminance in lux, instead of ``stops``.
        exposure_lux : float, default 1000
            Illuminance in lux that renders a white diffuser at 1.0.

        Returns
        -------
        Light
            Named after the file's stem.

        Raises
        ------
        chroma.errors.ChromaIOError
            For a missing or unreadable file.
        chroma.errors.ChromaValueError
            Naming the line: non-numeric rows, negative or non-finite power, fewer than 5
            samples, duplicate wavelengths, no coverage of 380-780 nm.
        """
        path = os.fspath(path)
        if not os.path.exists(path):
            raise ChromaIOError(f"spectrum file {path!r} does not exist")
        if not os.path.isfile(path):
            raise ChromaIOError(f"{path!r} is not a file; give a CSV of wavelength_nm, relative_power rows")
        try:
            with open(path, newline="", encoding="utf-8-sig") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise ChromaIOError(f"cannot read spectrum file {path!r}: {exc}") from None
        wl, pw = parse_csv(text, path)
        values = resample_spectrum(wl, pw, path)
        return cls._with_intensity(values, Path(path).stem, stops, lux, exposure_lux)

    @classmethod
    def parse(cls, spec: str, *, stops: float | None = None, lux: float | None = None,
              exposure_lux: float = REFERENCE_LUX) -> Light:
        """
        Return a light from a short spec, as ``chroma light --compare`` takes them.

        Parameters
        ----------
        spec : str
            ``3200K`` (blackbody), ``FL2`` / ``D65`` / ``LED-B4`` (illuminant),
            ``led:450:20,560:100`` or ``pc:5600`` (LED), or a path to a ``.csv`` spectrum.
        stops : float, optional
            Intensity in stops (default 0: a white diffuser renders at 1.0).
        lux : float, optional
            Intensity as illuminance in lux, instead of ``stops``.
        exposure_lux : float, default 1000
            Illuminance in lux that renders a white diffuser at 1.0.

        Returns
        -------
        Light
            As :meth:`blackbody`, :meth:`illuminant`, :meth:`led` or :meth:`from_csv`.

        Raises
        ------
        chroma.errors.ChromaError
            As the constructor the spec selects.
        """
        intensity: dict[str, Any] = {"stops": stops, "lux": lux, "exposure_lux": exposure_lux}
        s = spec.strip()
        m = re.fullmatch(r"(\d+(?:\.\d*)?)\s*[kK]", s)
        if m:
            return cls.blackbody(float(m.group(1)), **intensity)
        low = s.lower()
        if low.startswith("pc:"):
            return cls.led(s, **intensity)
        if low.startswith("led:"):
            return cls.led(s[4:], **intensity)
        if low.endswith(".csv") or os.path.sep in s:
            return cls.from_csv(s, **intensity)
        return cls.illuminant(s, **intensity)

    # ------------------------------------------------------------------ intensity

    def with_intensity(self, *, stops: float | None = None, lux: float | None = None) -> Light:
        """
        Return the same spectrum at another intensity.

        Parameters
        ----------
        stops : float, optional
            Intensity in stops (default 0: a white diffuser renders at 1.0).
        lux : float, optional
            Intensity as illuminance in lux against this light's ``exposure_lux``.

        Returns
        -------
        Light
            A new light with the same values, name and tabulated samples.

        Raises
        ------
        chroma.errors.ChromaValueError
            For both ``stops`` and ``lux``, or a non-positive ``lux``.
        """
        return Light(self.values, self.name, _stops_from(stops, lux, self.exposure_lux), self.exposure_lux,
                     native=self.native)

    @property
    def intensity(self) -> float:
        """
        Linear intensity 2**stops: the luminance of a white diffuser under this light.

        Returns
        -------
        float
            2**stops, scene-linear.
        """
        return _intensity_from_stops(self.stops)

    @property
    def lux(self) -> float:
        """
        Illuminance of the light.

        Returns
        -------
        float
            Illuminance in lux, ``exposure_lux * 2**stops``.
        """
        return self.exposure_lux * self.intensity

    def irradiance(self) -> np.ndarray:
        """
        Return the spectral irradiance that gives this light's illuminance.

        Returns
        -------
        numpy.ndarray
            Spectral irradiance E in W m^-2 nm^-1 on :data:`WAVELENGTHS`, shape (471,),
            scaled so that ``683 lm/W * sum(E V) * 1 nm`` equals :attr:`lux`.

        References
        ----------
        .. [1] CIE 15:2004, "Colorimetry", 3rd ed., eq. 7.1 with K_m = 683 lm/W.
        """
        return self.values * (self.lux / (K_M * float(np.sum(self.values * photopic()))))

    # -------------------------------------------------------------------- colour

    def xyz(self) -> np.ndarray:
        """
        Return the CIE 1931 XYZ of the spectrum on the 1 nm grid, with Y = 1.

        What :meth:`rgb` and rendered charts use, consistent with reflectances on the same
        grid; :attr:`xy`, CCT and Duv use :meth:`cie15_xyz`.

        Returns
        -------
        numpy.ndarray
            XYZ, shape (3,), a copy.

        References
        ----------
        .. [1] CIE 15:2004, "Colorimetry", 3rd ed., §7.1.
        """
        if "xyz" not in self._cache:
            self._cache["xyz"] = spectrum_xyz(self.values)
        return np.array(self._cache["xyz"])

    def cie15_xyz(self) -> np.ndarray:
        """
        Return the XYZ as CIE 15 computes it, with Y = 1.

        Summed at the data's own interval for tabulated illuminants (5 nm: FL*, HP*,
        LED-*), so xy and CCT match the published tables; on the 1 nm grid otherwise
        (the same as :meth:`xyz`).

        Returns
        -------
        numpy.ndarray
            XYZ, shape (3,), a copy.

        References
        ----------
        .. [1] CIE 15:2004, "Colorimetry", 3rd ed., §7.1.
        """
        if "xyz15" not in self._cache:
            self._cache["xyz15"] = sampled_xyz(*self.native) if self.native else self.xyz()
        return np.array(self._cache["xyz15"])

    @property
    def xy(self) -> np.ndarray:
        """
        CIE 1931 chromaticity of :meth:`cie15_xyz`, as the CIE tables give it.

        Returns
        -------
        numpy.ndarray
            The x, y, shape (2,).
        """
        xyz = self.cie15_xyz()
        return xyz[:2] / xyz.sum()

    @property
    def cct(self) -> float:
        """
        Correlated colour temperature of :meth:`cie15_xyz`.

        Returns
        -------
        float
            CCT in Kelvin (Ohno 2013 method in the CIE 1960 UCS).

        References
        ----------
        .. [1] Ohno, Y. (2014). "Practical use and calculation of CCT and Duv". LEUKOS,
           10(1), 47-55.
        """
        return self._cct_duv()[0]

    @property
    def duv(self) -> float:
        """
        Distance of :meth:`cie15_xyz` from the Planckian locus.

        Returns
        -------
        float
            Duv in the CIE 1960 UCS (Ohno 2013 method), positive above the locus.

        References
        ----------
        .. [1] Ohno, Y. (2014). "Practical use and calculation of CCT and Duv". LEUKOS,
           10(1), 47-55.
        """
        return self._cct_duv()[1]

    def _metrics_key(self) -> str:
        return cache_key(self.values, tabulated=self.native is not None)

    def _cct_duv(self) -> tuple[float, float]:
        hit = cached(self._metrics_key())
        if hit is not None:
            return hit.cct, hit.duv
        if "cct" not in self._cache:
            self._cache["cct"] = cct_duv(self.cie15_xyz())
        cct, duv = self._cache["cct"]
        return cct, duv

    def rgb(self, colorspace: str = "ACEScg", normalise: bool = True,
            config: str | os.PathLike[str] | None = None) -> np.ndarray:
        """
        Return the light's colour as RGB in a scene-linear colour space.

        XYZ (Y = 1) is read as OCIO's ``CIE XYZ-D65`` interchange (Bradford D65 to the
        space's white, as the ACES configs do), so CIE D65 renders neutral.

        Parameters
        ----------
        colorspace : str, default "ACEScg"
            A scene-linear colour space (name, alias or role).
        normalise : bool, default True
            Scale to luminance 1 in the space; else to the light's intensity 2**stops.
        config : str or os.PathLike, optional
            OCIO config; default ``$OCIO``, else chroma's bundled config.

        Returns
        -------
        numpy.ndarray
            Scene-linear RGB, shape (3,), float64.

        Raises
        ------
        chroma.errors.ColorSpaceError
            For an unknown or non-scene-linear colour space.
        """
        m_d65, _npm, _white, weights = scene_linear_matrices(colorspace, None if config is None else str(config))
        rgb = m_d65 @ self.xyz()
        rgb = rgb / float(weights @ rgb)
        return rgb if normalise else rgb * self.intensity

    # ------------------------------------------------------------------- metrics

    def metrics(self) -> LightMetrics:
        """
        Return the light's CCT, Duv, CRI, TM-30, efficacy and xy.

        Computed once per spectrum shape (independent of intensity) and cached.

        Returns
        -------
        LightMetrics
            The metrics; the same object for lights of the same spectrum shape.

        References
        ----------
        .. [1] CIE 13.3-1995, "Method of measuring and specifying colour rendering
           properties of light sources".
        .. [2] ANSI/IES TM-30-18, "IES Method for Evaluating Light Source Color Rendition".
        .. [3] Ohno, Y. (2014). "Practical use and calculation of CCT and Duv". LEUKOS,
           10(1), 47-55.
        """
        return cached_metrics(self.values, self.cie15_xyz(), tabulated=self.native is not None)

    def summary(self, colorspace: str = "ACEScg", config: str | os.PathLike[str] | None = None) -> dict[str, Any]:
        """
        Return the metrics plus the colour as a JSON-ready dict (``chroma light --json``).

        Parameters
        ----------
        colorspace : str, default "ACEScg"
            Scene-linear colour space of ``rgb``.
        config : str or os.PathLike, optional
            OCIO config; default ``$OCIO``, else chroma's bundled config.

        Returns
        -------
        dict
            ``name``, ``cct`` (K), ``duv``, ``cri_ra``, ``cri_ri``, ``cri_valid``,
            ``tm30_rf``, ``tm30_rg``, ``efficacy_lm_per_w``, ``xy``, ``rgb`` (luminance 1),
            ``colorspace``, ``stops`` and ``lux``.

        Raises
        ------
        chroma.errors.ColorSpaceError
            For an unknown or non-scene-linear colour space.
        """
        m = self.metrics()
        return {
            "name": self.name,
            "cct": m.cct, "duv": m.duv, "cri_ra": m.cri_ra, "cri_ri": list(m.cri_ri),
            "cri_valid": m.cri_valid, "tm30_rf": m.tm30_rf, "tm30_rg": m.tm30_rg,
            "efficacy_lm_per_w": m.efficacy_lm_per_w, "xy": list(m.xy),
            "rgb": [float(x) for x in self.rgb(colorspace, config=config)],
            "colorspace": _resolve(colorspace, config),
            "stops": self.stops, "lux": self.lux,
        }

    def __repr__(self) -> str:
        return f"Light({self.name!r}, stops={self.stops:+g})"


def _resolve(colorspace: str, config: str | os.PathLike[str] | None) -> str:

    from chroma import ocio

    return ocio.resolve_colorspace(colorspace, config)


def _stops_from(stops: float | None, lux: float | None, exposure_lux: float) -> float:
    if stops is not None and lux is not None:
        raise ChromaValueError("give a light's intensity in stops or in lux, not both")
    if lux is not None:
        lux = float(lux)
        if not (lux > 0 and math.isfinite(lux)):
            raise ChromaValueError(f"illuminance must be a positive number of lux, got {lux!r}")
        if not (exposure_lux > 0):
            raise ChromaValueError(f"exposure_lux must be positive, got {exposure_lux!r}")
        return math.log2(lux / exposure_lux)
    return float(stops or 0.0)


def _phosphor_spec(spec: str, phosphor_fwhm: float) -> tuple[float, float]:
    """(CCT, phosphor FWHM) of a ``pc:CCT[:FWHM]`` spec; the width defaults to ``phosphor_fwhm``."""
    try:
        nums = [float(p) for p in spec[3:].split(":")]
    except ValueError:
        raise ChromaValueError(f"LED spec {spec!r}: write a phosphor white as pc:CCT[:FWHM], e.g. pc:5600") from None
    if len(nums) not in (1, 2):
        raise ChromaValueError(f"LED spec {spec!r}: write a phosphor white as pc:CCT[:FWHM], e.g. pc:5600")
    return nums[0], nums[1] if len(nums) == 2 else phosphor_fwhm


def _led_rows(peaks: Iterable[Sequence[float]]) -> list[tuple[float, ...]]:
    """LED emitters as float tuples (peak nm, FWHM nm[, power]), each checked."""
    rows = [tuple(float(x) for x in p) for p in peaks]
    if not rows:
        raise ChromaValueError("an LED needs at least one peak")
    for r in rows:
        if len(r) not in (2, 3):
            raise ChromaValueError(f"an LED peak is (peak nm, FWHM nm[, power]), got {r}")
        if not (SPECTRAL_RANGE[0] <= r[0] <= SPECTRAL_RANGE[1]):
            raise ChromaValueError(f"LED peak {r[0]:g} nm is outside 360-830 nm")
        if not (1.0 <= r[1] <= 300.0):
            raise ChromaValueError(f"LED width {r[1]:g} nm is outside 1-300 nm (full width at half maximum)")
        if len(r) == 3 and not (r[2] > 0):
            raise ChromaValueError(f"LED peak power must be positive, got {r[2]:g}")
    return rows


def reference_light(cct: float) -> Light:
    """
    Return the CIE 13.3-1995 reference illuminant for a CCT.

    A Planckian radiator below 5000 K, a CIE daylight (D-series) at or above.

    Parameters
    ----------
    cct : float
        Correlated colour temperature, Kelvin (1000-25000).

    Returns
    -------
    Light
        ``"blackbody K K"`` or ``"CIE daylight K K"``, at 0 stops.

    Raises
    ------
    chroma.errors.ChromaValueError
        For a CCT below 1000 K.

    References
    ----------
    .. [1] CIE 13.3-1995, "Method of measuring and specifying colour rendering properties
       of light sources", §5.2.
    .. [2] CIE 15:2004, "Colorimetry", 3rd ed., §3.1 (CIE daylight).
    """
    c = colour()
    if cct < 5000.0:
        return Light.blackbody(cct)
    xy = c.temperature.CCT_to_xy_CIE_D(cct)
    sd = c.sd_CIE_illuminant_D_series(xy)
    return Light(align_spectrum(sd), f"CIE daylight {cct:.0f} K")
