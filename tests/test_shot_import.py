"""Importing Disco Diffusion and Deforum settings as shots: schedules equal the tools' own numbers."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chroma.errors import ChromaError
from chroma.shot_import import is_deforum, shot_from_dd_settings, shot_from_deforum
from render.keyframes import evaluate
from tests.golden import golden_path

GOLDEN = golden_path("schedules_golden.json")

# A settings.txt as Disco Diffusion v5.6's save_settings() writes it: the field names and
# value shapes of the published file (alembics/disco-diffusion,
# images_out/TimeToDisco/TimeToDisco(0)_settings.txt, plus v5.6's symmetry keys); values
# chosen for the test.
DD_SETTINGS = {
    "text_prompts": {
        "0": ["A beautiful painting of a singular lighthouse, shining its light across a tumultuous sea of blood "
              "by greg rutkowski and thomas kinkade, Trending on artstation.", "yellow color scheme"],
        "100": ["This set of prompts start at frame 100", "This prompt has weight five:5"],
    },
    "image_prompts": {},
    "clip_guidance_scale": 5000, "tv_scale": 0, "range_scale": 150, "sat_scale": 0, "cutn_batches": 4,
    "max_frames": 150, "interp_spline": "Linear", "init_image": None, "init_scale": 1000, "skip_steps": 10,
    "frames_scale": 1500, "frames_skip_steps": "60%", "perlin_init": False, "perlin_mode": "mixed",
    "skip_augs": False, "randomize_class": True, "clip_denoised": False, "clamp_grad": True, "clamp_max": 0.05,
    "seed": 2599079091, "fuzzy_prompt": False, "rand_mag": 0.05, "eta": 0.8, "width": 1280, "height": 768,
    "diffusion_model": "512x512_diffusion_uncond_finetune_008100", "use_secondary_model": True, "steps": 250,
    "diffusion_steps": 1000, "diffusion_sampling_mode": "ddim",
    "ViTB32": True, "ViTB16": True, "ViTL14": False, "RN101": False, "RN50": True, "RN50x4": False,
    "RN50x16": False, "RN50x64": False,
    "cut_overview": "[12]*400+[4]*600", "cut_innercut": "[4]*400+[12]*600", "cut_ic_pow": 1,
    "cut_icgray_p": "[0.2]*400+[0]*600",
    "key_frames": True, "angle": "0:(0)", "zoom": "0: (1), 10: (1.05)", "translation_x": "0: (0)",
    "translation_y": "0: (0)", "translation_z": "0: (10.0)", "rotation_3d_x": "0: (0)", "rotation_3d_y": "0: (0)",
    "rotation_3d_z": "0: (0)", "midas_depth_model": "dpt_large", "midas_weight": 0.3, "near_plane": 200,
    "far_plane": 10000, "fov": 40, "padding_mode": "border", "sampling_mode": "bicubic",
    "video_init_path": "training.mp4", "extract_nth_frame": 2, "video_init_seed_continuity": True,
    "turbo_mode": False, "turbo_steps": "3", "turbo_preroll": 10,
    "use_horizontal_symmetry": False, "use_vertical_symmetry": True, "transformation_percent": [0.09],
}

# A Deforum settings file (sd-webui-deforum's field names and defaults; values chosen for the test).
DEFORUM_SETTINGS = {
    "W": 512, "H": 768, "seed": 1234, "sampler": "Euler a", "steps": 40, "seed_behavior": "iter",
    "use_init": False, "strength": 0.8, "init_image": "https://example.invalid/cat.jpg",
    "prompts": {"0": "a lighthouse in a storm, oil painting", "30": "a lighthouse at dawn --neg blurry, text"},
    "animation_prompts_positive": "", "animation_prompts_negative": "",
    "animation_mode": "3D", "max_frames": 120, "border": "replicate",
    "angle": "0:(0)", "zoom": "0: (1.0025+0.002*sin(1.25*3.14*t/30))",
    "translation_x": "0:(0), 30:(15), 60:(15), 90:(0)", "translation_y": "0:(0)",
    "translation_z": "0: (0), 30: (10*sin(2*3.14*t/24)), 60: (5)", "rotation_3d_x": "0:(0)",
    "rotation_3d_y": "0: (t/max_f)", "rotation_3d_z": "0:(0)",
    "noise_schedule": "0:(-0.06*(cos(3.141*t/15)**100)+0.06)", "strength_schedule": "0: (0.65), 25: (0.55)",
    "contrast_schedule": "0: (1.0)", "cfg_scale_schedule": "0: (7)", "fov_schedule": "0: (70)",
    "near_schedule": "0: (200)", "far_schedule": "0: (10000)", "seed_schedule": "0:(s), 1:(-1), \"max_f-2\":(-1), \"max_f-1\":(s)",
    "color_coherence": "LAB", "diffusion_cadence": "2", "use_depth_warping": True,
    "depth_algorithm": "Midas-3-Hybrid", "midas_weight": 0.2, "padding_mode": "border", "sampling_mode": "bicubic",
    "video_init_path": "https://deforum.github.io/a1/V1.mp4", "extract_nth_frame": 1, "fps": 15,
    "sd_model_name": "revAnimated_v122.safetensors",
}


def _golden(kind: str) -> list:
    return [pytest.param(c, id=f"{c['schedule']}|{c.get('interp_spline', 'Linear')}")
            for c in json.loads(GOLDEN.read_text())[kind]]


def _shot_values(shot: dict, key: str) -> np.ndarray:
    return evaluate(shot["animation"][key], shot["max_frames"], shot["interp_spline"], seed=shot["seed"], name=key)


# --- Disco Diffusion ---------------------------------------------------------------------


@pytest.mark.parametrize("case", _golden("dd"))
def test_dd_schedules_equal_dds_own_numbers(case: dict) -> None:
    """Every key string of the golden, written into a settings.txt, imports to DD's values."""
    data = copy.deepcopy(DD_SETTINGS)
    data.update(max_frames=case["max_frames"], interp_spline=case["interp_spline"], zoom=case["schedule"],
                translation_z=case["schedule"], angle=case["schedule"])
    shot, _ = shot_from_dd_settings(data, mode="3D")
    assert shot["max_frames"] == case["max_frames"] and shot["interp_spline"] == case["interp_spline"]
    for key in ("zoom", "translation_z", "angle"):
        np.testing.assert_allclose(_shot_values(shot, key), case["values"], rtol=0, atol=1e-9)


