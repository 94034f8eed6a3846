"""LPIPS for the init and frame losses: the lpips package's network, backbone from the cache.

No download: the VGG16 backbone is random (seeded) and handed in, or imported into a
private model cache under the registered name.
"""

from __future__ import annotations

import hashlib

import pytest
import torch

from render import models
from render.errors import ModelNotFoundError
from render.perceptual import LPIPS_BACKBONE, build_lpips, load_lpips, lpips_distance


def _vgg16_features() -> torch.nn.Module:
    """torchvision's VGG16 feature layers (the classifier, unused by LPIPS, is slow to build)."""
    from torchvision.models.vgg import cfgs, make_layers

    return make_layers(cfgs["D"])


@pytest.fixture(scope="module")
def vgg_state() -> dict:
    """A random VGG16 backbone, keyed as torchvision's state_dict (``features.N.*``)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        return {f"features.{k}": v for k, v in _vgg16_features().state_dict().items()}


@pytest.fixture(scope="module")
def images() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(2, 3, 64, 64, generator=gen) * 2 - 1
    b = (a + 0.3 * torch.randn(2, 3, 64, 64, generator=gen)).clamp(-1, 1)
    return a, b


def test_backbone_lands_where_the_lpips_package_puts_torchvisions_vgg(vgg_state, images, monkeypatch) -> None:
    """Reference: the package itself, handed the same torchvision VGG16 where it would
    download the ImageNet one."""
    from types import SimpleNamespace

    import lpips

    def vgg16_with_our_weights(*args, **kwargs):
        features = _vgg16_features()
        features.load_state_dict({k.removeprefix("features."): v for k, v in vgg_state.items()})
        return SimpleNamespace(features=features)

    monkeypatch.setattr(lpips.pretrained_networks.tv, "vgg16", vgg16_with_our_weights)
    reference = lpips.LPIPS(net="vgg", verbose=False).eval()
    ours = build_lpips(vgg_state)
    a, b = images
    with torch.no_grad():
        torch.testing.assert_close(lpips_distance(ours, a, b), reference(a, b).view(-1), rtol=1e-5, atol=1e-7)


def test_lpips_is_a_differentiable_distance(images) -> None:
    model = build_lpips(None)  # random trunk, the package's calibrated linear layers
    a, b = images
    same = lpips_distance(model, a, a)
    assert same.abs().max().item() < 1e-6
    x = b.clone().requires_grad_()
    d = lpips_distance(model, x, a)
    assert d.shape == (2,) and (d > 0).all()
    (g,) = torch.autograd.grad(d.sum(), x)
    assert torch.isfinite(g).all() and g.abs().sum() > 0
    # a small step against the gradient brings the image closer
    closer = lpips_distance(model, (b - 1e-2 * g / g.abs().max()).detach(), a)
    assert (closer < d.detach()).all()


def test_the_registered_backbone_is_torchvisions_file() -> None:
    info = models.REGISTRY[LPIPS_BACKBONE]
    assert info.family == "lpips"
    assert info.urls == ("https://download.pytorch.org/models/vgg16-397923af.pth",)
    # torchvision names its files by the first 8 hex digits of their sha256
    assert info.filename == f"vgg16-{info.sha256[:8]}.pth"
    with torch.device("meta"):
        import torchvision

        assert sum(p.numel() for p in torchvision.models.vgg16().parameters()) == info.num_params


def test_load_lpips_from_the_cache_checks_and_imports(vgg_state, images, model_cache, tmp_path, monkeypatch) -> None:
    import render.perceptual as perceptual

    monkeypatch.setattr(perceptual, "_LOADED", {})
    with pytest.raises(ModelNotFoundError, match=f"chroma models fetch {LPIPS_BACKBONE}"):
        load_lpips()
    # an air-gapped import of "the" file (here our random one, registered with its digest)
    src = tmp_path / "vgg16-397923af.pth"
    torch.save(vgg_state, src)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    info = models.REGISTRY[LPIPS_BACKBONE]
    monkeypatch.setitem(models.REGISTRY, LPIPS_BACKBONE, models.ModelInfo(**{**info.__dict__, "sha256": digest}))
    models.import_(src)
    model = load_lpips()
    a, b = images
    with torch.no_grad():
        torch.testing.assert_close(lpips_distance(model, a, b), lpips_distance(build_lpips(vgg_state), a, b))
    assert load_lpips() is model  # kept loaded


def test_guide_init_loss_lpips_pulls_towards_the_init(tiny_clip, images) -> None:
    from render.guidance import Guide
    from render.renderer import RenderSettings

    a, _ = images
    init = a[:1]
    settings = RenderSettings(width_height=(64, 64), steps=10, skip_steps=0, clip_models=("tiny",),
                              clip_guidance_scale=0.0, range_scale=0.0, init_scale=1000.0, clamp_grad=False)
    model = build_lpips(None)
    unet = lambda x, t: torch.cat([0.5 * x, torch.zeros_like(x)], 1)  # noqa: E731
    d = settings.diffusion()
    guide = Guide(d, unet, None, [], settings.guidance_config(), init=init, lpips=model)
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    t = torch.tensor([2])
    grad = guide(x, t)

    def distance(x_t: torch.Tensor) -> float:
        fac = d.coef("sqrt_one_minus_alphas_cumprod", t, 4)
        x_in = d.predict_xstart_from_eps(x_t, t, 0.5 * x_t) * fac + x_t * (1 - fac)
        with torch.no_grad():
            return lpips_distance(model, x_in, init).item()

    assert distance(x + 1e-3 * grad / grad.abs().max()) < distance(x)
    # the MSE option needs no weights and pulls the same way
    mse = Guide(d, unet, None, [], settings.replace(init_loss="mse").guidance_config(), init=init)
    assert torch.nn.functional.cosine_similarity(mse(x, t).flatten(), grad.flatten(), dim=0) > 0


def test_renderer_with_init_needs_the_backbone_unless_mse(tiny_clip, model_cache, monkeypatch) -> None:
    import render.perceptual as perceptual
    from render.renderer import Renderer, RenderSettings
    from render.unet import UNetModel
    from tests.render.helpers import TINY_UNET

    monkeypatch.setattr(perceptual, "_LOADED", {})
    torch.manual_seed(0)
    unet = UNetModel(TINY_UNET).eval()
    settings = RenderSettings(width_height=(64, 64), steps=3, skip_steps=1, use_secondary_model=False,
                              clip_models=("tiny",), cutn_batches=1, cut_overview="[1]*1000", cut_innercut="[1]*1000")
    init = torch.zeros(3, 64, 64)
    with pytest.raises(ModelNotFoundError, match=LPIPS_BACKBONE):
        Renderer(settings, unet=unet, clip_models=[tiny_clip]).render("a red barn", init=init)
    frame = Renderer(settings.replace(init_loss="mse"), unet=unet, clip_models=[tiny_clip]).render("a red barn", init=init)
    assert torch.isfinite(frame).all()
