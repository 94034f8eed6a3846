"""The edit's own frames: shots conformed into its sequence, OKLab crossfades at the seams.

Farm tasks of an edit (:func:`chroma.farm.tasks.edit_tasks`): :func:`conform` copies a
shot's frames outside its seams into the edit's sequence, :func:`seam` blends the
previous shot's last frames into the next shot's first
(:func:`chroma.oklab.mix_images`), each frame's header naming both shots
(:func:`seam_metadata`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Mapping, cast

from chroma.farm.cluster import FarmError, Job, done_by, report
from chroma.farm.edit import Config, load_edit

__all__ = ["SeamSide", "conform", "seam", "seam_metadata"]


def _atomic_copy(src: str, dst: str) -> None:
    from chroma.io import atomic_path

    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def conform(edit_path: str, i: int, job: Job | None = None, config: Config = None) -> list[tuple[str, str]]:
    """Copy shot ``i``'s frames outside its seams into the edit's sequence.

    The farm task of a conform layer (``chroma farm task EDIT --conform I``). Each copy
    is atomic; a frame this job already wrote is skipped.

    Parameters
    ----------
    edit_path : str
        The edit file.
    i : int
        The shot, 0-based.
    job : Job or None, optional
        The run to report to and to skip frames of; None copies every frame.
    config : str, os.PathLike or None, optional
        The OCIO config; None for chroma's default.

    Returns
    -------
    list of (str, str)
        Always empty: failures are raised.

    Raises
    ------
    FarmError
        ``i`` is not a shot of the edit.
    chroma.errors.ChromaError
        The edit or a shot is invalid.
    """
    from chroma import sequence
    from chroma.shot import load_shot

    edit = load_edit(edit_path, config)
    if not 0 <= i < len(edit.shots):
        raise FarmError(f"{edit.path}: no shot {i}; its shots are 0 to {len(edit.shots) - 1} (0-based)")
    shot = load_shot(edit.shots[i].path, config=config)
    out = sequence.parse_pattern(edit.output)
    head = edit.shots[i].crossfade
    tail = edit.shots[i + 1].crossfade if i + 1 < len(edit.shots) else 0
    Path(out.path(edit.first_frame)).parent.mkdir(parents=True, exist_ok=True)
    for k in range(head, shot.max_frames - tail):
        dst = out.path(edit.first_frame + edit.starts[i] + k)
        if job is None or not done_by(job, dst):
            _atomic_copy(shot.output.path(k), dst)
        if job is not None:
            report(job, dst)
    return []


def seam(edit_path: str, i: int, job: Job | None = None, config: Config = None) -> list[tuple[str, str]]:
    """Write the crossfade into shot ``i`` of an edit.

    The previous shot's last frames blend into this shot's first
    (:func:`chroma.oklab.mix_images` at :func:`chroma.oklab.crossfade_weights` over the
    seam), written to the edit's frames. The farm task of a crossfade layer
    (``chroma farm task EDIT --seam I``). Each frame's header names both shots and the
    blend weight (:func:`seam_metadata`).

    Parameters
    ----------
    edit_path : str
        The edit file.
    i : int
        The shot faded into, 0-based, at least 1.
    job : Job or None, optional
        The run to report the frames to.
    config : str, os.PathLike or None, optional
        The OCIO config; None for chroma's default.

    Returns
    -------
    list of (str, str)
        Always empty: failures are raised.

    Raises
    ------
    FarmError
        ``i`` is not a seam of the edit.
    chroma.errors.ChromaError
        The edit or a shot is invalid, a frame cannot be read, or an output is refused
        (:func:`chroma.io.check_outputs`).
    """
    from chroma import io, ocio, oklab, sequence
    from chroma.shot import load_shot

    edit = load_edit(edit_path, config)
    if not 1 <= i < len(edit.shots):
        raise FarmError(f"{edit.path}: no seam {i}; the seams are 1 to {len(edit.shots) - 1} "
                        f"(into shots 2 to {len(edit.shots)})" if len(edit.shots) > 1 else
                        f"{edit.path}: one shot, no seam")
    a, b = (load_shot(edit.shots[j].path, config=config) for j in (i - 1, i))
    frames = edit.seam_frames(i)
    if not frames:
        return []
    out = sequence.parse_pattern(edit.output)
    n = len(frames)
    pairs = [(a.output.path(a.max_frames - n + k), b.output.path(k)) for k in range(n)]
    targets = [out.path(f) for f in frames]
    io.check_outputs(targets, [p for pair in pairs for p in pair], overwrite=True, create_folders=True)
    weights = oklab.crossfade_weights(n, edit.curve)
    cs = ocio.resolve_colorspace("ACEScg", config)
    for k, (f, (pa, pb), target) in enumerate(zip(frames, pairs, targets)):
        ia, ib = io.read(pa, config=config), io.read(pb, config=config)
        img = oklab.mix_images(ia, ib, float(weights[k]), edit.space, colorspace=cs, config=config)
        sides = ((edit.shots[i - 1].path, pa, a.output.first_frame + a.max_frames - n + k, ia.metadata),
                 (edit.shots[i].path, pb, b.output.first_frame + k, ib.metadata))
        img.metadata = seam_metadata(img.metadata, sides, f, float(weights[k]), edit.curve)
        io.write(img, target, dtype=cast(Any, edit.dtype), compression=edit.compression, config=config)
        if job is not None:
            report(job, target)
    return []


SeamSide = tuple[str, str, int, Mapping[str, Any]]


def seam_metadata(blended: Mapping[str, Any], sides: tuple[SeamSide, SeamSide], frame: int, weight: float,
                  curve: str) -> dict[str, Any]:
    """The header of a seam frame: both shots, their frames and the blend weight.

    Each side's ``chroma/`` attributes (shot, frame, prompts, seed, settings...) move
    under ``chroma/seam/a/`` and ``chroma/seam/b/``, so no top-level attribute claims
    the frame is one shot's; ``chroma/seam`` says it in one line.

    Parameters
    ----------
    blended : Mapping[str, Any]
        The blended image's metadata (:func:`chroma.oklab.mix_images`: shot A's plus
        ``chroma/blend/*``).
    sides : tuple of two (str, str, int, Mapping[str, Any])
        Shot A and shot B, each as (shot file, frame file, frame number in the shot's
        sequence, the frame's header).
    frame : int
        The edit's frame number.
    weight : float
        The blend weight: 0 is all of shot A, 1 all of shot B.
    curve : str
        The crossfade curve (:func:`chroma.oklab.crossfade_weights`).

    Returns
    -------
    dict[str, Any]
        The header attributes.
    """
    meta = {k: v for k, v in blended.items() if not k.startswith("chroma/") or k.startswith("chroma/blend/")}
    for tag, (shot, file, number, header) in zip("ab", sides):
        meta.update({f"chroma/seam/{tag}/{k[7:]}": v for k, v in header.items()
                     if k.startswith("chroma/") and not k.startswith(("chroma/blend/", "chroma/seam"))})
        meta.update({f"chroma/seam/{tag}/shot": shot, f"chroma/seam/{tag}/frame": number,
                     f"chroma/seam/{tag}/file": file, f"chroma/blend/{tag}": file})
    (sa, _, fa, _), (sb, _, fb, _) = sides
    meta.update({
        "chroma/frame": frame, "chroma/blend/t": weight, "chroma/blend/curve": curve, "chroma/seam/weight": weight,
        "chroma/seam": f"{Path(sa).name} frame {fa} x {1 - weight:.6g} + {Path(sb).name} frame {fb} x {weight:.6g}",
    })
    return meta