def test_dd_settings_become_a_shot() -> None:
    shot, notes = shot_from_dd_settings(DD_SETTINGS, mode="3D")
    assert list(shot)[:5] == ["max_frames", "seed", "seed_rule", "animation_mode", "interp_spline"]
    assert (shot["max_frames"], shot["seed"], shot["seed_rule"], shot["animation_mode"]) == (150, 2599079091, "dd", "3D")
    r = shot["render"]
    assert r["width_height"] == [1280, 768] and r["steps"] == 250 and r["clip_guidance_scale"] == 5000
    assert r["clip_models"] == ["ViT-B-32::openai", "ViT-B-16::openai", "RN50::openai"]
    assert r["cut_overview"] == "[12]*400+[4]*600" and r["skip_steps"] == 10 and r["init_scale"] == 1000
    a = shot["animation"]
    assert a["zoom"] == "0: (1), 10: (1.05)" and a["translation_z"] == "0: (10.0)"
    assert (a["fov"], a["near_plane"], a["far_plane"]) == (40, 200, 10000)
    assert a["frames_scale"] == 1500 and a["frames_skip_steps"] == "60%"
    assert a["turbo_steps"] == 3 and a["turbo_mode"] is False and a["turbo_preroll"] == 10
    assert a["use_vertical_symmetry"] is True and a["transformation_percent"] == [0.09]
    assert a["padding_mode"] == "border" and a["sampling_mode"] == "bicubic" and a["depth_model"] == "dpt_large"
    assert "video_init_path" not in a  # a 3D shot does not read the plate
    assert shot["prompts"] == {"0": DD_SETTINGS["text_prompts"]["0"], "100": DD_SETTINGS["text_prompts"]["100"]}
    assert "image_prompts" not in shot and "init_image" not in shot
    # DD's zoom: 1 at frame 0, 1.05 from frame 10, linear between (DD's own rule, by hand)
    np.testing.assert_allclose(_shot_values(shot, "zoom")[[0, 4, 10, 149]], [1.0, 1.02, 1.05, 1.05], atol=1e-12)
    text = "\n".join(notes)
    assert "midas_weight" in text and "not used in 3D mode: video_init_path, extract_nth_frame" in text
    assert "randomize_class" in text


