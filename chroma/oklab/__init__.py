"""OKLab and OKLCh: conversions, perceptual blends, gradients and crossfades.

Blending in sRGB-encoded values darkens and muddies mixes; blending in linear light is
physically right (it is what a lens or a dissolve of light does) but perceptually uneven;
OKLab (Ottosson 2020) gives even steps of lightness, chroma and hue. chroma offers all of
them side by side: ``space="oklab" | "oklch" | "linear" | "srgb"``.

Which of Ottosson's matrices is used where (both are his, published in [1]):

* **XYZ input** (:func:`xyz_to_oklab`, colour space ``"XYZ"``): the published ``M1``
  (CIE XYZ D65 -> LMS), the one the article's XYZ test table was made with and the one
  colour-science implements (``colour.XYZ_to_Oklab``). With it the D65 white
  (0.9505, 1, 1.089) lands at a = -2.6e-4, b = -1.1e-4, not exactly on the neutral axis.
* **RGB input** (linear sRGB and every scene-linear working space): the later,
  higher-precision linear-sRGB -> LMS matrix of the article's reference code (2021
  update), which maps sRGB white to L = M = S exactly. A working space goes through it as
  ``M_srgb_lms @ M_xyz_to_srgb @ M_working_to_xyz_d65`` (the XYZ -> linear sRGB matrix
  derived from the Rec.709 primaries and the D65 chromaticity 0.3127, 0.3290; the
  working space adapted to D65 with Bradford, as the ACES OCIO config's
  ``ACEScg -> CIE XYZ-D65`` does), composed once: a neutral of any working space is
  exactly neutral in OKLab, which the achromatic-hue rules of OKLCh blending rely on.
  The two routes differ by up to ~3e-4 in a and b.

An image conversion is one 3x3 matmul + cube root + one 3x3 matmul in float32.

What ``chroma blend`` does is :func:`make_blend` (its first step, :func:`plan_blend`);
its frames are planned by :func:`chroma.frameplan.plan_frames`, as every frame job's.

References:
    [1] B. Ottosson, "A perceptual color space for image processing", 2020,
        https://bottosson.github.io/posts/oklab/ (M1, M2, the XYZ -> Oklab test table,
        and the updated linear sRGB -> LMS matrix of its reference code).
    [2] W3C, CSS Color Module Level 4, https://www.w3.org/TR/css-color-4/ : 12.4 hue
        interpolation (shorter/longer/increasing/decreasing), 12.3 premultiplied
        interpolation, 4.4 powerless (achromatic) hue, 13.2 gamut mapping (binary search
        on OKLCh chroma, deltaEOK JND 0.02, epsilon 0.0001), 13.3 deltaEOK.
    [3] IEC 61966-2-1:1999, sRGB transfer function.
"""

from chroma.oklab.blend import (
    BlendOptions,
    gradient,
    kelvin_color,
    looks_like_color,
    luminance_weights,
    mix,
    parse_color,
)
from chroma.oklab.convert import (
    ACHROMATIC,
    BLACK_STOPS,
    GAMUT_EPSILON,
    HUE_METHODS,
    JND,
    LINEAR_SRGB,
    MID_GREY,
    SPACES,
    XYZ,
    HueMethod,
    Space,
    delta_e_ok,
    from_oklab,
    linear_srgb_to_oklab,
    oklab_to_linear_srgb,
    oklab_to_oklch,
    oklab_to_xyz,
    oklch_to_oklab,
    rgb_to_rgb,
    rgb_to_xyz_matrix,
    srgb_decode,
    srgb_encode,
    to_oklab,
    xyz_to_oklab,
)
from chroma.oklab.frames import (
    CURVES,
    BlendWarning,
    compare_strips,
    crossfade,
    crossfade_weights,
    mix_images,
    write_compare,
)
from chroma.oklab.gamut import gamut_map, to_display
from chroma.oklab.job import BlendPlan, BlendResult, make_blend, plan_blend

__all__ = [
    "ACHROMATIC", "BLACK_STOPS", "CURVES", "GAMUT_EPSILON", "HUE_METHODS", "JND", "LINEAR_SRGB",
    "MID_GREY", "SPACES", "XYZ", "HueMethod", "Space",
    "to_oklab", "from_oklab", "xyz_to_oklab", "oklab_to_xyz", "linear_srgb_to_oklab",
    "oklab_to_linear_srgb", "oklab_to_oklch", "oklch_to_oklab", "rgb_to_rgb", "rgb_to_xyz_matrix",
    "srgb_encode", "srgb_decode", "delta_e_ok", "gamut_map", "to_display",
    "parse_color", "looks_like_color", "kelvin_color", "luminance_weights", "mix", "gradient",
    "crossfade_weights", "mix_images", "crossfade", "compare_strips", "write_compare", "BlendWarning",
    "BlendOptions",
    "BlendPlan", "BlendResult", "plan_blend", "make_blend",
]
