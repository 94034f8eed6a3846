"""The ``chroma`` command: thin; parses arguments, calls the API, reports.

Every subcommand registers itself in :data:`COMMANDS` through :func:`command`. A user
mistake raises a :class:`chroma.ChromaError`; :func:`main` prints it on one line and
exits with status 2 (no traceback). Per-frame failures in a sequence are reported at the
end and give exit status 1 while the other frames still finish.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Callable

from chroma import __version__
from chroma.errors import ChromaError

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2

# name -> (help, add_arguments, run)
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def command(name: str, help: str):
    """Register ``run(args) -> exit code`` as subcommand ``name``; the decorated function's
    ``arguments`` attribute (set with :func:`arguments`) adds its options."""

    def deco(run):
        COMMANDS[name] = (help, getattr(run, "_add_arguments", lambda p: None), run)
        return run

    return deco


def arguments(add: Callable[[argparse.ArgumentParser], None]):
    def deco(run):
        run._add_arguments = add
        return run

    return deco


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse errors are user errors: exit 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chroma",
        description=(
            "chroma: a colour-science-first toolkit for VFX. Scene-linear ACEScg EXR "
            "sequences with honest metadata, OCIO colour management, stops and Kelvin."
        ),
        epilog=(
            "Sequences are written like plate.####.exr, plate.%%04d.exr or plate.@.exr; frame "
            "sets like 1001-1100, 1001-1100x2 or 1,5,7-9. The OCIO config is --config, else "
            "$OCIO, else chroma's bundled ACES 2.0 studio config. Run 'chroma COMMAND --help' "
            "for each command."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"chroma {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add, _run) in COMMANDS.items():
        p = sub.add_parser(
            name, help=help_text, description=(_run.__doc__ or help_text).strip(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.error = _Parser.error.__get__(p)  # type: ignore[method-assign]
        add(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    run = COMMANDS[args.command][2]
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning  # type: ignore[assignment]
        try:
            return int(run(args) or 0)
        except ChromaError as exc:
            print(f"chroma {args.command}: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            print(f"chroma {args.command}: interrupted", file=sys.stderr)
            return 130
        except Exception as exc:  # errors raised by optional components (render) carry a user message
            if type(exc).__name__ == "RenderError":
                print(f"chroma {args.command}: error: {exc}", file=sys.stderr)
                return EXIT_USAGE
            raise


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"chroma: warning: {message}", file=sys.stderr)


# ------------------------------------------------------------------------ shared options


def add_config_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="OCIO", help="OCIO config file (default: $OCIO, else chroma's bundled config)")


def add_output_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("--dtype", choices=("half", "float"), default="half", help="EXR data type (default: half)")
    g.add_argument("--compression", default="zip", metavar="C",
                   help="EXR compression: zip (default), zips, piz, pxr24, b44, b44a, dwaa, dwab, rle, none")
    g.add_argument("--dwa-level", type=float, metavar="L", help="DWA compression level (default 45)")
    g.add_argument("--on-invalid", choices=("warn", "error", "clamp"), default="warn",
                   help="NaN/Inf/half overflow in the output: warn and write (default), refuse the frame, or clamp")
    g.add_argument("--overwrite", action="store_true", help="replace output files that already exist")


def write_kwargs(args: argparse.Namespace) -> dict:
    """Keyword arguments for :func:`chroma.io.write` from the output options, checked
    up front so a bad option fails before any frame is processed."""
    from chroma.io import COMPRESSIONS
    from chroma.errors import ChromaValueError

    if args.compression.lower() not in COMPRESSIONS:
        raise ChromaValueError(
            f"unknown EXR compression {args.compression!r}; choose one of {', '.join(COMPRESSIONS)}"
        )
    return dict(dtype=args.dtype, compression=args.compression, dwa_level=args.dwa_level,
                on_invalid=args.on_invalid, overwrite=True, config=args.config)


def plan_frames(inp: str, out: str, frames: str | None, overwrite: bool,
                skip_existing: bool = False) -> list[tuple[int | None, str, str]]:
    """Pair input and output paths frame by frame, refusing surprises before any work:
    an output that would replace an input, or outputs that exist (unless ``overwrite``;
    with ``skip_existing`` they are left out instead)."""
    from chroma import sequence
    from chroma.errors import ChromaIOError, SequenceError

    in_pat = sequence.parse_pattern(inp)
    out_pat = sequence.parse_pattern(out)
    pairs = sequence.expand(inp, frames)
    if len(pairs) > 1 and not out_pat.is_sequence:
        raise SequenceError(
            f"{len(pairs)} input frames but the output {out!r} is a single file: "
            "give a pattern like out.####.exr"
        )
    if out_pat.is_sequence and not in_pat.is_sequence and pairs[0][0] is None:
        raise SequenceError(
            f"the input {inp!r} has no frame number, so the output pattern {out!r} cannot be filled"
        )
    out_dir = Path(out_pat.path(pairs[0][0]) if out_pat.is_sequence else out).parent
    if not out_dir.is_dir():
        raise ChromaIOError(f"output folder {str(out_dir)!r} does not exist; create it first")
    plan = []
    existing = []
    in_paths = {os.path.abspath(p) for _, p in pairs}
    for frame, path in pairs:
        target = out_pat.path(frame) if out_pat.is_sequence else out
        if os.path.abspath(target) in in_paths:
            raise ChromaIOError(f"the output {target!r} would replace an input; write elsewhere")
        if os.path.exists(target):
            if skip_existing:
                continue
            existing.append(target)
        plan.append((frame, path, target))
    if existing and not overwrite:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise ChromaIOError(
            f"{existing[0]!r}{more} exists; pass --overwrite to replace, or --skip-existing to finish a run"
        )
    return plan


def report_failures(failures: list[tuple[str, str]], total: int, verb: str) -> int:
    if not failures:
        return EXIT_OK
    print(f"chroma: {len(failures)} of {total} frames failed to {verb}:", file=sys.stderr)
    for path, why in failures:
        print(f"  {path}: {why}", file=sys.stderr)
    return EXIT_PARTIAL


# ----------------------------------------------------------------------------------- info


def _info_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", metavar="PATH_OR_PATTERN",
                   help="an image file, a frame (plate.1001.exr) or a pattern (plate.####.exr)")
    p.add_argument("--frames", metavar="SET", help="only these frames of a sequence (e.g. 1001-1010)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--colorspaces", action="store_true", help="list the config's colour spaces, displays, views and looks")
    add_config_option(p)


@command("info", "describe images and sequences: format, channels, colour space, exposure stats")
@arguments(_info_args)
def cmd_info(args: argparse.Namespace) -> int:
    """Describe an image or a sequence: format, size, channels, colour space,
    chromaticities, frame range and missing frames, and for every image its exposure
    statistics in stops (luminance relative to 0.18 mid-grey) and NaN/Inf counts.

    examples:
      chroma info plate.1001.exr
      chroma info 'plate.####.exr' --frames 1001-1010 --json
      chroma info --colorspaces
    """
    from chroma import io, ocio, sequence, stops
    from chroma.errors import ChromaError as _E

    if args.colorspaces:
        cfg = ocio.get_config(args.config)
        data = {
            "config": ocio.config_path(args.config),
            "colorspaces": ocio.list_colorspaces(args.config),
            "roles": dict(cfg.getRoles()),
            "displays": {d: ocio.list_views(d, args.config) for d in ocio.list_displays(args.config)},
            "looks": ocio.list_looks(args.config),
        }
        if args.json:
            print(json.dumps(data, indent=2))
        else:
            print(f"config: {data['config']}")
            print("colour spaces:\n  " + "\n  ".join(data["colorspaces"]))
            print("roles:\n  " + "\n  ".join(f"{k}: {v}" for k, v in data["roles"].items()))
            print("displays / views:")
            for d, views in data["displays"].items():
                print(f"  {d}: {', '.join(views)}")
            print("looks: " + ", ".join(data["looks"]))
        return EXIT_OK
    if not args.path:
        raise _E("give an image, a frame or a pattern to describe (or --colorspaces)")

    pat = sequence.parse_pattern(args.path)
    seq_info = None
    if pat.is_sequence:
        seq = sequence.discover(pat)
        if not seq.frames:
            raise sequence.SequenceError(f"no files match {args.path!r}")
        wanted = sequence.parse_frames(args.frames) if args.frames else seq.frames
        have = set(seq.frames)
        items = [(f, pat.path(f)) for f in wanted if f in have]
        absent = [f for f in wanted if f not in have]
        seq_info = {"pattern": pat.hashes(), "first": seq.first, "last": seq.last,
                    "frames": len(seq.frames), "missing": sequence.format_frames(seq.missing),
                    "requested_absent": sequence.format_frames(absent)}
        if not items:
            raise sequence.SequenceError(f"none of frames {args.frames} of {args.path!r} are on disk")
    else:
        if args.frames:
            raise sequence.SequenceError("--frames needs a sequence pattern like plate.####.exr")
        if not os.path.exists(args.path):
            raise io.ChromaIOError(f"{args.path!r} does not exist")
        found = sequence.pattern_from_frame_path(args.path)
        items = [(found[1] if found else None, args.path)]
        if found:
            seq = sequence.discover(found[0])
            if len(seq.frames) > 1:
                seq_info = {"pattern": found[0].hashes(), "first": seq.first, "last": seq.last,
                            "frames": len(seq.frames), "missing": sequence.format_frames(seq.missing)}

    from chroma.progress import Progress

    images = []
    failures = []
    header = None
    with Progress(len(items), "reading") as bar:
        for frame, path in items:
            try:
                img = io.read(path, config=args.config)
            except _E as exc:
                failures.append((path, str(exc)))
                bar.update()
                continue
            if header is None:
                header = {
                    "path": path, "format": img.metadata.get("oiio:format"),
                    "width": img.width, "height": img.height,
                    "datatype": img.metadata.get("oiio:datatype"), "channels": img.channels,
                    "colorspace": img.colorspace,
                    "chromaticities": img.metadata.get("chromaticities"),
                    "compression": img.metadata.get("compression"),
                    "chroma_metadata": {k: v for k, v in img.metadata.items() if k.startswith("chroma/")},
                }
            st = stops.exposure_stats(img, args.config).as_dict()
            images.append({"frame": frame, "path": path, **st})
            bar.update()
    result = {"image": header, "sequence": seq_info, "stats": images,
              "errors": [{"path": p, "error": e} for p, e in failures]}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print_info(result)
    return report_failures(failures, len(items), "read") if not args.json else (EXIT_PARTIAL if failures else EXIT_OK)


def _fmt_stops(v: float | None) -> str:
    return "   n/a" if v is None else f"{v:+6.2f}"


def _print_info(result: dict) -> None:
    h = result["image"]
    if h:
        print(f"{h['path']}")
        print(f"  format        {h['format']}  {h['width']}x{h['height']}  {h['datatype']}"
              + (f"  compression {h['compression']}" if h.get("compression") else ""))
        print(f"  channels      {' '.join(h['channels'])}")
        print(f"  colorspace    {h['colorspace']}")
        if h.get("chromaticities"):
            c = h["chromaticities"]
            print("  chromaticities R({:.4f},{:.4f}) G({:.4f},{:.4f}) B({:.4f},{:.4f}) W({:.5f},{:.5f})".format(*c))
        for k, v in h.get("chroma_metadata", {}).items():
            print(f"  {k:<13} {v}")
    s = result["sequence"]
    if s:
        print(f"sequence {s['pattern']}: {s['frames']} frames, {s['first']}-{s['last']}"
              + (f", missing {s['missing']}" if s["missing"] else ", none missing"))
        if s.get("requested_absent"):
            print(f"  requested but absent: {s['requested_absent']}")
    if result["stats"]:
        print("exposure (stops from 0.18 mid-grey)    min  median     max   NaN   Inf  <=0 px")
        for st in result["stats"]:
            label = str(st["frame"]) if st["frame"] is not None else os.path.basename(st["path"])
            print(f"  {label:<34} {_fmt_stops(st['min_stops'])}  {_fmt_stops(st['median_stops'])}  "
                  f"{_fmt_stops(st['max_stops'])}  {st['nan_values']:4d}  {st['inf_values']:4d}  {st['nonpositive_pixels']:6d}")


# -------------------------------------------------------------------------------- convert


def _convert_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="IN", help="image file or sequence pattern")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file or pattern (e.g. out.####.exr)")
    p.add_argument("--from", dest="src", metavar="CS", help="input colour space (default: the file's own, see docs)")
    p.add_argument("--to", dest="dst", metavar="CS", help="output colour space (default: ACEScg)")
    p.add_argument("--display", help="apply this OCIO display after conversion (for previews)")
    p.add_argument("--view", help="view of --display (default: the display's default view)")
    p.add_argument("--frames", metavar="SET", help="frames of a sequence to convert (default: all on disk)")
    p.add_argument("--skip-existing", action="store_true", help="leave outputs that already exist (finish an interrupted run)")
    add_output_options(p)
    add_config_option(p)


@command("convert", "convert images or sequences between OCIO colour spaces")
@arguments(_convert_args)
def cmd_convert(args: argparse.Namespace) -> int:
    """Convert an image or a sequence between OCIO colour spaces, writing EXR (or any
    format OIIO writes). Channels other than R, G, B (alpha, depth, layers) pass through.

    examples:
      chroma convert plate.####.exr -o aces/plate.####.exr --from ACEScg --to ACES2065-1
      chroma convert bg.exr -o bg_preview.png --display 'sRGB - Display'
    """
    from chroma import io, ocio
    from chroma.errors import ChromaError as _E
    from chroma.progress import Progress

    dst = ocio.resolve_colorspace(args.dst or "ACEScg", args.config)
    src = args.src and ocio.resolve_colorspace(args.src, args.config)
    out_kwargs = write_kwargs(args)
    plan = plan_frames(args.input, args.output, args.frames, args.overwrite, args.skip_existing)
    failures = []
    with Progress(len(plan), "converting") as bar:
        for _frame, path, target in plan:
            try:
                img = io.read(path, colorspace=src, config=args.config)
                rgb = ocio.convert(img.rgb, img.colorspace, dst, args.config)
                if args.display or args.view:
                    out = img.with_rgb(rgb, dst)
                    io.write_display(out, target, args.display, args.view, args.config, overwrite=True)
                else:
                    io.write(img.with_rgb(rgb, dst), target, **out_kwargs)
            except _E as exc:
                failures.append((path, str(exc)))
            bar.update()
    if plan:
        print(f"converted {len(plan) - len(failures)} image(s) to {dst}")
    return report_failures(failures, len(plan), "convert")


# ----------------------------------------------------------------------------------- demo


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("outdir", metavar="OUTDIR", help="folder to write the demo into (created if needed)")
    p.add_argument("--overwrite", action="store_true", help="replace files of an earlier demo in OUTDIR")


@command("demo", "write chroma's offline demo: a scene-linear EXR sequence and previews")
@arguments(_demo_args)
def cmd_demo(args: argparse.Namespace) -> int:
    """Write chroma's embedded, offline demo into OUTDIR: a procedural scene-linear
    ACEScg EXR sequence with honest metadata and preview PNGs through the sRGB display
    view, plus one part per feature (see docs/demo.md). Needs no network and no GPU.

    example:
      chroma demo demo_out
    """
    from chroma import demo

    written = demo.run(Path(args.outdir), overwrite=args.overwrite, report=print)
    print(f"demo: wrote {len(written)} files to {args.outdir}")
    return EXIT_OK



# ---------------------------------------------------------------------------------- light


def _light_args(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--kelvin", type=float, metavar="K", help="a blackbody (Planckian radiator) at K kelvin, e.g. 3200")
    src.add_argument("--illuminant", metavar="NAME", help="a CIE illuminant: A, D50, D55, D65, D75, FL1-FL12, LED-B1..B5, LED-V1, LED-V2, ...")
    src.add_argument("--led", metavar="SPEC", help="a parametric LED: peaks PEAK:FWHM[:POWER],... in nm (450:20,560:100) or a phosphor white pc:CCT[:FWHM] (pc:5600)")
    src.add_argument("--spd", metavar="FILE", help="a measured spectrum: CSV of wavelength_nm,relative_power rows (any spacing, covering 380-780 nm)")
    src.add_argument("--compare", nargs="+", metavar="LIGHT",
                     help="print lights side by side; each is 3200K, an illuminant name, led:SPEC, pc:CCT or a .csv file")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--stops", type=float, metavar="EV", help="intensity in stops: a white diffuser renders at 2**EV (default 0)")
    g.add_argument("--lux", type=float, metavar="LUX", help="intensity as illuminance; 1000 lux renders a white diffuser at 1.0 (see --exposure-lux)")
    p.add_argument("--exposure-lux", type=float, default=1000.0, metavar="LUX",
                   help="the illuminance the camera is exposed for: it renders a white diffuser at 1.0 (default 1000)")
    p.add_argument("--colorspace", default="ACEScg", metavar="CS", help="scene-linear working space for the light's RGB and the chart (default ACEScg)")
    p.add_argument("--json", action="store_true", help="print JSON: cct, duv, cri_ra, cri_ri[14], tm30_rf, tm30_rg, efficacy_lm_per_w, rgb, colorspace")
    p.add_argument("--chart", metavar="OUT.exr", help="write the ColorChecker rendered under the light as a scene-linear EXR")
    p.add_argument("--preview", metavar="OUT.png", help="write the chart through the default display view (sRGB, ACES 2.0 SDR)")
    p.add_argument("--no-white-balance", action="store_true", help="chart: keep the light's colour (camera not balanced to it)")
    p.add_argument("--patch-size", type=int, default=64, metavar="PX", help="chart patch size in pixels (default 64)")
    p.add_argument("--overwrite", action="store_true", help="replace chart files that already exist")
    add_config_option(p)


def _light_from_args(args: argparse.Namespace):
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
    ("CCT (K)", "cct", "{:.0f}", "Ohno 2014, CIE 1960 UCS"),
    ("Duv", "duv", "{:+.4f}", "Ohno 2014"),
    ("CRI Ra", "cri_ra", "{:.1f}", "CIE 13.3-1995"),
    ("CRI R9", None, "{:.1f}", "CIE 13.3-1995, saturated red"),
    ("TM-30 Rf", "tm30_rf", "{:.1f}", "ANSI/IES TM-30-18 = CIE 224:2017"),
    ("TM-30 Rg", "tm30_rg", "{:.1f}", "ANSI/IES TM-30-18"),
    ("LER (lm/W)", "efficacy_lm_per_w", "{:.1f}", "K_m = 683 lm/W, CIE 15:2004"),
)


def _light_cell(d: dict, key: str | None, fmt: str) -> str:
    value = d["cri_ri"][8] if key is None else d[key]
    if key == "duv" and abs(value) < 5e-5:
        value = 0.0  # no "-0.0000"
    return fmt.format(value)


def _print_light(d: dict) -> None:
    print(f"{d['name']}")
    for label, key, fmt, ref in _LIGHT_ROWS:
        cell = _light_cell(d, key, fmt)
        note = "  (not meaningful: |Duv| > 0.0054, CIE 13.3 5.3)" if key == "cri_ra" and not d["cri_valid"] else ""
        print(f"  {label:<12}{cell:>10}   {ref}{note}")
    print("  R1-R14      " + " ".join(f"{v:.0f}" for v in d["cri_ri"]))
    r, g, b = d["rgb"]
    print(f"  {d['colorspace']} RGB  {r:.4f} {g:.4f} {b:.4f}  (luminance 1; x 2^{d['stops']:+.2f} = {d['lux']:.0f} lux)")


def _print_compare(rows: list[dict]) -> None:
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


@command("light", "spectral lights: CCT, Duv, CRI (Ra, R9), TM-30, efficacy, RGB and a ColorChecker chart")
@arguments(_light_args)
def cmd_light(args: argparse.Namespace) -> int:
    """Describe a light from its spectrum: CCT and Duv, CIE 13.3 CRI (Ra and R1-R14, R9
    is saturated red), ANSI/IES TM-30-18 Rf and Rg, luminous efficacy of radiation, and its
    colour as RGB in the working space (ACEScg, luminance 1). Optionally render the 24
    ColorChecker patches under it (--chart EXR, --preview PNG), white-balanced with CAT16
    unless --no-white-balance; each patch's CIEDE2000 against the CIE reference illuminant
    of the same CCT goes into the EXR metadata and the JSON.

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

    light = _light_from_args(args)
    data = light.summary(cs, args.config)
    written = []
    if args.chart or args.preview:
        result = charts.render_chart(light, colorspace=cs, white_balance=not args.no_white_balance, config=args.config)
        written = charts.write_chart(result, args.chart, args.preview, patch=args.patch_size,
                                     overwrite=args.overwrite, config=args.config)
        data["chart"] = result.as_dict()
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        _print_light(data)
        if written:
            de = data["chart"]
            print(f"  chart       CIEDE2000 vs {de['reference']}: mean {de['delta_e2000_mean']:.2f}, max {de['delta_e2000_max']:.2f}")
            for path in written:
                print(f"  wrote {path}")


