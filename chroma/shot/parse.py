"""Reading a shot file: TOML in, a validated :class:`~chroma.shot.model.Shot` out."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chroma.shot.animation_table import ANIMATION_SCHEDULES, _animation
from chroma.shot.collapse import _coherence, _guard
from chroma.shot.errors import ShotError
from chroma.shot.limits import MAX_FRAMES, SEED_MAX, SEED_MIN, rendered_size
from chroma.shot.model import Shot
from chroma.shot.modes import (
    ANIMATION_MODES,
    CAMERA_KEYS,
    MODE_ALIASES,
    MODE_CAMERA_KEYS,
    SEED_RULES,
    SPLINES,
    inactive_keys,
)
from chroma.shot.output import _output
from chroma.shot.prompts import _check_image_prompts, _check_prompt_strings, _keyed_lists
from chroma.shot.render_table import _render
from chroma.shot.seeds import frame_seed
from chroma.shot.validation import _SECTIONS, _TOP, _Checker, _choice, _float, _int, _resolve

if TYPE_CHECKING:
    from render.settings import AnimationSettings

if sys.version_info >= (3, 11):  # the TOML reader shot files (and edits, chroma.farm) are read with
    import tomllib as tomlreader
else:  # pragma: no cover - Python 3.10
    import tomli as tomlreader

__all__ = ["load_shot", "parse_shot", "tomlreader"]

_AUDIO_KEYS = ("file", "offset")


def load_shot(path: str | os.PathLike, config: str | os.PathLike | None = None, *,
              renderer_check: bool = True) -> Shot:
    """Read and validate a shot file.

    Everything is checked before anything heavy loads: unknown keys (with a "did you
    mean"), schedule strings, keys beyond ``max_frames``, prompt tables keyed by frame,
    the output pattern and colour space. Relative paths are relative to the shot file.

    Parameters
    ----------
    path : str or os.PathLike
        The shot file (TOML, UTF-8).
    config : str, os.PathLike or None, optional
        The OCIO config the output colour space is checked against; None for chroma's
        default.
    renderer_check : bool, optional
        Also build the first frame's ``render.renderer.RenderSettings`` (imports torch;
        default True). False keeps to the torch-free checks, which are the same but for
        the choices only the renderer knows (``guidance_mode``, ``init_loss``...) and
        ``timestep_respacing``.

    Returns
    -------
    Shot
        The validated shot.

    Raises
    ------
    ShotError
        With ``file:line: key: what is wrong``.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ShotError(f"shot file {str(p)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ShotError(f"cannot read shot file {str(p)!r}: {e}") from None
    return parse_shot(text, p.resolve(), config=config, renderer_check=renderer_check)


def parse_shot(text: str, path: Path | None = None, config: str | os.PathLike | None = None, *,
               renderer_check: bool = True) -> Shot:
    """Validate a shot given as TOML text, as :func:`load_shot` does.

    Parameters
    ----------
    text : str
        The shot's TOML.
    path : pathlib.Path or None, optional
        The file it came from, for messages and relative paths (default: the current folder).
    config : str, os.PathLike or None, optional
        The OCIO config; None for chroma's default.
    renderer_check : bool, optional
        Also build the render settings with the renderer (imports torch); see
        :func:`load_shot`. Default True.

    Returns
    -------
    Shot
        The validated shot.

    Raises
    ------
    ShotError
        With ``file:line: key: what is wrong``.
    """
    chk = _Checker(path, text)
    try:
        data = tomlreader.loads(text)
    except tomlreader.TOMLDecodeError as e:
        raise ShotError(f"{chk.where}: not valid TOML: {e}") from None
    top_known = (*_TOP, *_SECTIONS)
    chk.unknown(None, data, top_known)
    for sec in _SECTIONS:
        if sec in data and not isinstance(data[sec], dict):
            raise chk.fail(None, sec, f"must be a table ([{sec}]), got {type(data[sec]).__name__}"
                           + ("; key prompts by frame: [prompts] then 0 = [\"a city at dusk:2\"]" if "prompts" in sec else ""))

    max_frames = _int(chk, None, "max_frames", data.get("max_frames"), minimum=1, required=True)
    if max_frames > MAX_FRAMES:
        raise chk.fail(None, "max_frames", f"{max_frames} frames is more than a shot may have ({MAX_FRAMES:,}, "
                       f"{MAX_FRAMES / 24 / 3600:.1f} hours at 24 fps); split it into shots (docs/shots.md, 'Limits')")
    seed = _int(chk, None, "seed", data.get("seed", 0))
    seed_rule = _choice(chk, None, "seed_rule", data.get("seed_rule", "dd"), SEED_RULES)
    mode_raw = data.get("animation_mode", "None")
    mode = MODE_ALIASES.get(str(mode_raw).strip().lower()) if isinstance(mode_raw, str) else None
    if mode is None:
        raise chk.fail(None, "animation_mode", f"must be one of {', '.join(ANIMATION_MODES)}, got {mode_raw!r}")
    spline = _choice(chk, None, "interp_spline", data.get("interp_spline", "Linear"), SPLINES)
    base = path.parent if path else Path.cwd()

    output = _output(chk, data.get("output", {}), base, config)
    animation, schedules = _animation(chk, data.get("animation", {}), max_frames, spline, seed, mode, base)
    _check_seeds(chk, seed, seed_rule, mode, animation, max_frames)
    render_sec = dict(data.get("render", {}))
    if mode in ("2D", "3D", "Video") and "augmentations" not in render_sec:
        # DD's cutout augmentations for 2D/3D animations, and its own chain for Video Input
        render_sec["augmentations"] = "video" if mode == "Video" else "animation"
    notes: list[str] = []
    render, keyed = _render(chk, render_sec, max_frames, spline, seed, schedules, notes, renderer_check)
    idle = [k for k in inactive_keys(mode) if k in data.get("animation", {}) and np.any(schedules[k] != ANIMATION_SCHEDULES[k])]
    if idle:
        acting = [k for k in MODE_CAMERA_KEYS[mode] if k in CAMERA_KEYS]
        notes.append(f"{', '.join(idle)} {'does' if len(idle) == 1 else 'do'} nothing in a {mode} shot, which moves by "
                     + (", ".join(acting) if acting else "no camera") + " (docs/shots.md, 'Camera keys and modes')")
    from render.settings import symmetry_note  # torch-free

    sym = symmetry_note(animation, str(render.get("diffusion_sampling_mode", "ddim")))
    if sym:
        notes.append(sym)
    if mode == "Video" and animation.video_init_flow_warp:
        from render.settings import RenderSettings

        notes.extend(_flow_notes(animation, rendered_size(*render.get("width_height", RenderSettings.width_height))))
    prompts = _keyed_lists(chk, "prompts", data.get("prompts", {}), max_frames, "a city at dusk:2")
    image_prompts = _keyed_lists(chk, "image_prompts", data.get("image_prompts", {}), max_frames, "ref.png:0.5")
    if not prompts and not image_prompts:
        raise chk.fail(None, "prompts", "no prompts: add [prompts] with 0 = [\"a city at dusk:2\"]")
    if prompts and min(prompts) != 0:
        raise chk.fail("prompts", str(min(prompts)), f"the first prompt key is {min(prompts)}; frames before it "
                       "would have no prompt: key the first prompts at 0")
    _check_prompt_strings(chk, prompts)
    _check_image_prompts(chk, image_prompts, base)
    init_image = data.get("init_image")
    if init_image is not None:
        if not isinstance(init_image, str) or not os.path.isfile(_resolve(base, init_image)):
            raise chk.fail(None, "init_image", f"{init_image!r} does not exist")
    audio = _audio(chk, data.get("audio"))
    guard = _guard(chk, data.get("guard", {}), max_frames, spline, seed)
    coherence = _coherence(chk, data.get("coherence"), max_frames, spline, seed, mode, animation, base)
    return Shot(
        path=path, max_frames=max_frames, seed=seed, seed_rule=seed_rule, animation_mode=mode, interp_spline=spline,
        output=output, render=render, schedules=schedules, keyed=keyed, prompts=prompts, image_prompts=image_prompts,
        animation=animation, init_image=init_image, audio=audio, raw=data, guard=guard, coherence=coherence,
        notes=notes, _checker=chk,
    )


def _check_seeds(chk: _Checker, seed: int, seed_rule: str, mode: str, animation: AnimationSettings,
                 max_frames: int) -> None:
    """Every frame's seed (:func:`chroma.shot.seeds.frame_seed`) within the renderer's seeds."""
    last = frame_seed(seed, seed_rule, mode, animation.video_init_seed_continuity, max_frames - 1)
    if seed < SEED_MIN or last > SEED_MAX:
        where = f"frame {max_frames - 1} would render with seed {last}" if last != seed else f"seed {seed} is"
        raise chk.fail(None, "seed", f"{where}, outside the renderer's seeds {SEED_MIN}..{SEED_MAX} (2**64 - 1, "
                       f"torch.Generator.manual_seed); use a seed from 0 to {SEED_MAX - (last - seed)}")


def _flow_notes(animation: AnimationSettings, size: tuple[int, int]) -> list[str]:
    """What a flow-warped Video shot's user should hear: "auto" falls back to DIS without RAFT's weights
    or for frames smaller than RAFT takes."""
    from render.errors import ModelNotFoundError, SettingsError
    from render.flow import resolve_method  # torch-free

    try:
        _, note = resolve_method(animation.flow_model, size=size)
    except (ModelNotFoundError, SettingsError):
        return []  # refused by Shot.check_inputs, before any model loads
    return [note] if note else []


def _audio(chk: _Checker, audio: Any) -> dict[str, Any] | None:
    """``[audio]``: the song's file and its offset (seconds of audio at frame 0)."""
    if audio is None:
        return None
    chk.unknown("audio", audio, _AUDIO_KEYS)
    if not isinstance(audio.get("file"), str):
        raise chk.fail("audio", "file", "give the song's path, e.g. file = \"song.wav\"")
    return {"file": audio["file"], "offset": _float(chk, "audio", "offset", audio.get("offset", 0.0))}
