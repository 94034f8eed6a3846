"""Disco Diffusion v5's cutouts: ResizeRight resizing, "Dango" composition, augmentations.

Every guidance step shows CLIP a stack of square views ("cutouts") of the blended image
``x_in`` mapped to [0, 1]. Disco Diffusion v5 (``MakeCutoutsDango`` in ``disco.py``)
builds them as follows, and so does :func:`make_cutouts`:

- **overview** cutouts: the image zero-padded to a square (by ``(long - short) // 2`` on
  each side of the short dimension) and resized to the CLIP input size. With
  ``overview <= 4`` they are the first ``overview`` of: plain, grey, mirrored (width
  flipped), grey mirrored; with more than 4, ``overview`` copies of the plain one.
- **inner** cuts: ``innercut`` random squares of side
  ``int(u ** ic_size_pow * (max_size - min_size) + min_size)`` (``u`` uniform in [0, 1),
  ``max_size`` the short side, ``min_size`` that or the CLIP size if smaller) at a
  uniform random offset; crop ``i`` is grey when ``i <= int(ic_grey_p * innercut)``, so
  ``int(ic_grey_p * innercut) + 1`` crops are grey (at least one, even with ``p = 0``:
  DD's rule, kept), greyed before resizing.
- grey is torchvision's ``rgb_to_grayscale`` (``0.2989 R + 0.587 G + 0.114 B``, ITU-R
  BT.601) copied to three channels.
- resizing is ResizeRight's (Shocher et al., *From Discrete to Continuous Convolution
  Layers*, arXiv:2006.06926; https://github.com/assafshocher/ResizeRight, the
  ``resize-right`` package), which DD uses: Keys' cubic kernel (a = -0.5; Keys 1981,
  *Cubic convolution interpolation for digital image processing*, IEEE TASSP 29(6)),
  output pixel ``j`` centred on input position ``(j + 0.5) * in / out - 0.5``, the kernel
  stretched by ``in / out`` when shrinking (antialiasing), the weights of each output
  pixel normalised to sum to 1 *before* the taps outside the image read zeros (so the
  border darkens). :func:`resize` computes the same function as two matrix products with
  per-size weight matrices built once and cached: ResizeRight gathers the taps of every
  pixel on every call, and its backward pass scatters them back (768x768 -> 224x224,
  forward and backward: 0.29 s with ResizeRight, 0.07 s as matrices, here);
  ``tests/render/test_cutouts.py`` shows it equal to the ``resize-right`` package.
- **augmentations** (unless ``skip_augs``): DD applies torchvision's
  ``T.Compose([RandomHorizontalFlip(0.5), noise, RandomAffine(10, translate=(0.05,
  0.05), bilinear), noise, RandomGrayscale(0.1), noise, ColorJitter(0.1, 0.1, 0.1,
  0.1)])`` (``noise`` adds ``0.01 * N(0, 1)`` per pixel) to the whole stack at once, so
  one draw of flip, angle, integer pixel shift, grey and jitter is shared by every
  cutout of a batch. :func:`augment` draws the same parameters in the same order and
  applies them with torchvision's own functional ops; with one generator for both it
  reproduces DD's ``T.Compose`` bit for bit (tested). DD's 2D/3D animation modes use
  flip p = 0.4 and hue 0.3 (:data:`AUGMENTS` ``"animation"``). DD's Video Input mode has
  a chain of its own, :func:`augment_video` (:data:`AUGMENTS` ``"video"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = [
    "AugmentSpec",
    "AugmentDraw",
    "AUGMENTS",
    "resize_matrix",
    "resize",
    "grey",
    "pad_to_square",
    "inner_grey_count",
    "make_cutouts",
    "augment",
    "adjust_hue",
    "VideoAugmentSpec",
    "VideoAugmentDraw",
    "augment_video",
]

_EPS32 = float(torch.finfo(torch.float32).eps)  # ResizeRight's boundary epsilon
_KEYS_SUPPORT = 4.0
_LUMA = (0.2989, 0.587, 0.114)  # torchvision's rgb_to_grayscale (ITU-R BT.601 luma)


# -- ResizeRight, as matrices -------------------------------------------------------------
def _keys_cubic(d: torch.Tensor) -> torch.Tensor:
    """Keys' cubic convolution kernel with a = -0.5 (support [-2, 2])."""
    a = d.abs()
    a2, a3 = a * a, a * a * a
    near = (1.5 * a3 - 2.5 * a2 + 1.0) * (a <= 1)
    far = (-0.5 * a3 + 2.5 * a2 - 4.0 * a + 2.0) * ((a > 1) & (a <= 2))
    return near + far


