"""``chroma light``."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from chroma.cli._core import (
    EXIT_OK,
    add_config_option,
    arguments,
    check_outputs,
    command,
)
from chroma.errors import ChromaError

if TYPE_CHECKING:
    from chroma.lights import Light

# ---------------------------------------------------------------------------------- light


def _light_args(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--kelvin", type=float, metavar="K", help="a blackbody (Planckian radiator) at K kelvin, e.g. 3200")
    src.add_argument("--illuminant", metavar="NAME",
                     help="a CIE illuminant: A, D50, D55, D65, D75, FL1-FL12, LED-B1..B5, LED-V1, LED-V2, ...")
    src.add_argument("--led", metavar="SPEC",
                     help="a parametric LED: peaks PEAK:FWHM[:POWER],... in nm (450:20,560:100) "
                          "or a phosphor white pc:CCT[:FWHM] (pc:5600)")
    src.add_argument("--spd", metavar="FILE",
                     help="a measured spectrum: CSV of wavelength_nm,relative_power rows (any spacing, covering 380-780 nm)")
    src.add_argument("--compare", nargs="+", metavar="LIGHT",
                     help="print lights side by side; each is 3200K, an illuminant name, led:SPEC, pc:CCT or a .csv file")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--stops", type=float, metavar="EV", help="intensity in stops: a white diffuser renders at 2**EV (default 0)")
    g.add_argument("--lux", type=float, metavar="LUX",
                   help="intensity as illuminance; 1000 lux renders a white diffuser at 1.0 (see --exposure-lux)")
    p.add_argument("--exposure-lux", type=float, default=1000.0, metavar="LUX",
                   help="the illuminance the camera is exposed for: it renders a white diffuser at 1.0 (default 1000)")
    p.add_argument("--colorspace", default="ACEScg", metavar="CS",
                   help="scene-linear working space for the light's RGB and the chart (default ACEScg)")
    p.add_argument("--json", action="store_true",
                   help="print JSON: cct, duv, cri_ra, cri_ri[14], tm30_rf, tm30_rg, efficacy_lm_per_w, rgb, colorspace")
    p.add_argument("--chart", metavar="OUT.exr", help="write the ColorChecker rendered under the light as a scene-linear EXR")
    p.add_argument("--preview", metavar="OUT.png", help="write the chart through the default display view (sRGB, ACES 2.0 SDR)")
    p.add_argument("--no-white-balance", action="store_true", help="chart: keep the light's colour (camera not balanced to it)")
    p.add_argument("--patch-size", type=int, default=64, metavar="PX", help="chart patch size in pixels (default 64)")
    p.add_argument("--overwrite", action="store_true", help="replace chart files that already exist")
    add_config_option(p)


def _light_from_args(args: argparse.Namespace) -> Light:
    from chroma.lights import Light

    kw = dict(stops=args.stops, lux=args.lux, exposure_lux=args.exposure_lux)
    if args.kelvin is not None:
        return Light.blackbody(args.kelvin, **kw)
    if args.illuminant is not None:
        return Light.illuminant(args.illuminant, **kw)
    if args.led is not None:
        return Light.led(args.led, **kw)
    return Light.from_csv(args.spd, **kw)


_LIGHT_ROWS = (
    ("CCT (K)", "cct", "{:.0f}", "Ohno 2013, CIE 1960 UCS"),
    ("Duv", "duv", "{:+.4f}", "Ohno 2013"),
    ("CRI Ra", "cri_ra", "{:.1f}", "CIE 13.3-1995"),
    ("CRI R9", None, "{:.1f}", "CIE 13.3-1995, saturated red"),
    ("TM-30 Rf", "tm30_rf", "{:.1f}", "ANSI/IES TM-30-18 = CIE 224:2017"),
    ("TM-30 Rg", "tm30_rg", "{:.1f}", "ANSI/IES TM-30-18"),
    ("LER (lm/W)", "efficacy_lm_per_w", "{:.1f}", "K_m = 683 lm/W, CIE 15:2004"),
)


def _light_cell(d: dict[str, Any], key: str | None, fmt: str) -> str:
    value = d["cri_ri"][8] if key is None else d[key]
    if key == "duv" and abs(value) < 5e-5:
        value = 0.0  # no "-0.0000"
    return fmt.format(value)


def _print_light(d: dict[str, Any]) -> None:
    print(f"{d['name']}")
    for label, key, fmt, ref in _LIGHT_ROWS:
        cell = _light_cell(d, key, fmt)
        note = "  (not meaningful: |Duv| > 0.0054, CIE 13.3 5.3)" if key == "cri_ra" and not d["cri_valid"] else ""
        print(f"  {label:<12}{cell:>10}   {ref}{note}")
    print("  R1-R14      " + " ".join(f"{v:.0f}" for v in d["cri_ri"]))
    r, g, b = d["rgb"]
    print(f"  {d['colorspace']} RGB  {r:.4f} {g:.4f} {b:.4f}  (luminance 1; x 2^{d['stops']:+.2f} = {d['lux']:.0f} lux)")


def _print_compare(rows: list[dict[str, Any]]) -> None:
    widths = [max(10, len(d["name"]) + 2) for d in rows]
    print(" " * 12 + "".join(f"{d['name']:>{w}}" for d, w in zip(rows, widths)))
    for label, key, fmt, _ref in _LIGHT_ROWS:
        print(f"{label:<12}" + "".join(f"{_light_cell(d, key, fmt):>{w}}" for d, w in zip(rows, widths)))
    for i in range(3):
        label = f"{rows[0]['colorspace'][:8]} {'RGB'[i]}"
        print(f"{label:<12}" + "".join(f"{d['rgb'][i]:>{w}.4f}" for d, w in zip(rows, widths)))
    if not all(d["cri_valid"] for d in rows):
        bad = ", ".join(d["name"] for d in rows if not d["cri_valid"])
        print(f"CRI not meaningful for {bad}: |Duv| > 0.0054 (CIE 13.3 5.3)")


_LIGHT_HELP = """\
Describe a light from its spectrum: CCT, Duv, CRI, TM-30, efficacy and RGB.

