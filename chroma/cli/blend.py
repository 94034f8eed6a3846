"""``chroma blend``."""

from __future__ import annotations

import argparse
import json
import os
import re
from typing import Any, Callable, TypeVar

from chroma.cli._core import (
    EXIT_OK,
    add_config_option,
    add_farm_option,
    add_output_options,
    arguments,
    command,
    note,
    report_failures,
    write_kwargs,
)

T = TypeVar("T")

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
    p.add_argument("--fade-frames", metavar="SET",
                   help="the frames of the whole fade when --frames writes a part of it (farm chunks, OpenCue nodes): "
                        "the weights run over these, so the parts equal one crossfade")
    p.add_argument("--curve", choices=("linear", "smooth", "ease-in", "ease-out", "ease-in-out"), default="smooth",
                   help="crossfade weight over the frames (default: smooth)")
    p.add_argument("--preserve-luminance", action="store_true",
                   help="HDR: blend colours at a common exposure and interpolate the exposure in stops")
    p.add_argument("--colorspace", default="ACEScg", metavar="CS", help="scene-linear working space (default: ACEScg)")
    p.add_argument("--json", action="store_true", help="colours without -o: print JSON")
    add_output_options(p)
    add_config_option(p)
    add_farm_option(p)


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


# the docstring is the command's --help text (build_parser), not numpydoc
_BLEND_HELP = """\
Blend two colours (a gradient), two images (a mix) or two sequences (a crossfade) in
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


@command("blend", "blend colours, images or sequences in OKLab, OKLCh, linear light or sRGB", description=_BLEND_HELP)
@arguments(_blend_args)
def cmd_blend(args: argparse.Namespace) -> int:
    """Run ``chroma blend``: two colours (a gradient), two images (a mix) or two sequences (a crossfade).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``chroma blend --help`` lists the options).

    Returns
    -------
    int
        The exit status: 0 done, 2 a user error (reported on one line), as the README's table.
    """
    from chroma import oklab

    plan = _in_cli_words(oklab.plan_blend, args.a, args.b, args.output, frames=args.frames, compare=args.compare,
                         steps=args.steps, t=args.t, colorspace=args.colorspace, config=args.config)
    size = None
    if plan.kind in ("compare", "gradient"):
        size = _parse_size(args.size, (512, 150) if plan.kind == "compare" else (512, 64))
    options = None
    exr = plan.kind != "gradient" or args.output.lower().endswith(".exr")
    if plan.kind in ("gradient", "crossfade", "mix") and exr:  # scene-linear images: the output options apply
        options = {k: v for k, v in write_kwargs(args).items() if k not in ("overwrite", "config")}
    if plan.kind == "crossfade" and args.farm:  # chunks of the fade on Dask workers (docs/farm.md)
        return _blend_on_farm(args, [args.a, args.b], options)
    result = _in_cli_words(
        oklab.make_blend, args.a, args.b, args.output, args.space, hue=args.hue, colorspace=args.colorspace,
        preserve_luminance=args.preserve_luminance, steps=args.steps, size=size, compare=args.compare, t=args.t,
        frames=args.frames, span=args.fade_frames, curve=args.curve, overwrite=args.overwrite,
        write_options=options, progress=False if args.quiet else None, config=args.config)
    for folder in result.folders:
        note(f"created the output folder {folder}")
    return _report(args, result)


# API keywords in plan_blend's messages, as this command spells them
_WORDS = ((re.compile(r"\bcompare=True\b"), "--compare"), (re.compile(r"\boutput="), "-o "),
          (re.compile(r"^steps\b"), "--steps"), (re.compile(r"^t="), "--t "))


def _in_cli_words(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``func(*args, **kwargs)``, its ChromaValueError worded with the command's options."""
    from chroma.errors import ChromaValueError

    try:
        return func(*args, **kwargs)
    except ChromaValueError as exc:
        message = str(exc)
        for pattern, repl in _WORDS:
            message = pattern.sub(repl, message)
        if message == str(exc):
            raise
        raise type(exc)(message) from None


def _report(args: argparse.Namespace, result: Any) -> int:
    """Print what :func:`chroma.oklab.make_blend` did; the exit status."""
    if result.kind == "compare":
        print(f"wrote {result.paths[0]}: strips top to bottom oklab, linear, srgb")
    elif result.kind == "table":
        _print_table(args, result.rows)
    elif result.kind == "gradient":
        w, h = result.size
        print(f"wrote {args.output}: {result.steps}-step {args.space} gradient, {w}x{h}")
    elif result.kind == "crossfade":
        failed = result.failures
        print(f"wrote {len(result.paths)} frame(s) of a {args.space} crossfade ({args.curve})"
              + (f", {len(failed)} failed" if failed else ""))
        return report_failures(failed, len(result.paths) + len(failed), "blend")
    else:
        print(f"wrote {args.output}: {args.space} blend at t={args.t:g}")
    return EXIT_OK


def _print_table(args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    """A gradient table: JSON (--json) or one aligned line per step."""
    cs = args.colorspace
    if args.json:
        print(json.dumps({"space": args.space, "hue": args.hue, "colorspace": cs, "steps": rows}, indent=2))
        return
    print(f"{'t':>5}  {cs + ' R G B':<30} {'sRGB':<8} OKLCh L C h")
    for r in rows:
        rgb = " ".join(f"{v:9.5f}" for v in r["rgb"])
        L, C, H = r["oklch"]
        print(f"{r['t']:5.3f}  {rgb:<30} {r['hex']:<8} {L:.4f} {C:.4f} {H:6.1f}")


def _blend_on_farm(args: argparse.Namespace, sources: list[str], options: dict[str, Any] | None) -> int:
    """``chroma blend A B -o OUT --farm ...``: the crossfade's frames in chunks on Dask, each
    frame weighed over the whole fade (:class:`chroma.oklab.job.FadeFrame`)."""
    from chroma import frameplan, oklab, sequence
    from chroma.errors import ChromaValueError
    from chroma.farm import FarmFrames
    from chroma.framerun import run_frames
    from chroma.oklab.job import FadeFrame

    if args.frames:
        whole = list(sequence.frame_set(args.frames))
    else:
        patterns = [sequence.parse_pattern(x) for x in sources if not oklab.looks_like_color(x)]
        seqs = [p for p in patterns if p.is_sequence]
        if not seqs:
            raise ChromaValueError("--farm crossfades sequences: give --frames or a sequence input (plate.####.exr)")
        whole = frameplan.common_frames(seqs)
    span = args.fade_frames or sequence.format_frames(whole)
    out = sequence.parse_pattern(args.output)
    if not out.is_sequence:
        raise ChromaValueError("--farm writes a sequence: give -o like fade.####.exr")
    plan = [(f, "", out.path(f)) for f in whole if args.overwrite or not os.path.exists(out.path(f))]
    work = FadeFrame(args.a, args.b, args.output, span, args.space, args.curve, args.hue, args.colorspace,
                     args.preserve_luminance, options, args.config)
    failures = run_frames(work, plan, FarmFrames(args.farm, args.chunk, "crossfade", "blend"))
    print(f"wrote {len(plan) - len(failures)} frame(s) of a {args.space} crossfade ({args.curve}) on the farm")
    return report_failures(failures, len(plan), "blend")
