"""Disco Diffusion's fuzzy prompts (``fuzzy_prompt``, ``rand_mag``) and Perlin init noise.

The expected values are DD v5.7's own procedure written out here: ``do_run`` seeds torch's
global generator (``torch.manual_seed(seed)``), then per CLIP model and prompt embeds the
prompt and appends 25 copies of ``(txt + torch.randn(txt.shape).cuda() * rand_mag).clamp(0, 1)``
with the prompt's weight; the sampler's start noise (``th.randn(*shape)``) comes after. The Perlin octave is checked
against Perlin's gradient noise (Perlin 1985) computed point by point from the same draws.
"""

from __future__ import annotations

import pytest
import torch

from render.errors import SettingsError
from render.renderer import FUZZY_COPIES, Renderer, RenderSettings, fuzzy_embeddings
from render.unet import UNetModel
from tests.render.helpers import TINY_UNET


def _settings(**kw) -> RenderSettings:
    base = dict(
        width_height=(64, 64), steps=2, skip_steps=0, use_secondary_model=False, clip_models=("tiny",),
        clip_guidance_scale=1000.0, cutn_batches=1, cut_overview="[1]*1000", cut_innercut="[0]*1000",
        skip_augs=True, clamp_grad=False, range_scale=0.0, eta=0.0, init_scale=0.0,
    )
    base.update(kw)
    return RenderSettings(**base)


def dd_fuzz(embed: torch.Tensor, rand_mag: float) -> list[torch.Tensor]:
    """DD's loop body, drawing from torch's global CPU generator as DD does."""
    return [(embed + torch.randn(embed.shape) * rand_mag).clamp(0, 1) for _ in range(25)]


def test_copies_are_dds_noisy_clamped_embeddings() -> None:
    embed = torch.rand(1, 32) * 1.4 - 0.2  # some values outside [0, 1], which the clamp catches
    torch.manual_seed(123)
    expected = torch.cat(dd_fuzz(embed, 0.05))
    ours = fuzzy_embeddings(embed, 0.05, torch.Generator().manual_seed(123))
    assert FUZZY_COPIES == 25 and ours.shape == (25, 32)
    torch.testing.assert_close(ours, expected, rtol=0, atol=0)
    # an image prompt's views are noised as one tensor per copy, as DD's embed.shape draws
    views = torch.rand(3, 8)
    torch.manual_seed(4)
    torch.testing.assert_close(fuzzy_embeddings(views, 0.1, torch.Generator().manual_seed(4)), torch.cat(dd_fuzz(views, 0.1)))


def test_rand_mag_zero_still_clamps_and_draws() -> None:
    gen = torch.Generator().manual_seed(0)
    out = fuzzy_embeddings(torch.tensor([[-0.5, 0.5, 1.5]]), 0.0, gen)
    assert torch.equal(out, torch.tensor([[0.0, 0.5, 1.0]]).repeat(25, 1))
    assert torch.equal(gen.get_state(), _after_draws(25, 3))  # 25 draws of the embedding's shape


