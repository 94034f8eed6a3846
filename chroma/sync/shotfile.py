"""The shot file (schema of docs/shots.md) with sync's keys: new, or merged with tomlkit."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from chroma.sync.curves import KEYS_2D_ONLY, KEYS_3D_ONLY, setting_path
from chroma.sync.errors import SyncError, require_module
from chroma.sync.frames import parse_fps


def _fps_value(fps: Fraction) -> int | str:
    return int(fps) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def _replace_table_keys(table: Any, items: dict[str, Any]) -> None:
    """Put ``items`` in place of a tomlkit table's keys where the old keys stood; comments
    before the first and after the last old key stay (those between them go with the keys).

    Only tomlkit's public API: the table's body is cut after the leading comments, the new
    keys are appended, then the trailing comments and blank lines are appended again.
    """
    import tomlkit

    body = table.value.body
    pos = [i for i, (k, _) in enumerate(body) if k is not None]
    for k in list(table.keys()):
        del table[k]
    if not pos:
        for k, v in items.items():
            table.add(k, v)
        return
    trailing = [item for key, item in body[pos[-1] + 1:] if key is None]
    del body[pos[0]:]
    for k, v in items.items():
        table.append(k, tomlkit.item(v))
    for item in trailing:
        table.append(None, item)


def shot_text(
    existing: str | None,
    *,
    fps: Fraction,
    n_frames: int,
    prompts: dict[int, list[str]] | None = None,
    schedules: dict[str, str] | None = None,
    audio_file: str | None = None,
    audio_offset: float = 0.0,
    header: str = "",
    pattern: str = "out/shot.####.exr",
) -> tuple[str, list[str]]:
    """Write the shot file (schema of docs/shots.md) with sync's keys, and notes for the summary.

    ``existing`` None writes a new shot: ``max_frames``, ``animation_mode`` (3D when a
    3D-only camera key is scheduled, else 2D), ``[output] pattern`` and ``fps``, the
    schedules, ``[prompts]`` and ``[audio]``. With ``existing`` text (``--merge-into``)
    only those keys change, with tomlkit so every other key, comment and blank line stays
    byte for byte: ``[prompts]`` is replaced in place when lyrics are given, each
    scheduled key is set, ``[audio]`` ``file``/``offset`` are set; ``max_frames`` and
    ``animation_mode`` are kept when present (a note says when they do not fit), and an
    ``[output] fps`` that differs from ``fps`` is an error (the keys would land on other
    frames).

    Parameters
    ----------
    existing : str or None
        The text of the shot to merge into; None for a new shot.
    fps : fractions.Fraction
        The shot's frames per second.
    n_frames : int
        Frames the song covers (``max_frames`` of a new shot); schedule keys at or past
        the shot's ``max_frames`` are dropped.
    prompts : dict[int, list[str]] or None, optional
        Frame index -> prompts (:attr:`PromptPlan.prompts`); None leaves ``[prompts]`` as it is.
    schedules : dict[str, str] or None, optional
        ``"zoom"`` or ``"render.NAME"`` -> a Disco Diffusion keyframe string.
    audio_file : str or None, optional
        The song, relative to the shot's folder, for ``[audio] file``; None writes no ``[audio]``.
    audio_offset : float, optional
        Seconds of audio at frame 0, for ``[audio] offset`` (default 0).
    header : str, optional
        Comment lines at the top of a new shot.
    pattern : str, optional
        ``[output] pattern`` of a new shot (default ``"out/shot.####.exr"``).

    Returns
    -------
    text : str
        The shot file.
    notes : list[str]
        Remarks for the summary (kept ``max_frames``, a mode that does not fit...).

    Raises
    ------
    SyncError
        ``existing`` is not valid TOML, or its ``[output] fps`` differs from ``fps``.
    SyncDependencyError
        tomlkit is not installed.
    """
    tomlkit = require_module("tomlkit")
    notes: list[str] = []
    schedules = dict(schedules or {})
    paths = {p: setting_path(p) for p in schedules}
    anim_keys = {k for t, k in paths.values() if t == "animation"}
    mode = "3D" if anim_keys & KEYS_3D_ONLY else ("2D" if anim_keys else None)
    if mode == "3D" and anim_keys & KEYS_2D_ONLY:
        notes.append(f"{', '.join(sorted(anim_keys & KEYS_2D_ONLY))} act(s) in 2D mode only; the shot is 3D")
    if existing is None:
        doc = _new_shot(fps, n_frames, mode, header, pattern)
        if not prompts:
            notes.append("no lyrics: add [prompts] to the shot (a shot needs prompts from frame 0), "
                         "or put these schedules into a shot that has them with --merge-into")
    else:
        doc, n_frames = _merge_target(existing, fps, n_frames, mode, anim_keys, notes)
    for p, text in schedules.items():
        table, key = paths[p]
        if table not in doc:
            doc.add(table, tomlkit.table())
        doc[table][key] = _clip_keys(text, n_frames)
    if prompts is not None:
        _set_prompts(doc, {str(k): v for k, v in sorted(prompts.items()) if k < n_frames})
    if audio_file is not None:
        if "audio" not in doc:
            doc.add("audio", tomlkit.table())
        doc["audio"]["file"] = audio_file
        doc["audio"]["offset"] = float(audio_offset)
    return tomlkit.dumps(doc), notes


def _new_shot(fps: Fraction, n_frames: int, mode: str | None, header: str, pattern: str) -> Any:
    """A new tomlkit document: header comments, ``max_frames``, the mode and ``[output]``."""
    import tomlkit

    doc = tomlkit.document()
    if header:
        for line in header.splitlines():
            doc.add(tomlkit.comment(line))
    doc.add("max_frames", n_frames)
    if mode:
        doc.add("animation_mode", mode)
    out = tomlkit.table()
    out.add("pattern", pattern)
    out.add("fps", _fps_value(fps))
    doc.add("output", out)
    return doc


def _merge_target(existing: str, fps: Fraction, n_frames: int, mode: str | None, anim_keys: set[str],
                  notes: list[str]) -> tuple[Any, int]:
    """The parsed shot to merge into and its frame count; checks its fps and mode against sync's."""
    import tomlkit

    try:
        doc = tomlkit.parse(existing)
    except Exception as exc:
        raise SyncError(f"the shot to merge into is not valid TOML ({exc})") from None
    if "max_frames" in doc:
        have = doc["max_frames"]
        if isinstance(have, int) and have != n_frames:
            notes.append(f"the shot keeps max_frames = {have} (the song covers {n_frames} frames)")
            n_frames = int(have)
    else:
        doc.add("max_frames", n_frames)
    if mode:
        have_mode = str(doc.get("animation_mode", "None"))
        if have_mode != mode and not (mode == "2D" and have_mode == "3D" and not anim_keys & KEYS_2D_ONLY):
            notes.append(f"the shot's animation_mode is {have_mode!r}; the scheduled camera keys act in {mode}")
    if "output" not in doc:
        out = tomlkit.table()
        out.add("fps", _fps_value(fps))
        doc.add("output", out)
    elif "fps" not in doc["output"]:
        doc["output"].add("fps", _fps_value(fps))
    else:
        have_fps = parse_fps(doc["output"]["fps"])
        if have_fps != fps:
            raise SyncError(
                f"the shot's [output] fps is {doc['output']['fps']} but --fps is {float(fps):g}; "
                "give the shot's fps so the keys land on its frames"
            )
    return doc, n_frames


def _set_prompts(doc: Any, items: dict[str, list[str]]) -> None:
    """Replace ``[prompts]`` in place (its outer comments stay), or add it."""
    import tomlkit

    if "prompts" in doc and hasattr(doc["prompts"], "value") and hasattr(doc["prompts"].value, "body"):
        _replace_table_keys(doc["prompts"], items)
        return
    t = tomlkit.table()
    for k, v in items.items():
        t.add(k, v)
    if "prompts" in doc:
        doc["prompts"] = t
    else:
        doc.add("prompts", t)


def _clip_keys(text: str, n_frames: int) -> str:
    """Keep keys below ``n_frames`` (the value at the last frame is already a key when the
    curve was made for at least that many frames)."""
    parts = [p for p in text.split(", ") if int(p.split(":", 1)[0]) < n_frames]
    return ", ".join(parts)
