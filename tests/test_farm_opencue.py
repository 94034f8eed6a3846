"""The OpenCue job a render node runs: the environment it needs (CHROMA_MODELS, OCIO,
--env; only what is set), the GPU memory sized from each shot's render settings, the
job's user (--user, default the current user) -- with pyoutline and without, checked
against the CJSL 1.15 DTD's element order and cuebot's reading of gpu_memory."""

from __future__ import annotations

import getpass
import os
import re
import xml.etree.ElementTree as Et
from pathlib import Path

import pytest

from chroma.cli import main

SHOT = """\
max_frames = 12
seed = 4
animation_mode = "{mode}"

[output]
pattern = "out/{name}.####.exr"

[render]
device = "{device}"
width_height = [{w}, {h}]

[prompts]
0 = ["a lighthouse:1"]
"""

#: Children of <layer> in the order cjsl-1.15.dtd gives them (cmd, range, chunk, cores?,
#: threadable?, memory?, gpus?, gpu?, gpu_memory?, timeout?, timeout_llu?, tags?, limits?,
#: env*, services?, outputs*).
LAYER_ORDER = ["cmd", "range", "chunk", "cores", "threadable", "memory", "gpus", "gpu", "gpu_memory", "timeout",
               "timeout_llu", "tags", "limits", "env", "services", "outputs"]
#: Children of <spec> and <job> in the DTD's order.
SPEC_ORDER = ["facility", "dept", "show", "shot", "user", "email", "uid", "job", "depends"]
JOB_ORDER = ["paused", "priority", "maxretries", "maxcores", "maxgpus", "autoeat", "localbook", "os", "env", "layers"]


def _in_dtd_order(children: list[str], order: list[str]) -> bool:
    positions = [order.index(c) for c in children]
    return positions == sorted(positions)


def _parse(path: Path) -> Et.Element:
    text = path.read_text()
    assert text.startswith('<?xml version="1.0"?><!DOCTYPE spec PUBLIC "SPI Cue  Specification Language"')
    root = Et.fromstring(text.split('cjsl-1.15.dtd">', 1)[1])
    assert _in_dtd_order([c.tag for c in root], SPEC_ORDER)
    assert _in_dtd_order([c.tag for c in root.find("job")], JOB_ORDER)
    for layer in root.iter("layer"):
        assert _in_dtd_order([c.tag for c in layer], LAYER_ORDER), [c.tag for c in layer]
    return root


def _gib(text: str) -> int:
    """gpu_memory as cuebot reads it (JobSpec.convertMemoryInput): digits before 'g' are GiB."""
    m = re.fullmatch(r"(\d+)g", text)
    assert m, f"cuebot reads {text!r} as a whole number of gigabytes only with an integer before 'g'"
    return int(m.group(1))


@pytest.fixture(params=["pyoutline", "cjsl"])
def backend(request, monkeypatch):
    from chroma.farm import opencue

    if request.param == "pyoutline":
        pytest.importorskip("outline")
    else:
        def no_pyoutline(*a, **k):
            raise ImportError("outline")

        monkeypatch.setattr(opencue, "_serialise_pyoutline", no_pyoutline)
    return request.param


def _shots(folder: Path) -> Path:
    for name, mode, device, w, h in (("big", "2D", "cuda", 1280, 768), ("small", "None", "cuda", 512, 512),
                                     ("cpu", "2D", "cpu", 1280, 768)):
        (folder / f"{name}.toml").write_text(SHOT.format(name=name, mode=mode, device=device, w=w, h=h))
    edit = folder / "edit.toml"
    edit.write_text('output = "cut/cut.####.exr"\n[[shots]]\nfile = "big.toml"\n[[shots]]\nfile = "small.toml"\n'
                    '[[shots]]\nfile = "cpu.toml"\n')
    return edit


def test_the_job_carries_the_environment_a_render_node_reads(tmp_path, monkeypatch, capsys, backend) -> None:
    edit = _shots(tmp_path)
    from chroma import ocio

    (tmp_path / "models").mkdir()
    monkeypatch.delenv("OCIO", raising=False)
    (tmp_path / "studio.ocio").write_bytes(Path(ocio.config_path(None)).read_bytes())  # chroma's own config
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHROMA_MODELS", "models")  # relative here: a node does not start in this folder
    monkeypatch.setenv("OCIO", "studio.ocio")
    out = tmp_path / "job.outline"
    assert main(["farm", "export", str(edit), "--opencue", str(out), "--user", "alice",
                 "--env", "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True"]) == 0
    env = {k.get("name"): k.text for k in _parse(out).find("job/env")}
    assert env == {"CHROMA_MODELS": str(tmp_path / "models"), "OCIO": str(tmp_path / "studio.ocio"),
                   "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True"}
    monkeypatch.delenv("CHROMA_MODELS")
    monkeypatch.setenv("OCIO", "ocio://studio-config-latest")  # a built-in config stays as it is
    assert main(["farm", "export", str(edit), "--opencue", str(out), "--user", "alice", "--overwrite"]) == 0
    env = {k.get("name"): k.text for k in _parse(out).find("job/env")}
    assert env == {"OCIO": "ocio://studio-config-latest"}  # only what is set


