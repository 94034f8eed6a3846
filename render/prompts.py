"""Prompt parsing: ``text:weight`` strings and weight normalisation.

Disco Diffusion v5 writes a prompt as ``"a lighthouse at dusk:2"``: the text, then an
optional weight after the last colon (default 1). Negative weights push away from a
prompt. Per CLIP model the weights of all prompts (text and image) are divided by the
absolute value of their sum, so the guidance scale means the same whatever the count
(a weighted mean of spherical distances); a sum of zero has no meaning and is refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from render.errors import PromptError

__all__ = ["Prompt", "parse_prompt", "parse_prompts", "normalize_weights"]

_WEIGHT = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$")


@dataclass(frozen=True)
class Prompt:
    """One prompt.

    Attributes
    ----------
    value : str
        The text, or the image's path or URL.
    weight : float
        The weight as written (negative pushes away). Default 1.
    kind : str
        ``"text"`` or ``"image"``. Default ``"text"``.
    raw : str or None
        The string as written, weight included (``"a lighthouse at dusk:2"``), where
        the prompt was parsed from one: Disco Diffusion's CLIP embeds that whole string,
        not the text alone (the renderer's ``guidance_mode = "dd"`` does too). Default
        None: not parsed from a string (the text alone is embedded).
    """

    value: str
    weight: float = 1.0
    kind: str = "text"
    raw: str | None = None

    @property
    def dd_text(self) -> str:
        """The string Disco Diffusion's CLIP embeds for this prompt.

        DD v5.7's ``do_run`` parses ``"text:weight"`` for the weight, then tokenizes the
        whole prompt string, ``":weight"`` included.

        Returns
        -------
        str
            :attr:`raw` where known, else :attr:`value`.
        """
        return self.raw if self.raw is not None else self.value


def parse_prompt(spec: str, kind: str = "text") -> Prompt:
    """Split ``"text:weight"`` at the last colon whose remainder is a number.

    A colon not followed by a number is part of the text (``"time: 10 past"``, a
    Windows path ``C:\\plate.png``, a URL ``https://...``); ``"text"`` alone has weight 1.

    Parameters
    ----------
    spec : str
        ``"text"`` or ``"text:weight"``.
    kind : str, optional
        ``"text"`` (the default) or ``"image"`` (the text is then a path or URL).

    Returns
    -------
    Prompt
        The stripped text and its weight, and ``spec`` itself as :attr:`Prompt.raw`.

    Raises
    ------
    render.errors.PromptError
        Not a string, empty text, or a weight that is not finite.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``, ``parse_prompt``.
    """
    if not isinstance(spec, str):
        raise PromptError(f"a prompt must be a string like 'a red barn:1.5', got {spec!r}")
    text, weight = spec, 1.0
    head, sep, tail = spec.rpartition(":")
    if sep and _WEIGHT.match(tail):
        text, weight = head, float(tail)
    text = text.strip()
    if not text:
        raise PromptError(f"prompt {spec!r} has no text; write it as 'text' or 'text:weight'")
    if not math.isfinite(weight):
        raise PromptError(f"prompt {spec!r}: the weight must be a finite number")
    return Prompt(text, weight, kind, spec)


def parse_prompts(text_prompts: Iterable[str] = (), image_prompts: Iterable[str] = ()) -> list[Prompt]:
    """Parse text and image prompts; the weights are checked with :func:`normalize_weights`.

    Parameters
    ----------
    text_prompts : Iterable[str], optional
        ``"text:weight"`` strings. Default none.
    image_prompts : Iterable[str], optional
        ``"path_or_url:weight"`` strings. Default none.

    Returns
    -------
    list of Prompt
        The text prompts, then the image prompts, weights as written.

    Raises
    ------
    render.errors.PromptError
        No prompt at all, a malformed prompt, or weights that sum to zero.
    """
    prompts = [parse_prompt(p, "text") for p in text_prompts] + [parse_prompt(p, "image") for p in image_prompts]
    if not prompts:
        raise PromptError("no prompt given; pass at least one text prompt such as 'a misty forest:1'")
    normalize_weights([p.weight for p in prompts])
    return prompts


def normalize_weights(weights: Sequence[float]) -> list[float]:
    """Divide the weights by ``|sum|`` (signs kept).

    Parameters
    ----------
    weights : Sequence[float]
        The prompts' weights.

    Returns
    -------
    list of float
        ``w / |sum(weights)|`` for each weight.

    Raises
    ------
    render.errors.PromptError
        No weights, or weights that sum to (almost) zero (``|sum| < 1e-3``), e.g.
        ``["a cat:1", "a dog:-1"]``.
    """
    total = float(sum(weights))
    if not weights or abs(total) < 1e-3:
        raise PromptError(
            f"the prompt weights {list(weights)} sum to {total:g}; they must not sum to zero "
            "(give the positive prompts more weight than the negative ones)"
        )
    return [w / abs(total) for w in weights]
