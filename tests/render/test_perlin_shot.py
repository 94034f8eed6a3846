"""``perlin_init`` in a whole shot rendered by ``chroma render`` (issue #23 item 6).

Disco Diffusion v5.7 (disco.py, ``do_run``) replaces every frame's init with its Perlin
noise when ``perlin_init`` is on, the warped previous frame included, drawn from the
frame's random stream (``torch.manual_seed(seed + i)``): made once after the prompts and
again just before the start noise, the second used. The checks: the init each frame's
sampler gets is ``render.perlin.perlin_init`` of a fresh generator seeded with that
frame's seed, second draw (the draw order written out here, not taken from the renderer);
the frames differ from the same shot without Perlin; the same seed gives the same frames.

Slow: DD's Perlin noise is made at 4096 x 4096 before it is resized (12 octaves), 11-17 s
a draw on one CPU core, and every frame draws it twice.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from chroma.cli import main
from tests.render.test_shot_runner import SHOT_2D, _pixels, _shot


def _render(tmp_path, clip, name: str, perlin: str | None, monkeypatch) -> tuple[list[np.ndarray], list]:
    from render.renderer import Renderer

    text = SHOT_2D.replace('pattern = "out/sh010.####.exr"', f'pattern = "{name}/sh010.####.exr"')
    if perlin is not None:
        text = text.replace("[animation]", f'perlin_init = true\nperlin_mode = "{perlin}"\n\n[animation]')
    shot = _shot(tmp_path, clip, frames=2, steps=2, text=text.replace('2 = ["a lighthouse at dawn:1"]', ""))
    inits: list = []
    original = Renderer._prepare_init

    def record(self, init, s):
        inits.append(init.detach().clone())
        return original(self, init, s)

    monkeypatch.setattr(Renderer, "_prepare_init", record)
    assert main(["render", str(shot), "--overwrite"]) == 0
    return [_pixels(tmp_path / name / f"sh010.{1001 + i}.exr") for i in range(2)], inits


@pytest.mark.slow  # about 2 minutes a mode on 2 cores
@pytest.mark.parametrize("mode", ["mixed", "gray"])
def test_every_frames_init_is_dds_perlin_noise_for_its_seed(mode, capsys, monkeypatch, tiny_unet_model,
                                                             tiny_clip_in_cache, tmp_path) -> None:
    from render.perlin import perlin_init

    frames, inits = _render(tmp_path, tiny_clip_in_cache, "a", mode, monkeypatch)
    assert len(inits) == 2  # frame 0 too, which has no init without Perlin
    for i, init in enumerate(inits):
        g = torch.Generator().manual_seed(11 + i)  # the shot's seed 11, DD's seed + i
        perlin_init(mode, (64, 64), g, torch.device("cpu"))  # DD's first draw, after the prompts
        expected = perlin_init(mode, (64, 64), g, torch.device("cpu"))
        assert torch.equal(init, expected), (mode, i)
    if mode == "gray":
        assert torch.equal(inits[0][:, 0], inits[0][:, 1]) and torch.equal(inits[0][:, 1], inits[0][:, 2])

    if mode == "mixed":  # once: each run costs four draws
        again, _ = _render(tmp_path, tiny_clip_in_cache, "b", mode, monkeypatch)
        assert all(np.array_equal(x, y) for x, y in zip(frames, again))  # the same seed, the same frames
    plain, plain_inits = _render(tmp_path, tiny_clip_in_cache, "c", None, monkeypatch)
    assert len(plain_inits) == 1  # without Perlin: the warped frame only
    for i in range(2):
        assert float(np.abs(frames[i] - plain[i]).mean()) > 1e-3, i
    capsys.readouterr()