# -------------------------------------------------------------------------------- ambient


def _rotation_arg(text: str) -> tuple[float, float, float]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3:
        raise argparse.ArgumentTypeError(f"expected YAW,PITCH,ROLL in degrees like 90,0,0, got {text!r}")
    return values  # type: ignore[return-value]


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


@command("ambient", "spherical-harmonic ambient light of an HDRI: coefficients, dominant light, Kelvin, balls")
@arguments(_ambient_args)
def cmd_ambient(args: argparse.Namespace) -> int:
    """Capture an HDRI's ambient light in spherical harmonics (9 coefficients x RGB, the
    irradiance representation renderers use; Ramamoorthi & Hanrahan 2001) and report the
    dominant light direction and colour and the ambient colour as Kelvin/Duv. The lat-long
    convention is OIIO's (+Y up, image centre +Z, u=0.25 is +X); see docs/ambient.md.

    examples:
      chroma ambient sky.exr
      chroma ambient sky.exr --rotate 90,0,0 --json > sky_sh.json
      chroma ambient sky.exr --ball balls.exr     # grey + chrome reference balls
    """
    from chroma import ambient, io

    img = io.read(args.hdri, colorspace=args.colorspace, config=args.config)
    sh = ambient.project(img, order=args.order, colorspace="ACEScg", config=args.config)
    if any(args.rotate):
        sh = sh.rotated(*args.rotate)
    if args.window:
        sh = sh.windowed(args.window)
    if args.ball:
        if os.path.exists(args.ball) and not args.overwrite:
            raise io.ChromaIOError(f"{args.ball!r} exists; pass --overwrite to replace it")
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


