"""A Disco Diffusion settings file, imported and rendered through the CLI, gives DD's frames.

Each case of ``loop_golden.npz`` (tests/data/reference/README.md, "loop_golden.npz") is
written as DD's ``settings.txt`` from the case's ``config``, taken through ``chroma shot
import`` and ``chroma render``, and the EXRs read back through the display view (the
models' [-1, 1] code values, :func:`chroma.pipeline.frames.display_tensor`) are compared
with the 8-bit frames DD wrote. What the import cannot know is set in the shot after it:
the tiny models the golden was made with (DD's checkpoint and CLIP models stand in their
place) and the MSE init loss the golden used in place of LPIPS.

The ``turbo`` case was DD's 3D branch with its 2D warp; chroma's shot is 2D with turbo
(chroma's extension), the same camera. Bounds: measured means of |EXR - DD's PNG| in
8-bit levels per frame, each EXR made 8-bit as DD makes its PNG. They are larger than
the library's (tests/render/test_dd_loop_golden.py, from 0.011 at frame 0) by the EXR's
half floats and the view and its inverse, which move values near a level's edge across
it (frame 0: 0.26 mean), and by chroma's memory layout of the convolutions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from chroma.cli import main


def _dd_settings(config: dict) -> dict:
    """DD v5's settings.txt for a golden case: its config under DD's key names, DD's defaults."""
    out = {"batch_name": "golden", "seed": config["seed"], "max_frames": config["max_frames"],
           "width": config["width_height"][0], "height": config["width_height"][1], "steps": config["steps"],
           "skip_steps": config["skip_steps"], "cutn_batches": config["cutn_batches"],
           "cut_overview": config["cut_overview"], "cut_innercut": config["cut_innercut"], "cut_ic_pow": "[1]*1000",
           "cut_icgray_p": "[0.2]*400+[0]*600", "key_frames": True, "interp_spline": "Linear",
           "zoom": config["zoom"], "angle": config["angle"], "translation_x": "0: (0)", "translation_y": "0: (0)",
           "frames_skip_steps": config["frames_skip_steps"], "frames_scale": config["frames_scale"],
           "text_prompts": config["prompts"], "use_secondary_model": False, "diffusion_sampling_mode": "ddim",
           "clip_guidance_scale": 5000, "tv_scale": 0, "range_scale": 150, "sat_scale": 0, "init_scale": 1000,
           "eta": 0.8, "clamp_grad": True, "clamp_max": 0.05, "skip_augs": False, "randomize_class": True,
           "clip_denoised": False, "fuzzy_prompt": False, "perlin_init": False}
    for key in ("turbo_mode", "turbo_steps", "turbo_preroll"):
        if key in config:
            out[key] = config[key]
    return out


