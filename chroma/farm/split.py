"""Splitting a long shot into parts and an edit that crossfades them.

:func:`split_shot` cuts where ``chroma sync`` found sections or lines when it can, else
at the longest part; each part keeps the shot's settings, schedules written out frame by
frame, so the parts render what the shot would have.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from chroma.farm.cluster import FarmError
from chroma.farm.edit import Config, read_job

if TYPE_CHECKING:
    from chroma.shot import Shot

__all__ = ["split_shot"]


def _shift_keys(table: Mapping[str, Any], s: int, e: int) -> dict[str, Any]:
    """Re-key a frame-keyed table (string keys) to a part of frames ``s`` .. ``e - 1``.

    The key held at ``s`` becomes key 0; keys inside the part shift by ``-s``.
    """
    keys = sorted(int(k) for k in table)
    held = [k for k in keys if k <= s]
    out: dict[str, Any] = {}
    if held:
        out["0"] = table[str(held[-1])]
    for k in keys:
        if s < k < e:
            out[str(k - s)] = table[str(k)]
    return out


def split_shot(shot_path: str | os.PathLike, max_frames: int, at: Iterable[int] = (), crossfade: int = 0,
               config: Config = None, overwrite: bool = False,
               overwrite_hint: str = "pass overwrite=True to replace it") -> Path:
    """Split a long shot into shots of at most ``max_frames`` frames and write an edit of them.

    Cuts fall on the frame indices in ``at`` where they can (section or line boundaries
    from ``chroma sync``), else every ``max_frames - crossfade`` frames. Consecutive parts
    overlap by ``crossfade`` frames: the edit crossfades them (a frame-to-frame shot
    restarts at each part, so a seam needs a dissolve). Each part keeps the shot's settings
    with every keyframed schedule written out frame by frame (the values equal the
    original's), prompts re-keyed to the part, the seed advanced by the part's start
    (Disco Diffusion's ``seed + frame``), ``first_frame`` and the audio offset shifted.

    Parameters
    ----------
    shot_path : str or os.PathLike
        The shot file.
    max_frames : int
        The longest part, in frames.
    at : Iterable[int], optional
        Preferred cut points, 0-based frame indices of the shot (default none).
    crossfade : int, optional
        Frames of overlap at each seam, below ``max_frames`` (default 0: cuts).
    config : str, os.PathLike or None, optional
        The OCIO config the shot is checked with; None for chroma's default.
    overwrite : bool, optional
        Replace part and edit files that exist (default False); the shot file itself is
        never replaced.
    overwrite_hint : str, optional
        How to allow replacing, in the caller's words (``--overwrite`` for the CLI).

    Returns
    -------
    pathlib.Path
        The edit file written beside the shot (``<stem>.edit.toml``); parts are
        ``<stem>_p01.toml``... beside it, writing ``<pattern stem>_p01.####.exr``...

    Raises
    ------
    FarmError
        ``crossfade`` negative or not below ``max_frames``, or ``max_frames`` below 1.
    chroma.errors.ChromaIOError
        A file to write is the shot file (by any spelling), or exists without
        ``overwrite`` (:func:`chroma.io.check_outputs`); nothing is written then.
    chroma.errors.ChromaError
        The shot file is invalid.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``: frame ``i`` of an animation uses ``seed + i``
    unless the seed is fixed.
    """
    from chroma.io import check_outputs, write_text
    from chroma.shot import dump_shot, load_shot

    shot_path = Path(shot_path).resolve()
    shot = load_shot(shot_path, config=config)
    if max_frames < 1:
        raise FarmError(f"split: the longest part must be at least 1 frame, not {max_frames}")
    if crossfade < 0 or max_frames <= crossfade:
        raise FarmError(f"split: max_frames ({max_frames}) must exceed the crossfade ({crossfade})")
    parts = _part_bounds(shot.max_frames, max_frames, at, crossfade)
    raw = read_job(shot_path)
    stem = shot_path.stem
    files: dict[Path, str] = {}
    edit_shots = []
    for p, (s, e) in enumerate(parts, 1):
        d = _part_settings(raw, shot, p, s, e)
        part = shot_path.with_name(f"{stem}_p{p:02d}.toml")
        files[part] = dump_shot(d, f"part {p} of {shot_path.name}: frames {s}-{e - 1} (chroma.farm.split_shot)")
        edit_shots.append({"file": part.name, "crossfade": crossfade if p > 1 else 0})
    edit_path = shot_path.with_name(f"{stem}.edit.toml")
    files[edit_path] = _edit_text(shot_path, shot, raw["output"]["pattern"], edit_shots, crossfade)
    check_outputs(list(files), [shot_path], overwrite=overwrite, images=False, overwrite_hint=overwrite_hint)
    for file, text in files.items():
        write_text(file, text)
    return edit_path


def _part_bounds(n: int, max_frames: int, at: Iterable[int], crossfade: int) -> list[tuple[int, int]]:
    """(start, end) frame indices of each part: cuts at the last preferred point that fits, else at the longest."""
    cuts = sorted({int(c) for c in at if 0 < int(c) < n})
    parts: list[tuple[int, int]] = []
    s = 0
    while n - s > max_frames:
        fits = [c for c in cuts if s < c and c + crossfade - s <= max_frames]
        b = fits[-1] if fits else s + max_frames - crossfade
        parts.append((s, b + crossfade))
        s = b
    parts.append((s, n))
    return parts


def _part_settings(raw: dict[str, Any], shot: Shot, p: int, s: int, e: int) -> dict[str, Any]:
    """The shot's settings for part ``p`` (frames ``s`` .. ``e - 1``): schedules written out, keys re-keyed."""
    n = shot.max_frames
    d = copy.deepcopy(raw)
    d["max_frames"] = e - s
    if shot.frame_seed(1) != shot.seed or n == 1:  # dd: seed + index
        d["seed"] = shot.seed + s
    if s > 0:
        d.pop("init_image", None)
    outp = d.setdefault("output", {})
    outp["pattern"] = re.sub(r"([._-]?)(#+|%0?\d*d|@+)", rf"_p{p:02d}\1\2", raw["output"]["pattern"], count=1)
    outp["first_frame"] = shot.output.first_frame + s
    for section in ("render", "animation"):
        sec = d.get(section, {})
        for name, values in shot.schedules.items():
            if isinstance(sec.get(name), str) and ":" in sec[name]:
                sec[name] = ", ".join(f"{k}: ({float(values[s + k])!r})" for k in range(e - s))
        for name, value in list(sec.items()):
            if isinstance(value, Mapping) and all(str(k).lstrip("-").isdigit() for k in value):
                sec[name] = _shift_keys({str(k): v for k, v in value.items()}, s, e)
    for table in ("prompts", "image_prompts"):
        if table in d:
            d[table] = _shift_keys({str(k): v for k, v in d[table].items()}, s, e)
    if "audio" in d:
        d["audio"]["offset"] = float(d["audio"].get("offset", 0.0)) + s / float(shot.output.fps)
    return d


def _edit_text(shot_path: Path, shot: Shot, pattern: str, edit_shots: list[dict[str, Any]], crossfade: int) -> str:
    """The text of ``<stem>.edit.toml`` listing the parts."""
    import tomlkit

    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"{shot_path.name} in {len(edit_shots)} parts (chroma.farm.split_shot)"))
    doc.add("output", re.sub(r"([._-]?)(#+|%0?\d*d|@+)", r"_edit\1\2", pattern, count=1))
    doc.add("first_frame", shot.output.first_frame)
    doc.add("crossfade", crossfade)
    aot = tomlkit.aot()
    for es in edit_shots:
        aot.append(tomlkit.item(es))
    doc.add("shots", aot)
    return tomlkit.dumps(doc)
