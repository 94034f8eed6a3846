"""``chroma ambient``."""

from __future__ import annotations

import argparse
import json
import math

from chroma.cli._core import (
    EXIT_OK,
    add_config_option,
    arguments,
    check_outputs,
    command,
)

# -------------------------------------------------------------------------------- ambient


def _rotation_arg(text: str) -> tuple[float, float, float]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected three finite angles YAW,PITCH,ROLL in degrees like 90,0,0, got {text!r}")
    return values[0], values[1], values[2]


def _ambient_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("hdri", metavar="HDRI", help="a lat-long (equirectangular) scene-linear HDRI, e.g. sky.exr")
    p.add_argument("--rotate", type=_rotation_arg, metavar="Y,P,R", default=(0.0, 0.0, 0.0),
                   help="rotate the environment by yaw,pitch,roll degrees (Nuke ZXY order) to align it to the shot")
    p.add_argument("--order", type=int, choices=(0, 1, 2), default=2, help="SH order: 2 (9 coefficients, default), 1 or 0")
    p.add_argument("--window", choices=("hanning", "lanczos"), help="window the coefficients against ringing (blurs)")
    p.add_argument("--json", action="store_true", help="print JSON: coefficients, dominant light, ambient Kelvin/Duv")
    p.add_argument("--ball", metavar="OUT.exr", help="write the 18%% grey and chrome reference balls (RGBA EXR)")
    p.add_argument("--size", type=int, default=256, metavar="PX", help="size of each ball in pixels (default 256)")
    p.add_argument("--colorspace", metavar="CS", help="the HDRI's colour space (default: the file's own)")
    p.add_argument("--overwrite", action="store_true", help="replace --ball if it exists")
    add_config_option(p)


_AMBIENT_HELP = """\
Capture an HDRI's ambient light in spherical harmonics and report its light.

9 coefficients x RGB, the irradiance representation renderers use (Ramamoorthi &
Hanrahan 2001); reports the dominant light direction and colour and the ambient colour
as Kelvin/Duv. The lat-long convention is OIIO's (+Y up, image centre +Z, u=0.25 is
+X); see docs/ambient.md.

examples:
  chroma ambient sky.exr
  chroma ambient sky.exr --rotate 90,0,0 --json > sky_sh.json
  chroma ambient sky.exr --ball balls.exr     # grey + chrome reference balls
"""


@command("ambient", "spherical-harmonic ambient light of an HDRI: coefficients, dominant light, Kelvin, balls",
         description=_AMBIENT_HELP)
@arguments(_ambient_args)
def cmd_ambient(args: argparse.Namespace) -> int:
    """Run ``chroma ambient``: capture an HDRI's ambient light in spherical harmonics and report its light.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``chroma ambient --help`` lists the options).

    Returns
    -------
    int
        The exit status: 0 done, 2 a user error (reported on one line), as the README's table.
    """
    from chroma import ambient, io

    if args.ball:  # before any work: never the HDRI itself, by any spelling
        check_outputs([args.ball], [args.hdri], overwrite=args.overwrite)
    img = io.read(args.hdri, colorspace=args.colorspace, config=args.config)
    sh = ambient.project(img, order=args.order, colorspace="ACEScg", config=args.config)
    if any(args.rotate):
        sh = sh.rotated(*args.rotate)
    if args.window:
        sh = sh.windowed(args.window)
    if args.ball:
        env = None if any(args.rotate) else img
        balls = ambient.reference_balls(sh, size=args.size, environment=env)
        io.write(balls, args.ball, dtype="half", overwrite=True, config=args.config)
    data = sh.to_dict()
    data["hdri"] = args.hdri
    data["rotate"] = list(args.rotate)
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    print(f"{args.hdri}: order-{sh.order} SH in {sh.colorspace}"
          + (f", rotated {args.rotate[0]:g},{args.rotate[1]:g},{args.rotate[2]:g}" if any(args.rotate) else ""))
    print("  k  l   R             G             B")
    for k, row in enumerate(data["coefficients"]):
        print(f"  {k}  {int(ambient.BAND[k])}  " + "  ".join(f"{v:12.6g}" for v in row))
    d = data["dominant_direction"]
    u, v = data["dominant_latlong_uv"]
    print(f"dominant light  direction ({d[0]:+.4f}, {d[1]:+.4f}, {d[2]:+.4f})  lat-long u={u:.4f} v={v:.4f}")
    print("                colour (normal irradiance) " + " ".join(f"{c:.6g}" for c in data["dominant_color"]))
    print("ambient         mean radiance " + " ".join(f"{c:.6g}" for c in data["mean_radiance"]), end="")
    if data["ambient_kelvin"] is not None:
        print(f"  {data['ambient_kelvin']:.0f} K  Duv {data['ambient_duv']:+.4f}")
    else:
        print("  (no CCT: the colour is too far from the Planckian locus)")
    if args.ball:
        print(f"wrote {args.ball} (18% grey ball | chrome ball)")
    return EXIT_OK
