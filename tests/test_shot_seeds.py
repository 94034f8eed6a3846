"""Frame seeds by Disco Diffusion's rules (``Shot.frame_seed``, ``FrameSpec.seed``): ``seed + i`` per frame (``seed + i + 1``
in Video, as DD 5.7's Video Input),
``seed`` for every frame with ``seed_rule = "fixed"`` or a Video shot with ``video_init_seed_continuity``."""

from __future__ import annotations

from pathlib import Path

import pytest

from chroma.shot import parse_shot

SHOT = """\
max_frames = 5
seed = {seed}
animation_mode = "{mode}"
{rule}
[output]
pattern = "out/sh.####.exr"

[render]
steps = 10
width_height = [64, 64]

[animation]
{animation}

[prompts]
0 = ["a"]
"""


def _shot(tmp_path: Path, mode: str = "2D", rule: str = "", animation: str = "", seed: int = 2934575631):
    (tmp_path / "plate").mkdir(exist_ok=True)
    for f in range(1001, 1006):
        (tmp_path / "plate" / f"p.{f}.exr").write_bytes(b"")
    text = SHOT.format(seed=seed, mode=mode, rule=rule, animation=animation)
    return parse_shot(text, tmp_path / "s.toml", renderer_check=False)


@pytest.mark.parametrize("mode", ["2D", "3D", "Video"])
def test_dd_rule_adds_the_frame_index(mode: str, tmp_path: Path) -> None:
    plate = 'video_init_path = "plate/p.####.exr"' if mode == "Video" else ""
    shot = _shot(tmp_path, mode, animation=plate)
    offset = 1 if mode == "Video" else 0  # DD's Video Input adds 1 before every frame, frame 0 too
    assert [shot.frame_seed(i) for i in range(5)] == [2934575631 + i + offset for i in range(5)]
    assert [shot.frame(i).seed for i in range(5)] == [2934575631 + i + offset for i in range(5)]


def test_video_seed_continuity_keeps_one_seed(tmp_path: Path) -> None:
    shot = _shot(tmp_path, "Video", animation='video_init_path = "plate/p.####.exr"\nvideo_init_seed_continuity = true')
    assert [shot.frame_seed(i) for i in range(5)] == [2934575631] * 5
    assert [shot.frame(i).seed for i in range(5)] == [2934575631] * 5


def test_seed_continuity_acts_only_in_video(tmp_path: Path) -> None:
    shot = _shot(tmp_path, "2D", animation="video_init_seed_continuity = true")
    assert [shot.frame_seed(i) for i in range(3)] == [2934575631, 2934575632, 2934575633]


def test_fixed_rule_keeps_one_seed(tmp_path: Path) -> None:
    shot = _shot(tmp_path, "2D", rule='seed_rule = "fixed"')
    assert {shot.frame(i).seed for i in range(5)} == {2934575631}


@pytest.mark.parametrize(("mode", "animation", "ordered"), [
    ("2D", "", True), ("3D", "", True), ("None", "", False),
    ("Video", 'video_init_path = "plate/p.####.exr"', True),  # DD 5.7's flow warp: from the previous frame
    ("Video", 'video_init_path = "plate/p.####.exr"\nvideo_init_flow_warp = false', False),
])
def test_the_farm_renders_in_order_exactly_the_shots_whose_frames_feed_forward(mode, animation, ordered, tmp_path):
    from chroma.farm.tasks import frames_feed_forward

    shot = _shot(tmp_path, mode, animation=animation)
    assert shot.feeds_forward is ordered and frames_feed_forward(shot) is ordered
