"""Rendered frames <-> scene-linear images, through an OCIO display view (DESIGN.md: "The data that flows").

The renderer yields display-referred frames (values in [-1, 1], the models' own sRGB-like
encoding). :func:`frame_to_scene_linear` maps them to [0, 1] display code values and
through the *inverse* of an OCIO display/view into the working space, so a frame that is
viewed through that same view in Nuke looks as the model drew it; :func:`display_tensor`
is the way back, for init images and image prompts.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np

from chroma import ocio as _ocio
from chroma.errors import ChromaValueError
from chroma.image import DEFAULT_COLORSPACE, Image


def _to_hwc(frame: Any) -> np.ndarray:
    """(3, H, W) or (1, 3, H, W) torch tensor / numpy array, or (H, W, 3) -> float32 HxWx3."""
    if hasattr(frame, "detach"):  # a torch tensor, without importing torch here
        frame = frame.detach().float().cpu().numpy()
    arr = np.asarray(frame, dtype=np.float32)
    if arr.ndim == 4:
        if arr.shape[0] != 1:
            raise ChromaValueError(f"expected one frame, got a batch of {arr.shape[0]}; pass them one at a time")
        arr = arr[0]
    if arr.ndim != 3:
        raise ChromaValueError(f"a frame must be 3 x H x W or H x W x 3, got shape {arr.shape}")
    if arr.shape[0] == 3 and arr.shape[2] != 3:
        arr = np.transpose(arr, (1, 2, 0))
    if arr.shape[2] != 3:
        raise ChromaValueError(f"a frame must have 3 colour channels, got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def frame_to_scene_linear(
    frame: Any,
    colorspace: str = DEFAULT_COLORSPACE,
    display: str | None = None,
    view: str | None = None,
    config: str | os.PathLike | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Image:
    """Turn a rendered frame in [-1, 1] into a scene-linear :class:`Image`.

    The frame is taken as display code values ``(x + 1) / 2`` in [0, 1] (values outside
    [-1, 1] are clipped first: the display encoding has no meaning beyond it) and goes
    through the *inverse* of the OCIO display/view, so that viewing the result through that
    same view shows the frame as the model drew it. :func:`display_tensor` is the inverse.

    Parameters
    ----------
    frame : torch.Tensor or numpy.ndarray
        (3, H, W), (1, 3, H, W) or (H, W, 3) values in [-1, 1] (the models' sRGB-like
        encoding).
    colorspace : str, optional
        Scene-linear colour space of the result (default ACEScg).
    display : str or None, optional
        The display the frame is encoded for (default: the config's default, sRGB).
    view : str or None, optional
        View of ``display`` whose inverse is applied (default: its default view, ACES 2.0
        SDR 100 nits in the bundled config).
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).
    metadata : Mapping[str, Any] or None, optional
        Extra metadata, stored under ``chroma/``.

    Returns
    -------
    Image
        H x W x RGB float32 in ``colorspace``, with ``chroma/source_display`` and
        ``chroma/source_view`` recorded.

    Raises
    ------
    ChromaValueError
        A frame that is not one 3-channel image.
    ColorSpaceError
        A colour space, display or view the config does not have.
    """
    hwc = _to_hwc(frame)
    code = np.clip((hwc + 1.0) * 0.5, 0.0, 1.0)
    cfg = _ocio.get_config(config)
    display = display or cfg.getDefaultDisplay()
    view = view or _ocio.default_view(display, colorspace, config)
    linear = _ocio.display_view(code, colorspace, display, view, inverse=True, config=config)
    meta = {"chroma/source_display": display, "chroma/source_view": view}
    meta.update({k if k.startswith("chroma/") else f"chroma/{k}": v for k, v in (metadata or {}).items()})
    return Image(linear, ["R", "G", "B"], _ocio.resolve_colorspace(colorspace, config), meta)


def display_tensor(source: Any, display: str | None = None, view: str | None = None,
                   config: str | os.PathLike | None = None, size: tuple[int, int] | None = None) -> Any:
    """Read an image as the models see it: display code values in [-1, 1], a torch tensor.

    The inverse of :func:`frame_to_scene_linear`.

    Scene-linear images go through the display view (tone-mapped, as a compositor sees
    them); display-referred files (sRGB PNG/JPEG) reach the display colorimetrically, so
    their code values are used as they are.

    Parameters
    ----------
    source : str or os.PathLike or Image
        An image file (any format :func:`chroma.io.read` reads) or an image.
    display : str or None, optional
        OCIO display (default: the config's default, sRGB).
    view : str or None, optional
        View of ``display`` (default: its default view for the image's colour space).
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).
    size : tuple of (int, int) or None, optional
        (width, height) in pixels to resize to (bilinear, antialiased); None keeps the size.

    Returns
    -------
    torch.Tensor
        (3, H, W) float32, display code values ``2 * c - 1`` for ``c`` clipped to [0, 1].

    Raises
    ------
    ChromaIOError
        The file cannot be read.
    ColorSpaceError
        A display or view the config does not have.
    """
    import torch

    from chroma import io

    img = source if isinstance(source, Image) else io.read(source, config=config)
    code = _ocio.display_view(img.rgb, img.colorspace, display, view, config=config)
    t = torch.from_numpy(np.ascontiguousarray(np.clip(code, 0.0, 1.0) * 2.0 - 1.0)).permute(2, 0, 1).float()
    if size is not None and tuple(t.shape[-2:]) != (size[1], size[0]):
        t = torch.nn.functional.interpolate(t[None], size=(size[1], size[0]), mode="bilinear",
                                            align_corners=False, antialias=True)[0]
    return t
