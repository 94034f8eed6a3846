"""Per-frame keyframe schedules: numbers, Disco Diffusion keyframes and Deforum math.

An animated shot gives every schedulable setting (``zoom``, ``angle``, ``frames_scale``,
a guidance scale...) in one of three forms; :func:`evaluate` turns each into one value
per frame, ``values[i]`` for frame ``i`` in ``0 .. max_frames - 1``:

- a number: the same value at every frame (``1.02``, or the string ``"1.02"``);
- Disco Diffusion v5's keyframes, ``"0: (1.02), 120: (1.05)"``: ``frame: (value)``
  pairs, interpolated with ``interp_spline`` (``Linear``, ``Quadratic``, ``Cubic``);
- Deforum's math, ``"0: (1.0025+0.002*sin(1.25*3.14*t/30))"``: a key whose value is an
  expression in ``t`` (the frame), ``max_f`` (``max_frames - 1``) and ``s`` (the seed),
  plus the constants ``pi`` and ``e``.

The rules are the two tools' own (``get_inbetweens`` in Disco Diffusion's ``disco.py``
and in Deforum's ``animation_key_frames.py``):

1. A key whose value is a plain number sets that frame. A key whose value is an
   expression is evaluated at every frame from that key up to the next key (to the last
   frame after the last key); those frames are then fixed, like keys.
2. The first frame takes the value of the first set frame and the last frame the value
   of the last set frame, *before* interpolating: they act as keys, so the value is held
   before the first key and after the last one.
3. The frames still unset are interpolated through all set frames: ``Linear`` is
   piecewise linear; ``Quadratic`` and ``Cubic`` are the interpolating B-splines of
   degree 2 and 3 (not-a-knot), which is what pandas' ``Series.interpolate`` computes
   through SciPy. ``Cubic`` falls back to ``Quadratic`` with 3 keys or fewer and
   ``Quadratic`` to ``Linear`` with 2 keys or fewer (counting the keys written, not the
   frames an expression fills).

Expressions are checked before anything runs: the syntax tree may hold only numbers,
the names above, the functions in :data:`FUNCTIONS`, arithmetic (``+ - * / % **``),
comparisons and ``& | ~``; everything else (attribute access, subscripts, ``__import__``,
strings, lambdas) is refused. Checked expressions run on numexpr, as in Deforum, with
their integer literals written as floats (so ``9**9**9`` overflows at once instead of
building a huge Python integer); Python's ``eval`` is never used.

Differences from the tools, on purpose: malformed strings, keys beyond ``max_frames``,
repeated keys and values that are not finite are refused with a one-line
:class:`~render.errors.KeyframeError` (Disco Diffusion's regular expression skips what
it cannot read, and a key beyond the end lengthens the series). A value counts as a plain
number when it reads as a decimal number, exponent and surrounding spaces allowed
(Disco Diffusion's rule); Deforum's own test accepts no exponent or spaces and evaluates
such a value as a constant expression, held instead of interpolated.

References
----------
- Disco Diffusion v5.x, ``disco.py``: ``parse_key_frames``, ``get_inbetweens``
  (github.com/alembics/disco-diffusion).
- Deforum, ``animation_key_frames.py``: ``FrameInterpolator.get_inbetweens``
  (github.com/deforum-art/sd-webui-deforum).
- pandas ``Series.interpolate(method=..., limit_direction="both")``; SciPy
  ``interpolate.make_interp_spline`` (what ``interp1d(kind="quadratic"|"cubic")`` uses).
"""

from __future__ import annotations

import ast
import difflib
import math
import numbers
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from render.errors import KeyframeError

__all__ = [
    "FUNCTIONS",
    "INTERP_SPLINES",
    "NAMES",
    "KeyframeError",
    "evaluate",
    "frame_number",
    "is_schedule_string",
    "parse_keyframes",
]

INTERP_SPLINES: tuple[str, ...] = ("Linear", "Quadratic", "Cubic")
"""Disco Diffusion's ``interp_spline`` choices."""

NAMES: tuple[str, ...] = ("t", "max_f", "s", "pi", "e")
"""Names an expression may use: frame, last frame (``max_frames - 1``), seed, constants."""