# ---------------------------------------------------------------------------------- blend


def _blend_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", metavar="A", help="colour (#ff8000, r,g,b in the working space, 3200K), image or sequence pattern")
    p.add_argument("b", metavar="B", help="the colour, image or sequence to blend towards")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="output: gradient image (.exr scene-linear, .png display), blend, or frame pattern")
    p.add_argument("--space", choices=("oklab", "oklch", "linear", "srgb"), default="oklab",
                   help="blend space (default: oklab)")
    p.add_argument("--hue", choices=("shorter", "longer", "increasing", "decreasing"), default="shorter",
                   help="OKLCh hue interpolation, as CSS Color 4 defines it (default: shorter)")
    p.add_argument("--steps", type=int, metavar="N",
                   help="colours: gradient steps (default 7 printed; one per pixel column in an image)")
    p.add_argument("--compare", action="store_true",
                   help="colours: write one PNG with the oklab, linear and srgb blends as labelled strips")
    p.add_argument("--size", metavar="WxH", help="gradient/compare image size (default 512x64; --compare 512x150)")
    p.add_argument("--t", type=float, default=0.5, metavar="T", help="images: blend weight, 0 = A, 1 = B (default 0.5)")
    p.add_argument("--frames", metavar="SET", help="crossfade over these frames (default: the frames the sequences have)")
    p.add_argument("--curve", choices=("linear", "smooth", "ease-in", "ease-out", "ease-in-out"), default="smooth",
                   help="crossfade weight over the frames (default: smooth)")
    p.add_argument("--preserve-luminance", action="store_true",
                   help="HDR: blend colours at a common exposure and interpolate the exposure in stops")
    p.add_argument("--colorspace", default="ACEScg", metavar="CS", help="scene-linear working space (default: ACEScg)")
    p.add_argument("--json", action="store_true", help="colours without -o: print JSON")
    add_output_options(p)
    add_config_option(p)


