"""The basis of chroma.farm.resources: each activation constant is measured again here as
the peak bytes of the tensors a forward (and backward) pass keeps alive, with the real
architectures built on PyTorch's ``meta`` device (shapes and dtypes only: no memory, no
arithmetic, the same tensors a GPU would hold), and the defaults are the renderer's."""

from __future__ import annotations

import weakref
from typing import Any, Callable

import pytest

torch = pytest.importorskip("torch")

from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402
from torch.utils._pytree import tree_flatten  # noqa: E402

SIZES = ((512, 512), (1280, 768))  # the fit's two sizes: DD's 512 square and its default frame


class _Peak(TorchDispatchMode):
    """The peak of live tensor storage created inside the mode (each storage once, views
    included; storages made outside -- parameters, buffers, the inputs -- not counted)."""

    def __init__(self, outside: set[int]) -> None:
        super().__init__()
        self.outside, self.refs, self.live, self.peak = outside, {}, 0, 0

    def _drop(self, key: int, n: int) -> None:
        self.refs[key] -= 1
        if not self.refs[key]:
            del self.refs[key]
            self.live -= n

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                storage = t.untyped_storage()
                key, n = storage._cdata, storage.nbytes()
                if key in self.outside:
                    continue
                if key not in self.refs:
                    self.refs[key] = 0
                    self.live += n
                    self.peak = max(self.peak, self.live)
                self.refs[key] += 1
                weakref.finalize(t, self._drop, key, n)
        return out


def peak_bytes(fn: Callable[[], Any], modules: tuple, inputs: tuple) -> int:
    """Peak bytes of the tensors alive while ``fn`` runs, beyond the modules' weights and the inputs."""
    outside = {p.untyped_storage()._cdata for m in modules for p in [*m.parameters(), *m.buffers()]}
    outside |= {t.untyped_storage()._cdata for t in inputs}
    mode = _Peak(outside)
    with mode:
        fn()
    return mode.peak


def _unet_peaks(name: str, w: int, h: int) -> tuple[int, int]:
    from render.models.registry import REGISTRY
    from render.unet import UNetConfig, UNetModel

    with torch.device("meta"):
        unet = UNetModel(UNetConfig.from_published(REGISTRY[name].config)).requires_grad_(False)
        x, t = torch.zeros(1, 3, h, w, requires_grad=True), torch.zeros(1)

        def no_grad() -> None:
            with torch.no_grad():
                unet(x, t)

        def grad() -> None:
            torch.autograd.grad(unet(x, t).sum(), x)

        return peak_bytes(no_grad, (unet,), (x, t)), peak_bytes(grad, (unet,), (x, t))


def _fit(sizes: tuple, peaks: list[int]) -> tuple[float, float]:
    """(a, c) of bytes = a P + c P^2 through the two measurements."""
    (p1, p2), (b1, b2) = [w * h for w, h in sizes], peaks
    c = (b2 / p2 - b1 / p1) / (p2 - p1)
    return b1 / p1 - c * p1, c


@pytest.mark.parametrize("name", ["512x512_diffusion_uncond_finetune_008100", "256x256_diffusion_uncond",
                                  "portrait_generator_v001", "pixel_art_diffusion_hard_256"])
def test_unet_activation_constants_are_the_measured_peaks(name) -> None:
    from chroma.farm.resources import UNET_ACTIVATIONS, unet_activation_bytes

    peaks = [_unet_peaks(name, w, h) for w, h in SIZES]
    for k, (w, h) in enumerate(SIZES):
        for grad in (False, True):
            want = peaks[k][grad]
            got = unet_activation_bytes(name, w * h, grad)
            assert got == pytest.approx(want, rel=0.01), (name, w, h, grad, _fit(SIZES, [p[grad] for p in peaks]))
    assert name in UNET_ACTIVATIONS


def test_secondary_and_lpips_bytes_per_pixel_are_the_measured_peaks() -> None:
    import torchvision

    from chroma.farm.resources import LPIPS_BYTES_PER_PIXEL, SECONDARY_BYTES_PER_PIXEL
    from render.secondary import SecondaryDiffusionImageNet2

    with torch.device("meta"):
        sec = SecondaryDiffusionImageNet2(64).requires_grad_(False)
        vgg = torchvision.models.vgg16().features.requires_grad_(False)  # LPIPS's backbone (render.perceptual)
        for w, h in SIZES:
            x, y, t = torch.zeros(1, 3, h, w, requires_grad=True), torch.zeros(1, 3, h, w), torch.zeros(1)

            def secondary(x: Any = x, t: Any = t) -> None:
                torch.autograd.grad(sec(x, t).pred.sum(), x)

            def lpips(x: Any = x, y: Any = y) -> None:  # the init image's features without grad, the frame's with
                with torch.no_grad():
                    fy = vgg(y)
                torch.autograd.grad((vgg(x) - fy).square().sum(), x)

            assert peak_bytes(secondary, (sec,), (x, t)) / (w * h) == pytest.approx(SECONDARY_BYTES_PER_PIXEL, rel=0.01)
            assert peak_bytes(lpips, (vgg,), (x, y)) / (w * h) == pytest.approx(LPIPS_BYTES_PER_PIXEL, rel=0.01)


def test_clip_bytes_per_cutout_are_the_measured_peaks() -> None:
    open_clip = pytest.importorskip("open_clip")
    from chroma.farm.resources import CLIP

    for arch, (_mparams, size, per_cut) in CLIP.items():
        with torch.device("meta"):
            visual = open_clip.create_model(arch, pretrained=None, device="meta").visual.requires_grad_(False)
            x = torch.zeros(2, 3, size, size, requires_grad=True)

            def cuts(visual: Any = visual, x: Any = x) -> None:
                torch.autograd.grad(visual(x).sum(), x)

            assert peak_bytes(cuts, (visual,), (x,)) / 2 == pytest.approx(per_cut, rel=0.01), arch


def test_clip_parameter_counts_are_open_clips() -> None:
    open_clip = pytest.importorskip("open_clip")
    from chroma.farm.resources import CLIP

    for arch, (mparams, _size, _per_cut) in CLIP.items():
        with torch.device("meta"):
            model = open_clip.create_model(arch, pretrained=None, device="meta")
        assert sum(p.numel() for p in model.parameters()) / 1e6 == pytest.approx(mparams, abs=0.01), arch


def test_defaults_are_the_renderers() -> None:
    """The estimate reads the renderer's own defaults: those of a RenderSettings built with none given."""
    from chroma.farm.resources import ESTIMATE_KEYS, estimate_gpu_memory, render_defaults
    from render.renderer import RenderSettings

    built = RenderSettings()
    assert render_defaults() == {k: getattr(built, k) for k in ESTIMATE_KEYS}
    assert estimate_gpu_memory({}) == estimate_gpu_memory({k: getattr(built, k) for k in ESTIMATE_KEYS})
