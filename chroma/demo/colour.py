"""The colour parts of ``chroma demo``: a procedural scene, lights, ambient, blends.

Each writes into its own sub-folder of OUTDIR (docs/demo.md) from data it makes itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chroma.demo.parts import guard, part
from chroma.image import Image

# ------------------------------------------------------------------------- the scene part

SCENE_FRAMES = range(1001, 1006)
SCENE_SIZE = (320, 180)


def scene_frame(frame: int, width: int = SCENE_SIZE[0], height: int = SCENE_SIZE[1]) -> Image:
    """
    Return a procedural scene-linear ACEScg frame with alpha and depth.

    Top half: an exposure ramp from -6 to +6 stops around 0.18 mid-grey (left to right).
    Bottom half: six patches (ACEScg primaries and secondaries at 0.18) and a mid-grey
    card, with a bright "sun" disc (luminance about 16, +6.5 stops) moving with the frame.

    Parameters
    ----------
    frame : int
        Frame number; the sun crosses from left to right over :data:`SCENE_FRAMES`.
    width, height : int, default 320, 180
        Size, pixels.

    Returns
    -------
    chroma.Image
        R, G, B, A, Z float32 in ACEScg; Z (depth) runs from 1 at the top to 2.
    """
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.zeros((height, width, 3), np.float32)
    top = y < height // 2
    stops = -6.0 + 12.0 * x / (width - 1)
    rgb[top] = (0.18 * 2.0 ** stops[top])[:, None]
    colours = np.array(
        [[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 1], [1, 1, 1]], np.float32
    ) * 0.18
    patch = np.minimum((x * len(colours) / width).astype(int), len(colours) - 1)
    bottom = ~top
    rgb[bottom] = colours[patch[bottom]]
    t = (frame - SCENE_FRAMES.start) / max(len(SCENE_FRAMES) - 1, 1)
    cx, cy, r = width * (0.15 + 0.7 * t), height * 0.75, height * 0.08
    disc = (x - cx) ** 2 + (y - cy) ** 2 < r * r
    rgb[disc] = np.array([16.0, 15.0, 13.0], np.float32)
    alpha = np.ones((height, width, 1), np.float32)
    depth = (1.0 + y / height)[:, :, None].astype(np.float32)
    px = np.concatenate([rgb, alpha, depth], axis=2)
    return Image(px, ["R", "G", "B", "A", "Z"], "ACEScg", {"chroma/demo": "scene", "chroma/frame": frame})


@part("scene")
def _scene(sub: Path, overwrite: bool) -> list[Path]:
    from chroma import io

    written = []
    for frame in SCENE_FRAMES:
        target = guard(sub / f"scene.{frame:04d}.exr", overwrite)
        written.append(io.write(scene_frame(frame), target))
    mid = SCENE_FRAMES[len(SCENE_FRAMES) // 2]
    preview = guard(sub / "scene_preview.png", overwrite)
    written.append(io.write_display(io.read(sub / f"scene.{mid:04d}.exr"), preview))
    return written


# ------------------------------------------------------------------------ the lights part

#: (file stem, light spec for chroma.lights.Light.parse): tungsten, a cool-white
#: fluorescent (CRI 64) and a daylight phosphor-white LED.
DEMO_LIGHTS = (("tungsten_3200K", "3200K"), ("fluorescent_FL2", "FL2"), ("led_pc5600K", "pc:5600"))


@part("lights")
def _lights(sub: Path, overwrite: bool) -> list[Path]:
    """The ColorChecker under three lights, white-balanced (CAT16): EXR chart + preview
    PNG each, and lights.json with every light's metrics and per-patch CIEDE2000."""
    import json

    from chroma.charts import render_chart, write_chart
    from chroma.lights import Light

    targets = [(spec, guard(sub / f"chart_{stem}.exr", overwrite), guard(sub / f"chart_{stem}.png", overwrite))
               for stem, spec in DEMO_LIGHTS]
    target = guard(sub / "lights.json", overwrite)
    written: list[Path] = []
    summary = []
    for spec, exr, png in targets:
        light = Light.parse(spec)
        result = render_chart(light)
        written.extend(write_chart(result, exr, png, overwrite=True))
        summary.append({**light.summary(), "chart": result.to_dict()})
    target.write_text(json.dumps(summary, indent=2) + "\n")
    written.append(target)
    return written


# ----------------------------------------------------------------------- the ambient part


@part("ambient")
def _ambient(sub: Path, overwrite: bool) -> list[Path]:
    """A procedural sky HDRI, its SH coefficients (JSON) and grey/chrome reference balls."""
    from chroma import ambient, io

    sky_exr, balls_exr, sh_json, preview = (
        guard(sub / name, overwrite) for name in ("sky.exr", "balls.exr", "sky_sh.json", "balls_preview.png")
    )
    sky = ambient.sky_hdri(512, 256)
    sh = ambient.project(sky)
    # the sun is in the HDRI itself, so no extra lights; the chrome ball reflects the sky
    balls = ambient.reference_balls(sh, size=160, environment=sky)
    written = [io.write(sky, sky_exr), io.write(balls, balls_exr)]
    sh.to_json(sh_json)
    written.append(sh_json)
    written.append(io.write_display(balls, preview))
    return written


# ------------------------------------------------------------------------- the blend part


@part("blend")
def _blend(sub: Path, overwrite: bool) -> list[Path]:
    """OKLab blending (docs/blending.md): the green-magenta figure comparing oklab, linear and
    srgb blends, an OKLCh gradient EXR (3200K to blue), and a 5-frame OKLab crossfade of the
    scene into a dusk-blue wash, written as ACEScg EXR."""
    from chroma import io, oklab

    figure = guard(sub / "blend_compare.png", overwrite)
    written = [oklab.write_compare("#00ff00", "#ff00ff", figure, overwrite=True)]
    g = oklab.gradient(["3200K", "#3050ff"], SCENE_SIZE[0], "oklch", gamut="working")
    ramp = Image(np.repeat(g[None], 32, axis=0), ["R", "G", "B"], "ACEScg", {"chroma/demo": "blend"})
    written.append(io.write(ramp, guard(sub / "gradient_oklch.exr", overwrite)))
    for frame in SCENE_FRAMES:
        guard(sub / f"crossfade.{frame:04d}.exr", overwrite)
    written += oklab.crossfade(
        scene_frame(SCENE_FRAMES.start), "0.01,0.012,0.03", sub / "crossfade.####.exr",
        frames=f"{SCENE_FRAMES.start}-{SCENE_FRAMES.stop - 1}", space="oklab", curve="smooth",
        overwrite=True, progress=False,
    )
    return written
