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

import numpy as np

from chroma._colour import colour
from chroma.lights.spectra import K_M, WAVELENGTHS, photopic, spectrum_xyz, xyz_to_uv

#: CIE 13.3-1995 §5.3: CRI is meaningful only when the test source's chromaticity is within
#: 5.4e-3 (Delta C in the CIE 1960 UCS) of the Planckian locus.
CRI_DUV_LIMIT = 5.4e-3


@dataclass(frozen=True)
class LightMetrics:
    """Every number chroma reports for a light, with the standard it follows.

    cct, duv: CCT in kelvin and Duv, Ohno 2013 method (LEUKOS 10(1), 2014), CIE 1960 UCS.
    cri_ra, cri_ri: CIE 13.3-1995 general index Ra and special indices R1-R14.
    cri_valid: |Duv| <= 5.4e-3 (CIE 13.3-1995 §5.3); otherwise the CRI is not meaningful.
    tm30_rf, tm30_rg: ANSI/IES TM-30-18 fidelity and gamut index (Rf = CIE 224:2017 Rf).
    efficacy_lm_per_w: luminous efficacy of radiation, K_m = 683 lm/W, 360-830 nm.
    xy: CIE 1931 chromaticity.
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

    def as_dict(self) -> dict:
        """Deprecated alias of :meth:`to_dict` (kept for one release)."""
        from chroma.deprecation import warn_deprecated

        warn_deprecated("LightMetrics.as_dict", "LightMetrics.to_dict")
        return self.to_dict()

    def to_dict(self) -> dict:
        """The fields as a JSON-ready dict."""
        d = asdict(self)
        d["cri_ri"] = list(self.cri_ri)
        d["xy"] = list(self.xy)
        return d


METRICS_CACHE: dict[str, LightMetrics] = {}
CACHE_SIZE = 256


def spectrum_key(values: np.ndarray) -> str:
    """Cache key of a spectrum on :data:`WAVELENGTHS` (a hash of its float64 values)."""
    v = np.asarray(values, dtype=np.float64)
    return hashlib.sha1((v / v.max()).round(12).tobytes()).hexdigest()


def cct_duv(xyz: np.ndarray) -> tuple[float, float]:
    """CCT (K) and Duv of XYZ, Ohno 2013 method (colour-science), CIE 1960 UCS."""
    cct, duv = colour().uv_to_CCT(xyz_to_uv(xyz), method="Ohno 2013")
    return float(cct), float(duv)


def compute_metrics(values: np.ndarray, xyz: np.ndarray | None = None) -> LightMetrics:
    """All metrics of a relative SPD on :data:`WAVELENGTHS`, uncached (see :meth:`Light.metrics`).
    ``xyz``: the light's XYZ when it is not summed on the 1 nm grid (tabulated 5 nm data)."""
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
    """Forget cached metrics."""
    METRICS_CACHE.clear()
