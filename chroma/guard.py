"""The collapse guard: notice when an animation slides into one flat colour, and react.

A long frame-to-frame animation (Disco Diffusion's 2D/3D modes) feeds every frame back as
the next one's init; when the feedback wins over the guidance, the frames lose contrast,
colour variety and detail until the shot is one solid colour. The guard measures three
things on every display-referred frame, in OKLab [1] (perceptually even lightness and
chroma), and compares them with the shot's own early frames:

- **lightness spread**: the standard deviation of OKLab L over the frame's pixels;
- **chroma spread** (hue variety): the spread of the pixels' chromaticity, OKLab a and b
  divided by the pixel's own L (at least :data:`L_FLOOR`),
  ``sqrt(var(a / L) + var(b / L))``. Shading one colour (a lightness gradient, a
  vignette: linear light times a factor per pixel) scales L, a and b of a pixel alike, so
  a frame of one hue, however lit, has none; a frame of red and green has plenty;
- **detail**: the mean magnitude of the gradient of the lightness's fine structure,
  ``mean(hypot(dH/dx, dH/dy))`` with ``H = L - box(L)``, L less its mean over a square
  window of :data:`DETAIL_WINDOW` of the frame's shorter side
  (:func:`scipy.ndimage.uniform_filter`; forward differences, per pixel). A linear
  lightness ramp is its own local mean and a vignette nearly so: smooth shading is not
  detail.

The lightness spread and the detail are divided by the frame's mean lightness (at least
:data:`L_FLOOR`) before they are compared; the chroma spread is a ratio already. OKLab's
cube root makes L, a and b homogeneous of degree 1/3 in linear light, so a frame k times
darker in light has its spreads and gradients scaled by exactly the factor its mean L is
scaled by: divided by the mean, the measures do not change with exposure, and a
sequence that gets darker while staying detailed is not a collapse. (A fade to black is
reported once the lightness is under :data:`L_FLOOR`, i.e. near black.)

The reference is the median of each normalised measure over the first ``warmup`` frames
the guard sees. Collapse is the loss of hue variety and detail, whatever the lightness
does: a frame is *low* when its chroma and its detail are both below their ratios of
the reference (a zoom that enlarges the texture lowers the detail alone, a prompt
towards black-and-white the chroma alone; a collapse into one flat colour, or into one
hue with a lightness gradient or a vignette, lowers both). The lightness spread, which
such a gradient keeps high, counts only in place of one of those two that is left out:
a measure whose ratio is 0, or whose reference is below :data:`MIN_REFERENCE` (the
chroma of a monochrome shot). After ``frames`` low frames in a row the guard *fires*
with the shot's action: ``warn``, ``renoise`` (see :meth:`CollapseGuard.renoise`) or
``stop``.

Everything here is numpy on (..., 3) display code values in [0, 1] (the sRGB-encoded
frames the renderer draws, or PNG/JPEG frames as they are); the state of a guard is a
JSON-able dict (:meth:`CollapseGuard.to_dict`), saved with the shot's loop state so a
resumed run continues exactly.

References:
    [1] B. Ottosson, "A perceptual color space for image processing", 2020,
        https://bottosson.github.io/posts/oklab/ (through :mod:`chroma.oklab`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from chroma.errors import ChromaValueError
from chroma.oklab import linear_srgb_to_oklab, srgb_decode

__all__ = [
    "MEASURES", "COLLAPSE", "ACTIONS", "L_FLOOR", "MIN_REFERENCE", "DETAIL_WINDOW", "display_to_oklab",
    "frame_measures", "detail_window", "normalised", "decisive",
    "GuardSettings", "GuardEvent", "Renoise", "CollapseGuard", "renoise_skip_steps", "blend_noise", "schedule_at",
]

MEASURES = ("lightness", "chroma", "detail")
"""The measures compared with the early frames (keys of :func:`normalised`)."""
COLLAPSE = ("chroma", "detail")
"""The measures whose loss is a collapse (:func:`decisive`); lightness stands in for one left out."""
ACTIONS = ("warn", "renoise", "stop")
L_FLOOR = 0.1
"""OKLab L below which the measures are no longer divided by the mean lightness (about
linear Y 0.001, an sRGB code value of 3/255): darker frames count as losing detail."""
MIN_REFERENCE = {"lightness": 0.02, "chroma": 0.02, "detail": 0.001}
"""A normalised reference below this (e.g. the chroma spread of a monochrome shot) is too
small to compare with; that measure is left out. The detail's floor is lower: a gradient
per pixel shrinks with the resolution (1280 x 768 frames of smooth noise, Gaussian scales of
8, 20 and 50 pixels, have 0.012)."""
DETAIL_WINDOW = 1 / 8
"""The detail's local mean is over a square window of this fraction of the frame's shorter
side (odd, at least 3 pixels): shading smoother than that is not detail."""


def display_to_oklab(code: Any) -> np.ndarray:
    """Convert display code values to OKLab: sRGB-decoded, then linear sRGB -> OKLab.

    Parameters
    ----------
    code : array_like
        (..., 3) display code values in [0, 1] (clipped to it), sRGB-encoded.

    Returns
    -------
    numpy.ndarray
        (..., 3) float32 OKLab: L in [0, 1] (1 for display white), a and b.

    References
    ----------
    IEC 61966-2-1:1999 (the sRGB transfer function); B. Ottosson, "A perceptual color
    space for image processing", 2020.
    """
    arr = np.clip(np.asarray(code, dtype=np.float32), 0.0, 1.0)
    return linear_srgb_to_oklab(srgb_decode(arr))


def frame_measures(code: Any) -> dict[str, float]:
    """Measure one frame as the guard does.

    Parameters
    ----------
    code : array_like
        Display code values, H x W x 3 in [0, 1], H and W at least 2.

    Returns
    -------
    dict[str, float]
        ``lightness_spread`` (std of OKLab L), ``chroma_spread`` (``sqrt(var(a / L) +
        var(b / L))``, L at least :data:`L_FLOOR` per pixel), ``detail`` (mean ``|grad
        H|`` per pixel, forward differences, ``H`` = L less its mean over a window of
        :data:`DETAIL_WINDOW` of the shorter side), and ``mean_L``, ``mean_a``, ``mean_b``
        (the frame's OKLab mean, for drift); OKLab units, the chroma spread a ratio.

    Raises
    ------
    chroma.errors.ChromaValueError
        Not an H x W x 3 array of at least 2 x 2 pixels.
    """
    from scipy import ndimage

    arr = np.asarray(code)
    if arr.ndim != 3 or arr.shape[2] != 3 or min(arr.shape[:2]) < 2:
        raise ChromaValueError(f"a frame must be H x W x 3 with H, W >= 2, got shape {arr.shape}")
    lab = display_to_oklab(arr).astype(np.float64)
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    lit = np.maximum(L, L_FLOOR)
    fine = L - ndimage.uniform_filter(L, detail_window(L.shape), mode="nearest")
    dx = np.diff(fine, axis=1)[:-1, :]
    dy = np.diff(fine, axis=0)[:, :-1]
    return {
        "lightness_spread": float(L.std()),
        "chroma_spread": float(math.sqrt((a / lit).var() + (b / lit).var())),
        "detail": float(np.hypot(dx, dy).mean()),
        "mean_L": float(L.mean()),
        "mean_a": float(a.mean()),
        "mean_b": float(b.mean()),
    }


def detail_window(shape: Sequence[int]) -> int:
    """Give the side of the detail's local-mean window for a frame of ``shape``.

    Parameters
    ----------
    shape : Sequence[int]
        The frame's (height, width, ...), in pixels.

    Returns
    -------
    int
        :data:`DETAIL_WINDOW` of the shorter side, rounded to an odd number of pixels,
        at least 3.
    """
    return max(3, int(round(min(shape[0], shape[1]) * DETAIL_WINDOW)) | 1)


def normalised(m: Mapping[str, float]) -> dict[str, float]:
    """Give the measures the guard compares, exposure-invariant.

    The lightness spread and the detail are divided by ``max(mean_L, L_FLOOR)``; the
    chroma spread, a spread of ratios a / L and b / L, is taken as it is.

    Parameters
    ----------
    m : Mapping[str, float]
        Raw measures from :func:`frame_measures`.

    Returns
    -------
    dict[str, float]
        ``lightness``, ``chroma`` and ``detail`` (:data:`MEASURES`), exposure-invariant
        (dimensionless ratios of OKLab units).
    """
    level = max(m["mean_L"], L_FLOOR)
    return {"lightness": m["lightness_spread"] / level, "chroma": m["chroma_spread"],
            "detail": m["detail"] / level}


def decisive(used: Sequence[str]) -> list[str]:
    """Give the measures whose being low together makes a frame low.

    Collapse is the loss of hue variety and detail: ``chroma`` and ``detail``
    (:data:`COLLAPSE`). ``lightness``, which a smooth one-hue gradient or vignette keeps
    high, stands in for one of them that is not in use (ratio 0, or a reference below
    :data:`MIN_REFERENCE`, such as the chroma of a monochrome shot).

    Parameters
    ----------
    used : Sequence[str]
        The measures in use (names from :data:`MEASURES`).

    Returns
    -------
    list[str]
        The decisive measures, in :data:`MEASURES` order; empty when none is in use.
    """
    picked = [k for k in COLLAPSE if k in used]
    if len(picked) < len(COLLAPSE) and "lightness" in used:
        picked.append("lightness")
    return [k for k in MEASURES if k in picked]


def schedule_at(schedule: float | Sequence[float], index: int) -> float:
    """Give a shot setting's value at a frame: a constant, or one value per shot frame.

    The guard's and the coherence's ``strength`` take either form (a float, or a shot
    schedule evaluated frame by frame).

    Parameters
    ----------
    schedule : float or Sequence[float]
        A constant, or the values of the shot's frames in order, in the setting's units.
    index : int
        The shot's 0-based frame index; clamped to the schedule's length (a frame before
        the first takes the first value, one past the last the last value).

    Returns
    -------
    float
        The value at ``index``, as the shot gives it.
    """
    if isinstance(schedule, (int, float)):
        return float(schedule)
    return float(schedule[min(max(index, 0), len(schedule) - 1)])


@dataclass(frozen=True)
class GuardSettings:
    """A shot's ``[guard]`` (docs/shots.md, "Collapse and coherence").

    Attributes
    ----------
    action : {"warn", "renoise", "stop"}
        What a firing does.
    warmup : int
        Frames whose measures make the reference (median); the guard never fires
        during them.
    frames : int
        Low frames in a row that fire the guard.
    ratios : Mapping[str, float]
        Per measure (``lightness``, ``chroma``, ``detail``), the fraction of the
        reference below which it counts as low; 0 leaves the measure out.
    renoise_frames : int
        Frames after a firing that ``renoise`` changes, easing back linearly.
    strength : float or Sequence[float]
        ``renoise``'s strength per shot frame (a float, or one value per frame from a
        schedule), in [0, 1].
    renoise_skip : float
        At strength s, ``frames_skip_steps`` is multiplied by ``1 - s * renoise_skip``.
    renoise_scale : float
        At strength s, ``frames_scale`` is multiplied by ``1 - s * renoise_scale``.
    renoise_noise : float
        At strength s, the init is ``(1 - w) init + w noise`` with ``w = s *
        renoise_noise`` (Gaussian noise seeded from the frame's seed).

    Raises
    ------
    chroma.errors.ChromaValueError
        An unknown action or measure, counts below 1, or renoise factors outside [0, 1].
    """

    action: str = "warn"
    warmup: int = 8
    frames: int = 3
    ratios: Mapping[str, float] = field(default_factory=lambda: {"lightness": 0.35, "chroma": 0.35, "detail": 0.35})
    renoise_frames: int = 5
    strength: float | Sequence[float] = 1.0
    renoise_skip: float = 0.5
    renoise_scale: float = 0.5
    renoise_noise: float = 0.0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ChromaValueError(f"guard action must be one of {', '.join(ACTIONS)}, got {self.action!r}")
        if self.warmup < 1 or self.frames < 1 or self.renoise_frames < 1:
            raise ChromaValueError("guard warmup, frames and renoise_frames must be at least 1")
        unknown = set(self.ratios) - set(MEASURES)
        if unknown:
            raise ChromaValueError(f"guard ratios: unknown measure {sorted(unknown)[0]!r}; use {', '.join(MEASURES)}")
        for name in ("renoise_skip", "renoise_scale", "renoise_noise"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ChromaValueError(f"guard {name} must be in [0, 1], got {getattr(self, name)}")

    def strength_at(self, index: int) -> float:
        """Give ``renoise``'s strength at a frame.

        Parameters
        ----------
        index : int
            The shot's 0-based frame index (clamped to the schedule's length).

        Returns
        -------
        float
            The strength, as the shot gives it (nominally [0, 1]).
        """
        return schedule_at(self.strength, index)


@dataclass
class GuardEvent:
    """What the guard made of one frame.

    Attributes
    ----------
    index : int
        The frame (0-based shot index, or a file frame number in :func:`scan_sequence`).
    state : str
        ``"warming up"``, ``"ok"``, ``"low"`` or ``"fired"``.
    run : int
        Low frames in a row.
    measures : dict[str, float]
        :func:`frame_measures` of the frame.
    ratios : dict[str, float or None]
        Each measure over its reference (None while warming up or left out).
    below : list[str]
        The measures under their ratio.
    fired : bool
        Whether the guard fired on this frame.
    action : str or None
        The action when it fired.
    renoise : float
        The renoise strength applied to this frame (0: none).
    """

    index: int
    state: str
    run: int
    measures: dict[str, float]
    ratios: dict[str, float | None]
    below: list[str]
    fired: bool = False
    action: str | None = None
    renoise: float = 0.0

    def summary(self, frames: int) -> str:
        """Say in a few words for a progress line what the guard saw.

        Parameters
        ----------
        frames : int
            Low frames in a row that fire the guard (:attr:`GuardSettings.frames`).

        Returns
        -------
        str
            ``guard ok``, ``guard low 2/3``, ``guard FIRED (stop: ...)``, plus the
            renoise strength when one applies.
        """
        if self.fired:
            text = f"guard FIRED ({self.action}: {self.reason()})"
        elif self.state == "low":
            text = f"guard low {self.run}/{frames}"
        else:
            text = f"guard {self.state}"
        return text + (f" renoise {self.renoise:.2f}" if self.renoise > 0 else "")

    def reason(self) -> str:
        """Say why it fired (or would): each low measure as a fraction of the early frames'.

        Returns
        -------
        str
            E.g. ``"lightness 0.21, detail 0.30 of the early frames'"``.
        """
        parts = [f"{m} {self.ratios[m]:.2f}" for m in self.below if self.ratios.get(m) is not None]
        return ", ".join(parts) + " of the early frames'" if parts else "measures low"

    def to_dict(self) -> dict[str, Any]:
        """Give the event as a flat JSON-able dict (the per-frame report's row).

        Returns
        -------
        dict[str, Any]
            ``state``, ``run``, ``fired``, ``action``, ``renoise``, ``below``, every measure
            and ``<measure>_ratio``.
        """
        return {"state": self.state, "run": self.run, "fired": self.fired, "action": self.action,
                "renoise": self.renoise, "below": list(self.below),
                **{k: v for k, v in self.measures.items()},
                **{f"{k}_ratio": v for k, v in self.ratios.items()}}


@dataclass(frozen=True)
class Renoise:
    """The override for one frame while ``renoise`` acts.

    Attributes
    ----------
    strength : float
        The strength at this frame, in [0, 1].
    scale_factor : float
        Multiplies ``frames_scale``.
    skip_factor : float
        Multiplies ``frames_skip_steps``.
    noise : float
        Weight of fresh Gaussian noise blended into the init (:func:`blend_noise`).
    noise_seed : int
        The noise's seed.
    """

    strength: float
    scale_factor: float
    skip_factor: float
    noise: float
    noise_seed: int


class CollapseGuard:
    """Tracks a shot's frames against its early ones and fires when they collapse.

    Call :meth:`observe` with every frame in order, :meth:`renoise` before rendering a
    frame to get the override a ``renoise`` firing asks for. :meth:`to_dict` /
    :meth:`from_dict` save and restore everything (JSON-able, floats exact).

    Parameters
    ----------
    settings : GuardSettings or None, optional
        The shot's ``[guard]``; default :class:`GuardSettings` ().
    """

    def __init__(self, settings: GuardSettings | None = None):
        self.settings = settings or GuardSettings()
        self.seen = 0                                  # frames observed
        self.warm: list[dict[str, float]] = []         # normalised measures of the warm-up frames
        self.reference: dict[str, float] | None = None
        self.run = 0                                   # low frames in a row
        self.fired_at: list[int] = []                  # frame indices where it fired
        self.window_start: int | None = None           # renoise: first frame it changes

    # -- state -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Save the guard's state (JSON-able; the settings are the shot's).

        Returns
        -------
        dict[str, Any]
            Frames seen, warm-up measures, reference, run, firings and the renoise window.
        """
        return {"seen": self.seen, "warm": self.warm, "reference": self.reference, "run": self.run,
                "fired_at": self.fired_at, "window_start": self.window_start}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, settings: GuardSettings | None = None) -> "CollapseGuard":
        """Restore a guard saved with :meth:`to_dict`.

        Parameters
        ----------
        data : Mapping[str, Any] or None
            The saved state; None or empty gives a fresh guard.
        settings : GuardSettings or None, optional
            The shot's ``[guard]``.

        Returns
        -------
        CollapseGuard
            A guard that continues exactly where the saved one stopped.
        """
        g = cls(settings)
        if data:
            g.seen = int(data["seen"])
            g.warm = [dict(w) for w in data["warm"]]
            g.reference = dict(data["reference"]) if data["reference"] is not None else None
            g.run = int(data["run"])
            g.fired_at = [int(i) for i in data["fired_at"]]
            g.window_start = None if data["window_start"] is None else int(data["window_start"])
        return g

    # -- per frame ---------------------------------------------------------------------
    def renoise(self, index: int, seed: int) -> Renoise | None:
        """Give the override for frame ``index`` while a ``renoise`` firing acts.

        The ``k``-th frame after the firing (k = 0 .. renoise_frames - 1) gets strength
        ``s(index) * (1 - k / renoise_frames)``: it eases back to the shot's own values.
        Deterministic: the noise seed derives from the frame's seed.

        Parameters
        ----------
        index : int
            The shot's 0-based frame index.
        seed : int
            The frame's seed (the noise seed is it modulo 2**63).

        Returns
        -------
        Renoise or None
            The override; None when no renoise acts on this frame.
        """
        st = self.settings
        if st.action != "renoise" or self.window_start is None:
            return None
        k = index - self.window_start
        if not 0 <= k < st.renoise_frames:
            return None
        s = min(max(st.strength_at(index), 0.0), 1.0) * (1.0 - k / st.renoise_frames)
        if s <= 0:
            return None
        return Renoise(s, 1.0 - s * st.renoise_scale, 1.0 - s * st.renoise_skip, s * st.renoise_noise,
                       int(seed) % (2**63))

    def observe(self, index: int, code: Any) -> GuardEvent:
        """Measure frame ``index`` and update the guard.

        Parameters
        ----------
        index : int
            The frame's 0-based index; frames must come in order.
        code : array_like
            The frame as display code values, H x W x 3 in [0, 1].

        Returns
        -------
        GuardEvent
            What the guard made of it (warming up, ok, low, fired).
        """
        st = self.settings
        m = frame_measures(code)
        n = normalised(m)
        active = self.renoise(index, 0)
        self.seen += 1
        if self.reference is None:
            self.warm.append(n)
            if len(self.warm) >= st.warmup:
                self.reference = {k: float(np.median([w[k] for w in self.warm])) for k in MEASURES}
            return GuardEvent(index, "warming up", 0, m, {k: None for k in MEASURES}, [],
                              renoise=active.strength if active else 0.0)
        used = {k: n[k] / self.reference[k] for k in MEASURES
                if st.ratios.get(k, 0.0) > 0 and self.reference[k] >= MIN_REFERENCE[k]}
        ratios: dict[str, float | None] = {k: used.get(k) for k in MEASURES}
        below = [k for k, r in used.items() if r < st.ratios[k]]
        needed = decisive(list(used))
        low = bool(needed) and all(k in below for k in needed)
        self.run = self.run + 1 if low else 0
        fired = False
        if low and self.run >= st.frames and active is None:
            fired = True
            self.fired_at.append(index)
            self.run = 0
            if st.action == "renoise":
                self.window_start = index + 1
        state = "fired" if fired else ("low" if low else "ok")
        return GuardEvent(index, state, self.run if not fired else st.frames, m, ratios, below if low else [],
                          fired, st.action if fired else None, active.strength if active else 0.0)


