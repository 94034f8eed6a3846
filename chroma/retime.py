"""Retime an image sequence with flow-based in-betweens (``chroma retime``).

Frame numbering. The input frames ``first..last`` (contiguous, at least two) are played at
``factor`` times as many frames: output frame ``k`` shows input time
``first + (k - first) / factor``, for ``k = first .. first + floor((last - first) * factor)``.
``--factor 2`` on 1001-1010 writes 1001-1019: the odd output frames 1001, 1003, ... are the
input frames 1001, 1002, ... and the even ones are halfway between. A rate change
``12:24`` is the factor ``24 / 12``; NTSC rates are exact (:func:`chroma.fps.parse_fps`).

An output frame that lands exactly on an input frame is that frame's pixels unchanged,
written in the input file's own sample type (half stays half, float stays float), so its
pixels are bit-identical. The others are in-betweens (:mod:`render.inbetween`): the flows
both ways between the two input frames around it are estimated on a display-referred copy
of their colour (the config's default display and the default view of the frames' colour
space, :func:`chroma.ocio.display_view`), where the flow estimators work best, and applied
to the scene-linear pixels: every channel (R, G, B, alpha, Z, any layer) is warped along
them and blended with occlusion weights (the forward-backward check of each flow).

Motion vectors are per frame: Nuke's ``forward`` and ``backward`` layers (``.u``/``.v``,
pixels per frame, :mod:`chroma.pipeline.motion`) are divided by the factor in every output
frame, so they stay pixels per output frame; every other channel of a copy is unchanged.
Each channel keeps its input's sample type (half colour stays half, float vectors and Z
stay float; an in-between's colour takes ``--dtype``).

Headers are kept from the nearer input frame (the earlier one at halfway), with labels
under ``chroma/retime/``: ``interpolated`` (1 for an in-between, 0 for a copy), ``from``
(the input frame or frames, ``"1001,1002"``), ``t`` (the time between them, 0 to 1) and
``factor``.

References
----------
H. Jiang et al., "Super SloMo", CVPR 2018 (the in-between blend); N. Sundaram, T. Brox,
K. Keutzer, ECCV 2010 (the forward-backward check).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Mapping

import numpy as np

from chroma import io, ocio, sequence
from chroma.errors import ChromaError, ChromaValueError, SequenceError
from chroma.fps import parse_fps
from chroma.image import Image

__all__ = ["LABEL", "MIN_FLOW_SIDE", "VECTOR_CHANNELS", "OutputFrame", "RetimePlan", "RetimeResult", "check_flow_method",
           "display_copy", "parse_factor", "plan_retime", "retime", "run_retime"]

#: Header prefix of the labels a retime writes.
LABEL = "chroma/retime/"
#: Smallest side, in pixels, the flow is estimated at (smaller frames are edge-padded to it:
#: OpenCV's DIS refuses frames under 12 px on both sides).
MIN_FLOW_SIDE = 16


def parse_factor(factor: str | float | int | Fraction | None = None, fps: str | None = None) -> Fraction:
    """The retime factor (output frames per input frame) from ``factor`` or ``fps``.

    Parameters
    ----------
    factor : str, float, int, fractions.Fraction or None, optional
        Output frames per input frame, 1 or more (``2``, ``"2.5"``, ``"5/2"``).
    fps : str or None, optional
        ``"IN:OUT"`` frame rates (``"12:24"``, ``"23.976:29.97"``); the factor is
        ``OUT / IN``. Give exactly one of ``factor`` and ``fps``.

    Returns
    -------
    fractions.Fraction
        The factor, exact.

    Raises
    ------
    chroma.errors.ChromaValueError
        Both or neither given, not a number, a rate that is not ``IN:OUT``, or a factor
        under 1 (a retime adds frames; it does not drop them).
    """
    if (factor is None) == (fps is None):
        raise ChromaValueError("give one of --factor N and --fps IN:OUT (e.g. --factor 2 or --fps 12:24)")
    if fps is not None:
        parts = str(fps).split(":")
        if len(parts) != 2:
            raise ChromaValueError(f"--fps {fps!r}: write the input and output rates as IN:OUT, e.g. 12:24")
        value = parse_fps(parts[1].strip()) / parse_fps(parts[0].strip())
        what = f"--fps {fps}"
    else:
        try:
            value = factor if isinstance(factor, Fraction) else Fraction(str(factor).strip())
        except (ValueError, ZeroDivisionError):
            raise ChromaValueError(f"--factor {factor!r} is not a number; give e.g. 2, 2.5 or 5/2") from None
        what = f"--factor {factor}"
    if value < 1:
        raise ChromaValueError(f"{what} gives {float(value):g} output frames per input frame; a retime adds frames, "
                               "so give 1 or more (e.g. --factor 2, --fps 12:24)")
    return value


@dataclass(frozen=True)
class OutputFrame:
    """One frame a retime writes.

    Attributes
    ----------
    frame : int
        Its frame number.
    path : str
        Its file.
    time : fractions.Fraction
        The input time it shows (an input frame number, or between two).
    before : int
        The input frame at or before ``time``.
    t : float
        ``time - before``, in [0, 1): 0 for a copy of ``before``.
    """

    frame: int
    path: str
    time: Fraction
    before: int
    t: float

    @property
    def is_copy(self) -> bool:
        """Whether the frame lands exactly on an input frame.

        Returns
        -------
        bool
            True for a copy of ``before``.
        """
        return self.time == self.before


@dataclass
class RetimePlan:
    """What a retime reads and writes, checked before any pixel is read.

    Attributes
    ----------
    inputs : dict of int to str
        Input frame number -> file, contiguous, in order.
    outputs : list of OutputFrame
        The frames to write, in order.
    factor : fractions.Fraction
        Output frames per input frame.
    size : tuple of (int, int)
        ``(width, height)`` of every frame, pixels.
    channels : list of str
        The channel names every input frame holds.
    """

    inputs: dict[int, str]
    outputs: list[OutputFrame]
    factor: Fraction
    size: tuple[int, int]
    channels: list[str] = field(default_factory=list)


@dataclass
class RetimeResult:
    """What :func:`run_retime` wrote.

    Attributes
    ----------
    written : list of str
        The files written, in order.
    interpolated : int
        How many of them are in-betweens.
    copied : int
        How many are input frames copied unchanged.
    note : str or None
        A line for the user about the flow (e.g. RAFT's weights missing under ``"auto"``).
    """

    written: list[str] = field(default_factory=list)
    interpolated: int = 0
    copied: int = 0
    note: str | None = None


def plan_retime(
    input: str | os.PathLike,
    output: str | os.PathLike,
    factor: Fraction,
    frames: str | None = None,
    config: str | os.PathLike | None = None,
) -> RetimePlan:
    """Plan a retime: the input frames, the output frames and their times.

    Reads the input headers only (sizes and channels must agree); writes nothing.

    Parameters
    ----------
    input : str or os.PathLike
        Input sequence pattern (``plate.####.exr``).
    output : str or os.PathLike
        Output EXR sequence pattern (``slow.####.exr``).
    factor : fractions.Fraction
        Output frames per input frame, 1 or more (:func:`parse_factor`).
    frames : str or None, optional
        The input frames to retime (``1001-1010``), a contiguous range; default all on disk.
    config : str or os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled one).

    Returns
    -------
    RetimePlan
        The plan (module docstring: frame numbering).

    Raises
    ------
    chroma.errors.SequenceError
        Input or output not a sequence pattern, fewer than two frames, or a hole in the range.
    chroma.errors.ChromaValueError
        A factor under 1, an output that is not EXR, frames of different sizes or channels.
    chroma.errors.ChromaIOError
        An input header that cannot be read.
    """
    factor = Fraction(factor)
    if factor < 1:
        raise ChromaValueError(f"the retime factor must be 1 or more, got {factor}")
    src = sequence.parse_pattern(input)
    out = sequence.parse_pattern(output)
    if not src.is_sequence:
        raise SequenceError(f"retime reads a sequence: give IN as a pattern like plate.####.exr, not {src.text!r}")
    if not out.is_sequence:
        raise SequenceError(f"retime writes a sequence: give -o as a pattern like slow.####.exr, not {out.text!r}")
    if not out.suffix.lower().endswith(".exr"):
        raise ChromaValueError(f"retime writes scene-linear EXR: give -o ending in .exr, not {out.text!r}")
    selection = sequence.select(src.text, frames)
    found = [f for f, _p in selection.items if f is not None]
    if selection.missing:
        raise SequenceError(f"frames {selection.missing} of {src.text!r} are missing: a retime needs every frame of "
                            f"its range; render or restore them, or give --frames without the hole")
    if len(found) < 2:
        raise SequenceError(f"retime needs two or more frames of {src.text!r}, found "
                            f"{sequence.format_frames(found) or 'none'}")
    holes = sequence.FrameSet([range(found[0], found[-1] + 1)]).without(found)
    if len(holes):
        raise SequenceError(f"{src.text!r} has a hole at frames {holes} in {found[0]}-{found[-1]}: a retime needs "
                            "every frame of its range; fill it, or give --frames on one side of it")
    inputs = {f: p for f, p in selection.items if f is not None}
    first = found[0]
    size: tuple[int, int] = (0, 0)
    channels: list[str] = []
    for path in inputs.values():
        head = io.header(path, config)
        here = (int(head["width"]), int(head["height"]))
        if not channels:
            size, channels = here, list(head["channels"])
        elif here != size or list(head["channels"]) != channels:
            w, h = size
            raise ChromaValueError(
                f"{path!r} is {here[0]}x{here[1]} with channels {','.join(head['channels'])} but frame {first} is "
                f"{w}x{h} with {','.join(channels)}: every frame of a retime must match")
    last_index = math.floor((found[-1] - first) * factor)
    outputs = []
    for k in range(last_index + 1):
        time = first + Fraction(k) / factor
        before = math.floor(time)
        outputs.append(OutputFrame(first + k, out.path(first + k), time, before, float(time - before)))
    return RetimePlan(inputs, outputs, factor, size, channels)


def _rgb_indices(channels: list[str]) -> list[int]:
    """The channels the flow sees: R, G, B by name, else the first three, else the first."""
    names = [c.split(".")[-1].upper() for c in channels]
    if all(c in names for c in "RGB"):
        return [names.index(c) for c in "RGB"]
    return [0, 1, 2] if len(channels) >= 3 else [0, 0, 0]


def display_copy(image: Image, config: str | os.PathLike | None = None) -> np.ndarray:
    """The display-referred RGB the flow is estimated on.

    The image's colour channels through the config's default display and the default view
    for its colour space (:func:`chroma.ocio.display_view`), clipped to [0, 1]. A frame
    without R, G, B takes its first three channels (or its one channel, as grey).

    Parameters
    ----------
    image : chroma.image.Image
        A scene-linear frame.
    config : str or os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled one).

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` float32 display code values in [0, 1].
    """
    rgb = image.pixels[..., _rgb_indices(image.channels)]
    rgba = np.concatenate([rgb, np.ones(rgb.shape[:2] + (1,), np.float32)], axis=2)  # OCIO is fastest on RGBA
    shown = ocio.display_view(rgba, image.colorspace, config=config)[..., :3]
    return np.clip(np.nan_to_num(shown, nan=0.0), 0.0, 1.0).astype(np.float32)


class _Pair:
    """Two consecutive input frames and the flows both ways between their display copies."""

    def __init__(self, a: Image, b: Image, shown_a: np.ndarray, shown_b: np.ndarray, estimator: Any):
        self.a, self.b = a, b
        h, w = shown_a.shape[:2]
        # DIS refuses frames under 12 px on both sides: tiny frames are edge-padded for the flow
        pad = ((0, max(MIN_FLOW_SIDE - h, 0)), (0, max(MIN_FLOW_SIDE - w, 0)), (0, 0))
        if any(p[1] for p in pad):
            shown_a, shown_b = np.pad(shown_a, pad, mode="edge"), np.pad(shown_b, pad, mode="edge")
        self.flow_ab = estimator(shown_a, shown_b)[:h, :w]
        self.flow_ba = estimator(shown_b, shown_a)[:h, :w]

    def frame(self, t: float) -> np.ndarray:
        from render.inbetween import inbetween, intermediate_flows, occlusion_weights

        ta, tb = intermediate_flows(self.flow_ab, self.flow_ba, t)
        va, vb = occlusion_weights(self.flow_ab, self.flow_ba, ta, tb)
        return inbetween(self.a.pixels, self.b.pixels, ta, tb, t, va, vb)


#: Channels that hold motion in pixels per frame (Nuke's motion layers), scaled by 1 / factor.
VECTOR_CHANNELS = ("forward.u", "forward.v", "backward.u", "backward.v")
_COLOUR = ("R", "G", "B", "A")


def _sample_types(image: Image) -> dict[str, str]:
    """The EXR sample type ("half" or "float") of each of an input's channels."""
    meta = image.metadata
    kinds = str(meta.get("oiio:channelformats", "")).split(",") if meta.get("oiio:channelformats") else []
    if len(kinds) != len(image.channels):
        kinds = [str(meta.get("oiio:datatype", "float"))] * len(image.channels)
    return {c: "half" if k.lower() == "half" else "float" for c, k in zip(image.channels, kinds)}


def _per_frame(image: Image, pixels: np.ndarray, factor: Fraction) -> np.ndarray:
    """``pixels`` with the motion vector channels divided by ``factor`` (a copy when any is)."""
    idx = [i for i, c in enumerate(image.channels) if c in VECTOR_CHANNELS]
    if not idx or factor == 1:
        return pixels
    out = np.array(pixels, dtype=np.float32, copy=True)
    out[..., idx] /= np.float32(factor)
    return out


def run_retime(
    plan: RetimePlan,
    *,
    flow: str = "dis",
    config: str | os.PathLike | None = None,
    write_options: Mapping[str, Any] | None = None,
    on_frame: Callable[[str], None] | None = None,
) -> RetimeResult:
    """Write the frames of a checked plan (outputs checked by the caller, e.g. ``check_outputs``).

    Parameters
    ----------
    plan : RetimePlan
        From :func:`plan_retime`.
    flow : {"dis", "auto", "raft"}, optional
        The flow estimator (:class:`render.flow.FlowEstimator`). Default ``"dis"``.
    config : str or os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled one).
    write_options : Mapping or None, optional
        :func:`chroma.io.write` options for the in-betweens (``dtype``, ``compression``,
        ``dwa_level``, ``on_invalid``); copies keep their input's sample type.
    on_frame : callable or None, optional
        Called with each path written (a progress bar's update).

    Returns
    -------
    RetimeResult
        What was written.

    Raises
    ------
    chroma.errors.ChromaError
        An input that cannot be read, or a write refused.
    """
    from render.flow import FlowEstimator

    w, h = plan.size
    estimator = FlowEstimator(flow, size=(w, h))
    options = {k: v for k, v in (write_options or {}).items() if k not in ("overwrite", "config")}
    result = RetimeResult(note=estimator.note)
    images: dict[int, Image] = {}
    shown: dict[int, np.ndarray] = {}
    pair: _Pair | None = None

    def _frame(n: int) -> Image:  # the input frames of the current pair stay in memory, no others
        for old in [k for k in images if k < n - 1]:
            images.pop(old)
            shown.pop(old, None)
        if n not in images:
            images[n] = io.read(plan.inputs[n], config=config)
        return images[n]

    def _show(n: int) -> np.ndarray:
        if n not in shown:
            shown[n] = display_copy(_frame(n), config)
        return shown[n]

    factor = f"{plan.factor.numerator}/{plan.factor.denominator}" if plan.factor.denominator != 1 else str(plan.factor)
    for out in plan.outputs:
        a = _frame(out.before)
        labels: dict[str, Any] = {f"{LABEL}factor": factor, f"{LABEL}t": float(out.t)}
        kinds = _sample_types(a)
        if out.is_copy:
            labels.update({f"{LABEL}interpolated": 0, f"{LABEL}from": str(out.before)})
            copy = Image(_per_frame(a, a.pixels, plan.factor), list(a.channels), a.colorspace, dict(a.metadata))
            types = set(kinds.values())
            one = types.pop() if len(types) == 1 else None  # one type for all: the file's own (half stays half)
            io.write(copy, out.path, dtype=one or "float", channel_dtypes=None if one else kinds,  # type: ignore[arg-type]
                     compression=options.get("compression", "zip"), dwa_level=options.get("dwa_level"),
                     metadata=labels, overwrite=True, config=config)
            result.copied += 1
        else:
            b = _frame(out.before + 1)
            if pair is None or pair.a is not a or pair.b is not b:
                pair = _Pair(a, b, _show(out.before), _show(out.before + 1), estimator)
            pixels = _per_frame(a, pair.frame(out.t), plan.factor)
            near = a if out.t <= 0.5 else b
            image = Image(pixels, list(a.channels), a.colorspace, dict(near.metadata))
            labels.update({f"{LABEL}interpolated": 1, f"{LABEL}from": f"{out.before},{out.before + 1}"})
            data = {c: "float" for c, k in kinds.items() if k == "float" and c not in _COLOUR}  # vectors, Z stay float
            io.write(image, out.path, metadata=labels, overwrite=True, config=config, channel_dtypes=data or None,
                     **options)
            result.interpolated += 1
        result.written.append(out.path)
        if on_frame is not None:
            on_frame(out.path)
    return result


def retime(
    input: str | os.PathLike,
    output: str | os.PathLike,
    factor: str | float | int | Fraction | None = None,
    *,
    fps: str | None = None,
    frames: str | None = None,
    flow: str = "dis",
    overwrite: bool = False,
    config: str | os.PathLike | None = None,
    write_options: Mapping[str, Any] | None = None,
    progress: bool | None = None,
) -> RetimeResult:
    """Retime a sequence: plan, check every output, then write (module docstring).

    Parameters
    ----------
    input : str or os.PathLike
        Input sequence pattern (``plate.####.exr``).
    output : str or os.PathLike
        Output EXR sequence pattern.
    factor : str, float, int, fractions.Fraction or None, optional
        Output frames per input frame, 1 or more; or give ``fps``.
    fps : str or None, optional
        ``"IN:OUT"`` frame rates instead of ``factor`` (``"12:24"``).
    frames : str or None, optional
        The input frames to retime, a contiguous range; default all on disk.
    flow : {"dis", "auto", "raft"}, optional
        The flow estimator. Default ``"dis"``.
    overwrite : bool, optional
        Replace outputs that exist (never an input). Default False.
    config : str or os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled one).
    write_options : Mapping or None, optional
        :func:`chroma.io.write` options for the in-betweens.
    progress : bool or None, optional
        A progress bar on stderr: None (default) when it is a terminal.

    Returns
    -------
    RetimeResult
        What was written.

    Raises
    ------
    chroma.errors.ChromaError
        Any refusal of :func:`parse_factor`, :func:`plan_retime` or
        :func:`chroma.io.check_outputs`, before anything is written.
    """
    from chroma.progress import Progress

    plan = plan_retime(input, output, parse_factor(factor, fps), frames, config)
    check_flow_method(flow, plan.size)
    io.check_outputs([o.path for o in plan.outputs], list(plan.inputs.values()), overwrite=overwrite,
                     create_folders=True, images=True)
    with Progress(len(plan.outputs), "retiming", enabled=progress) as bar:
        return run_retime(plan, flow=flow, config=config, write_options=write_options,
                          on_frame=lambda _p: bar.update())


def check_flow_method(flow: str, size: tuple[int, int]) -> None:
    """Check the flow method before any work (RAFT's weights, frame size).

    Parameters
    ----------
    flow : {"dis", "auto", "raft"}
        The flow estimator.
    size : tuple of (int, int)
        ``(width, height)`` of the frames, pixels.

    Raises
    ------
    chroma.errors.ChromaValueError
        An unknown method, RAFT without its weights or on frames too small for it.
    """
    try:
        from render.flow import resolve_method
    except ImportError:  # pragma: no cover - the renderer's extra is not installed
        raise ChromaValueError("chroma retime needs OpenCV and the renderer's flow: "
                               "pip install 'chroma-vfx[render]'") from None
    try:
        resolve_method(flow, size=size)
    except ChromaError:
        raise
    except Exception as exc:  # render's errors carry a one-line message
        raise ChromaValueError(str(exc)) from None
