"""The Light: a relative spectrum on chroma's grid plus an intensity in stops (or lux), its
colour in a scene-linear working space, and the CIE 13.3-1995 reference light for a CCT.

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
from typing import Iterable, Sequence

import numpy as np

from chroma._colour import colour
from chroma.errors import ChromaIOError, ChromaValueError
from chroma.lights.metrics import (
    CACHE_SIZE,
    METRICS_CACHE,
    LightMetrics,
    cct_duv,
    compute_metrics,
    spectrum_key,
)
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


def scene_linear_matrices(colorspace: str, config: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For a scene-linear OCIO colour space (derived once per config and space):

    - ``M_d65``: D65-referred XYZ -> RGB with Bradford adaptation D65 -> the space's white,
      as OCIO's ``CIE XYZ-D65`` interchange does (the ACES configs' matrix);
    - ``M_npm``: XYZ -> RGB without adaptation (inverse of :func:`chroma.ocio.rgb_to_xyz_matrix`);
    - ``white``: XYZ (Y = 1) of the space's white;
    - ``weights``: luminance (Y) weights of RGB in the space.
    """
    from chroma import ocio

    name = ocio.require_scene_linear(colorspace, config, "a light's colour")
    return _matrices(ocio.config_path(config), name)


@functools.lru_cache(maxsize=64)
def _matrices(path: str, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from chroma import ocio

    npm = np.asarray(ocio.rgb_to_xyz_matrix(name, path, white="native"), dtype=np.float64)
    m_d65 = np.linalg.inv(ocio.rgb_to_xyz_matrix(name, path, white="D65"))
    out = (m_d65, np.linalg.inv(npm), npm @ np.ones(3), npm[1].copy())
    for m in out:
        m.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Light:
    """A light: a relative spectral power distribution and an intensity.

    Attributes:
        values: relative spectral power on :data:`WAVELENGTHS` (360-830 nm, 1 nm), float64.
        name: how the light was made (``blackbody 3200 K``, ``FL2``, ``led pc:5600``...).
        stops: exposure in stops (EV) relative to the reference: intensity = 2**stops, so a
            perfect white diffuser under the light renders at luminance 2**stops.

    Build lights with :meth:`blackbody`, :meth:`illuminant`, :meth:`led`, :meth:`from_csv`
    or :meth:`parse`; give the intensity as ``stops=`` or ``lux=`` (``lux`` is converted to
    stops against ``exposure_lux``, default :data:`REFERENCE_LUX`).
    """

    values: np.ndarray
    name: str = "light"
    stops: float = 0.0
    exposure_lux: float = REFERENCE_LUX
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
    #: (wavelengths, values) of tabulated data at its own interval (5 nm CIE tables): xy,
    #: CCT and Duv are summed there, as CIE 15 does, not on the 1 nm resampling.
    native: tuple | None = field(default=None, repr=False, compare=False)

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
    def from_values(cls, wavelengths: Sequence[float], power: Sequence[float], name: str = "light",
                    *, stops: float | None = None, lux: float | None = None,
                    exposure_lux: float = REFERENCE_LUX) -> "Light":
        """A light from sampled (wavelength nm, relative power) pairs of any spacing.

        Samples outside 360-830 nm are dropped (with a warning); the rest must cover
        380-780 nm (the range CIE 13.3 and TM-30 evaluate). Uniformly spaced data is
        interpolated with colour-science (Sprague, CIE 15:2004 §7.2.1.1), irregular data
        linearly; both extrapolate the end values (CIE 15:2004 §7.2.2.1).
        """
        values = resample_spectrum(np.asarray(wavelengths, np.float64), np.asarray(power, np.float64), name)
        return cls._with_intensity(values, name, stops, lux, exposure_lux)

    @classmethod
    def _with_intensity(cls, values, name, stops, lux, exposure_lux) -> "Light":
        return cls(values, name, _stops_from(stops, lux, exposure_lux), exposure_lux)

    @classmethod
    def blackbody(cls, kelvin: float, *, stops: float | None = None, lux: float | None = None,
                  exposure_lux: float = REFERENCE_LUX) -> "Light":
        """A Planckian radiator at ``kelvin`` (1000-25000 K; Planck's law with CIE 15:2004
        c2 = 1.4388e-2 m K), e.g. tungsten at 3200 K."""
        k = check_kelvin(kelvin, "blackbody temperature")
        values = np.asarray(colour().sd_blackbody(k, spectral_shape()).values, dtype=np.float64)
        return cls._with_intensity(values, f"blackbody {k:g} K", stops, lux, exposure_lux)

    @classmethod
    def illuminant(cls, name: str, *, stops: float | None = None, lux: float | None = None,
                   exposure_lux: float = REFERENCE_LUX) -> "Light":
        """A CIE illuminant or colour-science's tabulated light by name: A, D50, D55, D65,
        D75, FL1-FL12 (also F1-F12), FL3.1-FL3.15, HP1-HP5, LED-B1-B5, LED-BH1, LED-RGB1,
        LED-V1, LED-V2 (CIE 15:2018 Table 10-11) ... Unknown names list the closest ones."""
        key = illuminant_key(name)
        sd = colour().SDS_ILLUMINANTS[key]
        return cls(align_spectrum(sd), key, _stops_from(stops, lux, exposure_lux), exposure_lux,
                   native=native_samples(sd))

    @classmethod
    def led(cls, peaks: str | Iterable[Sequence[float]] | None = None, *, cct: float | None = None,
            phosphor_fwhm: float = 110.0, stops: float | None = None, lux: float | None = None,
            exposure_lux: float = REFERENCE_LUX) -> "Light":
        """A parametric LED.

        ``peaks``: one or more emitters as ``(peak nm, FWHM nm[, relative power])`` tuples,
        or the CLI spec string ``"450:20,530:30:0.8,630:20"`` (``PEAK:FWHM[:POWER]``), each
        shaped by Ohno's LED model (Ohno 2005, "Spectral design considerations for white
        LED color rendering", Opt. Eng. 44(11), eq. 1) scaled to the given full width at
        half maximum. ``cct=``: a phosphor-converted white
        of that CCT on the Planckian locus (Duv 0): a 450 nm blue die (FWHM 20 nm) plus a
        Gaussian phosphor band of ``phosphor_fwhm`` nm whose peak and strength are solved so
        the mixture's chromaticity is the Planckian one (string spec ``"pc:5600"`` or
        ``"pc:5600:90"``).
        """
        if isinstance(peaks, str):
            spec = peaks.strip()
            if spec.lower().startswith("pc:"):
                parts = spec[3:].split(":")
                try:
                    nums = [float(p) for p in parts]
                except ValueError:
                    raise ChromaValueError(f"LED spec {spec!r}: write a phosphor white as pc:CCT[:FWHM], e.g. pc:5600") from None
                if len(nums) not in (1, 2):
                    raise ChromaValueError(f"LED spec {spec!r}: write a phosphor white as pc:CCT[:FWHM], e.g. pc:5600")
                return cls.led(cct=nums[0], phosphor_fwhm=nums[1] if len(nums) == 2 else phosphor_fwhm,
                               stops=stops, lux=lux, exposure_lux=exposure_lux)
            peaks = parse_peaks(spec)
        if cct is not None:
            if peaks is not None:
                raise ChromaValueError("give an LED either peaks or a phosphor-white cct, not both")
            values, name = pc_white(float(cct), float(phosphor_fwhm))
            return cls._with_intensity(values, name, stops, lux, exposure_lux)
        if peaks is None:
            raise ChromaValueError("an LED needs peaks (e.g. '450:20,560:100') or cct= for a phosphor white")
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
        values = sum((r[2] if len(r) == 3 else 1.0) * ohno_led(r[0], r[1]) for r in rows)
        name = "led " + ",".join(":".join(f"{x:g}" for x in r) for r in rows)
        return cls._with_intensity(values, name, stops, lux, exposure_lux)

    @classmethod
    def from_csv(cls, path: str | os.PathLike, *, stops: float | None = None, lux: float | None = None,
                 exposure_lux: float = REFERENCE_LUX) -> "Light":
        """A measured spectrum from a CSV file of ``wavelength_nm, relative_power`` rows
        (comma, semicolon, tab or space separated; one header line allowed; any spacing).

        Refused with a message naming the line: non-numeric rows, negative or non-finite
        power, fewer than 5 samples, duplicate wavelengths, no coverage of 380-780 nm.
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
    def parse(cls, spec: str, **intensity) -> "Light":
        """A light from a short spec, as ``chroma light --compare`` takes them:
        ``3200K`` (blackbody), ``FL2`` / ``D65`` / ``LED-B4`` (illuminant), ``led:450:20,560:100``
        or ``pc:5600`` (LED), or a path to a ``.csv`` spectrum."""
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

    def with_intensity(self, *, stops: float | None = None, lux: float | None = None) -> "Light":
        """The same spectrum at another intensity (stops, or lux against ``exposure_lux``)."""
        return Light(self.values, self.name, _stops_from(stops, lux, self.exposure_lux), self.exposure_lux,
                     native=self.native)

    @property
    def intensity(self) -> float:
        """Linear intensity, 2**stops: the luminance of a white diffuser under this light."""
        return _intensity_from_stops(self.stops)

    @property
    def lux(self) -> float:
        """Illuminance in lux, ``exposure_lux * 2**stops``."""
        return self.exposure_lux * self.intensity

    def irradiance(self) -> np.ndarray:
        """Spectral irradiance in W m^-2 nm^-1 on :data:`WAVELENGTHS`, scaled so that
        ``683 lm/W * sum(E V) * 1 nm`` equals :attr:`lux` (CIE 15:2004 eq. 7.1 with K_m)."""
        return self.values * (self.lux / (K_M * float(np.sum(self.values * photopic()))))

    # -------------------------------------------------------------------- colour

    def xyz(self) -> np.ndarray:
        """CIE 1931 XYZ of the spectrum on the 1 nm grid, normalised to Y = 1 (CIE 15:2004
        §7.1): what :meth:`rgb` and rendered charts use, consistent with reflectances on the
        same grid. :attr:`xy`, CCT and Duv use :meth:`cie15_xyz`."""
        if "xyz" not in self._cache:
            self._cache["xyz"] = spectrum_xyz(self.values)
        return self._cache["xyz"].copy()

    def cie15_xyz(self) -> np.ndarray:
        """XYZ as CIE 15 computes it, normalised to Y = 1: summed at the data's own interval
        for tabulated illuminants (5 nm: FL*, HP*, LED-*), so xy and CCT match the published
        tables; on the 1 nm grid otherwise (same as :meth:`xyz`)."""
        if "xyz15" not in self._cache:
            self._cache["xyz15"] = sampled_xyz(*self.native) if self.native else self.xyz()
        return self._cache["xyz15"].copy()

    @property
    def xy(self) -> np.ndarray:
        """CIE 1931 xy chromaticity (of :meth:`cie15_xyz`, as the CIE tables give it)."""
        xyz = self.cie15_xyz()
        return xyz[:2] / xyz.sum()

    @property
    def cct(self) -> float:
        """Correlated colour temperature in kelvin (Ohno 2013 method, CIE 1960 UCS)."""
        return self._cct_duv()[0]

    @property
    def duv(self) -> float:
        """Distance from the Planckian locus in the CIE 1960 UCS, signed (Ohno 2013 method)."""
        return self._cct_duv()[1]

    def _cct_duv(self) -> tuple[float, float]:
        hit = METRICS_CACHE.get(spectrum_key(self.values) + ("/native" if self.native else ""))
        if hit is not None:
            return hit.cct, hit.duv
        if "cct" not in self._cache:
            self._cache["cct"] = cct_duv(self.cie15_xyz())
        return self._cache["cct"]

    def rgb(self, colorspace: str = "ACEScg", normalise: bool = True, config: str | None = None) -> np.ndarray:
        """The light's colour as RGB in a scene-linear colour space, shape (3,), float64.

        XYZ (Y = 1) is read as OCIO's ``CIE XYZ-D65`` interchange (Bradford D65 -> the
        space's white, as the ACES configs do), then scaled to luminance 1 in the space
        (``normalise=True``) or to the light's intensity 2**stops (``normalise=False``).
        """
        m_d65, _npm, _white, weights = scene_linear_matrices(colorspace, None if config is None else str(config))
        rgb = m_d65 @ self.xyz()
        rgb = rgb / float(weights @ rgb)
        return rgb if normalise else rgb * self.intensity

    # ------------------------------------------------------------------- metrics

    def metrics(self) -> LightMetrics:
        """CCT, Duv, CRI (Ra, R1-R14), TM-30 Rf/Rg, LER and xy; cached per spectrum shape
        (independent of intensity)."""
        key = spectrum_key(self.values) + ("/native" if self.native else "")
        hit = METRICS_CACHE.get(key)
        if hit is None:
            hit = compute_metrics(self.values, xyz=self.cie15_xyz())
            if len(METRICS_CACHE) >= CACHE_SIZE:
                METRICS_CACHE.pop(next(iter(METRICS_CACHE)))
            METRICS_CACHE[key] = hit
        return hit

    def summary(self, colorspace: str = "ACEScg", config: str | None = None) -> dict:
        """Metrics plus colour as a JSON-ready dict (the ``chroma light --json`` schema)."""
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


def _resolve(colorspace: str, config) -> str:
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


def reference_light(cct: float) -> Light:
    """The CIE 13.3-1995 reference illuminant for a CCT: a Planckian radiator below 5000 K,
    a CIE daylight (D-series, CIE 15:2004 §3.1) at or above."""
    c = colour()
    if cct < 5000.0:
        return Light.blackbody(cct)
    xy = c.temperature.CCT_to_xy_CIE_D(cct)
    sd = c.sd_CIE_illuminant_D_series(xy)
    return Light(align_spectrum(sd), f"CIE daylight {cct:.0f} K")
