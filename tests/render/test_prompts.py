"""Prompt parsing: ``text:weight``, negative weights, normalisation, zero-sum rejection."""

from __future__ import annotations

import pytest

from render.errors import PromptError, RenderError
from render.prompts import normalize_weights, parse_prompt, parse_prompts


@pytest.mark.parametrize(
    "spec, text, weight",
    [
        ("a lighthouse at dusk", "a lighthouse at dusk", 1.0),
        ("a lighthouse at dusk:2", "a lighthouse at dusk", 2.0),
        ("blurry:-0.5", "blurry", -0.5),
        ("a cat: 1.5 ", "a cat", 1.5),
        ("time: half past ten", "time: half past ten", 1.0),
        ("https://example.org/a.png:3", "https://example.org/a.png", 3.0),
        ("C:\\plates\\a.png", "C:\\plates\\a.png", 1.0),
    ],
)
def test_parse_prompt(spec: str, text: str, weight: float) -> None:
    p = parse_prompt(spec)
    assert (p.value, p.weight) == (text, weight)


def test_weights_are_normalised_by_the_absolute_sum() -> None:
    assert normalize_weights([2.0, -1.0, 1.0]) == [1.0, -0.5, 0.5]
    assert normalize_weights([-1.0, -3.0]) == [-0.25, -0.75]


@pytest.mark.parametrize("prompts", [["a cat:1", "a dog:-1"], ["a:0"], ["a:0.5", "b:0.5", "c:-1"]])
def test_zero_sum_is_rejected_with_advice(prompts) -> None:
    with pytest.raises(PromptError, match="sum to zero") as info:
        parse_prompts(prompts)
    assert isinstance(info.value, RenderError)


@pytest.mark.parametrize("bad", [":2", "   ", ""])
def test_empty_text_is_rejected(bad: str) -> None:
    with pytest.raises(PromptError, match="no text"):
        parse_prompt(bad)


def test_no_prompt_at_all() -> None:
    with pytest.raises(PromptError, match="no prompt"):
        parse_prompts([])
