"""The shot part of ``chroma demo``: the main job, end to end, on the CPU in about a minute.

A shot file (TOML, docs/shots.md) of Disco Diffusion's 2D camera -- zoom and rotation
every frame -- with a prompt change half-way, rendered by the real pipeline:
:class:`chroma.pipeline.ShotRunner` (the animation loop, the EXR writer with its inverse
view to scene-linear ACEScg, previews, the loop's state saved after every frame, the
collapse guard, the Nuke script) and :func:`chroma.report.build_report` (contact sheet,
plots, MP4). Only the models are stand-ins: :mod:`render.tiny` builds a tiny UNet and a
tiny CLIP with random weights on the spot (no download, no network), so the pictures are
the init image's shapes moved by the camera under noise that untrained weights paint;
``chroma models fetch 512x512_diffusion_uncond_finetune_008100`` gives the real ones.

Needs the ``render`` extra (torch, open_clip); the MP4 needs the ``report`` extra (PyAV).
Importing this module imports neither.
"""

from __future__ import annotations

import contextlib
import importlib.util
from pathlib import Path
from typing import Any, Iterator

from chroma.demo.colour import SCENE_FRAMES, scene_frame
from chroma.demo.parts import PartSkipped, guard, part, say

#: Frames of the demo shot (file frames 1001 on).
SHOT_FRAMES = 24
#: Its width and height, pixels.
SHOT_SIZE = 128
#: The camera: zoom per frame (factor) and rotation per frame (degrees, counter-clockwise).
SHOT_ZOOM = 1.03
SHOT_ANGLE = 2.0
#: The two prompts; the second from half-way through the shot.
SHOT_PROMPTS = ("a lighthouse in a storm", "a lighthouse at dawn")
#: The shot file's name in OUTDIR/shot, its output pattern (relative to it) and first frame.
SHOT_FILE = "demo_shot.toml"
SHOT_PATTERN = "frames/demo.####.exr"
FIRST_FRAME = 1001
#: Where to get the real models (said in the output and written in the shot file).
REAL_MODELS = "chroma models fetch 512x512_diffusion_uncond_finetune_008100"
#: How to install what the shot needs.
INSTALL = 'pip install "chroma-vfx[render,report]" (from a checkout: pip install ".[render,report]")'

#: What the shot part says first (two lines).
NOTE = (
    f"shot: {SHOT_FRAMES} frames of Disco Diffusion's 2D camera (zoom {SHOT_ZOOM}, {SHOT_ANGLE:g} degrees a frame) at "
    f"{SHOT_SIZE}x{SHOT_SIZE}, a prompt change at frame {FIRST_FRAME + SHOT_FRAMES // 2}, through the real shot "
    "pipeline: the motion, the ACEScg EXRs, previews, the state saved after every frame (what chroma render --resume "
    "continues from), the collapse guard, the .nk and the report are the real ones.",
    "  The pictures are from tiny RANDOM-WEIGHT models built on the spot (no download), so they mean nothing; "
    f"the real models: {REAL_MODELS}",
)


_SHOT_TOML = """\
# The shot of `chroma demo` (docs/demo.md, docs/shots.md): Disco Diffusion's 2D camera,
# zoom {zoom} and {angle:g} degrees a frame, a prompt change at frame {change}.
#
# Rendered by chroma's real shot pipeline with tiny random-weight models that `chroma demo`
# builds on the spot (render/tiny.py): the pictures are the init image moved by the camera
# under noise that untrained weights paint. The motion, the files, the saved state, the
# collapse guard and the report are the real pipeline's. For real pictures, fetch the models
#   {real}
#   chroma models fetch secondary_model_imagenet_2
#   chroma models fetch vgg16_imagenet
# delete the [render] lines marked "tiny" and render it: chroma render {name} --overwrite
# (the demo's frames move to frames/retained/; docs/shots.md; a GPU helps).
max_frames = {frames}
seed = 1
animation_mode = "2D"
init_image = "init.exr"           # frame 0 starts from the demo's procedural ACEScg scene

[output]
pattern = "{pattern}"
first_frame = {first}
fps = 24

[render]
diffusion_model = "{unet}"    # tiny: random weights, built by chroma demo
clip_models = ["{clip}"]  # tiny
use_secondary_model = false       # tiny
init_loss = "mse"                 # tiny (DD's LPIPS needs the VGG16 weights)
steps = 20                        # tiny
skip_steps = 16                   # frame 0 keeps most of its init image
width_height = [{size}, {size}]
clip_guidance_scale = 1000
cutn_batches = 1                  # tiny
cut_overview = "[2]*1000"         # tiny
cut_innercut = "[1]*1000"         # tiny

[animation]
zoom = "0: ({zoom})"
angle = "0: ({angle:g})"
frames_scale = 5000
frames_skip_steps = "90%"

[prompts]
0 = ["{p0}"]
{key} = ["{p1}"]
"""