def test_dd_notes_list_unknown_keys() -> None:
    data = {**DD_SETTINGS, "my_studio_tag": "sh010", "clip_guidence_scale": 3}
    _, notes = shot_from_dd_settings(data)
    unknown = next(n for n in notes if n.startswith("unknown keys"))
    assert "my_studio_tag" in unknown and "clip_guidence_scale (did you mean clip_guidance_scale?)" in unknown


def test_dd_null_schedules_are_noted_not_guessed() -> None:
    shot, notes = shot_from_dd_settings({**DD_SETTINGS, "angle": None, "zoom": None})
    assert "angle" not in shot["animation"] and "zoom" not in shot["animation"]
    assert sum("is null" in n for n in notes) == 2


def test_dd_key_frames_off_means_one_number() -> None:
    """DD calls float() on each camera setting when key_frames is off."""
    shot, _ = shot_from_dd_settings({**DD_SETTINGS, "key_frames": False, "zoom": "1.02", "angle": "0.5"})
    assert shot["animation"]["zoom"] == 1.02 and shot["animation"]["angle"] == 0.5


def test_dd_mode_none_is_one_frame() -> None:
    shot, notes = shot_from_dd_settings(DD_SETTINGS, mode="None")
    assert shot["max_frames"] == 1 and shot["animation_mode"] == "None"
    assert any("max_frames 150 -> 1" in n for n in notes)


def test_dd_video_mode_uses_the_video_init_settings() -> None:
    data = {**DD_SETTINGS, "video_init_steps": 100, "video_init_clip_guidance_scale": 1000, "video_init_tv_scale": 0,
            "video_init_range_scale": 150, "video_init_sat_scale": 300, "video_init_cutn_batches": 4,
            "video_init_skip_steps": 50, "video_init_frames_scale": 15000, "video_init_frames_skip_steps": "70%",
            "video_init_flow_warp": True, "video_init_flow_blend": 0.999, "video_init_check_consistency": False,
            "video_init_blend_mode": "optical flow"}
    shot, notes = shot_from_dd_settings(data, mode="Video")
    assert shot["render"]["steps"] == 100 and shot["render"]["clip_guidance_scale"] == 1000
    assert shot["render"]["skip_steps"] == 50 and shot["render"]["sat_scale"] == 300
    # DD v5.7 skips video frames by frames_skip_steps (its calc_frames_skip_steps is computed before
    # video_init_frames_skip_steps replaces args.frames_skip_steps), so the shot keeps "60%"
    assert shot["animation"]["frames_scale"] == 15000 and shot["animation"]["frames_skip_steps"] == "60%"
    assert shot["animation"]["video_init_path"] == "training.mp4"
    assert shot["animation"]["video_init_seed_continuity"] is True
    a = shot["animation"]
    assert (a["video_init_flow_warp"], a["video_init_flow_blend"], a["video_init_check_consistency"]) == (True, 0.999,
                                                                                                          False)
    text = "\n".join(notes)
    assert "plate sequence" in text and "extract_nth_frame 2" in text and "optical-flow warp" in text
    assert "video_init_frames_skip_steps '70%' not used" in text and "video_init_blend_mode 'optical flow'" in text
    # the same file in 2D ignores them, and says so
    shot2d, notes2d = shot_from_dd_settings(data, mode="2D")
    assert shot2d["render"]["steps"] == 250 and "video_init_steps" in "\n".join(notes2d)


