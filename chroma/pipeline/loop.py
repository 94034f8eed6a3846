"""The shot loop: sequences the seams, frame by frame, and nothing else.

For every frame of a plan: the frame's settings (:meth:`chroma.shot.Shot.frame`) ->
its inputs (:class:`chroma.pipeline.inputs.ShotInputs`) -> the watch's renoise
(:meth:`chroma.watch.ShotWatch.before`) -> one step of :class:`render.animation.FrameLoop`
-> the watch's measures and matching -> the frame writer (frames the plan writes) -> the
state store (state saved, then the run log) -> the report -> the stop policy. A frame is
written and its state saved before the next starts, so an interrupted run loses at most
the frame in progress.

With ``[animation] cadence = N > 1`` the loop goes key frame to key frame
(:mod:`render.cadence`): a segment ``k0 .. k1`` renders key ``k1`` from ``k0``'s state
(moved by the cameras of every frame between), writes the frames between
(:meth:`render.animation.FrameLoop.between`) and ``k1`` through the same frame writer,
then saves ``k1``'s state: states exist after key frames only, and an interrupted run
loses at most the segment in progress.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from chroma.pipeline.runlog import FrameReport

if TYPE_CHECKING:
    import torch

    from chroma.pipeline.inputs import ShotInputs
    from chroma.pipeline.layout import ShotLayout
    from chroma.pipeline.motion import ShotMotion
    from chroma.pipeline.plan import RunPlan
    from chroma.pipeline.store import StateStore
    from chroma.pipeline.writer import FrameWriter
    from chroma.shot import FrameSpec, Shot
    from chroma.watch import ShotWatch
    from render.animation import FrameLoop, FrameResult, LoopState
    from render.renderer import Renderer, RenderStep
    from render.settings import RenderSettings

__all__ = ["GuardStop", "RunProgress", "ShotLoop", "StopPolicy", "frame_loop", "frame_settings"]


@dataclass
class RunProgress:
    """How far a run got, updated as each frame finishes (read after an interrupt too).

    Attributes
    ----------
    written : list of int
        Shot indices written so far.
    last_done : int
        The last shot index whose state is saved (-1: none).
    stopped : str or None
        Why the stop policy stopped the run (None: it did not).
    """

    written: list[int] = field(default_factory=list)
    last_done: int = -1
    stopped: str | None = None


class StopPolicy(Protocol):
    """Decides, after each frame, whether the run stops."""

    def stop(self, watch: ShotWatch, report: FrameReport) -> str | None:
        """Return why the run stops after a frame.

        Parameters
        ----------
        watch : chroma.watch.ShotWatch
            The run's watch.
        report : FrameReport
            The frame just finished.

        Returns
        -------
        str or None
            Why the run stops; None when it goes on.
        """


class GuardStop:
    """Stop when the collapse guard's action is ``stop`` and it fired (:mod:`chroma.guard`)."""

    def stop(self, watch: ShotWatch, report: FrameReport) -> str | None:
        """Return why the run stops after a frame.

        Parameters
        ----------
        watch : chroma.watch.ShotWatch
            The run's watch (its ``stop_event`` is set when the guard stopped the shot).
        report : FrameReport
            The frame just finished.

        Returns
        -------
        str or None
            The collapse guard's reason, or None.
        """
        if watch.stop_event is None:
            return None
        return f"the collapse guard stopped the shot after frame {report.file_frame}: {watch.stop_event.reason()}"


def frame_settings(spec: FrameSpec) -> RenderSettings:
    """Build a frame's render settings from its evaluated values.

    Parameters
    ----------
    spec : chroma.shot.FrameSpec
        The frame.

    Returns
    -------
    render.settings.RenderSettings
        The settings.

    Raises
    ------
    chroma.shot.ShotError
        A value is outside its domain (the message names the frame).
    """
    from chroma.shot import ShotError
    from render.errors import RenderError
    from render.settings import RenderSettings

    try:
        return RenderSettings(**spec.render)
    except RenderError as e:
        raise ShotError(f"frame {spec.file_frame}: {e}") from None


def frame_loop(shot: Shot, renderer: Renderer,
               depth_fn: Callable[[torch.Tensor, int], torch.Tensor] | None) -> FrameLoop:
    """Build the animation loop a shot's ``[animation]`` asks for.

    Parameters
    ----------
    shot : chroma.shot.Shot
        The shot.
    renderer : render.renderer.Renderer
        The renderer (models loaded once per shot).
    depth_fn : Callable or None
        ``depth_fn(image, index) -> (H, W)`` depth for 3D shots; None otherwise.

    Returns
    -------
    render.animation.FrameLoop
        The loop; a Video shot's with Disco Diffusion 5.7's flow warp when
        ``video_init_flow_warp`` is on (the flows come with each frame's inputs).
    """
    from render.animation import FrameLoop

    a = shot.animation
    return FrameLoop(
        renderer, shot.animation_mode, border=a.border, padding_mode=a.padding_mode,
        sampling_mode=a.sampling_mode, turbo_mode=a.turbo_mode, turbo_steps=a.turbo_steps,
        turbo_preroll=a.turbo_preroll, horizontal_symmetry=a.use_horizontal_symmetry,
        vertical_symmetry=a.use_vertical_symmetry, transformation_percent=a.transformation_percent,
        depth_fn=depth_fn, flow_warp=a.video_init_flow_warp, flow_blend=a.video_init_flow_blend,
    )


