"""Spectral lights: colour, CCT/Duv, CRI, TM-30 and efficacy from one spectrum.

A light on set is a spectrum, not an RGB triple. :class:`Light` holds a relative spectral
power distribution (SPD) on a 1 nm grid from 360 to 830 nm (the range of the CIE 1931
observer, CIE 15:2004 Table T.4) plus an intensity in stops (or lux), and derives every
number from that one spectrum:

- CCT and Duv: Ohno (2014) "Practical use and calculation of CCT and Duv", LEUKOS 10(1),
  in the CIE 1960 UCS (CIE 15:2004 §8.1). Duv is positive above the Planckian locus.
- CRI: CIE 13.3-1995 test-colour method, Ra (mean of R1-R8) and R1-R14 (R9: saturated red).
- Rf and Rg: ANSI/IES TM-30-18 (Rf is identical to CIE 224:2017 Rf).
- Luminous efficacy of radiation (LER, lm/W): K_m * sum(S V) / sum(S) with
  K_m = 683 lm/W (CIE 15:2004; the SI definition of the candela) over 360-830 nm.
- The light's colour as RGB in a scene-linear working space (ACEScg by default).

Colour conventions (see docs/lights.md): the XYZ of a light is its tristimulus value
normalised to Y = 1 (CIE 15:2004 eq. 7.1-7.3; summed at the data's own interval for
tabulated 5 nm illuminants, else at 1 nm). XYZ is taken to RGB the
way OCIO's ``CIE XYZ-D65`` interchange space does: as D65-referred XYZ, with a Bradford
adaptation from D65 to the working space's white (the ACES configs' "AP0 to CIE XYZ-D65"
matrix). So CIE D65 renders neutral (R = G = B) and a 3200 K light renders warm, as on a
camera balanced for daylight. ``rgb()`` is then normalised to luminance 1 in the working
space (its own Y weights), or scaled by the light's intensity.

colour-science computes the standard metrics; chroma validates input, caches results
per spectrum, derives matrices once and applies them with numpy.

The package: the wavelength grid, observer, spectrum parsing and LED models
(:mod:`chroma.lights.spectra`), the metrics and their cache (:mod:`chroma.lights.metrics`),
and the :class:`Light` (:mod:`chroma.lights.light`).
"""

from chroma.lights.light import REFERENCE_LUX, Light, reference_light
from chroma.lights.light import scene_linear_matrices as scene_linear_matrices  # chroma.charts
from chroma.lights.metrics import CRI_DUV_LIMIT, LightMetrics, clear_cache, compute_metrics
from chroma.lights.spectra import K_M, WAVELENGTHS, cmfs, illuminant_names, photopic, spectrum_xyz
from chroma.lights.spectra import pc_white as pc_white  # the phosphor-white benchmark

__all__ = [
    "Light", "LightMetrics", "WAVELENGTHS", "K_M", "REFERENCE_LUX", "CRI_DUV_LIMIT",
    "cmfs", "photopic", "spectrum_xyz", "compute_metrics", "clear_cache", "illuminant_names", "reference_light",
]
