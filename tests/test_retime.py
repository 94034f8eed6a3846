"""chroma retime: frame numbering, in-betweens against held-back frames, copies, labels, refusals.

The sequence is a real photograph moved by a known camera (tests/motion_sequences.py: pan
(3, -2) px and 1% zoom per input frame), written scene-linear (sRGB decoded) with alpha and
Z; every other frame of it is held back and is the truth for the in-betweens.
"""

from __future__ import annotations

import re
import shlex
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cv2")
pytest.importorskip("skimage")

from chroma import Image, io
from chroma.cli import main
from chroma.retime import parse_factor, plan_retime
from tests import motion_sequences as ms

DOC = Path(__file__).resolve().parent.parent / "docs" / "motion.md"  # the worked example (#24: in docs/motion.md)
SIZE = (192, 128)


def _linear(srgb: np.ndarray) -> np.ndarray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _frame(display: np.ndarray, z: float) -> np.ndarray:
    """R G B A Z: the photograph scene-linear, alpha = its grey (moves with it), Z constant per frame."""
    grey = display.mean(axis=2, keepdims=True)
    return np.concatenate([_linear(display), grey, np.full_like(grey, z)], axis=2)


def write_plate(folder: Path, name: str = "coffee", count: int = 4) -> list[np.ndarray]:
    """``folder/plate.1001.exr`` ... at times 0, 1, ...; returns every half-time truth frame (0, 0.5, 1 ...)."""
    shown = ms.frames(name, [k / 2 for k in range(2 * count - 1)], SIZE)
    truth = [_frame(f, 10.0 + k / 2) for k, f in enumerate(shown)]
    for i in range(count):
        io.write(Image(truth[2 * i], ["R", "G", "B", "A", "Z"], metadata={"Owner": "plate dept"}),
                 folder / f"plate.{1001 + i}.exr")
    return truth


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own refusals
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# -- numbering ------------------------------------------------------------------------------
def test_numbering(tmp_path: Path) -> None:
    for f in range(1001, 1011):
        io.write(Image(np.zeros((8, 8, 3), np.float32)), tmp_path / f"p.{f}.exr")
    plan = plan_retime(tmp_path / "p.####.exr", tmp_path / "o.####.exr", Fraction(2))
    assert [o.frame for o in plan.outputs] == list(range(1001, 1020))
    assert [o.time for o in plan.outputs[:3]] == [1001, Fraction(2003, 2), 1002]
    assert [o.is_copy for o in plan.outputs[:3]] == [True, False, True]
    plan = plan_retime(tmp_path / "p.####.exr", tmp_path / "o.####.exr", parse_factor(fps="24:30"), "1001-1005")
    # 1.25 output frames per input frame: 1001 + floor(4 * 1.25) = 1006, times every 0.8 frame
    assert [float(o.time) for o in plan.outputs] == [1001, 1001.8, 1002.6, 1003.4, 1004.2, 1005]
    assert parse_factor("5/2") == Fraction(5, 2) and parse_factor(fps="23.976:29.97") == Fraction(5, 4)


# -- the in-betweens against the held-back frames --------------------------------------------
def test_inbetweens_against_held_back_frames(tmp_path: Path, capsys) -> None:
    truth = write_plate(tmp_path, "coffee", 4)
    code, out, err = run(capsys, "retime", tmp_path / "plate.####.exr", "-o", tmp_path / "out" / "slow.####.exr",
                         "--factor", "2", "--dtype", "float")
    assert code == 0, err
    assert "wrote 7 frame(s) 1001-1007: 3 in-between(s), 4 input frame(s) copied" in out
    assert "\r" not in err  # not a terminal: no bar drawn
    gains, over_nearest, alpha_gains = [], [], []
    for k in (1, 3, 5):   # output 1002, 1004, 1006: halfway between input frames
        got = io.read(tmp_path / "out" / f"slow.{1001 + k}.exr")
        assert got.channels == ["R", "G", "B", "A", "Z"]
        rgb, want = got.pixels[..., :3], truth[k][..., :3]
        a, b = truth[k - 1][..., :3], truth[k + 1][..., :3]
        ours, fade, near = ms.psnr(rgb, want), ms.psnr(0.5 * (a + b), want), ms.psnr(a, want)
        gains.append(ours - fade)
        over_nearest.append(ours - near)
        alpha_gains.append(ms.psnr(got.pixels[..., 3], truth[k][..., 3])
                           - ms.psnr(0.5 * (truth[k - 1][..., 3] + truth[k + 1][..., 3]), truth[k][..., 3]))
        # Z interpolated with them: the mean of both frames' where both see the pixel, the one
        # frame's own at the edges where the pan and zoom bring in what the other does not see
        # (and at the few pixels where the estimated flows fail the forward-backward check)
        z = got.pixels[..., 4]
        assert np.mean(np.abs(z[8:-8, 8:-8] - (10.0 + k / 2)) < 1e-5) > 0.99
        assert z.min() >= 10.0 + (k - 1) / 2 and z.max() <= 10.0 + (k + 1) / 2
        assert got.metadata["chroma/retime/interpolated"] == 1
        assert got.metadata["chroma/retime/from"] == f"{1001 + k // 2},{1002 + k // 2}"
        assert got.metadata["chroma/retime/t"] == 0.5
        assert got.metadata["Owner"] == "plate dept"  # metadata kept
    # measured: +15.4 dB over the crossfade (scene-linear RGB, peak 1), +18 dB over the nearest frame
    assert min(gains) >= 10.0, gains
    assert min(over_nearest) > 10.0, over_nearest
    assert min(alpha_gains) >= 10.0, alpha_gains


