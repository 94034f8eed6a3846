"""Every ``chroma`` example in the README's tour and in every command's --help runs as
written (on small inputs the test makes), each in a fresh folder, and exits 0.

Only examples that need what a test may not use are left out, by name: the renderer
(torch and checkpoints) and downloading or importing checkpoints (network, a USB stick).
Shot files for ``chroma shot`` examples come from docs/shots.md's own example.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest

from chroma import Image, write
from chroma.cli import COMMANDS, build_parser, main
from chroma.cli._core import description

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
NEEDS_MORE = ("chroma render", "chroma models fetch", "chroma models import",
              "chroma shot report",  # a report reads a rendered shot's folder
              "chroma farm render")  # renders shots (and names a cluster's address)


def _clean(line: str) -> str:
    return re.split(r"\s+#\s", line.strip() + " ", maxsplit=1)[0].strip()


def readme_examples() -> list[str]:
    text = README.read_text()
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        joined = block.replace("\\\n", " ")
        lines += [_clean(x) for x in joined.splitlines() if x.strip().startswith("chroma ")]
    return lines


def help_examples() -> list[str]:
    lines = []
    for name in COMMANDS:
        doc = description(name)  # what 'chroma NAME --help' shows
        if "example" not in doc:
            continue
        tail = doc.split("example", 1)[1].split("\n", 1)[1].replace("\\\n", " ")
        lines += [_clean(x) for x in tail.splitlines() if x.strip().startswith("chroma ")]
    return lines


EXAMPLES = sorted(set(readme_examples()) | set(help_examples()))
RUNNABLE = [e for e in EXAMPLES if not e.startswith(NEEDS_MORE)]


def test_examples_are_found_and_only_the_named_ones_are_left_out():
    assert len(readme_examples()) >= 20 and len(help_examples()) >= 25
    assert len(RUNNABLE) >= 30
    assert all(e.startswith(NEEDS_MORE) for e in EXAMPLES if e not in RUNNABLE)
    # every command that has examples in its --help shows them under "examples:"
    parser = build_parser()
    assert parser.epilog and "%%" not in parser.format_help()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The files the examples name: plates, stills, an HDRI, a spectrum, a grade."""
    from chroma import ambient

    root = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(11)

    def img(path, channels=("R", "G", "B")):
        write(Image((rng.random((6, 8, len(channels))) * 0.5 + 0.05).astype(np.float32), list(channels)), root / path)

    for f in range(1001, 1025):
        img(f"plate.{f}.exr", ("R", "G", "B", "A"))
        img(f"a.{f}.exr")
        img(f"b.{f}.exr")
    for name in ("hero.exr", "bg.exr", "a.exr", "b.exr"):
        img(name)
    (root / "shots" / "sh010").mkdir(parents=True)
    for f in (1001, 1002, 1004):
        img(f"shots/sh010/plate.{f}.exr")
    write(ambient.sky_hdri(64, 32), root / "sky.exr")
    wl = np.arange(380, 781, 5)
    spd = 1.0 + 0.5 * np.sin((wl - 380) / 80.0)
    (root / "fixture.csv").write_text("".join(f"{w},{p:.6f}\n" for w, p in zip(wl, spd)))
    shots = REPO / "docs" / "shots.md"
    if shots.is_file():  # the shot file docs/shots.md shows, and a Disco Diffusion settings file
        block = re.search(r"```toml\n(.*?)```", shots.read_text(), flags=re.S)
        if block:
            (root / "sh010.toml").write_text(block.group(1))
            for name in set(re.findall(r'"([^"#:]+\.(?:png|jpg|exr))(?::[-0-9.]+)?"', block.group(1))):
                (root / name).parent.mkdir(parents=True, exist_ok=True)  # the images it names
                img(name)
            for name in ("sh020", "sh030"):  # the other shots of docs/farm.md's edit
                (root / f"{name}.toml").write_text(block.group(1).replace("sh010", name))
    farm_doc = REPO / "docs" / "farm.md"
    if farm_doc.is_file():  # the edit docs/farm.md shows
        edit = re.search(r"```toml\n(# edit.toml.*?)```", farm_doc.read_text(), flags=re.S)
        if edit:
            (root / "edit.toml").write_text(edit.group(1))
    (root / "TimeToDisco(0)_settings.txt").write_text(json.dumps({
        "batch_name": "TimeToDisco", "text_prompts": {"0": ["a city at dusk:2"]}, "image_prompts": {},
        "width": 1280, "height": 768, "steps": 250, "seed": 42, "key_frames": True, "max_frames": 10,
        "interp_spline": "Linear", "zoom": "0: (1.02)", "angle": "0: (0)", "translation_x": "0: (0)",
        "translation_y": "0: (0)", "translation_z": "0: (10.0)", "rotation_3d_x": "0: (0)",
        "rotation_3d_y": "0: (0)", "rotation_3d_z": "0: (0)", "clip_guidance_scale": 5000, "cutn_batches": 4,
    }))
    for f in range(1001, 1009):  # an old Disco Diffusion render's PNGs
        img(f"TimeToDisco(0)_{f}.png")
    (root / "song.lrc").write_text("[ar:The Band]\n[ti:Song]\n[00:01.00]first line\n[00:03.50]second line\n")
    (root / "song.srt").write_text("1\n00:00:01,000 --> 00:00:03,000\nfirst line\n\n2\n00:00:03,500 --> 00:00:05,000\n"
                                   "second line\n")
    import wave

    with wave.open(str(root / "song.wav"), "wb") as w:  # 6 s of clicks at 120 BPM
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        sig = np.zeros(6 * 22050, dtype=np.int16)
        for k in range(12):
            sig[k * 11025: k * 11025 + 200] = 20000
        w.writeframes(sig.tobytes())
    cwd = os.getcwd()
    os.chdir(root)
    try:
        assert main(["grade", "--exposure", "0.5", "--white-balance", "5600", "--save-grade", "shot.toml"]) == 0
    finally:
        os.chdir(cwd)
    return root


# the README's demo renders a 24-frame shot (about 30 s here): it runs with the slow tests
SLOW = ("chroma demo demo_out",)


@pytest.mark.parametrize("example", [pytest.param(e, marks=pytest.mark.slow) if e in SLOW else e for e in RUNNABLE])
def test_example_runs(example, inputs, tmp_path, monkeypatch, capsys):
    work = tmp_path / "w"
    shutil.copytree(inputs, work)
    monkeypatch.chdir(work)
    argv = shlex.split(example)
    for flag in ("-o", "--output", "--save-grade"):  # an example that makes a file the others use
        if flag in argv and argv.index(flag) + 1 < len(argv):
            made = work / argv[argv.index(flag) + 1]
            if made.is_file() and "#" not in made.name:
                made.unlink()
    monkeypatch.setenv("CHROMA_MODELS", str(tmp_path / "models"))
    argv = shlex.split(example)
    redirect = None
    if ">" in argv:
        redirect = argv[argv.index(">") + 1]
        argv = argv[: argv.index(">")]
    assert argv[0] == "chroma"
    code = main(argv[1:])
    out, err = capsys.readouterr()
    assert code == 0, f"{example}\n{err}"
    assert "Traceback" not in err
    if redirect:
        Path(redirect).write_text(out)
