"""The shared in-between blend: a frame between two frames from both of them, warped and weighted.

A frame at time ``t`` in (0, 1) between frame ``a`` (``t = 0``) and frame ``b`` (``t = 1``)
is read from both: ``a`` warped along the flow from the in-between's pixels to ``a``, ``b``
along the flow to ``b`` (:func:`render.flow.warp`, backward warps), blended with the
weights ``(1 - t) * valid_a`` and ``t * valid_b`` normalised per pixel. A pixel that one
side cannot see (it came from outside that frame, or was hidden) is taken from the other
side alone; where neither sees it the plain weights ``(1 - t, t)`` stand.

This is the one blend that cadence in-betweens (:mod:`render.cadence`) and retiming
share.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from render.errors import SettingsError

__all__ = ["inbetween"]


def _validity(valid: npt.ArrayLike | None, shape: tuple[int, int], name: str) -> npt.NDArray[np.float32]:
    if valid is None:
        return np.ones(shape, dtype=np.float32)
    v = np.asarray(valid, dtype=np.float32)
    if v.shape != shape:
        raise SettingsError(f"inbetween: {name} must be ({shape[0]}, {shape[1]}), got {v.shape}")
    return np.clip(v, 0.0, 1.0)


def inbetween(a: npt.ArrayLike, b: npt.ArrayLike, flow_ta: npt.ArrayLike, flow_tb: npt.ArrayLike, t: float,
              valid_a: npt.ArrayLike | None = None, valid_b: npt.ArrayLike | None = None) -> npt.NDArray[np.float32]:
    """The frame at time ``t`` between ``a`` and ``b``, from both, warped and blended by validity.

    ``out = (wa * warp(a, flow_ta) + wb * warp(b, flow_tb)) / (wa + wb)`` with
    ``wa = (1 - t) * valid_a`` and ``wb = t * valid_b``; where ``wa + wb = 0`` the weights
    are ``(1 - t, t)``.

    Parameters
    ----------
    a, b : array_like
        ``(H, W)`` or ``(H, W, C)`` frames at ``t = 0`` and ``t = 1``, any channel count.
    flow_ta, flow_tb : array_like
        ``(H, W, 2)`` flows in pixels (:mod:`render.flow` conventions, y down) from the
        in-between's pixels to ``a`` and to ``b``.
    t : float
        Time of the in-between, in (0, 1) (0 is ``a``, 1 is ``b``).
    valid_a, valid_b : array_like or None, optional
        ``(H, W)`` bool or float in [0, 1]: how far each warped side can be trusted at
        each pixel (False where the flow leaves the frame or is occluded). Default None:
        valid everywhere.

    Returns
    -------
    numpy.ndarray
        ``a``'s shape, float32. Outside the frame the warps read zero (their weight
        should be 0 there: pass the validity).

    Raises
    ------
    render.errors.SettingsError
        ``t`` outside (0, 1), or frames, flows or validities of other sizes.
    """
    from render.flow import warp

    if not 0.0 < float(t) < 1.0:
        raise SettingsError(f"inbetween: t must be in (0, 1), got {t}")
    fa, fb = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    if fa.shape != fb.shape:
        raise SettingsError(f"inbetween: frames of different shapes {fa.shape} and {fb.shape}")
    shape = (fa.shape[0], fa.shape[1])
    va, vb = _validity(valid_a, shape, "valid_a"), _validity(valid_b, shape, "valid_b")
    wa, wb = np.float32(1.0 - t) * va, np.float32(t) * vb
    total = wa + wb
    none = total <= 0
    wa = np.where(none, np.float32(1.0 - t), wa / np.where(none, 1, total)).astype(np.float32)
    wb = np.where(none, np.float32(t), wb / np.where(none, 1, total)).astype(np.float32)
    warped_a = warp(fa, np.asarray(flow_ta, dtype=np.float32))
    warped_b = warp(fb, np.asarray(flow_tb, dtype=np.float32))
    if fa.ndim == 3:
        wa, wb = wa[..., None], wb[..., None]
    return np.asarray(wa * warped_a + wb * warped_b, dtype=np.float32)
