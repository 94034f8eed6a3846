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
from typing import Any, Callable, Mapping

import numpy as np

from chroma.coherence import Coherence
from chroma.guard import CollapseGuard, GuardEvent, blend_noise, renoise_skip_steps

__all__ = ["ShotWatch", "to_code", "from_code"]


def to_code(image: Any) -> np.ndarray:
    """A loop frame ((1, 3, H, W) or (3, H, W) tensor in [-1, 1]) as H x W x 3 display
    code values in [0, 1] (as :func:`chroma.pipeline.frame_to_scene_linear` reads it)."""
    arr = image.detach().float().cpu().numpy() if hasattr(image, "detach") else np.asarray(image, np.float32)
    arr = arr[0] if arr.ndim == 4 else arr
    return np.clip((np.transpose(arr, (1, 2, 0)) + 1.0) * 0.5, 0.0, 1.0).astype(np.float32)


def from_code(code: np.ndarray, like: Any) -> Any:
    """Display code values back to a tensor shaped, typed and placed like ``like``."""
    import torch

    t = torch.from_numpy(np.ascontiguousarray(np.transpose(code * 2.0 - 1.0, (2, 0, 1)), dtype=np.float32))
    if like.ndim == 4:
        t = t[None]
    return t.to(device=like.device, dtype=like.dtype)


class _NoiseFilter:
    """``init -> (1 - amount) init + amount noise`` (:func:`chroma.guard.blend_noise`)."""

    def __init__(self, amount: float, seed: int):
        self.amount, self.seed = amount, seed

    def __call__(self, init: Any) -> Any:
        import torch

        arr = init.detach().float().cpu().numpy()
        out = torch.from_numpy(blend_noise(arr, self.amount, self.seed))
        return out.to(device=init.device, dtype=init.dtype)


class ShotWatch:
    """The guard and coherence of one run (either may be None)."""

    def __init__(self, guard: CollapseGuard | None = None, coherence: Coherence | None = None):
        self.guard = guard
        self.coherence = coherence
        self.stop_event: GuardEvent | None = None

    @classmethod
    def from_shot(cls, shot: Any, display: Callable[[str], Any], plate_path: Callable[[int], str]) -> "ShotWatch":
        """The watch a shot asks for. ``display(path)`` reads an image as the model sees
        it ((3, H, W) in [-1, 1] at the render size); ``plate_path(index)`` names the
        plate's frame."""
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
        meta = {"guard": self.guard.to_dict() if self.guard else None}
        arrays = self.coherence.to_arrays() if self.coherence else {}
        return meta, arrays

    def restore(self, meta: Mapping[str, Any] | None, arrays: Mapping[str, np.ndarray]) -> None:
        if self.guard is not None and meta and meta.get("guard"):
            self.guard = CollapseGuard.from_dict(meta["guard"], self.guard.settings)
        if self.coherence is not None:
            self.coherence.restore(arrays)

    # -- per frame ---------------------------------------------------------------------
    def before(self, frame: Any) -> Any:
        """``frame`` (a :class:`render.animation.FrameInput`) with a renoise override applied."""
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

    def after(self, result: Any, state: Any) -> tuple[Any, Any, dict[str, Any]]:
        """Measure, then match ``result`` (and the state that feeds the next frame).

        Returns the result and state (changed in place where coherence acts) and a record
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