FUNCTIONS: frozenset[str] = frozenset(
    """sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh arcsinh arccosh arctanh
    exp expm1 log log10 log1p log2 sqrt abs where floor ceil round trunc sign fmod
    hypot copysign minimum maximum""".split()
)
"""Element-wise numexpr functions an expression may call (numexpr's reductions
``sum``/``prod``/``min``/``max`` are left out: they would reduce over frames)."""

# Frame numbers may be written as expressions too (Deforum: ``"max_f-1": (s)``).
_FRAME_NAMES = ("max_f", "s", "pi", "e")

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_EXPECTED = "expected 'frame: (value), ...'"
_EXAMPLE = "e.g. '0: (1.02), 120: (1.05)' or '0: (1.0025+0.002*sin(1.25*3.14*t/30))'"
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.Pow, ast.BitAnd, ast.BitOr)
_UNARYOPS = (ast.UAdd, ast.USub, ast.Invert)
_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_MAX_TEXT = 60


@dataclass(frozen=True)
class _Key:
    text: str  # the value as written, without its parentheses
    number: float | None  # a plain number, or None for an expression
    code: str | None  # the checked expression, as numexpr receives it


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 3] + "...")


def _cannot_read(name: str, text: str) -> KeyframeError:
    return KeyframeError(f"{name}: cannot read {_quote(text)} -- {_EXPECTED}")


def _split_top_level(text: str) -> list[str] | None:
    """Split at commas outside parentheses; None when the parentheses do not balance."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return None
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        return None
    parts.append(text[start:])
    return parts


def _closing(text: str, open_at: int) -> int:
    """Index of the parenthesis that closes the one at ``open_at``."""
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _check_node(node: ast.AST, expr: str, name: str, names: tuple[str, ...]) -> None:
    """Refuse any syntax outside the whitelist (see the module docstring)."""
    if isinstance(node, ast.Expression):
        _check_node(node.body, expr, name, names)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise KeyframeError(f"{name}: {node.value!r} in {_quote(expr)} is not a number; expressions hold numbers only")
    elif isinstance(node, ast.Name):
        if node.id not in names:
            hint = difflib.get_close_matches(node.id, names, n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise KeyframeError(f"{name}: unknown name '{node.id}' in {_quote(expr)}{did} -- expressions may use {', '.join(names)}")
    elif isinstance(node, ast.BinOp):
        if not isinstance(node.op, _BINOPS):
            raise KeyframeError(f"{name}: operator {type(node.op).__name__} is not allowed in {_quote(expr)} "
                                "-- use + - * / % ** and comparisons")
        _check_node(node.left, expr, name, names)
        _check_node(node.right, expr, name, names)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, _UNARYOPS):
            raise KeyframeError(f"{name}: 'not' is not allowed in {_quote(expr)} -- use ~ for a logical not")
        _check_node(node.operand, expr, name, names)
    elif isinstance(node, ast.Compare):
        if len(node.ops) != 1 or not isinstance(node.ops[0], _COMPARE):
            raise KeyframeError(f"{name}: chained or unsupported comparison in {_quote(expr)} -- write (a < t) & (t < b)")
        _check_node(node.left, expr, name, names)
        _check_node(node.comparators[0], expr, name, names)
    elif isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            raise KeyframeError(f"{name}: attribute access is not allowed in {_quote(expr)}")
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
            called = func.id if isinstance(func, ast.Name) else type(func).__name__
            hint = difflib.get_close_matches(called, sorted(FUNCTIONS), n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise KeyframeError(f"{name}: unknown function '{called}' in {_quote(expr)}{did} -- allowed: {', '.join(sorted(FUNCTIONS))}")
        if node.keywords:
            raise KeyframeError(f"{name}: keyword arguments are not allowed in {_quote(expr)}")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise KeyframeError(f"{name}: '*' arguments are not allowed in {_quote(expr)}")
            _check_node(arg, expr, name, names)
    elif isinstance(node, ast.Attribute):
        raise KeyframeError(f"{name}: attribute access is not allowed in {_quote(expr)}")
    elif isinstance(node, ast.BoolOp):
        raise KeyframeError(f"{name}: 'and'/'or' are not allowed in {_quote(expr)} -- use & and | with parentheses")
    else:
        raise KeyframeError(f"{name}: {type(node).__name__.lower()} syntax is not allowed in {_quote(expr)} "
                            f"-- only numbers, {', '.join(names)}, functions and arithmetic")


class _Floats(ast.NodeTransformer):
    """Integer literals -> floats, so numexpr folds constants in floating point."""

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            return ast.copy_location(ast.Constant(float(node.value)), node)
        return node


def _compile(expr: str, name: str, names: tuple[str, ...]) -> str:
    """Check ``expr`` against the whitelist; return the text numexpr evaluates."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        raise KeyframeError(f"{name}: cannot read the expression {_quote(expr)} -- {_EXAMPLE}") from None
    except (RecursionError, MemoryError, ValueError):
        raise KeyframeError(f"{name}: the expression {_quote(expr)} is too deeply nested or not text") from None
    _check_node(tree, expr, name, names)
    return ast.unparse(_Floats().visit(tree))


