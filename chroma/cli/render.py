"""``chroma render``: CLIP-guided diffusion straight to a scene-linear EXR."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from chroma.cli._core import (
    EXIT_OK,
    add_config_option,
    add_farm_option,
    add_output_options,
    arguments,
    check_outputs,
    command,
)

if TYPE_CHECKING:
    from chroma.pipeline import FrameReport, RunPlan, ShotRunner
    from render.renderer import RenderStep
    from render.settings_file import SettingsFile


def _render_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("shot", nargs="?", metavar="SHOT.toml",
                   help="render an animated shot file (see docs/shots.md) instead of a still")
    s = p.add_argument_group("shots (with SHOT.toml)")
    s.add_argument("--resume", action="store_true",
                   help="continue after the last finished frame (after a crash, a kill or Ctrl-C)")
    s.add_argument("--frames", metavar="FRAMES",
                   help="render only these frames (file numbers, e.g. 1010-1020), from the state saved before them")
    s.add_argument("--settings-changed", action="store_true",
                   help="with --resume or --frames: continue from saved states made with other settings, on purpose "
                        "(refused otherwise: the frames before keep the old settings)")
    s.add_argument("--dry-run", action="store_true", help="validate and say what would be rendered; render nothing")
    s.add_argument("--quiet", action="store_true", help="no progress bars")
    s.add_argument("--dd-png", nargs="?", const=True, metavar="NAME(N)",
                   help="also write each frame as Disco Diffusion's 8-bit PNG, NAME(N)_0000.png... beside the EXRs "
                        "(default name: the shot's [output] dd_png, else <sequence name>(0)); as [output] dd_png")
    p.add_argument("--prompt", action="append", metavar="TEXT[:WEIGHT]",
                   help="a text prompt with an optional weight (repeat for several; negative weights push away)")
    p.add_argument("--image-prompt", action="append", metavar="IMAGE[:WEIGHT]",
                   help="an image prompt: any image file, read through the display view like --init (repeatable)")
    p.add_argument("-o", "--output", metavar="OUT.exr", help="the EXR to write (a still; shots name their output)")
    p.add_argument("--settings", metavar="FILE",
                   help="start from a settings file: Disco Diffusion's settings.txt, a JSON of RenderSettings names, "
                        "or a frame chroma rendered (its EXR header holds them); options given here win")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="any render setting by its Disco Diffusion name, e.g. --set cutn_batches=2 "
                        "--set cut_overview='[8]*400+[4]*600' (VALUE is JSON, else text; repeatable). "
                        "Note: range_scale has no effect with guidance_mode=dd (the default, Disco Diffusion's own "
                        "gradient, whose range loss does not reach the image); --set guidance_mode=chroma makes it act "
                        "through the x0 estimate (docs/render.md)")
    g = p.add_argument_group("sampling (Disco Diffusion's defaults)")
    g.add_argument("--steps", type=int, help="sampling steps (default 250)")
    g.add_argument("--width", type=int, help="width in pixels, rounded to a multiple of 64 (default 1280)")
    g.add_argument("--height", type=int, help="height in pixels, rounded to a multiple of 64 (default 768)")
    g.add_argument("--seed", type=int, help="random seed (default: the settings file's, else 0)")
    g.add_argument("--model", help="diffusion checkpoint (default 512x512_diffusion_uncond_finetune_008100; "
                                   "see 'chroma models list')")
    g.add_argument("--clip-models", nargs="+", metavar="NAME::PRETRAINED",
                   help="open_clip models guiding the render (default: ViT-B-32, ViT-B-16, RN50, openai weights)")
    g.add_argument("--no-secondary", action="store_true", help="estimate x0 with the UNet instead of the secondary model")
    g.add_argument("--sampler", choices=("ddim", "plms"), help="sampling method (default ddim)")
    g.add_argument("--skip-steps", type=int, help="noisiest steps to leave out (default 10)")
    g.add_argument("--clip-guidance-scale", type=float, help="CLIP guidance strength (default 5000)")
    g.add_argument("--init", metavar="IMAGE", help="start from this image (read through the display view; "
                                                    "an sRGB PNG/JPEG is taken as it is)")
    g.add_argument("--init-scale", type=float, help="pull towards --init (default 1000)")
    g.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    g.add_argument("--precision", choices=("auto", "fp32", "fp16", "bf16"),
                   help="autocast precision (default auto: bf16, else fp16, on CUDA; fp32 on the CPU, DD's gradient "
                        "to 1e-5; bf16 on a CPU with AMX is ~3x faster, see docs/render.md)")
    c = p.add_argument_group("colour")
    c.add_argument("--to", dest="dst", default="ACEScg", metavar="CS", help="scene-linear colour space to write (default ACEScg)")
    c.add_argument("--display", help="the display the models' images are taken to be encoded for (default: config's default, sRGB)")
    c.add_argument("--view", help="view of --display whose inverse makes the frame scene-linear (default: its default view)")
    add_output_options(p)
    add_config_option(p)
    add_farm_option(p)


_RENDER_HELP = """Render an image from text prompts with CLIP-guided diffusion and write it as a
    scene-linear EXR: the frame (display-referred, sRGB-like) goes through the inverse of
    the OCIO display view into ACEScg (or --to). The EXR header records every setting,
    so 'chroma render --settings frame.exr' renders the same frame again. Needs the
    render extra (pip install "chroma-vfx[render]") and the checkpoints in the cache
    ('chroma models fetch NAME' or 'chroma models import PATH').

    Settings come from, last one winning: Disco Diffusion's defaults, --settings, --set,
    then the named options.

    examples:
      chroma render --prompt "a lighthouse in a storm, matte painting:1" --prompt "blurry:-0.2" -o storm.exr
      chroma render --prompt "misty pine forest at dawn" --steps 100 --width 1024 --height 576 --seed 7 -o forest.exr
      chroma render --prompt "the same plate, painted" --init plate.1001.exr --skip-steps 120 -o painted.exr
      chroma render --settings "TimeToDisco(0)_settings.txt" -o disco_look.exr
      chroma render --settings storm.exr --seed 8 -o storm_seed8.exr
      chroma render --prompt "a cathedral of glass" --image-prompt ref.png:0.5 --set cutn_batches=2 -o glass.exr

    shots (keyframed prompts and camera moves -> an EXR sequence, a preview per frame,
    a Nuke script; the loop's state is saved after every frame):
      chroma render sh010.toml                       # every frame
      chroma render sh010.toml --resume              # after a crash, a kill or Ctrl-C
      chroma render sh010.toml --frames 1010-1020 --overwrite   # again; old frames -> retained/
      chroma shot check sh010.toml                   # validate and print the schedules first
    """


@command("render", "CLIP-guided diffusion render (Disco Diffusion style) to a scene-linear EXR", description=_RENDER_HELP)
@arguments(_render_args)
def cmd_render(args: argparse.Namespace) -> int:
    """Run ``chroma render``: a still (``-o OUT.exr``) or a shot file, rendered to scene-linear EXR.

    The --help text is ``_RENDER_HELP``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        Exit status: 0; 1 when frames of a farmed shot failed; 3 when the collapse guard stopped a shot; 130
        on Ctrl-C during a shot.

    Raises
    ------
    ChromaError
        A user mistake (no prompt, an unknown ``--set`` name, an output that exists, the
        render extra missing); :func:`main` prints it on one line and exits 2.
    """
    from chroma.cli._core import write_kwargs
    from chroma.errors import ChromaError, ChromaIOError

    if args.shot is not None:
        return _render_shot(args)
    for flag in ("resume", "frames", "dry_run", "farm", "dd_png", "settings_changed"):
        if getattr(args, flag):
            raise ChromaError(f"--{flag.replace('_', '-')} is for shots: chroma render SHOT.toml --{flag.replace('_', '-')}")
    if not args.output:
        raise ChromaError("give -o OUT.exr for a still, or a shot file: chroma render shot.toml")
    out_kwargs = {k: v for k, v in write_kwargs(args).items() if k not in ("overwrite", "config")}
    if os.path.exists(args.output) and not args.overwrite:  # said before any file is read
        raise ChromaIOError(f"{args.output!r} exists; pass --overwrite to replace it")
    overrides = _parse_set(args.set)
    from chroma import pipeline

    pipeline.require_renderer()
    from render.renderer import RenderSettings
    from render.settings_file import SettingsFile

    known = [f.name for f in dataclasses.fields(RenderSettings)]
    for name in overrides:
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            raise ChromaError(f"--set {name}: no such render setting" + (f"; did you mean {hint[0]}?" if hint else "")
                              + " (the settings are listed in docs/render.md)")
    loaded, base_dir = (pipeline.load_render_settings(args.settings, args.config) if args.settings
                        else (SettingsFile(), None))
    _settings_notes(loaded, args.settings)
    values = _merged_settings(args, loaded.settings, overrides, RenderSettings.width_height)
    prompts = args.prompt or loaded.text_prompts
    if not prompts and not (args.image_prompt or loaded.image_prompts):
        raise ChromaError("no prompt: give --prompt 'text:weight' (repeatable) or a --settings file with text_prompts")
    seed = args.seed if args.seed is not None else (loaded.seed if loaded.seed is not None else 0)
    init_path = args.init or (pipeline.find_settings_path(loaded.init_image, base_dir, "init_image")
                              if loaded.init_image else None)
    image_prompts = pipeline.image_prompt_files(args.image_prompt, loaded.image_prompts, base_dir)
    check_outputs([args.output], [init_path, args.settings, *(ip.value for ip in image_prompts)],
                  overwrite=args.overwrite)  # an input is never replaced; a missing folder is made (and said)
    result = pipeline.render_still(
        args.output, prompts, values, seed=seed, init=init_path, image_prompts=image_prompts, colorspace=args.dst,
        display=args.display, view=args.view, config=args.config, overwrite=args.overwrite,
        inputs=[args.settings] if args.settings else [], **out_kwargs,
    )
    if result.guidance_skipped:
        print(f"chroma render: warning: guidance was skipped on {result.guidance_skipped} step(s) "
              "(non-finite gradient)", file=sys.stderr)
    print(f"rendered {result.settings.width}x{result.settings.height} -> {result.path} ({result.image.colorspace})")
    return EXIT_OK


EXIT_GUARD_STOP = 3  # the collapse guard stopped a shot ([guard] action = "stop"); --resume continues


def _settings_notes(loaded: SettingsFile, path: str | None) -> None:
    """What the settings file held that a still does not use, on stderr."""
    for note in loaded.notes:
        print(f"chroma render: note: {note}", file=sys.stderr)
    if loaded.ignored:
        print(f"chroma render: note: {len(loaded.ignored)} setting(s) in {path!r} do not apply to a "
              f"still and are ignored: {', '.join(loaded.ignored)}", file=sys.stderr)
    if loaded.unknown:
        print(f"chroma render: warning: unknown setting(s) in {path!r}, ignored: "
              f"{', '.join(loaded.unknown)}", file=sys.stderr)


def _merged_settings(args: argparse.Namespace, from_file: dict, overrides: dict, default_size: tuple) -> dict:
    """RenderSettings keyword arguments: the file's, then --set, then the named options."""
    values = {**from_file, **overrides}
    named = {
        "steps": args.steps, "skip_steps": args.skip_steps, "diffusion_sampling_mode": args.sampler,
        "diffusion_model": args.model, "clip_guidance_scale": args.clip_guidance_scale, "init_scale": args.init_scale,
        "device": args.device, "precision": args.precision,
        "clip_models": tuple(args.clip_models) if args.clip_models else None,
        "use_secondary_model": False if args.no_secondary else None,
    }
    values.update({k: v for k, v in named.items() if v is not None})
    if args.steps is not None and "steps" not in overrides:  # a new step count replaces a recorded respacing
        values.pop("timestep_respacing", None)
        values.pop("diffusion_steps", None)
    if args.width is not None or args.height is not None:
        w, h = values.get("width_height", default_size)
        values["width_height"] = (args.width or w, args.height or h)
    return values


def _parse_set(items: list[str]) -> dict:
    """``--set NAME=VALUE`` -> {NAME: VALUE}; VALUE is JSON where it parses, else text."""
    from chroma.errors import ChromaError

    out = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ChromaError(f"--set {item!r}: write it as NAME=VALUE, e.g. --set cutn_batches=2")
        try:
            out[name] = json.loads(raw)
        except json.JSONDecodeError:
            out[name] = raw
        if isinstance(out[name], list):
            out[name] = tuple(out[name])
    return out


def _render_shot(args: argparse.Namespace) -> int:
    """``chroma render SHOT.toml``: validate, plan, then render frame by frame."""
    from chroma.pipeline import ShotRunner

    _refuse_still_options(args)
    overrides = {k: v for k, v in (("device", args.device), ("precision", args.precision)) if v}
    runner = ShotRunner.from_file(args.shot, config=args.config, render_overrides=overrides)
    shot = runner.shot
    if args.dd_png is not None:
        _dd_png(args, runner)
    if args.settings_changed and args.farm:
        from chroma.errors import ChromaError

        raise ChromaError("--settings-changed: farm workers plan from the saved states themselves; continue the "
                          "changed shot locally, or render it again with --frames ... --overwrite")
    plan = runner.plan(args.frames, resume=args.resume, overwrite=args.overwrite,
                       settings_changed=args.settings_changed)
    first = shot.output.first_frame
    for note in [*shot.notes, *plan.notes]:  # the shot's (e.g. flow_model "auto" running DIS), then the plan's
        print(f"chroma render: note: {note}", file=sys.stderr)
    if not plan.write:
        return EXIT_OK
    from chroma.sequence import format_frames

    what = (f"frames {format_frames([first + i for i in plan.write])} of {args.shot} -> "
            f"{shot.output.pattern} ({shot.output.colorspace}, {shot.animation_mode})")
    if args.dry_run:
        print(f"would render {what}" + (f"; would move {len(plan.replace)} existing frame(s) to retained/"
                                        if plan.replace else ""))
        return EXIT_OK
    runner.check_models()  # a missing checkpoint is reported before anything renders
    with runner.lock() as lock:  # one render of a shot at a time; released however the run ends
        if lock.note:
            print(f"chroma render: note: {lock.note}", file=sys.stderr)
        # planned again under the lock: a run that ended meanwhile may have written frames
        plan = runner.plan(args.frames, resume=args.resume, overwrite=args.overwrite,
                           settings_changed=args.settings_changed)
        if not plan.write:
            return EXIT_OK
        if args.farm:  # on Dask workers: one task in order, or chunks when frames are independent (docs/farm.md)
            from chroma import farm
            from chroma.cli._core import report_failures

            runner.out_dir.mkdir(parents=True, exist_ok=True)
            runner.write_nuke_script(plan.write)  # at the start, as a local run does
            failures = farm.render_shot(args.farm, args.shot, args.config, args.frames, args.resume, args.overwrite,
                                        overrides, args.chunk, args.quiet, notes=False)
            return report_failures(failures, len(plan.write), "render")
        return _run_shot(args, runner, plan, what)


def _dd_png(args: argparse.Namespace, runner: ShotRunner) -> None:
    """``--dd-png [NAME(N)]``: the shot's ``[output] dd_png`` for this run."""
    import dataclasses

    from chroma.errors import ChromaError, ChromaValueError
    from chroma.shot.output import dd_run_name

    if args.farm:
        raise ChromaError("--dd-png: farm workers read the shot file; set dd_png = true in its [output] instead")
    out = runner.shot.output
    try:
        name = dd_run_name(args.dd_png, runner.layout.pattern.prefix) if args.dd_png is not True or not out.dd_png \
            else out.dd_png
    except ChromaValueError as e:
        raise ChromaError(f"--dd-png: {e}") from None
    runner.shot.output = dataclasses.replace(out, dd_png=name)
    runner.layout.output = runner.shot.output


def _refuse_still_options(args: argparse.Namespace) -> None:
    """A shot takes its settings from the shot file: the still's options are refused."""
    from chroma.errors import ChromaError

    still_only = [name for name in ("prompt", "image_prompt", "output", "settings", "steps", "width", "height", "seed",
                                    "model", "clip_models", "init", "init_scale", "clip_guidance_scale", "skip_steps",
                                    "sampler") if getattr(args, name)]
    if still_only or args.set or args.no_secondary:
        names = [f"--{n.replace('_', '-')}" for n in still_only] + (["--set"] if args.set else []) + (
            ["--no-secondary"] if args.no_secondary else [])
        raise ChromaError(f"{', '.join(names)}: a shot takes its settings from the shot file; edit it "
                          "(or render a still without the shot file)")


def _run_shot(args: argparse.Namespace, runner: ShotRunner, plan: RunPlan, what: str) -> int:
    """Run ``plan`` with a frames bar, a steps bar and a line per frame; say how it ended."""
    import time

    from chroma.progress import Progress

    first = runner.shot.output.first_frame
    quiet = args.quiet or not sys.stderr.isatty()
    files = runner.model_files()
    if files and not args.quiet:  # the load takes a while (about a minute for Disco Diffusion's models)
        print("loading models: " + ", ".join(f"{name} ({size})" for name, size in files), flush=True)
    frames_bar = Progress(len(plan.render), "frames", enabled=not quiet, unit="frame")
    steps_bar = Progress(0, "steps", enabled=not quiet, position=1, leave=False, unit="step")
    new_frame = [True]

    def on_step(step: RenderStep) -> None:
        if new_frame[0]:  # one frame's steps: counted from 0 towards that frame's total
            steps_bar.reset(step.total)
            new_frame[0] = False
        if not step.final:
            steps_bar.update()

    def on_frame(report: FrameReport) -> None:
        new_frame[0] = True
        frames_bar.update()
        frames_bar.write(_frame_line(report, first))

    runner.on_step, runner.on_frame = on_step, on_frame
    t0 = time.perf_counter()
    try:
        runner.run(plan)
    except KeyboardInterrupt:
        frames_bar.close()
        steps_bar.close()
        done = f"after frame {first + runner.last_done}" if runner.last_done >= 0 else "before the first frame finished"
        print(f"chroma render: interrupted {done}; {len(runner.written)} frame(s) written; continue with: "
              f"chroma render {args.shot} --resume", file=sys.stderr)
        return 130
    finally:
        steps_bar.close()
        frames_bar.close()
    if runner.stopped:
        print(f"chroma render: {runner.stopped}; {len(runner.written)} frame(s) written, the state saved. Change the "
              f"settings (or [guard]) and continue with: chroma render {args.shot} --resume --settings-changed",
              file=sys.stderr)
        return EXIT_GUARD_STOP
    nk = runner.nuke_script_path()
    print(f"rendered {what} in {time.perf_counter() - t0:.1f}s; Nuke script: {nk}")
    return EXIT_OK


def _frame_line(report: FrameReport, first: int) -> str:
    """One line per frame: file frame, the prompt key, loss, the watch's words, time, where."""
    loss = f"loss {report.clip_loss:.4f}" if report.clip_loss is not None else "turbo" if report.turbo else "no loss"
    if report.summary.startswith("in-between"):  # a cadence frame between keys: its summary says what it is
        loss = ""
    where = f"-> {report.path}" if report.path else "(rendered to reach the frames asked, not written)"
    words = " ".join(w for w in (loss, report.summary) if w)  # the summary: guard state, coherence drift
    line = f"frame {report.file_frame} [prompts@{first + report.prompt_key}] {words} {report.seconds:.1f}s {where}"
    if report.retained:
        line += f" (old frame kept in {report.retained})"
    return line


def __getattr__(name: str) -> Any:
    """``RENDER_SETTINGS_KEY`` moved to :mod:`chroma.pipeline`; the old name warns for one release."""
    if name == "RENDER_SETTINGS_KEY":
        from chroma.deprecation import warn_deprecated
        from chroma.pipeline import RENDER_SETTINGS_KEY

        warn_deprecated("chroma.cli.render.RENDER_SETTINGS_KEY", "chroma.pipeline.RENDER_SETTINGS_KEY")
        return RENDER_SETTINGS_KEY
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