_MATRICES: dict[tuple[int, int], torch.Tensor] = {}
_ON_DEVICE: dict[tuple[int, int, str, torch.dtype], torch.Tensor] = {}


def resize_matrix(n_in: int, n_out: int) -> torch.Tensor:
    """ResizeRight's 1-D resampling of ``n_in`` pixels to ``n_out`` as a matrix.

    Row ``j`` holds the weights of output pixel ``j``: Keys cubic taps around input
    position ``j / s + (n_in - 1) / 2 - (n_out - 1) / (2 s)`` with ``s = n_out / n_in``
    (the same point as ``(j + 0.5) / s - 0.5``), the kernel widened to ``4 / s`` taps and
    scaled by ``s`` when shrinking (``s < 1``, antialiasing), normalised to sum to 1, then
    the taps outside ``[0, n_in)`` dropped (zero padding, so border rows sum to less than
    1). The weights are computed in float32 in ResizeRight's order, so they agree with it
    bit for bit, and stored as float64.

    Parameters
    ----------
    n_in : int
        Input length in pixels, at least 1.
    n_out : int
        Output length in pixels, at least 1.

    Returns
    -------
    torch.Tensor
        ``(n_out, n_in)`` float64 on the CPU; the identity when ``n_in == n_out``
        (ResizeRight leaves such an axis untouched). The matrix is cached per
        ``(n_in, n_out)`` and shared between callers: do not modify it in place.

    Raises
    ------
    ValueError
        ``n_in`` or ``n_out`` is below 1.

    References
    ----------
    Shocher, A. et al. (2020). From Discrete to Continuous Convolution Layers.
    arXiv:2006.06926; ResizeRight, https://github.com/assafshocher/ResizeRight
    (``resize_right.resize``, ``interp_methods.cubic``).

    Keys, R. (1981). Cubic convolution interpolation for digital image processing. IEEE
    Transactions on Acoustics, Speech, and Signal Processing, 29(6), 1153-1160.
    """
    key = (int(n_in), int(n_out))
    m = _MATRICES.get(key)
    if m is not None:
        return m
    if n_in < 1 or n_out < 1:
        raise ValueError(f"cannot resize {n_in} pixels to {n_out}")
    if n_in == n_out:
        m = torch.eye(n_in, dtype=torch.float64)
    else:
        # float32 arithmetic in ResizeRight's order (its grid is float32 whatever the
        # input's dtype), so the weights agree to the last bits rather than to ~1e-5
        s = n_out / n_in
        support = _KEYS_SUPPORT / s if s < 1 else _KEYS_SUPPORT
        grid = torch.arange(n_out) / float(s) + (n_in - 1) / 2 - (n_out - 1) / (2 * float(s))
        left = torch.ceil(grid - support / 2 - _EPS32).long()
        taps = left[:, None] + torch.arange(math.ceil(support - _EPS32))
        shift = -int(taps[0, 0])  # ResizeRight shifts grid and taps by its left padding
        d = (grid + shift)[:, None] - (taps + shift)
        w = s * _keys_cubic(s * d) if s < 1 else _keys_cubic(d)
        total = w.sum(1, keepdim=True)
        w = w / torch.where(total == 0, torch.ones_like(total), total)
        inside = (taps >= 0) & (taps < n_in)
        m = torch.zeros(n_out, n_in, dtype=torch.float64)
        m.scatter_add_(1, taps.clamp(0, n_in - 1), (w * inside).double())
    _MATRICES[key] = m
    return m


