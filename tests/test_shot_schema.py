"""One shot schema (issue #22 item 1): ``render.settings`` holds every ``[animation]`` and
``[render]`` key once (type, default, allowed values); docs/shots.md documents each one with
its default, ``chroma shot check`` shows each one, and a key's line in an error comes from the
TOML parser."""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import pytest

from chroma.cli import main
from chroma.shot import ANIMATION_SCHEDULES, ShotError, parse_shot
from render.errors import SettingsError
from render.settings import AnimationSettings, RenderSettings, SettingError, skip_percent, skip_steps_for

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DOCS = Path(__file__).resolve().parents[1] / "docs" / "shots.md"

SHOT = """\
max_frames = 4
seed = 3
animation_mode = "2D"

[output]
pattern = "out/sh010.####.exr"

[render]
steps = 10
skip_steps = 0
width_height = [64, 64]

[animation]
{animation}

[prompts]
0 = ["a city at dusk:2"]
"""


def _docs_rows() -> dict[str, str]:
    """Key -> its default cell, from the tables of docs/shots.md ("| `key` | per frame | `default` | ...")."""
    rows = re.findall(r"^\| `(\w+)` \| [^|]* \| `([^`]*)` \|", DOCS.read_text(), flags=re.M)
    return dict(rows)


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("cls", [AnimationSettings, RenderSettings])
def test_every_field_is_documented_in_shots_md_with_its_default(cls: type) -> None:
    rows = _docs_rows()
    for f in dataclasses.fields(cls):
        assert f.name in rows, f"{f.name} has no row in docs/shots.md 'Every key'"
        cell = rows[f.name]
        if f.default is None:
            assert cell == "unset", f.name
        else:  # the cell is the TOML a shot would write
            assert tomllib.loads(f"x = {cell}")["x"] == _plain(f.default), f.name


