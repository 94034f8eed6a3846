"""The shot file (schema of docs/shots.md) with sync's keys: new, or merged with tomlkit."""

from __future__ import annotations

import errno
import itertools
import os
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable

from chroma.errors import ChromaIOError
from chroma.io import temp_path_for
from chroma.shot import ANIMATION_MODES, inactive_keys
from chroma.sync.curves import KEYS_3D_ONLY, setting_path
from chroma.sync.errors import SyncError, require_module
from chroma.sync.frames import parse_fps

# What acts instead of a camera key that does nothing in a mode (Disco Diffusion's 2D warp
# and 3D camera, docs/shots.md).
_INSTEAD = {
    ("3D", "zoom"): "in 3D, translation_z moves the camera forward: schedule translation_z instead",
    ("3D", "angle"): "in 3D, rotation_3d_z rolls the camera: schedule rotation_3d_z instead",
    ("2D", "translation_z"): "in 2D, zoom moves into the picture: schedule zoom instead",
    ("2D", "rotation_3d_z"): "in 2D, angle turns the picture: schedule angle instead",
    ("2D", "rotation_3d_x"): "2D does not tilt; translation_y slides the picture up and down",
    ("2D", "rotation_3d_y"): "2D does not pan a camera; translation_x slides the picture sideways",
}


def shot_mode(settings: Iterable[str], existing: str | None = None) -> str | None:
    """The animation mode the scheduled settings are written for.

    A shot's own ``animation_mode`` (any spelling ``chroma.shot`` reads: ``"3d"``,
    ``"Video Input"``...), ``"None"`` for a shot without one; for a new shot (``existing``
    None) ``"3D"`` when a 3D-only camera key is scheduled, ``"2D"`` when another
    ``[animation]`` key is, else None (no mode is written).

    Parameters
    ----------
    settings : Iterable[str]
        The scheduled settings (``"zoom"``, ``"render.NAME"``...).
    existing : str or None, optional
        The shot's ``animation_mode``: ``""`` for a shot that has none, None for a new shot.

    Returns
    -------
    str or None
        One of :data:`chroma.shot.ANIMATION_MODES`, or None (a new shot with no
        ``[animation]`` key scheduled; also a shot's mode that ``chroma.shot`` does not know,
        which ``chroma shot check`` reports).
    """
    if existing is not None:
        spelled = {m.lower(): m for m in ANIMATION_MODES} | {"video input": "Video", "": "None"}
        return spelled.get(str(existing).strip().lower())
    keys = {k for t, k in map(setting_path, settings) if t == "animation"}
    return "3D" if keys & KEYS_3D_ONLY else ("2D" if keys else None)


def check_mode(settings: Iterable[str], existing: str | None = None, *, force: bool = False) -> list[str]:
    """Refuse schedules that do nothing in the shot's animation mode (or note them with ``force``).

    Zoom and angle do nothing in 3D, translation_z, rotation_3d_* and the 3D camera's
    fov/near_plane/far_plane nothing in 2D, and no camera key moves a ``None`` or
    ``Video`` shot (:func:`chroma.shot.inactive_keys`). The message names each such key,
    the mode, and what acts instead.

    Parameters
    ----------
    settings : Iterable[str]
        The scheduled settings (``"zoom"``, ``"render.NAME"``...).
    existing : str or None, optional
        The merged shot's ``animation_mode`` (``""`` when it has none); None for a new
        shot, whose mode :func:`shot_mode` picks.
    force : bool, optional
        Write them anyway: return the remarks as notes instead of raising. Default False.

    Returns
    -------
    list of str
        With ``force``, one note per key that does nothing; else empty.

    Raises
    ------
    SyncError
        A scheduled key does nothing in the mode and ``force`` is False.
    """
    settings = list(settings)
    mode = shot_mode(settings, existing)
    if existing is None:
        three = sorted({k for t, k in map(setting_path, settings) if t == "animation"} & KEYS_3D_ONLY)
        why = f"the new shot is 3D because {', '.join(three)} is scheduled" if three else f"the new shot is {mode}"
    else:
        why = "the shot's animation_mode" if existing.strip() else "the shot sets no animation_mode"
    if mode is None:
        return []
    idle = set(inactive_keys(mode))
    keys = sorted({k for t, k in map(setting_path, settings) if t == "animation" and k in idle})
    if not keys:
        return []
    where = f" ({why})"
    remarks = []
    for k in keys:
        if mode in ("None", "Video"):
            instead = f'a {mode} shot moves no camera: set animation_mode = "2D" or "3D" in the shot'
        else:
            instead = _INSTEAD.get((mode, k), f"{k} is the 3D camera's; a 2D shot has none")
        remarks.append(f"{k} does nothing in animation_mode {mode}{where}: {instead}")
    if force:
        return [f"{r} (written anyway: --force)" for r in remarks]
    raise SyncError("; ".join(remarks) + "; or pass --force to write it anyway")


