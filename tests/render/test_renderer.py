"""End to end on CPU: tiny UNet + tiny random open_clip model, guided by a text prompt."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F

import render
from render.errors import ModelNotFoundError, PromptError, RenderError, ScheduleError
from render.guidance import spherical_dist_loss
from render.renderer import Renderer, RenderSettings
from render.secondary import SecondaryDiffusionImageNet2
from render.unet import UNetModel
from tests.render.helpers import TINY_UNET


@pytest.fixture(scope="module")
def tiny_unet() -> UNetModel:
    torch.manual_seed(0)
    return UNetModel(TINY_UNET).eval()


def _settings(**kw) -> RenderSettings:
    base = dict(
        width_height=(64, 64), steps=8, skip_steps=0, use_secondary_model=False, clip_models=("tiny",),
        clip_guidance_scale=1000.0, cutn_batches=1, cut_overview="[1]*1000", cut_innercut="[0]*1000",
        skip_augs=True, clamp_grad=False, range_scale=0.0, eta=0.0, init_scale=0.0,
    )
    base.update(kw)
    return RenderSettings(**base)


def _final_clip_loss(clip, image: torch.Tensor, text: str) -> float:
    with torch.no_grad():
        emb = clip.encode_image(F.interpolate(image.add(1).div(2), size=clip.input_size, mode="bilinear", antialias=True))
        return spherical_dist_loss(emb, clip.encode_text([text])).mean().item()


def test_guided_render_end_to_end(tiny_unet, tiny_clip) -> None:
    # its speed is measured in tests/benchmarks/test_render_cpu_bench.py, not asserted here
    renderer = Renderer(_settings(), unet=tiny_unet, clip_models=[tiny_clip])
    steps = list(renderer.sample(["a red barn"], seed=3))  # in "dd" mode ":1" would be embedded too
    previews, final = steps[:-1], steps[-1]
    assert len(previews) == 8 and final.final and not any(s.final for s in previews)
    assert [s.step for s in previews] == list(range(1, 9)) and final.total == 8
    img = final.image
    assert img.shape == (1, 3, 64, 64) and torch.isfinite(img).all()
    assert img.min() >= -1 and img.max() <= 1
    losses = [s.clip_loss for s in previews]
    assert all(loss is not None for loss in losses)
    assert losses[-1] < losses[0] - 0.02, losses  # guidance works: the CLIP loss falls
    # and the frame is closer to the prompt than the unguided frame from the same seed
    unguided = Renderer(_settings(clip_guidance_scale=0.0), unet=tiny_unet, clip_models=[tiny_clip]).render("a red barn", seed=3)
    assert _final_clip_loss(tiny_clip, img, "a red barn") < _final_clip_loss(tiny_clip, unguided, "a red barn")


def test_secondary_model_plms_batch_and_rounding(tiny_unet, tiny_clip) -> None:
    torch.manual_seed(0)
    secondary = SecondaryDiffusionImageNet2(8)
    with pytest.warns(UserWarning, match="not a multiple of 64; rendering at 64x128"):
        settings = _settings(width_height=(70, 120), batch_size=2, use_secondary_model=True,
                             diffusion_sampling_mode="plms", skip_augs=False, cut_innercut="[2]*1000",
                             clamp_grad=True, range_scale=150.0, steps=5)
    renderer = Renderer(settings, unet=tiny_unet, secondary=secondary, clip_models=[tiny_clip])
    frame = renderer.render(["a red barn:2", "fog:-1"], seed=0)
    assert frame.shape == (2, 3, 128, 64) and torch.isfinite(frame).all()


def test_deterministic_for_a_seed(tiny_unet, tiny_clip) -> None:
    settings = _settings(steps=4, eta=0.8, skip_augs=False, cut_innercut="[2]*1000")
    a = Renderer(settings, unet=tiny_unet, clip_models=[tiny_clip]).render("a red barn", seed=11)
    b = Renderer(settings, unet=tiny_unet, clip_models=[tiny_clip]).render("a red barn", seed=11)
    c = Renderer(settings, unet=tiny_unet, clip_models=[tiny_clip]).render("a red barn", seed=12)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_init_image_is_the_starting_point(tiny_unet, tiny_clip) -> None:
    init = torch.linspace(-0.8, 0.8, 64).view(1, 1, 64).expand(3, 64, 64)
    # only the last (least noisy) step is taken: the frame stays near the init image
    settings = _settings(steps=10, skip_steps=9, clip_guidance_scale=0.0)
    frame = Renderer(settings, unet=tiny_unet, clip_models=[tiny_clip]).render("x", seed=0, init=init)
    assert (frame[0] - init).abs().mean().item() < 0.05
    far = Renderer(settings.replace(skip_steps=0), unet=tiny_unet, clip_models=[tiny_clip]).render("x", seed=0, init=init)
    assert (far[0] - init).abs().mean().item() > 0.1


def test_renders_by_registry_name(tiny_unet, tiny_clip_name, model_cache, tmp_path) -> None:
    from render import models

    path = tmp_path / "tiny.pt"
    torch.save(tiny_unet.state_dict(), path)
    cfg = {"image_size": 64, "num_channels": 32, "num_res_blocks": 1, "num_heads": 2, "num_head_channels": -1,
           "attention_resolutions": "16", "channel_mult": "1,1,2", "resblock_updown": True,
           "use_scale_shift_norm": True, "learn_sigma": True}
    models.import_(path, name="tiny-unet", config=cfg)
    settings = _settings(diffusion_model="tiny-unet", clip_models=(f"{tiny_clip_name}::random",), steps=3)
    frame = Renderer(settings).render("a red barn", seed=0)
    assert frame.shape == (1, 3, 64, 64) and torch.isfinite(frame).all()


def test_missing_checkpoint_fails_fast_with_the_fix(model_cache, monkeypatch) -> None:
    # fast = before any model is built or any CLIP model loaded (checked, not timed)
    from render import clip as clip_mod
    from render import renderer as renderer_mod
    from render.models import loading

    def must_not_run(*a, **k):
        raise AssertionError("a model was built before the missing checkpoint was reported")

    for mod, name in ((loading, "load_unet"), (loading, "load_secondary"), (renderer_mod._models, "load_unet"),
                      (renderer_mod._models, "load_secondary"), (renderer_mod, "load_clip"), (clip_mod, "load_clip")):
        monkeypatch.setattr(mod, name, must_not_run)
    with pytest.raises(ModelNotFoundError) as err:
        render.Renderer(render.RenderSettings())
    msg = str(err.value)
    assert "512x512_diffusion_uncond_finetune_008100.pt" in msg and str(model_cache) in msg
    assert "chroma models fetch 512x512_diffusion_uncond_finetune_008100" in msg
    assert isinstance(err.value, render.RenderError)


def test_defaults_are_disco_diffusions() -> None:
    s = RenderSettings()
    assert s.width_height == (1280, 768) and s.steps == 250 and s.skip_steps == 10
    assert s.clip_guidance_scale == 5000 and s.tv_scale == 0 and s.range_scale == 150 and s.sat_scale == 0
    assert s.cutn_batches == 4 and s.cut_overview == "[12]*400+[4]*600" and s.cut_innercut == "[4]*400+[12]*600"
    assert s.cut_icgray_p == "[0.2]*400+[0]*600" and s.clamp_grad and s.clamp_max == 0.05 and s.eta == 0.8
    assert s.use_secondary_model and s.diffusion_model == "512x512_diffusion_uncond_finetune_008100"
    assert s.clip_models == ("ViT-B-32::openai", "ViT-B-16::openai", "RN50::openai")


def test_user_errors_are_render_errors(tiny_unet, tiny_clip) -> None:
    with pytest.raises(ScheduleError, match="cut_overview"):
        _settings(cut_overview="__import__('os')")
    for bad in (dict(steps=0), dict(skip_steps=8), dict(diffusion_sampling_mode="euler"), dict(width_height="big")):
        with pytest.raises(RenderError):
            _settings(**bad)
    renderer = Renderer(_settings(), unet=tiny_unet, clip_models=[tiny_clip])
    with pytest.raises(PromptError, match="sum to zero"):
        next(renderer.sample(["a:1", "b:-1"], seed=0))


def test_exact_multiples_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert RenderSettings(width_height=(1280, 768)).width_height == (1280, 768)


def test_mixed_precision_path_runs(tiny_unet, tiny_clip) -> None:
    # bf16 autocast is what the GPU uses; CPU autocast exercises the same code path
    secondary = SecondaryDiffusionImageNet2(8)
    settings = _settings(precision="bf16", use_secondary_model=True, steps=3, range_scale=150.0, clamp_grad=True)
    renderer = Renderer(settings, unet=tiny_unet, secondary=secondary, clip_models=[tiny_clip])
    assert renderer.autocast_dtype is torch.bfloat16
    steps = list(renderer.sample("a red barn", seed=0))
    assert steps[-1].image.dtype == torch.float32 and torch.isfinite(steps[-1].image).all()
    assert all(s.clip_loss is not None and s.clip_loss > 0 for s in steps[:-1])


def test_respacing_settings() -> None:
    from render.diffusion import space_timesteps

    # DD: steps=250 -> ddim250 over 1000; steps=300 -> ddim300 over 900 steps
    assert list(RenderSettings(steps=250).diffusion().timestep_map) == space_timesteps(1000, "ddim250")
    d = RenderSettings(steps=300).diffusion()
    assert d.original_num_steps == 900 and d.num_timesteps == 300
    d = RenderSettings(timestep_respacing="10,10,5", skip_steps=2).diffusion()
    assert list(d.timestep_map) == space_timesteps(1000, "10,10,5")
    with pytest.raises(RenderError, match="skip_steps"):
        RenderSettings(timestep_respacing="10,10,5", skip_steps=25)


# -- Disco Diffusion's random stream (tests/render/test_dd_loop_golden.py proves the frames) ---------
def test_dd_generators_are_one_stream_on_the_cpu() -> None:
    from render.renderer import dd_generators

    cpu, device = dd_generators(7, torch.device("cpu"))
    assert cpu is device  # DD's torch.rand and torch.randn draw from the one CPU generator
    assert torch.equal(torch.rand(3, generator=cpu), torch.rand(3, generator=torch.Generator().manual_seed(7)))


@pytest.mark.parametrize("eta", [0.0, 0.8])
def test_ddim_draws_its_noise_at_every_step_whatever_eta(eta) -> None:
    """guided-diffusion's ``ddim_sample`` draws ``th.randn_like(x)`` at every step (eta 0 and
    the last step too), so the draws after it (DD's next cutouts) depend on it."""
    from render.diffusion import GaussianDiffusion, SamplerOptions, ddim_step
    from tests.render.helpers import stand_in_model

    diffusion = GaussianDiffusion.from_spec("ddim10", rescale_timesteps=True)
    x = torch.linspace(-1, 1, 3 * 8 * 8).reshape(1, 3, 8, 8)
    for index in (5, 0):
        generator, expected = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
        ddim_step(diffusion, stand_in_model, x, torch.full((1,), index), SamplerOptions(eta=eta, generator=generator), [])
        torch.randn(x.shape, generator=expected)
        assert torch.equal(torch.rand(4, generator=generator), torch.rand(4, generator=expected))


@pytest.mark.parametrize("mode", ["ddim", "plms"])
def test_the_frame_is_the_last_x0_before_guidance_as_dd_saves(tiny_unet, tiny_clip, mode) -> None:
    # DD writes TF.to_pil_image(sample["pred_xstart"]) of the last step, and kostarion's
    # guided-diffusion returns out_orig["pred_xstart"] there (the x0 estimate before
    # cond_fn), while its guided last sample is out["pred_xstart"]: with guidance strong
    # enough to move x0 at t = 0 the two differ, and the frame must be the first
    settings = _settings(steps=4, diffusion_sampling_mode=mode, clip_guidance_scale=1e5, tv_scale=1e5)
    renderer = Renderer(settings, unet=tiny_unet, clip_models=[tiny_clip])
    steps = list(renderer.sample("a red barn", seed=5))
    last_x0, final = steps[-2].image, steps[-1]
    assert final.final and torch.equal(final.image, last_x0)
    # the guided last sample, taken from the sampler itself, is another image
    guided = []
    original = renderer.diffusion.sample_loop

    def spy(*args, **kwargs):
        for out in original(*args, **kwargs):
            guided.append(out.sample)
            yield out

    renderer.diffusion.sample_loop = spy  # type: ignore[method-assign]
    list(renderer.sample("a red barn", seed=5))
    assert (guided[-1].clamp(-1, 1) - last_x0).abs().max() > 1e-3


def test_dd_mode_embeds_the_whole_prompt_string_as_dd(golden_clip_for_prompts) -> None:
    # guidance_golden.pt: DD's own text embeddings are of the raw "text:weight" strings
    # (target_embeds_of_raw_strings); "chroma" mode embeds the parsed text (target_embeds)
    clip, cases = golden_clip_for_prompts
    weighted = [c for c in cases if any(":" in p for p in c["raw_prompts"])]
    assert weighted  # the golden has "text:3", "text:-1" prompts
    for mode, key in (("dd", "target_embeds_of_raw_strings"), ("chroma", "target_embeds")):
        renderer = Renderer(_settings(guidance_mode=mode, width_height=(64, 64)), unet=torch.nn.Identity(), clip_models=[clip])
        for case in cases:
            targets = renderer._targets(list(case["raw_prompts"]), [], torch.Generator(), mode == "dd")
            torch.testing.assert_close(targets[0].embeds, case[key].float(), rtol=1e-5, atol=1e-6)
    for case in weighted:
        assert not torch.allclose(case["target_embeds_of_raw_strings"], case["target_embeds"], atol=1e-4)


@pytest.fixture(scope="module")
def golden_clip_for_prompts(load_reference, tmp_path_factory):
    from tests.render.test_guidance_golden import build_golden_clip

    golden = load_reference("guidance_golden.pt")
    return build_golden_clip(golden, tmp_path_factory.mktemp("clip")), list(golden["cases"])


@pytest.mark.parametrize(("mode", "embedded"), [("dd", ("a red barn:2", "fog:-1")), ("chroma", ("a red barn", "fog"))])
def test_sample_embeds_the_strings_the_guidance_mode_says(tiny_unet, tiny_clip, mode, embedded) -> None:
    renderer = Renderer(_settings(steps=2, guidance_mode=mode), unet=tiny_unet, clip_models=[tiny_clip])
    next(renderer.sample(["a red barn:2", "fog:-1"], seed=0))
    assert [texts for _, texts in renderer._text_cache] == [embedded]