def test_dd_video_settings_before_5_7_have_no_flow_warp_and_seeds_follow_dd() -> None:
    shot, notes = shot_from_dd_settings({**DD_SETTINGS, "video_init_seed_continuity": False}, mode="Video")
    assert shot["animation"]["video_init_flow_warp"] is False
    text = "\n".join(notes)
    assert "no video_init_flow_warp" in text and "seed + i + 1" in text


def test_an_imported_dd_video_shot_renders_dds_frame_rules(tmp_path) -> None:
    """The imported shot, parsed: DD's seeds, frame 0's skip, the frames' skip and init weight."""
    from chroma.shot import dump_shot, parse_shot
    from render.settings import skip_steps_for

    plate = tmp_path / "plate"
    plate.mkdir()
    data = {**DD_SETTINGS, "max_frames": 3, "zoom": "0: (1)", "video_init_path": "plate/p.####.exr",
            "video_init_seed_continuity": False,
            "video_init_steps": 100, "video_init_skip_steps": 50, "video_init_frames_scale": 15000,
            "video_init_frames_skip_steps": "70%", "video_init_flow_warp": True, "video_init_flow_blend": 0.9}
    shot_dict, _ = shot_from_dd_settings(data, mode="Video")
    shot_dict["output"] = {"pattern": "out/v.####.exr"}
    shot = parse_shot(dump_shot(shot_dict, "test"), tmp_path / "v.toml", renderer_check=False)
    assert [shot.frame(i).seed for i in range(3)] == [2599079091 + i + 1 for i in range(3)]
    f1 = shot.frame(1)
    assert f1.render["skip_steps"] == 50 and f1.values["frames_scale"] == 15000
    assert skip_steps_for(f1.frames_skip_steps, 100) == 60  # floor(100 * 0.6): frames_skip_steps, not 70%
    assert shot.animation.video_init_flow_blend == 0.9 and shot.render["augmentations"] == "video"


def test_dd_recorded_mode_that_differs_is_noted() -> None:
    _, notes = shot_from_dd_settings({**DD_SETTINGS, "animation_mode": "3D"}, mode="2D")
    assert any("animation_mode '3D'" in n and "using 2D" in n for n in notes)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"zoom": "0: (1.02"}, r"zoom: cannot read '0: \(1\.02'"),
        ({"zoom": "0: (1), 300: (2)"}, r"zoom: key 300 is beyond max_frames 150"),
        ({"max_frames": 0}, r"max_frames must be a whole number of at least 1"),
        ({"turbo_steps": "three"}, r"turbo_steps must be a whole number"),
        ({"text_prompts": {"first": ["a"]}}, r"text_prompts must be keyed by frame number"),
        ({"interp_spline": "Bezier"}, r"interp_spline must be one of Linear, Quadratic, Cubic"),
    ],
)
def test_dd_bad_values_are_refused(change: dict, message: str) -> None:
    with pytest.raises(ChromaError, match=message):
        shot_from_dd_settings({**DD_SETTINGS, **change})


def test_dd_bad_mode_is_refused() -> None:
    with pytest.raises(ChromaError, match="mode must be one of None, 2D, 3D, Video, got '4D'"):
        shot_from_dd_settings(DD_SETTINGS, mode="4D")


# --- Deforum -----------------------------------------------------------------------------


