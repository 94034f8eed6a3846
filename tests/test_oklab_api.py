"""The API behind ``chroma blend`` (oklab.make_blend, plan_blend) and the one frame planner
(chroma.frameplan.plan_frames), checked against analytic cases, not against their own output."""

from __future__ import annotations

import numpy as np
import pytest

from chroma import Image, frameplan, io, oklab
from chroma.errors import ChromaIOError, ChromaValueError, SequenceError


def _img(path, value, channels=("R", "G", "B")):
    px = np.broadcast_to(np.asarray(value, np.float32), (4, 6, len(channels))).copy()
    return io.write(Image(px, list(channels), "ACEScg"), path, dtype="float")


def test_make_blend_mixes_two_images_in_linear_light(tmp_path):
    a, b = [0.5, 0.1, 0.05], [0.05, 0.2, 0.6]
    _img(tmp_path / "a.exr", a)
    _img(tmp_path / "b.exr", b)
    out = tmp_path / "new" / "m.exr"
    result = oklab.make_blend(tmp_path / "a.exr", tmp_path / "b.exr", out, "linear", t=0.25,
                              write_options={"dtype": "float"})
    assert result.kind == "mix" and result.paths == [out] and result.folders == [str(tmp_path / "new")]
    expected = 0.75 * np.array(a) + 0.25 * np.array(b)  # a dissolve of light
    assert np.allclose(io.read(out).rgb, expected, atol=1e-6)


def test_make_blend_table_of_white_to_black_halves_oklab_lightness():
    result = oklab.make_blend("#ffffff", "#000000", steps=3)
    assert result.kind == "table" and result.steps == 3 and result.paths == []
    assert [r["t"] for r in result.rows] == [0.0, 0.5, 1.0]
    # the OKLab midpoint is L = 0.5 on the neutral axis: Y = 0.5**3 (OKLab's cube root),
    # shown sRGB-encoded (IEC 61966-2-1)
    grey = round((1.055 * (0.5**3) ** (1 / 2.4) - 0.055) * 255)
    assert [r["hex"] for r in result.rows] == ["#ffffff", f"#{grey:02x}{grey:02x}{grey:02x}", "#000000"]
    L, C, _ = result.rows[1]["oklch"]
    assert L == pytest.approx(0.5, abs=1e-4) and C == pytest.approx(0.0, abs=1e-4)


def test_plan_blend_kinds_and_api_words(tmp_path):
    _img(tmp_path / "a.exr", [0.1, 0.2, 0.3])
    _img(tmp_path / "s.1001.exr", [0.1, 0.2, 0.3])
    assert oklab.plan_blend("#000000", "#ffffff").kind == "table"
    assert oklab.plan_blend("#000000", "#ffffff", "g.exr").kind == "gradient"
    assert oklab.plan_blend("#000000", "#ffffff", "c.png", compare=True).kind == "compare"
    assert oklab.plan_blend(tmp_path / "a.exr", "#ffffff", "m.exr").kind == "mix"
    assert oklab.plan_blend(tmp_path / "a.exr", "#ffffff", "f.####.exr").kind == "crossfade"
    assert oklab.plan_blend(str(tmp_path / "s.####.exr"), "#ffffff", "f.exr").kind == "crossfade"
    plan = oklab.plan_blend("#ff0000", tmp_path / "a.exr", "m.exr")
    assert np.allclose(plan.colours[0], oklab.parse_color("#ff0000")) and plan.colours[1] is None
    with pytest.raises(ChromaValueError, match="^steps must be at least 2"):
        oklab.plan_blend("#000000", "#ffffff", steps=1)
    with pytest.raises(ChromaValueError, match="needs output="):
        oklab.plan_blend(tmp_path / "a.exr", "#ffffff")
    with pytest.raises(ChromaValueError, match="runs from 0"):
        oklab.plan_blend(tmp_path / "a.exr", "#ffffff", "m.exr", t=1.5)
    with pytest.raises(ChromaValueError, match="neither a colour"):
        oklab.plan_blend(tmp_path / "nope.exr", "#ffffff", "m.exr")


def test_mix_images_refuses_an_unknown_keyword():
    img = Image(np.zeros((2, 2, 3), np.float32), ["R", "G", "B"], "ACEScg")
    with pytest.raises(TypeError, match="colourspace"):
        oklab.mix_images(img, "#ffffff", 0.5, colourspace="ACEScg")


@pytest.fixture
def plate(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for f in (1001, 1002, 1004):
        _img(tmp_path / f"p.{f}.exr", [0.1, 0.2, 0.3])
    for f in (1002, 1003, 1004):
        _img(tmp_path / f"q.{f}.exr", [0.3, 0.2, 0.1])
    return tmp_path


def test_plan_frames_per_frame_job_keeps_missing_frames_aside(plate):
    _img(plate / "o.1002.exr", [0, 0, 0])
    plan = frameplan.plan_frames("p.####.exr", "o.####.exr", "1001-1004", skip_existing=True)
    assert plan.frames == [1001, 1004] and list(plan.missing) == [1003]
    assert plan.skipped == ["o.1002.exr"]
    assert plan.items() == [(1001, "p.1001.exr", "o.1001.exr"), (1004, "p.1004.exr", "o.1004.exr")]
    with pytest.raises(ChromaIOError, match="exists"):
        frameplan.plan_frames("p.####.exr", "o.####.exr")
    with pytest.raises(ChromaIOError, match="would replace an input"):
        frameplan.plan_frames("p.####.exr", "./p.%04d.exr", overwrite=True)
    with pytest.raises(SequenceError, match="single file"):
        frameplan.plan_frames("p.####.exr", "one.exr")


def test_plan_frames_crossfade_needs_every_frame_in_every_sequence(plate):
    plan = frameplan.plan_frames(["p.####.exr", "q.####.exr"], "f/f.####.exr", every_frame=True, create_folders=True)
    assert plan.frames == [1002, 1004] and plan.targets == ["f/f.1002.exr", "f/f.1004.exr"]
    assert plan.folders == ["f"] and not plan.missing
    with pytest.raises(SequenceError, match="lacks frames 1003"):
        frameplan.plan_frames(["p.####.exr", "q.####.exr"], "g.####.exr", "1002-1004", every_frame=True)
    assert frameplan.common_frames([]) == []