class ShotLoop:
    """Render a plan frame by frame through the seams.

    Parameters
    ----------
    shot : chroma.shot.Shot
        The shot.
    layout : chroma.pipeline.layout.ShotLayout
        Its files (whether a frame to replace exists).
    loop : render.animation.FrameLoop
        The animation loop (warps, turbo, the renderer).
    inputs : chroma.pipeline.inputs.ShotInputs
        The shot's inputs.
    watch : chroma.watch.ShotWatch
        The collapse guard and colour coherence, restored from the saved state.
    writer : chroma.pipeline.writer.FrameWriter
        Writes the frames the plan writes.
    store : chroma.pipeline.store.StateStore
        Saves the state after each frame, and the run log.
    progress : RunProgress
        Updated as each frame finishes.
    stop : StopPolicy, optional
        Whether to stop after a frame (default :class:`GuardStop`).
    on_frame : Callable[[FrameReport], None] or None, optional
        Called with each frame's report.
    on_step : Callable[[render.renderer.RenderStep], None] or None, optional
        Called with each sampling step.
    motion : chroma.pipeline.motion.ShotMotion or None, optional
        The motion vectors of each frame written, given to the writer (None: none).
    """

    def __init__(self, shot: Shot, layout: ShotLayout, loop: FrameLoop, inputs: ShotInputs, watch: ShotWatch,
                 writer: FrameWriter, store: StateStore, progress: RunProgress, stop: StopPolicy | None = None,
                 on_frame: Callable[[FrameReport], None] | None = None,
                 on_step: Callable[[RenderStep], None] | None = None, motion: ShotMotion | None = None):
        self.shot = shot
        self.layout = layout
        self.loop = loop
        self.inputs = inputs
        self.watch = watch
        self.writer = writer
        self.store = store
        self.progress = progress
        self.stop = stop if stop is not None else GuardStop()
        self.on_frame = on_frame
        self.on_step = on_step
        self.motion = motion

    def run(self, plan: RunPlan, state: LoopState) -> list[FrameReport]:
        """Render the frames of ``plan`` from ``state``.

        Parameters
        ----------
        plan : chroma.pipeline.plan.RunPlan
            What to render and write.
        state : render.animation.LoopState
            The state after frame ``plan.start``.

        Returns
        -------
        list of FrameReport
            One per frame rendered (fewer when the stop policy stopped the run).
        """
        if getattr(getattr(self.shot, "animation", None), "cadence", 1) > 1:  # stand-in shots have no [animation]
            return self._run_keys(plan, state)
        reports = []
        for index in plan.render:
            report, state = self.frame(index, state, index in plan.write, index in plan.replace)
            reports.append(report)
            if self.on_frame is not None:
                self.on_frame(report)
            why = self.stop.stop(self.watch, report)
            if why is not None:
                self.progress.stopped = why
                break
        return reports

    def _run_keys(self, plan: RunPlan, state: LoopState) -> list[FrameReport]:
        """Render ``plan`` segment by segment, key frame to key frame (cadence)."""
        from render.cadence import next_key

        reports: list[FrameReport] = []
        while state.index < plan.last:
            k1 = next_key(state.index + 1, self.shot.max_frames, self.shot.animation.cadence)
            segment, state = self.segment(state, k1, plan)
            for report in segment:
                reports.append(report)
                if self.on_frame is not None:
                    self.on_frame(report)
            why = self.stop.stop(self.watch, segment[-1])
            if why is not None:
                self.progress.stopped = why
                break
        return reports

    def segment(self, state: LoopState, key: int, plan: RunPlan) -> tuple[list[FrameReport], LoopState]:
        """Render key frame ``key`` from the previous key's state, write the frames between and it, save its state.

        Parameters
        ----------
        state : render.animation.LoopState
            The state after the previous key frame (``LoopState()`` before frame 0).
        key : int
            The next key frame (shot index).
        plan : chroma.pipeline.plan.RunPlan
            Which frames are written and replaced.

        Returns
        -------
        reports : list of FrameReport
            The frames between, then the key.
        state : render.animation.LoopState
            The state after ``key``.
        """
        from render.animation import LoopState

        first = state.index
        if key == first + 1:
            report, state = self.frame(key, state, key in plan.write, key in plan.replace)
            return [report], state
        t0 = time.perf_counter()
        specs = {i: self.shot.frame(i) for i in range(first + 1, key + 1)}
        cameras = [specs[i].camera for i in range(first + 1, key + 1)]
        spec = specs[key]
        settings = frame_settings(spec)
        frame_in = self.inputs.frame_input(spec, settings)
        if frame_in.flow is not None:  # Video with the flow warp: the plate's flows composed back to the last key
            from render.cadence import chain_flows

            steps = [self.inputs.flows()(i) for i in range(key, first, -1)]
            flow, reliable = chain_flows([f for f, _ in steps], [r for _, r in steps])
            frame_in = dataclasses.replace(frame_in, flow=flow, flow_reliable=reliable)
        if self.motion is not None:
            state = self.motion.prepare(state)
        result, new_state = self.loop.step(self.watch.before(frame_in), state, self.on_step, cameras=cameras)
        result, new_state, record = self.watch.after(result, new_state)
        key_seconds = time.perf_counter() - t0
        reports = []
        plates = estimator = None
        before = state  # the frame before the one written (its depth: the vectors' backward motion)
        for index in range(first + 1, key):
            t1 = time.perf_counter()
            if self.shot.animation_mode == "Video":
                plates = (self.inputs.plate01(index), self.inputs.plate01(first), self.inputs.plate01(key))
                estimator = self.inputs.flows().estimator((plates[0].shape[1], plates[0].shape[0]))
            between = self.loop.between(index, state, new_state, cameras, plates, estimator)
            after = LoopState(index=index, prev=between.image, prev_depth=between.depth)
            f0, f1 = specs[index].file_frame - index + first, specs[index].file_frame - index + key
            words = {"summary": f"in-between of {f0} and {f1}"}
            reports.append(self._written(specs[index], between, frame_settings(specs[index]), words,
                                         index in plan.write, index in plan.replace, time.perf_counter() - t1,
                                         before, after))
            before = after
        reports.append(self._written(spec, result, settings, record, key in plan.write, key in plan.replace,
                                     key_seconds, before, new_state))
        if key in plan.write or not plan.write or key < plan.write[-1]:
            # a key past the last frame asked for and not written keeps no state: --resume would skip it
            self._save(new_state, spec.file_frame, reports[-1])
        for report in reports:
            self.store.log(report)
        return reports, new_state

    def _written(self, spec: FrameSpec, result: FrameResult, settings: RenderSettings, record: Mapping[str, Any],
                 write: bool, replace: bool, seconds: float, before: LoopState | None = None,
                 after: LoopState | None = None) -> FrameReport:
        """Write a finished frame if asked (through the frame writer, with its motion vectors) and report it.

        ``before`` and ``after`` are the loop states of the frames before and after it, which
        the motion vectors are made from (None: no vectors).
        """
        path = retained = None
        index = spec.index
        if write:
            if replace and self.layout.path(index).exists():
                retained = self.writer.retain(index)
            vectors = None
            if self.motion is not None and before is not None and after is not None:
                vectors = self.motion.channels(index, before, after)
            path = str(self.writer.write(spec, result, settings, self.shot.settings_hash(index), record, vectors))
            self.progress.written.append(index)
        return FrameReport(index, spec.file_frame, path, seconds, result.clip_loss, result.turbo, spec.prompt_key,
                           retained, record.get("guard"), record.get("coherence"), str(record["summary"]))

    def _save(self, state: LoopState, file_frame: int, report: FrameReport) -> None:
        """Save the state after a frame with the watch's (the run log follows)."""
        watch_meta, watch_arrays = self.watch.to_state()
        self.store.save(state, {"frame": file_frame, "settings_hash": self.shot.settings_hash(state.index),
                                "watch": watch_meta}, watch_arrays)
        self.progress.last_done = state.index

    def frame(self, index: int, state: LoopState, write: bool, replace: bool) -> tuple[FrameReport, LoopState]:
        """Render one frame, write it if asked, save the state after it and log it.

        Parameters
        ----------
        index : int
            Shot index, ``state.index + 1``.
        state : render.animation.LoopState
            The state after the previous frame.
        write : bool
            Write the frame (else it is rendered only to reach a later one).
        replace : bool
            Its existing output moves to ``retained/`` first.

        Returns
        -------
        report : FrameReport
            What happened.
        state : render.animation.LoopState
            The state after this frame.
        """
        t0 = time.perf_counter()
        spec = self.shot.frame(index)
        settings = frame_settings(spec)
        frame_in = self.inputs.frame_input(spec, settings)
        before = state = state if self.motion is None else self.motion.prepare(state)
        result, state = self.loop.step(self.watch.before(frame_in), state, self.on_step)
        result, state, record = self.watch.after(result, state)
        report = self._written(spec, result, settings, record, write, replace, 0.0, before, state)
        report = dataclasses.replace(report, seconds=time.perf_counter() - t0)
        self._save(state, spec.file_frame, report)
        self.store.log(report)
        return report, state
