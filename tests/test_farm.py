"""chroma.farm without the renderer: ``chroma grade/convert --farm`` on a Dask LocalCluster
(bit-identical to the local run; a worker SIGKILLed mid-job), the missing extra, the
OpenCue job spec (parsed back), and split_shot's parts against the shot's own schedules."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as Et
from pathlib import Path

import numpy as np
import pytest

from chroma import Image, read, write
from chroma.cli import main

REPO = Path(__file__).resolve().parents[1]
GRADE = ["--exposure", "0.75", "--white-balance", "3200:6504", "--slope", "1.1,1,0.9", "--power", "1,1,1.05"]


def _plates(folder: Path, n: int, w: int = 64, h: int = 48) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    for f in range(1001, 1001 + n):
        write(Image(rng.lognormal(-1.5, 1.0, (h, w, 3)).astype(np.float32), ["R", "G", "B"], "ACEScg", {}),
              folder / f"p.{f}.exr")
    return str(folder / "p.####.exr")


def test_import_chroma_does_not_import_dask() -> None:
    code = "import chroma, chroma.farm, chroma.cli, sys; print(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_farm_without_the_extra_exits_2_saying_how_to_install(tmp_path, monkeypatch, capsys) -> None:
    src = _plates(tmp_path / "src", 2)
    (tmp_path / "out").mkdir()
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    code = main(["grade", src, "-o", str(tmp_path / "out" / "g.####.exr"), "--exposure", "1", "--farm", "local:2"])
    err = capsys.readouterr().err
    assert code == 2
    assert 'pip install "chroma-vfx[farm]"' in err and len(err.strip().splitlines()) == 1
    assert not list((tmp_path / "out").iterdir())


def test_bad_farm_spec_is_a_user_error(tmp_path, capsys) -> None:
    src = _plates(tmp_path / "src", 2)
    (tmp_path / "out").mkdir()
    assert main(["grade", src, "-o", str(tmp_path / "out" / "g.####.exr"), "--exposure", "1", "--farm", "lokal:2"]) == 2
    assert "local:N" in capsys.readouterr().err


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("distributed")
    from chroma.farm import Farm

    with Farm("local:2") as farm:
        yield farm


def test_grade_on_a_local_cluster_is_bit_identical_to_the_local_run(tmp_path, capsys) -> None:
    pytest.importorskip("distributed")
    src = _plates(tmp_path / "src", 6)
    for d in ("local", "farm"):
        (tmp_path / d).mkdir()
    assert main(["grade", src, "-o", str(tmp_path / "local" / "g.####.exr"), *GRADE, "--jobs", "1"]) == 0
    assert main(["grade", src, "-o", str(tmp_path / "farm" / "g.####.exr"), *GRADE, "--farm", "local:2", "--chunk", "2"]) == 0
    cap = capsys.readouterr()
    assert "graded 6 of 6" in cap.out
    assert "chroma farm: 2 worker(s) at tcp://" in cap.err and "dashboard" in cap.err  # where the job runs
    names = sorted(p.name for p in (tmp_path / "farm").iterdir())
    assert names == [f"g.{f}.exr" for f in range(1001, 1007)]  # nothing else: no temporary files
    for f in range(1001, 1007):
        a, b = read(tmp_path / "local" / f"g.{f}.exr"), read(tmp_path / "farm" / f"g.{f}.exr")
        assert np.array_equal(a.pixels.view(np.uint32), b.pixels.view(np.uint32)), f"frame {f} differs"
        assert a.metadata["chroma/grade"] == b.metadata["chroma/grade"]


def test_convert_on_the_farm_runs_the_command_per_frame(tmp_path, cluster, capsys) -> None:
    src = _plates(tmp_path / "src", 4)
    for d in ("local", "farm"):
        (tmp_path / d).mkdir()
    assert main(["convert", src, "-o", str(tmp_path / "local" / "c.####.exr"), "--to", "ACES2065-1"]) == 0
    assert main(["convert", src, "-o", str(tmp_path / "farm" / "c.####.exr"), "--to", "ACES2065-1",
                 "--farm", cluster.client.scheduler.address]) == 0
    for f in range(1001, 1005):
        a, b = read(tmp_path / "local" / f"c.{f}.exr"), read(tmp_path / "farm" / f"c.{f}.exr")
        assert b.colorspace == "ACES2065-1" and np.array_equal(a.pixels, b.pixels)


def test_a_failed_frame_comes_back_as_its_exception_as_in_a_local_run(tmp_path, cluster, capsys) -> None:
    """#22 item 3: the farm runs the library function; a frame's failure is the exception it
    raised (not the last line a command printed), reported as a local run reports it."""
    import shutil

    from chroma import framerun
    from chroma.farm import FarmFrames

    src = _plates(tmp_path / "src", 4)
    (tmp_path / "src" / "p.1002.exr").write_bytes(b"not an exr")
    lines = {}
    for where, extra in (("local", []), ("farm", ["--farm", cluster.client.scheduler.address])):
        (tmp_path / where).mkdir()
        assert main(["convert", src, "-o", str(tmp_path / where / "c.####.exr"), "--to", "ACES2065-1", *extra]) == 1
        err = capsys.readouterr().err
        lines[where] = [line for line in err.splitlines() if line.startswith("  ")]
    assert len(lines["local"]) == 1 and "p.1002.exr: " in lines["local"][0]
    assert lines["farm"] == lines["local"]  # the same one line for the frame, the chroma error's own message
    assert sorted(p.name for p in (tmp_path / "farm").iterdir()) == ["c.1001.exr", "c.1003.exr", "c.1004.exr"]

    plan = [(1001, str(tmp_path / "none.1001.exr"), str(tmp_path / "copy.1001.exr"))]
    failures = framerun.run_frames(framerun.FileCall(shutil.copyfile), plan, FarmFrames(cluster, quiet=True))
    assert [key for key, _ in failures] == [plan[0][1]]
    assert failures[0][1].startswith("FileNotFoundError: ") and "none.1001.exr" in failures[0][1]


def test_a_killed_worker_still_gives_every_frame_once_and_identical(tmp_path, capsys) -> None:
    pytest.importorskip("distributed")
    from chroma.farm import Farm

    n = 40
    src = _plates(tmp_path / "src", n, 320, 240)
    for d in ("local", "farm"):
        (tmp_path / d).mkdir()
    assert main(["grade", src, "-o", str(tmp_path / "local" / "g.####.exr"), *GRADE, "--jobs", "1"]) == 0
    with Farm("local:2") as farm:
        pids = farm.client.run(os.getpid)  # worker address -> process id
        result: dict = {}

        def job() -> None:
            result["code"] = main(["grade", src, "-o", str(tmp_path / "farm" / "g.####.exr"), *GRADE,
                                   "--farm", farm.client.scheduler.address, "--chunk", "2"])

        t = threading.Thread(target=job)
        t.start()
        out = tmp_path / "farm"
        deadline = time.monotonic() + 120
        while len(list(out.glob("g.*.exr"))) < 4 and time.monotonic() < deadline:
            time.sleep(0.002)
        held = farm.client.has_what()  # the worker holding finished chunks: Dask runs them again when it dies
        victim = max(pids, key=lambda w: len(held.get(w, ())))
        before = {p.name: p.stat().st_mtime_ns for p in out.glob("g.*.exr")}
        alive_at_kill = t.is_alive()
        os.kill(pids[victim], signal.SIGKILL)
        t.join(300)
    assert alive_at_kill, "the job finished before a worker could be killed"
    assert result.get("code") == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"g.{f}.exr" for f in range(1001, 1001 + n)]  # every frame, no half-written leftovers
    for name, mtime in before.items():  # frames finished before the kill were not written again
        assert (out / name).stat().st_mtime_ns == mtime, f"{name} was written twice"
    for f in range(1001, 1001 + n):
        a, b = read(tmp_path / "local" / f"g.{f}.exr").pixels, read(out / f"g.{f}.exr").pixels
        assert np.array_equal(a, b), f"frame {f} differs"


# ------------------------------------------------------------------------------ OpenCue

SHOT = """\
max_frames = {frames}
seed = 4
animation_mode = "{mode}"

