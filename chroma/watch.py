"""The shot runner's per-frame watch: the collapse guard and colour coherence around a frame.

:class:`ShotWatch` sits between :class:`chroma.pipeline.ShotRunner` and
:class:`render.animation.FrameLoop`:

- :meth:`ShotWatch.before` gives the frame's inputs the override a ``renoise`` firing
  asks for (lower ``frames_scale`` / ``frames_skip_steps``, fresh noise blended into the
  init through ``FrameInput.init_filter``), deterministic from the frame's seed;
- :meth:`ShotWatch.after` measures the frame the model drew (:mod:`chroma.guard`), then
  matches it to the coherence reference (:mod:`chroma.coherence`) in the loop's state,
  so the frame written and the next frame's init are the coherent one;
- :meth:`ShotWatch.to_state` / :meth:`ShotWatch.restore` save everything with the loop's
  state (JSON in the state's ``meta``, the captured reference as an array), so
  ``--resume`` continues bit-identically.

Torch is only touched through the tensors the loop hands over (imported lazily).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from chroma.coherence import Coherence
from chroma.guard import CollapseGuard, GuardEvent, blend_noise, renoise_skip_steps

if TYPE_CHECKING:
    import torch

    from chroma.shot import Shot
    from render.animation import FrameInput, FrameResult, LoopState

__all__ = ["ShotWatch", "to_code", "from_code"]


def to_code(image: torch.Tensor | np.ndarray) -> np.ndarray:
    """Convert a loop frame to display code values.

    As :func:`chroma.pipeline.frame_to_scene_linear` reads it: ``(x + 1) / 2``, clipped.

    Parameters
    ----------
    image : torch.Tensor or numpy.ndarray
        A (1, 3, H, W) or (3, H, W) frame in the model's range [-1, 1].

    Returns
    -------
    numpy.ndarray
        H x W x 3 display code values in [0, 1], float32.
    """
    arr = image.detach().float().cpu().numpy() if hasattr(image, "detach") else np.asarray(image, np.float32)
    arr = arr[0] if arr.ndim == 4 else arr
    return np.clip((np.transpose(arr, (1, 2, 0)) + 1.0) * 0.5, 0.0, 1.0).astype(np.float32)


def from_code(code: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """Convert display code values back to a tensor shaped, typed and placed like ``like``.

    The inverse of :func:`to_code` (``2 x - 1``).

    Parameters
    ----------
    code : numpy.ndarray
        H x W x 3 display code values in [0, 1].
    like : torch.Tensor
        A (1, 3, H, W) or (3, H, W) tensor whose layout, dtype and device to follow.

    Returns
    -------
    torch.Tensor
        The frame in the model's range [-1, 1].
    """
    import torch

    t = torch.from_numpy(np.ascontiguousarray(np.transpose(code * 2.0 - 1.0, (2, 0, 1)), dtype=np.float32))
    if like.ndim == 4:
        t = t[None]
    return t.to(device=like.device, dtype=like.dtype)


class _NoiseFilter:
    """``init -> (1 - amount) init + amount noise`` (:func:`chroma.guard.blend_noise`)."""

    def __init__(self, amount: float, seed: int):
        self.amount, self.seed = amount, seed

    def __call__(self, init: torch.Tensor) -> torch.Tensor:
        import torch

        arr = init.detach().float().cpu().numpy()
        out = torch.from_numpy(blend_noise(arr, self.amount, self.seed))
        return out.to(device=init.device, dtype=init.dtype)


class ShotWatch:
    """The guard and coherence of one run.

    Parameters
    ----------
    guard : CollapseGuard or None, optional
        The collapse guard; None for none.
    coherence : Coherence or None, optional
        The colour coherence; None for none.
    """

    def __init__(self, guard: CollapseGuard | None = None, coherence: Coherence | None = None):
        self.guard = guard
        self.coherence = coherence
        self.stop_event: GuardEvent | None = None

    @classmethod
    def from_shot(cls, shot: Shot, display: Callable[[str], torch.Tensor],
                  plate_path: Callable[[int], str]) -> ShotWatch:
        """Build the watch a shot's ``[guard]`` and ``[coherence]`` ask for.

        Parameters
        ----------
        shot : chroma.shot.Shot
            The shot.
        display : Callable[[str], torch.Tensor]
            ``display(path)`` reads an image as the model sees it ((3, H, W) in [-1, 1]
            at the render size).
        plate_path : Callable[[int], str]
            ``plate_path(index)`` names the plate's frame.

        Returns
        -------
        ShotWatch
            The watch; its guard or coherence is None when the shot has none.
        """
        guard = CollapseGuard(shot.guard) if getattr(shot, "guard", None) is not None else None
        coherence = None
        cs = getattr(shot, "coherence", None)
        if cs is not None:
            image = None
            if isinstance(cs.reference, str) and cs.reference != "plate":
                image = to_code(display(shot.resolve(cs.reference)))
            coherence = Coherence(cs, image=image, plate=lambda i: to_code(display(plate_path(i))))
        return cls(guard, coherence)

    # -- state -------------------------------------------------------------------------
    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Save the watch with the loop's state.

        Returns
        -------
        meta : dict[str, Any]
            JSON-able: the guard's state (:meth:`CollapseGuard.to_dict`) or None.
        arrays : dict[str, numpy.ndarray]
            The coherence reference captured from the shot, if any.
        """
        meta = {"guard": self.guard.to_dict() if self.guard else None}
        arrays = self.coherence.to_arrays() if self.coherence else {}
        return meta, arrays

    def restore(self, meta: Mapping[str, Any] | None, arrays: Mapping[str, np.ndarray]) -> None:
        """Load what :meth:`to_state` saved, so a resumed run continues bit-identically.

        Parameters
        ----------
        meta : Mapping[str, Any] or None
            The saved ``meta``.
        arrays : Mapping[str, numpy.ndarray]
            The saved arrays.
        """
        if self.guard is not None and meta and meta.get("guard"):
            self.guard = CollapseGuard.from_dict(meta["guard"], self.guard.settings)
        if self.coherence is not None:
            self.coherence.restore(arrays)

    # -- per frame ---------------------------------------------------------------------
    def before(self, frame: FrameInput) -> FrameInput:
        """Apply a renoise override to a frame's inputs.

        Parameters
        ----------
        frame : render.animation.FrameInput
            The frame about to be rendered.

        Returns
        -------
        render.animation.FrameInput
            ``frame`` itself when no renoise acts; else a copy with ``frames_scale`` and
            ``frames_skip_steps`` scaled and, with noise, an ``init_filter`` blending it in.
        """
        ov = self.guard.renoise(frame.index, frame.seed) if self.guard is not None else None
        if ov is None:
            return frame
        changes: dict[str, Any] = {
            "frames_scale": float(frame.frames_scale) * ov.scale_factor,
            "frames_skip_steps": renoise_skip_steps(frame.frames_skip_steps, ov.skip_factor),
        }
        if ov.noise > 0:
            changes["init_filter"] = _NoiseFilter(ov.noise, ov.noise_seed)
        return dataclasses.replace(frame, **changes)

    def after(self, result: FrameResult, state: LoopState) -> tuple[FrameResult, LoopState, dict[str, Any]]:
        """Measure, then match ``result`` (and the state that feeds the next frame).

        Parameters
        ----------
        result : render.animation.FrameResult
            The frame the model drew.
        state : render.animation.LoopState
            The loop's state; its ``prev`` is replaced by the matched frame.

        Returns
        -------
        result : render.animation.FrameResult
            The result, its image replaced where coherence acts.
        state : render.animation.LoopState
            The state, changed in place likewise.
        record : dict[str, Any]
            ``{"guard": {...}, "coherence": {...}, "summary": "guard ok, drift 0.012"}``.
        """
        record: dict[str, Any] = {}
        words = []
        image = result.image
        code = to_code(image)
        if self.guard is not None:
            event = self.guard.observe(result.index, code)
            record["guard"] = event.to_dict()
            words.append(event.summary(self.guard.settings.frames))
            if event.fired and event.action == "stop":
                self.stop_event = event
        if self.coherence is not None:
            out, info = self.coherence.apply(result.index, code)
            if out is not code:
                new = from_code(out, image)
                if state.prev is image:
                    state.prev = new
                result.image = new
            record["coherence"] = info
            if info is not None:
                words.append(f"drift {info['drift']:.4f}" + (f"->{info['drift_after']:.4f}"
                                                             if info["drift_after"] != info["drift"] else ""))
        record["summary"] = ", ".join(words)
        return result, state, record