def test_deforum_settings_become_a_shot() -> None:
    shot, notes = shot_from_deforum(DEFORUM_SETTINGS)
    assert (shot["max_frames"], shot["seed"], shot["seed_rule"], shot["animation_mode"], shot["interp_spline"]) == (
        120, 1234, "dd", "3D", "Linear")
    assert shot["render"] == {"steps": 40, "width_height": [512, 768]}
    a = shot["animation"]
    assert (a["fov"], a["near_plane"], a["far_plane"]) == ("0: (70)", "0: (200)", "0: (10000)")
    assert a["turbo_mode"] is True and a["turbo_steps"] == 2 and a["turbo_preroll"] == 0
    assert a["border"] == "border" and a["padding_mode"] == "border" and a["sampling_mode"] == "bicubic"
    assert shot["output"] == {"fps": 15}
    assert shot["prompts"] == {"0": ["a lighthouse in a storm, oil painting"], "30": ["a lighthouse at dawn"]}
    text = "\n".join(notes)
    assert "negative prompt 'blurry, text' dropped" in text
    unsupported = next(n for n in notes if n.startswith("not imported"))
    for key in ("sampler", "noise_schedule", "cfg_scale_schedule", "color_coherence", "contrast_schedule",
                "seed_schedule", "sd_model_name"):
        assert key in unsupported
    assert "video_init_path" not in a  # a 3D shot


@pytest.mark.parametrize("case", _golden("deforum"))
def test_deforum_schedules_equal_deforums_own_numbers(case: dict) -> None:
    data = {**DEFORUM_SETTINGS, "max_frames": case["max_frames"], "zoom": case["schedule"], "angle": case["schedule"]}
    shot, _ = shot_from_deforum(data)
    for key in ("zoom", "angle"):
        np.testing.assert_allclose(_shot_values(shot, key), case["values"], rtol=0, atol=1e-9)


def test_deforum_strength_schedule_becomes_skipped_steps() -> None:
    """Deforum keeps `strength` of the previous frame: img2img skips strength * steps (by hand: linear 0.65 -> 0.55)."""
    shot, notes = shot_from_deforum(DEFORUM_SETTINGS)
    skip = evaluate(shot["animation"]["frames_skip_steps"], 120, "Linear")
    frames = np.arange(120)
    strength = np.where(frames <= 25, 0.65 + (0.55 - 0.65) * frames / 25, 0.55)
    np.testing.assert_allclose(skip, 40 * strength, atol=1e-9)
    assert any("frames_skip_steps as step counts" in n for n in notes)


def test_deforum_constant_strength_is_a_percentage() -> None:
    shot, _ = shot_from_deforum({**DEFORUM_SETTINGS, "strength_schedule": "0: (0.65)"})
    assert shot["animation"]["frames_skip_steps"] == "65%"


def test_deforum_strength_expression_is_scaled_not_held() -> None:
    spec = "0: (0.5), 10: (0.5+0.1*sin(t/5)), 20: (0.4)"
    shot, _ = shot_from_deforum({**DEFORUM_SETTINGS, "strength_schedule": spec})
    skip = evaluate(shot["animation"]["frames_skip_steps"], 120, "Linear")
    np.testing.assert_allclose(skip, 40 * evaluate(spec, 120, "Linear"), atol=1e-9)


def test_deforum_video_and_seed_rules() -> None:
    data = {**DEFORUM_SETTINGS, "animation_mode": "Video Input", "seed_behavior": "fixed", "seed": -1,
            "video_init_path": "plates/sh010.####.exr"}
    shot, notes = shot_from_deforum(data)
    assert shot["animation_mode"] == "Video" and shot["seed_rule"] == "fixed" and shot["seed"] == 0
    assert shot["animation"]["video_init_path"] == "plates/sh010.####.exr"
    assert any("seed -1" in n for n in notes) and not any("plate sequence" in n for n in notes)


def test_deforum_prompt_keys_may_be_expressions() -> None:
    shot, _ = shot_from_deforum({**DEFORUM_SETTINGS, "prompts": {"0": "a", "max_f/2": "b", "max_f-20": "c"}})
    assert list(shot["prompts"]) == ["0", "59", "99"]


