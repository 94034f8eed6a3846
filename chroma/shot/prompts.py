"""The ``[prompts]`` and ``[image_prompts]`` tables: prompts keyed by frame, _held until the next key."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from chroma.shot.validation import _Checker, _frame_keys, _resolve

__all__ = []


def _keyed_lists(chk: _Checker, sec: str, table: Mapping[str, Any], max_frames: int, example: str) -> dict[int, list[str]]:
    out = _frame_keys(chk, sec, None, table, max_frames)
    for k, v in out.items():
        v = [v] if isinstance(v, str) else v
        if not isinstance(v, list) or not all(isinstance(e, str) for e in v):
            raise chk.fail(sec, str(k), f"must be a list of strings like [\"{example}\"], got {v!r}")
        out[k] = list(v)
    return out


def _check_prompt_strings(chk: _Checker, prompts: dict[int, list[str]]) -> None:
    from render.errors import RenderError
    from render.prompts import normalize_weights, parse_prompt

    for key, entries in prompts.items():
        try:
            normalize_weights([parse_prompt(e).weight for e in entries]) if entries else None
        except RenderError as e:
            raise chk.fail("prompts", str(key), str(e)) from None


def _check_image_prompts(chk: _Checker, image_prompts: dict[int, list[str]], base: Path) -> None:
    """Each image prompt parses and its file exists."""
    for key, entries in image_prompts.items():
        for entry in entries:
            from render.prompts import parse_prompt  # torch-free; only when a shot has image prompts

            try:
                ip = parse_prompt(entry, "image")
            except Exception as e:  # PromptError
                raise chk.fail("image_prompts", str(key), str(e)) from None
            if not os.path.isfile(_resolve(base, ip.value)):
                raise chk.fail("image_prompts", str(key), f"image prompt {ip.value!r} does not exist")
