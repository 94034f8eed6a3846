"""Shot files: schedules per frame against Disco Diffusion's and Deforum's own numbers,
prompt holds, and malformed shots refused with key and line before anything loads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from chroma.cli import main
from chroma.shot import ShotError, load_shot, parse_shot
from tests.golden import golden_path

BASE = """\
max_frames = {max_frames}
seed = 3
animation_mode = "2D"
interp_spline = "{spline}"

[output]
pattern = "out/sh010.####.exr"

[render]
steps = 10
skip_steps = 0
width_height = [64, 64]

[animation]
translation_x = "{schedule}"

[prompts]
0 = ["a city at dusk:2", "neon:1"]
"""


def golden() -> dict:
    return json.loads(golden_path("schedules_golden.json").read_text())


def _cases(kind: str) -> list:
    return list(range(len(golden()[kind])))


@pytest.mark.parametrize("kind", ["dd", "deforum"])
def test_every_golden_schedule_through_a_shot_file(kind: str, tmp_path: Path) -> None:
    for case in golden()[kind]:
        text = BASE.format(max_frames=case["max_frames"], spline=case.get("interp_spline", "Linear"),
                           schedule=case["schedule"])
        shot = parse_shot(text, tmp_path / "shot.toml")
        np.testing.assert_allclose(shot.schedules["translation_x"], case["values"], rtol=0, atol=1e-9,
                                   err_msg=f"{kind} {case['schedule']!r} {case.get('interp_spline')}")
        # and frame by frame, as the runner reads them
        assert shot.frame(len(case["values"]) - 1).values["translation_x"] == pytest.approx(case["values"][-1], abs=1e-9)


def test_prompts_hold_between_keys_and_file_frames_count_from_first_frame(tmp_path: Path) -> None:
    text = BASE.format(max_frames=10, spline="Linear", schedule="0: (1)") + '4 = ["a city at night:1"]\n'
    text = text.replace('pattern = "out/sh010.####.exr"', 'pattern = "out/sh010.####.exr"\nfirst_frame = 86')
    shot = parse_shot(text, tmp_path / "shot.toml")
    for i in range(10):
        f = shot.frame(i)
        assert f.file_frame == 86 + i
        assert f.seed == 3 + i  # Disco Diffusion's rule: seed + frame index
        expected = ("a city at dusk:2", "neon:1") if i < 4 else ("a city at night:1",)
        assert f.prompts == expected and f.prompt_key == (0 if i < 4 else 4)
    assert shot.output.path(0).endswith("out/sh010.0086.exr")
    fixed = parse_shot(text.replace("seed = 3", 'seed = 3\nseed_rule = "fixed"'), tmp_path / "shot.toml")
    assert {fixed.frame(i).seed for i in range(10)} == {3}


def test_render_settings_may_change_per_frame_and_cut_schedules_by_key(tmp_path: Path) -> None:
    text = BASE.format(max_frames=5, spline="Linear", schedule="1").replace(
        "skip_steps = 0", 'skip_steps = 0\nclip_guidance_scale = "0: (5000), 4: (1000)"\n'
                          'cut_overview = {0 = "[12]*400+[4]*600", 3 = "[8]*1000"}')
    shot = parse_shot(text, tmp_path / "shot.toml")
    assert [shot.frame(i).render["clip_guidance_scale"] for i in range(5)] == [5000, 4000, 3000, 2000, 1000]
    assert [shot.frame(i).render["cut_overview"] for i in (0, 2, 3, 4)] == [
        "[12]*400+[4]*600", "[12]*400+[4]*600", "[8]*1000", "[8]*1000"]
    assert shot.frame(0).render["width_height"] == (64, 64)


MALFORMED = [
    # (what to change, expected line, words the message must hold)
    (("[animation]\ntranslation_x", "[animation]\ntranslaton_x"), 15, ["animation.translaton_x",
                                                                         "did you mean 'translation_x'"]),
    (('translation_x = "{schedule}"', 'zoom = "0: (1.02"'), 15, ["animation.zoom", "0: (1.02"]),
    (('translation_x = "{schedule}"', 'zoom = "0: (1), 300: (2)"'), 15, ["animation.zoom", "300", "max_frames"]),
    (('translation_x = "{schedule}"', 'zoom = "0: (__import__(\'os\'))"'), 15, ["animation.zoom"]),
    (('translation_x = "{schedule}"', 'zoom = "0: (0.5), 10: (-1)"'), 15, ["animation.zoom", "positive"]),
    (('0 = ["a city', '40 = ["a city'), 18, ["prompts.40", "beyond max_frames"]),
    (("[prompts]\n0 = ", "[prompts]\nfirst = "), 18, ["prompts", "keyed by frame"]),
    (("[prompts]\n0 = [\"a city at dusk:2\", \"neon:1\"]", "prompts = [\"a city\"]"), 17,
     ["animation.prompts", "its own [prompts] table"]),
    (("seed = 3\n", "seed = 3\nimage_prompts = [\"ref.png\"]\n"), 3, ["image_prompts", "must be a table"]),
    (("max_frames = {max_frames}\n", ""), None, ["max_frames", "required"]),
    (("steps = 10", "stepz = 10"), 10, ["render.stepz", "did you mean 'steps'"]),
    (('pattern = "out/sh010.####.exr"', 'pattern = "out/sh010.exr"'), 7, ["output.pattern", "frame number"]),
    (('animation_mode = "2D"', 'animation_mode = "4D"'), 3, ["animation_mode", "2D"]),
]


@pytest.mark.parametrize(("change", "line", "words"), MALFORMED)
def test_malformed_shots_exit_2_with_key_and_line_before_anything(change, line, words, tmp_path: Path, capsys,
                                                                   monkeypatch) -> None:
    template = BASE.replace(*change) if "{" in change[0] else BASE
    text = template.format(max_frames=24, spline="Linear", schedule="0: (1.02), 12: (1.05)")
    if "{" not in change[0]:
        text = text.replace(*change)
    path = tmp_path / "bad.toml"
    path.write_text(text)
    monkeypatch.chdir(tmp_path)
    code = main(["render", str(path)])
    _, err = capsys.readouterr()
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    msg = lines[0]
    for w in words:
        assert w in msg, msg
    if line is not None:
        assert f"{path}:{line}:" in msg, msg
        assert text.splitlines()[line - 1].split("=")[0].strip().strip('"') in msg  # the key on that line
    assert not (tmp_path / "out").exists()  # no output folder created
    code = main(["shot", "check", str(path)])
    assert code == 2 and capsys.readouterr().err.strip() == msg.replace("chroma render:", "chroma shot:")


def test_shot_check_json_for_scripts(tmp_path: Path, capsys) -> None:
    path = tmp_path / "shot.toml"
    path.write_text(BASE.format(max_frames=4, spline="Linear", schedule="0: (1), 3: (1.3)").replace("translation_x =", "zoom =")
                    + '2 = ["rain:1"]\n')
    assert main(["shot", "check", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["max_frames"] == 4
    np.testing.assert_allclose(data["schedules"]["zoom"], [1.0, 1.1, 1.2, 1.3], atol=1e-12)
    assert set(data["schedules"]) >= {"angle", "zoom", "translation_x", "translation_y", "translation_z",
                                      "rotation_3d_x", "rotation_3d_y", "rotation_3d_z", "frames_scale"}
    assert all(len(v) == 4 for v in data["schedules"].values())
    assert data["prompts"] == {"0": ["a city at dusk:2", "neon:1"], "2": ["rain:1"]}


def test_shot_check_table_and_plot(tmp_path: Path, capsys) -> None:
    path = tmp_path / "shot.toml"
    path.write_text(BASE.format(max_frames=4, spline="Linear", schedule="0: (1), 3: (1.3)").replace("translation_x =", "zoom ="))
    png = tmp_path / "schedules.png"
    assert main(["shot", "check", str(path), "--table", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if re.match(r"^\s+100[1-4]\s", line)]
    assert [float(r[-1]) for r in rows] == [1.0, 1.1, 1.2, 1.3]
    import OpenImageIO as oiio

    spec = oiio.ImageInput.open(str(png)).spec()
    assert spec.width > 300 and spec.height > 100
    assert main(["shot", "check", str(path), "--plot", str(png)]) == 2  # never replaced without --overwrite


def test_load_shot_missing_file() -> None:
    with pytest.raises(ShotError, match="does not exist"):
        load_shot("/nowhere/shot.toml")


def test_shot_import_of_a_disco_settings_file_keeps_dds_schedules(tmp_path: Path, capsys) -> None:
    cases = {c["interp_spline"]: c for c in golden()["dd"] if c["schedule"] == "0: (1.02), 120: (1.05)"}
    case = cases["Cubic"]
    dd = {  # the animation part of a Disco Diffusion v5 settings.txt
        "batch_name": "TimeToDisco", "text_prompts": {"0": ["a city at dusk:2"], "60": ["a city at night:2"]},
        "image_prompts": {}, "width": 1280, "height": 768, "steps": 250, "seed": 42, "key_frames": True,
        "max_frames": case["max_frames"], "interp_spline": "Cubic", "zoom": case["schedule"],
        "angle": "0: (0)", "translation_x": "0: (0)", "translation_y": "0: (0)",
        "translation_z": "0: (10.0)", "rotation_3d_x": "0: (0)", "rotation_3d_y": "0: (0)", "rotation_3d_z": "0: (0)",
        "frames_scale": 1500, "frames_skip_steps": "60%", "turbo_mode": False, "turbo_steps": "3", "turbo_preroll": 10,
        "fov": 40, "near_plane": 200, "far_plane": 10000, "padding_mode": "border", "sampling_mode": "bicubic",
        "clip_guidance_scale": 5000, "cutn_batches": 4,
    }
    settings = tmp_path / "TimeToDisco(0)_settings.txt"
    settings.write_text(json.dumps(dd))
    shot = tmp_path / "sh010.toml"
    assert main(["shot", "import", str(settings), "-o", str(shot), "--mode", "3D"]) == 0
    out = capsys.readouterr().out
    assert "3D" in out and shot.is_file()
    assert main(["shot", "check", str(shot), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["max_frames"] == case["max_frames"]
    np.testing.assert_allclose(data["schedules"]["zoom"], case["values"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(data["schedules"]["translation_z"], 10.0, rtol=0, atol=0)
    assert data["prompts"] == {"0": ["a city at dusk:2"], "60": ["a city at night:2"]}
    loaded = load_shot(shot)
    assert loaded.animation_mode == "3D" and loaded.seed == 42 and loaded.render["width_height"] == (1280, 768)
    # never replaced without --overwrite; DD's file without --mode says it chose 2D
    assert main(["shot", "import", str(settings), "-o", str(shot)]) == 2
    capsys.readouterr()
    assert main(["shot", "import", str(settings), "-o", str(tmp_path / "sh011.toml")]) == 0
    assert "using 2D" in capsys.readouterr().err


def test_shot_check_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "long.toml"
    path.write_text(BASE.format(max_frames=3000, spline="Linear", schedule="0: (0), 2999: (5)"))
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "chroma", "shot", "check", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**__import__("os").environ, "PYTHONPATH": str(repo)})
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    assert proc.wait() == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_2d_and_3d_shots_use_dds_animation_augmentations(tmp_path: Path) -> None:
    from render.cutouts import AUGMENTS

    text = BASE.format(max_frames=4, spline="Linear", schedule="0")
    assert parse_shot(text, tmp_path / "s.toml").frame(0).render["augmentations"] == "animation"
    assert AUGMENTS["animation"].flip_p == 0.4 and AUGMENTS["animation"].hue == 0.3  # DD v5's animation chain
    still = parse_shot(text.replace('"2D"', '"None"'), tmp_path / "s.toml")
    assert "augmentations" not in still.frame(0).render  # RenderSettings' default: DD's stills chain
    own = parse_shot(text.replace("skip_steps = 0", 'skip_steps = 0\naugmentations = "still"'), tmp_path / "s.toml")
    assert own.frame(0).render["augmentations"] == "still"
