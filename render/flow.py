"""Optical flow between two frames, backward warping and the forward-backward check.

Conventions (chroma's, and Disco Diffusion 5.7's). A flow is a ``(H, W, 2)`` float32
array in pixels of the frame it was computed at: channel 0 is x (columns, to the right), channel 1 is y (rows, **down**: image space,
row 0 at the top; Nuke's vectors are y up, so a writer of Nuke motion layers negates
channel 1).

``estimate_flow(a, b)`` is the flow **from a to b**: for every pixel ``x`` of ``a``,
``a(x) ~ b(x + flow(x))``. It is what RAFT returns for ``model(a, b)`` and what OpenCV's
DIS returns for ``calc(a, b)``. So if ``b`` is ``a`` moved by ``(dx, dy)`` pixels, the flow
is ``(dx, dy)`` everywhere, and :func:`warp` ``(b, flow)`` samples ``b`` at ``x + flow(x)``,
which gives back ``a`` (backward warping).

Disco Diffusion's video flow warp (disco.py, cells ``FlowFns1``/``FlowFns2`` and the
``video_init_flow_warp`` branch of ``do_run``) computes ``flow21 = get_flow(frame2, frame1)``,
i.e. the flow from the plate's frame ``i`` to its frame ``i - 1``, at the render size, and
starts frame ``i`` from ``plate[i] * (1 - blend) + warp_flow(previous_output, flow21) * blend``
where ``warp_flow`` is ``cv2.remap(img, x + flow, INTER_LINEAR)`` with OpenCV's default
border (constant zero). In chroma's terms::

    flow = estimator(plate[i], plate[i - 1])
    init = flow_blend(plate[i], previous_output, flow, blend)

Methods. ``"dis"``: OpenCV's Dense Inverse Search (Kroeger et al. 2016), no weights; the
embedded default. ``"raft"``: torchvision's ``raft_large`` with the registry's
``raft_large_C_T_V1`` weights (torchvision's port of RAFT's ``raft-things.pth``, the model
Disco Diffusion runs; Teed and Deng 2020). ``"auto"``: RAFT where its weights are in the
model cache, otherwise DIS with a note (:attr:`FlowEstimator.note`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from render.atomic import atomic_path
from render.errors import ChecksumError, ModelError, ModelNotFoundError, RenderError, SettingsError
from render.models.checks import raft_layout  # the layout a "flow" checkpoint must hold

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from torchvision.models.optical_flow import RAFT

__all__ = [
    "DIS_PRESETS",
    "RAFT_MODEL",
    "FlowEstimator",
    "consistency_mask",
    "estimate_flow",
    "flow_blend",
    "in_frame",
    "load_flow",
    "load_raft",
    "raft_layout",
    "resolve_method",
    "save_flow",
    "to_grey8",
    "warp",
]

FlowMethod = Literal["auto", "dis", "raft"]
Border = Literal["constant", "replicate", "reflect"]
_Pixel = TypeVar("_Pixel", bound=np.generic)

#: Registry name of the RAFT weights Disco Diffusion's flow uses (raft-things).
RAFT_MODEL = "raft_large_C_T_V1"
#: OpenCV's DIS presets by name (``cv2.DISOpticalFlow_PRESET_*``).
DIS_PRESETS = ("ultrafast", "fast", "medium")
#: RAFT's refinement iterations in Disco Diffusion's ``get_flow`` (``iters=20``).
RAFT_ITERATIONS = 20
RAFT_MIN_SIDE = 128  #: RAFT's smallest frame side in pixels (its 1/8-scale correlation pyramid needs 16)
# torchvision names its files <stem>-<first hex digits of the sha256>.pth (torch.hub's check_hash)
_HUB_HASH = re.compile(r"-([0-9a-f]{8,64})\.pth?$")


def _cv2() -> ModuleType:
    try:
        import cv2
    except ModuleNotFoundError:
        raise RenderError(
            "optical flow needs OpenCV (opencv-python-headless, in the renderer's extra): "
            "pip install 'chroma-vfx[render]'"
        ) from None
    return cv2


# -- inputs ------------------------------------------------------------------------------
def _check_frame(image: npt.NDArray[np.generic], what: str) -> None:
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3)):
        raise SettingsError(f"{what} must be an (H, W) or (H, W, 3) image, got shape {image.shape}")


def _to_uint8(image: npt.NDArray[np.generic]) -> npt.NDArray[np.uint8]:
    if image.dtype == np.uint8:
        return np.asarray(image, dtype=np.uint8)
    # display-referred floats in [0, 1]: clipped and rounded to the nearest 8-bit level
    scaled = np.rint(np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0) * 255.0)
    return scaled.astype(np.uint8)


def to_grey8(image: npt.NDArray[np.generic]) -> npt.NDArray[np.uint8]:
    """The 8-bit grey image DIS takes from a frame.

    Floats are display-referred values in [0, 1]: clipped, times 255, rounded to the
    nearest integer; ``uint8`` is taken as it is. RGB becomes grey by OpenCV's
    ``COLOR_RGB2GRAY``, Rec. 601 luma ``0.299 R + 0.587 G + 0.114 B`` (rounded).

    Parameters
    ----------
    image : numpy.ndarray
        ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)`` RGB, ``uint8`` or float in [0, 1].

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` ``uint8``.

    Raises
    ------
    render.errors.SettingsError
        Another shape.
    """
    _check_frame(image, "a frame")
    grey = _to_uint8(image)
    if grey.ndim == 3 and grey.shape[2] == 3:
        grey = _cv2().cvtColor(np.ascontiguousarray(grey), _cv2().COLOR_RGB2GRAY)
    return np.ascontiguousarray(grey.reshape(grey.shape[:2]))


def _to_raft_input(image: npt.NDArray[np.generic]) -> npt.NDArray[np.float32]:
    """RGB in [-1, 1], as RAFT's own ``2 * (x / 255) - 1`` and torchvision's transforms."""
    if image.dtype == np.uint8:
        rgb = image.astype(np.float32) / 255.0
    else:
        rgb = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    if rgb.ndim == 2 or rgb.shape[2] == 1:
        rgb = np.repeat(rgb.reshape(rgb.shape[:2])[..., None], 3, axis=2)
    return rgb * 2.0 - 1.0


# -- RAFT weights ------------------------------------------------------------------------
def _check_hub_prefix(path: Path, digest: str, name: str) -> None:
    match = _HUB_HASH.search(path.name)
    if match and not digest.startswith(match.group(1)):
        raise ChecksumError(
            f"{path} is not torchvision's file for {name!r}: its sha256 {digest} does not start with "
            f"{match.group(1)} as its name says; delete it and run `chroma models fetch {name}`"
        )


def load_raft(name: str = RAFT_MODEL, device: str = "cpu") -> RAFT:
    """Build torchvision's ``raft_large`` and load the registered weights ``name``.

    The file's sha256 is checked against the registry's where it has one, and against the
    hash prefix in torchvision's file name (``raft_large_C_T_V1-22a6c225.pth``: the first
    8 hex digits, torch.hub's own check); then it is read as plain weights only.

    Parameters
    ----------
    name : str, optional
        Registry name of a ``"flow"`` family entry. Default :data:`RAFT_MODEL`.
    device : str, optional
        Torch device. Default ``"cpu"``.

    Returns
    -------
    torchvision.models.optical_flow.RAFT
        The network in eval mode, gradients off.

    Raises
    ------
    render.errors.ModelNotFoundError
        The weights are not in the model cache (one line: how to fetch or import them).
    render.errors.ChecksumError
        The cached file is not the published one.
    render.errors.ModelError
        Not a flow entry, or weights that do not fit ``raft_large``.
    """
    from torchvision.models.optical_flow import raft_large

    from render.models.registry import cached_sha256, check_sha256, get_info
    from render.models.store import model_path
    from render.models.weights import error_detail, load_state_dict

    info = get_info(name)
    if info.family != "flow":
        raise ModelError(f"{info.name!r} is a {info.family} model, not an optical-flow model (try {RAFT_MODEL})")
    path = model_path(info.name)
    digest = cached_sha256(path) or ""
    check_sha256(info, path, digest)
    _check_hub_prefix(path, digest, info.name)
    state = load_state_dict(path)
    model = raft_large(weights=None)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise ModelError(f"the weights of {info.name!r} ({path}) do not fit raft_large ({error_detail(e)})") from None
    return model.eval().requires_grad_(False).to(device)


def resolve_method(method: str = "auto", model: str = RAFT_MODEL,
                   size: tuple[int, int] | None = None) -> tuple[Literal["dis", "raft"], str | None]:
    """The flow method a setting gives, checked before any model loads.

    Parameters
    ----------
    method : {"auto", "dis", "raft"}, optional
        ``"raft"`` insists on RAFT; ``"auto"`` (default) takes RAFT when its weights are
        cached and DIS otherwise.
    model : str, optional
        Registry name of the RAFT weights. Default :data:`RAFT_MODEL`.
    size : tuple of (int, int) or None, optional
        ``(width, height)`` the flow is estimated at, in pixels; RAFT needs at least
        :data:`RAFT_MIN_SIDE` on each side. Default None: not checked.

    Returns
    -------
    method : {"dis", "raft"}
        What will run.
    note : str or None
        A line for the user when ``"auto"`` fell back to DIS (no weights, or frames too
        small for RAFT); else None.

    Raises
    ------
    render.errors.SettingsError
        An unknown method, or ``"raft"`` with frames smaller than RAFT takes.
    render.errors.ModelNotFoundError
        ``"raft"`` and the weights are not cached (one line: how to get them).
    """
    from render.models.store import model_path

    if method == "dis":
        return "dis", None
    if method not in ("auto", "raft"):
        raise SettingsError(f"flow method must be 'auto', 'dis' or 'raft', got {method!r}")
    try:
        model_path(model)
    except ModelNotFoundError:
        if method == "raft":
            raise
        return "dis", (
            f"optical flow: the RAFT weights {model!r} are not in the model cache, so OpenCV's DIS "
            f"estimates the flow (for Disco Diffusion's RAFT: `chroma models fetch {model}`)"
        )
    if size is not None and min(size) < RAFT_MIN_SIDE:
        w, h = size
        if method == "raft":
            raise SettingsError(f"RAFT needs frames of at least {RAFT_MIN_SIDE}x{RAFT_MIN_SIDE} pixels and the flow is "
                                f"estimated at {w}x{h}; use flow_model = \"dis\" (or \"auto\")")
        return "dis", f"optical flow: {w}x{h} frames are under RAFT's {RAFT_MIN_SIDE} pixels, so OpenCV's DIS estimates the flow"
    return "raft", None


# -- estimation --------------------------------------------------------------------------
@dataclass
class FlowEstimator:
    """Estimates flows frame pair after frame pair, with the model loaded once.

    Made with the attributes ``method`` to ``iterations``; making one checks the method
    (:func:`resolve_method`) and the preset, and raises ``render.errors.SettingsError``
    for an unknown one, ``render.errors.ModelNotFoundError`` for ``method="raft"`` without
    the weights in the cache. RAFT loads at the first pair.

    Attributes
    ----------
    method : {"auto", "dis", "raft"}
        See :func:`resolve_method`. Default ``"auto"``.
    model : str
        Registry name of the RAFT weights. Default :data:`RAFT_MODEL`.
    device : str
        Torch device for RAFT. Default ``"cpu"``.
    preset : {"ultrafast", "fast", "medium"}
        OpenCV's DIS preset. Default ``"medium"``.
    iterations : int
        RAFT's refinement iterations. Default 20, as Disco Diffusion.
    size : tuple of (int, int) or None
        ``(width, height)`` of the frames, when known: ``"auto"`` takes DIS below RAFT's
        smallest size. Default None.
    resolved : {"dis", "raft"}
        The method that runs.
    note : str or None
        A line for the user when ``"auto"`` fell back to DIS.
    """

    method: str = "auto"
    model: str = RAFT_MODEL
    device: str = "cpu"
    preset: str = "medium"
    iterations: int = RAFT_ITERATIONS
    size: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.preset not in DIS_PRESETS:
            raise SettingsError(f"DIS preset must be one of {', '.join(DIS_PRESETS)}, got {self.preset!r}")
        self.resolved: Literal["dis", "raft"]
        self.note: str | None
        self.resolved, self.note = resolve_method(self.method, self.model, self.size)

    @cached_property
    def _raft(self) -> RAFT:
        return load_raft(self.model, self.device)

    def __call__(self, a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> npt.NDArray[np.float32]:
        """The flow from ``a`` to ``b`` (module conventions), at their size.

        Parameters
        ----------
        a, b : numpy.ndarray
            Frames of one size: ``(H, W)`` or ``(H, W, 3)`` RGB, ``uint8`` or float
            display-referred values in [0, 1].

        Returns
        -------
        numpy.ndarray
            ``(H, W, 2)`` float32, pixels, x then y (y down): ``a(x) ~ b(x + flow(x))``.

        Raises
        ------
        render.errors.SettingsError
            Frames of other shapes or sizes.
        """
        _check_frame(a, "frame a")
        _check_frame(b, "frame b")
        if a.shape[:2] != b.shape[:2]:
            raise SettingsError(f"flow needs two frames of one size, got {a.shape[1]}x{a.shape[0]} and {b.shape[1]}x{b.shape[0]}")
        if self.resolved == "raft":
            return self._raft_flow(a, b)
        return self._dis_flow(a, b)

    def _dis_flow(self, a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> npt.NDArray[np.float32]:
        cv2 = _cv2()
        preset = getattr(cv2, f"DISOpticalFlow_PRESET_{self.preset.upper()}")
        dis = cv2.DISOpticalFlow_create(preset)
        flow = dis.calc(to_grey8(a), to_grey8(b), None)
        return np.asarray(flow, dtype=np.float32)

    def _raft_flow(self, a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> npt.NDArray[np.float32]:
        import torch
        import torch.nn.functional as F

        h, w = a.shape[:2]
        if min(h, w) < RAFT_MIN_SIDE:
            raise SettingsError(f"RAFT needs frames of at least {RAFT_MIN_SIDE}x{RAFT_MIN_SIDE} pixels, got {w}x{h}; "
                                "use method='dis'")
        # RAFT works at multiples of 8: pad by edge replication, centred (RAFT's InputPadder)
        ph, pw = -h % 8, -w % 8
        pad = (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)

        def tensor(image: npt.NDArray[np.generic]) -> torch.Tensor:
            t = torch.from_numpy(_to_raft_input(image)).permute(2, 0, 1)[None].to(self.device)
            return F.pad(t, pad, mode="replicate") if any(pad) else t

        with torch.no_grad():
            flows = self._raft(tensor(a), tensor(b), num_flow_updates=self.iterations)
        flow = flows[-1][0, :, pad[2]:pad[2] + h, pad[0]:pad[0] + w]
        return np.ascontiguousarray(flow.permute(1, 2, 0).cpu().numpy(), dtype=np.float32)


def estimate_flow(
    a: npt.NDArray[np.generic],
    b: npt.NDArray[np.generic],
    method: str = "dis",
    *,
    model: str = RAFT_MODEL,
    device: str = "cpu",
    preset: str = "medium",
    iterations: int = RAFT_ITERATIONS,
) -> npt.NDArray[np.float32]:
    """The optical flow from ``a`` to ``b``, at their size.

    One pair; for a sequence make one :class:`FlowEstimator` (RAFT loads once).

    Parameters
    ----------
    a, b : numpy.ndarray
        Frames of one size: ``(H, W)`` or ``(H, W, 3)`` RGB, ``uint8`` or float
        display-referred values in [0, 1]. DIS sees them as :func:`to_grey8`.
    method : {"dis", "raft", "auto"}, optional
        Default ``"dis"`` (see :func:`resolve_method`).
    model : str, optional
        Registry name of the RAFT weights. Default :data:`RAFT_MODEL`.
    device : str, optional
        Torch device for RAFT. Default ``"cpu"``.
    preset : {"ultrafast", "fast", "medium"}, optional
        OpenCV's DIS preset. Default ``"medium"``.
    iterations : int, optional
        RAFT's refinement iterations. Default 20, as Disco Diffusion.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 2)`` float32 in pixels, x then y (y down): ``a(x) ~ b(x + flow(x))``, so
        ``warp(b, flow)`` resembles ``a``.

    Raises
    ------
    render.errors.SettingsError
        Frames of other shapes or sizes, an unknown method or preset.
    render.errors.ModelNotFoundError
        ``method="raft"`` without the weights in the cache.
    """
    return FlowEstimator(method, model, device, preset, iterations)(a, b)


# -- warping -----------------------------------------------------------------------------
_BORDERS = {"constant": "BORDER_CONSTANT", "replicate": "BORDER_REPLICATE", "reflect": "BORDER_REFLECT_101"}


def _check_flow(flow: npt.NDArray[np.generic], what: str = "flow") -> None:
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise SettingsError(f"{what} must be an (H, W, 2) array, got shape {flow.shape}")


def warp(image: npt.NDArray[_Pixel], flow: npt.NDArray[np.floating], border: Border = "constant") -> npt.NDArray[_Pixel]:
    """Backward warp: ``out(x) = image(x + flow(x))``, bilinear.

    ``cv2.remap`` with ``INTER_LINEAR``, as Disco Diffusion's ``warp_flow``; OpenCV
    interpolates at 1/32 pixel positions (``INTER_BITS = 5``).

    Parameters
    ----------
    image : numpy.ndarray
        ``(H, W)`` or ``(H, W, C)``, any dtype ``cv2.remap`` takes (``uint8``, ``float32``,
        ...); the size of ``flow``.
    flow : numpy.ndarray
        ``(H, W, 2)`` pixels, x then y (y down), module conventions.
    border : {"constant", "replicate", "reflect"}, optional
        What is sampled outside the image: ``"constant"`` zero (default; OpenCV's default
        ``BORDER_CONSTANT``, so Disco Diffusion's), ``"replicate"`` the edge pixel,
        ``"reflect"`` the mirror without repeating the edge (``BORDER_REFLECT_101``).

    Returns
    -------
    numpy.ndarray
        ``image`` resampled, of its shape and dtype.

    Raises
    ------
    render.errors.SettingsError
        Shapes that do not match, or an unknown border.
    """
    _check_flow(flow)
    if image.shape[:2] != flow.shape[:2]:
        raise SettingsError(f"warp: image {image.shape[1]}x{image.shape[0]} and flow {flow.shape[1]}x{flow.shape[0]} differ")
    if border not in _BORDERS:
        raise SettingsError(f"border must be one of {', '.join(_BORDERS)}, got {border!r}")
    cv2 = _cv2()
    h, w = flow.shape[:2]
    f = np.asarray(flow, dtype=np.float32)
    map_x = f[..., 0] + np.arange(w, dtype=np.float32)[None, :]
    map_y = f[..., 1] + np.arange(h, dtype=np.float32)[:, None]
    out = cv2.remap(np.ascontiguousarray(image), map_x, map_y, cv2.INTER_LINEAR,
                    borderMode=getattr(cv2, _BORDERS[border]), borderValue=0)
    return np.asarray(out).reshape(image.shape)


def in_frame(flow: npt.NDArray[np.floating]) -> npt.NDArray[np.bool_]:
    """Where a flow leads inside the frame: ``x + flow(x)`` within the outermost pixel centres.

    Parameters
    ----------
    flow : numpy.ndarray
        ``(H, W, 2)`` pixels, module conventions.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool (positions computed in float64), True where a bilinear sample there
        needs no pixel outside the frame.
    """
    f = np.asarray(flow, dtype=np.float64)
    h, w = f.shape[:2]
    x = f[..., 0] + np.arange(w)[None, :]
    y = f[..., 1] + np.arange(h)[:, None]
    return np.asarray((x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1))


def consistency_mask(
    forward: npt.NDArray[np.floating],
    backward: npt.NDArray[np.floating],
    alpha1: float = 0.01,
    alpha2: float = 0.5,
) -> npt.NDArray[np.bool_]:
    """Where a flow is reliable: the forward-backward check of Sundaram et al. (2010).

    A pixel ``x`` is *occluded* (unreliable) when
    ``|f(x) + b(x + f(x))|**2 > alpha1 * (|f(x)|**2 + |b(x + f(x))|**2) + alpha2``, or
    when ``x + f(x)`` leaves the frame. ``b(x + f(x))`` is sampled bilinearly
    (:func:`warp`).

    Parameters
    ----------
    forward : numpy.ndarray
        ``(H, W, 2)`` flow from ``a`` to ``b`` (``estimate_flow(a, b)``), pixels.
    backward : numpy.ndarray
        ``(H, W, 2)`` flow from ``b`` to ``a`` (``estimate_flow(b, a)``), pixels.
    alpha1 : float, optional
        Tolerance relative to the squared motion. Default 0.01 (Sundaram et al.).
    alpha2 : float, optional
        Constant tolerance in squared pixels. Default 0.5 (Sundaram et al.); with
        ``alpha1=0`` it is a plain threshold of ``sqrt(alpha2)`` pixels.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool, True where the flow is consistent, False where occluded or out
        of frame.

    Raises
    ------
    render.errors.SettingsError
        Flows of other shapes.

    References
    ----------
    N. Sundaram, T. Brox, K. Keutzer, "Dense point trajectories by GPU-accelerated large
    displacement optical flow", ECCV 2010, section 4.
    """
    _check_flow(forward, "forward")
    _check_flow(backward, "backward")
    if forward.shape != backward.shape:
        raise SettingsError(f"forward {forward.shape} and backward {backward.shape} flows differ in size")
    f = np.asarray(forward, dtype=np.float32)
    b_at = warp(np.asarray(backward, dtype=np.float32), f, border="replicate")
    err = np.sum((f + b_at) ** 2, axis=2)
    tol = alpha1 * (np.sum(f**2, axis=2) + np.sum(b_at**2, axis=2)) + alpha2
    return np.asarray((err <= tol) & in_frame(f))


def flow_blend(
    plate: npt.NDArray[np.floating],
    previous: npt.NDArray[np.floating],
    flow: npt.NDArray[np.floating],
    blend: float,
    reliable: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.float32]:
    """Disco Diffusion's flow-warp init of a video frame.

    ``plate * (1 - blend) + warp(previous, flow) * blend`` (disco.py's ``warp``, border
    zero), where ``reliable`` (chroma's extension of DD's "TBD" consistency check) is
    False, the plate.

    Parameters
    ----------
    plate : numpy.ndarray
        ``(H, W, C)`` the plate's frame ``i``, float.
    previous : numpy.ndarray
        ``(H, W, C)`` the previous output frame, float, at the plate's size.
    flow : numpy.ndarray
        ``(H, W, 2)`` flow from plate ``i`` to plate ``i - 1`` (DD's ``flow21``).
    blend : float
        Weight of the warped frame (DD's ``video_init_flow_blend``, default 0.999).
    reliable : numpy.ndarray or None, optional
        ``(H, W)`` bool from :func:`consistency_mask`. Default None: every pixel.

    Returns
    -------
    numpy.ndarray
        ``(H, W, C)`` float32.

    Raises
    ------
    render.errors.SettingsError
        Shapes that do not match.
    """
    if plate.shape != previous.shape:
        raise SettingsError(f"flow blend: plate {plate.shape} and previous frame {previous.shape} differ")
    p = np.asarray(plate, dtype=np.float32)
    warped = warp(np.asarray(previous, dtype=np.float32), flow)
    out = p * np.float32(1.0 - blend) + warped * np.float32(blend)
    if reliable is not None:
        keep = np.asarray(reliable, dtype=bool).reshape(p.shape[:2] + (1,) * (p.ndim - 2))
        out = np.where(keep, out, p)
    return np.asarray(out, dtype=np.float32)


# -- files -------------------------------------------------------------------------------
def save_flow(path: str | Path, flow: npt.NDArray[np.floating]) -> None:
    """Write a flow to a compressed ``.npz`` (float32, lossless), whole or not at all.

    Parameters
    ----------
    path : str or pathlib.Path
        The file (its folder must exist). numpy adds ``.npz`` to a name without it, so
        give the name with it.
    flow : numpy.ndarray
        ``(H, W, 2)`` pixels; stored as float32 under the key ``flow``.

    Raises
    ------
    render.errors.SettingsError
        Not an ``(H, W, 2)`` array.
    """
    _check_flow(flow)
    with atomic_path(Path(path)) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, flow=np.asarray(flow, dtype=np.float32))


def load_flow(path: str | Path) -> npt.NDArray[np.float32]:
    """Read a flow written by :func:`save_flow`.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.npz`` file.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 2)`` float32.

    Raises
    ------
    render.errors.RenderError
        The file is missing, unreadable or holds no ``(H, W, 2)`` flow.
    """
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            flow = np.asarray(data["flow"])
    except (OSError, KeyError, ValueError) as e:
        raise RenderError(f"cannot read the flow {path}: {e}") from None
    if flow.ndim != 3 or flow.shape[2] != 2 or flow.dtype != np.float32:
        raise RenderError(f"{path} holds no (H, W, 2) float32 flow (shape {flow.shape}, {flow.dtype})")
    return flow
