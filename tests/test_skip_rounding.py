"""``frames_skip_steps = "N%"`` rounds as Disco Diffusion rounds it, for every steps x percentage.

Disco Diffusion v5.7 (disco.py, before ``do_run``) computes::

    skip_step_ratio = int(frames_skip_steps.rstrip("%")) / 100
    calc_frames_skip_steps = math.floor(steps * skip_step_ratio)

The ratio is rounded to a double before the multiplication, so ``floor(steps * N / 100)``
(the product first) differs at 49 pairs of steps 1..1000 and N 1..99 (90 steps at 70%:
Disco Diffusion skips 62, the product-first formula 63). The reference below is Disco
Diffusion's two lines, written out here, fed the setting as Disco Diffusion's notebook
holds it (a string ``"N%"``).
"""

from __future__ import annotations

import math

import pytest

from render.settings import AnimationSettings, skip_steps_for


def disco_calc_frames_skip_steps(frames_skip_steps: str, steps: int) -> int:
    """Disco Diffusion v5.7's two lines, as they are."""
    skip_step_ratio = int(frames_skip_steps.rstrip("%")) / 100
    return math.floor(steps * skip_step_ratio)


def test_every_steps_and_percentage_rounds_as_disco_diffusion() -> None:
    wrong = [(steps, pct) for steps in range(1, 1001) for pct in range(1, 100)
             if skip_steps_for(f"{pct}%", steps) != disco_calc_frames_skip_steps(f"{pct}%", steps)]
    assert wrong == []


def test_the_pairs_where_the_order_of_operations_matters() -> None:
    # The reference is not trivially the product-first formula: they part at 49 pairs.
    differ = [(steps, pct) for steps in range(1, 1001) for pct in range(1, 100)
              if disco_calc_frames_skip_steps(f"{pct}%", steps) != math.floor(steps * pct / 100)]
    assert len(differ) == 49 and (90, 70) in differ
    assert skip_steps_for("70%", 90) == 62
    assert all(isinstance(skip_steps_for(f"{pct}%", s), int) for s, pct in differ)


@pytest.mark.parametrize("written", ["70%", " 70 %", "70.0%"])
def test_the_forms_a_shot_file_allows_round_alike(written: str) -> None:
    assert skip_steps_for(written, 90) == 62
    assert skip_steps_for(AnimationSettings.from_values({"frames_skip_steps": written}).frames_skip_steps, 90) == 62
