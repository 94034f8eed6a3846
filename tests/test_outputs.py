"""Every command that writes goes through one output check (chroma.io.check_outputs): an
input is never replaced, by any spelling of its path; an output is not written twice;
missing output folders are created and said so; existing files need --overwrite."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

from chroma import Image, io, write
from chroma.cli import main
from chroma.errors import ChromaIOError


def _digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture
def stage(tmp_path, monkeypatch):
    """A small sequence, a still, an HDRI, a CSV spectrum and a grade file, in tmp_path (cwd)."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    for f in (1001, 1002):
        write(Image(rng.random((8, 12, 3)).astype(np.float32)), tmp_path / f"p.{f}.exr")
    from chroma import ambient

    write(ambient.sky_hdri(32, 16), tmp_path / "sky.exr")
    wl = np.arange(380, 781, 5)
    (tmp_path / "spd.csv").write_text("".join(f"{w},{1.0 + 0.001 * (w - 380)}\n" for w in wl))
    assert main(["grade", "--exposure", "1", "--save-grade", "shot.toml"]) == 0
    return tmp_path


def _spellings(path: str, tmp) -> list[str]:
    """The same file by other names: ./x, a/../x, a symlink, a hard link."""
    name = os.path.basename(path)
    (tmp / "sub").mkdir(exist_ok=True)
    link = tmp / f"link_{name}"
    if not link.exists():
        os.symlink(path, link)
    hard = tmp / f"hard_{name}"
    if not hard.exists():
        os.link(path, hard)
    return [name, f"./{name}", f"sub/../{name}", str(tmp / name), str(link), str(hard)]


# (argv template with {out}, the input it must not replace)
WRITERS = [
    (["ambient", "sky.exr", "--ball", "{out}", "--size", "8"], "sky.exr"),
    (["convert", "p.1001.exr", "-o", "{out}"], "p.1001.exr"),
    (["grade", "p.1001.exr", "-o", "{out}", "--exposure", "1"], "p.1001.exr"),
    (["grade", "p.1001.exr", "-o", "g.exr", "--grade", "shot.toml", "--save-grade", "{out}"], "shot.toml"),
    (["grade", "--grade", "shot.toml", "--bake-lut", "{out}"], "shot.toml"),
    (["grade", "p.1001.exr", "-o", "g.exr", "--exposure", "1", "--export-cdl", "{out}"], "p.1001.exr"),
    (["blend", "p.1001.exr", "p.1002.exr", "-o", "{out}"], "p.1002.exr"),
    (["blend", "p.1001.exr", "#ff0000", "--frames", "1001", "-o", "{out}"], "p.1001.exr"),
    (["light", "--spd", "spd.csv", "--chart", "{out}"], "spd.csv"),
    (["light", "--spd", "spd.csv", "--preview", "{out}"], "spd.csv"),
    (["convert", "p.1001.exr", "-o", "{out}", "--display", "sRGB - Display"], "p.1001.exr"),
    (["blend", "p.####.exr", "#000000", "--frames", "1002", "-o", "{out}"], "p.1002.exr"),
]


@pytest.mark.parametrize("argv, victim", WRITERS, ids=[" ".join(w[0][:2]) for w in WRITERS])
def test_no_command_replaces_an_input_by_any_spelling(stage, capsys, argv, victim):
    before = _digest(stage / victim)
    for spelling in _spellings(str(stage / victim), stage):
        cmd = [a.format(out=spelling) for a in argv]
        code = main(cmd + ["--overwrite"])
        err = capsys.readouterr().err
        assert code == 2, (cmd, err)
        assert "replace an input" in err, err
        assert _digest(stage / victim) == before


def test_sequence_output_spelled_as_the_input_is_refused(stage, capsys):
    # '####' and '%04d' and '@@@@' name the same files; even frames not on disk count
    for out in ("p.%04d.exr", "./p.@@@@.exr", "p.#.exr", str(stage / "p.%d.exr")):
        for cmd in (["convert", "p.####.exr", "-o", out], ["grade", "p.####.exr", "-o", out, "--exposure", "1"]):
            assert main(cmd + ["--overwrite"]) == 2, cmd
            assert "replace an input" in capsys.readouterr().err


def test_two_outputs_that_are_one_file(stage, capsys):
    code = main(["light", "--kelvin", "3200", "--chart", "c.exr", "--preview", "./c.exr"])
    assert code == 2 and "same file" in capsys.readouterr().err
    assert not (stage / "c.exr").exists()


def test_missing_output_folders_are_created_and_said(stage, capsys):
    assert main(["convert", "p.####.exr", "-o", "ap0/deep/p.####.exr", "--to", "ACES2065-1"]) == 0
    assert (stage / "ap0" / "deep" / "p.1002.exr").exists()
    assert "created the output folder ap0/deep" in capsys.readouterr().err
    assert main(["grade", "--exposure", "0.5", "--bake-lut", "luts/shot.cube"]) == 0
    assert (stage / "luts" / "shot.cube").exists()
    capsys.readouterr()
    assert main(["blend", "p.####.exr", "#000000", "-o", "fade/f.####.exr", "-q"]) == 0
    assert (stage / "fade" / "f.1001.exr").exists()
    assert "created" not in capsys.readouterr().err  # --quiet: no notes


def test_check_outputs_api(tmp_path):
    a = tmp_path / "a.exr"
    a.write_bytes(b"x")
    os.link(a, tmp_path / "b.exr")
    with pytest.raises(ChromaIOError, match="replace an input"):
        io.check_outputs([tmp_path / "b.exr"], [a], overwrite=True)
    with pytest.raises(ChromaIOError, match="exists; pass overwrite=True"):
        io.check_outputs([a])
    with pytest.raises(ChromaIOError, match="does not exist"):
        io.check_outputs([tmp_path / "new" / "c.exr"])
    r = io.check_outputs([tmp_path / "new" / "c.exr", a], dry_run=True, create_folders=True)
    assert r.folders == [str(tmp_path / "new")] and r.refused == [str(a)]
    assert not (tmp_path / "new").exists()  # a dry run creates nothing
    assert io.same_file(a, tmp_path / "b.exr") and not io.same_file(a, tmp_path / "c.exr")