CCT and Duv (Ohno 2013), CIE 13.3 CRI (Ra and R1-R14, R9 is saturated red), ANSI/IES
TM-30-18 Rf and Rg, luminous efficacy of radiation, and its colour as RGB in the
working space (ACEScg, luminance 1). Optionally render the 24 ColorChecker patches
under it (--chart EXR, --preview PNG), white-balanced with CAT16 unless
--no-white-balance; each patch's CIEDE2000 against the CIE reference illuminant of the
same CCT goes into the EXR metadata and the JSON.

--led SPEC: comma-separated emitters PEAK:FWHM[:POWER] in nm (Ohno 2005 LED shape),
e.g. 450:20,530:30:0.8,630:20; or pc:CCT[:FWHM] for a phosphor-converted white on the
Planckian locus (450 nm blue die + a phosphor band, default 110 nm wide).

examples:
  chroma light --kelvin 3200
  chroma light --illuminant FL2 --json
  chroma light --led pc:5600 --chart led.exr --preview led.png
  chroma light --spd fixture.csv --lux 2000
  chroma light --compare 3200K FL2 FL8 pc:5600 LED-B4
"""


@command("light", "spectral lights: CCT, Duv, CRI (Ra, R9), TM-30, efficacy, RGB and a ColorChecker chart",
         description=_LIGHT_HELP)
@arguments(_light_args)
def cmd_light(args: argparse.Namespace) -> int:
    """Run ``chroma light``: describe a light from its spectrum: CCT, Duv, CRI, TM-30, efficacy and RGB.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``chroma light --help`` lists the options).

    Returns
    -------
    int
        The exit status: 0 done, 2 a user error (reported on one line), as the README's table.
    """
    from chroma import charts, ocio
    from chroma.lights import Light

    cs = ocio.resolve_colorspace(args.colorspace, args.config)
    if args.compare:
        if args.chart or args.preview:
            raise ChromaError("--chart and --preview describe one light; drop --compare or write one chart per light")
        lights = [Light.parse(spec, stops=args.stops, lux=args.lux, exposure_lux=args.exposure_lux) for spec in args.compare]
        rows = [lt.summary(cs, args.config) for lt in lights]
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            _print_compare(rows)
        return EXIT_OK

    if args.chart or args.preview:  # one check for every output, before any work
        check_outputs([args.chart, args.preview], [args.spd], overwrite=args.overwrite)
    light = _light_from_args(args)
    data = light.summary(cs, args.config)
    written = []
    if args.chart or args.preview:
        result = charts.render_chart(light, colorspace=cs, white_balance=not args.no_white_balance, config=args.config)
        written = charts.write_chart(result, args.chart, args.preview, patch=args.patch_size,
                                     overwrite=args.overwrite, config=args.config)
        data["chart"] = result.to_dict()
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        _print_light(data)
        if written:
            de = data["chart"]
            print(f"  chart       CIEDE2000 vs {de['reference']}: mean {de['delta_e2000_mean']:.2f}, max {de['delta_e2000_max']:.2f}")
            for path in written:
                print(f"  wrote {path}")
    return EXIT_OK
