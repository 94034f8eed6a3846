"""Shot validation and ``chroma shot check``/``import`` (issue #21): what cannot render is refused
before any model loads, in one line with exit 2; what renders (any Disco Diffusion seed) passes;
the summary is short, torch is never imported, and the plot counts shot frames."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from chroma.cli import main
from chroma.shot import ShotError, frame_memory, parse_shot

SHOT = """\
max_frames = {max_frames}
seed = {seed}
animation_mode = "{mode}"

[output]
pattern = "out/sh010.####.exr"

[render]
steps = 10
skip_steps = 0
width_height = {size}

[animation]
{animation}

[prompts]
0 = ["a city at dusk:2"]
"""


def shot_text(max_frames: int = 4, seed: int = 3, mode: str = "2D", size: str = "[64, 64]", animation: str = "") -> str:
    return SHOT.format(max_frames=max_frames, seed=seed, mode=mode, size=size, animation=animation)


def one_line_error(args: list[str], capsys) -> str:
    code = main(args)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


# -- item 1: seeds -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [2934575631, 2**31 - 1, 2**32, 2**63 + 5, 2**64 - 4530])
def test_any_disco_seed_validates_and_its_frame_seeds_seed_the_renderer(seed: int, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    shot = parse_shot(shot_text(max_frames=4530, seed=seed, animation='zoom = "0: (1), 10: (1 + s * 0)"'),
                      tmp_path / "s.toml", renderer_check=False)
    assert shot.frame_seed(4529) == seed + 4529
    np.testing.assert_allclose(shot.schedules["zoom"], 1.0)  # Deforum math with s beyond int64 evaluates
    for i in (0, 4529):  # the renderer seeds torch.Generator with every frame's seed
        assert torch.Generator().manual_seed(shot.frame_seed(i)).initial_seed() == shot.frame_seed(i)


def test_a_seed_whose_last_frame_the_renderer_cannot_take_is_refused_up_front(tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.toml"
    path.write_text(shot_text(max_frames=4530, seed=2**64 - 4529))
    err = one_line_error(["shot", "check", str(path)], capsys)
    assert f"{path}:2: seed: frame 4529 would render with seed {2**64}" in err
    assert f"use a seed from 0 to {2**64 - 4530}" in err


# -- item 7: max_frames --------------------------------------------------------------------


def test_an_absurd_max_frames_is_refused_in_one_line_without_allocating(tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.toml"
    path.write_text(shot_text(max_frames=1_000_000_000))
    err = one_line_error(["shot", "check", str(path)], capsys)
    assert "max_frames: 1000000000 frames is more than a shot may have (1,000,000" in err
    settings = tmp_path / "dd.txt"
    settings.write_text(json.dumps({"text_prompts": {"0": ["a city:1"]}, "max_frames": 1e9}))
    err = one_line_error(["shot", "import", str(settings), "-o", str(tmp_path / "dd.toml")], capsys)
    assert "max_frames 1000000000.0 is more than a shot may have" in err
    assert not (tmp_path / "dd.toml").exists()


@pytest.mark.slow
def test_shot_check_at_the_frame_limit_is_quick_and_small(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(shot_text(max_frames=1_000_000, animation='zoom = "0: (1), 500000: (1.05)"'))
    # the peak resident memory of the command's own process: Linux's VmHWM (reset by exec); ru_maxrss
    # is not, so it reports the forking pytest process's size when that is larger
    code = ("import re, resource, sys, time; from chroma.cli import main; t = time.perf_counter(); "
            f"rc = main(['shot', 'check', {str(path)!r}]); "
            "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()) if sys.platform == 'linux' else None; "
            "kib = int(hwm.group(1)) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
            "print(time.perf_counter() - t, kib, file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    seconds, kib = run.stderr.split()[-2:]
    assert float(seconds) < 20 and int(kib) < 1_500_000


# -- item 8: frame size ----------------------------------------------------------------------


def test_a_frame_that_no_gpu_holds_is_refused_before_models_load(tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.toml"
    path.write_text(shot_text(size="[100000, 100000]"))
    err = one_line_error(["shot", "check", str(path)], capsys)
    assert "render.width_height: 99968x99968 needs at least" in err and "GB of device memory" in err
    # the bound: the 512 model's finest level keeps 3 maps of 128 channels and attends over (w*h/16**2) tokens
    w = h = 1280
    assert frame_memory(w, h) == 2 * (3 * 128 * w * h + (w * h / 256) ** 2)


def test_a_size_the_renderer_rounds_is_noted(tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.toml"
    path.write_text(shot_text(size="[1000, 700]"))
    assert main(["shot", "check", str(path)]) == 0
    err = capsys.readouterr().err
    assert "width_height 1000x700 is not a multiple of 64: renders at 1024x704" in err
    assert "Disco Diffusion rounds down, to 960x640" in err


def test_rendered_size_equals_the_renderers_rounding() -> None:
    renderer = pytest.importorskip("render.renderer")
    from chroma.shot import rendered_size

    for w, h in [(1000, 700), (1280, 768), (1, 1), (95, 97), (96, 160), (100000, 3)]:
        assert rendered_size(w, h) == renderer.round_size(w, h)


def test_render_setting_types_equal_the_dataclass() -> None:
    import dataclasses

    renderer = pytest.importorskip("render.renderer")
    from chroma.shot import render_setting_types

    assert render_setting_types() == {f.name: f.type for f in dataclasses.fields(renderer.RenderSettings)}


# -- item 9: plate and depth frames ------------------------------------------------------


@pytest.mark.parametrize(("mode", "key"), [("Video", "video_init_path"), ("3D", "depth")])
def test_a_missing_plate_or_depth_frame_is_named_by_shot_check(mode: str, key: str, tmp_path: Path, capsys) -> None:
    (tmp_path / "plate").mkdir()
    for f in (1001, 1002, 1004):
        (tmp_path / "plate" / f"plate.{f}.exr").write_bytes(b"")
    path = tmp_path / "s.toml"
    # (empty files: without the flow warp nothing reads the plate's headers before rendering)
    path.write_text(shot_text(mode=mode, animation=f'{key} = "plate/plate.####.exr"\nvideo_init_flow_warp = false'))
    err = one_line_error(["shot", "check", str(path)], capsys)
    assert f"animation.{key}: frame 1003 (shot frame 2) is missing: {tmp_path}/plate/plate.1003.exr (1 of 4" in err
    shot = parse_shot(path.read_text(), path, renderer_check=False)
    shot.check_inputs([0, 1, 3])  # the frames a partial render reads are there
    with pytest.raises(ShotError, match="frame 1003"):
        shot.check_inputs([2])


def test_render_dry_run_names_a_missing_plate_frame_before_models_load(tmp_path: Path, capsys) -> None:
    """``chroma render --dry-run`` checks the plates of the frames it would render (a partial range only those)."""
    pytest.importorskip("torch")
    from chroma.cli import main

    (tmp_path / "plate").mkdir()
    for f in (1001, 1002, 1004):
        (tmp_path / "plate" / f"plate.{f}.exr").write_bytes(b"")
    path = tmp_path / "s.toml"
    path.write_text(shot_text(mode="Video", animation='video_init_path = "plate/plate.####.exr"\n'
                              "video_init_flow_warp = false"))
    assert main(["render", str(path), "--dry-run"]) == 2
    assert "frame 1003 (shot frame 2) is missing" in capsys.readouterr().err
    assert main(["render", str(path), "--frames", "1001-1002", "--dry-run"]) == 0
    assert "would render frames 1001-1002" in capsys.readouterr().out


# -- item 11: types -------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "words"), [('steps = "ten"', "render.steps: wants an integer (a whole number), got 'ten'"),
                                             ("eta = true", "render.eta: wants a number, got True"),
                                             ("clip_denoised = 1", "render.clip_denoised: wants true or false"),
                                             ('width_height = "64x64"', "render.width_height: wants two integers"),
                                             ("diffusion_model = 512", "render.diffusion_model: wants a string")])
def test_a_render_setting_of_the_wrong_type_says_what_the_key_wants(line: str, words: str, tmp_path: Path,
                                                                    capsys) -> None:
    key = line.split(" =")[0]
    text = shot_text().replace("steps = 10\n", "").replace("width_height = [64, 64]\n", "") + ""
    text = text.replace("[render]\n", f"[render]\n{line}\n" + ("steps = 10\n" if key != "steps" else "")
                        + ("width_height = [64, 64]\n" if key != "width_height" else ""))
    path = tmp_path / "s.toml"
    path.write_text(text)
    assert words in one_line_error(["shot", "check", str(path)], capsys)
    assert words in one_line_error(["render", str(path), "--dry-run"], capsys)


def test_dd_settings_of_the_wrong_type_are_one_line(tmp_path: Path, capsys) -> None:
    settings = tmp_path / "dd.txt"
    settings.write_text(json.dumps({"text_prompts": {"0": ["a city:1"]}, "width": "abc", "height": 64, "steps": None}))
    err = one_line_error(["shot", "import", str(settings), "-o", str(tmp_path / "dd.toml")], capsys)
    assert "width and height: wants two integers [width, height], got ['abc', 64]" in err


@pytest.mark.parametrize("null", ["interp_spline", "steps", "height", "zoom", "clip_models"])
def test_dd_nulls_become_defaults_with_a_note_never_a_traceback(null: str, tmp_path: Path, capsys) -> None:
    settings = tmp_path / "dd.txt"
    data = {"text_prompts": {"0": ["a city:1"]}, "max_frames": 3, "width": 64, "height": 64}
    data[null] = None
    settings.write_text(json.dumps(data))
    assert main(["shot", "import", str(settings), "-o", str(tmp_path / "dd.toml")]) == 0
    err = capsys.readouterr().err
    assert f"{'width or height' if null == 'height' else null} is null in the settings" in err


def test_dump_shot_names_a_null_instead_of_a_toml_traceback() -> None:
    from chroma.errors import ChromaValueError
    from chroma.shot import dump_shot

    with pytest.raises(ChromaValueError, match=r"render\.steps is null"):
        dump_shot({"max_frames": 3, "render": {"steps": None}})


def test_a_dd_batch_name_never_leaves_the_output_folder_and_the_notes_say_so(tmp_path: Path, capsys) -> None:
    settings = tmp_path / "dd.txt"
    settings.write_text(json.dumps({"text_prompts": {"0": ["a city:1"]}, "batch_name": "../../x", "steps": None,
                                    "width": 1000, "height": 700, "max_frames": 3}))
    out = tmp_path / "dd.toml"
    assert main(["shot", "import", str(settings), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert 'pattern = "out/x.####.exr"' in out.read_text()
    assert "batch_name '../../x' is not a plain file name; the output is named 'x'" in err
    assert "batch_name" not in "".join(line for line in err.splitlines() if "not imported" in line)
    assert "steps is null in the settings" in err
    # Disco Diffusion renders side_x = (width // 64) * 64 (disco.py); the imported shot renders that size
    assert "width_height = [960, 640]" in out.read_text() and "Disco Diffusion rendered 960x640" in err


# -- item 3: never the input ----------------------------------------------------------------


def test_shot_import_refuses_to_replace_its_own_settings_file(tmp_path: Path, capsys, monkeypatch) -> None:
    settings = tmp_path / "dd.txt"
    before = json.dumps({"text_prompts": {"0": ["a city:1"]}})
    settings.write_text(before)
    monkeypatch.chdir(tmp_path)
    for target in ("dd.txt", f"../{tmp_path.name}/dd.txt"):
        err = one_line_error(["shot", "import", "dd.txt", "-o", target, "--overwrite"], capsys)
        assert "would replace an input" in err
    assert settings.read_text() == before


# -- item 12: keys that do nothing in the mode ---------------------------------------------


@pytest.mark.parametrize(("mode", "animation", "idle"), [
    ("3D", 'zoom = "0: (1), 2: (1.05)"\nangle = 1\ntranslation_z = 10', "angle, zoom do nothing in a 3D shot"),
    ("2D", "translation_z = 10\nrotation_3d_y = 0.5\nzoom = 1.02", "translation_z, rotation_3d_y do nothing in a 2D shot"),
])
def test_shot_check_and_import_name_the_keys_that_do_nothing_in_the_mode(mode: str, animation: str, idle: str,
                                                                         tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.toml"
    path.write_text(shot_text(mode=mode, animation=animation))
    assert main(["shot", "check", str(path)]) == 0
    assert idle in capsys.readouterr().err
    settings = tmp_path / "dd.txt"
    data = {"text_prompts": {"0": ["a city:1"]}, "max_frames": 4}
    data.update({line.split(" = ")[0]: json.loads(line.split(" = ")[1]) for line in animation.splitlines()})
    settings.write_text(json.dumps(data))
    assert main(["shot", "import", str(settings), "-o", str(tmp_path / "dd.toml"), "--mode", mode]) == 0
    assert idle in capsys.readouterr().err


def test_default_values_of_idle_keys_are_not_noted(tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.toml"
    path.write_text(shot_text(mode="2D", animation="translation_z = 0\nfov = 40"))
    assert main(["shot", "check", str(path)]) == 0
    assert "nothing" not in capsys.readouterr().err


# -- item 18: a summary, fast, no torch ----------------------------------------------------


def test_shot_check_summarises_a_long_shot_and_tables_on_request(tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.toml"
    path.write_text(shot_text(max_frames=4530, mode="3D", animation='translation_z = "0: (10), 1380: (2), 4529: (0)"\n'
                              'rotation_3d_y = "0: (0), 1500: (0.3)"\nzoom = 1.01'))
    assert main(["shot", "check", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) < 23  # the [animation] line wraps once more with the video flow keys (#23); the motion vectors line (#24)
    text = "\n".join(out)
    assert "translation_z  0 .. 10, frames 0-4529" in text
    assert "rotation_3d_y  0 .. 0.3, frames 0-1500" in text
    assert "zoom 1.01" in text and "camera keys that act in 3D: translation_x" in text
    assert main(["shot", "check", str(path), "--table"]) == 0
    assert len(capsys.readouterr().out.splitlines()) > 4530


def test_shot_check_never_imports_torch(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(shot_text(animation='zoom = "0: (1), 2: (1.05)"'))
    dd = tmp_path / "TimeToDisco(0)_settings.txt"
    dd.write_text(json.dumps({"text_prompts": {"0": ["a lighthouse"]}, "steps": 50, "width_height": [256, 256],
                              "animation_mode": "2D", "max_frames": 20, "zoom": "0: (1.02)", "seed": 2934575631}))
    for args in (["shot", "check", str(path)], ["shot", "check", str(path), "--table"],
                 ["shot", "import", str(dd), "-o", str(tmp_path / "dd.toml")]):
        code = (f"import sys; from chroma.cli import main; rc = main({args!r}); "
                "print('TORCH' if 'torch' in sys.modules else 'NOTORCH'); sys.exit(rc)")
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        took = time.perf_counter() - start
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip().splitlines()[-1] == "NOTORCH", args
        assert took < 10, took  # about 0.5 s here; torch alone takes 2-6 s


# -- item 22: the plot ---------------------------------------------------------------------


def test_the_schedule_plot_counts_shot_frames_with_file_frames_on_top(tmp_path: Path) -> None:
    plt = pytest.importorskip("matplotlib.pyplot")
    from chroma.cli.shot import schedule_figure

    shot = parse_shot(shot_text(max_frames=30, animation='zoom = "0: (1), 12: (1.05)"'), tmp_path / "s.toml",
                      renderer_check=False)
    fig = schedule_figure(shot, plt)
    ax = fig.axes[0]
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), np.arange(30))  # shot frame indices, not 1001...
    keys = ax.get_lines()[1]
    np.testing.assert_array_equal(keys.get_xdata(), [0, 12])
    assert "shot frame" in fig.axes[0].get_xlabel() or "shot frame" in ax.get_xlabel()
    top = [c for c in ax.get_children() if type(c).__name__ == "SecondaryAxis"]
    assert top and "file frame" in top[0].get_xlabel()
    assert top[0]._functions[0](0) == 1001
    assert ax.get_ylabel() == "zoom"
    assert {t.get_text() for t in ax.texts} >= {"0", "12", "prompts 0"}
    plt.close(fig)


# -- item 15: settings_hash is a sha256, as docs/shots.md says ----------------------------


def test_settings_hash_is_a_full_sha256_that_follows_the_settings(tmp_path: Path) -> None:
    import re

    shot = parse_shot(shot_text(animation='zoom = "0: (1), 2: (1.05)"'), tmp_path / "s.toml", renderer_check=False)
    hashes = [shot.settings_hash(i) for i in range(4)]
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)
    assert len(set(hashes)) == 4  # seed and zoom change every frame
    docs = (Path(__file__).resolve().parents[1] / "docs" / "shots.md").read_text()
    assert "`settings_hash` (the sha256, 64 hex digits," in docs


# -- item 23: the display -> ACEScg table in docs/shots.md -----------------------------------


def test_the_docs_display_to_acescg_table_is_what_ocio_computes() -> None:
    """Each row of the table, recomputed with OCIO: grey through the inverse of the bundled config's
    default display and view (and Un-tone-mapped) into ACEScg, to the digits the table gives."""
    ocio = pytest.importorskip("PyOpenColorIO")
    root = Path(__file__).resolve().parents[1]
    cfg = ocio.Config.CreateFromFile(str(root / "ocio_configs" / "chroma" / "config.ocio"))
    display = cfg.getDefaultDisplay()
    docs = (root / "docs" / "shots.md").read_text()
    default = cfg.getDefaultView(display)
    assert f"ACEScg, default view `{default}`" in docs
    rows = [line.strip("| ").split(" | ") for line in docs.split("### Display values")[1].split("### Limits")[0].splitlines()
            if line.startswith("| 0") or line.startswith("| 1")]
    assert len(rows) == 8
    for view, column in ((default, 1), ("Un-tone-mapped", 2)):
        cpu = cfg.getProcessor(ocio.DisplayViewTransform(src="ACEScg", display=display, view=view,
                                                         direction=ocio.TRANSFORM_DIR_INVERSE)).getDefaultCPUProcessor()
        grey = np.array([[float(r[0])] * 3 + [1.0] for r in rows], np.float32)
        cpu.applyRGBA(grey)
        for row, value in zip(rows, grey[:, 0]):
            written = row[column].strip()
            digits = len(written.replace(".", "").lstrip("0")) or 1
            assert float(f"{value:.{digits}g}") == pytest.approx(float(written), abs=1e-12), (view, row, value)


def test_shot_check_says_symmetry_does_nothing_under_plms(tmp_path: Path, capsys) -> None:
    """DD passes its symmetry transformation to DDIM's loop alone: under PLMS the shot says so (#23 item 6)."""
    path = tmp_path / "s.toml"
    path.write_text(shot_text(animation="use_horizontal_symmetry = true").replace(
        "steps = 10", 'steps = 10\ndiffusion_sampling_mode = "plms"'))
    assert main(["shot", "check", str(path)]) == 0
    out = capsys.readouterr()
    assert "use_horizontal_symmetry does nothing under diffusion_sampling_mode 'plms'" in out.out + out.err
    path.write_text(shot_text(animation="use_horizontal_symmetry = true"))  # under DDIM: no note
    assert main(["shot", "check", str(path)]) == 0
    out = capsys.readouterr()
    assert "do nothing under" not in (out.out + out.err) and "does nothing under" not in (out.out + out.err)


