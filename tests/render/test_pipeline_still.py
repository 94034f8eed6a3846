"""chroma.pipeline.render_still: the API behind ``chroma render -o OUT.exr``, checked against
the renderer driven directly and OCIO's own inverse DisplayViewTransform (PyOpenColorIO),
the EXR read back with the OpenEXR library."""

from __future__ import annotations

import json

import numpy as np
import OpenEXR
import PyOpenColorIO as OCIO
import pytest
import torch  # the renderer's frames; without the render extra this module is left out (conftest)

from chroma import ocio, pipeline


def _settings(model: str, clip: str) -> dict:
    return dict(steps=3, skip_steps=0, width_height=(64, 64), diffusion_model=model, use_secondary_model=False,
                clip_models=(f"{clip}::random",), cutn_batches=1)


def test_render_still_is_the_renderers_frame_through_the_inverse_view(tiny_unet_model, tiny_clip_name, tmp_path):
    from render.renderer import Renderer, RenderSettings

    prompts = ["a red barn:1", "fog:-0.3"]
    settings = RenderSettings(**_settings(tiny_unet_model, tiny_clip_name))
    out = tmp_path / "sub" / "still.exr"  # a missing folder is created
    result = pipeline.render_still(out, prompts, settings, seed=4, view="Un-tone-mapped", dtype="float",
                                   progress=False)
    assert result.path == out and result.seed == 4 and result.settings is settings

    frame = None
    for step in Renderer(settings).sample(prompts, seed=4):
        frame = step.image if step.final else frame
    assert isinstance(frame, torch.Tensor)
    code = np.clip((frame[0].permute(1, 2, 0).numpy().astype(np.float32) + 1.0) * 0.5, 0.0, 1.0)
    cfg = OCIO.Config.CreateFromFile(ocio.config_path(None))
    dvt = OCIO.DisplayViewTransform(src="ACEScg", display=cfg.getDefaultDisplay(), view="Un-tone-mapped",
                                    direction=OCIO.TRANSFORM_DIR_INVERSE)
    ref = np.ascontiguousarray(code)
    cfg.getProcessor(dvt).getDefaultCPUProcessor().applyRGB(ref)
    with OpenEXR.File(str(out)) as f:
        rgb = f.channels()["RGB"].pixels
        header = {k: f.header()[k] for k in ("chroma/prompts", "chroma/seed", "chroma/render_settings")}
    np.testing.assert_allclose(rgb, ref, rtol=1e-5, atol=1e-6)
    assert header["chroma/prompts"] == "a red barn:1 | fog:-0.3" and header["chroma/seed"] == 4
    record = json.loads(header["chroma/render_settings"])
    assert (record["seed"], record["steps"], record["rendered_on"]) == (4, 3, "cpu")
    # the frame's header renders it again: the settings read back equal those given
    loaded, base = pipeline.load_render_settings(out)
    assert base == str(out.parent) and loaded.seed == 4 and loaded.text_prompts == prompts
    assert RenderSettings(**loaded.settings).width_height == settings.width_height


def test_render_still_refuses_before_rendering(tiny_unet_model, tiny_clip_name, tmp_path):
    from chroma.errors import ChromaError, ChromaIOError

    values = _settings(tiny_unet_model, tiny_clip_name)
    init = tmp_path / "init.exr"
    from chroma import Image, write

    write(Image(np.full((8, 8, 3), 0.18, np.float32)), init)
    with pytest.raises(ChromaIOError, match="would replace an input"):
        pipeline.render_still(init, ["x"], values, init=str(init), overwrite=True)
    with pytest.raises(ChromaError, match="batch_size 1"):
        pipeline.render_still(tmp_path / "b.exr", ["x"], {**values, "batch_size": 2})
    assert not (tmp_path / "b.exr").exists()
    with pytest.raises(ChromaError, match="does not exist"):
        pipeline.load_render_settings(tmp_path / "none.txt")
