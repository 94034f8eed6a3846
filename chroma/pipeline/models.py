"""The checkpoints a shot loads: which, whether they are in the cache, how big.

Checked before any work (a missing checkpoint is reported before the first frame), and
listed with their sizes for the "loading models" line. Defaults are
:class:`render.settings.RenderSettings`'s, for keys the shot does not set.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from chroma.shot import Shot

__all__ = ["check_models", "checkpoints", "model_files", "size_text"]


def size_text(size: int) -> str:
    """Write a size in bytes in decimal units, as ``ls -lh --si`` does.

    Parameters
    ----------
    size : int
        Bytes.

    Returns
    -------
    str
        ``"2.2 GB"``, ``"512 B"``...
    """
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def checkpoints(shot: Shot) -> list[str]:
    """List the registry names of the checkpoints a shot loads (the CLIP models aside).

    Parameters
    ----------
    shot : chroma.shot.Shot
        The shot.

    Returns
    -------
    list of str
        The diffusion model, the secondary model, the depth model (3D shots with
        estimated depth) and the LPIPS backbone when frames are pulled towards an init.
    """
    from render.settings import RenderSettings as Defaults

    r = shot.render
    names = [r.get("diffusion_model", Defaults.diffusion_model)]
    if r.get("use_secondary_model", Defaults.use_secondary_model):
        names.append(r.get("secondary_model", Defaults.secondary_model))
    if shot.animation_mode == "3D" and shot.animation.depth == "estimate":
        names.append(shot.animation.depth_model)
    if r.get("init_loss", Defaults.init_loss) == "lpips":  # LPIPS pulls frames towards their init, as in DD
        frames_pull = shot.animation_mode != "None" and bool(np.any(shot.schedules["frames_scale"] != 0))
        init_pull = bool(shot.init_image) and bool(np.any(shot.schedules.get("init_scale",
                                                                                [r.get("init_scale", Defaults.init_scale)])))
        if frames_pull or init_pull:
            from render.perceptual import LPIPS_BACKBONE

            names.append(LPIPS_BACKBONE)
    return names


def check_models(shot: Shot) -> None:
    """Raise before any work if a checkpoint the shot needs is not in the cache.

    Parameters
    ----------
    shot : chroma.shot.Shot
        The shot.

    Raises
    ------
    render.errors.ModelNotFoundError
        A checkpoint is missing; the message says how to fetch it.
    """
    from render import models

    for name in checkpoints(shot):
        models.model_path(name)


def model_files(shot: Shot) -> list[tuple[str, str]]:
    """List the models a run loads, with their sizes on disk (for a "loading models" line).

    Parameters
    ----------
    shot : chroma.shot.Shot
        The shot.

    Returns
    -------
    list of (str, str)
        (name, size): ``"2.2 GB"`` (decimal units) for checkpoints in chroma's cache and
        CLIP weights given as a file, ``"random weights"``, or ``"open_clip's cache"`` for
        CLIP weights open_clip fetches itself.
    """
    from render import models
    from render.clip import parse_clip_spec
    from render.settings import RenderSettings as Defaults

    out = [(name, size_text(models.model_path(name).stat().st_size)) for name in checkpoints(shot)]
    for spec in shot.render.get("clip_models", Defaults.clip_models):
        _, pretrained = parse_clip_spec(spec)
        if pretrained is None:
            out.append((spec, "random weights"))
        elif os.path.isfile(pretrained):
            out.append((spec, size_text(os.path.getsize(pretrained))))
        else:
            out.append((spec, "open_clip's cache"))
    return out