def _matrix(n_in: int, n_out: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    key = (n_in, n_out, str(device), dtype)
    m = _ON_DEVICE.get(key)
    if m is None:
        m = resize_matrix(n_in, n_out).to(device=device, dtype=dtype)
        if len(_ON_DEVICE) > 4096:  # inner cuts of many sizes: keep the cache bounded
            _ON_DEVICE.clear()
        _ON_DEVICE[key] = m
    return m


def resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize images as ResizeRight does by default: cubic, antialiased, zero padding.

    Two matrix products with the cached :func:`resize_matrix` weights (height and width
    axes, the cheaper order first); equal to ``resize_right.resize(x, out_shape=size)``
    to float32 rounding, and differentiable in ``x``.

    Parameters
    ----------
    x : torch.Tensor
        Images ``(..., H, W)``, any value range (the resampling is linear; Keys' kernel
        has negative lobes, so [0, 1] input may overshoot slightly at sharp edges).
    size : tuple of int
        The output ``(height, width)`` in pixels.

    Returns
    -------
    torch.Tensor
        ``(..., height, width)``, in ``x``'s dtype when float32 or float64, otherwise in
        float32; ``x`` itself when it already has that size.

    References
    ----------
    Shocher, A. et al. (2020). From Discrete to Continuous Convolution Layers.
    arXiv:2006.06926; ResizeRight, https://github.com/assafshocher/ResizeRight.

    Keys, R. (1981). Cubic convolution interpolation for digital image processing. IEEE
    Transactions on Acoustics, Speech, and Signal Processing, 29(6), 1153-1160.
    """
    h, w = x.shape[-2:]
    oh, ow = int(size[0]), int(size[1])
    dtype = x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float32
    if (h, w) == (oh, ow):
        return x
    out = x.to(dtype)
    # the cheaper order first (multiply-adds of each order)
    if oh * h * w + oh * w * ow <= h * w * ow + oh * h * ow:
        if h != oh:
            out = torch.matmul(_matrix(h, oh, x.device, dtype), out)
        if w != ow:
            out = torch.matmul(out, _matrix(w, ow, x.device, dtype).T)
    else:
        if w != ow:
            out = torch.matmul(out, _matrix(w, ow, x.device, dtype).T)
        if h != oh:
            out = torch.matmul(_matrix(h, oh, x.device, dtype), out)
    return out


def grey(x: torch.Tensor) -> torch.Tensor:
    """Grey version of RGB images, as torchvision's ``rgb_to_grayscale(x, 3)``.

    Parameters
    ----------
    x : torch.Tensor
        RGB images ``(..., 3, H, W)``, in [0, 1] for the cutouts (the weights
        are applied to the values as they are, without linearisation).

    Returns
    -------
    torch.Tensor
        ``0.2989 R + 0.587 G + 0.114 B`` in all three channels, shaped like ``x``: a
        broadcast view of one luma plane (do not write into it).

    References
    ----------
    ITU-R BT.601 luma weights, as rounded by torchvision
    (``torchvision.transforms.functional.rgb_to_grayscale``) and used by Disco Diffusion
    v5.x ``disco.py`` (``T.Grayscale(3)`` in ``MakeCutoutsDango``).
    """
    r, g, b = x.unbind(dim=-3)
    luma = (_LUMA[0] * r + _LUMA[1] * g + _LUMA[2] * b).unsqueeze(-3)
    return luma.expand(x.shape)


def pad_to_square(x: torch.Tensor) -> torch.Tensor:
    """Zero-pad the short side of images towards a square, as Disco Diffusion does.

    Parameters
    ----------
    x : torch.Tensor
        Images ``(..., H, W)``.

    Returns
    -------
    torch.Tensor
        The images with ``(long - short) // 2`` zero pixels added on each side of the
        short dimension; an odd difference leaves the result one pixel short of square.
        ``x`` itself when the padding is zero.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``, ``MakeCutoutsDango.forward`` (``pad_input``).
    """
    h, w = x.shape[-2:]
    short = min(h, w)
    pad_w, pad_h = (h - short) // 2, (w - short) // 2
    if pad_w == 0 and pad_h == 0:
        return x
    return F.pad(x, (pad_w, pad_w, pad_h, pad_h))


def inner_grey_count(innercut: int, ic_grey_p: float) -> int:
    """How many of the inner cuts Disco Diffusion makes grey.

    DD greys inner cut ``i`` (0-based) when ``i <= int(ic_grey_p * innercut)``, so at
    least one is grey whenever there is one, even with ``ic_grey_p = 0``.

    Parameters
    ----------
    innercut : int
        The number of inner cuts.
    ic_grey_p : float
        The grey fraction (``cut_icgray_p`` at this timestep), nominally in [0, 1].

    Returns
    -------
    int
        ``min(innercut, int(ic_grey_p * innercut) + 1)``, or 0 when ``innercut <= 0``.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``, ``MakeCutoutsDango.forward``.
    """
    if innercut <= 0:
        return 0
    return min(innercut, int(ic_grey_p * innercut) + 1)


def make_cutouts(
    x: torch.Tensor,
    cut_size: int,
    overview: int,
    innercut: int,
    ic_size_pow: float = 0.5,
    ic_grey_p: float = 0.2,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Disco Diffusion's cutouts (overview and inner cuts) of a batch, unaugmented.

    The overview cutouts come first, then the inner cuts, as described in the module
    docstring; every image of the batch is cut with the same geometry, as in DD.

    Parameters
    ----------
    x : torch.Tensor
        Images ``(N, 3, H, W)`` in [0, 1].
    cut_size : int
        The side of every cutout in pixels: the CLIP model's input size (224 for
        ViT-B/32).
    overview : int
        Number of overview cutouts (whole image padded to a square); 1 to 4 give
        plain, grey, mirrored, grey mirrored in that order, more give copies of the
        plain one, 0 or less none.
    innercut : int
        Number of random square inner cuts; 0 or less none.
    ic_size_pow : float, optional
        Inner-cut size power: a cut's side is ``int(u ** ic_size_pow * (max_size -
        min_size) + min_size)`` pixels for ``u`` uniform in [0, 1), so larger values give
        smaller cuts. Default 0.5.
    ic_grey_p : float, optional
        Grey fraction of the inner cuts; :func:`inner_grey_count` of them, the first
        ones drawn, are grey. Default 0.2.
    generator : torch.Generator or None, optional
        CPU generator for the cuts' sizes and offsets, drawn per cut as size, x offset,
        y offset. Default None: torch's global RNG.

    Returns
    -------
    torch.Tensor
        ``((overview + innercut) * N, 3, cut_size, cut_size)`` in the dtype
        :func:`resize` returns, cutout-major: rows ``k * N`` to ``k * N + N - 1`` are
        cutout ``k`` of every image; ``(0, 3, cut_size, cut_size)`` when there are none.
        Differentiable in ``x``.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``, ``MakeCutoutsDango.forward`` (with
    ``skip_augs``).
    """
    n, _, h, w = x.shape
    size = (cut_size, cut_size)
    cuts: list[torch.Tensor] = []
    if overview > 0:
        base = resize(pad_to_square(x), size)
        if overview <= 4:
            variants = [base, grey(base), base.flip(-1), grey(base.flip(-1))]
            cuts += variants[:overview]
        else:
            cuts += [base] * overview
    if innercut > 0:
        max_size = min(h, w)
        min_size = min(h, w, cut_size)
        n_grey = inner_grey_count(innercut, ic_grey_p)
        for i in range(innercut):
            u = float(torch.rand([], generator=generator))
            side = int(u**ic_size_pow * (max_size - min_size) + min_size)
            ox = int(torch.randint(0, w - side + 1, (), generator=generator))
            oy = int(torch.randint(0, h - side + 1, (), generator=generator))
            cut = x[:, :, oy : oy + side, ox : ox + side]
            if i < n_grey:
                cut = grey(cut)
            cuts.append(resize(cut, size))
    if not cuts:
        return x.new_zeros((0, 3, cut_size, cut_size))
    return torch.cat(cuts)


# -- augmentations --------------------------------------------------------------------------
@dataclass(frozen=True)
class AugmentSpec:
    """Parameters of Disco Diffusion's cutout augmentation chain.

    The names and meanings are torchvision's; the defaults are DD v5's chain for stills.

    Attributes
    ----------
    flip_p : float
        Probability of a horizontal flip (``RandomHorizontalFlip``). Default 0.5.
    degrees : float
        Rotation drawn uniformly in [-degrees, degrees], in degrees (``RandomAffine``).
        Default 10.
    translate : float
        Shift drawn uniformly in ``[-translate, translate]`` times the width (x) and the
        height (y), rounded to whole pixels (``RandomAffine``). Default 0.05.
    grey_p : float
        Probability of greyscale (``RandomGrayscale``). Default 0.1.
    brightness : float
        Brightness factor drawn uniformly in ``[max(0, 1 - v), 1 + v]``
        (``ColorJitter``). Default 0.1.
    contrast : float
        Contrast factor, drawn as ``brightness``. Default 0.1.
    saturation : float
        Saturation factor, drawn as ``brightness``. Default 0.1.
    hue : float
        Hue shift drawn uniformly in [-hue, hue], in turns (fractions of the colour
        wheel; torchvision allows at most 0.5). Default 0.1.
    noise : float
        Standard deviation of the Gaussian noise added per pixel after the flip, after
        the affine warp and after the grey step (three times), in [0, 1] image units.
        Default 0.01.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``, ``MakeCutoutsDango.__init__`` (``self.augs``).
    """

    flip_p: float = 0.5
    degrees: float = 10.0
    translate: float = 0.05
    grey_p: float = 0.1
    brightness: float = 0.1
    contrast: float = 0.1
    saturation: float = 0.1
    hue: float = 0.1
    noise: float = 0.01


@dataclass(frozen=True)
class VideoAugmentSpec:
    """Parameters of Disco Diffusion's cutout augmentation chain for Video Input mode.

    DD 5.7 (``MakeCutoutsDango``, ``animation_mode == 'Video Input'``) composes
    ``RandomHorizontalFlip(0.5)``, noise, ``RandomAffine(15, translate=(0.1, 0.1))`` (no
    interpolation given: torchvision's default, nearest), noise,
    ``RandomPerspective(distortion_scale=0.4, p=0.7)`` (bilinear), noise,
    ``RandomGrayscale(0.15)``, noise; its ColorJitter is commented out.

    Attributes
    ----------
    flip_p : float
        Probability of a horizontal flip. Default 0.5.
    degrees : float
        Rotation drawn uniformly in [-degrees, degrees], in degrees. Default 15.
    translate : float
        Shift drawn uniformly in ``[-translate, translate]`` times the width (x) and the
        height (y), rounded to whole pixels. Default 0.1.
    perspective_p : float
        Probability of a random perspective warp. Default 0.7.
    distortion_scale : float
        How far each corner may move, as a fraction of half the width (x) and half the
        height (y) (torchvision's ``RandomPerspective``). Default 0.4.
    grey_p : float
        Probability of greyscale. Default 0.15.
    noise : float
        Standard deviation of the Gaussian noise added after the flip, the affine warp,
        the perspective step and the grey step (four times). Default 0.01.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``, ``MakeCutoutsDango.__init__`` (the Video Input
    ``self.augs``).
    """

    flip_p: float = 0.5
    degrees: float = 15.0
    translate: float = 0.1
    perspective_p: float = 0.7
    distortion_scale: float = 0.4
    grey_p: float = 0.15
    noise: float = 0.01


#: DD v5's chains: stills (``animation_mode = "None"``), 2D/3D animation, and Video Input.
AUGMENTS: dict[str, AugmentSpec | VideoAugmentSpec] = {
    "still": AugmentSpec(),
    "animation": AugmentSpec(flip_p=0.4, hue=0.3),
    "video": VideoAugmentSpec(),
}


@dataclass(frozen=True)
class AugmentDraw:
    """One draw of the augmentation parameters, shared by a whole stack of cutouts.

    Attributes
    ----------
    flip : bool
        The stack was flipped horizontally.
    angle : float
        Rotation in degrees, clockwise (torchvision's ``affine`` convention).
    translate : tuple of int
        ``(tx, ty)`` shift in pixels.
    grey : bool
        The stack was made grey.
    order : tuple of int
        ColorJitter's random order of its four operations: 0 brightness, 1 contrast,
        2 saturation, 3 hue.
    brightness : float
        Brightness factor (1: unchanged).
    contrast : float
        Contrast factor (1: unchanged).
    saturation : float
        Saturation factor (1: unchanged).
    hue : float
        Hue shift in turns (0: unchanged).
    """

    flip: bool
    angle: float
    translate: tuple[int, int]
    grey: bool
    order: tuple[int, ...]
    brightness: float
    contrast: float
    saturation: float
    hue: float


# HSV -> RGB: which of (v, q, p, t) each of R, G, B takes in hue sector 0..5
_HSV_SECTORS = torch.tensor([[0, 1, 2, 2, 3, 0], [3, 0, 0, 1, 2, 2], [2, 2, 3, 0, 0, 1]])


def adjust_hue(x: torch.Tensor, hue_factor: float) -> torch.Tensor:
    """Shift the hue of float RGB images, as torchvision's ``adjust_hue``.

    The same function and gradient as torchvision's, with one gather where torchvision
    multiplies a six-sector mask into a stack of candidates (``einsum``): forward and
    backward on 16 cutouts of 224x224 took 0.4-0.5 s there and 0.2 s here (one CPU
    thread), the most expensive step of DD's chain. RGB -> HSV as Pillow (and
    torchvision): ``v = max``, ``s = (max - min) / max``, the hue from the channel holding
    the maximum; the hue is shifted by ``hue_factor`` (mod 1) and converted back with
    ``p, q, t`` clamped to [0, 1] (``v`` is not).

    Parameters
    ----------
    x : torch.Tensor
        Float RGB images ``(..., 3, H, W)`` in [0, 1].
    hue_factor : float
        The shift in turns (fractions of the colour wheel); torchvision refuses values
        outside [-0.5, 0.5], this function does not check.

    Returns
    -------
    torch.Tensor
        The shifted images, shaped like ``x``, differentiable in ``x``.

    References
    ----------
    torchvision ``transforms.functional.adjust_hue`` (``_rgb2hsv``, ``_hsv2rgb`` in
    ``_functional_tensor.py``).
    """
    r, g, b = x.unbind(dim=-3)
    maxc = torch.max(x, dim=-3).values  # (not amax: its gradient splits between ties)
    minc = torch.min(x, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    cr_divisor = torch.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    h = (h + hue_factor) % 1.0
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    v = maxc
    p = torch.clamp(v * (1.0 - s), 0.0, 1.0)
    q = torch.clamp(v * (1.0 - s * f), 0.0, 1.0)
    t = torch.clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    sector = i.long() % 6
    index = _HSV_SECTORS.to(x.device)[:, sector].movedim(0, -3)  # (N, 3, H, W)
    return torch.gather(torch.stack((v, q, p, t), dim=-3), -3, index)


def _uniform(lo: float, hi: float, generator: torch.Generator | None) -> float:
    return float(torch.empty(1).uniform_(lo, hi, generator=generator).item())


def _noise(x: torch.Tensor, sd: float, generator: torch.Generator | None) -> torch.Tensor:
    return x + torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype) * sd


def augment(
    x: torch.Tensor,
    spec: AugmentSpec | VideoAugmentSpec = AugmentSpec(),
    generator: torch.Generator | None = None,
    noise_generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, AugmentDraw | VideoAugmentDraw]:
    """Disco Diffusion's augmentation chain on a stack of cutouts, one draw for all.

    In order: horizontal flip, noise, affine warp (rotation and integer shift, bilinear,
    zero fill, torchvision's ``RandomAffine``), noise, greyscale, noise, then
    ColorJitter's brightness, contrast, saturation and hue in a random order. Applied
    with torchvision's functional ops (hue with :func:`adjust_hue`).

    Parameters
    ----------
    x : torch.Tensor
        The cutouts ``(K, 3, S, S)`` in [0, 1].
    spec : AugmentSpec or VideoAugmentSpec, optional
        The chain's parameters. Default ``AUGMENTS["still"]`` (DD's chain for stills);
        a :class:`VideoAugmentSpec` runs :func:`augment_video`.
    generator : torch.Generator or None, optional
        CPU generator for the parameters, drawn in torchvision's order: flip, angle,
        tx, ty, grey, jitter order, brightness, contrast, saturation, hue. Default None:
        torch's global RNG.
    noise_generator : torch.Generator or None, optional
        Generator on ``x``'s device for the three noise additions. Default None:
        torch's global RNG. Passing the same CPU generator as ``generator`` interleaves
        the draws exactly as DD's ``T.Compose`` does on the global RNG.

    Returns
    -------
    augmented : torch.Tensor
        The augmented cutouts, shaped like ``x`` (values may leave [0, 1] through the
        noise), differentiable in ``x``.
    draw : AugmentDraw or VideoAugmentDraw
        The parameters drawn.

    References
    ----------
    Disco Diffusion v5.x ``disco.py``, ``MakeCutoutsDango`` (``self.augs``).

    torchvision ``transforms.RandomHorizontalFlip``, ``RandomAffine``,
    ``RandomGrayscale``, ``ColorJitter`` (``get_params``) and
    ``transforms.functional.adjust_hue``.
    """
    if isinstance(spec, VideoAugmentSpec):  # DD's Video Input chain (render.cutouts' video section)
        return augment_video(x, spec, generator, noise_generator)
    import torchvision.transforms.functional as TF
    from torchvision.transforms import InterpolationMode

    s = spec
    flip = bool(torch.rand(1, generator=generator) < s.flip_p)
    if flip:
        x = TF.hflip(x)
    x = _noise(x, s.noise, noise_generator)
    height, width = x.shape[-2:]
    angle = _uniform(-s.degrees, s.degrees, generator)
    max_dx, max_dy = float(s.translate * width), float(s.translate * height)
    tx = int(round(_uniform(-max_dx, max_dx, generator)))
    ty = int(round(_uniform(-max_dy, max_dy, generator)))
    x = TF.affine(x, angle, [tx, ty], 1.0, [0.0, 0.0], interpolation=InterpolationMode.BILINEAR,
                  fill=[0.0] * x.shape[-3])
    x = _noise(x, s.noise, noise_generator)
    is_grey = bool(torch.rand(1, generator=generator) < s.grey_p)
    if is_grey:
        x = TF.rgb_to_grayscale(x, num_output_channels=3)
    x = _noise(x, s.noise, noise_generator)
    order = tuple(int(i) for i in torch.randperm(4, generator=generator))
    b = _uniform(max(0.0, 1 - s.brightness), 1 + s.brightness, generator)
    c = _uniform(max(0.0, 1 - s.contrast), 1 + s.contrast, generator)
    sat = _uniform(max(0.0, 1 - s.saturation), 1 + s.saturation, generator)
    hue = _uniform(-s.hue, s.hue, generator)
    ops = {0: lambda y: TF.adjust_brightness(y, b), 1: lambda y: TF.adjust_contrast(y, c),
           2: lambda y: TF.adjust_saturation(y, sat), 3: lambda y: adjust_hue(y, hue)}
    for i in order:
        x = ops[i](x)
    return x, AugmentDraw(flip, angle, (tx, ty), is_grey, order, b, c, sat, hue)


# -- Disco Diffusion's Video Input chain -----------------------------------------------------
@dataclass(frozen=True)
class VideoAugmentDraw:
    """One draw of the Video Input chain's parameters, shared by a whole stack of cutouts.

    Attributes
    ----------
    flip : bool
        The stack was flipped horizontally.
    angle : float
        Rotation in degrees, clockwise (torchvision's ``affine`` convention).
    translate : tuple of int
        ``(tx, ty)`` shift in pixels.
    perspective : tuple of tuple of int or None
        The four corners' new positions ``(x, y)`` in pixels (top-left, top-right,
        bottom-right, bottom-left), or None when no perspective warp was drawn.
    grey : bool
        The stack was made grey.
    """

    flip: bool
    angle: float
    translate: tuple[int, int]
    perspective: tuple[tuple[int, int], ...] | None
    grey: bool


def _randint(low: int, high: int, generator: torch.Generator | None) -> int:
    return int(torch.randint(low, high, size=(1,), generator=generator).item())


def _perspective_corners(width: int, height: int, scale: float,
                         generator: torch.Generator | None) -> tuple[tuple[int, int], ...]:
    """torchvision's ``RandomPerspective.get_params``, drawn from ``generator`` in its order."""
    dx, dy = int(scale * (width // 2)), int(scale * (height // 2))
    top_left = (_randint(0, dx + 1, generator), _randint(0, dy + 1, generator))
    top_right = (_randint(width - dx - 1, width, generator), _randint(0, dy + 1, generator))
    bottom_right = (_randint(width - dx - 1, width, generator), _randint(height - dy - 1, height, generator))
    bottom_left = (_randint(0, dx + 1, generator), _randint(height - dy - 1, height, generator))
    return top_left, top_right, bottom_right, bottom_left


def augment_video(
    x: torch.Tensor,
    spec: VideoAugmentSpec = VideoAugmentSpec(),
    generator: torch.Generator | None = None,
    noise_generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, VideoAugmentDraw]:
    """Disco Diffusion's augmentation chain of Video Input mode on a stack of cutouts, one draw for all.

    In order: horizontal flip, noise, affine warp (rotation and integer shift, nearest,
    zero fill), noise, perspective warp (with probability ``perspective_p``, bilinear,
    zero fill), noise, greyscale, noise. The parameters are drawn as torchvision's
    transforms draw them, in their order, and applied with torchvision's functional ops.

    Parameters
    ----------
    x : torch.Tensor
        The cutouts ``(K, 3, S, S)`` in [0, 1].
    spec : VideoAugmentSpec, optional
        The chain's parameters. Default ``AUGMENTS["video"]`` (DD's).
    generator : torch.Generator or None, optional
        CPU generator for the parameters: flip, angle, tx, ty, the perspective coin and
        its eight corner coordinates, grey. Default None: torch's global RNG.
    noise_generator : torch.Generator or None, optional
        Generator on ``x``'s device for the four noise additions. Default None: torch's
        global RNG. The same CPU generator as ``generator`` interleaves the draws as
        DD's ``T.Compose`` does on the global RNG.

    Returns
    -------
    augmented : torch.Tensor
        The augmented cutouts, shaped like ``x``, differentiable in ``x``.
    draw : VideoAugmentDraw
        The parameters drawn.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``, ``MakeCutoutsDango`` (Video Input ``self.augs``).

    torchvision ``transforms.RandomHorizontalFlip``, ``RandomAffine``,
    ``RandomPerspective`` and ``RandomGrayscale`` (``forward``, ``get_params``).
    """
    import torchvision.transforms.functional as TF
    from torchvision.transforms import InterpolationMode

    s = spec
    flip = bool(torch.rand(1, generator=generator) < s.flip_p)
    if flip:
        x = TF.hflip(x)
    x = _noise(x, s.noise, noise_generator)
    height, width = x.shape[-2:]
    fill = [0.0] * x.shape[-3]
    angle = _uniform(-s.degrees, s.degrees, generator)
    max_dx, max_dy = float(s.translate * width), float(s.translate * height)
    tx = int(round(_uniform(-max_dx, max_dx, generator)))
    ty = int(round(_uniform(-max_dy, max_dy, generator)))
    x = TF.affine(x, angle, [tx, ty], 1.0, [0.0, 0.0], interpolation=InterpolationMode.NEAREST, fill=fill)
    x = _noise(x, s.noise, noise_generator)
    corners = None
    if bool(torch.rand(1, generator=generator) < s.perspective_p):
        corners = _perspective_corners(width, height, s.distortion_scale, generator)
        start = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        x = TF.perspective(x, start, [list(c) for c in corners], InterpolationMode.BILINEAR, fill)
    x = _noise(x, s.noise, noise_generator)
    is_grey = bool(torch.rand(1, generator=generator) < s.grey_p)
    if is_grey:
        x = TF.rgb_to_grayscale(x, num_output_channels=3)
    x = _noise(x, s.noise, noise_generator)
    return x, VideoAugmentDraw(flip, angle, (tx, ty), corners, is_grey)
