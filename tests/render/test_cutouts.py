"""Disco Diffusion's cutouts: ResizeRight, composition, inner cuts and augmentations.

Checked against the libraries DD itself runs (the ``resize-right`` package, torchvision's
transforms composed as ``disco.py`` composes them) and against DD's documented rules.
"""

from __future__ import annotations

import math

import pytest
import torch

from render.cutouts import AUGMENTS, augment, grey, inner_grey_count, make_cutouts, pad_to_square, resize, resize_matrix


@pytest.mark.parametrize(
    "shape, out",
    [((2, 3, 64, 64), (224, 224)), ((1, 3, 300, 517), (224, 224)), ((1, 3, 97, 50), (224, 30)), ((1, 3, 8, 9), (8, 9))],
)
def test_resize_equals_the_resize_right_package(shape, out) -> None:
    resize_right = pytest.importorskip("resize_right")
    x = torch.rand(shape, generator=torch.Generator().manual_seed(0))
    ref = resize_right.resize(x, out_shape=out)
    torch.testing.assert_close(resize(x, out), ref, rtol=0, atol=2e-6)


def test_resize_weights_are_keys_cubic_with_a_zero_border() -> None:
    # enlarging 2x: output pixel 0 sits at input -0.25, taps -2..1; Keys' weights at
    # distances 1.75, 0.75, 0.25, 1.25 are -0.0234375, 0.2265625, 0.8671875, -0.0703125
    # (they sum to 1); the two taps left of the image read zero
    m = resize_matrix(4, 8)
    assert m[0, :2].tolist() == pytest.approx([0.8671875, -0.0703125], abs=1e-7)
    assert m[0, 2:].abs().sum() == 0
    # interior rows sum to 1; a constant image darkens along the border
    assert m[3].sum().item() == pytest.approx(1.0, abs=1e-6)
    ones = resize(torch.ones(1, 1, 64, 64), (224, 224))
    assert ones[0, 0, 0, 0].item() == pytest.approx(0.46, abs=0.01)
    assert ones[0, 0, 0, 112].item() == pytest.approx(0.68, abs=0.01)
    assert ones[0, 0, 112, 112].item() == pytest.approx(1.0, abs=1e-5)


def test_resize_gradient_equals_resize_rights() -> None:
    resize_right = pytest.importorskip("resize_right")
    x = torch.rand(1, 3, 300, 200, requires_grad=True)
    w = torch.rand(1, 3, 224, 224)
    (g_ref,) = torch.autograd.grad((resize_right.resize(x, out_shape=(224, 224)) * w).sum(), x)
    (g,) = torch.autograd.grad((resize(x, (224, 224)) * w).sum(), x)
    torch.testing.assert_close(g, g_ref, rtol=0, atol=1e-5)


def test_grey_is_torchvisions() -> None:
    import torchvision.transforms.functional as TF

    x = torch.rand(2, 3, 5, 7)
    torch.testing.assert_close(grey(x), TF.rgb_to_grayscale(x, num_output_channels=3), rtol=0, atol=1e-7)


def test_pad_to_square_as_disco_diffusion() -> None:
    assert pad_to_square(torch.ones(1, 3, 48, 80)).shape[-2:] == (80, 80)
    assert pad_to_square(torch.ones(1, 3, 80, 48)).shape[-2:] == (80, 80)
    assert pad_to_square(torch.ones(1, 3, 45, 80)).shape[-2:] == (79, 80)  # odd: one short
    p = pad_to_square(torch.ones(1, 3, 48, 80))
    assert p[..., :16, :].abs().sum() == 0 and p[..., 16:64, :].min() == 1


@pytest.mark.parametrize("n, p, expected", [(4, 0.2, 1), (12, 0.0, 1), (12, 0.2, 3), (5, 1.0, 5), (0, 0.5, 0)])
def test_inner_grey_count_is_int_p_n_plus_one(n, p, expected) -> None:
    assert inner_grey_count(n, p) == expected


def test_overview_composition_and_inner_grey() -> None:
    x = torch.rand(2, 3, 48, 80, generator=torch.Generator().manual_seed(0))
    cuts = make_cutouts(x, 16, overview=4, innercut=5, ic_size_pow=1.0, ic_grey_p=0.2,
                        generator=torch.Generator().manual_seed(1))
    assert cuts.shape == (9 * 2, 3, 16, 16)
    plain = resize(pad_to_square(x), (16, 16))
    torch.testing.assert_close(cuts[0:2], plain)
    torch.testing.assert_close(cuts[2:4], grey(plain))
    torch.testing.assert_close(cuts[4:6], plain.flip(-1))
    torch.testing.assert_close(cuts[6:8], grey(plain.flip(-1)))
    inner = cuts[8:].view(5, 2, 3, 16, 16)
    is_grey = [bool((c[:, 0] == c[:, 1]).all() and (c[:, 1] == c[:, 2]).all()) for c in inner]
    assert is_grey == [True, True, False, False, False]  # int(0.2 * 5) + 1 = 2
    many = make_cutouts(x, 16, overview=6, innercut=0)
    assert all(torch.equal(many[2 * i : 2 * i + 2], plain) for i in range(6))