@pytest.fixture()
def golden_unet(capsys, model_cache, tmp_path, load_reference) -> str:
    """The golden's tiny UNet, imported into the model cache as a studio imports a checkpoint."""
    ref = load_reference("unet_tiny_golden.pt")["scale_shift_updown_headchannels"]
    c = ref["config"]
    published = {"image_size": c["image_size"], "num_channels": c["model_channels"],
                 "num_res_blocks": c["num_res_blocks"],
                 # as comma strings (image sizes for the attention): chroma.shot.limits reads a
                 # list-valued channel_mult as text and fails on "[1"
                 "attention_resolutions": ",".join(str(c["image_size"] // r) for r in c["attention_resolutions"]),
                 "channel_mult": ",".join(str(m) for m in c["channel_mult"]), "num_heads": c["num_heads"],
                 "num_head_channels": c["num_head_channels"], "use_scale_shift_norm": c["use_scale_shift_norm"],
                 "resblock_updown": c["resblock_updown"], "learn_sigma": True}
    torch.save(ref["state_dict"], tmp_path / "golden_unet.pt")
    (tmp_path / "golden_unet.json").write_text(json.dumps(published))
    code = main(["models", "import", str(tmp_path / "golden_unet.pt"), "--name", "golden-unet",
                 "--config", str(tmp_path / "golden_unet.json")])
    assert code == 0, capsys.readouterr().err
    return "golden-unet"


def _import_and_render(case: str, config: dict, folder: Path, unet: str, capsys) -> list[Path]:
    import tomlkit

    folder.mkdir()
    settings = folder / "golden(0)_settings.txt"
    settings.write_text(json.dumps(_dd_settings(config), indent=2))
    shot = folder / "sh.toml"
    assert main(["shot", "import", str(settings), "-o", str(shot), "--mode", "2D"]) == 0, capsys.readouterr().err
    doc = tomlkit.parse(shot.read_text())
    assert doc["seed"] == config["seed"] and doc["animation"].get("turbo_mode", False) == config.get("turbo_mode", False)
    render = doc["render"]
    render["diffusion_model"] = unet  # what the import cannot know: the golden's models and loss
    render["clip_models"] = ["RN50::random"]
    render["init_loss"] = "mse"
    shot.write_text(tomlkit.dumps(doc))
    assert main(["render", str(shot)]) == 0, capsys.readouterr().err
    frames = sorted((folder / "out").glob("*.exr"))
    assert len(frames) == config["max_frames"], frames
    return frames


def _levels_off(exr: Path, dd_png: np.ndarray) -> tuple[float, int]:
    """Mean and max |diff| in 8-bit levels: the EXR through the display view, made 8-bit as DD
    makes its PNG (``(x + 1) / 2`` clamped, times 255, truncated), against DD's PNG."""
    from chroma.pipeline.frames import display_tensor

    ours = display_tensor(exr).add(1).div(2).clamp(0, 1).mul(255).to(torch.uint8).numpy()  # (3, H, W)
    diff = np.abs(ours.astype(np.int16) - dd_png.transpose(2, 0, 1).astype(np.int16))
    return float(diff.mean()), int(diff.max())


@pytest.mark.parametrize("case", ["2d", "turbo"])
def test_dd_settings_import_renders_dds_frames(case, golden_unet, tmp_path, capsys, reference) -> None:
    data = np.load(reference / "loop_golden.npz")
    config = json.loads(bytes(data["meta_json"]).decode())[case]["config"]
    frames = _import_and_render(case, config, tmp_path / case, golden_unet, capsys)
    off = [_levels_off(f, data[f"{case}/frames_u8"][i]) for i, f in enumerate(frames)]
    # measured mean / max: 2d 0.26/14, 0.37/6, 0.48/7; turbo 0.26/14, 0.50/6, 0.52/4, 0.53/5, 0.60/6
    assert all(m < 0.75 and mx <= 16 for m, mx in off), off


def test_render_prints_the_shots_notes(tmp_path, capsys) -> None:
    """The shot's notes reach ``chroma render``'s stderr before anything renders.

    Here a DD file's 3D camera key, imported into a 2D shot, does nothing there.
    """
    config = {"seed": 7, "max_frames": 2, "width_height": [64, 64], "steps": 10, "skip_steps": 0, "cutn_batches": 1,
              "cut_overview": "[2]*1000", "cut_innercut": "[2]*1000", "zoom": "0: (1.05)", "angle": "0: (2)",
              "frames_skip_steps": "50%", "frames_scale": 1500, "prompts": {"0": ["a lighthouse"]}}
    settings = tmp_path / "golden(0)_settings.txt"
    settings.write_text(json.dumps({**_dd_settings(config), "translation_z": "0: (10)"}))
    assert main(["shot", "import", str(settings), "-o", str(tmp_path / "sh.toml"), "--mode", "2D"]) == 0
    capsys.readouterr()
    assert main(["render", str(tmp_path / "sh.toml"), "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "chroma render: note: translation_z does nothing in a 2D shot" in err, err