def shot_text(frames: int = SHOT_FRAMES, size: int = SHOT_SIZE) -> str:
    """
    Return the demo's shot file (TOML, docs/shots.md).

    Parameters
    ----------
    frames : int, default :data:`SHOT_FRAMES`
        Frames of the shot (at least 2: the prompt changes at ``frames // 2``).
    size : int, default :data:`SHOT_SIZE`
        Width and height, pixels (a multiple of 64, which the renderer keeps as it is).

    Returns
    -------
    str
        The shot file's text, naming the tiny models of :mod:`render.tiny`.

    Raises
    ------
    chroma.errors.ChromaValueError
        For fewer than 2 frames or a size that is not a positive multiple of 64.
    """
    from chroma.errors import ChromaValueError

    if frames < 2:
        raise ChromaValueError(f"the demo shot needs at least 2 frames, got {frames}")
    if size < 64 or size % 64:  # the renderer rounds sizes to multiples of 64, as Disco Diffusion
        raise ChromaValueError(f"the demo shot's size must be a positive multiple of 64, got {size}")
    return _SHOT_TOML.format(
        frames=frames, size=size, pattern=SHOT_PATTERN, first=FIRST_FRAME, zoom=SHOT_ZOOM, angle=SHOT_ANGLE,
        p0=SHOT_PROMPTS[0], p1=SHOT_PROMPTS[1], key=frames // 2, change=FIRST_FRAME + frames // 2,
        unet="tiny-random-unet", clip="chroma-tiny-random::random", real=REAL_MODELS, name=SHOT_FILE,
    )


def _require_render() -> None:
    """Raise :class:`PartSkipped` (saying what to install) without torch or open_clip."""
    import importlib

    try:
        for name in ("torch", "open_clip"):  # torch first: it is the one a plain install lacks
            importlib.import_module(name)
    except ImportError as e:
        raise PartSkipped(f"needs the render extra ({e.name or e} is not installed); for the shot: {INSTALL}") from None


