"""Keyframe schedules: DD's and Deforum's numbers (the golden), and what is refused.

Torch-free: the renderer conftest's autouse torch fixture is replaced below, so these
tests run where only the core dependencies are installed.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from render.errors import RenderError, ScheduleError
from render.keyframes import KeyframeError, evaluate, frame_number, is_schedule_string, parse_keyframes
from tests.golden import golden_path


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Overrides tests/render/conftest.py's torch fixture: nothing here uses torch."""
    yield


@pytest.fixture(scope="module")
def golden(reference: Path) -> dict:
    return json.loads((reference / "schedules_golden.json").read_text())


def _cases(kind: str) -> list:
    entries = json.loads(golden_path("schedules_golden.json").read_text())[kind]
    return [pytest.param(i, id=f"{e['schedule']}|{e.get('interp_spline', 'Linear')}|{e['max_frames']}") for i, e in enumerate(entries)]


# --- the golden: numbers computed with DD's and Deforum's own code ---------------------


@pytest.mark.parametrize("index", _cases("dd"))
def test_disco_diffusion_golden(golden: dict, index: int) -> None:
    case = golden["dd"][index]
    got = evaluate(case["schedule"], case["max_frames"], case["interp_spline"], name="zoom")
    assert got.dtype == np.float64 and got.shape == (case["max_frames"],)
    np.testing.assert_allclose(got, case["values"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("index", _cases("deforum"))
def test_deforum_golden(golden: dict, index: int) -> None:
    case = golden["deforum"][index]
    got = evaluate(case["schedule"], case["max_frames"], case.get("interp_spline", "Linear"), name="zoom")
    np.testing.assert_allclose(got, case["values"], rtol=0, atol=1e-9)


def test_golden_covers_every_spline_and_fallback(golden: dict) -> None:
    """The golden pins the fall-backs: 2 keys (Quadratic -> Linear), 3 keys (Cubic -> Quadratic), 4 keys."""
    seen = {(len(parse_keyframes(c["schedule"])), c["interp_spline"]) for c in golden["dd"]}
    assert {(2, "Quadratic"), (2, "Cubic"), (3, "Cubic"), (3, "Quadratic"), (4, "Cubic"), (4, "Quadratic")} <= seen


# --- analytic cases and an independent library ----------------------------------------


def test_linear_between_keys_and_held_outside() -> None:
    v = evaluate("10: (2), 20: (4)", 30)
    assert v[:11].tolist() == [2.0] * 11 and v[20:].tolist() == [4.0] * 10
    assert v[15] == pytest.approx(3.0, abs=1e-15)


def test_cubic_is_the_not_a_knot_spline_through_keys_and_end_frames() -> None:
    """Through frames 0 and max_frames-1 (DD sets them) and the keys: SciPy's CubicSpline, not-a-knot."""
    from scipy.interpolate import CubicSpline

    spec, n = "5: (2), 20: (-1), 40: (3), 60: (0)", 80
    x = [0, 5, 20, 40, 60, 79]
    y = [2, 2, -1, 3, 0, 0]
    np.testing.assert_allclose(evaluate(spec, n, "Cubic"), CubicSpline(x, y, bc_type="not-a-knot")(np.arange(n)), atol=1e-12)


def test_fallbacks_count_the_keys_written() -> None:
    three = "0: (0), 10: (10), 20: (0)"
    np.testing.assert_array_equal(evaluate(three, 25, "Cubic"), evaluate(three, 25, "Quadratic"))
    assert not np.allclose(evaluate(three, 25, "Quadratic"), evaluate(three, 25, "Linear"))
    two = "0: (1.02), 120: (1.05)"
    np.testing.assert_array_equal(evaluate(two, 150, "Quadratic"), evaluate(two, 150, "Linear"))
    four = "5: (2), 20: (-1), 40: (3), 60: (0)"
    assert not np.allclose(evaluate(four, 80, "Cubic"), evaluate(four, 80, "Quadratic"))


def test_interp_spline_case_is_ignored() -> None:
    spec = "5: (2), 20: (-1), 40: (3), 60: (0)"
    np.testing.assert_array_equal(evaluate(spec, 80, "cubic"), evaluate(spec, 80, "Cubic"))


@pytest.mark.parametrize("spec", [1.5, "1.5", " 1.5 ", np.float32(1.5), np.int64(3) / 2])
def test_a_number_is_constant(spec) -> None:
    v = evaluate(spec, 4, name="zoom")
    assert v.dtype == np.float64 and v.tolist() == [1.5] * 4


def test_integers_are_numbers() -> None:
    assert evaluate(3, 2).tolist() == [3.0, 3.0]


def test_expression_names() -> None:
    assert evaluate("0: (t)", 4).tolist() == [0.0, 1.0, 2.0, 3.0]
    assert evaluate("0: (t/max_f)", 3).tolist() == [0.0, 0.5, 1.0]
    assert evaluate("0: (s*2)", 2, seed=2599079091).tolist() == [5198158182.0] * 2
    assert evaluate("0: (pi), 1: (e)", 2).tolist() == [math.pi, math.e]
    assert evaluate("0: (where(t < 2, 1, -1))", 4).tolist() == [1.0, 1.0, -1.0, -1.0]
    assert evaluate("0: (abs(sin(pi*t/2)))", 3) == pytest.approx([0.0, 1.0, 0.0], abs=1e-15)


def test_an_expression_holds_until_the_next_key() -> None:
    """Frames 10..19 evaluate the expression; 20 is a number key; 1..9 interpolate to frame 10's value."""
    v = evaluate("0: (0), 10: (t*2), 20: (0)", 25)
    assert v[10:20].tolist() == [2.0 * t for t in range(10, 20)]
    assert v[5] == pytest.approx(10.0)  # halfway from 0 to 20
    assert v[20:].tolist() == [0.0] * 5


def test_frames_may_be_expressions_in_max_f_and_s() -> None:
    """Deforum writes e.g. '"max_f-1": (s)'; the frame is truncated like Deforum's int()."""
    np.testing.assert_array_equal(evaluate('0: (1), "max_f-1": (3)', 120), evaluate("0: (1), 118: (3)", 120))
    np.testing.assert_array_equal(evaluate("0: (1), max_f/2: (3)", 10), evaluate("0: (1), 4: (3)", 10))
    assert frame_number("'max_f-2'", 10) == 7 and frame_number("12") == 12


def test_whitespace_and_trailing_comma() -> None:
    np.testing.assert_array_equal(evaluate(" 0 :( 1 ) ,\n 10: (2), ", 12), evaluate("0: (1), 10: (2)", 12))


def test_parse_keyframes() -> None:
    assert parse_keyframes("10: (0.45), 0: (0.40)") == {0: "0.40", 10: "0.45"}
    assert parse_keyframes("0: (1.0025+0.002*sin(1.25*3.14*t/30))") == {0: "1.0025+0.002*sin(1.25*3.14*t/30)"}
    with pytest.raises(KeyframeError, match="zoom: key 300 is beyond max_frames 120"):
        parse_keyframes("0: (1), 300: (2)", name="zoom", max_frames=120)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0: (1.02)", True), ("0:(0)", True), ('"max_f-1": (1)', True), ("1.02", False), ("60%", False),
     ("[12]*400+[4]*600", False), ("a city at dusk:2", False), (1.5, False), (None, False)],
)
def test_is_schedule_string(value, expected: bool) -> None:
    assert is_schedule_string(value) is expected


