"""Depth for 3D camera moves, in Disco Diffusion's depth units.

:func:`render.camera.warp_3d` reprojects each pixel by a depth in DD's units. DD took it
from MiDaS (a DPT network predicting relative inverse depth, larger = nearer) as::

    dd_depth = (50 - prediction) / 19                          (disco_xform_utils.py)

which puts typical scenes at about 0.5 (near) to 2.6 (far): roughly a scene distance,
scaled. Two sources are provided here:

- an estimator, any object satisfying :class:`DepthEstimator`; the one shipped is
  :class:`TransformersDepthEstimator`, a DPT (MiDaS v3) model run through Hugging Face
  ``transformers`` (optional extra ``chroma-vfx[depth]``), loaded from chroma's model cache
  (:func:`load_depth_estimator`: registry names ``dpt_hybrid_midas`` and ``dpt_large``,
  ``chroma models fetch``/``import`` like the other checkpoints);
- a plate's own depth (an EXR ``Z`` channel or a depth sequence): :func:`depth_from_z`.

``midas_weight``: DD blended MiDaS with AdaBins as ``midas * w + adabins * (1 - w)``
(default ``w = 0.3``), running AdaBins whenever ``w < 1``. chroma ships no AdaBins: with
one estimator the depth is the MiDaS-derived depth alone, i.e. DD with ``midas_weight = 1``.
:func:`blend_depth` mixes a second estimator's depth with DD's formula when one is given.

References
----------
- Ranftl, Bochkovskiy & Koltun, *Vision Transformers for Dense Prediction* (DPT),
  ICCV 2021, arXiv:2103.13413; MiDaS v3 ``dpt_large``/``dpt_hybrid`` weights.
- Disco Diffusion v5, ``disco_xform_utils.transform_image_3d`` and ``init_midas_depth_model``
  (MiDaS transform: "minimal" aspect-keeping resize to 384, multiple of 32, bicubic;
  normalisation mean = std = 0.5; prediction resized back bicubically). The ``transformers``
  ports need a square input instead (see :class:`Preprocess`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
import torch.nn.functional as F

from render.depth_preprocess import Preprocess
from render.errors import SettingsError

__all__ = [
    "DepthEstimator",
    "Preprocess",
    "TransformersDepthEstimator",
    "load_depth_estimator",
    "midas_to_dd",
    "depth_from_z",
    "blend_depth",
    "resize_shape",
]


@runtime_checkable
class DepthEstimator(Protocol):
    """Anything that maps images to DD depth: ``estimator(image) -> depth``.

    ``image`` is ``(N, 3, H, W)`` in ``[-1, 1]`` (the renderer's encoding); the result is
    ``(N, H, W)`` float32 on the same device, in DD's depth units (see module doc).

    References
    ----------
    Disco Diffusion v5.x ``disco_xform_utils.py``, ``transform_image_3d``.
    """

    def __call__(self, image: torch.Tensor) -> torch.Tensor: ...


def midas_to_dd(prediction: torch.Tensor) -> torch.Tensor:
    """DD's depth from a MiDaS prediction: ``(50 - prediction) / 19``.

    Parameters
    ----------
    prediction : torch.Tensor
        MiDaS/DPT relative inverse depth (larger = nearer), any shape.

    Returns
    -------
    torch.Tensor
        DD depth units (larger = farther), same shape.

    References
    ----------
    Disco Diffusion v5.x ``disco_xform_utils.py``, ``transform_image_3d``.
    """
    return (50.0 - prediction) / 19.0


def depth_from_z(z: torch.Tensor, depth_scale: float = 1.0) -> torch.Tensor:
    """DD depth from a plate's Z channel: ``dd_depth = depth_scale * Z``.

    A plate's Z is a camera distance in scene units (OpenEXR's ``Z``: distance along the
    view axis; renderers write it in their scene units). DD's depth is a scaled distance
    too (MiDaS-derived, about 0.5 to 2.6 for typical scenes), and :func:`render.camera.
    warp_3d` moves the camera by ``translation / 200`` of those units, so the mapping is a
    single scale: choose ``depth_scale`` so the subject lands near DD's range, e.g.
    ``1 / Z_subject`` puts the subject at depth 1 (a DD ``translation_z`` of 10 then moves
    the camera 5% of the way to it). Linear, so parallax keeps the plate's proportions.

    Parameters
    ----------
    z : torch.Tensor
        Z channel, ``(N, H, W)`` or ``(H, W)``, positive distances.
    depth_scale : float, optional
        Scene units to DD depth units (> 0). Default 1.

    Returns
    -------
    torch.Tensor
        A float32 tensor of DD depth, same shape as ``z``.

    Raises
    ------
    render.errors.SettingsError
        ``depth_scale`` not positive and finite.
    """
    if not (depth_scale > 0 and depth_scale < float("inf")):
        raise SettingsError(f"depth_scale must be a positive number, got {depth_scale}")
    return z.to(torch.float32) * float(depth_scale)


def blend_depth(midas: torch.Tensor, other: torch.Tensor, midas_weight: float) -> torch.Tensor:
    """DD's blend of two depth maps: ``midas * midas_weight + other * (1 - midas_weight)``.

    DD used it with AdaBins as ``other``.

    Parameters
    ----------
    midas : torch.Tensor
        The MiDaS-derived depth, in DD depth units.
    other : torch.Tensor
        The second estimator's depth, in DD depth units, broadcastable to ``midas``.
    midas_weight : float
        Weight of ``midas``, in [0, 1] (DD's default 0.3).

    Returns
    -------
    torch.Tensor
        The blended depth, in DD depth units.

    Raises
    ------
    render.errors.SettingsError
        If ``midas_weight`` is outside [0, 1].

    References
    ----------
    Disco Diffusion v5.x ``disco_xform_utils.py``, ``transform_image_3d``
    (``midas_weight``).
    """
    if not 0.0 <= midas_weight <= 1.0:
        raise SettingsError(f"midas_weight must be in [0, 1], got {midas_weight}")
    return midas * midas_weight + other * (1.0 - midas_weight)


# -- the shipped estimator ---------------------------------------------------------------------
def resize_shape(height: int, width: int, pre: Preprocess) -> tuple[int, int]:
    """The network input size for an image, by MiDaS's "minimal" rule.

    Each side is scaled towards ``pre.size``; with ``keep_aspect_ratio`` both use the scale
    closer to 1 (the image changes as little as possible; DD's 1280x768 frames: 640x384).
    Sides are then rounded to the nearest multiple of ``ensure_multiple_of`` (half to even,
    as numpy and Python round), never below one multiple.

    Parameters
    ----------
    height, width : int
        The image size, in pixels.
    pre : Preprocess
        Target size, aspect rule and multiple.

    Returns
    -------
    tuple of int
        The network input ``(height, width)``, in pixels.

    References
    ----------
    MiDaS ``transforms.py``, ``Resize.get_size`` (``resize_method="minimal"``).
    """
    out_h, out_w = pre.size
    sh, sw = out_h / height, out_w / width
    if pre.keep_aspect_ratio:
        if abs(1 - sw) < abs(1 - sh):
            sh = sw
        else:
            sw = sh
    m = pre.ensure_multiple_of

    def _constrain(v: float) -> int:
        x = round(v / m) * m
        return max(int(x), m)

    return _constrain(sh * height), _constrain(sw * width)


class TransformersDepthEstimator:
    """A ``transformers`` depth model (DPT / MiDaS v3) as a :class:`DepthEstimator`.

    Images in ``[-1, 1]`` are mapped to ``[0, 1]``, resized bicubically (no antialiasing,
    as DD's ``cv2.INTER_CUBIC``) to :func:`resize_shape`, normalised, run through the
    model (``predicted_depth``), resized back bicubically (``align_corners=False``, as DD)
    and mapped to DD units with :func:`midas_to_dd`. Runs under ``torch.no_grad`` on the
    model's device; the result is float32 on the image's device.

    Parameters
    ----------
    model : torch.nn.Module
        A ``transformers`` model whose output has ``predicted_depth`` ``(N, h, w)``, e.g.
        ``DPTForDepthEstimation``.
    preprocess : Preprocess, optional
        Defaults to DD's MiDaS transform.
    dtype : torch.dtype, optional
        Inference dtype (DD ran MiDaS in float16 on CUDA); the model is converted to it.
        Default: the model's own.
    """

    def __init__(self, model: torch.nn.Module, preprocess: Preprocess | None = None, dtype: torch.dtype | None = None):
        self.model = model.eval().requires_grad_(False)
        if dtype is not None:
            self.model.to(dtype)
        self.preprocess = preprocess or Preprocess()
        self.dtype = dtype

    @property
    def device(self) -> torch.device:
        """The device the model runs on.

        Returns
        -------
        torch.device
            The device of the model's first parameter.
        """
        return next(self.model.parameters()).device

    def to(self, device: torch.device | str) -> "TransformersDepthEstimator":
        """Move the model to ``device``.

        Parameters
        ----------
        device : torch.device or str
            The device, e.g. ``"cuda"``.

        Returns
        -------
        TransformersDepthEstimator
            This estimator, moved.
        """
        self.model.to(device)
        return self

    def pixel_values(self, image: torch.Tensor) -> torch.Tensor:
        """The network input for an image.

        Parameters
        ----------
        image : torch.Tensor
            ``(N, 3, H, W)`` in [-1, 1].

        Returns
        -------
        torch.Tensor
            ``(N, 3, h, w)`` float32 on the model's device: the image mapped to [0, 1],
            resized bicubically to :func:`resize_shape` and normalised by the mean and
            std.

        Raises
        ------
        ValueError
            If ``image`` is not ``(N, 3, H, W)``.
        """
        if image.dim() != 4 or image.shape[1] != 3:
            raise ValueError(f"image must be (N, 3, H, W), got {tuple(image.shape)}")
        pre = self.preprocess
        x = (image.to(device=self.device, dtype=torch.float32) + 1.0) / 2.0
        size = resize_shape(image.shape[-2], image.shape[-1], pre)
        if size != tuple(image.shape[-2:]):
            x = F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=False)
        mean = torch.tensor(pre.image_mean, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(pre.image_std, device=x.device).view(1, 3, 1, 1)
        return (x - mean) / std

    @torch.no_grad()
    def predict(self, image: torch.Tensor) -> torch.Tensor:
        """The model's raw prediction, resized to the image.

        Parameters
        ----------
        image : torch.Tensor
            ``(N, 3, H, W)`` in [-1, 1].

        Returns
        -------
        torch.Tensor
            ``(N, H, W)`` float32 relative inverse depth (larger = nearer) on the image's
            device.
        """
        px = self.pixel_values(image)
        dtype = self.dtype or next(self.model.parameters()).dtype
        pred = self.model(pixel_values=px.to(dtype)).predicted_depth
        if pred.dim() == 4:
            pred = pred[:, 0]
        pred = pred.float().unsqueeze(1)
        if tuple(pred.shape[-2:]) != tuple(image.shape[-2:]):
            pred = F.interpolate(pred, size=tuple(image.shape[-2:]), mode="bicubic", align_corners=False)
        return pred[:, 0].to(image.device)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """DD depth ``(N, H, W)`` for ``image`` ``(N, 3, H, W)`` in ``[-1, 1]``."""
        return midas_to_dd(self.predict(image))


def load_depth_estimator(
    name: str = "dpt_hybrid_midas", device: torch.device | str | None = None, dtype: torch.dtype | None = None
) -> TransformersDepthEstimator:
    """The registered depth model ``name`` from chroma's model cache, as an estimator.

    Parameters
    ----------
    name : str, optional
        Registry name (``dpt_hybrid_midas``, the default, ``dpt_large`` -- DD's default --, or a custom
        model imported with ``chroma models import FILE --name NAME --family depth
        --config config.json``).
    device : torch.device or str, optional
        Where to run it (default None: where it loads, the CPU).
    dtype : torch.dtype, optional
        Inference dtype (e.g. ``torch.float16`` on CUDA, as DD). Default None: the
        model's own.

    Returns
    -------
    TransformersDepthEstimator
        The estimator, with the model's ``preprocess`` settings.

    Raises
    ------
    render.errors.ModelNotFoundError
        Not cached; the message gives the fetch/import command.
    render.errors.ModelError
        ``transformers`` missing, or the weights do not fit the configuration.
    """
    from render.models.depth import load_depth_model

    model, pre = load_depth_model(name)
    if device is not None:
        model.to(device)
    return TransformersDepthEstimator(model, Preprocess.from_dict(pre), dtype)

