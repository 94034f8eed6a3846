"""A light's metrics from its spectrum, cached per spectrum shape.

- CCT and Duv: Ohno (2014) "Practical use and calculation of CCT and Duv", LEUKOS 10(1),
  in the CIE 1960 UCS (CIE 15:2004 §8.1). Duv is positive above the Planckian locus.
- CRI: CIE 13.3-1995 test-colour method, Ra (mean of R1-R8) and R1-R14 (R9: saturated red).
- Rf and Rg: ANSI/IES TM-30-18 (Rf is identical to CIE 224:2017 Rf).
- Luminous efficacy of radiation (LER, lm/W): K_m * sum(S V) / sum(S) with
  K_m = 683 lm/W (CIE 15:2004; the SI definition of the candela) over 360-830 nm.

colour-science computes the standard metrics; chroma caches them per spectrum.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from chroma.colour_science import colour
from chroma.deprecation import deprecated_alias
from chroma.lights.spectra import K_M, WAVELENGTHS, photopic, spectrum_xyz

#: CIE 13.3-1995 §5.3: CRI is meaningful only when the test source's chromaticity is within
#: 5.4e-3 (Delta C in the CIE 1960 UCS) of the Planckian locus.
CRI_DUV_LIMIT = 5.4e-3


@dataclass(frozen=True)
class LightMetrics:
    """
    Every number chroma reports for a light, with the standard it follows.

    Attributes
    ----------
    cct : float
        Correlated colour temperature, Kelvin (Ohno 2013 method, CIE 1960 UCS).
    duv : float
        Signed distance from the Planckian locus in the CIE 1960 UCS, positive above it.
    cri_ra : float
        CIE 13.3-1995 general colour rendering index Ra (mean of R1-R8).
    cri_ri : tuple of float
        CIE 13.3-1995 special indices R1-R14 (R9: saturated red).
    cri_valid : bool
        Whether ``abs(duv) <= 5.4e-3`` (CIE 13.3-1995 §5.3); otherwise the CRI is not meaningful.
    tm30_rf : float
        ANSI/IES TM-30-18 fidelity index Rf (identical to CIE 224:2017 Rf).
    tm30_rg : float
        ANSI/IES TM-30-18 gamut index Rg.
    efficacy_lm_per_w : float
        Luminous efficacy of radiation, lm/W: K_m = 683 lm/W over 360-830 nm.
    xy : tuple of float
        CIE 1931 chromaticity x, y.

    References
    ----------
    .. [1] Ohno, Y. (2014). "Practical use and calculation of CCT and Duv". LEUKOS,
       10(1), 47-55.
    .. [2] CIE 13.3-1995, "Method of measuring and specifying colour rendering properties
       of light sources".
    .. [3] ANSI/IES TM-30-18, "IES Method for Evaluating Light Source Color Rendition".

    Examples
    --------
    >>> from chroma.lights import Light
    >>> m = compute_metrics(Light.illuminant("D65").values)
    >>> round(m.cct), round(m.cri_ra), m.cri_valid
    (6503, 100, True)
    """

    cct: float
    duv: float
    cri_ra: float
    cri_ri: tuple[float, ...]
    cri_valid: bool
    tm30_rf: float
    tm30_rg: float
    efficacy_lm_per_w: float
    xy: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """
        Return the fields as a JSON-ready dict.

        Returns
        -------
        dict
            Field name to value; ``cri_ri`` and ``xy`` as lists.
        """
        d = asdict(self)
        d["cri_ri"] = list(self.cri_ri)
        d["xy"] = list(self.xy)
        return d

    as_dict = deprecated_alias(to_dict, "LightMetrics.as_dict", "LightMetrics.to_dict")


#: Computed metrics by :func:`cache_key` (oldest dropped past :data:`CACHE_SIZE`).
METRICS_CACHE: dict[str, LightMetrics] = {}
#: Most spectra whose metrics are kept.
CACHE_SIZE = 256


def spectrum_key(values: np.ndarray) -> str:
    """
    Return the cache key of a spectrum's shape, whatever its scale.

    Parameters
    ----------
    values : numpy.ndarray
        Relative spectral power on :data:`WAVELENGTHS`, shape (471,).

    Returns
    -------
    str
        SHA-1 hex digest of the spectrum normalised to peak 1, rounded to 12 decimals.

    Examples
    --------
    >>> flat = np.ones(471)
    >>> spectrum_key(flat) == spectrum_key(2.5 * flat)  # the shape, not the scale
    True
    """
    v = np.asarray(values, dtype=np.float64)
    return hashlib.sha1((v / v.max()).round(12).tobytes()).hexdigest()


def cache_key(values: np.ndarray, tabulated: bool = False) -> str:
    """
    Return the key of a light's metrics in :data:`METRICS_CACHE`.

    Parameters
    ----------
    values : numpy.ndarray
        Relative spectral power on :data:`WAVELENGTHS`, shape (471,).
    tabulated : bool, default False
        Whether the light's XYZ is summed at its tabulated interval (5 nm CIE tables),
        which makes it another entry than its 1 nm resampling.

    Returns
    -------
    str
        :func:`spectrum_key`, with ``"/native"`` appended for tabulated data.

    Examples
    --------
    >>> flat = np.ones(471)
    >>> cache_key(flat, tabulated=True) == spectrum_key(flat) + "/native"
    True
    """
    return spectrum_key(values) + ("/native" if tabulated else "")


def cached(key: str) -> LightMetrics | None:
    """
    Return the metrics cached under a key, if any.

    Parameters
    ----------
    key : str
        A :func:`cache_key`.

    Returns
    -------
    LightMetrics or None
        The cached metrics, or None when they were not computed yet.

    Examples
    --------
    >>> clear_cache()
    >>> cached(cache_key(np.ones(471))) is None
    True
    >>> m = cached_metrics(np.ones(471))
    >>> cached(cache_key(np.ones(471))) is m
    True
    """
    return METRICS_CACHE.get(key)


def cached_metrics(values: np.ndarray, xyz: np.ndarray | None = None, tabulated: bool = False) -> LightMetrics:
    """
    Return a spectrum's metrics, computed once per :func:`cache_key`.

    Parameters
    ----------
    values : numpy.ndarray
        Relative spectral power on :data:`WAVELENGTHS`, shape (471,).
    xyz : numpy.ndarray, optional
        The light's XYZ (Y = 1) when it is not summed on the 1 nm grid.
    tabulated : bool, default False
        Whether ``xyz`` is summed at the data's tabulated interval (see :func:`cache_key`).

    Returns
    -------
    LightMetrics
        The same object for every spectrum of the same shape.

    Examples
    --------
    >>> a = cached_metrics(np.ones(471))
    >>> cached_metrics(3.0 * np.ones(471)) is a  # computed once per spectrum shape
    True
    >>> round(a.cct)  # the equal-energy illuminant E: about 5455 K
    5456
    """
    key = cache_key(values, tabulated)
    hit = METRICS_CACHE.get(key)
    if hit is None:
        hit = compute_metrics(values, xyz=xyz)
        if len(METRICS_CACHE) >= CACHE_SIZE:
            METRICS_CACHE.pop(next(iter(METRICS_CACHE)))
        METRICS_CACHE[key] = hit
    return hit


def cct_duv(xyz: np.ndarray) -> tuple[float, float]:
    """
    Return the CCT and Duv of XYZ.

    colour-science's CIE 1960 UCS route (``XYZ_to_UCS``, ``UCS_to_uv``) and its Ohno
    method (``uv_to_CCT``, method "Ohno 2013", the paper published in 2014).

    Parameters
    ----------
    xyz : numpy.ndarray
        CIE 1931 XYZ, shape (3,), any scale.

    Returns
    -------
    cct : float
        Correlated colour temperature, Kelvin.
    duv : float
        Signed distance from the Planckian locus in the CIE 1960 UCS, positive above it.

    References
    ----------
    .. [1] Ohno, Y. (2014). "Practical use and calculation of CCT and Duv". LEUKOS,
       10(1), 47-55.
    .. [2] CIE 15:2004, "Colorimetry", 3rd ed., eq. 8.2 (CIE 1960 UCS).

    Examples
    --------
    >>> cct, duv = cct_duv(np.array([0.95047, 1.0, 1.08883]))  # D65
    >>> round(cct), round(duv, 4)
    (6503, 0.0032)
    """
    c = colour()
    cct, duv = c.uv_to_CCT(c.UCS_to_uv(c.XYZ_to_UCS(np.asarray(xyz, np.float64))), method="Ohno 2013")
    return float(cct), float(duv)


def compute_metrics(values: np.ndarray, xyz: np.ndarray | None = None) -> LightMetrics:
    """
    Return every metric of a relative spectrum, uncached.

    :meth:`chroma.lights.Light.metrics` caches them (:func:`cached_metrics`).

    Parameters
    ----------
    values : numpy.ndarray
        Relative spectral power on :data:`WAVELENGTHS`, shape (471,).
    xyz : numpy.ndarray, optional
        The light's XYZ (Y = 1) when it is not summed on the 1 nm grid (tabulated 5 nm
        data); by default :func:`chroma.lights.spectrum_xyz` of ``values``.

    Returns
    -------
    LightMetrics
        CCT, Duv, CRI, TM-30, efficacy and xy.

    References
    ----------
    .. [1] CIE 13.3-1995, "Method of measuring and specifying colour rendering properties
       of light sources".
    .. [2] ANSI/IES TM-30-18, "IES Method for Evaluating Light Source Color Rendition".
    .. [3] CIE 15:2004, "Colorimetry", 3rd ed. (K_m = 683 lm/W).

    Examples
    --------
    >>> from chroma.lights import Light
    >>> m = compute_metrics(Light.illuminant("A").values)
    >>> round(m.cct), abs(m.duv) < 1e-4, round(m.cri_ra), round(m.tm30_rf)
    (2856, True, 100, 100)
    """
    with warnings.catch_warnings():  # colour-science reports its own internal re-alignments
        warnings.simplefilter("ignore")
        return _compute_metrics(values, xyz)


def _compute_metrics(values: np.ndarray, xyz: np.ndarray | None = None) -> LightMetrics:
    c = colour()
    v = np.asarray(values, dtype=np.float64)
    sd = c.SpectralDistribution(v, WAVELENGTHS)
    xyz = spectrum_xyz(v) if xyz is None else np.asarray(xyz, np.float64)
    cct, duv = cct_duv(xyz)
    cri = c.colour_rendering_index(sd, additional_data=True, method="CIE 1995")
    ri = tuple(float(cri.Q_as[i].Q_a) for i in range(1, 15))
    tm30 = c.colour_fidelity_index(sd, additional_data=True, method="ANSI/IES TM-30-18")
    efficacy = K_M * float(np.sum(v * photopic()) / np.sum(v))
    xy = xyz[:2] / xyz.sum()
    return LightMetrics(
        cct=cct, duv=duv, cri_ra=float(cri.Q_a), cri_ri=ri, cri_valid=abs(duv) <= CRI_DUV_LIMIT,
        tm30_rf=float(tm30.R_f), tm30_rg=float(tm30.R_g), efficacy_lm_per_w=efficacy,
        xy=(float(xy[0]), float(xy[1])),
    )


def clear_cache() -> None:
    """Forget every cached metric (:data:`METRICS_CACHE`).

    Examples
    --------
    >>> m = cached_metrics(np.ones(471))
    >>> clear_cache()
    >>> len(METRICS_CACHE)
    0
    """
    METRICS_CACHE.clear()