def test_deforum_interpolation_mode_and_bad_values() -> None:
    shot, notes = shot_from_deforum({**DEFORUM_SETTINGS, "animation_mode": "Interpolation"})
    assert shot["animation_mode"] == "None" and any("Interpolation" in n for n in notes)
    with pytest.raises(ChromaError, match=r"zoom: unknown name 'foo'"):
        shot_from_deforum({**DEFORUM_SETTINGS, "zoom": "0: (1+foo)"})
    with pytest.raises(ChromaError, match=r"strength_schedule must stay in \[0, 1\)"):
        shot_from_deforum({**DEFORUM_SETTINGS, "strength_schedule": "0: (1.5)"})


def test_is_deforum() -> None:
    assert is_deforum(DEFORUM_SETTINGS) and not is_deforum(DD_SETTINGS)


# --- the pieces fit -----------------------------------------------------------------------


def test_importing_the_module_loads_no_torch() -> None:
    code = "import sys, chroma.shot_import; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("source", ["dd", "deforum"])
def test_imported_shots_load(source: str, tmp_path: Path) -> None:
    """What the importer writes must pass the shot loader (chroma.shot, when present)."""
    shot_module = pytest.importorskip("chroma.shot")
    if source == "dd":
        shot, _ = shot_from_dd_settings(DD_SETTINGS, mode="3D")
    else:
        shot, _ = shot_from_deforum(DEFORUM_SETTINGS)
    shot.setdefault("output", {})["pattern"] = "out/sh010.####.exr"
    path = tmp_path / "shot.toml"
    path.write_text(shot_module.dump_shot(shot))
    loaded = shot_module.load_shot(path)
    assert loaded.max_frames == shot["max_frames"]
    np.testing.assert_allclose(loaded.schedules["zoom"], _shot_values(shot, "zoom"), atol=0)


def test_dd_import_needs_no_torch() -> None:
    """read_settings checks names against render.settings.RenderSettings, which imports no torch: a DD import
    works with torch unavailable (so ``chroma shot import`` stays under a second, #21 item 18)."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from chroma.shot_import import shot_from_dd_settings, shot_from_deforum\n"
        "shot_from_deforum({'max_frames': 3, 'zoom': '0: (1.02)', 'prompts': {'0': 'a'}})\n"
        "shot, notes = shot_from_dd_settings({'max_frames': 3, 'steps': 10})\n"
        "print('steps', shot['render']['steps'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "steps 10"


def test_dd_fuzzy_prompts_carry_over() -> None:
    shot, notes = shot_from_dd_settings({**DD_SETTINGS, "fuzzy_prompt": True, "rand_mag": 0.1})
    assert shot["render"]["fuzzy_prompt"] is True and shot["render"]["rand_mag"] == 0.1
    assert not any("fuzzy" in n for n in notes)  # rendered as DD does: nothing to tell


def test_dd_perlin_settings_are_imported_as_render_settings() -> None:
    """DD's perlin_init and perlin_mode are render settings of the shot, as DD uses them (#23 item 6)."""
    shot, _ = shot_from_dd_settings({"max_frames": 3, "steps": 10, "perlin_init": True, "perlin_mode": "color"})
    assert shot["render"]["perlin_init"] is True and shot["render"]["perlin_mode"] == "color"


# --- a Disco Diffusion run that stopped: its folder (#23 item 7) ---------------------------


def _png(path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (8, 8), (200, 100, 50)).save(path)


def _dd_run_folder(folder: Path, frames: list[int], batch: str = "TimeToDisco", num: int = 3) -> Path:
    """A DD batch folder as DD leaves it: ``<batch>(<n>)_settings.txt`` and ``<batch>(<n>)_<i:04>.png``."""
    folder.mkdir(exist_ok=True)
    (folder / f"{batch}({num})_settings.txt").write_text(json.dumps({**DD_SETTINGS, "batch_name": batch}))
    for i in frames:
        _png(folder / f"{batch}({num})_{i:04}.png")
    (folder / f"{batch}({num + 1})_0000.png").write_bytes(b"")  # another run's frame: not this run's
    (folder / f"{batch}({num})_0001_depth.png").write_bytes(b"")  # not a frame name DD gives
    return folder