def _after_draws(n: int, size: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    for _ in range(n):
        torch.randn((1, size), generator=gen)
    return gen.get_state()


@pytest.fixture(scope="module")
def tiny_unet() -> UNetModel:
    torch.manual_seed(0)
    return UNetModel(TINY_UNET).eval()


def test_a_frame_draws_the_fuzz_after_the_seed_and_before_the_start_noise(tiny_unet, tiny_clip) -> None:
    prompts, seed, mag = ["a red barn:2", "fog:-1"], 9, 0.05
    renderer = Renderer(_settings(fuzzy_prompt=True, rand_mag=mag), unet=tiny_unet, clip_models=[tiny_clip])
    seen: dict = {}
    targets_fn, loop_fn = renderer._targets, renderer.diffusion.sample_loop

    def targets_spy(*args, **kwargs):
        seen["targets"] = targets_fn(*args, **kwargs)
        return seen["targets"]

    def loop_spy(*args, **kwargs):
        seen["noise"] = kwargs["noise"]
        yield from loop_fn(*args, **kwargs)

    renderer._targets = targets_spy  # type: ignore[method-assign]
    renderer.diffusion.sample_loop = loop_spy  # type: ignore[method-assign]
    next(renderer.sample(prompts, seed=seed))

    # DD: seed, then per prompt its (whole-string) embedding and 25 noisy copies, then the noise
    torch.manual_seed(seed)
    embeds, weights = [], []
    for p, w in zip(prompts, (2.0, -1.0)):
        embeds += dd_fuzz(tiny_clip.encode_text([p]), mag)
        weights += [w] * 25
    noise = torch.randn(1, 3, 64, 64)
    (target,) = seen["targets"]
    # (chroma embeds the texts in one batch, DD one by one: float rounding apart)
    torch.testing.assert_close(target.embeds, torch.cat(embeds), rtol=0, atol=2e-6)
    total = abs(sum(weights))
    torch.testing.assert_close(target.weights, torch.tensor([w / total for w in weights]))
    torch.testing.assert_close(seen["noise"], noise, rtol=0, atol=0)


def test_fuzzy_prompt_off_embeds_each_prompt_once(tiny_unet, tiny_clip) -> None:
    renderer = Renderer(_settings(), unet=tiny_unet, clip_models=[tiny_clip])
    (target,) = renderer._targets(["a red barn:2", "fog"], [], torch.Generator())
    assert target.embeds.shape[0] == 2


def test_image_prompts_are_fuzzed_after_their_crops(tiny_unet, tiny_clip) -> None:
    renderer = Renderer(_settings(fuzzy_prompt=True), unet=tiny_unet, clip_models=[tiny_clip])
    image = torch.rand(3, 64, 64) * 2 - 1
    (target,) = renderer._targets(["fog"], [(image, 3.0)], torch.Generator().manual_seed(1), rand_mag=0.05)
    views = 17  # the whole image and 16 crops
    assert target.embeds.shape[0] == 25 + 25 * views
    # each image view keeps weight 3 / 17 in every copy: the image's share is 3 of 4
    assert torch.isclose(target.weights[25:].sum(), torch.tensor(0.75))
    gen = torch.Generator().manual_seed(1)
    _ = fuzzy_embeddings(tiny_clip.encode_text(["fog"]), 0.05, gen)
    crops = tiny_clip.embed_image_prompt(image[None].add(1).div(2), generator=gen)
    torch.testing.assert_close(target.embeds[25:], fuzzy_embeddings(crops, 0.05, gen))


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_rand_mag_must_be_finite_and_not_negative(bad) -> None:
    with pytest.raises(SettingsError, match="rand_mag"):
        _settings(rand_mag=bad)


# -- perlin_init ---------------------------------------------------------------------


def _fade(t: float) -> float:
    return 3 * t * t - 2 * t**3


def test_perlin_octave_is_gradient_noise_from_the_generators_draws() -> None:
    from render.perlin import perlin

    width, height, scale = 2, 3, 4
    ours = perlin(width, height, scale, torch.Generator().manual_seed(5), torch.device("cpu"))
    gx, gy = torch.randn(2, width + 1, height + 1, generator=torch.Generator().manual_seed(5)).double()
    assert ours.shape == (width * scale, height * scale)
    # Perlin (1985): sum over the cell's corners of fade weight x gradient . offset
    for i in range(width * scale):
        for j in range(height * scale):
            cx, cy, u, v = i // scale, j // scale, (i % scale) / scale, (j % scale) / scale
            value = 0.0
            for dx in (0, 1):
                for dy in (0, 1):
                    weight = (_fade(u) if dx else 1 - _fade(u)) * (_fade(v) if dy else 1 - _fade(v))
                    value += weight * (gx[cx + dx, cy + dy] * (u - dx) + gy[cx + dx, cy + dy] * (v - dy)).item()
            assert abs(ours[i, j].item() - value) < 1e-5, (i, j)


def test_perlin_modes_colour_the_pictures_dd_colours() -> None:
    from render.perlin import perlin_init

    gray = perlin_init("gray", (64, 64), torch.Generator().manual_seed(0), torch.device("cpu"))
    assert gray.shape == (1, 3, 64, 64) and gray.min() >= -1 and gray.max() <= 1
    assert torch.equal(gray[:, 0], gray[:, 1]) and torch.equal(gray[:, 1], gray[:, 2])
    # 8-bit pictures: the mean of two is a multiple of 1/510 in [0, 1]
    levels = (gray + 1) / 2 * 510
    assert torch.allclose(levels, levels.round(), atol=1e-3)
    with pytest.raises(ValueError, match="perlin_mode"):
        perlin_init("colour", (64, 64), torch.Generator(), torch.device("cpu"))


def test_perlin_replaces_the_init_and_is_drawn_twice_before_the_start_noise(tiny_unet, tiny_clip, monkeypatch) -> None:
    import render.renderer as renderer_module

    calls = []

    def fake_perlin(mode, size, generator, device):
        calls.append((mode, size, generator))
        return torch.full((1, 3, *size), float(torch.rand((), generator=generator)))

    monkeypatch.setattr(renderer_module, "perlin_init", fake_perlin)
    renderer = Renderer(_settings(perlin_init=True, perlin_mode="color", skip_steps=1, steps=3),
                        unet=tiny_unet, clip_models=[tiny_clip])
    seen = {}
    loop_fn = renderer.diffusion.sample_loop

    def loop_spy(*args, **kwargs):
        seen.update(kwargs)
        yield from loop_fn(*args, **kwargs)

    renderer.diffusion.sample_loop = loop_spy  # type: ignore[method-assign]
    next(renderer.sample("fog", seed=3, init=torch.zeros(3, 64, 64)))  # a given init (a warped frame) is replaced
    assert [(m, s) for m, s, _ in calls] == [("color", (64, 64))] * 2
    gen = torch.Generator().manual_seed(3)  # on the CPU DD's device generator is the CPU one
    first, second = torch.rand((), generator=gen), torch.rand((), generator=gen)
    noise = torch.randn(1, 3, 64, 64, generator=gen)
    assert float(first) != float(second)
    assert torch.equal(seen["init_image"], torch.full((1, 3, 64, 64), float(second)))
    assert torch.equal(seen["noise"], noise)


def test_perlin_mode_must_be_dds() -> None:
    with pytest.raises(SettingsError, match="perlin_mode"):
        _settings(perlin_mode="colour")