def test_landing_frames_are_bit_identical_copies(tmp_path: Path, capsys) -> None:
    write_plate(tmp_path, "rocket", 3)
    assert run(capsys, "retime", tmp_path / "plate.####.exr", "-o", tmp_path / "s.####.exr", "--factor", "2",
               "--dtype", "float")[0] == 0
    for k, src in ((1001, 1001), (1003, 1002), (1005, 1003)):
        got, want = io.read(tmp_path / f"s.{k}.exr"), io.read(tmp_path / f"plate.{src}.exr")
        np.testing.assert_array_equal(got.pixels, want.pixels)
        assert got.metadata["oiio:datatype"] == "half"  # the input's own sample type, whatever --dtype says
        assert got.metadata["chroma/retime/interpolated"] == 0
        assert got.metadata["chroma/retime/from"] == str(src)
    assert io.read(tmp_path / "s.1002.exr").metadata["oiio:datatype"] == "float"


def test_fps_gives_the_factor(tmp_path: Path, capsys) -> None:
    write_plate(tmp_path, "chelsea", 3)
    code, out, _ = run(capsys, "retime", tmp_path / "plate.####.exr", "-o", tmp_path / "f.####.exr", "--fps", "12:24")
    assert code == 0 and "wrote 5 frame(s) 1001-1005" in out


# -- refusals: exit 2, one line, nothing written, before any work ------------------------------
def _bad_cases(tmp: Path) -> list[tuple[list[str], str]]:
    return [
        (["{t}/one.####.exr", "-o", "{t}/o/x.####.exr", "--factor", "2"], "two or more frames"),
        (["{t}/plate.####.exr", "-o", "{t}/o/x.####.exr", "--factor", "2", "--frames", "1001"], "two or more frames"),
        (["{t}/size.####.exr", "-o", "{t}/o/x.####.exr", "--factor", "2"], "every frame of a retime must match"),
        (["{t}/hole.####.exr", "-o", "{t}/o/x.####.exr", "--factor", "2"], "hole at frames 1002"),
        (["{t}/plate.####.exr", "-o", "{t}/o/x.####.exr", "--factor", "2", "--frames", "1001-1004"], "missing"),
        (["{t}/plate.####.exr", "-o", "{t}/o/x.####.exr", "--factor", "0.5"], "give 1 or more"),
        (["{t}/plate.####.exr", "-o", "{t}/o/x.####.exr", "--factor", "two"], "not a number"),
        (["{t}/plate.####.exr", "-o", "{t}/o/x.####.exr", "--factor", "nan"], "not a number"),
        (["{t}/plate.####.exr", "-o", "{t}/o/x.####.exr", "--fps", "24:12"], "give 1 or more"),
        (["{t}/plate.####.exr", "-o", "{t}/o/x.####.exr", "--fps", "24"], "IN:OUT"),
        (["{t}/plate.####.exr", "-o", "{t}/o/x.####.exr", "--factor", "2", "--fps", "12:24"], "not allowed with"),
        (["{t}/plate.####.exr", "-o", "{t}/o/x.####.exr"], "one of the arguments --factor --fps is required"),
        (["{t}/plate.####.exr", "-o", "{t}/plate.####.exr", "--factor", "2", "--overwrite"], "would replace an input"),
        (["{t}/plate.####.exr", "-o", "{t}/taken.####.exr", "--factor", "2"], "exists; pass --overwrite"),
        (["{t}/plate.####.exr", "-o", "{t}/o/x.####.png", "--factor", "2"], "ending in .exr"),
        (["{t}/plate.1001.exr", "-o", "{t}/o/x.####.exr", "--factor", "2"], "reads a sequence"),
    ]


