"""Frames between two frames along their optical flows (the in-between core).

Conventions are :mod:`render.flow`'s: a flow is ``(H, W, 2)`` float32 in pixels, x then
y (y down), and ``flow_ab = estimate_flow(a, b)`` says ``a(x) ~ b(x + flow_ab(x))``. Time
runs from ``a`` (``t = 0``) to ``b`` (``t = 1``), and motion between them is taken as
straight and uniform: a point at ``p`` in ``a`` and ``q`` in ``b`` is at
``p + t (q - p)`` at time ``t``.

The in-between at ``t`` is built in three steps:

1. :func:`intermediate_flows`: the flows from the in-between to ``a`` and to ``b``. A
   pixel ``x`` at time ``t`` came from ``p = x + f_ta(x)`` in ``a``, and straight motion
   gives ``x = p + t flow_ab(p)``, so ``f_ta`` solves the fixed point
   ``f_ta(x) = -t flow_ab(x + f_ta(x))`` (and ``f_tb(x) = -(1 - t) flow_ba(x + f_tb(x))``).
   It is solved by iteration from Jiang et al. (2018)'s eq. 4 approximation, which samples
   the flows at ``x`` instead of at the point the pixel came from (it takes the flow as
   constant in space, and errs by ``t * (1 - t)`` times the flow's change across the
   motion; a 1% zoom moves 2.5 px at 500 px from the centre).
2. :func:`occlusion_weights`: where each flow is reliable, seen from time ``t``: the
   forward-backward check of each flow (:func:`render.flow.consistency_mask`) carried to
   ``t`` along the intermediate flow, and zero where the pixel comes from outside the
   frame (content entering the frame is taken from the other side only).
3. :func:`inbetween`: both frames warped to ``t`` (:func:`render.flow.warp`, bilinear)
   and blended with weights ``(1 - t) valid_a`` and ``t valid_b`` (Jiang et al. 2018,
   eq. 1 with their visibility maps), normalised; where both are zero, ``(1 - t, t)``.

References
----------
H. Jiang, D. Sun, V. Jampani, M.-H. Yang, E. Learned-Miller, J. Kautz, "Super SloMo:
High quality estimation of multiple intermediate frames for video interpolation",
CVPR 2018, eq. 1 and 4.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from render.errors import SettingsError
from render.flow import _check_flow, consistency_mask, in_frame, warp

__all__ = ["FIXED_POINT_ITERATIONS", "inbetween", "intermediate_flows", "occlusion_weights"]

#: Iterations of the fixed point in :func:`intermediate_flows`. Each one multiplies the error
#: by about ``t`` times the flow's gradient (0.005 for a 1% zoom at ``t = 0.5``), so three are
#: far below the bilinear warp's own error on smooth motion.
FIXED_POINT_ITERATIONS = 3


def _check_t(t: float) -> float:
    t = float(t)
    if not 0.0 <= t <= 1.0:
        raise SettingsError(f"in-between time t must be in [0, 1] (0 = frame a, 1 = frame b), got {t}")
    return t


def _check_pair(flow_ab: npt.NDArray[np.floating], flow_ba: npt.NDArray[np.floating]) -> None:
    _check_flow(flow_ab, "flow_ab")
    _check_flow(flow_ba, "flow_ba")
    if flow_ab.shape != flow_ba.shape:
        raise SettingsError(f"flow_ab {flow_ab.shape} and flow_ba {flow_ba.shape} differ in size")


def _toward(flow: npt.NDArray[np.float32], s: float, iterations: int) -> npt.NDArray[np.float32]:
    """``g(x) = -s * flow(x + g(x))`` by fixed-point iteration from ``-s * flow(x)``."""
    g = np.float32(-s) * flow
    for _ in range(iterations):
        g = np.float32(-s) * warp(flow, g, border="replicate")
    return np.asarray(g, dtype=np.float32)


def intermediate_flows(
    flow_ab: npt.NDArray[np.floating],
    flow_ba: npt.NDArray[np.floating],
    t: float,
    iterations: int = FIXED_POINT_ITERATIONS,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The flows from the in-between at time ``t`` to ``a`` and to ``b``.

    ``f_ta(x) = -t flow_ab(x + f_ta(x))`` and ``f_tb(x) = -(1 - t) flow_ba(x + f_tb(x))``
    (straight, uniform motion), solved by fixed-point iteration from Jiang et al. (2018)'s
    eq. 4 with each flow on its own side (``-t flow_ab(x)``, ``-(1 - t) flow_ba(x)``);
    ``iterations=0`` gives that start. Each flow is sampled bilinearly, edges replicated.

    Parameters
    ----------
    flow_ab : numpy.ndarray
        ``(H, W, 2)`` flow from ``a`` to ``b`` (``estimate_flow(a, b)``), pixels, x then
        y (y down).
    flow_ba : numpy.ndarray
        ``(H, W, 2)`` flow from ``b`` to ``a``, pixels.
    t : float
        Time of the in-between, 0 at ``a`` and 1 at ``b``.
    iterations : int, optional
        Fixed-point iterations. Default :data:`FIXED_POINT_ITERATIONS`.

    Returns
    -------
    flow_ta : numpy.ndarray
        ``(H, W, 2)`` float32: ``warp(a, flow_ta)`` is ``a`` moved to time ``t``.
    flow_tb : numpy.ndarray
        ``(H, W, 2)`` float32: ``warp(b, flow_tb)`` is ``b`` moved to time ``t``.

    Raises
    ------
    render.errors.SettingsError
        Flows of other shapes or sizes, ``t`` outside [0, 1], negative ``iterations``.

    References
    ----------
    H. Jiang et al., "Super SloMo", CVPR 2018, eq. 4 (the start of the iteration).
    """
    _check_pair(flow_ab, flow_ba)
    t = _check_t(t)
    if iterations < 0:
        raise SettingsError(f"iterations must be 0 or more, got {iterations}")
    fab = np.asarray(flow_ab, dtype=np.float32)
    fba = np.asarray(flow_ba, dtype=np.float32)
    return _toward(fab, t, iterations), _toward(fba, 1.0 - t, iterations)


