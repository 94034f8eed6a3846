"""`chroma grade` end to end: exit codes, messages, channels, metadata, sequences."""

from __future__ import annotations

import os

import numpy as np
import pytest

from chroma import Image, read, write
from chroma.cli import main


@pytest.fixture
def plate(tmp_path):
    rng = np.random.default_rng(11)
    for f in (1001, 1002, 1003):
        px = rng.lognormal(-1.7, 1.0, (24, 32, 5)).astype(np.float32)
        px[..., 3] = rng.uniform(0, 1, (24, 32))
        write(Image(px, ["R", "G", "B", "A", "depth.Z"], "ACEScg", {"comment": "plate", "chroma/shot": "sh010"}),
              tmp_path / f"plate.{f}.exr")
    (tmp_path / "out").mkdir()
    return tmp_path


def test_exposure_on_half_exr_exact_and_alpha_untouched(plate, capsys):
    src = plate / "plate.1001.exr"
    rc = main(["grade", str(src), "-o", str(plate / "out" / "g.exr"), "--exposure", "1.5"])
    assert rc == 0
    a, b = read(src), read(plate / "out" / "g.exr")
    expect = (a.pixels[..., :3] * np.float32(2 ** 1.5)).astype(np.float16).astype(np.float32)
    np.testing.assert_allclose(b.pixels[..., :3], expect, rtol=2 ** -10)  # half precision
    np.testing.assert_array_equal(b.pixels[..., 3:], a.pixels[..., 3:])  # A and depth.Z untouched
    assert b.channels == a.channels
    assert b.metadata["comment"] == "plate" and b.metadata["chroma/shot"] == "sh010"
    assert '"exposure"' in b.metadata["chroma/grade"]


def test_sequence_with_missing_and_corrupt_frame(plate, capsys):
    (plate / "plate.1002.exr").write_bytes(b"not an exr")
    rc = main(["grade", str(plate / "plate.####.exr"), "-o", str(plate / "out" / "g.####.exr"), "--frames", "1001-1004",
               "--white-balance", "3200:6504", "--jobs", "1"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "plate.1002.exr" in err and "plate.####.exr not on disk: 1004" in err
    assert os.path.exists(plate / "out" / "g.1001.exr") and os.path.exists(plate / "out" / "g.1003.exr")


def test_parallel_jobs_and_skip_existing(plate, capsys):
    out = plate / "out" / "g.####.exr"
    assert main(["grade", str(plate / "plate.####.exr"), "-o", str(out), "--exposure", "1", "--jobs", "2"]) == 0
    first = read(plate / "out" / "g.1002.exr").pixels
    os.remove(plate / "out" / "g.1003.exr")
    assert main(["grade", str(plate / "plate.####.exr"), "-o", str(out), "--exposure", "1"]) == 2
    assert "--skip-existing" in capsys.readouterr().err
    assert main(["grade", str(plate / "plate.####.exr"), "-o", str(out), "--exposure", "1", "--skip-existing", "--jobs", "2"]) == 0
    assert "graded 1 frame(s), skipped 2 existing" in capsys.readouterr().out
    np.testing.assert_array_equal(read(plate / "out" / "g.1002.exr").pixels, first)


def test_dry_run_writes_nothing(plate, capsys):
    rc = main(["grade", str(plate / "plate.####.exr"), "-o", str(plate / "out" / "g.####.exr"), "--exposure", "1",
               "--slope", "1.1,1,0.9", "--contrast", "1.2", "--look", "chroma_warm", "--dry-run",
               "--save-grade", str(plate / "g.toml")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "plate.1001.exr ->" in out and "exposure(stops=1.0)" in out and "nothing written" in out
    assert not os.listdir(plate / "out") and not os.path.exists(plate / "g.toml")


def test_save_grade_bake_lut_export_cdl_and_reuse(plate, capsys):
    g = plate / "g.toml"
    assert main(["grade", "--slope", "1.1,1,0.9", "--power", "1,1,1.1", "--saturation", "0.9", "--save-grade", str(g),
                 "--bake-lut", str(plate / "g.cube"), "--export-cdl", str(plate / "g.cc")]) == 0
    assert g.exists() and (plate / "g.cube").exists() and "<Slope>1.1 1 0.9</Slope>" in (plate / "g.cc").read_text()
    assert main(["grade", str(plate / "plate.1001.exr"), "-o", str(plate / "out" / "a.exr"), "--grade", str(g)]) == 0
    assert main(["grade", str(plate / "plate.1001.exr"), "-o", str(plate / "out" / "b.exr"), "--cdl", str(plate / "g.cc")]) == 0
    np.testing.assert_array_equal(read(plate / "out" / "a.exr").pixels, read(plate / "out" / "b.exr").pixels)


def test_colorspace_change_and_match_exposure(plate, capsys):
    ref = plate / "ref.exr"
    a = read(plate / "plate.1001.exr")
    write(Image(a.pixels[..., :3] * 4, ["R", "G", "B"], "ACEScg"), ref)
    rc = main(["grade", str(plate / "plate.1001.exr"), "-o", str(plate / "out" / "m.exr"), "--match-exposure", str(ref),
               "--colorspace", "ACES2065-1"])
    assert rc == 0
    b = read(plate / "out" / "m.exr")
    assert b.colorspace == "ACES2065-1"
    from chroma.stops import match_exposure

    assert abs(match_exposure(b, read(ref))) < 0.01  # luminance is the same in AP0 and AP1
    assert '"exposure","stops":2.0' in b.metadata["chroma/grade"]


@pytest.mark.parametrize("argv, msg", [
    (["--exposure", "1"], "IN -o OUT"),
    (["x.exr"], "-o OUT"),
    (["{d}/plate.1001.exr", "-o", "{d}/out/x.exr", "--white-balance", "hot"], "Kelvin"),
    (["{d}/plate.1001.exr", "-o", "{d}/out/x.exr", "--white-balance", "200"], "1000 K to 25000 K"),
    (["{d}/plate.1001.exr", "-o", "{d}/out/x.exr", "--slope", "1,2"], "slope"),
    (["{d}/plate.1001.exr", "-o", "{d}/out/x.exr", "--look", "nope_look"], "unknown look"),
    (["{d}/plate.1001.exr", "-o", "{d}/out/x.exr", "--colorspace", "ACEScgg"], "did you mean"),
    (["{d}/plate.1001.exr", "-o", "{d}/out/x.exr", "--cdl", "{d}/none.cc"], "does not exist"),
    (["{d}/plate.1001.exr", "-o", "{d}/out/x.exr", "--cdl", "{d}/none.cc", "--slope", "1,1,1"], "not both"),
    (["{d}/plate.1001.exr", "-o", "{d}/out/x.exr", "--jobs", "0"], "--jobs"),
    (["{d}/plate.1001.exr", "-o", "{d}/plate.1001.exr", "--exposure", "1"], "replace an input"),
    (["{d}/plate.1001.exr", "-o", "{d}/out/x.exr", "--grade", "{d}/none.toml"], "does not exist"),
    (["--exposure", "1", "--export-cdl", "{d}/x.cc", "--white-balance", "3200"], "not expressible"),
])
def test_bad_input_exit_2_one_line(plate, capsys, argv, msg):
    argv = [a.format(d=plate) for a in argv]
    assert main(["grade", *argv]) == 2
    err = capsys.readouterr().err
    assert msg in err and "Traceback" not in err
