"""The shot part of ``chroma demo``: the real shot pipeline with tiny random-weight models.

Checked against what does not come from our code: the ACEScg primaries and white of SMPTE
S-2014-004 in the EXR headers (read by OpenEXR), Nuke's script syntax (tests/nuke_syntax.py),
the MP4 as PyAV decodes it, and the camera move rebuilt from Disco Diffusion's 2D formula
(OpenCV's ``getRotationMatrix2D`` about ``(w // 2, h // 2)``, wrapped bilinear resampling)
with scipy, not with render.camera.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chroma import demo
from chroma.errors import ChromaIOError
from tests.nuke_syntax import check_nuke_script

REPO = Path(__file__).resolve().parent.parent
AP1 = (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767)  # SMPTE S-2014-004: R, G, B, white (x, y)


def dd_warp_2d(image: np.ndarray, angle: float, zoom: float) -> np.ndarray:
    """Disco Diffusion's 2D move without translation, written from its formula with scipy:
    ``M = getRotationMatrix2D((w // 2, h // 2), angle, zoom)``, output (x, y) reads the input at
    ``M^-1 (x, y)`` bilinearly, wrapping around the borders (``cv2.BORDER_WRAP``)."""
    from scipy import ndimage

    h, w = image.shape[:2]
    cx, cy = w // 2, h // 2
    a, b = zoom * np.cos(np.radians(angle)), zoom * np.sin(np.radians(angle))
    m = np.array([[a, b, (1 - a) * cx - b * cy], [-b, a, b * cx + (1 - a) * cy], [0, 0, 1]])
    inv = np.linalg.inv(m)
    matrix = np.array([[inv[1, 1], inv[1, 0]], [inv[0, 1], inv[0, 0]]])  # scipy's (row, col) = (y, x)
    offset = np.array([inv[1, 2], inv[0, 2]])
    return np.stack([ndimage.affine_transform(image[..., c], matrix, offset, order=1, mode="grid-wrap")
                     for c in range(image.shape[2])], axis=-1)


def _png(path: Path) -> np.ndarray:
    from PIL import Image as PILImage

    return np.asarray(PILImage.open(path).convert("RGB"), np.float64) / 255.0


def _check_shot(folder: Path, frames: int, size: int) -> None:
    """Everything the demo shot promises, in ``folder`` (render_shot's)."""
    import av
    import OpenEXR

    out = folder / "frames"
    exrs = sorted(out.glob("demo.*.exr"))
    assert [p.name for p in exrs] == [f"demo.{1001 + i}.exr" for i in range(frames)]
    prompts = []
    for p in exrs:
        with OpenEXR.File(str(p)) as exr:
            header = exr.header()
            np.testing.assert_allclose(np.array(header["chromaticities"], dtype=float), AP1, atol=1e-4)
            assert exr.channels()["RGB"].pixels.shape == (size, size, 3)
            meta = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in header.items()}
        assert json.loads(meta["chroma/guard"])["state"]  # the collapse guard watched every frame
        assert json.loads(meta["chroma/models"])["chroma-tiny-random::random"] == "open_clip"
        prompts.append(meta["chroma/prompts"])
    change = frames // 2
    assert prompts == [demo.shot.SHOT_PROMPTS[0]] * change + [demo.shot.SHOT_PROMPTS[1]] * (frames - change)
    previews = sorted((out / "preview").glob("demo.*.png"))
    assert [p.stem for p in previews] == [p.stem for p in exrs]
    check_nuke_script((out / "demo.nk").read_text(), str(out / "demo.####.exr"), 1001, 1000 + frames)
    assert (out / "demo.state" / f"state.{frames - 1:06d}.npz").is_file()  # the last frame's, for --resume
    report = folder / "report"
    assert {p.name for p in report.iterdir()} == {"demo.contact.png", "demo.plots.png", "demo.mp4", "demo.report.json"}
    with av.open(str(report / "demo.mp4")) as container:
        decoded = list(container.decode(video=0))
    assert len(decoded) == frames and decoded[0].width >= size
    data = json.loads((report / "demo.report.json").read_text())
    assert sorted(data["frames"]) == [str(1001 + i) for i in range(frames)]

    # the camera moves: each frame is much closer to the previous one moved by DD's 2D
    # formula (zoom and angle of the shot) than to the previous one as it was, or moved back
    pics = [_png(p) for p in previews]
    for i in range(frames - 1):
        here, nxt = pics[i], pics[i + 1]
        moved = np.mean((nxt - dd_warp_2d(here, demo.shot.SHOT_ANGLE, demo.shot.SHOT_ZOOM)) ** 2)
        still = np.mean((nxt - here) ** 2)
        back = np.mean((nxt - dd_warp_2d(here, -demo.shot.SHOT_ANGLE, 1 / demo.shot.SHOT_ZOOM)) ** 2)
        assert moved < 0.5 * still and moved < 0.5 * back, (i, moved, still, back)


def test_demo_shot_renders_the_whole_pipeline_small(tmp_path) -> None:
    pytest.importorskip("open_clip")
    pytest.importorskip("av")
    frames, size = 4, 64
    written = demo.render_shot(tmp_path, frames=frames, size=size)
    assert all(p.is_file() for p in written)
    assert (tmp_path / "demo_shot.toml").read_text() == demo.shot_text(frames, size)
    _check_shot(tmp_path, frames, size)
    # an earlier demo's files are refused before anything is written
    before = {p: p.stat().st_mtime_ns for p in written}
    with pytest.raises(ChromaIOError, match="earlier demo"):
        demo.render_shot(tmp_path, frames=frames, size=size)
    assert {p: p.stat().st_mtime_ns for p in written} == before


@pytest.mark.slow
def test_chroma_demo_renders_the_24_frame_shot(tmp_path, capsys) -> None:
    pytest.importorskip("open_clip")
    pytest.importorskip("av")
    from chroma.cli import main

    out = tmp_path / "demo_out"
    assert main(["demo", str(out)]) == 0
    text = capsys.readouterr().out
    assert "RANDOM-WEIGHT" in text and demo.shot.REAL_MODELS in text
    assert f"{out}/shot/frames/demo.####.exr (frames 1001-1024)" in text
    _check_shot(out / "shot", demo.SHOT_FRAMES, demo.SHOT_SIZE)


def test_without_torch_the_demo_writes_the_colour_parts_and_says_how_to_get_the_shot(tmp_path) -> None:
    # torch and open_clip unimportable, as on `pip install .` (see test_without_render_extra.py)
    (tmp_path / "sitecustomize.py").write_text(
        "import importlib.abc, sys\n"
        "class _NoRenderExtra(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'open_clip'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, _NoRenderExtra())\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    out = tmp_path / "demo_out"
    res = subprocess.run([sys.executable, "-m", "chroma", "demo", str(out)], env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    said = [line for line in res.stdout.splitlines() if line.startswith("shot")]
    assert said == [f"shot: skipped: needs the render extra (torch is not installed); for the shot: {demo.shot.INSTALL}"]
    assert 'pip install ".[render,report]"' in said[0]
    assert not (out / "shot").exists() and len(list((out / "scene").glob("scene.*.exr"))) == 5


def test_no_shot_leaves_the_shot_out(tmp_path, capsys) -> None:
    from chroma.cli import main

    assert main(["demo", str(tmp_path / "d"), "--no-shot"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert not [line for line in said if line.startswith("shot")] and not (tmp_path / "d" / "shot").exists()
    assert (tmp_path / "d" / "blend").is_dir()


def test_file_lines_gather_frame_runs() -> None:
    files = [Path("s/a.1001.exr"), Path("s/a.1002.exr"), Path("s/a.1003.exr"), Path("s/x.json"),
             Path("s/b.0007.png"), Path("s/a.1005.exr")]
    assert demo.file_lines(files) == ["s/a.####.exr (frames 1001-1003)", "s/x.json", "s/b.0007.png", "s/a.1005.exr"]


def test_shot_text_refuses_sizes_the_renderer_would_round() -> None:
    from chroma.errors import ChromaValueError

    with pytest.raises(ChromaValueError, match="multiple of 64"):
        demo.shot_text(4, 96)
    with pytest.raises(ChromaValueError, match="at least 2 frames"):
        demo.shot_text(1, 64)
