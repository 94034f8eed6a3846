"""Schedule strings: Disco Diffusion's forms are accepted, anything else refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from render.errors import RenderError, ScheduleError
from render.schedules import parse_schedule


@pytest.mark.parametrize(
    "spec, first, last, at_600, at_599",
    [
        ("[12]*400+[4]*600", 12, 4, 12, 4),  # DD cut_overview
        ("[4]*400+[12]*600", 4, 12, 4, 12),  # DD cut_innercut
        ("[0.2]*400+[0]*600", 0.2, 0, 0.2, 0),  # DD cut_icgray_p
        ("[1]*1000", 1, 1, 1, 1),  # DD cut_ic_pow
        (" [5] * 200 + [3]*300 + [1]*500 ", 5, 1, 3, 3),
        ("[1, 2]*500", 1, 2, 2, 1),
        ("[2.5e-1]*1000", 0.25, 0.25, 0.25, 0.25),
        ("4", 4, 4, 4, 4),
        (4, 4, 4, 4, 4),
        (0.5, 0.5, 0.5, 0.5, 0.5),
    ],
)
def test_dd_forms(spec, first, last, at_600, at_599) -> None:
    s = parse_schedule(spec)
    assert len(s) == 1000
    assert s.values[0] == first and s.values[-1] == last
    # entry i applies at timestep 999 - i: the first 400 entries cover timesteps 999..600
    assert s.at(999) == first and s.at(0) == last
    assert s.at(600) == at_600 and s.at(599) == at_599


@pytest.mark.parametrize(
    "bad",
    [
        "__import__('os')",
        "__import__('os').system('echo hi')",
        "[12]*400+[4]*600; import os",
        "[1]*1000 if True else 0",
        "[x]*1000",
        "[1]**1000",
        "[1]*1000.5",
        "[1]*-1",
        "[]*1000",
        "[1]*1000+",
        "(1)*1000",
        "[1]*999",  # wrong length
        "[1]*99999999999",  # refused before allocating
        "",
        "nan",
    ],
)
def test_everything_else_is_refused(bad: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_schedule(bad, name="cut_overview")
    assert isinstance(info.value, RenderError)
    assert "cut_overview" in str(info.value)  # says which setting


def test_error_shows_the_expected_form() -> None:
    with pytest.raises(ScheduleError, match=r"\[12\]\*400\+\[4\]\*600"):
        parse_schedule("__import__('os')")


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 300)), min_size=1, max_size=6))
def test_any_well_formed_sum_of_repeats_parses(terms) -> None:
    spec = "+".join(f"[{v}]*{n}" for v, n in terms)
    total = sum(n for _, n in terms)
    expected = [float(v) for v, n in terms for _ in range(n)]
    s = parse_schedule(spec, length=total)
    assert list(s.values) == expected