[output]
pattern = "out/{name}.####.exr"
first_frame = {first}

[render]
device = "{device}"

[animation]
zoom = "0: (1.0), {last}: (1.1)"

[prompts]
0 = ["a lighthouse:1"]
{key} = ["a storm:1"]
"""


def _shot(folder: Path, name: str, frames: int, mode: str, first: int = 1001, device: str = "cuda") -> Path:
    p = folder / f"{name}.toml"
    p.write_text(SHOT.format(frames=frames, mode=mode, name=name, first=first, last=frames - 1, device=device,
                             key=frames // 2))
    return p


def _spec(path: Path) -> dict:
    text = path.read_text()
    assert text.startswith('<?xml version="1.0"?><!DOCTYPE spec PUBLIC "SPI Cue  Specification Language"')
    root = Et.fromstring(text.split("cjsl-1.15.dtd\">", 1)[1])
    assert root.tag == "spec" and root.find("job") is not None
    layers = {}
    for lay in root.find("job/layers"):
        layers[lay.get("name")] = {"cmd": lay.findtext("cmd"), "range": lay.findtext("range"),
                                   "chunk": int(lay.findtext("chunk")), "gpus": lay.findtext("gpus"),
                                   "type": lay.get("type"), "service": lay.findtext("services/service")}
    deps = sorted((d.findtext("deplayer"), d.findtext("onlayer"), d.get("type")) for d in root.find("depends"))
    return {"job": root.find("job").get("name"), "layers": layers, "deps": deps, "order": list(layers)}


@pytest.mark.parametrize("backend", ["pyoutline", "cjsl"])
def test_opencue_export_of_an_edit(tmp_path, monkeypatch, capsys, backend) -> None:
    from chroma.farm import opencue

    if backend == "pyoutline":
        pytest.importorskip("outline")
    else:
        def no_pyoutline(*a, **k):
            raise ImportError("outline")

        monkeypatch.setattr(opencue, "_serialise_pyoutline", no_pyoutline)
    _shot(tmp_path, "sh010", 24, "2D")
    _shot(tmp_path, "sh020", 30, "None", first=2001, device="cpu")
    _shot(tmp_path, "sh030", 12, "3D")
    (tmp_path / "edit.toml").write_text(
        'output = "cut/cut.####.exr"\ncrossfade = 6\n[[shots]]\nfile = "sh010.toml"\n'
        '[[shots]]\nfile = "sh020.toml"\n[[shots]]\nfile = "sh030.toml"\ncrossfade = 4\n')
    out = tmp_path / "job.outline"
    assert main(["farm", "export", str(tmp_path / "edit.toml"), "--opencue", str(out), "--chunk", "8",
                 "--name", "edit_v001"]) == 0
    spec = _spec(out)
    L = spec["layers"]
    assert spec["job"] == "edit_v001"
    assert spec["order"] == ["shot01_sh010", "shot02_sh020", "shot03_sh030", "conform01", "conform02",
                             "crossfade01_02", "conform03", "crossfade02_03"]
    # a frame-to-frame shot is one task over its whole range (chunk = its length), resumable
    assert L["shot01_sh010"]["range"] == "1001-1024" and L["shot01_sh010"]["chunk"] == 24
    assert L["shot01_sh010"]["cmd"] == f"chroma render {tmp_path / 'sh010.toml'} --resume"
    assert L["shot01_sh010"]["gpus"] == "1"
    assert L["shot03_sh030"]["range"] == "1001-1012" and L["shot03_sh030"]["chunk"] == 12
    # independent frames: chunks of 8 with OpenCue's frame tokens; a CPU shot asks no GPU
    assert L["shot02_sh020"]["range"] == "2001-2030" and L["shot02_sh020"]["chunk"] == 8
    assert L["shot02_sh020"]["cmd"].endswith("--frames #FRAME_START#-#FRAME_END#")
    assert L["shot02_sh020"]["gpus"] is None
    assert L["crossfade01_02"]["cmd"] == f"chroma farm task {tmp_path / 'edit.toml'} --seam 1"
    assert spec["deps"] == sorted([
        ("conform01", "shot01_sh010", "LAYER_ON_LAYER"), ("conform02", "shot02_sh020", "LAYER_ON_LAYER"),
        ("conform03", "shot03_sh030", "LAYER_ON_LAYER"),
        ("crossfade01_02", "shot01_sh010", "LAYER_ON_LAYER"), ("crossfade01_02", "shot02_sh020", "LAYER_ON_LAYER"),
        ("crossfade02_03", "shot02_sh020", "LAYER_ON_LAYER"), ("crossfade02_03", "shot03_sh030", "LAYER_ON_LAYER"),
    ])


def test_opencue_command_layer_runs_on_a_node(tmp_path, capsys) -> None:
    src = _plates(tmp_path / "src", 10)
    for d in ("local", "node"):
        (tmp_path / d).mkdir()
    out = tmp_path / "grade.outline"
    assert main(["farm", "export", "--opencue", str(out), "--chunk", "4", "--", "grade", src, "-o",
                 str(tmp_path / "node" / "g.####.exr"), *GRADE, "--jobs", "8"]) == 0
    lay = _spec(out)["layers"]["grade"]
    assert lay["range"] == "1001-1010" and lay["chunk"] == 4
    assert "--farm" not in lay["cmd"] and "--jobs 1 --frames #FRAME_START#-#FRAME_END# --overwrite" in lay["cmd"]
    import shlex

    # what cuebot dispatches for the chunks 1001-1004, 1005-1008, 1009-1010 of the range
    for a, b in ((1001, 1004), (1005, 1008), (1009, 1010)):
        argv = shlex.split(lay["cmd"].replace("#FRAME_START#", str(a)).replace("#FRAME_END#", str(b)))
        assert argv[0] == "chroma" and main(argv[1:]) == 0
    assert main(["grade", src, "-o", str(tmp_path / "local" / "g.####.exr"), *GRADE, "--jobs", "1"]) == 0
    for f in range(1001, 1011):
        assert np.array_equal(read(tmp_path / "local" / f"g.{f}.exr").pixels, read(tmp_path / "node" / f"g.{f}.exr").pixels)


def test_export_refuses_a_grade_measured_on_the_first_frame(tmp_path, capsys) -> None:
    src = _plates(tmp_path / "src", 2)
    (tmp_path / "o").mkdir()
    code = main(["farm", "export", "--opencue", str(tmp_path / "x.outline"), "--", "grade", src, "-o",
                 str(tmp_path / "o" / "g.####.exr"), "--match-exposure", src.replace("####", "1001")])
    assert code == 2 and "--save-grade" in capsys.readouterr().err


# ------------------------------------------------------------------------------ split


def test_split_shot_parts_keep_the_shots_schedules_seeds_and_prompts(tmp_path) -> None:
    from chroma.farm import load_edit, split_shot
    from chroma.shot import load_shot

    path = tmp_path / "long.toml"
    path.write_text(SHOT.format(frames=50, mode="2D", name="long", first=1001, last=49, device="cpu", key=25)
                    .replace('zoom = "0: (1.0), 49: (1.1)"',
                             'zoom = "0: (1.0), 49: (1.1)"\nangle = "0: (2*sin(t/7))"\ntranslation_x = 3'))
    edit_path = split_shot(path, 20, at=[15, 30, 44], crossfade=4)
    edit = load_edit(edit_path)
    orig = load_shot(path)
    parts = [load_shot(s.path) for s in edit.shots]
    # cuts at the last boundary that fits 20 frames with a 4-frame overlap (15, then 30); the rest fits whole
    assert [p.max_frames for p in parts] == [19, 19, 20]
    assert edit.starts == [0, 15, 30] and edit.length == 50
    for part, s in zip(parts, edit.starts):
        for name, values in orig.schedules.items():
            np.testing.assert_allclose(part.schedules[name], values[s:s + part.max_frames], rtol=0, atol=1e-12,
                                       err_msg=f"{name} of the part from frame {s}")
        for k in range(part.max_frames):
            a, b = orig.frame(s + k), part.frame(k)
            assert (a.seed, a.prompts, a.file_frame) == (b.seed, b.prompts, b.file_frame)
    assert parts[1].output.pattern.endswith("long_p02.####.exr")


def test_the_edit_in_docs_farm_md_loads_as_documented(tmp_path) -> None:
    import re

    from chroma.farm import load_edit

    text = (REPO / "docs" / "farm.md").read_text()
    block = next(b for b in re.findall(r"```toml\n(.*?)```", text, flags=re.S) if "[[shots]]" in b)
    for name in ("sh010", "sh020", "sh030"):
        _shot(tmp_path, name, 30, "2D")
    (tmp_path / "edit.toml").write_text(block)
    edit = load_edit(tmp_path / "edit.toml")
    assert [s.crossfade for s in edit.shots] == [0, 8, 12]
    assert edit.starts == [0, 22, 40] and edit.length == 70  # start(i+1) = start(i) + frames(i) - crossfade(i+1)
    assert edit.seam_frames(1) == list(range(1023, 1031))
    assert edit.output == str(tmp_path / "cut" / "cut.####.exr")


def test_an_edit_with_an_unknown_blend_space_is_refused_before_any_render(tmp_path) -> None:
    from chroma.farm import FarmError, load_edit

    for name in ("sh010", "sh020"):
        _shot(tmp_path, name, 30, "2D")
    (tmp_path / "edit.toml").write_text('output = "cut/cut.####.exr"\nspace = "oklub"\n'
                                        '[[shots]]\nfile = "sh010.toml"\n[[shots]]\nfile = "sh020.toml"\n')
    with pytest.raises(FarmError, match="space 'oklub' is not one of oklab, oklch, linear, srgb"):
        load_edit(tmp_path / "edit.toml")
    (tmp_path / "edit.toml").write_text((tmp_path / "edit.toml").read_text().replace("oklub", "oklch"))
    assert load_edit(tmp_path / "edit.toml").space == "oklch"


def test_blend_crossfade_on_the_farm_equals_one_crossfade(tmp_path, cluster, capsys) -> None:
    """Chunks of a crossfade on the workers, each weighted over the whole fade (--fade-frames),
    give the frames of one local crossfade bit for bit."""
    a = _plates(tmp_path / "a", 7)
    b = _plates(tmp_path / "b", 7)
    b_dir = tmp_path / "b"
    for f in range(1001, 1008):  # a different B: the plates of A, darker
        img = read(b_dir / f"p.{f}.exr")
        write(Image(img.pixels * 0.25, img.channels, img.colorspace, {}), b_dir / f"p.{f}.exr")
    assert main(["blend", a, b, "-o", str(tmp_path / "local" / "x.####.exr"), "--curve", "smooth"]) == 0
    assert main(["blend", a, b, "-o", str(tmp_path / "farm" / "x.####.exr"), "--curve", "smooth",
                 "--farm", cluster.client.scheduler.address, "--chunk", "2"]) == 0
    assert "7 frame(s)" in capsys.readouterr().out
    for f in range(1001, 1008):
        x, y = read(tmp_path / "local" / f"x.{f}.exr"), read(tmp_path / "farm" / f"x.{f}.exr")
        assert np.array_equal(x.pixels.view(np.uint16 if x.pixels.dtype == np.float16 else np.uint32),
                              y.pixels.view(np.uint16 if y.pixels.dtype == np.float16 else np.uint32)), f
        assert x.metadata["chroma/blend/t"] == y.metadata["chroma/blend/t"]


def test_a_part_of_a_crossfade_weighs_over_the_whole_fade(tmp_path, capsys) -> None:
    """What an OpenCue node runs: --frames for its chunk, --fade-frames for the whole fade."""
    a = _plates(tmp_path / "a", 5)
    assert main(["blend", a, "#000000", "-o", str(tmp_path / "whole" / "x.####.exr"), "--frames", "1001-1005"]) == 0
    assert main(["blend", a, "#000000", "-o", str(tmp_path / "part" / "x.####.exr"), "--frames", "1003-1004",
                 "--fade-frames", "1001-1005"]) == 0
    assert sorted(p.name for p in (tmp_path / "part").glob("*.exr")) == ["x.1003.exr", "x.1004.exr"]
    for f in (1003, 1004):
        x, y = read(tmp_path / "whole" / f"x.{f}.exr"), read(tmp_path / "part" / f"x.{f}.exr")
        assert np.array_equal(x.pixels, y.pixels)
    assert main(["blend", a, "#000000", "-o", str(tmp_path / "bad" / "x.####.exr"), "--frames", "1004-1005",
                 "--fade-frames", "1001-1003"]) == 2
    assert "outside the fade" in capsys.readouterr().err


def test_opencue_blend_layer_weighs_each_chunk_over_the_whole_fade() -> None:
    from chroma.farm.opencue import command_layer

    layer = command_layer(["blend", "a.####.exr", "b.####.exr", "-o", "x.####.exr", "--farm", "local:2"],
                          range(1001, 1025), 6)
    cmd = list(layer.command)
    assert cmd[cmd.index("--fade-frames") + 1] == "1001-1024" and "--farm" not in cmd
    assert cmd[cmd.index("--frames") + 1] == "#FRAME_START#-#FRAME_END#"


def test_job_start_is_a_new_run_started_now():
    import re

    from chroma.farm.cluster import Job

    before = time.time()
    a, b = Job.start(), Job.start()
    after = time.time()
    assert re.fullmatch(r"[0-9a-f]{12}", a.id) and a.id != b.id
    assert before <= a.started <= b.started <= after


def test_chunk_tasks_one_task_per_chunk_keyed_in_order():
    from chroma.farm.cluster import chunk_tasks

    def fn(*args):
        return args

    items = list(range(10))
    tasks = chunk_tasks("grade", fn, items, lambda c: ("x", c), 4, workers=8, gpu=True)
    assert [t.key for t in tasks] == ["grade-0", "grade-1", "grade-2"]
    assert [t.args for t in tasks] == [("x", [0, 1, 2, 3]), ("x", [4, 5, 6, 7]), ("x", [8, 9])]
    assert [t.frames for t in tasks] == [4, 4, 2] and all(t.gpu and t.fn is fn and not t.after for t in tasks)
    # no chunk: about four per worker, ceil(10 / (4 * 2)) = 2 items each
    default = chunk_tasks("f", fn, items, lambda c: (c,), None, workers=2)
    assert [t.args[0] for t in default] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]] and not default[0].gpu
