"""``chroma farm``: render edits on Dask, export OpenCue jobs, run one farm task."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from chroma.cli._core import EXIT_OK, add_config_option, arguments, command, report_failures

if TYPE_CHECKING:
    from chroma.farm import CueLayer


def _count(text: str) -> int:
    """A count of at least 1 (``--chunk``, ``--max-frames``)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return n


def _frames_count(text: str) -> int:
    """A number of frames, 0 or more (``--crossfade``)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of frames (0 or more), got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of frames (0 or more), got {text!r}")
    return n


def _indices(text: str) -> list[int]:
    """Frame indices separated by commas (``--at 96,180``)."""
    items = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in items if not x.isdigit()]
    if bad or not items:
        raise argparse.ArgumentTypeError(f"expected 0-based frame indices separated by commas like 96,180, got {text!r}"
                                         + (f" ({bad[0]!r} is not a frame index)" if bad else ""))
    return [int(x) for x in items]


def _opencue_name(text: str) -> str:
    """A name cuebot takes for a job, show or shot: 3 or more letters, digits, '_', '.' or '-'."""
    import re

    if not re.fullmatch(r"[\w.-]{3,}", text, flags=re.ASCII):
        raise argparse.ArgumentTypeError(f"{text!r}: OpenCue names are 3 or more letters, digits, '_', '.' or '-'")
    return text


def _env_pair(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` for ``--env``."""
    import re

    name, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (an environment variable), got {text!r}")
    return name, value


