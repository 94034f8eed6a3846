"""``chroma shot``: check, import, guard and report shot files.

Check a shot file (schedules per frame, curves), import Disco Diffusion and Deforum
settings as shot files, run the collapse guard over a sequence, report a rendered shot.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from typing import TYPE_CHECKING, Any

from chroma.cli._core import EXIT_OK, add_config_option, arguments, command

if TYPE_CHECKING:
    from chroma.shot import Shot

_DESCRIPTION = """\
Shot files describe an animated render (docs/shots.md): keyframed prompts, camera
moves, render settings per frame. 'check' validates one and shows its schedules;
'import' converts Disco Diffusion's or Deforum's settings into one; 'guard' runs the
collapse guard over any sequence; 'report' draws a rendered shot (contact sheet, plots, MP4).

examples:
  chroma shot check sh010.toml
  chroma shot check sh010.toml --plot sh010_schedules.png
  chroma shot import 'TimeToDisco(0)_settings.txt' -o sh010.toml --mode 3D
  chroma shot guard 'TimeToDisco(0)_####.png'    # where an old render started to collapse
  chroma shot report out                         # contact sheet, plots and MP4 of a rendered shot
"""


def _shot_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    c = sub.add_parser("check", help="validate a shot file and print its schedules frame by frame",
                       description="Validate SHOT.toml (every key, schedule and prompt table, with the line of any "
                                   "mistake) and print each schedulable setting frame by frame.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n  chroma shot check sh010.toml\n"
                              "  chroma shot check sh010.toml --plot sh010_schedules.png\n"
                              "  chroma shot check sh010.toml --json > sh010_schedules.json")
    c.add_argument("shot", metavar="SHOT.toml")
    c.add_argument("--json", action="store_true",
                   help='print {"max_frames", "schedules": {name: [value per frame]}, "prompts": {key: [...]}}')
    c.add_argument("--plot", metavar="PNG", help="draw every schedule that changes over the shot")
    c.add_argument("--overwrite", action="store_true", help="replace the --plot file if it exists")
    add_config_option(c)
    i = sub.add_parser("import", help="convert Disco Diffusion's settings.txt or a Deforum settings JSON to a shot",
                       description="Convert a Disco Diffusion settings.txt (animation keys included) or a Deforum "
                                   "settings file into a shot file that 'chroma render' takes.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n  chroma shot import 'TimeToDisco(0)_settings.txt' -o sh010.toml --mode 3D\n"
                              "  chroma shot import deforum_settings.txt -o sh020.toml")
    i.add_argument("settings", metavar="SETTINGS")
    i.add_argument("-o", "--output", required=True, metavar="SHOT.toml", help="the shot file to write")
    i.add_argument("--mode", choices=("2D", "3D", "Video"),
                   help="animation mode (Disco Diffusion's settings.txt does not record it; default 2D)")
    i.add_argument("--pattern", metavar="OUT.####.exr",
                   help="output sequence of the shot (default: out/<batch name>.####.exr)")
    i.add_argument("--overwrite", action="store_true", help="replace the shot file if it exists")
    add_config_option(i)
    _guard_report_args(sub)


def _guard_report_args(sub: Any) -> None:
    g = sub.add_parser("guard", help="run the collapse guard over an existing sequence: where would it have fired",
                       description="Measure every frame of SEQUENCE (any images: chroma's EXRs through their display "
                                   "view, Disco Diffusion's PNGs as they are) the way the collapse guard does during "
                                   "a render, and say where it would have fired and why (docs/shots.md, 'Collapse "
                                   "and coherence').",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n  chroma shot guard 'TimeToDisco(0)_####.png'\n"
                              "  chroma shot guard 'out/sh010.####.exr' --json > sh010_guard.json\n"
                              "  chroma shot guard 'frames.####.png' --shot sh010.toml   # that shot's [guard]")
    g.add_argument("sequence", metavar="SEQUENCE", help="a frame pattern such as frames.####.png")
    g.add_argument("--json", action="store_true",
                   help='print {"fired_at": FRAME or null, "frames": {"FRAME": {measure: value, ...}, ...}}')
    g.add_argument("--shot", metavar="SHOT.toml", help="take the guard's settings from this shot's [guard]")
    g.add_argument("--warmup", type=int, help="frames making the reference (default 8)")
    g.add_argument("--frames", type=int, dest="in_a_row", metavar="N", help="low frames in a row that fire it (default 3)")
    g.add_argument("--ratio", type=float, help="fire below this fraction of the early frames' measures (default 0.35)")
    g.add_argument("--display", help="display for EXRs (default: the one recorded in the frames, else the config's)")
    g.add_argument("--view", help="view of --display for EXRs")
    add_config_option(g)
    r = sub.add_parser("report", help="contact sheet, plots over frames and an MP4 preview of a rendered shot",
                       description="Write OUT_FOLDER/report/: <stem>.contact.png (every Nth frame, labelled), "
                                   "<stem>.plots.png (guard measures and firings, palette drift, CLIP loss, seconds "
                                   "per frame), <stem>.mp4 (with the shot's [audio]) and <stem>.report.json.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n  chroma shot report out\n  chroma shot report out --every 10 --overwrite")
    r.add_argument("folder", metavar="OUT_FOLDER", help="the shot's output folder (its EXRs and <stem>.state/)")
    r.add_argument("-o", "--output", metavar="DIR", help="where to write the report (default OUT_FOLDER/report)")
    r.add_argument("--every", type=int, metavar="N", help="every Nth frame on the contact sheet (default: 24 tiles at most)")
    r.add_argument("--shot", metavar="SHOT.toml", help="the shot file (default: the one recorded in the frames)")
    r.add_argument("--no-video", action="store_true", help="no MP4 preview")
    r.add_argument("--overwrite", action="store_true", help="replace an earlier report")
    add_config_option(r)


@command("shot", "check shot files (schedules per frame) and import Disco Diffusion / Deforum settings", description=_DESCRIPTION)
@arguments(_shot_args)
def cmd_shot(args: argparse.Namespace) -> int:
    """Run ``chroma shot``: check, import, guard or report (``chroma shot --help``).

    The work is done by :mod:`chroma.shot`, :mod:`chroma.shot_import`,
    :mod:`chroma.guard` and :mod:`chroma.report`.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of ``chroma shot``.

    Returns
    -------
    int
        The exit status, 0.

    Raises
    ------
    chroma.errors.ChromaError
        An invalid shot or settings file, an existing output without ``--overwrite``,
        a missing optional package.
    """
    actions = {"check": _check, "import": _import, "guard": _guard, "report": _report}
    return actions[args.action](args)


def _check(args: argparse.Namespace) -> int:
    from chroma.errors import ChromaIOError
    from chroma.shot import load_shot

    shot = load_shot(args.shot, config=args.config)
    if args.plot and os.path.exists(args.plot) and not args.overwrite:
        raise ChromaIOError(f"{args.plot!r} exists; pass --overwrite to replace it")
    if args.json:
        json.dump(shot.to_json(), sys.stdout)
        print()
    else:
        print(table(shot))
    if args.plot:
        path = plot_schedules(shot, args.plot)
        print(f"schedules drawn in {path}", file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


def table(shot: Shot) -> str:
    """Format the shot's summary and its schedules frame by frame (constant ones on one line).

    Parameters
    ----------
    shot : chroma.shot.Shot
        A loaded shot.

    Returns
    -------
    str
        The text ``chroma shot check`` prints: one line of summary, the prompt keys,
        the constant settings, then a row per frame (file frame, index, each varying
        schedule's value in its own units).
    """
    import numpy as np

    first = shot.output.first_frame
    lines = [f"{shot.path}: {shot.max_frames} frames ({first}-{first + shot.max_frames - 1}) at "
             f"{float(shot.output.fps):g} fps, {shot.animation_mode}, seed {shot.seed} ({shot.seed_rule}), "
             f"interp {shot.interp_spline} -> {shot.output.pattern} ({shot.output.colorspace})"]
    for key, prompts in sorted(shot.prompts.items()):
        lines.append(f"  prompts from frame {key} ({first + key}): {' | '.join(prompts)}")
    constant = {k: v[0] for k, v in shot.schedules.items() if np.all(v == v[0])}
    varying = [k for k in shot.schedules if k not in constant]
    if constant:
        lines.append("  constant: " + ", ".join(f"{k} {v:.6g}" for k, v in constant.items()))
    if varying:
        width = max(10, *(len(k) for k in varying))
        lines.append(f"{'frame':>7} {'index':>6} " + " ".join(f"{k:>{width}}" for k in varying))
        for i in range(shot.max_frames):
            lines.append(f"{first + i:>7} {i:>6} " + " ".join(f"{shot.schedules[k][i]:>{width}.6g}" for k in varying))
    return "\n".join(lines)


def plot_schedules(shot: Shot, path: str) -> str:
    """Draw one panel per schedule that changes (constant ones listed in the title), frames on x.

    Parameters
    ----------
    shot : chroma.shot.Shot
        A loaded shot.
    path : str
        The PNG to write.

    Returns
    -------
    str
        The file written.

    Raises
    ------
    chroma.errors.ChromaError
        matplotlib is not installed.
    """
    import numpy as np

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        from chroma.errors import ChromaError

        raise ChromaError("--plot needs matplotlib: pip install matplotlib") from None

    varying = [k for k, v in shot.schedules.items() if not np.all(v == v[0])]
    constant = [f"{k}={v[0]:.4g}" for k, v in shot.schedules.items() if np.all(v == v[0])]
    n = max(1, len(varying))
    fig, axes = plt.subplots(n, 1, figsize=(9, 1.9 * n + 0.8), sharex=True, squeeze=False)
    frames = shot.output.first_frame + np.arange(shot.max_frames)
    keys = sorted(shot.prompts)
    panels: list[str | None] = list(varying) or [None]  # None: one panel saying every schedule is constant
    for ax, name in zip(axes[:, 0], panels):
        if name is None:
            ax.text(0.5, 0.5, "every schedule is constant", ha="center", va="center", transform=ax.transAxes)
        else:
            ax.plot(frames, shot.schedules[name], lw=1.6, color="#1f6fb4")
            ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
        for k in keys:
            ax.axvline(shot.output.first_frame + k, color="#c0392b", lw=0.8, ls=":", alpha=0.8)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("frame (dotted: prompt keys)")
    fig.suptitle(f"{os.path.basename(str(shot.path))}: {shot.animation_mode}, {shot.max_frames} frames"
                 + ("\n" + textwrap.fill(f"constant: {', '.join(constant)}", 120) if constant else ""), fontsize=9)
    fig.tight_layout()
    from chroma.io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return path


def _import(args: argparse.Namespace) -> int:
    from chroma.errors import ChromaError, ChromaIOError
    from chroma.shot import dump_shot, load_shot

    if os.path.exists(args.output) and not args.overwrite:
        raise ChromaIOError(f"{args.output!r} exists; pass --overwrite to replace it")
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        raise ChromaIOError(f"output folder {out_dir!r} does not exist; create it first")
    try:
        with open(args.settings, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ChromaIOError(f"settings file {args.settings!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ChromaIOError(f"cannot read {args.settings!r}: {e}") from None
    except json.JSONDecodeError as e:
        raise ChromaError(f"{args.settings!r} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    from chroma import shot_import

    if not isinstance(data, dict):
        raise ChromaError(f"{args.settings!r} must hold a JSON object of settings")
    if shot_import.is_deforum(data):
        if args.mode:
            print("chroma shot: note: --mode is ignored: Deforum's settings record animation_mode", file=sys.stderr)
        shot, notes = shot_import.shot_from_deforum(data)
        source = "Deforum"
    else:
        shot, notes = shot_import.shot_from_dd_settings(data, mode=args.mode or "2D")
        source = "Disco Diffusion"
        if not args.mode:
            notes.insert(0, "Disco Diffusion's settings.txt does not record animation_mode; using 2D (give --mode)")
    output = dict(shot.get("output", {}))
    if args.pattern:
        output["pattern"] = args.pattern
    output.setdefault("pattern", f"out/{data.get('batch_name') or 'shot'}.####.exr")
    shot["output"] = output
    header = f"chroma shot, imported from {source} settings {os.path.basename(args.settings)}\nsee docs/shots.md"
    text = dump_shot(shot, header)
    from chroma.io import atomic_path

    try:
        with atomic_path(args.output) as tmp:  # replaced only once what we wrote loads
            tmp.write_text(text, encoding="utf-8")
            load_shot(tmp, config=args.config)
    except ChromaError as e:
        raise ChromaError(f"the imported shot does not validate: {e}") from None
    for note in notes:
        print(f"chroma shot: note: {note}", file=sys.stderr)
    print(f"imported {source} settings {args.settings} -> {args.output} ({shot.get('max_frames')} frames, "
          f"{shot.get('animation_mode')})")
    return EXIT_OK


def _guard(args: argparse.Namespace) -> int:
    """``chroma shot guard SEQUENCE``: where the collapse guard would have fired, and why."""
    import dataclasses

    from chroma.errors import ChromaError
    from chroma.guard import GuardSettings, scan_sequence

    settings = GuardSettings()
    if args.shot:
        from chroma.shot import load_shot

        shot = load_shot(args.shot, config=args.config)
        if shot.guard is None:
            raise ChromaError(f"{args.shot!r} turns the guard off ([guard] enabled = false)")
        settings = dataclasses.replace(shot.guard, action="warn")
    changes: dict = {}
    if args.warmup is not None:
        changes["warmup"] = args.warmup
    if args.in_a_row is not None:
        changes["frames"] = args.in_a_row
    if args.ratio is not None:
        if not 0 <= args.ratio <= 1:
            raise ChromaError(f"--ratio must be in [0, 1], got {args.ratio}")
        changes["ratios"] = {m: args.ratio for m in settings.ratios}
    if changes.get("warmup", 1) < 1 or changes.get("frames", 1) < 1:
        raise ChromaError("--warmup and --frames must be at least 1")
    settings = dataclasses.replace(settings, **changes)
    result = scan_sequence(args.sequence, settings, display=args.display, view=args.view, config=args.config)
    if args.json:
        json.dump({"fired_at": result["fired_at"], "frames": result["frames"]}, sys.stdout)
        print()
        return EXIT_OK
    print(f"{'frame':>7} {'L spread':>9} {'C spread':>9} {'detail':>8} {'mean L':>7}  "
          f"{'L ratio':>7} {'C ratio':>7} {'D ratio':>7}  state")
    for e in result["events"]:
        m, r = e.measures, e.ratios
        ratio = " ".join(f"{r[k]:>7.3f}" if r[k] is not None else f"{'-':>7}" for k in ("lightness", "chroma", "detail"))
        state = f"FIRED: {e.reason()}" if e.fired else (f"low {e.run}/{settings.frames}" if e.state == "low" else e.state)
        print(f"{e.index:>7} {m['lightness_spread']:>9.4f} {m['chroma_spread']:>9.4f} {m['detail']:>8.4f} "
              f"{m['mean_L']:>7.3f}  {ratio}  {state}")
    fired = [e for e in result["events"] if e.fired]
    if fired:
        e = fired[0]
        print(f"the guard would have fired at frame {e.index}: {e.reason()} for {settings.frames} frames in a row"
              + (f" (and again at {', '.join(str(x.index) for x in fired[1:6])}"
                 f"{' ...' if len(fired) > 6 else ''})" if len(fired) > 1 else ""))
    else:
        print(f"the guard would not have fired ({len(result['events'])} frames; warm-up {settings.warmup}, "
              f"{settings.frames} in a row below {', '.join(f'{k} {v:g}' for k, v in settings.ratios.items())})")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    """``chroma shot report OUT_FOLDER``."""
    from chroma.errors import ChromaError
    from chroma.report import build_report

    if args.every is not None and args.every < 1:
        raise ChromaError(f"--every must be at least 1, got {args.every}")
    for files in build_report(args.folder, args.output, every=args.every, shot_path=args.shot,
                              video=not args.no_video, overwrite=args.overwrite, config=args.config):
        for note in files.notes:
            print(f"chroma shot: note: {note}", file=sys.stderr)
        print(f"contact sheet {files.contact}\nplots {files.plots}" + (f"\nvideo {files.video}" if files.video else "")
              + f"\ndata {files.data}")
    return EXIT_OK
