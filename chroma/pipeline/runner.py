"""The shot runner: a validated shot rendered to a scene-linear EXR sequence, resumably.

chroma.shot (validated shot, values per frame) -> render.animation.FrameLoop (warps, turbo,
the renderer) -> here: inverse view to the working space, optional match to the plate,
EXR + metadata + preview, the loop's state saved atomically after every frame, the
Nuke script. See docs/shots.md.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from chroma.image import Image
from chroma.pipeline.frames import display_tensor, frame_to_scene_linear
from chroma.pipeline.lock import ShotLock
from chroma.pipeline.statefile import read_state_file, write_state_file
from chroma.pipeline.still import require_renderer

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
        self._coming: list[int] = []  # frames the run in progress is to write (the Nuke script reads them too)

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

    def lock(self) -> ShotLock:
        """Return the lock on the state folder (not yet taken): one render of the shot at a time.

        ``with runner.lock() as lock: ...`` holds it while rendering (``chroma render`` does,
        around the plan and the run); :attr:`ShotLock.note` says when a stale lock of a dead
        process was taken over. Farm tasks of one run render under the client's lock.

        Returns
        -------
        ShotLock
            The lock on ``<stem>.state/lock``.
        """
        return ShotLock(self.state_dir)

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
        # Every saved state stays valid with --overwrite: frames before the range do not change,
        # and the states at or after its first frame are replaced as those frames render again.
        states = self.saved_states()
        notes: list[str] = []
        self._check_writable()
        if resume:
            done = self._usable_state(states, notes)
            if done < 0:
                notes.append("no saved state: starting from the first frame")
            targets = [i for i in targets if i > done]
            start = done
            if not targets:
                return RunPlan(done, done, [], [], [f"all {shot.max_frames} frames are done"])
        else:
            start = self._usable_state([s for s in states if s < targets[0]], notes)
            if start < targets[0] - 1:
                notes.append(f"rendering frames {first + start + 1}-{first + targets[0] - 1} again (not written) "
                             f"to reach frame {first + targets[0]}" + (f" from the state saved after frame {first + start}"
                                                                      if start >= 0 else ""))
        self._check_not_inputs(targets)
        shot.check_inputs(range(start + 1, targets[-1] + 1))  # plates and depth of every frame rendered, before models load
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

    def _check_writable(self) -> None:
        """Refuse, before any model loads, an output folder that cannot be made or written
        (read-only, on a read-only file system, or under a file); the same for the state,
        preview and retained folders where they exist."""
        from chroma.errors import ChromaIOError

        for folder in (self.out_dir, self.state_dir, self.out_dir / PREVIEW, self.out_dir / RETAINED):
            if folder != self.out_dir and not folder.exists():
                continue  # made inside out_dir, checked first
            here = folder.absolute()
            while not here.exists() and here != here.parent:
                here = here.parent
            if not here.is_dir():
                raise ChromaIOError(f"the output folder {str(folder)!r} cannot be made: {str(here)!r} is a file; "
                                    "change [output] pattern")
            if not os.access(here, os.W_OK | os.X_OK):
                what = "the output folder" if here == folder.absolute() else f"the folder {str(folder)!r} would go in"
                raise ChromaIOError(f"{what} {str(here)!r} is not writable; make it writable or change [output] "
                                    "pattern")

    def state_problem(self, index: int) -> str | None:
        """Check a saved state file in full (every array read, zip checksums verified).

        Parameters
        ----------
        index : int
            Shot index of the state.

        Returns
        -------
        str or None
            What is wrong with it (truncated, not a state, another frame's), or None when it
            can be resumed from.
        """
        import zipfile
        import zlib

        try:
            meta, arrays = read_state_file(self.state_path(index))
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
            return f"{type(e).__name__}: {e}"
        missing = [k for k in ("index",) if k not in arrays] + ([] if meta else ["meta"])
        if missing:
            return f"no {', '.join(missing)} in it"
        try:
            saved = int(arrays["index"])
        except (TypeError, ValueError) as e:
            return f"unreadable: {e}"
        if saved != index:
            return f"it holds the state after shot frame {saved}"
        for name in ("prev", "old"):
            if name in arrays and (arrays[name].ndim != 4 or arrays[name].shape[:2] != (1, 3)):
                return f"{name} has the shape {arrays[name].shape}, not (1, 3, H, W)"
        return None

    def _usable_state(self, candidates: list[int], notes: list[str]) -> int:
        """The newest of ``candidates`` whose state file is whole (-1: none); each damaged one
        is named in ``notes`` with what to do."""
        first = self.shot.output.first_frame
        for index in sorted(candidates, reverse=True):
            problem = self.state_problem(index)
            if problem is None:
                return index
            notes.append(f"the saved state {str(self.state_path(index))!r} (after frame {first + index}) is damaged "
                         f"({problem}); starting from an earlier state instead. It is replaced when that frame renders "
                         "again; delete it if it stays in the way")
        return -1

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
        per_frame = [sequence.parse_pattern(p) for p in (a.video_init_path, a.depth if a.depth != "estimate"
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

        return sequence.parse_pattern(self.shot.animation.video_init_path).path(self.shot.output.first_frame + index)

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

        path = sequence.parse_pattern(self.shot.animation.depth).path(self.shot.output.first_frame + index)
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
            d = torch.from_numpy(np.ascontiguousarray(z, dtype=np.float32)) * float(self.shot.animation.depth_scale)
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
    def _checkpoints(self) -> list[str]:
        """Registry names of the checkpoints the shot loads (the CLIP models aside)."""
        shot, r = self.shot, self.shot.render
        names = [r.get("diffusion_model", "512x512_diffusion_uncond_finetune_008100")]
        if r.get("use_secondary_model", True):
            names.append(r.get("secondary_model", "secondary_model_imagenet_2"))
        if shot.animation_mode == "3D" and shot.animation.depth == "estimate":
            names.append(shot.animation.depth_model)
        if r.get("init_loss", "lpips") == "lpips":  # LPIPS pulls frames towards their init, as in DD
            frames_pull = shot.animation_mode != "None" and bool(np.any(shot.schedules["frames_scale"] != 0))
            init_pull = bool(shot.init_image) and bool(np.any(shot.schedules.get("init_scale", [r.get("init_scale", 1000)])))
            if frames_pull or init_pull:
                from render.perceptual import LPIPS_BACKBONE

                names.append(LPIPS_BACKBONE)
        return names

    def check_models(self) -> None:
        """Raise before any work if a checkpoint the shot needs is not in the cache."""
        if self._renderer is not None:
            return
        from render import models

        for name in self._checkpoints():
            models.model_path(name)

    def model_files(self) -> list[tuple[str, str]]:
        """List the models a run loads, with their sizes on disk (for a "loading models" line).

        Returns
        -------
        list of (str, str)
            (name, size): ``"2.2 GB"`` (decimal units) for checkpoints in chroma's cache and
            CLIP weights given as a file, ``"random weights"``, or ``"open_clip's cache"`` for
            CLIP weights open_clip fetches itself. Empty when the runner was given a renderer.
        """
        if self._renderer is not None:
            return []
        from render import models
        from render.clip import parse_clip_spec
        from render.renderer import RenderSettings

        out = [(name, _size_text(models.model_path(name).stat().st_size)) for name in self._checkpoints()]
        for spec in self.shot.render.get("clip_models", RenderSettings.clip_models):
            _, pretrained = parse_clip_spec(spec)
            if pretrained is None:
                out.append((spec, "random weights"))
            elif os.path.isfile(pretrained):
                out.append((spec, _size_text(os.path.getsize(pretrained))))
            else:
                out.append((spec, "open_clip's cache"))
        return out

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
            if a.depth != "estimate":
                depth_fn = self._plate_depth
            else:
                if self._depth_estimator is None:
                    from render import depth

                    self._depth_estimator = depth.load_depth_estimator(a.depth_model, device=self.renderer().device)
                depth_fn = self._estimated_depth
        return FrameLoop(
            self.renderer(), shot.animation_mode, border=a.border, padding_mode=a.padding_mode,
            sampling_mode=a.sampling_mode, turbo_mode=a.turbo_mode, turbo_steps=a.turbo_steps,
            turbo_preroll=a.turbo_preroll, horizontal_symmetry=a.use_horizontal_symmetry,
            vertical_symmetry=a.use_vertical_symmetry, transformation_percent=a.transformation_percent,
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

        Raises
        ------
        ChromaIOError
            The state file is damaged (:meth:`state_problem`).
        """
        from chroma.errors import ChromaIOError
        from render.animation import LoopState

        self._saved = ({}, {})
        if index < 0:
            return LoopState()
        problem = self.state_problem(index)  # checked in plan(); again here, after the models loaded
        if problem is not None:
            raise ChromaIOError(f"the saved state {str(self.state_path(index))!r} is damaged ({problem}); delete it "
                                "and run again (the plan then starts from an earlier state)")
        meta, arrays = read_state_file(self.state_path(index))
        self._saved = (meta.get("watch") or {}, arrays)
        return LoopState.from_arrays(arrays)

    def save_state(self, state: Any, meta: Mapping[str, Any], extra: Mapping[str, np.ndarray] | None = None) -> None:
        """Write the loop state after a frame atomically, then prune the older ones.

        Compressed losslessly (:mod:`chroma.pipeline.statefile`). Every ``state_every``-th
        state and the latest are kept.

        Parameters
        ----------
        state : render.animation.LoopState
            The state after frame ``state.index``.
        meta : Mapping[str, Any]
            JSON-ready facts saved beside it (file frame, settings hash, the watch's state).
        extra : Mapping[str, numpy.ndarray] or None, optional
            More arrays to save (the watch's).
        """
        from chroma.io import atomic_path

        self.state_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.state_path(state.index)) as tmp, open(tmp, "wb") as fh:
            write_state_file(fh, meta, {**state.to_arrays(), **(extra or {})})  # lossless, ~25% smaller
            fh.flush()
            os.fsync(fh.fileno())  # on disk before it replaces the previous state
        every = self.shot.animation.state_every
        for old in self.saved_states():
            if old < state.index and old % every != 0:
                self.state_path(old).unlink(missing_ok=True)

    def _retain(self, index: int) -> str:
        """Move a frame about to be replaced to ``retained/`` and its preview to
        ``retained/preview/``, under the same name (``.1``, ``.2``... before the extension
        when an earlier one is there: the preview takes the number its frame took)."""
        src = self.path(index)
        preview = self.preview_path(index)
        dest_dir = self.out_dir / RETAINED
        dest_dir.mkdir(exist_ok=True)
        suffix = ""
        n = 1
        while (dest_dir / f"{src.stem}{suffix}{src.suffix}").exists() or (
                dest_dir / PREVIEW / f"{preview.stem}{suffix}{preview.suffix}").exists():
            suffix = f".{n}"
            n += 1
        dest = dest_dir / f"{src.stem}{suffix}{src.suffix}"
        os.replace(src, dest)
        if preview.exists():
            (dest_dir / PREVIEW).mkdir(exist_ok=True)
            os.replace(preview, dest_dir / PREVIEW / f"{preview.stem}{suffix}{preview.suffix}")
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
        if not plan.write:
            return []
        self.check_models()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._coming = list(plan.write)
        try:
            self.write_nuke_script()  # before the models load: a crash at any point leaves a script
            return self._run(plan)
        finally:
            self._coming = []
            self.write_nuke_script()  # the frames on disk, however the run ended

    def _run(self, plan: RunPlan) -> list[FrameReport]:
        import json
        import time

        from chroma.shot import CAMERA_KEYS, ShotError
        from render.animation import FrameInput
        from render.errors import RenderError
        from render.renderer import RenderSettings

        shot = self.shot
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
            frame_in = FrameInput(
                index=index, seed=spec.seed, prompts=spec.prompts, settings=settings,
                camera={k: spec.values[k] for k in (*CAMERA_KEYS, "fov", "near_plane", "far_plane")},
                frames_scale=spec.values["frames_scale"],
                frames_skip_steps=spec.frames_skip_steps,
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
        if out.match_plate and shot.animation.video_init_path:
            image = self._match_plate(image, spec.index)
        if result.depth is not None:
            z = result.depth.detach().float().cpu().numpy()
            if shot.animation.depth != "estimate":
                z = z / float(shot.animation.depth_scale)  # the plate's own Z back
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

    def write_nuke_script(self, coming: Iterable[int] = ()) -> Path | None:
        """Write ``<stem>.nk`` beside the sequence: a Read node on the frames and a Viewer.

        The Read covers the frames on disk, ``coming`` and the frames the run in progress
        is to write (:meth:`run` writes the script when it starts, so a crash hours later
        still leaves one, and again when it ends). The Root pins the OCIO config the frames are written
        with. A script chroma did not write is never replaced (a warning says so).

        Parameters
        ----------
        coming : Iterable[int], optional
            Shot indices about to be written (default none).

        Returns
        -------
        Path or None
            The script, or None when there are no frames or a foreign script is in the way.
        """
        from chroma import nuke, ocio

        present = sorted({i for i in range(self.shot.max_frames) if self.path(i).exists()} | set(coming)
                         | set(self._coming))
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
            (w, h), float(self.shot.output.fps), audio=self._audio(), ocio_config=ocio.config_path(self.config),
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


def _size_text(size: int) -> str:
    """Bytes in decimal units (as ``ls -lh --si``): ``2.2 GB``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


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