# -- issue #23: a flow-warped Video shot's plate and flow model ---------------------------


def _exr_plate(folder: Path, frames, size=(64, 64), odd: dict | None = None) -> None:
    from chroma import Image, write

    folder.mkdir(exist_ok=True)
    for f in frames:
        w, h = (odd or {}).get(f, size)
        write(Image(np.full((h, w, 3), 0.18, np.float32), ["R", "G", "B"], "ACEScg", {}), folder / f"plate.{f}.exr")


def test_a_flow_warp_plate_shorter_than_the_shot_is_one_line_before_models_load(tmp_path: Path, capsys) -> None:
    _exr_plate(tmp_path / "plate", range(1001, 1004))
    path = tmp_path / "s.toml"
    path.write_text(shot_text(mode="Video", animation='video_init_path = "plate/plate.####.exr"\nflow_model = "dis"'))
    err = one_line_error(["shot", "check", str(path)], capsys)
    assert ("animation.video_init_path: the plate has 3 frames (1001-1003), fewer than the shot's 4 (1001-1004)"
            in err and "set max_frames = 3" in err)
    assert "fewer than the shot's 4" in one_line_error(["render", str(path), "--dry-run"], capsys)
    # without the flow warp the frames a partial render reads are enough, as before
    path.write_text(shot_text(mode="Video", animation='video_init_path = "plate/plate.####.exr"\n'
                              "video_init_flow_warp = false"))
    parse_shot(path.read_text(), path, renderer_check=False).check_inputs([0, 1, 2])


