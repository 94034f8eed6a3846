"""Settings files: Disco Diffusion's ``settings.txt`` and chroma's own, in one format.

Disco Diffusion v5 saves the settings of every run as ``<batch>(<n>)_settings.txt``, a
JSON object. :func:`read_settings` turns such an object into :class:`RenderSettings`
keyword arguments plus the parts that are not settings (prompts, seed, init image), so
a look made in Disco Diffusion renders again here. chroma writes the same flat format
(:func:`settings_record`) into each frame's EXR header, so a frame can be rendered again
from the frame itself.

What is read:

- every :class:`RenderSettings` field by its own name (they are Disco Diffusion's names);
- ``width`` and ``height`` (Disco Diffusion's record of ``width_height``);
- the CLIP model switches (``ViTB32``, ``ViTB16``, ``RN50``, ``ViTB32_laion2b_e16``, ...)
  as ``clip_models``, unless ``clip_models`` itself is given;
- ``text_prompts`` and ``image_prompts``: ``{"0": ["text:weight", ...]}`` keyed by frame
  (the entry for frame 0 is used, the lowest frame where there is none), a list, or one
  string;
- ``seed`` and ``init_image``.

Disco Diffusion's animation, video and bookkeeping entries (``key_frames``, ``zoom``,
``batch_name``, ...) do not apply to a still and are listed in ``ignored``; DD's
``perlin_init``/``perlin_mode`` and ``fuzzy_prompt``/``rand_mag`` are settings like the
others. Any other key is unknown: listed in ``unknown``, with the closest
setting name when it looks like a typo.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from render.errors import SettingsError

if TYPE_CHECKING:  # pragma: no cover
    from render.renderer import RenderSettings

__all__ = ["DD_CLIP_SWITCHES", "SettingsFile", "load_settings_file", "read_settings", "settings_record"]

# Disco Diffusion v5.x's per-model switches -> open_clip ``name::pretrained``.
# (Two keys keep Disco Diffusion's own spelling: "ViTB32_laion400m_32", "RN50_yffcc15m".)
DD_CLIP_SWITCHES: dict[str, str] = {
    "ViTB32": "ViT-B-32::openai",
    "ViTB16": "ViT-B-16::openai",
    "ViTL14": "ViT-L-14::openai",
    "ViTL14_336px": "ViT-L-14-336::openai",
    "RN50": "RN50::openai",
    "RN101": "RN101::openai",
    "RN50x4": "RN50x4::openai",
    "RN50x16": "RN50x16::openai",
    "RN50x64": "RN50x64::openai",
    "ViTB32_laion2b_e16": "ViT-B-32::laion2b_e16",
    "ViTB32_laion400m_e31": "ViT-B-32::laion400m_e31",
    "ViTB32_laion400m_32": "ViT-B-32::laion400m_e32",
    "ViTB32quickgelu_laion400m_e31": "ViT-B-32-quickgelu::laion400m_e31",
    "ViTB32quickgelu_laion400m_e32": "ViT-B-32-quickgelu::laion400m_e32",
    "ViTB16_laion400m_e31": "ViT-B-16::laion400m_e31",
    "ViTB16_laion400m_e32": "ViT-B-16::laion400m_e32",
    "RN50_yffcc15m": "RN50::yfcc15m",
    "RN50_cc12m": "RN50::cc12m",
    "RN50_quickgelu_yfcc15m": "RN50-quickgelu::yfcc15m",
    "RN50_quickgelu_cc12m": "RN50-quickgelu::cc12m",
    "RN101_yfcc15m": "RN101::yfcc15m",
    "RN101_quickgelu_yfcc15m": "RN101-quickgelu::yfcc15m",
}

# Entries of Disco Diffusion's settings.txt that do not apply to one still frame.
_DD_NOT_FOR_A_STILL = frozenset(
    """animation_mode key_frames max_frames interp_spline angle zoom translation_x translation_y
    translation_z rotation_3d_x rotation_3d_y rotation_3d_z midas_depth_model midas_weight
    near_plane far_plane fov padding_mode sampling_mode frames_scale frames_skip_steps
    calc_frames_skip_steps skip_step_ratio video_init_path extract_nth_frame
    video_init_seed_continuity turbo_mode turbo_preroll turbo_steps videoFramesFolder
    TRANSLATION_SCALE start_frame resume_run batch_name batchNum batchFolder partialFolder
    display_rate n_batches side_x side_y intermediate_saves intermediates_in_subfolder
    steps_per_checkpoint console_preview console_preview_width model_path set_seed
    prompts_series image_prompts_series user_comment rotation_per_frame zoom_per_frame
    use_vertical_symmetry use_horizontal_symmetry transformation_percent
    randomize_class""".split()
)
_NOT_SETTINGS = {"text_prompts", "image_prompts", "seed", "init_image", "width", "height", "chroma_settings_version", "rendered_on"}
# Fields that describe the machine, not the look: left out of a frame's record.
_MACHINE_FIELDS = ("device", "compile")


@dataclass
class SettingsFile:
    """What a settings file holds.

    Attributes
    ----------
    settings : dict of str to Any
        :class:`RenderSettings` keyword arguments.
    text_prompts : list of str
        ``"text:weight"`` strings.
    image_prompts : list of str
        ``"path:weight"`` strings.
    seed : int or None
        The seed, if the file has one (DD's ``"random_seed"`` counts as none).
    init_image : str or None
        The init image path, if any.
    ignored : list of str
        Keys that do not apply here (animation, bookkeeping, missing features).
    unknown : list of str
        Keys nobody knows, with a hint where one is close to a setting name.
    notes : list of str
        One-line remarks for the user (keyframes not used, features off).
    """

    settings: dict[str, Any] = field(default_factory=dict)
    text_prompts: list[str] = field(default_factory=list)
    image_prompts: list[str] = field(default_factory=list)
    seed: int | None = None
    init_image: str | None = None
    ignored: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _setting_fields() -> dict[str, dataclasses.Field]:
    from render.settings import RenderSettings  # torch-free: chroma shot import stays fast

    return {f.name: f for f in dataclasses.fields(RenderSettings)}


def _frame_entry(value: Any, what: str, notes: list[str]) -> list[str]:
    """Disco Diffusion's ``{"0": [...], "100": [...]}`` (or a list, or a string) -> frame 0's list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        entries = value
    elif isinstance(value, Mapping):
        if not value:
            return []
        try:
            frames = sorted(value, key=lambda k: int(k))
        except (TypeError, ValueError):
            raise SettingsError(f"{what} must be keyed by frame number, e.g. {{\"0\": [\"a red barn:1\"]}}; "
                                f"got keys {list(value)}") from None
        first = frames[0]
        if len(frames) > 1:
            notes.append(f"{what}: using frame {first}'s entry; the keyframes {', '.join(map(str, frames[1:]))} are for animations")
        entries = value[first]
        if isinstance(entries, str):
            entries = [entries]
    else:
        raise SettingsError(f"{what} must be a list of 'text:weight' strings or a dict keyed by frame, got {type(value).__name__}")
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise SettingsError(f"{what} entries must be strings like 'a red barn:1', got {entries!r}")
    return list(entries)


def read_settings(data: Mapping[str, Any]) -> SettingsFile:
    """Read a settings object (Disco Diffusion's ``settings.txt`` or chroma's record).

    Values are not validated here: :class:`RenderSettings` does that when it is built.

    Parameters
    ----------
    data : Mapping[str, Any]
        The parsed JSON object.

    Returns
    -------
    SettingsFile
        The settings, prompts, seed and init image, with the ignored and unknown keys
        and notes.

    Raises
    ------
    render.errors.SettingsError
        Not a JSON object, only one of width and height, or prompts/seed/init image in a
        shape that means nothing.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``, ``save_settings`` (the ``settings.txt`` keys).
    """
    if not isinstance(data, Mapping):
        raise SettingsError(f"a settings file must hold a JSON object of name: value, got {type(data).__name__}")
    fields = _setting_fields()
    out = SettingsFile()
    for key, value in data.items():
        if key in fields:
            out.settings[key] = value
        elif key in _NOT_SETTINGS or key in DD_CLIP_SWITCHES:
            continue
        elif key in _DD_NOT_FOR_A_STILL:
            out.ignored.append(key)
        else:
            hint = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.8)
            out.unknown.append(f"{key} (did you mean {hint[0]}?)" if hint else key)

    if "width_height" not in out.settings and ("width" in data or "height" in data):
        if "width" not in data or "height" not in data:
            raise SettingsError("the settings give only one of width and height; give both (or width_height)")
        out.settings["width_height"] = (data["width"], data["height"])
    if isinstance(out.settings.get("width_height"), list):
        out.settings["width_height"] = tuple(out.settings["width_height"])
    if "clip_models" not in out.settings:
        switched_on = [spec for key, spec in DD_CLIP_SWITCHES.items() if data.get(key) is True]
        if any(key in data for key in DD_CLIP_SWITCHES):
            out.settings["clip_models"] = tuple(switched_on)
    elif isinstance(out.settings["clip_models"], str):
        out.settings["clip_models"] = (out.settings["clip_models"],)
    elif isinstance(out.settings["clip_models"], list):
        out.settings["clip_models"] = tuple(out.settings["clip_models"])

    # Disco Diffusion records the respacing it derived from ``steps``; dropping the
    # derived values lets a later ``steps`` override take effect.
    steps = out.settings.get("steps")
    if isinstance(steps, int) and steps > 0:
        if out.settings.get("timestep_respacing") == f"ddim{steps}":
            del out.settings["timestep_respacing"]
        if out.settings.get("diffusion_steps") == ((1000 // steps) * steps if steps < 1000 else steps):
            del out.settings["diffusion_steps"]

    out.text_prompts = _frame_entry(data.get("text_prompts"), "text_prompts", out.notes)
    out.image_prompts = _frame_entry(data.get("image_prompts"), "image_prompts", out.notes)
    seed = data.get("seed")
    if seed is not None and seed != "random_seed":
        if isinstance(seed, bool) or not isinstance(seed, (int, str)) or not str(seed).strip().lstrip("-").isdigit():
            raise SettingsError(f"seed must be an integer, got {seed!r}")
        out.seed = int(seed)
    init = data.get("init_image")
    if init not in (None, "", "None"):
        if not isinstance(init, str):
            raise SettingsError(f"init_image must be a file path, got {init!r}")
        out.init_image = init
    return out


def load_settings_file(path: str | Path) -> SettingsFile:
    """Read a settings JSON file (``settings.txt``, ``.json``) with :func:`read_settings`.

    Parameters
    ----------
    path : str or pathlib.Path
        The file, UTF-8 JSON.

    Returns
    -------
    SettingsFile
        What :func:`read_settings` makes of it.

    Raises
    ------
    render.errors.SettingsError
        Missing, unreadable, or not JSON (with the line and column), or see
        :func:`read_settings`.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"settings file {str(p)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SettingsError(f"cannot read settings file {str(p)!r}: {e}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SettingsError(f"settings file {str(p)!r} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    return read_settings(data)


def settings_record(
    settings: RenderSettings,
    text_prompts: Sequence[str],
    image_prompts: Sequence[str] = (),
    seed: int | None = None,
    init_image: str | None = None,
    rendered_on: str | None = None,
) -> dict[str, Any]:
    """The flat record chroma stores with a frame; :func:`read_settings` reads it back.

    Every :class:`RenderSettings` field but the machine's (``device``, ``compile``), plus
    ``text_prompts``/``image_prompts`` keyed by frame 0 as Disco Diffusion writes them,
    ``seed``, ``init_image`` and, for the record only, ``rendered_on``.

    Parameters
    ----------
    settings : RenderSettings
        The frame's settings.
    text_prompts : Sequence[str]
        ``"text:weight"`` strings.
    image_prompts : Sequence[str], optional
        ``"path:weight"`` strings. Default none.
    seed : int or None, optional
        The frame's seed. Default None.
    init_image : str or None, optional
        The init image path. Default None.
    rendered_on : str or None, optional
        A description of the machine, kept for the record only (not read back).
        Default None: left out.

    Returns
    -------
    dict of str to Any
        The JSON-ready record (tuples as lists), with ``chroma_settings_version`` 1.
    """
    record: dict[str, Any] = {"chroma_settings_version": 1}
    for f in dataclasses.fields(settings):
        if f.name in _MACHINE_FIELDS:
            continue
        value = getattr(settings, f.name)
        record[f.name] = list(value) if isinstance(value, tuple) else value
    record["text_prompts"] = {"0": list(text_prompts)}
    record["image_prompts"] = {"0": list(image_prompts)} if image_prompts else {}
    record["seed"] = seed
    record["init_image"] = init_image
    if rendered_on:
        record["rendered_on"] = rendered_on
    return record
