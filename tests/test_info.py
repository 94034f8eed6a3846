"""chroma.info: image_info and folder_info, checked against the files' own headers (read
with the OpenEXR library, not chroma's reader) and against stops computed independently
with colour-science's ACEScg luminance weights."""

from __future__ import annotations

import os

import colour
import numpy as np
import OpenEXR
import pytest

from chroma import Image, write
from chroma.errors import ChromaIOError, SequenceError
from chroma.info import folder_info, image_info


def _stops_reference(path: str) -> tuple[float, float, float]:
    """Min/median/max of log2(Y / 0.18) with Y from colour-science's AP1 matrix, over the
    half values stored in the file (read with the OpenEXR library)."""
    with OpenEXR.File(path) as f:
        rgb = f.channels()["RGB"].pixels.astype(np.float64)
    y = rgb @ colour.RGB_COLOURSPACES["ACEScg"].matrix_RGB_to_XYZ[1]
    stops = np.log2(y[y > 0] / 0.18)
    return stops.min(), np.median(stops), stops.max()


@pytest.fixture
def seq(tmp_path):
    """plate.1001-1005 without 1003, 8x6 half ACEScg, piz; 1002 has two NaN."""
    rng = np.random.default_rng(7)
    for f in (1001, 1002, 1004, 1005):
        px = rng.uniform(0.01, 4.0, (6, 8, 3)).astype(np.float32)
        if f == 1002:
            px[0, 0, :2] = np.nan
        write(Image(px, ["R", "G", "B"], "ACEScg"), tmp_path / f"plate.{f}.exr", compression="piz",
              metadata={"shot": "sh010"}, on_invalid="warn")
    return tmp_path


@pytest.mark.filterwarnings("ignore::chroma.io.ChromaWarning")
def test_image_info_of_a_pattern_matches_the_files(seq):
    info = image_info(str(seq / "plate.####.exr"), progress=False)
    first = str(seq / "plate.1001.exr")
    with OpenEXR.File(first) as f:
        head = {k: f.header()[k] for k in ("dataWindow", "channels", "compression", "chromaticities")}
    (x0, y0), (x1, y1) = head["dataWindow"]
    h = info.image
    assert h is not None and h.path == first
    assert (h.width, h.height) == (x1 - x0 + 1, y1 - y0 + 1) == (8, 6)
    assert sorted(h.channels) == sorted(c.name for c in head["channels"])
    assert h.compression == head["compression"].name.split("_")[0].lower() == "piz"
    np.testing.assert_allclose(h.chromaticities, head["chromaticities"], rtol=0, atol=1e-7)
    assert h.datatype == "half" and h.format == "openexr" and h.colorspace == "ACEScg"
    assert h.chroma_metadata == {"chroma/shot": "sh010"}
    s = info.sequence
    assert s is not None and (s.first, s.last, s.frames, s.missing) == (1001, 1005, 4, "1003")
    assert [st.frame for st in info.stats] == [1001, 1002, 1004, 1005] and not info.errors
    for st in info.stats:
        ref = _stops_reference(st.path)
        got = (st.exposure.min_stops, st.exposure.median_stops, st.exposure.max_stops)
        np.testing.assert_allclose(got, ref, atol=1e-4)
    assert [st.exposure.nan_values for st in info.stats] == [0, 2, 0, 0]
    d = info.to_dict()
    assert d["sequence"]["requested_absent"] == "" and d["stats"][1]["nan_values"] == 2


@pytest.mark.filterwarnings("ignore::chroma.io.ChromaWarning")
def test_image_info_frames_failures_and_single_files(seq):
    (seq / "plate.1006.exr").write_bytes(b"not an exr")
    info = image_info(str(seq / "plate.####.exr"), "1001-1002,1006", progress=False)
    assert [st.frame for st in info.stats] == [1001, 1002]
    assert [p for p, _ in info.errors] == [str(seq / "plate.1006.exr")] and info.requested == 3
    assert info.sequence is not None and info.sequence.last == 1006
    # one frame file: its own stats, and the sequence it belongs to (no requested_absent)
    one = image_info(seq / "plate.1004.exr", progress=False)
    assert [st.frame for st in one.stats] == [1004]
    assert one.sequence is not None and "requested_absent" not in one.to_dict()["sequence"]
    with pytest.raises(ChromaIOError, match="cannot open"):  # the one file asked for: raised
        image_info(seq / "plate.1006.exr")
    with pytest.raises(ChromaIOError, match="does not exist"):
        image_info(seq / "nope.exr")
    with pytest.raises(SequenceError, match="no files match"):
        image_info(seq / "none.####.exr")
    with pytest.raises(SequenceError, match="needs a sequence pattern"):
        image_info(seq / "plate.1001.exr", "1001")


@pytest.mark.filterwarnings("ignore::chroma.io.ChromaWarning")
def test_folder_info_lists_sequences_and_singles(seq):
    write(Image(np.ones((2, 3, 4), np.float32), ["R", "G", "B", "A"], "ACES2065-1"), seq / "bg.exr")
    (seq / "broken.exr").write_bytes(b"nope")
    rows = {os.path.basename(r.pattern): r for r in folder_info(seq)}
    assert sorted(rows) == ["bg.exr", "broken.exr", "plate.####.exr"]
    p = rows["plate.####.exr"]
    assert (p.frames, p.first, p.last, p.missing, p.channels, p.colorspace, p.width, p.height, p.error) == (
        4, 1001, 1005, "1003", ["R", "G", "B"], "ACEScg", 8, 6, None)
    with OpenEXR.File(str(seq / "bg.exr")) as f:
        assert f.header()["colorInteropID"] == "lin_ap0_scene"
    bg = rows["bg.exr"]
    assert (bg.frames, bg.first, bg.channels, bg.colorspace, bg.width, bg.height) == (
        0, None, ["R", "G", "B", "A"], "ACES2065-1", 3, 2)
    assert rows["broken.exr"].error and rows["broken.exr"].channels is None


def test_docs_io_python_example_runs(tmp_path, monkeypatch):
    """docs/io.md's "info and convert from Python" block runs as written."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "io.md").read_text()
    block = re.search(r"## `info` and `convert` from Python.*?```python\n(.*?)```", text, flags=re.S).group(1)
    monkeypatch.chdir(tmp_path)
    for f in (1001, 1002, 1004):
        write(Image(np.full((4, 4, 3), 0.18 * 2 ** (f - 1001), np.float32)), f"plate.{f}.exr")
    namespace: dict = {}
    exec(compile(block, "docs/io.md", "exec"), namespace)
    found = namespace["found"]
    assert [s.frame for s in found.stats] == [1001, 1002, 1004] and found.sequence.missing == "1003"
    assert [round(s.exposure.median_stops, 3) for s in found.stats] == [0.0, 1.0, 3.0]
    assert namespace["failures"] == [] and (tmp_path / "ap0.1002.exr").exists() and (tmp_path / "plate.png").exists()
