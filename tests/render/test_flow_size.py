"""The video flow at Disco Diffusion's size (#23): DD 5.7 estimates the flow at its unrounded
``width_height`` (disco.py's flow cells: ``load_img(frame, width_height)``), while it renders
each side rounded down to a multiple of 64 (``side_x = (width_height[0] // 64) * 64``).
``[animation] flow_size`` estimates it there and resizes it to the render size with its
vectors scaled (:func:`chroma.pipeline.flows.resize_flow`).

Checked against analytic flows: a constant and a linear field resized by hand, and a
textured pattern moving a known number of pixels, sampled from its formula at each size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chroma.pipeline.flows import PlateFlows, resize_flow

pytest.importorskip("cv2")


def test_a_constant_flow_is_scaled_by_the_size_ratio() -> None:
    flow = np.zeros((70, 100, 2), np.float32)
    flow[..., 0], flow[..., 1] = 5.0, -3.0
    out = resize_flow(flow, (64, 64))
    assert out.shape == (64, 64, 2)
    np.testing.assert_allclose(out[..., 0], 5.0 * 64 / 100, rtol=1e-6)
    np.testing.assert_allclose(out[..., 1], -3.0 * 64 / 70, rtol=1e-6)
    assert resize_flow(flow, (100, 70)) is flow


def test_a_linear_field_is_the_same_motion_at_the_new_size() -> None:
    # u(x) = 0.1 * (x - 50) at 100 px: a point at render pixel x' (centre (x' + 0.5) * 100/64 - 0.5
    # at the flow's size) moves 0.1 * (that - 50) * 64/100 render pixels
    x = np.arange(100, dtype=np.float32)
    flow = np.zeros((10, 100, 2), np.float32)
    flow[..., 0] = 0.1 * (x - 50)
    out = resize_flow(flow, (64, 10))
    xr = (np.arange(64) + 0.5) * 100 / 64 - 0.5
    np.testing.assert_allclose(out[5, 1:-1, 0], 0.1 * (xr[1:-1] - 50) * 64 / 100, atol=1e-4)


def _pattern(size: tuple[int, int], shift: float) -> np.ndarray:
    """A smooth texture on [0, 1]^2 moved ``shift`` of the width to the right, sampled at ``size``."""
    w, h = size
    u = (np.arange(w, dtype=np.float64) + 0.5) / w - shift
    v = (np.arange(h, dtype=np.float64) + 0.5) / h
    uu, vv = np.meshgrid(u, v)
    g = (0.5 + 0.2 * np.sin(2 * np.pi * (3 * uu + 2 * vv)) + 0.15 * np.sin(2 * np.pi * (5 * uu - 4 * vv) + 1.0)
         + 0.1 * np.cos(2 * np.pi * (7 * vv + uu)))
    return np.repeat(g[:, :, None], 3, axis=2).astype(np.float32)


def test_plate_flows_at_dds_size_give_the_pattern_motion_at_the_render_size(tmp_path: Path) -> None:
    dd_size, render = (100, 100), (64, 64)
    shift = 6 / 100  # six pixels at DD's size, frame i - 1 -> i

    def reader(size):
        return lambda i: _pattern(size, shift * i)

    flows = PlateFlows(reader(render), lambda i: f"plate.{i}", tmp_path / "flow", lambda i: 1001 + i, "dis",
                       flow_plate=reader(dd_size))
    flow, _ = flows(1)
    assert flow.shape == (64, 64, 2)
    from render.flow import estimate_flow

    at_dd = estimate_flow(_pattern(dd_size, shift), _pattern(dd_size, 0.0), "dis")
    np.testing.assert_array_equal(flow, resize_flow(at_dd, render))  # estimated at DD's size, then resized
    inner = flow[16:48, 16:48]
    expected = -6 * 64 / 100  # flow21: from frame i back to frame i - 1, in render pixels
    assert abs(float(np.median(inner[..., 0])) - expected) < 0.3, float(np.median(inner[..., 0]))
    assert abs(float(np.median(inner[..., 1]))) < 0.3
    again = PlateFlows(reader(render), lambda i: f"plate.{i}", tmp_path / "flow", lambda i: 1001 + i, "dis",
                       flow_plate=reader(dd_size))
    assert np.array_equal(again(1)[0], flow) and again.estimated == 0  # read back from the cache at DD's size
    at_render = estimate_flow(_pattern(render, shift), _pattern(render, 0.0), "dis")
    assert not np.array_equal(at_render, flow)  # the render size's own estimate is another flow


def test_a_dd_video_import_estimates_the_flow_at_dds_size(tmp_path: Path, capsys) -> None:
    import json

    import tomlkit

    from chroma.cli import main

    settings = tmp_path / "v(0)_settings.txt"
    for size, expected in (((500, 300), [500, 300]), ((512, 320), None)):
        settings.write_text(json.dumps({"batch_name": "v", "seed": 1, "max_frames": 3, "width": size[0],
                                        "height": size[1], "text_prompts": {"0": ["a river"]},
                                        "video_init_path": "plate/plate.####.exr",
                                        "video_init_flow_warp": True}))
        shot = tmp_path / "v.toml"
        assert main(["shot", "import", str(settings), "-o", str(shot), "--mode", "Video", "--overwrite"]) == 0, \
            capsys.readouterr().err
        doc = tomlkit.parse(shot.read_text())
        assert doc["animation"].get("flow_size") == expected, doc["animation"]
        assert list(doc["render"]["width_height"]) == [size[0] // 64 * 64, size[1] // 64 * 64]
        err = capsys.readouterr().err
        assert ("estimated at 500x300 as DD 5.7 does" in err) == (expected is not None), err


def test_a_shot_with_flow_size_estimates_its_plate_flow_there(tmp_path: Path) -> None:
    """The shot's inputs read the plate at ``flow_size`` for the flow (files at 64 px: the
    plate pans 2 px per frame, so at 128 px it pans 4 and the flow comes back as -2)."""
    from chroma.pipeline.inputs import ShotInputs
    from chroma.shot import parse_shot
    from tests.render.test_video_flow import SHOT, _plates

    _plates(tmp_path)
    shot = parse_shot(SHOT.format(extra="flow_size = [128, 128]"), tmp_path / "s.toml")
    assert shot.animation.flow_size == (128, 128)
    flows = ShotInputs(shot, None, (64, 64)).flows()
    assert flows.flow_plate is not None and flows.flow_plate(1).shape == (128, 128, 3)
    flow, _ = flows(1)
    assert flow.shape == (64, 64, 2)
    assert float(np.median(flow[16:-16, 16:-16, 0])) == pytest.approx(-2.0, abs=0.15)
    cached = list((tmp_path / "out" / "v.state" / "flow").iterdir())
    assert len(cached) == 1
    from render.flow import load_flow

    assert load_flow(cached[0]).shape == (128, 128, 2)  # cached at the size estimated
