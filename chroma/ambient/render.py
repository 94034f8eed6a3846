"""Reference renders lit by an SH ambient: the 18 % grey and chrome balls, and a
procedural lat-long sky HDRI (so the ambient tools work with no download).

Camera and axes: see :mod:`chroma.ambient` and docs/ambient.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from chroma.ambient.sh import (
    SH,
    direction_to_latlong,
    hdri_rgb,
    irradiance,
    latlong_directions,
    latlong_solid_angles,
    radiance,
)
from chroma.errors import ChromaValueError
from chroma.image import Image
from chroma.whitebalance import check_kelvin, kelvin_to_light_rgb

# ---------------------------------------------------------------------- lights and balls


@dataclass
class DirectionalLight:
    """A distant light for the reference balls.

    Attributes:
        color: RGB normal irradiance (3,) in the SH's colour space, or any object with
            ``.rgb(colorspace)`` (e.g. ``chroma.Light``), scaled by ``intensity``.
        direction: world direction towards the light (normalised here).
        intensity: multiplier of ``color`` (normal irradiance).
        angle: apparent angular diameter in degrees (the sun: 0.53); the chrome ball draws
            it at least a few pixels wide with the same energy.
    """

    color: Any
    direction: Sequence[float]
    intensity: float = 1.0
    angle: float = 0.53

    def rgb(self, colorspace: str = "ACEScg") -> np.ndarray:
        c = self.color.rgb(colorspace) if hasattr(self.color, "rgb") else self.color
        c = np.asarray(c, np.float64).reshape(-1)
        if c.shape != (3,):
            raise ChromaValueError(f"a light colour must be 3 RGB values, got {c.tolist()}")
        return c * float(self.intensity)

    def unit_direction(self) -> np.ndarray:
        d = np.asarray(self.direction, np.float64).reshape(-1)
        n = np.linalg.norm(d) if d.shape == (3,) else 0.0
        if not n > 0:
            raise ChromaValueError(f"a light direction must be a non-zero 3-vector, got {d.tolist()}")
        return d / n


def _ball_samples(size: int, ss: int) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel positions on the ball (camera looks down -Z; image x right = +X, up = +Y):
    normals (size, size, ss*ss, 3) and an inside mask."""
    o = (np.arange(ss) + 0.5) / ss
    px = (np.arange(size)[:, None] + o[None, :]).reshape(-1) / size * 2.0 - 1.0
    X = px[None, :]
    Y = -px[:, None]
    r2 = X * X + Y * Y
    inside = r2 < 1.0
    nz = np.sqrt(np.clip(1.0 - r2, 0.0, None))
    n = np.stack(np.broadcast_arrays(X, Y, nz), axis=-1)
    n = n.reshape(size, ss, size, ss, 3).transpose(0, 2, 1, 3, 4).reshape(size, size, ss * ss, 3)
    inside = inside.reshape(size, ss, size, ss).transpose(0, 2, 1, 3).reshape(size, size, ss * ss)
    return n, inside


def _check_size(size: int) -> int:
    if not isinstance(size, (int, np.integer)) or size < 8 or size > 8192:
        raise ChromaValueError(f"ball size must be an integer from 8 to 8192 pixels (got {size!r})")
    return int(size)


def render_grey_ball(
    sh: SH, lights: Iterable[DirectionalLight] = (), size: int = 256, albedo: float = 0.18,
    supersample: int = 3,
) -> Image:
    """A Lambertian ball of ``albedo`` (18 % grey) lit by the SH ambient plus directional
    lights, seen by an orthographic camera looking down -Z. RGBA ACEScg-linear (the SH's
    colour space): ``rgb = albedo / pi * (E_sh(n) + sum_i E_i max(0, n . l_i))``; alpha is
    the ball's coverage."""
    size = _check_size(size)
    n, inside = _ball_samples(size, supersample)
    e = irradiance(sh, n, normalise=False).astype(np.float64)
    for light in lights:
        e += np.clip(n @ light.unit_direction(), 0.0, None)[..., None] * light.rgb(sh.colorspace)
    rgb = albedo / np.pi * e
    return _ball_image(rgb, inside, sh, "grey", albedo=albedo)


def render_chrome_ball(
    sh: SH, lights: Iterable[DirectionalLight] = (), size: int = 256, reflectance: float = 1.0,
    environment: Image | np.ndarray | None = None, supersample: int = 3,
) -> Image:
    """A mirror ball reflecting the SH radiance (or ``environment``, a lat-long image, for a
    sharp reflection) plus the directional lights as small discs, seen by an orthographic
    camera looking down -Z, so its centre reflects +Z (the lat-long centre). RGBA."""
    size = _check_size(size)
    n, inside = _ball_samples(size, supersample)
    r = n * (2.0 * n[..., 2:3])  # reflect the view ray (0, 0, -1): r = v - 2 (v . n) n
    r[..., 2] -= 1.0
    if environment is not None:
        env, _ = hdri_rgb(environment)
        uv = direction_to_latlong(r)
        h, w = env.shape[:2]
        col = np.minimum((uv[..., 0] * w).astype(np.int64), w - 1)
        row = np.minimum((uv[..., 1] * h).astype(np.int64), h - 1)
        rgb = env[row, col].astype(np.float64)
    else:
        rgb = radiance(sh, r).astype(np.float64)
    # smallest disc drawn: a radius of about 2.5 pixels at the ball's centre, where the
    # reflected angle is twice the normal's (one pixel spans 2 / size of the unit ball)
    min_half = 2.0 * 2.5 * 2.0 / size
    for light in lights:
        half = max(math.radians(light.angle) / 2.0, min_half)
        solid = 2.0 * np.pi * (1.0 - math.cos(half))
        hit = (r @ light.unit_direction()) >= math.cos(half)
        rgb += hit[..., None] * (light.rgb(sh.colorspace) / solid)
    return _ball_image(reflectance * rgb, inside, sh, "chrome", reflectance=reflectance)