def _run(code: str, expr: str, name: str, variables: dict[str, Any]) -> np.ndarray:
    """Evaluate checked ``code`` with numexpr; errors become :class:`KeyframeError`."""
    import numexpr

    try:
        with np.errstate(all="ignore"):
            out = numexpr.evaluate(code, local_dict=variables, global_dict={})
    except (OverflowError, ZeroDivisionError) as e:
        raise KeyframeError(f"{name}: {_quote(expr)} overflows or divides by zero ({e})") from None
    except (KeyError, ValueError, TypeError, NotImplementedError, SyntaxError, RuntimeError) as e:
        raise KeyframeError(f"{name}: cannot evaluate {_quote(expr)}: {e}") from None
    return np.asarray(out)


def _check_max_frames(max_frames: Any, name: str) -> int:
    if isinstance(max_frames, bool) or not isinstance(max_frames, numbers.Integral) or max_frames < 1:
        raise KeyframeError(f"{name}: max_frames must be a whole number of at least 1, got {max_frames!r}")
    return int(max_frames)


def _check_seed(seed: Any, name: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise KeyframeError(f"{name}: the seed must be a whole number, got {seed!r}")
    return int(seed)


def _seed_variable(seed: int) -> np.int64 | np.float64:
    """``s`` for numexpr: an int64, or a float64 for a seed beyond int64 (up to 2**64 - 1, the
    renderer's seeds), which numexpr would otherwise wrap silently."""
    return np.int64(seed) if -(2**63) <= seed < 2**63 else np.float64(seed)


def frame_number(text: str, max_frames: int | None = None, *, seed: int = 0, name: str = "schedule") -> int:
    """The frame a key names: a whole number, or (Deforum) an expression in ``max_f`` and ``s``.

    Parameters
    ----------
    text : str
        The key as written, e.g. ``"120"`` or ``"max_f-1"`` (quotes around it are removed,
        as Deforum does).
    max_frames : int or None, optional
        Frames in the shot; needed only by expressions (``max_f = max_frames - 1``).
        Default None.
    seed : int, optional
        The shot's seed (``s``). Default 0.
    name : str, optional
        The setting, for messages. Default ``"schedule"``.

    Returns
    -------
    int
        The frame index; an expression's value is truncated towards zero, as Deforum's
        ``int(numexpr.evaluate(...))`` does.

    Raises
    ------
    render.errors.KeyframeError
        Not a whole number or an allowed expression, negative, or an expression without
        ``max_frames``.
    """
    key = text.strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        key = key[1:-1].strip()
    if re.fullmatch(r"\d+", key):
        return int(key)
    if not key:
        raise KeyframeError(f"{name}: a key has no frame number -- {_EXPECTED}")
    try:
        code = _compile(key, name, _FRAME_NAMES)
    except KeyframeError:
        raise KeyframeError(
            f"{name}: cannot read the frame {_quote(key)} -- a frame is a whole number, or an expression in max_f and s such as 'max_f-1'"
        ) from None
    if max_frames is None:
        raise KeyframeError(f"{name}: the frame {_quote(key)} is an expression; it needs max_frames to be known")
    n = _check_max_frames(max_frames, name)
    variables = {"max_f": np.int64(n - 1), "s": _seed_variable(_check_seed(seed, name)), "pi": math.pi, "e": math.e}
    value = float(_run(code, key, name, variables))
    if not math.isfinite(value):
        raise KeyframeError(f"{name}: the frame {_quote(key)} is not a finite number")
    frame = int(value)
    if frame < 0:
        raise KeyframeError(f"{name}: the frame {_quote(key)} is {frame}; frames start at 0")
    return frame


def _parse(text: str, name: str, max_frames: int | None, seed: int, drop_beyond: bool = False) -> dict[int, _Key]:
    if not isinstance(text, str):
        raise KeyframeError(f"{name}: a keyframe string is text like {_EXAMPLE}, got {type(text).__name__}")
    if not text.strip():
        raise KeyframeError(f"{name}: the schedule is empty -- {_EXAMPLE}")
    parts = _split_top_level(text)
    if parts is None:
        raise _cannot_read(name, text)
    if len(parts) > 1 and not parts[-1].strip():
        parts = parts[:-1]  # a trailing comma
    keys: dict[int, _Key] = {}
    for part in parts:
        shown = part if len(parts) > 1 and part.strip() else text
        colon = part.find(":")
        if colon < 0:
            raise _cannot_read(name, shown)
        head, rest = part[:colon], part[colon + 1 :].strip()
        if not rest.startswith("(") or _closing(rest, 0) != len(rest) - 1:
            raise _cannot_read(name, shown)
        frame = frame_number(head, max_frames, seed=seed, name=name)
        if max_frames is not None and frame >= max_frames:
            if drop_beyond:
                continue
            raise KeyframeError(f"{name}: key {frame} is beyond max_frames {max_frames} (frames 0-{max_frames - 1})")
        if frame in keys:
            raise KeyframeError(f"{name}: key {frame} is given twice -- give each frame once")
        value = rest[1:-1].strip()
        if not value:
            raise KeyframeError(f"{name}: key {frame} has no value -- {_EXPECTED}")
        if _NUMBER.fullmatch(value):
            number = float(value)
            if not math.isfinite(number):
                raise KeyframeError(f"{name}: key {frame}: {value} is not a finite number")
            keys[frame] = _Key(value, number, None)
        else:
            keys[frame] = _Key(value, None, _compile(value, name, NAMES))
    return dict(sorted(keys.items()))


def parse_keyframes(
    text: str, name: str = "schedule", *, max_frames: int | None = None, seed: int = 0, drop_beyond: bool = False
) -> dict[int, str]:
    """Parse and check a keyframe string without evaluating it.

    Parameters
    ----------
    text : str
        ``"frame: (value), ..."`` as Disco Diffusion or Deforum write it.
    name : str, optional
        The setting, for messages (``"zoom"``). Default ``"schedule"``.
    max_frames : int or None, optional
        When given, keys at or beyond it are refused and frame expressions are resolved.
        Default None.
    seed : int, optional
        The seed ``s`` for frame expressions. Default 0.
    drop_beyond : bool, optional
        Leave keys at or beyond ``max_frames`` out instead of refusing them (Deforum's
        rule: its loop never reaches them). Default False.

    Returns
    -------
    dict[int, str]
        Frame -> value as written (without its parentheses), in frame order. Every value
        is a plain number or an expression that passed the whitelist.

    Raises
    ------
    render.errors.KeyframeError
        Malformed text, unbalanced parentheses, a repeated or out-of-range key, an empty
        value, or an expression outside the whitelist.
    """
    return {frame: key.text for frame, key in _parse(text, name, max_frames, seed, drop_beyond).items()}


def is_schedule_string(value: Any) -> bool:
    """Whether a value is a string in keyframe form, e.g. ``"0: (1.02)"``.

    A plain number, a per-step cut schedule (``"[12]*400+[4]*600"``) or a percentage
    (``"60%"``) is not a keyframe string. Only the form is looked at; :func:`evaluate`
    checks the rest.

    Parameters
    ----------
    value : Any
        Any setting value.

    Returns
    -------
    bool
        True when ``value`` is a string starting with ``frame: (`` (the frame a whole
        number or a quoted expression, spaces allowed).
    """
    return isinstance(value, str) and re.match(r"\s*(?:\d+|'[^']*'|\"[^\"]*\")\s*:\s*\(", value) is not None


def _spline_method(interp_spline: Any, n_keys: int, name: str) -> str:
    spelled = {s.lower(): s for s in INTERP_SPLINES}
    method = spelled.get(str(interp_spline).strip().lower()) if isinstance(interp_spline, str) else None
    if method is None:
        raise KeyframeError(f"{name}: interp_spline must be one of {', '.join(INTERP_SPLINES)}, got {interp_spline!r}")
    # Disco Diffusion's fall-backs, on the number of keys written.
    if method == "Cubic" and n_keys <= 3:
        method = "Quadratic"
    if method == "Quadratic" and n_keys <= 2:
        method = "Linear"
    return method


def _interpolate(values: np.ndarray, method: str) -> np.ndarray:
    """Fill the NaNs of ``values`` through its set frames (pandas' interpolate, both directions)."""
    frames = np.arange(values.size)
    known = ~np.isnan(values)
    missing = frames[~known]
    if missing.size == 0:
        return values
    x, y = frames[known].astype(np.float64), values[known]
    if method == "Linear":
        values[missing] = np.interp(missing, x, y)
    else:
        from scipy.interpolate import make_interp_spline

        spline = make_interp_spline(x, y, k=2 if method == "Quadratic" else 3)
        values[missing] = spline(missing.astype(np.float64))
    return values


def evaluate(
    spec: Any,
    max_frames: int,
    interp_spline: str = "Linear",
    *,
    seed: int = 0,
    name: str = "schedule",
) -> np.ndarray:
    """One value per frame for a number, a DD keyframe string or a Deforum math string.

    Parameters
    ----------
    spec : Any
        A number (int or float, or a string holding one), or a keyframe string such as
        ``"0: (1.02), 120: (1.05)"`` or ``"0: (1.0025+0.002*sin(1.25*3.14*t/30))"``.
    max_frames : int
        Frames in the shot; the result covers frames ``0 .. max_frames - 1``.
    interp_spline : str, optional
        ``"Linear"``, ``"Quadratic"`` or ``"Cubic"`` (Disco Diffusion's setting; case is
        ignored), with Disco Diffusion's fall-backs for few keys. Default ``"Linear"``.
    seed : int, optional
        The shot's seed, ``s`` in expressions. Default 0.
    name : str, optional
        The setting, named in messages (``"zoom"``). Default ``"schedule"``.

    Returns
    -------
    numpy.ndarray
        A float64 array of shape ``(max_frames,)``: the value at each frame, in the
        setting's own unit (degrees for ``angle``, a scale factor for ``zoom``...).

    Raises
    ------
    render.errors.KeyframeError
        Any malformed input (see :func:`parse_keyframes`), a key beyond ``max_frames``,
        an unknown ``interp_spline``, or a value that is not finite at some frame.

    Examples
    --------
    >>> evaluate("0: (1), 10: (1.05)", 12)[[0, 5, 10, 11]].tolist()
    [1.0, 1.025, 1.05, 1.05]
    >>> evaluate("0: (t/max_f)", 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    n = _check_max_frames(max_frames, name)
    seed = _check_seed(seed, name)
    if isinstance(spec, bool) or spec is None:
        raise KeyframeError(f"{name}: expected a number or a keyframe string ({_EXAMPLE}), got {spec!r}")
    if isinstance(spec, numbers.Real):
        value = float(spec)
        if not math.isfinite(value):
            raise KeyframeError(f"{name}: {spec!r} is not a finite number")
        _spline_method(interp_spline, 1, name)
        return np.full(n, value, dtype=np.float64)
    if not isinstance(spec, str):
        raise KeyframeError(f"{name}: expected a number or a keyframe string ({_EXAMPLE}), got {type(spec).__name__}")
    if _NUMBER.fullmatch(spec.strip()):
        return evaluate(float(spec), n, interp_spline, seed=seed, name=name)

    keys = _parse(spec, name, n, seed)
    method = _spline_method(interp_spline, len(keys), name)
    values = np.full(n, np.nan, dtype=np.float64)
    frames = list(keys)
    variables: dict[str, Any] = {"max_f": np.int64(n - 1), "s": _seed_variable(seed), "pi": math.pi, "e": math.e}
    for i, frame in enumerate(frames):
        key = keys[frame]
        if key.number is not None:
            values[frame] = key.number
            continue
        end = frames[i + 1] if i + 1 < len(frames) else n
        t = np.arange(frame, end, dtype=np.int64)
        out = _run(key.code or "", key.text, name, {**variables, "t": t})
        out = np.broadcast_to(out.astype(np.float64), t.shape)
        bad = ~np.isfinite(out)
        if bad.any():
            raise KeyframeError(f"{name}: {_quote(key.text)} is not finite at frame {int(t[bad][0])}")
        values[frame:end] = out
    known = np.flatnonzero(~np.isnan(values))
    values[0] = values[known[0]]
    values[-1] = values[known[-1]]
    return _interpolate(values, method)
