"""Per-frame curves for schedulable settings and their Disco Diffusion keyframe strings.

Beat pulses, loudness and folding; the keyframe syntax is Disco Diffusion's
``"frame: (value), ..."`` with Linear interpolation (Deforum reads the same).
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

import numpy as np

from chroma.shot import ANIMATION_SCHEDULES, inactive_keys
from chroma.sync.errors import SyncError

#: camera settings that act only in 3D mode (those 2D ignores), as :func:`chroma.shot.inactive_keys` says
KEYS_3D_ONLY = frozenset(inactive_keys("2D"))
#: camera settings that act only in 2D mode (those 3D ignores: zoom, angle)
KEYS_2D_ONLY = frozenset(inactive_keys("3D"))
#: schedulable keys of the shot's [animation] table (chroma.shot's schedules, and frames_skip_steps)
ANIMATION_KEYS = frozenset(ANIMATION_SCHEDULES) | {"frames_skip_steps"}


def setting_path(param: str) -> tuple[str, str]:
    """Split a setting name into the shot table and the key it lives in.

    ``"zoom"`` -> ``("animation", "zoom")``; ``"render.clip_guidance_scale"`` ->
    ``("render", "clip_guidance_scale")``.

    Parameters
    ----------
    param : str
        A schedulable [animation] key (:data:`ANIMATION_KEYS`), or ``TABLE.KEY`` with
        TABLE ``animation`` or ``render``.

    Returns
    -------
    table : str
        ``"animation"`` or ``"render"``.
    key : str
        The key in that table.

    Raises
    ------
    SyncError
        Not a schedulable camera key and no table given.
    """
    table, dot, key = param.rpartition(".")
    if not dot:
        if key not in ANIMATION_KEYS:
            from chroma.errors import closest

            hint = closest(key, ANIMATION_KEYS)
            raise SyncError(
                f"{key!r} is not a schedulable [animation] setting{'; ' + hint if hint else ''} "
                f"(a [render] setting is written render.NAME, e.g. render.clip_guidance_scale)"
            )
        return "animation", key
    if table not in ("animation", "render") or not key.isidentifier():
        raise SyncError(f"{param!r}: write NAME for an [animation] setting or render.NAME for a [render] one")
    return table, key


def rest_value(param: str, shot_value: object = None) -> float:
    """The value of a setting between beats (what a pulse rises from).

    A plain number the shot gives for it (``shot_value``, or a single key ``"0: (1.02)"``)
    wins; else, for an [animation]
    key, 1 for ``zoom``, Disco Diffusion's defaults for ``fov`` (40), ``near_plane`` (200),
    ``far_plane`` (10000), ``frames_scale`` (1500) and 0 for the
    other camera keys.

    Parameters
    ----------
    param : str
        The setting (as :func:`setting_path` reads it).
    shot_value : object, optional
        What the shot gives for it: a number, a one-key DD schedule string, or anything
        else (ignored).

    Returns
    -------
    float
        The resting value, in the setting's own units (zoom: a scale factor per frame;
        translations: DD's pixels or 3D units; angles: degrees).

    Raises
    ------
    SyncError
        A ``render.NAME`` setting with no number in the shot (its default is the
        renderer's; give it with ``--rest`` or set it in the shot).
    """
    if isinstance(shot_value, (int, float)) and not isinstance(shot_value, bool):
        return float(shot_value)
    if isinstance(shot_value, str):  # a constant written as one DD key, "0: (1.02)"
        m = re.fullmatch(r"\s*0\s*:\s*\(\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*\)\s*", shot_value)
        if m:
            return float(m.group(1))
    table, key = setting_path(param)
    if table == "render":
        raise SyncError(
            f"{param} has no number in the shot to pulse from; give one with --rest {param}=VALUE "
            f"or set [render] {key} in the shot and use --merge-into"
        )
    return float(ANIMATION_SCHEDULES.get(key, 0.0))  # the shot's default: the camera at rest


def beat_pulses(
    beat_frames: Iterable[int], n_frames: int, amount: float, attack: int = 2, decay: int = 6, rest: float = 0.0
) -> np.ndarray:
    """Build a curve with a triangular pulse on every beat.

    ``rest`` at ``beat - attack``, ``rest + amount`` on the beat, back to ``rest`` at
    ``beat + decay`` (straight lines in frames, so DD's Linear keyframes reproduce it
    exactly); overlapping pulses take the larger value.

    Parameters
    ----------
    beat_frames : Iterable[int]
        Frame index of each beat.
    n_frames : int
        Length of the curve, frames.
    amount : float
        Height of a pulse, in the setting's units (may be negative).
    attack : int, optional
        Frames of the rise (default 2; 0 = a jump).
    decay : int, optional
        Frames of the fall (default 6; 0 = a drop right after the beat).
    rest : float, optional
        The value between pulses (default 0).

    Returns
    -------
    numpy.ndarray
        The value per frame, float64, shape (n_frames,).

    Raises
    ------
    SyncError
        ``attack`` or ``decay`` is negative.
    """
    if attack < 0 or decay < 0:
        raise SyncError(f"attack and decay are frame counts >= 0, got {attack} and {decay}")
    frames = np.arange(n_frames)
    pulse = np.zeros(n_frames)
    for b in beat_frames:
        b = int(b)
        up = np.where(frames <= b, (frames - (b - attack)) / attack if attack else (frames == b) * 1.0, 0.0)
        down = np.where(frames > b, 1.0 - (frames - b) / decay if decay else 0.0, 0.0)
        pulse = np.maximum(pulse, np.clip(np.maximum(up, down), 0.0, 1.0))
    return rest + amount * pulse


def loudness_curve(
    loudness_db: np.ndarray, low: float, high: float, smooth: int = 5, range_db: float = 40.0
) -> np.ndarray:
    """Map per-frame loudness into ``[low, high]``.

    The level (dB) is smoothed with a centred moving average of ``smooth`` frames (1 =
    none; at the ends the average is over the frames there are), then mapped linearly:
    the loudest smoothed frame -> ``high``, ``range_db`` dB below it -> ``low`` (quieter
    frames are clipped to ``low``). Silence (below -100 dB) gives ``low`` everywhere.

    Parameters
    ----------
    loudness_db : numpy.ndarray
        Level per frame, dB re full scale (:attr:`AudioAnalysis.loudness_db`).
    low : float
        The setting's value at ``range_db`` below the loudest frame and quieter.
    high : float
        The setting's value at the loudest (smoothed) frame.
    smooth : int, optional
        Frames of the centred moving average (default 5; 1 = none).
    range_db : float, optional
        Decibels below the loudest frame mapped onto ``low`` .. ``high`` (default 40).

    Returns
    -------
    numpy.ndarray
        The value per frame, float64, same shape as ``loudness_db``, in [low, high].

    Raises
    ------
    SyncError
        ``smooth`` below 1 or ``range_db`` not positive.
    """
    db = np.asarray(loudness_db, dtype=np.float64)
    if smooth < 1:
        raise SyncError(f"smoothing is a frame count >= 1, got {smooth}")
    if range_db <= 0:
        raise SyncError(f"the loudness range must be positive dB, got {range_db}")
    if db.size == 0 or float(db.max()) <= -100.0:
        return np.full(db.shape, float(low))
    if smooth > 1:
        kernel = np.ones(smooth)
        db = np.convolve(db, kernel, mode="same") / np.convolve(np.ones_like(db), kernel, mode="same")
    top = float(db.max())
    n = np.clip((db - (top - range_db)) / range_db, 0.0, 1.0)
    return low + (high - low) * n


def fold(curves: Sequence[np.ndarray], how: str = "add", rest: float = 0.0) -> np.ndarray:
    """Fold several curves for one setting into one.

    ``add``: the deviations from ``rest`` add up, ``rest + sum(c - rest)`` (for zoom,
    rest 1: a beat pulse of +0.05 on top of a loudness curve in [1, 1.02]);
    ``multiply``: the curves multiply, ``prod(c)`` (scale factors such as zoom).

    Parameters
    ----------
    curves : Sequence[numpy.ndarray]
        Per-frame curves of equal length.
    how : {"add", "multiply"}, optional
        The rule (default ``"add"``).
    rest : float, optional
        The resting value whose deviations add up (``add`` only; default 0).

    Returns
    -------
    numpy.ndarray
        The folded curve, float64.

    Raises
    ------
    SyncError
        No curves, or an unknown ``how``.
    """
    if not curves:
        raise SyncError("nothing to fold")
    arr = np.stack([np.asarray(c, dtype=np.float64) for c in curves])
    if how == "add":
        return rest + (arr - rest).sum(axis=0)
    if how == "multiply":
        return arr.prod(axis=0)
    raise SyncError(f"fold {how!r}: choose add or multiply")


def _bends(values: np.ndarray, tolerance: float) -> list[int]:
    """Keys such that linear interpolation between them stays within ``tolerance`` of
    ``values`` at every frame (Ramer-Douglas-Peucker on the vertical distance)."""
    n = values.size
    if n <= 2:
        return list(range(n))
    keep = {0, n - 1}
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j - i < 2:
            continue
        x = np.arange(i + 1, j)
        line = values[i] + (values[j] - values[i]) * (x - i) / (j - i)
        dev = np.abs(values[i + 1:j] - line)
        k = int(np.argmax(dev))
        if dev[k] > tolerance:
            m = i + 1 + k
            keep.add(m)
            stack += [(i, m), (m, j)]
    return sorted(keep)


def _num(v: float, decimals: int) -> str:
    text = f"{round(v, decimals):.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def to_keyframes(values: np.ndarray, tolerance: float = 0.0, decimals: int = 6) -> str:
    """A per-frame curve as a Disco Diffusion keyframe string, ``"0: (1), 10: (1.05), ..."``.

    Only the frames where the curve bends are written: DD's Linear interpolation between
    the keys reproduces ``values`` at every frame within ``tolerance`` (plus the rounding
    to ``decimals`` places). ``tolerance=0`` keeps every bend (exact for piecewise-linear
    curves such as :func:`beat_pulses`); a positive tolerance picks the keys with
    Ramer-Douglas-Peucker on the vertical distance.

    Parameters
    ----------
    values : numpy.ndarray
        The value per frame, shape (n_frames,), in the setting's units.
    tolerance : float, optional
        Largest deviation allowed between the curve and the interpolated keys, in the
        setting's units (default 0: exact).
    decimals : int, optional
        Decimal places written per value (default 6).

    Returns
    -------
    str
        The schedule, e.g. ``"0: (1), 10: (1.05), 16: (1)"``; the first and last frame
        are always keys.

    Raises
    ------
    SyncError
        An empty curve or one with NaN or infinite values.

    References
    ----------
    Disco Diffusion v5.x ``disco.py`` (``parse_key_frames``, ``get_inbetweens`` with
    Linear interpolation); U. Ramer, "An iterative procedure for the polygonal
    approximation of plane curves", Computer Graphics and Image Processing 1(3), 1972.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size == 0:
        raise SyncError("a schedule needs at least one frame")
    if not np.isfinite(v).all():
        raise SyncError("a schedule has NaN or infinite values")
    if tolerance > 0:
        keys = _bends(v, float(tolerance))
    else:  # exactly the frames where the slope changes
        eps = 1e-12 * max(1.0, float(np.max(np.abs(v))))
        inner = np.nonzero(np.abs(np.diff(v, 2)) > eps)[0] + 1
        keys = sorted({0, v.size - 1, *inner.tolist()})
    return ", ".join(f"{k}: ({_num(v[k], decimals)})" for k in keys)