def _ball_image(rgb: np.ndarray, inside: np.ndarray, sh: SH, kind: str, **meta: float) -> Image:
    m = inside[..., None]
    cover = inside.mean(axis=-1)
    colour = (rgb * m).sum(axis=-2) / np.maximum(m.sum(axis=-2), 1)
    px = np.concatenate([colour * cover[..., None], cover[..., None]], axis=-1)  # premultiplied
    md = {"chroma/ball": kind, **{f"chroma/{k}": float(v) for k, v in meta.items()}}
    return Image(px.astype(np.float32), ["R", "G", "B", "A"], sh.colorspace, md)


def reference_balls(sh: SH, lights: Iterable[DirectionalLight] = (), size: int = 256,
                    environment: Image | np.ndarray | None = None) -> Image:
    """The grey (left) and chrome (right) balls side by side, RGBA, one image."""
    lights = list(lights)
    grey = render_grey_ball(sh, lights, size)
    chrome = render_chrome_ball(sh, lights, size, environment=environment)
    px = np.concatenate([grey.pixels, chrome.pixels], axis=1)
    return Image(px, ["R", "G", "B", "A"], sh.colorspace, {"chroma/balls": "grey 18% | chrome"})


# ------------------------------------------------------------------------- the sky HDRI


def sky_hdri(
    width: int = 1024,
    height: int = 512,
    kelvin: float = 6500.0,
    sun_kelvin: float = 5500.0,
    sun_elevation: float = 35.0,
    sun_azimuth: float = 30.0,
    sky_radiance: float = 1.0,
    sun_irradiance: float = 12.0,
    sun_size: float = 1.0,
    ground_albedo: float = 0.18,
    colorspace: str = "ACEScg",
) -> Image:
    """A procedural scene-linear lat-long sky: a gradient sky at ``kelvin``, a sun at
    ``sun_kelvin`` and a grey ground, so the ambient tools work with no download.

    Sky luminance rises from ``sky_radiance`` at the zenith to 3x at the horizon; the sun
    is a smooth lobe of width ``sun_size`` degrees whose integral is exactly
    ``sun_irradiance`` (normal irradiance, same units as radiance x sr) on this pixel
    grid; the ground (below the horizon) is Lambertian of ``ground_albedo`` lit by the sky
    and sun. Direction of the sun: elevation above the horizon, azimuth from +Z towards
    +X (degrees). Colours are absolute colorimetry of the CCTs in ``colorspace``.
    """
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, (int, np.integer)) or value < 4:
            raise ChromaValueError(f"sky {name} must be an integer >= 4 (got {value!r})")
    for name, value in (("kelvin", kelvin), ("sun_kelvin", sun_kelvin)):
        check_kelvin(value, f"sky {name}")
    if sky_radiance < 0 or sun_irradiance < 0 or not 0 <= ground_albedo <= 1 or sun_size <= 0:
        raise ChromaValueError("sky radiance and sun irradiance must be >= 0, ground albedo in [0, 1], sun size > 0")
    d = latlong_directions(width, height)
    el, az = math.radians(sun_elevation), math.radians(sun_azimuth)
    sun_dir = np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])
    sky_rgb = kelvin_to_light_rgb(kelvin, 0.0, colorspace)
    sun_rgb = kelvin_to_light_rgb(sun_kelvin, 0.0, colorspace)
    y = d[..., 1]
    up = y >= 0
    sky_lum = sky_radiance * (1.0 + 2.0 * (1.0 - np.clip(y, 0.0, 1.0)) ** 4)
    # sun lobe normalised on this very pixel grid
    sigma = math.radians(sun_size)
    lobe = np.exp(-(1.0 - np.clip(d @ sun_dir, -1.0, 1.0)) / (sigma * sigma))
    omega = latlong_solid_angles(width, height)[:, None]
    lobe *= sun_irradiance / max(float((lobe * omega).sum()), 1e-300)
    # ground: Lambertian under the sky's and sun's horizontal irradiance
    e_sky = float((sky_lum * y * up * omega).sum())
    e_sun = sun_irradiance * max(math.sin(el), 0.0)
    ground = ground_albedo / np.pi * (e_sky * sky_rgb + e_sun * sun_rgb)
    rgb = np.where(up[..., None], sky_lum[..., None] * sky_rgb, ground)
    rgb = rgb + lobe[..., None] * sun_rgb
    md = {"chroma/demo": "sky", "chroma/sky_kelvin": float(kelvin), "chroma/sun_kelvin": float(sun_kelvin),
          "chroma/sun_elevation": float(sun_elevation), "chroma/sun_azimuth": float(sun_azimuth),
          "chroma/latlong": "OIIO y-up: centre +Z, u=0.25 +X, top +Y"}
    return Image(rgb.astype(np.float32), ["R", "G", "B"], colorspace, md)
