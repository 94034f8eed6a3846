"""Settings files: Disco Diffusion's settings.txt and chroma's own record."""

from __future__ import annotations

import json

import pytest

from render.errors import SettingsError
from render.renderer import RenderSettings
from render.settings_file import DD_CLIP_SWITCHES, load_settings_file, read_settings, settings_record

# A settings.txt as Disco Diffusion v5.x's save_settings() writes it (keys and value
# shapes as published; values chosen for the test).
DD_SETTINGS_TXT = {
    "text_prompts": {"0": ["A beautiful painting of a singular lighthouse, shining its light across a tumultuous sea "
                           "of blood by greg rutkowski and thomas kinkade, Trending on artstation.", "yellow color scheme:2"],
                     "100": ["This set of prompts start at frame 100", "This prompt has weight five:5"]},
    "image_prompts": {},
    "clip_guidance_scale": 7500, "tv_scale": 0, "range_scale": 150, "sat_scale": 0, "cutn_batches": 2,
    "max_frames": 10000, "interp_spline": "Linear", "init_image": None, "init_scale": 1000, "skip_steps": 10,
    "frames_scale": 1500, "frames_skip_steps": "60%", "perlin_init": False, "perlin_mode": "mixed",
    "skip_augs": False, "randomize_class": True, "clip_denoised": False, "clamp_grad": True, "clamp_max": 0.05,
    "seed": 2921417402, "fuzzy_prompt": False, "rand_mag": 0.05, "eta": 0.8, "width": 1280, "height": 768,
    "diffusion_model": "512x512_diffusion_uncond_finetune_008100", "use_secondary_model": True, "steps": 150,
    "diffusion_steps": 900, "diffusion_sampling_mode": "plms",
    "ViTB32": True, "ViTB16": True, "ViTL14": False, "ViTL14_336px": False, "RN101": False, "RN50": True,
    "RN50x4": False, "RN50x16": False, "RN50x64": False, "ViTB32_laion2b_e16": False,
    "cut_overview": "[12]*400+[4]*600", "cut_innercut": "[4]*400+[12]*600", "cut_ic_pow": "[1]*1000",
    "cut_icgray_p": "[0.2]*400+[0]*600", "key_frames": True, "angle": "0:(0)", "zoom": "0: (1), 10: (1.05)",
    "translation_x": "0: (0)", "video_init_path": "init.mp4", "extract_nth_frame": 2, "turbo_mode": False,
}


def test_reads_disco_diffusions_settings_txt() -> None:
    f = read_settings(DD_SETTINGS_TXT)
    s = RenderSettings(**f.settings)
    assert s.width_height == (1280, 768) and s.steps == 150 and s.diffusion_sampling_mode == "plms"
    assert s.clip_guidance_scale == 7500 and s.cutn_batches == 2 and s.use_secondary_model
    assert s.clip_models == ("ViT-B-32::openai", "ViT-B-16::openai", "RN50::openai")
    # DD's recorded respacing is the one steps=150 derives: (1000 // 150) * 150 = 900
    assert "diffusion_steps" not in f.settings and s.diffusion().num_timesteps == 150
    assert f.text_prompts[1] == "yellow color scheme:2"
    assert f.seed == 2921417402 and f.init_image is None and f.image_prompts == []
    assert any("frame 0" in n and "100" in n for n in f.notes)
    assert {"key_frames", "zoom", "angle", "video_init_path", "randomize_class"} <= set(f.ignored)
    assert f.settings["perlin_init"] is False and f.settings["perlin_mode"] == "mixed"  # DD's settings, read as such
    assert f.unknown == []


def test_dd_clip_switches_name_real_open_clip_weights() -> None:
    import open_clip

    published = set(open_clip.list_pretrained())
    for switch, spec in DD_CLIP_SWITCHES.items():
        assert tuple(spec.split("::")) in published, switch


def test_a_recorded_respacing_that_differs_is_kept() -> None:
    f = read_settings({"steps": 60, "diffusion_steps": 1000, "timestep_respacing": "10,10,5"})  # derived: 960
    assert f.settings["diffusion_steps"] == 1000 and f.settings["timestep_respacing"] == "10,10,5"
    assert RenderSettings(**f.settings).diffusion().num_timesteps == 25


def test_notes_unknown_keys_and_switched_on_features() -> None:
    f = read_settings({"clip_guidence_scale": 1, "perlin_init": True, "my_own_key": 3, "clip_models": "RN50::openai"})
    assert "clip_guidence_scale (did you mean clip_guidance_scale?)" in f.unknown and "my_own_key" in f.unknown
    assert f.settings["perlin_init"] is True
    assert f.settings["clip_models"] == ("RN50::openai",)


def test_prompts_as_list_or_string() -> None:
    assert read_settings({"text_prompts": ["a:1", "b:-0.5"]}).text_prompts == ["a:1", "b:-0.5"]
    assert read_settings({"text_prompts": "a red barn"}).text_prompts == ["a red barn"]
    assert read_settings({"text_prompts": {"5": "late"}}).text_prompts == ["late"]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ([1, 2], "JSON object"),
        ({"width": 640}, "both"),
        ({"text_prompts": {"first": ["x"]}}, "keyed by frame"),
        ({"text_prompts": {"0": [1]}}, "strings"),
        ({"seed": "abc"}, "integer"),
        ({"seed": True}, "integer"),
        ({"init_image": 3}, "file path"),
    ],
)
def test_bad_shapes_are_settings_errors(data, match: str) -> None:
    with pytest.raises(SettingsError, match=match):
        read_settings(data)


def test_bad_values_are_caught_when_the_settings_are_built() -> None:
    f = read_settings({"steps": 0})
    with pytest.raises(SettingsError, match="steps"):
        RenderSettings(**f.settings)


def test_record_round_trip(tmp_path) -> None:
    s = RenderSettings(width_height=(640, 384), steps=60, clip_models=("ViT-B-32::openai",), cut_ic_pow=2.0,
                       device="cpu", tv_scale=10.0)
    record = settings_record(s, ["a red barn:1", "fog:-0.3"], ["/refs/a.png:0.5"], 42, "/plates/p.exr", "cpu")
    path = tmp_path / "s.json"
    path.write_text(json.dumps(record))
    f = load_settings_file(path)
    assert f.unknown == [] and f.ignored == []
    back = RenderSettings(**f.settings)
    assert back == s.replace(device=None)  # the machine is not part of the look
    assert (f.text_prompts, f.image_prompts, f.seed, f.init_image) == (
        ["a red barn:1", "fog:-0.3"], ["/refs/a.png:0.5"], 42, "/plates/p.exr")


def test_file_errors(tmp_path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings_file(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text('{"steps": 10,\n "eta": }')
    with pytest.raises(SettingsError, match="line 2"):
        load_settings_file(bad)