def test_a_flow_warp_frame_reads_the_plate_frame_before_it(tmp_path: Path) -> None:
    _exr_plate(tmp_path / "plate", (1001, 1002, 1004))
    path = tmp_path / "s.toml"
    path.write_text(shot_text(mode="Video", animation='video_init_path = "plate/plate.####.exr"\nflow_model = "dis"'))
    shot = parse_shot(path.read_text(), path, renderer_check=False)
    with pytest.raises(ShotError, match=r"frame 1003 \(shot frame 2\) is missing"):
        shot.check_inputs([3])  # the flow of frame 3 reads plate frame 2


def test_a_plate_frame_of_another_size_is_one_line(tmp_path: Path, capsys) -> None:
    _exr_plate(tmp_path / "plate", range(1001, 1005), odd={1003: (48, 64)})
    path = tmp_path / "s.toml"
    path.write_text(shot_text(mode="Video", animation='video_init_path = "plate/plate.####.exr"\nflow_model = "dis"'))
    err = one_line_error(["shot", "check", str(path)], capsys)
    assert "plate frame 1003 (shot frame 2) is 48x64, the plate's first frame 1001 is 64x64" in err


def test_raft_without_its_weights_is_one_line_and_auto_says_it_uses_dis(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_MODELS", str(tmp_path / "empty-cache"))
    _exr_plate(tmp_path / "plate", range(1001, 1005))
    path = tmp_path / "s.toml"
    path.write_text(shot_text(mode="Video", animation='video_init_path = "plate/plate.####.exr"\nflow_model = "raft"'))
    err = one_line_error(["shot", "check", str(path)], capsys)
    assert "animation.flow_model: checkpoint raft_large_C_T_V1" in err and "chroma models fetch raft_large_C_T_V1" in err
    assert "chroma models fetch" in one_line_error(["render", str(path), "--dry-run"], capsys)
    path.write_text(shot_text(mode="Video", animation='video_init_path = "plate/plate.####.exr"'))
    assert main(["shot", "check", str(path)]) == 0
    assert "so OpenCV's DIS estimates the flow" in capsys.readouterr().err


def test_frame_memory_reads_a_custom_models_config_written_with_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """``chroma models import --config`` accepts ``channel_mult = [1, 2, 2]``: the estimate reads it as the string."""
    from render.models import registry

    configs = {"as-lists": {"image_size": 64, "num_channels": 32, "channel_mult": [1, 2, 2], "attention_resolutions": [16]},
               "as-text": {"image_size": 64, "num_channels": 32, "channel_mult": "1,2,2", "attention_resolutions": "16"}}
    monkeypatch.setattr(registry, "get_info", lambda name: registry.ModelInfo(
        name, "unet", f"{name}.pt", (), None, configs[name], None, "", True))
    assert frame_memory(256, 256, "as-lists") == frame_memory(256, 256, "as-text") > 0


def test_raft_on_frames_smaller_than_it_takes_is_refused_and_auto_takes_dis(tmp_path: Path, capsys, monkeypatch) -> None:
    """RAFT needs 128 px a side: with its weights cached, a 64x64 flow-warped shot is one line for "raft", DIS for "auto"."""
    from render.models import store

    monkeypatch.setattr(store, "model_path", lambda name: tmp_path / f"{name}.pth")  # the weights are "cached"
    _exr_plate(tmp_path / "plate", range(1001, 1005))
    path = tmp_path / "s.toml"
    path.write_text(shot_text(mode="Video", animation='video_init_path = "plate/plate.####.exr"\nflow_model = "raft"'))
    err = one_line_error(["shot", "check", str(path)], capsys)
    assert "animation.flow_model: RAFT needs frames of at least 128x128 pixels and the flow is estimated at 64x64" in err
    path.write_text(shot_text(mode="Video", animation='video_init_path = "plate/plate.####.exr"'))
    assert main(["shot", "check", str(path)]) == 0
    assert "64x64 frames are under RAFT's 128 pixels, so OpenCV's DIS estimates the flow" in capsys.readouterr().err
    path.write_text(shot_text(mode="Video", size="[128, 128]", animation='video_init_path = "plate/plate.####.exr"'))
    shot = parse_shot(path.read_text(), path, renderer_check=False)
    assert not [n for n in shot.notes if "DIS" in n]  # 128 px: RAFT runs, no note


@pytest.mark.parametrize("value", ['"yes"', "1", "0.5"])
def test_motion_vectors_takes_true_or_false_only(value: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.toml"
    path.write_text(shot_text().replace("[output]\n", f"[output]\nmotion_vectors = {value}\n"))
    err = one_line_error(["shot", "check", str(path)], capsys)
    assert "output.motion_vectors: must be true or false" in err and "s.toml:" in err