def test_gpu_memory_is_sized_from_each_shots_render_settings(tmp_path, capsys, backend) -> None:
    from chroma.farm import estimate_gpu_memory
    from chroma.shot import load_shot

    edit = _shots(tmp_path)
    out = tmp_path / "job.outline"
    assert main(["farm", "export", str(edit), "--opencue", str(out), "--user", "alice"]) == 0
    layers = {lay.get("name"): lay for lay in _parse(out).iter("layer")}
    big, small = (_gib(layers[n].findtext("gpu_memory")) for n in ("shot01_big", "shot02_small"))
    assert small < big and big > 1  # not a flat 1g: 1280x768 needs more than 512x512
    for name, file in (("shot01_big", "big.toml"), ("shot02_small", "small.toml")):
        shot = load_shot(tmp_path / file)
        assert layers[name].findtext("gpu_memory") == estimate_gpu_memory(shot.render, shot.animation_mode).opencue
        assert layers[name].findtext("gpus") == "1"
    for name in ("shot03_cpu", "conform01", "crossfade01_02"):  # CPU layers ask for no GPU
        assert layers[name].find("gpus") is None and layers[name].find("gpu_memory") is None


def test_the_job_user_defaults_to_the_current_user(tmp_path, capsys, backend) -> None:
    edit = _shots(tmp_path)
    out = tmp_path / "job.outline"
    assert main(["farm", "export", str(edit), "--opencue", str(out)]) == 0
    root = _parse(out)
    assert root.findtext("user") == getpass.getuser()
    err = capsys.readouterr().err
    if getpass.getuser() == "root" or os.getuid() == 0:  # cuebot refuses such a job: say so
        assert "cuebot refuses jobs launched as root" in err and "--user" in err
    assert main(["farm", "export", str(edit), "--opencue", str(out), "--user", "nobody_here_x1", "--overwrite"]) == 0
    root = _parse(out)
    assert root.findtext("user") == "nobody_here_x1" and root.find("uid") is None  # no such user here: no uid


def test_weights_counted_are_the_published_parameter_counts() -> None:
    """Disco Diffusion's default models: the registry's parameter counts (the published
    checkpoints' layouts) and open_clip's (docs/model_profile.csv: ViT-B-32 151.28 M,
    ViT-B-16 149.62 M, RN50 102.01 M), four bytes each."""
    from chroma.farm import estimate_gpu_memory

    params = 557_973_638 + 13_841_547 + 138_357_544 + (151.28 + 149.62 + 102.01) * 1e6
    assert estimate_gpu_memory({}).parts["weights"] == pytest.approx(4 * params, abs=4)
    no_lpips = estimate_gpu_memory({"init_loss": "mse", "use_secondary_model": False})
    assert no_lpips.parts["weights"] == pytest.approx(4 * (params - 13_841_547 - 138_357_544), abs=4)


def test_the_estimate_grows_with_the_frame_and_the_cutouts() -> None:
    from chroma.farm import estimate_gpu_memory

    base = estimate_gpu_memory({"width_height": [640, 384]})
    assert estimate_gpu_memory({"width_height": [1280, 768]}).bytes > base.bytes
    assert estimate_gpu_memory({"width_height": [640, 384], "cutn_batches": 8}).bytes > base.bytes
    assert estimate_gpu_memory({"width_height": [640, 384], "use_secondary_model": False}).bytes > base.bytes
    # Disco Diffusion rounds sizes down to multiples of 64: 700x400 renders 640x384
    assert estimate_gpu_memory({"width_height": [700, 400]}).bytes == base.bytes
    assert estimate_gpu_memory({"clip_models": ["ViT-X-99::nowhere"]}).notes  # a stand-in is said
    one = estimate_gpu_memory({"clip_models": ["ViT-B-32::openai"]})
    assert estimate_gpu_memory({"clip_models": "ViT-B-32::openai"}).bytes == one.bytes  # one model, not its letters
    # a 3D shot also loads its depth model: dpt_large's 343,030,465 parameters (registry), 4 bytes each
    assert estimate_gpu_memory({}, "3D").parts["weights"] - estimate_gpu_memory({}).parts["weights"] == 4 * 343_030_465


def test_layer_names_are_names_cuebot_takes(tmp_path, capsys) -> None:
    """JobSpec.conformLayerName: 3 or more of [A-Za-z0-9_.] (dashes become underscores)."""
    shot = tmp_path / "sh 010 (v2).toml"
    shot.write_text(SHOT.format(name="sh010", mode="2D", device="cpu", w=512, h=512))
    out = tmp_path / "job.outline"
    assert main(["farm", "export", str(shot), "--opencue", str(out), "--user", "alice"]) == 0
    (layer,) = _parse(out).iter("layer")
    assert re.fullmatch(r"[\w.]{3,}", layer.get("name"), flags=re.ASCII), layer.get("name")