def occlusion_weights(
    flow_ab: npt.NDArray[np.floating],
    flow_ba: npt.NDArray[np.floating],
    flow_ta: npt.NDArray[np.floating],
    flow_tb: npt.NDArray[np.floating],
    alpha1: float = 0.01,
    alpha2: float = 0.5,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """How far ``a`` and ``b`` can be trusted at each pixel of the in-between.

    ``valid_a(x)`` is the forward-backward check of ``flow_ab`` (:func:`render.flow.
    consistency_mask`, Sundaram et al. 2010; a pixel of ``a`` that leaves the frame by
    ``b`` passes it, since it is still seen in between) sampled bilinearly at
    ``x + flow_ta(x)``, the point of ``a`` the pixel comes from, and 0 where that point
    is outside the frame;
    ``valid_b`` likewise from ``flow_ba`` along ``flow_tb``. Values are in [0, 1]: a pixel
    near the edge of an occluded region gets a fraction.

    Parameters
    ----------
    flow_ab, flow_ba : numpy.ndarray
        ``(H, W, 2)`` flows from ``a`` to ``b`` and from ``b`` to ``a``, pixels.
    flow_ta, flow_tb : numpy.ndarray
        ``(H, W, 2)`` flows from the in-between to ``a`` and to ``b``
        (:func:`intermediate_flows`).
    alpha1 : float, optional
        The check's tolerance relative to the squared motion. Default 0.01.
    alpha2 : float, optional
        The check's constant tolerance in squared pixels. Default 0.5.

    Returns
    -------
    valid_a : numpy.ndarray
        ``(H, W)`` float32 in [0, 1]: trust in ``warp(a, flow_ta)``.
    valid_b : numpy.ndarray
        ``(H, W)`` float32 in [0, 1]: trust in ``warp(b, flow_tb)``.

    Raises
    ------
    render.errors.SettingsError
        Flows of other shapes or sizes.

    References
    ----------
    N. Sundaram, T. Brox, K. Keutzer, ECCV 2010, section 4 (the check); H. Jiang et al.,
    "Super SloMo", CVPR 2018, eq. 1 (visibility maps as blend weights).
    """
    _check_pair(flow_ab, flow_ba)
    _check_pair(flow_ta, flow_tb)
    if flow_ta.shape != flow_ab.shape:
        raise SettingsError(f"intermediate flows {flow_ta.shape} and frame flows {flow_ab.shape} differ in size")
    out = []
    for f, g, ft in ((flow_ab, flow_ba, flow_ta), (flow_ba, flow_ab, flow_tb)):
        ft = np.asarray(ft, dtype=np.float32)
        f = np.asarray(f, dtype=np.float32)
        # a pixel that leaves the frame by the other side has no flow to check there; it is
        # still seen between, so only the check's error term counts for it
        ok = (consistency_mask(f, g, alpha1, alpha2) | ~in_frame(f)).astype(np.float32)
        at_t = warp(ok, ft, border="replicate") * in_frame(ft)
        out.append(np.asarray(np.clip(at_t, 0.0, 1.0), dtype=np.float32))
    return out[0], out[1]


def _weight(valid: npt.ArrayLike | None, shape: tuple[int, ...], what: str) -> npt.NDArray[np.float32]:
    if valid is None:
        return np.ones(shape, dtype=np.float32)
    v = np.asarray(valid)
    if v.shape != shape:
        raise SettingsError(f"{what} must be ({shape[0]}, {shape[1]}) like the frames, got shape {v.shape}")
    return np.clip(v.astype(np.float32), 0.0, 1.0)


def inbetween(
    a: npt.NDArray[np.floating],
    b: npt.NDArray[np.floating],
    flow_ta: npt.NDArray[np.floating],
    flow_tb: npt.NDArray[np.floating],
    t: float,
    valid_a: npt.ArrayLike | None = None,
    valid_b: npt.ArrayLike | None = None,
) -> npt.NDArray[np.float32]:
    """The frame at time ``t`` between ``a`` and ``b``.

    ``(wa * warp(a, flow_ta) + wb * warp(b, flow_tb)) / (wa + wb)`` with
    ``wa = (1 - t) valid_a`` and ``wb = t valid_b`` (Jiang et al. 2018, eq. 1); where both
    weights are zero, ``wa = 1 - t`` and ``wb = t``. Every channel is warped alike, so
    alpha, depth and any other layer move with the colour. Outside the frame a warp
    takes the nearest edge pixel (``border="replicate"``); give ``valid_*`` from
    :func:`occlusion_weights` so that such pixels come from the other frame.

    Parameters
    ----------
    a, b : numpy.ndarray
        ``(H, W)`` or ``(H, W, C)`` frames of one shape, any number of channels; not
        modified.
    flow_ta, flow_tb : numpy.ndarray
        ``(H, W, 2)`` flows from the in-between to ``a`` and to ``b``, pixels
        (:func:`intermediate_flows`).
    t : float
        Time of the in-between, 0 at ``a`` and 1 at ``b``.
    valid_a, valid_b : numpy.ndarray or None, optional
        ``(H, W)`` bool or float in [0, 1]: trust in each warped frame. Default None: 1.

    Returns
    -------
    numpy.ndarray
        The in-between, of ``a``'s shape, float32.

    Raises
    ------
    render.errors.SettingsError
        Shapes that do not match, ``t`` outside [0, 1].

    References
    ----------
    H. Jiang et al., "Super SloMo", CVPR 2018, eq. 1.
    """
    t = _check_t(t)
    if a.shape != b.shape:
        raise SettingsError(f"in-between: frames a {a.shape} and b {b.shape} differ")
    _check_pair(flow_ta, flow_tb)
    hw = a.shape[:2]
    if flow_ta.shape[:2] != hw:
        raise SettingsError(f"in-between: flows {flow_ta.shape[1]}x{flow_ta.shape[0]} and frames {hw[1]}x{hw[0]} differ")
    wa = np.float32(1.0 - t) * _weight(valid_a, hw, "valid_a")
    wb = np.float32(t) * _weight(valid_b, hw, "valid_b")
    total = wa + wb
    none = total <= 1e-6
    wa = np.where(none, np.float32(1.0 - t), wa / np.where(none, 1, total))
    wb = np.where(none, np.float32(t), wb / np.where(none, 1, total))
    if a.ndim == 3:
        wa, wb = wa[..., None], wb[..., None]
    fa = np.asarray(a, dtype=np.float32)
    fb = np.asarray(b, dtype=np.float32)
    out = np.zeros(a.shape, dtype=np.float32)
    # cv2.remap takes up to 4 channels at once: RGBA, then the rest in groups
    step = 4
    channels = 1 if a.ndim == 2 else a.shape[2]
    for c in range(0, channels, step):
        sel = slice(None) if a.ndim == 2 else slice(c, c + step)
        pa = fa if a.ndim == 2 else np.ascontiguousarray(fa[..., sel])
        pb = fb if a.ndim == 2 else np.ascontiguousarray(fb[..., sel])
        wa_part = warp(pa, flow_ta, border="replicate")
        wb_part = warp(pb, flow_tb, border="replicate")
        out[..., sel] = wa * wa_part + wb * wb_part
    return out
