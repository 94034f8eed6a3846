"""The ``lights`` part of ``chroma demo``."""

from __future__ import annotations

import json

import pytest

from chroma import demo, io
from chroma.errors import ChromaIOError


def test_lights_part_writes_three_charts_with_previews(tmp_path):
    files = demo.PARTS["lights"](tmp_path, False)
    names = sorted(p.name for p in files)
    assert names == sorted([
        "chart_tungsten_3200K.exr", "chart_tungsten_3200K.png", "chart_fluorescent_FL2.exr",
        "chart_fluorescent_FL2.png", "chart_led_pc5600K.exr", "chart_led_pc5600K.png", "lights.json",
    ])
    data = json.loads((tmp_path / "lights.json").read_text())
    assert [d["name"] for d in data] == ["blackbody 3200 K", "FL2", "led pc:5600"]
    assert data[1]["chart"]["delta_e2000_mean"] > data[0]["chart"]["delta_e2000_mean"]
    img = io.read(tmp_path / "chart_fluorescent_FL2.exr")
    assert img.metadata["chroma/chart/light"] == "FL2"
    with pytest.raises(ChromaIOError, match="earlier demo"):
        demo.PARTS["lights"](tmp_path, False)
    assert len(demo.PARTS["lights"](tmp_path, True)) == 7
