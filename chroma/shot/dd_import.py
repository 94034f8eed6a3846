"""Disco Diffusion and Deforum settings -> a chroma shot (the dict ``chroma.shot`` writes as TOML).

People who animate with Disco Diffusion (DD) or Deforum keep their shots as the settings
files those tools save: DD v5.x writes ``<batch>(<n>)_settings.txt`` (a JSON object),
Deforum a settings JSON. :func:`shot_from_dd_settings` and :func:`shot_from_deforum` turn
either into a shot dict in chroma's schema (``docs/shots.md``): ``max_frames``, ``seed``,
``seed_rule``, ``animation_mode``, ``interp_spline``, ``[render]``, ``[animation]``,
``[prompts]``... Each returns the dict and a list of one-line notes for the user: every
key that is not carried over is named in a note, never dropped silently.

Schedules (``zoom``, ``angle``, ``translation_x``...) are copied as written: chroma
evaluates DD's keyframe strings and Deforum's math with the tools' own rules
(:mod:`render.keyframes`), so a schedule imported here gives DD's (or Deforum's) numbers
frame for frame. Each one is evaluated once while importing, so a malformed string is
refused here, with the setting's name.

Disco Diffusion
    The still-image part (``steps``, ``width``/``height``, guidance scales, cut schedules,
    CLIP model switches...) is read by :func:`render.settings_file.read_settings`, as for
    ``chroma render --settings``. DD's settings file does not record ``animation_mode``;
    the caller gives it (``mode``, default ``"2D"``). DD rules kept: with ``key_frames``
    off a schedule is one number (DD calls ``float()`` on it); a mode of ``"None"`` renders
    one frame; in ``"Video"`` mode DD v5.7's ``video_init_*`` values replace ``steps``,
    the guidance scales, ``cutn_batches``, ``skip_steps`` (frame 0's skip under the flow
    warp) and ``frames_scale``, while the frames' skip stays ``frames_skip_steps`` (DD
    computes ``calc_frames_skip_steps`` from it before ``video_init_frames_skip_steps``
    replaces it, so that key changes nothing); ``video_init_flow_warp``,
    ``video_init_flow_blend`` and ``video_init_check_consistency`` carry over (a file
    without them, DD before 5.7, gets the flow warp off); seeds follow DD's video rule,
    ``seed + i + 1``.

Deforum
    Stable Diffusion settings (sampler, CFG scale, model checkpoint, noise and contrast
    schedules, colour coherence...) have no counterpart in a CLIP-guided renderer; they
    are listed in the notes. What maps:

    - ``W``, ``H``, ``steps`` -> ``[render]`` ``width_height``, ``steps``;
    - the camera schedules by the same names; ``fov_schedule``, ``near_schedule``,
      ``far_schedule`` (or the older ``fov``, ``near_plane``, ``far_plane``) -> ``fov``,
      ``near_plane``, ``far_plane``;
    - ``strength_schedule`` -> ``frames_skip_steps``. Deforum's strength is the fraction
      of the previous frame kept: img2img runs ``(1 - strength) * steps`` of the
      schedule, so it skips ``strength * steps``, which is what DD's
      ``frames_skip_steps`` counts. A constant strength ``x`` becomes ``"<100x>%"`` (DD's
      form); a changing one becomes a schedule of step counts, ``steps * strength`` frame
      by frame (number keys multiplied, expression keys wrapped as ``steps*(...)``, so
      interpolation and expressions behave as in Deforum);
    - ``strength`` with ``use_init`` -> ``skip_steps = round(strength * steps)`` for the
      first frame, and ``init_image``;
    - ``diffusion_cadence`` ``n`` -> ``turbo_mode = n > 1``, ``turbo_steps = n``,
      ``turbo_preroll = 0`` (Deforum's cadence starts at the first frame);
    - ``border`` ``wrap``/``replicate`` -> ``wrap``/``border``; ``padding_mode``,
      ``sampling_mode``, ``video_init_path``;
    - ``seed`` and ``seed_behavior`` (``iter`` -> ``dd``: seed + frame; ``fixed``);
    - ``prompts`` (or ``animation_prompts``): ``{"0": "text", ...}`` -> ``[prompts]``,
      one prompt per key; a ``--neg`` part is dropped with a note;
    - ``fps`` -> ``[output] fps``. Deforum always interpolates linearly:
      ``interp_spline = "Linear"``.

References: Disco Diffusion v5.x ``disco.py`` (``save_settings``, the animation cells);
Deforum ``args.py``/``animation_key_frames.py`` (github.com/deforum-art/sd-webui-deforum).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from chroma.errors import ChromaValueError
from chroma.shot.modes import CAMERA_KEYS
from chroma.shot.modes import MODE_ALIASES as _MODES  # "video input" too, as DD writes it

__all__ = ["is_deforum", "shot_from_dd_settings", "shot_from_deforum", "output_pattern", "safe_name"]

# DD's other per-shot numbers that a shot schedules.
_DD_NUMBERS = ("fov", "near_plane", "far_plane", "frames_scale")
_DD_FIXED = ("padding_mode", "sampling_mode", "frames_skip_steps", "turbo_mode", "turbo_preroll",
             "use_horizontal_symmetry", "use_vertical_symmetry", "transformation_percent",
             "video_init_seed_continuity")
# DD v5.7: in Video Input mode these replace the settings they name.
_DD_VIDEO_OVERRIDES = {
    "video_init_steps": ("render", "steps"),
    "video_init_clip_guidance_scale": ("render", "clip_guidance_scale"),
    "video_init_tv_scale": ("render", "tv_scale"),
    "video_init_range_scale": ("render", "range_scale"),
    "video_init_sat_scale": ("render", "sat_scale"),
    "video_init_cutn_batches": ("render", "cutn_batches"),
    "video_init_skip_steps": ("render", "skip_steps"),
    "video_init_frames_scale": ("animation", "frames_scale"),
}
# DD v5.7 replaces args.frames_skip_steps with this one too, but only after it computed its skip
# (calc_frames_skip_steps) from the animation cell's frames_skip_steps: it changes nothing.
_DD_VIDEO_UNUSED = ("video_init_frames_skip_steps",)
# DD v5.7's optical-flow warp -> the [animation] keys of the same names.
_DD_FLOW = ("video_init_flow_warp", "video_init_flow_blend", "video_init_check_consistency")
_DD_HANDLED = frozenset((*CAMERA_KEYS, *_DD_NUMBERS, *_DD_FIXED, *_DD_VIDEO_OVERRIDES, *_DD_VIDEO_UNUSED, *_DD_FLOW,
                         "video_init_blend_mode",
                         "key_frames", "max_frames", "interp_spline", "turbo_steps", "video_init_path",
                         "extract_nth_frame", "midas_depth_model", "midas_weight", "animation_mode", "batch_name"))
_SEQUENCE_TOKEN = re.compile(r"#|@|%0?\d*d")


def _mode(value: Any, what: str) -> str:
    mode = _MODES.get(value.strip().lower()) if isinstance(value, str) else None
    if mode is None:
        raise ChromaValueError(f"{what} must be one of None, 2D, 3D, Video, got {value!r}")
    return mode


def _whole(value: Any, what: str, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer from a JSON number or numeric string (DD records turbo_steps as "3")."""
    try:
        number = float(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number != int(number) or number < minimum:
        raise ChromaValueError(f"{what} must be a whole number of at least {minimum}, got {value!r}")
    if maximum is not None and number > maximum:
        raise ChromaValueError(f"{what} {value!r} is more than a shot may have ({maximum:,} frames); split it into "
                               "shots (docs/shots.md, 'Limits')")
    return int(value) if isinstance(value, int) else int(number)


def _max_frames(value: Any) -> int:
    from chroma.shot.limits import MAX_FRAMES

    return _whole(value, "max_frames", minimum=1, maximum=MAX_FRAMES)


def safe_name(name: Any) -> str | None:
    """Make a batch name safe as a file name: its last part, letters, digits, ``.``, ``_``, ``-``.

    Parameters
    ----------
    name : Any
        Disco Diffusion's (or Deforum's) ``batch_name`` as the settings give it.

    Returns
    -------
    str or None
        ``"../../x"`` -> ``"x"``, ``"my shot"`` -> ``"my_shot"``; None when nothing usable
        is left (not a string, empty, only dots or separators).
    """
    if not isinstance(name, str):
        return None
    last = re.split(r"[\\/]", name.strip())[-1]
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", last).strip("._")
    return clean or None


def output_pattern(data: Mapping[str, Any], notes: list[str]) -> str:
    """The shot's output pattern from the settings' ``batch_name``: ``out/<batch_name>.####.exr``.

    The name is made safe with :func:`safe_name` (a ``batch_name`` of ``../../x`` must not
    write outside ``out/``); a note says when it changed or was not usable.

    Parameters
    ----------
    data : Mapping[str, Any]
        The settings object.
    notes : list of str
        Notes for the user; one is added when the name is changed or left out.

    Returns
    -------
    str
        The pattern, relative to the shot file's folder.
    """
    raw = data.get("batch_name")
    name = safe_name(raw)
    if raw not in (None, "") and name != raw:
        notes.append(f"batch_name {raw!r} is not a plain file name; the output is named "
                     f"{name!r}" if name else f"batch_name {raw!r} is not a usable file name; the output is named 'shot'")
    return f"out/{name or 'shot'}.####.exr"


def _typed_render(render: dict[str, Any], notes: list[str]) -> None:
    """Refuse render settings of the wrong type with one line; leave out nulls (the shot's defaults), with a note."""
    from chroma.shot.render_table import render_setting_types, type_error

    types = render_setting_types()
    for key in list(render):
        value = render[key]
        if value is None or (isinstance(value, (list, tuple)) and any(v is None for v in value)):
            del render[key]
            notes.append(f"{'width or height' if key == 'width_height' else key} is null in the settings; the shot "
                         "uses chroma's default")
            continue
        problem = type_error(value, types[key]) if key in types else None
        if problem:
            raise ChromaValueError(f"settings: {'width and height' if key == 'width_height' else key}: {problem}")


def _dd_size(render: dict[str, Any], notes: list[str]) -> None:
    """Disco Diffusion renders each side rounded down to a multiple of 64; so does the imported shot."""
    size = render.get("width_height")
    if not size:
        return
    w, h = size
    dd = (max(64, w // 64 * 64), max(64, h // 64 * 64))
    if dd != (w, h):
        notes.append(f"width_height {w}x{h}: Disco Diffusion rendered {dd[0]}x{dd[1]} (it rounds each side down to a "
                     "multiple of 64); the shot renders that size")
        render["width_height"] = list(dd)


def _check_schedule(value: Any, name: str, max_frames: int, spline: str, seed: int) -> list[float]:
    """Evaluate once (refuses malformed strings with the setting's name); the values per frame."""
    from render.errors import ScheduleError
    from render.keyframes import evaluate

    try:
        return evaluate(value, max_frames, spline, seed=seed, name=name).tolist()
    except ScheduleError as e:
        raise ChromaValueError(f"settings: {e}") from None


def _plain(value: Any) -> Any:
    """JSON/TOML-ready: tuples -> lists."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _prompt_table(value: Any, what: str, max_frames: int, seed: int, notes: list[str]) -> dict[str, list[str]]:
    """``{"0": [...], "100": [...]}`` (or a list / one string) -> frame-keyed lists, in frame order.

    Keys at or beyond ``max_frames`` are never reached (by DD, Deforum or the shot): they
    are left out, with a note.
    """
    from render.errors import ScheduleError
    from render.keyframes import frame_number

    if value is None or value == {} or value == []:
        return {}
    if isinstance(value, str):
        return {"0": [value]}
    if isinstance(value, list):
        return {"0": [str(v) for v in value]}
    if not isinstance(value, Mapping):
        raise ChromaValueError(f"{what} must be a dict keyed by frame, e.g. {{\"0\": [\"a red barn:1\"]}}, got {type(value).__name__}")
    table: dict[int, list[str]] = {}
    beyond: list[int] = []
    for key, entries in value.items():
        try:
            frame = frame_number(str(key), max_frames, seed=seed, name=what)
        except ScheduleError:
            raise ChromaValueError(f"{what} must be keyed by frame number, got the key {key!r}") from None
        if frame >= max_frames:
            beyond.append(frame)
            continue
        entries = [entries] if isinstance(entries, str) else entries
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise ChromaValueError(f"{what}: frame {key}: entries must be strings like 'a red barn:1', got {entries!r}")
        table[frame] = list(entries)
    if beyond:
        notes.append(f"{what} keyed at frame {', '.join(map(str, sorted(beyond)))} left out: beyond max_frames {max_frames}")
    return {str(k): table[k] for k in sorted(table)}


def _video_path(value: Any, notes: list[str], nth: Any) -> str:
    path = str(value or "")
    if path and not _SEQUENCE_TOKEN.search(path):
        notes.append(f"video_init_path {path!r} is a video file; chroma reads a plate sequence: extract its frames "
                     f"(e.g. oiiotool or ffmpeg to plate.####.exr) and set video_init_path to that pattern")
    if nth not in (None, 1, "1"):
        notes.append(f"extract_nth_frame {nth}: keep every {nth}th frame when extracting the plate; the shot reads every frame of it")
    return path


def is_deforum(data: Mapping[str, Any]) -> bool:
    """Tell whether ``data`` looks like a Deforum settings file rather than DD's settings.txt.

    Parameters
    ----------
    data : Mapping[str, Any]
        The parsed JSON object.

    Returns
    -------
    bool
        False when it has DD's ``text_prompts``; True when it has a key only Deforum
        writes (``diffusion_cadence``, ``strength_schedule``, ``animation_prompts``,
        ``W``, ``cfg_scale_schedule``).
    """
    if "text_prompts" in data:
        return False
    return any(k in data for k in ("diffusion_cadence", "strength_schedule", "animation_prompts", "W", "cfg_scale_schedule"))


def shot_from_dd_settings(data: Mapping[str, Any], mode: str = "2D") -> tuple[dict[str, Any], list[str]]:
    """Convert a Disco Diffusion v5.x ``settings.txt`` object into a shot dict.

    Parameters
    ----------
    data : Mapping[str, Any]
        The parsed JSON object (``json.load`` of the settings file).
    mode : {"None", "2D", "3D", "Video"}, optional
        The animation mode (default ``"2D"``), ``"None"``, ``"2D"``, ``"3D"`` or ``"Video"``: DD does not record
        it (a file that does, from a fork, must agree or a note says which is used).

    Returns
    -------
    shot : dict[str, Any]
        The shot (top-level keys, then ``render``, ``animation``, ``prompts``,
        ``image_prompts`` tables; no ``output``, which the caller adds).
    notes : list[str]
        What was changed or left out, for the user.

    Raises
    ------
    chroma.errors.ChromaValueError
        A value DD itself could not use: ``max_frames`` not a positive whole number, a
        malformed keyframe string or one with a key beyond ``max_frames``, prompts not
        keyed by frame, a malformed seed; or the renderer is not installed.

    References
    ----------
    Disco Diffusion v5.x ``disco.py`` (the settings it saves, its keyframe syntax and
    the ``seed + frame`` rule).
    """
    from render.errors import RenderError
    from render.settings_file import read_settings

    if not isinstance(data, Mapping):
        raise ChromaValueError(f"a Disco Diffusion settings file holds a JSON object, got {type(data).__name__}")
    notes: list[str] = []
    mode = _mode(mode, "mode")
    if "animation_mode" in data:
        recorded = _mode(data["animation_mode"], "animation_mode in the settings")
        if recorded != mode:
            notes.append(f"the settings record animation_mode {data['animation_mode']!r}; using {mode} as asked")

    try:
        still = read_settings(data)
    except RenderError as e:
        raise ChromaValueError(f"settings: {e}") from None
    except ImportError as e:  # read_settings checks names against RenderSettings (torch)
        raise ChromaValueError(f"reading Disco Diffusion settings needs the renderer: pip install "
                               f"'chroma-vfx[render]' ({e})") from None
    shot = _dd_top(data, still, mode, notes)
    max_frames, seed = shot["max_frames"], shot["seed"]
    render = {k: _plain(v) for k, v in still.settings.items()}
    _typed_render(render, notes)
    asked = list(render.get("width_height") or [])
    _dd_size(render, notes)
    animation = _dd_animation(data, mode, max_frames, shot["interp_spline"], seed, notes)
    if mode == "Video":
        _dd_video(data, render, animation, notes)
        if asked and asked != list(render["width_height"]) and animation.get("video_init_flow_warp", True):
            animation["flow_size"] = asked  # DD 5.7 estimates the flow at width_height, before rounding
            notes.append(f"Video flow warp: the flow is estimated at {asked[0]}x{asked[1]} as DD 5.7 does "
                         "(flow_size), then resized to the render size")
    _dd_leftovers(data, still, mode, notes)

    shot["render"] = render
    shot["animation"] = animation
    shot["prompts"] = _prompt_table(data.get("text_prompts"), "text_prompts", max_frames, seed, notes)
    images = _prompt_table(data.get("image_prompts"), "image_prompts", max_frames, seed, notes)
    if images:
        shot["image_prompts"] = images
        notes.append("image_prompts name image files; the shot reads them relative to its folder: put them there")
    return shot, notes


def _dd_top(data: Mapping[str, Any], still: Any, mode: str, notes: list[str]) -> dict[str, Any]:
    """The shot's top-level keys from DD's settings: frames, seed, mode, spline, init image."""
    max_frames = _max_frames(data.get("max_frames", 1))
    if mode == "None" and max_frames != 1:
        notes.append(f"animation mode None renders one frame (DD's rule); max_frames {max_frames} -> 1")
        max_frames = 1
    spline = data.get("interp_spline")
    if spline is None:
        spline = "Linear"
        if "interp_spline" in data:
            notes.append("interp_spline is null in the settings; the shot uses Linear (Disco Diffusion's default)")
    seed = still.seed
    shot: dict[str, Any] = {"max_frames": max_frames}
    if seed is None:
        notes.append("the settings have no seed (random_seed); the shot uses seed 0: set seed to taste")
        seed = 0
    shot.update(seed=seed, seed_rule="dd", animation_mode=mode, interp_spline=spline)
    if still.init_image:
        shot["init_image"] = still.init_image
        notes.append(f"init_image {still.init_image!r}: the shot reads it relative to the shot file's folder; put it there")
    return shot


def _dd_animation(data: Mapping[str, Any], mode: str, max_frames: int, spline: str, seed: int,
                  notes: list[str]) -> dict[str, Any]:
    """``[animation]`` from DD's settings: camera schedules, frame settings, turbo, depth."""
    animation: dict[str, Any] = {}
    key_frames = data.get("key_frames", True)
    moves = [k for k in (*CAMERA_KEYS, *_DD_NUMBERS) if data.get(k) is not None]
    if mode == "None" and moves:
        notes.append(f"mode None has no camera: {', '.join(moves)} not imported")
    for name in CAMERA_KEYS:
        if name not in data or mode == "None":
            continue
        value = data[name]
        if value is None:
            notes.append(f"{name} is null in the settings; the shot uses its default (no move)")
            continue
        if not key_frames and isinstance(value, str):
            try:  # DD: float(angle) when key_frames is off
                value = float(value)
            except ValueError:
                notes.append(f"key_frames is off in the settings but {name} is {value!r}; kept as keyframes")
        _check_schedule(value, name, max_frames, spline, seed)
        animation[name] = value
    for name in _DD_NUMBERS:
        if data.get(name) is not None and mode != "None":
            _check_schedule(data[name], name, max_frames, spline, seed)
            animation[name] = data[name]
    for name in _DD_FIXED:
        if data.get(name) is not None:
            animation[name] = _plain(data[name])
    if data.get("turbo_steps") is not None:
        animation["turbo_steps"] = _whole(data["turbo_steps"], "turbo_steps", minimum=1)
    if data.get("midas_depth_model"):
        animation["depth_model"] = data["midas_depth_model"]
    if data.get("midas_weight") is not None and mode == "3D":
        notes.append(f"midas_weight {data['midas_weight']}: DD blends MiDaS and AdaBins depth; chroma's depth comes "
                     f"from one estimator (depth_model = {animation.get('depth_model', 'dpt_large')!r})")
    return animation


def _dd_video(data: Mapping[str, Any], render: dict[str, Any], animation: dict[str, Any], notes: list[str]) -> None:
    """Video mode as DD v5.7's do_run renders it: the plate, the video_init_* overrides, the flow warp, the skip."""
    animation["video_init_path"] = _video_path(data.get("video_init_path"), notes, data.get("extract_nth_frame"))
    used = []
    for key, (section, name) in _DD_VIDEO_OVERRIDES.items():
        if data.get(key) is not None:
            (render if section == "render" else animation)[name] = _plain(data[key])
            used.append(f"{key} -> {name}")
    if used:
        notes.append("Video mode: DD v5.7 renders with its video_init_* settings: " + ", ".join(used))
    unused = data.get("video_init_frames_skip_steps")
    if unused is not None and unused != data.get("frames_skip_steps", "60%"):
        notes.append(f"video_init_frames_skip_steps {unused!r} not used: DD v5.7 skips video frames by "
                     f"frames_skip_steps ({animation.get('frames_skip_steps', '60%')!r}; its calc_frames_skip_steps "
                     "is computed before video_init_frames_skip_steps replaces it), and so does the shot")
    if "video_init_flow_warp" in data:
        for key in _DD_FLOW:
            if data.get(key) is not None:
                animation[key] = _plain(data[key])
    else:  # DD before 5.7 had no flow warp
        animation["video_init_flow_warp"] = False
        notes.append("the settings have no video_init_flow_warp (Disco Diffusion before 5.7): the shot renders "
                     "every frame from its plate frame, as that DD did (video_init_flow_warp = false)")
    if animation.get("video_init_flow_warp", True):
        notes.append("Video mode with DD 5.7's optical-flow warp: frame 0 starts from the plate with skip_steps "
                     f"{render.get('skip_steps', 'unset')} (video_init_skip_steps), later frames from the plate blended "
                     f"with the previous frame warped along the plate's flow (blend "
                     f"{animation.get('video_init_flow_blend', 0.999)}); DD's RAFT runs where its weights are in the "
                     "model cache (chroma models fetch raft_large_C_T_V1), else OpenCV's DIS (flow_model = \"auto\")")
    notes.append("Video mode: frame i renders with seed + i + 1, as DD" if not data.get("video_init_seed_continuity")
                 else "Video mode: every frame renders with the seed, as DD's video_init_seed_continuity")
    if data.get("video_init_blend_mode") not in (None, "None"):
        notes.append(f"video_init_blend_mode {data['video_init_blend_mode']!r} not imported: it is DD's blend of the "
                     "finished frames into its MP4, after the render")


def _dd_leftovers(data: Mapping[str, Any], still: Any, mode: str, notes: list[str]) -> None:
    """Notes on what was not imported: other modes' keys, DD bookkeeping, unknown keys."""
    skipped = sorted(k for k in still.ignored if k not in _DD_HANDLED)
    unknown = [u for u in still.unknown if u.split(" ")[0] not in _DD_HANDLED]
    if mode != "Video":
        unused = [k for k in ("video_init_path", "extract_nth_frame", *_DD_VIDEO_OVERRIDES, *_DD_VIDEO_UNUSED, *_DD_FLOW,
                              "video_init_blend_mode") if k in data]
        if unused:
            notes.append(f"not used in {mode} mode: {', '.join(unused)}")
    if skipped:
        notes.append(f"not imported (DD bookkeeping or features chroma does not have): {', '.join(skipped)}")
    if unknown:
        notes.append(f"unknown keys, not imported: {', '.join(unknown)}")
    notes.extend(n for n in still.notes if not n.startswith(("text_prompts:", "image_prompts:")))


# Deforum keys with no counterpart in a CLIP-guided renderer are reported in one note;
# these are read (or deliberately set aside) below.
_DEFORUM_HANDLED = frozenset((
    *CAMERA_KEYS, "animation_mode", "max_frames", "seed", "seed_behavior", "W", "H", "steps",
    "fov_schedule", "near_schedule", "far_schedule", "fov", "near_plane", "far_plane", "strength_schedule",
    "strength", "use_init", "init_image", "diffusion_cadence", "border", "padding_mode", "sampling_mode",
    "video_init_path", "extract_nth_frame", "prompts", "animation_prompts", "fps", "midas_weight",
    "use_depth_warping", "depth_algorithm", "animation_prompts_positive", "animation_prompts_negative",
))
_DEFORUM_BORDERS = {"wrap": "wrap", "replicate": "border", "reflect": "reflect"}


def _deforum_schedule(value: Any, name: str, max_frames: int, seed: int, notes: list[str]) -> Any:
    """A Deforum schedule, checked; keys at or beyond ``max_frames`` (never reached by Deforum) left out."""
    from render.errors import ScheduleError
    from render.keyframes import is_schedule_string, parse_keyframes

    if is_schedule_string(value):
        try:
            kept = parse_keyframes(value, name, max_frames=max_frames, seed=seed, drop_beyond=True)
            every = parse_keyframes(value, name, seed=seed, max_frames=10**9)
        except ScheduleError as e:
            raise ChromaValueError(f"settings: {e}") from None
        if len(kept) < len(every):
            dropped = sorted(set(every) - set(kept))
            notes.append(f"{name}: keys {', '.join(map(str, dropped))} left out: beyond max_frames {max_frames}")
            if not kept:
                raise ChromaValueError(f"settings: {name}: every key is beyond max_frames {max_frames}")
            value = ", ".join(f"{frame}: ({text})" for frame, text in kept.items())
    _check_schedule(value, name, max_frames, "Linear", seed)
    return value


def _skip_schedule(strength: str, steps: int, max_frames: int, seed: int) -> str:
    """Deforum's strength schedule -> a schedule of skipped steps (``steps * strength``)."""
    from render.keyframes import parse_keyframes

    keys = parse_keyframes(strength, "strength_schedule", max_frames=max_frames, seed=seed)
    parts = []
    for frame, value in keys.items():
        try:
            parts.append(f"{frame}: ({steps * float(value)!r})")
        except ValueError:
            parts.append(f"{frame}: ({steps}*({value}))")
    return ", ".join(parts)


def shot_from_deforum(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Convert a Deforum settings JSON object into a shot dict (the module docstring has the mapping).

    Parameters
    ----------
    data : Mapping[str, Any]
        The parsed JSON object of a Deforum settings file.

    Returns
    -------
    shot : dict[str, Any]
        The shot (top-level keys, then ``output`` with ``fps`` when given, ``render``,
        ``animation``, ``prompts``).
    notes : list[str]
        What was changed or left out, for the user.

    Raises
    ------
    chroma.errors.ChromaValueError
        ``max_frames``, ``W``/``H``, ``steps`` or the cadence not whole numbers, a
        malformed schedule, prompts not keyed by frame.

    References
    ----------
    Deforum Stable Diffusion ``helpers/animation.py`` and
    ``animation_key_frames.py`` (schedule syntax ``"0: (1.0), 10: (1.02)"`` with math
    in ``t``; ``strength_schedule``, ``diffusion_cadence``, ``seed_behavior``).
    """
    if not isinstance(data, Mapping):
        raise ChromaValueError(f"a Deforum settings file holds a JSON object, got {type(data).__name__}")
    notes: list[str] = []
    shot = _deforum_top(data, notes)
    mode, max_frames, seed = shot["animation_mode"], shot["max_frames"], shot["seed"]
    render, steps = _deforum_render(data, shot, notes)
    animation = _deforum_animation(data, mode, max_frames, seed, steps, notes)
    prompts = _deforum_prompts(data, max_frames, seed, notes)
    if data.get("fps") is not None:
        shot["output"] = {"fps": data["fps"]}
    unsupported = sorted(k for k in data if k not in _DEFORUM_HANDLED)
    if unsupported:
        notes.append(f"not imported (Deforum settings with no counterpart here): {', '.join(unsupported)}")
    shot["render"] = render
    shot["animation"] = animation
    shot["prompts"] = prompts
    return shot, notes


def _deforum_top(data: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
    """The shot's top-level keys from Deforum's settings: mode, frames, seed and its rule."""
    raw_mode = data.get("animation_mode", "2D")
    if isinstance(raw_mode, str) and raw_mode.strip().lower() == "interpolation":
        notes.append("Deforum's Interpolation mode (prompt morphing) has no counterpart; imported as mode None")
        raw_mode = "None"
    mode = _mode(raw_mode, "animation_mode")
    max_frames = _max_frames(data.get("max_frames", 1))
    seed_raw = data.get("seed", 0)
    if seed_raw in (-1, "-1", None):
        notes.append("seed -1 (random in Deforum): the shot uses seed 0; set seed to taste")
        seed = 0
    else:
        seed = _whole(seed_raw, "seed", minimum=-(2**63))
    behaviour = str(data.get("seed_behavior", "iter"))
    seed_rule = "fixed" if behaviour == "fixed" else "dd"
    if behaviour not in ("iter", "fixed"):
        notes.append(f"seed_behavior {behaviour!r} has no counterpart; the shot uses seed + frame (\"dd\")")
    elif behaviour == "iter" and _whole(data.get("diffusion_cadence", 1), "diffusion_cadence", minimum=1) > 1:
        notes.append("Deforum's iter seed advances per diffused frame; the shot's \"dd\" rule uses seed + frame index")
    shot: dict[str, Any] = {"max_frames": max_frames, "seed": seed, "seed_rule": seed_rule,
                            "animation_mode": mode, "interp_spline": "Linear"}
    return shot


def _deforum_render(data: Mapping[str, Any], shot: dict[str, Any], notes: list[str]) -> tuple[dict[str, Any], int]:
    """``[render]`` (steps, size, an init image's skip) and the step count."""
    render: dict[str, Any] = {}
    steps = _whole(data.get("steps", 50), "steps", minimum=1)
    render["steps"] = steps
    if "W" in data or "H" in data:
        render["width_height"] = [_whole(data.get("W"), "W", minimum=1), _whole(data.get("H"), "H", minimum=1)]
    if data.get("use_init") and data.get("init_image"):
        shot["init_image"] = data["init_image"]
        strength = float(data.get("strength", 0.0))
        render["skip_steps"] = int(round(strength * steps))
        notes.append(f"init_image {data['init_image']!r} with strength {strength}: skip_steps = {render['skip_steps']} "
                     f"of {steps}; the shot reads the image relative to its folder")
    return render, steps


def _deforum_animation(data: Mapping[str, Any], mode: str, max_frames: int, seed: int, steps: int,
                       notes: list[str]) -> dict[str, Any]:
    """``[animation]`` from Deforum's schedules: camera, strength, cadence, borders, depth, video."""
    animation: dict[str, Any] = {}
    for name in CAMERA_KEYS:
        if data.get(name) is not None:
            animation[name] = _deforum_schedule(data[name], name, max_frames, seed, notes)
    for target, names in (("fov", ("fov_schedule", "fov")), ("near_plane", ("near_schedule", "near_plane")),
                          ("far_plane", ("far_schedule", "far_plane"))):
        source = next((n for n in names if data.get(n) not in (None, "")), None)
        if source is not None:
            animation[target] = _deforum_schedule(data[source], target, max_frames, seed, notes)
    if data.get("strength_schedule") not in (None, ""):
        strength = _deforum_schedule(data["strength_schedule"], "strength_schedule", max_frames, seed, notes)
        per_frame = _check_schedule(strength, "strength_schedule", max_frames, "Linear", seed)
        if any(not 0 <= v < 1 for v in per_frame):
            raise ChromaValueError("strength_schedule must stay in [0, 1) (the fraction of the previous frame kept)")
        if len(set(per_frame)) == 1:
            animation["frames_skip_steps"] = f"{100 * per_frame[0]:g}%"
        else:
            animation["frames_skip_steps"] = _skip_schedule(str(strength), steps, max_frames, seed)
            notes.append(f"strength_schedule -> frames_skip_steps as step counts (steps {steps} x strength per frame)")
    if data.get("diffusion_cadence") is not None:
        cadence = _whole(data["diffusion_cadence"], "diffusion_cadence", minimum=1)
        animation.update(turbo_mode=cadence > 1, turbo_steps=cadence, turbo_preroll=0)
    border = data.get("border")
    if border is not None:
        if border in _DEFORUM_BORDERS:
            animation["border"] = _DEFORUM_BORDERS[border]
        else:
            notes.append(f"border {border!r} has no counterpart in 2D moves (wrap, border, reflect); using wrap")
    for name in ("padding_mode", "sampling_mode"):
        if data.get(name) is not None:
            animation[name] = data[name]
    if mode == "3D":
        if data.get("use_depth_warping") is False:
            notes.append("use_depth_warping is off: Deforum then warps with a flat depth; chroma estimates depth "
                         "(or reads it from a plate)")
        if data.get("depth_algorithm") or data.get("midas_weight") is not None:
            notes.append(f"depth_algorithm {data.get('depth_algorithm', 'Midas')!r} / midas_weight: chroma's depth comes "
                         "from one estimator (depth_model)")
    if mode == "Video":
        animation["video_init_path"] = _video_path(data.get("video_init_path"), notes, data.get("extract_nth_frame"))
    return animation


def _deforum_prompts(data: Mapping[str, Any], max_frames: int, seed: int, notes: list[str]) -> dict[str, list[str]]:
    """The prompts keyed by frame, Deforum's ``--neg`` parts dropped (with a note)."""
    prompts_raw = data.get("prompts", data.get("animation_prompts"))
    if isinstance(prompts_raw, str):
        try:
            prompts_raw = json.loads(prompts_raw)
        except json.JSONDecodeError:
            raise ChromaValueError("prompts must be a JSON object keyed by frame, e.g. {\"0\": \"a city at dusk\"}") from None
    prompts = _prompt_table(prompts_raw, "prompts", max_frames, seed, notes)
    for key, entries in prompts.items():
        kept = []
        for entry in entries:
            text, sep, negative = entry.partition("--neg")
            if sep:
                notes.append(f"prompts {key}: negative prompt {negative.strip()!r} dropped (Deforum's --neg); "
                             "add it as a negative weight, e.g. 'blurry:-0.5', if wanted")
            kept.append(text.strip())
        prompts[key] = kept
    for extra in ("animation_prompts_positive", "animation_prompts_negative"):
        if data.get(extra):
            notes.append(f"{extra} {data[extra][:40]!r}... is not added to the prompts")
    return prompts
