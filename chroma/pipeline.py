"""Rendered frames -> scene-linear -> EXR (DESIGN.md: "The data that flows").

The renderer yields display-referred frames (values in [-1, 1], the models' own sRGB-like
encoding). :func:`frame_to_scene_linear` maps them to [0, 1] display code values and
through the *inverse* of an OCIO display/view into the working space, so a frame that is
viewed through that same view in Nuke looks as the model drew it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from chroma import ocio as _ocio
from chroma.errors import ChromaValueError
from chroma.image import DEFAULT_COLORSPACE, Image


def _to_hwc(frame: Any) -> np.ndarray:
    """(3, H, W) or (1, 3, H, W) torch tensor / numpy array, or (H, W, 3) -> float32 HxWx3."""
    if hasattr(frame, "detach"):  # a torch tensor, without importing torch here
        frame = frame.detach().float().cpu().numpy()
    arr = np.asarray(frame, dtype=np.float32)
    if arr.ndim == 4:
        if arr.shape[0] != 1:
            raise ChromaValueError(f"expected one frame, got a batch of {arr.shape[0]}; pass them one at a time")
        arr = arr[0]
    if arr.ndim != 3:
        raise ChromaValueError(f"a frame must be 3 x H x W or H x W x 3, got shape {arr.shape}")
    if arr.shape[0] == 3 and arr.shape[2] != 3:
        arr = np.transpose(arr, (1, 2, 0))
    if arr.shape[2] != 3:
        raise ChromaValueError(f"a frame must have 3 colour channels, got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def frame_to_scene_linear(
    frame: Any,
    colorspace: str = DEFAULT_COLORSPACE,
    display: str | None = None,
    view: str | None = None,
    config: str | os.PathLike | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Image:
    """Turn a rendered frame in [-1, 1] into a scene-linear :class:`Image`.

    The frame is taken as display code values ``(x + 1) / 2`` in [0, 1] (values outside
    [-1, 1] are clipped first: the display encoding has no meaning beyond it) and goes
    through the *inverse* of the OCIO display/view, so that viewing the result through that
    same view shows the frame as the model drew it. :func:`display_tensor` is the inverse.

    Parameters
    ----------
    frame : torch.Tensor or numpy.ndarray
        (3, H, W), (1, 3, H, W) or (H, W, 3) values in [-1, 1] (the models' sRGB-like
        encoding).
    colorspace : str, optional
        Scene-linear colour space of the result (default ACEScg).
    display : str or None, optional
        The display the frame is encoded for (default: the config's default, sRGB).
    view : str or None, optional
        View of ``display`` whose inverse is applied (default: its default view, ACES 2.0
        SDR 100 nits in the bundled config).
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).
    metadata : Mapping[str, Any] or None, optional
        Extra metadata, stored under ``chroma/``.

    Returns
    -------
    Image
        H x W x RGB float32 in ``colorspace``, with ``chroma/source_display`` and
        ``chroma/source_view`` recorded.

    Raises
    ------
    ChromaValueError
        A frame that is not one 3-channel image.
    ColorSpaceError
        A colour space, display or view the config does not have.
    """
    hwc = _to_hwc(frame)
    code = np.clip((hwc + 1.0) * 0.5, 0.0, 1.0)
    cfg = _ocio.get_config(config)
    display = display or cfg.getDefaultDisplay()
    view = view or _ocio.default_view(display, colorspace, config)
    linear = _ocio.display_view(code, colorspace, display, view, inverse=True, config=config)
    meta = {"chroma/source_display": display, "chroma/source_view": view}
    meta.update({k if k.startswith("chroma/") else f"chroma/{k}": v for k, v in (metadata or {}).items()})
    return Image(linear, ["R", "G", "B"], _ocio.resolve_colorspace(colorspace, config), meta)


def display_tensor(source: Any, display: str | None = None, view: str | None = None,
                   config: str | os.PathLike | None = None, size: tuple[int, int] | None = None) -> Any:
    """Read an image as the models see it: display code values in [-1, 1], a torch tensor.

    The inverse of :func:`frame_to_scene_linear`.

    Scene-linear images go through the display view (tone-mapped, as a compositor sees
    them); display-referred files (sRGB PNG/JPEG) reach the display colorimetrically, so
    their code values are used as they are.

    Parameters
    ----------
    source : str or os.PathLike or Image
        An image file (any format :func:`chroma.io.read` reads) or an image.
    display : str or None, optional
        OCIO display (default: the config's default, sRGB).
    view : str or None, optional
        View of ``display`` (default: its default view for the image's colour space).
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).
    size : tuple of (int, int) or None, optional
        (width, height) in pixels to resize to (bilinear, antialiased); None keeps the size.

    Returns
    -------
    torch.Tensor
        (3, H, W) float32, display code values ``2 * c - 1`` for ``c`` clipped to [0, 1].

    Raises
    ------
    ChromaIOError
        The file cannot be read.
    ColorSpaceError
        A display or view the config does not have.
    """
    import torch

    from chroma import io

    img = source if isinstance(source, Image) else io.read(source, config=config)
    code = _ocio.display_view(img.rgb, img.colorspace, display, view, config=config)
    t = torch.from_numpy(np.ascontiguousarray(np.clip(code, 0.0, 1.0) * 2.0 - 1.0)).permute(2, 0, 1).float()
    if size is not None and tuple(t.shape[-2:]) != (size[1], size[0]):
        t = torch.nn.functional.interpolate(t[None], size=(size[1], size[0]), mode="bilinear",
                                            align_corners=False, antialias=True)[0]
    return t


# ================================================================================== a still

RENDER_SETTINGS_KEY = "chroma/render_settings"
"""The EXR header attribute holding a rendered frame's settings record (JSON)."""


def require_renderer() -> None:
    """Import the render package (torch and open_clip load here), or say how to install it.

    Raises
    ------
    ChromaError
        The render extra is not installed.
    """
    from chroma.errors import ChromaError

    try:
        import render  # noqa: F401  (torch and open_clip load only here)
    except ImportError as exc:
        raise ChromaError(
            f"the renderer is not installed ({exc.name or exc}); install it with: pip install \"chroma-vfx[render]\""
        ) from None


def load_render_settings(path: str | os.PathLike, config: str | os.PathLike | None = None) -> tuple[Any, str]:
    """Read render settings from a file, and the folder its relative paths are relative to.

    Parameters
    ----------
    path : str or os.PathLike
        Disco Diffusion's ``settings.txt``, a JSON of :class:`render.RenderSettings` names,
        or an EXR that ``chroma render`` wrote (its header holds the record, under
        :data:`RENDER_SETTINGS_KEY`).
    config : str or os.PathLike or None, optional
        OCIO config for reading an EXR (default: $OCIO, else chroma's bundled one).

    Returns
    -------
    tuple of (render.settings_file.SettingsFile, str)
        The settings and the absolute folder of ``path``.

    Raises
    ------
    ChromaError
        The file does not exist, or an EXR holds no render settings.
    """
    import json

    from chroma.errors import ChromaError
    from render.settings_file import load_settings_file, read_settings

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ChromaError(f"settings file {path!r} does not exist")
    base_dir = os.path.dirname(os.path.abspath(path))
    if path.lower().endswith(".exr"):
        from chroma import io

        raw = io.read(path, config=config).metadata.get(RENDER_SETTINGS_KEY)
        if not raw:
            raise ChromaError(f"{path!r} holds no render settings (only frames written by 'chroma render' do)")
        return read_settings(json.loads(raw)), base_dir
    return load_settings_file(path), base_dir


def find_settings_path(path: str, base_dir: str | None, what: str) -> str:
    """Find a file a settings file names: as written (absolute or from here), else beside it.

    Parameters
    ----------
    path : str
        The path as the settings file writes it.
    base_dir : str or None
        The settings file's folder (None: look only where ``path`` points).
    what : str
        What the file is (``"init_image"``, ``"image prompt"``), for the message.

    Returns
    -------
    str
        An existing file.

    Raises
    ------
    ChromaIOError
        The file is in neither place.
    """
    from chroma.errors import ChromaIOError

    if os.path.isfile(path):
        return path
    if base_dir and not os.path.isabs(path) and os.path.isfile(os.path.join(base_dir, path)):
        return os.path.join(base_dir, path)
    raise ChromaIOError(f"{what} {path!r} named in the settings file was not found (looked here and beside the "
                        "settings file); copy it over or give its path on the command line")


def image_prompt_files(given: Sequence[str] | None, from_file: Sequence[str], base_dir: str | None) -> list[Any]:
    """Image prompts (``IMAGE[:WEIGHT]``) as :class:`render.prompts.Prompt` with absolute paths.

    Parameters
    ----------
    given : sequence of str or None
        Prompts given directly (the command line's); they win when not empty, and each
        file must exist as written.
    from_file : sequence of str
        A settings file's prompts, found as :func:`find_settings_path` finds them.
    base_dir : str or None
        The settings file's folder.

    Returns
    -------
    list of render.prompts.Prompt
        One per prompt, ``value`` an absolute path to an existing file.

    Raises
    ------
    ChromaIOError
        An image prompt file that does not exist.
    """
    from chroma.errors import ChromaIOError
    from render.prompts import parse_prompt

    if given:
        prompts = [parse_prompt(spec, "image") for spec in given]
        for ip in prompts:
            if not os.path.isfile(ip.value):
                raise ChromaIOError(f"image prompt {ip.value!r} does not exist")
    else:
        prompts = [parse_prompt(spec, "image") for spec in from_file]
        prompts = [dataclasses.replace(ip, value=find_settings_path(ip.value, base_dir, "image prompt"))
                   for ip in prompts]
    return [dataclasses.replace(ip, value=os.path.abspath(ip.value)) for ip in prompts]


@dataclass
class StillResult:
    """What :func:`render_still` did.

    Attributes
    ----------
    path : Path
        The EXR written.
    image : Image
        The scene-linear frame written, with its metadata.
    settings : render.RenderSettings
        The settings it was rendered with.
    seed : int
        The random seed.
    guidance_skipped : int
        Sampling steps whose guidance was skipped (a non-finite gradient).
    """

    path: Path
    image: Image
    settings: Any
    seed: int
    guidance_skipped: int = 0


def render_still(
    output: str | os.PathLike,
    prompts: Sequence[str],
    settings: Any,
    *,
    seed: int = 0,
    init: str | None = None,
    image_prompts: Sequence[Any] = (),
    colorspace: str = DEFAULT_COLORSPACE,
    display: str | None = None,
    view: str | None = None,
    config: str | os.PathLike | None = None,
    overwrite: bool = False,
    inputs: Sequence[str | os.PathLike] = (),
    progress: bool | None = None,
    **write_options: Any,
) -> StillResult:
    """Render one frame with CLIP-guided diffusion and write it as a scene-linear EXR.

    The init image and image prompts are read as the models see them
    (:func:`display_tensor`); the rendered frame goes through the inverse of the OCIO
    display view into ``colorspace`` (:func:`frame_to_scene_linear`). The EXR header
    records every setting under :data:`RENDER_SETTINGS_KEY`, so
    :func:`load_render_settings` on the frame renders it again.

    Parameters
    ----------
    output : str or os.PathLike
        The EXR to write; a missing folder is created.
    prompts : sequence of str
        Text prompts, ``TEXT[:WEIGHT]`` (negative weights push away).
    settings : render.RenderSettings or Mapping[str, Any]
        Sampling settings (Disco Diffusion's names and defaults), or the keyword arguments
        of one (then checked after the inputs are read); ``batch_size`` must be 1.
    seed : int, optional
        Random seed (default 0).
    init : str or None, optional
        An image file to start from (read through the display view).
    image_prompts : sequence of render.prompts.Prompt, optional
        Image prompts (:func:`image_prompt_files`).
    colorspace : str, optional
        Scene-linear colour space to write (default ACEScg).
    display, view : str or None, optional
        The display the models' images are encoded for and its view (default: the config's
        default display, sRGB, and its default view).
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).
    overwrite : bool, optional
        Replace ``output`` if it exists (never an input). Default False.
    inputs : sequence of str or os.PathLike, optional
        Other files the render reads (a settings file), which ``output`` may not replace.
    progress : bool or None, optional
        Draw a progress bar of the sampling steps: True, False, or None (default) only when
        stderr is a terminal.
    **write_options : Any
        Keyword arguments of :func:`chroma.io.write` (``dtype``, ``compression``,
        ``on_invalid``...).

    Returns
    -------
    StillResult
        The path written, the image, the settings, the seed and the skipped-guidance count.

    Raises
    ------
    ChromaIOError
        ``output`` exists (without ``overwrite``) or would replace an input.
    ChromaError
        ``settings.batch_size`` is not 1.
    render.errors.RenderError
        A setting out of range, or a checkpoint that is not in the model cache.

    References
    ----------
    .. [1] Disco Diffusion v5.x, ``disco.py`` (the sampling loop and its settings).
    """
    import json

    from chroma import io
    from chroma.errors import ChromaError
    from chroma.progress import Progress
    from render.renderer import Renderer, RenderSettings
    from render.settings_file import settings_record

    io.check_outputs([output], [p for p in (init, *(ip.value for ip in image_prompts), *inputs) if p],
                     overwrite=overwrite, create_folders=True, images=True)
    init_t = display_tensor(init, display, None, config) if init else None
    prompt_images = [(display_tensor(ip.value, display, None, config), ip.weight) for ip in image_prompts]
    if isinstance(settings, Mapping):
        settings = RenderSettings(**settings)
    if settings.batch_size != 1:
        raise ChromaError("chroma render writes one frame; use batch_size 1 (the Python API renders batches)")
    renderer = Renderer(settings)
    frame = None
    skipped = 0
    with Progress(renderer.diffusion.num_timesteps - settings.skip_steps, "rendering", enabled=progress) as bar:
        for step in renderer.sample(list(prompts), seed=seed, init=init_t, image_prompts=prompt_images):
            if step.final:
                frame = step.image
            else:
                skipped += step.guidance_skipped
                bar.update()
    record = settings_record(
        settings, list(prompts), [f"{ip.value}:{ip.weight:g}" for ip in image_prompts], seed,
        os.path.abspath(init) if init else None, rendered_on=device_name(renderer.device),
    )
    meta = {
        "prompts": " | ".join(prompts), "seed": seed, "steps": settings.steps, "model": settings.diffusion_model,
        "clip_models": " ".join(settings.clip_models), RENDER_SETTINGS_KEY: json.dumps(record),
    }
    image = frame_to_scene_linear(frame, colorspace, display, view, config, metadata=meta)
    path = io.write(image, output, overwrite=True, config=config, **write_options)
    return StillResult(path, image, settings, seed, skipped)


def device_name(device: Any) -> str:
    """Name a torch device for a frame's record: ``cuda (NVIDIA H200)``, ``cpu``, ``mps``.

    Parameters
    ----------
    device : torch.device
        The device a frame was rendered on.

    Returns
    -------
    str
        Its type, with the GPU's name for CUDA.
    """
    if device.type == "cuda":
        import torch

        return f"cuda ({torch.cuda.get_device_name(device)})"
    return str(device.type)


# =============================================================================== shot runner
#
# chroma.shot (validated shot, values per frame) -> render.animation.FrameLoop (warps, turbo,
# the renderer) -> here: inverse view to the working space, optional match to the plate,
# EXR + metadata + preview, the loop's state saved atomically after every frame, the
# Nuke script. See docs/shots.md.

STATE_SUFFIX = ".state"
RETAINED = "retained"
PREVIEW = "preview"


@dataclass
class FrameReport:
    """What happened to one frame of a run (also a line of the state folder's ``log.jsonl``)."""

    index: int
    file_frame: int
    path: str | None          # the EXR written (None: rendered only to reach a later frame)
    seconds: float
    clip_loss: float | None
    turbo: bool
    prompt_key: int
    retained: str | None = None   # where the frame it replaced was moved
    guard: dict | None = None     # the collapse guard's state and measures (chroma.guard)
    coherence: dict | None = None  # what colour coherence did (chroma.coherence)
    summary: str = ""             # the watch's few words for the progress line


@dataclass
class RunPlan:
    """Which frames a run renders and writes, decided before any model loads.

    ``start`` is the saved state the run continues from (-1: from the first frame);
    frames ``start + 1 .. last`` are rendered, those in ``write`` are written (the others
    are rendered only to reach the first frame asked for), ``replace`` lists outputs that
    exist and will be moved to ``retained/`` first.
    """

    start: int
    last: int
    write: list[int]
    replace: list[int]
    notes: list[str] = field(default_factory=list)

    @property
    def render(self) -> range:
        """Shot indices rendered: after ``start`` up to ``last``.

        Returns
        -------
        range
            ``start + 1 .. last`` (shot indices, 0 = the first frame).
        """
        return range(self.start + 1, self.last + 1)


class ShotRunner:
    """Render a :class:`chroma.shot.Shot` to a scene-linear EXR sequence, resumably.

    Parameters
    ----------
    shot : chroma.shot.Shot
        The validated shot (:func:`chroma.shot.load_shot`, or :meth:`from_file`).
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).
    renderer : render.Renderer or None, optional
        An already built renderer (tests, notebooks); by default one is built from the
        shot's render settings (models loaded once per shot).
    depth_estimator : callable or None, optional
        ``estimator(image (N, 3, H, W) in [-1, 1]) -> (N, H, W)`` depth in Disco
        Diffusion's units, for 3D shots whose depth is estimated.
    on_frame : callable or None, optional
        Called with each :class:`FrameReport`.
    on_step : callable or None, optional
        Called with each sampling step.
    """

    def __init__(self, shot: Any, *, config: str | os.PathLike | None = None, renderer: Any = None,
                 depth_estimator: Any = None, on_frame: Any = None, on_step: Any = None):
        from chroma import sequence

        self.shot = shot
        self.config = config
        self._renderer = renderer
        self._depth_estimator = depth_estimator
        self.on_frame = on_frame
        self.on_step = on_step
        pat = sequence.parse_pattern(shot.output.pattern)
        self.pattern = pat
        self.out_dir = Path(pat.path(shot.output.first_frame)).parent
        self.stem = os.path.basename(pat.prefix).rstrip("._-") or "frames"
        self.state_dir = self.out_dir / f"{self.stem}{STATE_SUFFIX}"
        self.written: list[int] = []
        self.last_done = -1
        self.stopped: str | None = None   # why the collapse guard stopped the run (None: it did not)
        self._cache: dict[str, Any] = {}
        self._saved: tuple[dict, dict] = ({}, {})  # the watch's meta and arrays from the loaded state

    @classmethod
    def from_file(cls, path: str | os.PathLike, *, config: str | os.PathLike | None = None,
                  render_overrides: Mapping[str, Any] | None = None, **kwargs: Any) -> ShotRunner:
        """Load and validate a shot file, then check that the renderer is installed.

        Parameters
        ----------
        path : str or os.PathLike
            The shot file (TOML, docs/shots.md).
        config : str or os.PathLike or None, optional
            OCIO config (default: $OCIO, else chroma's bundled one).
        render_overrides : Mapping[str, Any] or None, optional
            Render settings that replace the shot's own (``device``, ``precision``).
        **kwargs : Any
            Other keyword arguments of :class:`ShotRunner`.

        Returns
        -------
        ShotRunner
            A runner for the shot; nothing is loaded or rendered yet.

        Raises
        ------
        chroma.shot.ShotError
            The shot file is malformed (``file:line: section.key: what``).
        ChromaError
            The render extra is not installed.
        """
        from chroma.shot import load_shot

        shot = load_shot(path, config=config)  # everything validated before anything loads
        require_renderer()
        shot.render.update(render_overrides or {})
        return cls(shot, config=config, **kwargs)

    # -- files -------------------------------------------------------------------------
    def path(self, index: int) -> Path:
        """Return the EXR of a shot frame.

        Parameters
        ----------
        index : int
            Shot index (0 = the first frame, file number ``first_frame``).

        Returns
        -------
        Path
            The output pattern filled with the file frame number.
        """
        return Path(self.shot.output.path(index))

    def preview_path(self, index: int) -> Path:
        """Return the display-referred preview of a shot frame.

        Parameters
        ----------
        index : int
            Shot index.

        Returns
        -------
        Path
            ``preview/<name>.png`` (or ``.jpg``) beside the sequence.
        """
        ext = "jpg" if self.shot.output.preview == "jpg" else "png"
        return self.out_dir / PREVIEW / f"{self.path(index).stem}.{ext}"

    def state_path(self, index: int) -> Path:
        """Return the file the loop state after a frame is saved to.

        Parameters
        ----------
        index : int
            Shot index.

        Returns
        -------
        Path
            ``<stem>.state/state.NNNNNN.npz``.
        """
        return self.state_dir / f"state.{index:06d}.npz"

    def saved_states(self) -> list[int]:
        """List the frames whose loop state is saved.

        Returns
        -------
        list of int
            Shot indices, ascending.
        """
        if not self.state_dir.is_dir():
            return []
        out = []
        for p in self.state_dir.glob("state.*.npz"):
            try:
                out.append(int(p.name.split(".")[1]))
            except (IndexError, ValueError):
                continue
        return sorted(i for i in out if i < self.shot.max_frames)

    def nuke_script_path(self) -> Path:
        """Return the Nuke script written beside the sequence.

        Returns
        -------
        Path
            ``<stem>.nk`` in the output folder.
        """
        return self.out_dir / f"{self.stem}.nk"

    # -- planning ----------------------------------------------------------------------
    def plan(self, frames: str | None = None, resume: bool = False, overwrite: bool = False) -> RunPlan:
        """Decide what to render; refuses surprises (frames that exist) before any work.

        - no option: every frame; refused if any output exists.
        - ``resume``: continue after the last saved state (frames already finished stay).
        - ``frames``: a frame set in file numbers (``1010-1020``); rendered from the nearest
          saved state before it (frames between are rendered again, not written).
        - ``overwrite``: existing outputs in the range are moved to ``retained/`` and
          rendered again.

        Parameters
        ----------
        frames : str or None, optional
            Frame set in file numbers (``1010-1020``); None for every frame.
        resume : bool, optional
            Continue after the last saved state. Default False.
        overwrite : bool, optional
            Render existing outputs again, keeping the old files in ``retained/``.

        Returns
        -------
        RunPlan
            The frames to render and write, and notes for the user.

        Raises
        ------
        chroma.shot.ShotError
            ``frames`` malformed or outside the shot.
        ChromaIOError
            Outputs exist (without ``resume`` or ``overwrite``) or would replace an input.
        """
        from chroma import sequence
        from chroma.errors import ChromaIOError, SequenceError
        from chroma.shot import ShotError

        shot = self.shot
        first = shot.output.first_frame
        if frames is not None:
            try:
                wanted = sorted(set(sequence.parse_frames(frames)))
            except SequenceError as e:
                raise ShotError(f"--frames {frames!r}: {e}") from None
            outside = [f for f in wanted if not first <= f < first + shot.max_frames]
            if outside:
                raise ShotError(f"--frames {frames!r}: frame {outside[0]} is outside the shot "
                                f"({first}-{first + shot.max_frames - 1})")
            targets = [f - first for f in wanted]
        else:
            targets = list(range(shot.max_frames))
        states = [] if overwrite and not resume else self.saved_states()
        notes: list[str] = []
        if resume:
            done = max(states) if states else -1
            if done < 0:
                notes.append("no saved state: starting from the first frame")
            targets = [i for i in targets if i > done]
            start = done
            if not targets:
                return RunPlan(done, done, [], [], [f"all {shot.max_frames} frames are done"])
        else:
            before = [s for s in states if s < targets[0]]
            start = max(before) if before else -1
            if start < targets[0] - 1:
                notes.append(f"rendering frames {first + start + 1}-{first + targets[0] - 1} again (not written) "
                             f"to reach frame {first + targets[0]}" + (f" from the state saved after frame {first + start}"
                                                                      if start >= 0 else ""))
        self._check_not_inputs(targets)
        existing = [i for i in targets if self.path(i).exists()]
        if existing and not overwrite and not resume:
            more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
            raise ChromaIOError(
                f"{str(self.path(existing[0]))!r}{more} exists; pass --resume to continue the shot, or --overwrite "
                f"to render again (the old frames move to {RETAINED}/)"
            )
        if resume and existing:
            notes.append(f"{len(existing)} frame(s) after the last saved state exist but were not finished; "
                         f"rendering them again (the old files move to {RETAINED}/)")
        return RunPlan(start, targets[-1], targets, existing, notes)

    def _check_not_inputs(self, targets: list[int]) -> None:
        """Refuse a shot whose output would replace one of its inputs (the plate, the depth
        sequence, the init image, an image prompt), by any spelling (:func:`chroma.io.same_file`)."""
        from chroma import io, sequence
        from chroma.errors import ChromaIOError
        from render.prompts import parse_prompt

        shot, a = self.shot, self.shot.animation
        singles = [shot.resolve(shot.init_image)] if shot.init_image else []
        for entries in shot.image_prompts.values():
            singles += [shot.resolve(parse_prompt(e, "image").value) for e in entries]
        per_frame = [sequence.parse_pattern(p) for p in (a["video_init_path"], a["depth"] if a["depth"] != "estimate"
                                                          else "") if p]
        for i in targets:
            out = self.path(i)
            if not out.exists():  # then no existing input can be this file
                continue
            frame = shot.output.first_frame + i
            for src in [*singles, *(pat.path(frame) for pat in per_frame)]:
                if os.path.exists(src) and io.same_file(out, src):
                    raise ChromaIOError(f"the output {str(out)!r} is the input {src!r}; write the shot elsewhere")

    # -- inputs --------------------------------------------------------------------------
    def _display(self, path: str, size: tuple[int, int]) -> Any:
        out = self.shot.output
        return display_tensor(path, out.display, out.view, self.config, size=size)

    def _plate_path(self, index: int) -> str:
        from chroma import sequence

        return sequence.parse_pattern(self.shot.animation["video_init_path"]).path(self.shot.output.first_frame + index)

    def _image_prompts(self, spec: Any, size: tuple[int, int]) -> list:
        from render.prompts import parse_prompt

        out = []
        for entry in spec.image_prompts:
            ip = parse_prompt(entry, "image")
            path = self.shot.resolve(ip.value)
            if path not in self._cache:
                self._cache[path] = self._display(path, size)
            out.append((self._cache[path], ip.weight))
        return out

    def _plate_depth(self, image: Any, index: int) -> Any:
        """Depth of frame ``index`` from the depth sequence: its Z channel (or its only
        channel) times ``depth_scale``, in Disco Diffusion's depth units."""
        import torch

        from chroma import io, sequence
        from chroma.errors import ChromaIOError

        path = sequence.parse_pattern(self.shot.animation["depth"]).path(self.shot.output.first_frame + index)
        key = f"depth:{path}"
        if key not in self._cache:
            if not os.path.isfile(path):
                raise ChromaIOError(f"depth frame {path!r} does not exist (frame {index} of the shot)")
            img = io.read(path, config=self.config)
            if "Z" in img.channels:
                z = img.pixels[:, :, img.index("Z")]
            elif len(img.channels) == 1:
                z = img.pixels[:, :, 0]
            else:
                raise ChromaIOError(f"{path!r} has no Z channel (channels {', '.join(img.channels)}); "
                                    "give a depth EXR with a Z channel")
            d = torch.from_numpy(np.ascontiguousarray(z, dtype=np.float32)) * float(self.shot.animation["depth_scale"])
            h, w = image.shape[-2:]
            if tuple(d.shape) != (h, w):
                d = torch.nn.functional.interpolate(d[None, None], size=(h, w), mode="bilinear", align_corners=False)[0, 0]
            self._cache = {k: v for k, v in self._cache.items() if not k.startswith("depth:")}
            self._cache[key] = d
        return self._cache[key]

    def _estimated_depth(self, image: Any, index: int) -> Any:
        d = self._depth_estimator(image)
        return d[0] if d.ndim == 3 else d

    # -- the run -----------------------------------------------------------------------
    def check_models(self) -> None:
        """Raise before any work if a checkpoint the shot needs is not in the cache."""
        if self._renderer is not None:
            return
        from render import models

        shot, r = self.shot, self.shot.render
        models.model_path(r.get("diffusion_model", "512x512_diffusion_uncond_finetune_008100"))
        if r.get("use_secondary_model", True):
            models.model_path(r.get("secondary_model", "secondary_model_imagenet_2"))
        if shot.animation_mode == "3D" and shot.animation["depth"] == "estimate":
            models.model_path(shot.animation["depth_model"])
        if r.get("init_loss", "lpips") == "lpips":  # LPIPS pulls frames towards their init, as in DD
            frames_pull = shot.animation_mode != "None" and bool(np.any(shot.schedules["frames_scale"] != 0))
            init_pull = bool(shot.init_image) and bool(np.any(shot.schedules.get("init_scale", [r.get("init_scale", 1000)])))
            if frames_pull or init_pull:
                from render.perceptual import LPIPS_BACKBONE

                models.model_path(LPIPS_BACKBONE)

    def renderer(self) -> Any:
        """Return the renderer, built from the shot's first frame settings on first use.

        Returns
        -------
        render.Renderer
            The renderer given to the runner, or one built (models loaded once per shot).
        """
        if self._renderer is None:
            from render.renderer import Renderer, RenderSettings

            self._renderer = Renderer(RenderSettings(**self.shot.frame(0).render))
        return self._renderer

    def _loop(self) -> Any:
        from render.animation import FrameLoop

        shot, a = self.shot, self.shot.animation
        depth_fn = None
        if shot.animation_mode == "3D":
            if a["depth"] != "estimate":
                depth_fn = self._plate_depth
            else:
                if self._depth_estimator is None:
                    from render import depth

                    self._depth_estimator = depth.load_depth_estimator(a["depth_model"], device=self.renderer().device)
                depth_fn = self._estimated_depth
        return FrameLoop(
            self.renderer(), shot.animation_mode, border=a["border"], padding_mode=a["padding_mode"],
            sampling_mode=a["sampling_mode"], turbo_mode=a["turbo_mode"], turbo_steps=a["turbo_steps"],
            turbo_preroll=a["turbo_preroll"], horizontal_symmetry=a["use_horizontal_symmetry"],
            vertical_symmetry=a["use_vertical_symmetry"], transformation_percent=a["transformation_percent"],
            depth_fn=depth_fn,
        )

    def load_state(self, index: int) -> Any:
        """Load the loop state saved after a frame (and the watch's saved state with it).

        Parameters
        ----------
        index : int
            Shot index; -1 for the state before the first frame.

        Returns
        -------
        render.animation.LoopState
            The state to continue from (empty for -1).
        """
        import json

        from render.animation import LoopState

        self._saved = ({}, {})
        if index < 0:
            return LoopState()
        with np.load(self.state_path(index), allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files if k != "meta"}
            meta = json.loads(str(data["meta"])) if "meta" in data.files else {}
        self._saved = (meta.get("watch") or {}, arrays)
        return LoopState.from_arrays(arrays)

    def save_state(self, state: Any, meta: Mapping[str, Any], extra: Mapping[str, np.ndarray] | None = None) -> None:
        """Write the loop state after a frame atomically, then prune the older ones.

        Every ``state_every``-th state and the latest are kept.

        Parameters
        ----------
        state : render.animation.LoopState
            The state after frame ``state.index``.
        meta : Mapping[str, Any]
            JSON-ready facts saved beside it (file frame, settings hash, the watch's state).
        extra : Mapping[str, numpy.ndarray] or None, optional
            More arrays to save (the watch's).
        """
        import json

        from chroma.io import atomic_path

        self.state_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.state_path(state.index)) as tmp, open(tmp, "wb") as fh:
            arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps(dict(meta), default=str)),
                                             **state.to_arrays(), **(extra or {})}
            np.savez(fh, allow_pickle=False, **arrays)  # numbers and one string: nothing to pickle
            fh.flush()
            os.fsync(fh.fileno())  # on disk before it replaces the previous state
        every = self.shot.animation["state_every"]
        for old in self.saved_states():
            if old < state.index and old % every != 0:
                self.state_path(old).unlink(missing_ok=True)

    def _retain(self, index: int) -> str:
        src = self.path(index)
        dest_dir = self.out_dir / RETAINED
        dest_dir.mkdir(exist_ok=True)
        dest = dest_dir / src.name
        n = 1
        while dest.exists():
            dest = dest_dir / f"{src.stem}.{n}{src.suffix}"
            n += 1
        os.replace(src, dest)
        return str(dest)

    def run(self, plan: RunPlan) -> list[FrameReport]:
        """Render ``plan``; every frame is written and its state saved before the next starts.

        Interrupting (Ctrl-C, a kill) loses at most the frame in progress: ``self.written``
        and ``self.last_done`` say how far it got, and ``--resume`` continues from there.

        Parameters
        ----------
        plan : RunPlan
            What to render (:meth:`plan`).

        Returns
        -------
        list of FrameReport
            One per frame rendered (the collapse guard may stop the run early: ``stopped``).
        """
        import json
        import time

        from chroma.shot import CAMERA_KEYS, ShotError
        from render.animation import FrameInput
        from render.errors import RenderError
        from render.renderer import RenderSettings

        shot = self.shot
        if not plan.write:
            return []
        self.check_models()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        renderer = self.renderer()
        loop = self._loop()
        state = self.load_state(plan.start)
        size = renderer.settings.width_height
        init0 = self._display(shot.resolve(shot.init_image), size)[None] if shot.init_image else None
        reports = []
        write = set(plan.write)
        replace = set(plan.replace)
        models = _model_record(renderer.settings)
        from chroma.watch import ShotWatch

        watch = ShotWatch.from_shot(shot, lambda p: self._display(p, size), self._plate_path)
        watch.restore(*self._saved)
        for index in plan.render:
            t0 = time.perf_counter()
            spec = shot.frame(index)
            try:
                settings = RenderSettings(**spec.render)
            except RenderError as e:
                raise ShotError(f"frame {spec.file_frame}: {e}") from None
            init = init0 if index == 0 else None
            if shot.animation_mode == "Video":
                init = self._display(self._plate_path(index), size)[None]
            fss = shot.animation["frames_skip_steps"]
            frame_in = FrameInput(
                index=index, seed=spec.seed, prompts=spec.prompts, settings=settings,
                camera={k: spec.values[k] for k in (*CAMERA_KEYS, "fov", "near_plane", "far_plane")},
                frames_scale=spec.values["frames_scale"],
                frames_skip_steps=fss if fss is not None else spec.values["frames_skip_steps"],
                image_prompts=self._image_prompts(spec, size), init=init,
            )
            result, state = loop.step(watch.before(frame_in), state, self.on_step)
            result, state, record = watch.after(result, state)
            path = retained = None
            digest = shot.settings_hash(index)
            if index in write:
                if index in replace and self.path(index).exists():
                    retained = self._retain(index)
                path = str(self._write_frame(spec, result, settings, models, digest, record))
                self.written.append(index)
            seconds = time.perf_counter() - t0
            report = FrameReport(index, spec.file_frame, path, seconds, result.clip_loss, result.turbo,
                                 spec.prompt_key, retained, record.get("guard"), record.get("coherence"),
                                 record["summary"])
            watch_meta, watch_arrays = watch.to_state()
            self.save_state(state, {"frame": spec.file_frame, "settings_hash": digest,
                                    "watch": watch_meta}, watch_arrays)
            self.last_done = index
            with open(self.state_dir / "log.jsonl", "a", encoding="utf-8") as fh:
                fh.write(json.dumps(dataclasses.asdict(report)) + "\n")
            reports.append(report)
            if self.on_frame is not None:
                self.on_frame(report)
            if watch.stop_event is not None:
                self.stopped = (f"the collapse guard stopped the shot after frame {spec.file_frame}: "
                                f"{watch.stop_event.reason()}")
                break
        self.write_nuke_script()
        return reports

    # -- output ------------------------------------------------------------------------
    def _write_frame(self, spec: Any, result: Any, settings: Any, models: Mapping[str, str], settings_hash: str,
                     watch: Mapping[str, Any] | None = None) -> Path:
        import json

        from chroma import __version__, io
        from render.settings_file import settings_record

        shot, out = self.shot, self.shot.output
        record = settings_record(settings, list(spec.prompts), list(spec.image_prompts), spec.seed)
        meta = {
            "frame": spec.file_frame, "shot_frame": spec.index, "shot": str(shot.path or ""),
            "prompts": " | ".join(spec.prompts), "prompt_key": spec.prompt_key,
            "image_prompts": " | ".join(spec.image_prompts), "seed": spec.seed,
            "schedule": json.dumps({k: round(v, 10) for k, v in spec.values.items()}),
            "settings_hash": settings_hash, "animation_mode": shot.animation_mode,
            "turbo": int(result.turbo), "models": json.dumps(models), "version": __version__,
            "render_settings": json.dumps(record),
        }
        if result.clip_loss is not None:
            meta["clip_loss"] = float(result.clip_loss)
        meta.update({k: json.dumps(v) for k, v in (watch or {}).items() if k in ("guard", "coherence") and v})
        image = frame_to_scene_linear(result.image, out.colorspace, out.display, out.view, self.config, metadata=meta)
        if out.match_plate and shot.animation["video_init_path"]:
            image = self._match_plate(image, spec.index)
        if result.depth is not None:
            z = result.depth.detach().float().cpu().numpy()
            if shot.animation["depth"] != "estimate":
                z = z / float(shot.animation["depth_scale"])  # the plate's own Z back
            pixels = np.concatenate([image.pixels, z[:, :, None].astype(np.float32)], axis=2)
            image = Image(pixels, [*image.channels, "Z"], image.colorspace, image.metadata)
        path = io.write(image, self.path(spec.index), dtype=out.dtype, compression=out.compression,
                        overwrite=True, config=self.config)
        if out.preview != "none":
            self.preview_path(spec.index).parent.mkdir(exist_ok=True)
            io.write_display(image, self.preview_path(spec.index), out.display, out.view, self.config)
        return path

    def _match_plate(self, image: Image, index: int) -> Image:
        """Match exposure (stops, median log luminance) and white (grey world, Kelvin/tint)
        to the plate's frame (:func:`chroma.stops.match_exposure`,
        :func:`chroma.whitebalance.estimate_white`)."""
        from chroma import io, stops, whitebalance
        from chroma.grade import Exposure, Grade, WhiteBalance

        plate = io.read(self._plate_path(index), config=self.config)
        k_img, t_img = whitebalance.estimate_white(image, config=self.config)
        k_pl, t_pl = whitebalance.estimate_white(plate, config=self.config)
        balanced = Grade([WhiteBalance(k_img, k_pl, t_img, t_pl)]).apply(image)
        ev = stops.match_exposure(balanced, plate, config=self.config)
        graded = Grade([Exposure(ev)]).apply(balanced)
        graded.metadata.update({"chroma/plate_match": f"{ev:+.4f} stops, {k_img:.0f}K/{t_img:+.4f} -> "
                                                      f"{k_pl:.0f}K/{t_pl:+.4f}"})
        return graded

    def write_nuke_script(self) -> Path | None:
        """Write ``<stem>.nk`` beside the sequence: a Read node on the frames on disk and a Viewer.

        A script chroma did not write is never replaced (a warning says so).

        Returns
        -------
        Path or None
            The script, or None when no frame is on disk or a foreign script is in the way.
        """
        from chroma import nuke

        present = [i for i in range(self.shot.max_frames) if self.path(i).exists()]
        if not present:
            return None
        path = self.nuke_script_path()
        if path.exists() and not nuke.is_ours(path):
            import warnings

            warnings.warn(f"{path} exists and was not written by chroma; left as it is", UserWarning, stacklevel=2)
            return None
        first = self.shot.output.first_frame
        w, h = self.renderer_size()
        text = nuke.read_script(
            self.pattern.hashes(), first + present[0], first + present[-1], self.shot.output.colorspace,
            (w, h), float(self.shot.output.fps), audio=self._audio(),
        )
        from chroma.io import write_text

        return write_text(path, text)

    def _audio(self) -> tuple[str, float, float | None] | None:
        from chroma.nuke import audio_duration

        a = self.shot.audio
        if not a:
            return None
        path = self.shot.resolve(a["file"])
        return path, float(a["offset"]), audio_duration(path)

    def renderer_size(self) -> tuple[int, int]:
        """Return the frame size the shot renders at.

        Returns
        -------
        tuple of (int, int)
            (width, height) in pixels.
        """
        if self._renderer is not None:
            w, h = self._renderer.settings.width_height
        else:
            w, h = self.shot.render.get("width_height", (1280, 768))
        return int(w), int(h)


def _model_record(settings: Any) -> dict[str, str]:
    """Model names with their sha256 (the registry's), for each frame's metadata."""
    from render import models

    out = {}
    names = [settings.diffusion_model] + ([settings.secondary_model] if settings.use_secondary_model else [])
    for name in names:
        try:
            out[name] = models.get_info(name).sha256 or "unverified"
        except Exception:  # a model given directly (tests, notebooks) is not in the registry
            out[name] = "not in the registry"
    for spec in settings.clip_models:
        out[spec] = "open_clip"
    return out
