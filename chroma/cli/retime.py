"""``chroma retime``."""

from __future__ import annotations

import argparse

from chroma.cli._core import (
    add_config_option,
    add_output_options,
    arguments,
    check_outputs,
    command,
    note,
    write_kwargs,
)


def _retime_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="IN", help="input sequence pattern (plate.####.exr)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output EXR pattern (slow.####.exr)")
    rate = p.add_mutually_exclusive_group(required=True)
    rate.add_argument("--factor", metavar="N", help="output frames per input frame, 1 or more (2, 2.5, 5/2)")
    rate.add_argument("--fps", metavar="IN:OUT", help="input and output frame rates (12:24, 23.976:29.97)")
    p.add_argument("--frames", metavar="A-B", help="the input frames to retime, a range without holes (default: all)")
    p.add_argument("--flow", choices=("dis", "auto", "raft"), default="dis",
                   help="optical flow: OpenCV's DIS (default), RAFT, or RAFT where its weights are cached")
    add_output_options(p)
    add_config_option(p)


_RETIME_HELP = """\
Retime an EXR sequence with flow-based in-betweens, in scene-linear. The optical flow is
estimated both ways between each pair of input frames on a display-referred copy (the
config's default display and view) and applied to the scene-linear pixels: colour, alpha,
Z and every other channel move with it, blended where the flow is unreliable by the
forward-backward check. Output frame k shows input time first + (k - first) / factor:
--factor 2 on 1001-1010 writes 1001-1019. Output frames that land on an input frame are
its pixels unchanged (in its own sample type); the others are labelled in their headers
(chroma/retime/interpolated = 1, chroma/retime/from = "1001,1002", chroma/retime/t).
docs/retime.md has the measured quality and the limits.

examples:
  chroma retime 'plate.####.exr' -o 'slow.####.exr' --factor 2
  chroma retime 'plate.####.exr' -o 'plate24.####.exr' --fps 12:24 --frames 1001-1012
  chroma retime 'plate.####.exr' -o 'plate30.####.exr' --fps 23.976:29.97 --dtype float
"""


@command("retime", "more frames per second: flow-based in-betweens of an EXR sequence", description=_RETIME_HELP)
@arguments(_retime_args)
def cmd_retime(args: argparse.Namespace) -> int:
    """Run ``chroma retime``: flow-based in-betweens of an EXR sequence.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``chroma retime --help`` lists the options).

    Returns
    -------
    int
        Exit status 0.

    Raises
    ------
    ChromaError
        A user mistake (one frame, a hole, mismatched frames, a bad factor, outputs that
        exist or are inputs); :func:`chroma.cli.main` prints it on one line and exits 2.
    """
    from chroma import retime
    from chroma.progress import Progress

    factor = retime.parse_factor(args.factor, args.fps)
    options = write_kwargs(args)
    plan = retime.plan_retime(args.input, args.output, factor, args.frames, args.config)
    retime.check_flow_method(args.flow, plan.size)
    check_outputs([o.path for o in plan.outputs], list(plan.inputs.values()), overwrite=args.overwrite)
    with Progress(len(plan.outputs), "retiming", enabled=False if args.quiet else None) as bar:
        result = retime.run_retime(plan, flow=args.flow, config=args.config, write_options=options,
                                   on_frame=lambda _p: bar.update())
    if result.note:
        note(result.note)
    first, last = plan.outputs[0].frame, plan.outputs[-1].frame
    print(f"wrote {len(result.written)} frame(s) {first}-{last}: {result.interpolated} in-between(s), "
          f"{result.copied} input frame(s) copied (factor {float(factor):g})")
    return 0
