"""``chroma shot``: check a shot file (schedules per frame, curves), import Disco Diffusion
and Deforum settings as shot files."""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap

from chroma.cli._core import EXIT_OK, add_config_option, arguments, command


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


@command("shot", "check shot files (schedules per frame) and import Disco Diffusion / Deforum settings")
@arguments(_shot_args)
def cmd_shot(args: argparse.Namespace) -> int:
    """Shot files describe an animated render (docs/shots.md): keyframed prompts, camera
    moves, render settings per frame. 'check' validates one and shows its schedules;
    'import' converts Disco Diffusion's or Deforum's settings into one.

    examples:
      chroma shot check sh010.toml
      chroma shot check sh010.toml --plot sh010_schedules.png
      chroma shot import 'TimeToDisco(0)_settings.txt' -o sh010.toml --mode 3D
    """
    return _check(args) if args.action == "check" else _import(args)


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


def table(shot) -> str:
    """The shot's summary and its schedules frame by frame (constant ones on one line)."""
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


def plot_schedules(shot, path: str) -> str:
    """One panel per schedule that changes (constant ones listed in the title), frames on x."""
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
    for ax, name in zip(axes[:, 0], varying or [None]):
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
    tmp = f"{path}.tmp{os.getpid()}.png"
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)
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
    tmp = f"{args.output}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    try:
        load_shot(tmp, config=args.config)  # what we write must load
    except ChromaError as e:
        os.unlink(tmp)
        raise ChromaError(f"the imported shot does not validate: {e}") from None
    os.replace(tmp, args.output)
    for note in notes:
        print(f"chroma shot: note: {note}", file=sys.stderr)
    print(f"imported {source} settings {args.settings} -> {args.output} ({shot.get('max_frames')} frames, "
          f"{shot.get('animation_mode')})")
    return EXIT_OK
