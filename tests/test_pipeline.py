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
