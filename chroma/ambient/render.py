"""Reference renders lit by an SH ambient: grey and chrome balls, and a procedural sky.

The 18 % grey and chrome balls, and a procedural lat-long sky HDRI (so the ambient tools
work with no download).

Camera and axes: see :mod:`chroma.ambient` and docs/ambient.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence, Union

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


class _HasRGB(Protocol):
    def rgb(self, colorspace: str) -> np.ndarray: ...


#: A light colour: RGB numbers, or an object with ``.rgb(colorspace)`` such as ``chroma.Light``.
LightColour = Union[Sequence[float], np.ndarray, _HasRGB]

# ---------------------------------------------------------------------- lights and balls


@dataclass
class DirectionalLight:
    """
    A distant light for the reference balls.

    Attributes
    ----------
    color : sequence of float or chroma.Light
        RGB normal irradiance (3,) in the SH's colour space, or any object with
        ``.rgb(colorspace)`` (e.g. ``chroma.Light``), scaled by ``intensity``.
    direction : sequence of float
        World direction towards the light (normalised here), +Y up.
    intensity : float
        Multiplier of ``color`` (normal irradiance). Default 1.
    angle : float
        Apparent angular diameter in degrees (the sun: 0.53, the default); the chrome ball
        draws it at least a few pixels wide with the same energy.
    """

    color: LightColour
    direction: Sequence[float]
    intensity: float = 1.0
    angle: float = 0.53

    def rgb(self, colorspace: str = "ACEScg") -> np.ndarray:
        """
        Return the light's normal irradiance as RGB.

        Parameters
        ----------
        colorspace : str, default "ACEScg"
            The scene-linear space asked of a ``color`` that has ``.rgb(colorspace)``.

        Returns
        -------
        numpy.ndarray
            ``color`` times ``intensity``, shape (3,), float64.

        Raises
        ------
        chroma.errors.ChromaValueError
            For a colour that is not 3 numbers.
        """
        c = self.color.rgb(colorspace) if hasattr(self.color, "rgb") else self.color
        c = np.asarray(c, np.float64).reshape(-1)
        if c.shape != (3,):
            raise ChromaValueError(f"a light colour must be 3 RGB values, got {c.tolist()}")
        return c * float(self.intensity)

    def unit_direction(self) -> np.ndarray:
        """
        Return the unit world direction towards the light.

        Returns
        -------
        numpy.ndarray
            Shape (3,), float64, length 1.

        Raises
        ------
        chroma.errors.ChromaValueError
            For a direction that is not a non-zero 3-vector.
        """
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
    """
    Render a Lambertian ball lit by the SH ambient plus directional lights.

    Seen by an orthographic camera looking down -Z:
    ``rgb = albedo / pi * (E_sh(n) + sum_i E_i max(0, n . l_i))``.

    Parameters
    ----------
    sh : SH
        The ambient light.
    lights : iterable of DirectionalLight, default ()
        Extra distant lights.
    size : int, default 256
        Width and height of the image, pixels (8-8192).
    albedo : float, default 0.18
        Diffuse reflectance of the ball.
    supersample : int, default 3
        Samples per pixel along each axis.

    Returns
    -------
    chroma.Image
        RGBA, premultiplied, scene-linear in the SH's colour space; alpha is the ball's
        coverage.

    Raises
    ------
    chroma.errors.ChromaValueError
        For a size outside 8-8192 or a bad light.

    References
    ----------
    .. [1] Ramamoorthi, R., & Hanrahan, P. (2001). "An Efficient Representation for
       Irradiance Environment Maps". SIGGRAPH 2001.
    """
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
    """
    Render a mirror ball reflecting the SH radiance plus the directional lights.

    Seen by an orthographic camera looking down -Z, so its centre reflects +Z (the
    lat-long centre); the lights show as small discs of their energy.

    Parameters
    ----------
    sh : SH
        The environment (reflected when ``environment`` is not given).
    lights : iterable of DirectionalLight, default ()
        Extra distant lights.
    size : int, default 256
        Width and height of the image, pixels (8-8192).
    reflectance : float, default 1
        Mirror reflectance.
    environment : chroma.Image or numpy.ndarray, optional
        A lat-long image to reflect instead of the SH, for a sharp reflection.
    supersample : int, default 3
        Samples per pixel along each axis.

    Returns
    -------
    chroma.Image
        RGBA, premultiplied, scene-linear in the SH's colour space.

    Raises
    ------
    chroma.errors.ChromaValueError
        For a size outside 8-8192, a bad light or a bad environment array.
    """
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
    """
    Render the 18 % grey (left) and chrome (right) balls side by side.

    Parameters
    ----------
    sh : SH
        The ambient light.
    lights : iterable of DirectionalLight, default ()
        Extra distant lights.
    size : int, default 256
        Size of each ball, pixels (8-8192).
    environment : chroma.Image or numpy.ndarray, optional
        A lat-long image for the chrome ball to reflect instead of the SH.

    Returns
    -------
    chroma.Image
        RGBA, size x 2 size, scene-linear in the SH's colour space.

    Raises
    ------
    chroma.errors.ChromaValueError
        For a size outside 8-8192 or a bad light.
    """
    lights = list(lights)
    grey = render_grey_ball(sh, lights, size)
    chrome = render_chrome_ball(sh, lights, size, environment=environment)
    px = np.concatenate([grey.pixels, chrome.pixels], axis=1)
    return Image(px, ["R", "G", "B", "A"], sh.colorspace, {"chroma/balls": "grey 18% | chrome"})


# ------------------------------------------------------------------------- the sky HDRI


def _check_sky(width: int, height: int, kelvin: float, sun_kelvin: float) -> None:
    for name, size in (("width", width), ("height", height)):
        if not isinstance(size, (int, np.integer)) or size < 4:
            raise ChromaValueError(f"sky {name} must be an integer >= 4 (got {size!r})")
    for name, k in (("kelvin", kelvin), ("sun_kelvin", sun_kelvin)):
        check_kelvin(k, f"sky {name}")


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
    """
    Render a procedural scene-linear lat-long sky with a sun and a grey ground.

    Sky luminance rises from ``sky_radiance`` at the zenith to 3x at the horizon; the sun
    is a smooth lobe whose integral is exactly ``sun_irradiance`` on this pixel grid; the
    ground (below the horizon) is Lambertian, lit by the sky and sun. Colours are the
    lights' own colours (:func:`chroma.whitebalance.kelvin_to_light_rgb`) in ``colorspace``.

    Parameters
    ----------
    width, height : int, default 1024, 512
        Size of the lat-long image, pixels (>= 4).
    kelvin : float, default 6500
        Colour temperature of the sky, Kelvin (1000-25000).
    sun_kelvin : float, default 5500
        Colour temperature of the sun, Kelvin (1000-25000).
    sun_elevation : float, default 35
        Sun elevation above the horizon, degrees.
    sun_azimuth : float, default 30
        Sun azimuth from +Z towards +X, degrees.
    sky_radiance : float, default 1
        Zenith luminance of the sky, scene-linear radiance, >= 0.
    sun_irradiance : float, default 12
        Normal irradiance of the sun (radiance x steradian), >= 0.
    sun_size : float, default 1
        Width of the sun lobe, degrees, > 0.
    ground_albedo : float, default 0.18
        Diffuse reflectance of the ground, [0, 1].
    colorspace : str, default "ACEScg"
        Scene-linear colour space of the pixels.

    Returns
    -------
    chroma.Image
        RGB, float32, height x width, in ``colorspace``, OIIO y-up lat-long.

    Raises
    ------
    chroma.errors.ChromaValueError
        For a size under 4, a temperature outside 1000-25000 K or a negative radiance.
    """
    _check_sky(width, height, kelvin, sun_kelvin)
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