def render_shot(folder: str | Path, overwrite: bool = False, frames: int = SHOT_FRAMES, size: int = SHOT_SIZE,
                threads: int | None = 1, note: bool = False) -> list[Path]:
    """
    Render the demo shot into a folder: shot file, init image, EXR sequence, previews, state, ``.nk``, report.

    Parameters
    ----------
    folder : str or pathlib.Path
        Where: ``demo_shot.toml``, ``init.exr``, ``frames/demo.####.exr`` with
        ``frames/preview/``, ``frames/demo.state/`` and ``frames/demo.nk``, and
        ``report/`` (contact sheet, plots, MP4, JSON). Created if missing.
    overwrite : bool, default False
        Replace an earlier demo's files (its frames move to ``frames/retained/``, as
        ``chroma render --overwrite`` does).
    frames : int, default :data:`SHOT_FRAMES`
        Frames to render (tests use fewer).
    size : int, default :data:`SHOT_SIZE`
        Width and height, pixels (a multiple of 64).
    threads : int or None, default 1
        The CPU threads torch renders on (restored after); None leaves torch's own.
        One, because the tiny models' operations are too small to share: on this
        project's 2-core machine under load the 24 frames took 356 s on torch's 2 threads
        (OpenMP's waiting threads spin) and 60 s on one.
    note : bool, default False
        Say :data:`NOTE` (what the shot shows; that its pictures are from random weights)
        through :func:`chroma.demo.parts.say` once the render extra is found.

    Returns
    -------
    list of pathlib.Path
        Every file written, in order.

    Raises
    ------
    chroma.demo.parts.PartSkipped
        torch or open_clip is not installed (the message says what to install).
    chroma.errors.ChromaIOError
        A file of an earlier demo exists and ``overwrite`` is False (nothing is written).
    chroma.errors.ChromaValueError
        For fewer than 2 frames or a size that is not a positive multiple of 64.
    """
    _require_render()
    if note:
        for line in NOTE:
            say(line)
    from chroma import io
    from chroma.pipeline import ShotRunner
    from chroma.progress import Progress
    from chroma.shot import load_shot

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = shot_text(frames, size)
    shot_file, init_file = guard(folder / SHOT_FILE, overwrite), guard(folder / "init.exr", overwrite)
    report_dir = folder / "report"
    for name in ("demo.contact.png", "demo.plots.png", "demo.mp4", "demo.report.json"):
        guard(report_dir / name, overwrite)
    outputs = [folder / SHOT_PATTERN.replace("####", f"{FIRST_FRAME + i:04d}") for i in range(frames)]
    for f in outputs:
        guard(f, overwrite)
    written = [io.write_text(shot_file, text)]
    init = scene_frame(SCENE_FRAMES.start, size, size)
    written.append(io.write(init, init_file, overwrite=True))
    shot = load_shot(shot_file)

    with _torch_threads(threads):
        renderer = _tiny_renderer(shot)
        with Progress(frames, "demo shot") as bar:
            runner = ShotRunner(shot, renderer=renderer, on_frame=lambda _report: bar.update())
            plan = runner.plan(overwrite=overwrite)
            runner.run(plan)
    written += [runner.path(i) for i in plan.write] + [runner.preview_path(i) for i in plan.write]
    written += [runner.state_path(i) for i in runner.saved_states()] + [runner.state_dir / "log.jsonl"]
    written.append(runner.nuke_script_path())
    if runner.stopped:  # the guard's action is "warn" here: it says, and the shot goes on
        say(f"  {runner.stopped}")
    written += _report(runner.out_dir, report_dir, overwrite)
    return written


def _tiny_renderer(shot: Any) -> Any:
    """The tiny random-weight renderer for the shot's first-frame settings (render.tiny)."""
    from render.renderer import RenderSettings
    from render.tiny import tiny_clip_spec, tiny_renderer

    tiny_clip_spec()  # registers the tiny CLIP's name, which the settings check
    return tiny_renderer(RenderSettings(**shot.frame(0).render))


def _report(frames_dir: Path, report_dir: Path, overwrite: bool) -> list[Path]:
    """``chroma shot report``: contact sheet, plots, JSON, and the MP4 when PyAV is installed."""
    from chroma.report import build_report

    if importlib.util.find_spec("matplotlib") is None:
        say(f"  report: skipped, needs matplotlib: {INSTALL}")
        return []
    video = importlib.util.find_spec("av") is not None
    if not video:
        say(f"  report: no MP4, it needs PyAV (the report extra): {INSTALL}")
    files = build_report(frames_dir, report_dir, video=video, overwrite=overwrite)[0]
    for note in files.notes:
        say(f"  report: {note}")
    return [p for p in (files.contact, files.plots, files.video, files.data) if p is not None]


@contextlib.contextmanager
def _torch_threads(n: int | None) -> Iterator[None]:
    """torch on ``n`` CPU threads inside, as before after (None: unchanged)."""
    import torch

    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@part("shot")
def _shot(sub: Path, overwrite: bool) -> list[Path]:
    return render_shot(sub, overwrite, note=True)