@pytest.mark.parametrize("cls", [AnimationSettings, RenderSettings])
def test_every_field_is_shown_by_shot_check(cls: type, tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "s.toml"
    path.write_text(SHOT.format(animation='zoom = "0: (1), 3: (1.05)"'))
    monkeypatch.chdir(tmp_path)
    assert main(["shot", "check", str(path)]) == 0
    out = capsys.readouterr().out
    text = " ".join(out.split())  # schedules on their lines, the other settings on the animation and render lines
    for f in dataclasses.fields(cls):
        assert re.search(rf"(: |, | ){f.name} [^,]", text), f"{f.name} is not shown by chroma shot check"


def test_the_defaults_are_disco_diffusions() -> None:
    a = AnimationSettings()
    # Disco Diffusion v5.x disco.py, the animation settings cell
    assert (a.fov, a.near_plane, a.far_plane, a.frames_scale, a.frames_skip_steps) == (40, 200, 10000, 1500, "60%")
    assert (a.padding_mode, a.sampling_mode, a.turbo_steps, a.turbo_preroll) == ("border", "bicubic", 3, 10)
    assert a.transformation_percent == (0.09,) and a.depth_model == "dpt_large"
    assert a.estimated_depth and not AnimationSettings(depth="depth/z.####.exr").estimated_depth
    assert ANIMATION_SCHEDULES["zoom"] == 1.0 and ANIMATION_SCHEDULES["angle"] == 0.0
    # Disco Diffusion v5.7, the video settings cell: flow warp on, blend 0.999, consistency check off
    assert (a.video_init_flow_warp, a.video_init_flow_blend, a.video_init_check_consistency) == (True, 0.999, False)
    assert a.flow_model == "auto" and not a.video_init_seed_continuity


@pytest.mark.parametrize(("values", "key", "words"), [
    ({"border": "mirror"}, "border", "must be one of wrap, border, reflect, got 'mirror'"),
    ({"padding_mode": "edge"}, "padding_mode", "must be one of border, reflection, zeros"),
    ({"sampling_mode": 3}, "sampling_mode", "must be a string"),
    ({"turbo_steps": 0}, "turbo_steps", "must be at least 1, got 0"),
    ({"turbo_preroll": -1}, "turbo_preroll", "must be at least 0, got -1"),
    ({"state_every": 2.5}, "state_every", "must be a whole number, got 2.5"),
    ({"turbo_mode": 1}, "turbo_mode", "must be true or false, got 1"),
    ({"depth_scale": float("inf")}, "depth_scale", "must be a finite number"),
    ({"transformation_percent": [0.5, 1.5]}, "transformation_percent", "fractions in [0, 1]"),
    ({"zoom": [1, 2]}, "zoom", "a number or a keyframe string"),
    ({"frames_skip_steps": "100%"}, "frames_skip_steps", "a percentage must be in [0, 100), got '100%'"),
    ({"frames_skip_steps": "x%"}, "frames_skip_steps", "a percentage must be in [0, 100)"),
    ({"zooom": 1}, "zooom", "is not an animation setting"),
    ({"video_init_flow_blend": 1.5}, "video_init_flow_blend", "must be at most 1 and at least 0, got 1.5"),
    ({"video_init_flow_blend": -0.1}, "video_init_flow_blend", "must be at least 0 and at most 1, got -0.1"),
    ({"video_init_flow_warp": "yes"}, "video_init_flow_warp", "must be true or false"),
    ({"flow_model": "farneback"}, "flow_model", "must be one of auto, dis, raft, got 'farneback'"),
])
def test_a_value_outside_its_domain_is_refused_naming_the_field(values: dict, key: str, words: str) -> None:
    with pytest.raises(SettingError) as e:
        AnimationSettings.from_values(values)
    assert e.value.key == key and words in e.value.problem


def test_from_values_reads_a_table_as_toml_gives_it() -> None:
    a = AnimationSettings.from_values({"border": " Reflect", "transformation_percent": 0.5,
                                       "frames_skip_steps": " 50 %", "depth_scale": 2, "zoom": "0: (1.02)"})
    assert (a.border, a.transformation_percent, a.frames_skip_steps) == ("reflect", (0.5,), "50%")
    assert a.depth_scale == 2.0 and isinstance(a.depth_scale, float) and a.zoom == "0: (1.02)"
    with pytest.raises(SettingError):  # frozen and validated: a copy is checked as well
        dataclasses.replace(a, turbo_steps=0)


def test_frames_skip_steps_is_read_in_one_place() -> None:
    # Disco Diffusion's calc_frames_skip_steps: floor(steps * percent / 100)
    assert skip_percent("60%") == 60.0 and skip_percent(" 65 %") == 65.0
    assert skip_percent(150) is None and skip_percent("0: (100), 10: (50)") is None
    assert skip_steps_for("60%", 250) == 150 and skip_steps_for("65%", 3) == 1 and skip_steps_for(12.5, 250) == 12
    with pytest.raises(SettingsError):
        skip_steps_for("0: (100)", 250)
    assert AnimationSettings().skip_percent == 60.0
    assert AnimationSettings(frames_skip_steps="0: (100), 10: (50)").skip_percent is None


@pytest.mark.parametrize(("values", "key"), [
    ({"zoom": [1.0, 0.0]}, "zoom"), ({"fov": [40.0, 180.0]}, "fov"),
    ({"near_plane": [200.0, 200.0], "far_plane": [300.0, 200.0]}, "near_plane"),
    ({"near_plane": [0.0], "far_plane": [1.0]}, "near_plane"), ({"frames_skip_steps": [3.0, -1.0]}, "frames_skip_steps"),
])
def test_per_frame_values_are_checked_at_every_frame(values: dict, key: str) -> None:
    with pytest.raises(SettingError) as e:
        AnimationSettings.check_schedules(values)
    assert e.value.key == key
    AnimationSettings.check_schedules({"zoom": [1.0, 0.5], "fov": [1.0, 179.0], "near_plane": [1.0], "far_plane": [2.0]})


def test_shot_animation_is_typed_and_its_skips_reach_each_frame(tmp_path: Path) -> None:
    shot = parse_shot(SHOT.format(animation='border = "REFLECT"\nframes_skip_steps = "0: (2), 3: (5)"'),
                      tmp_path / "s.toml", renderer_check=False)
    assert isinstance(shot.animation, AnimationSettings) and shot.animation.border == "reflect"
    assert [shot.frame(i).frames_skip_steps for i in range(4)] == [2.0, 3.0, 4.0, 5.0] and shot.skip_fraction() is None
    pct = parse_shot(SHOT.format(animation='frames_skip_steps = "45%"'), tmp_path / "s.toml", renderer_check=False)
    assert pct.frame(2).frames_skip_steps == "45%" and pct.skip_fraction() == pytest.approx(0.45)
    with pytest.warns(DeprecationWarning):  # the dict it was still reads, with a warning
        assert pct.animation["border"] == "wrap" and shot.animation["frames_skip_steps"] is None


def test_the_settings_hash_is_the_one_earlier_versions_wrote(tmp_path: Path) -> None:
    # SHA-256 prefixes written by chroma before the schema moved to render.settings (8d720c4)
    shot = parse_shot(SHOT.format(animation='zoom = "0: (1), 3: (1.1)"\nframes_skip_steps = " 50 %"\nborder = "Reflect"'),
                      Path("/tmp/hash/shot.toml"), renderer_check=False)
    assert [shot.settings_hash(i)[:16] for i in range(2)] == ["33b3276f3a324309", "c8a61d5676348582"]
    steps = parse_shot(SHOT.format(animation='frames_skip_steps = "0: (3), 3: (6)"\ntransformation_percent = [0, 1]\n'
                                   'depth_scale = 2'), Path("/tmp/hash/shot.toml"), renderer_check=False)
    assert [steps.settings_hash(i)[:16] for i in range(2)] == ["13c49746442fd35b", "36facb4a8cbf2265"]


# -- error positions from the TOML parser -------------------------------------------------------


def _error(text: str, tmp_path: Path) -> str:
    with pytest.raises(ShotError) as e:
        parse_shot(text, tmp_path / "s.toml", renderer_check=False)
    return str(e.value)


def test_a_line_that_looks_like_a_key_inside_a_multiline_string_is_not_the_key(tmp_path: Path) -> None:
    text = SHOT.format(animation='depth_model = """\nzoom = 2\n"""\nzoom = "0: (0.5), 3: (-1)"')
    lines = text.splitlines()
    assert lines[14] == "zoom = 2" and lines[16].startswith("zoom =")  # a regex line scanner finds line 15
    assert "s.toml:17: animation.zoom: must be positive" in _error(text, tmp_path)


def test_lines_of_quoted_keys_headers_with_comments_and_keys_in_other_tables(tmp_path: Path) -> None:
    text = SHOT.format(animation='"turbo_steps" = 0').replace("[animation]", "[ animation ]  # the camera")
    assert "s.toml:14: animation.turbo_steps: must be at least 1, got 0" in _error(text, tmp_path)
    # the same key name in an earlier table is not the key
    text = SHOT.format(animation="state_every = 0").replace("[render]\n", "[render]\n# state_every = 0\n")
    assert "s.toml:15: animation.state_every: must be at least 1" in _error(text, tmp_path)
    # a key the table does not hold points at the table's header
    text = SHOT.format(animation="").replace('"2D"', '"Video"').replace("[animation]", "\n[animation]")
    assert "s.toml:14: animation.video_init_path: a Video shot needs the plate" in _error(text, tmp_path)


def test_the_old_module_names_keep_working() -> None:
    import chroma.shot_import
    from chroma.shot import dd_import, tomlreader

    assert chroma.shot_import.shot_from_dd_settings is dd_import.shot_from_dd_settings
    assert tomlreader.loads("a = 1") == {"a": 1}  # chroma.farm reads edits with it
