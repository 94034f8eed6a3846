"""Shot files: an animated render described in TOML, validated, its schedules per frame.

A shot file (``shot.toml``, documented key by key in ``docs/shots.md``) holds what Disco
Diffusion keeps in its notebook cells for an animation: the output sequence, the render
settings by their Disco Diffusion names, ``max_frames``, the seed, prompts keyed by frame,
the animation mode and its camera schedules. :func:`load_shot` reads and validates it
all before anything heavy loads; every error names the key and the line of the file.

Schedulable settings (the camera keys, ``frames_scale``, ``frames_skip_steps``, the
guidance scales...) take a number, Disco Diffusion's keyframe strings
(``"0: (1.02), 120: (1.05)"``, interpolated with ``interp_spline``) or Deforum's strings
with math in ``t``, ``max_f`` and ``s`` (evaluated by :mod:`render.keyframes`, never with
``eval``). Prompts and per-timestep cut schedules are keyed by frame and held until the
next key. ``Shot.frame(i)`` gives everything that applies to frame ``i``.

Frame indices count from 0 (the shot's first frame, as Disco Diffusion counts them); the
file of frame ``i`` is numbered ``first_frame + i`` (1001 by default, as VFX sequences).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from chroma.errors import ChromaError, ChromaValueError

if sys.version_info >= (3, 11):  # the TOML reader shot files (and edits, chroma.farm) are read with
    import tomllib as tomlreader
else:  # pragma: no cover - Python 3.10
    import tomli as tomlreader

if TYPE_CHECKING:
    from chroma.coherence import CoherenceSettings
    from chroma.guard import GuardSettings

__all__ = [
    "ShotError", "Shot", "OutputSpec", "FrameSpec", "load_shot", "parse_shot", "dump_shot",
    "CAMERA_KEYS", "ANIMATION_MODES", "MODE_CAMERA_KEYS", "inactive_keys", "MAX_FRAMES", "SEED_MIN", "SEED_MAX",
    "frame_memory", "render_setting_types", "rendered_size", "type_error",
]


class ShotError(ChromaError, ValueError):
    """A shot file that cannot be rendered as written (the message names key and line)."""


ANIMATION_MODES = ("None", "2D", "3D", "Video")
_MODE_ALIASES = {"none": "None", "2d": "2D", "3d": "3D", "video": "Video", "video input": "Video"}
SPLINES = ("Linear", "Quadratic", "Cubic")
SEED_RULES = ("dd", "fixed")

# The camera moves, Disco Diffusion's names and units (docs/shots.md).
CAMERA_KEYS = ("angle", "zoom", "translation_x", "translation_y", "translation_z",
               "rotation_3d_x", "rotation_3d_y", "rotation_3d_z")
# The camera keys each animation mode acts on, as Disco Diffusion: 2D warps the previous frame by
# angle, zoom and translation_x/y; 3D moves a camera by translation_x/y/z and rotation_3d_*, with
# fov, near_plane and far_plane; Video and None move no camera.
MODE_CAMERA_KEYS: dict[str, tuple[str, ...]] = {
    "None": (),
    "2D": ("angle", "zoom", "translation_x", "translation_y"),
    "3D": ("translation_x", "translation_y", "translation_z", "rotation_3d_x", "rotation_3d_y", "rotation_3d_z",
           "fov", "near_plane", "far_plane"),
    "Video": (),
}


def inactive_keys(mode: str) -> tuple[str, ...]:
    """Return the camera keys that do nothing in an animation mode.

    Parameters
    ----------
    mode : str
        One of :data:`ANIMATION_MODES`.

    Returns
    -------
    tuple of str
        The keys of :data:`CAMERA_KEYS` (and fov, near_plane, far_plane) that ``mode`` ignores:
        zoom and angle in 3D, translation_z and rotation_3d_* in 2D, every one in Video and None.
    """
    acting = MODE_CAMERA_KEYS[mode]
    return tuple(k for k in (*CAMERA_KEYS, "fov", "near_plane", "far_plane") if k not in acting)


def rendered_size(width: int, height: int) -> tuple[int, int]:
    """Give the size the renderer renders a ``width_height`` at.

    The renderer rounds each side to the nearest multiple of 64, at least 64
    (``render.renderer.round_size``; the same numbers, tested, without importing torch).
    Disco Diffusion rounds down instead (``side_x = (width_height[0] // 64) * 64``).

    Parameters
    ----------
    width : int
        Width in pixels.
    height : int
        Height in pixels.

    Returns
    -------
    tuple of int
        ``(width, height)`` in pixels, multiples of 64.
    """
    w, h = (max(SIZE_MULTIPLE, int(round(v / SIZE_MULTIPLE)) * SIZE_MULTIPLE) for v in (width, height))
    return w, h


def frame_memory(width: int, height: int, diffusion_model: str = "512x512_diffusion_uncond_finetune_008100",
                 batch_size: int = 1) -> int:
    """Give a lower bound of the device memory one frame needs, in bytes.

    Counted from the UNet's published hyper-parameters (``render.models.registry``):
    the feature maps its finest level keeps for the decoder's skip connections,
    ``(num_res_blocks + 1) * channels * width * height`` values, and the attention
    scores of its finest attention level, ``(width * height / ds**2) ** 2`` values for one
    head, both in half precision (2 bytes), times ``batch_size``. The weights, CLIP, the
    cutouts and the gradients come on top (a 1280x768 frame of the 512x512 model needs
    0.78 GB by this bound, besides 2.2 GB of weights). It is meant to refuse what can
    never fit (docs/shots.md, "Limits"), not to predict a render's use.

    Parameters
    ----------
    width : int
        Rendered width in pixels.
    height : int
        Rendered height in pixels.
    diffusion_model : str, optional
        The diffusion model's name (an unknown name counts as the 512x512 model).
    batch_size : int, optional
        Images per frame. Default 1.

    Returns
    -------
    int
        Bytes, at least.

    References
    ----------
    Dhariwal, P. & Nichol, A. (2021). Diffusion Models Beat GANs on Image Synthesis,
    guided-diffusion ``unet.py`` (skip connections ``hs``, ``QKVAttention``) and
    ``script_util.py`` (``channel_mult`` 0.5 at the finest level of the 512 model).
    """
    config: Mapping[str, Any] = {"image_size": 512, "num_channels": 256, "num_res_blocks": 2,
                                 "attention_resolutions": "32, 16, 8", "channel_mult": ""}
    try:
        from render.models.registry import get_info

        config = get_info(diffusion_model).config or config
    except Exception:  # an unknown or custom model without a published config
        pass
    image_size = int(config.get("image_size", 512))
    mult = config.get("channel_mult", "")
    first = float(str(mult).split(",")[0]) if str(mult).strip(" ()[]") else (0.5 if image_size == 512 else 1.0)
    channels = int(config.get("num_channels", config.get("model_channels", 128))) * first
    att = config.get("attention_resolutions", "16, 8")
    sizes = [int(x) for x in str(att).strip("()[]").split(",") if x.strip()]
    ds = min((image_size // r for r in sizes), default=image_size)
    pixels = width * height
    skips = (int(config.get("num_res_blocks", 2)) + 1) * channels * pixels
    tokens = pixels / ds**2
    return int(2 * batch_size * (skips + tokens**2))


def render_setting_types() -> dict[str, str]:
    """Give the render settings' names and declared types, without importing torch.

    ``render.settings.RenderSettings`` is importable without torch, so ``chroma shot check``
    and ``shot import`` validate ``[render]`` in a fraction of a second instead of the
    2-6 s that importing torch takes.

    Returns
    -------
    dict[str, str]
        Field name -> its annotation as written (``"int"``, ``"tuple[int, int]"``...);
        empty when the render package is not installed.
    """
    import dataclasses

    try:
        from render.settings import RenderSettings
    except ImportError:
        return {}
    return {f.name: str(f.type) for f in dataclasses.fields(RenderSettings)}


# [animation] settings that take a value per frame, with their defaults (a camera that
# does not move; DD's frames_scale).
ANIMATION_SCHEDULES: dict[str, float] = {
    "angle": 0.0, "zoom": 1.0, "translation_x": 0.0, "translation_y": 0.0, "translation_z": 0.0,
    "rotation_3d_x": 0.0, "rotation_3d_y": 0.0, "rotation_3d_z": 0.0,
    "fov": 40.0, "near_plane": 200.0, "far_plane": 10000.0, "frames_scale": 1500.0,
}
# [animation] settings that hold for the whole shot, with their defaults.
ANIMATION_FIXED: dict[str, Any] = {
    "frames_skip_steps": "60%",
    "border": "wrap",
    "padding_mode": "border",
    "sampling_mode": "bicubic",
    "turbo_mode": False,
    "turbo_steps": 3,
    "turbo_preroll": 10,
    "use_horizontal_symmetry": False,
    "use_vertical_symmetry": False,
    "transformation_percent": [0.09],
    "video_init_path": "",
    "video_init_seed_continuity": False,
    "depth": "estimate",
    "depth_model": "dpt_large",
    "depth_scale": 1.0,
    "state_every": 10,
}
_BORDERS = ("wrap", "border", "reflect")
_PADDINGS = ("border", "reflection", "zeros")
_SAMPLINGS = ("bicubic", "bilinear", "nearest")
# [render] settings that may change per frame (numbers or keyframe strings).
RENDER_SCHEDULES = ("clip_guidance_scale", "tv_scale", "range_scale", "sat_scale", "init_scale", "skip_steps",
                    "eta", "clamp_max", "cutn_batches")
_RENDER_INTEGERS = ("skip_steps", "cutn_batches")
# [render] per-timestep schedules that may also be keyed by frame ({0 = "...", 120 = "..."}).
RENDER_KEYED = ("cut_overview", "cut_innercut", "cut_ic_pow", "cut_icgray_p")

OUTPUT_DEFAULTS: dict[str, Any] = {
    "pattern": None, "first_frame": 1001, "fps": 24, "colorspace": "ACEScg", "compression": "zip",
    "dtype": "half", "display": "", "view": "", "preview": "png", "match_plate": False,
}
# The most frames a shot may have. Schedules are evaluated for every frame up front (a
# float64 array per schedulable setting), so an absurd max_frames would exhaust memory in
# validation; 1,000,000 frames is 11.6 hours at 24 fps, far beyond any shot, and
# validates in about 1 s and 0.3 GB (docs/shots.md, "Limits").
MAX_FRAMES = 1_000_000
# The seeds a frame may render with: the range of torch.Generator.manual_seed, which the
# renderer seeds with every frame's seed (render.renderer.Renderer.sample). Disco
# Diffusion draws random.randint(0, 2**32); a negative seed is taken modulo 2**64 by torch.
SEED_MIN = -(2**63)
SEED_MAX = 2**64 - 1
# Width and height are rounded to multiples of this by the renderer (render.renderer.round_size).
SIZE_MULTIPLE = 64
# The most device memory a frame may need (a lower bound, :func:`frame_memory`): the largest
# single accelerator sold when this was written, NVIDIA B200 (192 GB).
MAX_FRAME_BYTES = 192 * 10**9
_TOP = ("max_frames", "seed", "seed_rule", "animation_mode", "interp_spline", "init_image")
_SECTIONS = ("output", "render", "animation", "prompts", "image_prompts", "audio", "guard", "coherence")
_AUDIO_KEYS = ("file", "offset")


# ----------------------------------------------------------------------------- the shot


@dataclass(frozen=True)
class OutputSpec:
    """Where and how frames are written (``[output]``).

    Attributes
    ----------
    pattern : str
        The sequence, absolute, with a frame token (``####``, ``%04d``, ``@``).
    first_frame : int
        The file frame number of the shot's frame 0.
    fps : fractions.Fraction
        Frames per second, exact (29.97 is 30000/1001).
    colorspace : str
        The OCIO colour space the EXRs are written in.
    compression : str
        The EXR compression.
    dtype : str
        The EXR pixel type (``half``, ``float``).
    display : str or None
        The OCIO display of the previews (None: the config's default).
    view : str or None
        The OCIO view of the previews.
    preview : str
        ``png``, ``jpg`` or ``none``.
    match_plate : bool
        Write frames at the plate's size and metadata.
    """

    pattern: str
    first_frame: int = 1001
    fps: Fraction = Fraction(24)
    colorspace: str = "ACEScg"
    compression: str = "zip"
    dtype: str = "half"
    display: str | None = None
    view: str | None = None
    preview: str = "png"
    match_plate: bool = False

    def path(self, index: int) -> str:
        """Give the EXR path of a frame.

        Parameters
        ----------
        index : int
            The frame, 0-based in the shot.

        Returns
        -------
        str
            The file of frame number ``first_frame + index``.
        """
        from chroma import sequence

        return sequence.parse_pattern(self.pattern).path(self.first_frame + index)


@dataclass(frozen=True)
class FrameSpec:
    """Everything that applies to one frame of a shot.

    Attributes
    ----------
    index : int
        0-based frame of the shot (Disco Diffusion's ``frame_num``).
    file_frame : int
        The frame number in the file name (``first_frame + index``).
    seed : int
        This frame's seed (``seed + index`` by Disco Diffusion's rule).
    prompts : tuple[str, ...]
        The ``"text:weight"`` strings in force.
    image_prompts : tuple[str, ...]
        The ``"path:weight"`` strings in force.
    prompt_key : int
        The frame where those prompts were keyed.
    render : Mapping[str, Any]
        RenderSettings values for this frame (fixed ones and this frame's schedules).
    values : Mapping[str, float]
        Every schedulable setting's value at this frame, in its own units.
    """

    index: int
    file_frame: int
    seed: int
    prompts: tuple[str, ...]
    image_prompts: tuple[str, ...]
    prompt_key: int
    render: Mapping[str, Any]
    values: Mapping[str, float]


@dataclass
class Shot:
    """A validated shot (see :func:`load_shot`).

    Attributes
    ----------
    path : pathlib.Path or None
        The shot file (None for text parsed without one).
    max_frames : int
        Frames in the shot.
    seed : int
        The shot's seed.
    seed_rule : str
        ``"dd"`` (``seed + index``) or ``"fixed"``.
    animation_mode : str
        ``"None"``, ``"2D"``, ``"3D"`` or ``"Video"``.
    interp_spline : str
        Keyframe interpolation: ``"Linear"``, ``"Quadratic"`` or ``"Cubic"``.
    output : OutputSpec
        The ``[output]`` table.
    render : dict[str, Any]
        RenderSettings keywords that hold for the whole shot.
    schedules : dict[str, numpy.ndarray]
        Schedulable setting -> value per frame (float64, shape (max_frames,)).
    keyed : dict[str, dict[int, Any]]
        Per-frame tables (cut schedules), held between keys.
    prompts : dict[int, list[str]]
        Frame -> prompts from that frame on.
    image_prompts : dict[int, list[str]]
        Frame -> image prompts from that frame on.
    animation : dict[str, Any]
        ``[animation]`` settings that hold for the whole shot.
    init_image : str or None
        The first frame's init image, as the file gives it.
    audio : dict[str, Any] or None
        ``{"file": path, "offset": seconds}``.
    raw : dict[str, Any]
        The parsed TOML as it is.
    guard : chroma.guard.GuardSettings or None
        The collapse guard (None: off).
    coherence : chroma.coherence.CoherenceSettings or None
        Colour coherence (None: off).
    notes : list of str
        What validation wants the user to hear (a size the renderer rounds...).
    """

    path: Path | None
    max_frames: int
    seed: int
    seed_rule: str
    animation_mode: str
    interp_spline: str
    output: OutputSpec
    render: dict[str, Any]
    schedules: dict[str, np.ndarray]
    keyed: dict[str, dict[int, Any]]
    prompts: dict[int, list[str]]
    image_prompts: dict[int, list[str]]
    animation: dict[str, Any]
    init_image: str | None = None
    audio: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    guard: GuardSettings | None = None
    coherence: CoherenceSettings | None = None
    notes: list[str] = field(default_factory=list)
    _checker: Any = field(default=None, repr=False, compare=False)

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in the shot are read from.

        Returns
        -------
        pathlib.Path
            The shot file's folder, or the current folder for text without a file.
        """
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, path: str) -> str:
        """Resolve a path from the shot file, relative to the shot file's folder.

        Parameters
        ----------
        path : str
            As the shot gives it (``~`` expanded).

        Returns
        -------
        str
            An absolute path (or one relative to the current folder for text without a file).
        """
        p = Path(os.path.expanduser(path))
        return str(p if p.is_absolute() else (self.base_dir / p))

    def skip_fraction(self) -> float | None:
        """Give ``frames_skip_steps`` as a fraction of the steps.

        Returns
        -------
        float or None
            0.6 for ``"60%"``; None when it is a step count.
        """
        v = self.animation["frames_skip_steps"]
        return float(v.strip()[:-1]) / 100.0 if isinstance(v, str) else None

    def frame(self, index: int) -> FrameSpec:
        """Give everything that applies to one frame.

        Parameters
        ----------
        index : int
            The frame, 0-based.

        Returns
        -------
        FrameSpec
            Its seed, prompts, render settings and schedule values.

        Raises
        ------
        ShotError
            ``index`` outside ``0 .. max_frames - 1``.
        """
        if not 0 <= index < self.max_frames:
            raise ShotError(f"frame index {index} is outside the shot (0-{self.max_frames - 1})")
        values = {name: float(v[index]) for name, v in self.schedules.items()}
        render = dict(self.render)
        for name in RENDER_SCHEDULES:
            if name in values:
                v = values[name]
                render[name] = int(round(v)) if name in _RENDER_INTEGERS else v
        for name, table in self.keyed.items():
            render[name] = _held(table, index)
        key = _key_at(self.prompts, index) if self.prompts else 0
        images = _held(self.image_prompts, index) if self.image_prompts else []
        return FrameSpec(
            index=index,
            file_frame=self.output.first_frame + index,
            seed=self.frame_seed(index),
            prompts=tuple(self.prompts.get(key, [])),
            image_prompts=tuple(images or []),
            prompt_key=key,
            render=render,
            values=values,
        )

    def frame_seed(self, index: int) -> int:
        """Give a frame's seed by Disco Diffusion's rule, ``seed + index``.

        ``seed_rule = "fixed"`` (or a video shot with ``video_init_seed_continuity``)
        keeps ``seed`` for every frame.

        Parameters
        ----------
        index : int
            The frame, 0-based.

        Returns
        -------
        int
            The seed.

        References
        ----------
        Disco Diffusion v5.x ``disco.py``: ``seed = args.seed + frame_num`` in the
        animation loop.
        """
        if self.seed_rule == "fixed" or (self.animation_mode == "Video" and self.animation["video_init_seed_continuity"]):
            return self.seed
        return self.seed + index

    def settings_hash(self, index: int) -> str:
        """Hash everything that decides a frame's pixels.

        Render settings, schedule values, seed, prompts, mode, animation, guard and
        coherence tables.

        Parameters
        ----------
        index : int
            The frame, 0-based.

        Returns
        -------
        str
            The SHA-256 (64 hex digits) of those settings as sorted JSON; written as the
            frame's ``chroma/settings_hash`` and in its saved state, where nothing compares
            it (a state saved with the 16 digits of earlier versions resumes the same).
        """
        f = self.frame(index)
        blob = json.dumps({"render": f.render, "values": f.values, "seed": f.seed, "prompts": f.prompts,
                           "image_prompts": f.image_prompts, "mode": self.animation_mode,
                           "animation": self.animation, "guard": self.raw.get("guard"),
                           "coherence": self.raw.get("coherence")}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def check_inputs(self, indices: Iterable[int] | None = None) -> None:
        """Check that the per-frame inputs the frames read exist: the plate and the depth sequence.

        A Video shot reads ``video_init_path`` at every frame, a 3D shot with a depth
        sequence reads ``depth``; both are numbered like the output (frame ``i`` reads
        ``first_frame + i``).

        Parameters
        ----------
        indices : Iterable[int] or None, optional
            The frames to render (0-based); None for every frame of the shot.

        Raises
        ------
        ShotError
            Naming the key, the first missing frame and its path, and how many are missing.
        """
        from chroma import sequence

        frames = range(self.max_frames) if indices is None else sorted(set(indices))
        keys = (["video_init_path"] if self.animation_mode == "Video" else []) + (
            ["depth"] if self.animation_mode == "3D" and self.animation["depth"] != "estimate" else [])
        chk = self._checker or _Checker(self.path, "")
        for key in keys:
            pattern = sequence.parse_pattern(self.animation[key])
            folder = os.path.dirname(pattern.path(self.output.first_frame))
            try:
                present = set(sequence.discover(pattern).frames)
            except ChromaError:
                raise chk.fail("animation", key, f"the folder {folder!r} of {self.animation[key]!r} does not "
                               "exist") from None
            missing = [i for i in frames if self.output.first_frame + i not in present]
            if missing:
                i = missing[0]
                raise chk.fail("animation", key, f"frame {self.output.first_frame + i} (shot frame {i}) is missing: "
                               f"{pattern.path(self.output.first_frame + i)} ({len(missing)} of {len(frames)} "
                               "frames missing; the sequence is numbered like the output)")

    def to_json(self) -> dict[str, Any]:
        """Give the shot's schedules and prompts as JSON (``chroma shot check --json``).

        Returns
        -------
        dict[str, Any]
            ``{"max_frames", "schedules": {name: [value per frame]}, "prompts": {"key": [...]}}``.
        """
        return {
            "max_frames": self.max_frames,
            "schedules": {k: [float(x) for x in v] for k, v in self.schedules.items()},
            "prompts": {str(k): list(v) for k, v in sorted(self.prompts.items())},
        }


def _key_at(table: Mapping[int, Any], index: int) -> int:
    """The key in force at frame ``index``: the last key at or before it (else the first)."""
    keys = [k for k in table if k <= index]
    return max(keys) if keys else min(table)


def _held(table: Mapping[int, Any], index: int) -> Any:
    return table[_key_at(table, index)]


# ----------------------------------------------------------------------------- loading


class _Lines:
    """Finds the line of a key in the TOML text (tomllib reports none for valid TOML)."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def of(self, section: str | None, key: str | None = None) -> int | None:
        current: str | None = None
        header = None
        for n, raw in enumerate(self.lines, 1):
            line = raw.strip()
            m = re.match(r"^\[\s*([^\[\]]+?)\s*\]", line)
            if m:
                current = m.group(1).strip().strip('"')
                if key is None and current == section:
                    return n
                if current == section:
                    header = n
                continue
            if current == section or (section is None and current is None):
                if key is not None and re.match(rf'^(?:"{re.escape(key)}"|\'{re.escape(key)}\'|{re.escape(key)})\s*=', line):
                    return n
        return header


class _Checker:
    def __init__(self, path: Path | None, text: str):
        self.where = str(path) if path else "shot"
        self.lines = _Lines(text)

    def fail(self, section: str | None, key: str | None, message: str) -> ShotError:
        line = self.lines.of(section, key)
        name = ".".join(p for p in (section, key) if p) or "shot"
        loc = f"{self.where}:{line}" if line else self.where
        return ShotError(f"{loc}: {name}: {message}")

    def unknown(self, section: str | None, keys: Mapping[str, Any], known: tuple[str, ...] | list[str]) -> None:
        for key in keys:
            if key in known:
                continue
            if section is not None and key in (*_TOP, *_SECTIONS):
                where = f"its own [{key}] table" if key in _SECTIONS else "the top of the file, before any [table]"
                raise self.fail(section, key, f"is not a key of [{section}]: in TOML every key after a [table] "
                                f"header belongs to that table; move it to {where}")
            hint = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
            raise self.fail(section, key, "unknown key" + (f"; did you mean {hint[0]!r}?" if hint else
                                                          f"; see docs/shots.md for the keys of [{section or 'top level'}]"))


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
    last_seed = seed + (max_frames - 1 if seed_rule == "dd" else 0)
    if seed < SEED_MIN or last_seed > SEED_MAX:
        where = f"frame {max_frames - 1} would render with seed {last_seed}" if last_seed != seed else f"seed {seed} is"
        raise chk.fail(None, "seed", f"{where}, outside the renderer's seeds {SEED_MIN}..{SEED_MAX} (2**64 - 1, "
                       f"torch.Generator.manual_seed); use a seed from 0 to {SEED_MAX - max_frames + 1}")
    mode_raw = data.get("animation_mode", "None")
    mode = _MODE_ALIASES.get(str(mode_raw).strip().lower()) if isinstance(mode_raw, str) else None
    if mode is None:
        raise chk.fail(None, "animation_mode", f"must be one of {', '.join(ANIMATION_MODES)}, got {mode_raw!r}")
    spline = _choice(chk, None, "interp_spline", data.get("interp_spline", "Linear"), SPLINES)
    base = path.parent if path else Path.cwd()

    output = _output(chk, data.get("output", {}), base, config)
    animation, schedules = _animation(chk, data.get("animation", {}), max_frames, spline, seed, mode, base)
    render_sec = dict(data.get("render", {}))
    if mode in ("2D", "3D") and "augmentations" not in render_sec:
        render_sec["augmentations"] = "animation"  # DD's cutout augmentations for 2D/3D animations
    notes: list[str] = []
    render, keyed = _render(chk, render_sec, max_frames, spline, seed, schedules, notes, renderer_check)
    idle = [k for k in inactive_keys(mode) if k in data.get("animation", {}) and np.any(schedules[k] != ANIMATION_SCHEDULES[k])]
    if idle:
        acting = [k for k in MODE_CAMERA_KEYS[mode] if k in CAMERA_KEYS]
        notes.append(f"{', '.join(idle)} {'does' if len(idle) == 1 else 'do'} nothing in a {mode} shot, which moves by "
                     + (", ".join(acting) if acting else "no camera") + " (docs/shots.md, 'Camera keys and modes')")
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


def _check_image_prompts(chk: _Checker, image_prompts: dict[int, list[str]], base: Path) -> None:
    """Each image prompt parses and its file exists."""
    for key, entries in image_prompts.items():
        for entry in entries:
            from render.prompts import parse_prompt  # torch-free; only when a shot has image prompts

            try:
                ip = parse_prompt(entry, "image")
            except Exception as e:  # PromptError
                raise chk.fail("image_prompts", str(key), str(e)) from None
            if not os.path.isfile(_resolve(base, ip.value)):
                raise chk.fail("image_prompts", str(key), f"image prompt {ip.value!r} does not exist")


def _audio(chk: _Checker, audio: Any) -> dict[str, Any] | None:
    """``[audio]``: the song's file and its offset (seconds of audio at frame 0)."""
    if audio is None:
        return None
    chk.unknown("audio", audio, _AUDIO_KEYS)
    if not isinstance(audio.get("file"), str):
        raise chk.fail("audio", "file", "give the song's path, e.g. file = \"song.wav\"")
    return {"file": audio["file"], "offset": _float(chk, "audio", "offset", audio.get("offset", 0.0))}


def _resolve(base: Path, path: str) -> str:
    p = Path(os.path.expanduser(path))
    return str(p if p.is_absolute() else base / p)


def _int(chk: _Checker, sec: str | None, key: str, value: Any, minimum: int | None = None, required: bool = False) -> int:
    if value is None and required:
        raise chk.fail(sec, key, "is required (the number of frames in the shot)")
    if isinstance(value, bool) or not isinstance(value, int):
        raise chk.fail(sec, key, f"must be a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise chk.fail(sec, key, f"must be at least {minimum}, got {value}")
    return value


def _float(chk: _Checker, sec: str | None, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise chk.fail(sec, key, f"must be a finite number, got {value!r}")
    return float(value)


def _choice(chk: _Checker, sec: str | None, key: str, value: Any, choices: tuple[str, ...]) -> str:
    for c in choices:
        if isinstance(value, str) and value.strip().lower() == c.lower():
            return c
    raise chk.fail(sec, key, f"must be one of {', '.join(choices)}, got {value!r}")


def _fps(chk: _Checker, value: Any) -> Fraction:
    from chroma.fps import parse_fps

    try:
        return parse_fps(value)
    except ChromaValueError as e:
        raise chk.fail("output", "fps", f"{e} (got {value!r})") from None


def _output(chk: _Checker, sec: dict, base: Path, config: str | os.PathLike | None) -> OutputSpec:
    from chroma import ocio, sequence

    chk.unknown("output", sec, tuple(OUTPUT_DEFAULTS))
    values = {**OUTPUT_DEFAULTS, **sec}
    pattern = values["pattern"]
    if not isinstance(pattern, str) or not pattern:
        raise chk.fail("output", "pattern", "give the frames' path pattern, e.g. pattern = \"out/sh010.####.exr\"")
    try:
        pat = sequence.parse_pattern(pattern)
    except ChromaError as e:
        raise chk.fail("output", "pattern", str(e)) from None
    if not pat.is_sequence:
        raise chk.fail("output", "pattern", f"{pattern!r} has no frame number; write it like out/sh010.####.exr")
    if not pattern.lower().endswith(".exr"):
        raise chk.fail("output", "pattern", f"{pattern!r} is not an EXR sequence; frames are written as EXR (.exr)")
    first = _int(chk, "output", "first_frame", values["first_frame"], minimum=0)
    fps = _fps(chk, values["fps"])
    try:
        colorspace = ocio.resolve_colorspace(str(values["colorspace"]), config)
    except ChromaError as e:
        raise chk.fail("output", "colorspace", str(e)) from None
    from chroma.io import COMPRESSIONS

    compression = str(values["compression"]).lower()
    if compression not in COMPRESSIONS:
        raise chk.fail("output", "compression", f"unknown EXR compression {values['compression']!r}; choose one of "
                       f"{', '.join(COMPRESSIONS)}")
    dtype = _choice(chk, "output", "dtype", values["dtype"], ("half", "float"))
    preview = _choice(chk, "output", "preview", values["preview"], ("png", "jpg", "none"))
    display = values["display"] or None
    view = values["view"] or None
    if display is not None and display not in ocio.list_displays(config):
        raise chk.fail("output", "display", f"no display {display!r} in the OCIO config; see chroma info --colorspaces")
    if view is not None and view not in ocio.list_views(display, config):
        raise chk.fail("output", "view", f"no view {view!r} for that display; see chroma info --colorspaces")
    if not isinstance(values["match_plate"], bool):
        raise chk.fail("output", "match_plate", "must be true or false")
    return OutputSpec(_resolve(base, pattern), first, fps, colorspace, compression, dtype, display, view, preview,
                      values["match_plate"])


def _schedule(chk: _Checker, sec: str, key: str, value: Any, max_frames: int, spline: str, seed: int) -> np.ndarray:
    from render.errors import ScheduleError
    from render.keyframes import evaluate

    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise chk.fail(sec, key, f"must be a number or a keyframe string like \"0: (1.02), 120: (1.05)\", got {value!r}")
    try:
        values = evaluate(value, max_frames, spline, seed=seed, name=key)
    except ScheduleError as e:
        msg = str(e)
        raise chk.fail(sec, key, msg[len(key) + 2:] if msg.startswith(f"{key}: ") else msg) from None
    if not np.all(np.isfinite(values)):
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        raise chk.fail(sec, key, f"is not a finite number at frame {bad}")
    return np.asarray(values, dtype=np.float64)


def _animation(chk: _Checker, sec: dict, max_frames: int, spline: str, seed: int, mode: str,
               base: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    known = (*ANIMATION_SCHEDULES, *ANIMATION_FIXED)
    chk.unknown("animation", sec, known)
    schedules = {name: _schedule(chk, "animation", name, sec.get(name, default), max_frames, spline, seed)
                 for name, default in ANIMATION_SCHEDULES.items()}
    fixed = {**ANIMATION_FIXED, **{k: v for k, v in sec.items() if k in ANIMATION_FIXED}}
    fss = fixed["frames_skip_steps"]
    if isinstance(fss, str) and fss.strip().endswith("%"):
        try:
            pct = float(fss.strip()[:-1])
        except ValueError:
            pct = -1.0
        if not 0 <= pct < 100:
            raise chk.fail("animation", "frames_skip_steps", f"a percentage must be in [0, 100), got {fss!r}")
        fixed["frames_skip_steps"] = f"{pct:g}%"
    else:
        schedules["frames_skip_steps"] = _schedule(chk, "animation", "frames_skip_steps", fss, max_frames, spline, seed)
        if np.any(schedules["frames_skip_steps"] < 0):
            raise chk.fail("animation", "frames_skip_steps", "step counts must not be negative")
        fixed["frames_skip_steps"] = None
    for key in ("turbo_mode", "use_horizontal_symmetry", "use_vertical_symmetry", "video_init_seed_continuity"):
        if not isinstance(fixed[key], bool):
            raise chk.fail("animation", key, f"must be true or false, got {fixed[key]!r}")
    fixed["turbo_steps"] = _int(chk, "animation", "turbo_steps", fixed["turbo_steps"], minimum=1)
    fixed["turbo_preroll"] = _int(chk, "animation", "turbo_preroll", fixed["turbo_preroll"], minimum=0)
    fixed["state_every"] = _int(chk, "animation", "state_every", fixed["state_every"], minimum=1)
    fixed["border"] = _choice(chk, "animation", "border", fixed["border"], _BORDERS)
    fixed["padding_mode"] = _choice(chk, "animation", "padding_mode", fixed["padding_mode"], _PADDINGS)
    fixed["sampling_mode"] = _choice(chk, "animation", "sampling_mode", fixed["sampling_mode"], _SAMPLINGS)
    fixed["depth_scale"] = _float(chk, "animation", "depth_scale", fixed["depth_scale"])
    tp = fixed["transformation_percent"]
    tp = [tp] if isinstance(tp, (int, float)) and not isinstance(tp, bool) else tp
    if not isinstance(tp, list) or not all(isinstance(x, (int, float)) and 0 <= x <= 1 for x in tp):
        raise chk.fail("animation", "transformation_percent", "must be a list of fractions in [0, 1], e.g. [0.09]")
    fixed["transformation_percent"] = [float(x) for x in tp]
    for key in ("video_init_path", "depth", "depth_model"):
        if not isinstance(fixed[key], str):
            raise chk.fail("animation", key, f"must be a string, got {fixed[key]!r}")
    if mode == "Video":
        if not fixed["video_init_path"]:
            raise chk.fail("animation", "video_init_path", "a Video shot needs the plate: video_init_path = \"plate.####.exr\"")
        _check_sequence(chk, "video_init_path", fixed["video_init_path"], base)
    if fixed["depth"] != "estimate":
        _check_sequence(chk, "depth", fixed["depth"], base)
    if fixed["video_init_path"]:
        fixed["video_init_path"] = _resolve(base, fixed["video_init_path"])
    if fixed["depth"] != "estimate":
        fixed["depth"] = _resolve(base, fixed["depth"])
    if np.any(schedules["zoom"] <= 0):
        raise chk.fail("animation", "zoom", f"must be positive (1 = no zoom), got {schedules['zoom'].min():g}")
    if np.any(schedules["fov"] <= 0) or np.any(schedules["fov"] >= 180):
        raise chk.fail("animation", "fov", "must be in (0, 180) degrees")
    if np.any(schedules["near_plane"] >= schedules["far_plane"]) or np.any(schedules["near_plane"] <= 0):
        raise chk.fail("animation", "near_plane", "must be positive and below far_plane")
    return fixed, schedules


# [guard] and [coherence] (chroma.guard, chroma.coherence; docs/shots.md "Collapse and coherence")
GUARD_DEFAULTS: dict[str, Any] = {
    "enabled": True, "action": "warn", "warmup": 8, "frames": 3, "lightness_ratio": 0.35, "chroma_ratio": 0.35,
    "detail_ratio": 0.35, "renoise_frames": 5, "strength": 1.0, "renoise_skip": 0.5, "renoise_scale": 0.5,
    "renoise_noise": 0.0,
}
COHERENCE_DEFAULTS: dict[str, Any] = {"reference": 0, "mode": "stats", "strength": 1.0, "max_gain": 4.0}


def _fraction(chk: _Checker, sec: str, key: str, value: Any) -> float:
    v = _float(chk, sec, key, value)
    if not 0.0 <= v <= 1.0:
        raise chk.fail(sec, key, f"must be in [0, 1], got {value!r}")
    return v


def _guard(chk: _Checker, sec: dict, max_frames: int, spline: str, seed: int) -> GuardSettings | None:
    from chroma.guard import ACTIONS, GuardSettings

    chk.unknown("guard", sec, tuple(GUARD_DEFAULTS))
    v = {**GUARD_DEFAULTS, **sec}
    if not isinstance(v["enabled"], bool):
        raise chk.fail("guard", "enabled", "must be true or false")
    if not v["enabled"]:
        return None
    action = _choice(chk, "guard", "action", v["action"], ACTIONS)
    ints = {k: _int(chk, "guard", k, v[k], minimum=1) for k in ("warmup", "frames", "renoise_frames")}
    ratios = {m: _float(chk, "guard", f"{m}_ratio", v[f"{m}_ratio"]) for m in ("lightness", "chroma", "detail")}
    for m, r in ratios.items():
        if r < 0:
            raise chk.fail("guard", f"{m}_ratio", f"must not be negative (0 leaves the measure out), got {r:g}")
    strength = _schedule(chk, "guard", "strength", v["strength"], max_frames, spline, seed)
    if np.any(strength < 0) or np.any(strength > 1):
        raise chk.fail("guard", "strength", "must stay in [0, 1] at every frame")
    return GuardSettings(action=action, ratios=ratios, strength=tuple(float(x) for x in strength),
                         warmup=ints["warmup"], frames=ints["frames"], renoise_frames=ints["renoise_frames"],
                         renoise_skip=_fraction(chk, "guard", "renoise_skip", v["renoise_skip"]),
                         renoise_scale=_fraction(chk, "guard", "renoise_scale", v["renoise_scale"]),
                         renoise_noise=_fraction(chk, "guard", "renoise_noise", v["renoise_noise"]))


def _coherence(chk: _Checker, sec: dict | None, max_frames: int, spline: str, seed: int, mode: str,
               animation: dict[str, Any], base: Path) -> CoherenceSettings | None:
    from chroma.coherence import MODES, CoherenceSettings

    if sec is None:
        return None
    chk.unknown("coherence", sec, tuple(COHERENCE_DEFAULTS))
    v = {**COHERENCE_DEFAULTS, **sec}
    ref = v["reference"]
    if isinstance(ref, bool) or not isinstance(ref, (int, str)):
        raise chk.fail("coherence", "reference", f"give a frame index (0), \"plate\" or a palette image path, got {ref!r}")
    if isinstance(ref, int):
        if not 0 <= ref < max_frames:
            raise chk.fail("coherence", "reference", f"frame {ref} is outside the shot (0-{max_frames - 1})")
    elif ref == "plate":
        if not animation.get("video_init_path"):
            raise chk.fail("coherence", "reference", "\"plate\" needs a plate: animation_mode = \"Video\" with "
                           "[animation] video_init_path")
    elif not os.path.isfile(_resolve(base, ref)):
        raise chk.fail("coherence", "reference", f"palette image {ref!r} does not exist")
    strength = _schedule(chk, "coherence", "strength", v["strength"], max_frames, spline, seed)
    if np.any(strength < 0) or np.any(strength > 1):
        raise chk.fail("coherence", "strength", "must stay in [0, 1] at every frame")
    max_gain = _float(chk, "coherence", "max_gain", v["max_gain"])
    if max_gain < 1:
        raise chk.fail("coherence", "max_gain", f"must be at least 1, got {max_gain:g}")
    return CoherenceSettings(reference=ref, mode=_choice(chk, "coherence", "mode", v["mode"], MODES),
                             strength=tuple(float(x) for x in strength), max_gain=max_gain)


def _check_sequence(chk: _Checker, key: str, pattern: str, base: Path) -> None:
    from chroma import sequence

    try:
        pat = sequence.parse_pattern(_resolve(base, pattern))
    except ChromaError as e:
        raise chk.fail("animation", key, str(e)) from None
    if not pat.is_sequence:
        raise chk.fail("animation", key, f"{pattern!r} must be a sequence pattern like plate.####.exr "
                       "(its frames are numbered like the output's)")


_TYPE_WORDS = {"int": "an integer (a whole number)", "float": "a number", "bool": "true or false", "str": "a string",
               "tuple[int, int]": "two integers [width, height]", "tuple[str, ...]": "a list of strings"}


def type_error(value: Any, annotation: str) -> str | None:
    """Say what a render setting wants when ``value`` is not of its declared type.

    Parameters
    ----------
    value : Any
        The value as TOML or JSON gives it.
    annotation : str
        The setting's type as :func:`render_setting_types` gives it (``"int"``,
        ``"float"``, ``"bool"``, ``"str"``, ``"tuple[int, int]"``, ``"tuple[str, ...]"``;
        others are not checked here).

    Returns
    -------
    str or None
        ``"wants an integer (a whole number), got 'ten'"``; None when the value fits.
    """
    kind = annotation.replace(" | None", "").strip()
    ok = True
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "str":
        ok = isinstance(value, str)
    elif kind == "tuple[int, int]":
        ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value)
    elif kind == "tuple[str, ...]":
        ok = isinstance(value, str) or (isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value))
    return None if ok else f"wants {_TYPE_WORDS[kind]}, got {value!r}"


def _typed(chk: _Checker, key: str, value: Any, annotation: str) -> Any:
    """A [render] value of the declared type (``int``, ``float``...), else which type the key wants."""
    problem = type_error(value, annotation)
    if problem:
        raise chk.fail("render", key, problem)
    if isinstance(value, str) and annotation.startswith("tuple[str"):
        return (value,)
    return tuple(value) if isinstance(value, list) else value


def _render(chk: _Checker, sec: dict, max_frames: int, spline: str, seed: int, schedules: dict[str, np.ndarray],
            notes: list[str], renderer_check: bool) -> tuple[dict[str, Any], dict[str, dict[int, Any]]]:
    types = render_setting_types()
    if types:
        chk.unknown("render", sec, list(types))
    fixed: dict[str, Any] = {}
    keyed: dict[str, dict[int, Any]] = {}
    for key, value in sec.items():
        if key in RENDER_SCHEDULES and not isinstance(value, bool):
            schedules[key] = _schedule(chk, "render", key, value, max_frames, spline, seed)
        elif key in RENDER_KEYED and isinstance(value, dict):
            table = _frame_keys(chk, "render", key, value, max_frames)
            if 0 not in table:
                raise chk.fail("render", key, "a table keyed by frame must have a key 0")
            keyed[key] = table
        elif key in types:
            fixed[key] = _typed(chk, key, value, types[key])
        else:
            fixed[key] = tuple(value) if isinstance(value, list) else value
    if types:
        _render_ranges(chk, sec, fixed, keyed, schedules, notes)
    if types and renderer_check:  # validate the settings as RenderSettings would, before any model loads
        from render.errors import RenderError
        from render.renderer import RenderSettings

        frame0 = {**fixed, **{k: (int(round(schedules[k][0])) if k in _RENDER_INTEGERS else float(schedules[k][0]))
                              for k in RENDER_SCHEDULES if k in schedules}}
        frame0.update({k: t[0] for k, t in keyed.items()})
        try:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                settings = RenderSettings(**frame0)
        except (RenderError, TypeError, ValueError) as e:
            msg = str(e)
            bad = next((k for k in sec if re.match(rf"{k}\b", msg)), None) or next(
                (k for k in sec if re.search(rf"\b{k}\b", msg)), None)
            raise chk.fail("render", bad, str(e)) from None
        fixed["width_height"] = tuple(settings.width_height)
    return fixed, keyed


def _render_ranges(chk: _Checker, sec: dict, fixed: dict[str, Any], keyed: dict[str, dict[int, Any]],
                   schedules: dict[str, np.ndarray], notes: list[str]) -> None:
    """The checks of ``RenderSettings`` that need no torch, for every frame; the frame size and its memory."""
    from render.errors import RenderError
    from render.schedules import parse_schedule

    steps = fixed.get("steps", 250)
    if steps < 1:
        raise chk.fail("render", "steps", f"must be at least 1, got {steps}")
    if not fixed.get("timestep_respacing") and "skip_steps" in schedules:
        skip = schedules["skip_steps"]
        bad = np.flatnonzero((np.round(skip) < 0) | (np.round(skip) >= steps))
        if bad.size:
            raise chk.fail("render", "skip_steps", f"must be in [0, {steps}) for {steps} steps, got "
                           f"{skip[bad[0]]:g} at frame {int(bad[0])}")
    for key, low in (("batch_size", 1), ("plms_order", 1)):
        if key in fixed and fixed[key] < low:
            raise chk.fail("render", key, f"must be at least {low}, got {fixed[key]}")
    if "cutn_batches" in schedules and np.any(np.round(schedules["cutn_batches"]) < 1):
        raise chk.fail("render", "cutn_batches", "must be at least 1 at every frame")
    if "clamp_max" in schedules and np.any(schedules["clamp_max"] <= 0):
        raise chk.fail("render", "clamp_max", "must be positive at every frame")
    for key, choices in (("diffusion_sampling_mode", ("ddim", "plms")), ("precision", ("auto", "fp32", "fp16", "bf16"))):
        if key in fixed and fixed[key] not in choices:
            raise chk.fail("render", key, f"must be one of {', '.join(choices)}, got {fixed[key]!r}")
    if fixed.get("clip_models") == () and ("clip_guidance_scale" not in schedules or np.any(schedules["clip_guidance_scale"])):
        raise chk.fail("render", "clip_models", "is empty; name at least one, e.g. 'ViT-B-32::openai', or set "
                       "clip_guidance_scale = 0")
    for name in RENDER_KEYED:
        for k, v in (keyed[name].items() if name in keyed else ((0, sec[name]),) if name in sec else ()):
            try:
                parse_schedule(v, name=name)
            except (RenderError, TypeError, ValueError) as e:
                raise chk.fail("render", name, f"frame {k}: {e}" if name in keyed else str(e)) from None
    w, h = fixed.get("width_height", (1280, 768))
    if w < 1 or h < 1:
        raise chk.fail("render", "width_height", f"must be positive, got {[w, h]}")
    size = rendered_size(w, h)
    if size != (w, h):
        notes.append(f"width_height {w}x{h} is not a multiple of {SIZE_MULTIPLE}: renders at {size[0]}x{size[1]} "
                     f"(the nearest multiples; Disco Diffusion rounds down, to {max(64, w // 64 * 64)}x"
                     f"{max(64, h // 64 * 64)})")
    need = frame_memory(*size, str(fixed.get("diffusion_model", "512x512_diffusion_uncond_finetune_008100")),
                        int(fixed.get("batch_size", 1)))
    if need > MAX_FRAME_BYTES:
        raise chk.fail("render", "width_height", f"{size[0]}x{size[1]} needs at least {need / 1e9:,.0f} GB of device "
                       f"memory per frame, more than any single GPU holds ({MAX_FRAME_BYTES / 1e9:.0f} GB); render "
                       "smaller and upscale (docs/shots.md, 'Limits')")
    fixed["width_height"] = size


def _frame_keys(chk: _Checker, sec: str, key: str | None, table: Mapping[str, Any], max_frames: int) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for k, v in table.items():
        if not re.fullmatch(r"\s*\d+\s*", str(k)):
            where = (sec, key) if key else (sec, str(k))
            raise chk.fail(*where, f"{sec} must be keyed by frame number (0 = [...], 120 = [...]), got the key {k!r}")
        frame = int(k)
        if frame >= max_frames:
            raise chk.fail(sec, key or str(k), f"key {frame} is beyond max_frames {max_frames} (frames 0-{max_frames - 1})")
        out[frame] = v
    return dict(sorted(out.items()))


def _keyed_lists(chk: _Checker, sec: str, table: Mapping[str, Any], max_frames: int, example: str) -> dict[int, list[str]]:
    out = _frame_keys(chk, sec, None, table, max_frames)
    for k, v in out.items():
        v = [v] if isinstance(v, str) else v
        if not isinstance(v, list) or not all(isinstance(e, str) for e in v):
            raise chk.fail(sec, str(k), f"must be a list of strings like [\"{example}\"], got {v!r}")
        out[k] = list(v)
    return out


def _check_prompt_strings(chk: _Checker, prompts: dict[int, list[str]]) -> None:
    from render.errors import RenderError
    from render.prompts import normalize_weights, parse_prompt

    for key, entries in prompts.items():
        try:
            normalize_weights([parse_prompt(e).weight for e in entries]) if entries else None
        except RenderError as e:
            raise chk.fail("prompts", str(key), str(e)) from None


# ----------------------------------------------------------------------------- writing


def _no_null(value: Any, where: str) -> None:
    """Refuse a None anywhere in ``value`` (TOML has no null), naming its key."""
    if value is None:
        raise ChromaValueError(f"{where} is null, which a shot file cannot hold; leave the key out for its default")
    if isinstance(value, Mapping):
        for k, v in value.items():
            _no_null(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, (list, tuple)):
        for v in value:
            _no_null(v, where)


def dump_shot(data: Mapping[str, Any], header: str = "") -> str:
    """Write a shot dict (the schema of docs/shots.md) as TOML text.

    Top-level keys first, then the tables; keys of the frame-keyed tables are written
    bare (``0 = [...]``).

    Parameters
    ----------
    data : Mapping[str, Any]
        The shot as parsed TOML (tuples are written as arrays).
    header : str, optional
        Comment lines at the top.

    Returns
    -------
    str
        The TOML text.

    Raises
    ------
    chroma.errors.ChromaValueError
        A value TOML cannot hold (None: TOML has no null), naming its key.
    """
    import tomlkit

    _no_null(dict(data), "")

    doc = tomlkit.document()
    if header:
        for line in header.splitlines():
            doc.add(tomlkit.comment(line))
    for key, value in data.items():
        if not isinstance(value, Mapping):
            doc.add(key, value)
    for key, value in data.items():
        if isinstance(value, Mapping):
            table = tomlkit.table()
            for k, v in value.items():
                table.add(str(k), dict(v) if isinstance(v, Mapping) else (list(v) if isinstance(v, tuple) else v))
            doc.add(key, table)
    return tomlkit.dumps(doc)
