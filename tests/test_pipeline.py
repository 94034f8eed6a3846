import sys

import numpy as np
import pytest

from chroma import ocio
from chroma.errors import ChromaValueError
from chroma.pipeline import frame_to_scene_linear


def test_frame_round_trips_through_the_view(rng):
    frame = rng.uniform(-0.9, 0.9, (3, 8, 8)).astype(np.float32)  # CHW like the renderer
    img = frame_to_scene_linear(frame, metadata={"prompt": "a lighthouse"})
    assert img.colorspace == "ACEScg" and img.rgb.shape == (8, 8, 3)
    assert img.metadata["chroma/prompt"] == "a lighthouse"
    shown = ocio.display_view(img.rgb, "ACEScg")  # viewed through the same view
    np.testing.assert_allclose(shown, (np.transpose(frame, (1, 2, 0)) + 1) / 2, atol=2e-3)


def test_untonemapped_view_is_the_srgb_eotf():
    # mid code value 0.5 -> linear 0.2140 (IEC 61966-2-1), then Rec.709 -> AP1 (neutral stays neutral)
    frame = np.zeros((1, 1, 3), np.float32)
    img = frame_to_scene_linear(frame, view="Un-tone-mapped")
    np.testing.assert_allclose(img.rgb[0, 0], [((0.5 + 0.055) / 1.055) ** 2.4] * 3, rtol=1e-4)


def test_bad_shapes():
    with pytest.raises(ChromaValueError):
        frame_to_scene_linear(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ChromaValueError):
        frame_to_scene_linear(np.zeros((4, 4, 2)))


def test_shot_runner_from_file_validates_and_applies_render_overrides(tmp_path):
    """ShotRunner.from_file: the shot file parsed (a malformed one refused with its line), the
    overrides replacing the file's own render settings, nothing rendered or created."""
    from chroma.pipeline import ShotRunner
    from chroma.shot import ShotError

    shot = tmp_path / "sh010.toml"
    shot.write_text('max_frames = 3\n\n[output]\npattern = "out/sh010.####.exr"\n\n'
                    '[render]\nsteps = 10\nskip_steps = 0\ndevice = "cuda"\nwidth_height = [64, 64]\n\n[prompts]\n0 = ["a city:1"]\n')
    runner = ShotRunner.from_file(shot, render_overrides={"device": "cpu", "precision": "fp32"})
    assert (runner.shot.render["device"], runner.shot.render["precision"], runner.shot.render["steps"]) == (
        "cpu", "fp32", 10)
    assert runner.path(2).name == "sh010.1003.exr" and runner.renderer_size() == (64, 64)
    assert not (tmp_path / "out").exists()
    shot.write_text(shot.read_text().replace("max_frames = 3", "max_frames = -3"))
    with pytest.raises(ShotError, match="max_frames"):
        ShotRunner.from_file(shot)


def test_settings_paths_image_prompts_and_a_missing_renderer(tmp_path, monkeypatch):
    """find_settings_path looks where the path points, then beside the settings file;
    image_prompt_files gives absolute paths and keeps the weights; require_renderer says
    how to install the render extra."""
    from chroma.errors import ChromaError, ChromaIOError
    from chroma.pipeline import find_settings_path, image_prompt_files, require_renderer

    settings_dir = tmp_path / "job"
    settings_dir.mkdir()
    (settings_dir / "ref.png").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    assert find_settings_path("ref.png", str(settings_dir), "init_image") == str(settings_dir / "ref.png")
    assert find_settings_path("job/ref.png", None, "init_image") == "job/ref.png"  # as written, from here
    with pytest.raises(ChromaIOError, match="init_image 'gone.png' named in the settings file was not found"):
        find_settings_path("gone.png", str(settings_dir), "init_image")
    from_file = image_prompt_files(None, ["ref.png:0.5"], str(settings_dir))
    assert [(p.value, p.weight) for p in from_file] == [(str(settings_dir / "ref.png"), 0.5)]
    given = image_prompt_files(["job/ref.png:-1"], ["ignored.png"], str(settings_dir))
    assert [(p.value, p.weight) for p in given] == [(str(tmp_path / "job" / "ref.png"), -1.0)]
    with pytest.raises(ChromaIOError, match="image prompt 'nope.png' does not exist"):
        image_prompt_files(["nope.png"], [], None)
    monkeypatch.setitem(sys.modules, "render", None)  # import render -> ImportError
    with pytest.raises(ChromaError, match=r'pip install "chroma-vfx\[render\]"'):
        require_renderer()
