"""Spectra on chroma's wavelength grid: observer, XYZ, measured spectra and LED models.

The CIE 1931 observer, XYZ of a spectrum, measured spectra (CSV parsing, resampling),
illuminant names, and LED / phosphor-white models:

- Grid and observer: 360-830 nm at 1 nm, the range of the CIE 1931 2 degree observer
  (CIE 15:2004 Table T.4); XYZ normalised to Y = 1 by 1 nm summation (CIE 15:2004 §7.1).
- Resampling: colour-science's interpolation (Sprague for uniform data, CIE 15:2004
  §7.2.1.1), linear for irregular data, constant extrapolation (§7.2.2.1).
- CIE 1960 UCS u, v (CIE 15:2004 eq. 8.2).
- LEDs: colour-science's Ohno (2005) single-LED model, "Spectral design considerations for
  white LED color rendering", Opt. Eng. 44(11), eq. 1; phosphor whites solved onto the
  Planckian locus.

colour-science is imported on first use (``chroma.colour_science``), never by ``import chroma``.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from typing import TYPE_CHECKING

import numpy as np

from chroma.colour_science import colour
from chroma.errors import ChromaValueError, closest

if TYPE_CHECKING:
    from colour import SpectralDistribution, SpectralShape

#: Wavelength grid of every light: 360-830 nm at 1 nm (CIE 1931 2 degree observer range).
WAVELENGTHS = np.arange(360.0, 831.0, 1.0)
#: Maximum luminous efficacy of photopic vision, lm/W (CIE 15:2004; SI candela definition).
K_M = 683.0

_OBSERVER = "CIE 1931 2 Degree Standard Observer"
_MIN_SAMPLES = 5
#: First and last wavelength of :data:`WAVELENGTHS`, nm.
SPECTRAL_RANGE = (360.0, 830.0)
_NEEDED = (380.0, 780.0)  # CIE 13.3 and TM-30 evaluate 380-780 nm

#: Illuminant names accepted besides colour-science's own keys (CIE 15 calls them F1-F12).
_ALIASES = {f"F{i}": f"FL{i}" for i in range(1, 13)}


@functools.cache
def spectral_shape() -> SpectralShape:
    """
    Return the colour-science spectral shape of chroma's spectra.

    Returns
    -------
    colour.SpectralShape
        :data:`SPECTRAL_RANGE` (360-830 nm) at a 1 nm interval.

    Examples
    --------
    >>> spectral_shape()
    SpectralShape(360.0, 830.0, 1.0)
    """
    return colour().SpectralShape(SPECTRAL_RANGE[0], SPECTRAL_RANGE[1], 1.0)


@functools.cache
def cmfs() -> np.ndarray:
    """
    Return the CIE 1931 2 degree colour-matching functions on :data:`WAVELENGTHS`.

    Returns
    -------
    numpy.ndarray
        Read-only float64 array of shape (471, 3): x-bar, y-bar, z-bar per nm.

    References
    ----------
    .. [1] CIE 15:2004, "Colorimetry", 3rd ed., Table T.4.

    Examples
    --------
    >>> cmfs().shape
    (471, 3)
    >>> cmfs()[WAVELENGTHS == 555].round(4)  # x-bar, y-bar, z-bar at 555 nm
    array([[ 0.5121,  1.    ,  0.0057]])
    """
    c = colour().MSDS_CMFS[_OBSERVER].copy().align(spectral_shape())
    out = np.asarray(c.values, dtype=np.float64)
    out.setflags(write=False)
    return out


@functools.cache
def photopic() -> np.ndarray:
    """
    Return the CIE 1924 photopic luminous efficiency function on :data:`WAVELENGTHS`.

    Returns
    -------
    numpy.ndarray
        Read-only float64 array of shape (471,): V(lambda), peak 1 at 555 nm.

    References
    ----------
    .. [1] CIE 15:2004, "Colorimetry", 3rd ed., Table T.4 (y-bar = V(lambda)).

    Examples
    --------
    >>> round(float(photopic()[WAVELENGTHS == 555][0]), 6)  # V(555 nm) = 1
    1.0
    """
    v = np.asarray(colour().SDS_LEFS["CIE 1924 Photopic Standard Observer"].copy().align(spectral_shape()).values, np.float64)
    v.setflags(write=False)
    return v


def align_spectrum(sd: SpectralDistribution) -> np.ndarray:
    """
    Return a colour-science spectral distribution's values on :data:`WAVELENGTHS`.

    Interpolated by colour-science (Sprague for uniform 5 nm data) and extrapolated with
    the end values; negative interpolation ringing is clipped to 0.

    Parameters
    ----------
    sd : colour.SpectralDistribution
        Relative spectral power at any wavelengths (nm); not modified.

    Returns
    -------
    numpy.ndarray
        Float64 array of shape (471,), relative power >= 0.

    References
    ----------
    .. [1] CIE 15:2004, "Colorimetry", 3rd ed., §7.2.1.1 (interpolation) and §7.2.2.1
       (extrapolation).

    Examples
    --------
    >>> from chroma.colour_science import colour
    >>> values = align_spectrum(colour().SDS_ILLUMINANTS["D65"])
    >>> values.shape, round(float(values[WAVELENGTHS == 560][0]), 1)  # D65 is 100 at 560 nm
    ((471,), 100.0)
    """
    aligned = sd.copy().align(spectral_shape())
    return np.clip(np.asarray(aligned.values, dtype=np.float64), 0.0, None)


def spectrum_xyz(values: np.ndarray) -> np.ndarray:
    """
    Return the CIE 1931 XYZ of relative spectra on :data:`WAVELENGTHS`, with Y = 1.

    Parameters
    ----------
    values : numpy.ndarray
        Relative spectral power, shape (..., 471), 360-830 nm at 1 nm.

    Returns
    -------
    numpy.ndarray
        XYZ of shape (..., 3), normalised to Y = 1 (1 nm summation).

    References
    ----------
    .. [1] CIE 15:2004, "Colorimetry", 3rd ed., §7.1.

    Examples
    --------
    >>> spectrum_xyz(np.ones(471)).round(4)  # the equal-energy spectrum E: X = Y = Z
    array([ 1.0001,  1.    ,  1.0003])
    """
    v = np.asarray(values, dtype=np.float64)
    xyz = v @ cmfs()
    return xyz / xyz[..., 1:2]


def native_samples(sd: SpectralDistribution) -> tuple[np.ndarray, np.ndarray] | None:
    """
    Return a tabulated spectrum's own samples inside 360-830 nm, if coarser than 1 nm.

    CIE tables are given at 5 nm; CIE 15 sums them at that interval, so their xy and CCT
    are computed there rather than on the 1 nm resampling.

    Parameters
    ----------
    sd : colour.SpectralDistribution
        A tabulated spectral distribution (wavelengths in nm).

    Returns
    -------
    tuple of numpy.ndarray or None
        Read-only (wavelengths nm, relative power >= 0) inside 360-830 nm when the samples
        sit on whole nanometres at one uniform interval above 1 nm; else None.

    Examples
    --------
    >>> from chroma.colour_science import colour
    >>> wl, values = native_samples(colour().SDS_ILLUMINANTS["FL2"])  # tabulated every 5 nm
    >>> wl[:3], len(wl)
    (array([ 380.,  385.,  390.]), 81)
    """
    wl = np.asarray(sd.wavelengths, np.float64)
    v = np.asarray(sd.values, np.float64)
    if wl.size < 3:
        return None
    step = np.diff(wl)
    if not (np.allclose(step, step[0]) and step[0] > 1.0 and np.allclose(wl, np.round(wl))):
        return None
    keep = (wl >= SPECTRAL_RANGE[0]) & (wl <= SPECTRAL_RANGE[1])
    out = (wl[keep].copy(), np.clip(v[keep], 0.0, None))
    for a in out:
        a.setflags(write=False)
    return out


def sampled_xyz(wavelengths: np.ndarray, values: np.ndarray) -> np.ndarray:
    """
    Return the XYZ of a relative spectrum summed at its own wavelengths, with Y = 1.

    The CIE 1931 observer is taken at those wavelengths, as CIE 15 sums tabulated data at
    the data's interval (5 nm for the CIE illuminants) rather than interpolating it.

    Parameters
    ----------
    wavelengths : numpy.ndarray
        Whole nanometres inside 360-830 nm, shape (n,).
    values : numpy.ndarray
        Relative spectral power at ``wavelengths``, shape (..., n).

    Returns
    -------
    numpy.ndarray
        XYZ of shape (..., 3), normalised to Y = 1.

    References
    ----------
    .. [1] CIE 15:2004, "Colorimetry", 3rd ed., §7.1.

    Examples
    --------
    >>> wl = np.arange(360.0, 831.0, 5.0)
    >>> sampled_xyz(wl, np.ones_like(wl)).round(3)
    array([ 1.,  1.,  1.])
    """
    idx = (np.asarray(wavelengths) - SPECTRAL_RANGE[0]).round().astype(int)
    xyz = np.asarray(values, np.float64) @ cmfs()[idx]
    return xyz / xyz[..., 1:2]


def xyz_to_uv(xyz: np.ndarray) -> np.ndarray:
    """
    Return the CIE 1960 UCS chromaticity u, v of XYZ.

    This is colour-science's ``UCS_to_uv(XYZ_to_UCS(xyz))`` written in numpy: the
    phosphor-white solver calls it on every residual (colour's route costs ~10x more).

    Parameters
    ----------
    xyz : numpy.ndarray
        CIE 1931 XYZ, shape (..., 3), any scale.

    Returns
    -------
    numpy.ndarray
        The u, v of shape (..., 2): ``u = 4X / (X + 15Y + 3Z)``, ``v = 6Y / (X + 15Y + 3Z)``.

    References
    ----------
    .. [1] CIE 15:2004, "Colorimetry", 3rd ed., eq. 8.2.

    Examples
    --------
    >>> xyz_to_uv(np.array([0.95047, 1.0, 1.08883])).round(4)  # D65
    array([ 0.1978,  0.3122])
    """
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    d = x + 15.0 * y + 3.0 * z
    return np.stack([4.0 * x / d, 6.0 * y / d], axis=-1)


@functools.cache
def illuminant_names() -> tuple[str, ...]:
    """
    Return the illuminant names :meth:`chroma.lights.Light.illuminant` accepts.

    Returns
    -------
    tuple of str
        The keys of colour-science's tabulated illuminants (A, D50, D65, FL1-FL12, LED-B1...).

    Examples
    --------
    >>> {"A", "D65", "FL2"} <= set(illuminant_names())
    True
    """
    return tuple(colour().SDS_ILLUMINANTS.keys())


def illuminant_key(name: str) -> str:
    """
    Return colour-science's key of a CIE illuminant name as chroma accepts it.

    Parameters
    ----------
    name : str
        An illuminant name in any case; F1-F12 are read as FL1-FL12 (CIE 15 spellings).

    Returns
    -------
    str
        The key of ``colour.SDS_ILLUMINANTS``, e.g. ``"FL2"`` for ``"f2"``.

    Raises
    ------
    chroma.errors.ChromaValueError
        For an unknown name; the message lists the closest known names.

    Examples
    --------
    >>> illuminant_key("F2")
    'FL2'
    >>> illuminant_key("d65")
    'D65'
    """
    names = illuminant_names()
    s = str(name).strip()
    s = _ALIASES.get(s.upper(), s)
    lowered = {n.lower(): n for n in names}
    if s.lower() in lowered:
        return lowered[s.lower()]
    hint = closest(s, names)
    raise ChromaValueError(
        f"unknown illuminant {name!r}" + (f"; {hint}" if hint else "")
        + " (known: A, D50, D55, D65, D75, FL1-FL12, FL3.1-FL3.15, HP1-HP5, LED-B1-B5, LED-BH1, LED-RGB1, LED-V1, LED-V2)"
    )


def parse_peaks(spec: str) -> list[tuple[float, ...]]:
    """
    Return the LED emitters of a ``PEAK:FWHM[:POWER],...`` specification.

    Parameters
    ----------
    spec : str
        Comma-separated emitters: peak wavelength (nm), full width at half maximum (nm)
        and an optional relative power (default 1), e.g. ``"450:20,530:30:0.8"``.

    Returns
    -------
    list of tuple of float
        One (peak, fwhm) or (peak, fwhm, power) tuple per emitter, unchecked ranges.

    Raises
    ------
    chroma.errors.ChromaValueError
        For an item that is not two or three numbers, or no item at all.

    Examples
    --------
    >>> parse_peaks("450:20, 530:30:0.8")
    [(450.0, 20.0), (530.0, 30.0, 0.8)]
    """
    rows = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            nums = tuple(float(x) for x in item.split(":"))
        except ValueError:
            nums = ()
        if len(nums) not in (2, 3):
            raise ChromaValueError(
                f"LED spec {spec!r}: each peak is PEAK:FWHM[:POWER] in nm, e.g. '450:20,560:100' "
                "or '450:20:1,530:30:0.8,630:20:1.2'; a phosphor white is 'pc:5600'"
            )
        rows.append(nums)
    if not rows:
        raise ChromaValueError(f"LED spec {spec!r} has no peaks; e.g. '450:20,560:100' or 'pc:5600'")
    return rows


def parse_csv(text: str, path: str) -> tuple[np.ndarray, np.ndarray]:
    """
    Return the samples of a measured spectrum's CSV text.

    Rows are ``wavelength_nm, relative_power`` separated by commas, semicolons, tabs or
    spaces; ``#`` comments, blank lines and one header line are skipped.

    Parameters
    ----------
    text : str
        The file's text.
    path : str
        The file's name, for messages.

    Returns
    -------
    tuple of numpy.ndarray
        (wavelengths nm, relative power), float64, in file order.

    Raises
    ------
    chroma.errors.ChromaValueError
        For a row that is not two numbers (naming the line), a non-finite value, a negative
        power or fewer than 5 samples.

    Examples
    --------
    >>> rows = ["nm,power", "400,0.1", "450,0.5", "500,1.0", "550,0.6", "600,0.2"]
    >>> wl, power = parse_csv(chr(10).join(rows), "led.csv")  # lines joined by newlines
    >>> wl, power
    (array([ 400.,  450.,  500.,  550.,  600.]), array([ 0.1,  0.5,  1. ,  0.6,  0.2]))
    """
    lines = text.splitlines()
    wl: list[float] = []
    pw: list[float] = []
    seen_data = False
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in re.split(r"[,;\t ]+", line) if c.strip()]
        try:
            if len(cells) < 2:
                raise ValueError
            w, p = float(cells[0]), float(cells[1])
        except ValueError:
            if not seen_data and not wl:
                seen_data = True  # one header line is allowed
                continue
            raise ChromaValueError(
                f"{path}, line {lineno}: {raw.strip()[:60]!r} is not 'wavelength_nm, relative_power' "
                "(two numbers); fix or remove the row"
            ) from None
        seen_data = True
        if not (math.isfinite(w) and math.isfinite(p)):
            raise ChromaValueError(f"{path}, line {lineno}: wavelength and power must be finite numbers")
        if p < 0:
            raise ChromaValueError(
                f"{path}, line {lineno}: negative spectral power {p:g} at {w:g} nm; power must be >= 0 "
                "(clip measurement noise to 0)"
            )
        wl.append(w)
        pw.append(p)
    if len(wl) < _MIN_SAMPLES:
        raise ChromaValueError(
            f"{path}: {len(wl)} spectral sample(s); a spectrum needs at least {_MIN_SAMPLES} "
            "(wavelength_nm, relative_power) rows covering 380-780 nm"
        )
    return np.asarray(wl, np.float64), np.asarray(pw, np.float64)


def resample_spectrum(wl: np.ndarray, pw: np.ndarray, what: str) -> np.ndarray:
    """
    Return a sampled spectrum of any spacing on :data:`WAVELENGTHS`.

    Uniformly spaced data (6 samples or more) is interpolated by colour-science (Sprague),
    irregular data linearly; both extrapolate the end values. Samples outside 360-830 nm
    are dropped with a :class:`chroma.io.ChromaWarning`.

    Parameters
    ----------
    wl : numpy.ndarray
        Wavelengths in nm, shape (n,), any order; they must cover 380-780 nm.
    pw : numpy.ndarray
        Relative spectral power at ``wl``, shape (n,), >= 0.
    what : str
        What the spectrum is (a file name), for messages.

    Returns
    -------
    numpy.ndarray
        Float64 relative power of shape (471,), >= 0.

    Raises
    ------
    chroma.errors.ChromaValueError
        For unequal or non-finite arrays, negative power, fewer than 5 samples, a repeated
        wavelength, no coverage of 380-780 nm or no power inside 360-830 nm.

    References
    ----------
    .. [1] CIE 15:2004, "Colorimetry", 3rd ed., §7.2.1.1 (interpolation) and §7.2.2.1
       (extrapolation).

    Examples
    --------
    >>> values = resample_spectrum(np.arange(360.0, 831.0, 10.0), np.ones(48), "a flat spectrum")
    >>> values.shape, float(values.min()), float(values.max())
    ((471,), 1.0, 1.0)
    """
    wl, pw = _sorted_samples(wl, pw, what)
    wl, pw = _inside_range(wl, pw, what)
    return _on_grid(wl, pw, what)


def _sorted_samples(wl: np.ndarray, pw: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """The samples checked (finite, >= 0, enough, no repeated wavelength) and sorted by wavelength."""
    if wl.shape != pw.shape or wl.ndim != 1:
        raise ChromaValueError(f"{what}: wavelengths and powers must be two equal-length lists")
    if not (np.all(np.isfinite(wl)) and np.all(np.isfinite(pw))):
        raise ChromaValueError(f"{what}: wavelengths and powers must be finite numbers")
    if np.any(pw < 0):
        i = int(np.argmax(pw < 0))
        raise ChromaValueError(f"{what}: negative spectral power {pw[i]:g} at {wl[i]:g} nm; power must be >= 0")
    if wl.size < _MIN_SAMPLES:
        raise ChromaValueError(f"{what}: {wl.size} spectral sample(s); a spectrum needs at least {_MIN_SAMPLES}")
    order = np.argsort(wl, kind="stable")
    wl, pw = wl[order], pw[order]
    if np.any(np.diff(wl) == 0):
        dup = wl[1:][np.diff(wl) == 0][0]
        raise ChromaValueError(f"{what}: wavelength {dup:g} nm appears twice; give each wavelength once")
    return wl, pw


def _inside_range(wl: np.ndarray, pw: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorted samples that cover 380-780 nm, cut to 360-830 nm plus one neighbour each side (warns)."""
    lo, hi = float(wl[0]), float(wl[-1])
    inside = (wl >= SPECTRAL_RANGE[0]) & (wl <= SPECTRAL_RANGE[1])
    if not inside.any() or lo > _NEEDED[0] or hi < _NEEDED[1]:
        raise ChromaValueError(
            f"{what}: the spectrum spans {lo:g}-{hi:g} nm; it must cover at least 380-780 nm "
            "within 360-830 nm (the range CIE 13.3 and TM-30 evaluate)"
        )
    if not inside.all():
        from chroma.io import ChromaWarning

        warnings.warn(  # stacklevel: the caller of Light.from_values / from_csv
            f"{what}: samples outside 360-830 nm ({lo:g}-{hi:g} nm given) are ignored", ChromaWarning, stacklevel=4
        )
        # keep one neighbour outside so interpolation at the edges stays exact
        keep = inside.copy()
        idx = np.flatnonzero(inside)
        keep[max(idx[0] - 1, 0)] = keep[min(idx[-1] + 1, wl.size - 1)] = True
        wl, pw = wl[keep], pw[keep]
    if pw.max() <= 0:
        raise ChromaValueError(f"{what}: the spectral power is zero everywhere")
    return wl, pw


def _on_grid(wl: np.ndarray, pw: np.ndarray, what: str) -> np.ndarray:
    """Sorted samples on :data:`WAVELENGTHS`: colour's interpolation if uniform, else linear."""
    steps = np.diff(wl)
    if np.allclose(steps, steps[0], rtol=0, atol=1e-6) and wl.size >= 6:
        c = colour()
        sd = c.SpectralDistribution(pw, wl)
        try:
            values = align_spectrum(sd)
        except Exception:  # colour's interpolators refuse some grids; fall back to linear
            values = np.interp(WAVELENGTHS, wl, pw)
    else:
        values = np.interp(WAVELENGTHS, wl, pw)
    values = np.clip(values, 0.0, None)
    if values.max() <= 0:
        raise ChromaValueError(f"{what}: the spectral power is zero within 360-830 nm")
    return values


def _gaussian(peak: float, fwhm: float) -> np.ndarray:
    """Peak-1 Gaussian of full width ``fwhm`` nm: ``colour.sd_gaussian(peak, fwhm, method="FWHM")``.

    Kept in numpy for speed: the phosphor-white solver calls it on every residual, where
    colour's SpectralDistribution costs ~0.5 ms a call, 10x the maths (tested equal).
    """
    sigma = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    return np.exp(-0.5 * ((WAVELENGTHS - peak) / sigma) ** 2)


#: Ohno (2005) LED shape S = (g + 2 g^5) / 3 with g = exp(-((l - l0) / w)^2) falls to half
#: its peak at |l - l0| = 0.460912 w, so a full width at half maximum F needs w = F / 0.921823.
_OHNO_FWHM = 0.9218231196498199


def ohno_led(peak: float, fwhm: float) -> np.ndarray:
    """
    Return one LED emitter on :data:`WAVELENGTHS`, with a peak of 1.

    colour-science's single-LED model (``colour.sd_single_led``, method "Ohno 2005"),
    whose width parameter is set so that ``fwhm`` is the true full width at half maximum.

    Parameters
    ----------
    peak : float
        Peak wavelength, nm.
    fwhm : float
        Full width at half maximum, nm.

    Returns
    -------
    numpy.ndarray
        Float64 relative power of shape (471,).

    References
    ----------
    .. [1] Ohno, Y. (2005). "Spectral design considerations for white LED color
       rendering". Optical Engineering, 44(11), 111302, eq. 1.

    Examples
    --------
    >>> led = ohno_led(450.0, 20.0)
    >>> float(WAVELENGTHS[led.argmax()]), float(led.max())
    (450.0, 1.0)
    >>> half = WAVELENGTHS[led >= 0.5]
    >>> float(half[-1] - half[0])  # about the 20 nm FWHM, on the 1 nm grid
    20.0
    """
    sd = colour().sd_single_led(peak, spectral_shape(), method="Ohno 2005",
                                half_spectral_width=fwhm / _OHNO_FWHM)
    return np.asarray(sd.values, dtype=np.float64)


@functools.cache
def _blue_die() -> np.ndarray:
    v = ohno_led(450.0, 20.0)
    v.setflags(write=False)
    return v


@functools.lru_cache(maxsize=64)
def pc_white(cct: float, phosphor_fwhm: float) -> tuple[np.ndarray, str]:
    """
    Return a phosphor-converted white LED on the Planckian locus at a CCT.

    A 450 nm blue die (Ohno 2005 shape, 20 nm wide) plus a Gaussian phosphor band whose
    peak and strength are solved (scipy least squares, three starts) so that the mix has
    the Planckian radiator's CIE 1960 UCS chromaticity at ``cct`` (Duv 0).

    Parameters
    ----------
    cct : float
        Correlated colour temperature, Kelvin, 2000-10000.
    phosphor_fwhm : float
        Full width at half maximum of the phosphor band, nm, 40-200.

    Returns
    -------
    values : numpy.ndarray
        Read-only relative power of shape (471,), peak 1.
    name : str
        ``"led pc:CCT"``.

    Raises
    ------
    chroma.errors.ChromaValueError
        For a CCT or width out of range, or when no mix reaches the locus within 5e-5 uv.

    References
    ----------
    .. [1] Ohno, Y. (2005). "Spectral design considerations for white LED color
       rendering". Optical Engineering, 44(11), 111302.

    Examples
    --------
    >>> values, name = pc_white(4000.0, 100.0)
    >>> name, values.shape
    ('led pc:4000', (471,))
    """
    from scipy.optimize import least_squares

    if not (2000.0 <= cct <= 10000.0):
        raise ChromaValueError(f"phosphor-white CCT {cct:g} K is outside 2000-10000 K")
    if not (40.0 <= phosphor_fwhm <= 200.0):
        raise ChromaValueError(f"phosphor width {phosphor_fwhm:g} nm is outside 40-200 nm")
    target = xyz_to_uv(spectrum_xyz(np.asarray(colour().sd_blackbody(cct, spectral_shape()).values)))
    blue = _blue_die()

    def _mix(p: np.ndarray) -> np.ndarray:
        peak, log_ratio = p
        return blue + math.exp(log_ratio) * _gaussian(peak, phosphor_fwhm)

    def _resid(p: np.ndarray) -> np.ndarray:
        return (xyz_to_uv(spectrum_xyz(_mix(p))) - target) * 1e3

    sols = [least_squares(_resid, x0=[start, 0.5], bounds=([480.0, -6.0], [700.0, 8.0]), xtol=1e-12, ftol=1e-12)
            for start in (540.0, 580.0, 620.0)]
    best = min(sols, key=lambda sol: sol.cost)
    err = float(np.hypot(*_resid(best.x))) / 1e3
    if err > 5e-5:
        raise ChromaValueError(
            f"no blue + phosphor mix of width {phosphor_fwhm:g} nm reaches {cct:g} K on the Planckian "
            f"locus (off by {err:.1e} in uv); try another width, e.g. pc:{cct:g}:110"
        )
    v = _mix(best.x)
    v = v / v.max()
    v.setflags(write=False)
    return v, f"led pc:{cct:g}"