def test_inner_cuts_are_dds_crops() -> None:
    """The crops of DD's loop, written here as disco.py has it (sizes
    ``int(rand() ** pow * (max - min) + min)``, x offset then y, grey when
    ``i <= int(p * n)``, greyed before ResizeRight), from the same random stream."""
    import torchvision.transforms as T

    resize_right = pytest.importorskip("resize_right")
    x = torch.rand(2, 3, 60, 90, generator=torch.Generator().manual_seed(0))
    cut, n, power, p = 24, 7, 2.0, 0.2
    gen = torch.Generator().manual_seed(5)
    ref = []
    side_y, side_x = x.shape[2:4]
    max_size, min_size = min(side_x, side_y), min(side_x, side_y, cut)
    for i in range(n):
        size = int(torch.rand([], generator=gen) ** power * (max_size - min_size) + min_size)
        ox = torch.randint(0, side_x - size + 1, (), generator=gen)
        oy = torch.randint(0, side_y - size + 1, (), generator=gen)
        c = x[:, :, oy : oy + size, ox : ox + size]
        if i <= int(p * n):
            c = T.Grayscale(3)(c)
        ref.append(resize_right.resize(c, out_shape=[1, 3, cut, cut][-2:]))
    ours = make_cutouts(x, cut, 0, n, power, p, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(ours, torch.cat(ref), rtol=0, atol=2e-6)


def _dd_compose(spec):
    """Disco Diffusion's augmentation chain, written as disco.py writes it (torchvision)."""
    import torchvision.transforms as T

    return T.Compose([
        T.RandomHorizontalFlip(p=spec.flip_p),
        T.Lambda(lambda x: x + torch.randn_like(x) * spec.noise),
        T.RandomAffine(degrees=spec.degrees, translate=(spec.translate, spec.translate),
                       interpolation=T.InterpolationMode.BILINEAR),
        T.Lambda(lambda x: x + torch.randn_like(x) * spec.noise),
        T.RandomGrayscale(p=spec.grey_p),
        T.Lambda(lambda x: x + torch.randn_like(x) * spec.noise),
        T.ColorJitter(brightness=spec.brightness, contrast=spec.contrast, saturation=spec.saturation, hue=spec.hue),
    ])


@pytest.mark.parametrize("preset", ["still", "animation"])
@pytest.mark.parametrize("seed", range(6))
def test_augment_is_dds_torchvision_chain_bit_for_bit(preset, seed) -> None:
    spec = AUGMENTS[preset]
    x = torch.rand(5, 3, 32, 32, generator=torch.Generator().manual_seed(100 + seed))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        ref = _dd_compose(spec)(x)
    gen = torch.Generator().manual_seed(seed)
    ours, _ = augment(x, spec, gen, gen)
    torch.testing.assert_close(ours, ref, rtol=0, atol=0)


def test_augment_draws_match_dds_documented_parameters() -> None:
    """Many draws: flip and grey rates, angle, integer shifts, jitter factors and order
    against DD's T.Compose arguments (binomial and Kolmogorov-Smirnov tests)."""
    import scipy.stats

    spec = AUGMENTS["still"]
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(4, 3, 224, 224)
    draws = []
    out = None
    for _ in range(600):
        with torch.no_grad():
            out, d = augment(x[:1, :, :8, :8], spec, gen, gen)  # parameters do not depend on content
        draws.append(d)
    n = len(draws)
    flips = sum(d.flip for d in draws)
    greys = sum(d.grey for d in draws)
    assert scipy.stats.binomtest(flips, n, spec.flip_p).pvalue > 1e-3
    assert scipy.stats.binomtest(greys, n, spec.grey_p).pvalue > 1e-3
    angles = [d.angle for d in draws]
    assert scipy.stats.kstest(angles, scipy.stats.uniform(-10, 20).cdf).pvalue > 1e-3
    # translation: round(U(-0.05 * side, 0.05 * side)) pixels; at 8 px that is round(U(-0.4, 0.4)) = 0
    assert all(d.translate == (0, 0) for d in draws)
    for name, lo, hi in [("brightness", 0.9, 1.1), ("contrast", 0.9, 1.1), ("saturation", 0.9, 1.1), ("hue", -0.1, 0.1)]:
        values = [getattr(d, name) for d in draws]
        assert scipy.stats.kstest(values, scipy.stats.uniform(lo, hi - lo).cdf).pvalue > 1e-3, name
    orders = {d.order for d in draws}
    assert len(orders) == 24  # every order of the four jitter operations occurs
    # at DD's 224-pixel cutouts: shifts are integers within +-round(11.2) = 11
    shifts = []
    for _ in range(300):
        with torch.no_grad():
            _, d = augment(x[:1, :1].expand(1, 3, 224, 224), spec, gen, gen)
        shifts += list(d.translate)
    assert min(shifts) >= -11 and max(shifts) <= 11 and len(set(shifts)) >= 20
    assert all(isinstance(s, int) for s in shifts)
    assert scipy.stats.kstest([s + 0.0 for s in shifts], scipy.stats.uniform(-11.5, 23).cdf).pvalue > 1e-4


def test_one_draw_is_shared_by_the_whole_stack() -> None:
    """DD transforms the concatenated stack: a flip, an angle, a grey coin for all cutouts."""
    x = torch.rand(1, 3, 32, 32).expand(6, 3, 32, 32).contiguous()
    spec = AUGMENTS["still"]
    for seed in range(10):
        gen = torch.Generator().manual_seed(seed)
        quiet = torch.Generator().manual_seed(0)
        noiseless = type(spec)(**{**spec.__dict__, "noise": 0.0})
        out, _ = augment(x, noiseless, gen, quiet)
        for k in range(1, 6):
            torch.testing.assert_close(out[k], out[0])


def test_guide_cutouts_per_step_shapes_and_grey_fraction(tiny_clip) -> None:
    """A guide step shows CLIP (overview + innercut) x cutn_batches cutouts at the CLIP
    size, int(p * n) + 1 inner cuts per batch grey; counted by wrapping CLIP's encoder."""
    from render.guidance import ClipTarget, Guide
    from render.renderer import RenderSettings

    def cutouts_seen(skip_augs: bool) -> torch.Tensor:
        seen = []
        original = tiny_clip.encode_image

        def spy(images: torch.Tensor) -> torch.Tensor:
            seen.append(images.detach())
            return original(images)

        settings = RenderSettings(width_height=(64, 128), steps=10, skip_steps=0, clip_models=("tiny",),
                                  cutn_batches=3, cut_overview="[5]*1000", cut_innercut="[7]*1000",
                                  cut_icgray_p="[0.3]*1000", skip_augs=skip_augs)
        target = ClipTarget(tiny_clip, tiny_clip.encode_text(["a red barn"]), torch.tensor([1.0]))
        unet = lambda x, t: torch.cat([0.5 * x, torch.zeros_like(x)], 1)  # noqa: E731
        guide = Guide(settings.diffusion(), unet, None, [target], settings.guidance_config(),
                      generator=torch.Generator().manual_seed(0))
        tiny_clip.encode_image = spy
        try:
            guide(torch.randn(1, 3, 128, 64, generator=torch.Generator().manual_seed(1)), torch.tensor([5]))
        finally:
            del tiny_clip.encode_image
        assert math.isfinite(guide.history[-1].clip_loss)
        return torch.cat(seen)

    size = tiny_clip.input_size
    cuts = cutouts_seen(skip_augs=False)
    assert cuts.shape == (3 * (5 + 7), 3, size, size)
    plain = cutouts_seen(skip_augs=True).view(3, 12, 3, size, size)
    is_grey = (plain[:, :, 0] == plain[:, :, 1]).flatten(2).all(2) & (plain[:, :, 1] == plain[:, :, 2]).flatten(2).all(2)
    expected = [False] * 5 + [True] * 3 + [False] * 4  # overview > 4: plain; int(0.3 * 7) + 1 = 3 grey
    assert is_grey.tolist() == [expected] * 3


@pytest.mark.parametrize("hue", [0.05, -0.1, 0.3, -0.5, 0.5])
def test_adjust_hue_is_torchvisions_with_its_gradient(hue) -> None:
    import torchvision.transforms.functional as TF

    from render.cutouts import adjust_hue

    gen = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 24, 24, generator=gen) * 1.2 - 0.1  # beyond [0, 1], as after DD's noise
    x[0, :, :6, :6] = 0.5  # grey pixels: ties between channels
    x[1, 0, :6, :6] = x[1, 1, :6, :6]  # two channels tied
    x.requires_grad_()
    ref, ours = TF.adjust_hue(x, hue), adjust_hue(x, hue)
    torch.testing.assert_close(ours, ref, rtol=0, atol=0)
    w = torch.randn(ref.shape, generator=gen)
    (g_ref,) = torch.autograd.grad((ref * w).sum(), x)
    (g,) = torch.autograd.grad((ours * w).sum(), x)
    torch.testing.assert_close(g, g_ref, rtol=0, atol=1e-6)