def test_dd_folder_scan_finds_the_run_and_its_last_frame(tmp_path) -> None:
    from chroma.shot.dd_frames import scan_dd_folder

    run = scan_dd_folder(_dd_run_folder(tmp_path / "run", [0, 1, 2, 3, 4, 10000 - 9999]))
    assert (run.batch_name, run.batch_num) == ("TimeToDisco", 3)
    assert run.last == 4 and run.next_frame == 5  # DD's resume_run: the PNG count
    assert [p.name for p in run.frames] == [f"TimeToDisco(3)_{i:04}.png" for i in range(5)]
    # an uninterrupted DD run seeds frame i with seed + i (DD's own resume would restart at seed + 1)
    assert run.seed_of(DD_SETTINGS["seed"], run.next_frame) == 2599079091 + 5


def test_dd_folder_frames_past_9999_and_none(tmp_path) -> None:
    from chroma.shot.dd_frames import scan_dd_folder

    assert scan_dd_folder(_dd_run_folder(tmp_path / "a", [])).last == -1
    (tmp_path / "b").mkdir()
    many = _dd_run_folder(tmp_path / "b", [])
    for i in range(10002):
        (many / f"TimeToDisco(3)_{i:04}.png").touch()
    assert scan_dd_folder(many).last == 10001


@pytest.mark.parametrize("frames, message", [([0, 1, 3], "missing in .*: 0002"), ([2], "0000, 0001")])
def test_dd_folder_with_a_gap_is_refused(tmp_path, frames, message) -> None:
    from chroma.shot.dd_frames import scan_dd_folder

    with pytest.raises(ChromaError, match=message):
        scan_dd_folder(_dd_run_folder(tmp_path / "run", frames))


def test_dd_folder_without_or_with_two_settings_files_is_refused(tmp_path) -> None:
    from chroma.shot.dd_frames import scan_dd_folder

    (tmp_path / "empty").mkdir()
    with pytest.raises(ChromaError, match="no Disco Diffusion settings file"):
        scan_dd_folder(tmp_path / "empty")
    two = _dd_run_folder(tmp_path / "two", [0])
    (two / "other(0)_settings.txt").write_text("{}")
    with pytest.raises(ChromaError, match="several Disco Diffusion runs"):
        scan_dd_folder(two)


@pytest.mark.parametrize("how", ["folder", "from-frames"])
def test_cli_imports_a_stopped_dd_run(tmp_path, capsys, how) -> None:
    """``chroma shot import FOLDER`` and ``SETTINGS --from-frames FOLDER`` write the shot numbered as DD numbers
    its frames (file numbers from 0), saying where the run stopped and which seed comes next."""
    from chroma.cli import main
    from chroma.shot import load_shot

    folder = _dd_run_folder(tmp_path / "run", list(range(7)))
    source = [str(folder)] if how == "folder" else [str(folder / "TimeToDisco(3)_settings.txt"), "--from-frames",
                                                    str(folder)]
    assert main(["shot", "import", *source, "-o", str(tmp_path / "sh.toml"), "--mode", "3D"]) == 0
    err = capsys.readouterr().err
    assert "stopped after frame 6 (TimeToDisco(3)_0006.png); it continues at frame 7 with seed 2599079098" in err, err
    text = (tmp_path / "sh.toml").read_text()
    assert "# Disco Diffusion run TimeToDisco(3): frames 0-6 written (TimeToDisco(3)_####.png)" in text
    shot = load_shot(tmp_path / "sh.toml")
    assert shot.output.first_frame == 0 and shot.max_frames == DD_SETTINGS["max_frames"] and shot.seed == 2599079091


