"""Frame seeds by Disco Diffusion's rules.

Disco Diffusion v5.7's ``do_run`` starts from ``seed = args.seed`` and adds 1 before
each animation frame after frame 0 in 2D and 3D (``if frame_num > 0: seed += 1``), so
frame ``i`` takes ``seed + i``; in Video Input mode it adds 1 before *every* frame,
frame 0 included (``if not video_init_seed_continuity: seed += 1``), so frame ``i`` takes
``seed + i + 1``, and with ``video_init_seed_continuity`` it never adds: ``seed`` for
every frame. ``seed_rule = "fixed"`` keeps ``seed`` for every frame in any mode.
"""

from __future__ import annotations

__all__ = ["VIDEO_SEED_OFFSET", "frame_seed"]

#: What Disco Diffusion's Video Input mode adds to every frame's seed (frame 0 too).
VIDEO_SEED_OFFSET = 1


def frame_seed(seed: int, seed_rule: str, mode: str, seed_continuity: bool, index: int) -> int:
    """Give a frame's seed by Disco Diffusion's rules.

    Parameters
    ----------
    seed : int
        The shot's seed.
    seed_rule : {"dd", "fixed"}
        ``"dd"``: Disco Diffusion's numbering; ``"fixed"``: ``seed`` for every frame.
    mode : {"None", "2D", "3D", "Video"}
        The animation mode.
    seed_continuity : bool
        ``video_init_seed_continuity`` (acts in Video mode only).
    index : int
        The frame, 0-based.

    Returns
    -------
    int
        ``seed + index`` (None, 2D, 3D); ``seed + index + 1`` (Video); ``seed`` with
        ``"fixed"`` or, in Video mode, with ``seed_continuity``.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``, ``do_run``: ``seed += 1`` in the 2D, 3D and
    Video Input branches.
    """
    if seed_rule == "fixed" or (mode == "Video" and seed_continuity):
        return seed
    return seed + index + (VIDEO_SEED_OFFSET if mode == "Video" else 0)