def _parse_size(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    from chroma.errors import ChromaValueError

    if not text:
        return default
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ChromaValueError(f"--size {text!r}: write WIDTHxHEIGHT, e.g. 512x64") from None
    if not (2 <= w <= 16384 and 1 <= h <= 16384):
        raise ChromaValueError(f"--size {text!r}: width 2-16384, height 1-16384")
    return w, h


@command("blend", "blend colours, images or sequences in OKLab, OKLCh, linear light or sRGB")
@arguments(_blend_args)
def cmd_blend(args: argparse.Namespace) -> int:
    """Blend two colours (a gradient), two images (a mix) or two sequences (a crossfade) in
    OKLab (perceptually even), OKLCh (hue around the wheel), linear light (physical) or
    sRGB-encoded values (what most 2D software does). Out-of-gamut results are brought in
    by reducing OKLCh chroma at constant lightness and hue (CSS Color 4), never clipped.
    Colours: hex (sRGB display values), r,g,b (linear, working space) or Kelvin (3200K).

    examples:
      chroma blend '#00ff00' '#ff00ff' --steps 5
      chroma blend 3200K 6500K --space oklch -o ramp.exr --size 1024x64
      chroma blend '#00ff00' '#ff00ff' --compare -o blend_compare.png
      chroma blend a.exr b.exr --t 0.25 -o mix.exr
      chroma blend 'a.####.exr' 'b.####.exr' --frames 1001-1024 --curve smooth -o 'fade.####.exr'
      chroma blend 'plate.####.exr' '0,0,0' --frames 1001-1012 -o 'fade.####.exr' --preserve-luminance
    """
    import numpy as np

    from chroma import io, oklab
    from chroma.errors import ChromaIOError, ChromaValueError
    from chroma.image import Image

    cs = args.colorspace
    colours = [oklab.parse_color(x, cs, args.config) if oklab.looks_like_color(x) else None for x in (args.a, args.b)]
    both = all(c is not None for c in colours)
    if args.steps is not None and args.steps < 2:
        raise ChromaValueError("--steps must be at least 2")
    if args.output and os.path.exists(args.output) and not args.overwrite and "#" not in args.output:
        raise ChromaIOError(f"{args.output!r} exists; pass --overwrite to replace it")
    if args.compare:
        if not both:
            raise ChromaValueError("--compare blends two colours (e.g. '#00ff00' '#ff00ff'), not images")
        if not args.output:
            raise ChromaValueError("--compare needs -o FIGURE.png")
        w, h = _parse_size(args.size, (512, 150))
        path = oklab.write_compare(colours[0], colours[1], args.output, w, h, hue=args.hue,
                                   colorspace=cs, overwrite=args.overwrite, config=args.config)
        print(f"wrote {path}: strips top to bottom oklab, linear, srgb")
        return EXIT_OK
    if both:
        if not args.output:
            steps = args.steps or 7
            g = oklab.gradient(colours, steps, args.space, hue=args.hue, colorspace=cs,
                               preserve_luminance=args.preserve_luminance, config=args.config)
            disp = oklab.to_display(g, cs, args.config)
            lch = oklab.oklab_to_oklch(oklab.to_oklab(g, cs, args.config))
            rows = [{"t": float(t), "rgb": [round(float(v), 6) for v in c],
                     "hex": "#" + "".join(f"{int(round(float(v) * 255)):02x}" for v in d),
                     "oklch": [round(float(v), 4) for v in l]}
                    for t, c, d, l in zip(np.linspace(0, 1, steps), g, disp, lch)]
            if args.json:
                print(json.dumps({"space": args.space, "hue": args.hue, "colorspace": cs, "steps": rows}, indent=2))
            else:
                print(f"{'t':>5}  {cs + ' R G B':<30} {'sRGB':<8} OKLCh L C h")
                for r in rows:
                    rgb = " ".join(f"{v:9.5f}" for v in r["rgb"])
                    L, C, H = r["oklch"]
                    print(f"{r['t']:5.3f}  {rgb:<30} {r['hex']:<8} {L:.4f} {C:.4f} {H:6.1f}")
            return EXIT_OK
        w, h = _parse_size(args.size, (512, 64))
        steps = args.steps or w
        exr = args.output.lower().endswith(".exr")
        g = oklab.gradient(colours, steps, args.space, hue=args.hue, colorspace=cs,
                           preserve_luminance=args.preserve_luminance,
                           gamut="working" if exr else None, config=args.config)
        band = np.minimum(np.arange(w) * steps // w, steps - 1)
        row = g[band]
        meta = {"chroma/blend/space": args.space, "chroma/blend/hue": args.hue,
                "chroma/blend/a": args.a, "chroma/blend/b": args.b}
        if exr:
            img = Image(np.repeat(row[None], h, axis=0), ["R", "G", "B"], cs, meta)
            io.write(img, args.output, **write_kwargs(args))
        else:
            img = Image(np.repeat(oklab.to_display(row, cs, args.config)[None], h, axis=0), ["R", "G", "B"],
                        "sRGB Encoded Rec.709 (sRGB)", meta)
            io.write(img, args.output, overwrite=True)
        print(f"wrote {args.output}: {steps}-step {args.space} gradient, {w}x{h}")
        return EXIT_OK
    if not args.output:
        raise ChromaValueError("blending images needs -o OUT (a file, or a pattern like fade.####.exr)")
    from chroma import sequence

    sources = [args.a, args.b]
    fade = args.frames or any(sequence.parse_pattern(x).is_sequence for x in sources + [args.output]
                              if not oklab.looks_like_color(x))
    opts = {k: v for k, v in write_kwargs(args).items() if k not in ("overwrite", "config")}
    if fade:
        written = oklab.crossfade(args.a, args.b, args.output, args.frames, args.space, args.curve,
                                  hue=args.hue, colorspace=cs, preserve_luminance=args.preserve_luminance,
                                  overwrite=args.overwrite, write_options=opts, config=args.config)
        print(f"wrote {len(written)} frame(s) of a {args.space} crossfade ({args.curve})")
        return EXIT_OK
    if not 0.0 <= args.t <= 1.0:
        raise ChromaValueError(f"--t {args.t}: the blend weight runs from 0 (A) to 1 (B)")
    pics = []
    for x, c in zip(sources, colours):
        if c is not None:
            pics.append(c)
        elif not os.path.exists(x):
            raise ChromaIOError(f"{x!r} is neither a colour nor an existing image")
        else:
            pics.append(io.read(x, config=args.config))
    if os.path.abspath(args.output) in {os.path.abspath(x) for x in sources}:
        raise ChromaIOError(f"the output {args.output!r} would replace an input; write elsewhere")
    img = oklab.mix_images(pics[0], pics[1], args.t, args.space, hue=args.hue, colorspace=cs,
                           preserve_luminance=args.preserve_luminance, config=args.config)
    io.write(img, args.output, metadata={"blend/a": args.a, "blend/b": args.b}, **write_kwargs(args))
    print(f"wrote {args.output}: {args.space} blend at t={args.t:g}")
    return EXIT_OK


# ---------------------------------------------------------------------------------- grade


def _grade_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="IN", nargs="?", help="image file or sequence pattern (plate.####.exr)")
    p.add_argument("-o", "--output", metavar="OUT", help="output file or pattern (e.g. graded/plate.####.exr)")
    g = p.add_argument_group("grade (applied in this order, in the working space, scene-linear ACEScg)")
    g.add_argument("--grade", metavar="FILE", help="start from a grade saved with --save-grade (TOML or JSON)")
    g.add_argument("--match-exposure", metavar="REF", help="first add the stops that bring the first frame's median luminance to REF's")
    g.add_argument("--exposure", type=float, metavar="STOPS", help="exposure in stops (+1 doubles the light)")
    g.add_argument("--white-balance", metavar="FROM_K[:TO_K]", help="white balance from a white in Kelvin to another (default 6504 K, D65)")
    g.add_argument("--tint", type=float, metavar="DUV", help="tint (Duv) of the FROM white: + green, - magenta")
    g.add_argument("--cat", default="CAT16", metavar="METHOD", help="chromatic adaptation: CAT16 (default), Bradford, CAT02, 'von Kries'")
    g.add_argument("--cdl", metavar="FILE", help="an ASC CDL file (.cc, .cdl, .ccc)")
    g.add_argument("--slope", metavar="R,G,B", help="ASC CDL slope")
    g.add_argument("--offset", metavar="R,G,B", help="ASC CDL offset")
    g.add_argument("--power", metavar="R,G,B", help="ASC CDL power")
    g.add_argument("--saturation", type=float, metavar="S",
                   help="saturation: the CDL's (Rec.709 luma) with --cdl/--slope/--offset/--power, else around the working space's luma")
    g.add_argument("--cdl-style", choices=("asc", "no_clamp"), default="asc",
                   help="asc: the spec's [0, 1] clamps (default); no_clamp: OCIO's default, negatives bypass the power")
    g.add_argument("--cdl-colorspace", default="color_timing", metavar="CS",
                   help="colour space the CDL applies in (default: the config's color_timing role, ACEScct)")
    g.add_argument("--contrast", type=float, metavar="C", help="contrast around 0.18 mid-grey, in stops (1 = none)")
    g.add_argument("--pivot", type=float, default=0.18, metavar="P", help="contrast pivot, scene-linear (default 0.18)")
    g.add_argument("--look", metavar="NAME", help="an OCIO look of the config")
    g.add_argument("--lut", metavar="FILE", help="a LUT file OCIO reads (.cube, .spi3d, .clf...), in the working space")
    p.add_argument("--colorspace", metavar="CS", help="output colour space (default: the input's)")
    p.add_argument("--frames", metavar="SET", help="frames of a sequence (default: all on disk)")
    p.add_argument("--jobs", type=int, metavar="N", help="frames graded in parallel processes (default: all cores)")
    p.add_argument("--skip-existing", action="store_true", help="leave outputs that already exist (finish an interrupted run)")
    p.add_argument("--save-grade", metavar="FILE", help="write the grade as TOML (.toml) or JSON (.json)")
    p.add_argument("--bake-lut", metavar="FILE", help="bake the grade to a .cube over an ACEScct shaper (see docs/grade.md)")
    p.add_argument("--export-cdl", metavar="FILE", help="write the grade as ASC CDL XML (.cc/.cdl/.ccc) when it is CDL-expressible")
    p.add_argument("--dry-run", action="store_true", help="print the plan (frames, inputs -> outputs, the grade) and write nothing")
    add_output_options(p)
    add_config_option(p)


def _build_grade(args: argparse.Namespace):
    from chroma import grade as G
    from chroma.errors import ChromaValueError

    base = G.Grade.load(args.grade, args.config) if args.grade else G.Grade([], config=args.config)
    ops = []
    if args.exposure is not None:
        ops.append(G.Exposure(args.exposure))
    if args.white_balance or args.tint is not None:
        text = args.white_balance or "6504"
        parts = text.split(":")
        try:
            from_k = float(parts[0].lower().rstrip("k"))
            to_k = float(parts[1].lower().rstrip("k")) if len(parts) > 1 and parts[1] else 6504.0
        except ValueError:
            raise ChromaValueError(f"--white-balance {text!r}: give Kelvin as FROM_K or FROM_K:TO_K, e.g. 3200:6504") from None
        if len(parts) > 2:
            raise ChromaValueError(f"--white-balance {text!r}: give FROM_K or FROM_K:TO_K")
        ops.append(G.WhiteBalance(from_k, to_k, args.tint or 0.0, 0.0, args.cat))
    sop = any(v is not None for v in (args.slope, args.offset, args.power))
    if args.cdl and sop:
        raise ChromaValueError("give either --cdl FILE or --slope/--offset/--power, not both")
    if args.cdl:
        cdl = G.CDL.from_file(args.cdl, style=args.cdl_style, colorspace=args.cdl_colorspace)
        if args.saturation is not None:
            cdl = G.dataclasses.replace(cdl, saturation=args.saturation)
        ops.append(cdl)
    elif sop:
        ops.append(G.CDL(args.slope or (1, 1, 1), args.offset or (0, 0, 0), args.power or (1, 1, 1),
                         1.0 if args.saturation is None else args.saturation, args.cdl_style, args.cdl_colorspace))
    if args.contrast is not None:
        ops.append(G.Contrast(args.contrast, args.pivot))
    if args.saturation is not None and not (args.cdl or sop):
        ops.append(G.Saturation(args.saturation))
    if args.look:
        look = G.Look(args.look)
        look.transforms(base.colorspace, args.config)  # unknown look -> error now
        ops.append(look)
    if args.lut:
        ops.append(G.LUT(args.lut))
    return base.then(*ops)


@command("grade", "grade images or sequences: exposure in stops, white balance in Kelvin, CDL, contrast, looks, LUTs")
@arguments(_grade_args)
def cmd_grade(args: argparse.Namespace) -> int:
    """Grade an image or a whole sequence: exposure in stops, white balance in Kelvin
    (and tint), ASC CDL, contrast around mid-grey, saturation, OCIO looks and LUTs, applied
    in that order in the scene-linear working space. Exposure, white balance and the
    colour-space change are composed into one matrix. Alpha, depth and other layers pass
    through; the input's metadata is kept and the grade is added under chroma/grade.
    Frames are graded in parallel processes (--jobs, default all cores); a missing or
    corrupt frame is reported at the end (exit 1) while the others finish; re-run with
    --skip-existing to finish an interrupted run.

    examples:
      chroma grade plate.####.exr -o graded/plate.####.exr --exposure 1.5
      chroma grade plate.1001.exr -o out.exr --white-balance 3200:6504 --tint 0.002
      chroma grade 'plate.####.exr' -o 'g/plate.####.exr' --slope 1.1,1,0.9 --power 1,1,1.05 --saturation 0.9
      chroma grade plate.####.exr -o g/plate.####.exr --match-exposure hero.exr --jobs 2
      chroma grade --exposure 0.5 --white-balance 5600 --save-grade shot.toml --bake-lut luts/shot.cube
      chroma grade plate.####.exr -o g/plate.####.exr --grade shot.toml --colorspace ACES2065-1 --dry-run
    """
    from chroma import grade as G
    from chroma import io, stops
    from chroma.errors import ChromaError as _E
    from chroma.progress import Progress

    if args.jobs is not None and args.jobs < 1:
        raise _E(f"--jobs {args.jobs}: give 1 or more parallel frames")
    if args.input and not args.output:
        raise _E("give the output with -o OUT (a file, or a pattern like graded/plate.####.exr)")
    if args.output and not args.input:
        raise _E("give the input image or pattern before -o")
    if not args.input and not (args.save_grade or args.bake_lut or args.export_cdl):
        raise _E("give IN -o OUT to grade images, or --save-grade/--bake-lut/--export-cdl to export the grade")
    colorspace = args.colorspace and __import__("chroma.ocio", fromlist=["x"]).resolve_colorspace(args.colorspace, args.config)
    grade = _build_grade(args)
    plan = []
    if args.input:
        plan = plan_frames(args.input, args.output, args.frames, args.overwrite or args.dry_run, args.skip_existing)
        if args.match_exposure:
            ref = io.read(args.match_exposure, config=args.config)
            first = next((p for _, p, _ in plan if os.path.exists(p)), None)
            if first is None:
                raise _E("--match-exposure needs at least one input frame on disk")
            shift = stops.match_exposure(grade.apply(io.read(first, config=args.config)), ref, args.config)
            grade = grade.then(G.Exposure(round(shift, 6)))
    elif args.match_exposure:
        raise _E("--match-exposure needs an input to measure")
    if args.dry_run:
        print("grade:\n  " + grade.describe().replace("\n", "\n  "))
        print(f"output colour space: {colorspace or 'as each input'}")
        for frame, path, target in plan:
            print(f"  {path} -> {target}" + ("" if os.path.exists(path) else "  (missing)"))
        if args.input:
            print(f"{len(plan)} frame(s) would be graded; nothing written (--dry-run)")
        for what, path in (("grade", args.save_grade), ("LUT", args.bake_lut), ("CDL", args.export_cdl)):
            if path:
                print(f"would write the {what} to {path}")
        return EXIT_OK
    for path in (args.save_grade, args.bake_lut, args.export_cdl):
        if path and os.path.exists(path) and not args.overwrite:
            raise _E(f"{path!r} exists; pass --overwrite to replace it")
    if args.save_grade:
        grade.save(args.save_grade)
        print(f"wrote grade {args.save_grade}")
    if args.export_cdl:
        grade.write_cdl(args.export_cdl)
        print(f"wrote ASC CDL {args.export_cdl}")
    if args.bake_lut:
        grade.bake_lut(args.bake_lut)
        print(f"wrote LUT {args.bake_lut} (ACEScct in and out; see docs/grade.md)")
    if not args.input:
        return EXIT_OK
    with Progress(len(plan), "grading") as bar:
        failures = G.grade_frames(plan, grade, colorspace, write_kwargs(args), args.jobs,
                                  on_done=lambda _p: bar.update())
    if plan:
        print(f"graded {len(plan) - len(failures)} of {len(plan)} image(s)")
    return report_failures(failures, len(plan), "grade")


__all__ = ["main", "build_parser", "command", "arguments", "COMMANDS"]
