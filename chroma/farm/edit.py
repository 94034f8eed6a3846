"""The edit format: shots in order, crossfades at the seams, the conformed sequence.

An edit file (TOML, docs/farm.md) lists shot files as ``[[shots]]`` tables; each shot
overlaps the previous one by its crossfade. :func:`load_edit` reads and checks one
(every shot loaded, crossfades fitted, no output replacing an input) before any work;
:func:`read_job` and :func:`is_edit` tell an edit from a shot.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Union, cast

from chroma.farm.cluster import FarmError

if TYPE_CHECKING:
    from chroma.oklab.convert import Space
    from chroma.shot import OutputSpec

__all__ = ["Config", "Edit", "EditShot", "is_edit", "load_edit", "read_job"]

#: an OCIO config as chroma takes it: a path, a name, or None for chroma's default
Config = Union[str, "os.PathLike[str]", None]


@dataclass(frozen=True)
class EditShot:
    """One shot of an edit.

    Attributes
    ----------
    path : str
        The shot file (absolute).
    crossfade : int
        Frames of the crossfade into this shot from the previous one (0 for the first).
    """

    path: str
    crossfade: int


@dataclass
class Edit:
    """An edit file: shots in order, crossfades at the seams, the conformed sequence.

    ``starts[i]`` is shot i's first frame in the edit (0-based): each shot overlaps the
    previous one by its crossfade.

    Attributes
    ----------
    path : pathlib.Path
        The edit file (absolute).
    output : str
        The edit's sequence pattern (absolute).
    first_frame : int
        The frame number of the edit's first frame.
    shots : list[EditShot]
        The shots in order.
    lengths : list[int]
        Each shot's ``max_frames``.
    curve : str
        The crossfade curve (:func:`chroma.oklab.crossfade_weights`).
    space : {"oklab", "oklch", "linear", "srgb"}
        The space the crossfades blend in.
    dtype : str
        The EXR pixel type of the crossfade frames (``half``, ``float``).
    compression : str
        The EXR compression of the crossfade frames.
    """

    path: Path
    output: str
    first_frame: int
    shots: list[EditShot]
    lengths: list[int]
    curve: str = "smooth"
    space: Space = "oklab"
    dtype: str = "half"
    compression: str = "zip"

    @property
    def starts(self) -> list[int]:
        """Each shot's first frame in the edit, 0-based (shots overlap by their crossfades).

        Returns
        -------
        list[int]
            Frame offsets from the edit's first frame.
        """
        out = [0]
        for i in range(1, len(self.shots)):
            out.append(out[-1] + self.lengths[i - 1] - self.shots[i].crossfade)
        return out

    @property
    def length(self) -> int:
        """The edit's length.

        Returns
        -------
        int
            Frames from the first shot's first frame to the last shot's last.
        """
        return self.starts[-1] + self.lengths[-1]

    def seam_frames(self, i: int) -> list[int]:
        """Give the edit's frame numbers of the crossfade into shot ``i``.

        Parameters
        ----------
        i : int
            The shot, 0-based (>= 1: shot 0 has no crossfade in).

        Returns
        -------
        list[int]
            Frame numbers (with ``first_frame``), empty for a cut.
        """
        s = self.starts[i]
        return [self.first_frame + s + k for k in range(self.shots[i].crossfade)]


def load_edit(path: str | os.PathLike, config: Config = None) -> Edit:
    """Read and check an edit file (format in docs/farm.md).

    Every shot is loaded and the crossfades checked against the shots' lengths. An edit
    looks like this::

        output = "edit/edit.####.exr"   # the conformed cut
        first_frame = 1001
        crossfade = 12                  # frames at every seam (default 0: a cut)
        curve = "smooth"                # chroma.oklab.crossfade's curves
        space = "oklab"                 # oklab, oklch, linear, srgb
        [[shots]]
        file = "sh010.toml"
        [[shots]]
        file = "sh020.toml"
        crossfade = 8                   # this seam's length, into this shot

    Parameters
    ----------
    path : str or os.PathLike
        The edit file; shot files and ``output`` are relative to its folder.
    config : str, os.PathLike or None, optional
        The OCIO config the shots are checked with; None for chroma's default.

    Returns
    -------
    Edit
        The checked edit.

    Raises
    ------
    FarmError
        Unreadable or invalid TOML, no ``[[shots]]``, an unknown key, no ``output`` or
        one without a frame token, a shot without ``file``, an unknown space, or a
        crossfade that does not fit its shots.
    chroma.errors.ChromaError
        A shot file is invalid, or the curve is unknown.
    """
    from chroma import sequence
    from chroma.shot import load_shot

    path = Path(path).resolve()
    data = read_job(path)
    if not is_edit(data):
        raise FarmError(f"{path}: an edit lists its shots as [[shots]] tables with file = \"sh010.toml\"")
    known = {"output", "first_frame", "crossfade", "curve", "space", "dtype", "compression", "shots"}
    extra = sorted(set(data) - known)
    if extra:
        raise FarmError(f"{path}: unknown key {extra[0]!r}; an edit has {', '.join(sorted(known))}")
    if "output" not in data:
        raise FarmError(f"{path}: give output = \"edit/edit.####.exr\", the conformed sequence")
    out = data["output"] if os.path.isabs(data["output"]) else str(path.parent / data["output"])
    if not sequence.parse_pattern(out).is_sequence:
        raise FarmError(f"{path}: output {data['output']!r} needs a frame token, e.g. edit.####.exr")
    default_fade = int(data.get("crossfade", 0))
    shots: list[EditShot] = []
    lengths: list[int] = []
    outputs: list[OutputSpec] = []
    for i, entry in enumerate(data["shots"]):
        if "file" not in entry:
            raise FarmError(f"{path}: shot {i + 1} has no file = \"...\"")
        file = str((path.parent / entry["file"]).resolve())
        shot = load_shot(file, config=config)
        fade = 0 if i == 0 else int(entry.get("crossfade", default_fade))
        if fade < 0 or (i and fade > min(lengths[-1], shot.max_frames)):
            raise FarmError(f"{path}: shot {i + 1} ({entry['file']}): a crossfade of {fade} frames does not fit "
                            f"shots of {lengths[-1] if i else 0} and {shot.max_frames} frames")
        shots.append(EditShot(file, fade))
        lengths.append(shot.max_frames)
        outputs.append(shot.output)
    for i, n in enumerate(lengths):
        tail = shots[i + 1].crossfade if i + 1 < len(shots) else 0
        if shots[i].crossfade + tail > n:
            raise FarmError(f"{path}: shot {i + 1} has {n} frames, fewer than its two crossfades "
                            f"({shots[i].crossfade} + {tail}); shorten them")
    first_frame = int(data.get("first_frame", 1001))
    _check_edit_output(path, str(data["output"]), out, first_frame, shots, lengths, outputs)
    from chroma.oklab.convert import SPACES
    from chroma.oklab.frames import crossfade_weights

    curve = str(data.get("curve", "smooth"))
    crossfade_weights(2, curve)  # an unknown curve fails here
    space = str(data.get("space", "oklab"))
    if space not in SPACES:  # and an unknown space here, before any render
        raise FarmError(f"{path}: space {space!r} is not one of {', '.join(SPACES)}")
    return Edit(path, out, first_frame, shots, lengths, curve, cast("Space", space),
                str(data.get("dtype", "half")), str(data.get("compression", "zip")))


def _check_edit_output(path: Path, spelled: str, out: str, first_frame: int, shots: list[EditShot], lengths: list[int],
                       outputs: list[OutputSpec]) -> None:
    """Refuse an edit whose frames would replace its shots' frames, shot files or itself,
    or two of whose shots write the same frames.

    The edit's frames go through the one output check (:func:`chroma.io.check_outputs`,
    same file by any spelling) with every shot's frames as inputs, before any work: a
    conform would copy a frame onto itself and a crossfade would find its input replaced.
    The shots' frames go through it together: two renders would write the same files.
    """
    from chroma import sequence
    from chroma.errors import ChromaIOError
    from chroma.io import check_outputs

    frames = [[o.path(k) for k in range(n)] for o, n in zip(outputs, lengths)]
    files = [str(path), *(es.path for es in shots)]
    try:
        check_outputs([f for fs in frames for f in fs], files, overwrite=True, create_folders=True, dry_run=True)
    except ChromaIOError as exc:
        for j in range(1, len(shots)):
            for i in range(j):
                try:
                    check_outputs(frames[i] + frames[j], files, overwrite=True, create_folders=True, dry_run=True)
                except ChromaIOError:
                    raise FarmError(f"{path}: shots {i + 1} ({Path(shots[i].path).name}) and {j + 1} "
                                    f"({Path(shots[j].path).name}) write the same frames ({exc}); give each shot "
                                    "its own output pattern") from None
        raise FarmError(f"{path}: {exc}") from None

    starts = [0]
    for i in range(1, len(shots)):
        starts.append(starts[-1] + lengths[i - 1] - shots[i].crossfade)
    pattern = sequence.parse_pattern(out)
    targets = [pattern.path(first_frame + k) for k in range(starts[-1] + lengths[-1])]

    def check(inputs: list[str]) -> None:
        check_outputs(targets, inputs, overwrite=True, create_folders=True, dry_run=True)

    try:
        check([*files, *(f for fs in frames for f in fs)])
    except ChromaIOError as exc:
        for i, (es, o, fs) in enumerate(zip(shots, outputs, frames)):
            try:
                check([es.path, *fs])
            except ChromaIOError:
                raise FarmError(f"{path}: the edit's output {spelled!r} writes over shot {i + 1} "
                                f"({Path(es.path).name}, output {o.pattern!r}): {exc}; give the edit an "
                                "output of its own, e.g. \"edit/edit.####.exr\"") from None
        raise FarmError(f"{path}: {exc}") from None


def read_job(path: str | os.PathLike) -> dict[str, Any]:
    """Read a job file (an edit or a shot) as TOML.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    dict[str, Any]
        The parsed file (:func:`is_edit` tells an edit from a shot).

    Raises
    ------
    FarmError
        The file cannot be read or is not valid TOML.
    """
    from chroma.shot import tomlreader

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise FarmError(f"cannot read the job file {os.fspath(path)!r}: {why}") from None
    try:
        return tomlreader.loads(text)
    except tomlreader.TOMLDecodeError as exc:
        raise FarmError(f"{os.fspath(path)}: not valid TOML: {exc}") from None


def is_edit(data: Mapping[str, Any]) -> bool:
    """Tell whether parsed TOML is an edit (a ``[[shots]]`` array) rather than a shot.

    Parameters
    ----------
    data : Mapping[str, Any]
        The parsed file.

    Returns
    -------
    bool
        True when ``shots`` is a non-empty array of tables.
    """
    shots = data.get("shots")
    return isinstance(shots, list) and all(isinstance(s, Mapping) for s in shots) and bool(shots)
