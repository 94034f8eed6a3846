"""Disco Diffusion's cutout augmentations in Video Input mode (render.cutouts ``"video"``), against disco.py's
own ``T.Compose`` written out here with torchvision, and its numbers."""

from __future__ import annotations

import pytest
import torch

from render.cutouts import AUGMENTS, VideoAugmentSpec, augment, augment_video


def _dd_video_compose():
    """disco.py 5.7, MakeCutoutsDango, ``animation_mode == 'Video Input'``, as written there."""
    import torchvision.transforms as T

    return T.Compose([
        T.RandomHorizontalFlip(p=0.5),
        T.Lambda(lambda x: x + torch.randn_like(x) * 0.01),
        T.RandomAffine(degrees=15, translate=(0.1, 0.1)),
        T.Lambda(lambda x: x + torch.randn_like(x) * 0.01),
        T.RandomPerspective(distortion_scale=0.4, p=0.7),
        T.Lambda(lambda x: x + torch.randn_like(x) * 0.01),
        T.RandomGrayscale(p=0.15),
        T.Lambda(lambda x: x + torch.randn_like(x) * 0.01),
    ])


def test_the_video_preset_holds_disco_diffusions_numbers() -> None:
    spec = AUGMENTS["video"]
    assert isinstance(spec, VideoAugmentSpec)
    assert (spec.flip_p, spec.degrees, spec.translate, spec.perspective_p, spec.distortion_scale, spec.grey_p,
            spec.noise) == (0.5, 15.0, 0.1, 0.7, 0.4, 0.15, 0.01)
    assert not hasattr(spec, "hue")  # no ColorJitter in DD's video chain


@pytest.mark.parametrize("seed", range(8))
def test_augment_video_is_dds_torchvision_chain_bit_for_bit(seed: int) -> None:
    x = torch.rand(4, 3, 40, 40, generator=torch.Generator().manual_seed(50 + seed))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        ref = _dd_video_compose()(x)
    gen = torch.Generator().manual_seed(seed)
    ours, draw = augment(x, AUGMENTS["video"], gen, gen)  # the preset dispatches to augment_video
    torch.testing.assert_close(ours, ref, rtol=0, atol=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        again, _ = augment_video(x)  # the global RNG, as DD
    torch.testing.assert_close(again, ref, rtol=0, atol=0)


def test_the_perspective_coin_and_grey_coin_fall_at_dds_rates() -> None:
    import scipy.stats

    gen = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, 8, 8)
    draws = []
    for _ in range(500):
        with torch.no_grad():
            draws.append(augment_video(x, AUGMENTS["video"], gen, gen)[1])
    n = len(draws)
    assert scipy.stats.binomtest(sum(d.perspective is not None for d in draws), n, 0.7).pvalue > 1e-3
    assert scipy.stats.binomtest(sum(d.grey for d in draws), n, 0.15).pvalue > 1e-3
    assert scipy.stats.kstest([d.angle for d in draws], scipy.stats.uniform(-15, 30).cdf).pvalue > 1e-3
