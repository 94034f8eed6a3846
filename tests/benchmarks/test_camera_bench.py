"""Camera moves at Disco Diffusion's default frame size (1280x768), once per frame.

Measure with ``pytest tests/benchmarks/test_camera_bench.py --benchmark-enable``; without
it each benchmark runs once as a plain test (checking the warp moved the frame). The CUDA
variants skip without a GPU.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from render.camera import warp_2d, warp_3d  # noqa: E402

H, W = 768, 1280
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"))]


def _frame(device: str) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    image = (torch.rand(1, 3, H, W, generator=g) * 2 - 1).to(device)
    depth = (0.6 + 2.0 * torch.rand(H, W, generator=g)).to(device)
    return image, depth


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("border", ["wrap", "reflect"])
def test_warp_2d_1280x768(benchmark, device, border):
    image, _ = _frame(device)

    def run():
        out = warp_2d(image, angle=2.5, zoom=1.02, translation_x=1.5, translation_y=2.0, border=border)
        _sync(device)
        return out

    out = benchmark(run)
    assert out.shape == image.shape and (out - image).abs().max().item() > 0.1


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("sampling_mode", ["bicubic", "bilinear"])
def test_warp_3d_1280x768(benchmark, device, sampling_mode):
    image, depth = _frame(device)

    def run():
        out = warp_3d(image, depth, (2.0, 1.0, 6.0), (0.5, -1.0, 1.5), sampling_mode=sampling_mode)
        _sync(device)
        return out

    out = benchmark(run)
    assert out.shape == image.shape and (out - image).abs().max().item() > 0.1