def backup_path(path: str | os.PathLike) -> Path:
    """The first free backup name beside a file: ``NAME.bak``, else ``NAME.bak.1``, ``NAME.bak.2``...

    Parameters
    ----------
    path : str or os.PathLike
        The file to back up.

    Returns
    -------
    pathlib.Path
        A name beside it that does not exist yet.
    """
    p = Path(path)
    for n in itertools.count():
        bak = p.with_name(p.name + (".bak" if n == 0 else f".bak.{n}"))
        if not os.path.lexists(bak):
            return bak
    raise AssertionError("unreachable")  # pragma: no cover


def keep_backup(path: str | os.PathLike) -> Path:
    """Copy a file to a new backup beside it (:func:`backup_path`), atomically; never replaces one.

    The copy is written in full to a temporary file, then hard-linked to the backup name,
    which fails rather than replace a file that appeared meanwhile (the next number is
    taken); where the file system has no hard links it is renamed into place. A reader
    never sees a half-written backup.

    Parameters
    ----------
    path : str or os.PathLike
        The file to back up (``--merge-into``'s shot, before it is changed).

    Returns
    -------
    pathlib.Path
        The backup written.

    Raises
    ------
    chroma.errors.ChromaIOError
        The copy could not be written (no permission, disk full...).
    """
    src = Path(path)
    tmp = temp_path_for(src.with_name(src.name + ".bak"))
    try:
        shutil.copy2(src, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        while True:
            bak = backup_path(src)
            try:
                os.link(tmp, bak)
            except FileExistsError:
                continue  # another backup appeared: take the next number
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                    raise
                os.replace(tmp, bak)  # no hard links here
            return bak
    except OSError as exc:
        raise ChromaIOError(f"cannot keep a backup of {str(src)!r} ({exc.strerror or exc}); the shot was not changed") \
            from None
    finally:
        tmp.unlink(missing_ok=True)


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
    fps: Fraction | str | float,
    n_frames: int,
    prompts: dict[int, list[str]] | None = None,
    schedules: dict[str, str] | None = None,
    audio_file: str | None = None,
    audio_offset: float = 0.0,
    header: str = "",
    pattern: str = "out/shot.####.exr",
    force: bool = False,
) -> tuple[str, list[str]]:
    """Write the shot file (schema of docs/shots.md) with sync's keys, and notes for the summary.

    ``existing`` None writes a new shot: ``max_frames``, ``animation_mode`` (:func:`shot_mode`:
    3D when a 3D-only camera key is scheduled, else 2D), ``[output] pattern`` and ``fps``, the
    schedules, ``[prompts]`` and ``[audio]``. With ``existing`` text (``--merge-into``)
    only those keys change, with tomlkit so every other key, comment and blank line stays
    byte for byte: ``[prompts]`` is replaced in place when lyrics are given, each
    scheduled key is set, ``[audio]`` ``file``/``offset`` are set; ``max_frames`` and
    ``animation_mode`` are kept when present (a note says when ``max_frames`` does not
    fit), and an ``[output] fps`` that differs from ``fps`` is an error (the keys would
    land on other frames). A schedule that does nothing in the shot's mode is an error
    (:func:`check_mode`) unless ``force``.

    Parameters
    ----------
    existing : str or None
        The text of the shot to merge into; None for a new shot.
    fps : fractions.Fraction, str or float
        The shot's frames per second, read by :func:`chroma.fps.parse_fps`.
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
    force : bool, optional
        Write schedules that do nothing in the shot's animation mode, with a note
        (:func:`check_mode`); default False refuses them.

    Returns
    -------
    text : str
        The shot file.
    notes : list[str]
        Remarks for the summary (kept ``max_frames``, a mode that does not fit...).

    Raises
    ------
    SyncError
        ``existing`` is not valid TOML, or its ``[output] fps`` differs from ``fps``, or a
        scheduled key does nothing in the shot's animation mode (without ``force``).
    SyncDependencyError
        tomlkit is not installed.
    """
    tomlkit = require_module("tomlkit")
    fps = parse_fps(fps)
    notes: list[str] = []
    schedules = dict(schedules or {})
    paths = {p: setting_path(p) for p in schedules}
    if existing is None:
        notes += check_mode(schedules, force=force)
        doc = _new_shot(fps, n_frames, shot_mode(schedules), header, pattern)
        if not prompts:
            notes.append("no lyrics: add [prompts] to the shot (a shot needs prompts from frame 0), "
                         "or put these schedules into a shot that has them with --merge-into")
    else:
        doc, n_frames = _merge_target(existing, fps, n_frames, notes)
        notes += check_mode(schedules, str(doc.get("animation_mode", "")), force=force)
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


def _merge_target(existing: str, fps: Fraction, n_frames: int, notes: list[str]) -> tuple[Any, int]:
    """The parsed shot to merge into and its frame count; checks its fps against sync's."""
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