# ----------------------------------------------------------------------------- renoise helpers


def renoise_skip_steps(frames_skip_steps: float | str, factor: float) -> float | str:
    """Scale ``frames_skip_steps`` by ``factor``: ``"60%"`` -> ``"30%"`` at 0.5, 150 -> 75.

    Parameters
    ----------
    frames_skip_steps : float or str
        Steps skipped per frame, a count or a percentage of the steps (``"60%"``).
    factor : float
        The multiplier (:attr:`Renoise.skip_factor`).

    Returns
    -------
    float or str
        A count rounded to a whole number of steps, or a percentage string.
    """
    from render.settings import skip_percent  # the one reader of "N%" (torch-free)

    pct = skip_percent(frames_skip_steps)
    if pct is not None:
        return f"{pct * factor:.6g}%"
    return float(round(float(frames_skip_steps) * factor))


def blend_noise(init: np.ndarray, amount: float, seed: int) -> np.ndarray:
    """Blend seeded Gaussian noise into an init: ``(1 - amount) * init + amount * n``.

    ``n`` is standard Gaussian noise from ``seed``; the result is clipped to the model's
    range [-1, 1]. The same seed gives the same noise.

    Parameters
    ----------
    init : numpy.ndarray
        The init image in the model's range [-1, 1].
    amount : float
        The noise weight, in [0, 1].
    seed : int
        The noise seed (taken modulo 2**63).

    Returns
    -------
    numpy.ndarray
        The blend, float32, the shape of ``init``, in [-1, 1].
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) % (2**63), 0x6775617264]))
    noise = rng.standard_normal(init.shape, dtype=np.float32)
    out = (1.0 - amount) * init.astype(np.float32) + np.float32(amount) * noise
    return np.clip(out, -1.0, 1.0).astype(np.float32)


# ----------------------------------------------------------------------------- existing sequences


def read_display(path: str, display: str | None = None, view: str | None = None,
                 config: str | os.PathLike | None = None) -> np.ndarray:
    """A frame file as display code values (H x W x 3 in [0, 1]), as the model saw it.

    Display-referred files (sRGB PNG/JPEG, Disco Diffusion's frames) are taken as they
    are; scene-linear ones (EXR) go through the display view, by default the one recorded
    in the frame (``chroma/source_display``/``chroma/source_view``, written by ``chroma
    render``), else the config's default.

    Parameters
    ----------
    path : str
        The frame file.
    display : str or None, optional
        The OCIO display; default the frame's, else the config's.
    view : str or None, optional
        The OCIO view; default the frame's, else the display's default.
    config : str, os.PathLike or None, optional
        The OCIO config; None for chroma's default.

    Returns
    -------
    numpy.ndarray
        Display code values, float32, H x W x 3 in [0, 1].
    """
    from chroma import io, ocio

    img = io.read(path, config=config)
    display = display or img.metadata.get("chroma/source_display") or None
    view = view or img.metadata.get("chroma/source_view") or None
    code = ocio.display_view(img.rgb, img.colorspace, display, view, config=config)
    return np.clip(code, 0.0, 1.0).astype(np.float32)


def scan_sequence(pattern: str, settings: GuardSettings | None = None, *, display: str | None = None,
                  view: str | None = None, config: str | os.PathLike | None = None,
                  on_frame: Callable[[GuardEvent], Any] | None = None) -> dict[str, Any]:
    """Run a guard over the frames of ``pattern`` on disk, as it would have run live.

    Parameters
    ----------
    pattern : str
        A sequence pattern (``out/shot.####.exr``) or one file.
    settings : GuardSettings or None, optional
        The guard's settings; default :class:`GuardSettings` ().
    display : str or None, optional
        The OCIO display for scene-linear frames (:func:`read_display`).
    view : str or None, optional
        The OCIO view for scene-linear frames.
    config : str, os.PathLike or None, optional
        The OCIO config; None for chroma's default.
    on_frame : Callable[[GuardEvent], Any] or None, optional
        Called with each frame's event, in order.

    Returns
    -------
    dict[str, Any]
        ``{"fired_at": first file frame where it fired or None, "frames": {"1001": {measure:
        value, ...}, ...}, "events": [GuardEvent...]}`` (frames in file numbers;
        ``events`` for callers that print reasons).
    """
    from chroma import sequence

    guard = CollapseGuard(settings)
    frames: dict[str, Any] = {}
    events = []
    fired_at = None
    for n, (frame, path) in enumerate(sequence.expand(pattern)):
        number = frame if frame is not None else n
        event = guard.observe(n, read_display(path, display, view, config))
        event.index = number
        events.append(event)
        frames[str(number)] = {**event.measures, **{f"{k}_ratio": v for k, v in event.ratios.items()},
                               "state": event.state}
        if event.fired and fired_at is None:
            fired_at = number
        if on_frame is not None:
            on_frame(event)
    return {"fired_at": fired_at, "frames": frames, "events": events}