def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path, capsys) -> None:
    px = np.full((16, 24, 3), 0.18, np.float32)
    for f in (1001, 1002, 1003):
        io.write(Image(px), tmp_path / f"plate.{f}.exr")
    io.write(Image(px), tmp_path / "one.1001.exr")
    io.write(Image(px), tmp_path / "size.1001.exr")
    io.write(Image(px[:, :20]), tmp_path / "size.1002.exr")
    io.write(Image(px), tmp_path / "hole.1001.exr")
    io.write(Image(px), tmp_path / "hole.1003.exr")
    io.write(Image(px), tmp_path / "taken.1003.exr")
    before = sorted(p.name for p in tmp_path.iterdir())
    stamp = (tmp_path / "taken.1003.exr").stat().st_mtime_ns
    for argv, message in _bad_cases(tmp_path):
        code, out, err = run(capsys, "retime", *[a.format(t=tmp_path) for a in argv])
        assert code == 2, (argv, err)
        assert message in err, (argv, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert sorted(p.name for p in tmp_path.iterdir()) == before, argv
    assert (tmp_path / "taken.1003.exr").stat().st_mtime_ns == stamp


def test_help_teaches() -> None:
    with pytest.raises(SystemExit):
        main(["retime", "--help"])


def test_help_text(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["retime", "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "--factor 2" in out and "1001-1019" in out


# -- the worked example in docs/motion.md runs as written --------------------------------------
def test_docs_worked_example(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plates").mkdir()
    write_plate(tmp_path / "plates", "astronaut", 3)
    block = re.search(r"<!-- worked example -->\n```bash\n(.*?)```", DOC.read_text(), flags=re.S)
    assert block, "docs/motion.md has no worked example"
    commands = [line for line in block.group(1).splitlines() if line.startswith("chroma ")]
    assert commands
    for line in commands:
        code, out, err = run(capsys, *shlex.split(line)[1:])
        assert code == 0, (line, err)
    assert sorted(p.name for p in (tmp_path / "slow").iterdir()) == [f"plate.{f}.exr" for f in range(1001, 1006)]
    assert io.read(tmp_path / "slow" / "plate.1002.exr").metadata["chroma/retime/interpolated"] == 1


def test_motion_vectors_stay_pixels_per_output_frame_and_every_channel_keeps_its_sample_type(
        tmp_path: Path, capsys) -> None:
    """A chroma shot frame: half colour, float vectors (Nuke's forward/backward layers) and
    occlusion. Retimed by 2, the content moves half as far per output frame, so the vectors
    are halved in copies and in-betweens; everything else of a copy is the input's, and
    every channel keeps its input's sample type."""
    import OpenImageIO as oiio

    shown = ms.frames("chelsea", [0.0, 1.0], SIZE)
    names = ["R", "G", "B", "forward.u", "forward.v", "backward.u", "backward.v", "occlusion"]
    kinds = {n: "float" for n in names[3:]}
    for i, f in enumerate(shown):
        vec = np.full(f.shape[:2] + (5,), [3.0, -2.0, -3.0, 2.0, 0.0], np.float32)  # 3 px right, 2 px up
        io.write(Image(np.concatenate([_linear(f), vec], axis=2), names), tmp_path / f"p.{1001 + i}.exr",
                 channel_dtypes=kinds)
    assert run(capsys, "retime", tmp_path / "p.####.exr", "-o", tmp_path / "s.####.exr", "--factor", "2")[0] == 0
    for k in (1001, 1002, 1003):
        got = io.read(tmp_path / f"s.{k}.exr")
        inp = oiio.ImageInput.open(str(tmp_path / f"s.{k}.exr"))
        spec = inp.spec()
        assert {n: str(t) for n, t in zip(spec.channelnames, spec.channelformats)} == {
            **{c: "half" for c in "RGB"}, **kinds}
        inp.close()
        ch = {n: got.pixels[..., got.channels.index(n)] for n in names}
        for n, v in (("forward.u", 1.5), ("forward.v", -1.0), ("backward.u", -1.5), ("backward.v", 1.0)):
            np.testing.assert_allclose(ch[n], v, atol=1e-6)
    src, copy = io.read(tmp_path / "p.1002.exr"), io.read(tmp_path / "s.1003.exr")
    for n in ("R", "G", "B", "occlusion"):
        np.testing.assert_array_equal(copy.pixels[..., copy.channels.index(n)], src.pixels[..., src.channels.index(n)])
