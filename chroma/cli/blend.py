"""``chroma blend``."""

from __future__ import annotations

import argparse
import json
import os

from chroma.cli._core import (
    EXIT_OK,
    add_config_option,
    add_farm_option,
    add_output_options,
    arguments,
    check_outputs,
    command,
    note,
    report_failures,
    write_kwargs,
)

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
    if args.compare:
        if not both:
            raise ChromaValueError("--compare blends two colours (e.g. '#00ff00' '#ff00ff'), not images")
        if not args.output:
            raise ChromaValueError("--compare needs -o FIGURE.png")
        w, h = _parse_size(args.size, (512, 150))
        check_outputs([args.output], overwrite=args.overwrite)
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
                     "oklch": [round(float(v), 4) for v in lc]}
                    for t, c, d, lc in zip(np.linspace(0, 1, steps), g, disp, lch)]
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
        check_outputs([args.output], overwrite=args.overwrite)
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
    from chroma import sequence  # noqa: PLC0415

    for operand in (args.a, args.b):
        if oklab.looks_like_color(operand):
            continue
        pat = sequence.parse_pattern(operand)
        on_disk = bool(sequence.discover(pat).frames) if pat.is_sequence else os.path.isfile(operand)
        if not on_disk:
            raise ChromaValueError(
                f"{operand!r} is neither a colour (#rrggbb, r,g,b in the working space, 3200K) "
                "nor an image or sequence on disk"
            )
    if not args.output:
        raise ChromaValueError("blending images needs -o OUT (a file, or a pattern like fade.####.exr)")
    from chroma import sequence

    sources = [args.a, args.b]
    fade = args.frames or any(sequence.parse_pattern(x).is_sequence for x in sources + [args.output]
                              if not oklab.looks_like_color(x))
    opts = {k: v for k, v in write_kwargs(args).items() if k not in ("overwrite", "config")}
    if fade:
        folder = os.path.dirname(args.output) or "."
        existed = os.path.isdir(folder)
        failed: list = []
        if args.farm:  # chunks of the fade on Dask workers, each weighted over the whole fade (docs/farm.md)
            return _blend_on_farm(args, sources)
        written = oklab.crossfade(args.a, args.b, args.output, args.frames, args.space, args.curve,
                                  hue=args.hue, colorspace=cs, preserve_luminance=args.preserve_luminance,
                                  overwrite=args.overwrite, write_options=opts, config=args.config,
                                  create_folders=True, progress=False if args.quiet else None, failures=failed,
                                  span=args.fade_frames)
        if not existed:
            note(f"created the output folder {folder}")
        print(f"wrote {len(written)} frame(s) of a {args.space} crossfade ({args.curve})"
              + (f", {len(failed)} failed" if failed else ""))
        return report_failures(failed, len(written) + len(failed), "blend")
    if not 0.0 <= args.t <= 1.0:
        raise ChromaValueError(f"--t {args.t}: the blend weight runs from 0 (A) to 1 (B)")
    check_outputs([args.output], [x for x, c in zip(sources, colours) if c is None], overwrite=args.overwrite)
    pics = []
    for x, c in zip(sources, colours):
        if c is not None:
            pics.append(c)
        elif not os.path.exists(x):
            raise ChromaIOError(f"{x!r} is neither a colour nor an existing image")
        else:
            pics.append(io.read(x, config=args.config))
    img = oklab.mix_images(pics[0], pics[1], args.t, args.space, hue=args.hue, colorspace=cs,
                           preserve_luminance=args.preserve_luminance, config=args.config)
    io.write(img, args.output, metadata={"blend/a": args.a, "blend/b": args.b}, **write_kwargs(args))
    print(f"wrote {args.output}: {args.space} blend at t={args.t:g}")
    return EXIT_OK


def _blend_on_farm(args: argparse.Namespace, sources: list[str]) -> int:
    """``chroma blend A B -o OUT --farm ...``: the crossfade's frames in chunks on Dask, each
    task running this command for its frames with ``--fade-frames`` set to the whole fade."""
    from chroma import farm, oklab, sequence
    from chroma.errors import ChromaValueError

    if args.frames:
        whole = list(sequence.frame_set(args.frames))
    else:
        seqs = [sequence.parse_pattern(x) for x in sources if not oklab.looks_like_color(x)]
        found = [set(sequence.discover(p).frames) for p in seqs if p.is_sequence]
        if not found:
            raise ChromaValueError("--farm crossfades sequences: give --frames or a sequence input (plate.####.exr)")
        whole = sorted(set.intersection(*found))
    span = args.fade_frames or sequence.format_frames(whole)
    out = sequence.parse_pattern(args.output)
    if not out.is_sequence:
        raise ChromaValueError("--farm writes a sequence: give -o like fade.####.exr")
    plan = [(f, "", out.path(f)) for f in whole if args.overwrite or not os.path.exists(out.path(f))]
    argv = [*args.argv, "--fade-frames", span] if not args.fade_frames else list(args.argv)
    failures = farm.cli_frames(args.farm, argv, plan, "crossfade", args.chunk)
    print(f"wrote {len(plan) - len(failures)} frame(s) of a {args.space} crossfade ({args.curve}) on the farm")
    return report_failures(failures, len(plan), "blend")
