"""Spherical-harmonic ambient light from a latitude-longitude HDRI.

An environment's diffuse light in 9 real SH coefficients per channel (Ramamoorthi &
Hanrahan 2001): projection, irradiance/radiance, rotation, windowing, dominant light,
ambient Kelvin (:mod:`chroma.ambient.sh`); grey/chrome reference balls and a procedural
sky (:mod:`chroma.ambient.render`); matching a plate to the HDRI as a ``chroma.Grade``
(:mod:`chroma.ambient.match`). Conventions (OIIO lat-long, +Y up, centre +Z) are in
:mod:`chroma.ambient.sh` and docs/ambient.md.
"""

from chroma.ambient.match import AmbientMatch, ambient_match, match_ambient, measure_ambient
from chroma.ambient.render import (
    DirectionalLight,
    reference_balls,
    render_chrome_ball,
    render_grey_ball,
    sky_hdri,
)
from chroma.ambient.sh import (
    A_L,
    BAND,
    K0,
    K1,
    K2,
    K3,
    K4,
    POINT_SOURCE_MAX_ERROR,
    SH,
    WINDOWS,
    basis,
    direction_to_latlong,
    equirect,
    irradiance,
    latlong_directions,
    latlong_solid_angles,
    n_coefficients,
    project,
    radiance,
    rgb_to_xy,
    rotation_matrix,
    sh_rotation,
    window,
)

__all__ = [
    "SH", "DirectionalLight", "AmbientMatch", "project", "radiance", "irradiance", "basis",
    "window", "rotation_matrix", "sh_rotation", "latlong_directions", "direction_to_latlong",
    "latlong_solid_angles", "equirect", "n_coefficients", "render_grey_ball",
    "render_chrome_ball", "reference_balls", "sky_hdri", "match_ambient", "measure_ambient", "ambient_match",
    "rgb_to_xy", "kelvin_rgb", "A_L", "BAND", "K0", "K1", "K2", "K3", "K4",
    "POINT_SOURCE_MAX_ERROR", "WINDOWS",
]

from chroma.deprecation import deprecated_alias as _deprecated_alias
from chroma.whitebalance import kelvin_to_light_rgb as _kelvin_to_light_rgb

kelvin_rgb = _deprecated_alias(_kelvin_to_light_rgb, "chroma.ambient.kelvin_rgb",
                               "chroma.whitebalance.kelvin_to_light_rgb")
