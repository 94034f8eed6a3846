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
    from chroma.shot.dd_frames import DDRun

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
    c = sub.add_parser("check", help="validate a shot file and summarise its schedules",
                       description="Validate SHOT.toml (every key, schedule and prompt table, with the line of any "
                                   "mistake; the plate and depth frames it reads) and summarise it: prompt keys, "
                                   "each schedule's range and the frames where it changes, which camera keys act in "
                                   "the shot's mode. --table prints every schedule frame by frame.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n  chroma shot check sh010.toml\n"
                              "  chroma shot check sh010.toml --table\n"
                              "  chroma shot check sh010.toml --plot sh010_schedules.png\n"
                              "  chroma shot check sh010.toml --json > sh010_schedules.json")
    c.add_argument("shot", metavar="SHOT.toml")
    c.add_argument("--table", action="store_true", help="print the schedules frame by frame (one line a frame)")
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
                              "  chroma shot import deforum_settings.txt -o sh020.toml\n"
                              "  chroma shot import 'My Drive/AI/Disco_Diffusion/images_out/TimeToDisco' -o sh030.toml")
    i.add_argument("settings", metavar="SETTINGS",
                   help="the settings file, or a Disco Diffusion batch folder (its one settings file and its PNGs)")
    i.add_argument("--from-frames", metavar="FOLDER",
                   help="the folder of the Disco Diffusion run's PNGs (<batch_name>(<n>)_0000.png...): the shot "
                        "numbers its frames as DD does and notes where the run stopped")
    i.add_argument("-o", "--output", required=True, metavar="SHOT.toml", help="the shot file to write")
    i.add_argument("--mode", choices=("2D", "3D", "Video"),
                   help="animation mode (Disco Diffusion's settings.txt does not record it; default 2D)")
    i.add_argument("--pattern", metavar="OUT.####.exr",
                   help="output sequence of the shot (default: out/<batch name>.####.exr)")
    i.add_argument("--overwrite", action="store_true",
                   help="replace the shot file if it exists (and, for a stopped DD run, the saved states of an earlier render)")
    i.add_argument("--dd-png", action="store_true",
                   help="the shot also writes Disco Diffusion's 8-bit PNGs beside its EXRs, named as the DD run's "
                        "(<batch_name>(<n>)_0000.png...): [output] dd_png")
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

    The work is done by :mod:`chroma.shot`, :mod:`chroma.shot.dd_import`,
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
    from chroma.cli._core import check_outputs
    from chroma.shot import load_shot

    shot = load_shot(args.shot, config=args.config, renderer_check=False)
    shot.check_inputs()
    if args.plot:
        check_outputs([args.plot], [args.shot], overwrite=args.overwrite, images=False)
    for note in shot.notes:
        print(f"chroma shot: note: {note}", file=sys.stderr)
    if args.json:
        json.dump(shot.to_json(), sys.stdout)
        print()
    else:
        print(table(shot) if args.table else summary(shot))
    if args.plot:
        path = plot_schedules(shot, args.plot)
        print(f"schedules drawn in {path}", file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


def _head(shot: Shot) -> str:
    first, n = shot.output.first_frame, shot.max_frames
    seeds = f"seed {shot.seed}" + (f" ({shot.seed_rule}: {shot.frame_seed(0)}-{shot.frame_seed(n - 1)})"
                                   if shot.frame_seed(n - 1) != shot.seed else f" ({shot.seed_rule})")
    return (f"{shot.path}: {n} frames ({first}-{first + n - 1}) at {float(shot.output.fps):g} fps, "
            f"{shot.animation_mode}, {seeds}, interp {shot.interp_spline} -> {shot.output.pattern} "
            f"({shot.output.colorspace})")


def _clip(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def summary(shot: Shot) -> str:
    """Summarise a shot: what ``chroma shot check`` prints (``--table`` for every frame).

    Parameters
    ----------
    shot : chroma.shot.Shot
        A loaded shot.

    Returns
    -------
    str
        One line on frames, seeds and output; the size; a line per prompt key; a line per
        schedule that changes (its range, the frames over which it changes and whether
        it acts in the shot's mode); the constant settings on one line; the camera
        keys that act; every other animation and render setting with its value.
    """
    import numpy as np

    from chroma.shot import CAMERA_KEYS, MODE_CAMERA_KEYS

    first = shot.output.first_frame
    w, h = shot.render_value("width_height")
    lines = [_head(shot), f"  size {w}x{h}, {shot.render_value('steps')} steps"]
    if shot.animation_mode in ("2D", "3D", "Video"):
        lines.append("  motion vectors: " + ("forward, backward, occlusion in every frame (docs/motion.md)"
                                             if shot.output.motion_vectors else "off ([output] motion_vectors = false)"))
    lines.append(f"  prompts: {len(shot.prompts)} key{'s' if len(shot.prompts) != 1 else ''}")
    for key, prompts in sorted(shot.prompts.items()):
        lines.append(_clip(f"    from {key} ({first + key}): {' | '.join(prompts)}"))
    acting = MODE_CAMERA_KEYS[shot.animation_mode]
    idle = [k for k in (*CAMERA_KEYS, "fov", "near_plane", "far_plane") if k not in acting]

    varying = {k: v for k, v in shot.schedules.items() if not np.all(v == v[0])}
    if varying:
        lines.append("  schedules that change (min .. max, the frames over which they change):")
        width = max(len(k) for k in varying)
        for name, v in varying.items():
            moves = np.flatnonzero(np.diff(v))
            lines.append(f"    {name:<{width}}  {v.min():.6g} .. {v.max():.6g}, frames {int(moves[0])}-"
                         f"{int(moves[-1]) + 1}" + (f"  (does nothing in {shot.animation_mode})" if name in idle else ""))
    constant = {k: v[0] for k, v in shot.schedules.items() if k not in varying}
    if constant:
        lines.append(_clip("  constant: " + ", ".join(f"{k} {v:.6g}" for k, v in constant.items()), 400))
    lines.append(f"  camera keys that act in {shot.animation_mode}: {', '.join(k for k in acting if k in CAMERA_KEYS) or 'none'}")
    lines += _settings(shot)
    lines.append(f"  frame by frame: chroma shot check {shot.path} --table")
    return "\n".join(lines)


def _settings(shot: Shot) -> list[str]:
    """Every [animation] and [render] setting that is not a schedule (those are shown above), with its value."""
    import dataclasses
    import textwrap

    from render.settings import RenderSettings

    def shown(value: object) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, (list, tuple)):
            return "[" + " ".join(shown(v) for v in value) + "]"
        return "unset" if value is None else (f"{value:g}" if isinstance(value, float) else str(value) or '""')

    animation = [f"{f.name} {shown(getattr(shot.animation, f.name))}" for f in dataclasses.fields(shot.animation)
                 if f.name not in shot.schedules]
    render = [f"{f.name} {'keyed by frame' if f.name in shot.keyed else shown(shot.render_value(f.name))}"
              for f in dataclasses.fields(RenderSettings) if f.name not in shot.schedules]
    out = []
    for title, items in (("animation", animation), ("render", render)):
        out += textwrap.wrap(f"{title}: " + ", ".join(items), 150, initial_indent="  ", subsequent_indent="    ",
                             break_long_words=False, break_on_hyphens=False)
    return out


def table(shot: Shot) -> str:
    """Format the shot's schedules frame by frame (``chroma shot check --table``).

    Parameters
    ----------
    shot : chroma.shot.Shot
        A loaded shot.

    Returns
    -------
    str
        One line of summary, the prompt keys, the constant settings, then a row per
        frame (file frame, index, each varying schedule's value in its own units).
    """
    import numpy as np

    first = shot.output.first_frame
    lines = [_head(shot)]
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

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        from chroma.errors import ChromaError

        raise ChromaError("--plot needs matplotlib: pip install matplotlib") from None

    fig = schedule_figure(shot, plt)
    from chroma.io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return path


def _schedule_keys(shot: Shot, name: str) -> list[int]:
    """The frames where a schedule's keys are, as the shot file writes them (none for a number)."""
    from render.errors import ScheduleError
    from render.keyframes import is_schedule_string, parse_keyframes

    raw = next((sec[name] for sec in (shot.raw.get("animation", {}), shot.raw.get("render", {})) if name in sec), None)
    if not isinstance(raw, str) or not is_schedule_string(raw):
        return []
    try:
        return sorted(parse_keyframes(raw, name, max_frames=shot.max_frames, seed=shot.seed))
    except ScheduleError:
        return []


def schedule_figure(shot: Shot, plt: Any) -> Any:
    """Draw one panel per schedule that changes, x in shot frame indices (file frames on top).

    Parameters
    ----------
    shot : chroma.shot.Shot
        A loaded shot.
    plt : module
        ``matplotlib.pyplot`` (with a non-interactive backend).

    Returns
    -------
    matplotlib.figure.Figure
        Panels labelled with the setting's name (and whether it acts in the shot's mode),
        its keyframes marked and labelled, prompt keys as labelled dotted lines; constant
        settings in the title.
    """
    import numpy as np

    from chroma.shot import inactive_keys

    idle = inactive_keys(shot.animation_mode)
    varying = [k for k, v in shot.schedules.items() if not np.all(v == v[0])]
    constant = [f"{k}={v[0]:.4g}" for k, v in shot.schedules.items() if np.all(v == v[0])]
    n = max(1, len(varying))
    fig, axes = plt.subplots(n, 1, figsize=(9, 1.9 * n + 1.2), sharex=True, squeeze=False)
    first = shot.output.first_frame
    frames = np.arange(shot.max_frames)
    panels: list[str | None] = list(varying) or [None]  # None: one panel saying every schedule is constant
    for row, (ax, name) in enumerate(zip(axes[:, 0], panels)):
        if name is None:
            ax.text(0.5, 0.5, "every schedule is constant", ha="center", va="center", transform=ax.transAxes)
        else:
            values = shot.schedules[name]
            ax.plot(frames, values, lw=1.6, color="#1f6fb4", label=name)
            keys = _schedule_keys(shot, name)
            if keys:
                ax.plot(keys, values[keys], "o", ms=4, color="#1f6fb4", label="keyframes")
                for k in keys:
                    ax.annotate(f"{k}", (k, values[k]), textcoords="offset points", xytext=(0, 5), ha="center",
                                fontsize=7)
            label = name + (f"\n(does nothing in {shot.animation_mode})" if name in idle else "")
            ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
        for k in sorted(shot.prompts):
            ax.axvline(k, color="#c0392b", lw=0.8, ls=":", alpha=0.8)
            if row == 0:
                ax.annotate(f"prompts {k}", (k, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -10),
                            textcoords="offset points", fontsize=7, color="#c0392b")
        ax.grid(alpha=0.3)
    top = axes[0, 0].secondary_xaxis("top", functions=(lambda x: x + first, lambda x: x - first))
    top.set_xlabel(f"file frame (shot frame + {first})", fontsize=8)
    axes[-1, 0].set_xlabel("shot frame index (0 = the first frame; dots: keyframes, dotted lines: prompt keys)")
    fig.suptitle(f"{os.path.basename(str(shot.path))}: {shot.animation_mode}, {shot.max_frames} frames"
                 + ("\n" + textwrap.fill(f"constant: {', '.join(constant)}", 120) if constant else ""), fontsize=9)
    fig.tight_layout()
    return fig


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from chroma.cli._core import check_outputs
    from chroma.errors import ChromaError, ChromaIOError
    from chroma.shot import dump_shot, parse_shot

    run = _dd_run(args)
    check_outputs([args.output], [args.settings], overwrite=args.overwrite, images=False)  # never the settings file itself
    try:
        with open(args.settings, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ChromaIOError(f"settings file {args.settings!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ChromaIOError(f"cannot read {args.settings!r}: {e}") from None
    except json.JSONDecodeError as e:
        raise ChromaError(f"{args.settings!r} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    from chroma.shot import dd_import as shot_import

    if not isinstance(data, dict):
        raise ChromaError(f"{args.settings!r} must hold a JSON object of settings")
    if shot_import.is_deforum(data):
        if run is not None:
            raise ChromaError(f"{args.settings!r} is a Deforum settings file; --from-frames reads Disco Diffusion runs")
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
    output["pattern"] = args.pattern or shot_import.output_pattern(data, notes)
    header = f"chroma shot, imported from {source} settings {os.path.basename(args.settings)}\nsee docs/shots.md"
    if run is not None:
        output["first_frame"] = 0  # file numbers are DD's frame numbers
    if getattr(args, "dd_png", False):  # the run's own name; from a settings file alone, the sequence's with (0)
        output["dd_png"] = f"{run.batch_name}({run.batch_num})" if run is not None else True
    shot["output"] = output
    text = dump_shot(shot, header)
    try:  # validated as the file it becomes (relative paths from its folder) before anything is written
        loaded = parse_shot(text, Path(args.output).resolve(), config=args.config, renderer_check=False)
    except ChromaError as e:
        raise ChromaError(f"the imported shot does not validate (nothing written): {e}") from None
    if run is not None:
        text = dump_shot(shot, header + "\n" + _run_header(run, loaded, notes))
        _refuse_earlier_states(loaded, args.overwrite)
    from chroma.io import atomic_path

    with atomic_path(args.output) as tmp:
        tmp.write_text(text, encoding="utf-8")
    if run is not None and 0 < resume_at(run, loaded) < loaded.max_frames:
        from chroma.pipeline.ddresume import write_resume_state

        state = write_resume_state(loaded, run, resume_at(run, loaded), args.config)
        notes.append(f"saved the state after frame {resume_at(run, loaded) - 1} from its PNG ({state}): "
                     f"'chroma render {args.output} --resume' renders the rest")
    for note in [*notes, *loaded.notes]:
        print(f"chroma shot: note: {note}", file=sys.stderr)
    print(f"imported {source} settings {args.settings} -> {args.output} ({shot.get('max_frames')} frames, "
          f"{shot.get('animation_mode')})")
    return EXIT_OK


def _dd_run(args: argparse.Namespace) -> DDRun | None:
    """The DD run to continue: SETTINGS given as a batch folder, or ``--from-frames``; sets ``args.settings``."""
    from pathlib import Path

    from chroma.errors import ChromaError
    from chroma.shot.dd_frames import frames_of, scan_dd_folder

    if os.path.isdir(args.settings):
        if args.from_frames:
            raise ChromaError("give the settings file with --from-frames, or the batch folder alone")
        run = scan_dd_folder(Path(args.settings))
        args.settings = str(run.settings)
        return run
    if args.from_frames:
        return frames_of(Path(args.settings), Path(args.from_frames))
    return None


def resume_at(run: DDRun, shot: Shot) -> int:
    """The frame a DD run continues at in ``shot`` (DD 5.7's ``resume_run``, turbo alignment included).

    Parameters
    ----------
    run : chroma.shot.dd_frames.DDRun
        The DD run.
    shot : chroma.shot.Shot
        Its imported shot.

    Returns
    -------
    int
        The first frame to render.
    """
    a = shot.animation
    return run.resume_frame(shot.animation_mode, a.turbo_mode, a.turbo_steps, a.turbo_preroll)


def _run_header(run: DDRun, shot: Shot, notes: list[str]) -> str:
    """The header line (and a note) saying where the DD run stopped and how it goes on."""
    name = f"{run.batch_name}({run.batch_num})"
    if run.last < 0:
        notes.append(f"no frames of {name} were found; the shot starts at frame 0")
        return f"Disco Diffusion run {name}: no frames written yet"
    if run.next_frame >= shot.max_frames:
        notes.append(f"{name} is finished: frames 0-{run.last} of {shot.max_frames} are written")
    nxt = resume_at(run, shot)
    seed_text = f"seed {run.seed_of(shot.seed, nxt)}"
    aligned = f" (DD's turbo alignment: frames {nxt}-{run.last} again)" if nxt <= run.last else ""
    notes.append(f"the Disco Diffusion run stopped after frame {run.last} ({run.frames[-1].name}); it continues at "
                 f"frame {nxt}{aligned} with {seed_text}, as the uninterrupted run numbers it (DD's own resume_run "
                 "would restart at seed + 1)")
    return (f"Disco Diffusion run {name}: frames 0-{run.last} written ({os.path.basename(run.frame_pattern())}); "
            f"continue at frame {nxt} from frame {nxt - 1}'s PNG, {seed_text}")


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


def _refuse_earlier_states(shot: Shot, overwrite: bool) -> None:
    """A stopped DD run's state goes into the shot's state folder: never over an earlier render's states unasked."""
    from chroma.errors import ChromaIOError
    from chroma.pipeline.layout import ShotLayout

    state_dir = ShotLayout(shot.output).state_dir
    if not overwrite and state_dir.is_dir() and any(state_dir.glob("state.*.npz")):
        raise ChromaIOError(f"{state_dir} holds the saved states of an earlier render of {shot.output.pattern}; pass "
                            "--overwrite to continue from the DD run instead, or give another output pattern")
