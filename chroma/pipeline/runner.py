"""The shot runner: a validated shot rendered to a scene-linear EXR sequence, resumably.

:class:`ShotRunner` is the composed public API (``chroma render SHOT.toml``, the farm,
the demo): it builds the seams and delegates to them (docs/architecture.md):

- the planner (:mod:`chroma.pipeline.plan`): which frames, from which saved state;
- the state store (:mod:`chroma.pipeline.store`): loop states, the lock, the run log;
- the inputs (:mod:`chroma.pipeline.inputs`): plates, depth, image prompts;
- the frame writer (:mod:`chroma.pipeline.writer`): inverse view, plate match, EXR,
  metadata, preview, ``retained/``;
- the Nuke script writer (:mod:`chroma.pipeline.nukescript`), at the start and the end;
- the loop (:mod:`chroma.pipeline.loop`), which only sequences them, with the stop policy.

See docs/shots.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from chroma.pipeline import models as _models
from chroma.pipeline.layout import PREVIEW, RETAINED, STATE_SUFFIX, ShotLayout
from chroma.pipeline.lock import ShotLock
from chroma.pipeline.loop import RunProgress, ShotLoop, StopPolicy, frame_loop
from chroma.pipeline.nukescript import NukeScriptWriter, ScriptWriter
from chroma.pipeline.plan import RunPlan, plan_shot
from chroma.pipeline.runlog import FrameReport
from chroma.pipeline.still import require_renderer
from chroma.pipeline.store import JSONMeta, LocalStateStore, StateStore

if TYPE_CHECKING:
    import torch

    from chroma.pipeline.inputs import DepthEstimator, ShotInputs
    from chroma.shot import Shot
    from render.animation import LoopState
    from render.renderer import Renderer, RenderStep

__all__ = ["PREVIEW", "RETAINED", "STATE_SUFFIX", "FrameReport", "RunPlan", "ShotRunner"]


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
    depth_estimator : DepthEstimator or None, optional
        ``estimator(image (N, 3, H, W) in [-1, 1]) -> (N, H, W)`` depth in Disco
        Diffusion's units, for 3D shots whose depth is estimated.
    on_frame : Callable[[FrameReport], None] or None, optional
        Called with each :class:`FrameReport`.
    on_step : Callable[[render.renderer.RenderStep], None] or None, optional
        Called with each sampling step.
    store : chroma.pipeline.store.StateStore or None, optional
        Where the loop states, the lock and the run log live (default: a
        :class:`~chroma.pipeline.store.LocalStateStore` on ``<stem>.state``).
    nuke : chroma.pipeline.nukescript.ScriptWriter or None, optional
        Writes the Nuke script (default: ``<stem>.nk`` beside the sequence).
    stop : chroma.pipeline.loop.StopPolicy or None, optional
        Whether a run stops after a frame (default: when the collapse guard says so).

    Attributes
    ----------
    layout : chroma.pipeline.layout.ShotLayout
        The shot's files; ``pattern``, ``out_dir``, ``stem`` and ``state_dir`` are its.
    progress : chroma.pipeline.loop.RunProgress
        How far the last run got: ``written``, ``last_done`` and ``stopped`` are its.
    """

    def __init__(self, shot: Shot, *, config: str | os.PathLike[str] | None = None, renderer: Renderer | None = None,
                 depth_estimator: DepthEstimator | None = None, on_frame: Callable[[FrameReport], None] | None = None,
                 on_step: Callable[[RenderStep], None] | None = None, store: StateStore | None = None,
                 nuke: ScriptWriter | None = None, stop: StopPolicy | None = None):
        self.shot = shot
        self.config = config
        self._renderer = renderer
        self._depth_estimator = depth_estimator
        self.on_frame = on_frame
        self.on_step = on_step
        self.layout = ShotLayout(shot.output)
        self.pattern = self.layout.pattern
        self.out_dir = self.layout.out_dir
        self.stem = self.layout.stem
        self.state_dir = self.layout.state_dir
        self.store: StateStore = store if store is not None else LocalStateStore(
            self.layout, shot.max_frames, shot.animation.state_every,
            shot.animation.cadence)
        self.nuke: ScriptWriter = nuke if nuke is not None else NukeScriptWriter(
            shot, self.layout, config, self.renderer_size)
        self.stop_policy = stop
        self.progress = RunProgress()
        self._coming: list[int] = []  # frames the run in progress is to write (the Nuke script reads them too)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, config: str | os.PathLike[str] | None = None,
                  render_overrides: Mapping[str, object] | None = None, renderer: Renderer | None = None,
                  depth_estimator: DepthEstimator | None = None,
                  on_frame: Callable[[FrameReport], None] | None = None,
                  on_step: Callable[[RenderStep], None] | None = None) -> ShotRunner:
        """Load and validate a shot file, then check that the renderer is installed.

        Parameters
        ----------
        path : str or os.PathLike
            The shot file (TOML, docs/shots.md).
        config : str or os.PathLike or None, optional
            OCIO config (default: $OCIO, else chroma's bundled one).
        render_overrides : Mapping[str, object] or None, optional
            Render settings that replace the shot's own (``device``, ``precision``).
        renderer : render.Renderer or None, optional
            As :class:`ShotRunner`.
        depth_estimator : DepthEstimator or None, optional
            As :class:`ShotRunner`.
        on_frame : Callable[[FrameReport], None] or None, optional
            As :class:`ShotRunner`.
        on_step : Callable[[render.renderer.RenderStep], None] or None, optional
            As :class:`ShotRunner`.

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
        return cls(shot, config=config, renderer=renderer, depth_estimator=depth_estimator, on_frame=on_frame,
                   on_step=on_step)

    # -- how far a run got ---------------------------------------------------------------
    @property
    def written(self) -> list[int]:
        """Shot indices the last run wrote, so far.

        Returns
        -------
        list of int
            In the order written.
        """
        return self.progress.written

    @property
    def last_done(self) -> int:
        """The last shot index whose state the last run saved.

        Returns
        -------
        int
            -1 when none finished.
        """
        return self.progress.last_done

    @property
    def stopped(self) -> str | None:
        """Why the stop policy (the collapse guard) stopped the last run.

        Returns
        -------
        str or None
            The reason; None when it did not stop the run.
        """
        return self.progress.stopped

    # -- files ---------------------------------------------------------------------------
    def path(self, index: int) -> Path:
        """Return the EXR of a shot frame (:meth:`ShotLayout.path`).

        Parameters
        ----------
        index : int
            Shot index (0 = the first frame, file number ``first_frame``).

        Returns
        -------
        Path
            The output pattern filled with the file frame number.
        """
        return self.layout.path(index)

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
        return self.layout.preview_path(index)

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
        return self.layout.state_path(index)

    def nuke_script_path(self) -> Path:
        """Return the Nuke script written beside the sequence.

        Returns
        -------
        Path
            ``<stem>.nk`` in the output folder.
        """
        return self.layout.nuke_script_path()

    # -- the state store -----------------------------------------------------------------
    def saved_states(self) -> list[int]:
        """List the frames whose loop state is saved.

        Returns
        -------
        list of int
            Shot indices, ascending.
        """
        return self.store.saved()

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
        return self.store.problem(index)

    def load_state(self, index: int) -> LoopState:
        """Load the loop state saved after a frame.

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
        return self.store.load(index).state

    def save_state(self, state: LoopState, meta: JSONMeta, extra: Mapping[str, np.ndarray] | None = None) -> None:
        """Write the loop state after a frame atomically, then prune the older ones.

        Parameters
        ----------
        state : render.animation.LoopState
            The state after frame ``state.index``.
        meta : Mapping[str, object]
            JSON-ready facts saved beside it (file frame, settings hash, the watch's state).
        extra : Mapping[str, numpy.ndarray] or None, optional
            More arrays to save (the watch's).
        """
        self.store.save(state, meta, extra)

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
        return self.store.lock()

    # -- planning ------------------------------------------------------------------------
    def plan(self, frames: str | None = None, resume: bool = False, overwrite: bool = False,
             settings_changed: bool = False) -> RunPlan:
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
        settings_changed : bool, optional
            Continue from saved states made with other settings, on purpose. Default
            False: refused (:func:`chroma.pipeline.plan.check_settings`).

        Returns
        -------
        RunPlan
            The frames to render and write, and notes for the user.

        Raises
        ------
        chroma.shot.ShotError
            ``frames`` malformed or outside the shot; a saved state made with other
            settings (without ``settings_changed``).
        ChromaIOError
            Outputs exist (without ``resume`` or ``overwrite``) or would replace an input.
        """
        return plan_shot(self.shot, self.layout, self.store, frames, resume, overwrite, settings_changed)

    # -- models --------------------------------------------------------------------------
    def check_models(self) -> None:
        """Raise before any work if a checkpoint the shot needs is not in the cache.

        Nothing is checked when the runner was given a renderer.

        Raises
        ------
        render.errors.ModelNotFoundError
            A checkpoint is missing (:func:`chroma.pipeline.models.check_models`).
        """
        if self._renderer is None:
            _models.check_models(self.shot)

    def model_files(self) -> list[tuple[str, str]]:
        """List the models a run loads, with their sizes on disk (for a "loading models" line).

        Returns
        -------
        list of (str, str)
            (name, size) (:func:`chroma.pipeline.models.model_files`). Empty when the runner
            was given a renderer.
        """
        return [] if self._renderer is not None else _models.model_files(self.shot)

    def renderer(self) -> Renderer:
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

    def renderer_size(self) -> tuple[int, int]:
        """Return the frame size the shot renders at.

        Returns
        -------
        tuple of (int, int)
            (width, height) in pixels: the renderer's, else the shot's
            ``width_height``, else :class:`render.settings.RenderSettings`'s default.
        """
        if self._renderer is not None:
            w, h = self._renderer.settings.width_height
        else:
            from render.settings import RenderSettings

            w, h = self.shot.render.get("width_height", RenderSettings.width_height)
        return int(w), int(h)

    # -- the run -------------------------------------------------------------------------
    def run(self, plan: RunPlan) -> list[FrameReport]:
        """Render ``plan``; every frame is written and its state saved before the next starts.

        The Nuke script is written when the run starts (a crash at any point leaves one)
        and again when it ends. Interrupting (Ctrl-C, a kill) loses at most the frame in
        progress: :attr:`written` and :attr:`last_done` say how far it got, and
        ``--resume`` continues from there.

        Parameters
        ----------
        plan : RunPlan
            What to render (:meth:`plan`).

        Returns
        -------
        list of FrameReport
            One per frame rendered (the collapse guard may stop the run early: :attr:`stopped`).
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
        """Build the seams for ``plan`` (models loaded here) and let the loop sequence them."""
        from chroma.pipeline.inputs import ShotInputs
        from chroma.pipeline.motion import shot_motion
        from chroma.pipeline.writer import ExrFrameWriter, model_record
        from chroma.watch import ShotWatch

        renderer = self.renderer()
        inputs = ShotInputs(self.shot, self.config, renderer.settings.width_height)
        loop = frame_loop(self.shot, renderer, self._depth_fn(inputs, renderer))
        motion = shot_motion(self.shot, inputs.flows, loop.depth_fn, inputs.plate_path)
        saved = self.store.load(plan.start)
        writer = ExrFrameWriter(self.shot, self.layout, self.config, model_record(renderer.settings))
        watch = ShotWatch.from_shot(self.shot, inputs.display, inputs.plate_path)
        watch.restore(saved.watch_meta, saved.watch_arrays)
        return ShotLoop(self.shot, self.layout, loop, inputs, watch, writer, self.store, self.progress,
                        self.stop_policy, self.on_frame, self.on_step, motion).run(plan, saved.state)

    def _depth_fn(self, inputs: ShotInputs, renderer: Renderer) -> Callable[[torch.Tensor, int], torch.Tensor] | None:
        """The frame loop's depth for 3D shots: the depth sequence, or the estimator (loaded once)."""
        from chroma.pipeline.inputs import estimated_depth

        a = self.shot.animation
        if self.shot.animation_mode != "3D":
            return None
        if a.depth != "estimate":
            return inputs.plate_depth
        if self._depth_estimator is None:
            from render import depth

            self._depth_estimator = depth.load_depth_estimator(a.depth_model, device=renderer.device)
        return estimated_depth(self._depth_estimator)

    # -- the Nuke script -----------------------------------------------------------------
    def write_nuke_script(self, coming: Iterable[int] = ()) -> Path | None:
        """Write ``<stem>.nk`` beside the sequence: a Read node on the frames and a Viewer.

        The Read covers the frames on disk, ``coming`` and the frames the run in progress
        is to write (:meth:`run` writes the script when it starts, so a crash hours later
        still leaves one, and again when it ends). The Root pins the OCIO config the frames
        are written with. A script chroma did not write is never replaced (a warning says
        so). The runner's ``nuke`` writer does the writing (a farm worker's writes none).

        Parameters
        ----------
        coming : Iterable[int], optional
            Shot indices about to be written (default none).

        Returns
        -------
        Path or None
            The script, or None when there are no frames, a foreign script is in the way,
            or the runner's writer writes none.
        """
        return self.nuke.write([*coming, *self._coming])