def test_cli_refuses_a_folder_with_from_frames_and_a_settings_file_not_named_as_dds(tmp_path, capsys) -> None:
    from chroma.cli import main

    folder = _dd_run_folder(tmp_path / "run", [0])
    assert main(["shot", "import", str(folder), "--from-frames", str(folder), "-o", str(tmp_path / "a.toml")]) == 2
    deforum = tmp_path / "deforum.txt"
    deforum.write_text(json.dumps(DEFORUM_SETTINGS))
    assert main(["shot", "import", str(deforum), "--from-frames", str(folder), "-o", str(tmp_path / "b.toml")]) == 2
    err = capsys.readouterr().err
    assert "batch folder alone" in err and "'deforum.txt' is not named as Disco Diffusion names" in err, err
    assert not (tmp_path / "a.toml").exists() and not (tmp_path / "b.toml").exists()


@pytest.mark.parametrize("written, mode, turbo, expected", [
    (20, "3D", True, 18),   # DD 5.7: 20 PNGs, past the preroll of 10, 20 % 3 = 2 -> back to 18
    (21, "2D", True, 21),   # a multiple of turbo_steps: no change
    (10, "3D", True, 10),   # not past the preroll (start > turbo_preroll is DD's test)
    (20, "Video", True, 20),  # DD 5.7 leaves Video Input alone
    (20, "3D", False, 20),
])
def test_dd_resume_frame_follows_dds_turbo_alignment(tmp_path, written, mode, turbo, expected) -> None:
    from chroma.shot.dd_frames import scan_dd_folder

    run = scan_dd_folder(_dd_run_folder(tmp_path / "run", list(range(written))))
    assert run.resume_frame(mode, turbo, 3, 10) == expected


def test_cli_import_of_a_turbo_run_says_which_frames_dd_renders_again(tmp_path, capsys) -> None:
    from chroma.cli import main

    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "T(0)_settings.txt").write_text(json.dumps({**DD_SETTINGS, "batch_name": "T", "turbo_mode": True,
                                                          "turbo_steps": "3", "turbo_preroll": 10}))
    for i in range(20):
        _png(folder / f"T(0)_{i:04}.png")
    assert main(["shot", "import", str(folder), "-o", str(tmp_path / "sh.toml"), "--mode", "3D"]) == 0
    err = capsys.readouterr().err
    assert "it continues at frame 18 (DD's turbo alignment: frames 18-19 again) with seed 2599079109" in err, err
    assert "continue at frame 18 from frame 17's PNG" in (tmp_path / "sh.toml").read_text()


def test_a_stopped_dd_run_never_replaces_an_earlier_renders_states_unasked(tmp_path, capsys) -> None:
    """The run's state goes into the shot's state folder: an earlier render's states there need --overwrite."""
    from chroma.cli import main
    from chroma.shot import load_shot

    folder = _dd_run_folder(tmp_path / "run", list(range(3)))
    assert main(["shot", "import", str(folder), "-o", str(tmp_path / "sh.toml"), "--mode", "2D"]) == 0
    state_dir = next((tmp_path / "sh.toml").parent.rglob("*.state"))
    before = {p.name: p.read_bytes() for p in state_dir.glob("state.*.npz")}
    assert before
    capsys.readouterr()
    assert main(["shot", "import", str(folder), "-o", str(tmp_path / "again.toml"), "--mode", "2D"]) == 2
    err = capsys.readouterr().err
    assert "holds the saved states of an earlier render" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "again.toml").exists()  # refused before anything is written
    assert {p.name: p.read_bytes() for p in state_dir.glob("state.*.npz")} == before
    assert main(["shot", "import", str(folder), "-o", str(tmp_path / "again.toml"), "--mode", "2D", "--overwrite"]) == 0
    assert load_shot(tmp_path / "again.toml").output.first_frame == 0
