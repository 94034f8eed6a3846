"""The validated shot and what applies to each of its frames."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from chroma.errors import ChromaError
from chroma.shot.errors import ShotError
from chroma.shot.limits import rendered_size
from chroma.shot.output import OutputSpec
from chroma.shot.render_table import _RENDER_INTEGERS, RENDER_SCHEDULES
from chroma.shot.validation import _Checker
from render.settings import AnimationSettings

if TYPE_CHECKING:
    from chroma.coherence import CoherenceSettings
    from chroma.guard import GuardSettings

__all__ = ["FrameSpec", "Shot"]


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
        This frame's seed (``seed + index`` by Disco Diffusion's rule; ``seed + index +
        1`` in Video mode).
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
    frames_skip_steps : float or str
        The skip of this frame when it is built on an init: the shot's ``"N%"`` or this
        frame's step count (:func:`render.settings.skip_steps_for` gives the steps).
        Default: AnimationSettings' (``"60%"``).
    """

    index: int
    file_frame: int
    seed: int
    prompts: tuple[str, ...]
    image_prompts: tuple[str, ...]
    prompt_key: int
    render: Mapping[str, Any]
    values: Mapping[str, float]
    frames_skip_steps: float | str = AnimationSettings.frames_skip_steps

    @property
    def camera(self) -> dict[str, float]:
        """Give the frame's camera as :class:`render.animation.FrameInput` takes it.

        Returns
        -------
        dict[str, float]
            :data:`chroma.shot.CAMERA_SETTINGS` (the move, ``fov``, ``near_plane``,
            ``far_plane``) at this frame.
        """
        from chroma.shot.modes import CAMERA_SETTINGS

        return {k: self.values[k] for k in CAMERA_SETTINGS}


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
    animation : render.settings.AnimationSettings
        The ``[animation]`` settings, paths resolved (the per-frame ones as written; their
        values per frame are in ``schedules``).
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
    animation: AnimationSettings
    init_image: str | None = None
    audio: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    guard: GuardSettings | None = None
    coherence: CoherenceSettings | None = None
    notes: list[str] = field(default_factory=list)
    _checker: _Checker | None = field(default=None, repr=False, compare=False)

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

    @property
    def feeds_forward(self) -> bool:
        """Say whether each frame starts from the previous one, so the frames render in order.

        Returns
        -------
        bool
            True in 2D and 3D (the previous frame, warped by the camera) and in Video
            with ``video_init_flow_warp`` (the previous frame, warped along the plate's
            flow); False in None and in Video without the flow warp (every frame from
            noise, the init image or its plate frame).
        """
        return self.animation_mode in ("2D", "3D") or (
            self.animation_mode == "Video" and self.animation.video_init_flow_warp)

    def skip_fraction(self) -> float | None:
        """Give ``frames_skip_steps`` as a fraction of the steps.

        Returns
        -------
        float or None
            0.6 for ``"60%"``; None when it is a step count.
        """
        pct = self.animation.skip_percent
        return None if pct is None else pct / 100.0

    def render_value(self, name: str) -> Any:
        """Give a render setting that holds for the whole shot, or its default.

        Parameters
        ----------
        name : str
            A field of :class:`render.settings.RenderSettings` that is not scheduled.

        Returns
        -------
        Any
            The shot's value, else the field's default (RenderSettings', read without torch).

        Raises
        ------
        KeyError
            ``name`` is not a field of RenderSettings.
        """
        if name in self.render:
            return self.render[name]
        import dataclasses

        from render.settings import RenderSettings

        return {f.name: f.default for f in dataclasses.fields(RenderSettings)}[name]

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
            frames_skip_steps=values["frames_skip_steps"] if self.animation.skip_percent is None
            else self.animation.frames_skip_steps,
        )

    def frame_seed(self, index: int) -> int:
        """Give a frame's seed by Disco Diffusion's rules (:func:`chroma.shot.seeds.frame_seed`).

        ``seed + index`` (None, 2D, 3D); ``seed + index + 1`` in Video mode, where Disco
        Diffusion adds 1 before every frame, frame 0 too. ``seed_rule = "fixed"`` (or a
        video shot with ``video_init_seed_continuity``) keeps ``seed`` for every frame.

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
        Disco Diffusion v5.7 ``disco.py``, ``do_run``: ``seed += 1`` per frame.
        """
        from chroma.shot.seeds import frame_seed

        return frame_seed(self.seed, self.seed_rule, self.animation_mode, self.animation.video_init_seed_continuity,
                          index)

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
            frame's ``chroma/settings_hash`` and in its saved state, which a resumed run
            compares with it (:func:`chroma.pipeline.plan.check_settings`; the 16 digits
            of earlier versions as a prefix).
        """
        from chroma.shot.hashing import settings_hash

        return settings_hash(self.frame(index), self.animation_mode, self.animation, self.raw.get("guard"),
                             self.raw.get("coherence"))

    def check_inputs(self, indices: Iterable[int] | None = None) -> None:
        """Check what the frames read before any model loads: the plate, the depth sequence, the flow model.

        A Video shot reads ``video_init_path`` at every frame, a 3D shot with a depth
        sequence reads ``depth``; both are numbered like the output (frame ``i`` reads
        ``first_frame + i``). A Video shot with ``video_init_flow_warp`` also reads plate
        frame ``i - 1`` for frame ``i`` (the flow between them), needs a plate as long as
        the shot, plate frames of one size, and the RAFT weights when ``flow_model =
        "raft"``.

        Parameters
        ----------
        indices : Iterable[int] or None, optional
            The frames to render (0-based); None for every frame of the shot.

        Raises
        ------
        ShotError
            Naming the key and what is wrong: the first missing frame and its path, and
            how many are missing; a flow-warp plate shorter than the shot; a plate frame of
            another size than the plate's first; RAFT without its weights.
        """
        from chroma import sequence

        frames = range(self.max_frames) if indices is None else sorted(set(indices))
        flow_warp = self.animation_mode == "Video" and self.animation.video_init_flow_warp
        if flow_warp:  # frame i's flow reads plate frame i - 1 too
            frames = sorted({*frames, *(i - 1 for i in frames if i > 0)})
        keys = (["video_init_path"] if self.animation_mode == "Video" else []) + (
            ["depth"] if self.animation_mode == "3D" and not self.animation.estimated_depth else [])
        chk = self._checker or _Checker(self.path, "")
        first = self.output.first_frame
        for key in keys:
            path = getattr(self.animation, key)
            pattern = sequence.parse_pattern(path)
            folder = os.path.dirname(pattern.path(first))
            try:
                present = set(sequence.discover(pattern).frames)
            except ChromaError:
                raise chk.fail("animation", key, f"the folder {folder!r} of {path!r} does not "
                               "exist") from None
            if key == "video_init_path" and flow_warp:
                _check_plate_length(chk, present, first, self.max_frames)
            missing = [i for i in frames if first + i not in present]
            if missing:
                i = missing[0]
                raise chk.fail("animation", key, f"frame {first + i} (shot frame {i}) is missing: "
                               f"{pattern.path(first + i)} ({len(missing)} of {len(frames)} "
                               "frames missing; the sequence is numbered like the output)")
            if key == "video_init_path" and flow_warp:
                _check_plate_sizes(chk, pattern, first, frames)
        if flow_warp:
            _check_flow_model(chk, self.animation.flow_model, rendered_size(*self.render_value("width_height")))

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


def _check_plate_length(chk: _Checker, present: set[int], first: int, max_frames: int) -> None:
    """A flow-warp Video shot reads plate frame ``first + i`` at every frame ``i``: the plate must last the shot."""
    inside = sorted(f for f in present if first <= f < first + max_frames)
    if inside and inside[-1] < first + max_frames - 1:
        raise chk.fail("animation", "video_init_path", f"the plate has {len(inside)} frames ({inside[0]}-{inside[-1]}), "
                       f"fewer than the shot's {max_frames} ({first}-{first + max_frames - 1}): a flow-warped Video "
                       f"shot reads the plate at every frame; set max_frames = {inside[-1] - first + 1} or extend the "
                       "plate")


def _check_plate_sizes(chk: _Checker, pattern: Any, first: int, frames: Iterable[int]) -> None:
    """The flow is estimated between consecutive plate frames: every one the size of the plate's first."""
    from chroma import io

    def size(frame: int) -> tuple[int, int]:
        try:
            h = io.header(pattern.path(frame))
        except ChromaError as e:
            raise chk.fail("animation", "video_init_path", f"cannot read plate frame {frame}: {e}") from None
        return int(h["width"]), int(h["height"])

    w0, h0 = size(first)
    for i in frames:
        w, h = size(first + i)
        if (w, h) != (w0, h0):
            raise chk.fail("animation", "video_init_path", f"plate frame {first + i} (shot frame {i}) is {w}x{h}, the "
                           f"plate's first frame {first} is {w0}x{h0}: the flow warp needs one size; conform the plate")


def _check_flow_model(chk: _Checker, flow_model: str, size: tuple[int, int]) -> None:
    """``flow_model = "raft"`` needs the RAFT weights in the model cache and frames RAFT takes (torch-free check)."""
    from render.errors import ModelNotFoundError, SettingsError
    from render.flow import resolve_method

    try:
        resolve_method(flow_model, size=size)
    except (ModelNotFoundError, SettingsError) as e:
        raise chk.fail("animation", "flow_model", str(e).splitlines()[0]) from None


def _key_at(table: Mapping[int, Any], index: int) -> int:
    """The key in force at frame ``index``: the last key at or before it (else the first)."""
    keys = [k for k in table if k <= index]
    return max(keys) if keys else min(table)


def _held(table: Mapping[int, Any], index: int) -> Any:
    return table[_key_at(table, index)]
