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
  flip p = 0.4 and hue 0.3 (:data:`AUGMENTS` ``"animation"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

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
    """ResizeRight's 1-D resampling as a matrix, (n_out, n_in), cached.

    The weights are computed in float32 as ResizeRight computes them (so they agree bit
    for bit) and kept as float64.

    Row ``j`` holds the weights of output pixel ``j``: Keys cubic taps around
    ``j / s + (n_in - 1) / 2 - (n_out - 1) / (2 s)`` with ``s = n_out / n_in`` (the same
    point as ``(j + 0.5) / s - 0.5``), the kernel widened to ``4 / s`` taps and scaled by
    ``s`` when ``s < 1``, normalised to sum to 1, then taps outside ``[0, n_in)`` dropped
    (zero padding). The identity when ``n_in == n_out`` (ResizeRight skips such dims).
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
    """Resize images ``(..., H, W)`` to ``size = (h, w)`` as ResizeRight does by default
    (cubic, antialiased when shrinking, zero padding); differentiable.

    Equal to ``resize_right.resize(x, out_shape=size)`` to float32 rounding.
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
    """torchvision's ``rgb_to_grayscale(x, 3)``: ``0.2989 R + 0.587 G + 0.114 B`` in all
    three channels of ``(..., 3, H, W)``."""
    r, g, b = x.unbind(dim=-3)
    luma = (_LUMA[0] * r + _LUMA[1] * g + _LUMA[2] * b).unsqueeze(-3)
    return luma.expand(x.shape)


def pad_to_square(x: torch.Tensor) -> torch.Tensor:
    """Zero-pad the short side by ``(long - short) // 2`` on each side, as DD does (an odd
    difference leaves the result one pixel short of square)."""
    h, w = x.shape[-2:]
    short = min(h, w)
    pad_w, pad_h = (h - short) // 2, (w - short) // 2
    if pad_w == 0 and pad_h == 0:
        return x
    return F.pad(x, (pad_w, pad_w, pad_h, pad_h))


def inner_grey_count(innercut: int, ic_grey_p: float) -> int:
    """How many of ``innercut`` inner cuts DD makes grey: ``int(p * n) + 1``, at most n."""
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
    """Disco Diffusion's cutouts of images ``x`` (N, 3, H, W) in [0, 1], unaugmented.

    Args:
        x: the images (a batch shares each cutout's geometry, as in DD).
        cut_size: the CLIP input size (pixels).
        overview, innercut: numbers of overview and inner cutouts.
        ic_size_pow: inner-cut size power (larger: smaller crops).
        ic_grey_p: grey fraction of inner cuts (DD greys ``int(p * n) + 1``).
        generator: CPU generator for the crops' sizes and offsets (None: global RNG).

    Returns:
        ((overview + innercut) * N, 3, cut_size, cut_size), cutout-major: rows
        ``k*N .. k*N+N-1`` are cutout ``k`` of every image.
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
    """Parameters of DD's augmentation chain (torchvision's names and meanings).

    Attributes:
        flip_p: probability of a horizontal flip (``RandomHorizontalFlip``).
        degrees: rotation drawn uniformly in [-degrees, degrees] (``RandomAffine``).
        translate: shift drawn uniformly in +-translate x the side, rounded to pixels.
        grey_p: probability of greyscale (``RandomGrayscale``).
        brightness, contrast, saturation: factor drawn uniformly in [1 - v, 1 + v].
        hue: hue shift drawn uniformly in [-hue, hue] (fraction of a turn).
        noise: standard deviation of the Gaussian noise added after the flip, the affine
            warp and the grey step (three times).
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


#: DD v5's chains: stills (``animation_mode = "None"``) and 2D/3D animation.
AUGMENTS: dict[str, AugmentSpec] = {
    "still": AugmentSpec(),
    "animation": AugmentSpec(flip_p=0.4, hue=0.3),
}


@dataclass(frozen=True)
class AugmentDraw:
    """One draw of the augmentation parameters, shared by a whole stack of cutouts.

    ``order`` is ColorJitter's random order of (0 brightness, 1 contrast, 2 saturation,
    3 hue); ``translate`` is ``(tx, ty)`` in pixels; ``angle`` in degrees.
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
    """torchvision's ``adjust_hue`` for float images (N, 3, H, W), the same function and
    gradient, with one gather where torchvision multiplies a six-sector mask into a
    stack of candidates (``einsum``): forward and backward on 16 cutouts of 224x224 took
    0.4-0.5 s there and 0.2 s here (one CPU thread), the most expensive step of DD's chain.

    RGB -> HSV as Pillow (and torchvision): ``v = max``, ``s = (max - min) / max``, hue by
    the channel holding the maximum; the hue shifted by ``hue_factor`` turns (mod 1);
    back with ``p, q, t`` clamped to [0, 1] (``v`` is not).
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
    spec: AugmentSpec = AUGMENTS["still"],
    generator: torch.Generator | None = None,
    noise_generator: torch.Generator | Any | None = None,
) -> tuple[torch.Tensor, AugmentDraw]:
    """DD's augmentation chain on a stack of cutouts (K, 3, S, S) in [0, 1]; one draw for all.

    Args:
        x: the cutouts.
        spec: the chain's parameters (:data:`AUGMENTS`).
        generator: CPU generator for the parameters (None: global RNG), drawn in
            torchvision's order: flip, angle, tx, ty, grey, jitter order, b, c, s, h.
        noise_generator: generator on ``x``'s device for the three noise additions
            (None: global RNG). Passing the same CPU generator as ``generator``
            interleaves the draws exactly as DD's ``T.Compose`` does on the global RNG.

    Returns:
        The augmented cutouts (differentiable in ``x``) and the parameters drawn.
    """
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
