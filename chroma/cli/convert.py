"""``chroma convert``."""

from __future__ import annotations

import argparse

from chroma.cli._core import (
    FrameJob,
    add_config_option,
    add_farm_option,
    add_output_options,
    arguments,
    command,
    plan_frame_job,
    report_failures,
    write_kwargs,
)

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
    add_farm_option(p)


_CONVERT_HELP = """Convert an image or a sequence between OCIO colour spaces, writing EXR (or any
    format OIIO writes). Channels other than R, G, B (alpha, depth, layers) pass through.

    examples:
      chroma convert plate.####.exr -o aces/plate.####.exr --from ACEScg --to ACES2065-1
      chroma convert bg.exr -o bg_preview.png --display 'sRGB - Display'
    """


@command("convert", "convert images or sequences between OCIO colour spaces", description=_CONVERT_HELP)
@arguments(_convert_args)
def cmd_convert(args: argparse.Namespace) -> int:
    """Run ``chroma convert``: convert images or sequences between OCIO colour spaces.

    The --help text is ``_CONVERT_HELP``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        Exit status: 0, or 1 when frames failed or were missing (the others are converted).

    Raises
    ------
    ChromaError
        A user mistake (an unknown colour space, an output that exists or is an input, a
        single file that fails); :func:`main` prints it on one line and exits 2.
    """
    from chroma import io, ocio
    from chroma.framerun import FileCall, LocalFrames, run_frames

    dst = ocio.resolve_colorspace(args.dst or "ACEScg", args.config)
    src = args.src and ocio.resolve_colorspace(args.src, args.config)
    plan = plan_frame_job(args.input, args.output, args.frames, args.overwrite, args.skip_existing)
    work = FileCall(io.convert_file, dict(colorspace=dst, source=src or None, display=args.display, view=args.view,
                                          **write_kwargs(args)))
    if args.farm:  # chunks of frames on Dask workers (chroma.farm, docs/farm.md)
        from chroma.farm import FarmFrames

        if any(f is None for f, _p, _t in plan):
            from chroma.farm import FarmError

            raise FarmError("--farm runs the frames of a sequence (IN like plate.####.exr); "
                            "run a single image without it")
        failures = run_frames(work, plan, FarmFrames(args.farm, args.chunk, "converting", "convert"))
        print(f"converted {len(plan) - len(failures)} image(s) to {dst}")
        return report_failures(failures, len(plan), "convert")
    with FrameJob(args, plan, "converting") as job:  # one frame after another, in this process
        run_frames(work, plan, LocalFrames(jobs=1, threads=False), on_done=job.ok, on_fail=job.failed)
    display = args.display or args.view
    shown = f"for the display {args.display or 'default'}" + (f", view {args.view}" if args.view else "")
    return job.finish("converted", f" {shown}" if display else f" to {dst}")