# --- refused, with a message that names the setting and the fault ----------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("0: (1.02", r"^zoom: cannot read '0: \(1\.02' -- expected 'frame: \(value\), \.\.\.'$"),
        ("0: (1.02), 300: (1.05)", r"^zoom: key 300 is beyond max_frames 120 \(frames 0-119\)$"),
        ("0: (1), 120: (2)", r"^zoom: key 120 is beyond max_frames 120"),
        ("0: (1+foo)", r"^zoom: unknown name 'foo' in '1\+foo'"),
        ("0: (tt*2)", r"did you mean 't'\?"),
        ("0: (__import__('os'))", r"^zoom: unknown function '__import__'"),
        ("0: (__import__('os').system('true'))", r"^zoom: attribute access is not allowed"),
        ("0: (t.real)", r"^zoom: attribute access is not allowed in 't\.real'"),
        ("0: (sinn(t))", r"unknown function 'sinn'.*did you mean 'sin'"),
        ("0: (sum(t))", r"unknown function 'sum'"),
        ("0: ([1, 2][0])", r"not allowed"),
        ("0: ('1')", r"is not a number"),
        ("0: (lambda: 1)", r"lambda syntax is not allowed"),
        ("0: (t and 1)", r"'and'/'or' are not allowed"),
        ("0: (0 < t < 5)", r"chained"),
        ("0: (x=1)", r"cannot read the expression 'x=1'"),
        ("0: (10**400)", r"overflows"),
        ("0: (1/(t-5))", r"^zoom: '1/\(t-5\)' is not finite at frame 5$"),
        ("0: (1e999)", r"not a finite number"),
        ("", r"^zoom: the schedule is empty"),
        ("   ", r"the schedule is empty"),
        ("0: ()", r"^zoom: key 0 has no value"),
        ("0: (1), 0: (2)", r"^zoom: key 0 is given twice"),
        ("0 (1)", r"cannot read '0 \(1\)'"),
        ("0: 1", r"cannot read '0: 1'"),
        ("0: (1) 10: (2)", r"cannot read"),
        ("0: (1),, 10: (2)", r"cannot read '0: \(1\),, 10: \(2\)'"),
        ("0: (1)), 10: (2)", r"cannot read"),
        ("a: (1)", r"cannot read the frame 'a'"),
        ("0: (1), -3: (2)", r"frames start at 0"),
        ("0: (1), t: (2)", r"cannot read the frame 't'"),
        ("1.0.0", r"cannot read"),
    ],
)
def test_malformed_is_refused(spec: str, message: str) -> None:
    with pytest.raises(KeyframeError, match=message) as info:
        evaluate(spec, 120, name="zoom")
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ScheduleError) and isinstance(info.value, RenderError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spec": "0: (1)", "max_frames": 0}, r"max_frames must be a whole number of at least 1, got 0"),
        ({"spec": "0: (1)", "max_frames": 2.5}, r"max_frames must be a whole number"),
        ({"spec": "0: (1)", "max_frames": 5, "interp_spline": "Bezier"},
         r"interp_spline must be one of Linear, Quadratic, Cubic, got 'Bezier'"),
        ({"spec": True, "max_frames": 5}, r"expected a number or a keyframe string"),
        ({"spec": None, "max_frames": 5}, r"expected a number or a keyframe string"),
        ({"spec": [1, 2], "max_frames": 5}, r"got list"),
        ({"spec": float("nan"), "max_frames": 5}, r"not a finite number"),
        ({"spec": "0: (s)", "max_frames": 5, "seed": 1.5}, r"seed must be a whole number"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(KeyframeError, match=message):
        evaluate(name="zoom", **kwargs)


def test_refused_text_never_reaches_numexpr(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only checked, re-written expressions are handed to numexpr (which itself compiles with eval)."""
    import numexpr

    seen: list[str] = []
    real = numexpr.evaluate
    monkeypatch.setattr(numexpr, "evaluate", lambda ex, *a, **k: seen.append(ex) or real(ex, *a, **k))
    marker = tmp_path / "ran"
    for spec in (f"0: (__import__('os').system('touch {marker}'))", "0: (().__class__)", "0: (t.__class__)"):
        with pytest.raises(KeyframeError):
            evaluate(spec, 3)
    assert seen == [] and not marker.exists()
    evaluate("0: (2*t)", 3)
    assert seen == ["2.0 * t"]


def test_huge_power_is_refused_quickly() -> None:
    """A power tower of integers would make numexpr's constant folding compute a huge Python int.

    Run in a subprocess: big-integer arithmetic holds the GIL, so a thread could not be timed out.
    """
    code = (
        "from render.keyframes import evaluate, KeyframeError\n"
        "try:\n    evaluate('0: (9**9**9)', 3, name='zoom')\nexcept KeyframeError as e:\n    print(e)\n"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("9**9**9 did not finish within 60 s")
    assert out.stdout.startswith("zoom: '9**9**9' overflows"), out.stdout + out.stderr


def test_imports_neither_torch_nor_pandas() -> None:
    code = (
        "import sys, render.keyframes as k; k.evaluate('0: (sin(t)), 3: (1)', 5, 'Cubic');"
        "k.evaluate('0: (0), 2: (1), 3: (0), 4: (2)', 6, 'Cubic');"
        "print(sorted(m for m in ('torch', 'pandas', 'chroma') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_docs_example_runs() -> None:
    """docs/keyframes.md's Python example runs as written."""
    import re

    doc = Path(__file__).resolve().parents[2] / "docs" / "keyframes.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, str(doc), "exec"), {})