def _farm_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="farm_command", metavar="ACTION")
    r = sub.add_parser("render", help="render an edit (or a shot) on Dask: shots in parallel, crossfades at the seams")
    r.add_argument("job", metavar="EDIT.toml", help="an edit file ([[shots]], docs/farm.md) or a shot file")
    r.add_argument("--farm", default="local:2", metavar="local:N|tcp://HOST:8786",
                   help="N local worker processes, or a running Dask scheduler (default local:2)")
    r.add_argument("--chunk", type=_count, metavar="N", help="frames per task for shots whose frames are independent")
    r.add_argument("--resume", action="store_true", help="continue the shots after their last saved state")
    r.add_argument("--overwrite", action="store_true", help="render again (old frames move to retained/)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    add_config_option(r)
    e = sub.add_parser("export", help="write an OpenCue job (CJSL XML) for an edit, a shot or a chroma command")
    e.add_argument("job", metavar="JOB", nargs="?", help="an edit or shot file; or give a command after --")
    e.add_argument("--opencue", required=True, metavar="FILE", help="the job specification to write (e.g. job.outline)")
    e.add_argument("--chunk", type=_count, metavar="N", help="frames per OpenCue task for chunked layers (default 10)")
    e.add_argument("--name", default="chroma", type=_opencue_name, help="the OpenCue job name (default chroma)")
    e.add_argument("--show", default="chroma", type=_opencue_name, help="OpenCue show")
    e.add_argument("--shot", default="shot", type=_opencue_name, help="OpenCue shot")
    e.add_argument("--user", metavar="NAME", help="the job's owner (default: the current user)")
    e.add_argument("--env", type=_env_pair, action="append", default=[], metavar="NAME=VALUE",
                   help="more environment for the render nodes (repeatable); CHROMA_MODELS and OCIO, "
                        "when set here, are carried anyway")
    e.add_argument("--overwrite", action="store_true", help="replace the job file if it exists")
    e.add_argument("--chroma", default="chroma", metavar="EXE", help="the chroma executable on the render nodes")
    e.add_argument("cmd", nargs="*", metavar="COMMAND", help="after --: grade IN -o OUT ... (a frame-independent command)")
    add_config_option(e)
    t = sub.add_parser("task", help="run one farm task (what an OpenCue node runs)")
    t.add_argument("job", metavar="FILE", help="a shot file (with --frames) or an edit file (with --conform/--seam)")
    t.add_argument("--frames", metavar="A-B", help="frames of a shot whose frames are independent (file numbers)")
    t.add_argument("--conform", type=int, metavar="I", help="copy shot I's frames (0-based) into the edit's sequence")
    t.add_argument("--seam", type=int, metavar="I", help="the crossfade into shot I (1-based seam after shot I-1)")
    add_config_option(t)
    s = sub.add_parser("split", help="split a long shot into parts of at most N frames and write an edit of them")
    s.add_argument("shot", metavar="SHOT.toml")
    s.add_argument("--max-frames", type=_count, required=True, metavar="N", help="the longest part")
    s.add_argument("--at", type=_indices, default=[], metavar="F,F,...",
                   help="preferred cut frames (0-based indices: sections, lines)")
    s.add_argument("--crossfade", type=_frames_count, default=0, metavar="N", help="frames of overlap crossfaded at each seam")
    s.add_argument("--overwrite", action="store_true", help="replace part and edit files written before")
    add_config_option(s)


_DESCRIPTION = """\
Render edits (several shots, OKLab crossfades at the seams) on a Dask cluster, write
OpenCue jobs, or run one task as a render node does. 'chroma grade', 'convert' and
'render SHOT.toml' take --farm themselves. Needs the farm extra:
pip install "chroma-vfx[farm]".

examples:
  chroma farm render edit.toml --farm local:2
  chroma farm render edit.toml --farm tcp://render-head:8786
  chroma farm export edit.toml --opencue edit.outline
  chroma farm export --opencue grade.outline --chunk 8 -- grade plate.####.exr -o g/plate.####.exr --exposure 1
  chroma farm split sh010.toml --max-frames 240 --at 96,180 --crossfade 12
"""


@command("farm", "scale out: render edits on Dask, export OpenCue jobs (docs/farm.md)", description=_DESCRIPTION)
@arguments(_farm_args)
def cmd_farm(args: argparse.Namespace) -> int:
    """Run ``chroma farm``: render an edit or shot on Dask, export OpenCue, run a task, split a shot.

    The command's help (``chroma farm --help``) describes the actions; the work is done
    by :mod:`chroma.farm`.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of ``chroma farm``.

    Returns
    -------
    int
        The exit status: 0, or 1 when some frames or tasks failed.

    Raises
    ------
    chroma.errors.ChromaError
        No action, an invalid edit or shot, a farm that cannot be reached, or a command
        that cannot be exported.
    """
    from chroma.errors import ChromaError

    what = args.farm_command
    if what is None:
        raise ChromaError("give an action: chroma farm render|export|task|split (see chroma farm --help)")
    if what == "render":
        return _render(args)
    if what == "export":
        return _export(args)
    if what == "task":
        return _task(args)
    return _split_shot(args)


def _render(args: argparse.Namespace) -> int:
    from chroma import farm

    if farm.is_edit(farm.read_job(args.job)):
        failures = farm.render_edit(args.farm, args.job, args.config, args.resume, args.overwrite, args.chunk, args.quiet)
        edit = farm.load_edit(args.job, args.config)
        print(f"rendered the edit {args.job}: {len(edit.shots)} shot(s), {edit.length} frame(s) -> {edit.output}")
        return report_failures(failures, edit.length, "render")
    failures = farm.render_shot(args.farm, args.job, args.config, None, args.resume, args.overwrite, None,
                                args.chunk, args.quiet)
    print(f"rendered {args.job}")
    return report_failures(failures, 1, "render")


def _export(args: argparse.Namespace) -> int:
    from chroma import farm
    from chroma.errors import ChromaError

    command = [args.job, *args.cmd] if args.job in ("grade", "convert") or args.cmd else []
    if command:
        layers = [_command_layer(command, args)]
    elif args.job:
        layers = farm.edit_layers(args.job, args.config, args.chunk, args.chroma)
    else:
        raise ChromaError("give an edit or shot file, or a chroma command after --")
    path = farm.export_opencue(layers, args.opencue, job=args.name, show=args.show, shot=args.shot, user=args.user,
                               env=farm.node_environment(dict(args.env)), overwrite=args.overwrite,
                               inputs=[args.job] if args.job and not command else [],
                               overwrite_hint="pass --overwrite to replace it")
    print(f"wrote OpenCue job {path}: {len(layers)} layer(s): "
          + ", ".join(f"{lay.name} {lay.range} x{lay.chunk}" for lay in layers))
    return EXIT_OK


def _split_shot(args: argparse.Namespace) -> int:
    from chroma import farm

    edit = farm.split_shot(args.shot, args.max_frames, args.at, args.crossfade, args.config, args.overwrite,
                           "pass --overwrite to replace it")
    print(f"wrote {edit} ({len(farm.load_edit(edit, args.config).shots)} parts)")
    return EXIT_OK


def _command_layer(command: list[str], args: argparse.Namespace) -> CueLayer:
    from chroma import farm, sequence
    from chroma.cli import build_parser
    from chroma.cli._core import plan_frame_job
    from chroma.errors import ChromaError

    if command[0] not in ("grade", "convert"):
        raise ChromaError(f"'chroma {command[0]}' cannot be exported as frames; export grade or convert, "
                          "or an edit/shot file")
    parsed = build_parser().parse_args(command)
    if getattr(parsed, "match_exposure", None):
        raise ChromaError("--match-exposure is measured on the first frame; save the grade first "
                          "(--save-grade shot.toml) and export with --grade shot.toml")
    if not parsed.input or not sequence.parse_pattern(parsed.input).is_sequence:
        raise ChromaError("export a command over a sequence (IN like plate.####.exr)")
    plan = plan_frame_job(parsed.input, parsed.output, parsed.frames, True)
    return farm.command_layer(command, [f for f, _, _ in plan], args.chunk or 10, chroma=args.chroma)


def _task(args: argparse.Namespace) -> int:
    from chroma import farm
    from chroma.errors import ChromaError

    if args.conform is not None:
        farm.conform(args.job, args.conform, config=args.config)
    elif args.seam is not None:
        farm.seam(args.job, args.seam, config=args.config)
    elif args.frames:
        from chroma import sequence
        from chroma.shot import load_shot

        shot = load_shot(args.job, config=args.config)
        first = shot.output.first_frame
        indices = [f - first for f in sequence.parse_frames(args.frames) if 0 <= f - first < shot.max_frames]
        if farm.frames_feed_forward(shot):
            raise ChromaError(f"{args.job} is a {shot.animation_mode} shot: its frames feed each other; "
                              f"render it whole: chroma render {args.job} --resume")
        job = farm.Job("node", float("inf"))  # a node's run: every frame asked is written
        farm.render_frames(args.job, args.config, {}, indices, indices, job)
    else:
        raise ChromaError("give --frames (a shot), --conform I or --seam I (an edit)")
    print("task done", file=sys.stderr)
    return EXIT_OK
